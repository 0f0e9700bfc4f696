// Staff / member map (Leaflet + markercluster, vendored). Works offline: without a configured
// tile server the map is a plain background with markers; boundaries are optional GeoJSON.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") { return; }
  var details = el.closest("details");
  if (details && !details.open) {
    // A map in a closed <details> has no size yet: draw it when first opened.
    details.addEventListener("toggle", function once() {
      details.removeEventListener("toggle", once);
      draw();
    });
    return;
  }
  draw();
  function draw() {
  var t = function (name) { return el.getAttribute("data-l-" + name) || ""; };
  var status = document.getElementById("map-status");
  var map = L.map(el, { preferCanvas: true, zoomControl: true, attributionControl: false, maxZoom: 18, minZoom: 7 });
  map.setView([30.25, 120.17], 9);  // Hangzhou until the data says otherwise
  var tiles = el.getAttribute("data-tiles");
  if (tiles) { L.tileLayer(tiles, { maxZoom: 18 }).addTo(map); }

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function dot(cls, label) {
    return L.divIcon({ className: "map-dot " + cls, html: label ? "<span>" + esc(label) + "</span>" : "", iconSize: [28, 28] });
  }

  var boundaries = el.getAttribute("data-boundaries");
  if (boundaries) {
    fetch(boundaries, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (g) {
      if (g && g.features && g.features.length) {
        L.geoJSON(g, { style: { color: "#555a60", weight: 1, fill: false }, interactive: false }).addTo(map);
      }
    }).catch(function () {});
  }

  fetch(el.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(function (d) {
      var bounds = [];
      // One cluster group for every point marker, so that markers of different kinds never
      // overlap (touch targets stay ≥ 24px apart); the layer switches add or remove their
      // markers from it.
      var points = L.markerClusterGroup({ maxClusterRadius: 50 }).addTo(map);
      var layers = {};
      function toggler(markers) {
        var group = L.layerGroup();
        group.on("add", function () { points.addLayers(markers); });
        group.on("remove", function () { points.removeLayers(markers); });
        return group;
      }
      var needMarkers = d.wishes.map(function (w) {
        bounds.push([w.lat, w.lon]);
        return L.marker([w.lat, w.lon], { icon: dot("dot-need", w.count), title: w.name, keyboard: true })
          .bindPopup("<strong>" + esc(w.name) + "</strong><br>" + esc(w.count) + " " + esc(t("needs")));
      });
      layers[t("layer-needs")] = toggler(needMarkers).addTo(map);
      if (d.hubs.length) {
        var hubMarkers = d.hubs.map(function (h) {
          return L.marker([h.lat, h.lon], { icon: dot("dot-hub"), title: h.name, keyboard: true })
            .bindPopup("<strong>" + esc(h.name) + "</strong><br>" + esc(t("hub")));
        });
        var hubs = toggler(hubMarkers);
        layers[t("layer-hubs")] = hubs;
        if (d.scope) { hubs.addTo(map); }
      }
      if (d.offers.length) {
        var circles = L.layerGroup();
        var offerMarkers = [];
        d.offers.forEach(function (o) {
          var text = "<strong>" + esc(o.title) + "</strong><br>" + esc(o.org) + "<br>" + esc(o.remaining) + " / " + esc(o.capacity) + " " + esc(t("remaining"));
          if (o.shape === "circle") {
            L.circle([o.lat, o.lon], { radius: o.radius_km * 1000, color: "#1b4f8a", weight: 2, fillOpacity: 0.06, interactive: false })
              .addTo(circles);
            offerMarkers.push(L.marker([o.lat, o.lon], { icon: dot("dot-offer"), title: o.title, keyboard: true })
              .bindPopup(text + "<br>" + esc(o.radius_km) + " km"));
          } else {
            offerMarkers.push(L.marker([o.lat, o.lon], { icon: dot("dot-offer"), title: o.title, keyboard: true })
              .bindPopup(text + "<br>" + esc(o.region)));
          }
        });
        var offers = toggler(offerMarkers);
        offers.on("add", function () { circles.addTo(map); });
        offers.on("remove", function () { circles.remove(); });
        layers[t("layer-offers")] = offers.addTo(map);
      }
      L.control.layers(null, layers, { collapsed: false }).addTo(map);
      var lat = parseFloat(el.getAttribute("data-lat")), lon = parseFloat(el.getAttribute("data-lon"));
      if (!isNaN(lat) && !isNaN(lon)) { map.setView([lat, lon], 13); L.circleMarker([lat, lon], { radius: 8, color: "#1b4f8a" }).addTo(map); }
      else if (d.centre) { map.setView(d.centre, d.scope && d.scope.length >= 9 ? 13 : 11); }
      else if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 }); }
    })
    .catch(function (e) { if (window.console) { console.error(e); } if (status) { status.textContent = "⚠"; } });
  }
})();
