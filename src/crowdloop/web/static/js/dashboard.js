// Live dashboard: the server sends each of the project's events ("change", its SSE id is
// the event id) and then the re-rendered stats panel ("stats"). EventSource reconnects by
// itself after a drop and sends Last-Event-ID, so the server replays what was missed.
(function () {
  "use strict";
  var panel = document.getElementById("stats");
  var status = document.getElementById("live-status");
  if (!panel || !window.EventSource) return;
  var source = new EventSource(panel.dataset.events);
  source.addEventListener("stats", function (event) {
    panel.innerHTML = event.data;
    if (status) status.textContent = "live updates on";
  });
  source.addEventListener("error", function () {
    if (status) status.textContent = "reconnecting…";
  });
  window.addEventListener("pagehide", function () { source.close(); });
})();
