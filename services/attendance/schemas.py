"""marshmallow schemas of attendance: ``...In`` load RPC arguments (errors become ``Invalid``
naming the field, in Polish), ``...Out`` dump records to JSON-able dicts."""
import re

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from . import domain

CODE_RE = r"^[a-z][a-z0-9_]{0,39}$"


def _text(max_len, min_len=1, **kw):
    return fields.String(validate=validate.Length(min=min_len, max=max_len), **kw)


class _Strip(Schema):
    """Strips surrounding whitespace of every string field on the way in."""

    @pre_load
    def _strip(self, data, **kwargs):
        if isinstance(data, dict):
            return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
        return data


# ----------------------------------------------------------------------------- categories

class CategoryIn(_Strip):
    code = fields.String(required=True, validate=validate.Regexp(CODE_RE))
    name = _text(100, required=True)
    symbol = _text(10, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(domain.KINDS))
    counts_as = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(domain.COUNTS))
    position = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=99))
    active = fields.Boolean(load_default=True)


class FormulaIn(Schema):
    preset = fields.String(required=True, validate=validate.OneOf(tuple(domain.FORMULAS)))


class CategoryOut(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    symbol = fields.String()
    kind = fields.String()
    counts_as = fields.String()
    position = fields.Integer()
    active = fields.Boolean()


# ----------------------------------------------------------------------------- entries

class EntryLineIn(_Strip):
    student_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    category = fields.String(required=True, validate=validate.Length(min=1, max=40))


class LessonAttendanceIn(_Strip):
    entries = fields.List(fields.Nested(EntryLineIn), load_default=list, validate=validate.Length(max=200))
    # Everyone on the class list not named in ``entries`` gets this category; null records
    # only the named students (e.g. a group lesson).
    default = fields.String(load_default=domain.PRESENT, allow_none=True)
    reason = _text(300, min_len=3, load_default=None, allow_none=True)   # when it changes entries

    @validates_schema
    def _unique_students(self, data, **kwargs):
        seen = set()
        for line in data.get("entries") or ():
            if line["student_id"] in seen:
                raise ValidationError(f"Uczeń {line['student_id']} występuje dwa razy.", "entries")
            seen.add(line["student_id"])


class CorrectionIn(_Strip):
    category = fields.String(required=True, validate=validate.Length(min=1, max=40))
    reason = _text(300, min_len=3, required=True)


class RemovalIn(_Strip):
    reason = _text(300, min_len=3, required=True)


class EntryOut(Schema):
    id = fields.String()
    lesson_id = fields.String()
    student_id = fields.String()
    class_id = fields.String()
    subject_id = fields.String()
    lesson_teacher_id = fields.String()
    recorded_by = fields.String(allow_none=True)
    lesson_date = fields.Date()
    period = fields.Integer()
    entered_at = fields.DateTime()
    version = fields.Integer()
    updated_by = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    justification_id = fields.String(allow_none=True)
    removed_at = fields.DateTime(allow_none=True)
    removed_by = fields.String(allow_none=True)
    removed_reason = fields.String(allow_none=True)


class VersionOut(Schema):
    version = fields.Integer()
    action = fields.String()
    previous_category_id = fields.String(allow_none=True)
    category_id = fields.String()
    reason = fields.String(allow_none=True)
    changed_by = fields.String(allow_none=True)
    changed_at = fields.DateTime()


# ----------------------------------------------------------------------------- justifications

class JustifyIn(_Strip):
    student_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    dates = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=31))
    lesson_ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)), load_default=list,
                             validate=validate.Length(max=100))
    reason = _text(500, min_len=3, required=True)
    single_hours_reason = fields.String(load_default=None, allow_none=True,
                                        validate=validate.OneOf(domain.SINGLE_HOUR_REASONS))

    @validates_schema
    def _dates_or_lessons(self, data, **kwargs):
        if bool(data.get("dates")) == bool(data.get("lesson_ids")):
            raise ValidationError("Podaj dni albo lekcje (jedno z dwojga).", "dates")


class JustificationOut(Schema):
    id = fields.String()
    student_id = fields.String()
    class_id = fields.String(allow_none=True)
    dates = fields.List(fields.String())
    lesson_ids = fields.List(fields.String())
    reason = fields.String()
    single_hours_reason = fields.String(allow_none=True)
    e_justification_id = fields.String(allow_none=True)
    entry_count = fields.Integer()
    justified_by = fields.String(allow_none=True)
    justified_at = fields.DateTime()


class EJustificationIn(_Strip):
    student_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    lesson_ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)), load_default=list,
                             validate=validate.Length(max=100))
    reason = _text(2000, min_len=3, required=True)

    @validates_schema
    def _range_or_lessons(self, data, **kwargs):
        has_range = data.get("date_from") is not None
        if has_range == bool(data.get("lesson_ids")):
            raise ValidationError("Podaj okres (od, do) albo lekcje (jedno z dwojga).", "date_from")
        if data.get("date_to") is not None and not has_range:
            raise ValidationError("Podaj datę początkową.", "date_from")


class DecisionIn(_Strip):
    accept = fields.Boolean(required=True)
    comment = _text(500, min_len=0, load_default="", allow_none=True)
    single_hours_reason = fields.String(load_default=None, allow_none=True,
                                        validate=validate.OneOf(domain.SINGLE_HOUR_REASONS))

    @validates_schema
    def _reason_for_rejection(self, data, **kwargs):
        if not data["accept"] and len((data.get("comment") or "").strip()) < 3:
            raise ValidationError("Podaj uzasadnienie odrzucenia.", "comment")


class EJustificationOut(Schema):
    id = fields.String()
    student_id = fields.String()
    class_id = fields.String(allow_none=True)
    parent_id = fields.String()
    date_from = fields.Date()
    date_to = fields.Date()
    lesson_ids = fields.List(fields.String())
    reason = fields.String()
    status = fields.String()
    submitted_at = fields.DateTime()
    teacher_comment = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    justification_id = fields.String(allow_none=True)


# ----------------------------------------------------------------------------- queries

class RangeIn(Schema):
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError("Data końcowa nie może poprzedzać początkowej.", "date_to")


class PercentagesIn(RangeIn):
    scope = fields.String(required=True, validate=validate.OneOf(("student", "class", "subject")))
    id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    class_id = fields.String(load_default=None, allow_none=True)   # narrows the subject scope


class ThresholdIn(RangeIn):
    scope = fields.String(required=True, validate=validate.OneOf(("class", "school")))
    id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    threshold = fields.Float(required=True, validate=validate.Range(min=0, max=100))


class WeekIn(Schema):
    week_start = fields.Date(required=True)


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthIn(Schema):
    month = fields.String(required=True)

    @validates_schema
    def _month(self, data, **kwargs):
        m = _MONTH.match(data.get("month") or "")
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValidationError("Niepoprawny miesiąc (RRRR-MM).", "month")


class EListIn(Schema):
    class_id = fields.String(load_default=None, allow_none=True)
    student_id = fields.String(load_default=None, allow_none=True)
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(domain.E_STATUSES))

    @validates_schema
    def _one(self, data, **kwargs):
        if bool(data.get("class_id")) == bool(data.get("student_id")):
            raise ValidationError("Podaj klasę albo ucznia (jedno z dwojga).", "class_id")
