// Import with an upload progress bar: the file goes up with XMLHttpRequest (which reports
// upload progress), then the server's report of imported and bad rows replaces the result.
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  var box = document.getElementById("import-progress");
  var bar = document.getElementById("upload-bar");
  var label = document.getElementById("progress-label");
  var result = document.getElementById("import-result");
  if (!form) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "fetch");
    box.hidden = false;
    bar.value = 0;
    label.textContent = "Uploading…";
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.upload.addEventListener("load", function () {
      bar.value = 100;
      label.textContent = "Checking and saving rows…";
      bar.removeAttribute("value");
    });
    xhr.addEventListener("load", function () {
      box.hidden = true;
      if (xhr.status === 401) {
        window.location.href = xhr.getResponseHeader("X-Login") || "/login?expired=1";
        return;
      }
      result.innerHTML = xhr.responseText;
      var focus = result.querySelector("[role=alert], [role=status]");
      if (focus) { focus.tabIndex = -1; focus.focus(); }
    });
    xhr.addEventListener("error", function () {
      box.hidden = true;
      result.innerHTML = '<p class="alert error" role="alert">The upload failed: check your connection and retry.</p>';
    });
    xhr.send(new FormData(form));
  });
})();
