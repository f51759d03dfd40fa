"""The event envelope and catalogue (platform issue, item 2): pure, no broker."""
import uuid

import pytest

from services.common.context import CallerContext
from services.common.errors import Invalid
from services.common.events import CATALOGUE, MalformedEvent, load_envelope, make_envelope
from services.catalogue import main as catalogue_main


def test_envelope_carries_id_name_version_school_actor_time():
    caller = CallerContext(user_id="u1", school_id="s1", roles=("teacher",), call_id="c1")
    env = make_envelope("scheduling.student_removed", {"student_id": "st", "class_id": "c", "reason": "r",
                                                       "removed_on": "2026-11-20"}, school_id="s1", caller=caller)
    assert uuid.UUID(env["id"]) and env["name"] == "scheduling.student_removed" and env["version"] == 1
    assert env["school_id"] == "s1" and env["actor"] == {"user_id": "u1", "roles": ["teacher"], "call_id": "c1", "ip": None}
    loaded = load_envelope(env, expected_name="scheduling.student_removed")
    assert loaded["payload"]["removed_on"].isoformat() == "2026-11-20"


def test_a_service_cannot_announce_an_invalid_payload():
    with pytest.raises(Invalid) as err:
        make_envelope("scheduling.student_removed", {"student_id": "st"}, school_id="s1")
    assert "payload" in err.value.fields


@pytest.mark.parametrize("mutate", [
    lambda e: e.pop("id"),
    lambda e: e.update(id="not-a-uuid"),
    lambda e: e.update(name="NoDot"),
    lambda e: e.update(version="1"),
    lambda e: e.update(version=99),
    lambda e: e.update(occurred_at="yesterday"),
    lambda e: e["payload"].pop("student_id"),
    lambda e: e.update(name="identity.account_blocked"),
])
def test_malformed_events_are_refused(mutate):
    env = make_envelope("scheduling.student_removed", {"student_id": "st", "class_id": "c", "reason": "r",
                                                       "removed_on": "2026-11-20"}, school_id="s1")
    mutate(env)
    with pytest.raises(MalformedEvent):
        load_envelope(env, expected_name="scheduling.student_removed")


def test_non_object_bodies_are_malformed():
    for body in ("text", 42, None, [1, 2]):
        with pytest.raises(MalformedEvent):
            load_envelope(body)


def test_event_names_are_service_dot_past_tense_fact():
    for name in CATALOGUE:
        service, fact = name.split(".")
        assert service in ("identity", "scheduling", "grades", "attendance", "messaging", "archive")
        last = fact.split("_")[-1]
        assert last.endswith("ed") or last in ("held", "sent", "read", "made", "taken", "written", "kept"), name


def test_docs_event_and_rpc_catalogues_are_up_to_date():
    assert catalogue_main(["--check"]) == 0, "run: python -m services.catalogue"


def test_every_rpc_method_is_documented():
    from nameko.rpc import Rpc
    from services.registry import SERVICE_CLASSES, service_class
    for svc in SERVICE_CLASSES:
        cls = service_class(svc)
        for name in dir(cls):
            fn = getattr(cls, name)
            if any(isinstance(e, Rpc) for e in getattr(fn, "nameko_entrypoints", ()) or ()):
                assert fn.__doc__, f"{svc}.{name} has no docstring"
