"""The base of every service class: the dependencies each one has and the ``health`` RPC.

    class IdentityService(PlatformService):
        name = "identity"

Every service gets ``db`` (its own database), ``outbox`` (events in the same transaction),
``caller`` (the caller's context) and ``log`` (a logger that tags lines with the call id).
Name the class explicitly when running it (``module:Class``): nameko would also pick up this base.
"""
import os
import socket
import time
import uuid

from nameko.rpc import rpc

from .context import Caller
from .db import Database
from .errors import EXPECTED
from .logs import CallIdLogging
from .outbox import Outbox

VERSION = "0.1.0"
STARTED = time.time()
INSTANCE = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def typed_rpc(fn=None, **kwargs):
    """``@rpc`` that declares the platform's typed errors as expected (no error log for a 404)."""
    kwargs.setdefault("expected_exceptions", EXPECTED)
    if fn is None:
        return rpc(**kwargs)
    return rpc(**kwargs)(fn)


class PlatformService:
    name = None
    db = Database()
    outbox = Outbox()
    caller = Caller()
    log = CallIdLogging()

    @typed_rpc
    def health(self):
        """Liveness and readiness of this instance: database reachable, outbox backlog."""
        db_ok, db_error, backlog = True, None, None
        try:
            self.db.session.execute(__import__("sqlalchemy").text("SELECT 1"))
            backlog = self.outbox_backlog()
        except Exception as exc:   # report, do not raise: health must answer
            db_ok, db_error = False, f"{type(exc).__name__}: {exc}"[:300]
        return {"service": self.name, "instance": INSTANCE, "version": VERSION,
                "uptime_s": round(time.time() - STARTED, 1), "database": "ok" if db_ok else "error",
                "database_error": db_error, "outbox_backlog": backlog, "ok": db_ok}

    def outbox_backlog(self):
        from sqlalchemy import func, select
        from .models import OutboxEvent
        return self.db.session.scalar(select(func.count()).select_from(OutboxEvent)
                                      .where(OutboxEvent.published_at.is_(None)))
