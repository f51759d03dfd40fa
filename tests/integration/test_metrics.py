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
def cluster(system):
    return system


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


def identity_beat(cluster):
    return [b for b in collect_heartbeats(cluster, 1.5) if b["service"] == "identity"][-1]


def test_ops4_heartbeat_counts_calls_by_outcome(cluster):
    before = identity_beat(cluster)
    cluster.rpc("identity", "health")
    with pytest.raises(Invalid):
        cluster.rpc("identity", "create_school", {"name": "x"})
    beat = identity_beat(cluster)
    count = lambda b, m, o: next((c["count"] for c in b["calls"] if (c["method"], c["outcome"]) == (m, o)), 0)  # noqa: E731
    assert count(beat, "health", "ok") > count(before, "health", "ok")
    assert count(beat, "create_school", "expected_error") == count(before, "create_school", "expected_error") + 1
    assert beat["database"] == "ok" and beat["outbox_backlog"] == 0
    hist = next(h for h in beat["latency"] if h["method"] == "create_school")
    assert hist["count"] >= 1 and hist["buckets"][-1] == hist["count"]
    assert beat["instance"].startswith(beat["host"])
