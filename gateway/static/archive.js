/* Dziennik elektroniczny: the archive's progress bar (issue 8, gateway/templates/archive). Only a
   convenience: without this file the page shows the state when it was loaded and a link
   "Odśwież stan".
   - Every element with data-archive-status (an archive being written, on a page reached by GET)
     asks its URL (/api/v1/archives/<id>/status, the session cookie) every 2 s and updates the
     <progress>, the percentage and the message (a polite live region).
   - When the archive is finished the page reloads to show the files, unless the person has
     started typing in a form on it; then the message says to refresh. */
(function () {
  "use strict";
  var INTERVAL = 2000;
  var FINISHED = { completed: true, failed: true, destroyed: true };
  var STOP = { 401: true, 403: true, 404: true };
  var typed = false;

  document.addEventListener("input", function () { typed = true; });

  function setText(box, selector, text) {
    var el = box.querySelector(selector);
    if (el && el.textContent !== text) { el.textContent = text; }
  }

  function update(box, st) {
    var bar = box.querySelector("progress");
    if (bar) { bar.value = st.percent || 0; bar.textContent = (st.percent || 0) + "%"; }
    setText(box, "[data-archive-percent]", (st.percent || 0) + "%");
    setText(box, "[data-archive-message]", st.message || st.status_pl || "");
  }

  function finished(box, st) {
    if (!typed) { window.location.reload(); return; }
    setText(box, "[data-archive-message]",
            "Archiwum: " + (st.status_pl || st.status) + ". Odśwież stronę, aby zobaczyć wynik.");
  }

  function poll(box, delay) {
    window.setTimeout(function () {
      fetch(box.getAttribute("data-archive-status"), {
        credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (STOP[response.status]) { return null; }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (st) {
        if (!st) { return; }
        update(box, st);
        if (FINISHED[st.status]) { finished(box, st); } else { poll(box, INTERVAL); }
      }).catch(function () {
        poll(box, Math.min(delay * 2, 30000));     // a service restarting: ask less often
      });
    }, delay);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll("[data-archive-status]");
    Array.prototype.forEach.call(boxes, function (box) {
      var refresh = box.querySelector("[data-archive-refresh]");
      if (refresh) { refresh.hidden = true; }       // the page refreshes itself
      poll(box, INTERVAL);
    });
  });
})();
