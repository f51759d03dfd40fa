"""The HTTP API under /api/v1: one flask-smorest Blueprint per area, each route mapped 1:1 to
the service RPC of the same meaning.

Every API blueprint runs ``api_guard`` before its views: authentication (unless the view is
``@public``), CSRF for cookie-authenticated unsafe requests, and JSON-only bodies (415)."""
from flask import current_app, request
from flask_smorest import Blueprint
from werkzeug.exceptions import UnsupportedMediaType

from ..auth import SAFE_METHODS, authenticate

PREFIX = "/api/v1"


def api_guard():
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "_public", False):
        authenticate()
    if request.method not in SAFE_METHODS and _has_body() and not request.is_json:
        raise UnsupportedMediaType()


def _has_body():
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def api_blueprint(name, import_name, description):
    bp = Blueprint(name, import_name, url_prefix=PREFIX, description=description)
    bp.before_request(api_guard)
    return bp


def register_api(api):
    from . import accounts, archive, attendance, auth, classes, grades, messages, scheduling, schools, students
    for module in (auth, schools, accounts, classes, students, messages, grades, attendance, scheduling, archive):
        api.register_blueprint(module.bp)
