/* Manager dashboards: draw the charts described in <script id="dash-charts"> (JSON). */
(function () {
  "use strict";
  var data = document.getElementById("dash-charts");
  if (!data || typeof Chart === "undefined") { return; }
  var charts = JSON.parse(data.textContent);
  var palette = ["#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d", "#ffc107"];
  Chart.defaults.font.size = 11;
  Chart.defaults.animation = false;

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = charts[canvas.dataset.chart];
    if (!spec) { return; }
    var datasets = spec.datasets.map(function (ds, i) {
      var colour = palette[i % palette.length];
      return {
        label: ds.label, data: ds.data, borderColor: colour, spanGaps: true,
        backgroundColor: spec.type === "line" ? colour : colour + "cc",
        borderWidth: spec.type === "line" ? 2 : 0, pointRadius: spec.type === "line" ? 1.5 : 0,
        tension: 0.2
      };
    });
    (spec.reference || []).forEach(function (value, i) {
      datasets.push({
        label: ["best", "average", "poor"][i] + " " + value, type: "line",
        data: spec.labels.map(function () { return value; }),
        borderColor: ["#198754", "#adb5bd", "#dc3545"][i], borderWidth: 1,
        borderDash: [4, 3], pointRadius: 0, fill: false
      });
    });
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false,
        plugins: { legend: { position: "bottom", labels: { boxWidth: 10 } } },
        scales: {
          x: { stacked: !!spec.stacked, grid: { display: false } },
          y: { stacked: !!spec.stacked, beginAtZero: true }
        }
      }
    });
    canvas.dataset.drawn = "1";
  });
})();
