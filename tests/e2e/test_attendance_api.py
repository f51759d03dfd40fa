"""Attendance (issue 6) through the gateway's HTTP API, on SQLite and PostgreSQL (the shared
``system``: every service in its own process, the gateway under gunicorn):

- ATT-1: a lesson's register for the whole class in one request (everyone present but the
  exceptions), the lesson's date and the entry time kept; a student not in the class, an unknown
  category, a lesson that does not exist: a clear 4xx and nothing stored;
- ATT-2: the class teacher justifies, never in advance; single hours only with a reason;
- ATT-3: a parent's e-justification accepted by the class teacher, the outcome visible to the
  parent; a parent justifying another family's child: 404;
- ATT-4: corrections keep the history; a double entry found by the weekly review and removed;
- ATT-5: percentages of a student, a subject and a class, the below-threshold list and the
  statistics, checked against values computed by hand (VULCAN's formula and the other preset);
- ATT-6 / TEN-1: a student writing: 403; another school's lesson, entry, e-justification,
  class and student: 404.

``school_b_attendance`` also gives tests/e2e/test_tenancy.py school B's attendance records."""
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from services.common.errors import Conflict

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"
API = "/api/v1"
TODAY = datetime.now(ZoneInfo("Europe/Warsaw")).date()


def past_weekdays(n, before=TODAY):
    """The last ``n`` weekdays before ``before``, oldest first."""
    out, day = [], before - timedelta(days=1)
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day)
        day -= timedelta(days=1)
    return out[::-1]


def next_weekday(after=TODAY):
    day = after + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


DAYS = past_weekdays(5)
FUTURE = next_weekday()


class Api:
    """A logged-in HTTP client of the gateway (bearer token)."""

    def __init__(self, base, token):
        self.base, self.s = base, requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, **kw):
        return self.s.request(method.upper(), self.base + API + path, timeout=30, **kw)

    def __getattr__(self, method):
        return lambda path, **kw: self.request(method, path, **kw)


def login(system, login_):
    r = requests.post(system.gateway_url + API + "/auth/login", json={"login": login_, "password": PASSWORD},
                      timeout=20)
    assert r.status_code == 200, r.text
    return Api(system.gateway_url, r.json()["token"])


def ctx_of(a):
    return {"user_id": a["id"], "school_id": a["school_id"], "roles": a["roles"]}


def slot(weekday, period, subject, teacher, group=""):
    starts = ["7:10", "8:00", "8:55", "9:50", "10:45", "11:50", "12:45", "13:40", "14:35"]
    ends = ["7:55", "8:45", "9:40", "10:35", "11:30", "12:35", "13:30", "14:25", "15:20"]
    return {"weekday": weekday, "period": period, "starts_at": starts[period], "ends_at": ends[period],
            "subject_id": subject["id"], "teacher_id": teacher["id"], "room": None, "group_name": group}


def term_covering(system, school_id, admin, first_day, last_day):
    """A term of the school covering ``first_day``..``last_day``: an existing one (other tests may
    have made the school's year already), else a new year with one term around them."""
    for year in system.rpc("scheduling", "list_school_years", school_id, ctx=admin):
        for term in year["terms"]:
            if term["starts_on"] <= first_day.isoformat() and last_day.isoformat() <= term["ends_on"]:
                return term
    start, end = first_day - timedelta(days=60), last_day + timedelta(days=60)
    year = system.rpc("scheduling", "create_school_year", school_id, {
        "name": f"{start.year}/{start.year + 1}", "starts_on": start.isoformat(),
        "ends_on": end.isoformat(),
        "terms": [{"name": "Semestr", "starts_on": start.isoformat(), "ends_on": end.isoformat()}]}, ctx=admin)
    return year["terms"][0]


def subject_named(system, school_id, admin, name):
    for s in system.rpc("scheduling", "list_subjects", school_id, ctx=admin):
        if s["name"] == name:
            return s
    return system.rpc("scheduling", "create_subject", school_id, {"name": name}, ctx=admin)


def lessons_of(system, class_id, day, admin):
    return system.rpc("scheduling", "lessons_for", day.isoformat(), class_id, ctx=admin)


def school_b_attendance(system, b):
    """School B's attendance records for the cross-school walk of test_tenancy.py (``b`` as its
    ``build_school`` makes it): an entry of a lesson of class 8c held on the last weekday (a
    student enrolled a week before it, period 8, which no other helper timetables) and a parent's
    e-justification. The school's year is reused when another helper made it already. Returns
    ``entry_id`` and ``e_justification_id`` (scheduling's helper gives ``lesson_id``)."""
    admin = ctx_of(b["school_admin"])
    sid = b["school"]["id"]
    day = past_weekdays(1)[0]
    term = term_covering(system, sid, admin, day, day)
    subject = subject_named(system, sid, admin, "Zajęcia z wychowawcą (frekwencja)")
    pupil = system.rpc("identity", "create_account", {
        "school_id": sid, "first_name": "Frekwencjusz", "last_name": f"Uczeń{uuid.uuid4().hex[:4]}",
        "roles": ["student"]}, ctx=admin)
    system.rpc("scheduling", "enrol_student", b["other_class"]["id"], {
        "student_id": pupil["id"], "enrolled_on": (day - timedelta(days=7)).isoformat()}, ctx=admin)
    system.rpc("scheduling", "set_timetable", b["other_class"]["id"], term["id"], {
        "valid_from": max(term["starts_on"], (day - timedelta(days=7)).isoformat()),
        "entries": [slot(wd, 8, subject, b["class_teacher"]) for wd in range(1, 6)]}, ctx=admin)
    lesson = next(x for x in lessons_of(system, b["other_class"]["id"], day, admin) if x["period"] == 8)
    taken = system.rpc("attendance", "record_lesson_attendance", lesson["id"],
                       {"entries": [{"student_id": pupil["id"], "category": "absent"}]},
                       ctx=ctx_of(b["class_teacher"]))
    ej = system.rpc("attendance", "submit_e_justification", {
        "student_id": b["student"]["id"], "date_from": day.isoformat(), "reason": "Choroba (szkoła B)."},
        ctx=ctx_of(b["parent"]))
    entry = next(e for e in taken["entries"] if e["student_id"] == pupil["id"])
    return {"entry_id": entry["id"], "e_justification_id": ej["id"]}


# ------------------------------------------------------------------ the school

@pytest.fixture(scope="module")
def world(system):
    """School A: class 6p (class teacher Wiesława; students Xawery, Yvonne; parent of Xawery)
    with four lessons a day (1-2 mathematics with Nowak, 3-4 Polish with Wiesława) on the last
    five weekdays and the next one; class 6d (one student) with two group lessons at period 1
    (a double for the weekly review); a student of another class and another family.
    School B: a class with a lesson, an entry and an e-justification."""
    tag = uuid.uuid4().hex[:6]
    rpc = system.rpc
    out = {}
    for letter in ("A", "B"):
        school = rpc("identity", "create_school", {"name": f"Szkoła {letter} frekwencja {tag}",
                                                   "short_name": f"f{letter.lower()}{tag}"})

        def acc(key, roles, first, last, school=school, letter=letter):
            return rpc("identity", "create_account", {
                "school_id": school["id"], "first_name": first, "last_name": last, "roles": roles,
                "password": PASSWORD, "login": f"f{letter.lower()}.{key}.{tag}"})
        p = {"school": school, "tag": tag}
        p["admin"] = acc("admin", ["school_admin"], "Anna", "Administratorka")
        p["director"] = acc("director", ["director"], "Dorota", "Dyrektorska")
        p["wych"] = acc("wych", ["teacher", "class_teacher"], "Wiesława", "Wychowawczyni")
        p["nowak"] = acc("nowak", ["teacher"], "Jan", "Nowak")
        p["other_teacher"] = acc("obcy", ["teacher"], "Olaf", "Obcy")
        p["x"] = acc("x", ["student"], "Xawery", "Iksiński")
        p["y"] = acc("y", ["student"], "Yvonne", "Igrekowa")
        p["z"] = acc("z", ["student"], "Zenon", "Zetowy")
        p["d"] = acc("d", ["student"], "Dominik", "Dublowany")
        p["parent"] = acc("parent", ["parent"], "Paweł", "Iksiński")
        p["other_parent"] = acc("other_parent", ["parent"], "Olga", "Zetowa")
        admin = ctx_of(p["admin"])
        rpc("identity", "link_guardian", school["id"], {"parent_id": p["parent"]["id"], "student_id": p["x"]["id"]},
            ctx=admin)
        rpc("identity", "link_guardian", school["id"],
            {"parent_id": p["other_parent"]["id"], "student_id": p["z"]["id"]}, ctx=admin)
        p["6p"] = rpc("scheduling", "create_class", school["id"], {"name": "6p", "class_teacher_id": p["wych"]["id"]},
                      ctx=admin)
        p["6z"] = rpc("scheduling", "create_class", school["id"], {"name": "6z"}, ctx=admin)
        p["6d"] = rpc("scheduling", "create_class", school["id"], {"name": "6d", "class_teacher_id": p["wych"]["id"]},
                      ctx=admin)
        since = (TODAY - timedelta(days=40)).isoformat()
        for st in ("x", "y"):
            rpc("scheduling", "enrol_student", p["6p"]["id"], {"student_id": p[st]["id"], "enrolled_on": since},
                ctx=admin)
        rpc("scheduling", "enrol_student", p["6z"]["id"], {"student_id": p["z"]["id"], "enrolled_on": since}, ctx=admin)
        rpc("scheduling", "enrol_student", p["6d"]["id"], {"student_id": p["d"]["id"], "enrolled_on": since}, ctx=admin)
        term = term_covering(system, school["id"], admin, DAYS[0], FUTURE)
        p["math"] = subject_named(system, school["id"], admin, "Matematyka")
        p["pol"] = subject_named(system, school["id"], admin, "Język polski")
        pe = subject_named(system, school["id"], admin, "Wychowanie fizyczne")
        plan = []
        for wd in range(1, 6):
            plan += [slot(wd, 1, p["math"], p["nowak"]), slot(wd, 2, p["math"], p["nowak"]),
                     slot(wd, 3, p["pol"], p["wych"]), slot(wd, 4, p["pol"], p["wych"])]
        rpc("scheduling", "set_timetable", p["6p"]["id"], term["id"],
            {"valid_from": term["starts_on"], "entries": plan}, ctx=admin)
        rpc("scheduling", "set_timetable", p["6z"]["id"], term["id"],
            {"valid_from": term["starts_on"], "entries": [slot(wd, 5, p["pol"], p["other_teacher"])
                                                          for wd in range(1, 6)]}, ctx=admin)
        rpc("scheduling", "set_timetable", p["6d"]["id"], term["id"], {
            "valid_from": term["starts_on"],
            "entries": [slot(wd, 6, pe, p["nowak"], "chłopcy") for wd in range(1, 6)]
            + [slot(wd, 6, pe, p["other_teacher"], "dziewczęta") for wd in range(1, 6)]}, ctx=admin)
        p["lessons"] = {}
        for day in DAYS + [FUTURE]:
            for lesson in lessons_of(system, p["6p"]["id"], day, admin):
                p["lessons"][(day, lesson["period"])] = lesson
        p["6z_lesson"] = lessons_of(system, p["6z"]["id"], DAYS[0], admin)[0]
        p["6d_lessons"] = lessons_of(system, p["6d"]["id"], DAYS[0], admin)
        out[letter.lower()] = p
    b = out["b"]
    taken = rpc("attendance", "record_lesson_attendance", b["lessons"][(DAYS[0], 1)]["id"],
                {"entries": [{"student_id": b["x"]["id"], "category": "absent"}]}, ctx=ctx_of(b["nowak"]))
    b["entry_id"] = next(e["id"] for e in taken["entries"] if e["student_id"] == b["x"]["id"])
    b["e_justification"] = rpc("attendance", "submit_e_justification", {
        "student_id": b["x"]["id"], "date_from": DAYS[0].isoformat(), "reason": "Choroba."}, ctx=ctx_of(b["parent"]))
    return out


@pytest.fixture(scope="module")
def clients(system, world):
    cache = {}

    def client(school, key):
        if (school, key) not in cache:
            cache[(school, key)] = login(system, world[school][key]["login"])
        return cache[(school, key)]
    return client


def put_lesson(client, lesson, exceptions=(), **body):
    return client.put(f"/lessons/{lesson['id']}/attendance", json={
        "entries": [{"student_id": s["id"], "category": c} for s, c in exceptions], **body})


def categories_by_student(view):
    return {e["student_id"]: e["category"] for e in view["entries"] if not e.get("removed_at")}


# X's lessons on the five days (periods 1, 2 mathematics; 3, 4 Polish). D2 is absent all day and
# justified as a whole day by the class teacher (4 excused); D4 period 3 is a single hour absent,
# justified through the parent's e-justification (beyond the student's control).
X_PLAN = {
    0: ("present", "present", "present", "present"),
    1: ("absent", "absent", "absent", "absent"),
    2: ("late", "late", "present", "released"),
    3: ("school_reasons", "present", "absent", "released"),
    4: ("present", "present", "present", "present"),
}


# ------------------------------------------------------------------ ATT-1

def test_att1_whole_lesson_in_one_request_everyone_present_but_the_exceptions(world, clients):
    a = world["a"]
    nowak = clients("a", "nowak")
    lesson = a["lessons"][(DAYS[0], 1)]
    before = nowak.get(f"/lessons/{lesson['id']}/attendance")
    assert before.status_code == 200, before.text
    assert before.json()["recorded"] is False
    assert sorted(before.json()["students"]) == sorted([a["x"]["id"], a["y"]["id"]])
    assert {c["code"] for c in before.json()["categories"]} == {"present", "absent", "late", "released",
                                                                "school_reasons"}
    r = put_lesson(nowak, lesson, [(a["y"], "late")])
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["changed"], body["recorded"]) == (2, 0, True)
    assert categories_by_student(body) == {a["x"]["id"]: "present", a["y"]["id"]: "late"}
    entry = next(e for e in body["entries"] if e["student_id"] == a["y"]["id"])
    # OPS-2: the lesson's date and the entry time, both kept; written after the day: backfilled.
    assert entry["lesson_date"] == DAYS[0].isoformat() and entry["entered_at"] and entry["backfilled"] is True
    assert entry["recorded_by"] == a["nowak"]["id"] and entry["symbol"] == "sp"
    other = a["lessons"][(DAYS[0], 2)]["id"]
    status = nowak.get("/lessons/attendance-status", params={"ids": f"{lesson['id']},{other}"})
    assert status.status_code == 200, status.text
    assert {s["lesson_id"]: s["recorded"] for s in status.json()} == {lesson["id"]: True, other: False}
    # Saving again with a correction changes only what differs, with a version and the reason.
    again = put_lesson(nowak, lesson, [], reason="Uczennica jednak była od początku lekcji.")
    assert again.status_code == 200 and (again.json()["changed"], again.json()["unchanged"]) == (1, 1)
    y_entry = next(e for e in again.json()["entries"] if e["student_id"] == a["y"]["id"])
    history = nowak.get(f"/attendance/entries/{y_entry['id']}/history").json()
    assert [(v["action"], v["previous_category"], v["category"]) for v in history["versions"]] == [
        ("recorded", None, "late"), ("corrected", "late", "present")]
    assert history["versions"][1]["reason"] == "Uczennica jednak była od początku lekcji."


def test_att1_student_not_in_the_class_unknown_category_missing_lesson_refused_nothing_stored(world, clients):
    a = world["a"]
    nowak = clients("a", "nowak")
    lesson = a["lessons"][(DAYS[0], 2)]
    r = put_lesson(nowak, lesson, [(a["x"], "absent"), (a["z"], "absent")])
    assert r.status_code == 422, r.text
    assert a["z"]["id"] in r.json()["fields"]["entries"] and "spoza listy" in r.json()["message"]
    r = put_lesson(nowak, lesson, [(a["x"], "wagary")])
    assert r.status_code == 422 and "Nieznana kategoria" in r.json()["message"], r.text
    r = put_lesson(nowak, lesson, [(a["x"], "excused")])   # only a justification excuses
    assert r.status_code == 422, r.text
    assert nowak.get(f"/lessons/{lesson['id']}/attendance").json()["entries"] == []
    r = nowak.put(f"/lessons/{uuid.uuid4()}/attendance", json={})
    assert r.status_code == 404 and r.json()["message"], r.text
    r = put_lesson(nowak, a["lessons"][(FUTURE, 1)])
    assert r.status_code == 409 and "jeszcze się nie odbyła" in r.json()["message"], r.text
    # Another teacher's lesson: refused (only the lesson's teacher, a substitute, the class teacher).
    r = put_lesson(clients("a", "other_teacher"), lesson)
    assert r.status_code == 403, r.text
    assert nowak.get(f"/lessons/{lesson['id']}/attendance").json()["entries"] == []


def test_att6_a_student_or_parent_writing_is_refused_403(world, clients):
    a = world["a"]
    student, parent = clients("a", "x"), clients("a", "parent")
    lesson = a["lessons"][(DAYS[0], 3)]
    for client in (student, parent):
        assert put_lesson(client, lesson).status_code == 403
        assert client.get(f"/lessons/{lesson['id']}/attendance").status_code == 403
        r = client.post("/attendance/justifications", json={
            "student_id": a["x"]["id"], "dates": [DAYS[0].isoformat()], "reason": "Sam sobie usprawiedliwiam."})
        assert r.status_code == 403, r.text
        assert client.get(f"/classes/{a['6p']['id']}/attendance/week").status_code == 403
        assert client.get(f"/classes/{a['6p']['id']}/attendance/statistics").status_code == 403
        assert client.get("/attendance/below-threshold", params={"id": a["6p"]["id"]}).status_code == 403
        assert client.put(f"/schools/{a['school']['id']}/attendance/formula",
                          json={"preset": "all_recorded"}).status_code == 403
    r = student.post("/attendance/e-justifications", json={
        "student_id": a["x"]["id"], "date_from": DAYS[0].isoformat(), "reason": "Podpisuję się za rodzica."})
    assert r.status_code == 403, r.text
    assert r.json()["message"] and "Traceback" not in r.text
    assert clients("a", "nowak").get(f"/lessons/{lesson['id']}/attendance").json()["entries"] == []


# ------------------------------------------------------------------ ATT-2, ATT-3, ATT-5: a week of X's lessons

@pytest.fixture(scope="module")
def week(world, clients):
    """Attendance of 6p's five days taken through the API: X by X_PLAN, Y present except at
    D4 period 1 (absent); then the class teacher justifies X's D2 as a whole day."""
    a = world["a"]
    for d, day in enumerate(DAYS):
        for period in (1, 2, 3, 4):
            teacher = clients("a", "nowak" if period <= 2 else "wych")
            exceptions = [(a["x"], X_PLAN[d][period - 1])]
            if d == 3 and period == 1:
                exceptions.append((a["y"], "absent"))
            r = put_lesson(teacher, a["lessons"][(day, period)], exceptions)
            assert r.status_code == 200, r.text
    r = clients("a", "wych").post("/attendance/justifications", json={
        "student_id": a["x"]["id"], "dates": [DAYS[1].isoformat()], "reason": "Choroba, zaświadczenie lekarskie."})
    assert r.status_code == 201, r.text
    assert r.json()["entry_count"] == 4
    return a


def test_att2_justification_never_in_advance_and_single_hours_need_a_reason(world, week, clients):
    a = world["a"]
    wych = clients("a", "wych")
    r = wych.post("/attendance/justifications", json={
        "student_id": a["x"]["id"], "dates": [FUTURE.isoformat()], "reason": "Wyjazd rodzinny."})
    assert r.status_code == 409 and "z wyprzedzeniem" in r.json()["message"], r.text
    r = wych.post("/attendance/justifications", json={
        "student_id": a["x"]["id"], "lesson_ids": [a["lessons"][(FUTURE, 1)]["id"]], "reason": "Wizyta u lekarza."})
    assert r.status_code == 409 and "z wyprzedzeniem" in r.json()["message"], r.text
    # D4 period 3: a single hour of a day X attended otherwise: only with a recorded reason.
    single = a["lessons"][(DAYS[3], 3)]["id"]
    r = wych.post("/attendance/justifications", json={
        "student_id": a["x"]["id"], "lesson_ids": [single], "reason": "Wyjście do lekarza."})
    assert r.status_code == 422 and "Pojedyncze godziny" in r.json()["message"], r.text
    # Not the class teacher of X: refused.
    r = clients("a", "nowak").post("/attendance/justifications", json={
        "student_id": a["x"]["id"], "dates": [DAYS[3].isoformat()], "reason": "Choroba."})
    assert r.status_code == 403, r.text
    # Nothing changed: X's D4 period 3 is still an unexcused absence.
    entries = clients("a", "wych").get(f"/students/{a['x']['id']}/attendance",
                                       params={"date_from": DAYS[3].isoformat(), "date_to": DAYS[3].isoformat()}).json()
    assert {e["period"]: e["category"] for e in entries}[3] == "absent"


def test_att3_parent_e_justification_accepted_by_the_class_teacher_outcome_visible(world, week, clients):
    a = world["a"]
    parent, wych = clients("a", "parent"), clients("a", "wych")
    r = parent.post("/attendance/e-justifications", json={
        "student_id": a["x"]["id"], "date_from": DAYS[3].isoformat(), "date_to": DAYS[3].isoformat(),
        "reason": "Syn źle się poczuł na trzeciej lekcji i wrócił do domu."})
    assert r.status_code == 201, r.text
    ej = r.json()
    assert ej["status"] == "submitted" and ej["parent_id"] == a["parent"]["id"]
    inbox = wych.get("/attendance/e-justifications", params={"class_id": a["6p"]["id"], "status": "submitted"})
    assert inbox.status_code == 200 and [x["id"] for x in inbox.json()] == [ej["id"]], inbox.text
    # A single hour: accepting needs the single-hours reason (sent after the absence).
    r = wych.post(f"/attendance/e-justifications/{ej['id']}/decision", json={"decision": "accept"})
    assert r.status_code == 422 and "Pojedyncze godziny" in r.json()["message"], r.text
    r = wych.post(f"/attendance/e-justifications/{ej['id']}/decision", json={"decision": "reject"})
    assert r.status_code == 422 and "comment" in r.json()["fields"], r.text
    r = wych.post(f"/attendance/e-justifications/{ej['id']}/decision", json={
        "decision": "accept", "comment": "Przyjęte, zdrowia!", "single_hours_reason": "beyond_control"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted" and r.json()["justified_entries"] == 1
    r = wych.post(f"/attendance/e-justifications/{ej['id']}/decision", json={"decision": "accept"})
    assert r.status_code == 409, r.text
    # The parent sees the outcome, and the absence is now excused.
    mine = parent.get("/attendance/e-justifications", params={"student_id": a["x"]["id"]}).json()
    assert [(x["id"], x["status"], x["teacher_comment"]) for x in mine] == [
        (ej["id"], "accepted", "Przyjęte, zdrowia!")]
    calendar = parent.get(f"/students/{a['x']['id']}/attendance/calendar",
                          params={"month": DAYS[3].strftime("%Y-%m")})
    assert calendar.status_code == 200, calendar.text
    day = next(d for d in calendar.json()["days"] if d["date"] == DAYS[3].isoformat())
    assert {e["period"]: (e["category"], e["justified"]) for e in day["entries"]}[3] == ("excused", True)


def test_att3_parent_of_another_family_gets_404(world, week, clients):
    a = world["a"]
    other = clients("a", "other_parent")
    r = other.post("/attendance/e-justifications", json={
        "student_id": a["x"]["id"], "date_from": DAYS[0].isoformat(), "reason": "Nie moje dziecko."})
    assert r.status_code == 404 and r.json()["message"], r.text
    for path in (f"/students/{a['x']['id']}/attendance", f"/students/{a['x']['id']}/attendance/calendar"):
        r = other.get(path)
        assert r.status_code == 404 and a["x"]["last_name"] not in r.text, (path, r.text)
    r = other.get("/attendance/percentages", params={"scope": "student", "id": a["x"]["id"]})
    assert r.status_code == 404, r.text
    r = other.get("/attendance/e-justifications", params={"student_id": a["x"]["id"]})
    assert r.status_code == 404, r.text
    assert clients("a", "x").get(f"/students/{a['y']['id']}/attendance").status_code == 404
    # The own child and the own record: allowed.
    assert other.get(f"/students/{a['z']['id']}/attendance").status_code == 200
    assert clients("a", "x").get(f"/students/{a['x']['id']}/attendance/calendar").status_code == 200
    own = [e for e in clients("a", "parent").get("/attendance/e-justifications",
                                                 params={"student_id": a["x"]["id"]}).json()]
    assert all(e["student_id"] == a["x"]["id"] for e in own)


def pct(client, **params):
    r = client.get("/attendance/percentages", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_att5_percentages_match_the_hand_computed_values(world, week, clients):
    """X, 20 lessons: present 10, late 2, school reasons 1 (count as present: 13); excused 4 (D2)
    + 1 (D4 p3, e-justification; or still unexcused if that test did not run): 5 absent;
    released 2 (not counted). 13 / 18 = 72.22 %. Mathematics (periods 1-2): present 2 + late 2 +
    school reasons 1 + present 1 + 2 = 8, excused 2: 8 / 10 = 80 %. Polish: present 2 + 1 + 2 = 5,
    absent 2 + 1 = 3, released 2: 5 / 8 = 62.5 %. Y: 19 / 20 = 95 %. Class 6p: (13 + 19) / (18 + 20)
    = 32 / 38 = 84.21 %. D3-D4 for X: late 2 + present 1 + school reasons 1 + present 1 = 5,
    absent 1, released 2: 5 / 6 = 83.33 %."""
    a = world["a"]
    wych, parent = clients("a", "wych"), clients("a", "parent")
    frm, to = DAYS[0].isoformat(), DAYS[-1].isoformat()
    x = pct(parent, scope="student", id=a["x"]["id"], date_from=frm, date_to=to)
    assert (x["present"], x["absent"], x["not_counted"], x["recorded"], x["percent"]) == (13, 5, 2, 20, 72.22)
    assert x["by_kind"]["present"] == 10 and x["by_kind"]["late"] == 2 and x["by_kind"]["school_reasons"] == 1
    assert x["by_kind"]["excused"] + x["by_kind"]["absent"] == 5 and x["by_kind"]["released"] == 2
    by_subject = {p["subject_id"]: p["percent"] for p in x["breakdown"]}
    assert by_subject == {a["math"]["id"]: 80.0, a["pol"]["id"]: 62.5}
    assert pct(clients("a", "x"), scope="student", id=a["x"]["id"], date_from=frm, date_to=to)["percent"] == 72.22
    assert pct(wych, scope="student", id=a["y"]["id"], date_from=frm, date_to=to)["percent"] == 95.0
    klass = pct(wych, scope="class", id=a["6p"]["id"], date_from=frm, date_to=to)
    assert (klass["present"], klass["absent"], klass["percent"]) == (32, 6, 84.21)
    assert {p["student_id"]: p["percent"] for p in klass["breakdown"]} == {a["x"]["id"]: 72.22, a["y"]["id"]: 95.0}
    math = pct(wych, scope="subject", id=a["math"]["id"], class_id=a["6p"]["id"], date_from=frm, date_to=to)
    # Mathematics in 6p: X 8/10, Y 9/10 (absent D4 p1): 17 / 20 = 85 %.
    assert (math["present"], math["absent"], math["percent"]) == (17, 3, 85.0)
    part = pct(wych, scope="student", id=a["x"]["id"], date_from=DAYS[2].isoformat(), date_to=DAYS[3].isoformat())
    assert (part["present"], part["absent"], part["not_counted"], part["percent"]) == (5, 1, 2, 83.33)
    # The same numbers in the statistics and the below-threshold list (one formula everywhere).
    stats = wych.get(f"/classes/{a['6p']['id']}/attendance/statistics", params={"date_from": frm, "date_to": to})
    assert stats.status_code == 200, stats.text
    assert stats.json()["total"]["percent"] == 84.21
    assert {s["student_id"]: s["percent"] for s in stats.json()["students"]} == {a["x"]["id"]: 72.22,
                                                                                a["y"]["id"]: 95.0}
    low = wych.get("/attendance/below-threshold", params={"id": a["6p"]["id"], "threshold": 80,
                                                          "date_from": frm, "date_to": to})
    assert low.status_code == 200, low.text
    assert [(s["student_id"], s["percent"]) for s in low.json()["students"]] == [(a["x"]["id"], 72.22)]
    school_low = clients("a", "director").get("/attendance/below-threshold", params={
        "scope": "school", "id": a["school"]["id"], "threshold": 96, "date_from": frm, "date_to": to})
    assert [s["student_id"] for s in school_low.json()["students"]] == [a["x"]["id"], a["y"]["id"]]
    # The other preset: released counts as present: X (13 + 2) / 20 = 75 %.
    director = clients("a", "director")
    sid = a["school"]["id"]
    r = director.put(f"/schools/{sid}/attendance/formula", json={"preset": "all_recorded"})
    assert r.status_code == 200 and "released" in r.json()["present"], r.text
    try:
        assert pct(wych, scope="student", id=a["x"]["id"], date_from=frm, date_to=to)["percent"] == 75.0
    finally:
        assert director.put(f"/schools/{sid}/attendance/formula", json={"preset": "vulcan"}).status_code == 200
    assert pct(wych, scope="student", id=a["x"]["id"], date_from=frm, date_to=to)["percent"] == 72.22
    cats = wych.get(f"/schools/{sid}/attendance/categories").json()
    assert cats["formula"]["preset"] == "vulcan" and len(cats["categories"]) == 6
    # The parent-meeting summary (PDF) for the class teacher; not for a parent.
    pdf = wych.get(f"/classes/{a['6p']['id']}/attendance/summary.pdf", params={"date_from": frm, "date_to": to})
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    assert "attachment" in pdf.headers["Content-Disposition"] and "6p" in pdf.headers["Content-Disposition"]
    assert parent.get(f"/classes/{a['6p']['id']}/attendance/summary.pdf").status_code == 403


# ------------------------------------------------------------------ ATT-4: corrections and doubles

def test_att4_weekly_review_finds_a_double_and_the_class_teacher_removes_it(world, clients, system):
    a = world["a"]
    wych = clients("a", "wych")
    boys, girls = sorted(a["6d_lessons"], key=lambda x: x["group_name"])
    # Both group lessons recorded for the whole class list: D is entered twice at period 6.
    assert put_lesson(clients("a", "nowak"), boys).status_code == 200
    assert put_lesson(clients("a", "other_teacher"), girls).status_code == 200
    review = wych.get(f"/classes/{a['6d']['id']}/attendance/week", params={"start": DAYS[0].isoformat()})
    assert review.status_code == 200, review.text
    doubles = review.json()["doubles"]
    assert len(doubles) == 1 and doubles[0]["student_id"] == a["d"]["id"] and review.json()["can_manage"] is True
    keep, extra = doubles[0]["keep"], next(i for i in doubles[0]["entry_ids"] if i != doubles[0]["keep"])
    r = clients("a", "nowak").post(f"/attendance/entries/{extra}/removal", json={"reason": "Podwójny wpis."})
    assert r.status_code == 403, r.text
    r = wych.post(f"/attendance/entries/{extra}/removal", json={"reason": "Uczeń jest w grupie chłopców."})
    assert r.status_code == 200 and r.json()["removed_at"], r.text
    r = wych.post(f"/attendance/entries/{keep}/removal", json={"reason": "Jeszcze raz."})
    assert r.status_code == 409, r.text   # no longer a double: corrected, never removed
    review = wych.get(f"/classes/{a['6d']['id']}/attendance/week", params={"start": DAYS[0].isoformat()})
    assert review.json()["doubles"] == []
    history = wych.get(f"/attendance/entries/{extra}/history").json()
    assert history["versions"][-1]["action"] == "removed"
    assert history["versions"][-1]["reason"] == "Uczeń jest w grupie chłopców."
    # A correction by the class teacher keeps the previous value, author and reason.
    r = wych.patch(f"/attendance/entries/{keep}", json={"category": "late", "reason": "Spóźnił się 10 minut."})
    assert r.status_code == 200 and r.json()["category"] == "late" and r.json()["version"] == 2, r.text
    r = wych.patch(f"/attendance/entries/{keep}", json={"category": "excused", "reason": "Tak będzie prościej."})
    assert r.status_code == 422, r.text
    versions = wych.get(f"/attendance/entries/{keep}/history").json()["versions"]
    assert versions[-1]["changed_by"] == a["wych"]["id"] and versions[-1]["previous_category"] == "present"


# ------------------------------------------------------------------ TEN-1: another school's ids

def test_ten1_another_schools_attendance_records_are_not_found(world, clients):
    a, b = world["a"], world["b"]
    lesson_b = b["lessons"][(DAYS[1], 1)]
    calls = {
        "nowak": [("put", f"/lessons/{lesson_b['id']}/attendance", {}),
                  ("get", f"/lessons/{lesson_b['id']}/attendance", None),
                  ("get", f"/attendance/entries/{b['entry_id']}/history", None),
                  ("patch", f"/attendance/entries/{b['entry_id']}", {"category": "present", "reason": "Pomyłka."})],
        "admin": [("post", f"/attendance/entries/{b['entry_id']}/removal", {"reason": "Podwójny."}),
                  ("post", f"/attendance/e-justifications/{b['e_justification']['id']}/decision",
                   {"decision": "accept"}),
                  ("get", f"/classes/{b['6p']['id']}/attendance/week", None),
                  ("get", f"/classes/{b['6p']['id']}/attendance/statistics", None),
                  ("get", f"/classes/{b['6p']['id']}/attendance/summary.pdf", None),
                  ("get", f"/students/{b['x']['id']}/attendance", None),
                  ("get", f"/students/{b['x']['id']}/attendance/calendar", None),
                  ("get", f"/schools/{b['school']['id']}/attendance/categories", None),
                  ("put", f"/schools/{b['school']['id']}/attendance/formula", {"preset": "all_recorded"})],
        "wych": [("post", "/attendance/justifications", {"student_id": b["x"]["id"], "dates": [DAYS[0].isoformat()],
                                                         "reason": "Choroba."}),
                 ("get", "/attendance/e-justifications", {"class_id": b["6p"]["id"]}),
                 ("get", "/attendance/percentages", {"scope": "class", "id": b["6p"]["id"]}),
                 ("get", "/attendance/below-threshold", {"id": b["6p"]["id"]})],
        "parent": [("post", "/attendance/e-justifications", {"student_id": b["x"]["id"],
                                                             "date_from": DAYS[0].isoformat(), "reason": "Choroba."})],
    }
    for who, requests_ in calls.items():
        client = clients("a", who)
        for method, path, payload in requests_:
            if method == "get":
                r = client.get(path, params=payload)
            else:
                r = client.request(method, path, json=payload)
            assert r.status_code == 404, (who, method, path, r.status_code, r.text)
            assert b["school"]["name"] not in r.text and b["x"]["last_name"] not in r.text
    # School B's records are untouched.
    history = clients("b", "nowak").get(f"/attendance/entries/{b['entry_id']}/history").json()
    assert [v["action"] for v in history["versions"]] == ["recorded"] and history["entry"]["category"] == "absent"
    ejs = clients("b", "wych").get("/attendance/e-justifications", params={"class_id": b["6p"]["id"]}).json()
    assert [e["status"] for e in ejs] == ["submitted"]
    assert clients("b", "admin").get(f"/schools/{b['school']['id']}/attendance/categories").json()["formula"][
        "preset"] == "vulcan"


def test_school_b_attendance_helper_gives_the_tenancy_walk_real_records(system, world):
    b = world["b"]
    people = {"school": b["school"], "school_admin": b["admin"], "class_teacher": b["wych"], "parent": b["parent"],
              "student": b["x"], "other_class": b["6z"], "other_class_student": b["z"]}
    ids = school_b_attendance(system, people)
    assert set(ids) == {"entry_id", "e_justification_id"}
    with pytest.raises(Conflict):   # the record exists: deciding it in school B hits the rules, not "not found"
        system.rpc("attendance", "decide_e_justification", ids["e_justification_id"], {"accept": True},
                   ctx=ctx_of(b["wych"]))


def test_parent_overview_is_the_three_views_in_one_request_and_only_for_the_family(system, world, week, clients):
    """GRD-7, ATT-5, MSG-2 (and issue 10's parent's view): GET /students/<id>/overview answers
    exactly what the grades, attendance-percentage and unread-count routes answer separately;
    another family's child and another school's student are not found."""
    a, b = world["a"], world["b"]
    category = system.rpc("grades", "create_category", a["school"]["id"], {"name": f"kartkówka {a['tag']}",
                                                                          "weight": 2}, ctx=ctx_of(a["director"]))
    system.rpc("grades", "add_grade", {"class_id": a["6p"]["id"], "subject_id": a["math"]["id"],
                                       "student_id": a["x"]["id"], "category_id": category["id"], "value": "4+",
                                       "date": DAYS[0].isoformat()}, ctx=ctx_of(a["director"]))
    parent = clients("a", "parent")
    r = parent.get(f"/students/{a['x']['id']}/overview")
    assert r.status_code == 200, r.text
    view = r.json()
    year = view["school_year"]
    assert view["date_from"] == f"{year[:4]}-09-01" and view["date_to"] == f"{year[5:]}-08-31"
    assert view["grades"] == parent.get(f"/students/{a['x']['id']}/grades", params={"school_year": year}).json()
    assert view["attendance"] == parent.get("/attendance/percentages", params={
        "scope": "student", "id": a["x"]["id"], "date_from": view["date_from"], "date_to": view["date_to"]}).json()
    assert view["unread"] == parent.get("/messages/unread-count").json()
    assert [s["grades"][0]["value"] for s in view["grades"]["subjects"]] == ["4+"]
    assert view["attendance"]["percent"] is not None and view["attendance"]["percent"] < 100   # X was absent
    own = clients("a", "x").get(f"/students/{a['x']['id']}/overview")
    assert own.status_code == 200 and own.json()["grades"] == view["grades"]
    for client, student_id in ((parent, a["y"]["id"]), (clients("a", "x"), a["y"]["id"]),
                               (parent, b["x"]["id"]), (parent, str(uuid.uuid4()))):
        r = client.get(f"/students/{student_id}/overview")
        assert r.status_code == 404 and r.json()["message"], r.text
    # Staff read as on the grades route: the class teacher everything, a teacher the subjects taught.
    r = clients("a", "wych").get(f"/students/{a['x']['id']}/overview")
    assert r.status_code == 200 and r.json()["grades"]["subjects"][0]["grades"][0]["value"] == "4+", r.text
    r = clients("a", "admin").get(f"/students/{b['x']['id']}/overview")
    assert r.status_code == 404 and r.json()["message"], r.text
    assert parent.get(f"/students/{a['x']['id']}/overview", params={"school_year": "2026"}).status_code == 422
