// The registration form shows one petitioner row; 「添加一位信访人」 shows the next empty one.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("add-petitioner");
  if (!button) return;
  function hiddenRows() { return document.querySelectorAll(".petitioner-row[hidden]"); }
  function update() { button.hidden = hiddenRows().length === 0; }
  button.addEventListener("click", function () {
    var next = hiddenRows()[0];
    if (!next) return;
    next.hidden = false;
    var input = next.querySelector("input");
    if (input) input.focus();
    update();
  });
  update();
});
