"""messaging over the real broker (issue 7): the shared running system (every service a process),
on SQLite and PostgreSQL. Recipient groups, tenancy, who may write to whom, attachments, read
receipts, a broadcast to 500 parents, announcements with the director's approval, system
messages from events, notes to the student file, entry-error reports, outage notices and e-mail
notices through a local SMTP server."""
import base64
import email
import email.policy
import os
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import create_engine, text

from services.common.db import normalise_url
from services.common.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from services.common.events import make_envelope
from services.common.outbox import publish_envelope
from tests.harness import free_port, wait_for

pytestmark = pytest.mark.integration
MAX_ATTACHMENT = 200_000
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"


# ------------------------------------------------------------------------------------- fixtures

class Inbox:
    """aiosmtpd handler: keeps every e-mail the messaging service hands over, and (as the
    authenticator) every login and password it was given."""

    def __init__(self):
        self.mails = []
        self.logins = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)

    async def handle_DATA(self, server, session, envelope):
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mails.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                           "subject": str(mail["Subject"]), "text": mail.get_content()})
        return "250 OK"


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=inbox,
                            auth_require_tls=False)
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def cluster(system):
    """The shared running system (tests/conftest.py); every test here makes its own school."""
    assert system.env.get("DZIENNIK_ATTACHMENT_MAX_BYTES") == str(MAX_ATTACHMENT)
    return system


def ctx_of(account):
    return {"user_id": account["id"], "school_id": account["school_id"], "roles": account["roles"]}


def make_school(cluster, prefix="SP"):
    tag = uuid.uuid4().hex[:6]
    return cluster.rpc("identity", "create_school", {"name": f"{prefix} {tag}", "short_name": f"m{tag}"})


def account_maker(cluster, school):
    def acc(roles, first, last, **kw):
        return cluster.rpc("identity", "create_account", {
            "school_id": school["id"], "first_name": first, "last_name": last, "roles": roles, **kw})
    return acc


@pytest.fixture(scope="module")
def school(cluster):
    """Two classes (4a with a class teacher, 4b), their students and parents, staff, and a
    teacher of another school."""
    rpc = cluster.rpc
    s = make_school(cluster)
    acc = account_maker(cluster, s)
    people = dict(
        admin=acc(["school_admin"], "Anna", "Administratorka"),
        director=acc(["director"], "Dorota", "Dyrektorska"),
        wych=acc(["teacher", "class_teacher"], "Wiesława", "Wychowawczyni"),
        teacher=acc(["teacher"], "Tadeusz", "Łęcki"),
        secretary=acc(["secretary"], "Sabina", "Sekretarska"),
        s1=acc(["student"], "Zofia", "Gęślińska"),
        s2=acc(["student"], "Jan", "Kowal"),
        s3=acc(["student"], "Ola", "Lis"),
        p1=acc(["parent"], "Paweł", "Gęśliński"),
        p2=acc(["parent"], "Maria", "Kowal"),
        p3=acc(["parent"], "Ewa", "Lis"),
    )
    admin = ctx_of(people["admin"])
    for parent, student in (("p1", "s1"), ("p2", "s2"), ("p3", "s3")):
        rpc("identity", "link_guardian", s["id"], {"parent_id": people[parent]["id"],
                                                   "student_id": people[student]["id"]}, ctx=admin)
    k4a = rpc("scheduling", "create_class", s["id"], {"name": "4a", "class_teacher_id": people["wych"]["id"]}, ctx=admin)
    k4b = rpc("scheduling", "create_class", s["id"], {"name": "4b"}, ctx=admin)
    for st, k in (("s1", k4a), ("s2", k4a), ("s3", k4b)):
        rpc("scheduling", "enrol_student", k["id"], {"student_id": people[st]["id"]}, ctx=admin)
    other = make_school(cluster, "Liceum")
    outsider = account_maker(cluster, other)(["teacher"], "Olga", "Obca")
    return dict(school=s, k4a=k4a, k4b=k4b, outsider=outsider, **people)


def send(cluster, sender, **data):
    data.setdefault("subject", "Informacja")
    data.setdefault("body", "Treść wiadomości.")
    return cluster.rpc("messaging", "send_message", data, ctx=ctx_of(sender))


def received_ids(cluster, account, folder="received"):
    box = cluster.rpc("messaging", "mailbox", folder, None, 1, 100, ctx=ctx_of(account))
    return [m["id"] for m in box["items"]]


def recipients_of(cluster, sender, message_id):
    return {r["recipient_id"] for r in cluster.rpc("messaging", "receipts", message_id, ctx=ctx_of(sender))}


def sent_count(cluster, account):
    return cluster.rpc("messaging", "mailbox", "sent", ctx=ctx_of(account))["total"]


def b64(data):
    return base64.b64encode(data).decode("ascii")


def publish_event(cluster, name, payload, school_id):
    """Publish an event as its producer's outbox relay would (for producers outside this test)."""
    from nameko.amqp.publish import Publisher
    envelope = make_envelope(name, payload, school_id=school_id)
    publish_envelope(Publisher(cluster.broker.amqp_uri, use_confirms=True), envelope)
    return envelope


# ------------------------------------------------------------------------------------- MSG-1: groups and who writes to whom

def test_msg1_recipient_groups_are_resolved_at_sending(cluster, school):
    ids = lambda *names: {school[n]["id"] for n in names}   # noqa: E731
    msg = send(cluster, school["wych"], groups=[{"kind": "class_parents", "class_id": school["k4a"]["id"]},
                                                {"kind": "all_teachers"}],
               recipient_ids=[school["secretary"]["id"]])
    # The class's parents, every teacher but the sender, the secretary; no duplicates.
    assert recipients_of(cluster, school["wych"], msg["id"]) == ids("p1", "p2", "teacher", "secretary")
    assert msg["recipient_count"] == 4
    assert [g["label"] for g in msg["recipient_groups"]] == ["rodzice klasy 4a", "wszyscy nauczyciele"]

    msg = send(cluster, school["director"], groups=[{"kind": "class_students", "class_id": school["k4b"]["id"]},
                                                    {"kind": "all_parents"}])
    assert recipients_of(cluster, school["director"], msg["id"]) == ids("s3", "p1", "p2", "p3")
    msg = send(cluster, school["secretary"], groups=[{"kind": "all_students"}])
    assert recipients_of(cluster, school["secretary"], msg["id"]) == ids("s1", "s2", "s3")
    assert msg["id"] in received_ids(cluster, school["s3"])


def test_ten1_a_recipient_of_another_school_is_refused_and_nothing_is_stored(cluster, school):
    before = sent_count(cluster, school["teacher"]), received_ids(cluster, school["p1"])
    with pytest.raises(NotFound) as err:
        send(cluster, school["teacher"], subject="Do dwóch szkół",
             recipient_ids=[school["p1"]["id"], school["outsider"]["id"]])
    assert "odbiorcy" in err.value.message
    with pytest.raises(NotFound):
        send(cluster, school["teacher"], groups=[{"kind": "class_parents", "class_id": "nie-istnieje"}])
    assert (sent_count(cluster, school["teacher"]), received_ids(cluster, school["p1"])) == before
    # The outsider's school cannot address this school's class either.
    with pytest.raises(NotFound):
        send(cluster, school["outsider"], groups=[{"kind": "class_parents", "class_id": school["k4a"]["id"]}])


def test_msg1_a_parent_may_not_write_to_a_classs_parents(cluster, school):
    p1 = school["p1"]
    before = received_ids(cluster, school["p2"])
    with pytest.raises(Forbidden) as err:
        send(cluster, p1, groups=[{"kind": "class_parents", "class_id": school["k4a"]["id"]}])
    assert err.value.message == "Rodzic nie może pisać do rodziców klasy."
    with pytest.raises(Forbidden):
        send(cluster, p1, recipient_ids=[school["p2"]["id"]])
    assert received_ids(cluster, school["p2"]) == before and sent_count(cluster, p1) == 0
    # A student reads but does not write unless the school allows it.
    with pytest.raises(Forbidden):
        send(cluster, school["s1"], recipient_ids=[school["wych"]["id"]])


def test_msg1_parent_writes_to_the_class_teacher_and_they_talk_in_a_thread(cluster, school):
    p1, wych = school["p1"], school["wych"]
    question = send(cluster, p1, subject="Wycieczka", body="Czy wycieczka jest w piątek?",
                    recipient_ids=[wych["id"], school["director"]["id"]])
    answer = cluster.rpc("messaging", "reply", question["id"], {"body": "Tak, w piątek o 8:00."}, ctx=ctx_of(wych))
    assert answer["subject"] == "Odp: Wycieczka" and answer["thread_id"] == question["id"]
    assert recipients_of(cluster, wych, answer["id"]) == {p1["id"]}
    opened = cluster.rpc("messaging", "read_message", answer["id"], ctx=ctx_of(p1))
    assert [m["id"] for m in opened["thread"]] == [question["id"], answer["id"]]
    # The director received the question but not the answer: the thread shows only what one took part in.
    seen = cluster.rpc("messaging", "read_message", question["id"], ctx=ctx_of(school["director"]))
    assert [m["id"] for m in seen["thread"]] == [question["id"]]
    with pytest.raises(NotFound):
        cluster.rpc("messaging", "reply", question["id"], {"body": "Wtrącam się."}, ctx=ctx_of(school["p2"]))


def test_an_empty_message_is_refused(cluster, school):
    with pytest.raises(Invalid) as err:
        send(cluster, school["teacher"], subject="   ", body="", recipient_ids=[school["p1"]["id"]])
    assert {"subject", "body"} <= set(err.value.fields)
    with pytest.raises(Invalid):
        send(cluster, school["teacher"], recipient_ids=[])
    with pytest.raises(Invalid):
        send(cluster, school["teacher"], recipient_ids=[school["teacher"]["id"]])   # only oneself


# ------------------------------------------------------------------------------------- attachments

def test_attachments_are_limited_typed_and_served_only_to_sender_and_recipients(cluster, school):
    teacher, p1 = school["teacher"], school["p1"]
    before = sent_count(cluster, teacher)
    too_big = PDF + b"0" * MAX_ATTACHMENT
    with pytest.raises(Invalid) as err:
        send(cluster, teacher, recipient_ids=[p1["id"]],
             attachments=[{"filename": "duzy.pdf", "content_type": "application/pdf", "content_base64": b64(too_big)}])
    assert "za duży" in err.value.message
    with pytest.raises(Invalid) as err:
        send(cluster, teacher, recipient_ids=[p1["id"]],
             attachments=[{"filename": "gra.exe", "content_type": "application/x-msdownload",
                           "content_base64": b64(b"MZ\x90\x00" + b"\x00" * 100)}])
    assert "Niedozwolony typ" in err.value.message
    with pytest.raises(Invalid) as err:
        send(cluster, teacher, recipient_ids=[p1["id"]],
             attachments=[{"filename": "plan.pdf", "content_type": "application/pdf",
                           "content_base64": b64(b"<html><script>alert(1)</script>")}])
    assert "nie odpowiada" in err.value.message
    assert sent_count(cluster, teacher) == before

    msg = send(cluster, teacher, subject="Plan zajęć", recipient_ids=[p1["id"]],
               attachments=[{"filename": "plan zajęć.pdf", "content_type": "application/pdf", "content_base64": b64(PDF)}])
    [meta] = msg["attachments"]
    assert meta["filename"] == "plan zajęć.pdf" and meta["size"] == len(PDF) and msg["has_attachments"]
    for who in (p1, teacher):
        got = cluster.rpc("messaging", "attachment", msg["id"], meta["id"], ctx=ctx_of(who))
        assert base64.b64decode(got["content_base64"]) == PDF and got["content_type"] == "application/pdf"
    for who in (school["p2"], school["wych"], school["outsider"]):
        with pytest.raises(NotFound):
            cluster.rpc("messaging", "attachment", msg["id"], meta["id"], ctx=ctx_of(who))
    # Stored once, by content hash, under the data folder.
    import hashlib
    digest = hashlib.sha256(PDF).hexdigest()
    assert os.path.exists(os.path.join(cluster.backend.tmp, "messaging", "attachments", digest[:2], digest))


# ------------------------------------------------------------------------------------- MSG-2: receipts

def test_msg2_read_receipt_is_recorded_once_and_cannot_be_set_by_someone_else(cluster, school):
    teacher, p1, p2 = school["teacher"], school["p1"], school["p2"]
    msg = send(cluster, teacher, subject="Zebranie z rodzicami", recipient_ids=[p1["id"]])
    unread_before = cluster.rpc("messaging", "unread_count", ctx=ctx_of(p1))["received"]
    # Another parent, the sender and another school's user cannot open it as p1's receipt.
    with pytest.raises(NotFound):
        cluster.rpc("messaging", "read_message", msg["id"], ctx=ctx_of(p2))
    with pytest.raises(NotFound):
        cluster.rpc("messaging", "read_message", msg["id"], ctx=ctx_of(school["outsider"]))
    cluster.rpc("messaging", "read_message", msg["id"], ctx=ctx_of(teacher))
    # A forged context without a user records nothing either.
    with pytest.raises(Unauthenticated):
        cluster.rpc("messaging", "read_message", msg["id"], ctx={"school_id": p1["school_id"], "roles": ["parent"]})
    [row] = cluster.rpc("messaging", "receipts", msg["id"], ctx=ctx_of(teacher))
    assert row == {"recipient_id": p1["id"], "recipient_name": "Paweł Gęśliński", "read_at": None}

    first = cluster.rpc("messaging", "read_message", msg["id"], ctx=ctx_of(p1))["read_at"]
    time.sleep(0.05)
    again = cluster.rpc("messaging", "read_message", msg["id"], ctx=ctx_of(p1))["read_at"]
    assert first and again == first
    [row] = cluster.rpc("messaging", "receipts", msg["id"], ctx=ctx_of(teacher))
    assert row["read_at"] == first
    assert cluster.rpc("messaging", "unread_count", ctx=ctx_of(p1))["received"] == unread_before - 1
    # Only the sender (and the director, administrators) see receipts.
    with pytest.raises(Forbidden):
        cluster.rpc("messaging", "receipts", msg["id"], ctx=ctx_of(p1))
    assert cluster.rpc("messaging", "receipts", msg["id"], True, ctx=ctx_of(school["director"]))["counts"] == \
        {"total": 1, "read": 1, "unread": 0}


def test_msg2_broadcast_to_500_parents_in_one_call_with_receipts_counted(cluster):
    from nameko.standalone.rpc import ClusterRpcProxy
    big = make_school(cluster, "Zespół Szkół")
    acc = account_maker(cluster, big)
    director = acc(["director"], "Dariusz", "Dyrektor")
    tag = uuid.uuid4().hex[:5]
    parents = []
    with ClusterRpcProxy({"AMQP_URI": cluster.broker.amqp_uri}, context_data={"roles": ["system"]},
                         timeout=60) as proxy:
        for start in range(0, 500, 50):
            calls = [proxy.identity.create_account.call_async({
                "school_id": big["id"], "first_name": "Rodzic", "last_name": f"Numer{i}",
                "login": f"r{tag}{i:03d}", "roles": ["parent"]}) for i in range(start, start + 50)]
            parents += [c.result() for c in calls]
    started = time.monotonic()
    msg = cluster.rpc("messaging", "send_message", {"subject": "Dzień otwarty", "body": "Zapraszamy w sobotę.",
                                                    "groups": [{"kind": "all_parents"}]},
                      ctx=ctx_of(director), timeout=30)
    elapsed = time.monotonic() - started
    print(f"broadcast to 500 parents in one call: {elapsed:.2f} s")
    assert msg["recipient_count"] == 500
    assert elapsed < 10, f"broadcast took {elapsed:.1f}s"
    summary = cluster.rpc("messaging", "receipts", msg["id"], True, ctx=ctx_of(director))
    assert summary["counts"] == {"total": 500, "read": 0, "unread": 500}
    for p in parents[:3]:
        cluster.rpc("messaging", "read_message", msg["id"], ctx=ctx_of(p))
    summary = cluster.rpc("messaging", "receipts", msg["id"], True, {"status": "read"}, ctx=ctx_of(director))
    assert summary["counts"] == {"total": 500, "read": 3, "unread": 497}
    assert {r["recipient_id"] for r in summary["recipients"]} == {p["id"] for p in parents[:3]}
    page = cluster.rpc("messaging", "receipts", msg["id"], True, {"status": "unread", "page": 5, "page_size": 100},
                       ctx=ctx_of(director))
    assert len(page["recipients"]) == 97
    sent = cluster.rpc("messaging", "mailbox", "sent", ctx=ctx_of(director))["items"][0]
    assert (sent["id"], sent["recipient_count"], sent["read_count"]) == (msg["id"], 500, 3)
    assert cluster.rpc("messaging", "unread_count", ctx=ctx_of(parents[10]))["received"] == 1


# ------------------------------------------------------------------------------------- MSG-4: announcements

def test_msg4_announcement_needing_approval_waits_until_the_director_approves(cluster, school):
    wych, p1, director = school["wych"], school["p1"], school["director"]
    ann = cluster.rpc("messaging", "publish_announcement", {
        "title": "Zbiórka na teatr", "body": "Zbieramy po 20 zł na wyjście do teatru.", "topic": "fundraising",
        "audience": {"class_ids": [school["k4a"]["id"]]}}, ctx=ctx_of(wych))
    assert ann["status"] == "pending" and ann["needs_approval"] and ann["audience_label"] == "klasa 4a"
    titles = lambda who: [a["title"] for a in cluster.rpc("messaging", "announcements", ctx=ctx_of(school[who]))]  # noqa: E731
    assert "Zbiórka na teatr" not in titles("p1")
    queue = cluster.rpc("messaging", "approval_queue", ctx=ctx_of(director))
    assert ann["id"] in [a["id"] for a in queue]
    for who in ("wych", "admin", "p1"):
        with pytest.raises(Forbidden):
            cluster.rpc("messaging", "approve_announcement", ann["id"], ctx=ctx_of(school[who]))
    # The director was told in a system message.
    assert any("akceptację" in m["subject"] for m in
               cluster.rpc("messaging", "mailbox", "system", ctx=ctx_of(director))["items"])

    approved = cluster.rpc("messaging", "approve_announcement", ann["id"], ctx=ctx_of(director))
    assert approved["status"] == "published" and approved["decided_by"] == director["id"]
    with pytest.raises(Conflict):
        cluster.rpc("messaging", "approve_announcement", ann["id"], ctx=ctx_of(director))
    assert "Zbiórka na teatr" in titles("p1") and "Zbiórka na teatr" in titles("s2")
    assert "Zbiórka na teatr" not in titles("p3") and "Zbiórka na teatr" not in titles("teacher")
    assert any(m["subject"] == "Ogłoszenie zaakceptowane" for m in
               cluster.rpc("messaging", "mailbox", "system", ctx=ctx_of(wych))["items"])
    box = cluster.rpc("messaging", "mailbox", "announcements", "teatr", ctx=ctx_of(p1))
    assert [a["id"] for a in box["items"]] == [ann["id"]]


def test_msg4_rejection_comes_back_with_a_reason_and_plain_ones_publish_at_once(cluster, school):
    teacher, director = school["teacher"], school["director"]
    ann = cluster.rpc("messaging", "publish_announcement", {
        "title": "Festyn szkolny", "body": "Festyn dla całej szkoły.", "topic": "school_event",
        "audience": {"whole_school": True}}, ctx=ctx_of(teacher))
    with pytest.raises(Invalid):
        cluster.rpc("messaging", "reject_announcement", ann["id"], {"reason": ""}, ctx=ctx_of(director))
    rejected = cluster.rpc("messaging", "reject_announcement", ann["id"], "Termin koliduje z egzaminem.",
                           ctx=ctx_of(director))
    assert rejected["status"] == "rejected" and rejected["rejection_reason"] == "Termin koliduje z egzaminem."
    mine = {a["id"]: a for a in cluster.rpc("messaging", "my_announcements", ctx=ctx_of(teacher))}
    assert mine[ann["id"]]["rejection_reason"] == "Termin koliduje z egzaminem."
    system = cluster.rpc("messaging", "mailbox", "system", "festyn", ctx=ctx_of(teacher))["items"]
    opened = cluster.rpc("messaging", "read_message", system[0]["id"], ctx=ctx_of(teacher))
    assert "Termin koliduje z egzaminem." in opened["body"] and not opened["can_reply"]
    assert "Festyn szkolny" not in [a["title"] for a in cluster.rpc("messaging", "announcements", ctx=ctx_of(school["p1"]))]

    plain = cluster.rpc("messaging", "publish_announcement", {
        "title": "Rada pedagogiczna", "body": "W środę o 15:00.", "audience": {"roles": ["teachers"]},
        "valid_until": (date.today() + timedelta(days=3)).isoformat()}, ctx=ctx_of(director))
    assert plain["status"] == "published"
    assert plain["id"] in [a["id"] for a in cluster.rpc("messaging", "announcements", ctx=ctx_of(school["wych"]))]
    assert plain["id"] not in [a["id"] for a in cluster.rpc("messaging", "announcements", ctx=ctx_of(school["p1"]))]
    with pytest.raises(Forbidden):
        cluster.rpc("messaging", "publish_announcement", {"title": "x", "body": "y", "audience": {"whole_school": True}},
                    ctx=ctx_of(school["p1"]))
    with pytest.raises(Invalid) as err:
        cluster.rpc("messaging", "publish_announcement", {"title": "x", "body": "y", "audience": {}},
                    ctx=ctx_of(teacher))
    assert "audience" in err.value.fields


# ------------------------------------------------------------------------------------- MSG-3: notes

def test_msg3_a_note_still_reaches_the_student_file_and_the_class_teacher_sees_the_classs_notes(cluster, school):
    wych, teacher, s1, s2, p1 = school["wych"], school["teacher"], school["s1"], school["s2"], school["p1"]
    neg = send(cluster, teacher, kind="note", subject="Ucieczka z lekcji", body="Zofia opuściła lekcję.",
               student_id=s1["id"], note_kind="negative", note_category="frekwencja")
    pos = send(cluster, teacher, kind="note", subject="Pomoc koleżeńska", body="Jan pomógł w nauce.",
               student_id=s2["id"], note_kind="positive", note_category="zachowanie")
    assert neg["recipient_count"] == 1
    file = wait_for(lambda: (f := cluster.rpc("identity", "get_student_file", s1["id"], ctx=ctx_of(p1)))["notes"] and f,
                    timeout=20, what="note in the student file")
    assert file["notes"][0]["source_message_id"] == neg["id"] and file["notes"][0]["kind"] == "negative"
    assert neg["id"] in received_ids(cluster, p1)
    notes = cluster.rpc("messaging", "class_notes", school["k4a"]["id"], ctx=ctx_of(wych))
    assert {n["id"] for n in notes["notes"]} >= {neg["id"], pos["id"]}
    assert notes["counts"]["negative"] >= 1 and notes["counts"]["positive"] >= 1
    assert notes["by_category"]["frekwencja"] >= 1
    assert {n["student_name"] for n in notes["notes"]} <= {"Zofia Gęślińska", "Jan Kowal"}
    with pytest.raises(Forbidden):
        cluster.rpc("messaging", "class_notes", school["k4a"]["id"], ctx=ctx_of(teacher))
    with pytest.raises(Forbidden):
        send(cluster, p1, kind="note", subject="x", body="y", student_id=s2["id"], note_kind="negative")


# ------------------------------------------------------------------------------------- MSG-5: system messages

def test_msg5_system_message_when_an_account_is_blocked(cluster, school):
    victim = account_maker(cluster, school["school"])(["teacher"], "Bartosz", "Blokowany")
    cluster.rpc("identity", "block_account", victim["id"], {"reason": "podejrzenie włamania"},
                ctx=ctx_of(school["admin"]))

    def system_subjects(who):
        return [m["subject"] for m in cluster.rpc("messaging", "mailbox", "system", ctx=ctx_of(who))["items"]]
    wait_for(lambda: "Twoje konto zostało zablokowane" in system_subjects(victim), timeout=20,
             what="system message to the blocked user")
    assert "Zablokowano konto nauczyciela: Bartosz Blokowany" in system_subjects(school["admin"])
    assert cluster.rpc("messaging", "unread_count", ctx=ctx_of(victim)) == {"received": 0, "system": 1, "total": 1}


def test_msg5_substitution_and_absences_become_system_messages_once(cluster, school):
    wych, teacher, s1, p1, p2 = school["wych"], school["teacher"], school["s1"], school["p1"], school["p2"]
    sid = school["school"]["id"]
    env = publish_event(cluster, "scheduling.substitution_assigned", {
        "substitution_id": str(uuid.uuid4()), "lesson_id": str(uuid.uuid4()), "class_id": school["k4a"]["id"],
        "subject_id": str(uuid.uuid4()), "subject_name": "matematyka", "date": "2026-03-02", "period": 3,
        "teacher_id": wych["id"], "substitute_teacher_id": teacher["id"], "reason": "choroba"}, sid)
    # Delivered twice (at-least-once): applied once.
    from nameko.amqp.publish import Publisher
    publish_envelope(Publisher(cluster.broker.amqp_uri, use_confirms=True), env)

    def subjects(who, search):
        return [m["subject"] for m in cluster.rpc("messaging", "mailbox", "system", search, ctx=ctx_of(who))["items"]]
    wait_for(lambda: subjects(p2, "zastępstwo"), timeout=20, what="substitution notice to parents")
    assert subjects(teacher, "zastępstwo") == ["Zastępstwo: matematyka w klasie 4a, 02.03.2026, lekcja 3"]
    assert subjects(wych, "zastępstwo") == ["Zastępstwo za Twoją lekcję: matematyka w klasie 4a, 02.03.2026, lekcja 3"]
    assert len(subjects(s1, "zastępstwo")) == 1 and len(subjects(p1, "zastępstwo")) == 1

    for period in (1, 2):
        publish_event(cluster, "attendance.absence_recorded", {
            "entry_id": str(uuid.uuid4()), "lesson_id": str(uuid.uuid4()), "student_id": s1["id"],
            "class_id": school["k4a"]["id"], "subject_id": str(uuid.uuid4()), "lesson_date": "2026-03-03",
            "period": period, "category": "absent", "recorded_by": teacher["id"],
            "entered_at": datetime.now(timezone.utc).isoformat(), "backfilled": False}, sid)

    # Searched, not opened: opening would record the receipt, and a read message no longer grows.
    wait_for(lambda: cluster.rpc("messaging", "mailbox", "system", "nieobecność lekcje: 1, 2", ctx=ctx_of(p1))["total"],
             timeout=20, what="one absence message for the day with both lessons")
    [item] = cluster.rpc("messaging", "mailbox", "system", "nieobecność", ctx=ctx_of(p1))["items"]
    body = cluster.rpc("messaging", "read_message", item["id"], ctx=ctx_of(p1))["body"]
    assert "03.03.2026" in body and "lekcje: 1, 2" in body
    # Once read, the next absence of that day starts a new message.
    publish_event(cluster, "attendance.absence_recorded", {
        "entry_id": str(uuid.uuid4()), "lesson_id": str(uuid.uuid4()), "student_id": s1["id"],
        "class_id": school["k4a"]["id"], "subject_id": str(uuid.uuid4()), "lesson_date": "2026-03-03",
        "period": 5, "category": "absent", "recorded_by": teacher["id"],
        "entered_at": datetime.now(timezone.utc).isoformat(), "backfilled": True}, sid)
    wait_for(lambda: cluster.rpc("messaging", "mailbox", "system", "nieobecność", ctx=ctx_of(p1))["total"] == 2,
             timeout=20, what="a second absence message after the first was read")


def test_msg5_org3_a_cancelled_lesson_reaches_its_teacher_the_class_and_the_parents(cluster, school):
    wych, s1, p1, p2, teacher = school["wych"], school["s1"], school["p1"], school["p2"], school["teacher"]
    publish_event(cluster, "scheduling.lesson_cancelled", {
        "lesson_id": str(uuid.uuid4()), "class_id": school["k4a"]["id"], "subject_id": str(uuid.uuid4()),
        "subject_name": "historia", "date": "2026-03-04", "period": 2, "teacher_id": wych["id"],
        "reason": "wyjście do teatru", "substitution_id": None}, school["school"]["id"])

    def subjects(who):
        return [m["subject"] for m in cluster.rpc("messaging", "mailbox", "system", "odwołana",
                                                  ctx=ctx_of(who))["items"]]
    wait_for(lambda: subjects(p2), timeout=20, what="cancellation notice to the parents")
    assert subjects(wych) == ["Odwołana lekcja: historia w klasie 4a, 04.03.2026, lekcja 2"]
    assert subjects(s1) == subjects(p1) == ["Odwołana lekcja: historia, 04.03.2026, lekcja 2"]
    assert subjects(teacher) == []
    [item] = cluster.rpc("messaging", "mailbox", "system", "odwołana", ctx=ctx_of(p1))["items"]
    assert "wyjście do teatru" in cluster.rpc("messaging", "read_message", item["id"], ctx=ctx_of(p1))["body"]


def test_msg5_at_risk_notice_reaches_the_parents(cluster, school):
    s2, p2 = school["s2"], school["p2"]
    publish_event(cluster, "grades.at_risk_flagged", {
        "flag_id": str(uuid.uuid4()), "student_id": s2["id"], "class_id": school["k4a"]["id"],
        "subject_id": str(uuid.uuid4()), "behaviour": False, "reason": "niedostateczna",
        "kind": "predicted_annual", "school_year": "2025/2026", "notice_deadline": "2026-05-29"},
        school["school"]["id"])
    items = wait_for(lambda: cluster.rpc("messaging", "mailbox", "system", "zagrożenie", ctx=ctx_of(p2))["items"],
                     timeout=20, what="at-risk notice to the parent")
    assert items[0]["subject"] == "Zagrożenie: Jan Kowal" and items[0]["student_id"] == s2["id"]
    body = cluster.rpc("messaging", "read_message", items[0]["id"], ctx=ctx_of(p2))["body"]
    assert "roczna ocena niedostateczna" in body and "29.05.2026" in body


def test_msg5_archive_ready_reaches_administrators_and_the_director(cluster, school):
    publish_event(cluster, "archive.archive_completed", {
        "archive_id": str(uuid.uuid4()), "year_id": str(uuid.uuid4()), "school_year": "2025/2026",
        "trigger": "manual", "xml_sha256": "0" * 64, "records": 1234, "signed": False,
        "retention_until": "2032-09-10"}, school["school"]["id"])
    for who in ("admin", "director"):
        items = wait_for(lambda: cluster.rpc("messaging", "mailbox", "system", "archiwum",
                                             ctx=ctx_of(school[who]))["items"], timeout=20, what="archive notice")
        assert items[0]["subject"] == "Archiwum dziennika gotowe: 2025/2026"
    assert cluster.rpc("messaging", "mailbox", "system", "archiwum", ctx=ctx_of(school["teacher"]))["total"] == 0


# ------------------------------------------------------------------------------------- MSG-6: entry errors

def test_msg6_a_parent_reports_an_error_in_an_entry(cluster, school):
    p1, wych, admin = school["p1"], school["wych"], school["admin"]
    report = cluster.rpc("messaging", "report_entry_error", {
        "student_id": school["s1"]["id"], "entry": "ocena z matematyki z 12.03",
        "body": "Zofia była nieobecna na tym sprawdzianie."}, ctx=ctx_of(p1))
    assert report["kind"] == "error_report" and report["id"] in received_ids(cluster, wych)
    to_admin = cluster.rpc("messaging", "report_entry_error", {
        "student_id": school["s1"]["id"], "addressee": "administrator", "entry": "frekwencja 3.03",
        "body": "Podwójny wpis."}, ctx=ctx_of(p1))
    assert to_admin["id"] in received_ids(cluster, admin)
    with pytest.raises(Forbidden):
        cluster.rpc("messaging", "report_entry_error", {"student_id": school["s3"]["id"], "entry": "ocena z 1.03",
                                                        "body": "Błąd."}, ctx=ctx_of(p1))
    # The class teacher answers in the thread.
    cluster.rpc("messaging", "reply", report["id"], {"body": "Poprawię wpis."}, ctx=ctx_of(wych))


# ------------------------------------------------------------------------------------- OPS-1: outage notices

def test_ops1_outage_notice_is_shown_to_the_school_and_public_when_long(cluster, school):
    admin = school["admin"]
    sid = school["school"]["id"]
    now = datetime.now(timezone.utc)
    with pytest.raises(Forbidden):
        cluster.rpc("messaging", "publish_outage_notice", {"text": "Awaria", "expected_repair_at": now.isoformat()},
                    ctx=ctx_of(school["teacher"]))
    with pytest.raises(Invalid):
        cluster.rpc("messaging", "publish_outage_notice", {"text": "Awaria serwera",
                                                           "expected_repair_at": (now - timedelta(hours=1)).isoformat()},
                    ctx=ctx_of(admin))
    short = cluster.rpc("messaging", "publish_outage_notice", {
        "text": "Przerwa w działaniu dziennika.", "expected_repair_at": (now + timedelta(hours=3)).isoformat()},
        ctx=ctx_of(admin))
    long = cluster.rpc("messaging", "publish_outage_notice", {
        "text": "Awaria serwerowni, dziennik niedostępny.", "expected_repair_at": (now + timedelta(days=2)).isoformat()},
        ctx=ctx_of(admin))
    assert (short["public"], long["public"]) == (False, True)
    shown = cluster.rpc("messaging", "outage_notices", sid, ctx=ctx_of(school["p1"]))
    assert {n["id"] for n in shown} >= {short["id"], long["id"]}
    public = cluster.rpc("messaging", "public_outage_notices", ctx={})
    mine = [n for n in public if n["text"] == "Awaria serwerowni, dziennik niedostępny."]
    assert mine and mine[0]["school_name"] == school["school"]["name"] and "published_by" not in mine[0]
    assert "Przerwa w działaniu dziennika." not in [n["text"] for n in public]
    # The director and teachers were told (XI.2.a).
    for who in ("director", "teacher", "wych"):
        assert any(m["subject"] == "Awaria dziennika elektronicznego" for m in
                   cluster.rpc("messaging", "mailbox", "system", ctx=ctx_of(school[who]))["items"])
    with pytest.raises(NotFound):
        cluster.rpc("messaging", "outage_notices", sid, ctx=ctx_of(school["outsider"]))
    cluster.rpc("messaging", "withdraw_outage_notice", long["id"], ctx=ctx_of(admin))
    assert long["id"] not in [n.get("id") for n in cluster.rpc("messaging", "outage_notices", sid, ctx=ctx_of(admin))]
    assert "Awaria serwerowni, dziennik niedostępny." not in \
        [n["text"] for n in cluster.rpc("messaging", "public_outage_notices", ctx={})]


# ------------------------------------------------------------------------------------- mailbox

def test_mailbox_folders_search_and_pages(cluster, school):
    teacher, p2 = school["teacher"], school["p2"]
    for i in range(3):
        send(cluster, teacher, subject=f"Kółko szachowe {i}", body="Spotkanie w sali 12.", recipient_ids=[p2["id"]])
    found = cluster.rpc("messaging", "mailbox", "received", "SZACHOWE", 1, 2, ctx=ctx_of(p2))
    assert found["total"] == 3 and found["unread"] == 3 and len(found["items"]) == 2
    assert [m["subject"] for m in found["items"]] == ["Kółko szachowe 2", "Kółko szachowe 1"]
    second = cluster.rpc("messaging", "mailbox", "received", "szachowe", 2, 2, ctx=ctx_of(p2))
    assert [m["subject"] for m in second["items"]] == ["Kółko szachowe 0"]
    assert cluster.rpc("messaging", "mailbox", "received", "łęcki kółko", ctx=ctx_of(p2))["total"] == 3
    assert cluster.rpc("messaging", "mailbox", "received", "50%_", ctx=ctx_of(p2))["total"] == 0
    with pytest.raises(Invalid):
        cluster.rpc("messaging", "mailbox", "kosz", ctx=ctx_of(p2))


# ------------------------------------------------------------------------------------- e-mail notices

def test_email_notice_of_a_new_message_arrives_at_the_schools_smtp_server(cluster, smtp):
    controller, inbox = smtp
    s = make_school(cluster, "SP z pocztą")
    acc = account_maker(cluster, s)
    admin = acc(["school_admin"], "Adam", "Admin")
    teacher = acc(["teacher"], "Teresa", "Nauczycielka")
    parent = acc(["parent"], "Piotr", "Poczta", email=f"piotr.{s['short_name']}@example.org")
    with pytest.raises(Invalid):
        cluster.rpc("messaging", "update_messaging_settings", s["id"], {"email_enabled": True}, ctx=ctx_of(admin))
    with pytest.raises(Forbidden):
        cluster.rpc("messaging", "update_messaging_settings", s["id"], {"students_may_write": True},
                    ctx=ctx_of(teacher))
    settings = cluster.rpc("messaging", "update_messaging_settings", s["id"], {
        "email_enabled": True, "smtp_host": controller.hostname, "smtp_port": controller.port,
        "smtp_security": "none", "from_address": "dziennik@example.org", "smtp_user": "dziennik",
        "smtp_password": "tajne-Hasło-SMTP"}, ctx=ctx_of(admin))
    assert settings["has_smtp_password"] and "smtp_password" not in settings
    # The password is sealed in messaging's database, and the SMTP server gets it in the clear.
    engine = create_engine(normalise_url(cluster.env["MESSAGING_DATABASE_URL"]))
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT smtp_password FROM messaging_settings WHERE school_id = :s"),
                                  {"s": s["id"]}).scalar_one()
    finally:
        engine.dispose()
    assert stored.startswith("sealed:v1:") and "tajne" not in stored
    msg = send(cluster, teacher, subject="Prywatny temat", body="Poufna treść.", recipient_ids=[parent["id"]])
    mail = wait_for(lambda: next((m for m in inbox.mails if parent["email"] in m["to"]), None), timeout=20,
                    what="e-mail notice at the SMTP server")
    assert mail["from"] == "dziennik@example.org"
    assert mail["subject"] == f"{s['name']}: Nowa wiadomość"
    assert "Teresa Nauczycielka" in mail["text"] and "Zaloguj" in mail["text"]
    assert "Poufna" not in mail["text"] and "Prywatny temat" not in mail["text"]
    assert msg["recipient_count"] == 1
    assert ("dziennik", "tajne-Hasło-SMTP") in inbox.logins


def test_students_write_to_staff_only_where_the_school_allows(cluster, school):
    s1, admin, wych = school["s1"], school["admin"], school["wych"]
    sid = school["school"]["id"]
    with pytest.raises(Forbidden):
        send(cluster, s1, recipient_ids=[wych["id"]])
    assert cluster.rpc("messaging", "update_messaging_settings", sid, {"students_may_write": True},
                       ctx=ctx_of(admin))["students_may_write"] is True
    msg = send(cluster, s1, subject="Zadanie domowe", recipient_ids=[wych["id"]])
    assert msg["id"] in received_ids(cluster, wych)
    with pytest.raises(Forbidden):
        send(cluster, s1, recipient_ids=[school["s2"]["id"]])
    with pytest.raises(Forbidden):
        send(cluster, s1, groups=[{"kind": "class_students", "class_id": school["k4a"]["id"]}])
    cluster.rpc("messaging", "update_messaging_settings", sid, {"students_may_write": False}, ctx=ctx_of(admin))
    with pytest.raises(Forbidden):
        cluster.rpc("messaging", "reply", msg["id"], {"body": "Jeszcze jedno."}, ctx=ctx_of(s1))


def test_msg1_a_parent_is_offered_the_childs_teachers_the_director_and_the_administrator(cluster):
    """Chapter II, parent 5: a parent writes to teachers, class teachers, the director and the
    administrator. ``contacts`` lists those of the children's classes (with why), never another
    class's teacher, a parent or a blocked account; staff pick from the whole school instead."""
    s = make_school(cluster, "SP kontakty")
    acc = account_maker(cluster, s)
    admin, director = acc(["school_admin"], "Anna", "Admin"), acc(["director"], "Dorota", "Dyrektor")
    wych, math = acc(["teacher", "class_teacher"], "Wanda", "Wych"), acc(["teacher"], "Marek", "Matma")
    other_teacher, secretary = acc(["teacher"], "Inna", "Klasa"), acc(["secretary"], "Sabina", "Sekretarz")
    kid, other_kid = acc(["student"], "Zosia", "Kowal"), acc(["student"], "Adam", "Nowak")
    parent, other_parent = acc(["parent"], "Piotr", "Kowal"), acc(["parent"], "Ewa", "Nowak")
    ctx = ctx_of(admin)
    cluster.rpc("identity", "link_guardian", s["id"], {"parent_id": parent["id"], "student_id": kid["id"]}, ctx=ctx)
    k5a = cluster.rpc("scheduling", "create_class", s["id"], {"name": "5a", "class_teacher_id": wych["id"]}, ctx=ctx)
    k5b = cluster.rpc("scheduling", "create_class", s["id"], {"name": "5b"}, ctx=ctx)
    maths = cluster.rpc("scheduling", "create_subject", s["id"], {"name": "matematyka"}, ctx=ctx)
    for teacher, klass in ((math, k5a), (wych, k5a), (other_teacher, k5b)):
        cluster.rpc("scheduling", "create_assignment", s["id"], {"teacher_id": teacher["id"], "subject_id": maths["id"],
                                                                 "class_id": klass["id"]}, ctx=ctx)
    cluster.rpc("scheduling", "enrol_student", k5a["id"], {"student_id": kid["id"]}, ctx=ctx)
    cluster.rpc("scheduling", "enrol_student", k5b["id"], {"student_id": other_kid["id"]}, ctx=ctx)

    contacts = cluster.rpc("messaging", "contacts", ctx=ctx_of(parent))
    by_id = {c["id"]: c for c in contacts}
    assert [c["id"] for c in contacts] == [wych["id"], math["id"], director["id"], admin["id"]]
    assert by_id[wych["id"]]["group"] == "Wychowawcy"
    assert by_id[wych["id"]]["reasons"] == ["wychowawca klasy 5a (Zosia)", "matematyka w klasie 5a (Zosia)"]
    assert by_id[math["id"]]["reasons"] == ["matematyka w klasie 5a (Zosia)"]
    assert (by_id[director["id"]]["group"], by_id[admin["id"]]["group"]) == ("Dyrekcja", "Administrator dziennika")
    assert other_teacher["id"] not in by_id and secretary["id"] not in by_id and other_parent["id"] not in by_id
    # Every one of them can be written to: the list and the write rules agree.
    sent = send(cluster, parent, recipient_ids=[c["id"] for c in contacts])
    assert sent["recipient_count"] == 4
    # A blocked teacher is not offered; staff and a student of a school that does not allow it are refused.
    cluster.rpc("identity", "block_account", math["id"], {"reason": "urlop"}, ctx=ctx)
    assert math["id"] not in {c["id"] for c in cluster.rpc("messaging", "contacts", ctx=ctx_of(parent))}
    for who in (wych, kid):
        with pytest.raises(Forbidden):
            cluster.rpc("messaging", "contacts", ctx=ctx_of(who))
    cluster.rpc("messaging", "update_messaging_settings", s["id"], {"students_may_write": True}, ctx=ctx)
    own = cluster.rpc("messaging", "contacts", ctx=ctx_of(kid))
    assert own[0]["id"] == wych["id"] and own[0]["reasons"][0] == "wychowawca klasy 5a"
