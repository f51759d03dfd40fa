"""archive's I/O beyond its own database, each behind a nameko dependency:

- ``RemoteCalls``: RPC for the background runner, which has no worker (standalone proxies
  calling as the system). In RPC workers archive uses the platform's ``SystemRpc``: after it has
  checked the caller, it reads every section of the register as the service itself.
- ``ArchiveRunner``: the background runner. A managed thread of every instance
  (``container.spawn_managed_thread``) takes queued archives one at a time (an UPDATE claims
  one, so two instances never run the same archive) and writes them (``jobs.run``), outside
  any RPC worker: ``start_archive`` answers at once, progress is read with ``archive_status``.
  An archive whose instance died (no heartbeat for ``domain.STALE_AFTER``) is marked failed and
  can be restarted; its partial files are never taken for an archive.
- ``Files``: the data folder (``DZIENNIK_DATA_DIR``) where archives, packages and keys live."""
import logging
import os
import threading
from datetime import datetime, timezone

import eventlet
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common import config
from services.common.context import SYSTEM_CONTEXT
from services.common.metrics import INSTANCE

from . import domain
from .models import Archive

log = logging.getLogger("archive.runner")


# ------------------------------------------------------------------------------------- RPC

class RemoteCalls:
    """RPC for the background runner (which has no worker): standalone proxies on the
    service's broker, as the system, with a timeout per call kind."""

    def __init__(self, amqp_uri, call_id, timeout=60.0, long_timeout=1800.0):
        context = dict(SYSTEM_CONTEXT.to_context_data(), request_id=call_id)
        self._proxies = [ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=context, timeout=t)
                         for t in (timeout, long_timeout)]
        self._started = []

    def __enter__(self):
        self._started = [p.start() for p in self._proxies]
        return self

    def __exit__(self, *exc):
        for proxy in self._proxies:
            try:
                proxy.stop()
            except Exception:   # the broker may be gone; nothing to release then
                pass
        return False

    def call(self, service, method, *args, long=False, **kwargs):
        from nameko.exceptions import RpcTimeout, UnknownService
        from services.common.errors import Unavailable
        proxy = self._started[1 if long else 0]
        try:
            return getattr(getattr(proxy, service), method)(*args, **kwargs)
        except RpcTimeout:
            raise Unavailable(f"Usługa {service} nie odpowiada.")
        except UnknownService:
            raise Unavailable(f"Usługa {service} jest niedostępna.")


# ------------------------------------------------------------------------------------- files

def data_dir():
    return os.path.abspath(config.data_dir())


class Files(DependencyProvider):
    """The data folder, as ``self.files.root``."""

    def get_dependency(self, worker_ctx):
        class _Files:
            root = data_dir()
        return _Files()


# ------------------------------------------------------------------------------------- runner

class ArchiveRunner(DependencyProvider):
    """``runner = ArchiveRunner()``: the background thread that writes queued archives.
    Workers call ``self.runner.wake()`` after committing a queued archive."""

    def __init__(self, db_attr="db", outbox_attr="outbox", poll=2.0):
        self.db_attr, self.outbox_attr, self.poll = db_attr, outbox_attr, poll
        self._wake = threading.Event()
        self._running = False
        self.current = None

    def setup(self):
        deps = {getattr(d, "attr_name", None): d for d in self.container.dependencies}
        self.database, self.outbox = deps[self.db_attr], deps.get(self.outbox_attr)
        self.amqp_uri = self.container.config["AMQP_URI"]

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._run, identifier="archive_runner")

    def stop(self):
        self._running = False
        self._wake.set()
        super().stop()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        return self

    def worker_teardown(self, worker_ctx):
        # The worker's transaction is over: a queued archive is visible now.
        self._wake.set()

    def wake(self):
        self._wake.set()

    # -- the loop
    def _run(self):
        eventlet.sleep(0.5)   # let the container finish starting
        while self._running:
            try:
                self._fail_stale()
                archive_id = self._claim()
                if archive_id:
                    self._execute(archive_id)
                    continue          # look for the next one at once
            except Exception:   # database or broker down: try again on the next round
                log.exception("archive runner round failed")
            self._wake.wait(self.poll)
            self._wake.clear()

    def _fail_stale(self):
        now = datetime.now(timezone.utc)
        with Session(self.database.engine) as s:
            for a in s.scalars(select(Archive).where(Archive.status == "running")):
                beat = a.heartbeat_at if a.heartbeat_at is None or a.heartbeat_at.tzinfo else \
                    a.heartbeat_at.replace(tzinfo=timezone.utc)
                if a.id != self.current and domain.is_stale(a.status, beat, now):
                    a.status, a.finished_at = "failed", now
                    a.message = "Tworzenie archiwum zostało przerwane (usługa zatrzymana). Uruchom je ponownie."
                    log.warning("archive %s was interrupted on %s: marked failed", a.id, a.instance)
            s.commit()

    def _claim(self):
        now = datetime.now(timezone.utc)
        with Session(self.database.engine) as s:
            candidates = s.scalars(select(Archive.id).where(Archive.status == "queued")
                                   .order_by(Archive.requested_at).limit(5)).all()
            for archive_id in candidates:
                result = s.execute(update(Archive).where(Archive.id == archive_id, Archive.status == "queued")
                                   .values(status="running", instance=INSTANCE, started_at=now, heartbeat_at=now,
                                           attempts=Archive.attempts + 1, percent=0, error=None,
                                           message="Rozpoczęto tworzenie archiwum."))
                s.commit()
                if result.rowcount == 1:
                    return archive_id
        return None

    def _execute(self, archive_id):
        from . import jobs
        self.current = archive_id
        try:
            with RemoteCalls(self.amqp_uri, call_id=f"archive-{archive_id}") as remote:
                jobs.run(archive_id, engine=self.database.engine, remote=remote, data_dir=data_dir(),
                         outbox=self.outbox)
        finally:
            self.current = None
