"""The transactional outbox: nothing is lost between a database commit and the event that
announces it.

A service records an event with ``self.outbox.add(name, payload, school_id=...)`` inside the
same session (and so the same transaction) as the change. The relay, a managed thread of every
service instance, publishes unpublished rows in order with publisher confirms and marks them
published only after the broker has confirmed. A crash or a broker outage between the two
means the row is published again later: delivery is at-least-once, and handlers are idempotent
(services.common.handlers). Several instances of a service may relay at once: on PostgreSQL
they take disjoint batches (``FOR UPDATE SKIP LOCKED``); on SQLite the database serialises them.
"""
import logging
import threading
import time

from kombu import Exchange
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .context import CallerContext
from .events import exchange_name, make_envelope, split_name
from .models import OutboxEvent, utcnow

log = logging.getLogger(__name__)

BATCH = 200


def publish_envelope(publisher, envelope):
    service, fact = split_name(envelope["name"])
    exchange = Exchange(exchange_name(service), type="topic", durable=True, auto_delete=False)
    publisher.publish(
        envelope,
        exchange=exchange,
        routing_key=fact,
        declare=[exchange],
        delivery_mode=2,
        message_id=envelope["id"],
        headers={"event_name": envelope["name"], "event_version": envelope["version"],
                 "nameko.call_id_stack": [envelope["actor"].get("call_id") or envelope["id"]]},
        retry=True,
        retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.5},
    )


def relay_batch(engine, publisher, batch=BATCH):
    """Publish up to ``batch`` pending events; returns how many were published."""
    with Session(engine) as session:
        query = select(OutboxEvent).where(OutboxEvent.published_at.is_(None)) \
            .order_by(OutboxEvent.seq).limit(batch)
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = session.scalars(query).all()
        if not rows:
            return 0
        published = 0
        try:
            for row in rows:
                row.attempts += 1
                publish_envelope(publisher, row.envelope)
                row.published_at = utcnow()
                published += 1
        finally:
            # Keep what was confirmed even if a later publish failed.
            session.commit()
        return published


def backlog(engine):
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(OutboxEvent)
                              .where(OutboxEvent.published_at.is_(None)))


class OutboxWriter:
    """What a worker sees as ``self.outbox``."""

    def __init__(self, db_handle, caller, on_add):
        self._db = db_handle   # a callable: the Database dependency may be injected after this one
        self._caller = caller
        self._on_add = on_add

    def add(self, name, payload, *, school_id, caller=None):
        """Record ``name`` with ``payload`` in the worker's current transaction. Returns the envelope."""
        envelope = make_envelope(name, payload, school_id=school_id, caller=caller or self._caller)
        self._db().session.add(OutboxEvent(event_id=envelope["id"], name=name, envelope=envelope))
        self._on_add()
        return envelope


class Outbox(DependencyProvider):
    """``outbox = Outbox()`` on a service class that also has ``db = Database()``."""

    def __init__(self, db_attr="db"):
        self.db_attr = db_attr
        self._wake = threading.Event()
        self._running = False
        self.last_error = None
        self.published_total = 0

    def setup(self):
        self.poll = float(self.container.config.get("OUTBOX_POLL", 0.5))
        self.publisher = Publisher(self.container.config["AMQP_URI"], use_confirms=True)
        self.database = next(dep for dep in self.container.dependencies
                             if getattr(dep, "attr_name", None) == self.db_attr)

    def start(self):
        self._running = True
        self.container.spawn_managed_thread(self._run, identifier="outbox_relay")

    def stop(self):
        self._running = False
        self._wake.set()
        super().stop()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        def handle():
            return self.database.handle_for(worker_ctx)
        caller = CallerContext.from_context_data(worker_ctx.context_data)
        if not caller.call_id:
            caller = caller.with_call_id(worker_ctx.call_id)
        return OutboxWriter(handle, caller, self._mark_pending)

    def _mark_pending(self):
        pass   # the relay is woken in worker_teardown, after the transaction ended

    def worker_teardown(self, worker_ctx):
        # The worker's transaction is over (committed or not): let the relay look now.
        self._wake.set()

    def wake(self):
        self._wake.set()

    def _run(self):
        failures = 0
        while self._running:
            self._wake.wait(self.poll)
            self._wake.clear()
            if not self._running:
                break
            try:
                n = relay_batch(self.database.engine, self.publisher)
                self.published_total += n
                failures = 0
                self.last_error = None
                if n == BATCH:
                    self._wake.set()   # more waiting
            except Exception as exc:   # broker or database down: keep the rows, try again later
                failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("outbox relay failed (%s); retrying", self.last_error)
                time.sleep(min(5.0, 0.2 * 2 ** min(failures, 5)))

    def backlog(self):
        return backlog(self.database.engine)
