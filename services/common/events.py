"""Event contracts: the envelope every event travels in, and the catalogue of every event's
payload schema. This module is the one shared place where events are defined; docs/events.md
is checked against it by tests/unit/test_catalogue_docs.py.

An event's name is ``<service>.<fact>`` (past tense). On the bus it is published to the topic
exchange ``<service>.events`` with routing key ``<fact>`` (nameko's convention), persistent.
"""
import uuid
from datetime import datetime, timezone

from marshmallow import Schema, ValidationError, fields, validate

from .errors import Invalid

NAME_RE = r"^[a-z]+\.[a-z_]+$"


class ActorSchema(Schema):
    user_id = fields.String(allow_none=True, load_default=None)
    roles = fields.List(fields.String(), load_default=list)
    call_id = fields.String(allow_none=True, load_default=None)
    ip = fields.String(allow_none=True, load_default=None)


class EnvelopeSchema(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True, validate=validate.Regexp(NAME_RE))
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    school_id = fields.String(required=True, allow_none=True)
    actor = fields.Nested(ActorSchema, required=True)
    occurred_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    payload = fields.Dict(required=True)


# ---- payload schemas, one per event (add new events here and in docs/events.md) ----

class AccountCreated(Schema):
    user_id = fields.String(required=True)
    login = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)


class AccountBlocked(Schema):
    user_id = fields.String(required=True)
    reason = fields.String(required=True)


class AccountUnblocked(Schema):
    user_id = fields.String(required=True)


class LoginFailed(Schema):
    login = fields.String(required=True)
    user_id = fields.String(allow_none=True, load_default=None)
    reason = fields.String(required=True)


class NoteRecorded(Schema):
    note_id = fields.String(required=True)
    student_id = fields.String(required=True)


class StudentEnrolled(Schema):
    student_id = fields.String(required=True)
    class_id = fields.String(required=True)
    enrolment_id = fields.String(required=True)


class StudentTransferred(Schema):
    student_id = fields.String(required=True)
    from_class_id = fields.String(required=True)
    to_class_id = fields.String(required=True)


class StudentRemoved(Schema):
    student_id = fields.String(required=True)
    class_id = fields.String(required=True)
    reason = fields.String(required=True)
    removed_on = fields.Date(required=True)


class NoteIssued(Schema):
    message_id = fields.String(required=True)
    student_id = fields.String(required=True)
    author_id = fields.String(required=True)
    author_name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["positive", "negative", "neutral"]))
    category = fields.String(required=True)
    subject = fields.String(required=True)
    body = fields.String(required=True)
    issued_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class MessageSent(Schema):
    message_id = fields.String(required=True)
    sender_id = fields.String(required=True)
    recipient_count = fields.Integer(required=True)



class RoleChanged(Schema):
    """A role granted to or revoked from an account (ACC-4)."""
    user_id = fields.String(required=True)
    role = fields.String(required=True)


class AccountActivated(Schema):
    user_id = fields.String(required=True)


class PasswordChanged(Schema):
    user_id = fields.String(required=True)
    sessions_ended = fields.Integer(required=True)


class ActivationCodesIssued(Schema):
    batch_id = fields.String(required=True)
    account_ids = fields.List(fields.String(), required=True)


class StudentProfileUpdated(Schema):
    student_id = fields.String(required=True)
    fields_changed = fields.List(fields.String(), required=True)


class IncidentReported(Schema):
    """A security incident recorded and escalated to the association administrator (ACC-12)."""
    incident_id = fields.String(required=True)
    severity = fields.String(required=True)
    description = fields.String(required=True)

# name -> {version: schema}
CATALOGUE = {
    "identity.account_created": {1: AccountCreated},
    "identity.account_blocked": {1: AccountBlocked},
    "identity.account_unblocked": {1: AccountUnblocked},
    "identity.login_failed": {1: LoginFailed},
    "identity.note_recorded": {1: NoteRecorded},
    "identity.role_granted": {1: RoleChanged},
    "identity.role_revoked": {1: RoleChanged},
    "identity.account_activated": {1: AccountActivated},
    "identity.password_changed": {1: PasswordChanged},
    "identity.activation_codes_issued": {1: ActivationCodesIssued},
    "identity.student_profile_updated": {1: StudentProfileUpdated},
    "identity.incident_reported": {1: IncidentReported},
    "scheduling.student_enrolled": {1: StudentEnrolled},
    "scheduling.student_transferred": {1: StudentTransferred},
    "scheduling.student_removed": {1: StudentRemoved},
    "messaging.note_issued": {1: NoteIssued},
    "messaging.message_sent": {1: MessageSent},
}


class MalformedEvent(Exception):
    """An event that does not match its envelope or payload schema: never retried, dead-lettered."""


def latest_version(name):
    try:
        return max(CATALOGUE[name])
    except KeyError:
        raise ValueError(f"unknown event {name!r}: add it to services.common.events.CATALOGUE")


def make_envelope(name, payload, *, school_id, caller=None, version=None):
    """Build and validate an envelope (as JSON-able dict). Raises ``Invalid`` for a bad payload:
    a service must never announce a fact it cannot describe."""
    version = version or latest_version(name)
    schema = CATALOGUE[name][version]()
    try:
        clean = schema.dump(schema.load(payload))
    except ValidationError as exc:
        raise Invalid("Niepoprawne dane zdarzenia.", {"payload": exc.messages})
    actor = {"user_id": None, "roles": [], "call_id": None, "ip": None}
    if caller is not None:
        actor = {"user_id": caller.user_id, "roles": list(caller.roles), "call_id": caller.call_id,
                 "ip": caller.ip}
    return {
        "id": str(uuid.uuid4()),
        "name": name,
        "version": version,
        "school_id": school_id,
        "actor": actor,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "payload": clean,
    }


def load_envelope(body, expected_name=None):
    """Validate an incoming event; returns the envelope with a loaded payload (dates parsed).
    Raises MalformedEvent naming what is wrong."""
    if not isinstance(body, dict):
        raise MalformedEvent(f"event body is {type(body).__name__}, not an object")
    try:
        env = EnvelopeSchema().load(body)
    except ValidationError as exc:
        raise MalformedEvent(f"bad envelope: {exc.messages}")
    if expected_name and env["name"] != expected_name:
        raise MalformedEvent(f"event {env['name']} on the queue of {expected_name}")
    versions = CATALOGUE.get(env["name"])
    if not versions or env["version"] not in versions:
        raise MalformedEvent(f"unknown event {env['name']} v{env['version']}")
    try:
        env["payload"] = versions[env["version"]]().load(env["payload"])
    except ValidationError as exc:
        raise MalformedEvent(f"bad payload of {env['name']}: {exc.messages}")
    env["id"] = str(env["id"])
    return env


def split_name(name):
    service, fact = name.split(".", 1)
    return service, fact


def exchange_name(service):
    return f"{service}.events"
