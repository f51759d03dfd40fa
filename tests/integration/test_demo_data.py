"""The demo data (scripts/demo_data.py) loaded into the running system over the real broker, on
SQLite and on PostgreSQL: every demo login has something to look at (issues 4, 5, 6) — the
timetable and today's lessons, topics and attendance of the last two weeks, grades with averages,
predicted and accepted final grades, absences with a justification and e-justifications, messages,
an announcement waiting for the director, the supervision report; the term's attendance from its
first day (the history before the last two weeks, shortened here to its first days) — and loading
it again adds nothing."""
import time
from datetime import date, timedelta

import pytest

from scripts import demo_data

pytestmark = pytest.mark.integration

# The history of the term loaded here: its first school days only (the whole term, as
# ``scripts/start`` loads it, takes longer than these tests should; see docs/setup.md).
HISTORY_DAYS = 5


@pytest.fixture(scope="module")
def cluster(system):
    return system


def _demo_today():
    """Today, or (in the first weeks of a term, or in the summer) the latest earlier day with two
    full weeks of school and some days of the term's history behind it: the checks below need the
    whole story."""
    plan, day = demo_data.build_plan(), date.today()
    while True:
        act = demo_data.build_activity(plan, day)
        if len(act["days"]) == demo_data.ACTIVITY_DAYS and len(act["history_days"]) >= HISTORY_DAYS \
                and day.month not in (7, 8):
            return day
        day -= timedelta(days=7)


@pytest.fixture(scope="module")
def loaded(cluster, tmp_path_factory):
    today = _demo_today()
    lines = []
    started = time.monotonic()
    demo_data.load(cluster.broker.amqp_uri, log=lines.append, today=today,
                   data_dir=str(tmp_path_factory.mktemp("demo")), history_days=HISTORY_DAYS)
    seconds = time.monotonic() - started
    plan = demo_data.build_plan()
    act = demo_data.build_activity(plan, today)
    admin = cluster.rpc("identity", "login", {"login": "sp1.admin", "password": demo_data.PASSWORD})["user"]
    accounts = {a["login"]: a for a in cluster.rpc("identity", "list_accounts", admin["school_id"], ctx=ctx_of(admin))}
    classes = {c["name"]: c for c in cluster.rpc("scheduling", "list_classes", admin["school_id"], ctx=ctx_of(admin))}
    return dict(today=today, lines=lines, seconds=seconds, plan=plan, act=act, sid=admin["school_id"],
                accounts=accounts, classes=classes, sp1=act["schools"][0])


def ctx_of(a):
    return {"user_id": a["id"], "school_id": a["school_id"], "roles": a["roles"]}


def as_(loaded, login):
    return ctx_of(loaded["accounts"][login])


def snapshot(cluster, loaded):
    """What a second load must not change: counts of the records the demo creates in sp1."""
    rpc, sid = cluster.rpc, loaded["sid"]
    days = loaded["act"]["history_days"][:HISTORY_DAYS] + loaded["act"]["days"]
    director, admin = as_(loaded, "sp1.dyrektor"), as_(loaded, "sp1.admin")
    lessons = [x for d in days for c in loaded["classes"].values()
               for x in rpc("scheduling", "lessons_for", d.isoformat(), c["id"], ctx=admin)]
    out = {"years": len(rpc("scheduling", "list_school_years", sid, ctx=admin)),
           "subjects": len(rpc("scheduling", "list_subjects", sid, ctx=admin)),
           "lessons": len(lessons), "topics": sum(1 for x in lessons if x["topic"]),
           "attendance": sum(rpc("attendance", "lessons_recorded", sid, [x["id"] for x in lessons], ctx=admin).values()),
           "calendar": len(rpc("scheduling", "calendar", sid, loaded["act"]["year"]["starts_on"].isoformat(),
                               loaded["act"]["year"]["ends_on"].isoformat(), ctx=director)),
           "announcements": len(rpc("messaging", "announcements", ctx=director)),
           "pending": len(rpc("messaging", "approval_queue", ctx=director)),
           "sent": rpc("messaging", "mailbox", "sent", ctx=as_(loaded, "sp1.wychowawca.4a"))["total"]}
    for name, c in loaded["classes"].items():
        finals = rpc("grades", "class_final_grades", c["id"], ctx=director)
        out[f"finals {name}"] = sum(len(s["finals"]) for s in finals["students"])
        stats = rpc("grades", "class_statistics", c["id"], ctx=director)
        out[f"grades {name}"] = stats["overall"]["count"]
        out[f"e-justifications {name}"] = len(rpc("attendance", "e_justifications", c["id"], ctx=director))
    return out


def test_demo_loads_quickly_and_reports_each_step(loaded):
    text = "\n".join(loaded["lines"])
    assert loaded["seconds"] < 120, text       # well under a minute on an idle machine
    for words in ("school year", "the rest of the term", "lessons of", "e-justifications", "columns of grades",
                  "announcements"):
        assert words in text, text
    assert "demo data loaded" in loaded["lines"][-1]


def test_timetable_and_lessons_with_topics_and_attendance(cluster, loaded):
    sp1, admin = loaded["sp1"], as_(loaded, "sp1.admin")
    teacher = loaded["accounts"]["sp1.nauczyciel1"]
    # Every teacher has lessons on every school day of the week (the page of today's lessons).
    week = cluster.rpc("scheduling", "teacher_week", teacher["id"], loaded["today"].isoformat(), ctx=ctx_of(teacher))
    assert all(d["lessons"] for d in week["days"] if not d["day_off"])
    klass = loaded["classes"]["4a"]
    planned = [x for x in sp1["lessons"] if x["class"] == "4a"]
    days = sorted({x["date"] for x in planned})
    lessons = [x for d in days for x in cluster.rpc("scheduling", "lessons_for", d.isoformat(), klass["id"], ctx=admin)]
    assert len(lessons) == len(planned)
    by_key = {(x["date"], x["period"]): x for x in lessons}
    for p in planned:
        assert by_key[(p["date"].isoformat(), p["period"])]["topic"] == p["topic"]
    recorded = cluster.rpc("attendance", "lessons_recorded", loaded["sid"], [x["id"] for x in lessons], ctx=admin)
    assert sum(1 for n in recorded.values() if n) == sum(1 for p in planned if p["attendance"] is not None)
    assert all(n in (0, len(klass_students(loaded, "4a"))) for n in recorded.values())


def klass_students(loaded, name):
    return next(c["students"] for s in loaded["plan"]["schools"] if s["short_name"] == "sp1"
                for c in s["classes"] if c["name"] == name)


def test_parent_sees_grades_with_averages_accepted_finals_and_the_attendance_calendar(cluster, loaded):
    parent, child = as_(loaded, "sp1.rodzic1"), loaded["accounts"]["sp1.uczen1"]
    grades = cluster.rpc("grades", "student_grades", child["id"], ctx=parent)
    assert grades["family_view"] is True
    assert len(grades["subjects"]) >= 5 and grades["overall_average"] is not None
    assert all(s["grades"] and s["average"] is not None for s in grades["subjects"])
    kinds = loaded["act"]["predicted_kind"], loaded["act"]["final_kind"]
    subjects = {s["id"]: s["short_name"] for s in cluster.rpc("scheduling", "list_subjects", loaded["sid"], ctx=parent)}
    finals = {subjects[s["subject_id"]]: s["finals"] for s in grades["subjects"]}
    assert finals["mat"][kinds[0]]["accepted"] and finals["mat"][kinds[1]]["accepted"]   # accepted: shown
    assert finals["pol"][kinds[0]] is None                                          # waiting: not shown yet
    assert grades["behaviour"][kinds[0]]["value"] == "bardzo dobre"
    # Attendance: one day justified by the class teacher, one waiting for the e-justification.
    justified = loaded["sp1"]["justifications"][0]["dates"][0]
    waiting = loaded["sp1"]["e_justifications"][0]
    entries = cluster.rpc("attendance", "student_attendance", child["id"], justified.isoformat(),
                          waiting["date_to"].isoformat(), ctx=parent)
    kinds_on = {}
    for e in entries:
        kinds_on.setdefault(e["lesson_date"], set()).add(e["kind"])
    assert kinds_on[justified.isoformat()] == {"excused"}
    assert kinds_on[waiting["date_from"].isoformat()] == {"absent"}
    month = cluster.rpc("attendance", "student_calendar", child["id"], waiting["date_from"].strftime("%Y-%m"),
                        ctx=parent)
    assert any(e["status"] == "submitted" for e in month["e_justifications"])
    # Messages: the class teacher's message to the class's parents and the note (UWAGA).
    inbox = cluster.rpc("messaging", "inbox", 50, ctx=parent)
    assert {"note", "message"} <= {m["kind"] for m in inbox}
    assert any(m["subject"].startswith("Zebranie z rodzicami") for m in inbox)


def test_class_teacher_teacher_and_director_have_work_waiting(cluster, loaded):
    sid, klass = loaded["sid"], loaded["classes"]["4a"]
    ct = as_(loaded, "sp1.wychowawca.4a")
    waiting = cluster.rpc("attendance", "e_justifications", klass["id"], None, "submitted", ctx=ct)
    assert [e["student_id"] for e in waiting] == [loaded["accounts"]["sp1.uczen1"]["id"]]
    math = next(s for s in cluster.rpc("scheduling", "list_subjects", sid, ctx=ct) if s["short_name"] == "mat")
    book = cluster.rpc("grades", "class_gradebook", klass["id"], math["id"], ctx=as_(loaded, "sp1.nauczyciel1"))
    assert book["editable"] is True and len(book["columns"]) >= 3
    assert all(s["grades"] and s["average_year"] is not None for s in book["students"])
    risk = cluster.rpc("grades", "at_risk_list", loaded["classes"]["7b"]["id"], ctx=as_(loaded, "sp1.wychowawca.7b"))
    assert risk["students"]
    director = as_(loaded, "sp1.dyrektor")
    queue = cluster.rpc("messaging", "approval_queue", ctx=director)
    assert [a["title"] for a in queue] == [loaded["sp1"]["announcements"][-1]["title"]]
    # The supervision report of last week: a lesson without a topic and the late column (ORG-4).
    last_monday = loaded["today"] - timedelta(days=loaded["today"].weekday() + 7)
    report = cluster.rpc("scheduling", "supervision_report", sid, last_monday.isoformat(), ctx=director)
    assert sum(t["count"] for t in report["teachers"]) >= 1
    assert report["lessons_without_attendance"]["available"] and report["lessons_without_attendance"]["lessons"]
    late = report["late_grades"]
    assert late["available"] is True
    late_column = next(c for c in loaded["sp1"]["columns"] if c["late"])
    assert sum(1 for g in late["grades"] if g["date"] == late_column["date"].isoformat()) >= len(late_column["values"])


def test_term_attendance_counts_from_the_term_start(cluster, loaded):
    """The term's history: the lessons of the term's first week have topics and attendance, the
    percentages over the term count them (hand-computed from the plan), and the illnesses the
    class teacher justified are excused."""
    act, sp1, today = loaded["act"], loaded["sp1"], loaded["today"]
    term = act["term"]
    history = act["history_days"][:HISTORY_DAYS]
    assert history[0] - term["starts_on"] < timedelta(days=7)
    klass, admin = loaded["classes"]["4a"], as_(loaded, "sp1.admin")
    first = cluster.rpc("scheduling", "lessons_for", history[0].isoformat(), klass["id"], ctx=admin)
    assert first and all(x["topic"] for x in first)
    recorded = cluster.rpc("attendance", "lessons_recorded", loaded["sid"], [x["id"] for x in first], ctx=admin)
    assert set(recorded.values()) == {len(klass_students(loaded, "4a"))}
    # The default formula (ATT-5): present, late and school reasons count as present; absent and
    # excused as absent; released in neither.
    on = set(history) | set(act["days"])
    expected = {s: [0, 0] for s in klass_students(loaded, "4a")}
    for p in sp1["history"] + sp1["lessons"]:
        if p["class"] == "4a" and p["date"] in on and p["attendance"] is not None:
            cats = dict(p["attendance"])
            for student, counts in expected.items():
                cat = cats.get(student, "present")
                if cat != "released":
                    counts[1 if cat == "absent" else 0] += 1
    term_range = (term["starts_on"].isoformat(), today.isoformat())
    by_class = cluster.rpc("attendance", "percentages", "class", klass["id"], *term_range,
                           ctx=as_(loaded, "sp1.wychowawca.4a"))
    login = {loaded["accounts"][s]["id"]: s for s in expected}
    assert {login[row["student_id"]]: [row["present"], row["absent"]] for row in by_class["breakdown"]} == expected
    child = loaded["accounts"]["sp1.uczen1"]        # what the parent sees: the same, from the term's start
    mine = cluster.rpc("attendance", "percentages", "student", child["id"], *term_range, ctx=as_(loaded, "sp1.rodzic1"))
    present, absent = expected["sp1.uczen1"]
    assert (mine["present"], mine["absent"]) == (present, absent)
    assert abs(mine["percent"] - 100 * present / (present + absent)) < 0.006
    since_story = cluster.rpc("attendance", "percentages", "student", child["id"], act["days"][0].isoformat(),
                              today.isoformat(), ctx=as_(loaded, "sp1.rodzic1"))
    assert mine["recorded"] > since_story["recorded"]
    # Illnesses justified by the class teacher (both schools): excused at every lesson of those days.
    for school in act["schools"]:
        head = cluster.rpc("identity", "login", {"login": f"{school['short_name']}.admin",
                                                 "password": demo_data.PASSWORD})["user"]
        accounts = {a["login"]: a["id"] for a in cluster.rpc("identity", "list_accounts", head["school_id"],
                                                              ctx=ctx_of(head))}
        for j in (j for j in school["history_justifications"] if set(j["dates"]) <= set(history)):
            entries = cluster.rpc("attendance", "student_attendance", accounts[j["student"]], j["dates"][0].isoformat(),
                                  j["dates"][-1].isoformat(), ctx=ctx_of(head))
            assert entries and {e["kind"] for e in entries} == {"excused"}, j


def test_loading_again_adds_nothing(cluster, loaded, tmp_path):
    before = snapshot(cluster, loaded)
    assert before["topics"] and before["attendance"] and before["pending"] == 1
    # As scripts/start runs it (with the whole term's history): nothing is added.
    lines = []
    demo_data.load(cluster.broker.amqp_uri, log=lines.append, today=loaded["today"], data_dir=str(tmp_path))
    assert "nothing changed" in lines[-1], lines
    assert snapshot(cluster, loaded) == before
    # A later day (the next run of scripts/start) adds nothing either.
    lines = []
    demo_data.load(cluster.broker.amqp_uri, log=lines.append, today=loaded["today"] + timedelta(days=3),
                   data_dir=str(tmp_path))
    assert "nothing changed" in lines[-1], lines
    assert snapshot(cluster, loaded) == before


def test_arc1_the_demo_schools_archive_validates_against_the_xsd(cluster, loaded):
    """Issue 8, done when: an archive of the demo school (the current, still open year: the
    administrator confirms) completes and verifies: the files, the SHA-256 checksum, the
    manifest and the XSD schema (unsigned: the demo school has loaded no certificate)."""
    from tests.harness import wait_for
    admin = as_(loaded, "sp1.admin")
    started = cluster.rpc("archive", "start_archive", loaded["sid"],
                          {"school_year": loaded["act"]["year"]["name"], "confirm_open_year": True}, ctx=admin)

    def finished():
        st = cluster.rpc("archive", "archive_status", started["id"], ctx=admin)
        return st if st["status"] in ("completed", "failed") else None
    status = wait_for(finished, timeout=180, interval=0.5, what="the demo school's archive")
    assert status["status"] == "completed", status
    result = cluster.rpc("archive", "verify_archive", started["id"], ctx=admin)
    checks = {c["check"]: c["ok"] for c in result["checks"]}
    assert checks["schemat XSD"] and checks["suma kontrolna"] and checks["manifest"], result
