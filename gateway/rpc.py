"""RPC from the gateway to the services: a per-process pool of standalone nameko proxies.

Why a pool (../shared/STACK.md): a ``ClusterRpcProxy`` must never be used by two threads at
once (it corrupts the AMQP stream), must be made after gunicorn forks, and a pool of a few
proxies per process checked out per call was the fastest pattern measured with gthread workers.

- Lazily filled, at most DZIENNIK_RPC_POOL_SIZE proxies per process; a thread checks one out
  for one call and checks it in afterwards, so no proxy is ever shared by two threads.
- Fork-safe: the pool remembers its pid; in a new process it starts empty (the parent's
  connections are abandoned, never used or closed from the child).
- Every call waits at most DZIENNIK_RPC_TIMEOUT seconds for the reply.
- The caller's context (user_id, school_id, roles, a parent's children, request_id, ip) is
  written into the checked out proxy's worker context before each call; nameko reads it when it
  publishes the request.
- Failures: ``RpcTimeout``, ``UnknownService`` (no instance is listening) and AMQP/socket errors
  discard the proxy (it may be half-broken) and raise the typed ``Unavailable`` (503). A remote
  error that is not one of our typed errors is logged and raised as ``InternalError`` (500).
  Typed errors (``RegisterError``) pass through unchanged: the error registry maps them.
"""
import logging
import os
import select
import socket
import threading
import time
import weakref

import amqp.exceptions
import kombu.exceptions
from flask import current_app, g, has_request_context
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterRpcProxy

from services.common import config
from services.common.errors import RegisterError, Unavailable

from .errors import InternalError

log = logging.getLogger("gateway.rpc")

CONTEXT_KEYS = ("user_id", "school_id", "roles", "children", "request_id", "ip")

# Errors of the transport: the proxy's connection (or the broker) is in trouble.
TRANSPORT_ERRORS = (OSError, amqp.exceptions.AMQPError, kombu.exceptions.OperationalError)

# nameko's default publish retry (3 retries, 2 s apart) would outlast the RPC timeout; one quick
# retry covers a stale pooled connection, anything longer is an outage (503).
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.3}

# After a failed connect, fail fast for this long instead of making every request wait for
# kombu's connect retries (about 2 s each) while the broker is down.
BROKER_RETRY_AFTER = 1.0

NOT_RESPONDING = "Usługa {service} nie odpowiada. Spróbuj ponownie za chwilę."
NOT_RUNNING = "Usługa {service} jest chwilowo niedostępna. Spróbuj ponownie za chwilę."
BROKER_DOWN = "Brak połączenia z usługami dziennika. Spróbuj ponownie za chwilę."
POOL_BUSY = "Serwer jest przeciążony. Spróbuj ponownie za chwilę."

_POOLS = weakref.WeakSet()


class _Slot:
    """One started standalone proxy and the service proxies made from it."""

    def __init__(self, amqp_uri, timeout):
        self.runner = ClusterRpcProxy({"AMQP_URI": amqp_uri, "serializer": "json"}, timeout=timeout)
        self.cluster = self.runner.start()          # the started ClusterProxy
        self.worker_ctx = self.cluster._worker_ctx   # its .data is read at publish time
        self.consumer = self.runner._reply_listener.queue_consumer
        self.default_timeout = timeout
        self.pid = os.getpid()
        self.calls = 0
        self._services = {}

    def service(self, name, timeout):
        """Like ``cluster.<name>`` (same worker context and reply queue), plus: a publish retry
        policy bounded by the RPC timeout, and a per-message TTL equal to the timeout. A request
        that no instance has picked up by the time the caller gives up (503) expires in the
        queue instead of being executed later, after the user was told to try again."""
        key = (name, timeout)
        proxy = self._services.get(key)
        if proxy is None:
            proxy = self._services[key] = ServiceProxy(
                self.worker_ctx, name, self.runner._reply_listener,
                retry_policy=PUBLISH_RETRY_POLICY, expiration=timeout)
        return proxy

    def prepare(self, ctx, timeout):
        data = self.worker_ctx.data
        data.clear()
        data.update({k: v for k, v in (ctx or {}).items() if k in CONTEXT_KEYS and v is not None})
        self.consumer.timeout = timeout

    def looks_alive(self):
        """Cheap check before reuse (no network round trip): a socket that is readable while no
        call is pending holds either a stale reply or the broker closing the connection (after a
        broker restart). Drain it; a connection error means the slot must be replaced *before*
        a request is published through it."""
        self.runner._reply_listener._reply_events.clear()   # leftovers of an interrupted call
        try:
            self._drop_stale_replies()
            conn = self.consumer.connection._connection   # the py-amqp connection
            sock = conn.sock if conn is not None else None
            if sock is None:
                return False
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return True
            try:
                self.consumer.consumer.connection.drain_events(timeout=0.01)
            except socket.timeout:
                pass
            self._drop_stale_replies()
        except Exception:   # noqa: BLE001  (any error here means: do not reuse)
            return False
        return True

    def _drop_stale_replies(self):
        """Replies nobody waits for any more (late answers to a call that gave up): ack them
        so they do not stay unacknowledged on the channel, and forget them."""
        replies, self.consumer.replies = self.consumer.replies, {}
        for _body, message in replies.values():
            message.ack()

    def close(self, graceful):
        try:
            if graceful:
                self.runner.stop()                  # AMQP close handshake
            else:
                self.consumer.connection.collect()  # drop the socket, no handshake to hang on
        except Exception:   # noqa: BLE001  (closing a broken connection may fail; nothing to do)
            pass


class RpcPool:
    """A per-process pool of started ``ClusterRpcProxy`` objects."""

    def __init__(self, amqp_uri=None, size=None, timeout=None):
        self.amqp_uri = amqp_uri or config.get("AMQP_URI")
        self.size = max(1, int(size or config.get("DZIENNIK_RPC_POOL_SIZE")))
        self.timeout = float(timeout or config.get("DZIENNIK_RPC_TIMEOUT"))
        self._guard = threading.Lock()
        self._reset()
        _POOLS.add(self)

    def _reset(self):
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._free = threading.BoundedSemaphore(self.size)
        self._idle = []
        self._in_use = set()
        self._down_until = 0.0
        self.created = 0
        self.discarded = 0

    def _ensure_process(self):
        if self._pid != os.getpid():
            with self._guard:
                if self._pid != os.getpid():
                    # Forked: the parent's proxies share its sockets; abandon them, never touch them.
                    self._reset()

    # -------------------------------------------------------------- check out / check in

    def checkout(self, wait=None):
        """A started proxy slot for the calling thread only. Waits at most ``wait`` seconds
        (default: the RPC timeout) for a free one."""
        self._ensure_process()
        free = self._free
        deadline = time.monotonic() + (self.timeout if wait is None else wait)
        while not free.acquire(timeout=0.05):
            if self._broker_down():
                raise Unavailable(BROKER_DOWN)
            if time.monotonic() >= deadline:
                raise Unavailable(POOL_BUSY)
        try:
            while True:
                with self._lock:
                    slot = self._idle.pop() if self._idle else None
                if slot is None:
                    slot = self._create()
                    break
                if slot.looks_alive():
                    break
                self._discard(slot, "stale connection")
            with self._lock:
                self._in_use.add(slot)
            return slot
        except BaseException:
            free.release()
            raise

    def checkin(self, slot, broken=False):
        with self._lock:
            self._in_use.discard(slot)
        if broken or slot.pid != os.getpid() or self._pid != os.getpid():
            self._discard(slot, "broken")
        else:
            with self._lock:
                self._idle.append(slot)
        if slot.pid == os.getpid():
            self._free.release()

    def _broker_down(self):
        return time.monotonic() < self._down_until

    def _create(self):
        if self._broker_down():
            raise Unavailable(BROKER_DOWN)
        try:
            slot = _Slot(self.amqp_uri, self.timeout)
        except TRANSPORT_ERRORS as exc:
            self._down_until = time.monotonic() + BROKER_RETRY_AFTER
            log.warning("cannot connect to the broker: %s: %s", type(exc).__name__, exc)
            raise Unavailable(BROKER_DOWN) from None
        self.created += 1
        return slot

    def _discard(self, slot, why):
        self.discarded += 1
        log.info("discarding an RPC proxy (%s)", why)
        slot.close(graceful=False)

    # -------------------------------------------------------------- calls

    def call(self, service, method, *args, ctx=None, **kwargs):
        """``service.method(*args, **kwargs)`` with the caller's context; see the module docstring."""
        return self.invoke(service, method, args, kwargs, ctx=ctx)

    def invoke(self, service, method, args=(), kwargs=None, *, ctx=None, timeout=None, wait=None):
        """``call`` with explicit ``timeout`` (reply wait) and ``wait`` (pool checkout wait)."""
        timeout = float(timeout or self.timeout)
        slot = self.checkout(wait=wait)
        broken = True
        try:
            slot.prepare(ctx, timeout)
            slot.calls += 1
            try:
                result = getattr(slot.service(service, timeout), method)(*args, **(kwargs or {}))
            except Exception as exc:   # noqa: BLE001  (translated below)
                error, broken = self._translate(exc, service, method, timeout)
                if error is exc:
                    raise
                raise error from None
            broken = False
            return result
        finally:
            self.checkin(slot, broken)

    def invoke_many(self, calls, *, ctx=None, timeout=None, wait=None):
        """Several calls in flight at once on one checked-out proxy: ``calls`` is a list of
        ``(service, method, args, kwargs)``; the results come back in the same order. A page that
        needs three services waits for the slowest reply instead of the sum of all. Every reply
        is awaited before the first error (in call order) is raised, so no reply is left behind
        on the proxy's queue; a timeout or a transport error discards the proxy instead."""
        timeout = float(timeout or self.timeout)
        slot = self.checkout(wait=wait)
        broken, errors, replies = False, [], []
        try:
            slot.prepare(ctx, timeout)
            for service, method, args, kwargs in calls:
                slot.calls += 1
                try:
                    replies.append((service, method, getattr(slot.service(service, timeout), method)
                                    .call_async(*args, **(kwargs or {}))))
                except Exception as exc:   # noqa: BLE001
                    error, broken = self._translate(exc, service, method, timeout)
                    errors.append((exc, error))
                    break
            results = []
            for service, method, reply in replies:
                if broken:
                    break
                try:
                    results.append(reply.result())
                except Exception as exc:   # noqa: BLE001
                    error, broken = self._translate(exc, service, method, timeout)
                    errors.append((exc, error))
                    results.append(None)
            if errors:
                exc, error = errors[0]
                if error is exc:
                    raise exc
                raise error from None
            return results
        finally:
            self.checkin(slot, broken)

    @staticmethod
    def _translate(exc, service, method, timeout):
        """(the exception to raise, whether the proxy must be discarded) for a failed call."""
        if isinstance(exc, RegisterError):
            return exc, False
        if isinstance(exc, RpcTimeout):
            log.warning("RPC %s.%s: no reply within %s s", service, method, timeout)
            return Unavailable(NOT_RESPONDING.format(service=service)), True
        if isinstance(exc, UnknownService):
            log.warning("RPC %s.%s: no instance of %s is running", service, method, service)
            return Unavailable(NOT_RUNNING.format(service=service)), True
        if isinstance(exc, TRANSPORT_ERRORS):
            log.warning("RPC %s.%s: connection error %s: %s", service, method, type(exc).__name__, exc)
            return Unavailable(BROKER_DOWN), True
        if isinstance(exc, RuntimeError) and "consumer" in str(exc):
            # nameko's polling consumer: "This consumer has been disconnected/stopped".
            log.warning("RPC %s.%s: %s", service, method, exc)
            return Unavailable(BROKER_DOWN), True
        if isinstance(exc, RemoteError):
            log.error("RPC %s.%s raised %s: %s", service, method, exc.exc_type, exc.value)
            return InternalError(), False
        if isinstance(exc, RuntimeError):
            log.exception("RPC %s.%s failed in the gateway", service, method)
            return InternalError(), False
        # MethodNotFound, IncorrectSignature, encoding errors...
        log.error("RPC %s.%s failed: %s: %s", service, method, type(exc).__name__, exc)
        return InternalError(), False

    # -------------------------------------------------------------- housekeeping

    def stats(self):
        with self._lock:
            return {"size": self.size, "idle": len(self._idle), "in_use": len(self._in_use),
                    "created": self.created, "discarded": self.discarded, "timeout_s": self.timeout}

    def close(self):
        """Close the idle proxies of this process (at worker exit)."""
        if self._pid != os.getpid():
            return
        with self._lock:
            idle, self._idle = self._idle, []
        for slot in idle:
            slot.close(graceful=True)


def close_all_pools():
    for pool in list(_POOLS):
        pool.close()


# ------------------------------------------------------------------ the request-level helpers

def get_pool():
    return current_app.extensions["dziennik_rpc"]


def current_context():
    """The RPC context of the current request (anonymous outside one)."""
    if has_request_context():
        ctx = g.get("rpc_ctx")
        if ctx is not None:
            return ctx
        return {"request_id": g.get("request_id"), "ip": g.get("ip")}
    return {}


def call(service, method, *args, ctx=None, **kwargs):
    """Call ``service.method`` through the app's pool with the caller's context (by default the
    current request's: the logged-in user, or anonymous with request id and ip)."""
    return get_pool().invoke(service, method, args, kwargs,
                             ctx=current_context() if ctx is None else ctx)


def call_many(*calls, ctx=None):
    """Several ``(service, method, args, kwargs)`` calls in flight together (``invoke_many``),
    with the caller's context; their results in order."""
    return get_pool().invoke_many(list(calls), ctx=current_context() if ctx is None else ctx)
