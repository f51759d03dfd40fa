"""The base of every service class: the dependencies each one has and the ``health`` RPC.

    class IdentityService(PlatformService):
        name = "identity"

Every service gets ``db`` (its own database), ``outbox`` (events in the same transaction),
``caller`` (the caller's context) and ``log`` (a logger that tags lines with the call id).
Name the class explicitly when running it (``module:Class``): nameko would also pick up this base.
"""
import time

from sqlalchemy import func, select, text

from .context import Caller
from .draining import DrainingRpc
from .db import Database
from .errors import EXPECTED
from .logs import CallIdLogging
from .metrics import INSTANCE, STARTED, VERSION, Metrics
from .models import OutboxEvent
from .outbox import Outbox


def typed_rpc(fn=None, **kwargs):
    """``@rpc`` that declares the platform's typed errors as expected (no error log for a 404)
    and drains its in-flight calls on a graceful stop (services.common.draining)."""
    kwargs.setdefault("expected_exceptions", EXPECTED)
    if fn is None:
        return DrainingRpc.decorator(**kwargs)
    return DrainingRpc.decorator(**kwargs)(fn)


class PlatformService:
    name = None
    db = Database()
    outbox = Outbox()
    caller = Caller()
    log = CallIdLogging()
    metrics = Metrics()

    @typed_rpc
    def health(self):
        """Liveness and readiness of this instance: database reachable, outbox backlog."""
        db_ok, db_error, backlog = True, None, None
        try:
            self.db.session.execute(text("SELECT 1"))
            backlog = self.outbox_backlog()
        except Exception as exc:   # report, do not raise: health must answer
            db_ok, db_error = False, f"{type(exc).__name__}: {exc}"[:300]
        return {"service": self.name, "instance": INSTANCE, "version": VERSION,
                "uptime_s": round(time.time() - STARTED, 1), "database": "ok" if db_ok else "error",
                "database_error": db_error, "outbox_backlog": backlog, "ok": db_ok}

    def outbox_backlog(self):
        return self.db.session.scalar(select(func.count()).select_from(OutboxEvent)
                                      .where(OutboxEvent.published_at.is_(None)))
