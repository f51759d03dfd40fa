"""The caller's context: who calls (user, school, roles) and the call id.

The gateway puts it in nameko's context data of every RPC call; nameko forwards it to nested
calls; the outbox copies it into each event's ``actor``. Services read it through the
``Caller`` dependency and check the school of everything they touch (defence in depth)."""
from dataclasses import dataclass, field, replace

from nameko.extensions import DependencyProvider

from .errors import Forbidden, NotFound, Unauthenticated

ASSOCIATION_ADMIN = "association_admin"
SYSTEM = "system"   # the services themselves (event handlers, relays, demo loader)


@dataclass(frozen=True)
class CallerContext:
    user_id: str | None = None
    school_id: str | None = None
    roles: tuple = field(default_factory=tuple)
    call_id: str | None = None
    ip: str | None = None
    # A parent's children as identity resolved them with the session (the gateway passes them);
    # None: not supplied, ask identity (``children_of``).
    children: tuple | None = None

    @classmethod
    def from_context_data(cls, data):
        data = data or {}
        roles = data.get("roles") or ()
        if isinstance(roles, str):
            roles = tuple(r for r in roles.split(",") if r)
        children = data.get("children")
        if children is not None:
            children = tuple(str(c) for c in children) if isinstance(children, (list, tuple)) else None
        return cls(user_id=data.get("user_id"), school_id=data.get("school_id"),
                   roles=tuple(roles), call_id=data.get("request_id") or data.get("call_id"),
                   ip=data.get("ip"), children=children)

    def to_context_data(self):
        data = {"user_id": self.user_id, "school_id": self.school_id, "roles": list(self.roles)}
        if self.call_id:
            data["request_id"] = self.call_id
        if self.ip:
            data["ip"] = self.ip
        if self.children is not None:
            data["children"] = list(self.children)
        return {k: v for k, v in data.items() if v is not None}

    def children_ids(self, identity):
        """A parent caller's children: those that came with the session (the gateway passes
        them), else asked from identity (``identity``: an RPC proxy with ``children_of``)."""
        if self.children is not None:
            return list(self.children)
        return [a["id"] for a in identity.children_of(self.user_id)]

    def with_call_id(self, call_id):
        return replace(self, call_id=call_id)

    @property
    def is_system(self):
        return SYSTEM in self.roles

    @property
    def is_association_admin(self):
        return ASSOCIATION_ADMIN in self.roles

    def has_role(self, *roles):
        return bool(set(roles) & set(self.roles)) or self.is_system

    def require_authenticated(self):
        if not self.user_id and not self.is_system:
            raise Unauthenticated()

    def require_role(self, *roles):
        """Refuse unless the caller has one of ``roles`` (the system and the association
        administrator pass every role check)."""
        self.require_authenticated()
        if self.is_association_admin or self.has_role(*roles):
            return
        raise Forbidden()

    def can_access_school(self, school_id):
        return self.is_system or self.is_association_admin or (
            school_id is not None and school_id == self.school_id)

    def require_school(self, school_id):
        """Refuse a record of another school as if it did not exist: a user must not learn
        whether another school's id is real."""
        self.require_authenticated()
        if not self.can_access_school(school_id):
            raise NotFound()


SYSTEM_CONTEXT = CallerContext(user_id=None, school_id=None, roles=(SYSTEM,))


class Caller(DependencyProvider):
    """Injects the worker's CallerContext."""

    def get_dependency(self, worker_ctx):
        ctx = CallerContext.from_context_data(worker_ctx.context_data)
        if not ctx.call_id:
            ctx = ctx.with_call_id(worker_ctx.call_id)
        return ctx
