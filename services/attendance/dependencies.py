"""attendance's I/O beyond its own database: calls to scheduling and identity.

``ServiceRpc`` forwards the caller's context, so the other service checks the caller's rights
as well (defence in depth). Some look-ups are needed *after* attendance has authorised the
caller, and would be refused for the caller's own role: a parent's e-justification must learn
the child's class and its class teacher, and an event handler has no caller at all.
``SystemRpc`` makes those calls as the service itself (role ``system``); use it only for
reading facts the rule needs, never to act for the caller."""
from services.common.context import SYSTEM_CONTEXT
from services.common.rpc import ServiceRpc


class _AsSystem:
    """A view of a worker context whose context data carry the system's identity (the call id
    stack and request id are kept, so logs still follow the user's action)."""

    def __init__(self, worker_ctx):
        self._worker_ctx = worker_ctx

    def __getattr__(self, name):
        return getattr(self._worker_ctx, name)

    @property
    def context_data(self):
        data = self._worker_ctx.context_data
        keep = {k: v for k, v in data.items() if k in ("call_id_stack", "request_id") and v is not None}
        out = {**keep, **SYSTEM_CONTEXT.to_context_data()}
        if data.get("user_id"):
            out["on_behalf_of"] = data["user_id"]   # for the other service's logs
        return out


class SystemRpc(ServiceRpc):
    """``ServiceRpc`` (with its timeout) calling as the service itself."""

    def get_dependency(self, worker_ctx):
        return super().get_dependency(_AsSystem(worker_ctx))
