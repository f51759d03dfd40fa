"""marshmallow schemas of scheduling: ``...In`` load RPC arguments (errors become ``Invalid``
naming the field, in Polish), ``...Out`` dump records to JSON-able dicts."""
import re
from datetime import time

from marshmallow import (Schema, ValidationError, fields, pre_load, validate, validates_schema)

from . import domain

_HM = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?$")


class HourMinute(fields.Field):
    """A time of day as ``HH:MM`` (``8:00`` and ``08:00:00`` accepted on the way in)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, time):
            return value
        m = _HM.match(str(value).strip()) if isinstance(value, str) else None
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise ValidationError("Niepoprawna godzina (GG:MM).")
        return time(int(m.group(1)), int(m.group(2)))


def _text(max_len, min_len=1, **kw):
    return fields.String(validate=validate.Length(min=min_len, max=max_len), **kw)


class _Strip(Schema):
    """Strips surrounding whitespace of every string field on the way in."""

    @pre_load
    def _strip(self, data, **kwargs):
        if isinstance(data, dict):
            return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
        return data


# ----------------------------------------------------------------------------- classes

class ClassIn(_Strip):
    name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    class_teacher_id = fields.String(load_default=None, allow_none=True)


class ClassUpdateIn(_Strip):
    name = fields.String(validate=validate.Length(min=1, max=40))
    class_teacher_id = fields.String(allow_none=True)


class ClassOut(Schema):
    id = fields.String()
    school_id = fields.String()
    name = fields.String()
    class_teacher_id = fields.String(allow_none=True)


class EnrolIn(Schema):
    student_id = fields.String(required=True)
    enrolled_on = fields.Date(load_default=None)


class RemovalIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=300))
    removed_on = fields.Date(load_default=None)


class TransferIn(_Strip):
    to_class_id = fields.String(required=True)
    on_date = fields.Date(load_default=None)
    reason = _text(300, load_default=None, allow_none=True)


class EnrolmentOut(Schema):
    id = fields.String()
    class_id = fields.String()
    student_id = fields.String()
    status = fields.String()
    enrolled_on = fields.Date()
    ended_on = fields.Date(allow_none=True)
    end_reason = fields.String(allow_none=True)


# ----------------------------------------------------------------------------- years and terms

class TermIn(_Strip):
    name = _text(60, required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class TermUpdateIn(_Strip):
    name = _text(60)
    starts_on = fields.Date()
    ends_on = fields.Date()


class YearIn(_Strip):
    name = fields.String(required=True, validate=validate.Regexp(
        r"^\d{4}/\d{4}$", error="Nazwa roku szkolnego w postaci RRRR/RRRR, np. 2026/2027."))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    terms = fields.List(fields.Nested(TermIn), load_default=list)


class YearUpdateIn(_Strip):
    starts_on = fields.Date()
    ends_on = fields.Date()


class TermOut(Schema):
    id = fields.String()
    year_id = fields.String()
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()


class YearOut(Schema):
    id = fields.String()
    school_id = fields.String()
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    closed_at = fields.DateTime(allow_none=True)


# ----------------------------------------------------------------------------- subjects, assignments

class SubjectIn(_Strip):
    name = _text(120, required=True)
    short_name = _text(30, load_default=None, allow_none=True)


class SubjectUpdateIn(_Strip):
    name = _text(120)
    short_name = _text(30, allow_none=True)


class SubjectOut(Schema):
    id = fields.String()
    school_id = fields.String()
    name = fields.String()
    short_name = fields.String(allow_none=True)


class AssignmentIn(_Strip):
    teacher_id = fields.String(required=True)
    subject_id = fields.String(required=True)
    class_id = fields.String(required=True)
    group_name = _text(60, min_len=0, load_default="", allow_none=True)


class AssignmentOut(Schema):
    id = fields.String()
    school_id = fields.String()
    teacher_id = fields.String()
    subject_id = fields.String()
    class_id = fields.String()
    group_name = fields.String()


# ----------------------------------------------------------------------------- timetable

class EntryIn(_Strip):
    weekday = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    period = fields.Integer(required=True, strict=True, validate=validate.Range(0, 12))
    starts_at = HourMinute(required=True)
    ends_at = HourMinute(required=True)
    subject_id = fields.String(required=True)
    teacher_id = fields.String(required=True)
    room = _text(60, min_len=0, load_default=None, allow_none=True)
    group_name = _text(60, min_len=0, load_default="", allow_none=True)


class TimetableIn(Schema):
    valid_from = fields.Date(load_default=None)
    entries = fields.List(fields.Nested(EntryIn), required=True,
                          validate=validate.Length(max=100))


class EntryOut(Schema):
    id = fields.String()
    term_id = fields.String()
    class_id = fields.String()
    weekday = fields.Integer()
    period = fields.Integer()
    starts_at = HourMinute()
    ends_at = HourMinute()
    subject_id = fields.String()
    teacher_id = fields.String()
    room = fields.String(allow_none=True)
    group_name = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    source = fields.String()


# ----------------------------------------------------------------------------- lessons, substitutions

class TopicIn(_Strip):
    topic = _text(500, min_len=3, required=True)


class SubstituteIn(_Strip):
    substitute_teacher_id = fields.String(load_default=None, allow_none=True)
    cancel = fields.Boolean(load_default=False)
    reason = _text(300, min_len=3, required=True)

    @validates_schema
    def _one_of(self, data, **kwargs):
        if bool(data.get("substitute_teacher_id")) == bool(data.get("cancel")):
            raise ValidationError("Wskaż nauczyciela zastępującego albo odwołaj lekcję (jedno z dwojga).",
                                  "substitute_teacher_id")


class LessonOut(Schema):
    id = fields.String()
    school_id = fields.String()
    class_id = fields.String()
    subject_id = fields.String()
    teacher_id = fields.String()
    substitute_teacher_id = fields.String(allow_none=True)
    date = fields.Date()
    period = fields.Integer()
    starts_at = HourMinute()
    ends_at = HourMinute()
    room = fields.String(allow_none=True)
    group_name = fields.String()
    status = fields.String()
    cancel_reason = fields.String(allow_none=True)
    topic = fields.String(allow_none=True)
    topic_entered_at = fields.DateTime(allow_none=True)
    topic_entered_by = fields.String(allow_none=True)


class SubstitutionOut(Schema):
    id = fields.String()
    lesson_id = fields.String()
    kind = fields.String()
    original_teacher_id = fields.String()
    substitute_teacher_id = fields.String(allow_none=True)
    reason = fields.String()
    assigned_by = fields.String(allow_none=True)
    assigned_at = fields.DateTime()


class SubstitutionsQueryIn(Schema):
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)


# ----------------------------------------------------------------------------- calendar

class CalendarEventIn(_Strip):
    kind = fields.String(required=True, validate=validate.OneOf(domain.EVENT_KINDS))
    date = fields.Date(required=True)
    ends_on = fields.Date(load_default=None, allow_none=True)
    class_id = fields.String(load_default=None, allow_none=True)
    subject_id = fields.String(load_default=None, allow_none=True)
    period = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 12))
    title = _text(200, min_len=2, required=True)
    description = _text(2000, min_len=0, load_default=None, allow_none=True)


class CalendarEventOut(Schema):
    id = fields.String()
    school_id = fields.String()
    class_id = fields.String(allow_none=True)
    kind = fields.String()
    date = fields.Date()
    ends_on = fields.Date(allow_none=True)
    period = fields.Integer(allow_none=True)
    subject_id = fields.String(allow_none=True)
    teacher_id = fields.String(allow_none=True)
    title = fields.String()
    description = fields.String(allow_none=True)
    trip_id = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)


_limit = dict(allow_none=True, validate=validate.Range(0, 20), strict=True)


class LimitsIn(Schema):
    tests_per_day = fields.Integer(required=True, **_limit)
    tests_per_week = fields.Integer(required=True, **_limit)
    quizzes_per_day = fields.Integer(load_default=None, **_limit)
    quizzes_per_week = fields.Integer(load_default=None, **_limit)


# ----------------------------------------------------------------------------- trips

class TripIn(_Strip):
    destination = _text(200, min_len=2, required=True)
    purpose = _text(2000, min_len=0, load_default=None, allow_none=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    participant_ids = fields.List(fields.String(), required=True, validate=validate.Length(max=300))
    supervisor_ids = fields.List(fields.String(), required=True, validate=validate.Length(max=30))


class DecisionIn(_Strip):
    note = _text(500, min_len=0, load_default=None, allow_none=True)


class TripOut(Schema):
    id = fields.String()
    school_id = fields.String()
    organiser_id = fields.String()
    destination = fields.String()
    purpose = fields.String(allow_none=True)
    starts_on = fields.Date()
    ends_on = fields.Date()
    participant_ids = fields.List(fields.String())
    supervisor_ids = fields.List(fields.String())
    class_ids = fields.List(fields.String())
    status = fields.String()
    submitted_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
