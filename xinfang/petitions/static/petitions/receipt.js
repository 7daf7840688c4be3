// The receipt's print button (no inline script: the CSP forbids it).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-receipt");
  if (button) button.addEventListener("click", function () { window.print(); });
});
