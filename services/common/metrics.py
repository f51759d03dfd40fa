"""Instance metrics and heartbeats (OPS-4).

Every service instance counts its RPC and event-handler calls (by method and outcome: ok,
expected error, error), keeps latency histograms and its last errors, and every
DZIENNIK_HEARTBEAT_SECONDS publishes a snapshot to the fanout exchange ``dz.heartbeats``
(transient, expiring). The gateway collects the snapshots: the live instances are those with a
recent heartbeat, and ``/metrics`` serves them all in Prometheus' text format."""
import logging
import os
import socket
import threading
import time
import uuid
from collections import deque

from kombu import Exchange
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc

from . import config
from .errors import EXPECTED

log = logging.getLogger(__name__)

HEARTBEAT_EXCHANGE = Exchange("dz.heartbeats", type="fanout", durable=True, auto_delete=False)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
VERSION = "0.1.0"
INSTANCE = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
STARTED = time.time()


class Histogram:
    __slots__ = ("counts", "total", "count")

    def __init__(self):
        self.counts = [0] * len(BUCKETS)
        self.total = 0.0
        self.count = 0

    def observe(self, seconds):
        self.total += seconds
        self.count += 1
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1

    def snapshot(self):
        return {"buckets": list(self.counts), "sum": round(self.total, 6), "count": self.count}


def entrypoint_kind(entrypoint):
    if isinstance(entrypoint, Rpc):
        return "rpc"
    if isinstance(entrypoint, EventHandler):
        return "event"
    return type(entrypoint).__name__.lower()


class Metrics(DependencyProvider):
    """Counts every worker of the service; publishes heartbeats with the snapshot."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls = {}        # (kind, method, outcome) -> count
        self.latency = {}      # (kind, method) -> Histogram
        self.errors = deque(maxlen=20)
        self.started = {}
        self._running = False
        self.extra = None      # callable adding fields to a snapshot (outbox backlog, db state)

    def setup(self):
        self.interval = float(config.get("DZIENNIK_HEARTBEAT_SECONDS"))
        self.publisher = Publisher(self.container.config["AMQP_URI"], use_confirms=False)
        deps = {getattr(d, "attr_name", None): d for d in self.container.dependencies}
        if self.extra is None and "db" in deps:
            self.extra = lambda: self._database_state(deps["db"], deps.get("outbox"))

    @staticmethod
    def _database_state(database, outbox):
        from .outbox import backlog
        database.ping()
        state = {"database": "ok", "outbox_backlog": backlog(database.engine)}
        if outbox is not None:
            state["outbox_published_total"] = outbox.published_total
            state["outbox_last_error"] = outbox.last_error
        return state

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._heartbeat_loop, identifier="heartbeat")

    def stop(self):
        self._running = False
        super().stop()

    def kill(self):
        self._running = False

    def get_dependency(self, worker_ctx):
        return self

    def worker_setup(self, worker_ctx):
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        began = self.started.pop(worker_ctx, None)
        elapsed = time.perf_counter() - began if began else 0.0
        kind = entrypoint_kind(worker_ctx.entrypoint)
        method = worker_ctx.entrypoint.method_name
        if exc_info is None:
            outcome = "ok"
        elif isinstance(exc_info[1], EXPECTED):
            outcome = "expected_error"
        else:
            outcome = "error"
        with self.lock:
            self.calls[(kind, method, outcome)] = self.calls.get((kind, method, outcome), 0) + 1
            self.latency.setdefault((kind, method), Histogram()).observe(elapsed)
            if outcome == "error":
                self.errors.append({"at": time.time(), "method": method, "kind": kind,
                                    "error": f"{type(exc_info[1]).__name__}: {exc_info[1]}"[:300],
                                    "call_id": worker_ctx.call_id})

    def snapshot(self):
        with self.lock:
            snap = {
                "service": self.container.service_name, "instance": INSTANCE, "version": VERSION,
                "host": socket.gethostname(), "pid": os.getpid(), "started_at": STARTED,
                "uptime_s": round(time.time() - STARTED, 1), "at": time.time(),
                "interval_s": self.interval,
                "calls": [{"kind": k, "method": m, "outcome": o, "count": n}
                          for (k, m, o), n in sorted(self.calls.items())],
                "latency": [{"kind": k, "method": m, **h.snapshot()} for (k, m), h in sorted(self.latency.items())],
                "recent_errors": list(self.errors),
            }
        if self.extra is not None:
            try:
                snap.update(self.extra())
            except Exception as exc:   # a heartbeat must still go out when the database is down
                snap.update({"database": "error", "database_error": f"{type(exc).__name__}: {exc}"[:300]})
        return snap

    def _heartbeat_loop(self):
        while self._running:
            try:
                self.publisher.publish(self.snapshot(), exchange=HEARTBEAT_EXCHANGE, routing_key="",
                                       declare=[HEARTBEAT_EXCHANGE], expiration=max(30.0, 3 * self.interval),
                                       retry=True, retry_policy={"max_retries": 1})
            except Exception as exc:   # the broker may be restarting; try at the next beat
                log.debug("heartbeat not sent: %s", exc)
            slept = 0.0
            while self._running and slept < self.interval:
                time.sleep(0.2)
                slept += 0.2
