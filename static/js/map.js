// Staff / member map (Leaflet + markercluster, vendored). Works offline: without a base map
// (天地图 with ZHONGFU_TIANDITU_KEY, or another tile server) it draws the district and street
// outlines imported with `zhongfu regions import-boundaries`, with their names. Every word on the
// map comes from the page's data-l-* attributes (translated by the server).
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

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function draw() {
  var t = function (name) { return el.getAttribute("data-l-" + name) || ""; };
  var attr = function (name) { return el.getAttribute("data-" + name) || ""; };
  var status = document.getElementById("map-status");
  var STREET_ZOOM = 12;  // street outlines and names from this zoom on (a district fills the view)
  var DISTRICT_NAMES_ZOOM = 9;  // below it the 13 names of the city would cover one another
  var map = L.map(el, { preferCanvas: true, zoomControl: false, attributionControl: false, maxZoom: 18, minZoom: 7 });
  map.setView([30.25, 120.17], 9);  // Hangzhou until the data says otherwise
  // Region names above the outlines but under the markers (Leaflet's tooltip pane is on top).
  map.createPane("labels").style.zIndex = 450;

  // Leaflet's controls in the page's language.
  L.control.zoom({
    zoomInTitle: t("zoom-in") || "Zoom in",
    zoomOutTitle: t("zoom-out") || "Zoom out"
  }).addTo(map);
  var attribution = L.control.attribution({
    prefix: '<a href="https://leafletjs.com" title="' + esc(t("leaflet")) + '">Leaflet</a>'
  }).addTo(map);
  map.on("popupopen", function (e) {
    var button = e.popup.getElement() && e.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (button && t("close")) { button.setAttribute("aria-label", t("close")); button.title = t("close"); }
  });

  // Base map: 天地图 vector map + its place names (or another configured tile server).
  var tiles = attr("tiles");
  if (tiles) {
    var tileOptions = { maxZoom: parseInt(attr("max-zoom"), 10) || 18, subdomains: attr("subdomains") || "abc" };
    L.tileLayer(tiles, tileOptions).addTo(map);
    if (attr("tiles-overlay")) { L.tileLayer(attr("tiles-overlay"), tileOptions).addTo(map); }
    if (attr("attribution") === "tianditu") {
      attribution.addAttribution('<a href="https://www.tianditu.gov.cn/">' + esc(t("tianditu") || "天地图") + "</a>");
    }
  }
  notice([t("notice"), t("notice-outlines")]);

  function notice(lines) {
    lines = lines.filter(Boolean);
    if (!lines.length) { return; }
    var box = L.control({ position: "bottomleft" });
    box.onAdd = function () {
      var div = L.DomUtil.create("div", "map-notice");
      div.setAttribute("role", "note");
      div.innerHTML = lines.map(function (l) { return "<p>" + esc(l) + "</p>"; }).join("") +
        '<button type="button" class="map-notice-close" aria-label="' + esc(t("hide") || "×") + '">×</button>';
      L.DomEvent.disableClickPropagation(div);
      div.querySelector("button").addEventListener("click", function () { box.remove(); });
      return div;
    };
    box.addTo(map);
  }

  function dot(cls, label) {
    return L.divIcon({ className: "map-dot " + cls, html: label ? "<span>" + esc(label) + "</span>" : "", iconSize: [28, 28] });
  }

  // Outlines and names: districts always, streets from STREET_ZOOM on.
  var outlines = Promise.resolve([]);
  var boundaries = attr("boundaries");
  if (boundaries) {
    outlines = fetch(boundaries, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (g) { return drawOutlines((g && g.features) || []); })
      .catch(function () { return []; });
  }
  function drawOutlines(features) {
    var plain = !tiles;  // no base map: fill the land so the outlines read as a map
    var districts = L.layerGroup().addTo(map);
    var streets = L.layerGroup();
    var districtNames = L.layerGroup();
    var streetNames = L.layerGroup();
    var bounds = [];
    features.forEach(function (f) {
      var p = f.properties || {};
      var street = p.level === "street";
      var shape = L.geoJSON(f, {
        interactive: false,
        style: street
          ? { color: "#7b8794", weight: 1, dashArray: "4 3", fill: false }
          : { color: "#3e4c59", weight: 2, fill: plain, fillColor: "#fbfaf5", fillOpacity: 1 }
      });
      (street ? streets : districts).addLayer(shape);
      if (!street) { bounds.push(shape.getBounds()); }
      if (p.name && p.label) {
        // Just above the label point: a hub or offer marker on the region's centre leaves it legible.
        L.tooltip({ pane: "labels", permanent: true, direction: "center", offset: [0, street ? -16 : -22], interactive: false,
          className: "map-label map-label-" + (street ? "street" : "district") })
          .setLatLng(p.label).setContent(esc(p.name))
          .addTo(street ? streetNames : districtNames);
      }
    });
    function show(layer, on) {
      if (on && !map.hasLayer(layer)) { layer.addTo(map); }
      if (!on && map.hasLayer(layer)) { layer.remove(); }
    }
    function byZoom() {
      var zoom = map.getZoom();
      show(districtNames, zoom >= DISTRICT_NAMES_ZOOM);
      show(streets, zoom >= STREET_ZOOM);
      show(streetNames, zoom >= STREET_ZOOM);
    }
    map.on("zoomend", byZoom);
    byZoom();
    return bounds;
  }

  var data = fetch(attr("url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); });

  Promise.all([data, outlines])
    .then(function (both) {
      var d = both[0], outlineBounds = both[1];
      var bounds = [];
      // One cluster group for every point marker, so that markers of different kinds never
      // overlap (touch targets stay ≥ 24px apart); the layer switches add or remove their
      // markers from it. A cluster shows the number of open NEEDS in it, not of markers.
      var points = L.markerClusterGroup({
        maxClusterRadius: 50,
        showCoverageOnHover: false,
        iconCreateFunction: function (cluster) {
          var needs = 0;
          cluster.getAllChildMarkers().forEach(function (m) { needs += m.options.needs || 0; });
          if (!needs) {
            return L.divIcon({ className: "map-cluster map-cluster-other", iconSize: [26, 26],
              html: '<span title="' + esc(t("cluster-other")) + '">+</span>' });
          }
          var size = needs < 100 ? 40 : needs < 1000 ? 46 : 54;
          return L.divIcon({ className: "map-cluster", iconSize: [size, size],
            html: '<span title="' + esc(t("cluster").replace("{n}", needs)) + '">' + needs + "</span>" });
        }
      }).addTo(map);
      var layers = {};
      function toggler(markers) {
        var group = L.layerGroup();
        group.on("add", function () { points.addLayers(markers); });
        group.on("remove", function () { points.removeLayers(markers); });
        return group;
      }
      var needMarkers = d.wishes.map(function (w) {
        bounds.push([w.lat, w.lon]);
        return L.marker([w.lat, w.lon], { icon: dot("dot-need", w.count), title: w.name, keyboard: true, needs: w.count })
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
          var text = "<strong>" + esc(o.title) + "</strong><br>" + esc(o.org) + "<br>" + esc(o.remaining) + " / " + esc(o.capacity) + " " + esc(t("unit-" + o.unit)) + " " + esc(t("remaining"));
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
      if (d.warnings && d.warnings.length) {
        // 预警: open warnings counted per community (no household is shown), circles sized by
        // count (area ∝ count), under the point markers so that those stay clickable.
        var warnings = L.layerGroup();
        var svg = L.svg();  // SVG, not the map's canvas: each circle is an element (class map-warning)
        d.warnings.forEach(function (w) {
          bounds.push([w.lat, w.lon]);
          L.circleMarker([w.lat, w.lon], {
            renderer: svg, className: "map-warning" + (w.important ? " map-warning-important" : ""),
            radius: Math.min(30, 6 + 3 * Math.sqrt(w.count)), color: "#b45309", weight: 1,
            fillColor: "#d97706", fillOpacity: w.important ? 0.55 : 0.35
          }).bindPopup("<strong>" + esc(w.name) + "</strong><br>" +
            esc(t("warnings").replace("{n}", w.count).replace("{m}", w.important)))
            .addTo(warnings);
        });
        layers[t("layer-warnings")] = warnings.addTo(map);
      }
      var control = L.control.layers(null, layers, { collapsed: false }).addTo(map);
      var toggle = control.getContainer().querySelector(".leaflet-control-layers-toggle");
      if (toggle && t("layers")) { toggle.title = t("layers"); toggle.setAttribute("aria-label", t("layers")); }
      var lat = parseFloat(attr("lat")), lon = parseFloat(attr("lon"));
      if (!isNaN(lat) && !isNaN(lon)) { map.setView([lat, lon], 13); L.circleMarker([lat, lon], { radius: 8, color: "#1b4f8a" }).addTo(map); }
      else if (d.centre) { map.setView(d.centre, d.scope && d.scope.length >= 9 ? 13 : 11); }
      else if (outlineBounds.length) {
        var all = outlineBounds[0];
        outlineBounds.forEach(function (b) { all = all.extend(b); });
        map.fitBounds(all, { padding: [10, 10] });
      }
      else if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 13 }); }
    })
    .catch(function (e) { if (window.console) { console.error(e); } if (status) { status.textContent = "⚠"; } });
  }
})();
