"""messaging's marshmallow schemas: ``*In`` loads RPC arguments (unknown fields refused),
``*Out`` dumps rows for callers."""
from datetime import timedelta, timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from . import domain


class UtcDateTime(fields.DateTime):
    """Dumps naive datetimes (SQLite gives them back naive) as UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


def _stripped(min_len=1, max_len=200):
    return validate.And(validate.Length(min=min_len, max=max_len),
                        lambda v: bool(v.strip()) or _raise("Pole nie może być puste."))


def _raise(message):
    raise ValidationError(message)


class GroupIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(domain.GROUPS))
    class_id = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def _class(self, data, **kwargs):
        if data["kind"] in domain.CLASS_GROUPS and not data.get("class_id"):
            raise ValidationError("Wskaż klasę.", "class_id")


class AttachmentIn(Schema):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    content_type = fields.String(load_default="application/octet-stream", validate=validate.Length(max=120))
    content_base64 = fields.String(required=True)


class MessageIn(Schema):
    kind = fields.String(load_default="message", validate=validate.OneOf(["message", "note"]))
    subject = fields.String(required=True, validate=_stripped(1, 200))
    body = fields.String(required=True, validate=_stripped(1, 20000))
    recipient_ids = fields.List(fields.String(), load_default=list, validate=validate.Length(max=1000))
    groups = fields.List(fields.Nested(GroupIn), load_default=list, validate=validate.Length(max=50))
    student_id = fields.String(load_default=None, allow_none=True)
    note_kind = fields.String(load_default=None, allow_none=True,
                              validate=validate.OneOf(["positive", "negative", "neutral"]))
    note_category = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))
    attachments = fields.List(fields.Nested(AttachmentIn), load_default=list)

    @validates_schema
    def _check(self, data, **kwargs):
        if data["kind"] == "note":
            if not data.get("student_id"):
                raise ValidationError("Uwaga musi dotyczyć ucznia.", "student_id")
            if not data.get("note_kind"):
                raise ValidationError("Podaj rodzaj uwagi (pozytywna, negatywna, neutralna).", "note_kind")
        elif not data.get("recipient_ids") and not data.get("groups"):
            raise ValidationError("Podaj co najmniej jednego odbiorcę.", "recipient_ids")


class ReplyIn(Schema):
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    body = fields.String(required=True, validate=_stripped(1, 20000))
    attachments = fields.List(fields.Nested(AttachmentIn), load_default=list)


class MailboxQuery(Schema):
    folder = fields.String(load_default="received", validate=validate.OneOf(domain.FOLDERS))
    search = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=domain.PAGE_SIZE, validate=validate.Range(min=1, max=domain.MAX_PAGE_SIZE))


class ReceiptsQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    status = fields.String(load_default="all", validate=validate.OneOf(["all", "read", "unread"]))


class MessageOut(Schema):
    id = fields.String()
    school_id = fields.String()
    sender_id = fields.String()
    sender_name = fields.String()
    kind = fields.String()
    subject = fields.String()
    body = fields.String()
    student_id = fields.String(allow_none=True)
    note_kind = fields.String(allow_none=True)
    note_category = fields.String(allow_none=True)
    sent_at = UtcDateTime()
    thread_id = fields.String(allow_none=True)
    parent_id = fields.String(allow_none=True)
    recipient_groups = fields.Raw(allow_none=True)
    has_attachments = fields.Boolean()


class MailboxItemOut(Schema):
    id = fields.String()
    kind = fields.String()
    sender_id = fields.String()
    sender_name = fields.String()
    subject = fields.String()
    sent_at = UtcDateTime()
    student_id = fields.String(allow_none=True)
    note_kind = fields.String(allow_none=True)
    note_category = fields.String(allow_none=True)
    thread_id = fields.String(allow_none=True)
    has_attachments = fields.Boolean()
    recipient_groups = fields.Raw(allow_none=True)
    recipient_count = fields.Integer()


class AttachmentOut(Schema):
    id = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()


class AudienceIn(Schema):
    whole_school = fields.Boolean(load_default=False)
    roles = fields.List(fields.String(validate=validate.OneOf(list(domain.AUDIENCE_ROLES))), load_default=list)
    class_ids = fields.List(fields.String(), load_default=list, validate=validate.Length(max=100))


class AnnouncementIn(Schema):
    title = fields.String(required=True, validate=_stripped(1, 200))
    body = fields.String(required=True, validate=_stripped(1, 20000))
    topic = fields.String(load_default="general", validate=validate.OneOf(list(domain.TOPICS)))
    needs_approval = fields.Boolean(load_default=False, metadata={
        "description": "The author marks a topic of the kind III.12 lists (e.g. similar events)."})
    audience = fields.Nested(AudienceIn, required=True)
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_until = fields.Date(load_default=None, allow_none=True)


class DecisionIn(Schema):
    reason = fields.String(required=True, validate=_stripped(3, 1000))


class AnnouncementOut(Schema):
    id = fields.String()
    school_id = fields.String()
    author_id = fields.String()
    author_name = fields.String()
    title = fields.String()
    body = fields.String()
    topic = fields.String()
    topic_label = fields.Function(lambda a: domain.TOPICS.get(a.topic, a.topic))
    needs_approval = fields.Boolean()
    status = fields.String()
    audience = fields.Function(lambda a: {"whole_school": bool(a.audience_all), "roles": a.audience_roles or [],
                                          "class_ids": a.audience_class_ids or []})
    audience_label = fields.String()
    valid_from = fields.Date()
    valid_until = fields.Date()
    created_at = UtcDateTime()
    published_at = UtcDateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_by_name = fields.String(allow_none=True)
    decided_at = UtcDateTime(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    withdrawn_at = UtcDateTime(allow_none=True)


class ErrorReportIn(Schema):
    student_id = fields.String(required=True)
    addressee = fields.String(load_default="class_teacher", validate=validate.OneOf(domain.ERROR_ADDRESSEES))
    entry = fields.String(required=True, validate=_stripped(3, 150), metadata={
        "description": "Which entry is wrong, e.g. 'ocena z matematyki z 12.03'."})
    body = fields.String(required=True, validate=_stripped(1, 5000))


class OutageIn(Schema):
    text = fields.String(required=True, validate=_stripped(3, 2000))
    expected_repair_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)


class OutageOut(Schema):
    id = fields.String()
    school_id = fields.String()
    school_name = fields.String()
    text = fields.String()
    expected_repair_at = UtcDateTime()
    published_at = UtcDateTime()
    withdrawn_at = UtcDateTime(allow_none=True)


class PublicOutageOut(Schema):
    school_name = fields.String()
    text = fields.String()
    expected_repair_at = UtcDateTime()
    published_at = UtcDateTime()


class SettingsIn(Schema):
    students_may_write = fields.Boolean()
    email_enabled = fields.Boolean()
    smtp_host = fields.String(allow_none=True, validate=validate.Length(max=200))
    smtp_port = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=65535))
    smtp_security = fields.String(validate=validate.OneOf(["none", "starttls", "ssl"]))
    smtp_user = fields.String(allow_none=True, validate=validate.Length(max=200))
    smtp_password = fields.String(allow_none=True, validate=validate.Length(max=120))   # sealed: fits 300
    from_address = fields.Email(allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def _check(self, data, **kwargs):
        if data.get("email_enabled") and not data.get("smtp_host", True):
            raise ValidationError("Podaj serwer SMTP.", "smtp_host")


class SettingsOut(Schema):
    school_id = fields.String()
    students_may_write = fields.Boolean()
    email_enabled = fields.Boolean()
    smtp_host = fields.String(allow_none=True)
    smtp_port = fields.Integer(allow_none=True)
    smtp_security = fields.String()
    smtp_user = fields.String(allow_none=True)
    has_smtp_password = fields.Function(lambda s: bool(s.smtp_password))
    from_address = fields.String(allow_none=True)
    updated_at = UtcDateTime(allow_none=True)


VALIDITY_DEFAULT = timedelta(days=14)
