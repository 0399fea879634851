// The moderation queue: a "select all" box for the bulk action, and a confirmation before anything is
// deleted permanently. Without JavaScript, "Apply to all on this page" stands in for the box.
document.querySelectorAll("[data-select-all]").forEach((box) => {
  box.hidden = false;
  box.addEventListener("change", () => {
    document.querySelectorAll(`input[name="ids"][form="${box.dataset.selectAll}"]`).forEach((row) => {
      row.checked = box.checked;
    });
  });
});

document.addEventListener("submit", (event) => {
  const action = event.target.elements.namedItem("action");
  const deleting = action && action.value === "delete";
  const message = event.submitter?.dataset.confirm || (deleting && "Delete the selected items permanently? This cannot be undone.");
  if (message && !window.confirm(message)) event.preventDefault();
});
