"""Logging in and out, the CSRF token, the current user, activation with a code, password
change, the monitoring notice and security incidents (ACC-5, ACC-6, ACC-11, ACC-12, ACC-13)."""
from flask import after_this_request, g, request

from .. import rpc
from ..auth import (clear_session_cookie, make_csrf_token, public, set_session_cookie)
from ..schemas import (ActivationIn, ActivationOut, CsrfOut, IncidentIn, IncidentOut, LoginIn, LoginOut,
                       LogoutAllOut, MeOut, OkOut, PasswordChangeIn, PasswordChangeOut)
from . import api_blueprint

bp = api_blueprint("auth", __name__, "Logowanie, wylogowanie, bieżący użytkownik.")


@bp.route("/auth/login", methods=["POST"])
@public
@bp.arguments(LoginIn)
@bp.response(200, LoginOut)
def login(data):
    """Zaloguj się

    Zwraca token sesji i ustawia ciasteczko `dz_session` (HttpOnly, SameSite=Lax). Programy
    wysyłają token w nagłówku `Authorization: Bearer`; przeglądarka korzysta z ciasteczka
    i do żądań zmieniających dane dołącza `X-CSRF-Token`."""
    result = rpc.call("identity", "login", {
        "login": data["login"], "password": data["password"], "ip": g.get("ip"),
        "user_agent": (request.user_agent.string or "")[:300] or None})
    token = result["token"]

    @after_this_request
    def _cookie(response):
        set_session_cookie(response, token)
        return response

    return {"token": token, "session_id": result["session_id"], "user": result["user"],
            "csrf_token": make_csrf_token(result["session_id"])}


@bp.route("/auth/csrf", methods=["GET"])
@bp.response(200, CsrfOut)
def csrf():
    """Token CSRF bieżącej sesji

    Wysyłaj go w nagłówku `X-CSRF-Token` przy żądaniach POST/PUT/PATCH/DELETE
    uwierzytelnianych ciasteczkiem."""
    return {"csrf_token": make_csrf_token(g.session_id)}


@bp.route("/auth/logout", methods=["POST"])
@bp.response(200, OkOut)
def logout():
    """Wyloguj się (kończy bieżącą sesję)"""
    rpc.call("identity", "logout", g.token)
    after_this_request(_drop_cookie)
    return {"ok": True}


@bp.route("/auth/logout-all", methods=["POST"])
@bp.response(200, LogoutAllOut)
def logout_all():
    """Wyloguj się na wszystkich urządzeniach (ACC-13)"""
    result = rpc.call("identity", "logout_all")
    after_this_request(_drop_cookie)
    return result


@bp.route("/me", methods=["GET"])
@bp.response(200, MeOut)
def me():
    """Bieżący użytkownik"""
    return g.user


@bp.route("/auth/activation", methods=["POST"])
@public
@bp.arguments(ActivationIn)
@bp.response(200, ActivationOut)
def redeem_activation_code(data):
    """Aktywuj konto kodem z kartki i ustal hasło (ACC-5, ACC-6)

    Kod jest jednorazowy i ma termin ważności; po aktywacji zaloguj się nowym hasłem."""
    return rpc.call("identity", "redeem_activation_code", data)


@bp.route("/auth/password", methods=["POST"])
@bp.arguments(PasswordChangeIn)
@bp.response(200, PasswordChangeOut)
def change_password(data):
    """Zmień hasło (bieżąca sesja trwa, pozostałe zostają zakończone)"""
    return rpc.call("identity", "change_password", data, g.session_id)


@bp.route("/auth/monitoring-notice", methods=["POST"])
@bp.response(200, OkOut)
def acknowledge_monitoring_notice():
    """Potwierdź informację o monitorowaniu i archiwizowaniu działań (ACC-11)"""
    return rpc.call("identity", "acknowledge_monitoring_notice")


@bp.route("/incidents", methods=["POST"])
@bp.arguments(IncidentIn)
@bp.response(201, IncidentOut)
def report_incident(data):
    """Zgłoś incydent bezpieczeństwa (ACC-12: trafia do administratora stowarzyszenia)"""
    return rpc.call("identity", "report_incident", data)


def _drop_cookie(response):
    clear_session_cookie(response)
    return response
