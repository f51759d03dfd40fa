"""What every page blueprint shares: the browser session, CSRF for forms, the form helper that
shows typed errors next to the fields, and error pages in Polish.

- The session is the API's: the HttpOnly cookie ``dz_session``, resolved by identity on every
  request (a logout, a block or an idle timeout takes effect at once).
- Every POST form carries ``csrf_token`` (hidden field, macro ``csrf_field()``): for a logged-in
  user the same signed token as the API's ``X-CSRF-Token`` (bound to the session id); on the
  public pages (login, activation) a token bound to a random value kept in the signed
  ``dz_flash`` cookie, so a foreign site cannot submit them either.
- A user who has not yet acknowledged the monitoring notice (ACC-11) is sent to it from every
  page except the notice itself and logout.
- Errors: a typed error (``RegisterError``) inside ``with form.handle():`` is shown in the form;
  anywhere else it becomes an error page with its Polish message and status (404 for another
  school's or family's record). No traceback ever reaches the browser.
"""
import hmac
import logging
import secrets
from contextlib import contextmanager
from functools import wraps
from urllib.parse import urlsplit

from flask import (Blueprint, after_this_request, current_app, flash, g, redirect, render_template, request,
                   session, url_for)
from itsdangerous import BadData, URLSafeTimedSerializer
from marshmallow import ValidationError
from marshmallow import fields as mf
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from services.common.errors import Forbidden, Invalid, NotFound, RegisterError, Unauthenticated

from .. import rpc
from ..auth import (CSRF_MAX_AGE, CSRF_SALT, SAFE_METHODS, SESSION_COOKIE, check_school, clear_session_cookie,
                    make_csrf_token, public, rpc_context)  # noqa: F401  (public: re-exported for page modules)
from ..errors import HTTP_ERRORS, InternalError, polish_messages

log = logging.getLogger("gateway.web")

CSRF_FIELD = "csrf_token"
LOGIN_ENDPOINT = "identity_web.login"
NOTICE_ENDPOINT = "identity_web.monitoring_notice"
HOME_ENDPOINT = "identity_web.home"

FORM_EXPIRED = "Formularz wygasł lub nie pochodzi z tej strony. Odśwież stronę i spróbuj ponownie."
CHECK_FIELDS = "Popraw zaznaczone pola."

# Content-Security-Policy of every page: our own files only, no inline scripts.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")

ERROR_TITLES = {400: "Niepoprawne żądanie", 401: "Wymagane logowanie", 403: "Brak dostępu",
                404: "Nie znaleziono", 405: "Niedozwolona operacja", 409: "Konflikt danych",
                413: "Za duże dane", 422: "Niepoprawne dane", 500: "Błąd serwera",
                503: "Usługa chwilowo niedostępna"}
PAGE_NOT_FOUND = "Nie ma takiej strony. Sprawdź adres albo wróć na stronę główną."


class LoginRequired(Exception):
    """No valid session on a page that needs one: go to the login page."""


# ------------------------------------------------------------------ marking views

def notice_exempt(fn):
    """A page reachable before the monitoring notice is acknowledged (the notice, logout)."""
    fn._notice_exempt = True
    return fn


# ------------------------------------------------------------------ the blueprint factory

def web_blueprint(name, import_name, **kwargs):
    """A Blueprint of pages with the session guard, CSRF, security headers and Polish error pages.
    Every page module makes its blueprint with this (see gateway/README.md, "Adding a page")."""
    bp = Blueprint(name, import_name, **kwargs)
    bp.before_request(web_guard)
    bp.after_request(page_headers)
    bp.register_error_handler(LoginRequired, _login_required)
    bp.register_error_handler(RegisterError, _register_error)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(Exception, _unexpected)
    return bp


def web_guard():
    view = current_app.view_functions.get(request.endpoint)
    is_public = getattr(view, "_public", False)
    g.web_public = is_public
    load_session()
    if not is_public and g.get("user") is None:
        raise LoginRequired()
    if request.method not in SAFE_METHODS:
        check_form_csrf()
    user = g.get("user")
    if user and user.get("monitoring_notice_required") and not is_public \
            and not getattr(view, "_notice_exempt", False):
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for(NOTICE_ENDPOINT, next=target))
    return None


def load_session():
    """``g.user``, ``g.session_id``, ``g.token`` and ``g.rpc_ctx`` from the session cookie (as the
    API's ``authenticate`` does); a cookie of an ended session is dropped."""
    g.user = None
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    g.auth_via = "cookie"
    try:
        result = rpc.call("identity", "resolve_session", token,
                          ctx={"request_id": g.get("request_id"), "ip": g.get("ip")})
    except Unauthenticated as exc:
        after_this_request(_drop_cookie)
        if not g.get("web_public"):
            flash(exc.message, "error")   # "Sesja wygasła lub została zakończona..." on the login page
        return None
    user = result["user"]
    g.token, g.session_id, g.user = token, result["session_id"], user
    g.rpc_ctx = rpc_context(user)
    return user


def _drop_cookie(response):
    clear_session_cookie(response)
    return response


def page_headers(response):
    # Pages carry personal data: never cached, never framed, scripts from our origin only.
    response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response


# ------------------------------------------------------------------ CSRF for forms

def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CSRF_SALT)


def _anonymous_binding():
    value = session.get("anon_csrf")
    if not value:
        value = session["anon_csrf"] = secrets.token_urlsafe(16)
    return "anon:" + value


def csrf_token():
    """The token for the hidden field of a form on this page."""
    if g.get("session_id") and not g.get("web_public"):
        return make_csrf_token(g.session_id)
    return _serializer().dumps(_anonymous_binding())


def check_form_csrf():
    token = request.form.get(CSRF_FIELD, "")
    expected = str(g.session_id) if g.get("session_id") and not g.get("web_public") else _anonymous_binding()
    try:
        bound = _serializer().loads(token, max_age=CSRF_MAX_AGE) if token else None
    except BadData:
        bound = None
    if bound is None or not hmac.compare_digest(str(bound), expected):
        raise Forbidden(FORM_EXPIRED)


# ------------------------------------------------------------------ helpers for views

def safe_next(value):
    """A local path to return to after login or the notice; anything else is ignored."""
    if not value or not isinstance(value, str):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


def current_school():
    """The school a page works on: the user's own; the association administrator names it with
    ``?szkola=<id>`` (or a hidden ``szkola`` field). Another school's id answers 404."""
    user = g.user
    school_id = request.values.get("szkola") or user.get("school_id")
    if not school_id:
        raise NotFound("Wybierz szkołę na stronie „Szkoły”.")
    check_school(school_id)
    return school_id


def school_args():
    """``{"szkola": id}`` when the page was opened for a named school (links keep it)."""
    value = request.values.get("szkola")
    return {"szkola": value} if value else {}


def requires_page(*roles):
    """Like ``gateway.auth.requires`` for pages (the association administrator passes)."""
    from ..auth import require_role

    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            require_role(*roles)
            return fn(*args, **kwargs)
        wrapper._required_roles = frozenset(roles)
        return wrapper
    return decorator


# ------------------------------------------------------------------ forms

class Form:
    """The values of one HTML form and its errors.

    ``labels`` maps field names to their Polish labels (the ``field`` macros and the error
    summary use them). In a view::

        form = Form(request.form, labels={"login": "Login"})
        if request.method == "POST":
            with form.handle():
                data = form.load(SomeSchema)          # 422 -> messages at the fields
                rpc.call("identity", "...", data)     # typed errors -> shown in the form
                return redirect(...)
        return render_template("...", form=form), form.status
    """

    def __init__(self, data=None, labels=None, prefix="", **defaults):
        values = MultiDict()
        for key, value in defaults.items():
            if value is not None:
                values.setlist(key, value if isinstance(value, (list, tuple)) else [value])
        if data is not None:
            for key in data.keys():
                if key != CSRF_FIELD:
                    values.setlist(key, data.getlist(key) if hasattr(data, "getlist") else [data[key]])
        self.values = values
        self.labels = labels or {}
        self.prefix = prefix
        self.errors = {}
        self.error = None
        self.status = 200

    # -- values
    def get(self, name, default=""):
        value = self.values.get(name)
        return default if value is None else value

    def getlist(self, name):
        return self.values.getlist(name)

    def checked(self, name, value):
        return str(value) in [str(v) for v in self.values.getlist(name)]

    def id(self, name):
        return f"f-{self.prefix}{name}"

    def label(self, name):
        return self.labels.get(name, name)

    # -- errors
    def field_errors(self, name):
        messages = self.errors.get(name) or []
        if isinstance(messages, dict):
            messages = [m for v in messages.values() for m in (v if isinstance(v, list) else [v])]
        return [str(m) for m in (messages if isinstance(messages, list) else [messages])]

    def error_items(self):
        """(field name or None, label, messages) for the error summary."""
        out = []
        for name in self.errors:
            messages = self.field_errors(name)
            if name in self.labels:
                out.append((name, self.labels[name], messages))
            else:
                out.append((None, "", messages))
        return out

    def add_error(self, name, message):
        self.errors.setdefault(name, []).append(message)

    @property
    def has_errors(self):
        return bool(self.error or self.errors)

    def fail(self, message=CHECK_FIELDS):
        """Stop with the errors added so far (inside ``handle()``)."""
        raise Invalid(message, {})

    @contextmanager
    def handle(self):
        """Typed errors raised inside become this form's message and field messages."""
        try:
            yield self
        except RegisterError as exc:
            self.error = exc.message
            for name, messages in polish_messages(exc.fields or {}).items():
                self.errors.setdefault(name, [])
                self.errors[name] += messages if isinstance(messages, list) else [messages]
            self.status = exc.http_status

    def load(self, schema, only=None, **extra):
        """Load the form through a marshmallow schema (the API's: the same rules and messages).
        Empty inputs count as not given (or null where the field allows it)."""
        schema = schema() if isinstance(schema, type) else schema
        raw = {}
        for name, field in schema.load_fields.items():
            if only is not None and name not in only:
                continue
            if name not in self.values:
                continue
            if isinstance(field, mf.List):
                raw[name] = [v for v in self.values.getlist(name) if v != ""]
                continue
            value = self.values.get(name)
            value = value.strip() if isinstance(value, str) else value
            if value == "":
                if field.allow_none:
                    raw[name] = None
                continue
            raw[name] = value
        raw.update(extra)
        try:
            return schema.load(raw)
        except ValidationError as err:
            for name, messages in polish_messages(err.messages).items():
                self.errors.setdefault(name, [])
                self.errors[name] += messages if isinstance(messages, list) else [messages]
            raise Invalid(CHECK_FIELDS, {}) from None


# ------------------------------------------------------------------ error pages

def error_page(status, message, title=None):
    return render_template("error.html", status=status, title=title or ERROR_TITLES.get(status, "Błąd"),
                           message=message, request_id=g.get("request_id")), status


def _login_required(_exc):
    if request.method == "GET":
        target = request.full_path.rstrip("?")
        return redirect(url_for(LOGIN_ENDPOINT, next=target if target != "/" else None))
    return redirect(url_for(LOGIN_ENDPOINT))


def _register_error(exc):
    if isinstance(exc, Unauthenticated):
        flash(exc.message, "error")
        after_this_request(_drop_cookie)
        return _login_required(exc)
    return error_page(exc.http_status, exc.message)


def _http_error(exc):
    status = exc.code or 500
    if status == 404:
        return error_page(404, PAGE_NOT_FOUND)
    return error_page(status, HTTP_ERRORS.get(status, ("", exc.name))[1])


def _unexpected(exc):
    if isinstance(exc, HTTPException):   # pragma: no cover  (the more specific handler wins)
        return _http_error(exc)
    log.exception("unhandled error in page %s %s", request.method, request.path)
    return error_page(500, InternalError.default_message)
