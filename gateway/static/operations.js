/* Dziennik elektroniczny – panel operacyjny (gateway/web/operations.py, /operacje).
   The page is complete without this file. With it:
   - every few seconds the operations API is fetched (/api/v1/ops/instances?summary=1 and
     /api/v1/ops/queues, with the session cookie) and the tables of services, instances, recent
     errors, queues and dead letters are redrawn in place (the page is not reloaded);
   - the calls and errors per second of each service are kept in the browser (sessionStorage,
     the last few minutes) and drawn as small inline SVG sparklines;
   - a button pauses and resumes the refreshing (WCAG 2.2.2); fetch errors are shown once, and
     an ended session stops the refreshing with a link to the login page.
   No library, no build step; the markup mirrors gateway/templates/operations/dashboard.html. */
(function () {
  "use strict";
  var root = document.querySelector("[data-ops-dashboard]");
  if (!root || !window.fetch || !window.JSON) { return; }
  var S;
  try { S = JSON.parse(root.getAttribute("data-ops-settings")); } catch (e) { return; }

  var STORE = "dz-ops-history";
  var SVG = "http://www.w3.org/2000/svg";
  var windowMs = S.historyMinutes * 60000;
  var timer = null, paused = false, stopped = false, count = 0, lastError = null;
  var history = loadHistory();
  var STATUS = { ok: "działa", degraded: "działa z problemami", down: "nie działa" };
  var INSTANCE_STATUS = { ok: "działa", db: "błąd bazy danych", stale: "brak sygnału" };

  // ---------------------------------------------------------------- small helpers
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined) { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) { return; }
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function fill(node, children) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
    children.forEach(function (c) { node.appendChild(c); });
  }
  function num(value, digits) {
    if (value === null || value === undefined) { return "—"; }
    return Number(value).toFixed(digits === undefined ? 2 : digits).replace(".", ",");
  }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) { return "—"; }
    var s = Math.floor(seconds);
    if (s < 60) { return s + " s"; }
    if (s < 3600) { return Math.floor(s / 60) + " min"; }
    if (s < 86400) { return Math.floor(s / 3600) + " h " + Math.floor(s % 3600 / 60) + " min"; }
    return Math.floor(s / 86400) + " d " + Math.floor(s % 86400 / 3600) + " h";
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(epochSeconds) {
    if (typeof epochSeconds !== "number") { return "—"; }
    var d = new Date(epochSeconds * 1000), today = new Date();
    var time = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    if (d.toDateString() === today.toDateString()) { return time; }
    return pad(d.getDate()) + "." + pad(d.getMonth() + 1) + "." + d.getFullYear() + " " + time.slice(0, 5);
  }
  function badge(ok, text) { return el("span", { "class": "badge " + (ok ? "badge--ok" : "badge--err") }, [text]); }
  function sub(text, extra) { return el("span", { "class": "ops-sub" + (extra ? " " + extra : "") }, [text]); }
  function code(text) { return el("code", {}, [text]); }
  function td(children, cls) { return el("td", cls ? { "class": cls } : {}, children); }
  function emptyRow(cols, text) { return el("tr", {}, [el("td", { colspan: cols, "class": "empty" }, [text])]); }
  function sum(values) {
    var seen = false, total = 0;
    values.forEach(function (v) { if (v !== null && v !== undefined) { seen = true; total += v; } });
    return seen ? Math.round(total * 1000) / 1000 : null;
  }

  // ---------------------------------------------------------------- figures (as in operations.py)
  function instanceStatus(i) {
    if (!i.alive) { return "stale"; }
    return (i.database || "ok") === "ok" ? "ok" : "db";
  }
  function serviceRows(instances) {
    var names = S.services.map(function (s) { return s[0]; });
    var labels = {};
    S.services.forEach(function (s) { labels[s[0]] = s[1]; });
    instances.forEach(function (i) { if (names.indexOf(i.service) < 0) { names.push(i.service); } });
    return names.map(function (name) {
      var mine = instances.filter(function (i) { return i.service === name; });
      var alive = mine.filter(function (i) { return i.alive; });
      var healthy = alive.filter(function (i) { return (i.database || "ok") === "ok"; });
      var status = !alive.length ? "down" : (healthy.length < mine.length ? "degraded" : "ok");
      var rates = alive.map(function (i) { return i.rates; }).filter(Boolean);
      var calls = 0, errors = 0, backlog = null, outboxError = null;
      alive.forEach(function (i) {
        var t = i.totals || {};
        calls += (t.rpc || 0) + (t.event || 0);
        errors += t.errors || 0;
        if (i.outbox_backlog !== null && i.outbox_backlog !== undefined) { backlog = Math.max(backlog === null ? 0 : backlog, i.outbox_backlog); }
        if (!outboxError && i.outbox_last_error) { outboxError = i.outbox_last_error; }
      });
      return {
        service: name, label: labels[name] || "", status: status, alive: alive.length, known: mine.length,
        rpc: rates.length ? sum(rates.map(function (r) { return r.rpc_per_s; })) : null,
        event: rates.length ? sum(rates.map(function (r) { return r.event_per_s; })) : null,
        error: rates.length ? sum(rates.map(function (r) { return r.error_per_s; })) : null,
        errors: errors, share: calls ? Math.round(10000 * errors / calls) / 100 : null,
        backlog: backlog, outboxError: outboxError
      };
    });
  }

  // ---------------------------------------------------------------- the tables
  function tbody(name) { return root.querySelector("[data-ops-rows='" + name + "']"); }

  function renderServices(rows) {
    var body = tbody("services");
    if (!body) { return; }
    fill(body, rows.map(function (s) {
      var outbox = [s.backlog === null ? "—" : String(s.backlog)];
      if (s.outboxError) { outbox.push(sub(s.outboxError, "ops-err")); }
      return el("tr", { "data-service": s.service }, [
        el("th", { scope: "row" }, [s.service, sub(s.label)]),
        td([badge(s.status === "ok", STATUS[s.status])]),
        td([s.alive + " z " + s.known], "num"),
        td([num(s.rpc)], "num"), td([num(s.event)], "num"), td([num(s.error)], "num"),
        td([s.errors + (s.share === null ? "" : " (" + num(s.share) + "%)")], "num"),
        td(outbox, "num")
      ]);
    }));
  }

  function renderInstances(instances) {
    var body = tbody("instances");
    if (!body) { return; }
    if (!instances.length) {
      fill(body, [emptyRow(10, "Żadna instancja nie wysłała sygnału życia. Czy usługi działają i łączą się z tym samym RabbitMQ?")]);
      return;
    }
    fill(body, instances.map(function (i) {
      var status = instanceStatus(i), t = i.totals || {};
      var state = [badge(status === "ok", INSTANCE_STATUS[status])];
      if (i.database_error) { state.push(sub(i.database_error, "ops-err")); }
      return el("tr", { "data-instance": i.instance }, [
        td([i.service]),
        el("th", { scope: "row" }, [code(i.instance), sub(i.host + ", PID " + i.pid)]),
        td(state),
        td([duration(i.age_s) + " temu", sub(clock(i.received_at))]),
        td([duration(i.uptime_s)]), td([i.version || ""]),
        td([String(t.rpc || 0)], "num"), td([String(t.event || 0)], "num"), td([String(t.errors || 0)], "num"),
        td([i.outbox_backlog === null || i.outbox_backlog === undefined ? "—" : String(i.outbox_backlog)], "num")
      ]);
    }));
  }

  function renderErrors(instances) {
    var body = tbody("errors");
    if (!body) { return; }
    var found = [];
    instances.forEach(function (i) {
      (i.recent_errors || []).forEach(function (e) { found.push({ e: e, service: i.service, instance: i.instance }); });
    });
    found.sort(function (a, b) { return (b.e.at || 0) - (a.e.at || 0); });
    found = found.slice(0, 20);
    if (!found.length) { fill(body, [emptyRow(5, "Brak błędów od startu instancji.")]); return; }
    fill(body, found.map(function (f) {
      var kind = f.e.kind === "rpc" ? "RPC" : (f.e.kind === "event" ? "zdarzenie" : f.e.kind);
      return el("tr", {}, [
        td([clock(f.e.at)], "nowrap"), td([f.service, el("span", { "class": "ops-sub" }, [code(f.instance)])]),
        td([kind + " ", code(f.e.method || "")]), td([f.e.error || ""], "details"), td([code(f.e.call_id || "—")])
      ]);
    }));
  }

  function describeQueue(base) {
    var parts = base.split("--"), head = parts[0], handler = parts[1] || "—";
    var event = head.indexOf("evt-") === 0 ? head.slice(4) : head;
    if (event === "all") { return { event: "każde zdarzenie", handler: handler }; }
    var dash = event.indexOf("-");
    return { event: dash > 0 ? event.slice(0, dash) + "." + event.slice(dash + 1) : event, handler: handler };
  }

  function queueGroups(queues) {
    var rpc = [], handlers = {}, order = [], other = 0, replies = 0, messages = 0;
    queues.forEach(function (q) {
      var name = q.name;
      if (name.indexOf("rpc.reply-") === 0) { replies += 1; return; }
      messages += q.messages || 0;
      if (name.indexOf("rpc-") === 0) {
        rpc.push({ q: q, problem: q.consumers ? null : "brak konsumenta" });
      } else if (name.indexOf("evt-") === 0) {
        var part = /\.dlq$/.test(name) ? "dlq" : (/\.retry$/.test(name) ? "retry" : "main");
        var base = part === "main" ? name : name.slice(0, -(part.length + 1));
        if (!handlers[base]) {
          var d = describeQueue(base);
          handlers[base] = { queue: base, event: d.event, handler: d.handler, mainFound: false, messages: 0, retry: 0,
                             dead: 0, consumers: 0, rate: 0, dlq: base + ".dlq" };
          order.push(base);
        }
        var h = handlers[base];
        if (part === "main") { h.mainFound = true; h.messages = q.messages; h.consumers = q.consumers; h.rate = q.publish_rate || 0; }
        else if (part === "retry") { h.retry = q.messages; }
        else { h.dead = q.messages; }
      } else { other += 1; }
    });
    var rows = order.map(function (k) { return handlers[k]; });
    rows.forEach(function (h) {
      var problems = [];
      if (h.dead) { problems.push("nieprzetworzone: " + h.dead); }
      if (h.mainFound && !h.consumers) { problems.push("brak konsumenta"); }
      h.problem = problems.join(", ") || null;
    });
    rows.sort(function (a, b) { return a.handler < b.handler ? -1 : a.handler > b.handler ? 1 : (a.event < b.event ? -1 : a.event > b.event ? 1 : 0); });
    rpc.sort(function (a, b) { return a.q.name < b.q.name ? -1 : 1; });
    return { rpc: rpc, handlers: rows, other: other, replies: replies, total: queues.length, messages: messages };
  }

  function table(label, caption, heads, numeric, name, rows) {
    return el("div", { "class": "table-wrap", role: "region", "aria-label": label, tabindex: "0" }, [
      el("table", { "class": "ops-table" }, [
        el("caption", {}, [caption]),
        el("thead", {}, [el("tr", {}, heads.map(function (h, n) {
          return el("th", { scope: "col", "class": numeric.indexOf(n) >= 0 ? "num" : null }, [h]);
        }))]),
        el("tbody", { "data-ops-rows": name }, rows)])]);
  }

  function dlqLink(queue) { return S.deadLetterUrl.replace("__QUEUE__", encodeURIComponent(queue)); }

  function renderQueues(answer) {
    var box = root.querySelector("[data-ops-queues]");
    var dlq = root.querySelector("[data-ops-dlq]");
    if (!box) { return; }
    if (!answer.available) {
      fill(box, [el("div", { "class": "alert alert-error", "data-ops-queue-reason": "" }, [
        el("p", {}, ["Głębokości kolejek i liczby konsumentów są niedostępne: " + (answer.reason || "")]),
        el("p", {}, ["Pozostałe dane panelu pochodzą z sygnałów życia usług i działają bez API zarządzania."])])]);
      if (dlq) {
        fill(dlq, [el("p", { "class": "empty" }, ["Bez API zarządzania RabbitMQ lista kolejek nie jest znana: podaj nazwę kolejki poniżej (wypisuje je ",
          code("python -m services.topology"), ")."])]);
      }
      return;
    }
    var g = queueGroups(answer.queues || []);
    var rpcRows = g.rpc.map(function (r) {
      var q = r.q;
      return el("tr", { "data-queue": q.name }, [
        el("th", { scope: "row" }, [code(q.name)]), td([String(q.messages)], "num"), td([String(q.consumers)], "num"),
        td([num(q.publish_rate)], "num"), td([num(q.deliver_rate)], "num"), td([r.problem ? badge(false, r.problem) : "—"])]);
    });
    if (!rpcRows.length) { rpcRows.push(emptyRow(6, "Brak kolejek RPC: żadna usługa jeszcze nie wystartowała.")); }
    var eventRows = g.handlers.map(function (h) {
      var dead = h.dead ? el("a", { href: dlqLink(h.dlq) }, [String(h.dead),
        el("span", { "class": "visually-hidden" }, [" – pokaż zdarzenia nieprzetworzone " + h.handler])]) : "0";
      return el("tr", { "data-queue": h.queue }, [
        el("th", { scope: "row" }, [code(h.handler)]), td([code(h.event)]), td([String(h.messages)], "num"),
        td([String(h.retry)], "num"), td([dead], "num"), td([String(h.consumers)], "num"), td([num(h.rate)], "num"),
        td([h.problem ? badge(false, h.problem) : "—"])]);
    });
    if (!eventRows.length) {
      eventRows.push(el("tr", {}, [el("td", { colspan: 8, "class": "empty" }, ["Brak kolejek zdarzeń: uruchom ",
        code("python -m services.topology"), "."])]));
    }
    fill(box, [
      el("p", { "data-ops-queue-summary": "" }, ["Kolejek: " + g.total + ", wiadomości w nich: " + g.messages +
        ". Niewymienione: kolejki odpowiedzi RPC (" + g.replies + ") i inne (" + g.other + ")."]),
      table("Kolejki RPC usług", "Kolejki RPC usług", ["Kolejka", "Wiadomości", "Konsumenci", "Przychodzi/s", "Wychodzi/s", "Uwagi"],
            [1, 2, 3, 4], "rpc-queues", rpcRows),
      table("Kolejki obsługi zdarzeń", "Kolejki obsługi zdarzeń (główna, ponowienia, nieprzetworzone)",
            ["Obsługa", "Zdarzenie", "W kolejce", "Ponawiane", "Nieprzetworzone", "Konsumenci", "Przychodzi/s", "Uwagi"],
            [2, 3, 4, 5, 6], "event-queues", eventRows)]);
    if (dlq) {
      var dead = (answer.queues || []).filter(function (q) { return /\.dlq$/.test(q.name) && q.messages; });
      if (!dead.length) { fill(dlq, [el("p", { "class": "empty" }, ["Brak zdarzeń nieprzetworzonych."])]); }
      else {
        fill(dlq, [el("ul", { "class": "ops-dlq-list" }, dead.map(function (q) {
          return el("li", {}, [el("a", { href: dlqLink(q.name) }, [code(q.name)]), ": ", badge(false, String(q.messages))]);
        }))]);
      }
    }
  }

  // ---------------------------------------------------------------- history and sparklines
  function loadHistory() {
    try {
      var h = JSON.parse(window.sessionStorage.getItem(STORE) || "{}");
      return h && typeof h === "object" ? h : {};
    } catch (e) { return {}; }
  }
  function saveHistory() {
    try { window.sessionStorage.setItem(STORE, JSON.stringify(history)); } catch (e) { /* private mode: memory only */ }
  }
  function record(rows, now) {
    rows.forEach(function (s) {
      var calls = null, errors = null;
      if (!s.alive) { calls = 0; errors = 0; }
      else if (s.rpc !== null) { calls = (s.rpc || 0) + (s.event || 0); errors = s.error || 0; }
      if (calls === null) { return; }   // instances just started: no rate yet
      var points = history[s.service] = (history[s.service] || []).filter(function (p) { return p[0] >= now - windowMs; });
      points.push([now, Math.round(calls * 1000) / 1000, Math.round(errors * 1000) / 1000]);
    });
    Object.keys(history).forEach(function (k) {
      history[k] = history[k].filter(function (p) { return p[0] >= now - windowMs; });
      if (!history[k].length) { delete history[k]; }
    });
    saveHistory();
  }
  function sparkline(points, index, what, now) {
    // The time axis spans the history gathered so far (at least a minute, at most the window),
    // so a panel opened a moment ago still draws a readable line.
    var span = Math.min(windowMs, Math.max(60000, points.length ? now - points[0][0] : 0));
    var w = 120, h = 28, top = 3, bottom = h - 2, t0 = now - span, max = 0;
    points.forEach(function (p) { max = Math.max(max, p[index]); });
    var minutes = Math.max(1, Math.round(span / 60000));
    var label = what + " na sekundę, ostatnie " + minutes + " min: " +
      (points.length ? "teraz " + num(points[points.length - 1][index]) + ", najwięcej " + num(max) : "brak danych");
    var chart = svg("svg", { viewBox: "0 0 " + w + " " + h, width: w, height: h, role: "img", "aria-label": label, focusable: "false" });
    chart.appendChild(svg("line", { "class": "ops-spark__base", x1: 0, y1: bottom, x2: w, y2: bottom }));
    var xy = points.map(function (p) {
      var x = Math.max(0, Math.min(w, (p[0] - t0) / span * w));
      var y = max > 0 ? bottom - p[index] / max * (bottom - top) : bottom;
      return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
    });
    if (xy.length === 1) {
      chart.appendChild(svg("circle", { cx: xy[0][0], cy: xy[0][1], r: 2 }));
    } else if (xy.length > 1) {
      chart.appendChild(svg("polyline", { points: xy.map(function (p) { return p.join(","); }).join(" ") }));
    }
    return chart;
  }
  function drawSparks(now) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-spark]"), function (box) {
      var parts = box.getAttribute("data-spark").split(":");
      var points = history[parts[0]] || [];
      var index = parts[1] === "errors" ? 2 : 1;
      var value = el("span", { "class": "ops-spark__value" }, [points.length ? num(points[points.length - 1][index]) : "—"]);
      fill(box, [sparkline(points, index, index === 2 ? "Błędy" : "Wywołania", now), value]);
    });
  }

  // ---------------------------------------------------------------- refreshing
  function getJSON(url) {
    return window.fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { var err = new Error("HTTP " + r.status); err.status = r.status; throw err; }
        return r.json();
      });
  }

  function showError(err) {
    var box = root.querySelector("[data-ops-error]");
    if (!box) { return; }
    var text = null, link = null;
    if (err) {
      if (err.status === 401) {
        stopped = true;
        text = "Sesja wygasła: odświeżanie zatrzymane. ";
        link = el("a", { href: "/logowanie?next=" + encodeURIComponent(window.location.pathname) }, ["Zaloguj się ponownie"]);
      } else if (err.status === 403) {
        stopped = true;
        text = "Brak dostępu do danych operacyjnych: odświeżanie zatrzymane.";
      } else {
        text = "Nie udało się odświeżyć danych (" + (err.status ? "HTTP " + err.status : "brak połączenia") +
          "). Kolejna próba za " + S.refresh + " s.";
      }
    }
    if (text === lastError) { return; }   // announce a change only, not every attempt
    lastError = text;
    if (!text) { box.hidden = true; fill(box, []); return; }
    fill(box, link ? [document.createTextNode(text), link] : [document.createTextNode(text)]);
    box.hidden = false;
  }

  function updateStatus(now) {
    var time = root.querySelector("[data-ops-updated]");
    if (time) {
      time.textContent = clock(now / 1000);
      time.setAttribute("datetime", new Date(now).toISOString().replace(/\.\d+Z$/, "Z"));
    }
    var counter = root.querySelector("[data-ops-count]");
    if (counter) {
      counter.setAttribute("data-count", String(count));
      counter.textContent = "Odświeżeń od otwarcia: " + count + ".";
    }
  }

  function setMode() {
    var mode = root.querySelector("[data-ops-mode]");
    if (mode) {
      mode.textContent = stopped ? "Odświeżanie zatrzymane." :
        (paused ? "Odświeżanie wstrzymane." : "Odświeżane samoczynnie co " + S.refresh + " s.");
    }
  }

  function refresh() {
    timer = null;
    if (paused || stopped) { return; }
    if (document.hidden) { schedule(); return; }
    Promise.all([getJSON(S.instancesUrl), getJSON(S.queuesUrl)]).then(function (answers) {
      var now = Date.now();
      var instances = answers[0].instances || [];
      var rows = serviceRows(instances);
      renderServices(rows);
      renderInstances(instances);
      renderErrors(instances);
      renderQueues(answers[1]);
      record(rows, now);
      drawSparks(now);
      count += 1;
      updateStatus(now);
      showError(null);
    }).catch(function (err) {
      showError(err);
    }).then(function () {
      setMode();
      schedule();
    });
  }

  function schedule() {
    if (!paused && !stopped && timer === null) { timer = window.setTimeout(refresh, S.refresh * 1000); }
  }

  function addPauseButton() {
    var controls = root.querySelector("[data-ops-controls]");
    if (!controls) { return; }
    var button = el("button", { type: "button", "class": "button button--secondary button--small", "data-ops-pause": "" },
      ["Wstrzymaj odświeżanie"]);
    button.addEventListener("click", function () {
      paused = !paused;
      button.textContent = paused ? "Wznów odświeżanie" : "Wstrzymaj odświeżanie";
      if (paused && timer !== null) { window.clearTimeout(timer); timer = null; }
      setMode();
      if (!paused) { refresh(); }
    });
    controls.insertBefore(button, controls.firstChild);
  }

  addPauseButton();
  setMode();
  drawSparks(Date.now());
  refresh();   // at once: the sparklines start from the figures of this moment
})();
