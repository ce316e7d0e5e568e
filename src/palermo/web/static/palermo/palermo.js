// Palermo's only script besides htmx: confirm destructive actions marked with
// data-confirm (a fallback; destructive actions also have a confirmation page).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) { event.preventDefault(); }
});
// Print buttons (no inline handlers: the Content-Security-Policy forbids them).
document.addEventListener("click", function (event) {
  var target = event.target.closest && event.target.closest("[data-print]");
  if (target) { window.print(); }
});
// Error summary (GOV.UK pattern): take the focus, so a screen reader reads the problems and
// a keyboard user is one Tab away from the first field to correct.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
});
