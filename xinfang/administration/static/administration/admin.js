// 系统管理: the product's own file control (the chosen file's name in Chinese words), and the error
// summary taking the focus so that a screen reader reads it first.
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches(".file-control input[type=file]")) return;
  var shown = input.parentElement.querySelector(".file-name");
  if (!shown) return;
  shown.textContent = input.files.length ? "已选择：" + input.files[0].name : shown.dataset.empty;
});
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});
