"""attendance's rules, free of any framework (no nameko, no SQLAlchemy): the school's categories
and the percentage formula (ATT-1, ATT-5), who may record, correct, justify and see attendance
(ATT-2, ATT-6, the permission matrix), justification in advance and the single-hour rule
(ATT-2, procedure VI.11-12), double entries (ATT-4, VI.10), day summaries for the calendar.

The service loads records, turns them into the plain values below, calls a rule, and stores the
result. Every message a user may read is in Polish. Unit tests: tests/unit/test_attendance_domain.py.
"""
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

# ----------------------------------------------------------------------------- roles (ACC-2)

SCHOOL_ADMIN = "school_admin"
DEPUTY_ADMIN = "deputy_admin"
DIRECTOR = "director"
VICE_DIRECTOR = "vice_director"
TEACHER = "teacher"
CLASS_TEACHER = "class_teacher"
SECRETARY = "secretary"
PARENT = "parent"
STUDENT = "student"
INSPECTOR = "inspector"
ASSOCIATION_ADMIN = "association_admin"
SYSTEM = "system"

ADMINS = (SCHOOL_ADMIN, DEPUTY_ADMIN)
DIRECTORS = (DIRECTOR, VICE_DIRECTOR)
TEACHERS = (TEACHER, CLASS_TEACHER)
# The permission matrix, row "attendance": administrator and director manage all.
MANAGE_ALL = ADMINS + DIRECTORS + (ASSOCIATION_ADMIN, SYSTEM)
# Teachers see everyone's attendance (II, teacher 3); the inspector controls read-only (XII.7).
VIEW_ALL = MANAGE_ALL + TEACHERS + (INSPECTOR,)
# Who may ever write attendance (the finer rule is ``record_problem``).
WRITERS = ADMINS + DIRECTORS + TEACHERS

# ----------------------------------------------------------------------------- categories (ATT-1)

PRESENT, ABSENT, EXCUSED, LATE, RELEASED, SCHOOL_REASONS = (
    "present", "absent", "excused", "late", "released", "school_reasons")
KINDS = (PRESENT, ABSENT, EXCUSED, LATE, RELEASED, SCHOOL_REASONS)
KIND_LABELS_PL = {
    PRESENT: "obecność",
    ABSENT: "nieobecność nieusprawiedliwiona",
    EXCUSED: "nieobecność usprawiedliwiona",
    LATE: "spóźnienie",
    RELEASED: "zwolnienie",
    SCHOOL_REASONS: "nieobecność z przyczyn szkolnych",
}

# Where a category counts in the percentage: in the numerator and denominator ("present"),
# in the denominator only ("absent"), or nowhere ("none").
COUNTS_PRESENT, COUNTS_ABSENT, COUNTS_NONE = "present", "absent", "none"
COUNTS = (COUNTS_PRESENT, COUNTS_ABSENT, COUNTS_NONE)

# Formula presets, per kind. VULCAN's is the common default (ATT-5): present = present + late +
# absent for school reasons; absent = excused + unexcused; released counts in neither.
FORMULAS = {
    "vulcan": {PRESENT: COUNTS_PRESENT, LATE: COUNTS_PRESENT, SCHOOL_REASONS: COUNTS_PRESENT,
               ABSENT: COUNTS_ABSENT, EXCUSED: COUNTS_ABSENT, RELEASED: COUNTS_NONE},
    # "Every recorded lesson counts": present + late + released + school reasons over all
    # recorded lessons (the variant the issue mentions).
    "all_recorded": {PRESENT: COUNTS_PRESENT, LATE: COUNTS_PRESENT, SCHOOL_REASONS: COUNTS_PRESENT,
                     RELEASED: COUNTS_PRESENT, ABSENT: COUNTS_ABSENT, EXCUSED: COUNTS_ABSENT},
}
DEFAULT_FORMULA = "vulcan"
FORMULA_TEXT_PL = ("frekwencja = obecności / (obecności + nieobecności) × 100%, gdzie obecności to "
                   "kategorie liczone jako obecność, a nieobecności to kategorie liczone jako nieobecność; "
                   "pozostałe kategorie nie wchodzą do wyliczenia")


@dataclass(frozen=True)
class Category:
    """One of a school's attendance categories. ``kind`` is the fixed meaning the rules use;
    ``code`` is what clients send; ``symbol`` is what the register shows (ob, nb, u, ...)."""
    code: str
    name: str
    symbol: str
    kind: str
    counts_as: str
    position: int = 0
    active: bool = True


# A school that never configured its categories gets these, uniform in the whole school.
DEFAULT_CATEGORIES = (
    Category(PRESENT, "obecność", "ob", PRESENT, COUNTS_PRESENT, 1),
    Category(ABSENT, "nieobecność nieusprawiedliwiona", "nb", ABSENT, COUNTS_ABSENT, 2),
    Category(EXCUSED, "nieobecność usprawiedliwiona", "u", EXCUSED, COUNTS_ABSENT, 3),
    Category(LATE, "spóźnienie", "sp", LATE, COUNTS_PRESENT, 4),
    Category(RELEASED, "zwolnienie", "zw", RELEASED, COUNTS_NONE, 5),
    Category(SCHOOL_REASONS, "nieobecność z przyczyn szkolnych", "ns", SCHOOL_REASONS, COUNTS_PRESENT, 6),
)

# Kinds a teacher may enter at a lesson or in a correction. An excused absence only ever comes
# from a justification, so that the rules of ATT-2 cannot be bypassed.
RECORDABLE_KINDS = (PRESENT, ABSENT, LATE, RELEASED, SCHOOL_REASONS)
# Kinds that show the student was at school that day (for the single-hour rule).
ATTENDED_KINDS = (PRESENT, LATE, SCHOOL_REASONS)


def formula_counts(preset):
    """kind -> counts_as for a preset name; ``ValueError`` for an unknown one."""
    try:
        return dict(FORMULAS[preset])
    except KeyError:
        raise ValueError(f"unknown formula {preset!r}")


def category_set_problems(categories):
    """Problems with a school's set of categories (Polish): every kind needs an active category,
    codes are unique, and ``counts_as`` is one of COUNTS."""
    problems = []
    codes = Counter(c.code for c in categories)
    for code, n in codes.items():
        if n > 1:
            problems.append(f"Kod kategorii „{code}” powtarza się.")
    for c in categories:
        if c.kind not in KINDS:
            problems.append(f"Nieznany rodzaj kategorii „{c.kind}”.")
        if c.counts_as not in COUNTS:
            problems.append(f"Kategoria „{c.code}”: nieznany sposób liczenia „{c.counts_as}”.")
    active_kinds = {c.kind for c in categories if c.active}
    for kind in KINDS:
        if kind not in active_kinds:
            problems.append(f"Szkoła musi mieć aktywną kategorię: {KIND_LABELS_PL[kind]}.")
    return problems


def primary_category(categories, kind):
    """The category used when the rules need "the" category of a kind (the excused category a
    justification sets, the default present): the first active one by position."""
    found = sorted((c for c in categories if c.kind == kind and c.active), key=lambda c: (c.position, c.code))
    return found[0] if found else None


# ----------------------------------------------------------------------------- percentages (ATT-5)

def percent(present, absent):
    """present / (present + absent) × 100, rounded half up to two decimals; None when nothing
    counts (no lessons recorded, or only released ones)."""
    total = present + absent
    if total == 0:
        return None
    value = (Decimal(present) * 100 / Decimal(total)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return float(value)


def tally(counts_by_category, counts_as):
    """The one computation every percentage uses (per student, class, subject, school).

    ``counts_by_category``: {category code: number of entries}; ``counts_as``: {category code:
    present|absent|none}. Returns present, absent, not_counted, recorded and percent."""
    present = absent = none = 0
    for code, n in counts_by_category.items():
        how = counts_as.get(code, COUNTS_NONE)
        if how == COUNTS_PRESENT:
            present += n
        elif how == COUNTS_ABSENT:
            absent += n
        else:
            none += n
    return {"present": present, "absent": absent, "not_counted": none,
            "recorded": present + absent + none, "percent": percent(present, absent)}


def below_threshold(rows, threshold):
    """Rows (dicts with ``percent``) whose percent is below ``threshold``, lowest first. Rows
    with no percent (nothing recorded) are not listed: there is nothing to warn about."""
    out = [r for r in rows if r["percent"] is not None and r["percent"] < threshold]
    return sorted(out, key=lambda r: (r["percent"], str(r.get("student_id"))))


# ----------------------------------------------------------------------------- who may do what

@dataclass(frozen=True)
class LessonRef:
    """A lesson as the rules see it (from scheduling.get_lesson)."""
    id: str
    class_id: str
    date: date
    teacher_id: str
    substitute_teacher_id: str | None = None
    status: str = "planned"       # planned | held | cancelled
    period: int = 0


def _roles(roles):
    return set(roles or ())


def manages_all(roles):
    """Administrator, director (and vice-director), the association administrator, the system."""
    return bool(_roles(roles) & set(MANAGE_ALL))


def views_all(roles):
    """Teachers, class teachers, directors, administrators, the inspector: everyone's attendance."""
    return bool(_roles(roles) & set(VIEW_ALL))


def is_class_teacher(user_id, class_teacher_id):
    return bool(user_id) and user_id == class_teacher_id


def record_problem(lesson, user_id, roles, class_teacher_id):
    """ATT-1, ATT-6, ORG-3: who may take (or change) attendance of a lesson: the lesson's
    teacher or its substitute, the class teacher of the lesson's class, director and
    administrators. Returns a Polish message, or None when allowed."""
    roles = _roles(roles)
    if manages_all(roles):
        return None
    if not roles & set(TEACHERS):
        return "Frekwencję wpisują nauczyciele, wychowawca, dyrektor i administrator."
    if user_id and user_id in (lesson.teacher_id, lesson.substitute_teacher_id):
        return None
    if is_class_teacher(user_id, class_teacher_id):
        return None
    return ("Frekwencję tej lekcji wpisuje nauczyciel prowadzący, nauczyciel zastępujący "
            "lub wychowawca klasy.")


def lesson_state_problem(lesson, today):
    """A lesson's attendance is taken at the lesson: not for a cancelled one, not ahead of its
    date. Backfilling after an outage is allowed (OPS-2). Returns a Polish message or None."""
    if lesson.status == "cancelled":
        return "Lekcja została odwołana; nie wpisuje się na niej frekwencji."
    if lesson.date > today:
        return (f"Lekcja z dnia {fmt_date(lesson.date)} jeszcze się nie odbyła; frekwencję wpisuje "
                f"się na początku lekcji.")
    return None


def justify_problem(user_id, roles, class_teacher_id):
    """ATT-2, ATT-3, VI.2: absences are justified (and parents' e-justifications decided) by the
    class teacher of the student's class; director and administrator manage all."""
    if manages_all(roles):
        return None
    if _roles(roles) & set(TEACHERS) and is_class_teacher(user_id, class_teacher_id):
        return None
    return "Nieobecności usprawiedliwia wychowawca klasy ucznia."


def may_view_student(user_id, roles, student_id, children_ids=()):
    """ATT-6, LAW-3: staff see everyone's attendance; a parent the own children's; a student
    the own."""
    roles = _roles(roles)
    if views_all(roles):
        return True
    if PARENT in roles and student_id in set(children_ids or ()):
        return True
    return STUDENT in roles and user_id == student_id


# ----------------------------------------------------------------------------- class lists

def on_class_list(enrolled_on, ended_on, day):
    """Whether an enrolment covers ``day``: from the enrolment date to the end date, both
    inclusive (on the day of a transfer the student may appear in both classes; the weekly
    review finds such doubles)."""
    return enrolled_on <= day and (ended_on is None or day <= ended_on)


# ----------------------------------------------------------------------------- justification (ATT-2)

REPORTED_BEFOREHAND = "reported_beforehand"
BEYOND_CONTROL = "beyond_control"
SINGLE_HOUR_REASONS = (REPORTED_BEFOREHAND, BEYOND_CONTROL)
SINGLE_HOUR_REASONS_PL = {
    REPORTED_BEFOREHAND: "zgłoszone wcześniej",
    BEYOND_CONTROL: "z przyczyn niezależnych od ucznia",
}


def lesson_taken_place(lesson_date, status, today, recorded=False):
    """Whether a lesson has taken place: not cancelled, and before today, or today with its
    attendance taken (attendance is taken at the start of the lesson) or marked held."""
    if status == "cancelled":
        return False
    if lesson_date < today:
        return True
    if lesson_date == today:
        return recorded or status == "held"
    return False


def advance_problem(dates, today):
    """VI.11: no justification in advance, for days that have not come yet."""
    future = sorted(d for d in dates if d > today)
    if future:
        return ("Nie można usprawiedliwiać z wyprzedzeniem zajęć, które się jeszcze nie odbyły "
                f"({', '.join(fmt_date(d) for d in future)}).")
    return None


@dataclass(frozen=True)
class DayEntry:
    """One of a student's entries on a day, for the single-hour rule."""
    id: str
    date: date
    kind: str


def single_hour_days(day_entries, justified_ids):
    """VI.12: the days on which a justification covers single hours rather than the whole day:
    the student was at school for some lessons of that day, or some unexcused absences of that
    day stay unjustified. ``day_entries``: every active entry of the student on the days the
    justification touches."""
    justified_ids = set(justified_ids)
    days = {}
    for e in day_entries:
        days.setdefault(e.date, []).append(e)
    out = []
    for day, entries in sorted(days.items()):
        if not any(e.id in justified_ids for e in entries):
            continue
        attended = any(e.kind in ATTENDED_KINDS for e in entries)
        left_out = any(e.kind == ABSENT and e.id not in justified_ids for e in entries)
        if attended or left_out:
            out.append(day)
    return out


def single_hour_problem(day_entries, justified_ids, reason):
    """VI.12: single hours within a day are justified only when reported beforehand or caused
    by something beyond the student's control, and that reason is recorded."""
    days = single_hour_days(day_entries, justified_ids)
    if days and reason not in SINGLE_HOUR_REASONS:
        return ("Pojedyncze godziny w ciągu dnia ("
                + ", ".join(fmt_date(d) for d in days)
                + ") można usprawiedliwić tylko, gdy nieobecność zgłoszono wcześniej lub wynikła "
                  "z przyczyn niezależnych od ucznia: wskaż przyczynę.")
    return None


def reported_beforehand(submitted_on, absence_dates):
    """An e-justification sent before the first day it covers counts as reported beforehand."""
    return bool(absence_dates) and submitted_on < min(absence_dates)


# ----------------------------------------------------------------------------- e-justifications (ATT-3)

SUBMITTED, ACCEPTED, REJECTED = "submitted", "accepted", "rejected"
E_STATUSES = (SUBMITTED, ACCEPTED, REJECTED)
E_STATUS_PL = {SUBMITTED: "złożone", ACCEPTED: "przyjęte", REJECTED: "odrzucone"}
MAX_E_JUSTIFICATION_DAYS = 31


def e_justification_problem(date_from, date_to, today):
    """A parent's e-justification covers a range of at most a month. Parents may report an
    absence ahead (that is what "reported beforehand" means), but not far ahead."""
    if date_to < date_from:
        return "Data końcowa nie może poprzedzać początkowej."
    if (date_to - date_from).days + 1 > MAX_E_JUSTIFICATION_DAYS:
        return f"E-usprawiedliwienie obejmuje najwyżej {MAX_E_JUSTIFICATION_DAYS} dni."
    if date_from > today + timedelta(days=MAX_E_JUSTIFICATION_DAYS):
        return "Nieobecność można zgłosić najwyżej miesiąc naprzód."
    return None


def decision_problem(status):
    if status != SUBMITTED:
        return f"To e-usprawiedliwienie zostało już rozpatrzone ({E_STATUS_PL.get(status, status)})."
    return None


# ----------------------------------------------------------------------------- double entries (ATT-4)

@dataclass(frozen=True)
class EntryView:
    """An active entry as the weekly review sees it."""
    id: str
    student_id: str
    lesson_id: str
    date: date
    period: int
    entered_at: object = None
    recorded_by: str | None = None


def find_doubles(entries):
    """VI.10: the same student recorded twice for the same lesson hour (the same lesson, or two
    lessons at one date and period, e.g. the lesson's teacher and a substitute, or two group
    lessons). Returns [{student_id, date, period, entry_ids, keep}] where ``keep`` is the entry
    entered first (a suggestion; the class teacher decides)."""
    groups = {}
    for e in entries:
        groups.setdefault((e.student_id, e.date, e.period), []).append(e)
    out = []
    for (student_id, day, period), group in groups.items():
        if len(group) < 2:
            continue
        group.sort(key=lambda e: (str(e.entered_at or ""), e.id))
        out.append({"student_id": student_id, "date": day, "period": period,
                    "entry_ids": [e.id for e in group], "keep": group[0].id})
    return sorted(out, key=lambda d: (d["date"], d["period"], d["student_id"]))


def removal_problem(entry, others):
    """Only a double may be removed (nothing else is ever deleted: wrong values are corrected).
    ``others``: the other active entries of the same student at the same date and period."""
    if not [o for o in others if o.id != entry.id]:
        return "To nie jest podwójny wpis; błędny wpis się poprawia, a nie usuwa."
    return None


# ----------------------------------------------------------------------------- calendar (ATT-6, LAW-3)

# How a day looks in the parent's calendar: the most telling kind of the day wins.
DAY_PRIORITY = (ABSENT, EXCUSED, LATE, SCHOOL_REASONS, RELEASED, PRESENT)


def day_summary(kinds):
    """A day's summary for a calendar picture: counts per kind and one ``status``: the first of
    DAY_PRIORITY present that day ('absent' if any unexcused absence), or 'none'."""
    counts = Counter(kinds)
    status = next((k for k in DAY_PRIORITY if counts.get(k)), "none")
    return {"status": status, "counts": {k: counts.get(k, 0) for k in KINDS}, "lessons": sum(counts.values())}


def month_days(year, month):
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((nxt - first).days)]


# ----------------------------------------------------------------------------- dates

def fmt_date(day):
    """A date as users read it: 10.03.2026."""
    return day.strftime("%d.%m.%Y")


def week_start(day):
    """The Monday of the week of ``day``."""
    return day - timedelta(days=day.weekday())
