"""Calling another service from inside a service, with a timeout.

nameko's in-service ``RpcProxy`` waits forever for a reply; ``ServiceRpc("identity")`` waits at
most DZIENNIK_RPC_TIMEOUT seconds and then raises the typed ``Unavailable``. The caller's
context travels with the call (nameko forwards the worker's context data)."""
import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy

from . import config
from .errors import Unavailable


class _TimedMethod:
    def __init__(self, method, timeout, service):
        self._method, self._timeout, self._service = method, timeout, service

    def __call__(self, *args, **kwargs):
        try:
            with eventlet.Timeout(self._timeout):
                return self._method.call_async(*args, **kwargs).result()
        except eventlet.Timeout:
            raise Unavailable(f"Usługa {self._service} nie odpowiada.")
        except UnknownService:
            raise Unavailable(f"Usługa {self._service} jest niedostępna.")


class _TimedProxy:
    def __init__(self, proxy, timeout, service):
        self._proxy, self._timeout, self._service = proxy, timeout, service

    def __getattr__(self, name):
        return _TimedMethod(getattr(self._proxy, name), self._timeout, self._service)


class ServiceRpc(RpcProxy):
    def __init__(self, target_service, timeout=None, **options):
        super().__init__(target_service, **options)
        self.timeout = timeout

    def get_dependency(self, worker_ctx):
        timeout = self.timeout or float(config.get("DZIENNIK_RPC_TIMEOUT"))
        return _TimedProxy(super().get_dependency(worker_ctx), timeout, self.target_service)


class _AsSystem:
    """A view of a worker context whose context data carry the system's identity; the call id
    stack and request id are kept so logs still follow the user's action, and the user goes
    along as ``on_behalf_of`` for the other service's logs."""

    def __init__(self, worker_ctx):
        self._worker_ctx = worker_ctx

    def __getattr__(self, name):
        return getattr(self._worker_ctx, name)

    @property
    def context_data(self):
        from .context import SYSTEM_CONTEXT
        data = self._worker_ctx.context_data
        keep = {k: v for k, v in data.items() if k in ("call_id_stack", "request_id") and v is not None}
        out = {**keep, **SYSTEM_CONTEXT.to_context_data()}
        if data.get("user_id"):
            out["on_behalf_of"] = data["user_id"]
        return out


class SystemRpc(ServiceRpc):
    """``ServiceRpc`` calling as the service itself (role ``system``). Only for reading facts a
    rule needs *after* the service has authorised its caller (a parent's request must learn the
    child's class teacher; an event handler has no caller at all), never to act for the caller."""

    def get_dependency(self, worker_ctx):
        return super().get_dependency(_AsSystem(worker_ctx))
