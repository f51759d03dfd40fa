"""Issue 5 (grades) through the gateway's HTTP API, on SQLite and PostgreSQL (``system``: every
service and the gateway under gunicorn). The school is built over RPC (as the demo loader does);
everything tested goes through HTTP with bearer tokens:

- GRD-1: a whole column entered in one request; a bad column answers 422 with the message at
  ``fields.grades.<index>`` and stores nothing;
- GRD-7 and the matrix: a teacher grading a class or subject not taught is refused with a Polish
  message; students and parents cannot write; a parent sees only the own child;
- TEN-1: another school's class, subject, grade, final grade and category answer 404;
- GRD-6: a correction or deletion without a reason is refused; the history is the director's;
- GRD-3: a parent sees a final grade only after acceptance; GRD-4: at-risk list and notices;
- GRD-8: weighted averages checked against values computed by hand (README of grades)."""
import uuid
from urllib.parse import unquote

import pytest
import requests

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"
API = "/api/v1"


class Api:
    """A logged-in HTTP client of the gateway (bearer token)."""

    def __init__(self, base, token):
        self.base, self.s = base, requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, **kw):
        return self.s.request(method.upper(), self.base + API + path, timeout=20, **kw)

    def __getattr__(self, method):
        return lambda path, **kw: self.request(method, path, **kw)


def ctx_of(a):
    return {"user_id": a["id"], "school_id": a["school_id"], "roles": a["roles"]}


def grade_records(system, school):
    """One record of each kind grades adds to a school built by tests/e2e/test_tenancy.py's
    ``build_school`` (a subject taught by its teacher in its class, a category, a grade of a
    column, a final grade): the ids of the grades API's path parameters."""
    rpc, admin = system.rpc, ctx_of(school["school_admin"])
    sid = school["school"]["id"]
    subject = rpc("scheduling", "create_subject", sid, {"name": f"matematyka {uuid.uuid4().hex[:4]}"}, ctx=admin)
    rpc("scheduling", "create_assignment", sid, {"teacher_id": school["teacher"]["id"], "subject_id": subject["id"],
                                                 "class_id": school["class"]["id"]}, ctx=admin)
    category = rpc("grades", "create_category", sid, {"name": "sprawdzian", "weight": 3}, ctx=admin)
    teacher = ctx_of(school["teacher"])
    column = rpc("grades", "add_grade_column", school["class"]["id"], subject["id"], {
        "category_id": category["id"], "description": "Sprawdzian próbny",
        "grades": [{"student_id": school["student"]["id"], "value": "4"}]}, ctx=teacher)
    final = rpc("grades", "set_final_grade", school["student"]["id"], subject["id"],
                {"kind": "predicted_annual", "value": "4"}, ctx=teacher)
    return {"subject_id": subject["id"], "category_id": category["id"], "grade_id": column["grades"][0]["id"],
            "final_id": final["id"]}


@pytest.fixture(scope="module")
def school(system):
    """Szkoła: class 6a (class teacher Wiesława, who teaches PE there) and 6b; mathematics in 6a
    taught by Tadeusz, history in 6a by Halina, mathematics in 6b by Marek; a parent of Zuzanna."""
    tag = uuid.uuid4().hex[:6]
    rpc = system.rpc
    s = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa nr 8 w Sopocie {tag}", "short_name": f"h{tag}"})

    def acc(key, roles, first, last):
        return rpc("identity", "create_account", {"school_id": s["id"], "first_name": first, "last_name": last,
                                                  "roles": roles, "password": PASSWORD, "login": f"{key}.{tag}"})
    p = dict(
        admin=acc("admin", ["school_admin"], "Anna", "Żak"),
        director=acc("dyrektor", ["director"], "Dorota", "Dyrektorska"),
        math=acc("math", ["teacher"], "Tadeusz", "Łęcki"),
        hist=acc("hist", ["teacher"], "Halina", "Historyczna"),
        math_b=acc("mathb", ["teacher"], "Marek", "Bęski"),
        wych=acc("wych", ["teacher", "class_teacher"], "Wiesława", "Wychowawczyni"),
        s1=acc("s1", ["student"], "Zuzanna", "Gęślińska"),
        s2=acc("s2", ["student"], "Jędrzej", "Ćwik"),
        s3=acc("s3", ["student"], "Łucja", "Źrebięcka"),
        s4=acc("s4", ["student"], "Bartosz", "Bęski"),
        parent=acc("rodzic", ["parent"], "Paweł", "Gęśliński"),
        secretary=acc("sekretariat", ["secretary"], "Sabina", "Sekretarska"),
    )
    admin = ctx_of(p["admin"])
    rpc("identity", "link_guardian", s["id"], {"parent_id": p["parent"]["id"], "student_id": p["s1"]["id"]}, ctx=admin)
    a6 = rpc("scheduling", "create_class", s["id"], {"name": "6a", "class_teacher_id": p["wych"]["id"]}, ctx=admin)
    b6 = rpc("scheduling", "create_class", s["id"], {"name": "6b"}, ctx=admin)
    subj = {name: rpc("scheduling", "create_subject", s["id"], {"name": name}, ctx=admin)
            for name in ("matematyka", "historia", "wychowanie fizyczne", "fizyka")}
    for teacher, subject, klass in (("math", "matematyka", a6), ("math", "fizyka", a6), ("hist", "historia", a6),
                                    ("wych", "wychowanie fizyczne", a6), ("math_b", "matematyka", b6)):
        rpc("scheduling", "create_assignment", s["id"], {"teacher_id": p[teacher]["id"],
                                                         "subject_id": subj[subject]["id"], "class_id": klass["id"]},
            ctx=admin)
    for st in ("s1", "s2", "s3"):
        rpc("scheduling", "enrol_student", a6["id"], {"student_id": p[st]["id"]}, ctx=admin)
    rpc("scheduling", "enrol_student", b6["id"], {"student_id": p["s4"]["id"]}, ctx=admin)
    cats = {c["name"]: c for c in [
        rpc("grades", "create_category", s["id"], {"name": "sprawdzian", "weight": 3}, ctx=admin),
        rpc("grades", "create_category", s["id"], {"name": "kartkówka", "weight": 2}, ctx=admin),
        rpc("grades", "create_category", s["id"], {"name": "aktywność", "weight": 1, "counts_in_average": False},
            ctx=admin)]}
    return dict(school=s, a6=a6, b6=b6, subj=subj, cats=cats, tag=tag, **p)


@pytest.fixture(scope="module")
def other(system):
    """Another school with one record of every kind (TEN-1)."""
    tag = uuid.uuid4().hex[:6]
    rpc = system.rpc
    s = rpc("identity", "create_school", {"name": f"Liceum Obce w Elblągu {tag}", "short_name": f"x{tag}"})

    def acc(key, roles):
        return rpc("identity", "create_account", {"school_id": s["id"], "first_name": "Obcy", "last_name": key.title(),
                                                  "roles": roles, "password": PASSWORD, "login": f"x{key}.{tag}"})
    people = {"school_admin": acc("admin", ["school_admin"]), "teacher": acc("nauczyciel", ["teacher"]),
              "student": acc("uczen", ["student"])}
    klass = rpc("scheduling", "create_class", s["id"], {"name": "1a"}, ctx=ctx_of(people["school_admin"]))
    rpc("scheduling", "enrol_student", klass["id"], {"student_id": people["student"]["id"]},
        ctx=ctx_of(people["school_admin"]))
    world = {"school": s, "class": klass, **people}
    return {**world, **grade_records(system, world)}


@pytest.fixture(scope="module")
def http(system, school):
    cache = {}

    def client(who):
        if who not in cache:
            r = requests.post(system.gateway_url + API + "/auth/login",
                              json={"login": school[who]["login"], "password": PASSWORD}, timeout=20)
            assert r.status_code == 200, r.text
            cache[who] = Api(system.gateway_url, r.json()["token"])
        return cache[who]
    return client


def column_body(school, entries, category="sprawdzian", **extra):
    return {"category_id": school["cats"][category]["id"], "description": "Sprawdzian: ułamki zwykłe",
            "grades": [{"student_id": school[k]["id"], "value": v} for k, v in entries], **extra}


def columns_url(school, klass="a6", subject="matematyka"):
    return f"/classes/{school[klass]['id']}/subjects/{school['subj'][subject]['id']}/grade-columns"


def gradebook(client, school, klass="a6", subject="matematyka"):
    r = client.get(f"/classes/{school[klass]['id']}/subjects/{school['subj'][subject]['id']}/gradebook")
    assert r.status_code == 200, r.text
    return r.json()


def row_of(book, student):
    return next(s for s in book["students"] if s["student_id"] == student["id"])


def subject_of(view, school, name):
    return next((s for s in view["subjects"] if s["subject_id"] == school["subj"][name]["id"]), None)


# ------------------------------------------------------------------ GRD-1: a whole column in one request

def test_grd1_teacher_enters_a_whole_column_in_one_request(http, school):
    teacher = http("math")
    r = teacher.post(columns_url(school), json=column_body(school, [("s1", "5"), ("s2", "3-"), ("s3", "np")]))
    assert r.status_code == 201, r.text
    result = r.json()
    assert [g["value"] for g in result["grades"]] == ["5", "3-", "np"]
    assert result["column"]["category_name"] == "sprawdzian" and result["column"]["weight"] == 3
    assert {g["column_id"] for g in result["grades"]} == {result["column"]["id"]}
    g1 = result["grades"][0]
    assert (g1["teacher_id"], g1["effective_weight"], g1["description"]) == \
        (school["math"]["id"], 3, "Sprawdzian: ułamki zwykłe")
    book = gradebook(teacher, school)
    assert book["editable"] is True and book["class"]["name"] == "6a"
    assert result["column"]["id"] in [c["id"] for c in book["columns"]]
    assert [g["value"] for g in row_of(book, school["s2"])["grades"]] == ["3-"]


def test_grd1_a_bad_column_names_each_bad_entry_and_stores_nothing(http, school):
    teacher = http("math")
    before = gradebook(teacher, school, subject="fizyka")
    r = teacher.post(columns_url(school, subject="fizyka"),
                     json=column_body(school, [("s1", "5"), ("s2", "9"), ("s3", "4+"), ("s4", "3")]))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid" and "Kolumna nie została zapisana" in body["message"]
    bad = body["fields"]["grades"]
    assert set(bad) == {"1", "3"}
    assert "„9” nie jest oceną w skali szkoły" in bad["1"]["value"][0]
    assert bad["3"]["student_id"] == ["Uczeń nie należy do tej klasy."]
    after = gradebook(teacher, school, subject="fizyka")
    assert after["columns"] == before["columns"]
    assert all(not s["grades"] for s in after["students"])
    # The gateway checks the shape first: no grades at all is a 422 naming the field.
    r = teacher.post(columns_url(school, subject="fizyka"), json={"category_id": school["cats"]["sprawdzian"]["id"],
                                                                  "grades": []})
    assert r.status_code == 422 and "grades" in r.json()["fields"]


# ------------------------------------------------------------------ GRD-7: who may write

def test_grd7_teacher_grading_a_class_or_subject_not_taught_is_refused_in_polish(http, school):
    single = {"student_id": school["s1"]["id"], "class_id": school["a6"]["id"],
              "subject_id": school["subj"]["matematyka"]["id"], "category_id": school["cats"]["kartkówka"]["id"],
              "value": "4"}
    for who, url, body in (
            ("hist", columns_url(school), column_body(school, [("s1", "4")])),          # history, not maths
            ("math_b", columns_url(school), column_body(school, [("s1", "4")])),        # maths, but in 6b
            ("wych", "/grades", single)):                                              # class teacher: not own lesson
        r = http(who).post(url, json=body)
        assert r.status_code == 403, (who, r.text)
        assert r.json()["message"] == "Nie prowadzisz zajęć z tego przedmiotu w tej klasie."
    assert not [g for s in gradebook(http("math"), school)["students"] for g in s["grades"]
                if g["value"] == "4" and g["category_id"] == school["cats"]["kartkówka"]["id"]]
    # One grade at a time by the subject's teacher works.
    r = http("math").post("/grades", json=single)
    assert r.status_code == 201 and r.json()["value"] == "4", r.text


def test_students_parents_and_the_secretary_cannot_write_grades(http, school):
    single = {"student_id": school["s1"]["id"], "class_id": school["a6"]["id"],
              "subject_id": school["subj"]["matematyka"]["id"], "category_id": school["cats"]["kartkówka"]["id"],
              "value": "6"}
    grade = http("math").post("/grades", json={**single, "value": "2"}).json()
    final_url = f"/students/{school['s1']['id']}/subjects/{school['subj']['matematyka']['id']}/final-grades"
    for who in ("s1", "parent", "secretary"):
        client = http(who)
        for method, url, body in (("post", "/grades", single),
                                  ("post", columns_url(school), column_body(school, [("s1", "6")])),
                                  ("patch", f"/grades/{grade['id']}", {"value": "6", "reason": "bo tak"}),
                                  ("delete", f"/grades/{grade['id']}", {"reason": "bo tak"}),
                                  ("put", final_url, {"kind": "annual", "value": "6"}),
                                  ("put", f"/classes/{school['a6']['id']}/final-grades",
                                   {"kind": "annual", "subject_id": school["subj"]["matematyka"]["id"],
                                    "grades": [{"student_id": school["s1"]["id"], "value": "6"}]}),
                                  ("patch", f"/schools/{school['school']['id']}/grade-settings", {"plus_value": 0.9})):
            r = client.request(method, url, json=body)
            assert r.status_code == 403, (who, method, url, r.status_code, r.text)
            assert r.json()["message"] and "Traceback" not in r.text
    # Nothing changed.
    view = http("math").get(f"/students/{school['s1']['id']}/grades").json()
    shown = next(g for g in subject_of(view, school, "matematyka")["grades"] if g["id"] == grade["id"])
    assert shown["value"] == "2" and shown["corrected"] is False
    # A student sees the own grades, not a classmate's; a parent only the own child's (404).
    assert http("s1").get(f"/students/{school['s1']['id']}/grades").status_code == 200
    for who in ("s1", "parent"):
        r = http(who).get(f"/students/{school['s2']['id']}/grades")
        assert r.status_code == 404 and r.json()["message"] == "Nie znaleziono ucznia."
    # The grade book of a class is the staff's.
    assert http("s1").get(f"/classes/{school['a6']['id']}/subjects/{school['subj']['matematyka']['id']}"
                          "/gradebook").status_code == 403


# ------------------------------------------------------------------ TEN-1: another school's records

def test_ten1_another_schools_ids_answer_404(http, school, other):
    theirs = other
    mine_teacher, admin = http("math"), http("admin")
    subject, klass = theirs["subject_id"], theirs["class"]["id"]
    calls = [
        (admin, "get", f"/classes/{klass}/subjects/{subject}/gradebook", None),
        (admin, "post", f"/classes/{klass}/subjects/{subject}/grade-columns",
         {"category_id": theirs["category_id"], "grades": [{"student_id": theirs["student"]["id"], "value": "1"}]}),
        (admin, "patch", f"/grades/{theirs['grade_id']}", {"value": "1", "reason": "obca szkoła"}),
        (admin, "delete", f"/grades/{theirs['grade_id']}", {"reason": "obca szkoła"}),
        (admin, "get", f"/grades/{theirs['grade_id']}/history", None),
        (admin, "post", f"/final-grades/{theirs['final_id']}/acceptance", None),
        (admin, "get", f"/final-grades/{theirs['final_id']}/history", None),
        (admin, "patch", f"/grade-categories/{theirs['category_id']}", {"weight": 9}),
        (admin, "get", f"/students/{theirs['student']['id']}/grades", None),
        (admin, "put", f"/students/{theirs['student']['id']}/subjects/{subject}/final-grades",
         {"kind": "annual", "value": "1", "class_id": klass}),
        (admin, "put", f"/students/{theirs['student']['id']}/behaviour", {"kind": "annual", "value": "naganne"}),
        (admin, "get", f"/classes/{klass}/at-risk", None),
        (admin, "get", f"/classes/{klass}/at-risk/notices.pdf", None),
        (admin, "get", f"/classes/{klass}/grade-sheet.pdf", None),
        (admin, "get", f"/classes/{klass}/statistics", None),
        (admin, "get", f"/classes/{klass}/final-grades", None),
        (admin, "put", f"/classes/{klass}/final-grades",
         {"kind": "annual", "subject_id": subject, "grades": [{"student_id": theirs["student"]["id"], "value": "1"}]}),
        (admin, "get", f"/schools/{theirs['school']['id']}/grade-settings", None),
        (admin, "get", f"/schools/{theirs['school']['id']}/grade-statistics", None),
        (admin, "post", f"/schools/{theirs['school']['id']}/grade-categories", {"name": "obca", "weight": 1}),
        (mine_teacher, "get", f"/classes/{klass}/subjects/{subject}/gradebook", None),
    ]
    for client, method, url, body in calls:
        r = client.request(method, url, json=body)
        assert r.status_code == 404, (method, url, r.status_code, r.text)
        assert theirs["school"]["name"] not in r.text and "Obcy" not in r.text
    # A category of another school cannot be used in one's own class either.
    r = mine_teacher.post(columns_url(school), json={"category_id": theirs["category_id"],
                                                     "grades": [{"student_id": school["s1"]["id"], "value": "5"}]})
    assert r.status_code == 404 and "category_id" in r.json()["fields"]
    # Nothing of the other school changed.
    assert http("admin").get(f"/grades/{theirs['grade_id']}/history").status_code == 404


# ------------------------------------------------------------------ GRD-6: corrections with reasons

def test_grd6_correction_and_deletion_need_a_reason_and_the_history_is_the_directors(http, school):
    teacher = http("hist")
    r = teacher.post(columns_url(school, subject="historia"), json=column_body(school, [("s1", "2"), ("s2", "4")]))
    assert r.status_code == 201, r.text
    grade = r.json()["grades"][0]
    url = f"/grades/{grade['id']}"
    r = teacher.patch(url, json={"value": "3"})
    assert r.status_code == 422
    assert r.json()["fields"]["reason"] == ["Podaj przyczynę zmiany lub usunięcia oceny (co najmniej 3 znaki)."]
    r = teacher.patch(url, json={"value": "3", "reason": "  "})
    assert r.status_code == 422 and "reason" in r.json()["fields"]
    r = teacher.delete(url, json={})
    assert r.status_code == 422 and "reason" in r.json()["fields"]
    r = http("math").patch(url, json={"value": "3", "reason": "pomyłka"})
    assert r.status_code == 403 and r.json()["message"] == "Nie prowadzisz zajęć z tego przedmiotu w tej klasie."
    r = teacher.patch(url, json={"value": "3+", "reason": "pomyłka przy wpisie"})
    assert r.status_code == 200, r.text
    assert (r.json()["value"], r.json()["version"], r.json()["corrected"]) == ("3+", 2, True)
    # The parent sees the current value and that it was corrected; the history is not theirs.
    view = http("parent").get(f"/students/{school['s1']['id']}/grades").json()
    shown = next(g for g in subject_of(view, school, "historia")["grades"] if g["id"] == grade["id"])
    assert shown["value"] == "3+" and shown["corrected"] is True and view["family_view"] is True
    for who in ("parent", "hist", "wych", "s1"):
        assert http(who).get(f"{url}/history").status_code == 403, who
    r = teacher.delete(url, json={"reason": "ocena wpisana niewłaściwemu uczniowi"})
    assert r.status_code == 200 and r.json()["deleted"] is True, r.text
    history = http("director").get(f"{url}/history")
    assert history.status_code == 200, history.text
    assert [(v["action"], v["value"], v["reason"], v["author_id"]) for v in history.json()["versions"]] == [
        ("created", "2", None, school["hist"]["id"]),
        ("corrected", "3+", "pomyłka przy wpisie", school["hist"]["id"]),
        ("deleted", "3+", "ocena wpisana niewłaściwemu uczniowi", school["hist"]["id"])]
    assert history.json()["grade"]["delete_reason"] == "ocena wpisana niewłaściwemu uczniowi"
    view = http("parent").get(f"/students/{school['s1']['id']}/grades").json()
    assert grade["id"] not in [g["id"] for s in view["subjects"] for g in s["grades"]]


# ------------------------------------------------------------------ GRD-3, GRD-4: finals, acceptance, at risk

def test_grd3_grd4_final_grade_visible_to_the_parent_only_after_acceptance(http, school):
    math = school["subj"]["matematyka"]["id"]
    url = f"/students/{school['s2']['id']}/subjects/{math}/final-grades"
    r = http("math").put(url, json={"kind": "predicted_annual", "value": "1"})
    assert r.status_code == 200, r.text
    final = r.json()
    assert final["accepted"] is False and final["class_id"] == school["a6"]["id"]
    # A final grade of a student of another class by this teacher is refused; a bad value is a 422.
    r = http("math").put(f"/students/{school['s4']['id']}/subjects/{math}/final-grades",
                         json={"kind": "predicted_annual", "value": "2"})
    assert r.status_code == 403
    r = http("math").put(url, json={"kind": "annual", "value": "4+"})
    assert r.status_code == 422 and "value" in r.json()["fields"]
    # The class teacher sees the at-risk list with the deadline, and prints the notices.
    risk = http("wych").get(f"/classes/{school['a6']['id']}/at-risk")
    assert risk.status_code == 200, risk.text
    flags = [f for s in risk.json()["students"] for f in s["flags"]]
    assert [(f["student_id"], f["reason"], f["value"]) for f in flags] == [(school["s2"]["id"], "niedostateczna", "1")]
    assert set(risk.json()["deadlines"]) == {"midyear", "annual"}
    assert http("math").get(f"/classes/{school['a6']['id']}/at-risk").status_code == 403   # not the class teacher
    pdf = http("wych").get(f"/classes/{school['a6']['id']}/at-risk/notices.pdf", params={"period": "annual"})
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "zawiadomienia-o-zagrożeniach-roczne-klasa-6a" in unquote(pdf.headers["Content-Disposition"])
    # GRD-3: the student and the parent do not see the unaccepted prediction; after acceptance they do.
    r = http("s2").get(f"/students/{school['s2']['id']}/grades")
    assert r.status_code == 200
    subject = subject_of(r.json(), school, "matematyka")
    assert subject is None or subject["finals"]["predicted_annual"] is None
    assert http("hist").post(f"/final-grades/{final['id']}/acceptance").status_code == 403
    r = http("math").post(f"/final-grades/{final['id']}/acceptance")
    assert r.status_code == 200 and r.json()["accepted"] is True and r.json()["accepted_by"] == school["math"]["id"]
    shown = subject_of(http("s2").get(f"/students/{school['s2']['id']}/grades").json(), school, "matematyka")
    assert shown["finals"]["predicted_annual"]["value"] == "1"
    # Behaviour: the class teacher's; another teacher is refused.
    body = {"kind": "predicted_annual", "value": "naganne"}
    r = http("math").put(f"/students/{school['s2']['id']}/behaviour", json=body)
    assert r.status_code == 403 and r.json()["message"] == "Ocenę zachowania wystawia wychowawca klasy."
    r = http("wych").put(f"/students/{school['s2']['id']}/behaviour", json=body)
    assert r.status_code == 200 and r.json()["behaviour"] is True, r.text
    finals = http("wych").get(f"/classes/{school['a6']['id']}/final-grades").json()
    mine = next(s for s in finals["students"] if s["student_id"] == school["s2"]["id"])
    assert {(f["kind"], f["value"], f["behaviour"]) for f in mine["finals"]} >= \
        {("predicted_annual", "1", False), ("predicted_annual", "naganne", True)}
    history = http("director").get(f"/final-grades/{final['id']}/history").json()
    assert [v["action"] for v in history["versions"]] == ["set", "accepted"]
    sheet = http("wych").get(f"/classes/{school['a6']['id']}/grade-sheet.pdf")
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")


def test_grd2_grd3_a_column_of_final_grades_in_one_request(http, school):
    """The class's annual grades of a subject typed down one grid and saved at once; a wrong
    entry is named by its index and nothing is stored; ``accept`` shows them to the family."""
    math, year = school["subj"]["fizyka"]["id"], "2018/2019"
    url = f"/classes/{school['a6']['id']}/final-grades"
    body = {"kind": "annual", "subject_id": math, "school_year": year,
            "grades": [{"student_id": school["s1"]["id"], "value": "5"}, {"student_id": school["s2"]["id"], "value": "3+"},
                       {"student_id": school["s4"]["id"], "value": "3"}]}
    r = http("math").put(url, json=body)
    assert r.status_code == 422, r.text
    bad = r.json()["fields"]["grades"]
    assert set(bad) == {"1", "2"} and "value" in bad["1"] and bad["2"]["student_id"] == ["Uczeń nie należy do tej klasy."]
    body["grades"] = body["grades"][:1] + [{"student_id": school["s2"]["id"], "value": "dostateczny"}]
    body["accept"] = True
    r = http("math").put(url, json=body)
    assert r.status_code == 200, r.text
    assert [(g["value"], g["accepted"]) for g in r.json()["grades"]] == [("5", True), ("3", True)]
    shown = subject_of(http("parent").get(f"/students/{school['s1']['id']}/grades",
                                          params={"school_year": year}).json(), school, "fizyka")
    assert shown["finals"]["annual"]["value"] == "5"
    assert http("hist").put(url, json=body).status_code == 403


# ------------------------------------------------------------------ GRD-8: averages computed by hand

def test_grd8_averages_equal_hand_computed_values(http, school):
    """The README's example: sprawdzian 5 (w3), kartkówka 4+ (w2), 3- with its own weight 1,
    "np", and an aktywność 6 in a category that does not count; + = 0.5, - = 0.25:
    (15 + 9 + 2.75) / (3 + 2 + 1) = 4.4583 → 4.46."""
    wf = "wychowanie fizyczne"
    teacher = http("wych")      # the class teacher teaches PE in 6a
    for category, value, extra in (("sprawdzian", "5", {}), ("kartkówka", "4+", {}), ("kartkówka", "3-", {"weight": 1}),
                                   ("kartkówka", "np", {}), ("aktywność", "6", {})):
        r = teacher.post(columns_url(school, subject=wf), json=column_body(school, [("s3", value)], category, **extra))
        assert r.status_code == 201, r.text
    view = http("wych").get(f"/students/{school['s3']['id']}/grades").json()
    pe = subject_of(view, school, wf)
    assert pe["average_year"] == 4.46 and pe["average"] == 4.46
    assert sorted(g["value"] for g in pe["grades"]) == ["3-", "4+", "5", "6", "np"]
    assert {g["value"]: g["effective_counts"] for g in pe["grades"]} == \
        {"5": True, "4+": True, "3-": True, "np": False, "6": False}
    book = gradebook(http("wych"), school, subject=wf)
    assert row_of(book, school["s3"])["average_year"] == 4.46
    # The school changes + to 0.33 (GRD-1): (15 + 2 × 4.33 + 2.75) / 6 = 26.41 / 6 = 4.4017 → 4.40.
    sid = school["school"]["id"]
    assert http("admin").get(f"/schools/{sid}/grade-settings").json()["plus_value"] == 0.5
    r = http("admin").patch(f"/schools/{sid}/grade-settings", json={"plus_value": 0.33})
    assert r.status_code == 200 and r.json()["plus_value"] == 0.33, r.text
    try:
        pe = subject_of(http("wych").get(f"/students/{school['s3']['id']}/grades").json(), school, wf)
        assert pe["average_year"] == 4.40
    finally:
        assert http("admin").patch(f"/schools/{sid}/grade-settings", json={"plus_value": 0.5}).status_code == 200
    # A category's new weight applies to grades without their own: kartkówka 2 → 4:
    # (15 + 4.5 × 4 + 2.75) / (3 + 4 + 1) = 35.75 / 8 = 4.46875 → 4.47.
    cat = school["cats"]["kartkówka"]["id"]
    assert http("wych").patch(f"/grade-categories/{cat}", json={"weight": 4}).status_code == 403
    r = http("director").patch(f"/grade-categories/{cat}", json={"weight": 4})
    assert r.status_code == 200 and r.json()["weight"] == 4, r.text
    try:
        pe = subject_of(http("s3").get(f"/students/{school['s3']['id']}/grades").json(), school, wf)
        assert pe["average_year"] == 4.47
    finally:
        assert http("director").patch(f"/grade-categories/{cat}", json={"weight": 2}).status_code == 200
    # Statistics of the class for the classification council: the class teacher and the director.
    stats = http("wych").get(f"/classes/{school['a6']['id']}/statistics")
    assert stats.status_code == 200, stats.text
    pe_stats = next(s for s in stats.json()["subjects"] if s["subject_id"] == school["subj"][wf]["id"])
    # Whole grades 5, 4, 3, 6 and one symbol; the arithmetic mean of 5, 4.5, 2.75, 6 = 18.25 / 4 = 4.5625 → 4.56.
    assert (pe_stats["count"], pe_stats["symbols"], pe_stats["distribution"]) == \
        (5, 1, {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1, "6": 1})
    assert pe_stats["mean"] == 4.56 and pe_stats["students_average"] == 4.46
    assert http("math").get(f"/classes/{school['a6']['id']}/statistics").status_code == 403
    school_stats = http("director").get(f"/schools/{sid}/grade-statistics")
    assert school_stats.status_code == 200 and school_stats.json()["overall"]["count"] >= 5
    assert http("wych").get(f"/schools/{sid}/grade-statistics").status_code == 403
    # Categories and the scale are readable by everyone of the school, changed by managers only.
    names = [c["name"] for c in http("s1").get(f"/schools/{sid}/grade-categories").json()]
    assert names == sorted(names) and "sprawdzian" in names
    r = http("admin").post(f"/schools/{sid}/grade-categories", json={"name": "sprawdzian", "weight": 1})
    assert r.status_code == 409 and r.json()["fields"]["name"]
