// 积案化解 burn-down: remaining cases per day against the straight line to zero on the target date.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("burndown");
  var source = document.getElementById("burndown-data");
  if (!box || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(box);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: ["剩余积案", "计划进度"] },
    xAxis: { type: "category", data: data.days },
    yAxis: { type: "value", minInterval: 1, name: "件" },
    series: [
      { name: "剩余积案", type: "line", step: "end", data: data.remaining, areaStyle: { opacity: 0.15 } },
      { name: "计划进度", type: "line", data: data.ideal, lineStyle: { type: "dashed" }, showSymbol: false },
    ],
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
