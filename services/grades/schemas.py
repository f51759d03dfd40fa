"""grades' RPC schemas: load on the way in (``services.common.validation.load``), dump on the way out."""
from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from .domain import BEHAVIOUR, FINAL_KINDS


def _text(max_len, min_len=1, **kw):
    return fields.String(validate=validate.Length(min=min_len, max=max_len), **kw)


class _Strip(Schema):
    """Strips surrounding whitespace of every string argument."""

    @pre_load
    def _strip(self, data, **kwargs):
        if isinstance(data, dict):
            return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
        return data


Weight = lambda **kw: fields.Float(validate=validate.Range(min=0, max=100), **kw)   # noqa: E731


# ----------------------------------------------------------------------------- settings, categories

class SymbolIn(_Strip):
    symbol = _text(5, required=True)
    label = _text(80, load_default="")


class SettingsIn(_Strip):
    plus_value = fields.Float(validate=validate.Range(min=0, max=0.99))
    minus_value = fields.Float(validate=validate.Range(min=0, max=0.99))
    allow_six_plus = fields.Boolean()
    allow_one_minus = fields.Boolean()
    symbols = fields.List(fields.Nested(SymbolIn), validate=validate.Length(max=20))
    second_term_start = fields.String(validate=validate.Regexp(r"^\d{2}-\d{2}$"))
    midyear_notice_deadline = fields.Date(allow_none=True)
    annual_notice_deadline = fields.Date(allow_none=True)


class SettingsOut(Schema):
    school_id = fields.String()
    plus_value = fields.Float()
    minus_value = fields.Float()
    allow_six_plus = fields.Boolean()
    allow_one_minus = fields.Boolean()
    symbols = fields.List(fields.Dict())
    second_term_start = fields.String()
    midyear_notice_deadline = fields.Date(allow_none=True)
    annual_notice_deadline = fields.Date(allow_none=True)
    updated_by = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    stored = fields.Boolean()


class CategoryIn(_Strip):
    name = _text(80, required=True)
    weight = Weight(required=True)
    counts_in_average = fields.Boolean(load_default=True)


class CategoryUpdateIn(_Strip):
    name = _text(80)
    weight = Weight()
    counts_in_average = fields.Boolean()
    active = fields.Boolean()


class CategoryOut(Schema):
    id = fields.String()
    school_id = fields.String()
    name = fields.String()
    weight = fields.Float()
    counts_in_average = fields.Boolean()
    active = fields.Boolean()


# ----------------------------------------------------------------------------- partial grades

class GradeIn(_Strip):
    student_id = fields.String(required=True)
    class_id = fields.String(required=True)
    subject_id = fields.String(required=True)
    category_id = fields.String(load_default=None)
    column_id = fields.String(load_default=None)
    value = fields.String(required=True)
    date = fields.Date(load_default=None)
    description = _text(300, min_len=0, load_default=None, allow_none=True)
    weight = Weight(load_default=None, allow_none=True)
    counts_in_average = fields.Boolean(load_default=None, allow_none=True)


class ColumnEntryIn(_Strip):
    class Meta:
        unknown = EXCLUDE
    student_id = fields.String(required=True)
    value = fields.String(required=True)


class ColumnIn(_Strip):
    category_id = fields.String(required=True)
    date = fields.Date(load_default=None)
    description = _text(300, min_len=0, load_default=None, allow_none=True)
    weight = Weight(load_default=None, allow_none=True)
    counts_in_average = fields.Boolean(load_default=None, allow_none=True)
    grades = fields.List(fields.Nested(ColumnEntryIn), required=True, validate=validate.Length(min=1, max=60))


class CorrectionIn(_Strip):
    reason = fields.String(required=True)
    value = fields.String()
    category_id = fields.String()
    weight = Weight(allow_none=True)
    counts_in_average = fields.Boolean()
    date = fields.Date()
    description = _text(300, min_len=0, allow_none=True)


class GradeOut(Schema):
    id = fields.String()
    school_id = fields.String()
    student_id = fields.String()
    class_id = fields.String()
    subject_id = fields.String()
    teacher_id = fields.String(allow_none=True)
    category_id = fields.String()
    column_id = fields.String(allow_none=True)
    value = fields.String()
    numeric = fields.Float(allow_none=True)
    weight = fields.Float(allow_none=True)
    counts_in_average = fields.Boolean()
    date = fields.Date()
    school_year = fields.String()
    term = fields.Integer()
    description = fields.String(allow_none=True)
    version = fields.Integer()
    corrected = fields.Method("_corrected")
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)
    deleted = fields.Method("_deleted")

    def _corrected(self, obj):
        return obj.version > 1

    def _deleted(self, obj):
        return obj.deleted_at is not None


def _iso(value):
    return value.isoformat() if value is not None else None


def grade_view(g):
    """``GradeOut().dump(g)`` written out by hand, for the hot read paths (a student's grades,
    a class's grade book): the same keys and formats without marshmallow's per-field machinery.
    ``g`` is a Grade or a Core row of the grades table; tests/unit/test_grades_domain.py keeps
    the two equal."""
    return {"id": g.id, "school_id": g.school_id, "student_id": g.student_id, "class_id": g.class_id,
            "subject_id": g.subject_id, "teacher_id": g.teacher_id, "category_id": g.category_id,
            "column_id": g.column_id, "value": g.value,
            "numeric": float(g.numeric) if g.numeric is not None else None,
            "weight": float(g.weight) if g.weight is not None else None,
            "counts_in_average": g.counts_in_average, "date": _iso(g.date), "school_year": g.school_year,
            "term": g.term, "description": g.description, "version": g.version, "corrected": g.version > 1,
            "created_by": g.created_by, "created_at": _iso(g.created_at), "updated_at": _iso(g.updated_at),
            "deleted": g.deleted_at is not None}


class GradeVersionOut(Schema):
    version = fields.Integer()
    action = fields.String()
    value = fields.String()
    numeric = fields.Float(allow_none=True)
    category_id = fields.String()
    weight = fields.Float(allow_none=True)
    counts_in_average = fields.Boolean()
    date = fields.Date()
    description = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    author_id = fields.String(allow_none=True)
    author_roles = fields.List(fields.String())
    at = fields.DateTime()


# ----------------------------------------------------------------------------- final and behaviour grades

class FinalIn(_Strip):
    kind = fields.String(required=True, validate=validate.OneOf(FINAL_KINDS))
    value = fields.String(required=True)
    reason = fields.String(load_default=None, allow_none=True)
    class_id = fields.String(load_default=None, allow_none=True)
    school_year = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{4}/\d{4}$"))


class FinalColumnEntryIn(_Strip):
    class Meta:
        unknown = EXCLUDE
    student_id = fields.String(required=True)
    value = fields.String(required=True)
    reason = fields.String(load_default=None, allow_none=True)


class FinalColumnIn(_Strip):
    """A column of final grades of one class: one subject (``subject_id``) or behaviour (null)."""
    kind = fields.String(required=True, validate=validate.OneOf(FINAL_KINDS))
    subject_id = fields.String(load_default=None, allow_none=True)
    school_year = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{4}/\d{4}$"))
    accept = fields.Boolean(load_default=False)
    grades = fields.List(fields.Nested(FinalColumnEntryIn), required=True, validate=validate.Length(min=1, max=60))


class FinalOut(Schema):
    id = fields.String()
    school_id = fields.String()
    student_id = fields.String()
    class_id = fields.String()
    subject_id = fields.String(allow_none=True)
    behaviour = fields.Method("_behaviour")
    kind = fields.String()
    school_year = fields.String()
    value = fields.String()
    teacher_id = fields.String(allow_none=True)
    version = fields.Integer()
    corrected = fields.Method("_corrected")
    accepted = fields.Method("_accepted")
    accepted_at = fields.DateTime(allow_none=True)
    accepted_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)

    def _behaviour(self, obj):
        return obj.scope == BEHAVIOUR

    def _accepted(self, obj):
        return obj.accepted_at is not None

    def _corrected(self, obj):
        return obj.updated_at is not None


class FinalVersionOut(Schema):
    version = fields.Integer()
    action = fields.String()
    value = fields.String()
    class_id = fields.String()
    accepted = fields.Boolean()
    reason = fields.String(allow_none=True)
    author_id = fields.String(allow_none=True)
    at = fields.DateTime()


class FlagOut(Schema):
    id = fields.String()
    final_id = fields.String()
    student_id = fields.String()
    class_id = fields.String()
    subject_id = fields.String(allow_none=True)
    behaviour = fields.Method("_behaviour")
    kind = fields.String()
    school_year = fields.String()
    reason = fields.String()
    raised_at = fields.DateTime()
    raised_by = fields.String(allow_none=True)
    notice_printed_at = fields.DateTime(allow_none=True)

    def _behaviour(self, obj):
        return obj.subject_id is None


class ListQuery(_Strip):
    school_year = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{4}/\d{4}$"))
    term = fields.Integer(load_default=None, allow_none=True, validate=validate.OneOf([1, 2]))


class NoticesQuery(ListQuery):
    period = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["midyear", "annual"]))
