// 统计分析: draws every panel's chart from the JSON the page carries; clicking a bar, slice or
// block follows its drill-down link (a narrower dashboard, or the matters behind the count).
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("charts-data");
  if (!source || !window.echarts) return;
  var specs = JSON.parse(source.textContent);
  var charts = [];
  // Colours that mean something: 超期 red and 临期 amber as in the lists' deadline lights; this
  // period blue against last year's grey.
  var PALETTE = ["#1d4ed8", "#d97706", "#0f766e", "#7c3aed", "#be185d", "#4b5563", "#0891b2", "#a16207"];
  var COLORS = { "超期": "#b91c1c", "临期": "#d97706", "其他在办": "#60a5fa", "本期": "#1d4ed8", "同期": "#9ca3af" };

  function option(spec) {
    var series = (spec.series || []).map(function (s) {
      var one = { name: s[0], data: s[1], type: spec.type === "stack" ? "bar" : spec.type };
      if (COLORS[s[0]]) one.color = COLORS[s[0]];
      return one;
    });
    if (spec.type === "pie") {
      return {
        color: PALETTE,
        tooltip: { trigger: "item", formatter: "{b}：{c}件（{d}%）" },
        series: [{
          type: "pie", radius: ["35%", "65%"],
          data: spec.x.map(function (name, i) { return { name: name, value: spec.series[0][1][i] }; }),
        }],
      };
    }
    if (spec.type === "treemap") {
      return {
        tooltip: { formatter: "{b}：{c}件" },
        series: [{
          type: "treemap", roam: false, nodeClick: false, breadcrumb: { show: false },
          leafDepth: 2, data: spec.data,
          levels: [{ itemStyle: { borderWidth: 2, gapWidth: 2 } }, { itemStyle: { gapWidth: 1 } }],
          upperLabel: { show: true, height: 20 },
        }],
      };
    }
    if (spec.type === "stack") {
      series.forEach(function (s) { s.stack = "all"; });
    }
    var horizontal = spec.type === "bar" || spec.type === "stack";
    // Long unit names are cut (the tooltip has them whole); a time axis shows what fits.
    var names = {
      type: "category", data: spec.x,
      axisLabel: horizontal ? { interval: 0, width: 120, overflow: "truncate" } : { hideOverlap: true },
    };
    var values = { type: "value", minInterval: 1 };
    var legend = series.length > 1;
    return {
      color: PALETTE,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "件"; } },
      // The legend sits in its own band above the plot: the grid starts below it.
      legend: legend ? { top: 0, type: "scroll", data: series.map(function (s) { return s.name; }) } : { show: false },
      grid: { top: legend ? 36 : 16, left: 8, right: 24, bottom: 8, containLabel: true },
      xAxis: horizontal ? values : names,
      yAxis: horizontal ? Object.assign({ inverse: true }, names) : values,
      series: series,
    };
  }

  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var spec = specs[box.dataset.chart];
    if (!spec) return;
    var chart = echarts.init(box);
    chart.setOption(option(spec));
    chart.on("click", function (event) {
      var link = (event.data && event.data.link) || (spec.links && spec.links[event.dataIndex]);
      if (link) window.location.href = link;
    });
    box.dataset.rendered = "1";
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
});
