// Fairness report charts (ECharts, vendored): the figures come from the JSON in #fairness's
// data-chart attribute (no inline script, CSP); the same figures are in the tables, so nothing is
// lost without JavaScript.
(function () {
  "use strict";
  var root = document.getElementById("fairness");
  if (!root || typeof echarts === "undefined") { return; }
  var d = JSON.parse(root.getAttribute("data-chart"));

  function chart(id, rows) {
    var el = document.getElementById(id);
    if (!el || !rows.length) { return; }
    var c = echarts.init(el, null, { renderer: "svg" });
    c.setOption({
      aria: { enabled: true },
      textStyle: { fontFamily: "inherit" },
      color: ["#b3261e", "#1b4f8a"],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
      xAxis: { type: "category", data: rows.map(function (r) { return r.name; }),
               axisLabel: { interval: 0, rotate: rows.length > 6 ? 40 : 0 } },
      yAxis: [
        { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        { type: "value", min: 0, splitLine: { show: false } }
      ],
      series: [
        { name: d.labels.share, type: "bar", data: rows.map(function (r) { return r.share; }) },
        { name: d.labels.wait, type: "line", yAxisIndex: 1, symbolSize: 8,
          data: rows.map(function (r) { return r.wait; }) }
      ]
    });
    window.addEventListener("resize", function () { c.resize(); });
  }

  chart("chart-level", d.by_level);
  chart("chart-hardship", d.by_hardship);
  chart("chart-district", d.by_district);
}());
