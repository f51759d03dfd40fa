"""scheduling over the real broker (identity and scheduling as separate processes), on SQLite and
PostgreSQL: timetable and its conflicts, lessons and topics, substitutions, the calendar's test
limits, transfers and removal, the aSc import, trip cards, and tenancy and role checks."""
import json
import os
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from services.common.db import make_engine
from services.common.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from services.scheduling.domain import week_start
from tests.harness import Cluster, wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"
SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "services", "scheduling", "samples", "asc_sample.xml")

TODAY = date.today()
LAST_MONDAY = week_start(TODAY - timedelta(days=1)) if TODAY.weekday() else week_start(TODAY) - timedelta(days=7)
NEXT_MONDAY = week_start(TODAY) + timedelta(days=7)


@pytest.fixture(scope="module")
def cluster(system):
    return system


def ctx_of(account):
    ctx = {"user_id": account["id"], "school_id": account["school_id"], "roles": account["roles"]}
    return {k: v for k, v in ctx.items() if v is not None}


def outbox(cluster, name, school_id):
    """The events of one school that scheduling recorded (its outbox), newest last. Other test
    modules share the running system, so events of their schools are left out."""
    engine = make_engine(cluster.env["SCHEDULING_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT envelope FROM outbox_events WHERE name = :n ORDER BY seq"),
                                {"n": name}).all()
    finally:
        engine.dispose()
    envelopes = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]
    return [e for e in envelopes if e.get("school_id") == school_id]


@pytest.fixture(scope="module")
def school(cluster):
    """A school with staff, students, classes 4a and 4b, subjects, and a school year whose first
    term contains today and the past week."""
    tag = uuid.uuid4().hex[:6]
    rpc = cluster.rpc
    s = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa {tag}", "short_name": f"sp{tag}"})

    def acc(roles, first, last, password=None):
        # Passwords (argon2, deliberately slow) only where a test logs in.
        return rpc("identity", "create_account", {"school_id": s["id"], "first_name": first, "last_name": last,
                                                  "roles": roles, "password": password})
    p = dict(school=s)
    p["admin"] = acc(["school_admin"], "Anna", "Administratorka")
    p["director"] = acc(["director"], "Dorota", "Dyrektorka")
    p["secretary"] = acc(["secretary"], "Sabina", "Sekretarka")
    p["mazur"] = acc(["teacher", "class_teacher"], "Barbara", "Mazur")
    p["nowak"] = acc(["teacher"], "Jan", "Nowak")
    p["krawczyk"] = acc(["teacher"], "Adam", "Krawczyk")
    for first, last in (("Anna", "Kowalska"), ("Piotr", "Wiśniewski"), ("Maria", "Zielińska"),
                        ("Katarzyna", "Lewandowska"), ("Tomasz", "Wójcik"), ("Ewa", "Kamińska")):
        p[last] = acc(["teacher"], first, last)
    p["students"] = [acc(["student"], "Uczeń", f"Numer{i}", PASSWORD if i == 2 else None) for i in range(4)]
    admin = ctx_of(p["admin"])
    p["4a"] = rpc("scheduling", "create_class", s["id"], {"name": "4a", "class_teacher_id": p["mazur"]["id"]}, ctx=admin)
    p["4b"] = rpc("scheduling", "create_class", s["id"], {"name": "4b"}, ctx=admin)
    for st in p["students"]:
        rpc("scheduling", "enrol_student", p["4a"]["id"], {"student_id": st["id"],
                                                          "enrolled_on": (TODAY - timedelta(days=60)).isoformat()},
            ctx=admin)
    start = TODAY - timedelta(days=120)
    p["year"] = rpc("scheduling", "create_school_year", s["id"], {
        "name": f"{start.year}/{start.year + 1}", "starts_on": start.isoformat(),
        "ends_on": (TODAY + timedelta(days=200)).isoformat(),
        "terms": [{"name": "Semestr 1", "starts_on": start.isoformat(), "ends_on": (TODAY + timedelta(days=30)).isoformat()},
                  {"name": "Semestr 2", "starts_on": (TODAY + timedelta(days=31)).isoformat(),
                   "ends_on": (TODAY + timedelta(days=200)).isoformat()}]}, ctx=admin)
    p["term"] = p["year"]["terms"][0]
    p["mat"] = rpc("scheduling", "create_subject", s["id"], {"name": "Matematyka", "short_name": "mat"}, ctx=admin)
    p["pol"] = rpc("scheduling", "create_subject", s["id"], {"name": "Język polski", "short_name": "j.pol"}, ctx=admin)
    p["his"] = rpc("scheduling", "create_subject", s["id"], {"name": "Przyroda"}, ctx=admin)
    return p


def entry(weekday, period, subject, teacher, room, start="8:00", end="8:45", group=""):
    return {"weekday": weekday, "period": period, "starts_at": start, "ends_at": end, "subject_id": subject["id"],
            "teacher_id": teacher["id"], "room": room, "group_name": group}


@pytest.fixture(scope="module")
def timetables(cluster, school):
    """4a and 4b timetables from the term's start (Monday to Friday, periods 1-2)."""
    p, admin = school, ctx_of(school["admin"])
    week_4a = []
    week_4b = []
    for wd in range(1, 6):
        week_4a += [entry(wd, 1, p["mat"], p["mazur"], "101"),
                    entry(wd, 2, p["pol"], p["krawczyk"], "102", "8:55", "9:40")]
        week_4b += [entry(wd, 1, p["pol"], p["nowak"], "103"),
                    entry(wd, 2, p["mat"], p["mazur"], "101", "8:55", "9:40")]
    term = p["term"]
    a = cluster.rpc("scheduling", "set_timetable", p["4a"]["id"], term["id"],
                    {"valid_from": term["starts_on"], "entries": week_4a}, ctx=admin)
    b = cluster.rpc("scheduling", "set_timetable", p["4b"]["id"], term["id"],
                    {"valid_from": term["starts_on"], "entries": week_4b}, ctx=admin)
    return {"4a": a, "4b": b}


# ----------------------------------------------------------------------------- years, terms, subjects (ORG-1)

def test_org1_years_terms_and_subjects(cluster, school):
    admin, sid = ctx_of(school["admin"]), school["school"]["id"]
    years = cluster.rpc("scheduling", "list_school_years", sid, ctx=admin)
    assert [t["name"] for t in years[0]["terms"]] == ["Semestr 1", "Semestr 2"]
    with pytest.raises(Invalid) as err:
        cluster.rpc("scheduling", "create_term", school["year"]["id"], {
            "name": "Zachodzący", "starts_on": school["term"]["starts_on"], "ends_on": school["term"]["ends_on"]},
            ctx=admin)
    assert "nakłada" in err.value.message
    with pytest.raises(Conflict):
        cluster.rpc("scheduling", "create_subject", sid, {"name": "matematyka"}, ctx=admin)
    current = cluster.rpc("scheduling", "current_term", sid, ctx=ctx_of(school["students"][0]))
    assert current["id"] == school["term"]["id"]
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "create_subject", sid, {"name": "Fizyka"}, ctx=ctx_of(school["mazur"]))


def test_org1_assignments_classes_terms_management(cluster, school, timetables):
    p, sid, admin = school, school["school"]["id"], ctx_of(school["admin"])
    row = cluster.rpc("scheduling", "create_assignment", sid, {
        "teacher_id": p["nowak"]["id"], "subject_id": p["his"]["id"], "class_id": p["4a"]["id"],
        "group_name": "1 grupa"}, ctx=admin)
    assert (row["class_name"], row["subject_name"], row["group_name"]) == ("4a", "Przyroda", "1 grupa")
    with pytest.raises(Conflict):
        cluster.rpc("scheduling", "create_assignment", sid, {
            "teacher_id": p["nowak"]["id"], "subject_id": p["his"]["id"], "class_id": p["4a"]["id"],
            "group_name": "1 grupa"}, ctx=admin)
    with pytest.raises(Invalid):
        cluster.rpc("scheduling", "create_assignment", sid, {
            "teacher_id": p["secretary"]["id"], "subject_id": p["his"]["id"], "class_id": p["4a"]["id"]}, ctx=admin)
    listed = cluster.rpc("scheduling", "list_assignments", sid, p["4a"]["id"], ctx=ctx_of(p["mazur"]))
    assert row["id"] in [a["id"] for a in listed]
    # set_timetable made the assignments of the timetable itself
    assert ("4a", "Matematyka") in {(a["class_name"], a["subject_name"]) for a in
                                    cluster.rpc("scheduling", "assignments_of_teacher", p["mazur"]["id"], ctx=admin)}
    cluster.rpc("scheduling", "delete_assignment", row["id"], ctx=admin)
    assert row["id"] not in [a["id"] for a in cluster.rpc("scheduling", "list_assignments", sid, ctx=admin)]
    with pytest.raises(Conflict):
        cluster.rpc("scheduling", "update_class", p["4b"]["id"], {"name": "4a"}, ctx=admin)
    renamed = cluster.rpc("scheduling", "update_class", p["4b"]["id"], {"class_teacher_id": p["nowak"]["id"]}, ctx=admin)
    assert renamed["class_teacher_id"] == p["nowak"]["id"] and renamed["name"] == "4b"
    term = p["term"]
    with pytest.raises(Conflict):   # the timetable starts on the term's first day
        cluster.rpc("scheduling", "update_term", term["id"], {
            "starts_on": (date.fromisoformat(term["starts_on"]) + timedelta(days=1)).isoformat()}, ctx=admin)
    with pytest.raises(Conflict):
        cluster.rpc("scheduling", "delete_term", term["id"], ctx=admin)
    assert cluster.rpc("scheduling", "update_term", term["id"], {"name": "Semestr I"}, ctx=admin)["name"] == "Semestr I"
    cluster.rpc("scheduling", "update_term", term["id"], {"name": "Semestr 1"}, ctx=admin)
    subject = cluster.rpc("scheduling", "update_subject", p["his"]["id"], {"short_name": "przyr"}, ctx=admin)
    assert cluster.rpc("scheduling", "get_subject", p["his"]["id"], ctx=ctx_of(p["students"][0])) == subject
    assert cluster.rpc("scheduling", "test_limits", sid, ctx=ctx_of(p["students"][0]))["tests_per_day"] == 1


# ----------------------------------------------------------------------------- timetable (ORG-2)

def test_org2_timetable_conflict_is_refused_and_nothing_is_half_written(cluster, school, timetables):
    p, admin = school, ctx_of(school["admin"])
    assert len(timetables["4a"]["entries"]) == 10
    class_b = cluster.rpc("scheduling", "create_class", p["school"]["id"], {"name": "4c"}, ctx=admin)
    term = p["term"]
    clash_teacher = [entry(1, 3, p["mat"], p["nowak"], "104"),            # fine on its own
                     entry(1, 1, p["his"], p["mazur"], "104")]             # Mazur teaches 4a then
    with pytest.raises(Conflict) as err:
        cluster.rpc("scheduling", "set_timetable", class_b["id"], term["id"],
                    {"valid_from": term["starts_on"], "entries": clash_teacher}, ctx=admin)
    assert "Nauczyciel Barbara Mazur ma już w tym czasie lekcję (poniedziałek, lekcja 1: 4a, Matematyka)" \
        in err.value.message
    assert cluster.rpc("scheduling", "timetable", class_b["id"], term["id"], ctx=admin) == []
    with pytest.raises(Conflict) as err:
        cluster.rpc("scheduling", "set_timetable", class_b["id"], term["id"],
                    {"entries": [entry(2, 2, p["his"], p["nowak"], "102")]}, ctx=admin)
    assert "Sala 102 jest już zajęta (wtorek, lekcja 2: 4a, Język polski)" in err.value.message
    with pytest.raises(Conflict) as err:
        cluster.rpc("scheduling", "set_timetable", class_b["id"], term["id"],
                    {"entries": [entry(3, 1, p["his"], p["nowak"], "104"),
                                 entry(3, 1, p["mat"], p["krawczyk"], "105")]}, ctx=admin)
    assert "Klasa 4c ma już w tym czasie lekcję" in err.value.message
    with pytest.raises(Invalid) as err:
        cluster.rpc("scheduling", "set_timetable", class_b["id"], term["id"],
                    {"valid_from": (TODAY + timedelta(days=90)).isoformat(),
                     "entries": [entry(1, 3, p["mat"], p["nowak"], "104")]}, ctx=admin)
    assert "poza okresem" in err.value.message
    with pytest.raises(Invalid) as err:
        cluster.rpc("scheduling", "set_timetable", class_b["id"], term["id"],
                    {"entries": [entry(1, 3, p["mat"], p["students"][0], "104")]}, ctx=admin)
    assert "entries.0.teacher_id" in err.value.fields
    assert cluster.rpc("scheduling", "timetable", class_b["id"], term["id"], include_history=True, ctx=admin) == []


def test_org2_change_applies_from_a_date_and_keeps_history(cluster, school, timetables):
    p, admin, term = school, ctx_of(school["admin"]), school["term"]
    teacher_ctx = ctx_of(p["nowak"])
    klass = cluster.rpc("scheduling", "create_class", p["school"]["id"], {"name": "5a"}, ctx=admin)
    cluster.rpc("scheduling", "set_timetable", klass["id"], term["id"], {
        "valid_from": term["starts_on"], "entries": [entry(4, 5, p["his"], p["nowak"], "201")]}, ctx=admin)
    cluster.rpc("scheduling", "set_timetable", klass["id"], term["id"], {
        "valid_from": NEXT_MONDAY.isoformat(), "entries": [entry(4, 5, p["mat"], p["krawczyk"], "201")]}, ctx=admin)
    history = cluster.rpc("scheduling", "timetable", klass["id"], term["id"], include_history=True, ctx=admin)
    assert [(h["subject_id"], h["valid_from"], h["valid_to"]) for h in history] == [
        (p["his"]["id"], term["starts_on"], (NEXT_MONDAY - timedelta(days=1)).isoformat()),
        (p["mat"]["id"], NEXT_MONDAY.isoformat(), None)]
    before = cluster.rpc("scheduling", "class_week", klass["id"], LAST_MONDAY.isoformat(), ctx=teacher_ctx)
    after = cluster.rpc("scheduling", "class_week", klass["id"], NEXT_MONDAY.isoformat(), ctx=teacher_ctx)
    assert [l["subject_name"] for l in before["days"][3]["lessons"]] == ["Przyroda"]
    assert [l["subject_name"] for l in after["days"][3]["lessons"]] == ["Matematyka"]


# ----------------------------------------------------------------------------- lessons, substitutions (ORG-3, ORG-4)

def test_org4_lessons_are_made_from_the_timetable_once(cluster, school, timetables):
    ctx = ctx_of(school["mazur"])
    first = cluster.rpc("scheduling", "lessons_for", LAST_MONDAY.isoformat(), class_id=school["4a"]["id"], ctx=ctx)
    again = cluster.rpc("scheduling", "lessons_for", LAST_MONDAY.isoformat(), class_id=school["4a"]["id"], ctx=ctx)
    assert [(l["period"], l["subject_name"], l["status"]) for l in first] == [
        (1, "Matematyka", "planned"), (2, "Język polski", "planned")]
    assert [l["id"] for l in again] == [l["id"] for l in first]
    mine = cluster.rpc("scheduling", "lessons_for", LAST_MONDAY.isoformat(), teacher_id=school["mazur"]["id"], ctx=ctx)
    assert sorted((l["class_name"], l["period"]) for l in mine) == [("4a", 1), ("4b", 2)]


def test_org3_substitution_flow(cluster, school, timetables):
    p = school
    admin, director = ctx_of(p["admin"]), ctx_of(p["director"])
    mazur, nowak, krawczyk = ctx_of(p["mazur"]), ctx_of(p["nowak"]), ctx_of(p["krawczyk"])
    day = LAST_MONDAY.isoformat()
    lessons = cluster.rpc("scheduling", "lessons_for", day, class_id=p["4a"]["id"], ctx=admin)
    math = next(l for l in lessons if l["period"] == 1)
    # Nowak teaches 4b at that time: refused, naming why.
    with pytest.raises(Conflict) as err:
        cluster.rpc("scheduling", "assign_substitute", math["id"],
                    {"substitute_teacher_id": p["nowak"]["id"], "reason": "choroba"}, ctx=admin)
    assert "własną lekcję" in err.value.message
    with pytest.raises(Forbidden):   # the director controls, the administrator assigns
        cluster.rpc("scheduling", "assign_substitute", math["id"],
                    {"substitute_teacher_id": p["krawczyk"]["id"], "reason": "choroba"}, ctx=director)
    assigned = cluster.rpc("scheduling", "assign_substitute", math["id"],
                           {"substitute_teacher_id": p["krawczyk"]["id"], "reason": "choroba"}, ctx=admin)
    assert assigned["substitute_teacher_id"] == p["krawczyk"]["id"]
    events = [e for e in outbox(cluster, "scheduling.substitution_assigned", school["school"]["id"]) if e["payload"]["lesson_id"] == math["id"]]
    assert len(events) == 1
    assert events[0]["payload"]["substitute_teacher_id"] == p["krawczyk"]["id"]
    assert events[0]["payload"]["teacher_id"] == p["mazur"]["id"] and events[0]["payload"]["date"] == day
    assert events[0]["actor"]["user_id"] == p["admin"]["id"]
    # The director sees it among substitutions without a topic.
    pending = cluster.rpc("scheduling", "substitutions", p["school"]["id"], day, day, True, ctx=director)
    assert [l["id"] for l in pending] == [math["id"]]
    # The substitute sees it in the own week; the replaced teacher may not enter the topic.
    week = cluster.rpc("scheduling", "teacher_week", p["krawczyk"]["id"], day, ctx=krawczyk)
    monday = [l for l in week["days"][0]["lessons"] if l["lesson_id"] == math["id"]]
    assert monday and monday[0]["substituting"] is True
    with pytest.raises(Forbidden) as err:
        cluster.rpc("scheduling", "enter_topic", math["id"], {"topic": "Ułamki zwykłe"}, ctx=mazur)
    assert "zastępujący" in err.value.message
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "enter_topic", math["id"], {"topic": "Ułamki zwykłe"}, ctx=nowak)
    held = cluster.rpc("scheduling", "enter_topic", math["id"], {"topic": "Ułamki zwykłe"}, ctx=krawczyk)
    assert held["status"] == "held" and held["date"] == day and held["topic_entered_by"] == p["krawczyk"]["id"]
    assert held["topic_entered_at"][:10] == date.today().isoformat()          # OPS-2: both kept
    heard = [e for e in outbox(cluster, "scheduling.lesson_held", school["school"]["id"]) if e["payload"]["lesson_id"] == math["id"]]
    assert len(heard) == 1 and heard[0]["payload"]["teacher_id"] == p["krawczyk"]["id"]
    assert heard[0]["payload"]["regular_teacher_id"] == p["mazur"]["id"]
    assert cluster.rpc("scheduling", "substitutions", p["school"]["id"], day, day, True, ctx=director) == []
    everything = cluster.rpc("scheduling", "substitutions", p["school"]["id"], day, day, ctx=director)
    assert [l["substitution"]["reason"] for l in everything] == ["choroba"]
    with pytest.raises(Conflict):   # held: no more changes
        cluster.rpc("scheduling", "assign_substitute", math["id"], {"cancel": True, "reason": "pomyłka"}, ctx=admin)


def test_org3_cancelled_lesson(cluster, school, timetables):
    p, admin = school, ctx_of(school["admin"])
    day = LAST_MONDAY.isoformat()
    polish = next(l for l in cluster.rpc("scheduling", "lessons_for", day, class_id=p["4a"]["id"], ctx=admin)
                  if l["period"] == 2)
    with pytest.raises(Invalid):
        cluster.rpc("scheduling", "assign_substitute", polish["id"], {"reason": "wycieczka"}, ctx=admin)
    cancelled = cluster.rpc("scheduling", "assign_substitute", polish["id"], {"cancel": True, "reason": "wycieczka"},
                            ctx=admin)
    assert cancelled["status"] == "cancelled"
    assert [e["payload"]["reason"] for e in outbox(cluster, "scheduling.lesson_cancelled", school["school"]["id"])
            if e["payload"]["lesson_id"] == polish["id"]] == ["wycieczka"]
    with pytest.raises(Conflict):
        cluster.rpc("scheduling", "enter_topic", polish["id"], {"topic": "Rzeczownik"}, ctx=ctx_of(p["krawczyk"]))


def test_org4_topic_of_own_lesson_and_supervision_report(cluster, school, timetables):
    p = school
    mazur, director = ctx_of(p["mazur"]), ctx_of(p["director"])
    day = LAST_MONDAY.isoformat()
    own = next(l for l in cluster.rpc("scheduling", "lessons_for", day, class_id=p["4b"]["id"], ctx=mazur)
               if l["period"] == 2)
    cluster.rpc("scheduling", "enter_topic", own["id"], {"topic": "Dodawanie pisemne"}, ctx=mazur)
    future = cluster.rpc("scheduling", "lessons_for", (NEXT_MONDAY + timedelta(days=1)).isoformat(),
                         class_id=p["4b"]["id"], ctx=mazur)
    with pytest.raises(Conflict):
        cluster.rpc("scheduling", "enter_topic", next(l["id"] for l in future if l["period"] == 2),
                    {"topic": "Za wcześnie"}, ctx=mazur)
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "supervision_report", p["school"]["id"], day, ctx=mazur)
    report = cluster.rpc("scheduling", "supervision_report", p["school"]["id"], day, ctx=director)
    assert report["week_start"] == day
    rows = {r["teacher_id"]: r for r in report["teachers"]}
    nowak_lessons = [(l["class_name"], l["date"], l["period"]) for l in rows[p["nowak"]["id"]]["lessons_without_topic"]]
    assert ("4b", day, 1) in nowak_lessons
    mazur_ids = [l["id"] for l in rows.get(p["mazur"]["id"], {}).get("lessons_without_topic", [])]
    assert own["id"] not in mazur_ids
    # The attendance hook: no attendance was taken for the own lesson, so it is listed.
    assert report["lessons_without_attendance"]["available"] is True
    assert own["id"] in report["lessons_without_attendance"]["lessons"]


# ----------------------------------------------------------------------------- calendar (ORG-10)

def test_org10_test_limits_refuse_with_the_conflicting_tests_named(cluster, school, timetables):
    p, sid = school, school["school"]["id"]
    director, mazur, krawczyk = ctx_of(p["director"]), ctx_of(p["mazur"]), ctx_of(p["krawczyk"])
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "set_test_limits", sid, {"tests_per_day": 1, "tests_per_week": 2}, ctx=mazur)
    limits = cluster.rpc("scheduling", "set_test_limits", sid, {"tests_per_day": 1, "tests_per_week": 2}, ctx=director)
    assert limits == {"tests_per_day": 1, "tests_per_week": 2, "quizzes_per_day": None, "quizzes_per_week": None}
    wed, thu, fri = (NEXT_MONDAY + timedelta(days=d) for d in (2, 3, 4))
    first = cluster.rpc("scheduling", "add_calendar_event", sid, {
        "kind": "test", "date": wed.isoformat(), "class_id": p["4a"]["id"], "subject_id": p["mat"]["id"],
        "title": "Ułamki"}, ctx=mazur)
    assert first["kind_name"] == "sprawdzian"
    with pytest.raises(Conflict) as err:
        cluster.rpc("scheduling", "add_calendar_event", sid, {
            "kind": "test", "date": wed.isoformat(), "class_id": p["4a"]["id"], "subject_id": p["pol"]["id"],
            "title": "Ortografia"}, ctx=krawczyk)
    assert err.value.message == (f"Nie można dodać sprawdzianu: klasa 4a może mieć najwyżej 1 sprawdzian dziennie, "
                                 f"a w dniu {wed:%d.%m.%Y} ma już: „Ułamki” (Matematyka, {wed:%d.%m.%Y}).")
    cluster.rpc("scheduling", "add_calendar_event", sid, {
        "kind": "quiz", "date": wed.isoformat(), "class_id": p["4a"]["id"], "title": "Kartkówka z czasowników"},
        ctx=krawczyk)
    cluster.rpc("scheduling", "add_calendar_event", sid, {
        "kind": "test", "date": thu.isoformat(), "class_id": p["4a"]["id"], "title": "Ortografia"}, ctx=krawczyk)
    with pytest.raises(Conflict) as err:
        cluster.rpc("scheduling", "add_calendar_event", sid, {
            "kind": "test", "date": fri.isoformat(), "class_id": p["4a"]["id"], "title": "Czytanie"}, ctx=krawczyk)
    assert "najwyżej 2 sprawdziany w tygodniu" in err.value.message
    assert "„Ułamki”" in err.value.message and "„Ortografia”" in err.value.message
    # Only for a class one teaches; students never.
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "add_calendar_event", sid, {
            "kind": "test", "date": fri.isoformat(), "class_id": p["4a"]["id"], "title": "Xy"}, ctx=ctx_of(p["nowak"]))
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "add_calendar_event", sid, {
            "kind": "test", "date": fri.isoformat(), "class_id": p["4a"]["id"], "title": "Xy"},
            ctx=ctx_of(p["students"][0]))
    seen = cluster.rpc("scheduling", "calendar", sid, NEXT_MONDAY.isoformat(), fri.isoformat(), p["4a"]["id"],
                       ctx=ctx_of(p["students"][0]))
    assert [(e["kind"], e["title"]) for e in seen] == [("test", "Ułamki"), ("quiz", "Kartkówka z czasowników"),
                                                     ("test", "Ortografia")]
    assert len([e for e in outbox(cluster, "scheduling.calendar_event_added", school["school"]["id"]) if e["payload"]["kind"] != "trip"]) >= 3


def test_org10_day_off_removes_lessons(cluster, school, timetables):
    p, sid, admin = school, school["school"]["id"], ctx_of(school["admin"])
    day = NEXT_MONDAY + timedelta(days=7)
    assert day.isoformat() <= school["term"]["ends_on"]   # the fixture's term runs 30 days past today
    made = cluster.rpc("scheduling", "lessons_for", day.isoformat(), class_id=p["4a"]["id"], ctx=admin)
    assert len(made) == 2
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "add_calendar_event", sid, {"kind": "day_off", "date": day.isoformat(),
                                                              "title": "Dzień Edukacji"}, ctx=ctx_of(p["mazur"]))
    cluster.rpc("scheduling", "add_calendar_event", sid, {"kind": "day_off", "date": day.isoformat(),
                                                          "title": "Dzień dyrektorski"}, ctx=admin)
    after = cluster.rpc("scheduling", "lessons_for", day.isoformat(), class_id=p["4a"]["id"], ctx=admin)
    assert {l["status"] for l in after} == {"cancelled"}
    assert cluster.rpc("scheduling", "lessons_for", day.isoformat(), class_id=p["4b"]["id"], ctx=admin) == []
    week = cluster.rpc("scheduling", "class_week", p["4a"]["id"], day.isoformat(), ctx=ctx_of(p["students"][0]))
    assert week["days"][0]["day_off"]["title"] == "Dzień dyrektorski"
    with pytest.raises(Conflict) as err:
        cluster.rpc("scheduling", "add_calendar_event", sid, {
            "kind": "test", "date": day.isoformat(), "class_id": p["4a"]["id"], "title": "Test"}, ctx=ctx_of(p["mazur"]))
    assert "dzień wolny" in err.value.message
    off = next(e for e in cluster.rpc("scheduling", "calendar", sid, day.isoformat(), day.isoformat(), ctx=admin)
               if e["kind"] == "day_off")
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "remove_calendar_event", off["id"], ctx=ctx_of(p["mazur"]))
    cluster.rpc("scheduling", "remove_calendar_event", off["id"], ctx=admin)
    restored = cluster.rpc("scheduling", "lessons_for", day.isoformat(), class_id=p["4a"]["id"], ctx=admin)
    assert {l["status"] for l in restored} == {"planned"}
    assert len(cluster.rpc("scheduling", "lessons_for", day.isoformat(), class_id=p["4b"]["id"], ctx=admin)) == 2


def test_org10_icalendar_feeds_of_a_class_and_a_teacher(cluster, school, timetables):
    p, sid = school, school["school"]["id"]
    feed = cluster.rpc("scheduling", "ical_feed", sid, p["4a"]["id"], ctx=ctx_of(p["students"][0]))
    assert feed["content_type"].startswith("text/calendar")
    assert "SUMMARY:Sprawdzian: Ułamki (Matematyka)" in feed["body"].split("\r\n")
    lessons = cluster.rpc("scheduling", "ical_feed", sid, teacher_id=p["mazur"]["id"], ctx=ctx_of(p["mazur"]))
    assert "SUMMARY:Matematyka – 4a" in lessons["body"]
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "ical_feed", sid, teacher_id=p["mazur"]["id"], ctx=ctx_of(p["students"][0]))


def test_org4_lessons_are_made_once_under_concurrent_requests(cluster, school, timetables):
    from concurrent.futures import ThreadPoolExecutor
    day = (NEXT_MONDAY + timedelta(days=3)).isoformat()
    ctx = ctx_of(school["mazur"])

    def ask(_):
        return cluster.rpc("scheduling", "lessons_for", day, class_id=school["4a"]["id"], ctx=ctx, timeout=30)
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(ask, range(6)))
    ids = {tuple(lesson["id"] for lesson in r) for r in results}
    assert len(ids) == 1 and len(next(iter(ids))) == 2


# ----------------------------------------------------------------------------- class lists (ORG-5, ORG-7)

def test_org5_transfer_keeps_history_and_refuses_another_schools_class(cluster, school):
    p, secretary = school, ctx_of(school["secretary"])
    student = p["students"][1]
    moved = cluster.rpc("scheduling", "transfer_student", student["id"],
                        {"to_class_id": p["4b"]["id"], "on_date": TODAY.isoformat()}, ctx=secretary)
    assert moved["from"]["status"] == "transferred" and moved["to"]["status"] == "active"
    where = cluster.rpc("scheduling", "student_class", student["id"], True, ctx=ctx_of(student))
    assert where["active"]["class_name"] == "4b"
    assert [(h["class_name"], h["status"]) for h in where["history"]] == [("4a", "transferred"), ("4b", "active")]
    old = cluster.rpc("scheduling", "class_list", p["4a"]["id"], True, ctx=secretary)
    assert (student["id"], "transferred") in [(r["student_id"], r["status"]) for r in old]
    assert student["id"] not in [r["student_id"] for r in cluster.rpc("scheduling", "class_list", p["4a"]["id"],
                                                                      ctx=secretary)]
    sent = [e for e in outbox(cluster, "scheduling.student_transferred", school["school"]["id"]) if e["payload"]["student_id"] == student["id"]]
    assert sent[0]["payload"] == {"student_id": student["id"], "from_class_id": p["4a"]["id"],
                                  "to_class_id": p["4b"]["id"]}
    # Another school's class: as if it did not exist; even the association administrator cannot.
    other = cluster.rpc("identity", "create_school", {"name": "Liceum Inne", "short_name": "lo-" + uuid.uuid4().hex[:6]})
    other_admin = cluster.rpc("identity", "create_account", {"school_id": other["id"], "first_name": "Olga",
                                                             "last_name": "Obca", "roles": ["school_admin"]})
    foreign = cluster.rpc("scheduling", "create_class", other["id"], {"name": "1a"}, ctx=ctx_of(other_admin))
    with pytest.raises(NotFound):
        cluster.rpc("scheduling", "transfer_student", student["id"], {"to_class_id": foreign["id"]}, ctx=secretary)
    boss = cluster.rpc("identity", "create_account", {"first_name": "Stefan", "last_name": "Stowarzyszenie",
                                                      "roles": ["association_admin"]})
    with pytest.raises(Invalid) as err:
        cluster.rpc("scheduling", "transfer_student", student["id"], {"to_class_id": foreign["id"]}, ctx=ctx_of(boss))
    assert "innej szkoły" in err.value.message
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "transfer_student", student["id"], {"to_class_id": p["4a"]["id"]},
                    ctx=ctx_of(p["mazur"]))
    assert cluster.rpc("scheduling", "student_class", student["id"], ctx=secretary)["active"]["class_name"] == "4b"


def test_org7_removal_blocks_the_account_and_keeps_the_enrolment(cluster, school):
    p = school
    student = p["students"][2]
    cluster.rpc("scheduling", "remove_from_class_list", p["4a"]["id"], student["id"], {"reason": "zmiana szkoły"},
                ctx=ctx_of(p["director"]))

    def refused():
        try:
            cluster.rpc("identity", "login", {"login": student["login"], "password": PASSWORD})
            return False
        except Unauthenticated as exc:
            return exc
    assert "zablokowane" in wait_for(refused, timeout=20, what="login refused").message
    where = cluster.rpc("scheduling", "student_class", student["id"], True, ctx=ctx_of(p["secretary"]))
    assert where["active"] is None and where["history"][0]["status"] == "removed"


# ----------------------------------------------------------------------------- aSc import (ORG-2)

def test_org2_asc_import_of_the_sample_file(cluster, school):
    p, sid, admin = school, school["school"]["id"], ctx_of(school["admin"])
    with open(SAMPLE, encoding="utf-8") as fh:
        xml = fh.read()
    term = p["term"]
    with pytest.raises(Invalid) as err:   # classes 1a and 1b do not exist yet
        cluster.rpc("scheduling", "import_asc_timetable", sid, term["id"], xml, ctx=admin)
    assert err.value.fields["classes"] == ["1a", "1b"] and err.value.fields["teachers"] == []
    c1a = cluster.rpc("scheduling", "create_class", sid, {"name": "1a"}, ctx=admin)
    c1b = cluster.rpc("scheduling", "create_class", sid, {"name": "1b"}, ctx=admin)
    preview = cluster.rpc("scheduling", "import_asc_timetable", sid, term["id"], xml, dry_run=True, ctx=admin)
    assert preview["dry_run"] and preview["entries"] == 32
    assert cluster.rpc("scheduling", "timetable", c1a["id"], term["id"], include_history=True, ctx=admin) == []
    report = cluster.rpc("scheduling", "import_asc_timetable", sid, term["id"], xml, ctx=admin)
    assert report["entries"] == 32 and report["teachers_mapped"] == 6
    assert [(c["name"], c["entries"]) for c in report["classes"]] == [("1a", 17), ("1b", 15)]
    assert report["subjects_mapped"] == ["Język polski", "Matematyka"]
    assert report["subjects_created"] == ["Historia", "Informatyka", "Język angielski", "Wychowanie fizyczne"]
    assert report["valid_from"] == TODAY.isoformat()
    week = cluster.rpc("scheduling", "class_week", c1a["id"], NEXT_MONDAY.isoformat(), ctx=admin)
    tuesday = [(l["period"], l["subject_name"], l["room"]) for l in week["days"][1]["lessons"]]
    assert (3, "Wychowanie fizyczne", "gim") in tuesday and (4, "Wychowanie fizyczne", "gim") in tuesday
    monday = [(l["period"], l["subject_name"], l["group_name"]) for l in week["days"][0]["lessons"]]
    assert (3, "Język angielski", "1 grupa") in monday and (3, "Język angielski", "2 grupa") in monday
    subjects = {s["name"] for s in cluster.rpc("scheduling", "list_subjects", sid, ctx=admin)}
    assert {"Historia", "Wychowanie fizyczne"} <= subjects
    kowalska = cluster.rpc("scheduling", "assignments_of_teacher", p["Kowalska"]["id"], ctx=admin)
    assert sorted({(a["class_name"], a["subject_name"]) for a in kowalska}) == [
        ("1a", "Informatyka"), ("1a", "Matematyka"), ("1b", "Informatyka"), ("1b", "Matematyka")]
    # The imported timetable is guarded like any other.
    with pytest.raises(Conflict) as err:
        cluster.rpc("scheduling", "set_timetable", p["4b"]["id"], term["id"], {
            "entries": [entry(1, 1, p["mat"], p["Kowalska"], "301")]}, ctx=admin)
    assert "Anna Kowalska" in err.value.message and "1a" in err.value.message
    # Bad files: refused with a clear error, nothing written.
    count = len(cluster.rpc("scheduling", "timetable", c1a["id"], term["id"], include_history=True, ctx=admin))
    for bad, expected in [("<html><body>plan</body></html>", "<timetable>"),
                          ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><timetable/>', "DOCTYPE"),
                          (xml.replace('lastname="Kamińska"', 'lastname="Kamińsky"')
                              .replace('name="Kamińska Ewa"', 'name="Kamińsky Ewa"'), "Kamińsky Ewa")]:
        with pytest.raises(Invalid) as err:
            cluster.rpc("scheduling", "import_asc_timetable", sid, term["id"], bad, ctx=admin)
        assert expected in err.value.message
    assert len(cluster.rpc("scheduling", "timetable", c1a["id"], term["id"], include_history=True, ctx=admin)) == count
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "import_asc_timetable", sid, term["id"], xml, ctx=ctx_of(p["director"]))


# ----------------------------------------------------------------------------- trip cards (ORG-11)

def test_org11_trip_card_approved_by_the_director_appears_in_the_calendar(cluster, school):
    p, sid = school, school["school"]["id"]
    mazur, director = ctx_of(p["mazur"]), ctx_of(p["director"])
    start = NEXT_MONDAY + timedelta(days=14)
    data = {"destination": "Kraków, Wawel", "purpose": "Lekcja historii w terenie",
            "starts_on": start.isoformat(), "ends_on": (start + timedelta(days=1)).isoformat(),
            "participant_ids": [p["students"][0]["id"], p["students"][3]["id"]],
            "supervisor_ids": [p["mazur"]["id"], p["nowak"]["id"]]}
    with pytest.raises(Invalid) as err:
        cluster.rpc("scheduling", "create_trip", sid, dict(data, participant_ids=[p["nowak"]["id"]]), ctx=mazur)
    assert "participant_ids" in err.value.fields
    trip = cluster.rpc("scheduling", "create_trip", sid, data, ctx=mazur)
    assert trip["status"] == "draft" and trip["class_ids"] == [p["4a"]["id"]]
    with pytest.raises(Conflict):
        cluster.rpc("scheduling", "approve_trip", trip["id"], {}, ctx=director)
    cluster.rpc("scheduling", "submit_trip", trip["id"], ctx=mazur)
    with pytest.raises(Conflict):
        cluster.rpc("scheduling", "update_trip", trip["id"], data, ctx=mazur)
    with pytest.raises(Invalid):
        cluster.rpc("scheduling", "reject_trip", trip["id"], {}, ctx=director)
    rejected = cluster.rpc("scheduling", "reject_trip", trip["id"], {"note": "Brak drugiego opiekuna z uprawnieniami"},
                           ctx=director)
    assert rejected["status"] == "rejected"
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "update_trip", trip["id"], data, ctx=ctx_of(p["nowak"]))
    corrected = cluster.rpc("scheduling", "update_trip", trip["id"],
                            dict(data, supervisor_ids=[p["mazur"]["id"], p["krawczyk"]["id"]]), ctx=mazur)
    assert corrected["status"] == "rejected" and p["krawczyk"]["id"] in corrected["supervisor_ids"]
    cluster.rpc("scheduling", "submit_trip", trip["id"], ctx=mazur)
    assert [t["id"] for t in cluster.rpc("scheduling", "list_trips", sid, "submitted", ctx=director)] == [trip["id"]]
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "approve_trip", trip["id"], {}, ctx=mazur)
    approved = cluster.rpc("scheduling", "approve_trip", trip["id"], {"note": "Zgoda"}, ctx=director)
    assert approved["status"] == "approved" and approved["decided_by"] == p["director"]["id"]
    events = cluster.rpc("scheduling", "calendar", sid, start.isoformat(), start.isoformat(), p["4a"]["id"],
                         ctx=ctx_of(p["students"][0]))
    assert [(e["kind"], e["title"], e["trip_id"]) for e in events] == [("trip", "Wycieczka: Kraków, Wawel", trip["id"])]
    assert [e["payload"]["trip_id"] for e in outbox(cluster, "scheduling.trip_approved", sid)] == [trip["id"]]


# ----------------------------------------------------------------------------- school year, completeness

def test_school_year_closed_is_announced(cluster, school):
    p, sid, admin = school, school["school"]["id"], ctx_of(school["admin"])
    start = TODAY - timedelta(days=500)
    past = cluster.rpc("scheduling", "create_school_year", sid, {
        "name": f"{start.year}/{start.year + 1}", "starts_on": start.isoformat(),
        "ends_on": (TODAY - timedelta(days=140)).isoformat()}, ctx=admin)
    with pytest.raises(Conflict):
        cluster.rpc("scheduling", "close_school_year", p["year"]["id"], ctx=admin)
    closed = cluster.rpc("scheduling", "close_school_year", past["id"], ctx=admin)
    assert closed["closed_at"]
    assert [e["payload"]["year_id"] for e in outbox(cluster, "scheduling.school_year_closed", sid)] == [past["id"]]
    with pytest.raises(Conflict):
        cluster.rpc("scheduling", "create_term", past["id"], {"name": "X", "starts_on": start.isoformat(),
                                                              "ends_on": start.isoformat()}, ctx=admin)


def test_org9_completeness_report_hook(cluster, school):
    p, sid = school, school["school"]["id"]
    report = cluster.rpc("scheduling", "completeness_report", sid, ctx=ctx_of(p["director"]))
    assert {c["class_name"] for c in report["classes"]} >= {"4a", "4b"}
    assert set(report["deadlines"]) == {"class_teacher", "director"}
    own = cluster.rpc("scheduling", "completeness_report", sid, p["4a"]["id"], ctx=ctx_of(p["mazur"]))
    assert [c["class_name"] for c in own["classes"]] == ["4a"]
    with pytest.raises(Forbidden):
        cluster.rpc("scheduling", "completeness_report", sid, p["4b"]["id"], ctx=ctx_of(p["mazur"]))


# ----------------------------------------------------------------------------- tenancy and roles (TEN-1, ACC-3)

def test_ten1_another_schools_ids_are_not_found(cluster, school, timetables):
    p = school
    other = cluster.rpc("identity", "create_school", {"name": "Szkoła Obca", "short_name": "so-" + uuid.uuid4().hex[:6]})
    acc = lambda roles, last: cluster.rpc("identity", "create_account", {   # noqa: E731
        "school_id": other["id"], "first_name": "Obcy", "last_name": last, "roles": roles})
    o_admin, o_teacher = ctx_of(acc(["school_admin"], "Admin")), ctx_of(acc(["teacher"], "Nauczyciel"))
    day = LAST_MONDAY.isoformat()
    lesson = cluster.rpc("scheduling", "lessons_for", day, class_id=p["4b"]["id"], ctx=ctx_of(p["admin"]))[0]
    calls = [
        (o_admin, "get_lesson", (lesson["id"],)),
        (o_admin, "get_subject", (p["mat"]["id"],)),
        (o_admin, "class_week", (p["4a"]["id"], day)),
        (o_admin, "lessons_for", (day, p["4a"]["id"])),
        (o_admin, "assign_substitute", (lesson["id"], {"cancel": True, "reason": "obca szkoła"})),
        (o_admin, "set_timetable", (p["4a"]["id"], p["term"]["id"], {"entries": []})),
        (o_admin, "calendar", (p["school"]["id"], day, day)),
        (o_admin, "substitutions", (p["school"]["id"], day, day)),
        (o_admin, "list_school_years", (p["school"]["id"],)),
        (o_teacher, "enter_topic", (lesson["id"], {"topic": "Cudzy temat"})),
    ]
    for ctx, method, args in calls:
        with pytest.raises(NotFound):
            cluster.rpc("scheduling", method, *args, ctx=ctx)
    assert cluster.rpc("scheduling", "get_lesson", lesson["id"], ctx=ctx_of(p["admin"]))["status"] == "planned"


def test_acc3_a_student_calling_teachers_methods_is_forbidden(cluster, school, timetables):
    p = school
    student = ctx_of(p["students"][0])
    day = LAST_MONDAY.isoformat()
    lesson = cluster.rpc("scheduling", "lessons_for", day, class_id=p["4a"]["id"], ctx=ctx_of(p["admin"]))[0]
    for method, args in [("lessons_for", (day, p["4a"]["id"])), ("get_lesson", (lesson["id"],)),
                         ("enter_topic", (lesson["id"], {"topic": "Mój temat"})),
                         ("assign_substitute", (lesson["id"], {"cancel": True, "reason": "nuda"})),
                         ("set_timetable", (p["4a"]["id"], p["term"]["id"], {"entries": []})),
                         ("supervision_report", (p["school"]["id"], day)),
                         ("teacher_week", (p["mazur"]["id"], day)),
                         ("create_trip", (p["school"]["id"], {}))]:
        with pytest.raises(Forbidden):
            cluster.rpc("scheduling", method, *args, ctx=student)
    # The class's week is theirs to see, without the topics.
    week = cluster.rpc("scheduling", "class_week", p["4a"]["id"], day, ctx=student)
    assert week["days"][0]["lessons"] and all(l["topic"] is None for d in week["days"] for l in d["lessons"])


def test_org5_a_parent_sees_the_own_childs_class_only_with_or_without_the_sessions_children(cluster, school):
    """ORG-5, LAW-3: a guardian asks for the own child's class; another child is not found. The
    gateway sends the children resolved with the session (context ``children``): then scheduling
    needs no question to identity; without them (an older caller) it asks identity."""
    p, sid = school, school["school"]["id"]
    parent = cluster.rpc("identity", "create_account", {"school_id": sid, "first_name": "Paweł", "last_name": "Rodzic",
                                                        "roles": ["parent"]})
    own, other = p["students"][0], p["students"][1]
    cluster.rpc("identity", "link_guardian", sid, {"parent_id": parent["id"], "student_id": own["id"]},
                ctx=ctx_of(p["admin"]))
    for ctx in (dict(ctx_of(parent), children=[own["id"]]), ctx_of(parent)):
        assert cluster.rpc("scheduling", "student_class", own["id"], ctx=ctx)["student_id"] == own["id"]
        with pytest.raises(NotFound):
            cluster.rpc("scheduling", "student_class", other["id"], ctx=ctx)


def test_org1_org2_both_terms_timetables_saved_at_once_make_each_assignment_once(cluster, school):
    """Two timetables of one class saved at the same moment (term 1 and term 2) both find the
    teaching assignments missing; both saves succeed and each assignment exists once (was: the
    second insert failed the whole save with a unique-constraint error on PostgreSQL)."""
    from concurrent.futures import ThreadPoolExecutor
    p, sid, admin = school, school["school"]["id"], ctx_of(school["admin"])
    klass = cluster.rpc("scheduling", "create_class", sid, {"name": f"4c{uuid.uuid4().hex[:3]}"}, ctx=admin)
    week = [entry(d, 7, p["mat"], p["Kowalska"], "201") for d in range(1, 6)]
    week += [entry(d, 8, p["pol"], p["Wiśniewski"], "201") for d in range(1, 6)]

    def save(term):
        return cluster.rpc("scheduling", "set_timetable", klass["id"], term["id"],
                           {"valid_from": term["starts_on"], "entries": week}, ctx=admin)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(save, p["year"]["terms"][:2]))
    assert all(len(r["entries"]) == 10 for r in results), results
    pairs = [(a["teacher_id"], a["subject_id"]) for a in
             cluster.rpc("scheduling", "list_assignments", sid, class_id=klass["id"], ctx=admin)]
    assert sorted(pairs) == sorted({(p["Kowalska"]["id"], p["mat"]["id"]), (p["Wiśniewski"]["id"], p["pol"]["id"])})
