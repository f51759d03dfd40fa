"""Request and response bodies of the attendance routes (frekwencja, ATT-1..6).

As in ``gateway/schemas.py``: request schemas check shape and obvious limits early (a 422 naming
the field, before any RPC); the attendance service validates again and stays the authority (the
school's categories, the class list on the lesson's date, justification in advance...). Response
schemas are the published contract. Dates travel as ISO strings."""
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from webargs.fields import DelimitedList

from ..schemas import DateStr, DateTimeStr, Id, In

KINDS = ("present", "absent", "excused", "late", "released", "school_reasons")
COUNTS = ("present", "absent", "none")
FORMULAS = ("vulcan", "all_recorded")
E_STATUSES = ("submitted", "accepted", "rejected")
SINGLE_HOUR_REASONS = ("reported_beforehand", "beyond_control")
CATEGORY_CODE = validate.Length(min=1, max=40)

_single_hours = {"description": "Przyczyna usprawiedliwienia pojedynczych godzin w ciągu dnia (VI.12): "
                                "reported_beforehand (zgłoszone wcześniej) albo beyond_control "
                                "(z przyczyn niezależnych od ucznia)."}


# ------------------------------------------------------------------ categories and the formula (ATT-1, ATT-5)

class AttCategoryIn(In):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$"),
                         metadata={"description": "Kod kategorii (małe litery, cyfry, _); "
                                                  "istniejący kod zmienia kategorię."})
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    symbol = fields.String(required=True, validate=validate.Length(min=1, max=10),
                           metadata={"description": "Symbol w dzienniku, np. ob, nb, sp."})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS),
                         metadata={"description": "Stałe znaczenie kategorii dla reguł (nie zmienia się)."})
    counts_as = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(COUNTS),
                              metadata={"description": "Jak liczy się w procencie frekwencji: present, absent, none."})
    position = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=99))
    active = fields.Boolean(load_default=True)


class AttCategoryOut(Schema):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    symbol = fields.String()
    kind = fields.String()
    counts_as = fields.String()
    position = fields.Integer()
    active = fields.Boolean()


class AttFormulaIn(In):
    preset = fields.String(required=True, validate=validate.OneOf(FORMULAS),
                           metadata={"description": "vulcan (domyślny: zwolnienia nie liczą się) albo "
                                                    "all_recorded (zwolnienia liczą się jako obecność)."})


class AttFormulaOut(Schema):
    preset = fields.String(metadata={"description": "vulcan | all_recorded | custom"})
    text = fields.String(metadata={"description": "Wzór po polsku."})
    present = fields.List(fields.String(), metadata={"description": "Kody liczone jako obecność."})
    absent = fields.List(fields.String(), metadata={"description": "Kody liczone jako nieobecność."})
    none = fields.List(fields.String(), metadata={"description": "Kody pomijane w wyliczeniu."})


class AttCategoriesOut(Schema):
    categories = fields.List(fields.Nested(AttCategoryOut))
    formula = fields.Nested(AttFormulaOut)


# ------------------------------------------------------------------ a lesson's attendance (ATT-1, OPS-2)

class AttEntryLineIn(In):
    student_id = Id(required=True)
    category = fields.String(required=True, validate=CATEGORY_CODE,
                             metadata={"description": "Kod kategorii szkoły, np. absent, late."})


class AttLessonAttendanceIn(In):
    entries = fields.List(fields.Nested(AttEntryLineIn), load_default=list, validate=validate.Length(max=200),
                          metadata={"description": "Wyjątki: uczniowie z kategorią inną niż domyślna."})
    default = fields.String(load_default="present", allow_none=True, validate=CATEGORY_CODE,
                            metadata={"description": "Kategoria pozostałych uczniów z listy klasy w dniu lekcji "
                                                     "(null: zapisz tylko wymienionych, np. lekcja w grupie)."})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=3, max=300),
                           metadata={"description": "Powód zmiany, gdy ponowny zapis zmienia wpisy."})


class AttEntryOut(Schema):
    id = fields.String()
    lesson_id = fields.String()
    student_id = fields.String()
    class_id = fields.String()
    subject_id = fields.String()
    lesson_teacher_id = fields.String()
    recorded_by = fields.String(allow_none=True)
    lesson_date = DateStr()
    period = fields.Integer()
    entered_at = DateTimeStr(metadata={"description": "Kiedy wpisano (OPS-2)."})
    backfilled = fields.Boolean(metadata={"description": "Wpisano po dniu lekcji (OPS-2)."})
    category = fields.String(allow_none=True)
    symbol = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    version = fields.Integer()
    updated_by = fields.String(allow_none=True)
    updated_at = DateTimeStr(allow_none=True)
    justification_id = fields.String(allow_none=True)
    removed_at = DateTimeStr(allow_none=True)
    removed_by = fields.String(allow_none=True)
    removed_reason = fields.String(allow_none=True)


class AttLessonRefOut(Schema):
    id = fields.String()
    class_id = fields.String()
    subject_id = fields.String()
    teacher_id = fields.String()
    substitute_teacher_id = fields.String(allow_none=True)
    date = DateStr()
    period = fields.Integer()
    status = fields.String()
    group_name = fields.String(allow_none=True)


class AttRecordableCategoryOut(Schema):
    code = fields.String()
    symbol = fields.String()
    name = fields.String()
    kind = fields.String()


class AttDoubleWarningOut(Schema):
    student_id = fields.String()
    entry_id = fields.String()
    lesson_id = fields.String()


class AttLessonAttendanceOut(Schema):
    lesson = fields.Nested(AttLessonRefOut)
    students = fields.List(fields.String(), allow_none=True,
                           metadata={"description": "Uczniowie z listy klasy w dniu lekcji."})
    recorded = fields.Boolean(metadata={"description": "Frekwencja tej lekcji została wpisana."})
    entries = fields.List(fields.Nested(AttEntryOut))
    categories = fields.List(fields.Nested(AttRecordableCategoryOut),
                             metadata={"description": "Kategorie wpisywane na lekcji."})
    created = fields.Integer(metadata={"description": "Zapis: nowe wpisy."})
    changed = fields.Integer(metadata={"description": "Zapis: zmienione wpisy (każda zmiana to wersja)."})
    unchanged = fields.Integer()
    skipped = fields.Integer()
    warnings = fields.List(fields.Nested(AttDoubleWarningOut),
                           metadata={"description": "Ci sami uczniowie wpisani o tej godzinie na innej lekcji."})


class AttLessonStatusQuery(Schema):
    ids = DelimitedList(Id(), required=True, validate=validate.Length(min=1, max=500),
                        metadata={"description": "Identyfikatory lekcji, rozdzielone przecinkami."})
    school_id = Id(load_default=None, metadata={"description": "Szkoła (tylko administrator stowarzyszenia)."})


class AttLessonStatusOut(Schema):
    lesson_id = fields.String()
    entries = fields.Integer(metadata={"description": "Liczba aktywnych wpisów (0: frekwencji nie wpisano)."})
    recorded = fields.Boolean()


# ------------------------------------------------------------------ entries: corrections, history, doubles (ATT-4)

class AttCorrectionIn(In):
    category = fields.String(required=True, validate=CATEGORY_CODE)
    reason = fields.String(required=True, validate=validate.Length(min=3, max=300),
                           metadata={"description": "Powód poprawki (zachowany w historii wpisu)."})


class AttRemovalIn(In):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=300),
                           metadata={"description": "Powód usunięcia podwójnego wpisu."})


class AttVersionOut(Schema):
    version = fields.Integer()
    action = fields.String(metadata={"description": "recorded | corrected | justified | removed"})
    previous_category = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    previous_category_id = fields.String(allow_none=True)
    category_id = fields.String()
    reason = fields.String(allow_none=True)
    changed_by = fields.String(allow_none=True)
    changed_at = DateTimeStr()


class AttEntryHistoryOut(Schema):
    entry = fields.Nested(AttEntryOut)
    versions = fields.List(fields.Nested(AttVersionOut))


# ------------------------------------------------------------------ justification (ATT-2) and e-justifications (ATT-3)

class AttJustifyIn(In):
    student_id = Id(required=True)
    dates = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=31),
                        metadata={"description": "Całe dni (albo lesson_ids)."})
    lesson_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=100),
                             metadata={"description": "Pojedyncze lekcje (albo dates)."})
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))
    single_hours_reason = fields.String(load_default=None, allow_none=True,
                                        validate=validate.OneOf(SINGLE_HOUR_REASONS), metadata=_single_hours)

    @validates_schema
    def _dates_or_lessons(self, data, **kwargs):
        if bool(data.get("dates")) == bool(data.get("lesson_ids")):
            raise ValidationError("Podaj dni albo lekcje (jedno z dwojga).", "dates")

    @post_load
    def _dates_iso(self, data, **kwargs):
        data["dates"] = [d.isoformat() if hasattr(d, "isoformat") else d for d in data.get("dates") or []]
        return data


class AttJustificationOut(Schema):
    id = fields.String()
    student_id = fields.String()
    class_id = fields.String(allow_none=True)
    dates = fields.List(fields.String())
    lesson_ids = fields.List(fields.String())
    reason = fields.String()
    single_hours_reason = fields.String(allow_none=True)
    e_justification_id = fields.String(allow_none=True)
    entry_count = fields.Integer(metadata={"description": "Usprawiedliwione wpisy."})
    justified_by = fields.String(allow_none=True)
    justified_at = DateTimeStr()


class AttEJustificationIn(In):
    student_id = Id(required=True, metadata={"description": "Dziecko rodzica."})
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)
    lesson_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=100),
                             metadata={"description": "Pojedyncze lekcje (albo okres date_from–date_to)."})
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))

    @validates_schema
    def _range_or_lessons(self, data, **kwargs):
        has_range = data.get("date_from") is not None
        if has_range == bool(data.get("lesson_ids")):
            raise ValidationError("Podaj okres (od, do) albo lekcje (jedno z dwojga).", "date_from")
        if data.get("date_to") is not None and not has_range:
            raise ValidationError("Podaj datę początkową.", "date_from")
        if has_range and data.get("date_to") is not None and data["date_to"] < data["date_from"]:
            raise ValidationError("Data końcowa nie może poprzedzać początkowej.", "date_to")


class AttDecisionIn(In):
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "reject")),
                             metadata={"description": "accept (przyjmij: usprawiedliwia objęte nieobecności) "
                                                      "albo reject (odrzuć, z uzasadnieniem)."})
    comment = fields.String(load_default="", allow_none=True, validate=validate.Length(max=500),
                            metadata={"description": "Komentarz wychowawcy dla rodzica (przy odrzuceniu wymagany)."})
    single_hours_reason = fields.String(load_default=None, allow_none=True,
                                        validate=validate.OneOf(SINGLE_HOUR_REASONS), metadata=_single_hours)

    @validates_schema
    def _reason_for_rejection(self, data, **kwargs):
        if data.get("decision") == "reject" and len((data.get("comment") or "").strip()) < 3:
            raise ValidationError("Podaj uzasadnienie odrzucenia.", "comment")


class AttEJustificationOut(Schema):
    id = fields.String()
    student_id = fields.String()
    class_id = fields.String(allow_none=True)
    parent_id = fields.String()
    date_from = DateStr()
    date_to = DateStr()
    lesson_ids = fields.List(fields.String())
    reason = fields.String()
    status = fields.String(metadata={"description": "submitted | accepted | rejected"})
    submitted_at = DateTimeStr()
    teacher_comment = fields.String(allow_none=True)
    decided_at = DateTimeStr(allow_none=True)
    decided_by = fields.String(allow_none=True)
    justification_id = fields.String(allow_none=True)
    justified_entries = fields.Integer(metadata={"description": "Decyzja: usprawiedliwione wpisy."})


class AttEJustificationQuery(Schema):
    class_id = Id(load_default=None, metadata={"description": "Skrzynka wychowawcy klasy."})
    student_id = Id(load_default=None, metadata={"description": "E-usprawiedliwienia ucznia (rodzic, uczeń)."})
    status = fields.String(load_default=None, validate=validate.OneOf(E_STATUSES))

    @validates_schema
    def _one(self, data, **kwargs):
        if bool(data.get("class_id")) == bool(data.get("student_id")):
            raise ValidationError("Podaj klasę albo ucznia (jedno z dwojga).", "class_id")


# ------------------------------------------------------------------ weekly review (ATT-4)

class AttWeekQuery(In):
    start = fields.Date(load_default=None, allow_none=True,
                        metadata={"description": "Dowolny dzień tygodnia; domyślnie poprzedni tydzień."})


class AttDoubleOut(Schema):
    student_id = fields.String()
    date = DateStr()
    period = fields.Integer()
    entry_ids = fields.List(fields.String())
    keep = fields.String(metadata={"description": "Wpis wprowadzony najwcześniej (propozycja pozostawienia)."})


class AttWeekOut(Schema):
    class_id = fields.String()
    week_start = DateStr()
    week_end = DateStr()
    entries = fields.List(fields.Nested(AttEntryOut))
    doubles = fields.List(fields.Nested(AttDoubleOut))
    unexcused = fields.Dict(keys=fields.String(), values=fields.Integer(),
                            metadata={"description": "Nieusprawiedliwione nieobecności tygodnia na ucznia."})
    pending_e_justifications = fields.Integer()
    can_manage = fields.Boolean(metadata={"description": "Wywołujący może usuwać podwójne wpisy i usprawiedliwiać."})


# ------------------------------------------------------------------ percentages and statistics (ATT-5)

class AttRangeQuery(In):
    date_from = fields.Date(load_default=None, allow_none=True)
    date_to = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError("Data końcowa nie może poprzedzać początkowej.", "date_to")


class AttPercentagesQuery(AttRangeQuery):
    scope = fields.String(required=True, validate=validate.OneOf(("student", "class", "subject")))
    id = Id(required=True, metadata={"description": "Identyfikator ucznia, klasy albo przedmiotu."})
    class_id = Id(load_default=None, metadata={"description": "Zawęża zakres subject do jednej klasy."})


class AttThresholdQuery(AttRangeQuery):
    scope = fields.String(load_default="class", validate=validate.OneOf(("class", "school")))
    id = Id(required=True, metadata={"description": "Identyfikator klasy albo szkoły."})
    threshold = fields.Float(load_default=50.0, validate=validate.Range(min=0, max=100),
                             metadata={"description": "Próg w procentach (domyślnie 50)."})


class AttMonthQuery(Schema):
    month = fields.String(load_default=None, validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$",
                                                                     error="Niepoprawny miesiąc (RRRR-MM)."),
                          metadata={"description": "RRRR-MM; domyślnie bieżący miesiąc."})


def _tally_fields():
    return {
        "present": fields.Integer(metadata={"description": "Liczone jako obecność."}),
        "absent": fields.Integer(metadata={"description": "Liczone jako nieobecność."}),
        "not_counted": fields.Integer(metadata={"description": "Niewliczane (np. zwolnienia)."}),
        "recorded": fields.Integer(metadata={"description": "Wszystkie wpisy."}),
        "percent": fields.Float(allow_none=True,
                                metadata={"description": "obecności / (obecności + nieobecności) × 100."}),
        "by_category": fields.Dict(keys=fields.String(), values=fields.Integer()),
        "by_kind": fields.Dict(keys=fields.String(), values=fields.Integer()),
    }


AttTallyOut = Schema.from_dict(_tally_fields(), name="AttTallyOut")
AttPercentagePartOut = Schema.from_dict({**_tally_fields(), "student_id": fields.String(),
                                      "subject_id": fields.String()}, name="AttPercentagePartOut")


class AttPercentagesOut(AttTallyOut):
    scope = fields.String()
    id = fields.String()
    date_from = DateStr(allow_none=True)
    date_to = DateStr(allow_none=True)
    formula = fields.Nested(AttFormulaOut, allow_none=True)
    breakdown_by = fields.String(metadata={"description": "subject_id (uczeń) albo student_id (klasa, przedmiot)."})
    breakdown = fields.List(fields.Nested(AttPercentagePartOut))


class AttBelowThresholdRowOut(AttTallyOut):
    student_id = fields.String()
    class_ids = fields.List(fields.String())


class AttBelowThresholdOut(Schema):
    scope = fields.String()
    id = fields.String()
    threshold = fields.Float()
    students = fields.List(fields.Nested(AttBelowThresholdRowOut))


class AttStatisticsStudentOut(AttTallyOut):
    student_id = fields.String()
    list_status = fields.String(metadata={"description": "active | transferred | removed | left"})


class AttStatisticsSubjectOut(AttTallyOut):
    subject_id = fields.String()


class AttStatisticsOut(Schema):
    class_id = fields.String()
    class_name = fields.String(allow_none=True)
    date_from = DateStr(allow_none=True)
    date_to = DateStr(allow_none=True)
    total = fields.Nested(AttTallyOut)
    students = fields.List(fields.Nested(AttStatisticsStudentOut))
    subjects = fields.List(fields.Nested(AttStatisticsSubjectOut))
    formula = fields.Nested(AttFormulaOut)


# ------------------------------------------------------------------ a student's attendance (ATT-6, LAW-3)

class AttCalendarEntryOut(Schema):
    entry_id = fields.String()
    lesson_id = fields.String()
    period = fields.Integer()
    subject_id = fields.String()
    category = fields.String()
    symbol = fields.String()
    kind = fields.String()
    justified = fields.Boolean()


class AttCalendarDayOut(Schema):
    date = DateStr()
    weekday = fields.Integer(metadata={"description": "1 = poniedziałek ... 7 = niedziela"})
    status = fields.String(metadata={"description": "absent | excused | late | school_reasons | released | "
                                                    "present | none"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    lessons = fields.Integer()
    entries = fields.List(fields.Nested(AttCalendarEntryOut))


class AttMonthTotalOut(Schema):
    present = fields.Integer()
    absent = fields.Integer()
    not_counted = fields.Integer()
    recorded = fields.Integer()
    percent = fields.Float(allow_none=True)


class AttCalendarOut(Schema):
    student_id = fields.String()
    month = fields.String()
    days = fields.List(fields.Nested(AttCalendarDayOut))
    month_total = fields.Nested(AttMonthTotalOut)
    e_justifications = fields.List(fields.Nested(AttEJustificationOut))
