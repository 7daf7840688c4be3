// 统计分析: draws every panel's chart from the JSON the page carries; clicking a bar, slice or
// block follows its drill-down link (a narrower dashboard, or the matters behind the count).
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("charts-data");
  if (!source || !window.echarts) return;
  var specs = JSON.parse(source.textContent);
  var charts = [];

  function option(spec) {
    var series = (spec.series || []).map(function (s) {
      return { name: s[0], data: s[1], type: spec.type === "stack" ? "bar" : spec.type };
    });
    if (spec.type === "pie") {
      return {
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
    var names = { type: "category", data: spec.x, axisLabel: { interval: 0 } };
    var values = { type: "value", minInterval: 1, name: "件" };
    return {
      tooltip: { trigger: "axis" },
      legend: { data: series.map(function (s) { return s.name; }) },
      grid: { left: horizontal ? 130 : 50, right: 30, bottom: 40 },
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
