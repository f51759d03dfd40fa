"""RPC for the generator: one started standalone proxy per thread, the caller's context per call.

A nameko ``ClusterRpcProxy`` must never be shared between threads (../shared/STACK.md), and its
context is read from its worker context when a request is published. So every thread of the
loader's pool owns one proxy (``threading.local``), and each call writes the acting user's
context (``user_id``, ``school_id``, ``roles``) into that proxy's worker context just before it
publishes: the services check permissions exactly as they do for the gateway's calls.

Transient failures (``Unavailable``: a service-to-service call timed out under load, an RPC
timeout) are retried with back-off; everything else is raised to the phase, which reports it.
"""
import threading
import time

import services  # noqa: F401  (first: silences eventlet's deprecation warning)
import services.common.errors  # noqa: F401  (typed errors deserialise to their classes)
# Import nameko (and with it eventlet) here, in the main thread: imported for the first time
# inside a pool thread, eventlet leaves that thread's end unannounced and the pool's shutdown
# waits for it forever (measured: ThreadPoolExecutor.__exit__ hangs in _wait_for_tstate_lock).
from nameko.exceptions import RpcTimeout
from nameko.standalone.rpc import ClusterRpcProxy
from services.common.errors import Unavailable

RETRIES = 6


class RpcClient:
    def __init__(self, amqp_uri, timeout=120.0):
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self._local = threading.local()
        self._all = []
        self._lock = threading.Lock()
        self.calls = 0
        self.retries = 0

    def _proxy(self):
        proxy = getattr(self._local, "proxy", None)
        if proxy is None:
            runner = ClusterRpcProxy({"AMQP_URI": self.amqp_uri, "serializer": "json"}, timeout=self.timeout)
            proxy = runner.start()
            self._local.runner, self._local.proxy = runner, proxy
            with self._lock:
                self._all.append(runner)
        return proxy

    def _discard(self):
        runner = getattr(self._local, "runner", None)
        self._local.proxy = self._local.runner = None
        if runner is not None:
            with self._lock:
                if runner in self._all:
                    self._all.remove(runner)
            try:
                runner.stop()
            except Exception:   # noqa: BLE001  (a broken connection may fail to close)
                pass

    def call(self, ctx, service, method, *args, **kwargs):
        """``service.method(*args, **kwargs)`` as ``ctx`` (a dict: user_id, school_id, roles)."""
        delay = 0.5
        for attempt in range(RETRIES + 1):
            proxy = self._proxy()
            data = proxy._worker_ctx.data
            data.clear()
            data.update({k: v for k, v in ctx.items() if v is not None})
            try:
                result = getattr(getattr(proxy, service), method)(*args, **kwargs)
                with self._lock:
                    self.calls += 1
                return result
            except (Unavailable, RpcTimeout) as exc:
                if isinstance(exc, RpcTimeout):
                    self._discard()   # a late reply would confuse the next call on this proxy
                if attempt == RETRIES:
                    raise
                with self._lock:
                    self.retries += 1
                time.sleep(delay)
                delay = min(delay * 2, 8.0)

    def close(self):
        with self._lock:
            runners, self._all = self._all, []
        for runner in runners:
            try:
                runner.stop()
            except Exception:   # noqa: BLE001
                pass


def ctx_of(account):
    """The RPC context of a loaded account (``{"id", "school_id", "roles"}``)."""
    data = {"user_id": account["id"], "school_id": account.get("school_id"), "roles": list(account["roles"])}
    return {k: v for k, v in data.items() if v is not None}


SYSTEM = {"roles": ["system"]}
