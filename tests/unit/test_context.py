"""The caller's context and the school check every service applies (TEN-1)."""
import pytest

from services.common.context import CallerContext
from services.common.errors import Forbidden, NotFound, Unauthenticated


def test_ten1_another_schools_record_is_not_found_not_forbidden():
    teacher = CallerContext(user_id="t", school_id="A", roles=("teacher",))
    teacher.require_school("A")
    with pytest.raises(NotFound):
        teacher.require_school("B")
    with pytest.raises(NotFound):
        teacher.require_school(None)


def test_association_admin_and_system_cross_schools():
    CallerContext(user_id="x", roles=("association_admin",)).require_school("B")
    CallerContext(roles=("system",)).require_school("B")


def test_roles_and_anonymous():
    with pytest.raises(Unauthenticated):
        CallerContext().require_role("teacher")
    with pytest.raises(Forbidden):
        CallerContext(user_id="s", school_id="A", roles=("student",)).require_role("teacher")
    CallerContext(user_id="t", school_id="A", roles=("teacher",)).require_role("director", "teacher")


def test_context_round_trips_through_nameko_context_data():
    ctx = CallerContext(user_id="u", school_id="s", roles=("parent",), call_id="r1", ip="10.0.0.1",
                        children=("c1", "c2"))
    assert CallerContext.from_context_data(ctx.to_context_data()) == ctx
    # Not supplied (a system call, an old gateway) stays None: the services then ask identity.
    assert CallerContext.from_context_data({"user_id": "u", "roles": ["parent"]}).children is None
    assert CallerContext.from_context_data({"user_id": "u", "children": "c1"}).children is None


def test_childrens_ids_come_with_the_session_else_from_identity():
    class Identity:
        asked = []

        def children_of(self, user_id):
            self.asked.append(user_id)
            return [{"id": "k1"}]
    identity = Identity()
    assert CallerContext(user_id="p", roles=("parent",), children=("k2",)).children_ids(identity) == ["k2"]
    assert identity.asked == []
    assert CallerContext(user_id="p", roles=("parent",)).children_ids(identity) == ["k1"]
    assert identity.asked == ["p"]
