"""The base of every service class: the dependencies each one has and the ``health`` RPC.

    class IdentityService(PlatformService):
        name = "identity"

Every service gets ``db`` (its own database), ``outbox`` (events in the same transaction),
``caller`` (the caller's context) and ``log`` (a logger that tags lines with the call id).
Name the class explicitly when running it (``module:Class``): nameko would also pick up this base.
"""
import hashlib
import os
import sqlite3
import subprocess
import time
from datetime import datetime, timezone

from eventlet import tpool
from sqlalchemy import func, select, text

from . import config
from .context import Caller
from .draining import DrainingRpc
from .db import Database
from .errors import EXPECTED, Forbidden, Unavailable
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

    @typed_rpc
    def backup_database(self, label=None):
        """A consistent copy of this service's whole database (OPS-3, ARC-1; the system and the
        association administrator): SQLite through the online backup API, PostgreSQL through
        ``pg_dump --format=custom`` (one snapshot). The file goes to
        ``DZIENNIK_DATA_DIR/backups/<service>/``; returns its path, size and SHA-256."""
        self.caller.require_authenticated()
        if not (self.caller.is_system or self.caller.is_association_admin):
            raise Forbidden()
        folder = os.path.join(os.path.abspath(config.data_dir()), "backups", self.name)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        tag = "".join(ch for ch in str(label or "") if ch.isalnum() or ch in "-_")[:60]
        url = self.db.engine.url
        kind = "sqlite" if url.get_backend_name() == "sqlite" else "pg_dump"
        path = os.path.join(folder, f"{self.name}-{stamp}{'-' + tag if tag else ''}."
                                    f"{'sqlite' if kind == 'sqlite' else 'dump'}")
        # Blocking work (file copy, a child process) runs in a real thread, not the event loop.
        if kind == "sqlite":
            tpool.execute(_sqlite_backup, url.database, path)
        else:
            tpool.execute(_pg_dump, url, path)
        os.chmod(path, 0o600)
        return {"service": self.name, "kind": kind, "path": path, "size": os.path.getsize(path),
                "sha256": tpool.execute(_sha256_file, path),
                "created_at": datetime.now(timezone.utc).isoformat()}

    def outbox_backlog(self):
        return self.db.session.scalar(select(func.count()).select_from(OutboxEvent)
                                      .where(OutboxEvent.published_at.is_(None)))


def _sqlite_backup(source, target):
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)    # a consistent snapshot even while workers write (WAL)
    finally:
        dst.close()
        src.close()


def _pg_dump(url, target):
    """``pg_dump`` (the PostgreSQL client, Debian package postgresql-client) of one database;
    the password travels in the environment, never on the command line."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = ["pg_dump", "--format=custom", "--no-owner", "--file", target]
    for flag, value in (("--host", url.host), ("--port", url.port), ("--username", url.username)):
        if value:
            args += [flag, str(value)]
    args.append(url.database)
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError:
        raise Unavailable("Brak programu pg_dump (klient PostgreSQL) na serwerze usługi.")
    if result.returncode != 0:
        if os.path.exists(target):
            os.remove(target)
        raise Unavailable(f"Kopia bazy danych nie powiodła się: {result.stderr.strip()[:300]}")


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
