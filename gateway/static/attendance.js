/* Dziennik elektroniczny – frekwencja: the lesson's attendance form, faster with JavaScript.
   Without this file the form is plain radio groups (everyone "obecny" by default, one click per
   exception, one submit). With it:
   - a student's name becomes a button: each click (tap) moves that student to the next category
     (ob → nb → sp → zw → ns → ob), so an exception is one tap on the name or on its symbol;
   - a live summary counts the class by category ("obecni 24, nieobecni 2, ...");
   - "Wszyscy obecni" sets everyone back to present before saving. */
(function () {
  "use strict";
  function radiosOf(row) { return Array.prototype.slice.call(row.querySelectorAll("input[type=radio]")); }

  function init(form) {
    var rows = Array.prototype.slice.call(form.querySelectorAll(".att-row fieldset"));
    var summary = form.querySelector("[data-att-summary]");
    var editable = rows.some(function (r) { return radiosOf(r).some(function (i) { return !i.disabled; }); });

    function update() {
      if (!summary) { return; }
      var counts = {}, order = [];
      rows.forEach(function (row) {
        var checked = row.querySelector("input[type=radio]:checked");
        if (!checked) { return; }
        var label = form.querySelector("label[for='" + checked.id + "']");
        var text = label ? label.textContent.replace(/\s+/g, " ").trim() : checked.value;
        if (!(text in counts)) { counts[text] = 0; order.push(text); }
        counts[text] += 1;
      });
      summary.textContent = "Podsumowanie: " + order.map(function (k) { return k + ": " + counts[k]; }).join("; ") + ".";
    }

    if (editable) {
      rows.forEach(function (row) {
        var name = row.querySelector("[data-att-name]");
        var radios = radiosOf(row);
        if (!name || !radios.length) { return; }
        var button = document.createElement("button");
        button.type = "button";
        button.className = "att-cycle";
        button.textContent = name.textContent;
        var hint = document.createElement("span");
        hint.className = "visually-hidden";
        hint.textContent = " – kliknij, aby zmienić kategorię";
        button.appendChild(hint);
        button.addEventListener("click", function () {
          var i = radios.findIndex(function (r) { return r.checked; });
          var next = radios[(i + 1) % radios.length];
          next.checked = true;
          next.dispatchEvent(new Event("change", { bubbles: true }));
        });
        name.textContent = "";
        name.appendChild(button);
      });
      var actions = form.querySelector(".actions");
      if (actions) {
        var reset = document.createElement("button");
        reset.type = "button";
        reset.className = "button button--secondary";
        reset.textContent = "Wszyscy obecni";
        reset.addEventListener("click", function () {
          rows.forEach(function (row) {
            var first = row.querySelector("input[type=radio][data-kind=present]");
            if (first) { first.checked = true; }
          });
          update();
        });
        actions.appendChild(reset);
      }
    }
    form.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-att-form]"), init);
  });
})();
