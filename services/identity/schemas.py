"""identity's RPC schemas: load on the way in (``services.common.validation.load``), dump on the way out."""
from marshmallow import Schema, fields, validate

from .domain import ALL_ROLES


class SchoolIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=3, max=200))
    short_name = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{2,40}$"))
    city = fields.String(load_default=None, validate=validate.Length(max=100))


class SchoolOut(Schema):
    id = fields.String()
    name = fields.String()
    short_name = fields.String()
    city = fields.String(allow_none=True)
    created_at = fields.DateTime()


class AccountIn(Schema):
    school_id = fields.String(load_default=None, allow_none=True)
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    login = fields.String(load_default=None, validate=validate.Regexp(r"^[a-z0-9._-]{3,80}$"))
    email = fields.Email(load_default=None, allow_none=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ALL_ROLES)), required=True,
                        validate=validate.Length(min=1))
    password = fields.String(load_default=None, load_only=True)
    expires_on = fields.Date(load_default=None, allow_none=True)


class AccountOut(Schema):
    id = fields.String()
    school_id = fields.String(allow_none=True)
    login = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    email = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    blocked = fields.Boolean()
    blocked_reason = fields.String(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    created_at = fields.DateTime()


class LoginIn(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    ip = fields.String(load_default=None, allow_none=True)
    user_agent = fields.String(load_default=None, allow_none=True)


class GuardianshipIn(Schema):
    parent_id = fields.String(required=True)
    student_id = fields.String(required=True)


class BlockIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=300))


class NoteOut(Schema):
    id = fields.String()
    source_message_id = fields.String()
    author_id = fields.String()
    author_name = fields.String()
    kind = fields.String()
    category = fields.String()
    subject = fields.String()
    body = fields.String()
    issued_at = fields.DateTime()
    filed_at = fields.DateTime()


class IssueCodesIn(Schema):
    """Whom to issue activation codes to: listed accounts, a class (its students and/or their
    parents), or every account of some roles in the school."""
    account_ids = fields.List(fields.String(), load_default=list)
    class_id = fields.String(load_default=None, allow_none=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ALL_ROLES)), load_default=list)
    valid_days = fields.Integer(load_default=14, validate=validate.Range(min=1, max=60))
    activation_url = fields.String(load_default="https://dziennik.example/aktywacja",
                                   validate=validate.Length(max=200))


class ActivationIn(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=80))
    code = fields.String(required=True, validate=validate.Length(min=4, max=40))
    password = fields.String(required=True, load_only=True)


class PasswordChangeIn(Schema):
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True)


class RoleIn(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ALL_ROLES))


class AccessListIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["parents", "students", "teachers"]))
    class_id = fields.String(load_default=None, allow_none=True)
    school_year = fields.String(required=True, validate=validate.Regexp(r"^\d{4}/\d{4}$"))


class LoginStatsQuery(Schema):
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    class_id = fields.String(load_default=None, allow_none=True)
    role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ALL_ROLES))


class AuditQuery(Schema):
    actor_id = fields.String(load_default=None, allow_none=True)
    subject_id = fields.String(load_default=None, allow_none=True)
    action = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class ProfileIn(Schema):
    birth_date = fields.Date(load_default=None, allow_none=True)
    birth_place = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    pesel = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{11}$"))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9 +()-]{6,40}$"))


class ProfileOut(Schema):
    birth_date = fields.Date(allow_none=True)
    birth_place = fields.String(allow_none=True)
    pesel = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)


class IncidentIn(Schema):
    description = fields.String(required=True, validate=validate.Length(min=10, max=4000))
    severity = fields.String(load_default="medium", validate=validate.OneOf(["low", "medium", "high"]))


class RefusalIn(Schema):
    status = fields.Integer(required=True, validate=validate.OneOf([403, 404]))
    method = fields.String(required=True, validate=validate.Length(max=10))
    path = fields.String(required=True, validate=validate.Length(max=300))
    message = fields.String(load_default="", validate=validate.Length(max=300))
