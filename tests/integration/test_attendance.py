"""attendance over the real broker (identity, scheduling and attendance as separate processes), on
SQLite and PostgreSQL: a lesson's register in one call, class lists, who may record, justification
by the class teacher and its rules, parents' e-justifications, the weekly review with double
entries, percentages against hand-computed values, transfers and removals, tenancy and roles."""
import base64
import io
import json
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from kombu import Connection, Exchange
from pypdf import PdfReader
from sqlalchemy import text

from services.common.db import make_engine
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.events import make_envelope
from tests.harness import Cluster, wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"

TODAY = datetime.now(ZoneInfo("Europe/Warsaw")).date()


def past_weekdays(n):
    """The last ``n`` weekdays before today, oldest first."""
    out, day = [], TODAY - timedelta(days=1)
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day)
        day -= timedelta(days=1)
    return out[::-1]


def next_weekday():
    day = TODAY + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


D1, D2, D3, D4 = past_weekdays(4)
FUTURE = next_weekday()


@pytest.fixture(scope="module")
def cluster(system):
    return system


def ctx_of(account):
    return {"user_id": account["id"], "school_id": account["school_id"], "roles": account["roles"]}


def outbox(cluster, name):
    """The events attendance recorded (its outbox), oldest first."""
    engine = make_engine(cluster.env["ATTENDANCE_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT envelope FROM outbox_events WHERE name = :n ORDER BY seq"),
                                {"n": name}).all()
    finally:
        engine.dispose()
    return [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]


def slot(weekday, period, subject, teacher, room, group=""):
    start = ["7:10", "8:00", "8:55", "9:50", "10:45"][period]
    end = ["7:55", "8:45", "9:40", "10:35", "11:30"][period]
    return {"weekday": weekday, "period": period, "starts_at": start, "ends_at": end, "subject_id": subject["id"],
            "teacher_id": teacher["id"], "room": room, "group_name": group}


@pytest.fixture(scope="module")
def school(cluster):
    """A school with staff, classes 5a (class teacher Wiesława), 5b and 5c, students with parents,
    a year whose first term holds the past weeks and the next days, and timetables:
    5a: 1 mathematics (Nowak), 2 English group 1 (Angielska) beside German group 2 (Niemiecka),
    3 Polish (Wiesława); 5b: 1 Polish (Obcy); 5c: 1 mathematics (Nowak), 2 Polish (Wiesława)."""
    tag = uuid.uuid4().hex[:6]
    rpc = cluster.rpc
    s = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa nr 5 w Łodzi {tag}", "short_name": f"a{tag}"})

    def acc(roles, first, last, **kw):
        return rpc("identity", "create_account", {"school_id": s["id"], "first_name": first, "last_name": last,
                                                  "roles": roles, "password": PASSWORD, **kw})
    p = dict(school=s)
    p["admin"] = acc(["school_admin"], "Anna", "Administratorka")
    p["director"] = acc(["director"], "Dorota", "Dyrektorska")
    p["wych"] = acc(["teacher", "class_teacher"], "Wiesława", "Wychowawczyni")
    p["nowak"] = acc(["teacher"], "Jan", "Nowak")
    p["sub"] = acc(["teacher"], "Zenon", "Zastępca")
    p["obcy"] = acc(["teacher"], "Olaf", "Obcy")
    p["ang"] = acc(["teacher"], "Alicja", "Angielska")
    p["niem"] = acc(["teacher"], "Norbert", "Niemiecki")
    p["inspector"] = acc(["inspector"], "Igor", "Inspektor", expires_on=(TODAY + timedelta(days=30)).isoformat())
    p["s"] = [acc(["student"], first, last) for first, last in
              (("Zuzanna", "Gęślińska"), ("Jędrzej", "Ćwik"), ("Łucja", "Żmuda"), ("Szymon", "Śliwa"))]
    p["stranger"] = acc(["student"], "Tymon", "Obcy")
    p["pa"], p["pb"] = acc(["student"], "Ada", "Ąkowska"), acc(["student"], "Bartosz", "Będkowski")
    p["parent"] = acc(["parent"], "Paweł", "Gęśliński")
    p["parent2"] = acc(["parent"], "Olga", "Obca")
    admin = ctx_of(p["admin"])
    rpc("identity", "link_guardian", s["id"], {"parent_id": p["parent"]["id"], "student_id": p["s"][0]["id"]}, ctx=admin)
    rpc("identity", "link_guardian", s["id"], {"parent_id": p["parent2"]["id"], "student_id": p["stranger"]["id"]},
        ctx=admin)
    p["5a"] = rpc("scheduling", "create_class", s["id"], {"name": "5a", "class_teacher_id": p["wych"]["id"]}, ctx=admin)
    p["5b"] = rpc("scheduling", "create_class", s["id"], {"name": "5b"}, ctx=admin)
    p["5c"] = rpc("scheduling", "create_class", s["id"], {"name": "5c"}, ctx=admin)
    since = (TODAY - timedelta(days=60)).isoformat()
    for st in p["s"]:
        rpc("scheduling", "enrol_student", p["5a"]["id"], {"student_id": st["id"], "enrolled_on": since}, ctx=admin)
    rpc("scheduling", "enrol_student", p["5b"]["id"], {"student_id": p["stranger"]["id"], "enrolled_on": since}, ctx=admin)
    for st in (p["pa"], p["pb"]):
        rpc("scheduling", "enrol_student", p["5c"]["id"], {"student_id": st["id"], "enrolled_on": since}, ctx=admin)
    start = TODAY - timedelta(days=90)
    year = rpc("scheduling", "create_school_year", s["id"], {
        "name": f"{start.year}/{start.year + 1}", "starts_on": start.isoformat(),
        "ends_on": (TODAY + timedelta(days=200)).isoformat(),
        "terms": [{"name": "Semestr 1", "starts_on": start.isoformat(), "ends_on": (TODAY + timedelta(days=40)).isoformat()},
                  {"name": "Semestr 2", "starts_on": (TODAY + timedelta(days=41)).isoformat(),
                   "ends_on": (TODAY + timedelta(days=200)).isoformat()}]}, ctx=admin)
    term = year["terms"][0]
    subj = {n: rpc("scheduling", "create_subject", s["id"], {"name": n}, ctx=admin)
            for n in ("Matematyka", "Język polski", "Język angielski", "Język niemiecki")}
    p["mat"], p["pol"] = subj["Matematyka"], subj["Język polski"]
    a, b, c = [], [], []
    for wd in range(1, 6):
        a += [slot(wd, 1, p["mat"], p["nowak"], "101"),
              slot(wd, 2, subj["Język angielski"], p["ang"], "201", "gr1"),
              slot(wd, 2, subj["Język niemiecki"], p["niem"], "202", "gr2"),
              slot(wd, 3, p["pol"], p["wych"], "102")]
        b += [slot(wd, 1, p["pol"], p["obcy"], "103")]
        c += [slot(wd, 3, p["mat"], p["nowak"], "104"), slot(wd, 4, p["pol"], p["wych"], "105")]
    for klass, entries in (("5a", a), ("5b", b), ("5c", c)):
        rpc("scheduling", "set_timetable", p[klass]["id"], term["id"],
            {"valid_from": term["starts_on"], "entries": entries}, ctx=admin)
    return p


def lesson(cluster, school, klass, day, period, group=""):
    lessons = cluster.rpc("scheduling", "lessons_for", day.isoformat(), school[klass]["id"],
                          ctx=ctx_of(school["admin"]))
    return next(l for l in lessons if l["period"] == period and l["group_name"] == group)


def record(cluster, who, lesson_id, entries=(), default="present", **kw):
    return cluster.rpc("attendance", "record_lesson_attendance", lesson_id,
                       {"entries": [{"student_id": s["id"], "category": c} for s, c in entries],
                        "default": default, **kw}, ctx=ctx_of(who))


def by_student(view):
    return {e["student_id"]: e for e in view["entries"]}


# ----------------------------------------------------------------------------- ATT-1: one call for the class

def test_att1_whole_class_in_one_call_keeps_lesson_date_and_entry_time(cluster, school):
    s = school["s"]
    math = lesson(cluster, school, "5a", D1, 1)
    out = record(cluster, school["nowak"], math["id"], [(s[1], "absent"), (s[2], "late")])
    assert (out["created"], out["changed"]) == (4, 0)
    entries = by_student(out)
    assert {sid: e["category"] for sid, e in entries.items()} == {
        s[0]["id"]: "present", s[1]["id"]: "absent", s[2]["id"]: "late", s[3]["id"]: "present"}
    e = entries[s[1]["id"]]
    # OPS-2: the lesson's date and the time of entry are both kept; this one is a backfill.
    assert e["lesson_date"] == D1.isoformat() and e["entered_at"] and e["version"] == 1
    assert e["backfilled"] is True and e["recorded_by"] == school["nowak"]["id"] and e["symbol"] == "nb"
    seen = cluster.rpc("attendance", "lesson_attendance", math["id"], ctx=ctx_of(school["inspector"]))
    assert seen["recorded"] and len(seen["entries"]) == 4 and set(seen["students"]) == {x["id"] for x in s}
    # Only the unexcused absence is announced (same-day notice to parents through messaging).
    events = [ev for ev in outbox(cluster, "attendance.absence_recorded") if ev["payload"]["lesson_id"] == math["id"]]
    assert [ev["payload"]["student_id"] for ev in events] == [s[1]["id"]]
    assert events[0]["payload"]["lesson_date"] == D1.isoformat() and events[0]["school_id"] == school["school"]["id"]
    # Saving again changes only what differs, with a version.
    again = record(cluster, school["nowak"], math["id"], [(s[1], "late"), (s[2], "late")])
    assert (again["created"], again["changed"], again["unchanged"]) == (0, 1, 3)


def test_att1_student_of_another_class_refused_with_nothing_stored(cluster, school):
    math = lesson(cluster, school, "5a", D2, 1)
    with pytest.raises(Invalid) as err:
        record(cluster, school["nowak"], math["id"], [(school["s"][0], "absent"), (school["stranger"], "absent")])
    assert school["stranger"]["id"] in err.value.fields["entries"]
    assert cluster.rpc("attendance", "lesson_attendance", math["id"], ctx=ctx_of(school["nowak"]))["entries"] == []
    with pytest.raises(Invalid) as err:
        record(cluster, school["nowak"], math["id"], [(school["s"][0], "wagary")])
    assert "entries.0.category" in err.value.fields
    with pytest.raises(Invalid):   # an excused absence comes only from a justification
        record(cluster, school["nowak"], math["id"], [(school["s"][0], "excused")])
    with pytest.raises(NotFound):
        record(cluster, school["nowak"], str(uuid.uuid4()))
    with pytest.raises(Conflict, match="jeszcze się nie odbyła"):
        record(cluster, school["nowak"], lesson(cluster, school, "5a", FUTURE, 1)["id"])
    assert cluster.rpc("attendance", "lesson_attendance", math["id"], ctx=ctx_of(school["nowak"]))["entries"] == []


def test_att6_substitute_may_record_another_teacher_may_not(cluster, school):
    polish = lesson(cluster, school, "5a", D2, 3)
    cluster.rpc("scheduling", "assign_substitute", polish["id"],
                {"substitute_teacher_id": school["sub"]["id"], "reason": "choroba nauczyciela"},
                ctx=ctx_of(school["admin"]))
    with pytest.raises(Forbidden):
        record(cluster, school["obcy"], polish["id"])
    with pytest.raises(Forbidden):
        record(cluster, school["nowak"], polish["id"])
    out = record(cluster, school["sub"], polish["id"], [(school["s"][3], "absent")])
    assert out["created"] == 4
    assert by_student(out)[school["s"][3]["id"]]["recorded_by"] == school["sub"]["id"]
    # The class teacher manages the own class's lessons too.
    other = lesson(cluster, school, "5a", D2, 1)
    assert record(cluster, school["wych"], other["id"], [(school["s"][3], "absent")])["created"] == 4


def test_student_writing_is_forbidden_and_sees_only_own(cluster, school):
    me, classmate = school["s"][2], school["s"][1]
    math = lesson(cluster, school, "5a", D1, 1)
    with pytest.raises(Forbidden):
        record(cluster, me, math["id"])
    entry = by_student(cluster.rpc("attendance", "lesson_attendance", math["id"], ctx=ctx_of(school["nowak"])))[me["id"]]
    with pytest.raises(Forbidden):
        cluster.rpc("attendance", "correct_entry", entry["id"], {"category": "present", "reason": "bo tak"}, ctx=ctx_of(me))
    with pytest.raises(Forbidden):
        cluster.rpc("attendance", "justify", {"student_id": me["id"], "dates": [D1.isoformat()], "reason": "choroba"},
                    ctx=ctx_of(me))
    with pytest.raises(Forbidden):
        cluster.rpc("attendance", "lesson_attendance", math["id"], ctx=ctx_of(me))
    own = cluster.rpc("attendance", "percentages", "student", me["id"], ctx=ctx_of(me))
    assert own["recorded"] >= 1
    with pytest.raises(NotFound):
        cluster.rpc("attendance", "percentages", "student", classmate["id"], ctx=ctx_of(me))
    with pytest.raises(NotFound):
        cluster.rpc("attendance", "student_calendar", classmate["id"], D1.strftime("%Y-%m"), ctx=ctx_of(school["parent"]))


# ----------------------------------------------------------------------------- ATT-4: corrections

def test_att4_correction_keeps_previous_value_author_and_reason(cluster, school):
    me = school["s"][2]
    math = lesson(cluster, school, "5a", D1, 1)
    entry = by_student(cluster.rpc("attendance", "lesson_attendance", math["id"], ctx=ctx_of(school["nowak"])))[me["id"]]
    with pytest.raises(Invalid) as err:
        cluster.rpc("attendance", "correct_entry", entry["id"], {"category": "present"}, ctx=ctx_of(school["nowak"]))
    assert "reason" in err.value.fields
    with pytest.raises(Forbidden):
        cluster.rpc("attendance", "correct_entry", entry["id"], {"category": "present", "reason": "pomyłka"},
                    ctx=ctx_of(school["obcy"]))
    fixed = cluster.rpc("attendance", "correct_entry", entry["id"],
                        {"category": "present", "reason": "uczennica była od początku lekcji"}, ctx=ctx_of(school["nowak"]))
    assert fixed["category"] == "present" and fixed["version"] == 2
    history = cluster.rpc("attendance", "entry_history", entry["id"], ctx=ctx_of(school["wych"]))["versions"]
    assert [(v["action"], v["previous_category"], v["category"]) for v in history] == [
        ("recorded", None, "late"), ("corrected", "late", "present")]
    assert history[1]["changed_by"] == school["nowak"]["id"]
    assert history[1]["reason"] == "uczennica była od początku lekcji"


# ----------------------------------------------------------------------------- ATT-2: justification

def test_att2_justification_in_advance_is_refused(cluster, school):
    wych, st = ctx_of(school["wych"]), school["s"][3]
    with pytest.raises(Conflict, match="z wyprzedzeniem"):
        cluster.rpc("attendance", "justify", {"student_id": st["id"], "dates": [FUTURE.isoformat()],
                                              "reason": "wyjazd rodzinny"}, ctx=wych)
    future_lesson = lesson(cluster, school, "5a", FUTURE, 3)
    with pytest.raises(Conflict, match="z wyprzedzeniem"):
        cluster.rpc("attendance", "justify", {"student_id": st["id"], "lesson_ids": [future_lesson["id"]],
                                              "reason": "wizyta u lekarza"}, ctx=wych)
    # Nothing changed: the student's D2 absences are still unexcused.
    entries = cluster.rpc("attendance", "student_attendance", st["id"], D2.isoformat(), D2.isoformat(), ctx=wych)
    assert sorted(e["category"] for e in entries) == ["absent", "absent"]


def test_att2_class_teacher_justifies_whole_days_and_single_hours_only_with_reason(cluster, school):
    wych, st = ctx_of(school["wych"]), school["s"][3]
    with pytest.raises(Forbidden):   # a teacher who is not the class teacher
        cluster.rpc("attendance", "justify", {"student_id": st["id"], "dates": [D2.isoformat()], "reason": "choroba"},
                    ctx=ctx_of(school["nowak"]))
    # D2: absent at both recorded lessons (periods 1 and 3) -> a whole day.
    j = cluster.rpc("attendance", "justify", {"student_id": st["id"], "dates": [D2.isoformat()],
                                              "reason": "choroba, zwolnienie lekarskie"}, ctx=wych)
    assert j["entry_count"] == 2 and j["single_hours_reason"] is None
    entries = cluster.rpc("attendance", "student_attendance", st["id"], D2.isoformat(), D2.isoformat(), ctx=wych)
    assert {e["category"] for e in entries} == {"excused"} and all(e["justification_id"] == j["id"] for e in entries)
    # D1: s[1] late at mathematics... record D1 period 3 with s[1] absent, present at period 1: single hours.
    polish = lesson(cluster, school, "5a", D1, 3)
    record(cluster, school["wych"], polish["id"], [(school["s"][1], "absent")])
    ask = {"student_id": school["s"][1]["id"], "lesson_ids": [polish["id"]], "reason": "wizyta u dentysty"}
    with pytest.raises(Invalid) as err:
        cluster.rpc("attendance", "justify", ask, ctx=wych)
    assert "single_hours_reason" in err.value.fields
    j = cluster.rpc("attendance", "justify", dict(ask, single_hours_reason="reported_beforehand"), ctx=wych)
    assert j["single_hours_reason"] == "reported_beforehand" and j["entry_count"] == 1
    with pytest.raises(Invalid):   # nothing left to justify at that lesson
        cluster.rpc("attendance", "justify", {"student_id": school["s"][0]["id"], "lesson_ids": [polish["id"]],
                                              "reason": "pomyłka"}, ctx=wych)
    events = [e["payload"] for e in outbox(cluster, "attendance.absence_justified")]
    assert {e["justification_id"] for e in events} >= {j["id"]}


# ----------------------------------------------------------------------------- ATT-3: e-justifications

def test_att3_parent_e_justification_accepted_by_class_teacher(cluster, school):
    child, parent, wych = school["s"][0], ctx_of(school["parent"]), ctx_of(school["wych"])
    for period in (1, 3):
        record(cluster, school["wych"], lesson(cluster, school, "5a", D3, period)["id"], [(child, "absent")])
    ej = cluster.rpc("attendance", "submit_e_justification", {
        "student_id": child["id"], "date_from": D3.isoformat(), "date_to": D3.isoformat(),
        "reason": "Córka miała gorączkę."}, ctx=parent)
    assert ej["status"] == "submitted" and ej["class_id"] == school["5a"]["id"]
    inbox = cluster.rpc("attendance", "e_justifications", school["5a"]["id"], None, "submitted", ctx=wych)
    assert [e["id"] for e in inbox] == [ej["id"]]
    with pytest.raises(Forbidden):   # not the class teacher
        cluster.rpc("attendance", "decide_e_justification", ej["id"], {"accept": True}, ctx=ctx_of(school["nowak"]))
    decided = cluster.rpc("attendance", "decide_e_justification", ej["id"],
                          {"accept": True, "comment": "Przyjęto, zdrowia!"}, ctx=wych)
    assert decided["status"] == "accepted" and decided["justified_entries"] == 2
    with pytest.raises(Conflict):
        cluster.rpc("attendance", "decide_e_justification", ej["id"], {"accept": False, "comment": "jednak nie"}, ctx=wych)
    # The parent sees the outcome, and the absences are excused.
    mine = cluster.rpc("attendance", "e_justifications", None, child["id"], ctx=parent)
    assert [(e["status"], e["teacher_comment"]) for e in mine] == [("accepted", "Przyjęto, zdrowia!")]
    cal = cluster.rpc("attendance", "student_calendar", child["id"], D3.strftime("%Y-%m"), ctx=parent)
    day = next(d for d in cal["days"] if d["date"] == D3.isoformat())
    assert day["status"] == "excused" and day["counts"]["excused"] == 2
    names = [e["payload"]["e_justification_id"] for e in outbox(cluster, "attendance.e_justification_submitted")]
    assert ej["id"] in names
    decided_ev = [e["payload"] for e in outbox(cluster, "attendance.e_justification_decided")
                  if e["payload"]["e_justification_id"] == ej["id"]]
    assert decided_ev[0]["status"] == "accepted" and decided_ev[0]["parent_id"] == school["parent"]["id"]
    submitted_ev = [e["payload"] for e in outbox(cluster, "attendance.e_justification_submitted")
                    if e["payload"]["e_justification_id"] == ej["id"]]
    assert submitted_ev[0]["class_teacher_id"] == school["wych"]["id"]


def test_att3_rejection_needs_a_comment_and_an_ahead_report_waits(cluster, school):
    child, parent, wych = school["s"][0], ctx_of(school["parent"]), ctx_of(school["wych"])
    ahead = cluster.rpc("attendance", "submit_e_justification", {
        "student_id": child["id"], "date_from": FUTURE.isoformat(), "reason": "Wizyta w poradni."}, ctx=parent)
    with pytest.raises(Conflict, match="z wyprzedzeniem"):
        cluster.rpc("attendance", "decide_e_justification", ahead["id"], {"accept": True}, ctx=wych)
    with pytest.raises(Invalid) as err:
        cluster.rpc("attendance", "decide_e_justification", ahead["id"], {"accept": False}, ctx=wych)
    assert "comment" in err.value.fields
    out = cluster.rpc("attendance", "decide_e_justification", ahead["id"],
                      {"accept": False, "comment": "Proszę o zaświadczenie."}, ctx=wych)
    assert out["status"] == "rejected"


def test_att3_parent_justifying_another_familys_child_is_not_found(cluster, school):
    ask = {"date_from": D1.isoformat(), "date_to": D1.isoformat(), "reason": "Choroba."}
    with pytest.raises(NotFound):
        cluster.rpc("attendance", "submit_e_justification", dict(ask, student_id=school["s"][1]["id"]),
                    ctx=ctx_of(school["parent"]))
    with pytest.raises(NotFound):
        cluster.rpc("attendance", "submit_e_justification", dict(ask, student_id=school["s"][0]["id"]),
                    ctx=ctx_of(school["parent2"]))
    with pytest.raises(NotFound):
        cluster.rpc("attendance", "e_justifications", None, school["s"][0]["id"], ctx=ctx_of(school["parent2"]))
    with pytest.raises(Forbidden):   # a teacher does not send parents' e-justifications
        cluster.rpc("attendance", "submit_e_justification", dict(ask, student_id=school["s"][0]["id"]),
                    ctx=ctx_of(school["wych"]))


# ----------------------------------------------------------------------------- ATT-4: weekly review, doubles

def test_att4_double_entry_found_and_removed_with_history(cluster, school):
    s, wych = school["s"], ctx_of(school["wych"])
    gr1, gr2 = lesson(cluster, school, "5a", D4, 2, "gr1"), lesson(cluster, school, "5a", D4, 2, "gr2")
    # Both group teachers take attendance for the whole class: every student twice in period 2.
    record(cluster, school["ang"], gr1["id"])
    second = record(cluster, school["niem"], gr2["id"], [(s[0], "absent")])
    assert {w["student_id"] for w in second["warnings"]} == {x["id"] for x in s}
    review = cluster.rpc("attendance", "weekly_review", school["5a"]["id"], D4.isoformat(), ctx=wych)
    doubles = [d for d in review["doubles"] if d["date"] == D4.isoformat() and d["period"] == 2]
    assert {d["student_id"] for d in doubles} == {x["id"] for x in s} and review["can_manage"]
    mine = next(d for d in doubles if d["student_id"] == s[0]["id"])
    gr2_entry = by_student(second)[s[0]["id"]]["id"]
    assert gr2_entry in mine["entry_ids"] and mine["keep"] != gr2_entry
    with pytest.raises(Forbidden):   # the weekly review is the class teacher's
        cluster.rpc("attendance", "remove_double_entry", gr2_entry, "podwójny wpis", ctx=ctx_of(school["ang"]))
    removed = cluster.rpc("attendance", "remove_double_entry", gr2_entry,
                          "podwójny wpis: uczennica chodzi na angielski", ctx=wych)
    assert removed["removed_at"] and removed["removed_by"] == school["wych"]["id"]
    history = cluster.rpc("attendance", "entry_history", gr2_entry, ctx=wych)["versions"]
    assert [v["action"] for v in history] == ["recorded", "removed"]
    assert history[1]["reason"] == "podwójny wpis: uczennica chodzi na angielski"
    review = cluster.rpc("attendance", "weekly_review", school["5a"]["id"], D4.isoformat(), ctx=wych)
    assert s[0]["id"] not in {d["student_id"] for d in review["doubles"] if d["period"] == 2 and d["date"] == D4.isoformat()}
    assert any(e["id"] == gr2_entry and e["removed_at"] for e in review["entries"])   # kept, marked
    kept = by_student(cluster.rpc("attendance", "lesson_attendance", gr1["id"], ctx=wych))[s[0]["id"]]["id"]
    with pytest.raises(Conflict, match="nie jest podwójny"):
        cluster.rpc("attendance", "remove_double_entry", kept, "pomyłka", ctx=wych)
    # The removed absence counts nowhere: D4 has only the present entry of gr1 for s[0].
    day = cluster.rpc("attendance", "percentages", "student", s[0]["id"], D4.isoformat(), D4.isoformat(), ctx=wych)
    assert (day["present"], day["absent"]) == (1, 0)


# ----------------------------------------------------------------------------- ATT-5: percentages

@pytest.fixture(scope="module")
def class_5c(cluster, school):
    """Class 5c recorded by hand for three days (mathematics period 3, Polish period 4):

    day  | Ada (pa)           | Bartosz (pb)
    D1   | present, late      | absent, absent  (both justified later -> excused)
    D2   | released, absent   | school_reasons, present
    D3   | present, present   | late, released
    """
    pa, pb, admin = school["pa"], school["pb"], school["admin"]
    plan = {D1: ([(pa, "present"), (pb, "absent")], [(pa, "late"), (pb, "absent")]),
            D2: ([(pa, "released"), (pb, "school_reasons")], [(pa, "absent"), (pb, "present")]),
            D3: ([(pa, "present"), (pb, "late")], [(pa, "present"), (pb, "released")])}
    for day, (math, polish) in plan.items():
        record(cluster, admin, lesson(cluster, school, "5c", day, 3)["id"], math, default=None)
        record(cluster, admin, lesson(cluster, school, "5c", day, 4)["id"], polish, default=None)
    cluster.rpc("attendance", "justify", {"student_id": pb["id"], "dates": [D1.isoformat()], "reason": "choroba"},
                ctx=ctx_of(school["director"]))
    return school


def pct(cluster, who, scope, id, **kw):
    return cluster.rpc("attendance", "percentages", scope, id, D1.isoformat(), D3.isoformat(), ctx=ctx_of(who), **kw)


def test_att5_percentages_equal_hand_computed_values(cluster, class_5c):
    p = class_5c
    # Ada: present 3 + late 1 = 4; absent 1; released 1 counts nowhere -> 4 / 5 = 80%.
    ada = pct(cluster, p["nowak"], "student", p["pa"]["id"])
    assert (ada["present"], ada["absent"], ada["not_counted"], ada["percent"]) == (4, 1, 1, 80.0)
    # Bartosz: present 1 + late 1 + school reasons 1 = 3; excused 2 -> 3 / 5 = 60%.
    bart = pct(cluster, p["wych"], "student", p["pb"]["id"])
    assert (bart["present"], bart["absent"], bart["percent"]) == (3, 2, 60.0)
    assert bart["by_kind"]["excused"] == 2 and bart["by_kind"]["absent"] == 0
    # Class: 7 / 10 = 70%.
    klass = pct(cluster, p["director"], "class", p["5c"]["id"])
    assert (klass["present"], klass["absent"], klass["percent"]) == (7, 3, 70.0)
    assert {r["student_id"]: r["percent"] for r in klass["breakdown"]} == {p["pa"]["id"]: 80.0, p["pb"]["id"]: 60.0}
    # Mathematics in 5c: Ada present, released, present; Bartosz excused, school reasons, late -> 4 / 5.
    math = pct(cluster, p["nowak"], "subject", p["mat"]["id"], class_id=p["5c"]["id"])
    assert (math["present"], math["absent"], math["percent"]) == (4, 1, 80.0)
    # Polish in 5c: Ada late, absent, present; Bartosz excused, present, released -> 3 / 5.
    polish = pct(cluster, p["nowak"], "subject", p["pol"]["id"], class_id=p["5c"]["id"])
    assert (polish["present"], polish["absent"], polish["percent"]) == (3, 2, 60.0)
    # The student's own view gives the same number as the class teacher's (one formula everywhere).
    assert pct(cluster, p["pa"], "student", p["pa"]["id"])["percent"] == 80.0
    stats = cluster.rpc("attendance", "class_statistics", p["5c"]["id"], D1.isoformat(), D3.isoformat(),
                        ctx=ctx_of(p["director"]))
    assert stats["total"]["percent"] == 70.0
    assert {r["student_id"]: r["percent"] for r in stats["students"]} == {p["pa"]["id"]: 80.0, p["pb"]["id"]: 60.0}
    assert {r["subject_id"]: r["percent"] for r in stats["subjects"]} == {p["mat"]["id"]: 80.0, p["pol"]["id"]: 60.0}


def test_att5_below_threshold_and_formula_preset(cluster, class_5c):
    p, director = class_5c, ctx_of(class_5c["director"])
    low = cluster.rpc("attendance", "below_threshold", "class", p["5c"]["id"], 75, D1.isoformat(), D3.isoformat(),
                      ctx=director)
    assert [(r["student_id"], r["percent"]) for r in low["students"]] == [(p["pb"]["id"], 60.0)]
    low = cluster.rpc("attendance", "below_threshold", "school", p["school"]["id"], 85, D1.isoformat(), D3.isoformat(),
                      ctx=director)
    assert [r["student_id"] for r in low["students"] if r["student_id"] in (p["pa"]["id"], p["pb"]["id"])] == [
        p["pb"]["id"], p["pa"]["id"]]
    with pytest.raises(Forbidden):
        cluster.rpc("attendance", "set_formula", p["school"]["id"], {"preset": "all_recorded"}, ctx=ctx_of(p["wych"]))
    formula = cluster.rpc("attendance", "set_formula", p["school"]["id"], {"preset": "all_recorded"}, ctx=director)
    assert "released" in formula["present"]
    try:
        # Released now counts as present: Ada 5 / 6 = 83.33%, Bartosz 4 / 6 = 66.67%.
        assert pct(cluster, p["nowak"], "student", p["pa"]["id"])["percent"] == 83.33
        assert pct(cluster, p["nowak"], "student", p["pb"]["id"])["percent"] == 66.67
    finally:
        cluster.rpc("attendance", "set_formula", p["school"]["id"], {"preset": "vulcan"}, ctx=director)
    assert pct(cluster, p["nowak"], "student", p["pa"]["id"])["percent"] == 80.0


def test_att5_parent_meeting_summary_pdf(cluster, class_5c):
    p = class_5c
    out = cluster.rpc("attendance", "parent_meeting_summary_pdf", p["5c"]["id"], D1.isoformat(), D3.isoformat(),
                      ctx=ctx_of(p["wych"]))
    assert out["rows"] == 2
    pdf = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(base64.b64decode(out["pdf_base64"]))).pages)
    assert "Zestawienie frekwencji – klasa 5c" in pdf
    assert "Ąkowska Ada" in pdf and "Będkowski Bartosz" in pdf
    assert "80,00%" in pdf and "60,00%" in pdf and "70,00%" in pdf
    with pytest.raises(Forbidden):
        cluster.rpc("attendance", "parent_meeting_summary_pdf", p["5c"]["id"], ctx=ctx_of(p["parent"]))


def test_att6_calendar_day_summary(cluster, class_5c):
    p = class_5c
    cal = cluster.rpc("attendance", "student_calendar", p["pa"]["id"], D2.strftime("%Y-%m"), ctx=ctx_of(p["pa"]))
    day = next(d for d in cal["days"] if d["date"] == D2.isoformat())
    assert day["status"] == "absent" and day["lessons"] == 2 and day["counts"]["released"] == 1
    assert [e["symbol"] for e in day["entries"]] == ["zw", "nb"]


# ----------------------------------------------------------------------------- ORG-5, ORG-7: history stays

def test_org5_org7_transfer_and_removal_keep_history_and_statistics(cluster, school):
    admin, st = ctx_of(school["admin"]), school["s"][3]
    before = cluster.rpc("attendance", "percentages", "class", school["5a"]["id"], ctx=admin)
    pending = cluster.rpc("attendance", "submit_e_justification", {
        "student_id": school["stranger"]["id"], "date_from": D1.isoformat(), "reason": "Choroba."},
        ctx=ctx_of(school["parent2"]))
    cluster.rpc("scheduling", "transfer_student", st["id"], {"to_class_id": school["5b"]["id"]}, ctx=admin)
    cluster.rpc("scheduling", "transfer_student", school["stranger"]["id"], {"to_class_id": school["5c"]["id"]},
                ctx=admin)
    changes = wait_for(lambda: cluster.rpc("attendance", "class_changes", st["id"], ctx=admin), timeout=20,
                       what="transfer seen by attendance")
    assert changes[0]["kind"] == "transferred" and changes[0]["to_class_id"] == school["5b"]["id"]
    # The pending e-justification follows the student to the new class teacher's inbox.
    wait_for(lambda: cluster.rpc("attendance", "e_justifications", school["5c"]["id"], ctx=admin), timeout=20,
             what="e-justification moved")
    assert [e["id"] for e in cluster.rpc("attendance", "e_justifications", school["5c"]["id"], ctx=admin)] == [pending["id"]]
    # Entries recorded in 5a still count there, and with the student.
    assert cluster.rpc("attendance", "percentages", "class", school["5a"]["id"], ctx=admin)["recorded"] == before["recorded"]
    assert cluster.rpc("attendance", "percentages", "student", st["id"], ctx=admin)["recorded"] >= 2
    stats = cluster.rpc("attendance", "class_statistics", school["5a"]["id"], ctx=admin)
    assert next(r for r in stats["students"] if r["student_id"] == st["id"])["list_status"] == "transferred"
    # A removal is kept beside the history; duplicates of the event change nothing.
    cluster.rpc("scheduling", "remove_from_class_list", school["5b"]["id"], st["id"], {"reason": "zmiana szkoły"}, ctx=admin)
    wait_for(lambda: len(cluster.rpc("attendance", "class_changes", st["id"], ctx=admin)) == 2, timeout=20,
             what="removal seen by attendance")
    env = make_envelope("scheduling.student_removed", {"student_id": st["id"], "class_id": school["5b"]["id"],
                                                       "reason": "zmiana szkoły", "removed_on": TODAY.isoformat()},
                        school_id=school["school"]["id"])
    with Connection(cluster.broker.amqp_uri) as conn:
        producer = conn.Producer(serializer="json")
        for _ in range(2):
            producer.publish(env, exchange=Exchange("scheduling.events", type="topic", durable=True),
                             routing_key="student_removed", delivery_mode=2)
    wait_for(lambda: len(cluster.rpc("attendance", "class_changes", st["id"], ctx=admin)) == 3, timeout=20,
             what="the extra event applied once")
    time.sleep(1.5)
    assert len(cluster.rpc("attendance", "class_changes", st["id"], ctx=admin)) == 3
    assert cluster.rpc("attendance", "percentages", "class", school["5a"]["id"], ctx=admin)["recorded"] == before["recorded"]


# ----------------------------------------------------------------------------- TEN-1: other schools

def test_ten1_another_schools_ids_are_not_found(cluster, school):
    tag = uuid.uuid4().hex[:6]
    other = cluster.rpc("identity", "create_school", {"name": f"Liceum Drugie {tag}", "short_name": f"b{tag}"})
    outsider = cluster.rpc("identity", "create_account", {"school_id": other["id"], "first_name": "Ewa",
                                                          "last_name": "Obca", "roles": ["director"],
                                                          "password": PASSWORD})
    ctx = ctx_of(outsider)
    math = lesson(cluster, school, "5a", D1, 1)
    entry = by_student(cluster.rpc("attendance", "lesson_attendance", math["id"], ctx=ctx_of(school["wych"])))
    entry_id = next(iter(entry.values()))["id"]
    calls = [("lesson_attendance", (math["id"],)),
             ("record_lesson_attendance", (math["id"], {"entries": []})),
             ("correct_entry", (entry_id, {"category": "present", "reason": "cudza szkoła"})),
             ("entry_history", (entry_id,)),
             ("remove_double_entry", (entry_id, "cudza szkoła")),
             ("percentages", ("student", school["s"][0]["id"])),
             ("percentages", ("class", school["5a"]["id"])),
             ("percentages", ("subject", school["mat"]["id"])),
             ("weekly_review", (school["5a"]["id"], D1.isoformat())),
             ("class_statistics", (school["5a"]["id"],)),
             ("below_threshold", ("school", school["school"]["id"], 50)),
             ("justify", ({"student_id": school["s"][0]["id"], "dates": [D1.isoformat()], "reason": "choroba"},)),
             ("e_justifications", (school["5a"]["id"],)),
             ("student_calendar", (school["s"][0]["id"], D1.strftime("%Y-%m"))),
             ("categories", (school["school"]["id"],))]
    for method, args in calls:
        with pytest.raises(NotFound):
            cluster.rpc("attendance", method, *args, ctx=ctx)
    ej = cluster.rpc("attendance", "e_justifications", None, school["s"][0]["id"], ctx=ctx_of(school["parent"]))[0]
    with pytest.raises(NotFound):
        cluster.rpc("attendance", "decide_e_justification", ej["id"], {"accept": False, "comment": "obca szkoła"}, ctx=ctx)


def test_att1_categories_are_uniform_and_configurable_by_the_administrator(cluster, school):
    sid, admin = school["school"]["id"], ctx_of(school["admin"])
    cats = cluster.rpc("attendance", "categories", sid, ctx=ctx_of(school["parent"]))
    assert [c["symbol"] for c in cats["categories"]] == ["ob", "nb", "u", "sp", "zw", "ns"]
    assert cats["formula"]["preset"] == "vulcan" and cats["formula"]["none"] == ["released"]
    added = cluster.rpc("attendance", "save_category", sid, {
        "code": "competition", "name": "zawody sportowe", "symbol": "zs", "kind": "school_reasons"}, ctx=admin)
    assert added["counts_as"] == "present"
    with pytest.raises(Invalid):   # every kind keeps an active category
        cluster.rpc("attendance", "save_category", sid, {"code": "late", "name": "spóźnienie", "symbol": "sp",
                                                         "kind": "late", "active": False}, ctx=admin)
    with pytest.raises(Forbidden):
        cluster.rpc("attendance", "save_category", sid, {"code": "x", "name": "x", "symbol": "x", "kind": "present"},
                    ctx=ctx_of(school["wych"]))
    polish = lesson(cluster, school, "5a", D4, 3)
    out = record(cluster, school["wych"], polish["id"], [(school["s"][1], "competition")])
    assert by_student(out)[school["s"][1]["id"]]["symbol"] == "zs"
