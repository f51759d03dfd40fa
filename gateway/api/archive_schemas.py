"""Request and response bodies of the archive routes (issue 8: ARC-1..6, LAW-4, LAW-5, OPS-3).

As in ``gateway/schemas.py``: request schemas check shape and obvious limits early (a 422 naming
the field, before any RPC); the archive service validates again and stays the authority (the
school's years, the retention, the confirmation of a destruction, the PKCS#12 file). Response
schemas are the published contract: server paths (where the files lie) never leave the gateway.
Dates travel as ISO strings. The class names carry the prefix ``Arc`` (one OpenAPI namespace)."""
from marshmallow import Schema, fields, validate

from ..schemas import SCHOOL_YEAR, DateStr, DateTimeStr, Id, In

# The service's vocabularies (services/archive/domain.py), repeated here: the gateway imports no
# service's code. The Polish labels are the pages'.
COPY_KINDS = {
    "archive": "kopia archiwum dziennika",
    "export": "eksport danych",
    "printout": "wydruk danych osobowych",
    "disclosure": "udostępnienie danych ucznia",
    "database": "kopia bazy danych",
}
BODY_KINDS = {
    "police": "Policja",
    "prosecutor": "Prokuratura",
    "court": "Sąd",
    "school": "Szkoła (przeniesienie ucznia)",
    "control": "Organ kontroli (np. kuratorium oświaty)",
    "other": "Inny uprawniony organ",
}
ANNEX_KINDS = {"parents": ("4", "rodzice"), "students": ("5", "uczniowie"), "teachers": ("6", "nauczyciele")}
STATUSES = ("queued", "running", "completed", "failed", "destroyed")


def Text(max_len, min_len=1, **kwargs):
    return fields.String(validate=validate.Length(min=min_len, max=max_len), **kwargs)


# ------------------------------------------------------------------ the certificate (LAW-5)

class ArcCertificateIn(In):
    pkcs12_base64 = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200_000),
                                  metadata={"description": "Plik PKCS#12 (.p12/.pfx) z certyfikatem i kluczem "
                                                           "szkoły, zakodowany base64. Nie jest zapisywany w "
                                                           "dziennikach zdarzeń."})
    password = fields.String(load_default="", load_only=True, validate=validate.Length(max=500),
                             metadata={"description": "Hasło pliku PKCS#12 (nie jest zapisywane)."})


class ArcCertificateOut(Schema):
    school_id = fields.String()
    subject = fields.String(metadata={"description": "Właściciel certyfikatu (np. pieczęć szkoły)."})
    issuer = fields.String()
    serial = fields.String()
    not_before = DateTimeStr()
    not_after = DateTimeStr()
    fingerprint = fields.String(metadata={"description": "Odcisk SHA-256 certyfikatu (hex)."})
    cert_pem = fields.String(metadata={"description": "Certyfikat (PEM, dane publiczne)."})
    uploaded_by = fields.String(allow_none=True)
    uploaded_at = DateTimeStr()


# ------------------------------------------------------------------ archives (ARC-1, LAW-4, LAW-5)

class ArcStartIn(In):
    school_year = Text(40, required=True, metadata={"description": "Rok szkolny: nazwa (np. 2025/2026) "
                                                                   "albo identyfikator."})
    confirm_open_year = fields.Boolean(load_default=False, metadata={
        "description": "Potwierdzenie archiwizacji roku, który nie jest jeszcze zamknięty (dane z dnia utworzenia)."})


class ArcFileOut(Schema):
    name = fields.String()
    kind = fields.String(metadata={"description": "Np. archiwum-xml, widok-html, podpis-xades, manifest."})
    size = fields.Integer()
    sha256 = fields.String()


class ArcArchiveOut(Schema):
    id = fields.String()
    school_id = fields.String()
    school_name = fields.String(allow_none=True)
    year_id = fields.String()
    school_year = fields.String()
    year_starts_on = DateStr()
    year_ends_on = DateStr()
    year_closed = fields.Boolean()
    trigger = fields.String(metadata={"description": "manual (na żądanie) | school_year_closed (po zamknięciu roku)"})
    status = fields.String(metadata={"description": " | ".join(STATUSES)})
    status_pl = fields.String()
    percent = fields.Integer()
    current_section = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    attempts = fields.Integer()
    requested_by = fields.String(allow_none=True)
    requested_at = DateTimeStr()
    started_at = DateTimeStr(allow_none=True)
    finished_at = DateTimeStr(allow_none=True)
    xml_file = fields.String(allow_none=True)
    xml_size = fields.Integer(allow_none=True)
    xml_sha256 = fields.String(allow_none=True, metadata={"description": "Suma kontrolna SHA-256 pliku XML."})
    html_file = fields.String(allow_none=True)
    signature_file = fields.String(allow_none=True)
    signed = fields.Boolean()
    signed_at = DateTimeStr(allow_none=True)
    signer_subject = fields.String(allow_none=True)
    signer_fingerprint = fields.String(allow_none=True)
    files = fields.List(fields.Nested(ArcFileOut))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "Liczba rekordów w każdej sekcji (usługa.sekcja)."})
    records = fields.Integer()
    retention_until = DateStr(allow_none=True, metadata={"description": "Od tego dnia archiwum można zniszczyć."})
    destroyed_at = DateTimeStr(allow_none=True)


class ArcDatabaseCopyOut(Schema):
    service = fields.String()
    kind = fields.String(metadata={"description": "sqlite | pg_dump"})
    size = fields.Integer(allow_none=True)
    sha256 = fields.String(allow_none=True)
    created_at = DateTimeStr(allow_none=True)
    deleted_at = DateTimeStr(allow_none=True)


class ArcArchiveDetailOut(ArcArchiveOut):
    manifest = fields.Dict(allow_none=True, metadata={"description": "Manifest archiwum (manifest.json)."})
    database_copies = fields.List(fields.Nested(ArcDatabaseCopyOut))


class ArcStatusOut(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": " | ".join(STATUSES)})
    status_pl = fields.String()
    percent = fields.Integer()
    current_section = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    school_year = fields.String()
    started_at = DateTimeStr(allow_none=True)
    finished_at = DateTimeStr(allow_none=True)
    attempts = fields.Integer()


class ArcVerifyIn(In):
    ca_pem = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200_000),
                           metadata={"description": "Certyfikat urzędu certyfikacji (PEM), względem którego "
                                                    "sprawdzić podpis; domyślnie certyfikat użyty do podpisu."})


class ArcCheckOut(Schema):
    check = fields.String(metadata={"description": "pliki | suma kontrolna | manifest | schemat XSD | podpis"})
    ok = fields.Boolean()
    message = fields.String()


class ArcVerifyOut(Schema):
    ok = fields.Boolean(metadata={"description": "true tylko wtedy, gdy wszystkie sprawdzenia się powiodły."})
    checks = fields.List(fields.Nested(ArcCheckOut))


# ------------------------------------------------------------------ the register of copies (ARC-2)

class ArcDownloadIn(In):
    recipient = Text(200, required=True, metadata={"description": "Kto otrzymuje kopię (imię i nazwisko)."})
    recipient_institution = Text(200, load_default=None, allow_none=True)
    purpose = Text(500, required=True, metadata={"description": "Cel wydania kopii."})
    carrier = Text(200, load_default=None, allow_none=True, metadata={"description": "Nośnik, np. dysk nr 3."})
    files = fields.List(Text(200), load_default=None, allow_none=True, validate=validate.Length(min=1, max=20),
                        metadata={"description": "Pliki archiwum; domyślnie wszystkie (z manifestami)."})


class ArcCopyIn(In):
    kind = fields.String(required=True, validate=validate.OneOf(list(COPY_KINDS)),
                         metadata={"description": ", ".join(f"{k}: {v}" for k, v in COPY_KINDS.items())})
    description = Text(500, required=True, metadata={"description": "Co skopiowano lub wydrukowano."})
    recipient = Text(200, required=True)
    recipient_institution = Text(200, load_default=None, allow_none=True)
    purpose = Text(500, required=True)
    carrier = Text(200, load_default=None, allow_none=True)


class ArcCopyFileOut(Schema):
    name = fields.String()
    size = fields.Integer(allow_none=True)
    sha256 = fields.String(allow_none=True)
    url = fields.String(metadata={"description": "Adres pobrania (tylko dla osoby, która zarejestrowała kopię)."})


class ArcCopyOut(Schema):
    id = fields.String()
    school_id = fields.String()
    number = fields.Integer(metadata={"description": "Kolejny numer w rejestrze kopii szkoły."})
    kind = fields.String()
    kind_pl = fields.String()
    description = fields.String()
    recipient = fields.String()
    recipient_institution = fields.String(allow_none=True)
    purpose = fields.String()
    carrier = fields.String(allow_none=True)
    archive_id = fields.String(allow_none=True)
    disclosure_id = fields.String(allow_none=True)
    files = fields.List(fields.Nested(ArcCopyFileOut))
    made_by = fields.String(allow_none=True)
    made_by_name = fields.String(allow_none=True)
    made_at = DateTimeStr()
    receipt_printed_at = DateTimeStr(allow_none=True)


class ArcCopiesQuery(In):
    kind = fields.String(load_default=None, validate=validate.OneOf(list(COPY_KINDS)))
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


# ------------------------------------------------------------------ retention (ARC-5)

class ArcDueQuery(In):
    on_date = fields.Date(load_default=None, metadata={"description": "Dzień (domyślnie dziś)."})


class ArcDestroyIn(In):
    confirmation = Text(200, required=True, metadata={"description": "Nazwa roku szkolnego archiwum "
                                                                     "(np. 2018/2019) jako potwierdzenie."})


class ArcRemovedCopyOut(Schema):
    service = fields.String()
    sha256 = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    removed = fields.Boolean()


class ArcDestructionOut(Schema):
    id = fields.String()
    archive_id = fields.String()
    school_id = fields.String()
    school_year = fields.String()
    retention_until = DateStr(allow_none=True)
    xml_sha256 = fields.String(allow_none=True)
    files = fields.List(fields.Nested(ArcFileOut))
    database_copies = fields.List(fields.Nested(ArcRemovedCopyOut))
    destroyed_by = fields.String(allow_none=True)
    destroyed_by_name = fields.String(allow_none=True)
    destroyed_at = DateTimeStr()


# ------------------------------------------------------------------ disclosure (ARC-6)

class ArcDisclosureIn(In):
    student_id = Id(required=True)
    body_kind = fields.String(required=True, validate=validate.OneOf(list(BODY_KINDS)),
                              metadata={"description": ", ".join(f"{k}: {v}" for k, v in BODY_KINDS.items())})
    body_name = Text(300, required=True, metadata={"description": "Nazwa organu lub szkoły."})
    legal_basis = Text(500, required=True, metadata={"description": "Podstawa prawna żądania."})
    case_number = Text(120, load_default=None, allow_none=True, metadata={"description": "Sygnatura sprawy."})
    requested_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "Data wniosku."})
    requested_by = Text(200, load_default=None, allow_none=True, metadata={"description": "Kto wystąpił."})
    school_year = Text(40, load_default=None, allow_none=True,
                       metadata={"description": "Tylko dane tego roku: nazwa (np. 2025/2026) albo "
                                                "identyfikator (domyślnie wszystkie lata)."})
    recipient = Text(200, load_default=None, allow_none=True)
    purpose = Text(500, load_default=None, allow_none=True)


class ArcDisclosureOut(Schema):
    id = fields.String()
    school_id = fields.String()
    student_id = fields.String()
    student_name = fields.String()
    body_kind = fields.String()
    body_kind_pl = fields.String()
    body_name = fields.String()
    legal_basis = fields.String()
    case_number = fields.String(allow_none=True)
    requested_on = DateStr(allow_none=True)
    requested_by = fields.String(allow_none=True)
    school_year = fields.String(allow_none=True)
    made_by = fields.String(allow_none=True)
    made_by_name = fields.String(allow_none=True)
    made_at = DateTimeStr()
    package = fields.String(metadata={"description": "Nazwa pliku ZIP z pakietem danych."})
    package_size = fields.Integer()
    package_sha256 = fields.String()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    copy_id = fields.String(metadata={"description": "Wpis w rejestrze kopii; pakiet pobiera się jego adresem."})


class ArcDisclosureResultOut(Schema):
    disclosure = fields.Nested(ArcDisclosureOut)
    copy = fields.Nested(ArcCopyOut)


class ArcDisclosuresQuery(Schema):
    student_id = Id(load_default=None, metadata={"description": "Tylko udostępnienia danych tego ucznia."})


# ------------------------------------------------------------------ printouts (ARC-4)

class ArcAnnexQuery(In):
    class_id = Id(load_default=None, allow_none=True,
                  metadata={"description": "Klasa (wymagana dla załączników 4 i 5)."})
    school_year = fields.String(required=True, validate=SCHOOL_YEAR, metadata={"description": "Np. 2025/2026."})
