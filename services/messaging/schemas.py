from marshmallow import Schema, fields, validate, validates_schema, ValidationError


class MessageIn(Schema):
    kind = fields.String(load_default="message", validate=validate.OneOf(["message", "note"]))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    recipient_ids = fields.List(fields.String(), load_default=list)
    student_id = fields.String(load_default=None, allow_none=True)
    note_kind = fields.String(load_default=None, allow_none=True,
                              validate=validate.OneOf(["positive", "negative", "neutral"]))
    note_category = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))

    @validates_schema
    def _check(self, data, **kwargs):
        if data["kind"] == "note":
            if not data.get("student_id"):
                raise ValidationError("Uwaga musi dotyczyć ucznia.", "student_id")
            if not data.get("note_kind"):
                raise ValidationError("Podaj rodzaj uwagi (pozytywna, negatywna, neutralna).", "note_kind")
        elif not data.get("recipient_ids"):
            raise ValidationError("Podaj co najmniej jednego odbiorcę.", "recipient_ids")


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
    sent_at = fields.DateTime()
