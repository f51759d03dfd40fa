"""The web base and identity's new API routes over HTTP (Flask's test client), without services:
the fake RPC pool of test_gateway_http answers like identity. Sessions, CSRF of forms, the
monitoring notice, error pages, the menu per role, PDF downloads. The real pages in a real
browser are tested in tests/browser."""
import base64
import re

import pytest

from gateway.app import create_app
from gateway.web.base import safe_next
from gateway.web.nav import nav_for
from services.common.errors import Forbidden, NotFound

from .test_gateway_http import SCHOOL_A, USERS, FakePool, bearer

PDF = b"%PDF-1.4 fake"


@pytest.fixture()
def app():
    app = create_app({"TESTING": True, "AMQP_URI": "amqp://guest:guest@127.0.0.1:1/",
                      "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False})
    app.extensions["dziennik_rpc"] = FakePool()
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def pool(app):
    return app.extensions["dziennik_rpc"]


def csrf_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, who="admin"):
    page = client.get("/logowanie").get_data(as_text=True)
    return client.post("/logowanie", data={"login": who, "password": "dobre-haslo-123",
                                           "csrf_token": csrf_of(page)})


# ------------------------------------------------------------------ the layout and login

def test_login_page_is_accessible_polish_html(client):
    r = client.get("/logowanie")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and r.content_type.startswith("text/html")
    assert '<html lang="pl">' in html and "<title>Logowanie – Dziennik elektroniczny</title>" in html
    assert 'href="#tresc"' in html and '<main id="tresc"' in html
    assert '<label for="f-login">' in html and '<label for="f-password">' in html
    assert 'autocomplete="current-password"' in html
    assert r.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert "<style" not in html and " style=" not in html


def test_login_form_needs_its_csrf_token(client, pool):
    r = client.post("/logowanie", data={"login": "admin", "password": "dobre-haslo-123"})
    assert r.status_code == 403
    assert "Formularz wygasł" in r.get_data(as_text=True)
    assert not [c for c in pool.calls if c["method"] == "login"]


def test_login_sets_the_session_cookie_and_redirects(client, pool):
    r = login(client)
    assert r.status_code == 302 and r.headers["Location"] == "/"
    cookie = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("dz_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert pool.last("login")["args"][0]["ip"] == "127.0.0.1"
    home = client.get("/")
    assert home.status_code == 200
    assert "Dzień dobry, Jan" in home.get_data(as_text=True)


def test_wrong_password_is_shown_in_the_form(client):
    page = client.get("/logowanie").get_data(as_text=True)
    r = client.post("/logowanie", data={"login": "admin", "password": "zle", "csrf_token": csrf_of(page)})
    html = r.get_data(as_text=True)
    assert r.status_code == 401
    assert "Nieprawidłowy login lub hasło." in html and 'role="alert"' in html
    assert 'value="admin"' in html


def test_empty_fields_get_polish_messages_linked_to_the_inputs(client):
    page = client.get("/logowanie").get_data(as_text=True)
    r = client.post("/logowanie", data={"login": "", "password": "", "csrf_token": csrf_of(page)})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'aria-describedby="f-login-error" aria-invalid="true"' in html
    assert '<p class="error-message" id="f-login-error"><span class="visually-hidden">Błąd: </span>To pole jest wymagane.</p>' in html
    assert '<a href="#f-password">Hasło: To pole jest wymagane.</a>' in html


@pytest.mark.parametrize("value, expected", [
    ("/konta?rola=teacher", "/konta?rola=teacher"), ("//evil.example/", None), ("https://evil.example/", None),
    ("konta", None), ("/\\evil", None), ("", None), (None, None)])
def test_next_is_a_local_path_only(value, expected):
    assert safe_next(value) == expected


def test_pages_need_a_session(client):
    r = client.get("/konta?rola=teacher")
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/logowanie?next=/konta")


def test_an_ended_session_goes_to_login_with_the_reason_and_drops_the_cookie(client):
    client.set_cookie("dz_session", "t-nobody")
    r = client.get("/konto")
    assert r.status_code == 302 and "dz_session=;" in " ".join(r.headers.getlist("Set-Cookie"))
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Sesja wygasła lub została zakończona" in page


def test_page_forms_need_the_csrf_token_of_the_session(client, pool):
    login(client)
    assert client.post("/wyloguj").status_code == 403
    other = client.application.test_client()
    login(other, "secretary")
    foreign = csrf_of(other.get("/konto").get_data(as_text=True))
    assert client.post("/wyloguj", data={"csrf_token": foreign}).status_code == 403
    mine = csrf_of(client.get("/konto").get_data(as_text=True))
    r = client.post("/wyloguj", data={"csrf_token": mine})
    assert r.status_code == 302 and r.headers["Location"] == "/logowanie"
    assert pool.last("logout")["args"] == ["t-admin"]


def test_monitoring_notice_until_acknowledged(client, pool):
    USERS["t-teacher"]["monitoring_notice_required"] = True
    try:
        r = login(client, "teacher")
        assert r.headers["Location"].startswith("/informacja-o-monitorowaniu")
        r = client.get("/konto")
        assert r.status_code == 302 and r.headers["Location"].startswith("/informacja-o-monitorowaniu?next=/konto")
        page = client.get(r.headers["Location"]).get_data(as_text=True)
        assert "Twoje działania w dzienniku są monitorowane i archiwizowane" in page
        r = client.post("/informacja-o-monitorowaniu", data={"csrf_token": csrf_of(page), "next": "/konto"})
        assert r.headers["Location"] == "/konto"
        assert pool.last("acknowledge_monitoring_notice")
    finally:
        USERS["t-teacher"].pop("monitoring_notice_required")


# ------------------------------------------------------------------ the menu and refusals (ACC-3)

@pytest.mark.parametrize("roles, labels", [
    (["association_admin"], ["Szkoły"]),
    (["secretary"], ["Dane uczniów", "Braki w danych"]),
    (["parent"], ["Moje dzieci"]),
    (["student"], ["Moja kartoteka"]),
    (["inspector"], ["Kartoteki uczniów"]),
    (["class_teacher", "teacher"], ["Statystyki logowań", "Dane uczniów", "Braki w danych", "Kartoteki uczniów"]),
])
def test_menu_per_role(roles, labels):
    """The identity area's entries per role; other areas' entries are checked by their own
    browser tests (tests/browser/test_identity_pages.py NAVIGATION holds the whole menu)."""
    create_app({"TESTING": True})   # the page modules register their entries
    assert [i.label for i in nav_for(roles) if i.endpoint.startswith("identity_web.")] == labels


def test_refusals_are_polish_error_pages(client, pool):
    login(client, "parent")
    r = client.get("/uczniowie/u-other/kartoteka")
    html = r.get_data(as_text=True)
    assert r.status_code == 404
    assert "<title>Nie znaleziono – Dziennik elektroniczny</title>" in html and "Nie znaleziono ucznia." in html
    assert not [c for c in pool.calls if c["method"] == "get_student_file"]
    r = client.get("/konta")
    assert r.status_code == 403 and "Brak dostępu" in r.get_data(as_text=True)
    assert client.get("/nie-ma-takiej-strony").status_code == 404


def test_a_service_error_in_a_page_is_its_polish_message_never_a_traceback(client, pool):
    login(client)
    pool.answers[("identity", "list_blocked_accounts")] = lambda school_id: 1 / 0
    r = client.get("/konta/zablokowane")
    assert r.status_code == 500 and "Traceback" not in r.get_data(as_text=True)
    pool.answers[("identity", "list_blocked_accounts")] = NotFound("Nie znaleziono szkoły.")
    r = client.get("/konta/zablokowane")
    assert r.status_code == 404 and "Nie znaleziono szkoły." in r.get_data(as_text=True)


def test_grant_refused_by_identity_is_shown_on_the_page(client, pool):
    login(client)
    pool.answers[("identity", "list_accounts")] = []
    pool.answers[("identity", "grant_role")] = Forbidden("Nie możesz nadać tej roli.")
    page = client.get("/uprawnienia").get_data(as_text=True)
    r = client.post("/uprawnienia", data={"csrf_token": csrf_of(page), "account_id": "a1", "role": "director",
                                          "action": "grant"})
    assert r.status_code == 403 and "Nie możesz nadać tej roli." in r.get_data(as_text=True)


# ------------------------------------------------------------------ identity's new API routes

def test_activation_codes_come_back_as_a_pdf_download(client, pool):
    pool.answers[("identity", "issue_activation_codes")] = {"pdf_base64": base64.b64encode(PDF).decode(),
                                                            "count": 1, "batch_id": "b", "expires_at": "x"}
    r = client.post(f"/api/v1/schools/{SCHOOL_A}/activation-codes", headers=bearer("t-admin"),
                    json={"account_ids": ["a1"]})
    assert r.status_code == 200 and r.data == PDF
    assert r.content_type == "application/pdf"
    assert "attachment" in r.headers["Content-Disposition"] and "kody-aktywacyjne-" in r.headers["Content-Disposition"]
    args = pool.last("issue_activation_codes")["args"]
    assert args[0] == SCHOOL_A and args[1]["account_ids"] == ["a1"]
    assert args[1]["activation_url"] == "http://localhost/aktywacja"
    r = client.post(f"/api/v1/schools/{SCHOOL_A}/activation-codes", headers=bearer("t-admin"), json={})
    assert r.status_code == 422


def test_annex_pdf_has_a_polish_file_name(client, pool):
    pool.answers[("identity", "access_confirmation_list")] = {"rows": 2, "pdf_base64": base64.b64encode(PDF).decode()}
    r = client.get(f"/api/v1/schools/{SCHOOL_A}/annexes/students?class_id=c1&school_year=2025/2026",
                   headers=bearer("t-admin"))
    assert r.status_code == 200 and r.content_type == "application/pdf"
    assert "filename*=UTF-8''za%C5%82%C4%85cznik-2-uczniowie-2025-2026.pdf" in r.headers["Content-Disposition"]
    assert pool.last("access_confirmation_list")["args"] == [
        SCHOOL_A, {"kind": "students", "class_id": "c1", "school_year": "2025/2026"}]
    assert client.get(f"/api/v1/schools/{SCHOOL_A}/annexes/other?school_year=2025/2026",
                      headers=bearer("t-admin")).status_code == 404
    assert client.get(f"/api/v1/schools/{SCHOOL_A}/annexes/students?school_year=2025/2027",
                      headers=bearer("t-admin")).status_code == 422
    assert client.get("/api/v1/schools/school-b/annexes/students?school_year=2025/2026",
                      headers=bearer("t-admin")).status_code == 404


def test_password_change_keeps_the_current_session(client, pool):
    pool.answers[("identity", "change_password")] = {"ok": True, "sessions_ended": 2}
    r = client.post("/api/v1/auth/password", headers=bearer("t-teacher"),
                    json={"current_password": "stare-haslo-1", "new_password": "nowe haslo 2026"})
    assert r.get_json() == {"ok": True, "sessions_ended": 2}
    assert pool.last("change_password")["args"][1] == "s-t-teacher"


@pytest.mark.parametrize("token, method, path, body, allowed", [
    ("t-admin", "post", "/api/v1/accounts/a1/roles", {"role": "director"}, True),
    ("t-secretary", "post", "/api/v1/accounts/a1/roles", {"role": "director"}, False),
    ("t-admin", "delete", "/api/v1/accounts/a1/roles/director", None, True),
    ("t-teacher", "get", f"/api/v1/schools/{SCHOOL_A}/login-statistics", None, True),
    ("t-parent", "get", f"/api/v1/schools/{SCHOOL_A}/login-statistics", None, False),
    ("t-admin", "get", f"/api/v1/schools/{SCHOOL_A}/audit-log?action=login.", None, True),
    ("t-teacher", "get", f"/api/v1/schools/{SCHOOL_A}/audit-log", None, False),
    ("t-secretary", "put", "/api/v1/students/u-kid/profile", {"phone": "+48 600 100 200"}, True),
    ("t-parent", "put", "/api/v1/students/u-kid/profile", {"phone": "+48 600 100 200"}, False),
    ("t-secretary", "get", f"/api/v1/schools/{SCHOOL_A}/incomplete-profiles", None, True),
    ("t-student", "get", f"/api/v1/schools/{SCHOOL_A}/incomplete-profiles", None, False),
    ("t-parent", "get", "/api/v1/students/u-kid/data-report", None, True),
    ("t-parent", "get", "/api/v1/students/u-other/data-report", None, False),
    ("t-student", "post", "/api/v1/incidents", {"description": "Ktoś zna moje hasło do dziennika."}, True),
])
def test_new_routes_check_roles_before_calling(client, pool, token, method, path, body, allowed):
    pool.answers[("identity", "login_statistics")] = {"scope": "all", "users": [], "days": []}
    pool.answers[("identity", "search_audit")] = []
    pool.answers[("identity", "incomplete_profiles")] = []
    r = getattr(client, method)(path, headers=bearer(token), json=body)
    if allowed:
        assert r.status_code in (200, 201), r.data
    else:
        assert r.status_code in (403, 404), r.data
        assert r.get_json()["message"]


def test_redeem_is_public_and_passes_the_data(client, pool):
    pool.answers[("identity", "redeem_activation_code")] = {"ok": True, "login": "jan.kowalski"}
    r = client.post("/api/v1/auth/activation", json={"login": "jan.kowalski", "code": "ABCD-EFGH-JKLM",
                                                     "password": "moje nowe haslo"})
    assert r.status_code == 200 and r.get_json() == {"ok": True, "login": "jan.kowalski"}
