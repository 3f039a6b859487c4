// Live dashboard: the server pushes the re-rendered stats panel as a server-sent event
// whenever the numbers change; EventSource reconnects by itself after a drop.
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
