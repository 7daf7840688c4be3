// What every page of the product does in the browser. Forms speak Chinese, not the browser's
// language: the product's own file control (xinfang/templates/django/forms/widgets/file.html) shows the chosen files' names in place of the
// browser's words; forms are not checked by the browser ("Please fill out this field" in an English
// one) but by the server, whose messages are Chinese; and after a refused submission the summary of
// errors takes the focus, so that a screen reader reads it first. Without this script the forms
// still work: the browser then checks required fields in its own words. On a phone a wide table
// scrolls in its own box (site.css), which the keyboard can then reach.
"use strict";
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches(".file-control input[type=file]")) return;
  var shown = input.parentElement.querySelector(".file-names");
  if (!shown) return;
  var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
  if (!names.length) shown.textContent = "未选择文件";
  else if (names.length === 1) shown.textContent = "已选择：" + names[0];
  else shown.textContent = "已选择" + names.length + "个文件：" + names.join("、");
});
function serverChecked(root) {
  if (root.tagName === "FORM") root.noValidate = true;
  root.querySelectorAll("form").forEach(function (form) { form.noValidate = true; });
}
function scrollingTablesFocusable() {
  document.querySelectorAll("main table").forEach(function (table) {
    if (table.scrollWidth > table.clientWidth + 1 && !table.hasAttribute("tabindex")) table.tabIndex = 0;
  });
}
window.addEventListener("resize", scrollingTablesFocusable);
// Parts of pages loaded later (htmx): their forms too, as soon as they are in the page.
new MutationObserver(function (changes) {
  changes.forEach(function (change) {
    change.addedNodes.forEach(function (node) { if (node.nodeType === 1) serverChecked(node); });
  });
  scrollingTablesFocusable();
}).observe(document.documentElement, { childList: true, subtree: true });
document.addEventListener("DOMContentLoaded", function () {
  serverChecked(document);
  scrollingTablesFocusable();
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});
