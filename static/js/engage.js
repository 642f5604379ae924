// engage: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Confirm destructive actions marked with data-confirm (the server still decides).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);
  // Move focus to the first field in error after a server-side validation round trip.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector("[aria-invalid=true]");
    if (invalid) { invalid.focus(); }
  });
})();
