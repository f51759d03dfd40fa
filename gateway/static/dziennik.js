/* Dziennik elektroniczny: small enhancements only; every page works without this file.
   - the error summary of a form that came back with errors takes the focus (screen readers
     announce it, keyboard users start there);
   - buttons with data-confirm ask before a destructive action (block, revoke, logout everywhere). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  });
  document.addEventListener("submit", function (event) {
    var button = event.submitter || event.target.querySelector("[data-confirm]");
    var text = button && button.getAttribute("data-confirm");
    if (text && !window.confirm(text)) { event.preventDefault(); }
  });
})();
