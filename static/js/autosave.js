// The editor's autosave: some seconds after the last change to Title or Content (data-autosave-seconds),
// they are sent to data-autosave-url with the CSRF token. A draft saves itself; a published post's text
// goes to its autosave, offered back when the editor is opened again. The first autosave of a new post
// makes it a draft, and the address becomes its editor's (history.replaceState). Leaving the editor with
// changes not saved by Save Draft/Publish/Update (or, for a draft, by the autosave) asks first.
(function () {
  "use strict";
  var form = document.querySelector(".editor-form");
  if (!form || !window.fetch || !window.FormData) return;
  var url = form.getAttribute("data-autosave-url");
  var seconds = Number(form.getAttribute("data-autosave-seconds")) || 30;
  var status = form.querySelector(".autosave-status");
  var token = form.querySelector('input[name="csrf_token"]');
  var title = form.elements.namedItem("title");
  var body = form.elements.namedItem("body");
  var timer = null;
  var sending = false;
  var textChanged = false; // Title or Content changed since the last autosave
  var unsaved = false; // anything changed that no save has kept yet
  var submitting = false;
  var pending = Promise.resolve();

  function say(message, isError) {
    if (!status) return;
    status.textContent = message;
    status.classList.toggle("error", Boolean(isError));
  }

  function schedule() {
    if (!url) return;
    clearTimeout(timer);
    timer = setTimeout(send, seconds * 1000);
  }

  function send() {
    if (sending || submitting || !textChanged) return;
    if (!title.value.trim() && !body.value.trim()) return;
    sending = true;
    textChanged = false;
    var data = new FormData();
    data.append("title", title.value);
    data.append("body", body.value);
    var otherChanged = unsaved && otherFieldsChanged;
    pending = fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { error: "Not autosaved (the server answered " + response.status + ")." };
        }).then(function (answer) {
          if (!response.ok) throw new Error(answer.error || "Not autosaved.");
          return answer;
        });
      })
      .then(function (answer) {
        url = answer.autosave_url;
        form.setAttribute("data-autosave-url", url);
        if (answer.edit_url && window.location.pathname !== answer.edit_url) {
          window.history.replaceState(null, "", answer.edit_url);
        }
        // A draft saved itself: nothing is lost by leaving, unless fields besides these two changed.
        if (answer.into_draft && !textChanged && !otherChanged) unsaved = false;
        form.setAttribute("data-autosaved-at", answer.saved_at);
        say(answer.message);
      })
      .catch(function (error) {
        textChanged = true; // tried again after the next change
        say(error.message || "Not autosaved.", true);
      })
      .then(function () {
        sending = false;
        if (textChanged) schedule();
      });
  }

  var otherFieldsChanged = false;
  form.addEventListener("input", function (event) {
    unsaved = true;
    if (event.target === title || event.target === body) {
      textChanged = true;
      schedule();
    } else {
      otherFieldsChanged = true;
    }
  });
  form.addEventListener("change", function (event) {
    if (event.target !== title && event.target !== body && event.target.type !== "file") {
      unsaved = true;
      otherFieldsChanged = true;
    }
  });
  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    if (sending) {
      // An autosave is on its way (for a new post it is making the draft): send the form once it is
      // back, to the address it gave, so pressing Publish meanwhile never makes a second post.
      event.preventDefault();
      var submitter = event.submitter;
      pending.then(function () {
        form.requestSubmit(submitter);
      });
      return;
    }
    submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved || submitting) return;
    event.preventDefault();
    event.returnValue = "";
  });
})();
