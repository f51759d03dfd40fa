"""attendance's I/O beyond its own database: calls to scheduling and identity.

``ServiceRpc`` forwards the caller's context, so the other service checks the caller's rights
as well (defence in depth). Some look-ups are needed *after* attendance has authorised the
caller, and would be refused for the caller's own role: a parent's e-justification must learn
the child's class and its class teacher, and an event handler has no caller at all.
``SystemRpc`` makes those calls as the service itself (role ``system``); use it only for
reading facts the rule needs, never to act for the caller."""
from services.common.rpc import SystemRpc  # noqa: F401  (shared: services/common/rpc.py)
