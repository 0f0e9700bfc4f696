// Dashboard charts (ECharts, vendored): the figures come from the JSON endpoint named in
// data-url; the same figures are in the page's tables, so nothing is lost without JavaScript.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root || typeof echarts === "undefined") { return; }
  var palette = ["#8a6d00", "#b3261e", "#1b4f8a", "#5b3a8c", "#7a4f00", "#1e6b3a", "#555a60", "#9a9590"];

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var c = echarts.init(el, null, { renderer: "svg" });
    option.color = option.color || palette;
    option.textStyle = { fontFamily: "inherit" };
    option.aria = { enabled: true };
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }

  fetch(root.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(function (d) {
      var L = d.labels;
      var areas = d.by_area.map(function (a) { return a.name; });
      var statuses = d.statuses.filter(function (s) { return d.status_totals[s]; });
      chart("chart-areas", {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { type: "scroll", top: 0 },
        grid: { left: 8, right: 16, bottom: 8, top: 40, containLabel: true },
        xAxis: { type: "value" },
        yAxis: { type: "category", data: areas, inverse: true, axisLabel: { interval: 0 } },
        series: statuses.map(function (s) {
          return {
            name: L.statuses[s] || s, type: "bar", stack: "needs",
            data: d.by_area.map(function (a) { return a.counts[s] || 0; })
          };
        })
      });
      chart("chart-sla", {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0 },
        grid: { left: 8, right: 16, bottom: 8, top: 40, containLabel: true },
        color: ["#1e6b3a", "#8a6d00", "#b3261e"],
        xAxis: { type: "category", data: [L.level1, L.level23] },
        yAxis: { type: "value" },
        series: [
          { name: L.in_time, type: "bar", stack: "sla", data: d.sla.map(function (s) { return s.in_time; }) },
          { name: L.late, type: "bar", stack: "sla", data: d.sla.map(function (s) { return s.late; }) },
          { name: L.overdue, type: "bar", stack: "sla", data: d.sla.map(function (s) { return s.overdue_open; }) }
        ]
      });
      chart("chart-offers", {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0 },
        grid: { left: 8, right: 16, bottom: 8, top: 40, containLabel: true },
        color: ["#b3261e", "#d9d6d0"],
        xAxis: { type: "value" },
        yAxis: { type: "category", inverse: true, data: d.offers.map(function (o) { return o.title; }),
                 axisLabel: { width: 160, overflow: "truncate" } },
        series: [
          { name: L.used, type: "bar", stack: "cap", data: d.offers.map(function (o) { return o.used; }) },
          { name: L.remaining, type: "bar", stack: "cap", data: d.offers.map(function (o) { return o.capacity - o.used; }) }
        ]
      });
    })
    .catch(function () { /* the tables still show every figure */ });
})();
