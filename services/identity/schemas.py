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
