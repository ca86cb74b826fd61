// Progressive enhancement: without JavaScript the user presses "Continue" themselves.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-autosubmit]");
  if (form) { form.submit(); }
});
