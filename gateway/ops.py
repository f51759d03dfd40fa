"""Operations (OPS-4): live service instances from their heartbeats, Prometheus metrics, the
broker's queues, and dead-lettered events with inspect and replay.

- ``HeartbeatCollector``: one per gateway process (started lazily, after gunicorn forks): a
  daemon thread consumes the fanout exchange ``dz.heartbeats`` through its own exclusive queue
  and keeps the latest snapshot of every service instance.
- ``GET /metrics``: Prometheus text format for every instance (labels ``service``,
  ``instance``) plus this gateway process; scrape any gateway replica.
- ``/api/v1/ops/...`` (association administrator only): instances, queues (RabbitMQ
  management API when enabled; the answer says so when it is not), dead letters, replay.
  Each instance carries ``totals`` (RPC calls, handled events, errors since it started) and
  ``rates`` (per second over the last ``RATE_WINDOW`` seconds of heartbeats, ``None`` until two
  heartbeats arrived); ``?summary=1`` leaves out the per-method ``calls`` and ``latency``
  (the operations page refreshes with it, gateway/web/operations.py).
"""
import json
import logging
import os
import threading
import time
from collections import deque
from urllib.parse import quote, unquote, urlparse

import requests
from flask import Blueprint, Response, current_app, request
from kombu import Connection, Queue

from services.common import config
from services.common.errors import Invalid, NotFound
from services.common.handlers import RETRY_HEADER
from services.common.metrics import BUCKETS, HEARTBEAT_EXCHANGE

from .auth import ASSOCIATION_ADMIN, requires
from .api import api_blueprint

log = logging.getLogger("gateway.ops")

STALE_AFTER = 3.0      # heartbeat intervals without a beat: the instance is down
FORGET_AFTER = 600.0   # seconds: a dead instance drops off the list
RATE_WINDOW = 30.0     # seconds of heartbeats the rates are computed over


def call_totals(beat):
    """``{rpc, event, errors, expected_errors}`` since the instance started, from its counters:
    ``rpc`` and ``event`` count every call of that kind; ``errors`` the unexpected failures only
    (a typed error such as NotFound or Invalid is an ``expected_error``: an answer, not a fault)."""
    totals = {"rpc": 0, "event": 0, "errors": 0, "expected_errors": 0}
    for c in beat.get("calls") or ():
        count = c.get("count") or 0
        if c.get("kind") in ("rpc", "event"):
            totals[c["kind"]] += count
        if c.get("outcome") == "error":
            totals["errors"] += count
        elif c.get("outcome") == "expected_error":
            totals["expected_errors"] += count
    return totals


class HeartbeatCollector:
    def __init__(self, amqp_uri):
        self.amqp_uri = amqp_uri
        self.instances = {}
        self.history = {}      # instance -> deque of (sent at, totals), the last RATE_WINDOW s
        self.lock = threading.Lock()
        self.pid = None
        self.thread = None
        self.started_at = None
        self.connected = threading.Event()

    def ensure_started(self):
        if self.pid == os.getpid() and self.thread and self.thread.is_alive():
            return
        self.pid = os.getpid()
        self.instances = {}
        self.history = {}
        self.started_at = time.time()
        self.thread = threading.Thread(target=self._run, name="heartbeats", daemon=True)
        self.thread.start()

    def _on_beat(self, body, message):
        message.ack()
        if isinstance(body, dict) and body.get("instance"):
            body["received_at"] = time.time()
            sent_at = body.get("at") if isinstance(body.get("at"), (int, float)) else body["received_at"]
            totals = call_totals(body)
            with self.lock:
                self.instances[body["instance"]] = body
                points = self.history.setdefault(body["instance"], deque())
                points.append((sent_at, totals))
                while len(points) > 2 and points[1][0] <= sent_at - RATE_WINDOW:
                    points.popleft()

    def _rates(self, instance):
        """Calls per second between the oldest and the newest heartbeat of the window."""
        points = self.history.get(instance)
        if not points or len(points) < 2:
            return None
        (t0, first), (t1, last) = points[0], points[-1]
        span = t1 - t0
        if span <= 0:
            return None

        def per_s(key):
            return round(max(0, last[key] - first[key]) / span, 3)
        return {"window_s": round(span, 1), "rpc_per_s": per_s("rpc"), "event_per_s": per_s("event"),
                "error_per_s": per_s("errors")}

    def _run(self):
        while True:
            try:
                with Connection(self.amqp_uri, heartbeat=15) as conn:
                    queue = Queue(exchange=HEARTBEAT_EXCHANGE, exclusive=True, auto_delete=True,
                                  queue_arguments={"x-message-ttl": 30000})
                    with conn.Consumer(queue, callbacks=[self._on_beat], accept=["json"]):
                        self.connected.set()
                        while True:
                            try:
                                conn.drain_events(timeout=1.0)
                            except TimeoutError:
                                conn.heartbeat_check()
            except Exception as exc:   # broker restarting: reconnect
                self.connected.clear()
                log.info("heartbeat consumer reconnecting: %s", exc)
                time.sleep(2.0)

    def snapshot(self, wait=True):
        """Instances with their state; on a fresh process wait one heartbeat interval (plus a
        second), so that every running instance has been heard from."""
        self.ensure_started()
        interval = float(config.get("DZIENNIK_HEARTBEAT_SECONDS"))
        if wait:
            # Every instance beats once per interval: until one interval has passed since this
            # process started listening, the list would be incomplete (some services missing).
            deadline = self.started_at + interval + 1.0
            while time.time() < deadline:
                time.sleep(0.1)
        now = time.time()
        out = []
        with self.lock:
            for key, beat in list(self.instances.items()):
                age = now - beat["received_at"]
                if age > FORGET_AFTER:
                    del self.instances[key]
                    self.history.pop(key, None)
                    continue
                out.append({**beat, "age_s": round(age, 1),
                            "alive": age <= STALE_AFTER * float(beat.get("interval_s") or interval),
                            "totals": call_totals(beat), "rates": self._rates(key)})
        return sorted(out, key=lambda b: (b["service"], b["instance"]))


_collectors = {}


def collector():
    uri = current_app.config["AMQP_URI"]
    if uri not in _collectors:
        _collectors[uri] = HeartbeatCollector(uri)
    return _collectors[uri]


# ------------------------------------------------------------------ Prometheus

def _labels(**kw):
    return "{" + ",".join(f'{k}="{str(v).replace(chr(92), "/").replace(chr(34), chr(39))}"' for k, v in kw.items()) + "}"


def prometheus_text(instances):
    lines = []

    def family(name, kind, help_):
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} {kind}")

    family("dziennik_up", "gauge", "1 when the instance sent a heartbeat recently.")
    for b in instances:
        lines.append(f"dziennik_up{_labels(service=b['service'], instance=b['instance'])} {int(b['alive'])}")
    family("dziennik_heartbeat_age_seconds", "gauge", "Seconds since the instance's last heartbeat.")
    for b in instances:
        lines.append(f"dziennik_heartbeat_age_seconds{_labels(service=b['service'], instance=b['instance'])} {b['age_s']}")
    family("dziennik_uptime_seconds", "gauge", "Seconds since the instance started.")
    family("dziennik_build_info", "gauge", "Version of the instance.")
    family("dziennik_database_up", "gauge", "1 when the instance reaches its database.")
    family("dziennik_outbox_backlog", "gauge", "Events committed but not yet published.")
    for b in instances:
        lab = _labels(service=b["service"], instance=b["instance"])
        lines.append(f"dziennik_uptime_seconds{lab} {b.get('uptime_s', 0)}")
        lines.append(f"dziennik_build_info{_labels(service=b['service'], instance=b['instance'], version=b.get('version', ''))} 1")
        lines.append(f"dziennik_database_up{lab} {1 if b.get('database') == 'ok' else 0}")
        if b.get("outbox_backlog") is not None:
            lines.append(f"dziennik_outbox_backlog{lab} {b['outbox_backlog']}")
    family("dziennik_calls_total", "counter", "RPC and event-handler calls by outcome (ok, expected_error, error).")
    for b in instances:
        for c in b.get("calls", []):
            lines.append("dziennik_calls_total" + _labels(service=b["service"], instance=b["instance"], kind=c["kind"],
                                                          method=c["method"], outcome=c["outcome"]) + f" {c['count']}")
    family("dziennik_call_duration_seconds", "histogram", "Duration of RPC and event-handler calls.")
    for b in instances:
        for h in b.get("latency", []):
            base = dict(service=b["service"], instance=b["instance"], kind=h["kind"], method=h["method"])
            for bound, count in zip(BUCKETS, h["buckets"]):
                lines.append("dziennik_call_duration_seconds_bucket" + _labels(**base, le=bound) + f" {count}")
            lines.append("dziennik_call_duration_seconds_bucket" + _labels(**base, le="+Inf") + f" {h['count']}")
            lines.append("dziennik_call_duration_seconds_sum" + _labels(**base) + f" {h['sum']}")
            lines.append("dziennik_call_duration_seconds_count" + _labels(**base) + f" {h['count']}")
    return "\n".join(lines) + "\n"


metrics_bp = Blueprint("metrics", __name__)


@metrics_bp.route("/metrics", methods=["GET"])
def metrics():
    token = config.get("DZIENNIK_METRICS_TOKEN")
    if token and request.headers.get("Authorization") != f"Bearer {token}":
        return Response("unauthorized\n", status=401, mimetype="text/plain")
    return Response(prometheus_text(collector().snapshot()), mimetype="text/plain; version=0.0.4")


# ------------------------------------------------------------------ RabbitMQ

def _broker():
    uri = urlparse(current_app.config["AMQP_URI"])
    vhost = unquote(uri.path[1:]) if uri.path and uri.path != "/" else "/"
    return vhost, (unquote(uri.username or "guest"), unquote(uri.password or "guest"))


def queues():
    """Queues of this vhost from the management API: ``(available, queues or reason)``."""
    vhost, auth = _broker()
    base = config.get("DZIENNIK_RABBIT_MGMT_URL").rstrip("/")
    try:
        r = requests.get(f"{base}/api/queues/{quote(vhost, safe='')}", auth=auth, timeout=3,
                         params={"columns": "name,messages,messages_ready,messages_unacknowledged,consumers,"
                                            "message_stats.publish_details.rate,message_stats.deliver_get_details.rate"})
        r.raise_for_status()
    except requests.RequestException as exc:
        return False, f"API zarządzania RabbitMQ niedostępne ({base}): {type(exc).__name__}. Włącz wtyczkę rabbitmq_management."
    out = []
    for q in r.json():
        stats = q.get("message_stats") or {}
        out.append({"name": q["name"], "messages": q.get("messages", 0), "ready": q.get("messages_ready", 0),
                    "unacked": q.get("messages_unacknowledged", 0), "consumers": q.get("consumers", 0),
                    "publish_rate": (stats.get("publish_details") or {}).get("rate", 0.0),
                    "deliver_rate": (stats.get("deliver_get_details") or {}).get("rate", 0.0),
                    "dead_letter": q["name"].endswith(".dlq")})
    return True, sorted(out, key=lambda q: q["name"])


def _dlq_name(name):
    if not (name.startswith("evt-") and name.endswith(".dlq")) or "/" in name:
        raise NotFound("Nie znaleziono kolejki zdarzeń nieprzetworzonych.")
    return name


def peek_dead_letters(name, limit=50):
    out = []
    with Connection(current_app.config["AMQP_URI"]) as conn:
        channel = conn.channel()
        try:
            channel.queue_declare(queue=name, passive=True)
        except Exception:
            raise NotFound("Nie znaleziono kolejki zdarzeń nieprzetworzonych.")
        held = []
        try:
            for _ in range(limit):
                msg = channel.basic_get(queue=name, no_ack=False)
                if msg is None:
                    break
                held.append(msg)
                try:
                    body = json.loads(msg.body)
                except ValueError:
                    body = msg.body.decode("utf-8", "replace") if isinstance(msg.body, bytes) else str(msg.body)
                headers = dict(msg.properties.get("application_headers") or {})
                out.append({"event_id": body.get("id") if isinstance(body, dict) else None,
                            "name": body.get("name") if isinstance(body, dict) else None,
                            "reason": headers.get("x-dz-dead-reason"), "attempts": headers.get(RETRY_HEADER),
                            "body": body})
        finally:
            for msg in held:
                channel.basic_reject(msg.delivery_tag, requeue=True)
            channel.close()
    return out


def replay_dead_letters(name, event_id=None):
    """Move dead letters (all, or one event) back to the handler's main queue with a fresh
    attempt count; the handler is idempotent, so a replay never applies an event twice."""
    main = name[: -len(".dlq")]
    moved = 0
    with Connection(current_app.config["AMQP_URI"]) as conn:
        channel = conn.channel()
        try:
            channel.queue_declare(queue=name, passive=True)
        except Exception:
            raise NotFound("Nie znaleziono kolejki zdarzeń nieprzetworzonych.")
        channel.confirm_select()
        keep = []
        try:
            while True:
                msg = channel.basic_get(queue=name, no_ack=False)
                if msg is None:
                    break
                body = msg.body
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                if event_id and not (isinstance(parsed, dict) and parsed.get("id") == event_id):
                    keep.append(msg)
                    continue
                headers = {k: v for k, v in (msg.properties.get("application_headers") or {}).items()
                           if not k.startswith("x-dz-")}
                import amqp
                channel.basic_publish(amqp.Message(body, content_type=msg.properties.get("content_type", "application/json"),
                                                   delivery_mode=2, application_headers=headers),
                                      exchange="", routing_key=main)
                channel.basic_ack(msg.delivery_tag)
                moved += 1
        finally:
            for msg in keep:
                channel.basic_reject(msg.delivery_tag, requeue=True)
            channel.close()
    return moved


ops_api = api_blueprint("ops", __name__, "Operacje: instancje usług, kolejki, zdarzenia nieprzetworzone.")


@ops_api.route("/ops/instances", methods=["GET"])
@requires(ASSOCIATION_ADMIN)
def ops_instances():
    """Instancje usług z ostatnim sygnałem życia, liczbą wywołań, błędami i zaległościami (OPS-4);
    ``?summary=1``: bez liczników i histogramów poszczególnych metod"""
    instances = collector().snapshot()
    if request.args.get("summary") in ("1", "true"):
        instances = [{k: v for k, v in i.items() if k not in ("calls", "latency")} for i in instances]
    return {"instances": instances}


@ops_api.route("/ops/queues", methods=["GET"])
@requires(ASSOCIATION_ADMIN)
def ops_queues():
    """Kolejki RabbitMQ: głębokość i konsumenci (z API zarządzania, gdy jest włączone)"""
    available, result = queues()
    return {"available": available, "queues": result if available else [], "reason": None if available else result}


@ops_api.route("/ops/dead-letters/<queue>", methods=["GET"])
@requires(ASSOCIATION_ADMIN)
def ops_dead_letters(queue):
    """Zdarzenia w kolejce nieprzetworzonych (podgląd bez usuwania)"""
    return {"queue": queue, "messages": peek_dead_letters(_dlq_name(queue))}


@ops_api.route("/ops/dead-letters/<queue>/replay", methods=["POST"])
@requires(ASSOCIATION_ADMIN)
def ops_replay(queue):
    """Ponów zdarzenia z kolejki nieprzetworzonych (wszystkie albo jedno: {"event_id": ...})"""
    data = request.get_json(silent=True) or {}
    event_id = data.get("event_id")
    if event_id is not None and not isinstance(event_id, str):
        raise Invalid("event_id musi być tekstem.", {"event_id": ["Oczekiwano tekstu."]})
    return {"queue": queue, "replayed": replay_dead_letters(_dlq_name(queue), event_id)}
