"""scheduling's rules, free of any framework (no nameko, no SQLAlchemy): who may do what, week
arithmetic, timetable conflicts, lessons inside their term, the calendar's test limits, days off,
trip-card states, materialising lessons from the timetable, and the supervision report.

The service loads records, turns them into the plain values below, calls a rule, and stores the
result. Every message a user may read is in Polish. Unit tests: tests/unit/test_scheduling_domain.py.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

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
STAFF = ADMINS + DIRECTORS + TEACHERS + (SECRETARY, INSPECTOR)
SCHOOL_MEMBERS = STAFF + (PARENT, STUDENT)

# The permission matrix of chapter II (REQUIREMENTS.md), as far as scheduling is concerned.
# capability -> roles that have it. The system and the association administrator have all.
CAPABILITIES = {
    # ORG-1, ORG-2, IV.2d, IV.4: the administrator manages the school's data and timetable.
    "manage_school_data": ADMINS,
    "manage_timetable": ADMINS,
    # ORG-3, IV.11: the administrator enters substitutions; V.3b: the director controls them.
    "manage_substitutions": ADMINS,
    "view_substitutions": ADMINS + DIRECTORS + (INSPECTOR,),
    # ORG-6, ORG-7, IV.5, VI.8-9: secretary, director or administrator edit class lists.
    "edit_class_list": ADMINS + DIRECTORS + (SECRETARY,),
    "view_class_list": STAFF,
    # ORG-4, VII.9: teachers manage the topics of their own lessons (and those they substitute);
    # the director views them.
    "enter_topic": TEACHERS,
    "view_lessons": STAFF,
    "supervision_report": ADMINS + DIRECTORS + (INSPECTOR,),
    # ORG-10, VII.17: every teacher enters written tests; days off and school events are the
    # school's (administrator, director); parent meetings also the class teacher.
    "add_test": TEACHERS + ADMINS + DIRECTORS,
    "add_school_event": ADMINS + DIRECTORS,
    "add_parent_meeting": ADMINS + DIRECTORS + (CLASS_TEACHER,),
    "set_test_limits": ADMINS + DIRECTORS,
    # ORG-11, II (teacher 9): the organising teacher enters the trip card; the director approves.
    "organise_trip": TEACHERS + ADMINS + DIRECTORS,
    "decide_trip": DIRECTORS,
    "view_trips": STAFF,
    # ORG-9, V.2, VI.4: completeness of students' data.
    "completeness_report": ADMINS + DIRECTORS + (SECRETARY, CLASS_TEACHER),
    # Everyone of the school may look at a class's week and the calendar (no topics for non-staff).
    "view_timetable": SCHOOL_MEMBERS,
}

EVENT_KIND_CAPABILITY = {
    "test": "add_test",
    "quiz": "add_test",
    "day_off": "add_school_event",
    "school_event": "add_school_event",
    "parent_meeting": "add_parent_meeting",
}
EVENT_KINDS = tuple(EVENT_KIND_CAPABILITY)
TRIP_KIND = "trip"   # only created by approving a trip card (ORG-11)

EVENT_KIND_LABELS = {
    "test": "sprawdzian",
    "quiz": "kartkówka",
    "day_off": "dzień wolny",
    "school_event": "wydarzenie szkolne",
    "parent_meeting": "zebranie z rodzicami",
    "trip": "wycieczka",
}


def may(capability, roles):
    """Whether a holder of ``roles`` has ``capability`` under the permission matrix."""
    roles = set(roles or ())
    if roles & {SYSTEM, ASSOCIATION_ADMIN}:
        return True
    return bool(roles & set(CAPABILITIES[capability]))


def roles_for(capability):
    """The roles to pass to ``CallerContext.require_role`` for ``capability``."""
    return CAPABILITIES[capability]


def is_staff(roles):
    return may("view_lessons", roles)


# ----------------------------------------------------------------------------- weeks and days

WEEKDAYS_PL = {1: "poniedziałek", 2: "wtorek", 3: "środa", 4: "czwartek", 5: "piątek",
               6: "sobota", 7: "niedziela"}
SCHOOL_WEEKDAYS = (1, 2, 3, 4, 5)


def week_start(day):
    """The Monday of the week of ``day`` (ISO weeks: Monday to Sunday)."""
    return day - timedelta(days=day.weekday())


def week_end(day):
    """The Sunday of the week of ``day``."""
    return week_start(day) + timedelta(days=6)


def school_days_of_week(day):
    """Monday to Friday of the week of ``day``."""
    start = week_start(day)
    return [start + timedelta(days=i) for i in range(5)]


def days_between(date_from, date_to):
    """Every date from ``date_from`` to ``date_to`` inclusive."""
    n = (date_to - date_from).days
    return [date_from + timedelta(days=i) for i in range(n + 1)] if n >= 0 else []


def iso_weekday(day):
    return day.isoweekday()


def fmt_date(day):
    """A date as users read it: 10.03.2026."""
    return day.strftime("%d.%m.%Y")


def topic_deadline(lesson_date):
    """VII.9: topics (and grades) of a week are complete by Sunday 20:00 after it."""
    return datetime.combine(week_end(lesson_date), time(20, 0))


def ranges_overlap(a_from, a_to, b_from, b_to):
    """Inclusive date ranges; ``None`` as an end means open."""
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


# ----------------------------------------------------------------------------- years and terms

@dataclass(frozen=True)
class Span:
    id: str
    name: str
    starts_on: date
    ends_on: date


def year_problems(starts_on, ends_on, other_years=()):
    """Problems with a school year's dates (Polish), given the school's other years."""
    problems = []
    if ends_on <= starts_on:
        problems.append("Rok szkolny musi kończyć się po dniu rozpoczęcia.")
    elif (ends_on - starts_on).days > 400:
        problems.append("Rok szkolny nie może trwać dłużej niż 13 miesięcy.")
    for other in other_years:
        if ranges_overlap(starts_on, ends_on, other.starts_on, other.ends_on):
            problems.append(f"Rok szkolny nakłada się na rok {other.name} "
                            f"({fmt_date(other.starts_on)}–{fmt_date(other.ends_on)}).")
    return problems


def term_problems(starts_on, ends_on, year, other_terms=()):
    """Problems with a term's dates: inside its year, not overlapping the year's other terms."""
    problems = []
    if ends_on < starts_on:
        problems.append("Okres musi kończyć się nie wcześniej niż się zaczyna.")
    if starts_on < year.starts_on or ends_on > year.ends_on:
        problems.append(f"Okres musi mieścić się w roku szkolnym {year.name} "
                        f"({fmt_date(year.starts_on)}–{fmt_date(year.ends_on)}).")
    for other in other_terms:
        if ranges_overlap(starts_on, ends_on, other.starts_on, other.ends_on):
            problems.append(f"Okres nakłada się na okres „{other.name}” "
                            f"({fmt_date(other.starts_on)}–{fmt_date(other.ends_on)}).")
    return problems


def date_in_term_problem(day, term, what="Lekcja"):
    """A message when ``day`` is outside ``term`` (a lesson or a timetable change outside its
    term is refused), else None."""
    if day < term.starts_on or day > term.ends_on:
        return (f"{what} w dniu {fmt_date(day)} wypada poza okresem „{term.name}” "
                f"({fmt_date(term.starts_on)}–{fmt_date(term.ends_on)}).")
    return None


def default_valid_from(term, today):
    """A timetable change applies from today, or from the term's start if it has not begun yet."""
    if today < term.starts_on:
        return term.starts_on
    if today > term.ends_on:
        return term.starts_on
    return today


# ----------------------------------------------------------------------------- timetable

@dataclass
class Slot:
    """One timetable entry as the rules see it. ``group`` is '' for the whole class;
    ``shared_key`` marks one lesson taught to several classes at once (aSc joint lessons):
    slots with the same non-empty key do not conflict with each other."""
    weekday: int
    period: int
    class_id: str
    teacher_id: str
    valid_from: date
    valid_to: date | None = None
    room: str | None = None
    group: str = ""
    subject_id: str | None = None
    id: str | None = None
    shared_key: str | None = None
    starts_at: time | None = None
    ends_at: time | None = None

    def rooms(self):
        return {r.strip().lower() for r in (self.room or "").split(",") if r.strip()}

    def active_on(self, day):
        return (day.isoweekday() == self.weekday and self.valid_from <= day
                and (self.valid_to is None or day <= self.valid_to))


@dataclass(frozen=True)
class SlotConflict:
    kind: str          # teacher | room | class | duplicate
    new: Slot
    other: Slot


def slot_problems(slot, max_period=12):
    """Problems with one entry on its own (Polish)."""
    problems = []
    if slot.weekday not in SCHOOL_WEEKDAYS:
        problems.append("Dzień tygodnia musi być od 1 (poniedziałek) do 5 (piątek).")
    if not 0 <= slot.period <= max_period:
        problems.append(f"Numer lekcji musi być od 0 do {max_period}.")
    if slot.starts_at and slot.ends_at and slot.ends_at <= slot.starts_at:
        problems.append("Lekcja musi kończyć się po jej rozpoczęciu.")
    if slot.valid_to is not None and slot.valid_to < slot.valid_from:
        problems.append("Data „obowiązuje do” nie może poprzedzać daty „obowiązuje od”.")
    return problems


def _pair_conflicts(a, b):
    if a.weekday != b.weekday or a.period != b.period:
        return []
    if not ranges_overlap(a.valid_from, a.valid_to, b.valid_from, b.valid_to):
        return []
    if a.shared_key and a.shared_key == b.shared_key:
        return []
    found = []
    if a.class_id == b.class_id and (not a.group or not b.group or a.group == b.group):
        found.append("class")
    if a.teacher_id and a.teacher_id == b.teacher_id:
        found.append("teacher")
    if a.rooms() & b.rooms():
        found.append("room")
    return found


def timetable_conflicts(new_slots, existing_slots=()):
    """Conflicts of ``new_slots`` with each other and with ``existing_slots``: a teacher or a
    room in two places in one period, or a class (or the same group of it) in two lessons.
    Validity ranges count: a slot valid until 31 Jan does not conflict with one from 1 Feb."""
    conflicts = []
    new_by_slot, old_by_slot = {}, {}
    for s in new_slots:
        new_by_slot.setdefault((s.weekday, s.period), []).append(s)
    for s in existing_slots:
        old_by_slot.setdefault((s.weekday, s.period), []).append(s)
    for key, news in new_by_slot.items():   # only slots of one weekday and period can clash
        for i, a in enumerate(news):
            for b in news[i + 1:]:
                for kind in _pair_conflicts(a, b):
                    conflicts.append(SlotConflict(kind, b, a))
            for b in old_by_slot.get(key, ()):
                for kind in _pair_conflicts(a, b):
                    conflicts.append(SlotConflict(kind, a, b))
    return conflicts


def describe_conflict(conflict, labels):
    """A Polish sentence naming a conflict. ``labels`` maps ids to names (teachers, classes,
    subjects); a missing label falls back to the id."""
    def name(key):
        return labels.get(key) or key or "?"
    new, other = conflict.new, conflict.other
    when = f"{WEEKDAYS_PL.get(new.weekday, new.weekday)}, lekcja {new.period}"
    other_desc = f"{name(other.class_id)}{(' gr. ' + other.group) if other.group else ''}, " \
                 f"{name(other.subject_id)}"
    if conflict.kind == "teacher":
        return (f"Nauczyciel {name(new.teacher_id)} ma już w tym czasie lekcję ({when}: "
                f"{other_desc}).")
    if conflict.kind == "room":
        rooms = ", ".join(sorted(new.rooms() & other.rooms()))
        return f"Sala {rooms} jest już zajęta ({when}: {other_desc})."
    return (f"Klasa {name(new.class_id)}{(' gr. ' + new.group) if new.group else ''} "
            f"ma już w tym czasie lekcję ({when}: {other_desc}).")


def plan_replacement(existing, valid_from):
    """Replacing a class's timetable from ``valid_from`` without rewriting history: entries
    that started before it end the day before; entries that would only start on or after it
    are dropped. Returns (to_close: [(slot, new_valid_to)], to_drop: [slot])."""
    to_close, to_drop = [], []
    for slot in existing:
        if slot.valid_to is not None and slot.valid_to < valid_from:
            continue   # already history
        if slot.valid_from >= valid_from:
            to_drop.append(slot)
        else:
            to_close.append((slot, valid_from - timedelta(days=1)))
    return to_close, to_drop


# ----------------------------------------------------------------------------- calendar, days off

@dataclass(frozen=True)
class CalEvent:
    id: str
    kind: str
    date: date
    ends_on: date | None = None
    class_id: str | None = None   # None: the whole school
    title: str = ""
    subject_name: str | None = None

    @property
    def last_day(self):
        return self.ends_on or self.date

    def covers(self, day):
        return self.date <= day <= self.last_day

    def concerns(self, class_id):
        return self.class_id is None or self.class_id == class_id


DEFAULT_LIMITS = {"tests_per_day": 1, "tests_per_week": 3, "quizzes_per_day": None,
                  "quizzes_per_week": None}


def day_off_for(day, class_id, events):
    """The day-off event that frees ``class_id`` (or the whole school) on ``day``, else None.
    Weekends are not days off events: they simply have no timetable."""
    for ev in events:
        if ev.kind == "day_off" and ev.covers(day) and ev.concerns(class_id):
            return ev
    return None


def _describe_tests(events):
    out = []
    for ev in sorted(events, key=lambda e: (e.date, e.title)):
        extra = f"{ev.subject_name}, " if ev.subject_name else ""
        out.append(f"„{ev.title}” ({extra}{fmt_date(ev.date)})")
    return ", ".join(out)


def check_test_limits(kind, on_date, class_name, existing, limits, class_id=None):
    """ORG-10, VII.17: a written test (or a quiz, when the school limits quizzes) beyond the
    school's limits per class is refused. ``existing``: CalEvents of the class. Returns the
    Polish refusal naming the conflicting tests, or None."""
    if kind not in ("test", "quiz"):
        return None
    off = day_off_for(on_date, class_id, existing) if class_id else None
    if off is not None:
        return (f"W dniu {fmt_date(on_date)} klasa {class_name} nie ma zajęć "
                f"(dzień wolny: „{off.title}”).")
    if on_date.isoweekday() > 5:
        return f"Dzień {fmt_date(on_date)} nie jest dniem nauki."
    genitive = {"test": "sprawdzianu", "quiz": "kartkówki"}[kind]
    forms = {"test": ("sprawdzian", "sprawdziany", "sprawdzianów"),
             "quiz": ("kartkówka", "kartkówki", "kartkówek")}[kind]
    per_day = limits.get("tests_per_day" if kind == "test" else "quizzes_per_day")
    per_week = limits.get("tests_per_week" if kind == "test" else "quizzes_per_week")
    same_kind = [e for e in existing if e.kind == kind]
    same_day = [e for e in same_kind if e.date == on_date]
    if per_day is not None and len(same_day) >= per_day:
        return (f"Nie można dodać {genitive}: klasa {class_name} może mieć najwyżej "
                f"{count_pl(per_day, *forms)} dziennie, a w dniu {fmt_date(on_date)} ma już: "
                f"{_describe_tests(same_day)}.")
    start, end = week_start(on_date), week_end(on_date)
    same_week = [e for e in same_kind if start <= e.date <= end]
    if per_week is not None and len(same_week) >= per_week:
        return (f"Nie można dodać {genitive}: klasa {class_name} może mieć najwyżej "
                f"{count_pl(per_week, *forms)} w tygodniu, a w tygodniu "
                f"{fmt_date(start)}–{fmt_date(end)} ma już: {_describe_tests(same_week)}.")
    return None


def count_pl(n, one, few, many):
    """A count with the Polish noun form: 1 sprawdzian, 3 sprawdziany, 5 sprawdzianów."""
    if n == 1:
        return f"{n} {one}"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return f"{n} {few}"
    return f"{n} {many}"


def limits_problems(limits):
    problems = {}
    for key, value in limits.items():
        if value is not None and not (0 <= value <= 20):
            problems[key] = ["Wartość od 0 do 20 albo brak limitu."]
    tpd, tpw = limits.get("tests_per_day"), limits.get("tests_per_week")
    if tpd is not None and tpw is not None and tpw < tpd:
        problems["tests_per_week"] = ["Limit tygodniowy nie może być mniejszy niż dzienny."]
    return problems


# ----------------------------------------------------------------------------- lessons

@dataclass
class LessonView:
    """A lesson held (or planned) as the rules see it."""
    id: str
    date: date
    period: int
    class_id: str
    teacher_id: str
    substitute_teacher_id: str | None = None
    status: str = "planned"      # planned | held | cancelled
    topic: str | None = None
    group: str = ""
    subject_id: str | None = None

    @property
    def effective_teacher_id(self):
        """Who teaches it: the substitute when there is one (ORG-3)."""
        return self.substitute_teacher_id or self.teacher_id


def lessons_to_create(slots, day, existing_keys, day_off=None, term=None):
    """The lessons the timetable gives a class on ``day`` that do not exist yet:
    (period, group) keys not in ``existing_keys``. Nothing on a day off, at a weekend or
    outside the term."""
    if day_off is not None or day.isoweekday() > 5:
        return []
    if term is not None and (day < term.starts_on or day > term.ends_on):
        return []
    out, taken = [], set(existing_keys)
    for slot in sorted(slots, key=lambda s: (s.period, s.group, s.valid_from)):
        key = (slot.period, slot.group)
        if slot.active_on(day) and key not in taken:
            taken.add(key)
            out.append(slot)
    return out


def topic_problem(lesson, user_id, roles, today):
    """ORG-3, ORG-4, VII.4: who may enter the topic of a lesson, and when. Returns
    (error_kind, Polish message) or None. error_kind is 'forbidden' or 'conflict'."""
    roles = set(roles or ())
    if not (roles & set(TEACHERS) or roles & {SYSTEM}):
        return "forbidden", "Temat lekcji wpisuje nauczyciel prowadzący zajęcia."
    if SYSTEM not in roles and user_id != lesson.effective_teacher_id:
        if lesson.substitute_teacher_id and user_id == lesson.teacher_id:
            return "forbidden", ("Tę lekcję prowadzi nauczyciel zastępujący; to on wpisuje "
                                 "temat i frekwencję.")
        return "forbidden", "Temat lekcji wpisuje nauczyciel prowadzący tę lekcję."
    if lesson.status == "cancelled":
        return "conflict", "Lekcja została odwołana; nie wpisuje się jej tematu."
    if lesson.date > today:
        return "conflict", (f"Lekcja z dnia {fmt_date(lesson.date)} jeszcze się nie odbyła; "
                            f"temat wpisuje się w dniu lekcji lub później.")
    return None


def substitution_problem(lesson, substitute_teacher_id, cancel, busy_lessons=()):
    """ORG-3: checks before assigning a substitute or cancelling a lesson. ``busy_lessons``:
    the substitute's other lessons at the same date and period. Returns a Polish message
    or None."""
    if lesson.status == "held" or lesson.topic:
        return "Lekcja ma już wpisany temat (odbyła się); nie można jej zastąpić ani odwołać."
    if cancel:
        if lesson.status == "cancelled":
            return "Lekcja jest już odwołana."
        return None
    if not substitute_teacher_id:
        return "Wskaż nauczyciela zastępującego albo odwołaj lekcję."
    if substitute_teacher_id == lesson.teacher_id:
        return "Nauczyciel nie może zastępować samego siebie."
    if substitute_teacher_id == lesson.substitute_teacher_id and lesson.status != "cancelled":
        return "Ten nauczyciel już zastępuje tę lekcję."
    for other in busy_lessons:
        if other.id != lesson.id and other.status != "cancelled" \
                and other.effective_teacher_id == substitute_teacher_id:
            return (f"Nauczyciel zastępujący ma w tym czasie własną lekcję "
                    f"({fmt_date(other.date)}, lekcja {other.period}).")
    return None


def supervision(lessons, today):
    """ORG-4, V.3a, VII.10: per teacher, the lessons of the period that took place (date up to
    ``today``, not cancelled) and still have no topic. Returns
    [{teacher_id, lessons: [LessonView], substitutions_without_topic: n}] sorted by count."""
    per_teacher = {}
    for lesson in lessons:
        if lesson.status == "cancelled" or lesson.date > today or lesson.topic:
            continue
        row = per_teacher.setdefault(lesson.effective_teacher_id, {
            "teacher_id": lesson.effective_teacher_id, "lessons": [],
            "substitutions_without_topic": 0})
        row["lessons"].append(lesson)
        if lesson.substitute_teacher_id:
            row["substitutions_without_topic"] += 1
    rows = list(per_teacher.values())
    for row in rows:
        row["lessons"].sort(key=lambda l: (l.date, l.period))
    rows.sort(key=lambda r: (-len(r["lessons"]), r["teacher_id"]))
    return rows


# ----------------------------------------------------------------------------- transfers

def transfer_problem(from_class, to_class, on_date, enrolled_on):
    """ORG-5, IV.5: a transfer moves a student to another class of the same school, on a date
    not before the current enrolment began. Classes are (id, school_id, name) tuples.
    Returns (field, Polish message) or None."""
    if to_class[0] == from_class[0]:
        return "to_class_id", "Uczeń jest już w tej klasie."
    if to_class[1] != from_class[1]:
        return "to_class_id", "Nie można przenieść ucznia do klasy innej szkoły."
    if on_date < enrolled_on:
        return "on_date", (f"Data przeniesienia nie może poprzedzać wpisu do klasy {from_class[2]} "
                           f"({fmt_date(enrolled_on)}).")
    return None


# ----------------------------------------------------------------------------- trip cards

TRIP_TRANSITIONS = {
    # action: (allowed from, to)
    "submit": (("draft", "rejected"), "submitted"),
    "approve": (("submitted",), "approved"),
    "reject": (("submitted",), "rejected"),
}
TRIP_STATUS_PL = {"draft": "szkic", "submitted": "złożona", "approved": "zatwierdzona",
                  "rejected": "odrzucona"}


def trip_transition(status, action):
    """ORG-11: the trip card's life: draft → submitted → approved | rejected (a rejected card
    can be corrected and submitted again). Returns (new_status, None) or (None, message)."""
    allowed, to = TRIP_TRANSITIONS[action]
    if status not in allowed:
        return None, (f"Nie można wykonać tej operacji na karcie wycieczki o statusie "
                      f"„{TRIP_STATUS_PL.get(status, status)}”.")
    return to, None


def trip_problems(starts_on, ends_on, participant_ids, supervisor_ids):
    problems = {}
    if ends_on < starts_on:
        problems["ends_on"] = ["Wycieczka nie może kończyć się przed rozpoczęciem."]
    if not participant_ids:
        problems["participant_ids"] = ["Podaj uczestników wycieczki."]
    if not supervisor_ids:
        problems["supervisor_ids"] = ["Podaj opiekunów wycieczki."]
    if len(set(participant_ids)) != len(participant_ids):
        problems["participant_ids"] = ["Uczestnik powtarza się na liście."]
    return problems


def trip_editable(status):
    return status in ("draft", "rejected")


# ----------------------------------------------------------------------------- completeness (ORG-9)

def completeness_deadlines(year_start):
    """VI.4 and V.2: the class teacher checks students' data by 10 September, the director by
    15 September of the school year."""
    y = year_start.year
    return {"class_teacher": date(y, 9, 10), "director": date(y, 9, 15)}


# ----------------------------------------------------------------------------- iCalendar (ORG-10)

def _ics_escape(text):
    return (str(text or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _ics_fold(line):
    """RFC 5545 3.1: lines of at most 75 octets, continued with CRLF and a space."""
    out, current = [], b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(current) + len(b) > (75 if not out else 74):
            out.append(current)
            current = b""
        current += b
    out.append(current)
    return "\r\n ".join(part.decode("utf-8") for part in out)


def _ics_utc(moment):
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def ics_calendar(name, items, now):
    """An iCalendar (RFC 5545) text a calendar application can subscribe to. ``items``: dicts
    with ``uid``, ``summary``, optional ``description``, ``location``, and either ``start`` and
    ``end`` as aware datetimes, or ``date`` and optional ``ends_on`` (all-day entries)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Dziennik elektroniczny//scheduling//PL",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{_ics_escape(name)}"]
    for item in items:
        lines += ["BEGIN:VEVENT", f"UID:{item['uid']}", f"DTSTAMP:{_ics_utc(now)}"]
        if "start" in item:
            lines += [f"DTSTART:{_ics_utc(item['start'])}", f"DTEND:{_ics_utc(item['end'])}"]
        else:
            last = item.get("ends_on") or item["date"]
            lines += [f"DTSTART;VALUE=DATE:{item['date']:%Y%m%d}",
                      f"DTEND;VALUE=DATE:{last + timedelta(days=1):%Y%m%d}"]
        lines.append(f"SUMMARY:{_ics_escape(item['summary'])}")
        if item.get("description"):
            lines.append(f"DESCRIPTION:{_ics_escape(item['description'])}")
        if item.get("location"):
            lines.append(f"LOCATION:{_ics_escape(item['location'])}")
        if item.get("cancelled"):
            lines.append("STATUS:CANCELLED")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(_ics_fold(line) for line in lines) + "\r\n"
