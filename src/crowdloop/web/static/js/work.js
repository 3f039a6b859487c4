// The worker's task stream: answers are posted with fetch() and the response (the next
// task, rendered by the server) replaces the stream, so the next task shows at once.
// Keys: 1-9 choose (single choice and keyed ratings submit at once), Enter submits,
// S skips, I opens the instructions. Without JavaScript the forms still work.
(function () {
  "use strict";
  var stream = document.getElementById("stream");
  var dialog = document.getElementById("instructions");
  var timer = null;
  var busy = false;

  function clock(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function startLease() {
    clearInterval(timer);
    var lease = stream.querySelector("[data-lease]");
    if (!lease) return;
    var deadline = Date.now() + Number(lease.dataset.lease) * 1000;
    function tick() {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      lease.textContent = clock(left);
      lease.classList.toggle("warn", left <= 60);
      if (left === 0) {
        clearInterval(timer);
        var note = document.getElementById("lease-expired");
        if (note) note.hidden = false;
        var form = document.getElementById("answer-form");
        if (form) form.querySelectorAll("button, input, textarea").forEach(function (el) { el.disabled = true; });
      }
    }
    tick();
    timer = setInterval(tick, 1000);
  }

  function focusTask() {
    var form = document.getElementById("answer-form");
    var first = form && form.querySelector("input:not([type=hidden]), textarea");
    if (first) first.focus({ preventScroll: true });
    else stream.focus();
  }

  function post(form) {
    if (busy) return;
    busy = true;
    stream.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    }).then(function (resp) {
      if (resp.status === 401) {
        window.location.href = resp.headers.get("X-Login") || "/login?expired=1";
        return null;
      }
      return resp.text();
    }).then(function (html) {
      if (html === null) return;
      stream.innerHTML = html;
      startLease();
      focusTask();
    }).catch(function () {
      stream.insertAdjacentHTML("afterbegin",
        '<p class="alert error" role="alert">Could not reach the server. Check your connection and try again.</p>');
    }).finally(function () {
      busy = false;
      stream.removeAttribute("aria-busy");
    });
  }

  stream.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-fetch")) return;
    event.preventDefault();
    post(form);
  });

  // File answers: a file dropped anywhere on the drop zone goes into its file input.
  stream.addEventListener("dragover", function (event) {
    var zone = event.target.closest && event.target.closest("#dropzone");
    if (!zone) return;
    event.preventDefault();
    zone.classList.add("over");
  });
  stream.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest("#dropzone");
    if (zone) zone.classList.remove("over");
  });
  stream.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest("#dropzone");
    if (!zone || !event.dataTransfer.files.length) return;
    event.preventDefault();
    zone.classList.remove("over");
    zone.querySelector("input[type=file]").files = event.dataTransfer.files;
    zone.querySelector(".hint").textContent = "Ready: " + event.dataTransfer.files[0].name + ". Press Submit.";
  });

  function choose(form, index) {
    var inputs = form.querySelectorAll("input[name=answer]");
    var input = inputs[index];
    if (!input) return;
    if (input.type === "checkbox") {
      input.checked = !input.checked;
      input.focus();
      return;
    }
    input.checked = true;
    form.requestSubmit();
  }

  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && /^(text|number|search)$/.test(el.type)));
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.metaKey || (dialog && dialog.open)) return;
    var form = document.getElementById("answer-form");
    if (!form || form.querySelector(":disabled")) return;
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Enter" && event.ctrlKey) { event.preventDefault(); form.requestSubmit(); }
      return;
    }
    if (event.ctrlKey) return;
    if (/^[1-9]$/.test(event.key)) {
      event.preventDefault();
      choose(form, Number(event.key) - 1);
    } else if (event.key === "Enter" && target.tagName !== "BUTTON" && target.tagName !== "A") {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === "s" || event.key === "S") {
      var skip = document.getElementById("skip-form");
      if (skip) { event.preventDefault(); skip.requestSubmit(); }
    }
  });

  document.addEventListener("keydown", function (event) {
    if ((event.key === "i" || event.key === "I") && !typing(event.target) && dialog && !dialog.open &&
        !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      dialog.showModal();
    }
  });
  document.getElementById("open-instructions").addEventListener("click", function () { dialog.showModal(); });
  document.getElementById("close-instructions").addEventListener("click", function () { dialog.close(); });
  dialog.addEventListener("close", focusTask);

  startLease();
  focusTask();
})();
