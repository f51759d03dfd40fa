"""Request ids and the structured access log.

Every request gets an id: the client's ``X-Request-ID`` when it is sane, else a new one. It is
echoed in the response, sent to the services as ``request_id`` in the RPC context, and put on
every log line of the request (``call_id``), so one user action can be followed across the
gateway and every service it touched. Each request ends with one JSON access log line."""
import json
import logging
import re
import time
import uuid

from flask import g, request

from services.common import config
from services.common.logs import JsonFormatter, set_call_id, setup_logging

access_log = logging.getLogger("gateway.access")

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class GatewayJsonFormatter(JsonFormatter):
    """The platform's JSON line, plus the ``http`` fields of access log records."""

    def format(self, record):
        line = super().format(record)
        http = getattr(record, "http", None)
        if not http:
            return line
        data = json.loads(line)
        data.update(http)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(app):
    """JSON lines on stderr for the whole process (skipped under tests: pytest captures logs)."""
    if not app.config.get("LOG_SETUP", True):
        return
    setup_logging("gateway")
    # py-amqp warns "Received method ... during closing channel" after every refused publish
    # (UnknownService); the gateway logs the outcome itself.
    logging.getLogger("amqp").setLevel(logging.ERROR)
    if config.get("DZIENNIK_LOG_FORMAT") == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(GatewayJsonFormatter("gateway"))


def start_request():
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
    g.ip = request.remote_addr
    g.started = time.perf_counter()
    set_call_id(g.request_id)


def finish_request(response):
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    if request.path.startswith("/api/"):
        # Personal data must not stay in shared caches (GDPR); pages are not framed.
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    started = g.get("started")
    duration_ms = round((time.perf_counter() - started) * 1000, 2) if started else None
    user = g.get("user") or {}
    access_log.info("%s %s %s %sms", request.method, request.path, response.status_code, duration_ms,
                    extra={"http": {
                        "method": request.method, "path": request.path, "status": response.status_code,
                        "duration_ms": duration_ms, "bytes": response.calculate_content_length(),
                        "ip": g.get("ip"), "user_id": user.get("id"),
                        "user_agent": (request.user_agent.string or "")[:200] or None}})
    return response


def end_request(_exc=None):
    set_call_id(None)
