// The queue report's chart (Chart.js, served beside this file with its licence): the contacts
// answered, abandoned and left otherwise per interval, stacked, and the service level (%) when
// one queue is shown (an interval where nothing left the queue has none: a gap in the line). The figures come from the page (data-chart), computed on the server.
"use strict";
(function () {
  const canvas = document.getElementById("report-chart");
  if (!canvas || typeof Chart === "undefined") return;
  const chart = JSON.parse(canvas.dataset.chart);
  const colours = ["#1a7f37", "#cf222e", "#9a6700"];
  const datasets = chart.counts.map((one, i) => ({
    type: "bar", label: one.label, data: one.data, backgroundColor: colours[i], stack: "contacts", yAxisID: "y", order: 1,
  }));
  const scales = {
    x: { stacked: true, ticks: { autoSkip: true, maxRotation: 0 } },
    y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
  };
  if (chart.level) {
    datasets.push({ type: "line", label: chart.level.label + " (%)", data: chart.level.data, borderColor: "#1f6feb",
                    backgroundColor: "#1f6feb", yAxisID: "level", spanGaps: false, tension: 0,
                    order: 0, clip: 6 });  // over the bars; a point at 100 % shown whole
    scales.level = { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } };
  }
  new Chart(canvas, {
    data: { labels: chart.labels, datasets: datasets },
    options: { animation: false, layout: { padding: { top: 6 } }, responsive: true, maintainAspectRatio: false, scales: scales,
               plugins: { legend: { position: "top",  // in the datasets' order, whichever is drawn on top
                                   labels: { sort: (a, b) => a.datasetIndex - b.datasetIndex } } } },
  });
  canvas.dataset.drawn = "1";  // for tests: the chart is on the page
})();
