from marshmallow import Schema, fields, validate


class ClassIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    class_teacher_id = fields.String(load_default=None, allow_none=True)


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


class EnrolmentOut(Schema):
    id = fields.String()
    class_id = fields.String()
    student_id = fields.String()
    status = fields.String()
    enrolled_on = fields.Date()
    ended_on = fields.Date(allow_none=True)
    end_reason = fields.String(allow_none=True)
