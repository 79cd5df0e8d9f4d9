// Draws each dashboard chart from the JSON data block next to its canvas.
// The numbers are also in the table under every chart, so nothing depends on this script.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var palette = ["#1f6feb", "#e36209", "#2da44e", "#8250df", "#bf3989", "#6e7781"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById("chart-" + canvas.dataset.chart);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var datasets = data.series.map(function (series, i) {
      return {
        label: series.name,
        data: series.values.map(Number),
        backgroundColor: palette[i % palette.length],
        borderColor: palette[i % palette.length],
        // Bars side by side are in one unit (yuan against yuan) and share one axis, so their heights
        // compare; a line chart's later series (an amount beside a count) get an axis of their own.
        yAxisID: (i === 0 || data.kind === "bar") ? "y" : "y" + i
      };
    });
    // Bar charts show their first series (or as many as data.plot says); the table has the others.
    if (data.kind === "bar") { datasets = datasets.slice(0, data.plot || 1); }
    // A count (applications, loans) is ticked in whole numbers: precision 0 rounds the step to an integer.
    var ticks = function (i) { return data.series[i] && data.series[i].integer ? { precision: 0 } : {}; };
    var scales = { y: { beginAtZero: true, ticks: ticks(0) } };
    datasets.slice(1).forEach(function (d, j) {
      if (d.yAxisID !== "y") { scales[d.yAxisID] = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, ticks: ticks(j + 1) }; }
    });
    canvas.chart = new Chart(canvas, { type: data.kind, data: { labels: data.labels, datasets: datasets }, options: { animation: false, responsive: true, scales: scales } });
  });
})();
