/* Dziennik elektroniczny: the grade book grid (issue 5). Only a convenience: the grid is a plain
   form that works without this file.
   - In the "Nowa kolumna" inputs, Enter and the down arrow move to the next student, the up arrow
     to the previous one (the value typed stays selected when a field is entered, so a teacher can
     type a whole column without the mouse); Enter on the last student moves to "Zapisz kolumnę". */
(function () {
  "use strict";
  var SELECTOR = "input[data-grade-entry]";

  function entries() {
    return Array.prototype.slice.call(document.querySelectorAll(SELECTOR));
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input || !input.matches || !input.matches(SELECTOR) || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var step = 0;
    if (event.key === "Enter" || event.key === "ArrowDown") { step = 1; }
    else if (event.key === "ArrowUp") { step = -1; }
    else { return; }
    event.preventDefault();
    var list = entries();
    var next = list.indexOf(input) + step;
    if (next < 0) { return; }
    if (next >= list.length) {
      var submit = input.form && input.form.querySelector("[data-grade-submit]");
      if (submit) { submit.focus(); }
      return;
    }
    list[next].focus();
    list[next].select();
  });

  document.addEventListener("focusin", function (event) {
    if (event.target && event.target.matches && event.target.matches(SELECTOR)) { event.target.select(); }
  });
})();
