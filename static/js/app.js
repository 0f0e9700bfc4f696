// Zhongfu 众扶 — small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Filters that submit themselves when changed (the wish pool's item / district / street).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      var clears = select.getAttribute("data-clears");
      if (clears) {
        var other = document.getElementById(clears);
        if (other) { other.value = ""; }
      }
      if (select.form) { select.form.submit(); }
    });
  });

  // "Near me": fill the hidden lat/lon fields from the browser's geolocation, then search.
  var near = document.getElementById("near-me");
  if (near) {
    near.addEventListener("click", function () {
      var status = document.getElementById("near-status");
      var say = function (text) { if (status) { status.textContent = text; } };
      if (!("geolocation" in navigator)) { say(near.getAttribute("data-error")); return; }
      say(near.getAttribute("data-busy"));
      near.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          document.getElementById("lat").value = pos.coords.latitude.toFixed(5);
          document.getElementById("lon").value = pos.coords.longitude.toFixed(5);
          near.form.submit();
        },
        function () { near.disabled = false; say(near.getAttribute("data-error")); },
        { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 }
      );
    });
  }

  // The 幸福码 card's print button.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // The staff and admin navigation folds into a menu button on narrow screens (the CSS decides when
  // the button shows). Without this script the links wrap onto several rows instead.
  document.querySelectorAll(".mainnav-long").forEach(function (nav) {
    var button = nav.querySelector(".nav-toggle");
    var links = nav.querySelector(".mainnav-links");
    if (!button || !links) { return; }
    var current = links.querySelector("a[aria-current='page']:not(.whoami)");
    var label = button.querySelector(".nav-current");
    if (current && label) { label.textContent = current.textContent; }
    var setOpen = function (open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("is-open", open);
    };
    button.hidden = false;
    nav.classList.add("has-toggle");
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("is-open")) {
        setOpen(false);
        button.focus();
      }
    });
  });

  // Ask before irreversible staff actions (cancel, reject, disable).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
