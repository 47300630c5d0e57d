// The agent time report's chart (Chart.js, served beside this file with its licence): hours per
// state, stacked, per agent over the range (or per interval when one agent is shown); and the
// agent performance report's, the contacts each agent handled per channel, stacked. The
// figures come from the page (data-chart), computed on the server.
"use strict";
(function () {
  const canvas = document.getElementById("agent-chart") || document.getElementById("performance-chart");
  if (!canvas || typeof Chart === "undefined") return;
  const chart = JSON.parse(canvas.dataset.chart);
  const colours = { ready: "#1a7f37", offered: "#8c959f", talk: "#1f6feb", hold: "#8250df", wrap_up: "#9a6700",
                    not_ready: "#cf222e", phone_handled: "#1f6feb", email_handled: "#9a6700",
                    chat_handled: "#1a7f37" };
  const datasets = chart.states.map((one) => ({
    type: "bar", label: one.label, data: one.data, backgroundColor: colours[one.state], stack: "time",
  }));
  new Chart(canvas, {
    data: { labels: chart.labels, datasets: datasets },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
               scales: { x: { stacked: true, ticks: { autoSkip: true, maxRotation: 0 } },
                         y: { stacked: true, beginAtZero: true, title: { display: true, text: chart.unit } } },
               plugins: { legend: { position: "top", labels: { sort: (a, b) => a.datasetIndex - b.datasetIndex } } } },
  });
  canvas.dataset.drawn = "1";  // for tests: the chart is on the page
})();
