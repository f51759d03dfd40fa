"""Request and response bodies of the messaging routes (issue 7: MSG-1..6; OPS-1): messages with
recipient groups and attachments, the mailbox, read receipts, class notes, entry-error reports,
announcements with the director's approval, outage notices and the school's messaging settings.

As in ``gateway/schemas.py``: request schemas check shape and obvious limits (a 422 naming the
field), messaging validates again and decides who may write to whom; response schemas are the
published contract. The enums (groups, topics, folders) mirror messaging's ``domain`` so that a
wrong value is refused here with the allowed values listed."""
from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..schemas import DateStr, DateTimeStr, Id, In, MessageIn, MessageOut, ReceiptOut

# ------------------------------------------------------------------ vocabularies (Polish labels for the pages)

GROUPS = ("class_parents", "class_students", "all_parents", "all_teachers", "all_students")
CLASS_GROUPS = ("class_parents", "class_students")
GROUP_LABELS = {"class_parents": "rodzice klasy", "class_students": "uczniowie klasy",
                "all_parents": "wszyscy rodzice", "all_teachers": "wszyscy nauczyciele",
                "all_students": "wszyscy uczniowie"}
FOLDERS = ("received", "sent", "announcements", "system")
NOTE_KINDS = ("positive", "negative", "neutral")
NOTE_KIND_LABELS = {"positive": "pozytywna", "negative": "negatywna", "neutral": "neutralna"}
NOTE_CATEGORIES = ("zachowanie", "aktywność", "frekwencja", "przygotowanie do lekcji", "kultura osobista",
                   "pochwała", "bezpieczeństwo", "inne")
TOPICS = {
    "general": "informacja ogólna",
    "organisation": "organizacja pracy szkoły",
    "lessons": "zajęcia i lekcje",
    "fundraising": "zbiórka pieniędzy",
    "open_meeting": "spotkanie z udziałem osób spoza szkoły",
    "open_enrolment": "zapisy na zajęcia dla osób spoza szkoły",
    "school_event": "impreza ogólnoszkolna",
}
APPROVAL_TOPICS = ("fundraising", "open_meeting", "open_enrolment", "school_event")   # III.12
AUDIENCE_ROLES = {"teachers": "nauczyciele", "parents": "rodzice", "students": "uczniowie",
                  "staff": "pracownicy szkoły"}
ANNOUNCEMENT_STATUSES = {"pending": "czeka na akceptację", "published": "opublikowane",
                         "rejected": "odrzucone", "withdrawn": "wycofane"}
ERROR_ADDRESSEES = {"class_teacher": "wychowawca klasy", "administrator": "administrator dziennika"}
SMTP_SECURITY = {"starttls": "STARTTLS", "ssl": "SSL/TLS", "none": "bez szyfrowania"}


# ------------------------------------------------------------------ messages (MSG-1, MSG-3)

class GroupIn(In):
    kind = fields.String(required=True, validate=validate.OneOf(GROUPS), metadata={
        "description": "class_parents / class_students: rodzice / uczniowie klasy (podaj class_id); "
                       "all_parents, all_teachers, all_students: cała szkoła."})
    class_id = Id(load_default=None, allow_none=True)

    @validates_schema
    def _class(self, data, **kwargs):
        if data.get("kind") in CLASS_GROUPS and not data.get("class_id"):
            raise ValidationError("Wskaż klasę.", "class_id")


class AttachmentIn(In):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    content_type = fields.String(load_default="application/octet-stream", validate=validate.Length(max=120))
    content_base64 = fields.String(required=True, metadata={
        "description": "Zawartość pliku w base64. Dozwolone: pdf, png, jpg, gif, txt, csv, doc(x), xls(x), "
                       "pptx, odt, ods; rozmiar i liczbę plików ogranicza szkoła (domyślnie 5 × 5 MB)."})


class MessageSendIn(MessageIn):
    """A message to single people and/or groups, or a note (UWAGA) about a student."""
    groups = fields.List(fields.Nested(GroupIn), load_default=list, validate=validate.Length(max=50),
                         metadata={"description": "Grupy odbiorców, rozwijane w chwili wysłania (MSG-1)."})
    attachments = fields.List(fields.Nested(AttachmentIn), load_default=list, validate=validate.Length(max=20))

    @validates_schema
    def _check(self, data, **kwargs):
        if data.get("kind") == "note":
            if not data.get("student_id"):
                raise ValidationError("Uwaga musi dotyczyć ucznia.", "student_id")
            if not data.get("note_kind"):
                raise ValidationError("Podaj rodzaj uwagi (pozytywna, negatywna, neutralna).", "note_kind")
        elif not data.get("recipient_ids") and not data.get("groups"):
            raise ValidationError("Podaj co najmniej jednego odbiorcę lub grupę odbiorców.", "recipient_ids")


class ReplyIn(In):
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                            metadata={"description": "Domyślnie „Odp: <temat>”."})
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    attachments = fields.List(fields.Nested(AttachmentIn), load_default=list, validate=validate.Length(max=20))


class AttachmentOut(Schema):
    id = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer(metadata={"description": "Rozmiar w bajtach."})


class GroupOut(Schema):
    kind = fields.String()
    class_id = fields.String(allow_none=True)
    label = fields.String(metadata={"description": "Np. „rodzice klasy 6a”."})


class SentMessageOut(MessageOut):
    thread_id = fields.String(allow_none=True)
    parent_id = fields.String(allow_none=True, metadata={"description": "Wiadomość, na którą odpowiedziano."})
    recipient_groups = fields.List(fields.Nested(GroupOut), allow_none=True)
    has_attachments = fields.Boolean()
    attachments = fields.List(fields.Nested(AttachmentOut))


class ThreadEntryOut(Schema):
    id = fields.String()
    sender_id = fields.String()
    sender_name = fields.String()
    subject = fields.String()
    body = fields.String()
    sent_at = DateTimeStr()
    has_attachments = fields.Boolean()


class ReceiptCountsOut(Schema):
    total = fields.Integer()
    read = fields.Integer()
    unread = fields.Integer()


class MessageDetailOut(SentMessageOut):
    thread = fields.List(fields.Nested(ThreadEntryOut), metadata={
        "description": "Wątek: wiadomości, które wywołujący wysłał lub otrzymał, od najstarszej."})
    receipt_counts = fields.Nested(ReceiptCountsOut, metadata={
        "description": "Tylko dla nadawcy: ilu odbiorców odczytało (MSG-2)."})
    can_reply = fields.Boolean(metadata={"description": "Na wiadomość systemową nie można odpowiedzieć."})


# ------------------------------------------------------------------ the mailbox (MSG-1, MSG-5)

class MailboxQuery(Schema):
    folder = fields.String(load_default="received", validate=validate.OneOf(FOLDERS), metadata={
        "description": "received: odebrane, sent: wysłane, announcements: ogłoszenia, system: systemowe."})
    search = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                           metadata={"description": "Słowa szukane w temacie, nadawcy i treści."})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class MailboxItemOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "message, note, system, error_report"})
    sender_id = fields.String()
    sender_name = fields.String()
    subject = fields.String()
    sent_at = DateTimeStr()
    student_id = fields.String(allow_none=True)
    note_kind = fields.String(allow_none=True)
    note_category = fields.String(allow_none=True)
    thread_id = fields.String(allow_none=True)
    has_attachments = fields.Boolean()
    recipient_groups = fields.List(fields.Nested(GroupOut), allow_none=True)
    recipient_count = fields.Integer()
    read_at = DateTimeStr(allow_none=True,
                          metadata={"description": "Odebrane: kiedy odczytano (null: nieprzeczytana)."})
    read_count = fields.Integer(metadata={"description": "Wysłane: ilu odbiorców odczytało."})


class AudienceOut(Schema):
    whole_school = fields.Boolean()
    roles = fields.List(fields.String())
    class_ids = fields.List(fields.String())


class AnnouncementOut(Schema):
    id = fields.String()
    school_id = fields.String()
    author_id = fields.String()
    author_name = fields.String()
    title = fields.String()
    body = fields.String()
    topic = fields.String()
    topic_label = fields.String()
    needs_approval = fields.Boolean()
    status = fields.String(metadata={"description": "pending, published, rejected, withdrawn"})
    audience = fields.Nested(AudienceOut)
    audience_label = fields.String()
    valid_from = DateStr()
    valid_until = DateStr()
    created_at = DateTimeStr()
    published_at = DateTimeStr(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_by_name = fields.String(allow_none=True)
    decided_at = DateTimeStr(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    withdrawn_at = DateTimeStr(allow_none=True)


_mailbox_item = MailboxItemOut()
_announcement = AnnouncementOut()


class MailboxOut(Schema):
    folder = fields.String()
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
    unread = fields.Integer()
    items = fields.Method("_items", metadata={
        "type": "array", "items": {"type": "object"},
        "description": "Wiadomości (MailboxItemOut); w folderze announcements ogłoszenia (AnnouncementOut)."})

    def _items(self, obj):
        schema = _announcement if obj.get("folder") == "announcements" else _mailbox_item
        return schema.dump(obj.get("items") or [], many=True)


class UnreadOut(Schema):
    received = fields.Integer(metadata={"description": "Nieprzeczytane wiadomości, uwagi i zgłoszenia."})
    system = fields.Integer(metadata={"description": "Nieprzeczytane wiadomości systemowe."})
    total = fields.Integer()


# ------------------------------------------------------------------ receipts (MSG-2)

class ReceiptsQuery(Schema):
    summary = fields.Boolean(load_default=False, metadata={
        "description": "true: liczniki (wszyscy, odczytali, nie odczytali) i jedna strona odbiorców."})
    status = fields.String(load_default="all", validate=validate.OneOf(["all", "read", "unread"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ReceiptRowOut(ReceiptOut):
    recipient_name = fields.String(allow_none=True)


class ReceiptSummaryOut(Schema):
    message_id = fields.String()
    counts = fields.Nested(ReceiptCountsOut)
    page = fields.Integer()
    page_size = fields.Integer()
    status = fields.String()
    recipients = fields.List(fields.Nested(ReceiptRowOut))


# ------------------------------------------------------------------ notes of a class (MSG-3), entry errors (MSG-6)

class ClassRefOut(Schema):
    id = fields.String()
    name = fields.String()


class NoteCountsOut(Schema):
    positive = fields.Integer()
    negative = fields.Integer()
    neutral = fields.Integer()


class ClassNoteOut(Schema):
    id = fields.String()
    student_id = fields.String()
    student_name = fields.String(allow_none=True)
    note_kind = fields.String()
    note_kind_label = fields.String(allow_none=True)
    note_category = fields.String(allow_none=True)
    subject = fields.String()
    body = fields.String()
    author_id = fields.String()
    author_name = fields.String()
    sent_at = DateTimeStr()


class ClassNotesOut(Schema):
    # "class" is a keyword: the attribute is klass, the JSON key "class".
    klass = fields.Nested(ClassRefOut, data_key="class", attribute="class")
    counts = fields.Nested(NoteCountsOut)
    by_category = fields.Dict(keys=fields.String(), values=fields.Integer(),
                              metadata={"description": "Liczba uwag w każdej kategorii."})
    notes = fields.List(fields.Nested(ClassNoteOut))


class ErrorReportIn(In):
    addressee = fields.String(load_default="class_teacher", validate=validate.OneOf(list(ERROR_ADDRESSEES)),
                              metadata={"description": "class_teacher: wychowawca klasy; administrator: "
                                                       "administrator dziennika."})
    entry = fields.String(required=True, validate=validate.Length(min=3, max=150), metadata={
        "description": "Którego wpisu dotyczy błąd, np. „ocena z matematyki z 12.03”."})
    body = fields.String(required=True, validate=validate.Length(min=1, max=5000))


# ------------------------------------------------------------------ announcements (MSG-4)

class AudienceIn(In):
    whole_school = fields.Boolean(load_default=False)
    roles = fields.List(fields.String(validate=validate.OneOf(list(AUDIENCE_ROLES))), load_default=list,
                        metadata={"description": "teachers, parents, students, staff"})
    class_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=100),
                            metadata={"description": "Klasy: ich uczniowie, rodzice i wychowawca."})

    @validates_schema
    def _someone(self, data, **kwargs):
        if not (data.get("whole_school") or data.get("roles") or data.get("class_ids")):
            raise ValidationError("Wskaż odbiorców: cała szkoła, wybrane role lub klasy.", "whole_school")


class AnnouncementIn(In):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    topic = fields.String(load_default="general", validate=validate.OneOf(list(TOPICS)), metadata={
        "description": "fundraising, open_meeting, open_enrolment, school_event czekają na akceptację dyrektora."})
    needs_approval = fields.Boolean(load_default=False, metadata={
        "description": "Autor zaznacza sprawę podobną do wymagających akceptacji (III.12)."})
    audience = fields.Nested(AudienceIn, required=True)
    valid_from = fields.Date(load_default=None, allow_none=True, metadata={"description": "Domyślnie dziś."})
    valid_until = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "Domyślnie 14 dni od początku; najwyżej rok."})


class DecisionIn(In):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000),
                           metadata={"description": "Powód odrzucenia (trafi do autora)."})


# ------------------------------------------------------------------ outage notices (OPS-1)

class UtcDateTime(fields.AwareDateTime):
    """An aware date-time passed on in UTC (a naive one is taken as UTC): the services store
    UTC, and SQLite keeps no offset."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=timezone.utc, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).astimezone(timezone.utc)


class OutageIn(In):
    text = fields.String(required=True, validate=validate.Length(min=3, max=2000))
    expected_repair_at = UtcDateTime(required=True, metadata={
        "description": "Przewidywany czas usunięcia awarii (ISO 8601 ze strefą; bez strefy: UTC)."})


class OutageOut(Schema):
    id = fields.String()
    school_id = fields.String()
    school_name = fields.String()
    text = fields.String()
    expected_repair_at = DateTimeStr()
    published_at = DateTimeStr()
    withdrawn_at = DateTimeStr(allow_none=True)
    public = fields.Boolean(metadata={"description": "Awaria ponad dobę: widoczna także na stronie logowania."})


class PublicOutageOut(Schema):
    school_name = fields.String()
    text = fields.String()
    expected_repair_at = DateTimeStr()
    published_at = DateTimeStr()


# ------------------------------------------------------------------ messaging settings

class SettingsIn(In):
    """Only the fields sent are changed (PATCH); an SMTP password is stored and never returned."""
    students_may_write = fields.Boolean(metadata={"description": "Uczniowie mogą pisać wiadomości."})
    email_enabled = fields.Boolean(metadata={"description": "Powiadomienia e-mail o nowych wiadomościach."})
    smtp_host = fields.String(allow_none=True, validate=validate.Length(max=200))
    smtp_port = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=65535))
    smtp_security = fields.String(validate=validate.OneOf(list(SMTP_SECURITY)))
    smtp_user = fields.String(allow_none=True, validate=validate.Length(max=200))
    smtp_password = fields.String(allow_none=True, load_only=True, validate=validate.Length(max=120))
    from_address = fields.Email(allow_none=True, validate=validate.Length(max=200))


class SettingsOut(Schema):
    school_id = fields.String()
    students_may_write = fields.Boolean()
    email_enabled = fields.Boolean()
    smtp_host = fields.String(allow_none=True)
    smtp_port = fields.Integer(allow_none=True)
    smtp_security = fields.String()
    smtp_user = fields.String(allow_none=True)
    has_smtp_password = fields.Boolean()
    from_address = fields.String(allow_none=True)
    updated_at = DateTimeStr(allow_none=True)
