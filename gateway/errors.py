"""One error registry: every failure leaves the gateway as the same JSON envelope

    {"error": "<code>", "message": "<Polish text>", "fields": {...}, "request_id": "..."}

- typed service errors (``services.common.errors.RegisterError`` subclasses, which arrive from
  RPC as the same classes) keep their code, status, message and per-field messages;
- werkzeug/Flask HTTP errors (400, 404, 405, 413, 415, ...) get a Polish message;
- webargs/flask-smorest validation errors (422) get their field messages translated to Polish;
- anything else is logged with its traceback and answered 500 with a generic message.

No response ever carries a traceback or an HTML error page for /api/*."""
import logging
import re

from flask import g, has_request_context, jsonify, make_response, render_template_string, request
from marshmallow import Schema
from marshmallow import fields as f
from werkzeug.exceptions import HTTPException

from services.common.errors import Forbidden, RegisterError, Unauthenticated

log = logging.getLogger("gateway.errors")


class InternalError(RegisterError):
    """A failure we did not expect (a service bug, a contract mismatch): details go to the log,
    the user gets a generic message and the request id to quote."""
    code, http_status = "internal", 500
    default_message = ("Wystąpił nieoczekiwany błąd serwera. Spróbuj ponownie później; jeśli błąd się "
                       "powtarza, zgłoś go administratorowi, podając identyfikator żądania.")


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    default_message = ("Brak lub niepoprawny token CSRF. Pobierz nowy token (GET /api/v1/auth/csrf) "
                       "i wyślij go w nagłówku X-CSRF-Token.")


# status -> (code, Polish message) for HTTP errors raised by Flask/werkzeug/webargs.
HTTP_ERRORS = {
    400: ("bad_request", "Niepoprawne żądanie."),
    401: ("unauthenticated", "Wymagane zalogowanie."),
    403: ("forbidden", "Brak uprawnień do tej operacji."),
    404: ("not_found", "Nie ma takiego adresu."),
    405: ("method_not_allowed", "Ta metoda HTTP nie jest dostępna pod tym adresem."),
    406: ("not_acceptable", "Serwer nie może odpowiedzieć w żądanym formacie."),
    408: ("request_timeout", "Przekroczono czas oczekiwania na żądanie."),
    409: ("conflict", "Operacja koliduje z istniejącymi danymi."),
    411: ("length_required", "Brak nagłówka Content-Length."),
    413: ("payload_too_large", "Przesłane dane są zbyt duże."),
    414: ("uri_too_long", "Adres żądania jest zbyt długi."),
    415: ("unsupported_media_type",
          "Nieobsługiwany format danych: wyślij JSON z nagłówkiem Content-Type: application/json."),
    422: ("invalid", "Niepoprawne dane."),
    428: ("precondition_required", "Brak wymaganego warunku żądania."),
    429: ("too_many_requests", "Zbyt wiele żądań. Spróbuj ponownie za chwilę."),
    431: ("headers_too_large", "Nagłówki żądania są zbyt duże."),
    500: ("internal", InternalError.default_message),
    501: ("not_implemented", "Ta funkcja nie jest jeszcze dostępna."),
    503: ("unavailable", "Usługa chwilowo niedostępna. Spróbuj ponownie za chwilę."),
}
INVALID_JSON = "Niepoprawny format JSON w treści żądania."


class ErrorSchema(Schema):
    """The error envelope (documentation of every error response in the OpenAPI document)."""
    error = f.String(required=True, metadata={"description": "Kod błędu, np. not_found, forbidden, invalid."})
    message = f.String(required=True, metadata={"description": "Komunikat dla użytkownika (po polsku)."})
    fields = f.Dict(metadata={"description": "Komunikaty przy poszczególnych polach."})
    request_id = f.String(metadata={"description": "Identyfikator żądania (podaj go, zgłaszając błąd)."})


# ---------------------------------------------------------------- validation messages in Polish

_EXACT = {
    "Missing data for required field.": "To pole jest wymagane.",
    "Field may not be null.": "To pole nie może być puste.",
    "Invalid value.": "Niepoprawna wartość.",
    "Invalid input.": "Niepoprawna wartość.",
    "Invalid type.": "Niepoprawny typ danych.",
    "Invalid input type.": "Niepoprawny typ danych.",
    "Unknown field.": "Nieznane pole.",
    "Not a valid list.": "Oczekiwano listy.",
    "Not a valid tuple.": "Oczekiwano listy.",
    "Not a valid string.": "Oczekiwano tekstu.",
    "Not a valid utf-8 string.": "Niepoprawny tekst (wymagane UTF-8).",
    "Not a valid UUID.": "Niepoprawny identyfikator.",
    "Not a valid number.": "Oczekiwano liczby.",
    "Not a valid integer.": "Oczekiwano liczby całkowitej.",
    "Number too large.": "Liczba jest za duża.",
    "Special numeric values (nan or infinity) are not permitted.": "Oczekiwano liczby.",
    "Not a valid boolean.": "Oczekiwano wartości logicznej (true lub false).",
    "Not a valid date.": "Niepoprawna data (oczekiwano RRRR-MM-DD).",
    "Not a valid datetime.": "Niepoprawna data i godzina (oczekiwano ISO 8601).",
    "Not a valid time.": "Niepoprawna godzina.",
    "Not a valid mapping type.": "Oczekiwano obiektu.",
    "Not a valid URL.": "Niepoprawny adres URL.",
    "Not a valid email address.": "Niepoprawny adres e-mail.",
    "String does not match expected pattern.": "Niepoprawny format.",
    "Invalid JSON body.": INVALID_JSON,
}
_PATTERNS = [
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "Minimalna długość: {0}."),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "Maksymalna długość: {0}."),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "Długość musi wynosić od {0} do {1}."),
    (re.compile(r"^Length must be (\d+)\.$"), "Długość musi wynosić {0}."),
    (re.compile(r"^Must be one of: (.*)\.$"), "Dozwolone wartości: {0}."),
    (re.compile(r"^Must be equal to (.*)\.$"), "Wartość musi być równa {0}."),
]
_RANGE_WORDS = [("greater than or equal to", "≥"), ("less than or equal to", "≤"),
                ("greater than", ">"), ("less than", "<")]


def polish(message):
    """Translate one marshmallow/webargs message to Polish (unknown ones pass unchanged)."""
    if not isinstance(message, str):
        return message
    if message in _EXACT:
        return _EXACT[message]
    for pattern, template in _PATTERNS:
        m = pattern.match(message)
        if m:
            return template.format(*m.groups())
    if message.startswith("Must be ") and any(w in message for w, _ in _RANGE_WORDS):
        text = message[len("Must be "):].rstrip(".").replace(" and ", " i ")
        for word, symbol in _RANGE_WORDS:
            text = text.replace(word, symbol)
        return f"Wartość musi być {text}."
    return message


def polish_messages(messages):
    """Walk marshmallow's nested messages (dicts with str or int keys, lists of strings)."""
    if isinstance(messages, dict):
        return {str(k): polish_messages(v) for k, v in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [polish_messages(m) for m in messages]
    return polish(messages)


def _validation_fields(data):
    """webargs nests messages under the location ({"json": {...}, "query": {...}}): merge them."""
    messages = (data or {}).get("messages") or (data or {}).get("errors") or {}
    if not isinstance(messages, dict):
        return {"_schema": polish_messages(messages if isinstance(messages, list) else [messages])}
    merged = {}
    for location, value in messages.items():
        if isinstance(value, dict):
            merged.update(polish_messages(value))
        else:
            merged[str(location)] = polish_messages(value)
    return merged


# ---------------------------------------------------------------- responses

def _request_id():
    return g.get("request_id") if has_request_context() else None


def _wants_html():
    """Browsers outside /api and /health get a small HTML page; everything else gets JSON."""
    path = request.path
    if path.startswith("/api") or path.startswith("/health"):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


_HTML = """<!doctype html>
<html lang="pl"><head><meta charset="utf-8"><title>{{ status }} – Dziennik elektroniczny</title></head>
<body><main><h1>{{ status }}</h1><p>{{ message }}</p>
{% if request_id %}<p>Identyfikator żądania: <code>{{ request_id }}</code></p>{% endif %}
</main></body></html>"""


def error_response(status, code, message, field_messages=None, headers=None):
    body = {"error": code, "message": message, "fields": field_messages or {}}
    rid = _request_id()
    if rid:
        body["request_id"] = rid
    if has_request_context() and _wants_html():
        response = make_response(
            render_template_string(_HTML, status=status, message=message, request_id=rid), status)
    else:
        response = jsonify(body)
        response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def audit_refusal(exc):
    """A logged-in user refused (403) or sent away from someone else's record (404): an audit
    entry in identity (ACC-11; the issue's "every refusal gets an audit entry"). Best effort: an
    audit failure never changes the answer."""
    user = g.get("user") if has_request_context() else None
    if not user or exc.http_status not in (403, 404):
        return
    try:
        from . import rpc
        rpc.get_pool().invoke("identity", "record_refusal", ({
            "status": exc.http_status, "method": request.method, "path": request.path[:300],
            "message": exc.message[:300]},), {}, ctx=rpc.current_context(), timeout=2.0, wait=1.0)
    except Exception as err:   # the refusal itself has been decided; log and move on
        log.warning("refusal not audited: %s", err)


def handle_register_error(exc):
    """Our typed errors (raised in the gateway or arriving from a service)."""
    audit_refusal(exc)
    response = error_response(exc.http_status, exc.code, exc.message, polish_messages(exc.fields or {}))
    if isinstance(exc, Unauthenticated) and g.get("auth_via") == "cookie":
        # The cookie names a session that has ended: drop it so the browser stops sending it.
        from .auth import clear_session_cookie
        clear_session_cookie(response)
    if exc.http_status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="dziennik"'
    return response


def handle_http_exception(exc):
    """werkzeug/Flask HTTP errors, including webargs' 400 (bad JSON) and 422 (validation)."""
    status = exc.code or 500
    code, message = HTTP_ERRORS.get(status, ("error", exc.name or "Błąd"))
    data = getattr(exc, "data", None) or {}
    field_messages = {}
    headers = dict(data.get("headers") or {})
    if status == 400 and (data.get("messages") or {}).get("json") == ["Invalid JSON body."]:
        message = INVALID_JSON
        field_messages = {"json": [INVALID_JSON]}
    elif status in (400, 422) and (data.get("messages") or data.get("errors")):
        field_messages = _validation_fields(data)
        if status == 422:
            message = "Niepoprawne dane: sprawdź pola " + ", ".join(sorted(field_messages)) + "."
    elif status == 404 and has_request_context() and request.path.startswith("/api"):
        message = f"Nie ma takiego adresu w API: {request.path}"
    elif status == 405:
        allowed = sorted(getattr(exc, "valid_methods", None) or [])
        if allowed:
            headers["Allow"] = ", ".join(allowed)
            message = f"{message} Dozwolone metody: {', '.join(allowed)}."
    elif status >= 500:
        log.error("HTTP %s raised in the gateway: %s", status, exc.description)
    return error_response(status, code, message, field_messages, headers)


def handle_unexpected(exc):
    """A bug in the gateway: log it with the traceback, answer 500 without one."""
    if isinstance(exc, HTTPException):   # pragma: no cover  (the more specific handler wins)
        return handle_http_exception(exc)
    log.exception("unhandled error in %s %s", request.method, request.path)
    err = InternalError()
    return error_response(err.http_status, err.code, err.message)


def register_error_handlers(app):
    app.register_error_handler(RegisterError, handle_register_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
