"""grades over the real broker (issue 5): identity, scheduling and grades as processes, the school
built through their RPCs, on SQLite and on PostgreSQL. Columns all-or-nothing, assignments
enforced, tenancy, roles, acceptance of final grades (GRD-3), corrections with reasons and
history (GRD-6), hand-computed averages (GRD-8), at-risk flags and notices (GRD-4), transfer
and removal (ORG-5, ORG-7)."""
import base64
import io
import json
import time
import uuid

import pytest
from kombu import Connection, Exchange
from pypdf import PdfReader
from sqlalchemy import create_engine, text

from services.common.db import normalise_url
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.events import make_envelope
from tests.harness import Cluster, wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"


@pytest.fixture(scope="module")
def cluster(system):
    return system


def ctx_of(a):
    return {"user_id": a["id"], "school_id": a["school_id"], "roles": a["roles"]}


def pdf_text(b64):
    reader = PdfReader(io.BytesIO(base64.b64decode(b64)))
    words = " ".join(page.extract_text() for page in reader.pages).split()
    return " ".join(words), len(reader.pages)        # table cells wrap: compare word sequences


def outbox_names(cluster):
    engine = create_engine(normalise_url(cluster.env["GRADES_DATABASE_URL"]))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT name, envelope FROM outbox_events ORDER BY seq")).all()
            return [(name, json.loads(env) if isinstance(env, str) else env) for name, env in rows]
    finally:
        engine.dispose()


def publish_raw(cluster, name, body):
    service, fact = name.split(".")
    with Connection(cluster.broker.amqp_uri) as conn:
        conn.Producer(serializer="json").publish(
            body, exchange=Exchange(f"{service}.events", type="topic", durable=True), routing_key=fact,
            delivery_mode=2)


@pytest.fixture(scope="module")
def school(cluster):
    """Szkoła with classes 4a (class teacher Wiesława, who also teaches PE there) and 4b; math
    taught by Tadeusz in 4a, history by Halina in 4a, math in 4b by Marek; students in both."""
    tag = uuid.uuid4().hex[:6]
    rpc = cluster.rpc
    s = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa nr 3 w Gdańsku {tag}", "short_name": f"g{tag}"})

    def acc(roles, first, last):
        return rpc("identity", "create_account", {"school_id": s["id"], "first_name": first, "last_name": last,
                                                  "roles": roles, "password": PASSWORD})
    p = dict(
        admin=acc(["school_admin"], "Anna", "Żak"),
        director=acc(["director"], "Dorota", "Dyrektorska"),
        math=acc(["teacher"], "Tadeusz", "Łęcki"),
        hist=acc(["teacher"], "Halina", "Historyczna"),
        math_b=acc(["teacher"], "Marek", "Bęski"),
        wych=acc(["teacher", "class_teacher"], "Wiesława", "Wychowawczyni"),
        s1=acc(["student"], "Zuzanna", "Gęślińska"),
        s2=acc(["student"], "Jędrzej", "Ćwik"),
        s3=acc(["student"], "Łucja", "Źrebięcka"),
        s5=acc(["student"], "Stefan", "Skreślony"),
        s4=acc(["student"], "Bartosz", "Bezklasowy"),
        parent=acc(["parent"], "Paweł", "Gęśliński"),
        other_parent=acc(["parent"], "Olga", "Obca"),
    )
    admin = ctx_of(p["admin"])
    rpc("identity", "link_guardian", s["id"], {"parent_id": p["parent"]["id"], "student_id": p["s1"]["id"]}, ctx=admin)
    rpc("identity", "link_guardian", s["id"], {"parent_id": p["other_parent"]["id"], "student_id": p["s4"]["id"]},
        ctx=admin)
    a4 = rpc("scheduling", "create_class", s["id"], {"name": "4a", "class_teacher_id": p["wych"]["id"]}, ctx=admin)
    b4 = rpc("scheduling", "create_class", s["id"], {"name": "4b"}, ctx=admin)
    subj = {name: rpc("scheduling", "create_subject", s["id"], {"name": name}, ctx=admin)
            for name in ("matematyka", "historia", "wychowanie fizyczne", "fizyka")}
    for teacher, subject, klass in (("math", "matematyka", a4), ("math", "fizyka", a4), ("hist", "historia", a4),
                                    ("wych", "wychowanie fizyczne", a4), ("math_b", "matematyka", b4)):
        rpc("scheduling", "create_assignment", s["id"], {"teacher_id": p[teacher]["id"],
                                                         "subject_id": subj[subject]["id"], "class_id": klass["id"]},
            ctx=admin)
    for st in ("s1", "s2", "s3", "s5"):
        rpc("scheduling", "enrol_student", a4["id"], {"student_id": p[st]["id"]}, ctx=admin)
    rpc("scheduling", "enrol_student", b4["id"], {"student_id": p["s4"]["id"]}, ctx=admin)
    cats = {c["name"]: c for c in [
        rpc("grades", "create_category", s["id"], {"name": "sprawdzian", "weight": 3}, ctx=admin),
        rpc("grades", "create_category", s["id"], {"name": "kartkówka", "weight": 2}, ctx=admin),
        rpc("grades", "create_category", s["id"], {"name": "aktywność", "weight": 1, "counts_in_average": False},
            ctx=admin)]}
    other = rpc("identity", "create_school", {"name": f"Liceum Obce {tag}", "short_name": f"o{tag}"})
    other_admin = rpc("identity", "create_account", {"school_id": other["id"], "first_name": "Ewa",
                                                     "last_name": "Obca", "roles": ["school_admin"],
                                                     "password": PASSWORD})
    other_cat = rpc("grades", "create_category", other["id"], {"name": "sprawdzian", "weight": 5},
                    ctx=ctx_of(other_admin))
    return dict(school=s, a4=a4, b4=b4, subj=subj, cats=cats, other=other, other_admin=other_admin,
                other_cat=other_cat, **p)


def column(cluster, school, teacher, klass, subject, grades, category="sprawdzian", **kw):
    data = {"category_id": school["cats"][category]["id"], "description": "Sprawdzian: ułamki",
            "grades": [{"student_id": school[k]["id"], "value": v} for k, v in grades], **kw}
    return cluster.rpc("grades", "add_grade_column", school[klass]["id"], school["subj"][subject]["id"], data,
                       ctx=ctx_of(school[teacher]))


def book(cluster, school, klass, subject, who="admin"):
    return cluster.rpc("grades", "class_gradebook", school[klass]["id"], school["subj"][subject]["id"],
                       ctx=ctx_of(school[who]))


def grades_of(gradebook, student):
    return next(s for s in gradebook["students"] if s["student_id"] == student["id"])


# ------------------------------------------------------------------------------------ GRD-1

def test_grd1_column_for_a_whole_class_is_all_or_nothing(cluster, school):
    with pytest.raises(Invalid) as err:
        column(cluster, school, "math", "a4", "matematyka", [("s1", "5"), ("s2", "9"), ("s3", "4+")])
    assert "value" in err.value.fields["grades"]["1"] and "9" in err.value.fields["grades"]["1"]["value"][0]
    with pytest.raises(Invalid) as err:                       # a student of 4b in a column of 4a
        column(cluster, school, "math", "a4", "matematyka", [("s1", "5"), ("s4", "3")])
    assert err.value.fields["grades"]["1"]["student_id"] == ["Uczeń nie należy do tej klasy."]
    with pytest.raises(Invalid):                              # 6+ is not on this school's scale
        column(cluster, school, "math", "a4", "matematyka", [("s1", "6+")])
    assert all(not s["grades"] for s in book(cluster, school, "a4", "matematyka")["students"])

    result = column(cluster, school, "math", "a4", "matematyka", [("s1", "5"), ("s2", "3-"), ("s3", "np")])
    assert [g["value"] for g in result["grades"]] == ["5", "3-", "np"]
    assert {g["column_id"] for g in result["grades"]} == {result["column"]["id"]}
    gb = book(cluster, school, "a4", "matematyka", who="math")
    assert gb["editable"] is True and [c["id"] for c in gb["columns"]] == [result["column"]["id"]]
    g1 = grades_of(gb, school["s1"])["grades"][0]
    assert (g1["value"], g1["category_name"], g1["effective_weight"], g1["teacher_id"]) == \
        ("5", "sprawdzian", 3.0, school["math"]["id"])
    assert g1["date"] and g1["created_at"]                      # date referred to and entry time (OPS-2)
    # One event for the column with all its grades (not one per grade); the audit log (ACC-11)
    # has an entry per student, found by the student.
    added = [e["payload"] for n, e in outbox_names(cluster)
             if n == "grades.column_added" and e["payload"]["column_id"] == result["column"]["id"]]
    assert len(added) == 1 and [(g["student_id"], g["value"]) for g in added[0]["grades"]] == \
        [(school[k]["id"], v) for k, v in (("s1", "5"), ("s2", "3-"), ("s3", "np"))]
    assert added[0]["weight"] == 3 and added[0]["teacher_id"] == school["math"]["id"]

    def audited():
        entries = cluster.rpc("identity", "search_audit", school["school"]["id"],
                              {"subject_id": school["s2"]["id"], "action": "grades.column_added"},
                              ctx=ctx_of(school["admin"]))
        return [e for e in entries if e["details"].get("column_id") == result["column"]["id"]]
    entries = wait_for(audited, timeout=20, what="the column in the audit log")
    assert len(entries) == 1 and entries[0]["details"]["value"] == "3-"
    assert entries[0]["actor_id"] == school["math"]["id"]


def test_grd7_teacher_not_assigned_to_class_and_subject_is_refused(cluster, school):
    with pytest.raises(Forbidden, match="Nie prowadzisz"):     # teaches history in 4a, not math
        column(cluster, school, "hist", "a4", "matematyka", [("s1", "4")])
    with pytest.raises(Forbidden):                            # teaches math, but in 4b
        column(cluster, school, "math_b", "a4", "matematyka", [("s1", "4")])
    with pytest.raises(Forbidden):                            # the class teacher only views other subjects
        cluster.rpc("grades", "add_grade", {"student_id": school["s1"]["id"], "class_id": school["a4"]["id"],
                                            "subject_id": school["subj"]["matematyka"]["id"],
                                            "category_id": school["cats"]["kartkówka"]["id"], "value": "4"},
                    ctx=ctx_of(school["wych"]))
    # The class teacher sees every subject of the own class; a teacher of history does not see math.
    assert book(cluster, school, "a4", "matematyka", who="wych")["editable"] is False
    with pytest.raises(Forbidden):
        book(cluster, school, "a4", "matematyka", who="hist")
    # GRD-7: a teacher sees all students' grades in the subjects taught, in another class too.
    assert book(cluster, school, "a4", "matematyka", who="math_b")["editable"] is False


def test_ten1_another_schools_ids_are_not_found(cluster, school):
    g = column(cluster, school, "math", "a4", "matematyka", [("s1", "4")], category="kartkówka")["grades"][0]
    ctx = ctx_of(school["other_admin"])
    calls = [
        ("class_gradebook", (school["a4"]["id"], school["subj"]["matematyka"]["id"])),
        ("correct_grade", (g["id"], {"value": "5", "reason": "obca szkoła"})),
        ("delete_grade", (g["id"], "obca szkoła")),
        ("grade_history", (g["id"],)),
        ("student_grades", (school["s1"]["id"],)),
        ("at_risk_list", (school["a4"]["id"],)),
        ("class_statistics", (school["a4"]["id"],)),
        ("school_statistics", (school["school"]["id"],)),
        ("list_categories", (school["school"]["id"],)),
        ("update_grade_settings", (school["school"]["id"], {"plus_value": 0.1})),
    ]
    for method, args in calls:
        with pytest.raises(NotFound):
            cluster.rpc("grades", method, *args, ctx=ctx)
    # A category of another school cannot be used, even by an authorised teacher.
    with pytest.raises(NotFound) as err:
        cluster.rpc("grades", "add_grade", {"student_id": school["s1"]["id"], "class_id": school["a4"]["id"],
                                            "subject_id": school["subj"]["matematyka"]["id"],
                                            "category_id": school["other_cat"]["id"], "value": "4"},
                    ctx=ctx_of(school["math"]))
    assert "category_id" in err.value.fields


def test_students_and_parents_cannot_write_grades(cluster, school):
    g = column(cluster, school, "math", "a4", "matematyka", [("s1", "3")], category="kartkówka")["grades"][0]
    for who in ("s1", "parent"):
        ctx = ctx_of(school[who])
        with pytest.raises(Forbidden):
            cluster.rpc("grades", "add_grade", {"student_id": school["s1"]["id"], "class_id": school["a4"]["id"],
                                                "subject_id": school["subj"]["matematyka"]["id"],
                                                "category_id": school["cats"]["kartkówka"]["id"], "value": "6"},
                        ctx=ctx)
        with pytest.raises(Forbidden):
            cluster.rpc("grades", "correct_grade", g["id"], {"value": "6", "reason": "bo tak"}, ctx=ctx)
        with pytest.raises(Forbidden):
            cluster.rpc("grades", "set_final_grade", school["s1"]["id"], school["subj"]["matematyka"]["id"],
                        {"kind": "midyear", "value": "6"}, ctx=ctx)
        with pytest.raises(Forbidden):
            cluster.rpc("grades", "grade_history", g["id"], ctx=ctx)
        with pytest.raises(Forbidden):
            cluster.rpc("grades", "update_grade_settings", school["school"]["id"], {"plus_value": 0.9}, ctx=ctx)
    with pytest.raises(Forbidden):
        cluster.rpc("grades", "class_gradebook", school["a4"]["id"], school["subj"]["matematyka"]["id"],
                    ctx=ctx_of(school["s1"]))
    # A parent sees only the own child (another child's id looks non-existent).
    with pytest.raises(NotFound):
        cluster.rpc("grades", "student_grades", school["s2"]["id"], ctx=ctx_of(school["parent"]))
    with pytest.raises(NotFound):
        cluster.rpc("grades", "student_grades", school["s2"]["id"], ctx=ctx_of(school["s1"]))


# ------------------------------------------------------------------------------------ GRD-3

def test_grd3_parent_sees_a_final_grade_only_after_acceptance(cluster, school):
    math = school["subj"]["matematyka"]["id"]
    final = cluster.rpc("grades", "set_final_grade", school["s1"]["id"], math, {"kind": "midyear", "value": "4"},
                        ctx=ctx_of(school["math"]))
    assert final["accepted"] is False and final["class_id"] == school["a4"]["id"]

    def midyear(who):
        view = cluster.rpc("grades", "student_grades", school["s1"]["id"], ctx=ctx_of(school[who]))
        subject = next((x for x in view["subjects"] if x["subject_id"] == math), None)
        return subject["finals"]["midyear"] if subject else None
    assert midyear("parent") is None and midyear("s1") is None
    assert midyear("math")["value"] == "4" and midyear("wych")["value"] == "4"
    with pytest.raises(Forbidden):                            # not the subject's teacher
        cluster.rpc("grades", "accept_final_grade", final["id"], ctx=ctx_of(school["hist"]))
    accepted = cluster.rpc("grades", "accept_final_grade", final["id"], ctx=ctx_of(school["math"]))
    assert accepted["accepted"] is True and accepted["accepted_by"] == school["math"]["id"]
    assert midyear("parent")["value"] == "4" and midyear("s1")["value"] == "4"
    assert "grades.final_grade_accepted" in [n for n, _ in outbox_names(cluster)]

    # A change needs a reason and a new acceptance: the parent no longer sees the old value.
    with pytest.raises(Invalid) as err:
        cluster.rpc("grades", "set_final_grade", school["s1"]["id"], math, {"kind": "midyear", "value": "5"},
                    ctx=ctx_of(school["math"]))
    assert "reason" in err.value.fields
    changed = cluster.rpc("grades", "set_final_grade", school["s1"]["id"], math,
                          {"kind": "midyear", "value": "5", "reason": "uwzględniono poprawę sprawdzianu"},
                          ctx=ctx_of(school["math"]))
    assert changed["accepted"] is False and midyear("parent") is None
    cluster.rpc("grades", "accept_final_grade", changed["id"], ctx=ctx_of(school["math"]))
    assert midyear("parent")["value"] == "5"
    history = cluster.rpc("grades", "final_grade_history", final["id"], ctx=ctx_of(school["director"]))
    assert [v["action"] for v in history["versions"]] == ["set", "accepted", "corrected", "accepted"]
    # Invalid final values, and a final grade for a student not in the class, are refused.
    with pytest.raises(Invalid):
        cluster.rpc("grades", "set_final_grade", school["s1"]["id"], math, {"kind": "annual", "value": "4+"},
                    ctx=ctx_of(school["math"]))
    with pytest.raises(Invalid) as err:
        cluster.rpc("grades", "set_final_grade", school["s1"]["id"], math,
                    {"kind": "annual", "value": "4", "class_id": school["b4"]["id"]}, ctx=ctx_of(school["math"]))
    assert "class_id" in err.value.fields


def test_grd2_grd3_grd5_a_column_of_final_grades_for_the_whole_class(cluster, school):
    """One request per class and subject (or behaviour): all or nothing, the same rules as one
    grade at a time, and with ``accept`` the family sees the grades at once. A year of its own
    keeps the other tests' final grades apart."""
    math, year = school["subj"]["matematyka"]["id"], "2019/2020"
    ids = {k: school[k]["id"] for k in ("s1", "s2", "s3", "s4")}

    def put(who, data):
        return cluster.rpc("grades", "set_final_grade_column", school["a4"]["id"], data, ctx=ctx_of(school[who]))

    def annual(who, student="s1"):
        view = cluster.rpc("grades", "student_grades", ids[student], school_year=year, ctx=ctx_of(school[who]))
        subject = next((x for x in view["subjects"] if x["subject_id"] == math), None)
        return subject["finals"]["annual"] if subject else None

    entries = [{"student_id": ids["s1"], "value": "4"}, {"student_id": ids["s2"], "value": "celujący"},
               {"student_id": ids["s3"], "value": "1"}]
    # Nothing is stored when one entry is wrong: a student of another class, a value off the scale.
    with pytest.raises(Invalid) as err:
        put("math", {"kind": "annual", "subject_id": math, "school_year": year,
                     "grades": entries + [{"student_id": ids["s4"], "value": "3"}]})
    assert "student_id" in err.value.fields["grades"]["3"]
    with pytest.raises(Invalid) as err:
        put("math", {"kind": "annual", "subject_id": math, "school_year": year,
                     "grades": [{"student_id": ids["s1"], "value": "4+"}]})
    assert "value" in err.value.fields["grades"]["0"]
    assert annual("math") is None
    # Only the subject's teacher in the class (or a manager); behaviour only the class teacher.
    with pytest.raises(Forbidden):
        put("hist", {"kind": "annual", "subject_id": math, "school_year": year, "grades": entries})
    with pytest.raises(Forbidden):
        put("math", {"kind": "annual", "subject_id": None, "school_year": year,
                     "grades": [{"student_id": ids["s1"], "value": "dobre"}]})
    for who in ("s1", "parent"):
        with pytest.raises(Forbidden):
            put(who, {"kind": "annual", "subject_id": math, "school_year": year, "grades": entries})

    out = put("math", {"kind": "annual", "subject_id": math, "school_year": year, "grades": entries})
    assert [g["value"] for g in out["grades"]] == ["4", "6", "1"] and not any(g["accepted"] for g in out["grades"])
    assert annual("parent") is None and annual("math")["value"] == "4"          # GRD-3: not accepted yet
    # A change needs a reason (per entry); with accept the family sees the column at once.
    with pytest.raises(Invalid) as err:
        put("math", {"kind": "annual", "subject_id": math, "school_year": year, "accept": True,
                     "grades": [{"student_id": ids["s1"], "value": "5"}]})
    assert "reason" in err.value.fields["grades"]["0"]
    assert annual("math")["value"] == "4"
    out = put("math", {"kind": "annual", "subject_id": math, "school_year": year, "accept": True,
                       "grades": [{"student_id": ids["s1"], "value": "5", "reason": "poprawa sprawdzianu"},
                                  {"student_id": ids["s2"], "value": "6"}]})
    assert [(g["value"], g["accepted"]) for g in out["grades"]] == [("5", True), ("6", True)]
    assert annual("parent")["value"] == "5"
    history = cluster.rpc("grades", "final_grade_history", out["grades"][0]["id"], ctx=ctx_of(school["director"]))
    assert [v["action"] for v in history["versions"]] == ["set", "corrected", "accepted"]

    # Behaviour by the class teacher; a predicted "naganne" raises the at-risk flag (GRD-4, GRD-5).
    beh = put("wych", {"kind": "predicted_annual", "subject_id": None, "school_year": year,
                       "grades": [{"student_id": ids["s3"], "value": "naganne"},
                                  {"student_id": ids["s2"], "value": "wz"}]})
    assert [g["value"] for g in beh["grades"]] == ["naganne", "wzorowe"]
    risk = cluster.rpc("grades", "at_risk_list", school["a4"]["id"], school_year=year, ctx=ctx_of(school["wych"]))
    flagged = {(x["student_id"], f["behaviour"]) for x in risk["students"] for f in x["flags"]}
    assert flagged == {(ids["s3"], True)}     # s3's annual 1 is not a predicted grade: no flag


# ------------------------------------------------------------------------------------ GRD-6

def test_grd6_correction_needs_a_reason_and_every_version_is_kept(cluster, school):
    g = column(cluster, school, "hist", "a4", "historia", [("s1", "2"), ("s2", "4")])["grades"][0]
    with pytest.raises(Invalid) as err:
        cluster.rpc("grades", "correct_grade", g["id"], {"value": "3"}, ctx=ctx_of(school["hist"]))
    assert "reason" in err.value.fields
    with pytest.raises(Invalid) as err:
        cluster.rpc("grades", "correct_grade", g["id"], {"value": "3", "reason": "  "}, ctx=ctx_of(school["hist"]))
    assert "reason" in err.value.fields
    with pytest.raises(Invalid):
        cluster.rpc("grades", "delete_grade", g["id"], "", ctx=ctx_of(school["hist"]))
    with pytest.raises(Forbidden):                            # math teacher does not teach history
        cluster.rpc("grades", "correct_grade", g["id"], {"value": "3", "reason": "pomyłka"},
                    ctx=ctx_of(school["math"]))
    fixed = cluster.rpc("grades", "correct_grade", g["id"], {"value": "3+", "reason": "pomyłka przy wpisie"},
                        ctx=ctx_of(school["hist"]))
    assert fixed["value"] == "3+" and fixed["version"] == 2 and fixed["corrected"] is True
    # The director may edit any grade (with a reason).
    cluster.rpc("grades", "correct_grade", g["id"], {"value": "4", "reason": "decyzja dyrektora po odwołaniu"},
                ctx=ctx_of(school["director"]))
    # The parent sees the current value and that it was corrected, not the history.
    view = cluster.rpc("grades", "student_grades", school["s1"]["id"], ctx=ctx_of(school["parent"]))
    hist = next(x for x in view["subjects"] if x["subject_id"] == school["subj"]["historia"]["id"])
    shown = next(x for x in hist["grades"] if x["id"] == g["id"])
    assert shown["value"] == "4" and shown["corrected"] is True
    for who in ("parent", "hist", "wych"):
        with pytest.raises(Forbidden):
            cluster.rpc("grades", "grade_history", g["id"], ctx=ctx_of(school[who]))
    deleted = cluster.rpc("grades", "delete_grade", g["id"], "ocena wpisana niewłaściwemu uczniowi",
                          ctx=ctx_of(school["hist"]))
    assert deleted["deleted"] is True
    with pytest.raises(Conflict):
        cluster.rpc("grades", "correct_grade", g["id"], {"value": "5", "reason": "jeszcze raz"},
                    ctx=ctx_of(school["hist"]))
    history = cluster.rpc("grades", "grade_history", g["id"], ctx=ctx_of(school["admin"]))
    assert [(v["version"], v["action"], v["value"], v["reason"], v["author_id"]) for v in history["versions"]] == [
        (1, "created", "2", None, school["hist"]["id"]),
        (2, "corrected", "3+", "pomyłka przy wpisie", school["hist"]["id"]),
        (3, "corrected", "4", "decyzja dyrektora po odwołaniu", school["director"]["id"]),
        (4, "deleted", "4", "ocena wpisana niewłaściwemu uczniowi", school["hist"]["id"]),
    ]
    assert all(v["at"] for v in history["versions"])
    # Deleted: gone from the views, kept in history.
    view = cluster.rpc("grades", "student_grades", school["s1"]["id"], ctx=ctx_of(school["parent"]))
    assert g["id"] not in [x["id"] for s in view["subjects"] for x in s["grades"]]
    corrected = [e for n, e in outbox_names(cluster) if n == "grades.grade_corrected"
                 and e["payload"]["grade_id"] == g["id"]]
    assert [e["payload"]["deleted"] for e in corrected] == [False, False, True]


# ------------------------------------------------------------------------------------ GRD-8

def test_grd8_weighted_averages_equal_hand_computed_values(cluster, school):
    s3, phys = school["s3"], school["subj"]["fizyka"]["id"]

    def add(value, category, **kw):
        return cluster.rpc("grades", "add_grade", {
            "student_id": s3["id"], "class_id": school["a4"]["id"], "subject_id": phys,
            "category_id": school["cats"][category]["id"], "value": value, **kw}, ctx=ctx_of(school["math"]))
    add("5", "sprawdzian")                                  # 5    × 3
    add("4+", "kartkówka")                                  # 4.5  × 2
    add("3-", "sprawdzian", weight=1)                       # 2.75 × 1 (weight overridden)
    add("np", "kartkówka")                                  # a symbol: does not count
    add("6", "aktywność")                                   # category does not count
    add("1", "kartkówka", counts_in_average=False)          # marked as not counted
    # (15 + 9 + 2.75) / (3 + 2 + 1) = 26.75 / 6 = 4.4583.. -> 4.46
    view = cluster.rpc("grades", "student_grades", s3["id"], ctx=ctx_of(school["math"]))
    physics = next(x for x in view["subjects"] if x["subject_id"] == phys)
    assert physics["average_year"] == 4.46 and physics["average_term1"] == 4.46
    assert physics["average_term2"] is None
    gb_row = grades_of(book(cluster, school, "a4", "fizyka", who="wych"), s3)
    assert gb_row["average_year"] == 4.46 and len(gb_row["grades"]) == 6
    # The math teacher sees only the subjects taught (math, physics), not history.
    assert {x["subject_id"] for x in view["subjects"]} <= {phys, school["subj"]["matematyka"]["id"]}

    # A school that values + at 0.25: 4+ becomes 4.25 at once for every stored grade.
    admin = ctx_of(school["admin"])
    cluster.rpc("grades", "update_grade_settings", school["school"]["id"], {"plus_value": 0.25}, ctx=admin)
    try:
        view = cluster.rpc("grades", "student_grades", s3["id"], ctx=ctx_of(school["director"]))
        physics = next(x for x in view["subjects"] if x["subject_id"] == phys)
        # (15 + 8.5 + 2.75) / 6 = 26.25 / 6 = 4.375 -> 4.38
        assert physics["average_year"] == 4.38
    finally:
        cluster.rpc("grades", "update_grade_settings", school["school"]["id"], {"plus_value": 0.5}, ctx=admin)

    stats = cluster.rpc("grades", "class_statistics", school["a4"]["id"], ctx=ctx_of(school["wych"]))
    phys_stats = next(x for x in stats["subjects"] if x["subject_id"] == phys)
    assert phys_stats["count"] == 6 and phys_stats["symbols"] == 1 and phys_stats["failing"] == 1
    assert phys_stats["distribution"] == {"1": 1, "2": 0, "3": 1, "4": 1, "5": 1, "6": 1}
    assert phys_stats["weighted_average"] == 4.46 and phys_stats["students_average"] == 4.46
    with pytest.raises(Forbidden):
        cluster.rpc("grades", "class_statistics", school["a4"]["id"], ctx=ctx_of(school["math"]))
    school_stats = cluster.rpc("grades", "school_statistics", school["school"]["id"], ctx=ctx_of(school["director"]))
    assert school_stats["overall"]["count"] >= 6
    assert school["math"]["id"] in [t["teacher_id"] for t in school_stats["teachers"]]
    with pytest.raises(Forbidden):
        cluster.rpc("grades", "school_statistics", school["school"]["id"], ctx=ctx_of(school["wych"]))


# ------------------------------------------------------------------------------------ GRD-4, GRD-5

def test_grd4_at_risk_list_notices_and_behaviour_by_the_class_teacher(cluster, school):
    math = school["subj"]["matematyka"]["id"]
    cluster.rpc("grades", "update_grade_settings", school["school"]["id"],
                {"midyear_notice_deadline": "2027-01-10"}, ctx=ctx_of(school["admin"]))
    pred = cluster.rpc("grades", "set_final_grade", school["s2"]["id"], math,
                       {"kind": "predicted_midyear", "value": "1"}, ctx=ctx_of(school["math"]))
    with pytest.raises(Forbidden, match="wychowawca"):
        cluster.rpc("grades", "set_behaviour_grade", school["s3"]["id"], {"kind": "predicted_midyear", "value": "naganne"},
                    ctx=ctx_of(school["math"]))
    beh = cluster.rpc("grades", "set_behaviour_grade", school["s3"]["id"],
                      {"kind": "predicted_midyear", "value": "naganne"}, ctx=ctx_of(school["wych"]))
    assert beh["behaviour"] is True and beh["subject_id"] is None
    with pytest.raises(Invalid):
        cluster.rpc("grades", "set_behaviour_grade", school["s1"]["id"], {"kind": "midyear", "value": "super"},
                    ctx=ctx_of(school["wych"]))

    listing = cluster.rpc("grades", "at_risk_list", school["a4"]["id"], ctx=ctx_of(school["wych"]))
    flags = {(f["student_id"], f["reason"]) for s in listing["students"] for f in s["flags"]}
    assert (school["s2"]["id"], "niedostateczna") in flags and (school["s3"]["id"], "naganna") in flags
    assert listing["deadlines"]["midyear"]["deadline"] == "2027-01-10"
    with pytest.raises(Forbidden):
        cluster.rpc("grades", "at_risk_list", school["a4"]["id"], ctx=ctx_of(school["math"]))
    flagged = [e["payload"] for n, e in outbox_names(cluster) if n == "grades.at_risk_flagged"]
    assert {"student_id": school["s2"]["id"], "class_id": school["a4"]["id"], "subject_id": math,
            "behaviour": False, "reason": "niedostateczna"}.items() <= next(
        p for p in flagged if p["student_id"] == school["s2"]["id"]).items()
    assert any(p["behaviour"] and p["reason"] == "naganna" and p["subject_id"] is None for p in flagged)

    pdf = cluster.rpc("grades", "at_risk_notices_pdf", school["a4"]["id"], ctx=ctx_of(school["wych"]))
    assert pdf["students"] >= 2
    body, pages = pdf_text(pdf["pdf_base64"])
    assert pages == pdf["students"]                                  # one page per student
    assert "Jędrzej Ćwik" in body and "Łucja Źrebięcka" in body and "ZAWIADOMIENIE" in body
    assert "niedostateczna" in body and "naganna" in body and "10.01.2027" in body
    assert "Zuzanna" not in body                                     # not at risk: no notice
    with pytest.raises(Forbidden):
        cluster.rpc("grades", "at_risk_notices_pdf", school["a4"]["id"], ctx=ctx_of(school["math"]))

    # A better prediction (with a reason) clears the flag.
    cluster.rpc("grades", "set_final_grade", school["s2"]["id"], math,
                {"kind": "predicted_midyear", "value": "2", "reason": "poprawił sprawdzian"},
                ctx=ctx_of(school["math"]))
    listing = cluster.rpc("grades", "at_risk_list", school["a4"]["id"], ctx=ctx_of(school["director"]))
    assert pred["id"] not in [f["final_id"] for s in listing["students"] for f in s["flags"]]


def test_grd8_grade_sheet_for_a_parent_meeting_shows_accepted_finals_only(cluster, school):
    pdf = cluster.rpc("grades", "grade_sheet_pdf", school["a4"]["id"], ctx=ctx_of(school["wych"]))
    body, pages = pdf_text(pdf["pdf_base64"])
    assert pages == pdf["students"] >= 3
    assert "Zestawienie ocen na zebranie z rodzicami" in body and "Zuzanna Gęślińska" in body
    assert "matematyka" in body and "Średnia ważona" in body
    assert "śródroczna: bardzo dobry (5)" in body                       # accepted in the GRD-3 test
    assert "przewidywana śródroczna: niedostateczny" not in body       # never accepted
    with pytest.raises(Forbidden):
        cluster.rpc("grades", "grade_sheet_pdf", school["a4"]["id"], ctx=ctx_of(school["math"]))


# ------------------------------------------------------------------------------------ ORG-5, ORG-7

def test_org5_transfer_keeps_grades_and_history_with_the_student(cluster, school):
    s2, math = school["s2"], school["subj"]["matematyka"]["id"]
    before = cluster.rpc("grades", "student_grades", s2["id"], ctx=ctx_of(school["director"]))
    old_ids = sorted(g["id"] for s in before["subjects"] for g in s["grades"])
    assert old_ids
    pending = cluster.rpc("grades", "set_final_grade", s2["id"], math, {"kind": "predicted_annual", "value": "3"},
                          ctx=ctx_of(school["math"]))
    cluster.rpc("scheduling", "transfer_student", s2["id"], {"to_class_id": school["b4"]["id"]},
                ctx=ctx_of(school["admin"]))
    view = wait_for(lambda: (v := cluster.rpc("grades", "student_grades", s2["id"], ctx=ctx_of(school["director"])))
                    ["moves"] and v, timeout=20, what="transfer handled by grades")
    assert view["moves"][0]["kind"] == "transferred" and view["moves"][0]["to_class_id"] == school["b4"]["id"]
    assert view["class_id"] == school["b4"]["id"]
    assert sorted(g["id"] for s in view["subjects"] for g in s["grades"]) == old_ids
    # In the new class's grade book the student comes with the earlier grades...
    row = grades_of(book(cluster, school, "b4", "matematyka", who="math_b"), s2)
    assert row["status"] == "active" and row["grades"] and {g["class_id"] for g in row["grades"]} == {school["a4"]["id"]}
    # ...the pending prediction follows the student, and the history shows the move.
    history = cluster.rpc("grades", "final_grade_history", pending["id"], ctx=ctx_of(school["admin"]))
    assert history["final"]["class_id"] == school["b4"]["id"]
    assert [v["action"] for v in history["versions"]] == ["set", "moved"]
    # New grades carry the new class; the old class no longer takes them.
    with pytest.raises(Invalid):
        column(cluster, school, "math", "a4", "matematyka", [("s2", "5")])
    new = column(cluster, school, "math_b", "b4", "matematyka", [("s2", "5"), ("s4", "4")])["grades"][0]
    assert new["class_id"] == school["b4"]["id"]
    # The teacher of the new class may correct an earlier grade of the student; the history is intact.
    old_math = next(g for s in view["subjects"] if s["subject_id"] == math for g in s["grades"])
    cluster.rpc("grades", "correct_grade", old_math["id"], {"value": "3", "reason": "poprawa w nowej klasie"},
                ctx=ctx_of(school["math_b"]))
    versions = cluster.rpc("grades", "grade_history", old_math["id"], ctx=ctx_of(school["admin"]))["versions"]
    assert [(v["action"], v["author_id"]) for v in versions] == [
        ("created", school["math"]["id"]), ("corrected", school["math_b"]["id"])]
    # In the old class the student is listed as transferred, with the grades given there.
    old_row = grades_of(book(cluster, school, "a4", "matematyka"), s2)
    assert old_row["status"] == "transferred"


def test_org7_removed_student_keeps_grades_and_counts_in_statistics_duplicates_applied_once(cluster, school):
    s5 = school["s5"]
    column(cluster, school, "hist", "a4", "historia", [("s5", "2"), ("s1", "5")], category="kartkówka")
    before = cluster.rpc("grades", "class_statistics", school["a4"]["id"], ctx=ctx_of(school["director"]))
    cluster.rpc("scheduling", "remove_from_class_list", school["a4"]["id"], s5["id"], {"reason": "zmiana szkoły"},
                ctx=ctx_of(school["admin"]))
    wait_for(lambda: cluster.rpc("grades", "student_grades", s5["id"], ctx=ctx_of(school["director"]))["moves"],
             timeout=20, what="removal handled by grades")
    after = cluster.rpc("grades", "class_statistics", school["a4"]["id"], ctx=ctx_of(school["director"]))
    assert after["removed_students"] == before["removed_students"] + 1
    assert after["overall"]["count"] == before["overall"]["count"]           # still counted
    assert s5["id"] in [x["student_id"] for x in after["student_averages"]]
    # A redelivered event changes nothing (idempotent handler).
    env = make_envelope("scheduling.student_removed", {"student_id": s5["id"], "class_id": school["a4"]["id"],
                                                       "reason": "duplikat", "removed_on": "2026-11-20"},
                        school_id=school["school"]["id"])
    for _ in range(3):
        publish_raw(cluster, "scheduling.student_removed", env)
    wait_for(lambda: len(cluster.rpc("grades", "student_grades", s5["id"], ctx=ctx_of(school["director"]))["moves"]) == 2,
             timeout=20, what="the new removal recorded")
    time.sleep(1.0)
    assert len(cluster.rpc("grades", "student_grades", s5["id"], ctx=ctx_of(school["director"]))["moves"]) == 2


def test_grd1_settings_and_categories_are_per_school(cluster, school):
    settings = cluster.rpc("grades", "grade_settings", school["school"]["id"], ctx=ctx_of(school["s1"]))
    assert settings["plus_value"] == 0.5 and settings["minus_value"] == 0.25
    assert "np" in [s["symbol"] for s in settings["symbols"]]
    with pytest.raises(Invalid) as err:
        cluster.rpc("grades", "update_grade_settings", school["school"]["id"],
                    {"symbols": [{"symbol": "4+"}], "plus_value": 2}, ctx=ctx_of(school["director"]))
    assert "plus_value" in err.value.fields or "symbols" in err.value.fields
    with pytest.raises(Forbidden):
        cluster.rpc("grades", "create_category", school["school"]["id"], {"name": "projekt", "weight": 2},
                    ctx=ctx_of(school["math"]))
    with pytest.raises(Conflict):
        cluster.rpc("grades", "create_category", school["school"]["id"], {"name": "sprawdzian", "weight": 2},
                    ctx=ctx_of(school["admin"]))
    other = cluster.rpc("grades", "list_categories", school["other"]["id"], ctx=ctx_of(school["other_admin"]))
    assert [(c["name"], c["weight"]) for c in other] == [("sprawdzian", 5.0)]
    installed = cluster.rpc("grades", "install_default_categories", school["other"]["id"],
                            ctx=ctx_of(school["other_admin"]))
    assert {"sprawdzian", "kartkówka", "praca domowa"} <= {c["name"] for c in installed}
