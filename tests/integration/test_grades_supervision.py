"""grades' answer to the director's supervision report over the real broker (ORG-4, V.3a, VII.9;
issue 5): which partial grades of a week were entered after its Sunday 20:00. identity,
scheduling and grades as processes, the school built through their RPCs, on SQLite and on
PostgreSQL; the hook asked directly (``grades.late_grades``) and through
``scheduling.supervision_report``."""
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from services.common.errors import Forbidden, Invalid, NotFound
from services.grades import domain

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"


@pytest.fixture(scope="module")
def cluster(system):
    return system


def ctx_of(a):
    return {"user_id": a["id"], "school_id": a["school_id"], "roles": a["roles"]}


@pytest.fixture(scope="module")
def school(cluster):
    """A school with class 5c (math by Tadeusz), two students, a director, an inspector and a
    teacher; and another school with its administrator."""
    tag = uuid.uuid4().hex[:6]
    rpc = cluster.rpc
    s = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa nr 8 w Toruniu {tag}", "short_name": f"t{tag}"})

    def acc(school_id, roles, first, last):
        data = {"school_id": school_id, "first_name": first, "last_name": last, "roles": roles,
                "password": PASSWORD}
        if "inspector" in roles:    # the control account is temporary (XII.7)
            data["expires_on"] = (date.today() + timedelta(days=30)).isoformat()
        return rpc("identity", "create_account", data)
    p = dict(
        admin=acc(s["id"], ["school_admin"], "Anna", "Żak"),
        director=acc(s["id"], ["director"], "Dorota", "Dyrektorska"),
        inspector=acc(s["id"], ["inspector"], "Irena", "Kontrolna"),
        math=acc(s["id"], ["teacher"], "Tadeusz", "Łęcki"),
        s1=acc(s["id"], ["student"], "Zuzanna", "Gęślińska"),
        s2=acc(s["id"], ["student"], "Jędrzej", "Ćwik"),
    )
    admin = ctx_of(p["admin"])
    klass = rpc("scheduling", "create_class", s["id"], {"name": "5c"}, ctx=admin)
    math = rpc("scheduling", "create_subject", s["id"], {"name": "matematyka"}, ctx=admin)
    rpc("scheduling", "create_assignment", s["id"], {"teacher_id": p["math"]["id"], "subject_id": math["id"],
                                                     "class_id": klass["id"]}, ctx=admin)
    for st in ("s1", "s2"):
        rpc("scheduling", "enrol_student", klass["id"], {"student_id": p[st]["id"]}, ctx=admin)
    cat = rpc("grades", "create_category", s["id"], {"name": "kartkówka", "weight": 2}, ctx=admin)
    other = rpc("identity", "create_school", {"name": f"Liceum Obce {tag}", "short_name": f"u{tag}"})
    other_admin = acc(other["id"], ["school_admin"], "Ewa", "Obca")
    return dict(school=s, klass=klass, math_subject=math, cat=cat, other_admin=other_admin, **p)


def column(cluster, p, day, values, description):
    return cluster.rpc("grades", "add_grade_column", p["klass"]["id"], p["math_subject"]["id"], {
        "category_id": p["cat"]["id"], "date": day.isoformat(), "description": description,
        "grades": [{"student_id": p[k]["id"], "value": v} for k, v in values]}, ctx=ctx_of(p["math"]))


@pytest.fixture(scope="module")
def late(cluster, school):
    """A column entered now for a day of last week: after that week's Sunday 20:00, so late."""
    return column(cluster, school, date.today() - timedelta(days=7), [("s1", "4"), ("s2", "3+")],
                  "Kartkówka: ułamki (po terminie)")


def test_org4_grades_entered_after_the_weeks_sunday_20_00_are_late(cluster, school, late):
    p, sid = school, school["school"]["id"]
    today = date.today()
    last_week_day = today - timedelta(days=7)                  # always a day of last week
    last_monday = domain.week_of(last_week_day)[0]
    # A late grade that was deleted is no longer in the register: not listed.
    gone = column(cluster, p, last_week_day, [("s1", "2")], "Kartkówka: pomyłka")["grades"][0]
    cluster.rpc("grades", "delete_grade", gone["id"], "wpisana omyłkowo", ctx=ctx_of(p["math"]))
    # Entered today for today: this week's deadline has not passed (unless it is Sunday evening).
    on_time = column(cluster, p, today, [("s1", "5")], "Kartkówka: procenty")

    director = ctx_of(p["director"])
    rows = cluster.rpc("grades", "late_grades", sid, last_monday.isoformat(), ctx=director)
    late_ids = sorted(g["id"] for g in late["grades"])
    assert sorted(r["grade_id"] for r in rows) == late_ids
    for r in rows:
        assert r["teacher_id"] == p["math"]["id"] and r["class_id"] == p["klass"]["id"]
        assert r["subject_id"] == p["math_subject"]["id"] and r["column_id"] == late["column"]["id"]
        assert r["date"] == last_week_day.isoformat()
        entered = datetime.fromisoformat(r["entered_at"])
        assert entered.tzinfo is not None and entered > domain.entry_deadline(last_week_day)
    # Any day of the week names the week; the inspector (read-only) and the system may ask too.
    assert cluster.rpc("grades", "late_grades", sid, (last_monday + timedelta(days=3)).isoformat(),
                       ctx=ctx_of(p["inspector"])) == rows
    assert cluster.rpc("grades", "late_grades", sid, last_monday.isoformat()) == rows
    this_week = cluster.rpc("grades", "late_grades", sid, today.isoformat(), ctx=director)
    if datetime.now(timezone.utc) < domain.entry_deadline(today):
        assert this_week == []
    assert on_time["grades"][0]["id"] not in {r["grade_id"] for r in rows}

    # Who may ask: not a teacher; another school's administrator does not see this school.
    with pytest.raises(Forbidden):
        cluster.rpc("grades", "late_grades", sid, last_monday.isoformat(), ctx=ctx_of(p["math"]))
    with pytest.raises(Forbidden):
        cluster.rpc("grades", "late_grades", sid, last_monday.isoformat(), ctx=ctx_of(p["s1"]))
    with pytest.raises(NotFound):
        cluster.rpc("grades", "late_grades", sid, last_monday.isoformat(), ctx=ctx_of(p["other_admin"]))
    with pytest.raises(Invalid) as err:
        cluster.rpc("grades", "late_grades", sid, "last week", ctx=director)
    assert "week_start" in err.value.fields


def test_org4_supervision_report_lists_the_late_grades_from_grades(cluster, school, late):
    """scheduling's report asks grades (its documented hook) with the caller's context."""
    p, sid = school, school["school"]["id"]
    last_monday = domain.week_of(date.today() - timedelta(days=7))[0]
    expected = cluster.rpc("grades", "late_grades", sid, last_monday.isoformat(), ctx=ctx_of(p["director"]))
    assert {g["id"] for g in late["grades"]} <= {r["grade_id"] for r in expected}
    for who in ("director", "inspector"):
        report = cluster.rpc("scheduling", "supervision_report", sid, last_monday.isoformat(), ctx=ctx_of(p[who]))
        assert report["late_grades"]["available"] is True
        assert report["late_grades"]["grades"] == expected
