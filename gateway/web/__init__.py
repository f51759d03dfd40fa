"""Server-rendered pages in Polish: the web base and the pages of each area.

No build step and progressive enhancement: plain HTML forms that work without JavaScript,
Jinja2 templates in ``gateway/templates`` (``base.html`` with blocks, ``macros.html`` with the
form, table and message macros), one small stylesheet and one small script in
``gateway/static``. The pages call the services through the same RPC pool and the same
permission helpers as the API; the browser session is the API's ``dz_session`` cookie.

Adding a page module (see gateway/README.md, "Adding a page"): create ``gateway/web/<area>.py``
with ``bp = web_blueprint("<area>_web", __name__)``, add its menu entries with ``add_nav``, put
its templates in ``gateway/templates/<area>/``, and add ``"<area>"`` to ``PAGE_MODULES``."""
import importlib
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import g, get_flashed_messages, request

from .base import (CSP, Form, csrf_token, current_school, notice_exempt, requires_page, safe_next,  # noqa: F401
                   school_args, web_blueprint)
from .nav import ROLE_LABELS, add_nav, nav_for, role_labels  # noqa: F401

__all__ = ["register_web", "PAGE_MODULES", "web_blueprint", "Form", "csrf_token", "current_school",
           "notice_exempt", "requires_page", "safe_next", "school_args", "add_nav", "nav_for", "role_labels",
           "ROLE_LABELS", "CSP"]

# gateway/web/<name>.py modules, each with a ``bp`` made by ``web_blueprint``.
PAGE_MODULES = ("identity", "grades", "messaging", "scheduling", "attendance", "operations", "archive")

WARSAW = ZoneInfo("Europe/Warsaw")
SITE_NAME = "Dziennik elektroniczny"


def register_web(app):
    """Register every page module's blueprint and the template helpers (called by create_app)."""
    # Flashed messages live in Flask's signed cookie; it must not clash with the session cookie.
    app.config["SESSION_COOKIE_NAME"] = "dz_flash"
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    for name in PAGE_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        app.register_blueprint(module.bp)
    app.context_processor(_template_context)
    app.jinja_env.filters.update(datetime_pl=datetime_pl, date_pl=date_pl, roles_pl=role_labels)
    app.jinja_env.globals.update(csrf_token=csrf_token, SITE_NAME=SITE_NAME)


def _template_context():
    user = g.get("user")
    return {"user": user, "nav_items": nav_for(user.get("roles")) if user else [],
            "current_endpoint": request.endpoint, "flashes": get_flashed_messages(with_categories=True)}


def _parse(value):
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def datetime_pl(value):
    """ISO date-time → "05.09.2025 08:15" in Polish time; "—" when empty."""
    dt = _parse(value)
    if dt is None:
        return "—" if not value else str(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")


def date_pl(value):
    """ISO date → "05.09.2025"; "—" when empty."""
    if not value:
        return "—"
    try:
        y, m, d = str(value)[:10].split("-")
        return f"{d}.{m}.{y}"
    except ValueError:
        return str(value)
