"""messaging's rules (services/messaging/domain.py), pure: who may write to whom (MSG-1,
chapter II), notes (MSG-3), receipts (MSG-2), announcements needing approval (MSG-4, III.12),
attachments, outage notices (OPS-1), entry-error reports (MSG-6)."""
import base64
from datetime import date, datetime, timedelta, timezone

import pytest

from services.messaging import domain

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03" + b"\x00" * 64


def acc(*roles, id="x"):
    return {"id": id, "roles": list(roles)}


# ---------------------------------------------------------------------------------- who may write (MSG-1)

@pytest.mark.parametrize("role", ["teacher", "class_teacher", "director", "vice_director", "school_admin",
                                  "deputy_admin", "secretary"])
def test_msg1_staff_write_to_anyone_and_every_group(role):
    groups = [{"kind": g, "class_id": "c"} for g in domain.GROUPS]
    recipients = [acc("parent"), acc("student"), acc("teacher"), acc("secretary")]
    assert domain.write_refusal([role], groups=groups, recipients=recipients) is None


@pytest.mark.parametrize("target", ["teacher", "class_teacher", "director", "vice_director", "school_admin",
                                    "deputy_admin"])
def test_msg1_parent_writes_to_teachers_class_teacher_director_and_admin(target):
    assert domain.write_refusal(["parent"], recipients=[acc(target)]) is None


@pytest.mark.parametrize("target", ["parent", "student", "secretary", "inspector"])
def test_msg1_parent_does_not_write_to_other_parents_students_or_others(target):
    refusal = domain.write_refusal(["parent"], recipients=[acc("teacher"), acc(target)])
    assert refusal and "nauczycieli" in refusal


def test_msg1_parent_may_not_write_to_a_classs_parents():
    refusal = domain.write_refusal(["parent"], groups=[{"kind": "class_parents", "class_id": "c"}])
    assert refusal == "Rodzic nie może pisać do rodziców klasy."


@pytest.mark.parametrize("group", ["class_students", "all_parents", "all_teachers", "all_students"])
def test_msg1_parent_may_not_write_to_any_group(group):
    assert domain.write_refusal(["parent"], groups=[{"kind": group, "class_id": "c"}])


def test_msg1_students_read_only_unless_the_school_allows():
    assert "uczniowie nie wysyłają" in domain.write_refusal(["student"], recipients=[acc("teacher")])
    assert domain.write_refusal(["student"], recipients=[acc("teacher")], students_may_write=True) is None
    # Even where allowed, students write like parents: to staff, never to groups or classmates.
    assert domain.write_refusal(["student"], recipients=[acc("student")], students_may_write=True)
    assert domain.write_refusal(["student"], groups=["all_students"], students_may_write=True)


def test_msg1_inspector_and_unknown_roles_do_not_write():
    assert domain.write_refusal(["inspector"], recipients=[acc("teacher")])
    assert domain.write_refusal([], recipients=[acc("teacher")])


def test_msg1_a_teacher_who_is_also_a_parent_writes_as_staff():
    assert domain.write_refusal(["parent", "teacher"], groups=["all_parents"]) is None


def test_msg1_replies_recipient_to_sender_never_to_system():
    assert domain.reply_refusal(["parent"], original_kind="message", replier_is_sender=False) is None
    assert domain.reply_refusal(["teacher"], original_kind="system", replier_is_sender=False)
    assert domain.reply_refusal(["student"], original_kind="message", replier_is_sender=False)
    assert domain.reply_refusal(["student"], original_kind="message", replier_is_sender=False,
                                students_may_write=True) is None
    assert domain.reply_subject("Zebranie") == "Odp: Zebranie"
    assert domain.reply_subject("Odp: Zebranie") == "Odp: Zebranie"
    assert domain.reply_subject("RE: x") == "RE: x"


def test_msg1_school_groups_pick_roles_and_merge_drops_sender_and_duplicates():
    accounts = [acc("parent", id="p1"), acc("teacher", id="t1"), acc("class_teacher", id="t2"),
                acc("student", id="s1"), acc("parent", "teacher", id="pt")]
    assert [a["id"] for a in domain.accounts_in_school_group("all_teachers", accounts)] == ["t1", "t2", "pt"]
    assert [a["id"] for a in domain.accounts_in_school_group("all_parents", accounts)] == ["p1", "pt"]
    merged = domain.merge_recipients("t1", accounts[:2], accounts[1:3], [accounts[0]])
    assert [a["id"] for a in merged] == ["p1", "t2"]
    assert domain.group_label("class_parents", "4a") == "rodzice klasy 4a"


# ---------------------------------------------------------------------------------- notes (MSG-3)

def test_msg3_notes_are_written_by_teachers_director_and_admins_only():
    for role in ("teacher", "class_teacher", "director", "school_admin"):
        assert domain.note_refusal([role]) is None
    for role in ("parent", "student", "secretary", "inspector"):
        assert domain.note_refusal([role])
    assert set(domain.NOTE_KINDS) == {"positive", "negative", "neutral"}


# ---------------------------------------------------------------------------------- receipts (MSG-2)

def test_msg2_receipt_is_set_once_and_never_changes():
    first = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    later = first + timedelta(hours=5)
    assert domain.receipt_time(None, first) == first
    assert domain.receipt_time(first, later) == first


def test_msg2_receipts_are_for_the_sender_and_supervisors():
    assert domain.may_see_receipts("u1", ["teacher"], "u1")
    assert not domain.may_see_receipts("u2", ["teacher"], "u1")
    assert not domain.may_see_receipts("u2", ["parent"], "u1")
    assert domain.may_see_receipts("u2", ["director"], "u1")
    assert domain.receipt_counts([None, datetime.now(), None]) == {"total": 3, "read": 1, "unread": 2}


# ---------------------------------------------------------------------------------- announcements (MSG-4)

@pytest.mark.parametrize("topic", ["fundraising", "open_meeting", "open_enrolment", "school_event"])
def test_msg4_fundraising_open_meetings_enrolments_school_events_need_the_director(topic):
    assert domain.needs_approval(topic)
    assert domain.initial_status(topic, ["teacher"]) == "pending"
    assert domain.initial_status(topic, ["school_admin"]) == "pending"
    # The director approves by publishing.
    assert domain.initial_status(topic, ["director"]) == "published"


@pytest.mark.parametrize("topic", ["general", "organisation", "lessons"])
def test_msg4_other_topics_are_published_at_once_unless_the_author_asks(topic):
    assert not domain.needs_approval(topic)
    assert domain.initial_status(topic, ["teacher"]) == "published"
    assert domain.initial_status(topic, ["teacher"], author_asks=True) == "pending"


def test_msg4_only_director_and_vice_decide_and_withdrawal():
    assert domain.may_decide(["director"]) and domain.may_decide(["vice_director"])
    assert not domain.may_decide(["school_admin"]) and not domain.may_decide(["teacher"])
    assert domain.may_withdraw_announcement("a", ["teacher"], "a")
    assert not domain.may_withdraw_announcement("b", ["teacher"], "a")
    assert domain.may_withdraw_announcement("b", ["school_admin"], "a")


def test_msg4_validity_period():
    today = date(2026, 3, 2)
    assert domain.validity_problems(today, today + timedelta(days=7), today) == {}
    assert "valid_until" in domain.validity_problems(today, today - timedelta(days=1), today)
    assert "valid_until" in domain.validity_problems(today - timedelta(days=9), today - timedelta(days=2), today)
    assert "valid_until" in domain.validity_problems(today, today + timedelta(days=400), today)
    assert domain.valid_on(today, today, today)
    assert not domain.valid_on(today + timedelta(days=1), today + timedelta(days=3), today)


def test_msg4_audience_whole_school_roles_classes():
    assert domain.audience_problems({"whole_school": False, "roles": [], "class_ids": []})
    assert domain.audience_problems({"whole_school": True}) == {}
    assert domain.audience_matches({"whole_school": True}, ["student"])
    teachers = {"whole_school": False, "roles": ["teachers"], "class_ids": []}
    assert domain.audience_matches(teachers, ["class_teacher"])
    assert not domain.audience_matches(teachers, ["parent"])
    klass = {"whole_school": False, "roles": [], "class_ids": ["c1"]}
    assert domain.audience_matches(klass, ["parent"], is_member=True)
    assert not domain.audience_matches(klass, ["parent"], is_member=False)


def test_school_day_is_warsaw_time():
    # 23:30 UTC on 1 March is already 2 March in Poland.
    assert domain.school_today(datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)) == date(2026, 3, 2)


# ---------------------------------------------------------------------------------- attachments

def test_attachment_of_an_allowed_type_passes():
    problems, served = domain.check_attachment("plan.pdf", "application/pdf", PDF)
    assert problems == [] and served == "application/pdf"
    problems, served = domain.check_attachment("zdjęcie.PNG", "application/octet-stream", PNG)
    assert problems == [] and served == "image/png"
    assert domain.check_attachment("lista.txt", "text/plain", "Zażółć gęślą jaźń".encode())[0] == []


@pytest.mark.parametrize("name,ctype,data", [
    ("program.exe", "application/octet-stream", EXE),
    ("strona.html", "text/html", b"<script>alert(1)</script>"),
    ("rysunek.svg", "image/svg+xml", b"<svg onload=alert(1)>"),
    ("skrypt.js", "text/javascript", b"alert(1)"),
    ("bez_rozszerzenia", "application/pdf", PDF),
])
def test_forbidden_types_are_refused(name, ctype, data):
    problems, _ = domain.check_attachment(name, ctype, data)
    assert problems and "Niedozwolony typ" in problems[-1]


def test_a_renamed_executable_or_mismatched_type_is_refused():
    problems, _ = domain.check_attachment("faktura.pdf", "application/pdf", EXE)
    assert problems == ["Zawartość pliku „faktura.pdf” nie odpowiada jego typowi."]
    problems, _ = domain.check_attachment("faktura.pdf", "image/png", PDF)
    assert "nie zgadza się" in problems[0]
    problems, _ = domain.check_attachment("dane.txt", "text/plain", b"\x00\x01binary")
    assert problems


def test_attachment_size_and_count_limits():
    big = PDF + b"0" * 2000
    problems, _ = domain.check_attachment("duzy.pdf", "application/pdf", big, max_bytes=1000)
    assert "za duży" in problems[0] and "1000 B" in problems[0]
    assert domain.check_attachment("pusty.pdf", "application/pdf", b"")[0]
    item = {"filename": "a.pdf", "content_type": "application/pdf", "content_base64": base64.b64encode(PDF).decode()}
    problems, clean = domain.check_attachments([item] * 2, max_count=2)
    assert problems == {} and [c["data"] for c in clean] == [PDF, PDF]
    problems, clean = domain.check_attachments([item] * 3, max_count=2)
    assert "_schema" in problems and clean == []
    # Refused before decoding when the base64 text alone is too long.
    huge = dict(item, content_base64=base64.b64encode(big).decode())
    problems, _ = domain.check_attachments([huge], max_bytes=1000)
    assert "za duży" in problems["0"][0]
    problems, _ = domain.check_attachments([dict(item, content_base64="***")])
    assert "base64" in problems["0"][0]


def test_filenames_lose_paths_and_control_characters():
    assert domain.safe_filename("../../etc/passwd") == "passwd"
    assert domain.safe_filename("C:\\Users\\x\\zadanie.docx") == "zadanie.docx"
    assert domain.safe_filename("a\x00b\nc.pdf") == "abc.pdf"
    long = "x" * 300 + ".pdf"
    assert len(domain.safe_filename(long)) == domain.MAX_FILENAME and domain.safe_filename(long).endswith(".pdf")


def test_attachments_are_stored_by_content_hash():
    digest = "ab" + "0" * 62
    assert domain.attachment_path("/data", digest) == "/data/ab/" + digest
    with pytest.raises(ValueError):
        domain.attachment_path("/data", "../../etc/passwd")


# ---------------------------------------------------------------------------------- outage notices (OPS-1)

def test_ops1_notice_is_public_when_the_outage_may_last_or_has_lasted_over_a_day():
    t0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    assert not domain.outage_is_public(t0, t0 + timedelta(hours=3), t0)
    assert domain.outage_is_public(t0, t0 + timedelta(days=2), t0)
    assert domain.outage_is_public(t0, t0 + timedelta(hours=3), t0 + timedelta(days=1, minutes=1))
    assert set(domain.OUTAGE_PUBLISHERS) == {"school_admin", "deputy_admin"}


# ---------------------------------------------------------------------------------- entry errors (MSG-6)

def test_msg6_only_a_parent_reports_an_error_about_the_own_child():
    assert domain.error_report_refusal(["parent"], True) is None
    assert "swojego dziecka" in domain.error_report_refusal(["parent"], False)
    assert domain.error_report_refusal(["teacher"], True)
    assert domain.error_report_refusal(["student"], True)


# ---------------------------------------------------------------------------------- texts and search

def test_search_is_case_folded_for_polish_letters():
    assert domain.search_text("ZEBRANIE", "Łucja Żak", None, "Treść") == "zebranie łucja żak treść"
    assert domain.search_terms("  Łucja  ZEBRANIE ") == ["łucja", "zebranie"]


def test_system_message_texts_are_polish_and_specific():
    subject, body = domain.text_account_blocked("Jan Nowak", "zbyt wiele prób", for_admin=True)
    assert "Jan Nowak" in subject and "IV.13" in body
    subject, body = domain.text_at_risk("Ola Lis", "naganna", "predicted_annual", date(2026, 6, 10))
    assert subject == "Zagrożenie: Ola Lis" and "roczna naganna ocena zachowania" in body and "10.06.2026" in body
    assert "nieklasyfikowaniem (śródroczne)" in domain.text_at_risk("Ola Lis", "nieklasyfikowanie", "predicted_midyear")[1]
    subject, body = domain.text_archive_completed("2025/2026", False, date(2032, 9, 10), 1200)
    assert subject == "Archiwum dziennika gotowe: 2025/2026" and "Podpisz" in body and "10.09.2032" in body
    assert "Podpisz" not in domain.text_archive_completed("2025/2026", True, date(2032, 9, 10))[1]
    subject, body = domain.text_absence("Ola Lis", date(2026, 3, 2), [3, 1, 3])
    assert subject == "Nieobecność: Ola Lis, 02.03.2026" and "lekcje: 1, 3" in body
    subject, body = domain.text_e_justification("Ola Lis", "rejected", "brak podpisu")
    assert "odrzucone" in subject and "brak podpisu" in body
    subject, body = domain.text_outage("Serwer nie działa.", datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc))
    assert "02.03.2026 13:00" in body   # Warsaw time (CET)
    subject, body = domain.notification_email("SP 7", "Anna Nowak", "note")
    assert subject == "SP 7: Nowa uwaga" and "nową uwagę" in body and "Anna Nowak" in body


def test_notification_email_never_carries_the_message_text():
    subject, body = domain.notification_email("SP 7", "Anna Nowak", "message")
    assert "Zaloguj się" in body and "Anna Nowak" in body
