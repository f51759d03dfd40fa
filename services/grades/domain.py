"""grades' rules, free of any framework (chapters VI and VII of the procedure, GRD-1..8).

What lives here, so that unit tests exercise it in milliseconds (tests/unit/test_grades_domain.py):
- the Polish scale: parsing a partial grade ("4+", "3-", "6", a school symbol such as "np") and
  its numeric value with the school's values of + and - (GRD-1);
- final grades (predicted, mid-year, annual) and behaviour grades, their allowed values (GRD-2, GRD-5);
- the weighted average, and statistics: distribution, averages, counts (GRD-8);
- who sees and who manages which grades: GRD-7 and the permission matrix (chapter II);
- at-risk detection: a predicted niedostateczny, a predicted naganne behaviour, non-classification (GRD-4);
- corrections: never without a reason (GRD-6, VII.11);
- the school year and term a date belongs to;
- grades entered late: after the Sunday 20:00 that closes their week (ORG-4, VII.9), for the
  director's supervision report.

Messages meant for users are in Polish."""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from services.common.schoolyear import school_year_of  # noqa: F401  (domain.school_year_of)

# ----------------------------------------------------------------------------------- roles

SCHOOL_ADMIN, DEPUTY_ADMIN = "school_admin", "deputy_admin"
DIRECTOR, VICE_DIRECTOR = "director", "vice_director"
TEACHER, CLASS_TEACHER = "teacher", "class_teacher"
PARENT, STUDENT, INSPECTOR, SECRETARY = "parent", "student", "inspector", "secretary"
ASSOCIATION_ADMIN, SYSTEM = "association_admin", "system"

ADMINS = (SCHOOL_ADMIN, DEPUTY_ADMIN)
DIRECTORS = (DIRECTOR, VICE_DIRECTOR)
# The matrix: administrator and director "manage all" grades.
MANAGERS = ADMINS + DIRECTORS
# Read-only everywhere: the temporary control account (XII.7) besides the managers.
READ_ALL = MANAGERS + (INSPECTOR,)
TEACHERS = (TEACHER, CLASS_TEACHER)
FAMILY = (PARENT, STUDENT)
STAFF = READ_ALL + TEACHERS
SCHOOL_MEMBERS = STAFF + FAMILY + (SECRETARY,)


class GradeError(ValueError):
    """A rule of the procedure refused the input; ``str(exc)`` is the Polish message."""


# ----------------------------------------------------------------------------------- the scale

GRADE_NAMES_PL = {1: "niedostateczny", 2: "dopuszczający", 3: "dostateczny", 4: "dobry",
                  5: "bardzo dobry", 6: "celujący"}
FAILING = 1

# The school's non-counting symbols when it has not chosen its own (GRD-1).
DEFAULT_SYMBOLS = (
    {"symbol": "np", "label": "nieprzygotowany"},
    {"symbol": "bz", "label": "brak zadania"},
    {"symbol": "nb", "label": "nieobecny"},
    {"symbol": "+", "label": "plus (aktywność)"},
    {"symbol": "-", "label": "minus (aktywność)"},
)
# Categories a school may install with one call; weights as in Librus Synergia's defaults.
DEFAULT_CATEGORIES = (
    {"name": "sprawdzian", "weight": 3, "counts_in_average": True},
    {"name": "kartkówka", "weight": 2, "counts_in_average": True},
    {"name": "odpowiedź ustna", "weight": 2, "counts_in_average": True},
    {"name": "praca domowa", "weight": 1, "counts_in_average": True},
    {"name": "aktywność", "weight": 1, "counts_in_average": True},
)
# Librus: + is worth +0.5 and - is worth -0.25 (the school may change both, GRD-1).
DEFAULT_PLUS = Decimal("0.5")
DEFAULT_MINUS = Decimal("0.25")
DEFAULT_SECOND_TERM_START = "02-01"

_GRADE_RE = re.compile(r"^([1-6])([+-]?)$")
_SYMBOL_RE = re.compile(r"^[^\s]{1,5}$")
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-"})


def to_decimal(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class Scale:
    """A school's grade scale settings (GRD-1)."""
    plus_value: Decimal = DEFAULT_PLUS
    minus_value: Decimal = DEFAULT_MINUS
    allow_six_plus: bool = False
    allow_one_minus: bool = False
    symbols: tuple = tuple(s["symbol"] for s in DEFAULT_SYMBOLS)

    @classmethod
    def of(cls, plus_value=DEFAULT_PLUS, minus_value=DEFAULT_MINUS, allow_six_plus=False,
           allow_one_minus=False, symbols=None):
        syms = tuple((s["symbol"] if isinstance(s, dict) else s) for s in
                     (symbols if symbols is not None else DEFAULT_SYMBOLS))
        return cls(to_decimal(plus_value), to_decimal(minus_value), bool(allow_six_plus), bool(allow_one_minus), syms)


@dataclass(frozen=True)
class ParsedGrade:
    value: str                  # as it is stored and shown: "4+", "3", "np"
    base: int | None            # 1..6, None for a symbol
    modifier: str               # "+", "-" or ""
    numeric: Decimal | None     # None for a symbol: it never counts in an average

    @property
    def is_symbol(self):
        return self.base is None


def normalise_text(text):
    if not isinstance(text, str):
        raise GradeError("Ocena musi być tekstem, np. 4+, 3-, 6 lub symbolem szkoły.")
    return text.strip().translate(_MINUS_SIGNS).replace(" ", "")


def parse_grade(text, scale):
    """A partial grade on the Polish scale 1-6 with + or -, or one of the school's symbols (GRD-1).

    6+ and 1- exist only if the school allows them. A symbol matches case-insensitively and is
    stored in the school's spelling. Raises GradeError naming the problem."""
    raw = normalise_text(text)
    if not raw:
        raise GradeError("Podaj ocenę.")
    m = _GRADE_RE.match(raw)
    if m:
        base, modifier = int(m.group(1)), m.group(2)
        if base == 6 and modifier == "+" and not scale.allow_six_plus:
            raise GradeError("Ocena 6+ nie jest dopuszczona w skali ocen szkoły.")
        if base == 1 and modifier == "-" and not scale.allow_one_minus:
            raise GradeError("Ocena 1- nie jest dopuszczona w skali ocen szkoły.")
        return ParsedGrade(f"{base}{modifier}", base, modifier, numeric_value(base, modifier, scale))
    for symbol in scale.symbols:
        if raw.lower() == symbol.lower():
            return ParsedGrade(symbol, None, "", None)
    allowed = ", ".join(scale.symbols)
    raise GradeError(f"„{raw}” nie jest oceną w skali szkoły: 1–6 z plusem lub minusem"
                     + (f" albo symbol ({allowed})." if allowed else "."))


def numeric_value(base, modifier, scale):
    """The numeric value of a grade for averages: 4+ is 4 + the school's value of +, 4- is 4 - its value of -."""
    value = Decimal(base)
    if modifier == "+":
        value += scale.plus_value
    elif modifier == "-":
        value -= scale.minus_value
    return value


def base_of(value):
    """The whole grade of a stored value ("4+" -> 4), None for a symbol."""
    m = _GRADE_RE.match(value or "")
    return int(m.group(1)) if m else None


def scale_problems(plus_value, minus_value, symbols):
    """Problems with a school's scale settings, per field (GRD-1)."""
    problems = {}
    for name, v in (("plus_value", plus_value), ("minus_value", minus_value)):
        if v is not None and not (Decimal(0) <= to_decimal(v) < Decimal(1)):
            problems[name] = ["Wartość od 0 do 0,99."]
    if symbols is not None:
        seen, bad = set(), []
        for s in symbols:
            sym = s["symbol"] if isinstance(s, dict) else s
            if not isinstance(sym, str) or not _SYMBOL_RE.match(sym):
                bad.append(f"Niepoprawny symbol „{sym}” (1–5 znaków bez spacji).")
            elif _GRADE_RE.match(sym):
                bad.append(f"Symbol „{sym}” wygląda jak ocena.")
            elif sym.lower() in seen:
                bad.append(f"Symbol „{sym}” powtarza się.")
            else:
                seen.add(sym.lower())
        if bad:
            problems["symbols"] = bad
    return problems


# ----------------------------------------------------------------------------------- averages

TWO_PLACES = Decimal("0.01")


def round2(value):
    return None if value is None else to_decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Counted:
    """One grade as the average sees it."""
    numeric: Decimal | None
    weight: Decimal
    counts: bool = True


def counts_in_average(item):
    return item.counts and item.numeric is not None and item.weight > 0


def weighted_average(items):
    """GRD-8: sum(value × weight) / sum(weight) over the grades that count (not a symbol, not
    marked "does not count", weight above 0); rounded half up to 2 places; None when none count."""
    num, den = Decimal(0), Decimal(0)
    for item in items:
        if counts_in_average(item):
            w = to_decimal(item.weight)
            num += to_decimal(item.numeric) * w
            den += w
    if den == 0:
        return None
    return round2(num / den)


def arithmetic_mean(values):
    values = [to_decimal(v) for v in values if v is not None]
    return round2(sum(values) / len(values)) if values else None


# ----------------------------------------------------------------------------------- final grades

PREDICTED_MIDYEAR, MIDYEAR = "predicted_midyear", "midyear"
PREDICTED_ANNUAL, ANNUAL = "predicted_annual", "annual"
FINAL_KINDS = (PREDICTED_MIDYEAR, MIDYEAR, PREDICTED_ANNUAL, ANNUAL)
PREDICTED_KINDS = (PREDICTED_MIDYEAR, PREDICTED_ANNUAL)
KIND_LABELS_PL = {PREDICTED_MIDYEAR: "przewidywana śródroczna", MIDYEAR: "śródroczna",
                  PREDICTED_ANNUAL: "przewidywana roczna", ANNUAL: "roczna"}
PERIOD_OF_KIND = {PREDICTED_MIDYEAR: "midyear", MIDYEAR: "midyear",
                  PREDICTED_ANNUAL: "annual", ANNUAL: "annual"}
PERIOD_LABELS_PL = {"midyear": "okresu (klasyfikacja śródroczna)", "annual": "roku szkolnego (klasyfikacja roczna)"}

NON_CLASSIFIED = "nkl"   # nieklasyfikowany
EXEMPT = "zw"            # zwolniony (e.g. from physical education)
FINAL_SPECIAL_PL = {NON_CLASSIFIED: "nieklasyfikowany", EXEMPT: "zwolniony"}

BEHAVIOUR = "behaviour"
BEHAVIOUR_GRADES = ("wzorowe", "bardzo dobre", "dobre", "poprawne", "nieodpowiednie", "naganne")
REPREHENSIBLE = "naganne"
_BEHAVIOUR_ALIASES = {"wz": "wzorowe", "bdb": "bardzo dobre", "db": "dobre", "popr": "poprawne",
                      "pop": "poprawne", "ndp": "nieodpowiednie", "nodp": "nieodpowiednie", "ng": "naganne",
                      "nag": "naganne"}
_FINAL_NAMES = {name: str(n) for n, name in GRADE_NAMES_PL.items()}
_FINAL_NAMES.update({"dopuszczajacy": "2", "celujacy": "6", "nieklasyfikowany": NON_CLASSIFIED,
                     "zwolniony": EXEMPT})


def parse_final(text, behaviour=False):
    """A final (predicted, mid-year, annual) subject grade — a whole grade 1-6, "nkl"
    (non-classified) or "zw" (exempt) — or a behaviour grade (GRD-2, GRD-5). Raises GradeError."""
    if not isinstance(text, str) or not text.strip():
        raise GradeError("Podaj ocenę.")
    raw = " ".join(text.strip().lower().split())
    if behaviour:
        raw = _BEHAVIOUR_ALIASES.get(raw.replace(".", ""), raw)
        if raw in BEHAVIOUR_GRADES:
            return raw
        raise GradeError("Ocena zachowania: " + ", ".join(BEHAVIOUR_GRADES) + ".")
    raw = _FINAL_NAMES.get(raw, raw)
    if raw in ("1", "2", "3", "4", "5", "6", NON_CLASSIFIED, EXEMPT):
        return raw
    raise GradeError("Ocena śródroczna lub roczna to cała ocena 1–6, „nkl” (nieklasyfikowany) "
                     "albo „zw” (zwolniony).")


def final_label(value, behaviour=False):
    if behaviour:
        return value
    if value in FINAL_SPECIAL_PL:
        return FINAL_SPECIAL_PL[value]
    try:
        return f"{GRADE_NAMES_PL[int(value)]} ({value})"
    except (ValueError, KeyError):
        return value


def final_numeric(value):
    """A final subject grade as a number for statistics (None for nkl, zw, behaviour)."""
    return int(value) if value in ("1", "2", "3", "4", "5", "6") else None


# ----------------------------------------------------------------------------------- at risk (GRD-4)

AT_RISK_FAILING, AT_RISK_REPREHENSIBLE, AT_RISK_UNCLASSIFIED = "niedostateczna", "naganna", "nieklasyfikowanie"
AT_RISK_LABELS_PL = {AT_RISK_FAILING: "przewidywana ocena niedostateczna",
                     AT_RISK_REPREHENSIBLE: "przewidywana naganna ocena zachowania",
                     AT_RISK_UNCLASSIFIED: "przewidywane nieklasyfikowanie"}


def at_risk_reason(kind, value, behaviour=False):
    """Why a predicted grade puts the student at risk, or None (GRD-4, VII.3, VI.14): a predicted
    niedostateczny (1), a predicted naganne behaviour, or non-classification ("nkl")."""
    if kind not in PREDICTED_KINDS:
        return None
    if value == NON_CLASSIFIED:
        return AT_RISK_UNCLASSIFIED
    if behaviour:
        return AT_RISK_REPREHENSIBLE if value == REPREHENSIBLE else None
    return AT_RISK_FAILING if value == str(FAILING) else None


def notice_deadline_status(deadline, today):
    """Where the class teacher stands against the school's deadline for written notices."""
    if deadline is None:
        return {"deadline": None, "days_left": None, "overdue": False}
    days = (deadline - today).days
    return {"deadline": deadline, "days_left": days, "overdue": days < 0}


# ----------------------------------------------------------------------------------- corrections (GRD-6)

MIN_REASON = 3


def require_reason(reason):
    """A grade is never changed or deleted without a reason (GRD-6, VII.11). Returns the reason."""
    if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
        raise GradeError("Podaj przyczynę zmiany lub usunięcia oceny (co najmniej 3 znaki).")
    return reason.strip()


def grade_date_problem(day, today):
    """The date a grade refers to may be earlier than its entry (OPS-2), never in the future."""
    if day > today:
        return "Data oceny nie może być z przyszłości."
    return None


# ----------------------------------------------------------------------------------- school year and term

def parse_month_day(text):
    m = re.match(r"^(\d{2})-(\d{2})$", text or "")
    if not m:
        raise GradeError("Początek drugiego okresu w formacie MM-DD, np. 02-01.")
    month, day_ = int(m.group(1)), int(m.group(2))
    if not (1 <= month <= 6):
        raise GradeError("Drugi okres zaczyna się między styczniem a czerwcem.")
    try:
        date(2000, month, day_)
    except ValueError:
        raise GradeError("Niepoprawna data początku drugiego okresu.")
    return month, day_


def term_of(day, second_term_start=DEFAULT_SECOND_TERM_START):
    """1 or 2: the term of a day, given the month-day the second term starts (from September to
    the day before it: term 1)."""
    month, day_ = parse_month_day(second_term_start)
    if day.month >= 9:
        return 1
    return 2 if (day.month, day.day) >= (month, day_) else 1


# ----------------------------------------------------------------------------------- entered late (ORG-4, VII.9)

SCHOOL_TZ = ZoneInfo("Europe/Warsaw")
WEEK_CLOSES_AT = time(20, 0)      # VII.9: a week's topics and grades are complete by Sunday 20:00


def week_of(day):
    """Monday and Sunday of the (ISO) week of ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def entry_deadline(day):
    """VII.9: grades referring to a day of a week are entered by the Sunday 20:00 (Polish time)
    that ends the week; an aware datetime."""
    return datetime.combine(week_of(day)[1], WEEK_CLOSES_AT, tzinfo=SCHOOL_TZ)


def as_utc(moment):
    """A stored time as an aware datetime; a naive one (SQLite keeps no zone) is UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def entered_late(grade_date, entered_at):
    """True when a grade referring to ``grade_date`` was entered (``entered_at``) after the
    deadline of that date's week (ORG-4, VII.9). A correction is not an entry: only the time the
    grade was first entered counts."""
    return as_utc(entered_at) > entry_deadline(grade_date)


def late_grades(grades, week_start):
    """ORG-4, VII.9: of ``grades`` (each with ``date`` and ``entered_at``), those that refer to a
    day of the week of ``week_start`` (Monday to Sunday; any day of the week will do) and were
    entered after that week's Sunday 20:00. Sorted by teacher, then entry time."""
    monday, sunday = week_of(week_start)
    late = [g for g in grades if monday <= g["date"] <= sunday and entered_late(g["date"], g["entered_at"])]
    return sorted(late, key=lambda g: (g.get("teacher_id") or "", as_utc(g["entered_at"]), g.get("grade_id") or ""))


# ----------------------------------------------------------------------------------- who sees what (GRD-7)

ALL_SUBJECTS = "*"


@dataclass(frozen=True)
class Viewer:
    """The caller as the grade rules see them. ``taught``: (class_id, subject_id) pairs of the
    caller's teaching assignments; ``class_teacher_of``: ids of the classes the caller is the
    class teacher (wychowawca) of; ``children``: the students a parent is guardian of."""
    user_id: str | None
    roles: frozenset
    taught: frozenset = field(default_factory=frozenset)
    class_teacher_of: frozenset = field(default_factory=frozenset)
    children: frozenset = field(default_factory=frozenset)

    @classmethod
    def of(cls, user_id, roles, taught=(), class_teacher_of=(), children=()):
        return cls(user_id, frozenset(roles or ()), frozenset(tuple(t) for t in taught),
                   frozenset(class_teacher_of), frozenset(children))

    def has(self, *roles):
        return bool(self.roles & set(roles))

    @property
    def is_system(self):
        return self.has(SYSTEM, ASSOCIATION_ADMIN)

    @property
    def manages_all(self):
        return self.is_system or self.has(*MANAGERS)

    @property
    def reads_all(self):
        return self.is_system or self.has(*READ_ALL)

    @property
    def is_teacher(self):
        return self.has(*TEACHERS)

    @property
    def taught_subjects(self):
        return frozenset(s for _, s in self.taught)


def is_family_view(viewer, student_id):
    """The student or a guardian of the student, who is no staff member: sees only accepted
    final grades (GRD-3) and no correction history (only that a grade was corrected)."""
    if viewer.reads_all:
        return False
    # A teacher who is also the child's parent looks at the own child as a parent does.
    return (viewer.has(STUDENT) and viewer.user_id == student_id) or \
        (viewer.has(PARENT) and student_id in viewer.children)


def student_scope(viewer, student_id, student_class_ids=()):
    """Which of a student's subjects the viewer sees (GRD-7): ALL_SUBJECTS, a frozenset of
    subject ids (a teacher: the subjects taught), or an empty frozenset (nothing)."""
    if viewer.reads_all:
        return ALL_SUBJECTS
    if is_family_view(viewer, student_id):
        return ALL_SUBJECTS
    if viewer.is_teacher and viewer.class_teacher_of & set(student_class_ids):
        return ALL_SUBJECTS
    if viewer.is_teacher:
        return viewer.taught_subjects
    return frozenset()


def sees_subject(scope, subject_id):
    return scope == ALL_SUBJECTS or subject_id in scope


def may_view_class_subject(viewer, class_id, subject_id):
    """The grade book of a class in a subject: all-readers, the class teacher, a teacher of that
    subject (GRD-7: a teacher sees all students' grades in the subjects taught)."""
    if viewer.reads_all:
        return True
    if not viewer.is_teacher:
        return False
    return class_id in viewer.class_teacher_of or subject_id in viewer.taught_subjects


def may_view_class(viewer, class_id):
    """The whole class (every subject, statistics, at-risk list): all-readers and its class teacher."""
    return viewer.reads_all or (viewer.is_teacher and class_id in viewer.class_teacher_of)


def may_manage_grades(viewer, class_id, subject_id):
    """Enter and correct partial, predicted and final grades: administrators and directors every
    grade; a teacher (class teacher or not) only the own lessons, i.e. a teaching assignment of
    that subject in that class (matrix: "manage own lessons")."""
    if viewer.manages_all:
        return True
    return viewer.is_teacher and (class_id, subject_id) in viewer.taught


def may_manage_behaviour(viewer, class_id):
    """Behaviour grades: the class teacher of the class (VI.6, VI.16, GRD-5), administrators and directors."""
    if viewer.manages_all:
        return True
    return viewer.is_teacher and class_id in viewer.class_teacher_of


def may_view_history(viewer):
    """Every version of a grade with author, time and reason: director and administrator (and the
    read-only control account); a parent sees only the current value and that it was corrected."""
    return viewer.reads_all


def may_print_class(viewer, class_id):
    """Printouts of a class (grade sheets, at-risk notices): managers and the class teacher."""
    return viewer.manages_all or (viewer.is_teacher and class_id in viewer.class_teacher_of)


def final_visible(accepted, family_view):
    """GRD-3: a final grade is visible to the parent and the student only once accepted."""
    return bool(accepted) or not family_view


# ----------------------------------------------------------------------------------- class entry (a column)

def _column_check(entries, class_students, parse):
    """A column checked as a whole (all or nothing): every entry a student of the class, once,
    and ``parse(entry)`` not raising GradeError. Returns (parsed, problems): ``parsed`` the
    results of ``parse`` when there are no problems, ``problems`` the entry's index ->
    {field: [messages]}."""
    problems, parsed, seen = {}, [], set()
    class_students = set(class_students)
    if not entries:
        return [], {"_schema": ["Podaj co najmniej jedną ocenę."]}
    for i, entry in enumerate(entries):
        sid = entry.get("student_id")
        errs = {}
        if sid in seen:
            errs["student_id"] = ["Uczeń powtarza się w kolumnie."]
        elif sid not in class_students:
            errs["student_id"] = ["Uczeń nie należy do tej klasy."]
        seen.add(sid)
        try:
            parsed.append(parse(entry))
        except GradeError as exc:
            errs["value"] = [str(exc)]
        if errs:
            problems[str(i)] = errs
    return (parsed if not problems else []), problems


def column_problems(entries, class_students, scale):
    """A column of partial grades (GRD-1): ``parsed`` lists (student_id, ParsedGrade)."""
    return _column_check(entries, class_students,
                         lambda e: (e.get("student_id"), parse_grade(e.get("value"), scale)))


def final_column_problems(entries, class_students, behaviour=False):
    """A column of final (or behaviour) grades of a class (GRD-2, GRD-5): ``parsed`` lists
    (student_id, value, reason)."""
    return _column_check(entries, class_students,
                         lambda e: (e.get("student_id"), parse_final(e.get("value"), behaviour=behaviour),
                                    e.get("reason")))


# ----------------------------------------------------------------------------------- statistics (GRD-8)

def distribution(values):
    """How many grades of each whole value 1..6 ("4+" counts as 4); symbols apart."""
    dist = {str(n): 0 for n in range(1, 7)}
    symbols = 0
    for v in values:
        base = base_of(v)
        if base is None:
            symbols += 1
        else:
            dist[str(base)] += 1
    return dist, symbols


def grade_statistics(grades):
    """Statistics of partial grades, each a dict with value, numeric, weight, counts:
    count, symbols, distribution 1..6, failing (whole 1), arithmetic mean of the values and the
    weighted average of those that count."""
    values = [g["value"] for g in grades]
    dist, symbols = distribution(values)
    return {
        "count": len(grades),
        "symbols": symbols,
        "distribution": dist,
        "failing": dist["1"],
        "mean": to_float(arithmetic_mean(g["numeric"] for g in grades if g["numeric"] is not None)),
        "weighted_average": to_float(weighted_average(
            Counted(_optto_decimal(g["numeric"]), to_decimal(g["weight"]), g["counts"]) for g in grades)),
    }


def final_statistics(values):
    """Statistics of final subject grades: distribution 1..6, failing, non-classified, exempt, mean."""
    dist = {str(n): 0 for n in range(1, 7)}
    for v in values:
        if v in dist:
            dist[v] += 1
    return {"count": len(values), "distribution": dist, "failing": dist["1"],
            "unclassified": sum(1 for v in values if v == NON_CLASSIFIED),
            "exempt": sum(1 for v in values if v == EXEMPT),
            "mean": to_float(arithmetic_mean(final_numeric(v) for v in values if final_numeric(v)))}


def behaviour_statistics(values):
    return {"count": len(values), "distribution": {b: sum(1 for v in values if v == b) for b in BEHAVIOUR_GRADES}}


def _optto_decimal(value):
    return None if value is None else to_decimal(value)


def to_float(value):
    return None if value is None else float(value)
