// Match round page: poll the round's status while it runs and reload when it has finished.
(function () {
  "use strict";
  var box = document.getElementById("round-status");
  if (!box) return;
  var status = box.getAttribute("data-status");
  if (status !== "queued" && status !== "running") return;
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("round-progress");
  var message = document.getElementById("round-message");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        bar.value = data.progress;
        bar.textContent = Math.round(data.progress * 100) + "%";
        message.textContent = data.message;
        if (data.status === "done" || data.status === "failed") { window.location.reload(); }
        else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
