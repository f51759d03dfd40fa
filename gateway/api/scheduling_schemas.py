"""Request and response bodies of the scheduling routes (issue 4: ORG-1..11): school years and
terms, subjects, teaching assignments, classes and transfers, the timetable and its aSc import,
weeks, lessons and topics, substitutions, the supervision report, the calendar with test limits,
the iCalendar feeds, trip cards and the completeness report.

As in ``gateway/schemas.py``: request schemas check shape and obvious limits early (422 naming
the field) and the scheduling service validates again with its own schemas (the authority);
response schemas are the published contract. Dates travel as ISO strings. Component names are
prefixed where a generic name could clash with another area's schema in the OpenAPI document."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..schemas import ClassOut, DateStr, DateTimeStr, EnrolmentOut, Id, In

EVENT_KINDS = ("test", "quiz", "day_off", "school_event", "parent_meeting")
TRIP_STATUSES = ("draft", "submitted", "approved", "rejected")


def HourMinute(**kwargs):
    """A time of day, ``HH:MM``; the service checks the format (so that a lesson of another
    school is not found before the body is judged)."""
    return fields.String(metadata={"example": "08:00", "description": "GG:MM", **kwargs.pop("metadata", {})},
                         **kwargs)


def Text(max_len, min_len=1, **kwargs):
    return fields.String(validate=validate.Length(min=min_len, max=max_len), **kwargs)


# ------------------------------------------------------------------ years and terms (ORG-1)

class TermIn(In):
    name = Text(60, required=True, metadata={"example": "Semestr 1"})
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class TermPatchIn(In):
    name = Text(60)
    starts_on = fields.Date()
    ends_on = fields.Date()


class SchoolYearIn(In):
    name = fields.String(required=True, validate=validate.Regexp(
        r"^\d{4}/\d{4}$", error="Nazwa roku szkolnego w postaci RRRR/RRRR, np. 2026/2027."),
        metadata={"example": "2026/2027"})
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    terms = fields.List(fields.Nested(TermIn), load_default=list, validate=validate.Length(max=6),
                        metadata={"description": "Okresy (semestry) z datami; można dodać później."})


class SchoolYearPatchIn(In):
    starts_on = fields.Date()
    ends_on = fields.Date()


class TermOut(Schema):
    id = fields.String()
    year_id = fields.String()
    name = fields.String()
    starts_on = DateStr()
    ends_on = DateStr()


class SchoolYearOut(Schema):
    id = fields.String()
    school_id = fields.String()
    name = fields.String()
    starts_on = DateStr()
    ends_on = DateStr()
    closed_at = DateTimeStr(allow_none=True, metadata={"description": "Zamknięty rok nie może się już zmienić."})
    terms = fields.List(fields.Nested(TermOut))


class SchoolYearBriefOut(Schema):
    id = fields.String()
    name = fields.String()
    starts_on = DateStr()
    ends_on = DateStr()
    closed_at = DateTimeStr(allow_none=True)


class CurrentTermOut(TermOut):
    year = fields.Nested(SchoolYearBriefOut)


class OnDateQuery(In):
    on_date = fields.Date(load_default=None, allow_none=True,
                          metadata={"description": "Dzień (domyślnie dziś)."})


class DeletedOut(Schema):
    deleted = fields.String()


class RemovedOut(Schema):
    removed = fields.String()


# ------------------------------------------------------------------ subjects and assignments (ORG-1)

class SubjectIn(In):
    name = Text(120, required=True, metadata={"example": "Matematyka"})
    short_name = Text(30, load_default=None, allow_none=True, metadata={"example": "mat"})


class SubjectPatchIn(In):
    name = Text(120)
    short_name = Text(30, allow_none=True)


class SubjectOut(Schema):
    id = fields.String()
    school_id = fields.String()
    name = fields.String()
    short_name = fields.String(allow_none=True)


class AssignmentIn(In):
    teacher_id = Id(required=True)
    subject_id = Id(required=True)
    class_id = Id(required=True)
    group_name = Text(60, min_len=0, load_default="", allow_none=True,
                      metadata={"description": "Grupa klasy (puste: cała klasa)."})


class AssignmentQuery(Schema):
    class_id = Id(load_default=None, allow_none=True, metadata={"description": "Tylko przydziały tej klasy."})


class AssignmentOut(Schema):
    id = fields.String()
    school_id = fields.String()
    teacher_id = fields.String()
    subject_id = fields.String()
    subject_name = fields.String(allow_none=True)
    class_id = fields.String()
    class_name = fields.String(allow_none=True)
    group_name = fields.String()


# ------------------------------------------------------------------ classes, transfers (ORG-1, ORG-5)

class ClassPatchIn(In):
    name = Text(40)
    class_teacher_id = Id(allow_none=True, metadata={"description": "Wychowawca (null: brak)."})


class TransferIn(In):
    to_class_id = Id(required=True)
    on_date = fields.Date(load_default=None, allow_none=True,
                          metadata={"description": "Od kiedy uczeń jest w nowej klasie (domyślnie dziś)."})
    reason = Text(300, load_default=None, allow_none=True)


class TransferOut(Schema):
    from_ = fields.Nested(EnrolmentOut, data_key="from", attribute="from",
                          metadata={"description": "Zakończony wpis (status transferred)."})
    to = fields.Nested(EnrolmentOut, metadata={"description": "Nowy wpis na liście klasy."})


class ClassEnrolmentOut(EnrolmentOut):
    class_name = fields.String(allow_none=True)


class StudentClassQuery(Schema):
    include_history = fields.Boolean(load_default=False,
                                     metadata={"description": "Także wcześniejsze klasy (przeniesienia, skreślenia)."})


class StudentClassOut(Schema):
    student_id = fields.String()
    class_id = fields.String(allow_none=True)
    class_name = fields.String(allow_none=True)
    active = fields.Nested(ClassEnrolmentOut, allow_none=True)
    history = fields.List(fields.Nested(ClassEnrolmentOut))


# ------------------------------------------------------------------ timetable (ORG-2)

class TimetableEntryIn(Schema):
    weekday = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5),
                             metadata={"description": "1 = poniedziałek … 5 = piątek."})
    period = fields.Integer(required=True, strict=True, validate=validate.Range(0, 12),
                            metadata={"description": "Numer lekcji."})
    starts_at = HourMinute(required=True)
    ends_at = HourMinute(required=True)
    subject_id = Id(required=True)
    teacher_id = Id(required=True)
    room = Text(60, min_len=0, load_default=None, allow_none=True)
    group_name = Text(60, min_len=0, load_default="", allow_none=True)


class TimetableIn(In):
    valid_from = fields.Date(load_default=None, allow_none=True,
                             metadata={"description": "Obowiązuje od (domyślnie jutro lub pierwszy dzień okresu)."})
    entries = fields.List(fields.Nested(TimetableEntryIn), required=True, validate=validate.Length(max=100),
                          metadata={"description": "Cały tygodniowy plan klasy; zastępuje dotychczasowy od valid_from."})


class TimetableQuery(In):
    on_date = fields.Date(load_default=None, allow_none=True,
                          metadata={"description": "Plan obowiązujący w tym dniu (domyślnie dziś)."})
    include_history = fields.Boolean(load_default=False,
                                     metadata={"description": "Wszystkie wpisy z okresami obowiązywania."})


class TimetableEntryOut(Schema):
    id = fields.String()
    term_id = fields.String()
    class_id = fields.String()
    weekday = fields.Integer()
    period = fields.Integer()
    starts_at = fields.String()
    ends_at = fields.String()
    subject_id = fields.String()
    subject_name = fields.String(allow_none=True)
    teacher_id = fields.String()
    room = fields.String(allow_none=True)
    group_name = fields.String()
    valid_from = DateStr()
    valid_to = DateStr(allow_none=True)
    source = fields.String(metadata={"description": "manual | asc"})


class TimetableSetOut(Schema):
    class_id = fields.String()
    term_id = fields.String()
    valid_from = DateStr()
    entries = fields.List(fields.Nested(TimetableEntryOut))


class ImportJsonIn(Schema):
    xml_text = fields.String(required=True, validate=validate.Length(min=1, max=5_000_000),
                             metadata={"description": "Treść pliku XML eksportu aSc Timetables."})
    valid_from = fields.Date(load_default=None, allow_none=True)
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Tylko podgląd: nic nie jest zapisywane."})


class ImportClassOut(Schema):
    class_id = fields.String()
    name = fields.String()
    entries = fields.Integer()


class ImportReportOut(Schema):
    dry_run = fields.Boolean()
    term_id = fields.String()
    valid_from = DateStr()
    asc_version = fields.String(allow_none=True)
    entries = fields.Integer(metadata={"description": "Liczba wpisów planu."})
    classes = fields.List(fields.Nested(ImportClassOut))
    teachers_mapped = fields.Integer()
    subjects_mapped = fields.List(fields.String())
    subjects_created = fields.List(fields.String())
    entries_replaced = fields.Integer()
    warnings = fields.List(fields.String())


# ------------------------------------------------------------------ weeks, lessons, topics (ORG-2..4)

class WeekQuery(In):
    date = fields.Date(load_default=None, allow_none=True,
                       metadata={"description": "Dowolny dzień tygodnia (domyślnie dziś)."})


class SchedCalendarEventOut(Schema):
    id = fields.String()
    school_id = fields.String()
    class_id = fields.String(allow_none=True)
    class_name = fields.String(allow_none=True)
    kind = fields.String(metadata={"description": "test | quiz | day_off | school_event | parent_meeting | trip"})
    kind_name = fields.String(metadata={"description": "Rodzaj po polsku."})
    date = DateStr()
    ends_on = DateStr(allow_none=True)
    period = fields.Integer(allow_none=True)
    subject_id = fields.String(allow_none=True)
    subject_name = fields.String(allow_none=True)
    teacher_id = fields.String(allow_none=True)
    title = fields.String()
    description = fields.String(allow_none=True)
    trip_id = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)


class _LessonFields(Schema):
    class_id = fields.String()
    class_name = fields.String(allow_none=True)
    subject_id = fields.String()
    subject_name = fields.String(allow_none=True)
    teacher_id = fields.String()
    substitute_teacher_id = fields.String(allow_none=True)
    date = DateStr()
    period = fields.Integer()
    starts_at = fields.String()
    ends_at = fields.String()
    room = fields.String(allow_none=True)
    group_name = fields.String()
    status = fields.String(metadata={"description": "planned | held | cancelled"})
    cancel_reason = fields.String(allow_none=True)
    topic = fields.String(allow_none=True, metadata={"description": "Tylko dla pracowników szkoły."})
    topic_entered_at = DateTimeStr(allow_none=True, metadata={"description": "Kiedy wpisano temat (OPS-2)."})
    topic_entered_by = fields.String(allow_none=True)


class WeekLessonOut(_LessonFields):
    lesson_id = fields.String(allow_none=True, metadata={"description": "Brak, gdy lekcja nie została jeszcze utworzona."})
    substituting = fields.Boolean(metadata={"description": "Plan nauczyciela: lekcja, w której zastępuje."})
    substituted = fields.Boolean(metadata={"description": "Plan nauczyciela: własna lekcja oddana w zastępstwo."})


class WeekDayOut(Schema):
    date = DateStr()
    weekday = fields.Integer()
    weekday_name = fields.String()
    day_off = fields.Nested(SchedCalendarEventOut, allow_none=True)
    lessons = fields.List(fields.Nested(WeekLessonOut))
    events = fields.List(fields.Nested(SchedCalendarEventOut))


class ClassWeekOut(Schema):
    class_ = fields.Nested(ClassOut, data_key="class", attribute="class")
    week_start = DateStr()
    days = fields.List(fields.Nested(WeekDayOut))


class TeacherWeekOut(Schema):
    teacher_id = fields.String()
    week_start = DateStr()
    days = fields.List(fields.Nested(WeekDayOut))


class LessonsQuery(In):
    date = fields.Date(required=True)
    class_id = Id(load_default=None, allow_none=True)
    teacher_id = Id(load_default=None, allow_none=True)

    @validates_schema
    def _one_of(self, data, **kwargs):
        if bool(data.get("class_id")) == bool(data.get("teacher_id")):
            raise ValidationError("Podaj klasę (class_id) albo nauczyciela (teacher_id).", "class_id")


class SchedLessonOut(_LessonFields):
    id = fields.String()
    school_id = fields.String()


class SubstitutionOut(Schema):
    id = fields.String()
    lesson_id = fields.String()
    kind = fields.String(metadata={"description": "substitute | cancellation"})
    original_teacher_id = fields.String()
    substitute_teacher_id = fields.String(allow_none=True)
    reason = fields.String()
    assigned_by = fields.String(allow_none=True)
    assigned_at = DateTimeStr()


class LessonDetailOut(SchedLessonOut):
    substitutions = fields.List(fields.Nested(SubstitutionOut))


class TopicIn(In):
    topic = Text(500, min_len=3, required=True, metadata={"example": "Ułamki zwykłe: dodawanie"})


class SubstituteIn(In):
    """One of the two: ``substitute_teacher_id`` or ``cancel: true`` (the service checks it, after
    the lesson's school)."""
    substitute_teacher_id = Id(load_default=None, allow_none=True,
                               metadata={"description": "Nauczyciel zastępujący (albo cancel)."})
    cancel = fields.Boolean(load_default=False, metadata={"description": "true: lekcja odwołana."})
    reason = Text(300, min_len=3, required=True)


class SubstitutedLessonOut(SchedLessonOut):
    substitution = fields.Nested(SubstitutionOut, allow_none=True)
    without_topic = fields.Boolean(metadata={"description": "Odbyła się (do dziś) i nie ma tematu."})


class SubstitutionsQuery(In):
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    without_topic_only = fields.Boolean(load_default=False,
                                        metadata={"description": "Tylko zastępstwa, które się odbyły i nie mają tematu."})


class SupervisionQuery(In):
    week_start = fields.Date(required=True, metadata={"description": "Dowolny dzień tygodnia."})


class SupervisionTeacherOut(Schema):
    teacher_id = fields.String()
    count = fields.Integer()
    substitutions_without_topic = fields.Integer()
    lessons_without_topic = fields.List(fields.Nested(SchedLessonOut))


class HookLessonsOut(Schema):
    available = fields.Boolean(metadata={"description": "false: usługa frekwencji jeszcze tego nie udostępnia."})
    lessons = fields.Raw(allow_none=True)


class HookGradesOut(Schema):
    available = fields.Boolean(metadata={"description": "false: usługa ocen jeszcze tego nie udostępnia."})
    grades = fields.Raw(allow_none=True)


class SupervisionOut(Schema):
    school_id = fields.String()
    week_start = DateStr()
    week_end = DateStr()
    deadline = DateTimeStr(metadata={"description": "Termin uzupełnienia tygodnia (niedziela 20:00)."})
    lessons_held = fields.Integer()
    teachers = fields.List(fields.Nested(SupervisionTeacherOut))
    lessons_without_attendance = fields.Nested(HookLessonsOut)
    late_grades = fields.Nested(HookGradesOut)


# ------------------------------------------------------------------ calendar and test limits (ORG-10)

class CalendarQuery(In):
    date_from = fields.Date(load_default=None, allow_none=True, metadata={"description": "Domyślnie dziś."})
    date_to = fields.Date(load_default=None, allow_none=True, metadata={"description": "Domyślnie za 30 dni."})
    class_id = Id(load_default=None, allow_none=True,
                  metadata={"description": "Wpisy klasy i ogólnoszkolne (bez: cała szkoła)."})


class CalendarEventIn(In):
    kind = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS),
                         metadata={"description": "test: sprawdzian, quiz: kartkówka, day_off: dzień wolny, "
                                                  "school_event: wydarzenie, parent_meeting: zebranie z rodzicami"})
    date = fields.Date(required=True)
    ends_on = fields.Date(load_default=None, allow_none=True)
    class_id = Id(load_default=None, allow_none=True, metadata={"description": "Bez klasy: cała szkoła."})
    subject_id = Id(load_default=None, allow_none=True)
    period = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 12))
    title = Text(200, min_len=2, required=True)
    description = Text(2000, min_len=0, load_default=None, allow_none=True)


_limit = dict(allow_none=True, validate=validate.Range(0, 20), strict=True)


class TestLimitsIn(In):
    tests_per_day = fields.Integer(required=True, **_limit)
    tests_per_week = fields.Integer(required=True, **_limit)
    quizzes_per_day = fields.Integer(load_default=None, **_limit)
    quizzes_per_week = fields.Integer(load_default=None, **_limit)


class TestLimitsOut(Schema):
    tests_per_day = fields.Integer(allow_none=True, metadata={"description": "null: bez limitu."})
    tests_per_week = fields.Integer(allow_none=True)
    quizzes_per_day = fields.Integer(allow_none=True)
    quizzes_per_week = fields.Integer(allow_none=True)


class IcalFeedIn(In):
    class_id = Id(load_default=None, allow_none=True,
                  metadata={"description": "Terminarz tej klasy; bez: plan lekcji nauczyciela (własny)."})


class IcalFeedOut(Schema):
    url = fields.String(metadata={"description": "Adres do subskrypcji w aplikacji kalendarza (prywatny)."})
    kind = fields.String(metadata={"description": "class | teacher"})
    class_id = fields.String(allow_none=True)
    name = fields.String()


# ------------------------------------------------------------------ trip cards (ORG-11)

class TripIn(In):
    destination = Text(200, min_len=2, required=True)
    purpose = Text(2000, min_len=0, load_default=None, allow_none=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    participant_ids = fields.List(Id(), required=True, validate=validate.Length(max=300),
                                  metadata={"description": "Uczniowie (z list klas tej szkoły)."})
    supervisor_ids = fields.List(Id(), required=True, validate=validate.Length(max=30),
                                 metadata={"description": "Opiekunowie (nauczyciele)."})


class TripsQuery(Schema):
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(TRIP_STATUSES))


class ApprovalIn(In):
    note = Text(500, min_len=0, load_default=None, allow_none=True)


class RejectionIn(In):
    note = Text(500, min_len=3, required=True, metadata={"description": "Powód odrzucenia."})


class TripOut(Schema):
    id = fields.String()
    school_id = fields.String()
    organiser_id = fields.String()
    destination = fields.String()
    purpose = fields.String(allow_none=True)
    starts_on = DateStr()
    ends_on = DateStr()
    participant_ids = fields.List(fields.String())
    supervisor_ids = fields.List(fields.String())
    class_ids = fields.List(fields.String())
    status = fields.String(metadata={"description": "draft | submitted | approved | rejected"})
    submitted_at = DateTimeStr(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = DateTimeStr(allow_none=True)
    decision_note = fields.String(allow_none=True)


# ------------------------------------------------------------------ completeness (ORG-9)

class CompletenessQuery(Schema):
    class_id = Id(load_default=None, allow_none=True,
                  metadata={"description": "Jedna klasa (wychowawca: wymagane, własna klasa)."})


class MissingOut(Schema):
    student_id = fields.String()
    missing = fields.List(fields.String())


class CompletenessClassOut(Schema):
    class_id = fields.String()
    class_name = fields.String()
    students = fields.Integer()
    incomplete = fields.List(fields.Nested(MissingOut), allow_none=True)


class CompletenessOut(Schema):
    available = fields.Boolean()
    deadlines = fields.Dict(keys=fields.String(), values=fields.String())
    classes = fields.List(fields.Nested(CompletenessClassOut))
