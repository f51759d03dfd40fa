"""The demo data (scripts/demo_data.py) loaded into the running system over the real broker, on
SQLite and on PostgreSQL: every demo login has something to look at (issues 4, 5, 6) — the
timetable and today's lessons, topics and attendance of the last two weeks, grades with averages,
predicted and accepted final grades, absences with a justification and e-justifications, messages,
an announcement waiting for the director, the supervision report — and loading it again adds
nothing."""
import time
from datetime import date, timedelta

import pytest

from scripts import demo_data

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster(system):
    return system


def _demo_today():
    """Today, or (in the first days of the school year, or in the summer) the latest earlier day
    with two full weeks of school behind it: the checks below need the whole story."""
    plan, day = demo_data.build_plan(), date.today()
    while len(demo_data.build_activity(plan, day)["days"]) < demo_data.ACTIVITY_DAYS or day.month in (7, 8):
        day -= timedelta(days=7)
    return day


@pytest.fixture(scope="module")
def loaded(cluster, tmp_path_factory):
    today = _demo_today()
    lines = []
    started = time.monotonic()
    demo_data.load(cluster.broker.amqp_uri, log=lines.append, today=today,
                   data_dir=str(tmp_path_factory.mktemp("demo")))
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
    rpc, sid, days = cluster.rpc, loaded["sid"], loaded["act"]["days"]
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
    for words in ("school year", "lessons of", "e-justifications", "columns of grades", "announcements"):
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


def test_loading_again_adds_nothing(cluster, loaded, tmp_path):
    before = snapshot(cluster, loaded)
    assert before["topics"] and before["attendance"] and before["pending"] == 1
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
