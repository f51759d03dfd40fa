"""School organisation and scheduling (issue 4; ORG-1..11): school years and terms, subjects,
teaching assignments, classes and transfers, the timetable (with the aSc Timetables import),
class and teacher weeks, lessons and their topics, substitutions (ZASTĘPSTWA), the supervision
report, the calendar (TERMINARZ) with the school's test limits, iCalendar feeds, trip cards and
the completeness report. Each route calls the scheduling RPC of the same meaning; the service
checks the school of every record and the role again (defence in depth).

Two things the gateway does itself:

- **aSc import upload** (``POST /schools/{id}/terms/{id}/timetable-imports``): a
  ``multipart/form-data`` upload (field ``file``) or JSON ``{"xml_text": ...}``, up to 5 MB: only
  this route raises the request limit (1 MiB elsewhere). This blueprint's guard is the API's
  ``api_guard`` except that it lets that route take multipart bodies.
- **iCalendar tokens** (``POST /ical-feeds``): a private subscription URL ``/ical/<token>.ics``
  whose token is signed with itsdangerous (key ``DZIENNIK_SECRET_KEY``, salt ``dziennik-ical``)
  and carries the user id, the school, the roles at issue time and what the feed shows (a
  class's calendar, or the user's own lessons). No token store: the feed checks the signature,
  then asks identity for the account (blocked, expired or moved accounts get nothing) and calls
  ``scheduling.ical_feed`` with the account's *current* roles. Revocation: rotating
  ``DZIENNIK_SECRET_KEY`` invalidates every feed URL at once (and every CSRF token); blocking an
  account stops its feeds."""
import re
from datetime import date, datetime, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from flask import current_app, g, request
from flask_smorest import Blueprint
from itsdangerous import BadData, URLSafeSerializer
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from services.common.errors import Forbidden, Invalid, NotFound

from .. import rpc
from ..auth import (ADMINS, CLASS_TEACHER, DIRECTORS, INSPECTOR, SAFE_METHODS, SECRETARY, STAFF,
                    STAFF_EDITING_STUDENTS, TEACHERS, authenticate, check_own_or_staff, current_user, require_role,
                    requires, school_scoped, user_roles)
from ..errors import polish_messages
from ..schemas import ClassOut
from . import PREFIX, _has_body, api_guard
from .scheduling_schemas import (
    ApprovalIn, AssignmentIn, AssignmentOut, AssignmentQuery, CalendarEventIn, CalendarQuery, ClassPatchIn,
    ClassWeekOut, CompletenessOut, CompletenessQuery, CurrentTermOut, DeletedOut, IcalFeedIn, IcalFeedOut,
    ImportJsonIn, ImportReportOut, LessonDetailOut, LessonsQuery, OnDateQuery, RejectionIn, RemovedOut,
    SchedCalendarEventOut, SchedLessonOut, SchoolYearIn, SchoolYearOut, SchoolYearPatchIn, StudentClassOut,
    StudentClassQuery, SubjectIn, SubjectOut, SubjectPatchIn, SubstitutedLessonOut, SubstituteIn,
    SubstitutionsQuery, SupervisionOut, SupervisionQuery, TeacherWeekOut, TermIn, TermOut, TermPatchIn,
    TestLimitsIn, TestLimitsOut, TimetableEntryOut, TimetableIn, TimetableQuery, TimetableSetOut, TopicIn,
    TransferIn, TransferOut, TripIn, TripOut, TripsQuery, WeekQuery)

bp = Blueprint("scheduling", __name__, url_prefix=PREFIX,
               description="Organizacja szkoły: lata szkolne i okresy, przedmioty, przydział zajęć, plan lekcji "
                           "(także import z aSc Timetables), lekcje i tematy, zastępstwa, nadzór, terminarz "
                           "z limitami sprawdzianów, karty wycieczek, kompletność danych (ORG-1..11).")

# Who may do what (chapter II; services/scheduling/README.md). The association administrator
# passes every role check.
MANAGERS = ADMINS                                             # ORG-1, ORG-2, ORG-3: the administrator
SUBSTITUTION_VIEWERS = ADMINS + DIRECTORS + (INSPECTOR,)      # ORG-3 (view/control), ORG-4 (supervision)
CLASS_LIST_EDITORS = STAFF_EDITING_STUDENTS                   # ORG-5: secretary, directors, administrators
CALENDAR_WRITERS = TEACHERS + ADMINS + DIRECTORS              # ORG-10 (kinds checked by the service)
LIMIT_SETTERS = ADMINS + DIRECTORS
TRIP_ORGANISERS = TEACHERS + ADMINS + DIRECTORS               # ORG-11
TRIP_DECIDERS = DIRECTORS
COMPLETENESS_READERS = ADMINS + DIRECTORS + (SECRETARY, CLASS_TEACHER)   # ORG-9

IMPORT_ENDPOINT = "scheduling.import_timetable"
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_REQUEST_MAX = IMPORT_MAX_BYTES + 64 * 1024            # the file plus the multipart envelope
CALENDAR_DEFAULT_DAYS = 30
NOT_A_TEACHER = "Nie znaleziono nauczyciela."


# ------------------------------------------------------------------ the guard

def scheduling_guard():
    """``api_guard``, except that the aSc import route takes ``multipart/form-data`` (or JSON) up
    to 5 MB; the request limit is raised before anything reads the body."""
    if request.endpoint != IMPORT_ENDPOINT:
        return api_guard()
    request.max_content_length = IMPORT_REQUEST_MAX
    authenticate()
    if request.method not in SAFE_METHODS and _has_body() and not (
            request.is_json or request.mimetype == "multipart/form-data"):
        raise UnsupportedMediaType()
    return None


bp.before_request(scheduling_guard)


# ------------------------------------------------------------------ helpers

def requires_existing(lookup, *roles):
    """``@requires(*roles)`` checked *after* ``lookup(**view_args)`` found the record: for routes
    whose roles the administrators lack (topics: teachers; trip decisions: directors) another
    school's id is still "not found" (404, TEN-1) rather than "forbidden"; the body is validated
    after both. The roles are documented as ``x-required-roles`` like ``@requires``."""
    allowed = frozenset(roles)

    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            lookup(**kwargs)
            require_role(*allowed)
            return fn(*args, **kwargs)

        wrapper._required_roles = allowed
        apidoc = dict(getattr(fn, "_apidoc", {}))
        apidoc["manual_doc"] = {**apidoc.get("manual_doc", {}), "x-required-roles": sorted(allowed)}
        wrapper._apidoc = apidoc
        return wrapper
    return decorator


def find_lesson(lesson_id, **_):
    return rpc.call("scheduling", "get_lesson", lesson_id)


def find_trip(trip_id, **_):
    return rpc.call("scheduling", "get_trip", trip_id)


def check_teacher(teacher_id):
    """A teacher of the caller's school (identity answers NotFound for another school's
    account); anything else looks non-existent (TEN-1)."""
    account = rpc.call("identity", "get_account", teacher_id)
    if not set(account.get("roles") or ()) & set(TEACHERS):
        raise NotFound(NOT_A_TEACHER)
    return account


def check_student(student_id):
    """Family members only themselves or their children; staff only students of their school."""
    check_own_or_staff(student_id, "Nie znaleziono ucznia.")
    account = rpc.call("identity", "get_account", student_id)
    if "student" not in (account.get("roles") or ()):
        raise NotFound("Nie znaleziono ucznia.")
    return account


SCHOOL_TZ = ZoneInfo("Europe/Warsaw")


def school_today():
    """The schools' date (they are in Poland, whatever the server's zone), as scheduling uses."""
    return datetime.now(SCHOOL_TZ).date()


def today_iso():
    return school_today().isoformat()


def decode_xml(data):
    """The uploaded bytes as text: the encoding the XML declaration names (aSc writes UTF-8 or
    windows-1250), UTF-8 by default. A file that is not text is refused naming the field."""
    head = data[:200].decode("ascii", "replace")
    m = re.search(r'encoding\s*=\s*["\']([A-Za-z0-9_.:-]+)["\']', head)
    encoding = (m.group(1) if m else "utf-8").lower()
    try:
        return data.decode("utf-8-sig" if encoding in ("utf-8", "utf8") else encoding)
    except (LookupError, UnicodeDecodeError):
        raise Invalid("Plik nie jest tekstowym plikiem XML (niepoprawne kodowanie znaków).",
                      {"file": ["To nie jest plik XML eksportu aSc Timetables."]}) from None


def read_upload(storage):
    """The XML text of an uploaded file (``werkzeug.FileStorage``), at most 5 MB."""
    if storage is None or not storage.filename:
        raise Invalid("Wybierz plik XML eksportu aSc Timetables.", {"file": ["Wybierz plik."]})
    data = storage.stream.read(IMPORT_MAX_BYTES + 1)
    if len(data) > IMPORT_MAX_BYTES:
        raise RequestEntityTooLarge()
    if not data.strip():
        raise Invalid("Plik jest pusty.", {"file": ["Plik jest pusty."]})
    return decode_xml(data)


# ------------------------------------------------------------------ iCalendar tokens (ORG-10)

ICAL_SALT = "dziennik-ical"


def _ical_serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=ICAL_SALT)


def make_ical_token(user, class_id=None):
    """The private token of a feed: a class's calendar (``class_id``) or the user's own lessons."""
    payload = {"u": user["id"], "s": user.get("school_id"), "r": sorted(user.get("roles") or ())}
    if class_id:
        payload["c"] = class_id
    else:
        payload["t"] = user["id"]
    return _ical_serializer().dumps(payload)


def read_ical_token(token):
    """The payload of a valid token, else NotFound (an unknown, forged or revoked feed)."""
    try:
        payload = _ical_serializer().loads(token)
    except BadData:
        payload = None
    if not isinstance(payload, dict) or not payload.get("u") or not payload.get("s"):
        raise NotFound("Nie ma takiego kalendarza albo link został unieważniony.")
    return payload


def issue_ical_feed(class_id=None):
    """Check that the caller may subscribe to this feed and return its token and name."""
    user = current_user()
    roles = user_roles()
    if not user.get("school_id"):
        raise Invalid("Kalendarz subskrybuje użytkownik szkoły.", {"class_id": ["Niedostępne."]})
    if class_id:
        klass = rpc.call("scheduling", "get_class", class_id)     # NotFound for another school's class
        if roles and roles <= {"parent", "student"}:
            # a student the own class, a parent the children's classes
            students = [user["id"]] if "student" in roles else []
            students += list(user.get("children") or ()) if "parent" in roles else []
            classes = {rpc.call("scheduling", "student_class", sid).get("class_id") for sid in students}
            if class_id not in classes:
                raise NotFound("Nie znaleziono klasy.")
        return make_ical_token(user, class_id), f"Terminarz klasy {klass['name']}", klass
    if not roles & set(TEACHERS):
        raise Invalid("Plan lekcji w kalendarzu jest dla nauczycieli; wybierz klasę.", {"class_id": ["Wymagane."]})
    return make_ical_token(user), "Mój plan lekcji", None


def ical_url(token):
    return request.url_root.rstrip("/") + f"/ical/{token}.ics"


def ical_body(token):
    """The feed of a token as its owner sees it now (used by the public page ``/ical/<token>.ics``)."""
    payload = read_ical_token(token)
    ctx = {"user_id": payload["u"], "school_id": payload["s"], "roles": payload.get("r") or [],
           "request_id": g.get("request_id"), "ip": g.get("ip")}
    gone = NotFound("Nie ma takiego kalendarza albo link został unieważniony.")
    try:
        account = rpc.call("identity", "get_account", payload["u"], ctx=ctx)
    except NotFound:
        raise gone from None
    expires = account.get("expires_on")
    if account.get("blocked") or account.get("school_id") != payload["s"] or (expires and expires < today_iso()):
        raise gone
    ctx["roles"] = list(account.get("roles") or ())
    try:
        return rpc.call("scheduling", "ical_feed", payload["s"], class_id=payload.get("c"),
                        teacher_id=payload.get("t"), ctx=ctx)
    except (NotFound, Invalid, Forbidden):   # the class is gone, or the role for this feed
        raise gone from None


@bp.route("/ical-feeds", methods=["POST"])
@bp.arguments(IcalFeedIn)
@bp.response(201, IcalFeedOut)
def create_ical_feed(data):
    """Prywatny adres kalendarza (iCalendar) do subskrypcji (ORG-10)

    Z `class_id`: terminarz klasy (uczeń i rodzic: tylko klasa własna lub dziecka). Bez: plan
    lekcji nauczyciela. Adres działa bez logowania; kto go zna, widzi ten kalendarz. Zmiana
    klucza DZIENNIK_SECRET_KEY unieważnia wszystkie adresy; zablokowanie konta jego adresy."""
    token, name, klass = issue_ical_feed(data.get("class_id"))
    return {"url": ical_url(token), "kind": "class" if klass else "teacher",
            "class_id": klass["id"] if klass else None, "name": name}


# ------------------------------------------------------------------ school years and terms (ORG-1)

@bp.route("/schools/<school_id>/school-years", methods=["GET"])
@school_scoped()
@bp.response(200, SchoolYearOut(many=True))
def list_school_years(school_id):
    """Lata szkolne z okresami (najnowsze pierwsze)"""
    return rpc.call("scheduling", "list_school_years", school_id)


@bp.route("/schools/<school_id>/school-years", methods=["POST"])
@requires(*MANAGERS)
@school_scoped()
@bp.arguments(SchoolYearIn)
@bp.response(201, SchoolYearOut)
def create_school_year(data, school_id):
    """Utwórz rok szkolny z okresami (ORG-1)"""
    return rpc.call("scheduling", "create_school_year", school_id, data)


@bp.route("/school-years/<year_id>", methods=["PATCH"])
@requires(*MANAGERS)
@bp.arguments(SchoolYearPatchIn)
@bp.response(200, SchoolYearOut)
def update_school_year(data, year_id):
    """Zmień daty roku szkolnego (okresy muszą się w nim mieścić)"""
    return rpc.call("scheduling", "update_school_year", year_id, data)


@bp.route("/school-years/<year_id>/closure", methods=["POST"])
@requires(*MANAGERS)
@bp.response(200, SchoolYearOut)
def close_school_year(year_id):
    """Zamknij rok szkolny po jego zakończeniu (rozpoczyna archiwizację, LAW-5)"""
    return rpc.call("scheduling", "close_school_year", year_id)


@bp.route("/school-years/<year_id>/terms", methods=["POST"])
@requires(*MANAGERS)
@bp.arguments(TermIn)
@bp.response(201, TermOut)
def create_term(data, year_id):
    """Dodaj okres (semestr) do roku szkolnego"""
    return rpc.call("scheduling", "create_term", year_id, data)


@bp.route("/terms/<term_id>", methods=["PATCH"])
@requires(*MANAGERS)
@bp.arguments(TermPatchIn)
@bp.response(200, TermOut)
def update_term(data, term_id):
    """Zmień nazwę lub daty okresu (plan lekcji musi się w nim mieścić)"""
    return rpc.call("scheduling", "update_term", term_id, data)


@bp.route("/terms/<term_id>", methods=["DELETE"])
@requires(*MANAGERS)
@bp.response(200, DeletedOut)
def delete_term(term_id):
    """Usuń okres, który nie ma jeszcze planu lekcji"""
    return rpc.call("scheduling", "delete_term", term_id)


@bp.route("/schools/<school_id>/current-term", methods=["GET"])
@school_scoped()
@bp.arguments(OnDateQuery, location="query")
@bp.response(200, CurrentTermOut)
def current_term(query, school_id):
    """Okres trwający w danym dniu (domyślnie dziś); 404, gdy żaden nie trwa"""
    term = rpc.call("scheduling", "current_term", school_id, query.get("on_date"))
    if term is None:
        raise NotFound("W tym dniu nie trwa żaden okres roku szkolnego.")
    return term


# ------------------------------------------------------------------ subjects (ORG-1)

@bp.route("/schools/<school_id>/subjects", methods=["GET"])
@school_scoped()
@bp.response(200, SubjectOut(many=True))
def list_subjects(school_id):
    """Przedmioty szkoły"""
    return rpc.call("scheduling", "list_subjects", school_id)


@bp.route("/schools/<school_id>/subjects", methods=["POST"])
@requires(*MANAGERS)
@school_scoped()
@bp.arguments(SubjectIn)
@bp.response(201, SubjectOut)
def create_subject(data, school_id):
    """Dodaj przedmiot"""
    return rpc.call("scheduling", "create_subject", school_id, data)


@bp.route("/subjects/<subject_id>", methods=["GET"])
@bp.response(200, SubjectOut)
def get_subject(subject_id):
    """Przedmiot"""
    return rpc.call("scheduling", "get_subject", subject_id)


@bp.route("/subjects/<subject_id>", methods=["PATCH"])
@requires(*MANAGERS)
@bp.arguments(SubjectPatchIn)
@bp.response(200, SubjectOut)
def update_subject(data, subject_id):
    """Zmień nazwę lub skrót przedmiotu"""
    return rpc.call("scheduling", "update_subject", subject_id, data)


# ------------------------------------------------------------------ teaching assignments (ORG-1)

@bp.route("/schools/<school_id>/assignments", methods=["GET"])
@requires(*STAFF)
@school_scoped()
@bp.arguments(AssignmentQuery, location="query")
@bp.response(200, AssignmentOut(many=True))
def list_assignments(query, school_id):
    """Przydział zajęć szkoły (lub jednej klasy)"""
    return rpc.call("scheduling", "list_assignments", school_id, query.get("class_id"))


@bp.route("/schools/<school_id>/assignments", methods=["POST"])
@requires(*MANAGERS)
@school_scoped()
@bp.arguments(AssignmentIn)
@bp.response(201, AssignmentOut)
def create_assignment(data, school_id):
    """Przydziel zajęcia: nauczyciel uczy przedmiotu w klasie lub grupie"""
    return rpc.call("scheduling", "create_assignment", school_id, data)


@bp.route("/assignments/<assignment_id>", methods=["DELETE"])
@requires(*MANAGERS)
@bp.response(200, DeletedOut)
def delete_assignment(assignment_id):
    """Usuń przydział zajęć (plan lekcji się nie zmienia)"""
    return rpc.call("scheduling", "delete_assignment", assignment_id)


@bp.route("/teachers/<teacher_id>/assignments", methods=["GET"])
@requires(*STAFF)
@bp.response(200, AssignmentOut(many=True))
def assignments_of_teacher(teacher_id):
    """Czego uczy nauczyciel: przedmioty i klasy"""
    check_teacher(teacher_id)
    return rpc.call("scheduling", "assignments_of_teacher", teacher_id)


# ------------------------------------------------------------------ classes and transfers (ORG-1, ORG-5)

@bp.route("/classes/<class_id>", methods=["PATCH"])
@requires(*MANAGERS)
@bp.arguments(ClassPatchIn)
@bp.response(200, ClassOut)
def update_class(data, class_id):
    """Zmień nazwę klasy lub wychowawcę"""
    return rpc.call("scheduling", "update_class", class_id, data)


@bp.route("/students/<student_id>/transfer", methods=["POST"])
@requires(*CLASS_LIST_EDITORS)
@bp.arguments(TransferIn)
@bp.response(200, TransferOut)
def transfer_student(data, student_id):
    """Przenieś ucznia do innej klasy tej szkoły (ORG-5)

    Oceny i frekwencja idą za uczniem; wcześniejszy wpis zostaje jako „przeniesiony”."""
    return rpc.call("scheduling", "transfer_student", student_id, data)


@bp.route("/students/<student_id>/class", methods=["GET"])
@bp.arguments(StudentClassQuery, location="query")
@bp.response(200, StudentClassOut)
def student_class(query, student_id):
    """Klasa ucznia (i historia przeniesień)"""
    check_student(student_id)
    return rpc.call("scheduling", "student_class", student_id, include_history=query["include_history"])


# ------------------------------------------------------------------ timetable (ORG-2)

@bp.route("/classes/<class_id>/terms/<term_id>/timetable", methods=["GET"])
@bp.arguments(TimetableQuery, location="query")
@bp.response(200, TimetableEntryOut(many=True))
def timetable(query, class_id, term_id):
    """Plan lekcji klasy w okresie (obowiązujący w danym dniu albo z historią zmian)"""
    return rpc.call("scheduling", "timetable", class_id, term_id, query.get("on_date"),
                    query["include_history"])


@bp.route("/classes/<class_id>/terms/<term_id>/timetable", methods=["PUT"])
@requires(*MANAGERS)
@bp.arguments(TimetableIn)
@bp.response(200, TimetableSetOut)
def set_timetable(data, class_id, term_id):
    """Ustaw plan lekcji klasy od danego dnia (ORG-2)

    Zastępuje cały tygodniowy plan klasy od `valid_from`; wcześniejsze dni zostają bez zmian.
    Kolizje (nauczyciel lub sala w dwóch miejscach, klasa na dwóch lekcjach) są odrzucane z
    nazwaniem każdej; nic nie zostaje zapisane częściowo (409)."""
    return rpc.call("scheduling", "set_timetable", class_id, term_id, data)


IMPORT_BODY = {
    "required": True,
    "description": "Plik XML eksportu aSc Timetables (Plik → Eksport → XML), najwyżej 5 MB.",
    "content": {
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"},
                           "valid_from": {"type": "string", "format": "date"},
                           "dry_run": {"type": "boolean", "description": "Tylko podgląd (nic nie jest zapisywane)."}}}},
        "application/json": {"schema": ImportJsonIn},
    },
}


@bp.route("/schools/<school_id>/terms/<term_id>/timetable-imports", methods=["POST"])
@requires(*MANAGERS)
@school_scoped()
@bp.doc(requestBody=IMPORT_BODY)
@bp.response(200, ImportReportOut)
def import_timetable(school_id, term_id):
    """Importuj plan lekcji z pliku XML aSc Timetables (ORG-2)

    `dry_run=true`: podgląd (klasy, liczba wpisów, przedmioty do utworzenia, ostrzeżenia) bez
    zapisu. Obsługiwany format: services/scheduling/README.md. Wszystko albo nic: niezmapowane
    klasy lub nauczyciele, kolizje i pliki niebędące eksportem aSc są odrzucane z raportem."""
    if request.is_json:
        try:
            data = ImportJsonIn().load(request.get_json(silent=False) or {})
        except ValidationError as err:
            fields = polish_messages(err.messages)
            raise Invalid("Niepoprawne dane: sprawdź pola " + ", ".join(sorted(fields)) + ".", fields) from None
        xml_text, valid_from, dry_run = data["xml_text"], data["valid_from"], data["dry_run"]
        valid_from = valid_from.isoformat() if valid_from else None
    else:
        form = request.form
        xml_text = read_upload(request.files.get("file"))
        valid_from = (form.get("valid_from") or "").strip() or None
        dry_run = (form.get("dry_run") or "").strip().lower() in ("1", "true", "tak", "on", "yes")
        if valid_from:
            try:
                valid_from = date.fromisoformat(valid_from).isoformat()
            except ValueError:
                raise Invalid("Niepoprawne dane: sprawdź pola valid_from.",
                              {"valid_from": ["Niepoprawna data (oczekiwano RRRR-MM-DD)."]}) from None
    return rpc.call("scheduling", "import_asc_timetable", school_id, term_id, xml_text, valid_from, dry_run)


# ------------------------------------------------------------------ weeks (ORG-2, ORG-3)

@bp.route("/classes/<class_id>/week", methods=["GET"])
@bp.arguments(WeekQuery, location="query")
@bp.response(200, ClassWeekOut)
def class_week(query, class_id):
    """Tydzień klasy: plan z zastępstwami, odwołaniami, dniami wolnymi i terminarzem

    Tematy lekcji widzą tylko pracownicy szkoły."""
    return rpc.call("scheduling", "class_week", class_id, query.get("date") or today_iso())


@bp.route("/teachers/<teacher_id>/week", methods=["GET"])
@requires(*STAFF)
@bp.arguments(WeekQuery, location="query")
@bp.response(200, TeacherWeekOut)
def teacher_week(query, teacher_id):
    """Tydzień nauczyciela: własne lekcje, zastępstwa, lekcje oddane w zastępstwo"""
    check_teacher(teacher_id)
    return rpc.call("scheduling", "teacher_week", teacher_id, query.get("date") or today_iso())


# ------------------------------------------------------------------ lessons and topics (ORG-4)

@bp.route("/lessons", methods=["GET"])
@requires(*STAFF)
@bp.arguments(LessonsQuery, location="query")
@bp.response(200, SchedLessonOut(many=True))
def lessons(query):
    """Lekcje dnia klasy albo nauczyciela (także zastępstwa)

    Lekcje powstają z planu przy pierwszym zapytaniu; nauczyciel otwiera je, by wpisać temat
    i sprawdzić obecność."""
    if query.get("teacher_id"):
        check_teacher(query["teacher_id"])
    return rpc.call("scheduling", "lessons_for", query["date"], class_id=query.get("class_id"),
                    teacher_id=query.get("teacher_id"))


@bp.route("/lessons/<lesson_id>", methods=["GET"])
@requires(*STAFF)
@bp.response(200, LessonDetailOut)
def get_lesson(lesson_id):
    """Lekcja z historią zastępstw"""
    return rpc.call("scheduling", "get_lesson", lesson_id)


@bp.route("/lessons/<lesson_id>/topic", methods=["PUT"])
@requires_existing(find_lesson, *TEACHERS)
@bp.arguments(TopicIn)
@bp.response(200, SchedLessonOut)
def enter_topic(data, lesson_id):
    """Wpisz lub popraw temat lekcji (ORG-4)

    Nauczyciel prowadzący albo zastępujący (nigdy zastępowany); także za minione dni po awarii:
    zachowana jest data lekcji i czas wpisu (OPS-2)."""
    return rpc.call("scheduling", "enter_topic", lesson_id, data)


@bp.route("/lessons/<lesson_id>/substitution", methods=["POST"])
@requires(*MANAGERS)
@bp.arguments(SubstituteIn)
@bp.response(200, SubstitutedLessonOut)
def assign_substitute(data, lesson_id):
    """Zastępstwo: wyznacz nauczyciela zastępującego albo odwołaj lekcję (ORG-3)

    Zastępujący musi być wtedy wolny; lekcji z tematem nie można zmienić. Nauczyciel
    zastępowany, klasa i rodzice dostają wiadomość systemową."""
    return rpc.call("scheduling", "assign_substitute", lesson_id, data)


@bp.route("/schools/<school_id>/substitutions", methods=["GET"])
@requires(*SUBSTITUTION_VIEWERS)
@school_scoped()
@bp.arguments(SubstitutionsQuery, location="query")
@bp.response(200, SubstitutedLessonOut(many=True))
def substitutions(query, school_id):
    """Zastępstwa i odwołane lekcje w okresie (ORG-3; kontrola dyrektora: bez tematu)"""
    return rpc.call("scheduling", "substitutions", school_id, query["date_from"], query["date_to"],
                    query["without_topic_only"])


@bp.route("/schools/<school_id>/supervision", methods=["GET"])
@requires(*SUBSTITUTION_VIEWERS)
@school_scoped()
@bp.arguments(SupervisionQuery, location="query")
@bp.response(200, SupervisionOut)
def supervision(query, school_id):
    """Raport nadzoru tygodnia: lekcje bez tematu, bez frekwencji, oceny wpisane po terminie (ORG-4)"""
    return rpc.call("scheduling", "supervision_report", school_id, query["week_start"])


# ------------------------------------------------------------------ calendar and limits (ORG-10)

@bp.route("/schools/<school_id>/calendar", methods=["GET"])
@school_scoped()
@bp.arguments(CalendarQuery, location="query")
@bp.response(200, SchedCalendarEventOut(many=True))
def calendar(query, school_id):
    """Terminarz szkoły albo klasy (sprawdziany, kartkówki, dni wolne, wydarzenia, zebrania, wycieczki)"""
    date_from = query.get("date_from") or today_iso()
    date_to = query.get("date_to") or (date.fromisoformat(date_from) + timedelta(days=CALENDAR_DEFAULT_DAYS)).isoformat()
    return rpc.call("scheduling", "calendar", school_id, date_from, date_to, query.get("class_id"))


@bp.route("/schools/<school_id>/calendar", methods=["POST"])
@requires(*CALENDAR_WRITERS)
@school_scoped()
@bp.arguments(CalendarEventIn)
@bp.response(201, SchedCalendarEventOut)
def add_calendar_event(data, school_id):
    """Dodaj wpis do terminarza (ORG-10)

    Sprawdzian ponad limit szkoły jest odrzucany (409) z komunikatem wymieniającym sprawdziany,
    które już są; dzień wolny odwołuje lekcje tego dnia."""
    return rpc.call("scheduling", "add_calendar_event", school_id, data)


@bp.route("/calendar/<event_id>", methods=["DELETE"])
@requires(*CALENDAR_WRITERS)
@bp.response(200, RemovedOut)
def remove_calendar_event(event_id):
    """Usuń wpis z terminarza (autor, administrator, dyrektor)"""
    return rpc.call("scheduling", "remove_calendar_event", event_id)


@bp.route("/schools/<school_id>/test-limits", methods=["GET"])
@school_scoped()
@bp.response(200, TestLimitsOut)
def test_limits(school_id):
    """Limity sprawdzianów i kartkówek na klasę (dziennie, tygodniowo)"""
    return rpc.call("scheduling", "test_limits", school_id)


@bp.route("/schools/<school_id>/test-limits", methods=["PUT"])
@requires(*LIMIT_SETTERS)
@school_scoped()
@bp.arguments(TestLimitsIn)
@bp.response(200, TestLimitsOut)
def set_test_limits(data, school_id):
    """Ustaw limity sprawdzianów i kartkówek (null: bez limitu)"""
    return rpc.call("scheduling", "set_test_limits", school_id, data)


# ------------------------------------------------------------------ trip cards (ORG-11)

@bp.route("/schools/<school_id>/trips", methods=["GET"])
@requires(*STAFF)
@school_scoped()
@bp.arguments(TripsQuery, location="query")
@bp.response(200, TripOut(many=True))
def list_trips(query, school_id):
    """Karty wycieczek szkoły"""
    return rpc.call("scheduling", "list_trips", school_id, query.get("status"))


@bp.route("/schools/<school_id>/trips", methods=["POST"])
@requires(*TRIP_ORGANISERS)
@school_scoped()
@bp.arguments(TripIn)
@bp.response(201, TripOut)
def create_trip(data, school_id):
    """Załóż kartę wycieczki (szkic; ORG-11)"""
    return rpc.call("scheduling", "create_trip", school_id, data)


@bp.route("/trips/<trip_id>", methods=["GET"])
@requires(*STAFF)
@bp.response(200, TripOut)
def get_trip(trip_id):
    """Karta wycieczki"""
    return rpc.call("scheduling", "get_trip", trip_id)


@bp.route("/trips/<trip_id>", methods=["PUT"])
@requires(*TRIP_ORGANISERS)
@bp.arguments(TripIn)
@bp.response(200, TripOut)
def update_trip(data, trip_id):
    """Popraw kartę wycieczki (szkic albo odrzucona)"""
    return rpc.call("scheduling", "update_trip", trip_id, data)


@bp.route("/trips/<trip_id>/submission", methods=["POST"])
@requires(*TRIP_ORGANISERS)
@bp.response(200, TripOut)
def submit_trip(trip_id):
    """Złóż kartę wycieczki do zatwierdzenia przez dyrektora"""
    return rpc.call("scheduling", "submit_trip", trip_id)


@bp.route("/trips/<trip_id>/approval", methods=["POST"])
@requires_existing(find_trip, *TRIP_DECIDERS)
@bp.arguments(ApprovalIn)
@bp.response(200, TripOut)
def approve_trip(data, trip_id):
    """Zatwierdź kartę wycieczki (dyrektor): wycieczka trafia do terminarza klas"""
    return rpc.call("scheduling", "approve_trip", trip_id, data)


@bp.route("/trips/<trip_id>/rejection", methods=["POST"])
@requires_existing(find_trip, *TRIP_DECIDERS)
@bp.arguments(RejectionIn)
@bp.response(200, TripOut)
def reject_trip(data, trip_id):
    """Odrzuć kartę wycieczki z uzasadnieniem (dyrektor)"""
    return rpc.call("scheduling", "reject_trip", trip_id, data)


# ------------------------------------------------------------------ completeness (ORG-9)

@bp.route("/schools/<school_id>/completeness", methods=["GET"])
@requires(*COMPLETENESS_READERS)
@school_scoped()
@bp.arguments(CompletenessQuery, location="query")
@bp.response(200, CompletenessOut)
def completeness(query, school_id):
    """Kompletność danych uczniów według klas (ORG-9)

    Wychowawca: własna klasa (do 10 września); dyrektor: cała szkoła (do 15 września)."""
    return rpc.call("scheduling", "completeness_report", school_id, query.get("class_id"))
