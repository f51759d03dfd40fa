"""archive's RPC schemas: load on the way in (``services.common.validation.load``), dump on the
way out."""
from marshmallow import Schema, fields, pre_load, validate

from . import domain


def _text(max_len, min_len=1, **kw):
    return fields.String(validate=validate.Length(min=min_len, max=max_len), **kw)


class _Strip(Schema):
    @pre_load
    def _strip(self, data, **kwargs):
        if isinstance(data, dict):
            return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
        return data


class StartIn(_Strip):
    school_year = _text(40, required=True)          # the year's id or its name ("2025/2026")
    confirm_open_year = fields.Boolean(load_default=False)


class CertificateIn(Schema):
    pkcs12_base64 = fields.String(required=True, validate=validate.Length(min=1, max=200_000))
    password = fields.String(load_default="", validate=validate.Length(max=500))


class VerifyIn(Schema):
    ca_pem = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200_000))


class CopyIn(_Strip):
    kind = fields.String(required=True, validate=validate.OneOf(list(domain.COPY_KINDS)))
    description = _text(500, required=True)
    recipient = _text(200, required=True)
    recipient_institution = _text(200, load_default=None, allow_none=True)
    purpose = _text(500, required=True)
    carrier = _text(200, load_default=None, allow_none=True)


class DownloadIn(_Strip):
    recipient = _text(200, required=True)
    recipient_institution = _text(200, load_default=None, allow_none=True)
    purpose = _text(500, required=True)
    carrier = _text(200, load_default=None, allow_none=True)
    files = fields.List(fields.String(), load_default=None, allow_none=True)


class DestroyIn(_Strip):
    confirmation = _text(200, required=True)


class CopiesQuery(Schema):
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(list(domain.COPY_KINDS)))
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class DisclosureIn(_Strip):
    student_id = _text(36, required=True)
    body_kind = fields.String(required=True, validate=validate.OneOf(list(domain.BODY_KINDS)))
    body_name = _text(300, required=True)
    legal_basis = _text(500, required=True)
    case_number = _text(120, load_default=None, allow_none=True)
    requested_on = fields.Date(load_default=None, allow_none=True)
    requested_by = _text(200, load_default=None, allow_none=True)
    school_year = _text(40, load_default=None, allow_none=True)
    recipient = _text(200, load_default=None, allow_none=True)
    purpose = _text(500, load_default=None, allow_none=True)


class AcknowledgementIn(_Strip):
    kind = fields.String(required=True, validate=validate.OneOf(list(domain.ANNEXES)))
    class_id = _text(36, load_default=None, allow_none=True)
    school_year = _text(40, required=True)


class ChildViewIn(_Strip):
    """The paper copy of the parent's view (ARC-3): a student and a school year ("2025/2026";
    default: the current one)."""
    student_id = _text(36, required=True)
    school_year = fields.String(load_default=None, allow_none=True,
                                validate=validate.Regexp(r"^\d{4}/\d{4}$",
                                                         error="Rok szkolny w postaci RRRR/RRRR, np. 2025/2026."))
