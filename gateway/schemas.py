"""Request and response bodies of the HTTP API (marshmallow; flask-smorest builds the OpenAPI
document from them).

Request schemas check shape and obvious limits early (a 422 naming the field); the services
validate again with their own schemas, which stay the authority. Response schemas are the
published contract: fields a service adds do not leak until they are added here.
Dates travel as ISO strings: the services return them as strings and expect strings."""
from datetime import date, datetime

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from .auth import ALL_ROLES, SCHOOL_ROLES


def DateTimeStr(**kwargs):
    return fields.String(metadata={"format": "date-time", **kwargs.pop("metadata", {})}, **kwargs)


def DateStr(**kwargs):
    return fields.String(metadata={"format": "date", **kwargs.pop("metadata", {})}, **kwargs)


def Id(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=64), **kwargs)


class In(Schema):
    """Base of request bodies: dates become ISO strings again before the RPC (JSON only)."""

    @post_load
    def _isoformat(self, data, **kwargs):
        return {k: v.isoformat() if isinstance(v, (date, datetime)) else v for k, v in data.items()}


# ------------------------------------------------------------------ auth

class LoginIn(In):
    login = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": "Login użytkownika."})
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024),
                             metadata={"description": "Hasło."})


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
    expires_on = DateStr(allow_none=True)
    created_at = DateTimeStr()


class MeOut(AccountOut):
    children = fields.List(fields.String(),
                           metadata={"description": "Identyfikatory dzieci (konto rodzica)."})
    monitoring_notice_required = fields.Boolean(
        metadata={"description": "Użytkownik nie potwierdził jeszcze informacji o monitorowaniu (ACC-11)."})


class LoginOut(Schema):
    token = fields.String(metadata={"description": "Token sesji: nagłówek Authorization: Bearer <token>."})
    csrf_token = fields.String(
        metadata={"description": "Token CSRF do żądań uwierzytelnianych ciasteczkiem."})
    session_id = fields.String()
    user = fields.Nested(MeOut)


class CsrfOut(Schema):
    csrf_token = fields.String(metadata={"description": "Wyślij w nagłówku X-CSRF-Token."})


class OkOut(Schema):
    ok = fields.Boolean()


class LogoutAllOut(Schema):
    ended = fields.Integer(metadata={"description": "Liczba zakończonych sesji."})


# ------------------------------------------------------------------ schools and accounts

class SchoolIn(In):
    name = fields.String(required=True, validate=validate.Length(min=3, max=200))
    short_name = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_-]{2,40}$", error="Skrót: 2–40 znaków: litery, cyfry, _ lub -."))
    city = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class SchoolOut(Schema):
    id = fields.String()
    name = fields.String()
    short_name = fields.String()
    city = fields.String(allow_none=True)
    created_at = DateTimeStr()


class AccountIn(In):
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    login = fields.String(validate=validate.Regexp(
        r"^[a-z0-9._-]{3,80}$", error="Login: 3–80 znaków: małe litery, cyfry, kropka, _ lub -."),
        metadata={"description": "Bez loginu system utworzy go z imienia i nazwiska."})
    email = fields.Email(load_default=None, allow_none=True)
    roles = fields.List(fields.String(validate=validate.OneOf(SCHOOL_ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(SCHOOL_ROLES)))
    password = fields.String(load_only=True, validate=validate.Length(min=1, max=1024),
                             metadata={"description": "Zwykle pomijane: konto aktywuje się kodem (ACC-5)."})
    expires_on = fields.Date(load_default=None, allow_none=True,
                             metadata={"description": "Wymagane dla konta kontrolnego (inspector)."})


class AccountQuery(Schema):
    role = fields.String(validate=validate.OneOf(ALL_ROLES),
                         metadata={"description": "Tylko konta z tą rolą."})


class BlockIn(In):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=300),
                           metadata={"description": "Powód blokady (widoczny dla administratora)."})


class GuardianshipIn(In):
    parent_id = Id(required=True)
    student_id = Id(required=True)


class GuardianshipOut(Schema):
    parent_id = fields.String()
    student_id = fields.String()


class NoteOut(Schema):
    id = fields.String()
    source_message_id = fields.String()
    author_id = fields.String()
    author_name = fields.String()
    kind = fields.String()
    category = fields.String()
    subject = fields.String()
    body = fields.String()
    issued_at = DateTimeStr()
    filed_at = DateTimeStr()


class ProfileOut(Schema):
    birth_date = DateStr(allow_none=True)
    birth_place = fields.String(allow_none=True)
    pesel = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    updated_at = DateTimeStr(allow_none=True)


class StudentFileOut(Schema):
    student = fields.Nested(AccountOut)
    notes = fields.List(fields.Nested(NoteOut))
    profile = fields.Nested(ProfileOut, allow_none=True,
                            metadata={"description": "Dane osobowe (ORG-8); brak, gdy nie wprowadzono."})


# ------------------------------------------------------------------ classes

class ClassIn(In):
    name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    class_teacher_id = Id(load_default=None, allow_none=True)


class ClassOut(Schema):
    id = fields.String()
    school_id = fields.String()
    name = fields.String()
    class_teacher_id = fields.String(allow_none=True)


class ClassListQuery(Schema):
    include_ended = fields.Boolean(load_default=False,
                                   metadata={"description": "Także uczniowie przeniesieni i skreśleni."})


class EnrolIn(In):
    student_id = Id(required=True)
    enrolled_on = fields.Date(load_default=None, allow_none=True)


class RemovalIn(In):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=300))
    removed_on = fields.Date(load_default=None, allow_none=True)


class EnrolmentOut(Schema):
    id = fields.String()
    class_id = fields.String()
    student_id = fields.String()
    status = fields.String()
    enrolled_on = DateStr()
    ended_on = DateStr(allow_none=True)
    end_reason = fields.String(allow_none=True)


# ------------------------------------------------------------------ messages

class MessageIn(In):
    kind = fields.String(
        load_default="message", validate=validate.OneOf(["message", "note"]),
        metadata={"description": "message: wiadomość; note: uwaga (trafia do kartoteki ucznia)."})
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    recipient_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=1000))
    student_id = Id(load_default=None, allow_none=True)
    note_kind = fields.String(load_default=None, allow_none=True,
                              validate=validate.OneOf(["positive", "negative", "neutral"]))
    note_category = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=80))

    @validates_schema
    def _check(self, data, **kwargs):
        if data.get("kind") == "note":
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
    sent_at = DateTimeStr()
    read_at = DateTimeStr(allow_none=True, metadata={"description": "Kiedy odczytano (dla odbiorcy)."})
    recipient_count = fields.Integer(metadata={"description": "Liczba odbiorców (po wysłaniu)."})


class InboxQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ReceiptOut(Schema):
    recipient_id = fields.String()
    read_at = DateTimeStr(allow_none=True)



# ------------------------------------------------------------------ identity: activation, password, notice (ACC-5, ACC-6, ACC-11, ACC-13)

PASSWORD_HELP = "Co najmniej 8 znaków (do 128); bez reguł o rodzaju znaków; nie może być popularnym hasłem."


class ActivationIn(In):
    login = fields.String(required=True, validate=validate.Length(min=1, max=80))
    code = fields.String(required=True, validate=validate.Length(min=4, max=40),
                         metadata={"description": "Jednorazowy kod aktywacyjny z kartki (np. K7Q9-M2XP-4TAB)."})
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024),
                             metadata={"description": "Nowe hasło. " + PASSWORD_HELP})


class ActivationOut(Schema):
    ok = fields.Boolean()
    login = fields.String()


class PasswordChangeIn(In):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024),
                                 metadata={"description": PASSWORD_HELP})


class PasswordChangeOut(Schema):
    ok = fields.Boolean()
    sessions_ended = fields.Integer(metadata={"description": "Zakończone inne sesje (bieżąca trwa)."})


class IncidentIn(In):
    description = fields.String(required=True, validate=validate.Length(min=10, max=4000))
    severity = fields.String(load_default="medium", validate=validate.OneOf(["low", "medium", "high"]),
                             metadata={"description": "low: niska, medium: średnia, high: wysoka."})


class IncidentOut(Schema):
    incident_id = fields.String()


# ------------------------------------------------------------------ activation codes, annexes (ACC-5, ACC-6, ARC-4)

class IssueCodesIn(In):
    """Whom to issue codes to: listed accounts (a lost password: one account), a class (its
    students and/or their parents), or every account of some roles in the school."""
    account_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=2000))
    class_id = Id(load_default=None, allow_none=True)
    roles = fields.List(fields.String(validate=validate.OneOf(SCHOOL_ROLES)), load_default=list,
                        validate=validate.Length(max=len(SCHOOL_ROLES)))
    valid_days = fields.Integer(load_default=14, validate=validate.Range(min=1, max=60),
                                metadata={"description": "Ważność kodów w dniach."})

    @validates_schema
    def _someone(self, data, **kwargs):
        if not (data.get("account_ids") or data.get("class_id") or data.get("roles")):
            raise ValidationError("Wskaż konta, klasę albo role.", "account_ids")


SCHOOL_YEAR = validate.Regexp(r"^\d{4}/\d{4}$", error="Rok szkolny w postaci RRRR/RRRR, np. 2025/2026.")


class AnnexQuery(Schema):
    class_id = Id(load_default=None, allow_none=True,
                  metadata={"description": "Klasa (wymagana dla załączników 1 i 2)."})
    school_year = fields.String(required=True, validate=SCHOOL_YEAR, metadata={"description": "Np. 2025/2026."})

    @validates_schema
    def _years(self, data, **kwargs):
        year = data.get("school_year") or ""
        if len(year) == 9 and int(year[5:]) != int(year[:4]) + 1:
            raise ValidationError("Rok szkolny to dwa kolejne lata, np. 2025/2026.", "school_year")


# ------------------------------------------------------------------ grants (ACC-4)

class RoleIn(In):
    role = fields.String(required=True, validate=validate.OneOf(SCHOOL_ROLES))


# ------------------------------------------------------------------ login statistics (ACC-8)

class LoginStatsQuery(In):
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    class_id = Id(load_default=None, allow_none=True,
                  metadata={"description": "Tylko uczniowie klasy i ich rodzice (wychowawca: wymagane)."})
    role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ALL_ROLES))


class LoginStatsUserOut(Schema):
    user_id = fields.String()
    name = fields.String()
    login = fields.String()
    roles = fields.List(fields.String())
    success = fields.Integer()
    failed = fields.Integer()
    last_login = DateTimeStr(allow_none=True)


class LoginStatsDayOut(Schema):
    date = DateStr()
    success = fields.Integer()
    failed = fields.Integer()


class LoginStatsOut(Schema):
    scope = fields.String(metadata={"description": "all | students | own_class"})
    users = fields.List(fields.Nested(LoginStatsUserOut))
    days = fields.List(fields.Nested(LoginStatsDayOut))


# ------------------------------------------------------------------ audit log (ACC-11, LAW-2)

class AuditQuery(In):
    actor_id = Id(load_default=None, allow_none=True)
    subject_id = Id(load_default=None, allow_none=True)
    action = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100),
                           metadata={"description": "Początek nazwy zdarzenia, np. login. lub identity."})
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


class AuditEntryOut(Schema):
    id = fields.String()
    at = DateTimeStr()
    action = fields.String()
    actor_id = fields.String(allow_none=True)
    actor_roles = fields.List(fields.String())
    ip = fields.String(allow_none=True)
    subject_id = fields.String(allow_none=True)
    details = fields.Dict()


# ------------------------------------------------------------------ student personal data (ORG-8, ORG-9, ACC-10)

class ProfileIn(In):
    birth_date = fields.Date(load_default=None, allow_none=True)
    birth_place = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    pesel = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^\d{11}$", error="PESEL to 11 cyfr."))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[0-9 +()-]{6,40}$", error="Telefon: 6–40 znaków: cyfry, spacje, +, ( ) i -."))


class IncompleteQuery(Schema):
    class_id = Id(load_default=None, allow_none=True, metadata={"description": "Tylko uczniowie tej klasy."})


class IncompleteOut(Schema):
    student_id = fields.String()
    name = fields.String()
    missing = fields.List(fields.String())
    missing_pl = fields.List(fields.String(), metadata={"description": "Brakujące dane po polsku."})


class EditorOut(Schema):
    name = fields.String()
    login = fields.String()
    role = fields.String()


class DataReportOut(Schema):
    school = fields.Nested(SchoolOut)
    student = fields.Nested(AccountOut)
    profile = fields.Nested(ProfileOut)
    guardians = fields.List(fields.String())
    editors = fields.List(fields.Nested(EditorOut),
                          metadata={"description": "Użytkownicy uprawnieni do edycji danych ucznia."})
    generated_at = DateTimeStr()


PDF = {"type": "string", "format": "binary"}
