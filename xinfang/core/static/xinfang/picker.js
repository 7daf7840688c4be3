// Searchable pickers: every <select data-search> gets a filter box above it (typing part of a
// name narrows the list; the characters may be apart, as in an abbreviation: 住建 finds
// 住房和城乡建设局). A multiple select toggles an option with a plain click (no Ctrl) and
// lists what is chosen below it.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-search]").forEach(function (select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-search";
    box.placeholder = "输入名称筛选";
    box.setAttribute("aria-label", "筛选" + (select.labels && select.labels[0] ? select.labels[0].textContent : "选项"));
    select.parentNode.insertBefore(box, select);
    function matches(name, words) {
      var at = 0;
      for (var i = 0; i < words.length; i++) {
        at = name.indexOf(words[i], at);
        if (at < 0) return false;
        at += 1;
      }
      return true;
    }
    box.addEventListener("input", function () {
      var words = box.value.trim();
      select.querySelectorAll("option").forEach(function (option) {
        option.hidden = words !== "" && option.value !== "" && !matches(option.textContent, words);
      });
      select.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
    });
    if (!select.multiple) return;
    var chosen = document.createElement("p");
    chosen.className = "picker-chosen muted";
    select.parentNode.insertBefore(chosen, select.nextSibling);
    function show() {
      var names = Array.prototype.filter.call(select.options, function (o) { return o.selected; })
        .map(function (o) { return o.textContent; });
      chosen.textContent = names.length ? "已选：" + names.join("、") : "未选择（点击单位即可选中或取消）";
    }
    select.addEventListener("mousedown", function (event) {
      if (event.target.tagName !== "OPTION") return;
      event.preventDefault();
      event.target.selected = !event.target.selected;
      select.focus();
      show();
    });
    select.addEventListener("change", show);
    show();
  });
});
