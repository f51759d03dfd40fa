"""The gateway's RPC pool with real ``ClusterRpcProxy`` objects against the local RabbitMQ.

No project service is needed: ``StandInService`` answers RPCs the way a nameko service does
(consumes ``<name>.*`` on the ``nameko-rpc`` exchange, replies to ``reply_to`` with
``{"result", "error"}``), in a plain thread, so the context headers the gateway sends and the
errors it maps are checked on the wire. No eventlet monkey-patching anywhere."""
import os
import socket
import threading
import time
import uuid

import pytest
from kombu import Connection, Exchange, Queue
from nameko.exceptions import serialize

from gateway.errors import InternalError
from gateway.health import check_services
from gateway.rpc import RpcPool
from services.common.errors import NotFound, Unavailable

pytestmark = pytest.mark.integration   # needs the local RabbitMQ

AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
CLOSED_PORT_URI = "amqp://guest:guest@127.0.0.1:1/"


class StandInService:
    """A minimal nameko-compatible RPC responder; ``handler(method, args, kwargs, context)``."""

    def __init__(self, handler, name=None):
        self.name = name or f"gwtest_{uuid.uuid4().hex[:10]}"
        self.handler = handler
        self.exchange = Exchange("nameko-rpc", type="topic", durable=True)
        self._running = threading.Event()
        self._ready = threading.Event()

    def __enter__(self):
        self._running.set()
        self._thread = threading.Thread(target=self._run, daemon=True, name=self.name)
        self._thread.start()
        assert self._ready.wait(10), "stand-in service did not start"
        return self

    def __exit__(self, *exc):
        self._running.clear()
        self._thread.join(5)

    def _run(self):
        queue = Queue(f"rpc-{self.name}", exchange=self.exchange, routing_key=f"{self.name}.*",
                      auto_delete=True)
        with Connection(AMQP_URI) as conn:
            producer = conn.Producer(serializer="json")

            def on_message(body, message):
                method = message.delivery_info["routing_key"].split(".", 1)[1]
                context = {k[len("nameko."):]: v for k, v in (message.headers or {}).items()
                           if k.startswith("nameko.")}
                try:
                    result, error = self.handler(method, body["args"], body["kwargs"], context), None
                except Exception as exc:   # noqa: BLE001  (sent back like nameko does)
                    result, error = None, serialize(exc)
                producer.publish({"result": result, "error": error}, exchange=self.exchange,
                                 routing_key=message.properties["reply_to"],
                                 correlation_id=message.properties["correlation_id"])
                message.ack()

            with conn.Consumer(queue, callbacks=[on_message], accept=["json"]):
                self._ready.set()
                while self._running.is_set():
                    try:
                        conn.drain_events(timeout=0.1)
                    except socket.timeout:
                        pass


def echo(method, args, kwargs, context):
    if method == "sleep":
        time.sleep(args[0])
    if method == "missing":
        raise NotFound("Nie znaleziono klasy.")
    if method == "crash":
        raise KeyError("bug in the service")
    return {"method": method, "args": args, "kwargs": kwargs, "context": context}


@pytest.fixture()
def pool():
    pool = RpcPool(AMQP_URI, size=4, timeout=5)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def service():
    with StandInService(echo) as svc:
        yield svc


def test_a_call_carries_the_callers_context_and_returns_the_result(pool, service):
    ctx = {"user_id": "u1", "school_id": "s1", "roles": ["teacher"], "request_id": "req-1", "ip": "10.0.0.1"}
    answer = pool.call(service.name, "whoami", 1, "a", ctx=ctx, flag=True)
    assert answer["args"] == [1, "a"] and answer["kwargs"] == {"flag": True}
    assert {k: answer["context"][k] for k in ctx} == ctx


def test_the_context_of_one_call_never_leaks_into_the_next(pool, service):
    pool.call(service.name, "whoami", ctx={"user_id": "u1", "school_id": "s1", "roles": ["school_admin"]})
    answer = pool.call(service.name, "whoami", ctx={"request_id": "anon-1"})
    assert pool.stats()["created"] == 1   # the same proxy served both calls
    assert "user_id" not in answer["context"] and "roles" not in answer["context"]
    assert answer["context"]["request_id"] == "anon-1"


def test_each_thread_gets_its_own_proxy_and_none_is_shared(pool, service):
    """Eight threads, four proxies: at any moment a proxy is held by at most one thread, and
    four threads holding proxies at once hold four different ones."""
    holders = {}
    lock = threading.Lock()
    barrier = threading.Barrier(4, timeout=10)
    seen_together = []
    errors = []

    def worker(i):
        try:
            for round_ in range(5):
                slot = pool.checkout(wait=10)
                try:
                    with lock:
                        assert id(slot) not in holders, "a proxy was handed to two threads at once"
                        holders[id(slot)] = i
                    if round_ == 0 and i < 4:
                        barrier.wait()   # the first four hold their proxies at the same time
                        with lock:
                            seen_together.append(id(slot))
                    time.sleep(0.01)
                    # A real call through the checked-out proxy works while others are busy too.
                    slot.prepare({"user_id": f"u{i}"}, 5)
                    answer = slot.service(service.name, 5).whoami()
                    assert answer["context"]["user_id"] == f"u{i}"
                finally:
                    with lock:
                        del holders[id(slot)]
                    pool.checkin(slot)
        except Exception as exc:   # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert len(set(seen_together)) == 4
    assert pool.stats()["created"] <= 4
    assert pool.stats()["in_use"] == 0


def test_concurrent_calls_from_many_threads_get_their_own_answers(pool, service):
    results, errors = {}, []

    def worker(i):
        try:
            for j in range(10):
                answer = pool.call(service.name, "whoami", i, j, ctx={"user_id": f"user-{i}"})
                assert answer["args"] == [i, j] and answer["context"]["user_id"] == f"user-{i}"
            results[i] = True
        except Exception as exc:   # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(results) == 8


def test_a_service_that_is_not_running_is_unavailable_within_the_timeout(monkeypatch):
    monkeypatch.setenv("DZIENNIK_RPC_TIMEOUT", "1")
    pool = RpcPool(AMQP_URI, size=2)   # timeout from DZIENNIK_RPC_TIMEOUT
    assert pool.timeout == 1.0
    started = time.monotonic()
    with pytest.raises(Unavailable) as info:
        pool.call(f"gwtest_absent_{uuid.uuid4().hex[:8]}", "health")
    assert time.monotonic() - started < 1.5
    assert info.value.http_status == 503 and "niedostępna" in info.value.message
    assert pool.stats()["discarded"] == 1   # the proxy was not reused
    pool.close()


def test_a_service_that_does_not_answer_times_out_and_the_proxy_is_discarded(monkeypatch):
    """A queue is bound (so the request is routed) but nobody consumes it."""
    monkeypatch.setenv("DZIENNIK_RPC_TIMEOUT", "1")
    name = f"gwtest_silent_{uuid.uuid4().hex[:8]}"
    with Connection(AMQP_URI) as conn:
        queue = Queue(f"rpc-{name}", exchange=Exchange("nameko-rpc", type="topic", durable=True),
                      routing_key=f"{name}.*", auto_delete=False)
        queue(conn.channel()).declare()
        try:
            pool = RpcPool(AMQP_URI, size=2)
            started = time.monotonic()
            with pytest.raises(Unavailable) as info:
                pool.call(name, "health")
            elapsed = time.monotonic() - started
            assert 0.9 <= elapsed < 3, elapsed
            assert "nie odpowiada" in info.value.message
            assert pool.stats() | {"created": 1, "discarded": 1, "idle": 0} == pool.stats()
            # The request expired in the queue (TTL = timeout): it will not run later.
            time.sleep(0.3)
            _, count, _ = queue(conn.channel()).queue_declare(passive=True)
            assert count == 0
            pool.close()
        finally:
            queue(conn.channel()).delete()


def test_typed_errors_arrive_as_the_same_class_and_keep_the_proxy(pool, service):
    with pytest.raises(NotFound) as info:
        pool.call(service.name, "missing")
    assert info.value.message == "Nie znaleziono klasy."
    assert pool.stats()["discarded"] == 0 and pool.stats()["idle"] == 1


def test_an_untyped_remote_error_becomes_a_generic_500(pool, service, caplog):
    with pytest.raises(InternalError) as info:
        pool.call(service.name, "crash")
    assert info.value.http_status == 500 and "KeyError" not in info.value.message
    assert "KeyError" in caplog.text   # the details are logged for the operators


def test_a_closed_broker_port_is_unavailable_quickly():
    pool = RpcPool(CLOSED_PORT_URI, size=2, timeout=1)
    started = time.monotonic()
    with pytest.raises(Unavailable):
        pool.call("identity", "health")
    assert time.monotonic() - started < 5
    started = time.monotonic()
    with pytest.raises(Unavailable):   # the broker is known to be down: fail fast
        pool.call("identity", "health")
    assert time.monotonic() - started < 0.5


def test_after_a_fork_the_pool_starts_empty(pool, service):
    pool.call(service.name, "whoami")
    parent_slot = pool._idle[0]
    pool._pid = -1   # as seen from a forked child: the pid no longer matches
    answer = pool.call(service.name, "whoami")
    assert answer["method"] == "whoami"
    assert parent_slot not in pool._idle   # the parent's proxy was abandoned, not reused


def test_a_dropped_connection_is_detected_before_reuse(pool, service):
    pool.call(service.name, "whoami")
    slot = pool._idle[0]
    # Simulate the broker closing the connection (as on a broker restart).
    slot.consumer.connection._connection.sock.shutdown(socket.SHUT_RDWR)
    answer = pool.call(service.name, "whoami")
    assert answer["method"] == "whoami"
    assert slot not in pool._idle and pool.stats()["discarded"] == 1


def test_the_pool_is_bounded_and_a_waiting_thread_gets_unavailable(service):
    pool = RpcPool(AMQP_URI, size=1, timeout=5)
    slot = pool.checkout()
    try:
        with pytest.raises(Unavailable):
            pool.checkout(wait=0.2)
    finally:
        pool.checkin(slot)
    assert pool.call(service.name, "whoami")["method"] == "whoami"
    pool.close()


def test_health_check_reports_each_service_concurrently(pool):
    def health(method, args, kwargs, context):
        if method == "health":
            time.sleep(0.3)
            return {"service": "x", "ok": True, "database": "ok"}
        raise AssertionError(method)

    with StandInService(health) as a, StandInService(health) as b:
        absent = f"gwtest_absent_{uuid.uuid4().hex[:8]}"
        started = time.monotonic()
        results = check_services(pool, [a.name, b.name, absent], 2.0, {"request_id": "health-1"})
        elapsed = time.monotonic() - started
    assert elapsed < 0.9, elapsed   # concurrent: not 2 x 0.3 s one after the other
    assert list(results) == [a.name, b.name, absent]
    for name in (a.name, b.name):
        assert results[name]["reachable"] and results[name]["ok"]
        assert results[name]["report"]["database"] == "ok"
        assert results[name]["round_trip_ms"] >= 300
    assert results[absent] == {"reachable": False, "ok": False, "round_trip_ms": None, "report": None,
                               "error": results[absent]["error"]}
    assert "niedostępna" in results[absent]["error"]


def test_a_late_reply_on_an_idle_proxy_is_acked_and_ignored(pool, service):
    """A call abandoned without waiting for its reply (an interrupted thread) leaves the reply
    on the proxy's queue; the next user of the proxy must get its own answer, not that one."""
    slot = pool.checkout()
    slot.prepare({}, 5)
    slot.service(service.name, 5).sleep.call_async(0.2)
    pool.checkin(slot)
    time.sleep(0.6)   # the reply arrives while the proxy is idle
    answer = pool.call(service.name, "whoami", "mine")
    assert answer["args"] == ["mine"]
    assert pool.stats()["discarded"] == 0 and pool.stats()["created"] == 1
    assert slot.consumer.replies == {}
