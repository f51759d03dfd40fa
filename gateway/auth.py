"""Who is calling, and may they: sessions, CSRF, and the gateway's permission checks.

- A request carries its session token either as ``Authorization: Bearer <token>`` (programs)
  or in the HttpOnly cookie ``dz_session`` (browsers); identity resolves it
  (``identity.resolve_session``) on every request, so a logout, a block or an idle timeout
  takes effect at once.
- A cookie-authenticated unsafe request (POST/PUT/PATCH/DELETE) must carry ``X-CSRF-Token``:
  a token from ``GET /api/v1/auth/csrf``, signed with DZIENNIK_SECRET_KEY and bound to the
  session id. Bearer requests need none (a browser never adds that header by itself).
- Permission checks are defence in depth (the services check again): ``@requires(*roles)``
  on a view, ``check_school`` for a school id in the path, ``check_own_or_staff`` for routes
  about one person that parents and students may only use for themselves or their children.
  Refusals of another school's or another family's records answer 404, as the services do:
  a user must not learn whether someone else's id exists.
"""
import hmac
from functools import wraps

from flask import current_app, g, request
from itsdangerous import BadData, URLSafeTimedSerializer

from services.common.errors import Forbidden, NotFound, Unauthenticated

from . import rpc
from .errors import CsrfFailed

SESSION_COOKIE = "dz_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_SALT = "dziennik-csrf"
CSRF_MAX_AGE = 12 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Roles (ACC-2), as identity names them.
ASSOCIATION_ADMIN = "association_admin"
SCHOOL_ADMIN = "school_admin"
DEPUTY_ADMIN = "deputy_admin"
DIRECTOR = "director"
VICE_DIRECTOR = "vice_director"
TEACHER = "teacher"
CLASS_TEACHER = "class_teacher"
SECRETARY = "secretary"
PARENT = "parent"
STUDENT = "student"
INSPECTOR = "inspector"
ALL_ROLES = (ASSOCIATION_ADMIN, SCHOOL_ADMIN, DEPUTY_ADMIN, DIRECTOR, VICE_DIRECTOR, TEACHER,
             CLASS_TEACHER, SECRETARY, PARENT, STUDENT, INSPECTOR)
SCHOOL_ROLES = ALL_ROLES[1:]

ADMINS = (SCHOOL_ADMIN, DEPUTY_ADMIN)
DIRECTORS = (DIRECTOR, VICE_DIRECTOR)
TEACHERS = (TEACHER, CLASS_TEACHER)
STAFF_EDITING_STUDENTS = ADMINS + DIRECTORS + (SECRETARY,)     # ORG-6, ORG-7, ORG-8
STAFF = STAFF_EDITING_STUDENTS + TEACHERS + (INSPECTOR,)
FAMILY = frozenset({PARENT, STUDENT})

NOT_LOGGED_IN = "Nie jesteś zalogowany. Zaloguj się, aby kontynuować."
BAD_AUTH_HEADER = "Niepoprawny nagłówek Authorization (oczekiwano: Bearer <token>)."


# ------------------------------------------------------------------ marking views

def public(fn):
    """A view that needs no session (login). Documented with an empty security requirement."""
    fn._public = True
    apidoc = dict(getattr(fn, "_apidoc", {}))
    apidoc["manual_doc"] = {**apidoc.get("manual_doc", {}), "security": []}
    fn._apidoc = apidoc
    return fn


def requires(*roles):
    """Allow the view only to users with one of ``roles``; the association administrator passes
    every role check (as in the services). The roles are listed in the OpenAPI operation
    (``x-required-roles``)."""
    allowed = frozenset(roles)

    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            require_role(*allowed)
            return fn(*args, **kwargs)

        wrapper._required_roles = allowed
        apidoc = dict(getattr(fn, "_apidoc", {}))
        apidoc["manual_doc"] = {**apidoc.get("manual_doc", {}), "x-required-roles": sorted(allowed)}
        wrapper._apidoc = apidoc
        return wrapper

    return decorator


def school_scoped(arg="school_id"):
    """The school id in the path (view argument ``arg``) must be the user's own school."""
    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            check_school(kwargs.get(arg))
            return fn(*args, **kwargs)
        return wrapper
    return decorator


# ------------------------------------------------------------------ checks

def current_user():
    user = g.get("user")
    if user is None:
        raise Unauthenticated(NOT_LOGGED_IN)
    return user


def user_roles():
    return frozenset(current_user().get("roles") or ())


def is_association_admin():
    return ASSOCIATION_ADMIN in user_roles()


def require_role(*roles):
    mine = user_roles()
    if ASSOCIATION_ADMIN in mine or mine & set(roles):
        return
    raise Forbidden()


def check_school(school_id, message="Nie znaleziono szkoły."):
    """A school's records only for its own users (TEN-1); another school's look non-existent."""
    user = current_user()
    if is_association_admin():
        return
    if not school_id or school_id != user.get("school_id"):
        raise NotFound(message)


def check_own_or_staff(person_id, message="Nie znaleziono konta."):
    """A parent or student (with no staff role) may ask only about themselves or their own
    children (LAW-3, GRD-7)."""
    user = current_user()
    roles = user_roles()
    if roles and roles <= FAMILY:
        if person_id != user.get("id") and person_id not in (user.get("children") or ()):
            raise NotFound(message)


# ------------------------------------------------------------------ sessions

def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CSRF_SALT)


def make_csrf_token(session_id):
    return _serializer().dumps(str(session_id))


def check_csrf():
    token = request.headers.get(CSRF_HEADER, "")
    if not token:
        raise CsrfFailed()
    try:
        session_id = _serializer().loads(token, max_age=CSRF_MAX_AGE)
    except BadData:
        raise CsrfFailed() from None
    if not hmac.compare_digest(str(session_id), str(g.get("session_id"))):
        raise CsrfFailed()


def token_from_request():
    """(token, "bearer"|"cookie") or (None, None). A bearer header wins over the cookie."""
    header = request.headers.get("Authorization")
    if header:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated(BAD_AUTH_HEADER)
        return token, "bearer"
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        return token, "cookie"
    return None, None


def authenticate():
    """Resolve the session of the request into ``g.user``, ``g.session_id`` and ``g.rpc_ctx``."""
    token, via = token_from_request()
    if not token:
        raise Unauthenticated(NOT_LOGGED_IN)
    g.auth_via = via
    session = rpc.call("identity", "resolve_session", token,
                       ctx={"request_id": g.get("request_id"), "ip": g.get("ip")})
    user = session["user"]
    g.token = token
    g.session_id = session["session_id"]
    g.user = user
    g.rpc_ctx = rpc_context(user)
    if via == "cookie" and request.method not in SAFE_METHODS:
        check_csrf()


def rpc_context(user):
    """The caller's context for every RPC of this request (services/common/context.py). The
    children identity resolved with the session go along, so the services need not ask
    identity again who a parent's children are (one RPC less per request of a parent)."""
    return {"user_id": user["id"], "school_id": user.get("school_id"),
            "roles": list(user.get("roles") or ()), "children": list(user.get("children") or ()),
            "request_id": g.get("request_id"), "ip": g.get("ip")}


def set_session_cookie(response, token):
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", path="/",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])


def clear_session_cookie(response):
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Lax",
                           secure=current_app.config["SESSION_COOKIE_SECURE"])
