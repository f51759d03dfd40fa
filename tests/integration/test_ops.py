"""Operations through the gateway (OPS-4): live instances and Prometheus metrics from
heartbeats, queue depths, dead letters inspected and replayed; only for the association admin."""
import uuid

import pytest
import requests
from kombu import Connection, Exchange

from services.common.events import make_envelope
from tests.harness import Cluster, wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"


@pytest.fixture(scope="module")
def cluster(system):
    return system


def token(cluster, roles, school_id=None):
    tag = uuid.uuid4().hex[:6]
    acc = cluster.rpc("identity", "create_account", {"first_name": "Op", "last_name": "Erator", "roles": roles,
                                                     "school_id": school_id, "password": PASSWORD, "login": f"op.{tag}"})
    r = requests.post(cluster.gateway_url + "/api/v1/auth/login", json={"login": acc["login"], "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_ops4_instances_and_prometheus_metrics(cluster):
    root = token(cluster, ["association_admin"])
    inst = wait_for(lambda: (r := requests.get(cluster.gateway_url + "/api/v1/ops/instances", headers=root, timeout=10))
                    .ok and {i["service"] for i in r.json()["instances"] if i["alive"]} >= {"identity", "scheduling"} and r.json(),
                    timeout=20, what="both services alive")
    ident = next(i for i in inst["instances"] if i["service"] == "identity")
    assert ident["database"] == "ok" and ident["age_s"] < 5
    text = requests.get(cluster.gateway_url + "/metrics", timeout=10).text
    assert 'dziennik_up{service="identity"' in text and "dziennik_calls_total{" in text
    assert 'dziennik_call_duration_seconds_bucket{service="identity"' in text and 'le="+Inf"' in text
    school = cluster.rpc("identity", "create_school", {"name": "Szkoła Operacyjna", "short_name": f"o{uuid.uuid4().hex[:5]}"})
    admin = token(cluster, ["school_admin"], school["id"])
    assert requests.get(cluster.gateway_url + "/api/v1/ops/instances", headers=admin, timeout=10).status_code == 403


def test_ops4_dead_letters_are_listed_and_replayed(cluster):
    root = token(cluster, ["association_admin"])
    queue = "evt-messaging-note_issued--identity.on_note_issued"
    school = cluster.rpc("identity", "create_school", {"name": "Szkoła DLQ", "short_name": f"q{uuid.uuid4().hex[:5]}"})
    student = cluster.rpc("identity", "create_account", {"school_id": school["id"], "first_name": "Ala",
                                                         "last_name": "Kot", "roles": ["student"]})
    good = make_envelope("messaging.note_issued", {
        "message_id": str(uuid.uuid4()), "student_id": student["id"], "author_id": str(uuid.uuid4()),
        "author_name": "Jan Nowak", "kind": "positive", "category": "x", "subject": "Brawo", "body": "Dobra praca.",
        "issued_at": "2026-11-27T09:00:00+00:00"}, school_id=school["id"])
    # Put it straight on the dead-letter queue, as the handler does after the last retry.
    with Connection(cluster.broker.amqp_uri) as conn:
        conn.Producer(serializer="json").publish(good, exchange="", routing_key=queue + ".dlq",
                                                 headers={"x-dz-dead-reason": "RuntimeError: test", "x-dz-attempt": 4})
    r = requests.get(f"{cluster.gateway_url}/api/v1/ops/dead-letters/{queue}.dlq", headers=root, timeout=10)
    assert r.status_code == 200 and r.json()["messages"][0]["event_id"] == good["id"]
    assert r.json()["messages"][0]["reason"] == "RuntimeError: test"
    assert cluster.broker.queue_depth(queue + ".dlq") == 1   # peeking does not consume
    r = requests.post(f"{cluster.gateway_url}/api/v1/ops/dead-letters/{queue}.dlq/replay", headers=root, json={}, timeout=10)
    assert r.status_code == 200 and r.json()["replayed"] == 1
    wait_for(lambda: cluster.rpc("identity", "get_student_file", student["id"])["notes"], timeout=20,
             what="replayed note filed")
    assert cluster.broker.queue_depth(queue + ".dlq") == 0
    assert requests.get(f"{cluster.gateway_url}/api/v1/ops/dead-letters/not-a-queue", headers=root,
                        timeout=10).status_code == 404


def test_ops4_queue_depths_or_a_clear_reason(cluster):
    root = token(cluster, ["association_admin"])
    body = requests.get(cluster.gateway_url + "/api/v1/ops/queues", headers=root, timeout=10).json()
    if body["available"]:
        names = {q["name"] for q in body["queues"]}
        assert "evt-scheduling-student_removed--identity.on_student_removed" in names
    else:
        assert "rabbitmq_management" in body["reason"]
