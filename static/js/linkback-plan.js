// The editor's "Publishing will notify" list is made by the server from the saved or previewed post;
// once the author edits the text or the Trackback URLs, say that the list is out of date until Preview.
document.addEventListener("input", (event) => {
  const form = event.target.closest(".editor-form");
  if (!form || !["body", "trackback_urls"].includes(event.target.name)) return;
  const stale = document.querySelector(".linkback-plan .plan-stale");
  if (stale) stale.hidden = false;
});
