// The timeline of an agent's day: each block and hour placed at its share of the day (the page
// gives it as data-left and data-width, in %, computed on the server; the Content-Security-Policy
// allows no style attribute in the page, so they are set here).
"use strict";
(function () {
  const timeline = document.getElementById("timeline");
  if (!timeline) return;
  for (const element of timeline.querySelectorAll("[data-left]")) {
    element.style.left = element.dataset.left + "%";
    if (element.dataset.width) element.style.width = element.dataset.width + "%";
  }
  timeline.dataset.placed = "1";  // for tests: the blocks are where they belong
})();
