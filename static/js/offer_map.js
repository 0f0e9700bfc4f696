// The offer form's circle: click the map to set the centre, pick the radius in the select, and the
// circle is drawn. The centre goes into the form's latitude and longitude fields (kept for use
// without JavaScript under "Centre by coordinates"; the server checks them either way). Works
// offline: the district outlines imported with `zhongfu regions import-boundaries`, if any, are
// the background. Every word comes from the page's data-l-* attributes.
(function () {
  "use strict";
  var el = document.getElementById("offer-map");
  if (!el || typeof L === "undefined") { return; }
  var t = function (name) { return el.getAttribute("data-l-" + name) || ""; };
  var form = el.closest("form");
  var lat = form.querySelector("input[name=lat]");
  var lon = form.querySelector("input[name=lon]");
  var radius = form.querySelector("select[name=radius_km]");
  var clear = form.querySelector("[data-map-clear]");
  var status = form.querySelector("[data-map-status]");
  // Without JavaScript there is no map, only the coordinates; with it, the map first.
  el.hidden = false;
  var coords = form.querySelector("details[data-coords]");
  if (coords && !coords.hasAttribute("data-errors")) { coords.open = false; }
  var b = (el.getAttribute("data-bounds") || "29.1,118.2,30.7,120.9").split(",").map(parseFloat);
  var city = L.latLngBounds([b[0], b[1]], [b[2], b[3]]);

  // No zoom animation: the circle must be drawn at its true size at once (a screen reader or a
  // quick user reads the status line, not a transition).
  var map = L.map(el, { preferCanvas: true, zoomAnimation: false, zoomControl: false, attributionControl: false, minZoom: 8, maxZoom: 17,
    maxBounds: city.pad(0.3) });
  map.fitBounds(city);
  L.control.zoom({ zoomInTitle: t("zoom-in") || "Zoom in", zoomOutTitle: t("zoom-out") || "Zoom out" }).addTo(map);

  // Base map: 天地图 vector map + its place names (or another configured tile server).
  var attr = function (name) { return el.getAttribute("data-" + name) || ""; };
  var tiles = attr("tiles");
  if (tiles) {
    var tileOptions = { maxZoom: parseInt(attr("max-zoom"), 10) || 18, subdomains: attr("subdomains") || "abc" };
    L.tileLayer(tiles, tileOptions).addTo(map);
    if (attr("tiles-overlay")) { L.tileLayer(attr("tiles-overlay"), tileOptions).addTo(map); }
    if (attr("attribution") === "tianditu") {
      L.control.attribution({ prefix: false }).addAttribution(t("tianditu") || "天地图").addTo(map);
    }
  }

  var outlines = el.getAttribute("data-boundaries");
  if (outlines) {
    fetch(outlines, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (g) {
        (g.features || []).forEach(function (f) {
          var p = f.properties || {};
          if (p.level === "street") { return; }
          L.geoJSON(f, { interactive: false,
            style: { color: "#3e4c59", weight: 1.5, fill: !tiles, fillColor: "#fbfaf5", fillOpacity: 1 } }).addTo(map);
          if (p.name && p.label && !tiles) {
            L.tooltip({ permanent: true, direction: "center", interactive: false, className: "map-label map-label-district" })
              .setLatLng(p.label).setContent(p.name.replace(/[&<>"']/g, "")).addTo(map);
          }
        });
        if (circle) { circle.bringToFront(); }
      })
      .catch(function () {});
  }

  // Without outlines, the names of the districts (and, zoomed in, of the streets) at their
  // centres tell the user where they are clicking.
  var places = JSON.parse(el.getAttribute("data-places") || "[]");
  var placeOf = {};
  places.forEach(function (p) { placeOf[p[0]] = p; });
  if (!outlines && !tiles && places.length) {
    var districtNames = L.layerGroup().addTo(map);
    var streetNames = L.layerGroup();
    places.forEach(function (p) {
      var street = p[0].length > 6;
      L.tooltip({ permanent: true, direction: "center", interactive: false,
        className: "map-label map-label-" + (street ? "street" : "district") })
        .setLatLng([p[2], p[3]]).setContent(String(p[1]).replace(/[&<>"']/g, ""))
        .addTo(street ? streetNames : districtNames);
    });
    var byZoom = function () {
      var near = map.getZoom() >= 12;
      if (near && !map.hasLayer(streetNames)) { streetNames.addTo(map); }
      if (!near && map.hasLayer(streetNames)) { streetNames.remove(); }
    };
    map.on("zoomend", byZoom);
    byZoom();
  }

  var centre = null;
  var circle = null;

  function km() { return parseFloat(radius.value); }

  function say(text) { if (status) { status.textContent = text; } }

  function draw(fit) {
    var la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (centre) { centre.remove(); centre = null; }
    if (circle) { circle.remove(); circle = null; }
    if (isNaN(la) || isNaN(lo)) {
      if (clear) { clear.hidden = true; }
      say(t("click"));
      return;
    }
    centre = L.circleMarker([la, lo], { radius: 7, color: "#b3261e", weight: 3, fillOpacity: 1, fillColor: "#fff" }).addTo(map);
    if (!isNaN(km())) {
      circle = L.circle([la, lo], { radius: km() * 1000, color: "#1b4f8a", weight: 2, fillOpacity: 0.12 }).addTo(map);
      if (fit) { map.fitBounds(circle.getBounds(), { padding: [20, 20], maxZoom: 14 }); }
    }
    if (clear) { clear.hidden = false; }
    say(t("centre").replace("{lat}", la.toFixed(4)).replace("{lon}", lo.toFixed(4))
      .replace("{r}", isNaN(km()) ? "–" : String(km())));
  }

  // A region ticked in the tree: the map moves there (unless a circle is already set).
  form.addEventListener("region:chosen", function (e) {
    var code = (e.detail && e.detail.code) || "";
    var p = placeOf[code.slice(0, 9)] || placeOf[code.slice(0, 6)];
    if (p && !centre) { map.setView([p[2], p[3]], code.length > 6 ? 13 : 11); }
  });

  map.on("click", function (e) {
    if (!city.contains(e.latlng)) { say(t("outside")); return; }
    lat.value = e.latlng.lat.toFixed(5);
    lon.value = e.latlng.lng.toFixed(5);
    if (isNaN(km())) { radius.value = "3"; }  // a circle needs a radius: start with 3 km
    draw(false);
  });
  radius.addEventListener("change", function () { draw(true); });
  [lat, lon].forEach(function (input) { input.addEventListener("change", function () { draw(true); }); });
  if (clear) {
    clear.addEventListener("click", function () {
      lat.value = ""; lon.value = ""; radius.value = "";
      draw(false);
    });
  }
  draw(true);
})();

// The unit follows the items: ticking the first item sets the capacity's unit to that item's
// (份 for meals, 小时 for companionship…) until the user picks a unit themselves.
(function () {
  "use strict";
  var unit = document.querySelector("select[data-unit-picker]");
  if (!unit) { return; }
  var touched = unit.value !== "";
  unit.addEventListener("change", function () { touched = true; });
  unit.form.addEventListener("change", function (event) {
    var box = event.target;
    if (touched || !box || box.name !== "items") { return; }
    var first = unit.form.querySelector("input[name=items]:checked");
    unit.value = first ? first.getAttribute("data-unit") : "";
  });
})();
