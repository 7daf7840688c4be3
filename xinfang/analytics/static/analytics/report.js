// The report's period picker offers the periods of the chosen kind only (月度, 季度 or 年度).
document.addEventListener("DOMContentLoaded", function () {
  var kind = document.getElementById("id_kind");
  var period = document.getElementById("id_period");
  if (!kind || !period) return;
  var groups = { monthly: "月度报告", quarterly: "季度报告", annual: "年度报告" };
  function show() {
    var wanted = groups[kind.value];
    var first = null;
    period.querySelectorAll("optgroup").forEach(function (group) {
      var on = group.label === wanted;
      group.hidden = !on;
      group.disabled = !on;
      // the last whole period first: the current one (至今) only when nothing else is offered
      if (on && !first) {
        var options = Array.prototype.slice.call(group.querySelectorAll("option"));
        first = options.filter(function (o) { return o.textContent.indexOf("至今") < 0; })[0] || options[0];
      }
    });
    var chosen = period.options[period.selectedIndex];
    if ((!chosen || chosen.parentNode.hidden) && first) first.selected = true;
  }
  kind.addEventListener("change", show);
  show();
});
