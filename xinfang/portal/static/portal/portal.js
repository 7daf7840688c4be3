// 网上信访: small helps on top of pages that work without scripts.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // The product's own file control: the chosen files' names, in place of the browser's words.
  document.querySelectorAll(".file-control input[type=file]").forEach(function (input) {
    var names = document.getElementById(input.id + "_names");
    input.addEventListener("change", function () {
      var list = Array.prototype.map.call(input.files, function (f) { return f.name; });
      names.textContent = list.length ? "已选择" + list.length + "个文件：" + list.join("、") : "未选择文件";
    });
  });

  // The place picker: typing part of a name keeps only the places that contain it.
  document.querySelectorAll("input.place-search").forEach(function (search) {
    var select = document.getElementById(search.getAttribute("aria-controls"));
    if (!select) return;
    search.hidden = false;
    search.addEventListener("input", function () {
      var words = search.value.trim();
      var first = null, shown = 0;
      select.querySelectorAll("option").forEach(function (option) {
        if (!option.value) return;
        var group = option.parentElement.tagName === "OPTGROUP" ? option.parentElement.label : "";
        var match = !words || (group + option.textContent).indexOf(words) >= 0;
        option.hidden = !match;
        if (match) { shown += 1; first = first || option; }
      });
      select.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      if (words && shown === 1) select.value = first.value;
    });
  });

  // After a refused submission, the summary of errors gets the focus (and is read out).
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
});
