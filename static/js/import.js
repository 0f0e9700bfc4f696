// Import progress: poll the job's status until it is done, then show the report.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) { return; }
  var bar = document.getElementById("import-bar");
  var text = document.getElementById("import-text");
  var template = box.querySelector("[data-template]").getAttribute("data-template");
  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.total) { bar.max = s.total; bar.value = s.done; }
        text.textContent = template.replace("{done}", s.done).replace("{total}", s.total || "?");
        if (s.state === "done") { window.location.assign(box.getAttribute("data-done-url")); }
        else { window.setTimeout(poll, 800); }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 500);
})();
