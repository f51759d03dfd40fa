"""Heartbeats with metrics (OPS-4): every instance announces itself with call counts by outcome,
latency histograms, its database state and outbox backlog."""
import queue as stdqueue
import threading

import pytest
from kombu import Connection, Queue

from services.common.errors import Invalid
from services.common.metrics import HEARTBEAT_EXCHANGE
from tests.harness import Cluster, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster(backend_kind):
    c = Cluster(backend_kind, extra_env={"DZIENNIK_HEARTBEAT_SECONDS": "0.5"}).migrate()
    try:
        c.start_services(["identity"])
        yield c
    finally:
        c.stop()


def collect_heartbeats(cluster, seconds):
    got = []
    with Connection(cluster.broker.amqp_uri) as conn:
        q = Queue(exchange=HEARTBEAT_EXCHANGE, exclusive=True, auto_delete=True)
        with conn.Consumer(q, callbacks=[lambda body, msg: (got.append(body), msg.ack())], accept=["json"]):
            deadline = __import__("time").monotonic() + seconds
            while __import__("time").monotonic() < deadline:
                try:
                    conn.drain_events(timeout=0.5)
                except Exception:
                    pass
    return got


def test_ops4_heartbeat_counts_calls_by_outcome(cluster):
    cluster.rpc("identity", "health")
    with pytest.raises(Invalid):
        cluster.rpc("identity", "create_school", {"name": "x"})
    beats = collect_heartbeats(cluster, 3)
    beat = [b for b in beats if b["service"] == "identity"][-1]
    calls = {(c["method"], c["outcome"]): c["count"] for c in beat["calls"]}
    assert calls[("health", "ok")] >= 1 and calls[("create_school", "expected_error")] == 1
    assert beat["database"] == "ok" and beat["outbox_backlog"] == 0
    hist = next(h for h in beat["latency"] if h["method"] == "create_school")
    assert hist["count"] == 1 and hist["buckets"][-1] == 1
    assert beat["instance"].startswith(beat["host"])
