"""Issue 4 (ORG-1..11) through the gateway's HTTP API (gunicorn), every service in its own
process over the real broker, on SQLite and PostgreSQL:

- ORG-2: the timetable set and read over HTTP, a clash refused (409) naming it, and the aSc
  Timetables import as a multipart upload (preview, then for real; too big, not XML);
- ORG-10: the school's test limits: a test beyond them is refused (409) with a message naming
  the tests already there;
- ORG-3, ORG-4: the substitution flow: the administrator assigns a substitute, the substitute
  sees the lesson in the own week and enters the topic (the substituted teacher may not), the
  director's list of substitutions without a topic;
- ORG-11, ORG-9: a trip card approved by the director appears in the calendar; completeness;
- the iCalendar feed: a private URL that works without a session and dies with the account;
- forbidden cases: another school's ids look non-existent (404), a student (or parent) writing
  is refused (403), the body is judged only after the permission.

``scheduling_records`` gives tests/e2e/test_tenancy.py a school-B record for each path
parameter of these routes."""
import os
import uuid
from datetime import date, timedelta

import pytest
import requests

from tests.harness import wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"
SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "services", "scheduling", "samples", "asc_sample.xml")

TODAY = date.today()
PAST_DAY = TODAY - timedelta(days=1)           # the last school day before today
while PAST_DAY.weekday() > 4:
    PAST_DAY -= timedelta(days=1)
NEXT_MONDAY = TODAY + timedelta(days=7 - TODAY.weekday())


def ctx_of(a):
    return {"user_id": a["id"], "school_id": a["school_id"], "roles": a["roles"]}


class Api:
    """A logged-in HTTP client of the gateway (bearer token)."""

    def __init__(self, base, token=None):
        self.base, self.s = base, requests.Session()
        if token:
            self.s.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, **kw):
        return self.s.request(method.upper(), self.base + path, timeout=30, **kw)

    def __getattr__(self, method):
        return lambda path, **kw: self.request(method, path, **kw)


def login(system, login_):
    r = requests.post(system.gateway_url + "/api/v1/auth/login", json={"login": login_, "password": PASSWORD},
                      timeout=30)
    assert r.status_code == 200, r.text
    return Api(system.gateway_url, r.json()["token"])


def term_dates():
    """A school year whose only term runs from 60 days ago to 60 days ahead."""
    start, end = TODAY - timedelta(days=60), TODAY + timedelta(days=60)
    return start, end, f"{start.year}/{start.year + 1}"


def scheduling_records(system, school):
    """One record of each kind scheduling's routes name in their paths, in a school built by
    tests/e2e/test_tenancy.py's ``build_school``: a school year and its term, a subject, a
    teaching assignment, the class's timetable with a lesson held on a past school day, a calendar
    entry and a trip card (ids for ``school_b_ids``)."""
    rpc, admin = system.rpc, ctx_of(school["school_admin"])
    sid, teacher = school["school"]["id"], school["teacher"]
    term = next((t for y in rpc("scheduling", "list_school_years", sid, ctx=admin) for t in y["terms"]
                 if t["starts_on"] <= PAST_DAY.isoformat() and NEXT_MONDAY.isoformat() <= t["ends_on"]), None)
    if term is None:   # other areas' helpers may have made the school's year already
        start, end, name = term_dates()
        year = rpc("scheduling", "create_school_year", sid, {
            "name": name, "starts_on": start.isoformat(), "ends_on": end.isoformat(),
            "terms": [{"name": "Semestr", "starts_on": start.isoformat(), "ends_on": end.isoformat()}]}, ctx=admin)
        term = year["terms"][0]
    subject = rpc("scheduling", "create_subject", sid, {"name": f"Plastyka {uuid.uuid4().hex[:4]}"}, ctx=admin)
    assignment = rpc("scheduling", "create_assignment", sid, {
        "teacher_id": teacher["id"], "subject_id": subject["id"], "class_id": school["class"]["id"],
        "group_name": "gr. plastyczna"}, ctx=admin)
    rpc("scheduling", "set_timetable", school["class"]["id"], term["id"], {
        "valid_from": max(term["starts_on"], (PAST_DAY - timedelta(days=7)).isoformat()),
        "entries": [{"weekday": wd, "period": 7, "starts_at": "13:40", "ends_at": "14:25", "subject_id": subject["id"],
                     "teacher_id": teacher["id"], "room": "plast"} for wd in range(1, 6)]}, ctx=admin)
    lesson = next(x for x in rpc("scheduling", "lessons_for", PAST_DAY.isoformat(), class_id=school["class"]["id"],
                                 ctx=admin) if x["period"] == 7)
    event = rpc("scheduling", "add_calendar_event", sid, {
        "kind": "school_event", "date": NEXT_MONDAY.isoformat(), "title": "Dzień patrona"}, ctx=admin)
    trip = rpc("scheduling", "create_trip", sid, {
        "destination": "Zamek w Malborku", "starts_on": NEXT_MONDAY.isoformat(), "ends_on": NEXT_MONDAY.isoformat(),
        "participant_ids": [school["student"]["id"]], "supervisor_ids": [teacher["id"]]}, ctx=ctx_of(teacher))
    return {"year_id": term["year_id"], "term_id": term["id"], "subject_id": subject["id"],
            "assignment_id": assignment["id"], "teacher_id": teacher["id"], "lesson_id": lesson["id"],
            "event_id": event["id"], "trip_id": trip["id"]}


# ------------------------------------------------------------------ the school

@pytest.fixture(scope="module")
def world(system):
    """School A: classes 4a (class teacher Mazur) and 4b, a year whose term contains today and
    the past weeks, mathematics and Polish, and the six teachers of the aSc sample file; school B
    built the same way as in the tenancy test, with its scheduling records."""
    tag = uuid.uuid4().hex[:6]
    rpc = system.rpc
    s = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa nr 4 w Elblągu {tag}", "short_name": f"s{tag}"})

    def acc(key, roles, first, last, password=PASSWORD):
        return rpc("identity", "create_account", {"school_id": s["id"], "first_name": first, "last_name": last,
                                                  "roles": roles, "password": password, "login": f"{key}.{tag}"})
    p = {"school": s, "tag": tag}
    p["admin"] = acc("admin", ["school_admin"], "Anna", "Administratorka")
    p["director"] = acc("dyrektor", ["director"], "Dorota", "Dyrektorka")
    p["mazur"] = acc("mazur", ["teacher", "class_teacher"], "Barbara", "Mazur")
    p["nowak"] = acc("nowak", ["teacher"], "Jan", "Nowak")
    p["krawczyk"] = acc("krawczyk", ["teacher"], "Adam", "Krawczyk")
    p["student"] = acc("uczen", ["student"], "Łucja", "Kamińska")
    p["other_student"] = acc("uczen2", ["student"], "Piotr", "Zając")
    p["parent"] = acc("rodzic", ["parent"], "Małgorzata", "Kamińska")
    p["secretary"] = acc("sekretariat", ["secretary"], "Sabina", "Sekretarska")
    for i, (first, last) in enumerate((("Anna", "Kowalska"), ("Piotr", "Wiśniewski"), ("Maria", "Zielińska"),
                                       ("Katarzyna", "Lewandowska"), ("Tomasz", "Wójcik"), ("Ewa", "Kamińska"))):
        p[last] = acc(f"asc{i}", ["teacher"], first, last, password=None)
    admin = ctx_of(p["admin"])
    rpc("identity", "link_guardian", s["id"], {"parent_id": p["parent"]["id"], "student_id": p["student"]["id"]},
        ctx=admin)
    p["4a"] = rpc("scheduling", "create_class", s["id"], {"name": "4a", "class_teacher_id": p["mazur"]["id"]}, ctx=admin)
    p["4b"] = rpc("scheduling", "create_class", s["id"], {"name": "4b"}, ctx=admin)
    rpc("scheduling", "enrol_student", p["4a"]["id"], {"student_id": p["student"]["id"],
                                                       "enrolled_on": (TODAY - timedelta(days=60)).isoformat()}, ctx=admin)
    rpc("scheduling", "enrol_student", p["4b"]["id"], {"student_id": p["other_student"]["id"],
                                                       "enrolled_on": (TODAY - timedelta(days=60)).isoformat()}, ctx=admin)
    start, end, name = term_dates()
    year = rpc("scheduling", "create_school_year", s["id"], {
        "name": name, "starts_on": start.isoformat(), "ends_on": end.isoformat(),
        "terms": [{"name": "Semestr 1", "starts_on": start.isoformat(), "ends_on": end.isoformat()}]}, ctx=admin)
    p["year"], p["term"] = year, year["terms"][0]
    p["mat"] = rpc("scheduling", "create_subject", s["id"], {"name": "Matematyka", "short_name": "mat"}, ctx=admin)
    p["pol"] = rpc("scheduling", "create_subject", s["id"], {"name": "Język polski", "short_name": "j.pol"}, ctx=admin)

    other = rpc("identity", "create_school", {"name": f"Szkoła w Pasłęku {tag}", "short_name": f"o{tag}"})
    b = {"school": other}
    for key, roles in (("school_admin", ["school_admin"]), ("teacher", ["teacher"]), ("student", ["student"])):
        b[key] = rpc("identity", "create_account", {"school_id": other["id"], "first_name": "Obcy",
                                                    "last_name": key.title(), "roles": roles, "password": PASSWORD,
                                                    "login": f"b-{key.replace('_', '-')}.{tag}"})
    b["class"] = rpc("scheduling", "create_class", other["id"], {"name": "4a"}, ctx=ctx_of(b["school_admin"]))
    rpc("scheduling", "enrol_student", b["class"]["id"], {"student_id": b["student"]["id"]},
        ctx=ctx_of(b["school_admin"]))
    b["ids"] = scheduling_records(system, b)
    p["b"] = b
    return p


@pytest.fixture(scope="module")
def api(system, world):
    cache = {}

    def client(key):
        if key not in cache:
            account = world["b"][key[2:]] if key.startswith("b:") else world[key]
            cache[key] = login(system, account["login"])
        return cache[key]
    return client


def entry(weekday, period, subject, teacher, room, start="08:00", end="08:45"):
    return {"weekday": weekday, "period": period, "starts_at": start, "ends_at": end, "subject_id": subject["id"],
            "teacher_id": teacher["id"], "room": room}


@pytest.fixture(scope="module")
def timetables(world, api):
    """4a and 4b from the term's first day, set through PUT: periods 1 and 2, Monday to Friday."""
    admin, term = api("admin"), world["term"]
    week_4a, week_4b = [], []
    for wd in range(1, 6):
        week_4a += [entry(wd, 1, world["mat"], world["mazur"], "101"),
                    entry(wd, 2, world["pol"], world["krawczyk"], "102", "08:55", "09:40")]
        week_4b += [entry(wd, 1, world["pol"], world["nowak"], "103"),
                    entry(wd, 2, world["mat"], world["mazur"], "101", "08:55", "09:40")]
    out = {}
    for key, week in (("4a", week_4a), ("4b", week_4b)):
        r = admin.put(f"/api/v1/classes/{world[key]['id']}/terms/{term['id']}/timetable",
                      json={"valid_from": term["starts_on"], "entries": week})
        assert r.status_code == 200, r.text
        out[key] = r.json()
    return out


# ------------------------------------------------------------------ ORG-1, ORG-2: years, timetable, import

def test_org1_years_terms_and_subjects_through_the_gateway(world, api):
    sid = world["school"]["id"]
    admin = api("admin")
    years = admin.get(f"/api/v1/schools/{sid}/school-years").json()
    assert [t["name"] for t in years[0]["terms"]] == ["Semestr 1"]
    current = api("student").get(f"/api/v1/schools/{sid}/current-term").json()
    assert current["id"] == world["term"]["id"] and current["year"]["name"] == world["year"]["name"]
    far = (TODAY + timedelta(days=400)).isoformat()
    r = admin.get(f"/api/v1/schools/{sid}/current-term", params={"on_date": far})
    assert r.status_code == 404 and "żaden okres" in r.json()["message"]
    # A term that overlaps another is refused naming the problem; nothing is added.
    r = admin.post(f"/api/v1/school-years/{world['year']['id']}/terms",
                   json={"name": "Zachodzący", "starts_on": world["term"]["starts_on"], "ends_on": world["term"]["ends_on"]})
    assert r.status_code == 422 and r.json()["message"]
    r = admin.post(f"/api/v1/schools/{sid}/subjects", json={"name": "matematyka"})
    assert r.status_code == 409 and "już istnieje" in r.json()["message"]
    r = admin.post(f"/api/v1/schools/{sid}/subjects", json={"name": "Przyroda", "short_name": "przyr"})
    assert r.status_code == 201
    r = admin.patch(f"/api/v1/subjects/{r.json()['id']}", json={"name": "Przyroda i technika"})
    assert r.status_code == 200 and r.json()["name"] == "Przyroda i technika"
    # Only the administrator manages the school's organisation (ORG-1).
    for who in ("director", "mazur", "student"):
        assert api(who).post(f"/api/v1/schools/{sid}/subjects", json={"name": "Fizyka"}).status_code == 403


def test_org2_timetable_set_read_and_clash_refused(world, api, timetables):
    admin, term = api("admin"), world["term"]
    assert len(timetables["4a"]["entries"]) == 10
    read = admin.get(f"/api/v1/classes/{world['4a']['id']}/terms/{term['id']}/timetable",
                     params={"on_date": PAST_DAY.isoformat()}).json()
    assert {(e["weekday"], e["period"], e["subject_name"]) for e in read} >= {(1, 1, "Matematyka"), (5, 2, "Język polski")}
    # Nowak already teaches 4b in period 1: the whole change is refused naming the clash.
    r = admin.put(f"/api/v1/classes/{world['4a']['id']}/terms/{term['id']}/timetable", json={
        "valid_from": NEXT_MONDAY.isoformat(), "entries": [entry(1, 1, world["mat"], world["nowak"], "201")]})
    assert r.status_code == 409, r.text
    assert "Jan Nowak" in r.json()["message"] and "4b" in r.json()["message"]
    after = admin.get(f"/api/v1/classes/{world['4a']['id']}/terms/{term['id']}/timetable",
                      params={"include_history": "true"}).json()
    assert len(after) == 10   # nothing half-written
    # A change dated outside its term is refused naming the date field.
    r = admin.put(f"/api/v1/classes/{world['4a']['id']}/terms/{term['id']}/timetable", json={
        "valid_from": (TODAY + timedelta(days=200)).isoformat(), "entries": []})
    assert r.status_code == 422 and "valid_from" in r.json()["fields"]
    # The class teacher (a teacher) may not set it; the week is everyone's, topics staff's.
    r = api("mazur").put(f"/api/v1/classes/{world['4a']['id']}/terms/{term['id']}/timetable", json={"entries": []})
    assert r.status_code == 403
    week = api("student").get(f"/api/v1/classes/{world['4a']['id']}/week", params={"date": PAST_DAY.isoformat()})
    assert week.status_code == 200
    day = next(d for d in week.json()["days"] if d["date"] == PAST_DAY.isoformat())
    assert [lesson["subject_name"] for lesson in day["lessons"]] == ["Matematyka", "Język polski"]


def test_org2_asc_import_upload_preview_then_import(world, api, system):
    sid, term, admin = world["school"]["id"], world["term"], api("admin")
    url = f"/api/v1/schools/{sid}/terms/{term['id']}/timetable-imports"
    with open(SAMPLE, "rb") as fh:
        sample = fh.read()
    r = admin.post(url, files={"file": ("plan.xml", sample, "text/xml")}, data={"dry_run": "true"})
    assert r.status_code == 422, r.text   # classes 1a and 1b do not exist yet: both named
    assert "1a" in r.json()["message"] and "1b" in r.json()["message"]
    for name in ("1a", "1b"):
        assert admin.post(f"/api/v1/schools/{sid}/classes", json={"name": name}).status_code == 201
    r = admin.post(url, files={"file": ("plan.xml", sample, "text/xml")}, data={"dry_run": "true"})
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["dry_run"] is True and preview["entries"] == 32 and preview["teachers_mapped"] == 6
    assert [(c["name"], c["entries"]) for c in preview["classes"]] == [("1a", 17), ("1b", 15)]
    classes = {c["name"]: c["id"] for c in admin.get(f"/api/v1/schools/{sid}/classes").json()}
    timetable = f"/api/v1/classes/{classes['1a']}/terms/{term['id']}/timetable"
    assert admin.get(timetable, params={"include_history": "true"}).json() == []   # a preview writes nothing
    # Not XML, or too big: refused with a clear message; a plain text body is not accepted.
    r = admin.post(url, files={"file": ("plan.xml", b"<html><body>plan</body></html>", "text/xml")})
    assert r.status_code == 422 and "<timetable>" in r.json()["message"]
    r = admin.post(url, files={"file": ("plan.xml", b"<timetable>" + b" " * (5 * 1024 * 1024 + 10), "text/xml")})
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
    r = admin.post(url, data=sample, headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    # The director may not import; the real import writes both classes.
    r = api("director").post(url, files={"file": ("plan.xml", sample, "text/xml")})
    assert r.status_code == 403
    r = admin.post(url, json={"xml_text": sample.decode("utf-8"), "valid_from": TODAY.isoformat()})
    assert r.status_code == 200, r.text
    assert r.json()["dry_run"] is False and r.json()["entries"] == 32
    assert len(admin.get(timetable, params={"include_history": "true"}).json()) == 17


# ------------------------------------------------------------------ ORG-10: test limits

def test_org10_a_test_beyond_the_limits_is_refused_naming_the_conflicting_tests(world, api, timetables):
    sid, klass = world["school"]["id"], world["4a"]
    # Limits: the director sets them, a teacher may not.
    assert api("mazur").put(f"/api/v1/schools/{sid}/test-limits",
                            json={"tests_per_day": 1, "tests_per_week": 2}).status_code == 403
    r = api("director").put(f"/api/v1/schools/{sid}/test-limits", json={"tests_per_day": 1, "tests_per_week": 2})
    assert r.status_code == 200 and r.json() == {"tests_per_day": 1, "tests_per_week": 2, "quizzes_per_day": None,
                                                 "quizzes_per_week": None}
    assert api("parent").get(f"/api/v1/schools/{sid}/test-limits").json()["tests_per_week"] == 2
    teacher = api("mazur")      # teaches mathematics in 4a
    tuesday, wednesday, thursday = (NEXT_MONDAY + timedelta(days=i) for i in (1, 2, 3))

    def test(day, title, kind="test"):
        return teacher.post(f"/api/v1/schools/{sid}/calendar", json={
            "kind": kind, "date": day.isoformat(), "class_id": klass["id"], "subject_id": world["mat"]["id"],
            "title": title})
    first = test(tuesday, "Ułamki zwykłe")
    assert first.status_code == 201, first.text
    r = test(tuesday, "Procenty")
    assert r.status_code == 409
    message = r.json()["message"]
    assert "najwyżej 1 sprawdzian dziennie" in message and "„Ułamki zwykłe”" in message, message
    assert test(wednesday, "Procenty").status_code == 201
    r = test(thursday, "Geometria")
    assert r.status_code == 409
    message = r.json()["message"]
    assert "w tygodniu" in message and "„Ułamki zwykłe”" in message and "„Procenty”" in message, message
    assert test(thursday, "Kartkówka z tabliczki", kind="quiz").status_code == 201   # quizzes are not limited
    # Nothing of the refused ones was written; the class's calendar shows the three.
    events = api("student").get(f"/api/v1/schools/{sid}/calendar", params={
        "class_id": klass["id"], "date_from": NEXT_MONDAY.isoformat(),
        "date_to": (NEXT_MONDAY + timedelta(days=6)).isoformat()}).json()
    assert sorted(e["title"] for e in events if e["kind"] in ("test", "quiz")) == [
        "Kartkówka z tabliczki", "Procenty", "Ułamki zwykłe"]
    # Removing a test frees its slot; a student never writes to the calendar.
    assert teacher.delete(f"/api/v1/calendar/{first.json()['id']}").status_code == 200
    assert test(thursday, "Geometria").status_code == 201
    r = api("student").post(f"/api/v1/schools/{sid}/calendar", json={
        "kind": "test", "date": tuesday.isoformat(), "class_id": klass["id"], "title": "Mój sprawdzian"})
    assert r.status_code == 403
    # A teacher who does not teach in 4b may not put a test there.
    r = api("krawczyk").post(f"/api/v1/schools/{sid}/calendar", json={
        "kind": "test", "date": tuesday.isoformat(), "class_id": world["4b"]["id"], "title": "Obcy sprawdzian"})
    assert r.status_code == 403


# ------------------------------------------------------------------ ORG-3, ORG-4: substitutions and topics

def test_org3_org4_substitution_flow_through_the_gateway(world, api, timetables):
    sid, day = world["school"]["id"], PAST_DAY.isoformat()
    admin, director = api("admin"), api("director")
    lessons = api("mazur").get("/api/v1/lessons", params={"date": day, "teacher_id": world["mazur"]["id"]}).json()
    math = next(lesson for lesson in lessons if lesson["class_id"] == world["4a"]["id"])
    assert (math["period"], math["status"], math["subject_name"]) == (1, "planned", "Matematyka")
    url = f"/api/v1/lessons/{math['id']}/substitution"
    # Only the administrator assigns substitutes; the director sees them.
    assert api("mazur").post(url, json={"substitute_teacher_id": world["krawczyk"]["id"],
                                        "reason": "choroba"}).status_code == 403
    assert director.post(url, json={"substitute_teacher_id": world["krawczyk"]["id"],
                                    "reason": "choroba"}).status_code == 403
    r = admin.post(url, json={"reason": "choroba"})      # neither a substitute nor a cancellation
    assert r.status_code == 422
    r = admin.post(url, json={"substitute_teacher_id": world["nowak"]["id"], "reason": "choroba"})
    assert r.status_code == 409 and "własną lekcję" in r.json()["message"]   # Nowak teaches 4b then
    r = admin.post(url, json={"substitute_teacher_id": world["krawczyk"]["id"], "reason": "choroba"})
    assert r.status_code == 200, r.text
    assert r.json()["substitute_teacher_id"] == world["krawczyk"]["id"]
    assert r.json()["substitution"]["kind"] == "substitute"
    # The substitute sees it in the own week; the substituted teacher sees it given away.
    week = api("krawczyk").get(f"/api/v1/teachers/{world['krawczyk']['id']}/week", params={"date": day}).json()
    mine = [lesson for d in week["days"] for lesson in d["lessons"] if lesson["lesson_id"] == math["id"]]
    assert mine and mine[0]["substituting"] is True
    week = api("mazur").get(f"/api/v1/teachers/{world['mazur']['id']}/week", params={"date": day}).json()
    given = [lesson for d in week["days"] for lesson in d["lessons"] if lesson["lesson_id"] == math["id"]]
    assert given and given[0]["substituted"] is True
    # The director's control: substitutions that took place without a topic.
    params = {"date_from": day, "date_to": day, "without_topic_only": "true"}
    pending = director.get(f"/api/v1/schools/{sid}/substitutions", params=params).json()
    assert [lesson["id"] for lesson in pending] == [math["id"]] and pending[0]["without_topic"] is True
    # The substituted teacher may not enter the topic; the substitute does (a past day: backfill).
    r = api("mazur").put(f"/api/v1/lessons/{math['id']}/topic", json={"topic": "Ułamki dziesiętne"})
    assert r.status_code == 403 and "zastępujący" in r.json()["message"]
    r = api("krawczyk").put(f"/api/v1/lessons/{math['id']}/topic", json={"topic": "Ułamki dziesiętne"})
    assert r.status_code == 200, r.text
    held = r.json()
    assert held["status"] == "held" and held["date"] == day and held["topic_entered_by"] == world["krawczyk"]["id"]
    assert held["topic_entered_at"][:10] >= day   # the lesson's date and the entry's time are both kept
    assert director.get(f"/api/v1/schools/{sid}/substitutions", params=params).json() == []
    everything = director.get(f"/api/v1/schools/{sid}/substitutions", params={"date_from": day, "date_to": day}).json()
    assert [lesson["substitution"]["reason"] for lesson in everything] == ["choroba"]
    # A lesson that took place cannot be substituted or cancelled any more.
    r = admin.post(url, json={"cancel": True, "reason": "pomyłka"})
    assert r.status_code == 409
    detail = director.get(f"/api/v1/lessons/{math['id']}").json()
    assert [s["kind"] for s in detail["substitutions"]] == ["substitute"]
    # The supervision report counts it as complete; the other lessons of that day lack topics.
    report = director.get(f"/api/v1/schools/{sid}/supervision", params={"week_start": day}).json()
    assert math["id"] not in {lesson["id"] for t in report["teachers"] for lesson in t["lessons_without_topic"]}
    assert report["lessons_held"] >= 1 and "available" in report["late_grades"]


def test_org3_cancelled_lesson_and_a_future_topic(world, api, timetables):
    admin = api("admin")
    monday = NEXT_MONDAY.isoformat()
    lessons = admin.get("/api/v1/lessons", params={"date": monday, "class_id": world["4b"]["id"]}).json()
    polish = next(lesson for lesson in lessons if lesson["period"] == 1)
    r = admin.post(f"/api/v1/lessons/{polish['id']}/substitution", json={"cancel": True, "reason": "wycieczka"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    week = api("other_student").get(f"/api/v1/classes/{world['4b']['id']}/week", params={"date": monday}).json()
    first = [lesson for lesson in week["days"][0]["lessons"] if lesson["period"] == 1][0]
    assert first["status"] == "cancelled" and first["topic"] is None
    maths = next(lesson for lesson in lessons if lesson["period"] == 2)
    r = api("mazur").put(f"/api/v1/lessons/{maths['id']}/topic", json={"topic": "Za wcześnie"})
    assert r.status_code == 409 and "jeszcze się nie odbyła" in r.json()["message"]


# ------------------------------------------------------------------ ORG-11, ORG-9, ORG-5

def test_org11_trip_card_approved_by_the_director_appears_in_the_calendar(world, api):
    sid = world["school"]["id"]
    friday = (NEXT_MONDAY + timedelta(days=4)).isoformat()
    body = {"destination": "Muzeum Zamkowe w Malborku", "starts_on": friday, "ends_on": friday,
            "participant_ids": [world["student"]["id"]], "supervisor_ids": [world["mazur"]["id"]]}
    r = api("mazur").post(f"/api/v1/schools/{sid}/trips", json=body)
    assert r.status_code == 201 and r.json()["status"] == "draft"
    trip = r.json()
    assert api("student").post(f"/api/v1/schools/{sid}/trips", json=body).status_code == 403
    assert api("mazur").post(f"/api/v1/trips/{trip['id']}/approval", json={}).status_code == 403
    assert api("mazur").post(f"/api/v1/trips/{trip['id']}/submission").status_code == 200
    r = api("director").post(f"/api/v1/trips/{trip['id']}/rejection", json={"note": "Brak zgód rodziców"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert api("mazur").put(f"/api/v1/trips/{trip['id']}", json=dict(body, purpose="Lekcja historii")).status_code == 200
    assert api("mazur").post(f"/api/v1/trips/{trip['id']}/submission").status_code == 200
    r = api("director").post(f"/api/v1/trips/{trip['id']}/approval", json={"note": "Zgoda"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    events = api("parent").get(f"/api/v1/schools/{sid}/calendar", params={
        "class_id": world["4a"]["id"], "date_from": friday, "date_to": friday}).json()
    assert [e["kind"] for e in events if e["trip_id"] == trip["id"]] == ["trip"]


def test_org9_completeness_and_org5_transfer(world, api):
    sid = world["school"]["id"]
    report = api("mazur").get(f"/api/v1/schools/{sid}/completeness", params={"class_id": world["4a"]["id"]})
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["available"] is True and [c["class_name"] for c in body["classes"]] == ["4a"]
    missing = {row["student_id"]: row["missing"] for row in body["classes"][0]["incomplete"]}
    assert "pesel" in missing[world["student"]["id"]]
    # A class teacher sees the own class only; a plain teacher nothing.
    assert api("mazur").get(f"/api/v1/schools/{sid}/completeness",
                            params={"class_id": world["4b"]["id"]}).status_code == 403
    assert api("nowak").get(f"/api/v1/schools/{sid}/completeness").status_code == 403
    assert len(api("director").get(f"/api/v1/schools/{sid}/completeness").json()["classes"]) >= 2
    # Transfer (ORG-5): the secretary moves a student; the history keeps both classes.
    other = world["other_student"]["id"]
    r = api("secretary").post(f"/api/v1/students/{other}/transfer", json={"to_class_id": world["4a"]["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["from"]["status"] == "transferred" and r.json()["to"]["class_id"] == world["4a"]["id"]
    history = api("secretary").get(f"/api/v1/students/{other}/class", params={"include_history": "true"}).json()
    assert history["class_name"] == "4a" and [h["class_name"] for h in history["history"]] == ["4b", "4a"]
    assert api("mazur").post(f"/api/v1/students/{other}/transfer",
                             json={"to_class_id": world["4b"]["id"]}).status_code == 403
    # To another school's class: not found, nothing changes.
    r = api("secretary").post(f"/api/v1/students/{other}/transfer", json={"to_class_id": world["b"]["class"]["id"]})
    assert r.status_code == 404
    # A student reads the own class, a parent the child's, not another's.
    assert api("student").get(f"/api/v1/students/{world['student']['id']}/class").json()["class_name"] == "4a"
    assert api("parent").get(f"/api/v1/students/{world['student']['id']}/class").status_code == 200
    assert api("parent").get(f"/api/v1/students/{other}/class").status_code == 404


# ------------------------------------------------------------------ the iCalendar feed (ORG-10)

def test_org10_ical_feed_is_private_and_dies_with_the_account(world, api, system, timetables):
    r = api("nowak").post("/api/v1/ical-feeds", json={})
    assert r.status_code == 201, r.text
    feed = r.json()
    assert feed["kind"] == "teacher" and "/ical/" in feed["url"]
    got = requests.get(feed["url"], timeout=30)    # no session: the token is the credential
    assert got.status_code == 200 and got.headers["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in got.text and "Język polski" in got.text
    forged = feed["url"].replace("/ical/", "/ical/x")
    assert requests.get(forged, timeout=30).status_code == 404
    # A parent subscribes to the child's class, not to another class; a student to the own.
    r = api("parent").post("/api/v1/ical-feeds", json={"class_id": world["4a"]["id"]})
    assert r.status_code == 201 and r.json()["name"] == "Terminarz klasy 4a"
    assert api("parent").post("/api/v1/ical-feeds", json={"class_id": world["4b"]["id"]}).status_code == 404
    assert api("parent").post("/api/v1/ical-feeds", json={}).status_code == 422
    assert api("b:teacher").post("/api/v1/ical-feeds", json={"class_id": world["4a"]["id"]}).status_code == 404
    # Blocking the account stops its feeds at once.
    system.rpc("identity", "block_account", world["nowak"]["id"], {"reason": "test kalendarza"},
               ctx=ctx_of(world["admin"]))
    try:
        assert requests.get(feed["url"], timeout=30).status_code == 404
    finally:
        system.rpc("identity", "unblock_account", world["nowak"]["id"], ctx=ctx_of(world["admin"]))
    wait_for(lambda: requests.get(feed["url"], timeout=30).status_code == 200, timeout=10, what="the feed back")


# ------------------------------------------------------------------ forbidden cases (TEN-1, ACC-3)

def test_ten1_another_schools_ids_look_nonexistent(world, api, timetables):
    """School B's administrator and teacher reach nothing of school A: the administrator gets 404
    everywhere (another school's record looks non-existent), the teacher 404 or 403 (a role it
    lacks), and nothing of A is changed."""
    a, b = world, world["b"]
    lessons = api("admin").get("/api/v1/lessons", params={"date": PAST_DAY.isoformat(),
                                                           "class_id": a["4b"]["id"]}).json()
    lesson = lessons[0]
    event = api("admin").post(f"/api/v1/schools/{a['school']['id']}/calendar", json={
        "kind": "school_event", "date": NEXT_MONDAY.isoformat(), "title": "Festyn szkolny"}).json()
    sid, term = a["school"]["id"], a["term"]["id"]
    calls = [
        ("get", f"/api/v1/schools/{sid}/school-years", None),
        ("post", f"/api/v1/school-years/{a['year']['id']}/terms", {"name": "x", "starts_on": "2030-01-01",
                                                                 "ends_on": "2030-02-01"}),
        ("patch", f"/api/v1/terms/{term}", {"name": "Przejęty"}),
        ("delete", f"/api/v1/terms/{term}", None),
        ("patch", f"/api/v1/subjects/{a['mat']['id']}", {"name": "Przejęta"}),
        ("patch", f"/api/v1/classes/{a['4a']['id']}", {"name": "9z"}),
        ("get", f"/api/v1/classes/{a['4a']['id']}/terms/{term}/timetable", None),
        ("put", f"/api/v1/classes/{a['4a']['id']}/terms/{term}/timetable", {"entries": []}),
        ("get", f"/api/v1/classes/{a['4a']['id']}/week", None),
        ("get", f"/api/v1/teachers/{a['mazur']['id']}/week", None),
        ("get", f"/api/v1/teachers/{a['mazur']['id']}/assignments", None),
        ("get", f"/api/v1/lessons/{lesson['id']}", None),
        ("put", f"/api/v1/lessons/{lesson['id']}/topic", {"topic": "x"}),
        ("post", f"/api/v1/lessons/{lesson['id']}/substitution", {"cancel": True, "reason": "obca szkoła"}),
        ("get", f"/api/v1/schools/{sid}/substitutions", None),
        ("delete", f"/api/v1/calendar/{event['id']}", None),
        ("post", f"/api/v1/students/{a['student']['id']}/transfer", {"to_class_id": b["class"]["id"]}),
        ("get", f"/api/v1/students/{a['student']['id']}/class", None),
    ]
    for key in ("b:school_admin", "b:teacher"):
        client = api(key)
        for method, path, body in calls:
            r = client.request(method, path, json=body)
            assert r.status_code in ((404,) if key == "b:school_admin" else (403, 404)), (key, method, path, r.text)
            assert "Traceback" not in r.text and r.json()["message"]
    # Nothing of A changed.
    admin = api("admin")
    assert admin.get(f"/api/v1/subjects/{a['mat']['id']}").json()["name"] == "Matematyka"
    assert admin.get(f"/api/v1/classes/{a['4a']['id']}").json()["name"] == "4a"
    assert admin.get(f"/api/v1/lessons/{lesson['id']}").json()["status"] == "planned"
    assert any(t["id"] == term for y in admin.get(f"/api/v1/schools/{sid}/school-years").json() for t in y["terms"])


def test_acc3_students_and_parents_do_not_write(world, api, timetables):
    """A student (and a parent) writing to the school's organisation is refused (403) before the
    body is judged; what they may read, they read."""
    sid, term = world["school"]["id"], world["term"]["id"]
    lesson = api("admin").get("/api/v1/lessons", params={"date": PAST_DAY.isoformat(),
                                                         "class_id": world["4a"]["id"]}).json()[0]
    writes = [
        ("post", f"/api/v1/schools/{sid}/school-years", {}),
        ("post", f"/api/v1/schools/{sid}/subjects", {"name": "Wagary"}),
        ("post", f"/api/v1/schools/{sid}/assignments", {}),
        ("put", f"/api/v1/classes/{world['4a']['id']}/terms/{term}/timetable", {"entries": []}),
        ("put", f"/api/v1/lessons/{lesson['id']}/topic", {"topic": "Mój temat"}),
        ("post", f"/api/v1/lessons/{lesson['id']}/substitution", {"cancel": True, "reason": "nuda"}),
        ("post", f"/api/v1/schools/{sid}/calendar", {"kind": "day_off", "date": NEXT_MONDAY.isoformat(),
                                                     "title": "Wolne"}),
        ("put", f"/api/v1/schools/{sid}/test-limits", {"tests_per_day": 9, "tests_per_week": 9}),
        ("post", f"/api/v1/schools/{sid}/trips", {}),
        ("post", f"/api/v1/students/{world['student']['id']}/transfer", {"to_class_id": world["4b"]["id"]}),
    ]
    for who in ("student", "parent"):
        for method, path, body in writes:
            r = api(who).request(method, path, json=body)
            assert r.status_code == 403, (who, method, path, r.status_code, r.text)
    # Reading: the class week without topics, the calendar; not the lessons or substitutions.
    assert api("student").get(f"/api/v1/classes/{world['4a']['id']}/week").status_code == 200
    assert api("student").get("/api/v1/lessons", params={"date": PAST_DAY.isoformat(),
                                                         "class_id": world["4a"]["id"]}).status_code == 403
    assert api("parent").get(f"/api/v1/schools/{sid}/substitutions",
                             params={"date_from": PAST_DAY.isoformat(), "date_to": PAST_DAY.isoformat()}).status_code == 403
    assert api("student").get(f"/api/v1/teachers/{world['mazur']['id']}/week").status_code == 403
    assert api("admin").get(f"/api/v1/lessons/{lesson['id']}").json()["topic"] != "Mój temat"
