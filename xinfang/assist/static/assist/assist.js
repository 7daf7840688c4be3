// One-click use of a suggestion: a button with data-fill="<field id>" and data-value sets that form
// field; the chosen suggestion is also written to the hidden assist_* fields so the server can tell
// an accepted suggestion from a corrected one.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-fill]");
  if (!button) return;
  event.preventDefault();
  var field = document.getElementById(button.dataset.fill);
  if (!field) return;
  field.value = button.dataset.value;
  field.dispatchEvent(new Event("change", { bubbles: true }));
  field.classList.add("filled-by-suggestion");
  button.classList.add("used");
  var done = button.parentElement.querySelector(".fill-done");
  if (done) done.textContent = "已采用";
});
