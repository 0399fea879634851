// Images into the editor's Content: chosen with "Upload image", dropped onto Content or pasted into
// it, sent to the media library with the alt text asked for, and their Markdown inserted at the cursor.
// Without this script the form's Upload button does the same with a round trip.
(function () {
  "use strict";
  var box = document.getElementById("image-upload");
  var content = document.getElementById("body");
  if (!box || !content || !window.fetch || !window.FormData) return;
  var input = box.querySelector('input[type="file"]');
  var altField = box.querySelector(".alt-text-field");
  var button = box.querySelector(".upload-button");
  var status = box.querySelector(".upload-status");
  var token = content.form.querySelector('input[name="csrf_token"]');
  var url = box.getAttribute("data-upload-url");
  var maxBytes = Number(box.getAttribute("data-max-bytes"));
  var accepted = /^image\/(jpeg|png|gif|webp)$/;
  var queue = Promise.resolve();

  // The alt text is asked for with each image, and the upload starts when one is chosen.
  altField.hidden = true;
  button.hidden = true;

  function say(message, isError) {
    status.textContent = message;
    status.classList.toggle("error", Boolean(isError));
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1).replace(/\.0$/, "") + " MB";
  }

  // The Markdown as a paragraph of its own where the cursor is (or in place of the selection).
  function insert(markdown) {
    var start = content.selectionStart;
    var end = content.selectionEnd;
    var before = content.value.slice(0, start);
    var after = content.value.slice(end);
    var lead = before === "" || /\n\n$/.test(before) ? "" : /\n$/.test(before) ? "\n" : "\n\n";
    var trail = after === "" ? "\n" : /^\n\n/.test(after) ? "" : /^\n/.test(after) ? "\n" : "\n\n";
    content.setRangeText(lead + markdown + trail, start, end, "end");
    content.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function upload(file) {
    var name = file.name || "the pasted image";
    if (file.type && !accepted.test(file.type)) {
      say(name + " is not a JPEG, PNG, GIF or WebP image, so it was not uploaded.", true);
      return Promise.resolve();
    }
    if (file.size > maxBytes) {
      say(name + " is " + megabytes(file.size) + "; images can be at most " + megabytes(maxBytes) + ".", true);
      return Promise.resolve();
    }
    var alt = window.prompt("Alt text for " + name + ": what should a reader who cannot see it know?", "");
    if (alt === null) {
      say("Upload of " + name + " cancelled.");
      return Promise.resolve();
    }
    if (!alt.trim()) {
      say(name + " was not uploaded: an image needs alt text.", true);
      return Promise.resolve();
    }
    var data = new FormData();
    data.append("image", file, file.name || "pasted-image.png");
    data.append("alt_text", alt);
    say("Uploading " + name + "…");
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token.value, Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().catch(function () {
          return { error: response.status === 413 ? name + " is too large to upload." : "The upload failed (error " + response.status + ")." };
        });
      })
      .then(function (reply) {
        if (reply.markdown) {
          insert(reply.markdown);
          say("Uploaded " + name + "; its Markdown is in Content.");
        } else {
          say(reply.error || "The upload failed.", true);
        }
      })
      .catch(function () {
        say("The upload failed: the blog could not be reached. Try again.", true);
      });
  }

  // One at a time, so each image's alt text is asked for in turn.
  function uploadAll(files) {
    Array.prototype.forEach.call(files, function (file) {
      queue = queue.then(function () { return upload(file); });
    });
  }

  function carriesFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return Boolean(types) && Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files);
    input.value = "";  // sent already: saving the post must not send it again
    uploadAll(files);
  });
  content.addEventListener("dragover", function (event) {
    if (carriesFiles(event)) {
      event.preventDefault();
      content.classList.add("drop-target");
    }
  });
  content.addEventListener("dragleave", function () {
    content.classList.remove("drop-target");
  });
  content.addEventListener("drop", function (event) {
    content.classList.remove("drop-target");
    if (event.dataTransfer && event.dataTransfer.files.length) {
      event.preventDefault();
      content.focus();
      uploadAll(event.dataTransfer.files);
    }
  });
  content.addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) {
      event.preventDefault();
      uploadAll(files);
    }
  });
})();
