"""Request and response bodies of the grades API (issue 5, GRD-1..8).

As in ``gateway/schemas.py``: request schemas check shape and obvious limits early (a 422 naming
the field); the grades service validates again and stays the authority on the scale, the
categories and the rules (a grade outside the school's scale is its 422, with the Polish message).
Response schemas are the published contract. Dates travel as ISO strings."""
from marshmallow import Schema, fields, validate

from ..schemas import SCHOOL_YEAR, ClassOut, DateStr, DateTimeStr, Id, In

FINAL_KINDS = ("predicted_midyear", "midyear", "predicted_annual", "annual")
KIND_HELP = ("predicted_midyear: przewidywana śródroczna, midyear: śródroczna, "
             "predicted_annual: przewidywana roczna, annual: roczna.")
REASON_REQUIRED = "Podaj przyczynę zmiany lub usunięcia oceny (co najmniej 3 znaki)."


def Weight(**kwargs):
    return fields.Float(validate=validate.Range(min=0, max=100), **kwargs)


def GradeValue(**kwargs):
    # The scale is the school's (GRD-1): the service checks it; here only the length.
    return fields.String(validate=validate.Length(min=1, max=40), **kwargs)


def Reason(**kwargs):
    return fields.String(validate=validate.Length(max=300), **kwargs)


def Description(**kwargs):
    return fields.String(validate=validate.Length(max=300), **kwargs)


# ------------------------------------------------------------------ settings and categories (GRD-1)

class GradeSymbol(In):
    symbol = fields.String(required=True, validate=validate.Length(min=1, max=5),
                           metadata={"description": "Np. np, bz, nb."})
    label = fields.String(load_default="", validate=validate.Length(max=80),
                          metadata={"description": "Znaczenie, np. nieprzygotowany."})


class GradeSettingsIn(In):
    plus_value = fields.Float(validate=validate.Range(min=0, max=0.99),
                              metadata={"description": "Wartość plusa w średniej (np. 0.5 lub 0.25)."})
    minus_value = fields.Float(validate=validate.Range(min=0, max=0.99),
                               metadata={"description": "Wartość minusa w średniej (np. 0.25)."})
    allow_six_plus = fields.Boolean(metadata={"description": "Czy istnieje ocena 6+."})
    allow_one_minus = fields.Boolean(metadata={"description": "Czy istnieje ocena 1-."})
    symbols = fields.List(fields.Nested(GradeSymbol), validate=validate.Length(max=20),
                          metadata={"description": "Symbole szkoły, które nie liczą się do średniej."})
    second_term_start = fields.String(validate=validate.Regexp(
        r"^\d{2}-\d{2}$", error="Początek drugiego okresu w formacie MM-DD, np. 02-01."))
    midyear_notice_deadline = fields.Date(allow_none=True, metadata={
        "description": "Termin zawiadomień o zagrożeniach przed klasyfikacją śródroczną."})
    annual_notice_deadline = fields.Date(allow_none=True, metadata={
        "description": "Termin zawiadomień o zagrożeniach przed klasyfikacją roczną."})


class GradeSettingsOut(Schema):
    school_id = fields.String()
    plus_value = fields.Float()
    minus_value = fields.Float()
    allow_six_plus = fields.Boolean()
    allow_one_minus = fields.Boolean()
    symbols = fields.List(fields.Nested(GradeSymbol))
    second_term_start = fields.String()
    midyear_notice_deadline = DateStr(allow_none=True)
    annual_notice_deadline = DateStr(allow_none=True)
    updated_by = fields.String(allow_none=True)
    updated_at = DateTimeStr(allow_none=True)
    stored = fields.Boolean(metadata={"description": "false: domyślne ustawienia (szkoła nie zmieniała skali)."})


class GradeCategoryQuery(Schema):
    include_inactive = fields.Boolean(load_default=False, metadata={"description": "Także kategorie wycofane."})


class GradeCategoryIn(In):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    weight = Weight(required=True)
    counts_in_average = fields.Boolean(load_default=True)


class GradeCategoryUpdateIn(In):
    name = fields.String(validate=validate.Length(min=1, max=80))
    weight = Weight()
    counts_in_average = fields.Boolean()
    active = fields.Boolean(metadata={"description": "false: kategoria wycofana (nowych ocen się w niej nie wpisuje)."})


class GradeCategoryOut(Schema):
    id = fields.String()
    school_id = fields.String()
    name = fields.String()
    weight = fields.Float()
    counts_in_average = fields.Boolean()
    active = fields.Boolean()


# ------------------------------------------------------------------ partial grades (GRD-1, GRD-6)

class GradeIn(In):
    student_id = Id(required=True)
    class_id = Id(required=True, metadata={"description": "Klasa, w której wystawiono ocenę."})
    subject_id = Id(required=True)
    category_id = Id(load_default=None, allow_none=True,
                     metadata={"description": "Wymagana, chyba że ocena należy do kolumny (column_id)."})
    column_id = Id(load_default=None, allow_none=True)
    value = GradeValue(required=True, metadata={"description": "Np. 5, 4+, 3-, albo symbol szkoły (np)."})
    date = fields.Date(load_default=None, allow_none=True,
                       metadata={"description": "Dzień, którego dotyczy ocena (domyślnie dziś; nie z przyszłości)."})
    description = Description(load_default=None, allow_none=True)
    weight = Weight(load_default=None, allow_none=True, metadata={"description": "Waga inna niż kategorii."})
    counts_in_average = fields.Boolean(load_default=None, allow_none=True,
                                       metadata={"description": "false: ocena nie liczy się do średniej."})


class GradeColumnEntryIn(In):
    student_id = Id(required=True)
    value = GradeValue(required=True)


class GradeColumnIn(In):
    category_id = Id(required=True)
    date = fields.Date(load_default=None, allow_none=True)
    description = Description(load_default=None, allow_none=True)
    weight = Weight(load_default=None, allow_none=True)
    counts_in_average = fields.Boolean(load_default=None, allow_none=True)
    grades = fields.List(fields.Nested(GradeColumnEntryIn), required=True, validate=validate.Length(min=1, max=60),
                         metadata={"description": "Oceny uczniów; błędne wpisy wracają w fields.grades.<indeks>."})


class GradeCorrectionIn(In):
    reason = Reason(required=True, error_messages={"required": REASON_REQUIRED},
                    metadata={"description": "Przyczyna poprawki (wymagana, GRD-6)."})
    value = GradeValue()
    category_id = Id()
    weight = Weight(allow_none=True)
    counts_in_average = fields.Boolean(allow_none=True)
    date = fields.Date()
    description = Description(allow_none=True)


class GradeDeletionIn(In):
    reason = Reason(required=True, error_messages={"required": REASON_REQUIRED},
                    metadata={"description": "Przyczyna usunięcia (wymagana, GRD-6)."})


class GradeOut(Schema):
    id = fields.String()
    school_id = fields.String()
    student_id = fields.String()
    class_id = fields.String()
    subject_id = fields.String()
    teacher_id = fields.String(allow_none=True)
    category_id = fields.String()
    category_name = fields.String(allow_none=True)
    column_id = fields.String(allow_none=True)
    value = fields.String()
    numeric = fields.Float(allow_none=True)
    weight = fields.Float(allow_none=True, metadata={"description": "Waga własna oceny (null: kategorii)."})
    effective_weight = fields.Float(allow_none=True)
    counts_in_average = fields.Boolean(allow_none=True)
    effective_counts = fields.Boolean(metadata={"description": "Czy ocena liczy się do średniej."})
    date = DateStr()
    school_year = fields.String()
    term = fields.Integer()
    description = fields.String(allow_none=True)
    version = fields.Integer()
    corrected = fields.Boolean(metadata={"description": "Ocena była poprawiana (historia: dyrekcja, administrator)."})
    created_by = fields.String(allow_none=True)
    created_at = DateTimeStr()
    updated_at = DateTimeStr(allow_none=True)
    deleted = fields.Boolean()


class GradeColumnOut(Schema):
    id = fields.String()
    class_id = fields.String()
    subject_id = fields.String()
    category_id = fields.String()
    category_name = fields.String(allow_none=True)
    weight = fields.Float(allow_none=True)
    date = DateStr()
    description = fields.String(allow_none=True)


class GradeColumnResultOut(Schema):
    column = fields.Nested(GradeColumnOut)
    grades = fields.List(fields.Nested(GradeOut))


class GradeVersionOut(Schema):
    version = fields.Integer()
    action = fields.String(metadata={"description": "created | corrected | deleted"})
    value = fields.String()
    numeric = fields.Float(allow_none=True)
    category_id = fields.String()
    weight = fields.Float(allow_none=True)
    counts_in_average = fields.Boolean(allow_none=True)
    date = DateStr()
    description = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    author_id = fields.String(allow_none=True)
    author_roles = fields.List(fields.String())
    at = DateTimeStr()


class GradeWithReasonOut(GradeOut):
    delete_reason = fields.String(allow_none=True)


class GradeHistoryOut(Schema):
    grade = fields.Nested(GradeWithReasonOut)
    versions = fields.List(fields.Nested(GradeVersionOut))


# ------------------------------------------------------------------ final and behaviour grades (GRD-2, GRD-3, GRD-5)

class FinalGradeIn(In):
    kind = fields.String(required=True, validate=validate.OneOf(FINAL_KINDS), metadata={"description": KIND_HELP})
    value = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={
        "description": "Ocena przedmiotu: 1–6, nkl, zw; zachowanie: wzorowe … naganne."})
    reason = Reason(load_default=None, allow_none=True,
                    metadata={"description": "Wymagana przy zmianie wystawionej oceny (GRD-6)."})
    class_id = Id(load_default=None, allow_none=True,
                  metadata={"description": "Klasa ucznia (sprawdzana, gdy podana)."})
    school_year = fields.String(load_default=None, allow_none=True, validate=SCHOOL_YEAR)


class FinalGradeColumnEntryIn(In):
    student_id = Id(required=True)
    value = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={
        "description": "Ocena przedmiotu: 1–6, nkl, zw; zachowanie: wzorowe … naganne."})
    reason = Reason(load_default=None, allow_none=True,
                    metadata={"description": "Wymagana przy zmianie wystawionej oceny (GRD-6)."})


class FinalGradeColumnIn(In):
    kind = fields.String(required=True, validate=validate.OneOf(FINAL_KINDS), metadata={"description": KIND_HELP})
    subject_id = Id(load_default=None, allow_none=True,
                    metadata={"description": "Przedmiot; brak (null): ocena zachowania."})
    school_year = fields.String(load_default=None, allow_none=True, validate=SCHOOL_YEAR)
    accept = fields.Boolean(load_default=False, metadata={
        "description": "Od razu zatwierdź wszystkie oceny kolumny (GRD-3): rodzice i uczniowie je zobaczą."})
    grades = fields.List(fields.Nested(FinalGradeColumnEntryIn), required=True,
                         validate=validate.Length(min=1, max=60),
                         metadata={"description": "Oceny uczniów; błędne wpisy wracają w fields.grades.<indeks>."})


class FinalGradeOut(Schema):
    id = fields.String()
    school_id = fields.String()
    student_id = fields.String()
    class_id = fields.String()
    subject_id = fields.String(allow_none=True)
    behaviour = fields.Boolean()
    kind = fields.String(metadata={"description": KIND_HELP})
    school_year = fields.String()
    value = fields.String()
    teacher_id = fields.String(allow_none=True)
    version = fields.Integer()
    corrected = fields.Boolean()
    accepted = fields.Boolean(metadata={"description": "Zatwierdzona: widzą ją rodzic i uczeń (GRD-3)."})
    accepted_at = DateTimeStr(allow_none=True)
    accepted_by = fields.String(allow_none=True)
    created_at = DateTimeStr()
    updated_at = DateTimeStr(allow_none=True)


class FinalGradesByKindOut(Schema):
    predicted_midyear = fields.Nested(FinalGradeOut, allow_none=True)
    midyear = fields.Nested(FinalGradeOut, allow_none=True)
    predicted_annual = fields.Nested(FinalGradeOut, allow_none=True)
    annual = fields.Nested(FinalGradeOut, allow_none=True)


class FinalGradeVersionOut(Schema):
    version = fields.Integer()
    action = fields.String(metadata={"description": "set | corrected | accepted | moved"})
    value = fields.String()
    class_id = fields.String()
    accepted = fields.Boolean()
    reason = fields.String(allow_none=True)
    author_id = fields.String(allow_none=True)
    at = DateTimeStr()


class FinalGradeHistoryOut(Schema):
    final = fields.Nested(FinalGradeOut)
    versions = fields.List(fields.Nested(FinalGradeVersionOut))


# ------------------------------------------------------------------ views (GRD-7, GRD-8)

class GradeYearQuery(Schema):
    school_year = fields.String(load_default=None, validate=SCHOOL_YEAR,
                                metadata={"description": "Np. 2025/2026 (domyślnie bieżący)."})


class GradeTermQuery(GradeYearQuery):
    term = fields.Integer(load_default=None, validate=validate.OneOf([1, 2]),
                          metadata={"description": "1 lub 2 (domyślnie cały rok)."})


class AtRiskNoticesQuery(GradeYearQuery):
    period = fields.String(load_default=None, validate=validate.OneOf(["midyear", "annual"]),
                           metadata={"description": "midyear: przed klasyfikacją śródroczną, annual: roczną."})


class SubjectGradesOut(Schema):
    subject_id = fields.String()
    grades = fields.List(fields.Nested(GradeOut))
    average_term1 = fields.Float(allow_none=True)
    average_term2 = fields.Float(allow_none=True)
    average_year = fields.Float(allow_none=True)
    average = fields.Float(allow_none=True, metadata={"description": "Średnia ważona okresu z zapytania albo roku."})
    finals = fields.Nested(FinalGradesByKindOut)


class StudentMoveOut(Schema):
    kind = fields.String(metadata={"description": "transferred | removed"})
    from_class_id = fields.String(allow_none=True)
    to_class_id = fields.String(allow_none=True)
    at = DateTimeStr()


class StudentGradesOut(Schema):
    student_id = fields.String()
    school_id = fields.String()
    school_year = fields.String()
    term = fields.Integer(allow_none=True)
    class_id = fields.String(allow_none=True)
    subjects = fields.List(fields.Nested(SubjectGradesOut))
    overall_average = fields.Float(allow_none=True)
    behaviour = fields.Nested(FinalGradesByKindOut)
    family_view = fields.Boolean(metadata={"description": "Widok rodzica/ucznia: tylko zatwierdzone oceny końcowe."})
    moves = fields.List(fields.Nested(StudentMoveOut))


class GradebookRowOut(Schema):
    student_id = fields.String()
    status = fields.String(metadata={"description": "active | removed | transferred"})
    grades = fields.List(fields.Nested(GradeOut))
    average_term1 = fields.Float(allow_none=True)
    average_term2 = fields.Float(allow_none=True)
    average_year = fields.Float(allow_none=True)
    finals = fields.Nested(FinalGradesByKindOut)


class GradebookOut(Schema):
    class_ = fields.Nested(ClassOut, data_key="class", attribute="class")
    subject_id = fields.String()
    school_year = fields.String()
    editable = fields.Boolean(metadata={"description": "Czy wywołujący może wpisywać i poprawiać oceny."})
    categories = fields.List(fields.Nested(GradeCategoryOut))
    columns = fields.List(fields.Nested(GradeColumnOut))
    students = fields.List(fields.Nested(GradebookRowOut))


class ClassFinalGradesRowOut(Schema):
    student_id = fields.String()
    status = fields.String()
    finals = fields.List(fields.Nested(FinalGradeOut))


class FinalGradeColumnOut(Schema):
    class_id = fields.String()
    subject_id = fields.String(allow_none=True)
    kind = fields.String(metadata={"description": KIND_HELP})
    school_year = fields.String()
    grades = fields.List(fields.Nested(FinalGradeOut))


class ClassFinalGradesOut(Schema):
    class_ = fields.Nested(ClassOut, data_key="class", attribute="class")
    school_year = fields.String()
    students = fields.List(fields.Nested(ClassFinalGradesRowOut))


class AtRiskFlagOut(Schema):
    id = fields.String()
    final_id = fields.String()
    student_id = fields.String()
    class_id = fields.String()
    subject_id = fields.String(allow_none=True)
    behaviour = fields.Boolean()
    kind = fields.String()
    school_year = fields.String()
    reason = fields.String(metadata={"description": "niedostateczna | naganna | nieklasyfikowanie"})
    value = fields.String(allow_none=True)
    accepted = fields.Boolean()
    raised_at = DateTimeStr()
    raised_by = fields.String(allow_none=True)
    notice_printed_at = DateTimeStr(allow_none=True)


class NoticeDeadlineOut(Schema):
    deadline = DateStr(allow_none=True)
    days_left = fields.Integer(allow_none=True)
    overdue = fields.Boolean()


class NoticeDeadlinesOut(Schema):
    midyear = fields.Nested(NoticeDeadlineOut)
    annual = fields.Nested(NoticeDeadlineOut)


class AtRiskStudentOut(Schema):
    student_id = fields.String()
    flags = fields.List(fields.Nested(AtRiskFlagOut))


class AtRiskOut(Schema):
    class_ = fields.Nested(ClassOut, data_key="class", attribute="class")
    school_year = fields.String()
    count = fields.Integer()
    deadlines = fields.Nested(NoticeDeadlinesOut)
    students = fields.List(fields.Nested(AtRiskStudentOut))


# ------------------------------------------------------------------ statistics (GRD-8)

Distribution = lambda **kw: fields.Dict(keys=fields.String(), values=fields.Integer(), **kw)  # noqa: E731


class GradeStatsOut(Schema):
    count = fields.Integer()
    symbols = fields.Integer(metadata={"description": "Wpisy symboli (np, bz …), poza średnią."})
    distribution = Distribution(metadata={"description": "Liczba ocen 1–6 (4+ liczy się jako 4)."})
    failing = fields.Integer(metadata={"description": "Oceny niedostateczne."})
    mean = fields.Float(allow_none=True)
    weighted_average = fields.Float(allow_none=True)


class FinalGradeStatsOut(Schema):
    count = fields.Integer()
    distribution = Distribution()
    failing = fields.Integer()
    unclassified = fields.Integer()
    exempt = fields.Integer()
    mean = fields.Float(allow_none=True)


class FinalGradeStatsByKindOut(Schema):
    predicted_midyear = fields.Nested(FinalGradeStatsOut)
    midyear = fields.Nested(FinalGradeStatsOut)
    predicted_annual = fields.Nested(FinalGradeStatsOut)
    annual = fields.Nested(FinalGradeStatsOut)


class BehaviourGradeStatsOut(Schema):
    count = fields.Integer()
    distribution = Distribution()


class BehaviourGradeStatsByKindOut(Schema):
    predicted_midyear = fields.Nested(BehaviourGradeStatsOut)
    midyear = fields.Nested(BehaviourGradeStatsOut)
    predicted_annual = fields.Nested(BehaviourGradeStatsOut)
    annual = fields.Nested(BehaviourGradeStatsOut)


class SubjectGradeStatsOut(GradeStatsOut):
    subject_id = fields.String()
    students_average = fields.Float(allow_none=True, metadata={"description": "Średnia średnich ważonych uczniów."})
    at_risk = fields.Integer()
    finals = fields.Nested(FinalGradeStatsByKindOut)


class TeacherGradeStatsOut(GradeStatsOut):
    teacher_id = fields.String(allow_none=True)


class StudentAverageOut(Schema):
    student_id = fields.String()
    average = fields.Float(allow_none=True)


class AtRiskCountOut(Schema):
    flags = fields.Integer()
    students = fields.Integer()
    by_reason = fields.Dict(keys=fields.String(), values=fields.Integer())


class ClassGradeStatisticsOut(Schema):
    class_ = fields.Nested(ClassOut, data_key="class", attribute="class")
    school_year = fields.String()
    students = fields.Integer()
    removed_students = fields.Integer(metadata={"description": "Skreśleni, nadal liczeni w statystykach (ORG-7)."})
    overall = fields.Nested(GradeStatsOut)
    class_average = fields.Float(allow_none=True)
    student_averages = fields.List(fields.Nested(StudentAverageOut))
    subjects = fields.List(fields.Nested(SubjectGradeStatsOut))
    teachers = fields.List(fields.Nested(TeacherGradeStatsOut))
    behaviour = fields.Nested(BehaviourGradeStatsByKindOut)
    at_risk = fields.Nested(AtRiskCountOut)


class MidyearAnnualGradeStatsOut(Schema):
    midyear = fields.Nested(FinalGradeStatsOut)
    annual = fields.Nested(FinalGradeStatsOut)


class ClassGradeStatsRowOut(GradeStatsOut):
    class_id = fields.String()
    at_risk = fields.Integer()
    finals = fields.Nested(MidyearAnnualGradeStatsOut)


class SubjectGradeStatsRowOut(GradeStatsOut):
    subject_id = fields.String()


class SchoolGradeStatisticsOut(Schema):
    school_id = fields.String()
    school_year = fields.String()
    overall = fields.Nested(GradeStatsOut)
    classes = fields.List(fields.Nested(ClassGradeStatsRowOut))
    subjects = fields.List(fields.Nested(SubjectGradeStatsRowOut))
    teachers = fields.List(fields.Nested(TeacherGradeStatsOut))
    finals = fields.Nested(FinalGradeStatsByKindOut)
    at_risk = fields.Nested(AtRiskCountOut)
