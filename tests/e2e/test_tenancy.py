"""Issue 3 through the gateway's HTTP API, on SQLite and PostgreSQL:

- TEN-1, the cross-school test: the OpenAPI document of the running gateway is walked, and every
  operation whose path has parameters is called by school A's administrator with school B's
  real ids (school, accounts, class, student, message). Each answers 404 (403 where the
  parameter is not an id, e.g. an operations queue), never 2xx or 500, and no answer carries
  school B's data. A route added later is covered automatically; a new kind of path parameter
  fails the test until an id of school B is given for it in ``school_b_ids``.
- ACC-3, the role × capability table: every school role against every capability that exists
  (manage accounts, grant, login statistics, block/unblock, edit student data, send a note,
  view a student file), allowed or refused exactly as the permission matrix of
  REQUIREMENTS.md says."""
import re
import uuid
from datetime import date, datetime, timezone

import pytest
import requests

from tests.harness import wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"
METHODS = ("get", "post", "put", "patch", "delete")
ROLES = ("school_admin", "deputy_admin", "director", "vice_director", "class_teacher", "teacher", "secretary",
         "parent", "student", "inspector")
ROLE_SETS = {"class_teacher": ["class_teacher", "teacher"]}   # a class teacher is a teacher too (demo data)


class Api:
    """A logged-in HTTP client of the gateway (bearer token)."""

    def __init__(self, base, token):
        self.base, self.s = base, requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, **kw):
        return self.s.request(method.upper(), self.base + path, timeout=20, **kw)

    def __getattr__(self, method):
        return lambda path, **kw: self.request(method, path, **kw)


def login(system, login_):
    r = requests.post(system.gateway_url + "/api/v1/auth/login", json={"login": login_, "password": PASSWORD},
                      timeout=20)
    assert r.status_code == 200, r.text
    return Api(system.gateway_url, r.json()["token"])


def ctx_of(a):
    return {"user_id": a["id"], "school_id": a["school_id"], "roles": a["roles"]}


def build_school(system, tag, letter, city):
    rpc = system.rpc
    school = rpc("identity", "create_school", {"name": f"Szkoła {letter} w mieście {city} {tag}",
                                               "short_name": f"{letter.lower()}{tag}", "city": city})

    def acc(key, roles, first, last):
        return rpc("identity", "create_account", {
            "school_id": school["id"], "first_name": first, "last_name": last, "roles": roles,
            "password": PASSWORD, "login": f"{letter.lower()}.{key.replace('_', '-')}.{tag}"})
    people = {role: acc(role, ROLE_SETS.get(role, [role]), f"Imię{letter}", f"{role.title().replace('_', '')}{letter}")
              for role in ROLES if role != "inspector"}
    people["inspector"] = rpc("identity", "create_account", {
        "school_id": school["id"], "first_name": f"Imię{letter}", "last_name": f"Kontrola{letter}",
        "roles": ["inspector"], "password": PASSWORD, "login": f"{letter.lower()}.kontrola.{tag}",
        "expires_on": date.today().replace(year=date.today().year + 1).isoformat()})
    people["other_student"] = acc("other_student", ["student"], f"Inny{letter}", f"UczeńDrugi{letter}")
    people["other_class_student"] = acc("other_class_student", ["student"], f"Obcy{letter}", f"UczeńTrzeci{letter}")
    admin = ctx_of(people["school_admin"])
    rpc("identity", "link_guardian", school["id"],
        {"parent_id": people["parent"]["id"], "student_id": people["student"]["id"]}, ctx=admin)
    klass = rpc("scheduling", "create_class", school["id"],
                {"name": "7b", "class_teacher_id": people["class_teacher"]["id"]}, ctx=admin)
    other_class = rpc("scheduling", "create_class", school["id"], {"name": "8c"}, ctx=admin)
    for key in ("student", "other_student"):
        rpc("scheduling", "enrol_student", klass["id"], {"student_id": people[key]["id"]}, ctx=admin)
    rpc("scheduling", "enrol_student", other_class["id"], {"student_id": people["other_class_student"]["id"]},
        ctx=admin)
    message = rpc("messaging", "send_message", {
        "kind": "note", "subject": f"Uwaga {letter}", "body": f"Treść uwagi w szkole {letter}.",
        "student_id": people["student"]["id"], "note_kind": "neutral"}, ctx=ctx_of(people["teacher"]))
    return {"school": school, "class": klass, "other_class": other_class, "message": message, **people}


@pytest.fixture(scope="module")
def world(system):
    tag = uuid.uuid4().hex[:6]
    a = build_school(system, tag, "A", "Toruń")
    b = build_school(system, tag, "B", "Olsztyn")
    from tests.e2e.test_grades_api import grade_records
    b["grades"] = grade_records(system, b)      # subject_id, category_id, grade_id, final_id (issue 5)
    from tests.e2e.test_messaging_api import messaging_records
    b["messaging"] = messaging_records(system, b)   # attachment_id, announcement_id, notice_id (issue 7)
    from tests.e2e.test_scheduling_api import scheduling_records
    b["scheduling"] = scheduling_records(system, b)   # year_id, term_id, lesson_id, trip_id, ... (issue 4)
    from tests.e2e.test_attendance_api import school_b_attendance
    b["attendance"] = school_b_attendance(system, b)   # entry_id, e_justification_id (issue 6)
    from tests.e2e.test_archive_api import archive_records
    b["archive"] = archive_records(system, b)   # archive_id, copy_id (issue 8)
    wait_for(lambda: system.rpc("identity", "get_student_file", b["student"]["id"])["notes"], timeout=30,
             what="school B's note filed")
    return {"a": a, "b": b}


@pytest.fixture(scope="module")
def clients(system, world):
    cache = {}

    def client(school, role):
        key = (school, role)
        if key not in cache:
            cache[key] = login(system, world[school][role]["login"])
        return cache[key]
    return client


# ------------------------------------------------------------------ TEN-1: the cross-school walk

def school_b_ids(b):
    """An id of a real school-B record for every path parameter that names one."""
    return {"school_id": b["school"]["id"], "account_id": b["teacher"]["id"], "class_id": b["class"]["id"],
            "student_id": b["student"]["id"], "message_id": b["message"]["id"], "parent_id": b["parent"]["id"],
            **b.get("grades", {}), **b.get("messaging", {}), **b.get("scheduling", {}),
            **b.get("attendance", {}), **b.get("archive", {})}


# Path parameters that are not ids of a school's records: a route with only these is not
# id-based and is refused by role (403) instead.
NOT_IDS = {"kind": "students", "role": "teacher", "queue": "identity", "file_name": "manifest.json"}
QUERY_SAMPLES = {"school_year": "2025/2026"}


def _resolve(spec, schema):
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def sample(spec, schema, name, ids):
    """A value that passes the request schema, with school-B ids in id fields."""
    schema = _resolve(spec, schema)
    if name in ids:
        return ids[name]
    if name in ("recipient_ids", "account_ids"):
        return [ids["parent_id"]]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        wanted = set(schema.get("required", [])) | {k for k in props if k in ids or k in ("recipient_ids",)}
        return {k: sample(spec, props[k], k, ids) for k in wanted if not props[k].get("readOnly")}
    if kind == "array":
        item = sample(spec, schema.get("items", {}), name, ids)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return date.today().isoformat()
    if schema.get("format") == "date-time":
        return datetime.now(timezone.utc).isoformat()
    if name == "school_year":
        return "2025/2026"
    return "Tekst próbny do testu".ljust(schema.get("minLength", 0), "x")


def operations(spec):
    for path, item in spec["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        if not params:
            continue
        for method in METHODS:
            if method in item:
                yield path, method, params, item[method]


def test_ten1_no_school_a_admin_reaches_school_b_through_any_route(system, world, clients):
    spec = requests.get(system.gateway_url + "/api/openapi.json", timeout=20).json()
    b = world["b"]
    ids = school_b_ids(b)
    admin_a = clients("a", "school_admin")
    secrets_of_b = {b["school"]["name"], b["school"]["short_name"], "Olsztyn", b["message"]["subject"]}
    for key in ROLES + ("other_student",):
        secrets_of_b |= {b[key]["login"], b[key]["last_name"]}
    checked, failures = [], []
    for path, method, params, op in operations(spec):
        unknown = [p for p in params if p not in ids and p not in NOT_IDS]
        assert not unknown, (f"{method.upper()} {path}: no school-B record for the path parameter(s) {unknown}; "
                             f"add one to school_b_ids() in {__file__}")
        url = path
        for p in params:
            url = url.replace("{" + p + "}", str(ids.get(p, NOT_IDS.get(p))))
        query = {q["name"]: QUERY_SAMPLES.get(q["name"], "x") for q in op.get("parameters", [])
                 if q.get("in") == "query" and q.get("required")}
        body = None
        content = (op.get("requestBody") or {}).get("content", {}).get("application/json")
        if content:
            body = sample(spec, content["schema"], "", ids)
        r = admin_a.request(method, url, params=query, json=body)
        id_based = any(p in ids for p in params)
        expected = (404,) if id_based else (403,)
        text = r.text
        leaked = sorted(s for s in secrets_of_b if s and s in text)
        checked.append(f"{method.upper()} {path}")
        if r.status_code not in expected or leaked:
            failures.append(f"{method.upper()} {url} body={body}: {r.status_code} {text[:300]} leaked={leaked}")
        if r.status_code not in (401, 403, 404):
            continue
        assert r.headers["Content-Type"].startswith("application/json"), (path, r.headers["Content-Type"])
        assert r.json()["message"], path
    assert not failures, "\n".join(failures)
    # The walk covered the routes of this issue (and whatever exists besides).
    for expected in ("POST /api/v1/accounts/{account_id}/roles", "GET /api/v1/schools/{school_id}/annexes/{kind}",
                     "PUT /api/v1/students/{student_id}/profile", "GET /api/v1/messages/{message_id}",
                     "GET /api/v1/students/{student_id}/data-report.pdf",
                     "POST /api/v1/schools/{school_id}/activation-codes"):
        assert expected in checked, expected


def test_ten1_school_b_records_are_untouched_and_a_sees_only_its_own(system, world, clients):
    b = world["b"]
    # Nothing above changed school B: its teacher is not blocked and has no new role; its
    # student's profile is still empty.
    teacher = system.rpc("identity", "get_account", b["teacher"]["id"])
    assert not teacher["blocked"] and teacher["roles"] == ["teacher"]
    assert system.rpc("identity", "get_student_file", b["student"]["id"])["profile"] is None
    admin_a = clients("a", "school_admin")
    schools = admin_a.get("/api/v1/schools").json()
    assert [s["id"] for s in schools] == [world["a"]["school"]["id"]]
    logins = {a["login"] for a in admin_a.get(f"/api/v1/schools/{world['a']['school']['id']}/accounts").json()}
    assert b["teacher"]["login"] not in logins and world["a"]["teacher"]["login"] in logins


# ------------------------------------------------------------------ ACC-3: the role × capability table

ADMINS = {"school_admin", "deputy_admin"}
DIRECTORS = {"director", "vice_director"}
TEACHERS = {"teacher", "class_teacher"}


def allowed(roles, refused=403):
    """Expected status per role: 2xx for ``roles``, ``refused`` (or a per-role override) otherwise."""
    overrides = refused if isinstance(refused, dict) else {}
    default = refused if isinstance(refused, int) else 403
    return {r: "ok" if r in roles else overrides.get(r, default) for r in ROLES}


# capability -> (what the matrix of chapter II says, expected outcome per role)
CAPABILITIES = {
    # "accounts list, grant permissions: admin"; account management of staff is the administrator's.
    "manage_accounts": allowed(ADMINS),
    "grant_permissions": allowed(ADMINS),
    # "login statistics: admin all, director all, class teacher own class, teacher students".
    "login_statistics": allowed(ADMINS | DIRECTORS | TEACHERS),
    # "manage ... blocked accounts: admin".
    "block_and_unblock": allowed(ADMINS),
    # "edit student data: admin, director, class teacher own class, secretary; teacher view all".
    "edit_student_data_own_class": allowed(ADMINS | DIRECTORS | {"secretary", "class_teacher"}),
    "edit_student_data_other_class": allowed(ADMINS | DIRECTORS | {"secretary"}),
    # Notes (UWAGA) are written by teachers, class teachers, directors and administrators (MSG-3).
    "send_note": allowed(ADMINS | DIRECTORS | TEACHERS),
    # The student file: the school's staff and the inspector; a parent the own child's, a
    # student the own (LAW-3); another family's child looks non-existent (404).
    "view_own_family_student_file": allowed(set(ROLES) - {"student"}, refused={"student": 404}),
    "view_other_student_file": allowed(ADMINS | DIRECTORS | TEACHERS | {"secretary", "inspector"}, refused=404),
}


def _fresh_account(system, world, roles, first="Ofiara"):
    a = world["a"]
    return system.rpc("identity", "create_account", {
        "school_id": a["school"]["id"], "first_name": first, "last_name": f"Testowa{uuid.uuid4().hex[:4]}",
        "roles": roles, "password": PASSWORD})


def attempt(capability, role, system, world, client):
    a = world["a"]
    sid = a["school"]["id"]
    if capability == "manage_accounts":
        return [client.post(f"/api/v1/schools/{sid}/accounts",
                            json={"first_name": "Nowa", "last_name": "Nauczycielka", "roles": ["teacher"]})]
    if capability == "grant_permissions":
        target = _fresh_account(system, world, ["teacher"])
        return [client.post(f"/api/v1/accounts/{target['id']}/roles", json={"role": "class_teacher"})]
    if capability == "login_statistics":
        query = {"class_id": a["class"]["id"]} if role == "class_teacher" else {}
        return [client.get(f"/api/v1/schools/{sid}/login-statistics", params=query)]
    if capability == "block_and_unblock":
        victim = _fresh_account(system, world, ["student"])
        first = client.post(f"/api/v1/accounts/{victim['id']}/block", json={"reason": "test uprawnień"})
        return [first, client.post(f"/api/v1/accounts/{victim['id']}/unblock")]
    if capability == "edit_student_data_own_class":
        return [client.put(f"/api/v1/students/{a['student']['id']}/profile",
                           json={"birth_place": "Toruń", "phone": "+48 600 100 200"})]
    if capability == "edit_student_data_other_class":
        return [client.put(f"/api/v1/students/{a['other_class_student']['id']}/profile",
                           json={"birth_place": "Bydgoszcz"})]
    if capability == "send_note":
        return [client.post("/api/v1/messages", json={
            "kind": "note", "subject": "Aktywność", "body": "Aktywny udział w lekcji.",
            "student_id": a["student"]["id"], "note_kind": "positive"})]
    if capability == "view_own_family_student_file":
        return [client.get(f"/api/v1/students/{a['student']['id']}/file")]
    if capability == "view_other_student_file":
        return [client.get(f"/api/v1/students/{a['other_student']['id']}/file")]
    raise AssertionError(capability)


# The student views the own file in "view_own_family_student_file" by being that student.
CASES = [(cap, role) for cap in CAPABILITIES for role in ROLES]


@pytest.mark.parametrize("capability, role", CASES, ids=[f"{c}-{r}" for c, r in CASES])
def test_acc3_role_by_capability(system, world, clients, capability, role):
    expected = CAPABILITIES[capability][role]
    if capability == "view_own_family_student_file" and role == "student":
        client = clients("a", "other_student")    # another student asking for this student's file
    else:
        client = clients("a", role)
    for response in attempt(capability, role, system, world, client):
        if expected == "ok":
            assert 200 <= response.status_code < 300, (capability, role, response.status_code, response.text)
        else:
            assert response.status_code == expected, (capability, role, response.status_code, response.text)
            body = response.json()
            assert body["message"] and "Traceback" not in response.text
            break   # a refused first step has no second


def test_acc3_student_sees_the_own_file(clients, world):
    r = clients("a", "student").get(f"/api/v1/students/{world['a']['student']['id']}/file")
    assert r.status_code == 200 and r.json()["student"]["id"] == world["a"]["student"]["id"]
