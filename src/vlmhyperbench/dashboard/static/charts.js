// Draws every chart whose figure is embedded as <script type="application/json" id="<div id>-data">.
(function () {
  if (typeof Plotly === "undefined") { return; }
  document.querySelectorAll("div.chart").forEach(function (div) {
    var src = document.getElementById(div.id + "-data");
    if (!src) { return; }
    var fig = JSON.parse(src.textContent);
    Plotly.newPlot(div, fig.data, fig.layout, {displaylogo: false, responsive: true});
  });
})();
