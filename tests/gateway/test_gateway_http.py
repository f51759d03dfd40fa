"""The gateway over HTTP (Flask's test client), without services or broker.

A fake RPC pool (a fake, not a mock: it answers like identity for a few tokens and records every
call) stands in for the services, so authentication, CSRF, permission checks, the error
envelope and the OpenAPI document are tested in milliseconds."""
import json
import time

import pytest

from gateway.app import create_app
from services.common.errors import Conflict, Invalid, NotFound, Unauthenticated, Unavailable

SCHOOL_A, SCHOOL_B = "school-a", "school-b"

USERS = {
    "t-assoc": {"id": "u-assoc", "school_id": None, "roles": ["association_admin"], "children": []},
    "t-admin": {"id": "u-admin", "school_id": SCHOOL_A, "roles": ["school_admin"], "children": []},
    "t-secretary": {"id": "u-sec", "school_id": SCHOOL_A, "roles": ["secretary"], "children": []},
    "t-teacher": {"id": "u-teacher", "school_id": SCHOOL_A, "roles": ["teacher"], "children": []},
    "t-parent": {"id": "u-parent", "school_id": SCHOOL_A, "roles": ["parent"], "children": ["u-kid"]},
    "t-student": {"id": "u-kid", "school_id": SCHOOL_A, "roles": ["student"], "children": []},
    "t-inspector": {"id": "u-insp", "school_id": SCHOOL_A, "roles": ["inspector"], "children": []},
}
for token, user in USERS.items():
    user.update(login=token[2:], first_name="Jan", last_name="Kowalski", email=None, blocked=False,
                blocked_reason=None, expires_on=None, created_at="2025-09-01T08:00:00+00:00")


class FakePool:
    """Answers identity's session RPCs for the tokens in USERS; everything else returns
    ``self.answers.get((service, method))`` or an echo of the call."""

    def __init__(self):
        self.calls = []
        self.answers = {}

    def invoke(self, service, method, args=(), kwargs=None, *, ctx=None, timeout=None, wait=None):
        self.calls.append({"service": service, "method": method, "args": list(args),
                           "kwargs": dict(kwargs or {}), "ctx": dict(ctx or {})})
        if (service, method) == ("identity", "resolve_session"):
            user = USERS.get(args[0])
            if user is None:
                raise Unauthenticated("Sesja wygasła lub została zakończona. Zaloguj się ponownie.")
            return {"session_id": "s-" + args[0], "user": dict(user)}
        if (service, method) == ("identity", "login"):
            token = "t-" + args[0]["login"]
            if token not in USERS or args[0]["password"] != "dobre-haslo-123":
                raise Unauthenticated("Nieprawidłowy login lub hasło.")
            return {"token": token, "session_id": "s-" + token, "user": dict(USERS[token])}
        answer = self.answers.get((service, method))
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(*args, **(kwargs or {}))
        return answer if answer is not None else {}

    def last(self, method):
        return [c for c in self.calls if c["method"] == method][-1]

    def stats(self):
        return {}


@pytest.fixture()
def app():
    app = create_app({"TESTING": True, "AMQP_URI": "amqp://guest:guest@127.0.0.1:1/",
                      "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": True})
    app.extensions["dziennik_rpc"] = FakePool()
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def pool(app):
    return app.extensions["dziennik_rpc"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status, code=None):
    assert response.status_code == status, response.data
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) >= {"error", "message", "fields"}
    assert "Traceback" not in response.get_data(as_text=True)
    if code:
        assert body["error"] == code
    return body


# ------------------------------------------------------------------ app, health, docs

def test_app_factory_creates_an_app():
    app = create_app({"TESTING": True})
    assert app.name == "gateway.app"
    assert "dziennik_rpc" in app.extensions


def test_health_live_is_ok_without_rabbitmq(client, pool):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert pool.calls == []


EXPECTED_ROUTES = {
    ("post", "/api/v1/auth/login"), ("get", "/api/v1/auth/csrf"), ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/logout-all"), ("get", "/api/v1/me"),
    ("post", "/api/v1/schools"), ("get", "/api/v1/schools"), ("get", "/api/v1/schools/{school_id}"),
    ("post", "/api/v1/schools/{school_id}/accounts"), ("get", "/api/v1/schools/{school_id}/accounts"),
    ("get", "/api/v1/accounts/{account_id}"), ("post", "/api/v1/accounts/{account_id}/block"),
    ("post", "/api/v1/accounts/{account_id}/unblock"),
    ("get", "/api/v1/schools/{school_id}/blocked-accounts"),
    ("post", "/api/v1/schools/{school_id}/guardianships"), ("get", "/api/v1/accounts/{account_id}/children"),
    ("post", "/api/v1/schools/{school_id}/classes"), ("get", "/api/v1/schools/{school_id}/classes"),
    ("get", "/api/v1/classes/{class_id}"), ("get", "/api/v1/classes/{class_id}/students"),
    ("post", "/api/v1/classes/{class_id}/students"),
    ("post", "/api/v1/classes/{class_id}/students/{student_id}/removal"),
    ("get", "/api/v1/students/{student_id}/file"),
    ("post", "/api/v1/messages"), ("get", "/api/v1/messages/inbox"), ("get", "/api/v1/messages/{message_id}"),
    ("get", "/api/v1/messages/{message_id}/receipts"),
}


def test_openapi_document_lists_every_route(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.get_data(as_text=True))
    assert spec["openapi"] == "3.0.3"
    assert spec["info"]["title"] == "Dziennik elektroniczny API"
    listed = {(method, path) for path, item in spec["paths"].items() for method in item
              if method in ("get", "post", "put", "patch", "delete")}
    assert EXPECTED_ROUTES <= listed, EXPECTED_ROUTES - listed
    # Bodies come from marshmallow schemas; login needs no session, the rest do.
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/LoginIn")
    assert login["security"] == []
    assert {"bearerAuth", "cookieAuth"} <= set(spec["components"]["securitySchemes"])
    assert spec["paths"]["/api/v1/schools"]["post"]["x-required-roles"] == ["association_admin"]
    error_schema = spec["components"]["schemas"]["Error"]
    assert set(error_schema["properties"]) == {"error", "message", "fields", "request_id"}


def test_docs_page_is_self_contained_html(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert response.content_type.startswith("text/html")
    assert '<html lang="pl">' in html
    assert "/api/v1/classes/{class_id}/students/{student_id}/removal" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html


def test_health_with_a_closed_broker_port_is_503_quickly_and_lists_every_service():
    app = create_app({"TESTING": True, "AMQP_URI": "amqp://guest:guest@127.0.0.1:1/"})
    started = time.monotonic()
    response = app.test_client().get("/health")
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "degraded" and body["gateway"]["ok"] is True
    assert set(body["services"]) == {"identity", "scheduling", "grades", "attendance", "messaging", "archive"}
    for name, entry in body["services"].items():
        assert entry["reachable"] is False and entry["ok"] is False, name
        assert entry["round_trip_ms"] is None and entry["error"]


# ------------------------------------------------------------------ errors

def test_unknown_api_path_is_json_404_in_polish(client):
    body = assert_error(client.get("/api/v1/nie-ma-takiego"), 404, "not_found")
    assert "Nie ma takiego adresu" in body["message"]
    assert_error(client.get("/api/whatever/else"), 404, "not_found")


def test_wrong_method_is_json_405_with_allow_header(client):
    response = client.delete("/api/v1/me")
    body = assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    assert "Dozwolone metody" in body["message"]


@pytest.mark.parametrize("payload", ["{bad json", "[1, 2", "\xff\xfe", '{"login": "x", "password": '])
def test_malformed_json_is_a_json_4xx_never_500(client, payload):
    response = client.post("/api/v1/auth/login", data=payload.encode("latin-1"),
                           content_type="application/json")
    body = assert_error(response, 400, "bad_request")
    assert body["message"] == "Niepoprawny format JSON w treści żądania."


def test_malformed_json_on_an_authenticated_route(client):
    response = client.post("/api/v1/schools", data=b"{nope", content_type="application/json",
                           headers=bearer("t-assoc"))
    assert_error(response, 400, "bad_request")


def test_validation_errors_are_422_with_polish_field_messages(client):
    response = client.post("/api/v1/auth/login", json={"login": 12, "extra": True})
    body = assert_error(response, 422, "invalid")
    assert body["fields"]["login"] == ["Oczekiwano tekstu."]
    assert body["fields"]["password"] == ["To pole jest wymagane."]
    assert body["fields"]["extra"] == ["Nieznane pole."]


def test_validation_of_nested_and_schema_level_rules(client):
    response = client.post("/api/v1/messages", headers=bearer("t-teacher"),
                           json={"kind": "note", "subject": "", "body": "x", "recipient_ids": [1]})
    body = assert_error(response, 422, "invalid")
    assert body["fields"] == {"subject": ["Długość musi wynosić od 1 do 200."],
                              "recipient_ids": {"0": ["Oczekiwano tekstu."]}}
    response = client.post("/api/v1/messages", headers=bearer("t-teacher"),
                           json={"kind": "note", "subject": "a", "body": "b"})
    assert assert_error(response, 422)["fields"] == {"student_id": ["Uwaga musi dotyczyć ucznia."]}
    response = client.get("/api/v1/messages/inbox?limit=500", headers=bearer("t-teacher"))
    assert assert_error(response, 422)["fields"] == {"limit": ["Wartość musi być ≥ 1 i ≤ 200."]}


def test_non_json_body_is_415(client):
    response = client.post("/api/v1/auth/login", data="login=a&password=b",
                           content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


def test_too_large_body_is_413(client):
    response = client.post("/api/v1/auth/login", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                           content_type="application/json")
    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize("exc, status, code", [
    (NotFound("Nie znaleziono klasy."), 404, "not_found"),
    (Invalid("Niepoprawne dane.", {"name": ["Zajęta."]}), 422, "invalid"),
    (Conflict("Klasa o tej nazwie już istnieje."), 409, "conflict"),
    (Unavailable("Usługa scheduling nie odpowiada."), 503, "unavailable"),
])
def test_typed_service_errors_map_to_http_statuses(client, pool, exc, status, code):
    pool.answers[("scheduling", "get_class")] = exc
    body = assert_error(client.get("/api/v1/classes/c1", headers=bearer("t-teacher")), status, code)
    assert body["message"] == exc.message
    assert body["fields"] == exc.fields


def test_a_gateway_bug_is_a_generic_500_without_traceback(client, pool):
    pool.answers[("scheduling", "get_class")] = lambda class_id: 1 / 0   # not a typed error
    body = assert_error(client.get("/api/v1/classes/c1", headers=bearer("t-teacher")), 500, "internal")
    assert "ZeroDivision" not in json.dumps(body)


# ------------------------------------------------------------------ authentication

ROUTES_NEEDING_LOGIN = [
    ("get", "/api/v1/me"), ("get", "/api/v1/auth/csrf"), ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/logout-all"), ("get", "/api/v1/schools"), ("post", "/api/v1/schools"),
    ("get", "/api/v1/schools/s1"), ("get", "/api/v1/schools/s1/accounts"),
    ("post", "/api/v1/schools/s1/accounts"), ("get", "/api/v1/accounts/a1"),
    ("post", "/api/v1/accounts/a1/block"), ("post", "/api/v1/accounts/a1/unblock"),
    ("get", "/api/v1/schools/s1/blocked-accounts"), ("post", "/api/v1/schools/s1/guardianships"),
    ("get", "/api/v1/accounts/a1/children"), ("post", "/api/v1/schools/s1/classes"),
    ("get", "/api/v1/schools/s1/classes"), ("get", "/api/v1/classes/c1"),
    ("get", "/api/v1/classes/c1/students"), ("post", "/api/v1/classes/c1/students"),
    ("post", "/api/v1/classes/c1/students/u1/removal"), ("get", "/api/v1/students/u1/file"),
    ("post", "/api/v1/messages"), ("get", "/api/v1/messages/inbox"), ("get", "/api/v1/messages/m1"),
    ("get", "/api/v1/messages/m1/receipts"),
]


@pytest.mark.parametrize("method, path", ROUTES_NEEDING_LOGIN)
def test_unauthenticated_access_is_401_json(client, pool, method, path):
    response = getattr(client, method)(path, json={} if method == "post" else None)
    body = assert_error(response, 401, "unauthenticated")
    assert "zaloguj" in body["message"].lower()
    assert pool.calls == []   # refused before any RPC


def test_unknown_token_is_401_and_a_stale_cookie_is_dropped(client):
    assert_error(client.get("/api/v1/me", headers=bearer("t-nobody")), 401, "unauthenticated")
    client.set_cookie("dz_session", "t-nobody")
    response = client.get("/api/v1/me")
    assert_error(response, 401, "unauthenticated")
    assert "dz_session=;" in response.headers.get("Set-Cookie", "")


def test_malformed_authorization_header_is_401(client):
    assert_error(client.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401)


def test_login_returns_token_and_sets_a_safe_cookie(client, pool):
    response = client.post("/api/v1/auth/login", json={"login": "teacher", "password": "dobre-haslo-123"},
                           headers={"User-Agent": "pytest-agent", "X-Request-ID": "req-login-1"})
    assert response.status_code == 200, response.data
    body = response.get_json()
    assert body["token"] == "t-teacher"
    assert body["user"]["roles"] == ["teacher"] and body["csrf_token"]
    assert "password" not in json.dumps(body)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("dz_session=t-teacher")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    call = pool.last("login")
    assert call["args"][0]["user_agent"] == "pytest-agent"
    assert call["args"][0]["ip"] == "127.0.0.1"
    assert call["ctx"] == {"request_id": "req-login-1", "ip": "127.0.0.1"}
    assert response.headers["X-Request-ID"] == "req-login-1"


@pytest.mark.parametrize("trusted, expected", [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_client_address_behind_a_trusted_proxy_only(trusted, expected):
    app = create_app({"TESTING": True, "TRUSTED_PROXIES": trusted})
    app.extensions["dziennik_rpc"] = pool = FakePool()
    app.test_client().post("/api/v1/auth/login", json={"login": "teacher", "password": "dobre-haslo-123"},
                           headers={"X-Forwarded-For": "203.0.113.7"})
    assert pool.last("login")["args"][0]["ip"] == expected
    assert pool.last("login")["ctx"]["ip"] == expected


def test_cookie_is_not_secure_when_configured_off():
    app = create_app({"TESTING": True, "SESSION_COOKIE_SECURE": False})
    app.extensions["dziennik_rpc"] = FakePool()
    response = app.test_client().post("/api/v1/auth/login",
                                      json={"login": "teacher", "password": "dobre-haslo-123"})
    assert "Secure" not in response.headers["Set-Cookie"]


def test_bad_password_is_401_with_the_service_message(client):
    body = assert_error(client.post("/api/v1/auth/login", json={"login": "teacher", "password": "zle"}), 401)
    assert body["message"] == "Nieprawidłowy login lub hasło."


def test_me_and_the_context_sent_to_services(client, pool):
    response = client.get("/api/v1/me", headers=bearer("t-parent"))
    assert response.status_code == 200
    assert response.get_json()["children"] == ["u-kid"]
    client.get("/api/v1/messages/inbox?limit=5", headers={**bearer("t-parent"), "X-Request-ID": "abc-123"})
    call = pool.last("inbox")
    assert call["kwargs"] == {"limit": 5}
    assert call["ctx"] == {"user_id": "u-parent", "school_id": SCHOOL_A, "roles": ["parent"],
                           "children": ["u-kid"], "request_id": "abc-123", "ip": "127.0.0.1"}


def test_request_id_is_generated_when_missing_or_insane(client):
    r1 = client.get("/health/live")
    r2 = client.get("/health/live", headers={"X-Request-ID": "bad id <script>" + "x" * 200})
    assert len(r1.headers["X-Request-ID"]) == 32
    assert len(r2.headers["X-Request-ID"]) == 32


# ------------------------------------------------------------------ CSRF

def login_with_cookie(client):
    response = client.post("/api/v1/auth/login", json={"login": "admin", "password": "dobre-haslo-123"})
    assert response.status_code == 200
    return response.get_json()


def test_cookie_requests_need_a_csrf_token_for_unsafe_methods(client, pool):
    login_with_cookie(client)
    assert client.get("/api/v1/me").status_code == 200            # safe: no token needed
    body = assert_error(client.post("/api/v1/accounts/a1/unblock"), 403, "csrf_failed")
    assert "X-CSRF-Token" in body["message"]
    assert_error(client.post("/api/v1/accounts/a1/unblock", headers={"X-CSRF-Token": "forged"}), 403,
                 "csrf_failed")
    token = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    response = client.post("/api/v1/accounts/a1/unblock", headers={"X-CSRF-Token": token})
    assert response.status_code == 200, response.data
    assert pool.last("unblock_account")["args"] == ["a1"]


def test_csrf_token_is_bound_to_the_session(app, client):
    login_with_cookie(client)
    other = app.test_client()
    other.post("/api/v1/auth/login", json={"login": "secretary", "password": "dobre-haslo-123"})
    foreign = other.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    assert_error(client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": foreign}), 403, "csrf_failed")


def test_bearer_requests_need_no_csrf_token(client, pool):
    client.set_cookie("dz_session", "t-admin")   # a cookie too: the bearer header wins
    response = client.post("/api/v1/accounts/a1/unblock", headers=bearer("t-admin"))
    assert response.status_code == 200


def test_logout_ends_the_session_and_clears_the_cookie(client, pool):
    data = login_with_cookie(client)
    response = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": data["csrf_token"]})
    assert response.status_code == 200
    assert pool.last("logout")["args"] == ["t-admin"]
    assert "dz_session=;" in response.headers["Set-Cookie"]


def test_logout_all(client, pool):
    pool.answers[("identity", "logout_all")] = {"ended": 3}
    response = client.post("/api/v1/auth/logout-all", headers=bearer("t-admin"))
    assert response.get_json() == {"ended": 3}


# ------------------------------------------------------------------ permissions (table-driven)

PERMISSIONS = [
    # (token, method, path, body, allowed)
    ("t-admin", "post", "/api/v1/schools", {"name": "Szkoła B", "short_name": "sb"}, False),
    ("t-assoc", "post", "/api/v1/schools", {"name": "Szkoła B", "short_name": "sb"}, True),
    ("t-teacher", "post", f"/api/v1/schools/{SCHOOL_A}/accounts",
     {"first_name": "A", "last_name": "B", "roles": ["student"]}, False),
    ("t-secretary", "post", f"/api/v1/schools/{SCHOOL_A}/accounts",
     {"first_name": "A", "last_name": "B", "roles": ["student"]}, True),
    ("t-secretary", "post", f"/api/v1/schools/{SCHOOL_A}/accounts",
     {"first_name": "A", "last_name": "B", "roles": ["teacher"]}, False),
    ("t-admin", "post", f"/api/v1/schools/{SCHOOL_A}/accounts",
     {"first_name": "A", "last_name": "B", "roles": ["teacher"]}, True),
    ("t-parent", "get", f"/api/v1/schools/{SCHOOL_A}/accounts", None, False),
    ("t-teacher", "get", f"/api/v1/schools/{SCHOOL_A}/accounts", None, True),
    ("t-teacher", "post", "/api/v1/accounts/a1/block", {"reason": "test blokady"}, False),
    ("t-admin", "post", "/api/v1/accounts/a1/block", {"reason": "test blokady"}, True),
    ("t-secretary", "get", f"/api/v1/schools/{SCHOOL_A}/blocked-accounts", None, False),
    ("t-admin", "get", f"/api/v1/schools/{SCHOOL_A}/blocked-accounts", None, True),
    ("t-teacher", "post", f"/api/v1/schools/{SCHOOL_A}/guardianships",
     {"parent_id": "p", "student_id": "s"}, False),
    ("t-secretary", "post", f"/api/v1/schools/{SCHOOL_A}/guardianships",
     {"parent_id": "p", "student_id": "s"}, True),
    ("t-secretary", "post", f"/api/v1/schools/{SCHOOL_A}/classes", {"name": "1a"}, False),
    ("t-admin", "post", f"/api/v1/schools/{SCHOOL_A}/classes", {"name": "1a"}, True),
    ("t-student", "get", "/api/v1/classes/c1/students", None, False),
    ("t-inspector", "get", "/api/v1/classes/c1/students", None, True),
    ("t-teacher", "post", "/api/v1/classes/c1/students", {"student_id": "s"}, False),
    ("t-secretary", "post", "/api/v1/classes/c1/students", {"student_id": "s"}, True),
    ("t-teacher", "post", "/api/v1/classes/c1/students/s/removal", {"reason": "przeprowadzka"}, False),
    ("t-secretary", "post", "/api/v1/classes/c1/students/s/removal", {"reason": "przeprowadzka"}, True),
    # A student passes the gateway: messaging decides (the school may allow students to write).
    ("t-student", "post", "/api/v1/messages", {"subject": "a", "body": "b", "recipient_ids": ["x"]}, True),
    ("t-student", "post", "/api/v1/messages",
     {"kind": "note", "subject": "a", "body": "b", "student_id": "s", "note_kind": "negative"}, False),
    ("t-inspector", "post", "/api/v1/messages", {"subject": "a", "body": "b", "recipient_ids": ["x"]}, False),
    ("t-parent", "post", "/api/v1/messages", {"subject": "a", "body": "b", "recipient_ids": ["x"]}, True),
    ("t-parent", "post", "/api/v1/messages",
     {"kind": "note", "subject": "a", "body": "b", "student_id": "s", "note_kind": "negative"}, False),
    ("t-teacher", "post", "/api/v1/messages",
     {"kind": "note", "subject": "a", "body": "b", "student_id": "s", "note_kind": "negative"}, True),
]


@pytest.mark.parametrize("token, method, path, body, allowed", PERMISSIONS)
def test_acc3_permission_matrix_in_the_gateway(client, pool, token, method, path, body, allowed):
    response = getattr(client, method)(path, json=body, headers=bearer(token))
    if allowed:
        assert response.status_code in (200, 201), response.data
    else:
        assert_error(response, 403, "forbidden")
        # Refused before the domain service; only the refusal's audit entry goes to identity.
        assert [c["method"] for c in pool.calls] == ["resolve_session", "record_refusal"]


def test_forbidden_is_decided_before_the_body_is_validated(client):
    assert_error(client.post("/api/v1/schools", json={"bogus": 1}, headers=bearer("t-teacher")), 403)


@pytest.mark.parametrize("path", [
    f"/api/v1/schools/{SCHOOL_B}", f"/api/v1/schools/{SCHOOL_B}/accounts",
    f"/api/v1/schools/{SCHOOL_B}/classes", f"/api/v1/schools/{SCHOOL_B}/blocked-accounts",
])
def test_ten1_another_schools_paths_look_nonexistent(client, pool, path):
    assert_error(client.get(path, headers=bearer("t-admin")), 404, "not_found")
    assert [c["method"] for c in pool.calls] == ["resolve_session", "record_refusal"]


def test_ten1_association_admin_works_across_schools(client, pool):
    assert client.get(f"/api/v1/schools/{SCHOOL_B}/classes", headers=bearer("t-assoc")).status_code == 200
    assert pool.last("list_classes")["args"] == [SCHOOL_B]


def test_law3_parent_sees_own_childs_file_only(client, pool):
    pool.answers[("identity", "get_student_file")] = {"student": USERS["t-student"], "notes": []}
    assert client.get("/api/v1/students/u-kid/file", headers=bearer("t-parent")).status_code == 200
    assert_error(client.get("/api/v1/students/u-other/file", headers=bearer("t-parent")), 404)
    assert_error(client.get("/api/v1/accounts/u-other/children", headers=bearer("t-parent")), 404)
    assert client.get("/api/v1/students/u-other/file", headers=bearer("t-teacher")).status_code == 200


# ------------------------------------------------------------------ routes map 1:1 to RPCs

def test_routes_pass_arguments_to_the_rpc_of_the_same_meaning(client, pool):
    h = bearer("t-admin")
    client.post(f"/api/v1/schools/{SCHOOL_A}/accounts", headers=h,
                json={"first_name": "Ola", "last_name": "Nowak", "roles": ["student"],
                      "expires_on": "2026-06-30"})
    assert pool.last("create_account")["args"] == [{
        "first_name": "Ola", "last_name": "Nowak", "roles": ["student"], "email": None,
        "expires_on": "2026-06-30", "school_id": SCHOOL_A}]
    client.get(f"/api/v1/schools/{SCHOOL_A}/accounts?role=teacher", headers=h)
    assert pool.last("list_accounts")["args"] == [SCHOOL_A]
    assert pool.last("list_accounts")["kwargs"] == {"role": "teacher"}
    client.post("/api/v1/classes/c1/students/s1/removal", headers=h, json={"reason": "zmiana szkoły"})
    assert pool.last("remove_from_class_list")["args"] == [
        "c1", "s1", {"reason": "zmiana szkoły", "removed_on": None}]
    client.get("/api/v1/classes/c1/students?include_ended=true", headers=h)
    assert pool.last("class_list")["kwargs"] == {"include_ended": True}
    client.post("/api/v1/classes/c1/students", headers=h,
                json={"student_id": "s1", "enrolled_on": "2025-09-01"})
    assert pool.last("enrol_student")["args"] == ["c1", {"student_id": "s1", "enrolled_on": "2025-09-01"}]
    client.get("/api/v1/messages/m1", headers=h)
    assert pool.last("read_message")["args"] == ["m1"]


def test_create_returns_201_and_the_response_schema_filters_fields(client, pool):
    pool.answers[("identity", "create_school")] = {"id": "s9", "name": "Szkoła", "short_name": "sz",
                                                   "city": None, "created_at": "2025-01-01T00:00:00+00:00",
                                                   "created_by": "u-assoc"}
    response = client.post("/api/v1/schools", json={"name": "Szkoła", "short_name": "sz"},
                           headers=bearer("t-assoc"))
    assert response.status_code == 201
    assert "created_by" not in response.get_json()
    assert response.headers["Cache-Control"] == "no-store"


def test_access_log_line_is_structured_json(caplog):
    import logging
    from gateway.logs import GatewayJsonFormatter
    app = create_app({"TESTING": True})
    app.extensions["dziennik_rpc"] = FakePool()
    with caplog.at_level(logging.INFO, logger="gateway.access"):
        app.test_client().get("/health/live", headers={"X-Request-ID": "log-1"})
    record = [r for r in caplog.records if r.name == "gateway.access"][-1]
    line = json.loads(GatewayJsonFormatter("gateway").format(record))
    assert line["service"] == "gateway" and line["status"] == 200 and line["path"] == "/health/live"
    assert line["method"] == "GET" and isinstance(line["duration_ms"], float)
