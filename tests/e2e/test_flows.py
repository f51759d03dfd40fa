"""The two flows of the design card, end to end through the gateway's HTTP API (gunicorn),
with every service in its own process over the real broker, on SQLite and on PostgreSQL."""
import uuid

import pytest
import requests

from tests.harness import wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"


class Api:
    """A logged-in HTTP client of the gateway (bearer token, as an API client would use)."""

    def __init__(self, base, token=None):
        self.base, self.s = base, requests.Session()
        if token:
            self.s.headers["Authorization"] = f"Bearer {token}"

    def __getattr__(self, method):
        def call(path, **kw):
            return self.s.request(method.upper(), self.base + path, timeout=15, **kw)
        return call


def login(system, login_, password=PASSWORD):
    r = requests.post(system.gateway_url + "/api/v1/auth/login", json={"login": login_, "password": password}, timeout=15)
    assert r.status_code == 200, r.text
    return Api(system.gateway_url, r.json()["token"])


@pytest.fixture(scope="module")
def world(system):
    """Built through the HTTP API: the association admin (bootstrapped over RPC, as the demo
    loader does) creates a school and its administrator; the administrator builds the rest."""
    tag = uuid.uuid4().hex[:6]
    root = system.rpc("identity", "create_account", {"first_name": "Adam", "last_name": "Stowarzyszeniowy",
                                                     "roles": ["association_admin"], "password": PASSWORD,
                                                     "login": f"root.{tag}"})
    assoc = login(system, root["login"])
    school = assoc.post("/api/v1/schools", json={"name": f"Szkoła Podstawowa nr 3 {tag}", "short_name": f"e{tag}"}).json()
    sid = school["id"]
    r = assoc.post(f"/api/v1/schools/{sid}/accounts", json={"first_name": "Alicja", "last_name": "Admińska",
                                                           "roles": ["school_admin"], "password": PASSWORD})
    assert r.status_code == 201, r.text
    admin = login(system, r.json()["login"])

    def account(roles, first, last):
        r = admin.post(f"/api/v1/schools/{sid}/accounts", json={"first_name": first, "last_name": last,
                                                                "roles": roles, "password": PASSWORD})
        assert r.status_code == 201, r.text
        return r.json()
    teacher = account(["teacher"], "Teodor", "Wiśniewski")
    student = account(["student"], "Łucja", "Kamińska")
    parent = account(["parent"], "Małgorzata", "Kamińska")
    assert admin.post(f"/api/v1/schools/{sid}/guardianships",
                      json={"parent_id": parent["id"], "student_id": student["id"]}).status_code in (200, 201)
    klass = admin.post(f"/api/v1/schools/{sid}/classes", json={"name": "5c", "class_teacher_id": teacher["id"]}).json()
    assert admin.post(f"/api/v1/classes/{klass['id']}/students", json={"student_id": student["id"]}).status_code == 201
    return dict(school=school, admin=admin, teacher=teacher, student=student, parent=parent, klass=klass)


def test_msg3_uwaga_sent_through_the_gateway_lands_in_the_student_file(system, world):
    teacher = login(system, world["teacher"]["login"])
    r = teacher.post("/api/v1/messages", json={
        "kind": "note", "subject": "Pomoc koleżance", "body": "Łucja pomogła koleżance w nauce.",
        "student_id": world["student"]["id"], "note_kind": "positive", "note_category": "pomoc innym"})
    assert r.status_code == 201, r.text
    message_id = r.json()["id"]
    parent = login(system, world["parent"]["login"])

    def filed():
        r = parent.get(f"/api/v1/students/{world['student']['id']}/file")
        return r.status_code == 200 and [n for n in r.json()["notes"] if n["source_message_id"] == message_id]
    note = wait_for(filed, timeout=20, what="note in the student file")[0]
    assert note["kind"] == "positive" and note["author_name"] == "Teodor Wiśniewski"
    # The parent got the note as a message and opening it records the receipt (MSG-2).
    assert message_id in [m["id"] for m in parent.get("/api/v1/messages/inbox").json()]
    assert parent.get(f"/api/v1/messages/{message_id}").status_code == 200
    receipts = teacher.get(f"/api/v1/messages/{message_id}/receipts").json()
    assert receipts[0]["read_at"] is not None


def test_org7_student_removed_from_the_class_list_cannot_log_in(system, world):
    student = login(system, world["student"]["login"])
    assert student.get("/api/v1/me").status_code == 200
    r = world["admin"].post(f"/api/v1/classes/{world['klass']['id']}/students/{world['student']['id']}/removal",
                            json={"reason": "przeniesienie do innej szkoły"})
    assert r.status_code in (200, 201), r.text

    def refused():
        r = requests.post(system.gateway_url + "/api/v1/auth/login",
                          json={"login": world["student"]["login"], "password": PASSWORD}, timeout=15)
        return r.status_code == 401 and r.json()
    body = wait_for(refused, timeout=20, what="login refused")
    assert "zablokowane" in body["message"] and "skreślony" in body["message"]
    # The session opened before the removal ended too.
    assert student.get("/api/v1/me").status_code == 401


def test_bad_input_gets_a_polish_4xx_never_a_500(system, world):
    admin = world["admin"]
    r = admin.post(f"/api/v1/schools/{world['school']['id']}/classes", json={"name": ""})
    assert r.status_code == 422 and "name" in r.json()["fields"]
    r = admin.post(f"/api/v1/classes/{world['klass']['id']}/students", data="{not json",
                   headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500
    r = admin.get(f"/api/v1/classes/{uuid.uuid4()}")
    assert r.status_code == 404 and r.json()["message"]


def test_health_reports_every_service(system):
    r = requests.get(system.gateway_url + "/health", timeout=15)
    assert r.status_code == 200, r.text
    body = r.json()
    names = {s["service"] if isinstance(s, dict) and "service" in s else k
             for k, s in (body["services"].items() if isinstance(body["services"], dict)
                          else enumerate(body["services"]))}
    assert {"identity", "scheduling", "grades", "attendance", "messaging", "archive"} <= set(map(str, names))


def test_acc11_refusals_of_a_logged_in_user_are_audited(system, world):
    admin = world["admin"]
    me = admin.get("/api/v1/me").json()
    me = me.get("user", me)
    missing = str(uuid.uuid4())
    assert admin.get(f"/api/v1/classes/{missing}").status_code == 404
    ctx = {"user_id": me["id"], "school_id": me["school_id"], "roles": me["roles"]}

    def audited():
        entries = system.rpc("identity", "search_audit", me["school_id"], {"action": "refused."}, ctx=ctx)
        return [e for e in entries if e["details"].get("path") == f"/api/v1/classes/{missing}"]
    entry = wait_for(audited, timeout=10, what="refusal in the audit log")[0]
    assert entry["action"] == "refused.404" and entry["actor_id"] == me["id"] and entry["ip"]
