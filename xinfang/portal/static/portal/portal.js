// 网上信访: small helps on top of pages that work without scripts.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
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
});
