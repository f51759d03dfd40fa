"""Issue 7 (messaging) and OPS-1 through the gateway's HTTP API, on SQLite and PostgreSQL
(``system``: every service and the gateway under gunicorn). Schools are built over RPC (as the
demo loader does); everything tested goes through HTTP with bearer tokens:

- MSG-1: a message to a class's parents with an attachment, served only to its recipients as a
  download that a browser never renders; a recipient of another school, a parent writing to a
  class's parents, an attachment too big or of a forbidden type, an empty message: a clear 4xx
  and nothing stored;
- MSG-2: opening records the receipt once; the recipient cannot set, forge or see receipts; the
  sender sees counts and pages;
- MSG-3/MSG-6: the class teacher's notes of the class; a parent's entry-error report;
- MSG-4: an announcement needing approval waits in the director's queue, is published after
  approval, a rejection comes back with its reason;
- OPS-1: an outage notice for the school, public (no login) when it may last over a day;
- TEN-1: another school's message, attachment, announcement, class, student and notice: 404."""
import base64
import http.client
import json
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.harness import wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"
API = "/api/v1"
MAX_ATTACHMENT = 200000   # tests/conftest.py SHARED_ENV: DZIENNIK_ATTACHMENT_MAX_BYTES
PDF = b"%PDF-1.4\n% plan wycieczki\n" + b"0" * 200


class Api:
    """A logged-in HTTP client of the gateway (bearer token)."""

    def __init__(self, base, token):
        self.base, self.s = base, requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, **kw):
        return self.s.request(method.upper(), self.base + API + path, timeout=30, **kw)

    def __getattr__(self, method):
        return lambda path, **kw: self.request(method, path, **kw)


def ctx_of(a):
    return {"user_id": a["id"], "school_id": a["school_id"], "roles": a["roles"]}


def b64(data):
    return base64.b64encode(data).decode("ascii")


def messaging_records(system, school):
    """One record of each kind messaging adds to a school built by tests/e2e/test_tenancy.py's
    ``build_school`` (an attachment of a message, an announcement, an outage notice): the ids of
    the messaging API's path parameters."""
    rpc = system.rpc
    sent = rpc("messaging", "send_message", {
        "subject": "Plan wycieczki", "body": "W załączniku plan.", "recipient_ids": [school["parent"]["id"]],
        "attachments": [{"filename": "plan.pdf", "content_type": "application/pdf", "content_base64": b64(PDF)}]},
        ctx=ctx_of(school["teacher"]))
    announcement = rpc("messaging", "publish_announcement", {
        "title": "Zbiórka na wycieczkę", "body": "Zbieramy po 20 zł.", "topic": "fundraising",
        "audience": {"whole_school": True}}, ctx=ctx_of(school["teacher"]))
    notice = rpc("messaging", "publish_outage_notice", {
        "text": "Przerwa techniczna.",
        "expected_repair_at": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()},
        ctx=ctx_of(school["school_admin"]))
    return {"attachment_id": sent["attachments"][0]["id"], "announcement_id": announcement["id"],
            "notice_id": notice["id"]}


def build(system, tag, letter):
    rpc = system.rpc
    school = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa nr 9 {letter} {tag}",
                                               "short_name": f"m{letter.lower()}{tag}", "city": "Lublin"})

    def acc(key, roles, first, last):
        return rpc("identity", "create_account", {
            "school_id": school["id"], "first_name": first, "last_name": last, "roles": roles,
            "password": PASSWORD, "login": f"{letter.lower()}.{key}.{tag}"})
    p = {
        "admin": acc("admin", ["school_admin"], "Adam", f"Administrator{letter}"),
        "director": acc("director", ["director"], "Dorota", f"Dyrektor{letter}"),
        "class_teacher": acc("wych", ["class_teacher", "teacher"], "Wanda", f"Wychowawczyni{letter}"),
        "teacher": acc("teacher", ["teacher"], "Tomasz", f"Nauczyciel{letter}"),
        "parent": acc("parent", ["parent"], "Piotr", f"Rodzic{letter}"),
        "parent2": acc("parent2", ["parent"], "Paula", f"RodzicDruga{letter}"),
        "outsider": acc("outsider", ["parent"], "Olga", f"RodzicInnejKlasy{letter}"),
        "student": acc("student", ["student"], "Stefan", f"Uczeń{letter}"),
        "student2": acc("student2", ["student"], "Sara", f"UczennicaDruga{letter}"),
        "student3": acc("student3", ["student"], "Szymon", f"UczeńInnejKlasy{letter}"),
    }
    admin = ctx_of(p["admin"])
    klass = rpc("scheduling", "create_class", school["id"],
                {"name": "4a", "class_teacher_id": p["class_teacher"]["id"]}, ctx=admin)
    other = rpc("scheduling", "create_class", school["id"], {"name": "4b"}, ctx=admin)
    for student, parent, k in (("student", "parent", klass), ("student2", "parent2", klass),
                               ("student3", "outsider", other)):
        rpc("identity", "link_guardian", school["id"], {"parent_id": p[parent]["id"], "student_id": p[student]["id"]},
            ctx=admin)
        rpc("scheduling", "enrol_student", k["id"], {"student_id": p[student]["id"]}, ctx=admin)
    return {"school": school, "class": klass, "other_class": other, **p}


@pytest.fixture(scope="module")
def world(system):
    tag = uuid.uuid4().hex[:6]
    a, b = build(system, tag, "A"), build(system, tag, "B")
    b_note = system.rpc("messaging", "send_message", {
        "kind": "note", "subject": "Uwaga szkoły B", "body": "Treść uwagi B.", "student_id": b["student"]["id"],
        "note_kind": "negative"}, ctx=ctx_of(b["teacher"]))
    b["records"] = messaging_records(system, {**b, "school_admin": b["admin"]})
    b["note"] = b_note
    return {"a": a, "b": b}


@pytest.fixture(scope="module")
def login(system, world):
    cache = {}

    def client(school, key):
        if (school, key) not in cache:
            r = requests.post(system.gateway_url + API + "/auth/login",
                              json={"login": world[school][key]["login"], "password": PASSWORD}, timeout=30)
            assert r.status_code == 200, r.text
            cache[(school, key)] = Api(system.gateway_url, r.json()["token"])
        return cache[(school, key)]
    return client


def sent_total(client):
    r = client.get("/messages", params={"folder": "sent"})
    assert r.status_code == 200, r.text
    return r.json()["total"]


def received(client, folder="received"):
    r = client.get("/messages", params={"folder": folder, "page_size": 100})
    assert r.status_code == 200, r.text
    return r.json()["items"]


def assert_refused(response, status, text=None):
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["message"] and "Traceback" not in response.text
    if text:
        assert text in body["message"], body
    return body


# ------------------------------------------------------------------ MSG-1: groups, attachments

def test_msg1_class_parents_get_the_message_and_only_they_download_its_attachment(world, login):
    a = world["a"]
    teacher, parent, outsider = login("a", "teacher"), login("a", "parent"), login("a", "outsider")
    r = teacher.post("/messages", json={
        "subject": "Wycieczka do Kazimierza", "body": "Plan wycieczki w załączniku.",
        "groups": [{"kind": "class_parents", "class_id": a["class"]["id"]}],
        "attachments": [{"filename": "plan wycieczki.pdf", "content_type": "application/pdf",
                         "content_base64": b64(PDF)}]})
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["recipient_count"] == 2 and sent["recipient_groups"][0]["label"] == "rodzice klasy 4a"
    att = sent["attachments"][0]
    assert att["filename"] == "plan wycieczki.pdf" and att["size"] == len(PDF)

    unread_before = parent.get("/messages/unread-count").json()
    assert unread_before["received"] >= 1 and unread_before["total"] >= unread_before["received"]
    item = next(m for m in received(parent) if m["id"] == sent["id"])
    assert item["read_at"] is None and item["has_attachments"] is True
    opened = parent.get(f"/messages/{sent['id']}").json()
    assert opened["read_at"] and opened["attachments"][0]["id"] == att["id"] and opened["can_reply"] is True
    assert "receipt_counts" not in opened          # the sender's only
    assert parent.get("/messages/unread-count").json()["received"] == unread_before["received"] - 1

    download = parent.get(f"/messages/{sent['id']}/attachments/{att['id']}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["Content-Type"].startswith("application/pdf")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["Content-Security-Policy"]
    # A parent of another class: neither the message nor its file exists for them.
    assert_refused(outsider.get(f"/messages/{sent['id']}"), 404)
    assert_refused(outsider.get(f"/messages/{sent['id']}/attachments/{att['id']}"), 404)
    assert sent["id"] not in [m["id"] for m in received(outsider)]
    # Search in the sender's folder finds it.
    found = teacher.get("/messages", params={"folder": "sent", "search": "kazimierza"}).json()
    assert [m["id"] for m in found["items"]] == [sent["id"]] and found["items"][0]["read_count"] == 1


def test_msg1_recipient_of_another_school_is_refused_and_nothing_is_stored(world, login):
    a, b = world["a"], world["b"]
    teacher = login("a", "teacher")
    before = sent_total(teacher)
    r = teacher.post("/messages", json={"subject": "Do innej szkoły", "body": "Treść.",
                                        "recipient_ids": [a["parent"]["id"], b["parent"]["id"]]})
    assert_refused(r, 404, "Nie znaleziono odbiorcy.")
    r = teacher.post("/messages", json={"subject": "Do klasy innej szkoły", "body": "Treść.",
                                        "groups": [{"kind": "class_parents", "class_id": b["class"]["id"]}]})
    assert_refused(r, 404, "Nie znaleziono klasy.")
    assert sent_total(teacher) == before
    assert not [m for m in received(login("b", "parent")) if m["subject"].startswith("Do ")]
    assert not [m for m in received(login("a", "parent")) if m["subject"] == "Do innej szkoły"]


def test_msg1_parent_may_not_write_to_a_classs_parents_but_writes_to_the_class_teacher(world, login):
    a = world["a"]
    parent = login("a", "parent")
    before = sent_total(parent)
    r = parent.post("/messages", json={"subject": "Do rodziców", "body": "Zbiórka?",
                                       "groups": [{"kind": "class_parents", "class_id": a["class"]["id"]}]})
    assert_refused(r, 403, "Rodzic nie może pisać do rodziców klasy.")
    r = parent.post("/messages", json={"subject": "Do rodzica", "body": "Zbiórka?",
                                       "recipient_ids": [a["parent2"]["id"]]})
    assert_refused(r, 403)
    r = parent.post("/messages", json={"kind": "note", "subject": "Uwaga", "body": "x",
                                       "student_id": a["student2"]["id"], "note_kind": "negative"})
    assert_refused(r, 403, "Uwagi wpisują nauczyciele")
    assert sent_total(parent) == before
    # To the class teacher: allowed; the reply comes back in the same thread.
    r = parent.post("/messages", json={"subject": "Nieobecność Stefana", "body": "Stefan jutro będzie u lekarza.",
                                       "recipient_ids": [a["class_teacher"]["id"]]})
    assert r.status_code == 201, r.text
    question = r.json()
    wych = login("a", "class_teacher")
    r = wych.post(f"/messages/{question['id']}/replies", json={"body": "Dziękuję za informację."})
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["subject"] == "Odp: Nieobecność Stefana" and answer["thread_id"] == question["id"]
    thread = parent.get(f"/messages/{answer['id']}").json()["thread"]
    assert [t["id"] for t in thread] == [question["id"], answer["id"]]


def declare_body(system, client, path, length, send=False):
    """POST with headers announcing ``length`` bytes of JSON, the body sent only with ``send``:
    a 413 comes before the gateway reads the body."""
    host, port = system.gateway_url.rsplit("/", 1)[-1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.putrequest("POST", API + path)
        conn.putheader("Authorization", client.s.headers["Authorization"])
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        if send:
            conn.send(b"{" + b" " * (length - 2) + b"}")
        response = conn.getresponse()
        body = response.read()
        return response.status, (json.loads(body) if body.startswith(b"{") else {})
    finally:
        conn.close()


def test_msg1_attachment_too_big_or_forbidden_and_empty_message_are_refused(system, world, login):
    a = world["a"]
    teacher = login("a", "teacher")
    before = sent_total(teacher)
    base = {"subject": "Załącznik", "body": "Treść.", "recipient_ids": [a["parent"]["id"]]}
    too_big = b"%PDF-1.4\n" + b"0" * (MAX_ATTACHMENT + 1)
    r = teacher.post("/messages", json={**base, "attachments": [
        {"filename": "duzy.pdf", "content_type": "application/pdf", "content_base64": b64(too_big)}]})
    body = assert_refused(r, 422, "za duży")
    assert "attachments" in body["fields"]
    r = teacher.post("/messages", json={**base, "attachments": [
        {"filename": "faktura.pdf", "content_type": "application/pdf", "content_base64": b64(b"MZ\x90\x00 program")}]})
    assert_refused(r, 422, "nie odpowiada jego typowi")
    r = teacher.post("/messages", json={**base, "attachments": [
        {"filename": "strona.html", "content_type": "text/html", "content_base64": b64(b"<script>alert(1)</script>")}]})
    assert_refused(r, 422, "Niedozwolony typ pliku")
    # Beyond what messaging could ever accept, the gateway refuses the body before reading it
    # (413); only the routes with attachments take more than 1 MiB.
    status, answer = declare_body(system, teacher, "/messages", 12 * MAX_ATTACHMENT)
    assert status == 413 and answer["error"] == "payload_too_large", answer
    status, answer = declare_body(system, teacher, "/messages", 1024 * 1024 + 10, send=True)
    assert status == 422, answer    # read (more than 1 MiB is fine here), then refused: no subject
    status, answer = declare_body(system, teacher, "/announcements", 1024 * 1024 + 10)
    assert status == 413, answer
    r = teacher.post("/messages", json={**base, "body": "   "})
    assert_refused(r, 422)
    r = teacher.post("/messages", json={"subject": "Bez odbiorców", "body": "Treść."})
    assert_refused(r, 422)
    assert sent_total(teacher) == before


# ------------------------------------------------------------------ MSG-2: receipts

def test_msg2_read_receipt_is_recorded_once_and_cannot_be_forged(world, login):
    a = world["a"]
    teacher, parent, parent2 = login("a", "teacher"), login("a", "parent"), login("a", "parent2")
    sent = teacher.post("/messages", json={"subject": "Zebranie", "body": "Zebranie w czwartek.",
                                           "recipient_ids": [a["parent"]["id"], a["parent2"]["id"]]}).json()
    mid = sent["id"]
    summary = teacher.get(f"/messages/{mid}/receipts", params={"summary": "true"}).json()
    assert summary["counts"] == {"total": 2, "read": 0, "unread": 2}
    # The recipient has no way to set or see receipts.
    assert_refused(parent.post(f"/messages/{mid}/receipts", json={"recipient_id": a["parent2"]["id"],
                                                                  "read_at": "2020-01-01T00:00:00Z"}), 405)
    assert_refused(parent.get(f"/messages/{mid}/receipts"), 403)
    assert_refused(parent.post(f"/messages/{mid}/replies", json={"body": "x", "read_at": "2020-01-01T00:00:00Z"}), 422)
    # Someone who is not a recipient opening it records nothing.
    assert_refused(login("a", "outsider").get(f"/messages/{mid}"), 404)
    first = parent.get(f"/messages/{mid}").json()["read_at"]
    again = parent.get(f"/messages/{mid}").json()["read_at"]
    assert first and again == first
    rows = {r["recipient_id"]: r for r in teacher.get(f"/messages/{mid}/receipts").json()}
    assert rows[a["parent"]["id"]]["read_at"] == first and rows[a["parent2"]["id"]]["read_at"] is None
    assert rows[a["parent"]["id"]]["recipient_name"] == "Piotr RodzicA"
    unread = teacher.get(f"/messages/{mid}/receipts", params={"summary": "1", "status": "unread"}).json()
    assert unread["counts"] == {"total": 2, "read": 1, "unread": 1}
    assert [r["recipient_id"] for r in unread["recipients"]] == [a["parent2"]["id"]]
    assert teacher.get(f"/messages/{mid}").json()["receipt_counts"] == {"total": 2, "read": 1, "unread": 1}
    assert parent2.get(f"/messages/{mid}").json()["read_at"]
    assert_refused(teacher.get(f"/messages/{mid}/receipts", params={"status": "maybe"}), 422)


# ------------------------------------------------------------------ MSG-3, MSG-6

def test_msg3_class_teacher_sees_the_notes_of_the_class(world, login):
    a = world["a"]
    teacher = login("a", "teacher")
    for kind, subject in (("negative", "Przeszkadzanie"), ("positive", "Pomoc w bibliotece")):
        r = teacher.post("/messages", json={"kind": "note", "subject": subject, "body": "Opis.",
                                            "student_id": a["student"]["id"], "note_kind": kind,
                                            "note_category": "zachowanie"})
        assert r.status_code == 201, r.text
    notes = login("a", "class_teacher").get(f"/classes/{a['class']['id']}/notes").json()
    assert notes["class"]["name"] == "4a"
    assert notes["counts"]["negative"] >= 1 and notes["counts"]["positive"] >= 1
    assert notes["by_category"]["zachowanie"] >= 2
    assert {n["subject"] for n in notes["notes"]} >= {"Przeszkadzanie", "Pomoc w bibliotece"}
    assert notes["notes"][0]["student_name"] == "Stefan UczeńA"
    assert login("a", "director").get(f"/classes/{a['class']['id']}/notes").status_code == 200
    assert_refused(teacher.get(f"/classes/{a['class']['id']}/notes"), 403)     # not this class's teacher
    assert_refused(login("a", "parent").get(f"/classes/{a['class']['id']}/notes"), 403)


def test_msg6_parent_reports_an_error_in_an_entry_about_the_own_child_only(world, login):
    a = world["a"]
    parent = login("a", "parent")
    r = parent.post(f"/students/{a['student']['id']}/entry-error-reports",
                    json={"entry": "ocena z matematyki z 12.03", "body": "Stefan dostał 5, nie 3."})
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["kind"] == "error_report" and report["recipient_count"] == 1
    item = next(m for m in received(login("a", "class_teacher")) if m["id"] == report["id"])
    assert item["kind"] == "error_report" and item["student_id"] == a["student"]["id"]
    assert_refused(parent.post(f"/students/{a['student2']['id']}/entry-error-reports",
                               json={"entry": "ocena", "body": "x"}), 404)
    assert_refused(login("a", "teacher").post(f"/students/{a['student']['id']}/entry-error-reports",
                                              json={"entry": "ocena", "body": "x"}), 403)
    assert_refused(parent.post(f"/students/{a['student']['id']}/entry-error-reports",
                               json={"entry": "ocena", "body": "x", "addressee": "ktoś"}), 422)


# ------------------------------------------------------------------ MSG-4: announcements

def test_msg4_announcement_waits_for_the_director_and_is_published_after_approval(world, login):
    teacher, director, parent = login("a", "teacher"), login("a", "director"), login("a", "parent")
    r = teacher.post("/announcements", json={"title": "Kiermasz ciast", "body": "Zbieramy na sprzęt sportowy.",
                                             "topic": "fundraising", "audience": {"roles": ["parents"]}})
    assert r.status_code == 201, r.text
    ann = r.json()
    assert ann["status"] == "pending" and ann["needs_approval"] is True
    assert ann["id"] not in [x["id"] for x in parent.get("/announcements").json()]
    assert ann["id"] in [x["id"] for x in director.get("/announcements/queue").json()]
    assert_refused(teacher.get("/announcements/queue"), 403)
    assert_refused(teacher.post(f"/announcements/{ann['id']}/approval"), 404)   # the queue is the director's
    assert_refused(login("a", "parent").post("/announcements", json={
        "title": "x", "body": "y", "audience": {"whole_school": True}}), 403)
    r = director.post(f"/announcements/{ann['id']}/approval")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published" and r.json()["decided_by_name"] == "Dorota DyrektorA"
    assert ann["id"] in [x["id"] for x in parent.get("/announcements").json()]
    assert ann["id"] in [x["id"] for x in parent.get("/messages", params={"folder": "announcements"}).json()["items"]]
    assert_refused(director.post(f"/announcements/{ann['id']}/approval"), 409)

    r = teacher.post("/announcements", json={"title": "Festyn", "body": "Festyn rodzinny w sobotę.",
                                             "topic": "school_event", "audience": {"whole_school": True}})
    festyn = r.json()
    assert_refused(director.post(f"/announcements/{festyn['id']}/rejection", json={"reason": ""}), 422)
    r = director.post(f"/announcements/{festyn['id']}/rejection", json={"reason": "Termin koliduje z egzaminem."})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    mine = {x["id"]: x for x in teacher.get("/announcements/mine").json()}
    assert mine[festyn["id"]]["rejection_reason"] == "Termin koliduje z egzaminem."
    assert any("odrzucone" in m["subject"].lower() for m in received(teacher, "system"))
    r = teacher.post(f"/announcements/{ann['id']}/withdrawal")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert ann["id"] not in [x["id"] for x in parent.get("/announcements").json()]


# ------------------------------------------------------------------ OPS-1: outage notices

def test_ops1_outage_notice_for_the_school_and_public_when_over_a_day(system, world, login):
    a = world["a"]
    sid = a["school"]["id"]
    admin, teacher = login("a", "admin"), login("a", "teacher")
    # Given in Polish time, kept as the same instant (SQLite stores no offset: the gateway sends UTC).
    repair_at = (datetime.now(timezone.utc) + timedelta(days=2)).astimezone(ZoneInfo("Europe/Warsaw")).replace(
        microsecond=0)
    repair = repair_at.isoformat()
    assert_refused(teacher.post(f"/schools/{sid}/outage-notices",
                                json={"text": "Awaria", "expected_repair_at": repair}), 403)
    assert_refused(admin.post(f"/schools/{sid}/outage-notices", json={
        "text": "Awaria", "expected_repair_at": (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()}), 422)
    r = admin.post(f"/schools/{sid}/outage-notices", json={"text": "Awaria serwera bazy danych szkoły A.",
                                                          "expected_repair_at": repair})
    assert r.status_code == 201, r.text
    notice = r.json()
    assert notice["public"] is True
    assert datetime.fromisoformat(notice["expected_repair_at"]) == repair_at
    assert notice["id"] in [n["id"] for n in teacher.get(f"/schools/{sid}/outage-notices").json()]

    def public():
        r = requests.get(system.gateway_url + API + "/public/outage-notices", timeout=10)
        assert r.status_code == 200
        return [n for n in r.json() if n["text"] == "Awaria serwera bazy danych szkoły A."]
    shown = wait_for(public, timeout=45, what="the public outage notice (cached at most 30 s per process)")
    assert shown[0]["school_name"] == a["school"]["name"] and "published_by" not in shown[0]
    r = admin.post(f"/schools/{sid}/outage-notices/{notice['id']}/withdrawal")
    assert r.status_code == 200 and r.json()["withdrawn_at"]
    assert notice["id"] not in [n["id"] for n in teacher.get(f"/schools/{sid}/outage-notices").json()]
    wait_for(lambda: not public(), timeout=45, what="the withdrawn notice gone from the public list")


# ------------------------------------------------------------------ settings

def test_students_write_only_where_the_school_allows_and_the_smtp_password_is_never_returned(world, login):
    a = world["a"]
    sid = a["school"]["id"]
    admin, student = login("a", "admin"), login("a", "student")
    message = {"subject": "Pytanie o sprawdzian", "body": "Co będzie na sprawdzianie?",
               "recipient_ids": [a["class_teacher"]["id"]]}
    assert_refused(student.post("/messages", json=message), 403, "uczniowie nie wysyłają")
    r = admin.patch(f"/schools/{sid}/messaging-settings", json={
        "students_may_write": True, "smtp_host": "smtp.szkola.test", "smtp_password": "tajne-haslo"})
    assert r.status_code == 200, r.text
    assert r.json()["students_may_write"] is True and r.json()["has_smtp_password"] is True
    assert "tajne-haslo" not in r.text
    assert "tajne-haslo" not in login("a", "director").get(f"/schools/{sid}/messaging-settings").text
    assert_refused(login("a", "director").patch(f"/schools/{sid}/messaging-settings",
                                                json={"students_may_write": False}), 403)
    assert student.post("/messages", json=message).status_code == 201
    assert_refused(student.post("/messages", json={**message, "groups": [{"kind": "all_students"}]}), 403)
    admin.patch(f"/schools/{sid}/messaging-settings", json={"students_may_write": False})


# ------------------------------------------------------------------ TEN-1

def test_ten1_another_schools_messaging_records_answer_404(world, login):
    a, b = world["a"], world["b"]
    rec = b["records"]
    admin, director, parent = login("a", "admin"), login("a", "director"), login("a", "parent")
    teacher = login("a", "teacher")
    checks = [
        (teacher.get(f"/messages/{b['note']['id']}"), "Nie znaleziono wiadomości."),
        (admin.get(f"/messages/{b['note']['id']}/receipts"), None),
        (teacher.post(f"/messages/{b['note']['id']}/replies", json={"body": "Hej"}), None),
        (admin.get(f"/messages/{b['note']['id']}/attachments/{rec['attachment_id']}"), None),
        (director.post(f"/announcements/{rec['announcement_id']}/approval"), None),
        (director.post(f"/announcements/{rec['announcement_id']}/rejection", json={"reason": "Nie wolno."}), None),
        (admin.post(f"/announcements/{rec['announcement_id']}/withdrawal"), None),
        (admin.get(f"/classes/{b['class']['id']}/notes"), None),
        (parent.post(f"/students/{b['student']['id']}/entry-error-reports",
                     json={"entry": "ocena", "body": "x"}), None),
        (admin.post(f"/students/{b['student']['id']}/entry-error-reports", json={"entry": "ocena", "body": "x"}), None),
        (admin.get(f"/schools/{b['school']['id']}/outage-notices"), None),
        (admin.post(f"/schools/{b['school']['id']}/outage-notices/{rec['notice_id']}/withdrawal"), None),
        (admin.post(f"/schools/{a['school']['id']}/outage-notices/{rec['notice_id']}/withdrawal"), None),
        (admin.get(f"/schools/{b['school']['id']}/messaging-settings"), None),
    ]
    for response, text in checks:
        body = assert_refused(response, 404, text)
        assert b["school"]["name"] not in response.text and "Uwaga szkoły B" not in response.text, body
    # School B's records are untouched: the announcement still waits, the notice is active.
    b_director = login("b", "director")
    assert rec["announcement_id"] in [x["id"] for x in b_director.get("/announcements/queue").json()]
    assert rec["notice_id"] in [n["id"] for n in login("b", "teacher").get(
        f"/schools/{b['school']['id']}/outage-notices").json()]
