// Draws every chart whose figure is embedded as <script type="application/json" id="<div id>-data">;
// again after live.js has fetched a part of the page anew (a finished run's results).
(function () {
  if (typeof Plotly === "undefined") { return; }
  function draw() {
    document.querySelectorAll("div.chart").forEach(function (div) {
      var src = document.getElementById(div.id + "-data");
      if (!src || div.classList.contains("js-plotly-plot")) { return; }
      var fig = JSON.parse(src.textContent);
      Plotly.newPlot(div, fig.data, fig.layout, {displaylogo: false, responsive: true});
    });
  }
  draw();
  document.addEventListener("vlmhb:refreshed", draw);
})();
