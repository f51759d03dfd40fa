"""The operations dashboard (OPS-4, issue 9 item 2): for the association administrator only.

One page, ``/operacje``, shows what the gateway's operations API (gateway/ops.py) knows:

- every service of ``services.common.config.SERVICES`` and its live instances (heartbeats
  collected by the gateway): health, last heartbeat, database, version, uptime;
- request (RPC) and event rates and error rates (``rates`` of each instance, per second over the
  last heartbeats), errors since start, and the recent errors of every instance;
- the outbox backlog of each service (events committed, not yet published);
- RabbitMQ queue depths and consumers from the management API when it is enabled (the page
  says so, with the reason, when it is not);
- dead-lettered events: the dead-letter queues that hold messages, each opened on its own page
  (``/operacje/zdarzenia-nieprzetworzone/<queue>``: peek without consuming) with replay of all
  or of one event (a POST form: the same ``replay_dead_letters`` as the API's replay route);
- the last archive of every school (archive's ``list_archives``), when archive is running.

Refreshing: ``static/operations.js`` fetches ``/api/v1/ops/instances?summary=1`` and
``/api/v1/ops/queues`` every ``REFRESH_SECONDS`` and redraws the tables, and draws the request
and error rates of the last minutes as inline SVG sparklines (the history is kept in the
browser, in sessionStorage). Without JavaScript the page is complete as served and reloads
itself every ``NOSCRIPT_REFRESH_SECONDS`` (a meta refresh inside ``<noscript>``, which a
link turns off: ``?odswiezanie=0``); a link reloads it at once. No inline script or style (CSP).
"""
import json
import logging
import time
from datetime import datetime, timezone

import amqp
import kombu.exceptions
from flask import flash, redirect, render_template, request, url_for

from services.common import config
from services.common.errors import RegisterError, Unavailable

from .. import ops
from .. import rpc
from ..auth import ASSOCIATION_ADMIN
from . import WARSAW
from .base import requires_page, web_blueprint
from .nav import add_nav

log = logging.getLogger("gateway.web.operations")

bp = web_blueprint("operations_web", __name__)

add_nav("operations_web.dashboard", "Panel operacyjny", [ASSOCIATION_ADMIN], order=12,
        description="Usługi i ich instancje, ruch i błędy, kolejki RabbitMQ, zdarzenia nieprzetworzone, archiwa.")

REFRESH_SECONDS = 5             # the script's fetch interval
NOSCRIPT_REFRESH_SECONDS = 30   # the meta refresh without JavaScript
HISTORY_MINUTES = 10            # what the sparklines show (kept in the browser)
RECENT_ERRORS = 20
DEAD_LETTER_PEEK = 50

SERVICE_LABELS = {
    "identity": "konta, logowanie, kartoteki",
    "scheduling": "organizacja szkoły i plan lekcji",
    "grades": "oceny",
    "attendance": "frekwencja",
    "messaging": "wiadomości i ogłoszenia",
    "archive": "archiwum i kopie",
}
STATUS_TEXT = {"ok": "działa", "degraded": "działa z problemami", "down": "nie działa"}
INSTANCE_STATUS_TEXT = {"ok": "działa", "db": "błąd bazy danych", "stale": "brak sygnału"}
BROKER_ERRORS = (OSError, amqp.exceptions.AMQPError, kombu.exceptions.OperationalError)
BROKER_DOWN = "Brak połączenia z RabbitMQ ({error}). Spróbuj ponownie za chwilę."


# ------------------------------------------------------------------ figures for the templates

def num_pl(value, digits=2):
    """1.5 -> "1,50"; None -> "—" (Polish decimal comma)."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",")


def duration_pl(seconds):
    """Uptime or age in words: "45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    if seconds is None:
        return "—"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def clock_pl(epoch, seconds=True):
    """An epoch time as Polish local time "13:05:09" (today) or "05.09.2025 13:05"."""
    if not isinstance(epoch, (int, float)):
        return "—"
    dt = datetime.fromtimestamp(epoch, timezone.utc).astimezone(WARSAW)
    if dt.date() == datetime.now(WARSAW).date():
        return dt.strftime("%H:%M:%S" if seconds else "%H:%M")
    return dt.strftime("%d.%m.%Y %H:%M")


def events_pl(n):
    """1 zdarzenie, 2 zdarzenia, 5 zdarzeń."""
    if n == 1:
        return "1 zdarzenie"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return f"{n} zdarzenia"
    return f"{n} zdarzeń"


def instance_status(i):
    if not i.get("alive"):
        return "stale"
    return "ok" if i.get("database", "ok") == "ok" else "db"


def _sum(values):
    values = [v for v in values if v is not None]
    return round(sum(values), 3) if values else None


def service_rows(instances, services=None):
    """One row per service (the configured ones, then any other that sent heartbeats)."""
    names = list(services or config.SERVICES)
    names += sorted({i["service"] for i in instances} - set(names))
    rows = []
    for name in names:
        mine = [i for i in instances if i["service"] == name]
        alive = [i for i in mine if i.get("alive")]
        healthy = [i for i in alive if i.get("database", "ok") == "ok"]
        if not alive:
            status = "down"
        elif len(healthy) < len(mine):
            status = "degraded"
        else:
            status = "ok"
        rates = [i["rates"] for i in alive if i.get("rates")]
        totals = [i.get("totals") or {} for i in alive]
        calls = sum(t.get("rpc", 0) + t.get("event", 0) for t in totals)
        errors = sum(t.get("errors", 0) for t in totals)
        backlogs = [i.get("outbox_backlog") for i in alive if i.get("outbox_backlog") is not None]
        rows.append({
            "service": name, "label": SERVICE_LABELS.get(name, ""), "status": status,
            "status_text": STATUS_TEXT[status], "alive": len(alive), "known": len(mine),
            "rpc_per_s": _sum(r["rpc_per_s"] for r in rates) if rates else None,
            "event_per_s": _sum(r["event_per_s"] for r in rates) if rates else None,
            "error_per_s": _sum(r["error_per_s"] for r in rates) if rates else None,
            "errors": errors, "calls": calls,
            "error_share": round(100.0 * errors / calls, 2) if calls else None,
            # Every instance of a service counts the same outbox table: the largest answer is the newest.
            "outbox_backlog": max(backlogs) if backlogs else None,
            "outbox_error": next((i.get("outbox_last_error") for i in alive if i.get("outbox_last_error")), None),
            "last_beat_age": min((i.get("age_s", 0) for i in mine), default=None),
        })
    return rows


def instance_rows(instances):
    out = []
    for i in instances:
        status = instance_status(i)
        out.append({**i, "status": status, "status_text": INSTANCE_STATUS_TEXT[status],
                    "totals": i.get("totals") or {}})
    return out


def recent_errors(instances, limit=RECENT_ERRORS):
    found = []
    for i in instances:
        for e in i.get("recent_errors") or ():
            found.append({**e, "service": i["service"], "instance": i["instance"]})
    found.sort(key=lambda e: e.get("at") or 0, reverse=True)
    return found[:limit]


def describe_queue(name):
    """``evt-<source>-<fact>--<service>.<handler>.dlq`` -> what event goes to which handler."""
    base = name[:-len(".dlq")] if name.endswith(".dlq") else name
    head, _, handler = base.partition("--")
    event = head[len("evt-"):] if head.startswith("evt-") else head
    if event == "all":
        event_text = "każde zdarzenie"
    else:
        source, _, fact = event.partition("-")
        event_text = f"{source}.{fact}" if fact else event
    return {"event": event_text, "handler": handler or "—", "main": base}


def queue_groups(queues):
    """The vhost's queues as the operator reads them:

    - ``rpc``: each service's RPC queue (``rpc-<service>``): waiting requests, consumers (one per
      running instance), rates;
    - ``handlers``: one row per event handler, its three queues together: waiting in the main
      queue, waiting for a retry (``.retry``), dead-lettered (``.dlq``), the main queue's consumers;
    - ``other`` and ``replies``: how many other queues there are (RPC reply queues, one per
      proxy; the gateways' heartbeat queues), not listed.
    A row's ``problem`` says what needs attention: no consumer, or dead letters waiting."""
    rpc_rows, handlers, other, replies = [], {}, 0, 0
    for q in queues:
        name = q["name"]
        if name.startswith("rpc.reply-"):
            replies += 1
        elif name.startswith("rpc-"):
            rpc_rows.append({**q, "service": name[len("rpc-"):],
                             "problem": None if q["consumers"] else "brak konsumenta"})
        elif name.startswith("evt-"):
            part = "dlq" if name.endswith(".dlq") else ("retry" if name.endswith(".retry") else "main")
            base = name[:-len(f".{part}")] if part != "main" else name
            row = handlers.setdefault(base, {"queue": base, **describe_queue(base), "main_found": False,
                                             "messages": 0, "retry": 0, "dead": 0, "consumers": 0,
                                             "publish_rate": 0.0, "dlq": base + ".dlq"})
            if part == "main":
                row.update(main_found=True, messages=q["messages"], consumers=q["consumers"],
                           publish_rate=q.get("publish_rate") or 0.0)
            elif part == "retry":
                row["retry"] = q["messages"]
            else:
                row["dead"] = q["messages"]
        else:
            other += 1
    rows = sorted(handlers.values(), key=lambda r: (r["handler"], r["event"]))
    for r in rows:
        problems = []
        if r["dead"]:
            problems.append(f"nieprzetworzone: {r['dead']}")
        if r["main_found"] and not r["consumers"]:
            problems.append("brak konsumenta")
        r["problem"] = ", ".join(problems) or None
    return {"rpc": sorted(rpc_rows, key=lambda r: r["name"]), "handlers": rows, "other": other, "replies": replies,
            "total": len(queues), "messages": sum(q["messages"] for q in queues if not q["name"].startswith("rpc.reply-"))}


def dead_letter_queues(queues):
    return [q for q in queues if q["name"].endswith(".dlq") and q["messages"]]


def last_archives(instances):
    """``(rows, reason)``: the newest archive of every school, or why there is nothing to show."""
    if not any(i["service"] == "archive" and i.get("alive") for i in instances):
        return [], "Usługa archiwum nie działa (brak instancji wysyłających sygnał życia): brak danych o archiwach."
    try:
        schools = rpc.call("identity", "list_schools")
    except RegisterError as exc:
        return [], f"Nie udało się pobrać listy szkół: {exc.message}"
    rows = []
    for school in schools:
        try:
            archives = rpc.call("archive", "list_archives", school["id"])
            rows.append({"school": school, "archive": archives[0] if archives else None, "error": None})
        except RegisterError as exc:
            rows.append({"school": school, "archive": None, "error": exc.message})
    return rows, None


def dashboard_data(instances, queues_result):
    available, result = queues_result
    queues = result if available else []
    return {
        "services": service_rows(instances), "instances": instance_rows(instances),
        "errors": recent_errors(instances), "queues_available": available,
        "queues_reason": None if available else result, "queues": queue_groups(queues),
        "dead_letters": dead_letter_queues(queues),
    }


# ------------------------------------------------------------------ pages

def _broker(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except BROKER_ERRORS as exc:
        log.warning("operations page: broker unreachable: %s", exc)
        raise Unavailable(BROKER_DOWN.format(error=type(exc).__name__)) from None


@bp.app_template_filter("num_pl")
def _num_pl(value, digits=2):
    return num_pl(value, digits)


@bp.route("/operacje", methods=["GET"])
@requires_page(ASSOCIATION_ADMIN)
def dashboard():
    instances = ops.collector().snapshot()
    now = time.time()
    data = dashboard_data(instances, ops.queues())
    archives, archives_reason = last_archives(instances)
    auto = request.args.get("odswiezanie") != "0"
    settings = {"refresh": REFRESH_SECONDS, "historyMinutes": HISTORY_MINUTES,
                "instancesUrl": url_for("ops.ops_instances", summary=1), "queuesUrl": url_for("ops.ops_queues"),
                "deadLetterUrl": url_for("operations_web.dead_letters", queue="__QUEUE__"),
                "services": [[s["service"], s["label"]] for s in data["services"]]}
    return render_template(
        "operations/dashboard.html", **data, archives=archives, archives_reason=archives_reason,
        generated_at=now, generated_iso=datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="seconds"),
        rate_window=ops.RATE_WINDOW, clock_pl=clock_pl, duration_pl=duration_pl, auto_refresh=auto,
        noscript_refresh=NOSCRIPT_REFRESH_SECONDS, refresh=REFRESH_SECONDS, history_minutes=HISTORY_MINUTES,
        settings=json.dumps(settings, ensure_ascii=False))


@bp.route("/operacje/zdarzenia-nieprzetworzone", methods=["GET"])
@requires_page(ASSOCIATION_ADMIN)
def find_dead_letters():
    """The lookup form of the dashboard (works without the management API): to the queue's page."""
    name = (request.args.get("kolejka") or "").strip()
    if not name:
        return redirect(url_for("operations_web.dashboard", _anchor="zdarzenia-nieprzetworzone"))
    if not name.endswith(".dlq"):
        name += ".dlq"
    return redirect(url_for("operations_web.dead_letters", queue=name))


@bp.route("/operacje/zdarzenia-nieprzetworzone/<queue>", methods=["GET"])
@requires_page(ASSOCIATION_ADMIN)
def dead_letters(queue):
    name = ops._dlq_name(queue)
    messages = _broker(ops.peek_dead_letters, name, limit=DEAD_LETTER_PEEK)
    for m in messages:
        m["body_text"] = json.dumps(m["body"], ensure_ascii=False, indent=2, default=str) \
            if isinstance(m["body"], (dict, list)) else str(m["body"])
        m["occurred_at"] = m["body"].get("occurred_at") if isinstance(m["body"], dict) else None
    return render_template("operations/dead_letters.html", queue=name, info=describe_queue(name),
                           messages=messages, limit=DEAD_LETTER_PEEK)


@bp.route("/operacje/zdarzenia-nieprzetworzone/<queue>/ponow", methods=["POST"])
@requires_page(ASSOCIATION_ADMIN)
def replay(queue):
    name = ops._dlq_name(queue)
    event_id = (request.form.get("event_id") or "").strip() or None
    moved = _broker(ops.replay_dead_letters, name, event_id)
    log.info("dead letters replayed from %s: %s (event %s)", name, moved, event_id or "all")
    if moved:
        flash(f"Ponowiono {events_pl(moved)}: wróciły do kolejki {describe_queue(name)['main']}.", "success")
    elif event_id:
        flash("Tego zdarzenia nie ma już w kolejce (mogło zostać ponowione wcześniej).", "error")
    else:
        flash("Kolejka jest pusta: nie było czego ponowić.", "info")
    return redirect(url_for("operations_web.dead_letters", queue=name))
