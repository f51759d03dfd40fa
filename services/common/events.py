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


# scheduling: lessons, substitutions, calendar, trips, school years (issue 4)

class SubstitutionAssigned(Schema):
    """ORG-3: an administrator assigned a substitute teacher to a lesson. Messaging tells the
    substituted teacher, the substitute, the class and parents (MSG-5)."""
    substitution_id = fields.String(required=True)
    lesson_id = fields.String(required=True)
    class_id = fields.String(required=True)
    subject_id = fields.String(required=True)
    subject_name = fields.String(required=True)
    date = fields.Date(required=True)
    period = fields.Integer(required=True)
    teacher_id = fields.String(required=True)
    substitute_teacher_id = fields.String(required=True)
    reason = fields.String(required=True)


class LessonCancelled(Schema):
    """ORG-3: a lesson was cancelled (by the administrator in ZASTĘPSTWA)."""
    lesson_id = fields.String(required=True)
    class_id = fields.String(required=True)
    subject_id = fields.String(required=True)
    subject_name = fields.String(required=True)
    date = fields.Date(required=True)
    period = fields.Integer(required=True)
    teacher_id = fields.String(required=True)
    reason = fields.String(required=True)
    substitution_id = fields.String(allow_none=True, load_default=None)


class LessonHeld(Schema):
    """ORG-4: the topic of a lesson was entered, so the lesson took place. ``teacher_id`` is who
    held it (the substitute when there was one); ``date`` is the lesson's date and
    ``topic_entered_at`` the entry's time (OPS-2)."""
    lesson_id = fields.String(required=True)
    class_id = fields.String(required=True)
    subject_id = fields.String(required=True)
    date = fields.Date(required=True)
    period = fields.Integer(required=True)
    group_name = fields.String(required=True)
    teacher_id = fields.String(required=True)
    regular_teacher_id = fields.String(required=True)
    topic_entered_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class SchoolYearClosed(Schema):
    """LAW-5, ARC-1: a school year was closed; archive starts the yearly archive."""
    year_id = fields.String(required=True)
    name = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class TripApproved(Schema):
    """ORG-11: the director approved a trip card; it is in the calendar of the classes."""
    trip_id = fields.String(required=True)
    destination = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    organiser_id = fields.String(required=True)
    participant_ids = fields.List(fields.String(), required=True)
    supervisor_ids = fields.List(fields.String(), required=True)
    class_ids = fields.List(fields.String(), required=True)


class CalendarEventAdded(Schema):
    """ORG-10: an entry in the calendar (TERMINARZ): ``kind`` is test, quiz, day_off,
    school_event, parent_meeting or trip; ``class_id`` null means the whole school."""
    event_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(
        ["test", "quiz", "day_off", "school_event", "parent_meeting", "trip"]))
    date = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True, load_default=None)
    class_id = fields.String(allow_none=True, load_default=None)
    subject_id = fields.String(allow_none=True, load_default=None)
    title = fields.String(required=True)



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

# attendance: entries, justifications, e-justifications (issue 6)

class AbsenceRecorded(Schema):
    """ATT-1, issue 6 item 7: an unexcused absence was recorded (or an entry corrected to one);
    messaging tells the student's parents the same day. ``lesson_date`` is the lesson's date,
    ``entered_at`` the entry's time; ``backfilled`` when written after the lesson's day (OPS-2)."""
    entry_id = fields.String(required=True)
    lesson_id = fields.String(required=True)
    student_id = fields.String(required=True)
    class_id = fields.String(required=True)
    subject_id = fields.String(required=True)
    lesson_date = fields.Date(required=True)
    period = fields.Integer(required=True)
    category = fields.String(required=True)
    recorded_by = fields.String(allow_none=True, load_default=None)
    entered_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    backfilled = fields.Boolean(required=True)


class AbsenceJustified(Schema):
    """ATT-2, ATT-3: absences were justified by the class teacher (directly or by accepting a
    parent's e-justification, then ``e_justification_id`` is set)."""
    justification_id = fields.String(required=True)
    student_id = fields.String(required=True)
    class_id = fields.String(allow_none=True, load_default=None)
    entry_ids = fields.List(fields.String(), required=True)
    dates = fields.List(fields.Date(), required=True)
    reason = fields.String(required=True)
    single_hours_reason = fields.String(allow_none=True, load_default=None)
    justified_by = fields.String(allow_none=True, load_default=None)
    e_justification_id = fields.String(allow_none=True, load_default=None)


class EJustificationSubmitted(Schema):
    """ATT-3: a parent sent an e-justification (E-USPRAWIEDLIWIENIE); messaging tells the class
    teacher (``class_teacher_id``)."""
    e_justification_id = fields.String(required=True)
    student_id = fields.String(required=True)
    parent_id = fields.String(required=True)
    class_id = fields.String(allow_none=True, load_default=None)
    class_teacher_id = fields.String(allow_none=True, load_default=None)
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    lesson_ids = fields.List(fields.String(), required=True)
    reason = fields.String(required=True)


class EJustificationDecided(Schema):
    """ATT-3: the class teacher accepted or rejected an e-justification with a comment; messaging
    tells the parent (and confirms to the class teacher)."""
    e_justification_id = fields.String(required=True)
    student_id = fields.String(required=True)
    parent_id = fields.String(required=True)
    class_id = fields.String(allow_none=True, load_default=None)
    status = fields.String(required=True, validate=validate.OneOf(["accepted", "rejected"]))
    comment = fields.String(allow_none=True, load_default=None)
    decided_by = fields.String(allow_none=True, load_default=None)
    justified_entries = fields.Integer(required=True)


# messaging: messages, receipts, announcements, outage notices (issue 7)

class MessageRead(Schema):
    """MSG-2: a recipient opened a message; the time is recorded once and counts as delivery."""
    message_id = fields.String(required=True)
    recipient_id = fields.String(required=True)
    sender_id = fields.String(required=True)
    read_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class AnnouncementSubmitted(Schema):
    """MSG-4: an announcement that needs the director's approval (III.12) waits in the queue."""
    announcement_id = fields.String(required=True)
    author_id = fields.String(required=True)
    title = fields.String(required=True)
    topic = fields.String(required=True)


class AnnouncementPublished(Schema):
    """MSG-4: an announcement is visible to its audience from ``valid_from`` to ``valid_until``;
    ``approved_by`` is the director when it needed approval."""
    announcement_id = fields.String(required=True)
    author_id = fields.String(required=True)
    title = fields.String(required=True)
    topic = fields.String(required=True)
    whole_school = fields.Boolean(required=True)
    roles = fields.List(fields.String(), required=True)
    class_ids = fields.List(fields.String(), required=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    approved_by = fields.String(allow_none=True, load_default=None)


class AnnouncementApproved(Schema):
    """MSG-4: the director approved a waiting announcement (it is published at once)."""
    announcement_id = fields.String(required=True)
    approved_by = fields.String(required=True)


class AnnouncementRejected(Schema):
    """MSG-4: the director rejected a waiting announcement; the author gets the reason."""
    announcement_id = fields.String(required=True)
    rejected_by = fields.String(required=True)
    reason = fields.String(required=True)


class AnnouncementRetracted(Schema):
    """MSG-4: its author, the director or an administrator withdrew an announcement."""
    announcement_id = fields.String(required=True)
    withdrawn_by = fields.String(required=True)


class OutageNoticePublished(Schema):
    """OPS-1: the school administrator announced an outage; ``public`` when it may last more
    than a day (XI.2.b)."""
    notice_id = fields.String(required=True)
    text = fields.String(required=True)
    expected_repair_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    public = fields.Boolean(required=True)


class OutageNoticeClosed(Schema):
    """OPS-1: the school administrator withdrew an outage notice (the outage is over)."""
    notice_id = fields.String(required=True)


class EntryErrorReported(Schema):
    """MSG-6: a parent reported an error in an entry to the class teacher or the administrator
    (``addressee``: class_teacher or administrator); ``message_id`` is the report."""
    message_id = fields.String(required=True)
    student_id = fields.String(required=True)
    reporter_id = fields.String(required=True)
    addressee = fields.String(required=True, validate=validate.OneOf(["class_teacher", "administrator"]))
    entry = fields.String(required=True)


# grades: partial, final and behaviour grades, acceptance, at-risk flags (issue 5)

class GradeAdded(Schema):
    """GRD-1: a partial grade was entered (alone or in a column for a whole class). ``numeric``
    is null for a school symbol (np, bz, ...); ``date`` is the day the grade refers to (OPS-2)."""
    grade_id = fields.String(required=True)
    student_id = fields.String(required=True)
    class_id = fields.String(required=True)
    subject_id = fields.String(required=True)
    teacher_id = fields.String(allow_none=True, load_default=None)
    category_id = fields.String(required=True)
    column_id = fields.String(allow_none=True, load_default=None)
    value = fields.String(required=True)
    numeric = fields.Float(allow_none=True, load_default=None)
    weight = fields.Float(required=True)
    date = fields.Date(required=True)


class ColumnGrade(Schema):
    grade_id = fields.String(required=True)
    student_id = fields.String(required=True)
    value = fields.String(required=True)
    numeric = fields.Float(allow_none=True, load_default=None)


class GradeColumnAdded(Schema):
    """GRD-1: a column of partial grades was entered for a class in one request (one test): one
    event for the whole column, with every grade in ``grades`` (``grades.grade_added`` is a
    single grade). ``weight`` is the column's effective weight; ``date`` the day it refers to."""
    column_id = fields.String(required=True)
    class_id = fields.String(required=True)
    subject_id = fields.String(required=True)
    teacher_id = fields.String(allow_none=True, load_default=None)
    category_id = fields.String(required=True)
    weight = fields.Float(required=True)
    date = fields.Date(required=True)
    description = fields.String(allow_none=True, load_default=None)
    grades = fields.List(fields.Nested(ColumnGrade), required=True)


class GradeCorrected(Schema):
    """GRD-6: a partial grade was corrected or (``deleted``, ``new_value`` null) logically
    deleted, always with a reason; ``version`` is the grade's new version number."""
    grade_id = fields.String(required=True)
    student_id = fields.String(required=True)
    class_id = fields.String(required=True)
    subject_id = fields.String(required=True)
    old_value = fields.String(required=True)
    new_value = fields.String(allow_none=True, load_default=None)
    deleted = fields.Boolean(required=True)
    reason = fields.String(required=True)
    version = fields.Integer(required=True)


class FinalGradeAccepted(Schema):
    """GRD-3: a predicted, mid-year or annual grade of a subject, or (``behaviour``, no subject)
    a behaviour grade, was accepted as final: from now on parents and the student see it."""
    final_id = fields.String(required=True)
    student_id = fields.String(required=True)
    class_id = fields.String(required=True)
    subject_id = fields.String(allow_none=True, load_default=None)
    behaviour = fields.Boolean(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(
        ["predicted_midyear", "midyear", "predicted_annual", "annual"]))
    value = fields.String(required=True)
    school_year = fields.String(required=True)
    accepted_by = fields.String(allow_none=True, load_default=None)


class AtRiskFlagged(Schema):
    """GRD-4: a student is at risk — a predicted niedostateczny of a subject, a predicted naganne
    behaviour (``behaviour``, no subject) or non-classification; messaging tells the parents
    (MSG-5). ``notice_deadline``: the school's deadline for the written notice, if set."""
    flag_id = fields.String(required=True)
    student_id = fields.String(required=True)
    class_id = fields.String(required=True)
    subject_id = fields.String(allow_none=True, load_default=None)
    behaviour = fields.Boolean(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(
        ["niedostateczna", "naganna", "nieklasyfikowanie"]))
    kind = fields.String(required=True, validate=validate.OneOf(["predicted_midyear", "predicted_annual"]))
    school_year = fields.String(required=True)
    notice_deadline = fields.Date(allow_none=True, load_default=None)


# archive: the yearly archive (issue 8)

class ArchiveCompleted(Schema):
    """ARC-1, LAW-5: a school's yearly archive (XML with its XSD, checksum, manifest, HTML view
    and database copies) was written; ``signed`` when it carries the school's XAdES signature;
    ``trigger`` is ``manual`` or ``school_year_closed``. Kept until ``retention_until`` (ARC-5)."""
    archive_id = fields.String(required=True)
    year_id = fields.String(required=True)
    school_year = fields.String(required=True)
    trigger = fields.String(required=True, validate=validate.OneOf(["manual", "school_year_closed"]))
    xml_sha256 = fields.String(required=True)
    records = fields.Integer(required=True)
    signed = fields.Boolean(required=True)
    retention_until = fields.Date(required=True)


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
    "scheduling.substitution_assigned": {1: SubstitutionAssigned},
    "scheduling.lesson_cancelled": {1: LessonCancelled},
    "scheduling.lesson_held": {1: LessonHeld},
    "scheduling.school_year_closed": {1: SchoolYearClosed},
    "scheduling.trip_approved": {1: TripApproved},
    "scheduling.calendar_event_added": {1: CalendarEventAdded},
    "attendance.absence_recorded": {1: AbsenceRecorded},
    "attendance.absence_justified": {1: AbsenceJustified},
    "attendance.e_justification_submitted": {1: EJustificationSubmitted},
    "attendance.e_justification_decided": {1: EJustificationDecided},
    "messaging.message_read": {1: MessageRead},
    "messaging.announcement_submitted": {1: AnnouncementSubmitted},
    "messaging.announcement_published": {1: AnnouncementPublished},
    "messaging.announcement_approved": {1: AnnouncementApproved},
    "messaging.announcement_rejected": {1: AnnouncementRejected},
    "messaging.announcement_retracted": {1: AnnouncementRetracted},
    "messaging.outage_notice_published": {1: OutageNoticePublished},
    "messaging.outage_notice_closed": {1: OutageNoticeClosed},
    "messaging.entry_error_reported": {1: EntryErrorReported},
    "grades.grade_added": {1: GradeAdded},
    "grades.column_added": {1: GradeColumnAdded},
    "grades.grade_corrected": {1: GradeCorrected},
    "grades.final_grade_accepted": {1: FinalGradeAccepted},
    "grades.at_risk_flagged": {1: AtRiskFlagged},
    "archive.archive_completed": {1: ArchiveCompleted},
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
