"""Structured logging: one JSON object per line with time, level, service, logger, message and
the call id of the request or event being handled (so one user action can be followed across
the gateway and every service it touched)."""
import json
import logging
import sys
import threading
import warnings
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider

from . import config

_local = threading.local()   # green-thread local once eventlet has monkey-patched threading


def set_call_id(call_id):
    _local.call_id = call_id


def current_call_id():
    return getattr(_local, "call_id", None)


class JsonFormatter(logging.Formatter):
    def __init__(self, service):
        super().__init__()
        self.service = service

    def format(self, record):
        data = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        call_id = getattr(record, "call_id", None) or current_call_id()
        if call_id:
            data["call_id"] = call_id
        for key in ("event_id", "event_name", "queue"):
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def quiet_known_warnings():
    """eventlet warns about its own deprecation on every import; silence that one only."""
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")


class ExpectedErrorFilter(logging.Filter):
    """nameko logs every expected (typed) error at WARNING with a full traceback; a 404 or a
    refused login is not a problem of the service: keep one INFO line without the traceback."""

    def filter(self, record):
        if record.getMessage().startswith("(expected) error"):
            record.levelno, record.levelname, record.exc_info, record.exc_text = logging.INFO, "INFO", None, None
        return True


def setup_logging(service):
    quiet_known_warnings()
    handler = logging.StreamHandler(sys.stderr)
    if config.get("DZIENNIK_LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(config.get("DZIENNIK_LOG_LEVEL"))
    for noisy in ("amqp", "kombu", "nameko.messaging", "nameko.rpc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("nameko.containers").addFilter(ExpectedErrorFilter())


class CallIdLogging(DependencyProvider):
    """Puts the worker's call id (the gateway's request id when there is one) into every log line."""

    def worker_setup(self, worker_ctx):
        data = worker_ctx.context_data or {}
        set_call_id(data.get("request_id") or worker_ctx.call_id)

    def worker_teardown(self, worker_ctx):
        set_call_id(None)

    def get_dependency(self, worker_ctx):
        return logging.getLogger(f"{worker_ctx.service_name}.{worker_ctx.entrypoint.method_name}")
