// Create-project wizard: show only the answer settings of the chosen task type, and a
// live markdown preview rendered by the server (the same renderer workers see).
(function () {
  "use strict";
  var form = document.getElementById("wizard");
  if (!form) return;
  var sections = form.querySelectorAll(".for-type");

  function sync() {
    var checked = form.querySelector("input[name=task_type]:checked");
    var type = checked ? checked.value : "single_choice";
    sections.forEach(function (el) {
      el.hidden = el.dataset.types.split(" ").indexOf(type) < 0;
    });
  }
  form.querySelectorAll("input[name=task_type]").forEach(function (el) {
    el.addEventListener("change", sync);
  });
  sync();

  var dynamic = document.getElementById("dynamic");
  var dynamicFields = document.getElementById("dynamic-fields");
  function syncDynamic() { dynamicFields.hidden = !dynamic.checked; }
  if (dynamic && dynamicFields) {
    dynamic.addEventListener("change", syncDynamic);
    syncDynamic();
  }

  var source = document.getElementById("instructions");
  var target = document.getElementById("preview");
  if (source && target) {
    var csrf = form.querySelector("input[name=csrf]").value;
    var pending = null;
    function preview() {
      var body = new FormData();
      body.append("instructions", source.value);
      fetch("/console/preview", {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch" },
      }).then(function (resp) { return resp.ok ? resp.text() : null; })
        .then(function (html) { if (html !== null) target.innerHTML = html; });
    }
    source.addEventListener("input", function () {
      clearTimeout(pending);
      pending = setTimeout(preview, 300);
    });
    document.getElementById("preview-button").addEventListener("click", preview);
  }
  var invalid = form.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
})();
