"""Nothing lost (platform issue, item 5), proven against the real RabbitMQ with every service in
its own process: retries with back-off, dead letters for poison and malformed events,
duplicates applied once, events kept while a consumer is stopped, and a broker restart."""
import subprocess
import time
import uuid

import pytest
from kombu import Connection, Exchange

from services.common.errors import Unauthenticated
from services.common.events import make_envelope
from tests.harness import Cluster, wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"
FLAKY_QUEUE = "evt-identity-account_created--flaky.on_account_created"


@pytest.fixture(scope="module")
def cluster(backend_kind):
    c = Cluster(backend_kind)
    c.env["FLAKY_DATABASE_URL"] = c.backend.url("flaky")
    c.env["FLAKY_FAILS"] = "2"
    c.migrate()
    try:
        c.start_services(["identity", "scheduling", "messaging"])
        c.start_service("flaky", module="tests.fixtures.flaky")
        c.wait_service("flaky")
        yield c
    finally:
        c.stop()


def ctx_of(account):
    return {"user_id": account["id"], "school_id": account["school_id"], "roles": account["roles"]}


def publish_raw(cluster, name, body):
    service, fact = name.split(".")
    with Connection(cluster.broker.amqp_uri) as conn:
        producer = conn.Producer(serializer="json")
        producer.publish(body, exchange=Exchange(f"{service}.events", type="topic", durable=True),
                         routing_key=fact, delivery_mode=2)


@pytest.fixture(scope="module")
def school(cluster):
    tag = uuid.uuid4().hex[:6]
    s = cluster.rpc("identity", "create_school", {"name": f"Szkoła {tag}", "short_name": f"d{tag}"})

    def account(roles, first, last, **kw):
        return cluster.rpc("identity", "create_account", {"school_id": s["id"], "first_name": first,
                                                          "last_name": last, "roles": roles, "password": PASSWORD, **kw})
    admin = account(["school_admin"], "Anna", "Nowak")
    teacher = account(["teacher"], "Jan", "Kowalski")
    klass = cluster.rpc("scheduling", "create_class", s["id"], {"name": f"1{tag[:2]}"}, ctx=ctx_of(admin))
    return dict(school=s, admin=admin, teacher=teacher, klass=klass, account=account)


def create_login(cluster, school, login):
    return school["account"](["student"], "Test", "Konto", login=login)


def test_failing_handler_is_retried_and_applied_once(cluster, school):
    acc = create_login(cluster, school, f"flaky.{uuid.uuid4().hex[:6]}")
    wait_for(lambda: acc["login"] in cluster.rpc("flaky", "applied"), timeout=30, what="flaky event applied")
    attempts = cluster.rpc("flaky", "attempts")
    assert 3 in attempts.values()   # failed twice, applied on the third attempt
    assert cluster.rpc("flaky", "applied").count(acc["login"]) == 1


def test_poison_event_ends_in_dead_letter_queue_and_consumer_keeps_running(cluster, school):
    before = cluster.broker.queue_depth(FLAKY_QUEUE + ".dlq")
    create_login(cluster, school, f"poison.{uuid.uuid4().hex[:6]}")
    wait_for(lambda: cluster.broker.queue_depth(FLAKY_QUEUE + ".dlq") == before + 1, timeout=40,
             what="poison event in the dead-letter queue")
    assert any(r["level"] == "ERROR" and "dead-lettered" in r["msg"] for r in cluster.log_records("flaky"))
    after = create_login(cluster, school, f"after.{uuid.uuid4().hex[:6]}")
    wait_for(lambda: after["login"] in cluster.rpc("flaky", "applied"), timeout=20,
             what="next event handled after the poison one")


def test_malformed_events_are_dead_lettered(cluster, school):
    before = cluster.broker.queue_depth(FLAKY_QUEUE + ".dlq")
    publish_raw(cluster, "identity.account_created", {"not": "an envelope"})
    bad_payload = make_envelope("identity.account_created", {"user_id": "u", "login": "x", "roles": []},
                                school_id=None)
    bad_payload["payload"] = {"login": 42}
    publish_raw(cluster, "identity.account_created", bad_payload)
    publish_raw(cluster, "identity.account_created", "plain text")
    wait_for(lambda: cluster.broker.queue_depth(FLAKY_QUEUE + ".dlq") == before + 3, timeout=20,
             what="malformed events dead-lettered")
    assert cluster.rpc("flaky", "health")["ok"]
    ok = create_login(cluster, school, f"ok.{uuid.uuid4().hex[:6]}")
    wait_for(lambda: ok["login"] in cluster.rpc("flaky", "applied"), timeout=20, what="consumer alive")


def test_duplicate_delivery_is_applied_once(cluster, school):
    login = f"dup.{uuid.uuid4().hex[:6]}"
    envelope = make_envelope("identity.account_created", {"user_id": str(uuid.uuid4()), "login": login,
                                                          "roles": ["student"]}, school_id=school["school"]["id"])
    publish_raw(cluster, "identity.account_created", envelope)
    publish_raw(cluster, "identity.account_created", envelope)
    wait_for(lambda: cluster.rpc("flaky", "attempts").get(envelope["id"]) == 2, timeout=20,
             what="both deliveries handled")
    assert cluster.rpc("flaky", "applied").count(login) == 1

    # The same for a production handler: a redelivered note is filed once (MSG-3).
    student = school["account"](["student"], "Ola", "Dubel")
    note = make_envelope("messaging.note_issued", {
        "message_id": str(uuid.uuid4()), "student_id": student["id"], "author_id": school["teacher"]["id"],
        "author_name": "Jan Kowalski", "kind": "positive", "category": "aktywność", "subject": "Pochwała",
        "body": "Za pomoc kolegom.", "issued_at": "2026-11-20T10:00:00+00:00"}, school_id=school["school"]["id"])
    for _ in range(3):
        publish_raw(cluster, "messaging.note_issued", note)
    wait_for(lambda: cluster.rpc("identity", "get_student_file", student["id"])["notes"], timeout=20,
             what="note filed")
    time.sleep(1.0)   # let the duplicates arrive
    assert len(cluster.rpc("identity", "get_student_file", student["id"])["notes"]) == 1


def test_org7_events_published_while_consumer_is_stopped_are_handled_after_restart(cluster, school):
    student = school["account"](["student"], "Kuba", "Nieobecny")
    admin, klass = school["admin"], school["klass"]
    cluster.rpc("scheduling", "enrol_student", klass["id"], {"student_id": student["id"]}, ctx=ctx_of(admin))
    cluster.procs["identity"].stop()
    cluster.rpc("scheduling", "remove_from_class_list", klass["id"], student["id"], {"reason": "przeniesienie"},
                ctx=ctx_of(admin))
    queue = "evt-scheduling-student_removed--identity.on_student_removed"
    wait_for(lambda: cluster.broker.queue_depth(queue) >= 1, timeout=20, what="event waiting in the queue")
    cluster.start_service("identity")
    cluster.wait_service("identity")

    def refused():
        try:
            cluster.rpc("identity", "login", {"login": student["login"], "password": PASSWORD})
        except Unauthenticated as exc:
            return "zablokowane" in exc.message
    wait_for(refused, timeout=30, what="account blocked after the consumer came back")


def _rabbitmqctl(*args):
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=120)


@pytest.mark.exclusive
def test_broker_restart_loses_no_event(cluster, school):
    """Notes are sent before, during and after a RabbitMQ restart; every note that messaging
    committed reaches the student's file, and the services reconnect by themselves."""
    teacher = school["teacher"]
    student = school["account"](["student"], "Marta", "Restart")
    sent, failed = [], 0

    def send(i):
        return cluster.rpc("messaging", "send_message", {
            "kind": "note", "subject": f"Uwaga {i}", "body": "Treść.", "student_id": student["id"],
            "note_kind": "neutral"}, ctx=ctx_of(teacher), timeout=5)["id"]

    for i in range(10):
        sent.append(send(i))
    _rabbitmqctl("stop_app")
    time.sleep(1.0)
    _rabbitmqctl("start_app")
    deadline = time.monotonic() + 90
    i = 10
    while len(sent) < 20 and time.monotonic() < deadline:
        try:
            sent.append(send(i))
        except Exception:
            failed += 1   # the broker is still coming back: an RPC may fail, a commit must not be lost
            time.sleep(0.5)
        i += 1
    assert len(sent) == 20, f"services did not reconnect ({failed} failed calls)"

    def filed():
        notes = cluster.rpc("identity", "get_student_file", student["id"])["notes"]
        return {n["source_message_id"] for n in notes} >= set(sent)
    wait_for(filed, timeout=60, what="every committed note filed after the restart")
    for name in ("identity", "scheduling", "messaging"):
        assert cluster.rpc(name, "health")["ok"]
