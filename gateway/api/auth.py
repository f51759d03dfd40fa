"""Logging in and out, the CSRF token, the current user (ACC-13)."""
from flask import after_this_request, g, request

from .. import rpc
from ..auth import (clear_session_cookie, make_csrf_token, public, set_session_cookie)
from ..schemas import CsrfOut, LoginIn, LoginOut, LogoutAllOut, MeOut, OkOut
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


def _drop_cookie(response):
    clear_session_cookie(response)
    return response
