"""The transactional outbox against a real database and the real broker: an event is published
only if its transaction committed, and a broker outage delays it without losing it."""
import types
import uuid

import pytest
from kombu import Connection, Exchange, Queue
from nameko.amqp.publish import Publisher
from sqlalchemy.orm import Session

from services.common.context import CallerContext
from services.common.db import make_engine
from services.common.models import OutboxEvent, PlatformBase
from services.common.outbox import OutboxWriter, backlog, relay_batch
from tests.harness import Backend, Broker

pytestmark = pytest.mark.integration


@pytest.fixture
def env(backend_kind):
    backend, broker = Backend(backend_kind), Broker().create()
    engine = make_engine(backend.url("outboxtest"))
    PlatformBase.metadata.create_all(engine)
    try:
        yield engine, broker
    finally:
        engine.dispose()
        broker.delete()
        backend.cleanup()


def writer_for(session):
    handle = types.SimpleNamespace(session=session)
    return OutboxWriter(lambda: handle, CallerContext(user_id="u1", school_id="s1", roles=("teacher",)), lambda: None)


def bind_queue(broker):
    with Connection(broker.amqp_uri) as conn:
        q = Queue(f"probe-{uuid.uuid4().hex[:6]}", exchange=Exchange("identity.events", type="topic", durable=True),
                  routing_key="account_created", durable=True)
        q(conn.channel()).declare()
        return q.name


def test_rolled_back_transaction_publishes_nothing(env):
    engine, broker = env
    with Session(engine) as s:
        writer_for(s).add("identity.account_created", {"user_id": "a", "login": "x", "roles": []}, school_id="s1")
        s.rollback()
    assert backlog(engine) == 0


def test_broker_outage_keeps_events_until_published(env):
    engine, broker = env
    queue = bind_queue(broker)
    with Session(engine) as s:
        w = writer_for(s)
        for i in range(5):
            w.add("identity.account_created", {"user_id": f"u{i}", "login": f"l{i}", "roles": ["student"]},
                  school_id="s1")
        s.commit()
    dead = Publisher("amqp://guest:guest@127.0.0.1:1/", use_confirms=True)
    with pytest.raises(Exception):
        relay_batch(engine, dead)
    assert backlog(engine) == 5          # nothing marked published without a confirm
    live = Publisher(broker.amqp_uri, use_confirms=True)
    assert relay_batch(engine, live) == 5
    assert backlog(engine) == 0
    assert relay_batch(engine, live) == 0
    assert broker.queue_depth(queue) == 5
    with Session(engine) as s:
        rows = s.query(OutboxEvent).order_by(OutboxEvent.seq).all()
        assert [r.envelope["payload"]["login"] for r in rows] == [f"l{i}" for i in range(5)]
        assert all(r.envelope["actor"]["user_id"] == "u1" for r in rows)
