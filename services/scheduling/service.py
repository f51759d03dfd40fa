"""scheduling: the nameko entrypoints. Each loads its arguments, checks the caller (school of
every record, role), applies the rule from ``domain`` (or ``asc`` for the import), stores, and
records events in the outbox in the same transaction."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields as mfields
from nameko.exceptions import MethodNotFound
from sqlalchemy import and_, delete, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from services.common.models import utcnow
from services.common.rpc import ServiceRpc
from services.common.service import PlatformService, typed_rpc
from services.common.validation import load

from . import asc, domain
from .export import ArchiveExport
from .models import (CalendarEvent, Enrolment, Lesson, SchoolClass, SchoolSettings, SchoolYear,
                     Subject, Substitution, TeachingAssignment, Term, TimetableEntry, Trip, new_id)
from .schemas import (AssignmentIn, AssignmentOut, CalendarEventIn, CalendarEventOut, ClassIn,
                      ClassOut, ClassUpdateIn, DecisionIn, EnrolIn, EnrolmentOut, EntryOut,
                      LessonOut, LimitsIn, RemovalIn, SubjectIn, SubjectOut, SubjectUpdateIn,
                      SubstituteIn, SubstitutionOut, TermIn, TermOut, TermUpdateIn, TimetableIn,
                      TopicIn, TransferIn, TripIn, TripOut, YearIn, YearOut, YearUpdateIn)

ADMINS = domain.ADMINS
# ORG-6, ORG-7: a student is added or struck off by the secretary, the director or the administrator.
CLASS_LIST_EDITORS = domain.roles_for("edit_class_list")
STAFF = domain.STAFF
TEACHER_ROLES = domain.TEACHERS

SCHOOL_TZ = ZoneInfo("Europe/Warsaw")
MAX_RANGE_DAYS = 370

_class_out = ClassOut()
_enrolment_out = EnrolmentOut()
_year_out, _term_out = YearOut(), TermOut()
_subject_out, _assignment_out = SubjectOut(), AssignmentOut()
_entry_out, _lesson_out, _substitution_out = EntryOut(), LessonOut(), SubstitutionOut()
_event_out, _trip_out = CalendarEventOut(), TripOut()


def today():
    """The school's date (the schools are in Poland, whatever the server's zone)."""
    return datetime.now(SCHOOL_TZ).date()


_date_field = mfields.Date()


def parse_date(value, name, *, required=True):
    """A date argument given positionally (ISO string or date); ``Invalid`` naming it otherwise."""
    if value is None and not required:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return _date_field.deserialize(value)
    except ValidationError:
        raise Invalid(f"Niepoprawne dane: {name}.", {name: ["Niepoprawna data (RRRR-MM-DD)."]})


def _range(date_from, date_to, max_days=MAX_RANGE_DAYS):
    date_from, date_to = parse_date(date_from, "date_from"), parse_date(date_to, "date_to")
    if date_to < date_from:
        raise Invalid("Data końcowa poprzedza początkową.", {"date_to": ["Za wczesna."]})
    if (date_to - date_from).days > max_days:
        raise Invalid(f"Zakres dat może obejmować najwyżej {max_days} dni.", {"date_to": ["Za późna."]})
    return date_from, date_to


class SchedulingService(ArchiveExport, PlatformService):
    name = "scheduling"
    identity = ServiceRpc("identity")
    # Optional hooks, asked only when the other service offers them (see README.md).
    attendance = ServiceRpc("attendance")
    grades = ServiceRpc("grades")

    # ======================================================================== lookups
    # One helper per record: NotFound when missing, and NotFound for another school's record
    # (TEN-1: a user never learns whether another school's id exists).

    def _get(self, model, ident, message):
        row = self.db.session.get(model, ident) if isinstance(ident, str) and ident else None
        if row is None:
            raise NotFound(message)
        self.caller.require_school(row.school_id)
        return row

    def _class(self, class_id):
        return self._get(SchoolClass, class_id, "Nie znaleziono klasy.")

    def _year(self, year_id):
        return self._get(SchoolYear, year_id, "Nie znaleziono roku szkolnego.")

    def _term(self, term_id):
        return self._get(Term, term_id, "Nie znaleziono okresu.")

    def _subject(self, subject_id):
        return self._get(Subject, subject_id, "Nie znaleziono przedmiotu.")

    def _lesson(self, lesson_id):
        return self._get(Lesson, lesson_id, "Nie znaleziono lekcji.")

    def _trip(self, trip_id):
        return self._get(Trip, trip_id, "Nie znaleziono karty wycieczki.")

    def _calendar_event(self, event_id):
        ev = self._get(CalendarEvent, event_id, "Nie znaleziono wpisu w terminarzu.")
        if ev.removed_at is not None:
            raise NotFound("Nie znaleziono wpisu w terminarzu.")
        return ev

    def _require(self, capability):
        self.caller.require_role(*domain.roles_for(capability))

    def _may(self, capability):
        return domain.may(capability, self.caller.roles)

    def _school_filter(self, column):
        """Restrict a query to the caller's school (the system and the association
        administrator see every school)."""
        c = self.caller
        if c.is_system or c.is_association_admin:
            return true()
        return column == c.school_id

    # -- people, asked of identity

    def _school_teachers(self, school_id):
        """Teacher accounts of a school, asked of identity once per worker (by role, so that a
        school's students and parents do not travel with the answer)."""
        cache = self.__dict__.setdefault("_teachers_cache", {})
        if school_id not in cache:
            found = {}
            for role in TEACHER_ROLES:
                found.update({a["id"]: a for a in self.identity.list_accounts(school_id, role)})
            cache[school_id] = found
        return cache[school_id]

    def _teacher(self, school_id, teacher_id, field="teacher_id"):
        """A teacher of the school (checked with identity), else ``Invalid`` naming the field."""
        try:
            account = self.identity.get_account(teacher_id) if isinstance(teacher_id, str) else None
        except NotFound:
            account = None
        if account is None or account["school_id"] != school_id \
                or not set(account["roles"]) & set(TEACHER_ROLES):
            raise Invalid("Wskazana osoba nie jest nauczycielem tej szkoły.", {field: ["Niepoprawny."]})
        return account

    @staticmethod
    def _person(account):
        return f"{account['first_name']} {account['last_name']}" if account else None

    def _optional_rpc(self, proxy, method, *args):
        """Ask another service for something it may not offer yet (a documented hook):
        (True, answer), or (False, None) when the method or the service is not there."""
        try:
            return True, getattr(proxy, method)(*args)
        except (MethodNotFound, Unavailable):
            return False, None

    # ======================================================================== classes (ORG-1)

    @typed_rpc
    def create_class(self, school_id, data):
        """Create a class in a school, optionally with its class teacher (ORG-1; administrators)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*ADMINS)
        data = load(ClassIn, data)
        if data["class_teacher_id"]:
            self._teacher(school_id, data["class_teacher_id"], "class_teacher_id")
        with self.db.unit_of_work() as s:
            if s.scalar(select(SchoolClass.id).where(SchoolClass.school_id == school_id,
                                                     SchoolClass.name == data["name"])):
                raise Conflict("Klasa o tej nazwie już istnieje.", {"name": ["Zajęta."]})
            cls = SchoolClass(school_id=school_id, **data)
            s.add(cls)
        return _class_out.dump(cls)

    @typed_rpc
    def update_class(self, class_id, data):
        """Rename a class or change its class teacher (wychowawca) (ORG-1; administrators)."""
        cls = self._class(class_id)
        self._require("manage_school_data")
        data = load(ClassUpdateIn, data)
        if data.get("class_teacher_id"):
            self._teacher(cls.school_id, data["class_teacher_id"], "class_teacher_id")
        with self.db.unit_of_work() as s:
            if "name" in data and data["name"] != cls.name and s.scalar(select(SchoolClass.id).where(
                    SchoolClass.school_id == cls.school_id, SchoolClass.name == data["name"])):
                raise Conflict("Klasa o tej nazwie już istnieje.", {"name": ["Zajęta."]})
            for key, value in data.items():
                setattr(cls, key, value)
        return _class_out.dump(cls)

    @typed_rpc
    def list_classes(self, school_id):
        """Classes of a school."""
        self.caller.require_school(school_id)
        rows = self.db.session.scalars(select(SchoolClass).where(
            SchoolClass.school_id == school_id).order_by(SchoolClass.name)).all()
        return _class_out.dump(rows, many=True)

    @typed_rpc
    def get_class(self, class_id):
        """One class of the caller's school."""
        return _class_out.dump(self._class(class_id))

    # ======================================================================== class lists (ORG-5..7)

    @typed_rpc
    def class_list(self, class_id, include_ended=False):
        """The class list: active enrolments, or all of them (removed, transferred) with ``include_ended``."""
        cls = self._class(class_id)
        self.caller.require_role(*STAFF)
        query = select(Enrolment).where(Enrolment.class_id == cls.id).order_by(Enrolment.enrolled_on)
        if not include_ended:
            query = query.where(Enrolment.status == "active")
        return _enrolment_out.dump(self.db.session.scalars(query).all(), many=True)

    @typed_rpc
    def enrol_student(self, class_id, data):
        """Put a student on a class list (at the start of the year, or a new student: ORG-6)."""
        cls = self._class(class_id)
        self.caller.require_role(*CLASS_LIST_EDITORS)
        data = load(EnrolIn, data)
        student = self.identity.get_account(data["student_id"])   # NotFound for another school's id
        if student["school_id"] != cls.school_id or "student" not in student["roles"]:
            raise Invalid("Na listę klasy można wpisać tylko ucznia tej szkoły.", {"student_id": ["Niepoprawny."]})
        with self.db.unit_of_work() as s:
            if s.scalar(select(Enrolment.id).where(Enrolment.student_id == student["id"],
                                                   Enrolment.status == "active")):
                raise Conflict("Uczeń jest już na liście innej klasy; użyj przeniesienia.")
            enrolment = Enrolment(school_id=cls.school_id, class_id=cls.id, student_id=student["id"],
                                  enrolled_on=data["enrolled_on"] or today(),
                                  created_by=self.caller.user_id)
            s.add(enrolment)
            s.flush()
            self.outbox.add("scheduling.student_enrolled", {"student_id": student["id"], "class_id": cls.id,
                                                            "enrolment_id": enrolment.id}, school_id=cls.school_id)
        return _enrolment_out.dump(enrolment)

    @typed_rpc
    def remove_from_class_list(self, class_id, student_id, data):
        """Skreślenie z listy uczniów (ORG-7): the enrolment ends (kept for statistics) and the
        ``student_removed`` event makes identity block the student's account."""
        cls = self._class(class_id)
        self.caller.require_role(*CLASS_LIST_EDITORS)
        data = load(RemovalIn, data)
        removed_on = data["removed_on"] or today()
        with self.db.unit_of_work() as s:
            enrolment = s.scalar(select(Enrolment).where(Enrolment.class_id == cls.id,
                                                         Enrolment.student_id == student_id,
                                                         Enrolment.status == "active"))
            if enrolment is None:
                raise NotFound("Ucznia nie ma na liście tej klasy.")
            if removed_on < enrolment.enrolled_on:
                raise Invalid("Data skreślenia nie może poprzedzać daty wpisu.", {"removed_on": ["Za wczesna."]})
            enrolment.status, enrolment.ended_on, enrolment.end_reason = "removed", removed_on, data["reason"]
            self.outbox.add("scheduling.student_removed", {
                "student_id": student_id, "class_id": cls.id, "reason": data["reason"],
                "removed_on": removed_on.isoformat()}, school_id=cls.school_id)
        return _enrolment_out.dump(enrolment)

    @typed_rpc
    def transfer_student(self, student_id, data):
        """Przeniesienie ucznia do innej klasy tej samej szkoły (ORG-5, IV.5; secretary, director,
        administrator): the old enrolment ends as ``transferred`` (kept), a new one starts on
        ``on_date``, and ``scheduling.student_transferred`` lets grades and attendance follow the
        student, so the history is complete in the new class."""
        self.caller.require_role(*CLASS_LIST_EDITORS)
        data = load(TransferIn, data)
        s = self.db.session
        current = s.scalar(select(Enrolment).where(
            Enrolment.student_id == student_id, Enrolment.status == "active",
            self._school_filter(Enrolment.school_id))) if isinstance(student_id, str) else None
        if current is None:
            raise NotFound("Uczeń nie jest wpisany na listę żadnej klasy tej szkoły.")
        self.caller.require_school(current.school_id)
        from_class = s.get(SchoolClass, current.class_id)
        to_class = self._class(data["to_class_id"])     # another school's class: NotFound (TEN-1)
        on_date = data["on_date"] or today()
        problem = domain.transfer_problem((from_class.id, from_class.school_id, from_class.name),
                                          (to_class.id, to_class.school_id, to_class.name),
                                          on_date, current.enrolled_on)
        if problem:
            field, message = problem
            raise Invalid(message, {field: [message]})
        with self.db.unit_of_work():
            current.status, current.ended_on = "transferred", on_date
            current.end_reason = data["reason"] or f"przeniesienie do klasy {to_class.name}"
            new = Enrolment(school_id=to_class.school_id, class_id=to_class.id, student_id=student_id,
                            enrolled_on=on_date, created_by=self.caller.user_id)
            s.add(new)
            s.flush()
            self.outbox.add("scheduling.student_transferred", {
                "student_id": student_id, "from_class_id": from_class.id, "to_class_id": to_class.id},
                school_id=to_class.school_id)
        return {"from": _enrolment_out.dump(current), "to": _enrolment_out.dump(new)}

    @typed_rpc
    def student_class(self, student_id, include_history=False):
        """The student's active class (ORG-5): ``class_id`` (None when the student is on no list)
        and the enrolment, and with ``include_history`` every enrolment (transfers and removals
        included). Staff, the student, or a guardian."""
        c = self.caller
        c.require_authenticated()
        if not (c.has_role(*STAFF) or c.is_association_admin or c.user_id == student_id):
            if not c.has_role(domain.PARENT):
                raise Forbidden()
            if student_id not in c.children_ids(self.identity):
                raise NotFound("Nie znaleziono ucznia.")
        s = self.db.session
        rows = s.scalars(select(Enrolment).where(
            Enrolment.student_id == student_id, self._school_filter(Enrolment.school_id))
            .order_by(Enrolment.enrolled_on, Enrolment.created_at)).all() if isinstance(student_id, str) else []
        names = self._class_names({r.class_id for r in rows})
        history = [dict(_enrolment_out.dump(r), class_name=names.get(r.class_id)) for r in rows]
        active = next((h for h in history if h["status"] == "active"), None)
        out = {"student_id": student_id, "class_id": active["class_id"] if active else None,
               "class_name": active["class_name"] if active else None, "active": active}
        if include_history:
            out["history"] = history
        return out

    def _class_names(self, ids):
        ids = [i for i in ids if i]
        if not ids:
            return {}
        return dict(self.db.session.execute(select(SchoolClass.id, SchoolClass.name).where(
            SchoolClass.id.in_(ids))).all())

    def _subject_names(self, ids):
        ids = [i for i in ids if i]
        if not ids:
            return {}
        return dict(self.db.session.execute(select(Subject.id, Subject.name).where(
            Subject.id.in_(ids))).all())

    # ======================================================================== years and terms (ORG-1)

    def _year_out(self, year):
        terms = self.db.session.scalars(select(Term).where(Term.year_id == year.id)
                                        .order_by(Term.starts_on)).all()
        return dict(_year_out.dump(year), terms=_term_out.dump(terms, many=True))

    def _check_year_open(self, year):
        if year.closed_at is not None:
            raise Conflict(f"Rok szkolny {year.name} jest zamknięty; nie można go już zmieniać.")

    @typed_rpc
    def create_school_year(self, school_id, data):
        """Create a school year with its terms (okresy) and their dates (ORG-1; administrators)."""
        self.caller.require_school(school_id)
        self._require("manage_school_data")
        data = load(YearIn, data)
        s = self.db.session
        others = [domain.Span(y.id, y.name, y.starts_on, y.ends_on) for y in s.scalars(
            select(SchoolYear).where(SchoolYear.school_id == school_id))]
        problems = domain.year_problems(data["starts_on"], data["ends_on"], others)
        if problems:
            raise Invalid(" ".join(problems), {"ends_on": problems})
        span = domain.Span("new", data["name"], data["starts_on"], data["ends_on"])
        placed = []
        for i, term in enumerate(data["terms"]):
            tp = domain.term_problems(term["starts_on"], term["ends_on"], span, placed)
            if tp:
                raise Invalid(" ".join(tp), {f"terms.{i}": tp})
            placed.append(domain.Span(str(i), term["name"], term["starts_on"], term["ends_on"]))
        with self.db.unit_of_work():
            if s.scalar(select(SchoolYear.id).where(SchoolYear.school_id == school_id,
                                                    SchoolYear.name == data["name"])):
                raise Conflict("Rok szkolny o tej nazwie już istnieje.", {"name": ["Zajęta."]})
            year = SchoolYear(school_id=school_id, name=data["name"], starts_on=data["starts_on"],
                              ends_on=data["ends_on"], created_by=self.caller.user_id)
            s.add(year)
            s.flush()
            for term in data["terms"]:
                s.add(Term(school_id=school_id, year_id=year.id, **term))
        return self._year_out(year)

    @typed_rpc
    def update_school_year(self, year_id, data):
        """Change a school year's dates; its terms must still fit (ORG-1; administrators)."""
        year = self._year(year_id)
        self._require("manage_school_data")
        self._check_year_open(year)
        data = load(YearUpdateIn, data)
        s = self.db.session
        starts, ends = data.get("starts_on", year.starts_on), data.get("ends_on", year.ends_on)
        others = [domain.Span(y.id, y.name, y.starts_on, y.ends_on) for y in s.scalars(
            select(SchoolYear).where(SchoolYear.school_id == year.school_id, SchoolYear.id != year.id))]
        problems = domain.year_problems(starts, ends, others)
        span = domain.Span(year.id, year.name, starts, ends)
        for term in s.scalars(select(Term).where(Term.year_id == year.id)):
            problems += domain.term_problems(term.starts_on, term.ends_on, span)
        if problems:
            raise Invalid(" ".join(dict.fromkeys(problems)), {"starts_on": problems})
        with self.db.unit_of_work():
            year.starts_on, year.ends_on = starts, ends
        return self._year_out(year)

    @typed_rpc
    def list_school_years(self, school_id):
        """The school's years with their terms, newest first."""
        self.caller.require_school(school_id)
        self.caller.require_authenticated()
        years = self.db.session.scalars(select(SchoolYear).where(SchoolYear.school_id == school_id)
                                        .order_by(SchoolYear.starts_on.desc())).all()
        return [self._year_out(y) for y in years]

    def _term_problems(self, year, starts, ends, exclude_id=None):
        others = [domain.Span(t.id, t.name, t.starts_on, t.ends_on) for t in self.db.session.scalars(
            select(Term).where(Term.year_id == year.id, Term.id != (exclude_id or "")))]
        return domain.term_problems(starts, ends, domain.Span(year.id, year.name, year.starts_on,
                                                              year.ends_on), others)

    @typed_rpc
    def create_term(self, year_id, data):
        """Add a term (okres) to a school year (ORG-1; administrators)."""
        year = self._year(year_id)
        self._require("manage_school_data")
        self._check_year_open(year)
        data = load(TermIn, data)
        problems = self._term_problems(year, data["starts_on"], data["ends_on"])
        if problems:
            raise Invalid(" ".join(problems), {"starts_on": problems})
        with self.db.unit_of_work() as s:
            term = Term(school_id=year.school_id, year_id=year.id, **data)
            s.add(term)
        return _term_out.dump(term)

    @typed_rpc
    def update_term(self, term_id, data):
        """Rename a term or change its dates; the timetable already set must stay inside it
        (ORG-1; administrators)."""
        term = self._term(term_id)
        self._require("manage_school_data")
        year = self.db.session.get(SchoolYear, term.year_id)
        self._check_year_open(year)
        data = load(TermUpdateIn, data)
        starts, ends = data.get("starts_on", term.starts_on), data.get("ends_on", term.ends_on)
        problems = self._term_problems(year, starts, ends, exclude_id=term.id)
        if problems:
            raise Invalid(" ".join(problems), {"starts_on": problems})
        s = self.db.session
        outside = s.scalar(select(func.count()).select_from(TimetableEntry).where(
            TimetableEntry.term_id == term.id,
            or_(TimetableEntry.valid_from < starts, TimetableEntry.valid_from > ends)))
        if outside:
            raise Conflict(f"Plan lekcji tego okresu ma {domain.count_pl(outside, 'wpis', 'wpisy', 'wpisów')} "
                           f"poza nowymi datami; popraw najpierw plan.")
        with self.db.unit_of_work():
            for key, value in data.items():
                setattr(term, key, value)
        return _term_out.dump(term)

    @typed_rpc
    def delete_term(self, term_id):
        """Delete a term that has no timetable yet (ORG-1; administrators)."""
        term = self._term(term_id)
        self._require("manage_school_data")
        self._check_year_open(self.db.session.get(SchoolYear, term.year_id))
        with self.db.unit_of_work() as s:
            if s.scalar(select(TimetableEntry.id).where(TimetableEntry.term_id == term.id).limit(1)):
                raise Conflict("Okres ma już plan lekcji; nie można go usunąć.")
            s.delete(term)
        return {"deleted": term_id}

    @typed_rpc
    def current_term(self, school_id, on_date=None):
        """The term (with its year) that contains ``on_date`` (default: today), or None."""
        self.caller.require_school(school_id)
        self.caller.require_authenticated()
        day = parse_date(on_date, "on_date", required=False) or today()
        term = self.db.session.scalar(select(Term).where(
            Term.school_id == school_id, Term.starts_on <= day, Term.ends_on >= day))
        if term is None:
            return None
        return dict(_term_out.dump(term), year=_year_out.dump(self.db.session.get(SchoolYear, term.year_id)))

    @typed_rpc
    def close_school_year(self, year_id):
        """Close a school year after its last day (LAW-5, ARC-1; administrators): nothing in it can
        change any more, and ``scheduling.school_year_closed`` starts the yearly archive."""
        year = self._year(year_id)
        self._require("manage_school_data")
        self._check_year_open(year)
        if today() <= year.ends_on:
            raise Conflict(f"Rok szkolny {year.name} trwa do {domain.fmt_date(year.ends_on)}; "
                           f"można go zamknąć po jego zakończeniu.")
        with self.db.unit_of_work():
            year.closed_at, year.closed_by = utcnow(), self.caller.user_id
            self.outbox.add("scheduling.school_year_closed", {
                "year_id": year.id, "name": year.name, "starts_on": year.starts_on.isoformat(),
                "ends_on": year.ends_on.isoformat()}, school_id=year.school_id)
        return self._year_out(year)

    # ======================================================================== subjects (ORG-1)

    @typed_rpc
    def create_subject(self, school_id, data):
        """Create a subject of the school (ORG-1; administrators)."""
        self.caller.require_school(school_id)
        self._require("manage_school_data")
        data = load(SubjectIn, data)
        with self.db.unit_of_work() as s:
            self._check_subject_name(school_id, data["name"])
            subject = Subject(school_id=school_id, **data)
            s.add(subject)
        return _subject_out.dump(subject)

    def _check_subject_name(self, school_id, name, exclude_id=None):
        same = self.db.session.scalar(select(Subject.id).where(
            Subject.school_id == school_id, func.lower(Subject.name) == name.lower(),
            Subject.id != (exclude_id or "")))
        if same:
            raise Conflict("Przedmiot o tej nazwie już istnieje.", {"name": ["Zajęta."]})

    @typed_rpc
    def update_subject(self, subject_id, data):
        """Rename a subject or change its short name (ORG-1; administrators)."""
        subject = self._subject(subject_id)
        self._require("manage_school_data")
        data = load(SubjectUpdateIn, data)
        with self.db.unit_of_work():
            if "name" in data:
                self._check_subject_name(subject.school_id, data["name"], exclude_id=subject.id)
            for key, value in data.items():
                setattr(subject, key, value)
        return _subject_out.dump(subject)

    @typed_rpc
    def list_subjects(self, school_id):
        """Subjects of a school, by name."""
        self.caller.require_school(school_id)
        self.caller.require_authenticated()
        rows = self.db.session.scalars(select(Subject).where(Subject.school_id == school_id)
                                       .order_by(Subject.name)).all()
        return _subject_out.dump(rows, many=True)

    @typed_rpc
    def get_subject(self, subject_id):
        """One subject of the caller's school."""
        self.caller.require_authenticated()
        return _subject_out.dump(self._subject(subject_id))

    # ======================================================================== assignments (ORG-1)

    def _assignment_rows(self, rows):
        subjects = self._subject_names({r.subject_id for r in rows})
        classes = self._class_names({r.class_id for r in rows})
        return [dict(_assignment_out.dump(r), subject_name=subjects.get(r.subject_id),
                     class_name=classes.get(r.class_id)) for r in rows]

    @typed_rpc
    def create_assignment(self, school_id, data):
        """Przydział zajęć: a teacher teaches a subject in a class or one group of it (ORG-1;
        administrators)."""
        self.caller.require_school(school_id)
        self._require("manage_school_data")
        data = load(AssignmentIn, data)
        group = data["group_name"] or ""
        cls, subject = self._class(data["class_id"]), self._subject(data["subject_id"])
        if cls.school_id != school_id or subject.school_id != school_id:
            raise NotFound("Nie znaleziono klasy lub przedmiotu.")
        self._teacher(school_id, data["teacher_id"])
        with self.db.unit_of_work() as s:
            if s.scalar(select(TeachingAssignment.id).where(
                    TeachingAssignment.teacher_id == data["teacher_id"],
                    TeachingAssignment.subject_id == subject.id, TeachingAssignment.class_id == cls.id,
                    TeachingAssignment.group_name == group)):
                raise Conflict("Taki przydział zajęć już istnieje.")
            row = TeachingAssignment(school_id=school_id, teacher_id=data["teacher_id"],
                                     subject_id=subject.id, class_id=cls.id, group_name=group,
                                     created_by=self.caller.user_id)
            s.add(row)
        return self._assignment_rows([row])[0]

    @typed_rpc
    def delete_assignment(self, assignment_id):
        """Remove a teaching assignment (ORG-1; administrators). The timetable is not changed."""
        row = self._get(TeachingAssignment, assignment_id, "Nie znaleziono przydziału zajęć.")
        self._require("manage_school_data")
        with self.db.unit_of_work() as s:
            s.delete(row)
        return {"deleted": assignment_id}

    @typed_rpc
    def list_assignments(self, school_id, class_id=None):
        """Teaching assignments of a school, or of one class."""
        self.caller.require_school(school_id)
        self.caller.require_role(*STAFF)
        query = select(TeachingAssignment).where(TeachingAssignment.school_id == school_id)
        if class_id:
            query = query.where(TeachingAssignment.class_id == self._class(class_id).id)
        return self._assignment_rows(self.db.session.scalars(query).all())

    @typed_rpc
    def assignments_of_teacher(self, teacher_id):
        """What a teacher teaches: subjects and classes (groups), in the caller's school. Used by
        grades and attendance to decide whose lessons a teacher manages (GRD-7, ATT-6)."""
        self.caller.require_role(*STAFF)
        rows = self.db.session.scalars(select(TeachingAssignment).where(
            TeachingAssignment.teacher_id == teacher_id,
            self._school_filter(TeachingAssignment.school_id))).all() if isinstance(teacher_id, str) else []
        return self._assignment_rows(rows)

    def _ensure_assignments(self, school_id, rows):
        """Every (teacher, subject, class, group) of a timetable is a teaching assignment."""
        s = self.db.session
        wanted = {(r.teacher_id, r.subject_id, r.class_id, r.group_name) for r in rows}
        if not wanted:
            return
        existing = set(s.execute(select(TeachingAssignment.teacher_id, TeachingAssignment.subject_id,
                                        TeachingAssignment.class_id, TeachingAssignment.group_name)
                                 .where(TeachingAssignment.school_id == school_id)).all())
        missing = [{"id": new_id(), "school_id": school_id, "teacher_id": teacher_id,
                    "subject_id": subject_id, "class_id": class_id, "group_name": group or "",
                    "created_by": self.caller.user_id, "created_at": utcnow()}
                   for teacher_id, subject_id, class_id, group in sorted(wanted - existing)]
        if missing:
            # Two timetables of one class saved at the same moment (its two terms) both find the
            # assignment missing: the second insert is skipped instead of failing the whole save.
            insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
            s.execute(insert(TeachingAssignment).on_conflict_do_nothing(), missing)

    # ======================================================================== timetable (ORG-2)

    def _open_term(self, term_id, school_id=None):
        term = self._term(term_id)
        if school_id is not None and term.school_id != school_id:
            raise NotFound("Nie znaleziono okresu.")
        self._check_year_open(self.db.session.get(SchoolYear, term.year_id))
        return term

    def _term_ends(self, school_id):
        return dict(self.db.session.execute(select(Term.id, Term.ends_on).where(
            Term.school_id == school_id)).all())

    @staticmethod
    def _slot(row, term_ends=None, valid_to=None):
        """A stored entry as the rules see it, its validity bounded by its term's end."""
        end = valid_to if valid_to is not None else row.valid_to
        if term_ends is not None and row.term_id in term_ends:
            end = min(end, term_ends[row.term_id]) if end else term_ends[row.term_id]
        return domain.Slot(row.weekday, row.period, row.class_id, row.teacher_id, row.valid_from,
                           end, row.room, row.group_name or "", row.subject_id, row.id,
                           row.shared_key, row.starts_at, row.ends_at)

    def _plan_replacements(self, class_ids, term, valid_from):
        """Entries of ``class_ids`` in ``term`` to close (valid_to) or drop from ``valid_from``."""
        rows = self.db.session.scalars(select(TimetableEntry).where(
            TimetableEntry.term_id == term.id, TimetableEntry.class_id.in_(class_ids))).all() if class_ids else []
        by_id = {r.id: r for r in rows}
        to_close, to_drop = domain.plan_replacement([self._slot(r) for r in rows], valid_from)
        return [(by_id[s.id], end) for s, end in to_close], [by_id[s.id] for s in to_drop]

    def _check_conflicts(self, school_id, new_slots, to_close, to_drop, labels):
        """Refuse (Conflict naming every clash) when the new entries clash with each other or
        with the school's timetable as it will be after the replacement."""
        term_ends = self._term_ends(school_id)
        closing = {row.id: end for row, end in to_close}
        dropping = {row.id for row in to_drop}
        existing = []
        weekdays = {s.weekday for s in new_slots}
        for row in self.db.session.scalars(select(TimetableEntry).where(
                TimetableEntry.school_id == school_id, TimetableEntry.weekday.in_(sorted(weekdays) or [0]))):
            if row.id in dropping:
                continue
            existing.append(self._slot(row, term_ends, closing.get(row.id)))
        conflicts = domain.timetable_conflicts(new_slots, existing)
        if conflicts:
            messages = list(dict.fromkeys(domain.describe_conflict(c, labels) for c in conflicts))
            raise Conflict("Plan lekcji koliduje z istniejącym planem: " + " ".join(messages[:5])
                           + (f" (i {len(messages) - 5} innych kolizji)" if len(messages) > 5 else ""),
                           {"entries": messages[:50]})

    def _labels(self, school_id, extra_subjects=None):
        labels = {a["id"]: self._person(a) for a in self._school_teachers(school_id).values()}
        labels.update(dict(self.db.session.execute(select(SchoolClass.id, SchoolClass.name).where(
            SchoolClass.school_id == school_id)).all()))
        labels.update(dict(self.db.session.execute(select(Subject.id, Subject.name).where(
            Subject.school_id == school_id)).all()))
        labels.update(extra_subjects or {})
        return labels

    def _apply_replacement(self, to_close, to_drop, class_ids, valid_from):
        """Write the replacement: close and drop old entries; forget untouched future lessons
        materialised from them (they are made again from the new timetable on demand)."""
        s = self.db.session
        for row, end in to_close:
            row.valid_to = end
        first_free_day = max(valid_from, today() + timedelta(days=1))
        if class_ids:
            s.execute(delete(Lesson).where(
                Lesson.class_id.in_(class_ids), Lesson.date >= first_free_day, Lesson.status == "planned",
                Lesson.topic.is_(None), Lesson.substitute_teacher_id.is_(None),
                ~select(Substitution.id).where(Substitution.lesson_id == Lesson.id).exists()))
        dropped = [row.id for row in to_drop]
        if dropped:
            s.execute(update(Lesson).where(Lesson.timetable_entry_id.in_(dropped))
                      .values(timetable_entry_id=None))
            s.execute(delete(TimetableEntry).where(TimetableEntry.id.in_(dropped)))

    @typed_rpc
    def set_timetable(self, class_id, term_id, data):
        """Set (or replace) a class's weekly timetable in a term from ``valid_from`` (ORG-2, IV.2d;
        administrators): entries valid before that date end the day before, so the past stays
        as it was. Refused with a Conflict naming every clash (a teacher or a room in two
        places, a class in two lessons) and a date outside the term; nothing is half-written."""
        cls = self._class(class_id)
        self._require("manage_timetable")
        term = self._open_term(term_id, cls.school_id)
        data = load(TimetableIn, data)
        valid_from = data["valid_from"] or domain.default_valid_from(term, today())
        problem = domain.date_in_term_problem(valid_from, term, "Zmiana planu")
        if problem:
            raise Invalid(problem, {"valid_from": [problem]})
        s = self.db.session
        subject_ids = {e["subject_id"] for e in data["entries"]}
        known = set(s.scalars(select(Subject.id).where(Subject.school_id == cls.school_id,
                                                       Subject.id.in_(subject_ids or {""}))))
        teachers = self._school_teachers(cls.school_id)
        fields_errors = {}
        for i, e in enumerate(data["entries"]):
            if e["subject_id"] not in known:
                fields_errors.setdefault(f"entries.{i}.subject_id", []).append("Nieznany przedmiot.")
            if e["teacher_id"] not in teachers:
                fields_errors.setdefault(f"entries.{i}.teacher_id", []).append(
                    "To nie jest nauczyciel tej szkoły.")
            if e["ends_at"] <= e["starts_at"]:
                fields_errors.setdefault(f"entries.{i}.ends_at", []).append(
                    "Lekcja musi kończyć się po jej rozpoczęciu.")
        if fields_errors:
            raise Invalid("Niepoprawne wpisy planu: " + ", ".join(sorted(fields_errors)) + ".", fields_errors)
        new_slots = [domain.Slot(e["weekday"], e["period"], cls.id, e["teacher_id"], valid_from,
                                 term.ends_on, e["room"] or None, e["group_name"] or "", e["subject_id"])
                     for e in data["entries"]]
        to_close, to_drop = self._plan_replacements([cls.id], term, valid_from)
        self._check_conflicts(cls.school_id, new_slots, to_close, to_drop, self._labels(cls.school_id))
        with self.db.unit_of_work():
            self._apply_replacement(to_close, to_drop, [cls.id], valid_from)
            rows = [TimetableEntry(school_id=cls.school_id, term_id=term.id, class_id=cls.id,
                                   weekday=e["weekday"], period=e["period"], starts_at=e["starts_at"],
                                   ends_at=e["ends_at"], subject_id=e["subject_id"], teacher_id=e["teacher_id"],
                                   room=e["room"] or None, group_name=e["group_name"] or "",
                                   valid_from=valid_from, source="manual", created_by=self.caller.user_id)
                    for e in data["entries"]]
            s.add_all(rows)
            self._ensure_assignments(cls.school_id, rows)
        return {"class_id": cls.id, "term_id": term.id, "valid_from": valid_from.isoformat(),
                "entries": _entry_out.dump(rows, many=True)}

    @typed_rpc
    def timetable(self, class_id, term_id, on_date=None, include_history=False):
        """A class's timetable entries in a term: those in force on ``on_date`` (default: today,
        or the term's first day if the term has not begun), or every entry with its validity
        (``include_history``) (ORG-2)."""
        cls = self._class(class_id)
        self._require("view_timetable")
        term = self._term(term_id)
        if term.school_id != cls.school_id:
            raise NotFound("Nie znaleziono okresu.")
        query = select(TimetableEntry).where(TimetableEntry.class_id == cls.id,
                                             TimetableEntry.term_id == term.id)
        if not include_history:
            day = parse_date(on_date, "on_date", required=False) or domain.default_valid_from(term, today())
            query = query.where(TimetableEntry.valid_from <= day,
                                or_(TimetableEntry.valid_to.is_(None), TimetableEntry.valid_to >= day))
        rows = self.db.session.scalars(query.order_by(TimetableEntry.weekday, TimetableEntry.period,
                                                      TimetableEntry.group_name, TimetableEntry.valid_from)).all()
        names = self._subject_names({r.subject_id for r in rows})
        return [dict(_entry_out.dump(r), subject_name=names.get(r.subject_id)) for r in rows]

    # -- aSc Timetables import

    @typed_rpc
    def import_asc_timetable(self, school_id, term_id, xml_text, valid_from=None, dry_run=False):
        """Import the timetables of a term from an aSc Timetables XML export (ORG-2; administrators;
        the supported subset is in services/scheduling/README.md). Teachers and classes are matched
        by name to the school's records, subjects too or created. All or nothing: anything that
        cannot be mapped, a clash, or a file that is not such an export is refused with a report,
        and nothing is written. ``dry_run`` returns the report without writing."""
        self.caller.require_school(school_id)
        self._require("manage_timetable")
        term = self._open_term(term_id, school_id)
        valid_from = parse_date(valid_from, "valid_from", required=False) or domain.default_valid_from(term, today())
        problem = domain.date_in_term_problem(valid_from, term, "Zmiana planu")
        if problem:
            raise Invalid(problem, {"valid_from": [problem]})
        try:
            parsed = asc.read_asc(xml_text)
        except asc.AscFormatError as exc:
            raise Invalid(exc.message, {"xml_text": exc.problems[:50] or [exc.message]})
        s = self.db.session
        classes = s.execute(select(SchoolClass.id, SchoolClass.name).where(
            SchoolClass.school_id == school_id)).all()
        teachers = [(a["id"], a["first_name"], a["last_name"]) for a in self._school_teachers(school_id).values()]
        subjects = s.execute(select(Subject.id, Subject.name, Subject.short_name).where(
            Subject.school_id == school_id)).all()
        plan = asc.plan_import(parsed, classes, teachers, subjects)
        if plan.unmapped["classes"] or plan.unmapped["teachers"]:
            parts = []
            if plan.unmapped["classes"]:
                parts.append("klas: " + ", ".join(plan.unmapped["classes"]))
            if plan.unmapped["teachers"]:
                parts.append("nauczycieli: " + ", ".join(plan.unmapped["teachers"]))
            raise Invalid("Nie zaimportowano planu: w szkole nie znaleziono " + "; ".join(parts)
                          + ". Załóż brakujące klasy i konta nauczycieli (lub popraw nazwy) i spróbuj ponownie.",
                          {"classes": plan.unmapped["classes"], "teachers": plan.unmapped["teachers"]})
        if not plan.slots:
            raise Invalid("Plik nie zawiera lekcji do zaimportowania.", {"xml_text": plan.warnings or ["Brak lekcji."]})
        class_ids = sorted({slot.class_id for slot in plan.slots})
        new_slots = [domain.Slot(p.weekday, p.period, p.class_id, p.teacher_id, valid_from, term.ends_on,
                                 p.room, p.group, p.subject_key, shared_key=p.shared_key)
                     for p in plan.slots]
        to_close, to_drop = self._plan_replacements(class_ids, term, valid_from)
        extra = {key: value["name"] for key, value in plan.new_subjects.items()}
        self._check_conflicts(school_id, new_slots, to_close, to_drop, self._labels(school_id, extra))
        class_names = dict(classes)
        per_class = {}
        for slot in plan.slots:
            per_class[slot.class_id] = per_class.get(slot.class_id, 0) + 1
        report = {
            "dry_run": bool(dry_run), "term_id": term.id, "valid_from": valid_from.isoformat(),
            "asc_version": parsed.version, "entries": len(plan.slots),
            "classes": sorted(({"class_id": cid, "name": class_names[cid], "entries": per_class[cid]}
                               for cid in class_ids), key=lambda c: asc.norm_class(c["name"])),
            "teachers_mapped": len(plan.mapped["teachers"]),
            "subjects_mapped": sorted(plan.mapped["subjects"]),
            "subjects_created": sorted(v["name"] for v in plan.new_subjects.values()),
            "entries_replaced": len(to_close) + len(to_drop),
            "warnings": plan.warnings, "unmapped": plan.unmapped,
        }
        if dry_run:
            return report
        with self.db.unit_of_work():
            subject_ids = {}
            for key, value in plan.new_subjects.items():
                subject = Subject(school_id=school_id, **value)
                s.add(subject)
                s.flush()
                subject_ids[key] = subject.id
            self._apply_replacement(to_close, to_drop, class_ids, valid_from)
            rows = [TimetableEntry(school_id=school_id, term_id=term.id, class_id=p.class_id, weekday=p.weekday,
                                   period=p.period, starts_at=p.starts_at, ends_at=p.ends_at,
                                   subject_id=subject_ids.get(p.subject_key, p.subject_key), teacher_id=p.teacher_id,
                                   room=p.room, group_name=p.group, shared_key=p.shared_key,
                                   valid_from=valid_from, source="asc", created_by=self.caller.user_id)
                    for p in plan.slots]
            s.add_all(rows)
            self._ensure_assignments(school_id, rows)
        return report

    # ======================================================================== weeks (ORG-2)

    def _entries_on(self, day, *, class_ids=None, teacher_id=None, school_id=None):
        """Timetable entries in force on ``day`` (inside their term)."""
        query = select(TimetableEntry).join(Term, Term.id == TimetableEntry.term_id).where(
            TimetableEntry.weekday == day.isoweekday(), TimetableEntry.valid_from <= day,
            or_(TimetableEntry.valid_to.is_(None), TimetableEntry.valid_to >= day),
            Term.starts_on <= day, Term.ends_on >= day)
        if class_ids is not None:
            query = query.where(TimetableEntry.class_id.in_(class_ids or [""]))
        if teacher_id is not None:
            query = query.where(TimetableEntry.teacher_id == teacher_id)
        if school_id is not None:
            query = query.where(TimetableEntry.school_id == school_id)
        return self.db.session.scalars(query).all()

    def _events_between(self, school_id, date_from, date_to, class_ids=None, kinds=None):
        """Calendar entries (not removed) overlapping the range, of the school, for the given
        classes and school-wide (all classes when ``class_ids`` is None)."""
        query = select(CalendarEvent).where(
            CalendarEvent.school_id == school_id, CalendarEvent.removed_at.is_(None),
            CalendarEvent.date <= date_to,
            or_(and_(CalendarEvent.ends_on.is_(None), CalendarEvent.date >= date_from),
                CalendarEvent.ends_on >= date_from))
        if class_ids is not None:
            query = query.where(or_(CalendarEvent.class_id.is_(None), CalendarEvent.class_id.in_(class_ids or [""])))
        if kinds:
            query = query.where(CalendarEvent.kind.in_(kinds))
        return self.db.session.scalars(query.order_by(CalendarEvent.date, CalendarEvent.period,
                                                      CalendarEvent.created_at)).all()

    @staticmethod
    def _cal(ev, subject_names=None):
        return domain.CalEvent(ev.id, ev.kind, ev.date, ev.ends_on, ev.class_id, ev.title,
                               (subject_names or {}).get(ev.subject_id))

    def _materialise(self, school_id, class_ids, day):
        """Make the lessons the timetable gives ``class_ids`` on ``day`` (ORG-4): idempotent, one
        lesson per (class, date, period, group); none on a day off. Safe when two workers do it
        at once (the unique key decides; the loser re-reads)."""
        if day.isoweekday() > 5 or not class_ids:
            return
        s = self.db.session
        for _attempt in range(3):
            entries = self._entries_on(day, class_ids=class_ids)
            if not entries:
                return
            days_off = [self._cal(e) for e in self._events_between(school_id, day, day, class_ids, ["day_off"])]
            existing = {}
            for cid, period, group in s.execute(select(Lesson.class_id, Lesson.period, Lesson.group_name).where(
                    Lesson.class_id.in_(class_ids), Lesson.date == day)):
                existing.setdefault(cid, set()).add((period, group))
            by_class, by_id = {}, {e.id: e for e in entries}
            for e in entries:
                by_class.setdefault(e.class_id, []).append(self._slot(e))
            new = []
            for cid, slots in by_class.items():
                off = domain.day_off_for(day, cid, days_off)
                for slot in domain.lessons_to_create(slots, day, existing.get(cid, set()), off):
                    e = by_id[slot.id]
                    new.append(Lesson(school_id=e.school_id, class_id=e.class_id, timetable_entry_id=e.id,
                                      subject_id=e.subject_id, teacher_id=e.teacher_id, date=day,
                                      period=e.period, starts_at=e.starts_at, ends_at=e.ends_at, room=e.room,
                                      group_name=e.group_name, status="planned"))
            if not new:
                return
            try:
                with self.db.unit_of_work():
                    s.add_all(new)
                return
            except IntegrityError:
                continue   # another worker made some of them meanwhile: look again

    def _materialise_for_teacher(self, school_id, teacher_id, day):
        class_ids = sorted({e.class_id for e in self._entries_on(day, teacher_id=teacher_id, school_id=school_id)})
        self._materialise(school_id, class_ids, day)

    def _lesson_dicts(self, lessons, include_topics=True, subjects=None, classes=None):
        if subjects is None:
            subjects = self._subject_names({l.subject_id for l in lessons})
        if classes is None:
            classes = self._class_names({l.class_id for l in lessons})
        out = []
        for lesson in lessons:
            d = _lesson_out.dump(lesson)
            d["subject_name"], d["class_name"] = subjects.get(lesson.subject_id), classes.get(lesson.class_id)
            if not include_topics:
                d["topic"] = d["topic_entered_at"] = d["topic_entered_by"] = None
            out.append(d)
        return out

    def _week(self, school_id, days, entries_by_day, lessons, events, include_topics, teacher_id=None):
        """Merge the timetable with the lessons already made (substitutions, cancellations,
        topics) into one week view."""
        subjects = self._subject_names({e.subject_id for es in entries_by_day.values() for e in es}
                                       | {l.subject_id for l in lessons} | {e.subject_id for e in events})
        classes = self._class_names({e.class_id for es in entries_by_day.values() for e in es}
                                    | {l.class_id for l in lessons})
        cal = [self._cal(e, subjects) for e in events]
        by_key = {(l.class_id, l.date, l.period, l.group_name): l for l in lessons}
        out = []
        for day in days:
            items, seen = [], set()
            for lesson in (l for l in lessons if l.date == day):
                seen.add((lesson.class_id, lesson.period, lesson.group_name))
                d = self._lesson_dicts([lesson], include_topics, subjects, classes)[0]
                d["lesson_id"] = d.pop("id")
                if teacher_id:
                    d["substituting"] = lesson.substitute_teacher_id == teacher_id
                    d["substituted"] = bool(lesson.substitute_teacher_id) and lesson.substitute_teacher_id != teacher_id
                items.append(d)
            for e in entries_by_day.get(day, []):
                key = (e.class_id, e.period, e.group_name)
                if key in seen or (e.class_id, day, e.period, e.group_name) in by_key:
                    continue
                if domain.day_off_for(day, e.class_id, cal):
                    continue
                item = {"lesson_id": None, "class_id": e.class_id, "class_name": classes.get(e.class_id),
                        "subject_id": e.subject_id, "subject_name": subjects.get(e.subject_id),
                        "teacher_id": e.teacher_id, "substitute_teacher_id": None, "date": day.isoformat(),
                        "period": e.period, "starts_at": e.starts_at.strftime("%H:%M"),
                        "ends_at": e.ends_at.strftime("%H:%M"), "room": e.room, "group_name": e.group_name,
                        "status": "planned", "topic": None}
                if teacher_id:
                    item["substituting"] = item["substituted"] = False
                items.append(item)
            items.sort(key=lambda i: (i["period"], i.get("class_name") or "", i["group_name"]))
            day_events = [_event_out.dump(ev) for ev in events if self._cal(ev).covers(day)]
            off = next((ev for ev in day_events if ev["kind"] == "day_off"), None)
            out.append({"date": day.isoformat(), "weekday": day.isoweekday(),
                        "weekday_name": domain.WEEKDAYS_PL[day.isoweekday()],
                        "day_off": off, "lessons": items, "events": day_events})
        return out

    @typed_rpc
    def class_week(self, class_id, date):
        """A class's week (Monday to Friday of the week of ``date``): the timetable in force each
        day, with substitutions, cancellations and days off, and the calendar's entries (ORG-2,
        ORG-3, ORG-10). Topics are shown to staff only."""
        cls = self._class(class_id)
        self._require("view_timetable")
        days = domain.school_days_of_week(parse_date(date, "date"))
        entries = {d: self._entries_on(d, class_ids=[cls.id]) for d in days}
        lessons = self.db.session.scalars(select(Lesson).where(
            Lesson.class_id == cls.id, Lesson.date >= days[0], Lesson.date <= days[-1])
            .order_by(Lesson.date, Lesson.period)).all()
        events = self._events_between(cls.school_id, days[0], days[-1], [cls.id])
        return {"class": _class_out.dump(cls), "week_start": days[0].isoformat(),
                "days": self._week(cls.school_id, days, entries, lessons, events,
                                   domain.is_staff(self.caller.roles))}

    @typed_rpc
    def teacher_week(self, teacher_id, date):
        """A teacher's week: own timetable, lessons taken over as a substitute, own lessons given
        to a substitute or cancelled (ORG-2, ORG-3). Staff of the school."""
        self._require("view_lessons")
        school_id = self.caller.school_id
        if school_id is None:   # the system or the association administrator: the teacher's school
            school_id = self._teacher_school(teacher_id)
        days = domain.school_days_of_week(parse_date(date, "date"))
        entries = {d: self._entries_on(d, teacher_id=teacher_id, school_id=school_id) for d in days}
        lessons = self.db.session.scalars(select(Lesson).where(
            Lesson.school_id == school_id, Lesson.date >= days[0], Lesson.date <= days[-1],
            or_(Lesson.teacher_id == teacher_id, Lesson.substitute_teacher_id == teacher_id))
            .order_by(Lesson.date, Lesson.period)).all()
        class_ids = sorted({e.class_id for es in entries.values() for e in es} | {l.class_id for l in lessons})
        events = self._events_between(school_id, days[0], days[-1], class_ids)
        return {"teacher_id": teacher_id, "week_start": days[0].isoformat(),
                "days": self._week(school_id, days, entries, lessons, events, True, teacher_id=teacher_id)}

    def _teacher_school(self, teacher_id):
        row = self.db.session.scalar(select(TimetableEntry.school_id).where(
            TimetableEntry.teacher_id == teacher_id).limit(1))
        if row is None:
            raise NotFound("Nie znaleziono planu nauczyciela.")
        return row

    # ======================================================================== lessons and topics (ORG-4)

    @typed_rpc
    def lessons_for(self, date, class_id=None, teacher_id=None):
        """The lessons of a day for a class or a teacher (own and substituted ones), made from the
        timetable on first request (idempotent: one per class, date, period and group) so a
        teacher can open them to enter the topic and take attendance (ORG-4, OPS-2). Staff."""
        self._require("view_lessons")
        day = parse_date(date, "date")
        if bool(class_id) == bool(teacher_id):
            raise Invalid("Podaj klasę albo nauczyciela.", {"class_id": ["Jedno z dwojga."]})
        s = self.db.session
        if class_id:
            cls = self._class(class_id)
            self._materialise(cls.school_id, [cls.id], day)
            rows = s.scalars(select(Lesson).where(Lesson.class_id == cls.id, Lesson.date == day)
                             .order_by(Lesson.period, Lesson.group_name)).all()
        else:
            school_id = self.caller.school_id or self._teacher_school(teacher_id)
            self._materialise_for_teacher(school_id, teacher_id, day)
            rows = s.scalars(select(Lesson).where(
                Lesson.school_id == school_id, Lesson.date == day,
                or_(Lesson.teacher_id == teacher_id, Lesson.substitute_teacher_id == teacher_id))
                .order_by(Lesson.period, Lesson.group_name)).all()
        return self._lesson_dicts(rows)

    @typed_rpc
    def get_lesson(self, lesson_id):
        """One lesson with its substitution history (staff of the school). Attendance and grades
        use it to check who teaches the lesson (ATT-6)."""
        lesson = self._lesson(lesson_id)
        self._require("view_lessons")
        subs = self.db.session.scalars(select(Substitution).where(Substitution.lesson_id == lesson.id)
                                       .order_by(Substitution.assigned_at)).all()
        out = self._lesson_dicts([lesson])[0]
        out["substitutions"] = _substitution_out.dump(subs, many=True)
        return out

    @typed_rpc
    def enter_topic(self, lesson_id, data):
        """Enter (or correct) the topic of a lesson (ORG-4, VII.4, VII.9): by its teacher, or by the
        substitute when there is one (never by the substituted teacher); for today or a past date
        (backfilling after an outage keeps both the lesson's date and the entry's time, OPS-2).
        The first topic marks the lesson held and records ``scheduling.lesson_held``."""
        lesson = self._lesson(lesson_id)
        self._require("enter_topic")
        data = load(TopicIn, data)
        view = self._view(lesson)
        problem = domain.topic_problem(view, self.caller.user_id, self.caller.roles, today())
        if problem:
            kind, message = problem
            raise (Forbidden if kind == "forbidden" else Conflict)(message)
        with self.db.unit_of_work():
            first = lesson.status != "held"
            lesson.topic, lesson.status = data["topic"], "held"
            lesson.topic_entered_at, lesson.topic_entered_by = utcnow(), self.caller.user_id
            if first:
                self.outbox.add("scheduling.lesson_held", {
                    "lesson_id": lesson.id, "class_id": lesson.class_id, "subject_id": lesson.subject_id,
                    "date": lesson.date.isoformat(), "period": lesson.period, "group_name": lesson.group_name,
                    "teacher_id": view.effective_teacher_id, "regular_teacher_id": lesson.teacher_id,
                    "topic_entered_at": lesson.topic_entered_at.isoformat()}, school_id=lesson.school_id)
        return self._lesson_dicts([lesson])[0]

    @staticmethod
    def _view(lesson):
        return domain.LessonView(lesson.id, lesson.date, lesson.period, lesson.class_id, lesson.teacher_id,
                                 lesson.substitute_teacher_id, lesson.status, lesson.topic,
                                 lesson.group_name, lesson.subject_id)

    # ======================================================================== substitutions (ORG-3)

    @typed_rpc
    def assign_substitute(self, lesson_id, data):
        """ZASTĘPSTWA (ORG-3, IV.11; administrators): assign a substitute teacher to a lesson, or
        cancel it (``cancel: true``), with a reason. Records ``scheduling.substitution_assigned``
        or ``scheduling.lesson_cancelled`` (messaging tells the teachers, the class and parents).
        The substitute must be free at that time; a held lesson cannot be changed."""
        lesson = self._lesson(lesson_id)
        self._require("manage_substitutions")
        data = load(SubstituteIn, data)
        sub_id = data["substitute_teacher_id"]
        busy = []
        if sub_id:
            self._teacher(lesson.school_id, sub_id, "substitute_teacher_id")
            self._materialise_for_teacher(lesson.school_id, sub_id, lesson.date)
            busy = [self._view(l) for l in self.db.session.scalars(select(Lesson).where(
                Lesson.school_id == lesson.school_id, Lesson.date == lesson.date, Lesson.period == lesson.period,
                or_(Lesson.teacher_id == sub_id, Lesson.substitute_teacher_id == sub_id)))]
        problem = domain.substitution_problem(self._view(lesson), sub_id, data["cancel"], busy)
        if problem:
            raise Conflict(problem)
        subject_name = self._subject_names([lesson.subject_id]).get(lesson.subject_id, "")
        s = self.db.session
        with self.db.unit_of_work():
            row = Substitution(school_id=lesson.school_id, lesson_id=lesson.id,
                               kind="cancellation" if data["cancel"] else "substitute",
                               original_teacher_id=lesson.teacher_id, substitute_teacher_id=sub_id,
                               reason=data["reason"], assigned_by=self.caller.user_id)
            s.add(row)
            s.flush()
            common = {"lesson_id": lesson.id, "class_id": lesson.class_id, "subject_id": lesson.subject_id,
                      "subject_name": subject_name, "date": lesson.date.isoformat(), "period": lesson.period,
                      "teacher_id": lesson.teacher_id, "reason": data["reason"]}
            if data["cancel"]:
                lesson.status, lesson.cancel_reason, lesson.substitute_teacher_id = "cancelled", data["reason"], None
                self.outbox.add("scheduling.lesson_cancelled", dict(common, substitution_id=row.id),
                                school_id=lesson.school_id)
            else:
                lesson.status, lesson.cancel_reason, lesson.cancelled_by_event_id = "planned", None, None
                lesson.substitute_teacher_id = sub_id
                self.outbox.add("scheduling.substitution_assigned", dict(
                    common, substitution_id=row.id, substitute_teacher_id=sub_id), school_id=lesson.school_id)
        out = self._lesson_dicts([lesson])[0]
        out["substitution"] = _substitution_out.dump(row)
        return out

    @typed_rpc
    def substitutions(self, school_id, date_from, date_to, without_topic_only=False):
        """The list of substitutions and cancellations in a date range (ORG-3, V.3b; administrators
        and the director). ``without_topic_only``: substituted lessons that took place (up to
        today) and still have no topic, for the director's control."""
        self.caller.require_school(school_id)
        self._require("view_substitutions")
        date_from, date_to = _range(date_from, date_to, 92)
        s = self.db.session
        query = select(Lesson).where(Lesson.school_id == school_id, Lesson.date >= date_from,
                                     Lesson.date <= date_to,
                                     select(Substitution.id).where(Substitution.lesson_id == Lesson.id).exists())
        if without_topic_only:
            query = query.where(Lesson.substitute_teacher_id.is_not(None), Lesson.topic.is_(None),
                                Lesson.status != "cancelled", Lesson.date <= today())
        lessons = s.scalars(query.order_by(Lesson.date, Lesson.period)).all()
        latest = {}
        if lessons:
            for sub in s.scalars(select(Substitution).where(Substitution.lesson_id.in_([l.id for l in lessons]))
                                 .order_by(Substitution.assigned_at)):
                latest[sub.lesson_id] = sub
        out = []
        for d in self._lesson_dicts(lessons):
            d["substitution"] = _substitution_out.dump(latest[d["id"]]) if d["id"] in latest else None
            d["without_topic"] = d["status"] != "cancelled" and not d["topic"] and d["date"] <= today().isoformat()
            out.append(d)
        return out

    # ======================================================================== supervision (ORG-4)

    @typed_rpc
    def supervision_report(self, school_id, week_start):
        """The director's supervision report for one week (ORG-4, V.3a, VII.9-10): per teacher, the
        lessons that took place and have no topic (substitutions included). Lessons without
        attendance come from attendance (hook ``attendance.lessons_without_attendance``) and grades
        entered after Sunday 20:00 from grades (hook ``grades.late_grades``) once those services
        offer them; until then their sections say ``available: false``."""
        self.caller.require_school(school_id)
        self._require("supervision_report")
        start = domain.week_start(parse_date(week_start, "week_start"))
        days = domain.school_days_of_week(start)
        now = today()
        s = self.db.session
        class_ids = list(s.scalars(select(SchoolClass.id).where(SchoolClass.school_id == school_id)))
        for day in days:
            if day <= now:
                self._materialise(school_id, class_ids, day)
        lessons = s.scalars(select(Lesson).where(Lesson.school_id == school_id, Lesson.date >= days[0],
                                                 Lesson.date <= days[-1])).all()
        by_id = {l.id: l for l in lessons}
        rows = domain.supervision([self._view(l) for l in lessons], now)
        teachers = []
        for row in rows:
            teachers.append({"teacher_id": row["teacher_id"],
                             "lessons_without_topic": self._lesson_dicts([by_id[v.id] for v in row["lessons"]]),
                             "count": len(row["lessons"]),
                             "substitutions_without_topic": row["substitutions_without_topic"]})
        held_ids = [l.id for l in lessons if l.status != "cancelled" and l.date <= now]
        ok, missing_attendance = self._optional_rpc(self.attendance, "lessons_without_attendance",
                                                    school_id, held_ids)
        ok_grades, late = self._optional_rpc(self.grades, "late_grades", school_id, start.isoformat())
        return {"school_id": school_id, "week_start": start.isoformat(), "week_end": days[-1].isoformat(),
                "deadline": domain.topic_deadline(start).isoformat(),
                "lessons_held": len(held_ids), "teachers": teachers,
                "lessons_without_attendance": {"available": ok, "lessons": missing_attendance if ok else None},
                "late_grades": {"available": ok_grades, "grades": late if ok_grades else None}}

    # ======================================================================== calendar (ORG-10)

    def _limits(self, school_id):
        row = self.db.session.get(SchoolSettings, school_id)
        if row is None:
            return dict(domain.DEFAULT_LIMITS)
        return {k: getattr(row, k) for k in domain.DEFAULT_LIMITS}

    @typed_rpc
    def test_limits(self, school_id):
        """The school's limits of written tests (and quizzes) per class per day and week (ORG-10)."""
        self.caller.require_school(school_id)
        self.caller.require_authenticated()
        return self._limits(school_id)

    @typed_rpc
    def set_test_limits(self, school_id, data):
        """Configure the school's limits per class: tests a day and a week, optionally quizzes
        (ORG-10; administrators and the director). ``null`` means no limit."""
        self.caller.require_school(school_id)
        self._require("set_test_limits")
        data = load(LimitsIn, data)
        problems = domain.limits_problems(data)
        if problems:
            raise Invalid("Niepoprawne limity.", problems)
        with self.db.unit_of_work() as s:
            row = s.get(SchoolSettings, school_id) or SchoolSettings(school_id=school_id)
            for key, value in data.items():
                setattr(row, key, value)
            row.updated_by, row.updated_at = self.caller.user_id, utcnow()
            s.add(row)
        return self._limits(school_id)

    def _lock_class(self, class_id):
        """Serialise calendar writes of one class (a no-op UPDATE takes the row lock on
        PostgreSQL and the write lock on SQLite), so two teachers cannot both take the last
        free test slot."""
        self.db.session.execute(update(SchoolClass).where(SchoolClass.id == class_id)
                                .values(name=SchoolClass.name))

    @typed_rpc
    def add_calendar_event(self, school_id, data):
        """Add an entry to the calendar, TERMINARZ (ORG-10, VII.17): a written test or quiz (every
        teacher, for a class they teach), a day off or school event (administrators, director), a
        parent meeting (also the class teacher of that class). A test beyond the school's limits
        is refused with a message naming the tests already there; a day off cancels the lessons
        of that day that have not taken place."""
        self.caller.require_school(school_id)
        self.caller.require_role(*{r for cap in set(domain.EVENT_KIND_CAPABILITY.values())
                                   for r in domain.roles_for(cap)})
        data = load(CalendarEventIn, data)
        kind = data["kind"]
        self._require(domain.EVENT_KIND_CAPABILITY[kind])
        cls = self._class(data["class_id"]) if data["class_id"] else None
        if cls is not None and cls.school_id != school_id:
            raise NotFound("Nie znaleziono klasy.")
        subject = self._subject(data["subject_id"]) if data["subject_id"] else None
        if subject is not None and subject.school_id != school_id:
            raise NotFound("Nie znaleziono przedmiotu.")
        if kind in ("test", "quiz"):
            if cls is None:
                raise Invalid("Sprawdzian i kartkówkę wpisuje się dla klasy.", {"class_id": ["Wymagane."]})
            if data["ends_on"] not in (None, data["date"]):
                raise Invalid("Sprawdzian trwa jeden dzień.", {"ends_on": ["Musi być puste."]})
            data["ends_on"] = None
            self._check_teaches(school_id, cls, subject)
        if data["ends_on"] is not None and data["ends_on"] < data["date"]:
            raise Invalid("Data końcowa poprzedza początkową.", {"ends_on": ["Za wczesna."]})
        if data["ends_on"] is not None and (data["ends_on"] - data["date"]).days > 92:
            raise Invalid("Wpis może obejmować najwyżej 93 dni.", {"ends_on": ["Za późna."]})
        if kind == "parent_meeting" and not self._may("add_school_event"):
            if cls is None or cls.class_teacher_id != self.caller.user_id:
                raise Forbidden("Wychowawca wpisuje zebranie z rodzicami swojej klasy.")
        s = self.db.session
        with self.db.unit_of_work():
            if cls is not None and kind in ("test", "quiz"):
                self._lock_class(cls.id)
                start, end = domain.week_start(data["date"]), domain.week_end(data["date"])
                existing = self._events_between(school_id, start, end, [cls.id], ["test", "quiz", "day_off"])
                names = self._subject_names({e.subject_id for e in existing})
                problem = domain.check_test_limits(kind, data["date"], cls.name,
                                                   [self._cal(e, names) for e in existing],
                                                   self._limits(school_id), class_id=cls.id)
                if problem:
                    raise Conflict(problem)
            event = CalendarEvent(school_id=school_id, class_id=cls.id if cls else None, kind=kind,
                                  date=data["date"], ends_on=data["ends_on"], period=data["period"],
                                  subject_id=subject.id if subject else None, title=data["title"],
                                  description=data["description"],
                                  teacher_id=self.caller.user_id if set(self.caller.roles) & set(TEACHER_ROLES)
                                  else None, created_by=self.caller.user_id)
            s.add(event)
            s.flush()
            if kind == "day_off":
                self._cancel_for_day_off(event)
            self._announce_event(event)
        return self._event_dicts([event])[0]

    def _check_teaches(self, school_id, cls, subject):
        """A teacher (who is not also an administrator or director) enters tests only for a
        class they teach, and in their subject when one is given."""
        c = self.caller
        if c.is_system or c.is_association_admin or c.has_role(*ADMINS, *domain.DIRECTORS):
            return
        query = select(TeachingAssignment.id).where(TeachingAssignment.teacher_id == c.user_id,
                                                    TeachingAssignment.class_id == cls.id)
        if subject is not None:
            query = query.where(TeachingAssignment.subject_id == subject.id)
        if self.db.session.scalar(query.limit(1)) is None:
            raise Forbidden("Sprawdzian wpisuje nauczyciel uczący w tej klasie (tego przedmiotu).")

    def _announce_event(self, event):
        self.outbox.add("scheduling.calendar_event_added", {
            "event_id": event.id, "kind": event.kind, "date": event.date.isoformat(),
            "ends_on": event.ends_on.isoformat() if event.ends_on else None, "class_id": event.class_id,
            "subject_id": event.subject_id, "title": event.title}, school_id=event.school_id)

    def _cancel_for_day_off(self, event):
        """Days off remove lessons (ORG-10): lessons already made for those days that have not
        taken place are cancelled (kept, with the reason), not deleted."""
        query = update(Lesson).where(
            Lesson.school_id == event.school_id, Lesson.date >= event.date,
            Lesson.date <= (event.ends_on or event.date), Lesson.status == "planned", Lesson.topic.is_(None))
        if event.class_id:
            query = query.where(Lesson.class_id == event.class_id)
        self.db.session.execute(query.values(status="cancelled", cancel_reason=f"Dzień wolny: {event.title}",
                                             cancelled_by_event_id=event.id))

    @typed_rpc
    def remove_calendar_event(self, event_id):
        """Remove a calendar entry (its author, administrators, the director). Lessons cancelled by
        a removed day off are planned again (ORG-10)."""
        event = self._calendar_event(event_id)
        self.caller.require_authenticated()
        if event.kind == "trip":
            raise Conflict("Wycieczkę usuwa się z terminarza przez jej kartę.")
        if event.created_by != self.caller.user_id:
            self._require("add_school_event")
        with self.db.unit_of_work() as s:
            event.removed_at, event.removed_by = utcnow(), self.caller.user_id
            if event.kind == "day_off":
                s.execute(update(Lesson).where(Lesson.cancelled_by_event_id == event.id,
                                               Lesson.status == "cancelled")
                          .values(status="planned", cancel_reason=None, cancelled_by_event_id=None))
        return {"removed": event_id}

    def _event_dicts(self, events):
        subjects = self._subject_names({e.subject_id for e in events})
        classes = self._class_names({e.class_id for e in events})
        return [dict(_event_out.dump(e), subject_name=subjects.get(e.subject_id),
                     class_name=classes.get(e.class_id),
                     kind_name=domain.EVENT_KIND_LABELS.get(e.kind, e.kind)) for e in events]

    @typed_rpc
    def calendar(self, school_id, date_from, date_to, class_id=None):
        """The calendar (TERMINARZ) of a school or of one class (its entries and the school-wide
        ones) between two dates (ORG-10). Everyone of the school may read it."""
        self.caller.require_school(school_id)
        self._require("view_timetable")
        date_from, date_to = _range(date_from, date_to)
        class_ids = None
        if class_id:
            cls = self._class(class_id)
            if cls.school_id != school_id:
                raise NotFound("Nie znaleziono klasy.")
            class_ids = [cls.id]
        return self._event_dicts(self._events_between(school_id, date_from, date_to, class_ids))

    @typed_rpc
    def ical_feed(self, school_id, class_id=None, teacher_id=None):
        """An iCalendar (RFC 5545) feed a calendar application can subscribe to (ORG-10): a
        class's calendar entries (from 30 days back to 180 ahead), or a teacher's lessons for four
        weeks from this Monday, substitutions and cancellations applied. The private token of the
        subscription URL is checked by the gateway, which calls this as the token's owner."""
        self.caller.require_school(school_id)
        if bool(class_id) == bool(teacher_id):
            raise Invalid("Podaj klasę albo nauczyciela.", {"class_id": ["Jedno z dwojga."]})
        now, start = today(), domain.week_start(today())
        items = []
        if class_id:
            self._require("view_timetable")
            cls = self._class(class_id)
            if cls.school_id != school_id:
                raise NotFound("Nie znaleziono klasy.")
            name = f"Terminarz klasy {cls.name}"
            for ev in self._event_dicts(self._events_between(school_id, now - timedelta(days=30),
                                                             now + timedelta(days=180), [cls.id])):
                label = domain.EVENT_KIND_LABELS.get(ev["kind"], ev["kind"])
                subject = f" ({ev['subject_name']})" if ev["subject_name"] else ""
                items.append({"uid": f"{ev['id']}@dziennik", "date": date.fromisoformat(ev["date"]),
                              "ends_on": date.fromisoformat(ev["ends_on"]) if ev["ends_on"] else None,
                              "summary": f"{label.capitalize()}: {ev['title']}{subject}",
                              "description": ev["description"]})
        else:
            self._require("view_lessons")
            if self.caller.school_id not in (None, school_id):
                raise NotFound()
            name = "Plan lekcji"
            for week in range(4):
                for day in self.teacher_week(teacher_id, (start + timedelta(days=7 * week)).isoformat())["days"]:
                    d = date.fromisoformat(day["date"])
                    for lesson in day["lessons"]:
                        hh, mm = (int(x) for x in lesson["starts_at"].split(":"))
                        eh, em = (int(x) for x in lesson["ends_at"].split(":"))
                        group = f" gr. {lesson['group_name']}" if lesson["group_name"] else ""
                        items.append({
                            "uid": f"lesson-{lesson['class_id']}-{d:%Y%m%d}-{lesson['period']}-"
                                   f"{lesson['group_name'] or 'all'}@dziennik".replace(" ", "_"),
                            "start": datetime(d.year, d.month, d.day, hh, mm, tzinfo=SCHOOL_TZ),
                            "end": datetime(d.year, d.month, d.day, eh, em, tzinfo=SCHOOL_TZ),
                            "summary": f"{lesson['subject_name']} – {lesson['class_name']}{group}"
                                       + (" (zastępstwo)" if lesson.get("substituting") else ""),
                            "location": lesson["room"],
                            "cancelled": lesson["status"] == "cancelled" or lesson.get("substituted")})
        body = domain.ics_calendar(name, items, datetime.now(SCHOOL_TZ))
        return {"content_type": "text/calendar; charset=utf-8", "filename": "dziennik.ics", "body": body}

    # ======================================================================== trip cards (ORG-11)

    def _trip_people(self, school_id, data):
        """Participants must be students on a class list of the school; supervisors teachers of
        the school. Returns the participants' classes."""
        s = self.db.session
        enrolled = dict(s.execute(select(Enrolment.student_id, Enrolment.class_id).where(
            Enrolment.school_id == school_id, Enrolment.status == "active",
            Enrolment.student_id.in_(data["participant_ids"] or [""]))).all())
        unknown = [p for p in data["participant_ids"] if p not in enrolled]
        errors = {}
        if unknown:
            errors["participant_ids"] = [f"Nie ma na listach klas tej szkoły: {', '.join(unknown[:10])}."]
        teachers = self._school_teachers(school_id)
        bad = [p for p in data["supervisor_ids"] if p not in teachers]
        if bad:
            errors["supervisor_ids"] = [f"To nie są nauczyciele tej szkoły: {', '.join(bad[:10])}."]
        problems = domain.trip_problems(data["starts_on"], data["ends_on"], data["participant_ids"],
                                        data["supervisor_ids"])
        errors.update(problems)
        if errors:
            raise Invalid("Niepoprawna karta wycieczki: " + ", ".join(sorted(errors)) + ".", errors)
        return sorted(set(enrolled.values()))

    def _own_trip(self, trip):
        """The organiser edits and submits the card; administrators and the director may too."""
        if trip.organiser_id != self.caller.user_id and not self._may("add_school_event"):
            raise Forbidden("Kartę wycieczki prowadzi nauczyciel organizujący wycieczkę.")

    @typed_rpc
    def create_trip(self, school_id, data):
        """Karta wycieczki (ORG-11, II teacher 9): the organising teacher enters destination, dates,
        participants (students) and supervisors (teachers); the card starts as a draft."""
        self.caller.require_school(school_id)
        self._require("organise_trip")
        if not self.caller.user_id:
            raise Forbidden("Kartę wycieczki zakłada nauczyciel.")
        data = load(TripIn, data)
        class_ids = self._trip_people(school_id, data)
        with self.db.unit_of_work() as s:
            trip = Trip(school_id=school_id, organiser_id=self.caller.user_id, class_ids=class_ids, **data)
            s.add(trip)
        return _trip_out.dump(trip)

    @typed_rpc
    def update_trip(self, trip_id, data):
        """Correct a trip card while it is a draft or after it was rejected (ORG-11; organiser)."""
        trip = self._trip(trip_id)
        self._require("organise_trip")
        self._own_trip(trip)
        if not domain.trip_editable(trip.status):
            raise Conflict("Kartę można poprawiać tylko przed złożeniem lub po odrzuceniu.")
        data = load(TripIn, data)
        class_ids = self._trip_people(trip.school_id, data)
        with self.db.unit_of_work():
            for key, value in data.items():
                setattr(trip, key, value)
            trip.class_ids, trip.updated_at = class_ids, utcnow()
        return _trip_out.dump(trip)

    def _trip_transition(self, trip, action):
        new, problem = domain.trip_transition(trip.status, action)
        if problem:
            raise Conflict(problem)
        return new

    @typed_rpc
    def submit_trip(self, trip_id):
        """Submit a trip card to the director for approval (ORG-11; organiser)."""
        trip = self._trip(trip_id)
        self._require("organise_trip")
        self._own_trip(trip)
        new = self._trip_transition(trip, "submit")
        with self.db.unit_of_work():
            trip.status, trip.submitted_at, trip.updated_at = new, utcnow(), utcnow()
            trip.decided_by = trip.decided_at = trip.decision_note = None
        return _trip_out.dump(trip)

    @typed_rpc
    def approve_trip(self, trip_id, data=None):
        """The director approves a submitted trip card (ORG-11): the trip appears in the calendar
        of every participant's class, and ``scheduling.trip_approved`` is recorded."""
        trip = self._trip(trip_id)
        self._require("decide_trip")
        data = load(DecisionIn, data or {})
        new = self._trip_transition(trip, "approve")
        s = self.db.session
        with self.db.unit_of_work():
            trip.status, trip.decided_by, trip.decided_at = new, self.caller.user_id, utcnow()
            trip.decision_note, trip.updated_at = data["note"], utcnow()
            for class_id in trip.class_ids or [None]:
                event = CalendarEvent(school_id=trip.school_id, class_id=class_id, kind=domain.TRIP_KIND,
                                      date=trip.starts_on, ends_on=trip.ends_on if trip.ends_on != trip.starts_on else None,
                                      teacher_id=trip.organiser_id, title=f"Wycieczka: {trip.destination}"[:200],
                                      description=trip.purpose, trip_id=trip.id, created_by=self.caller.user_id)
                s.add(event)
                s.flush()
                self._announce_event(event)
            self.outbox.add("scheduling.trip_approved", {
                "trip_id": trip.id, "destination": trip.destination, "starts_on": trip.starts_on.isoformat(),
                "ends_on": trip.ends_on.isoformat(), "organiser_id": trip.organiser_id,
                "participant_ids": list(trip.participant_ids), "supervisor_ids": list(trip.supervisor_ids),
                "class_ids": list(trip.class_ids)}, school_id=trip.school_id)
        return _trip_out.dump(trip)

    @typed_rpc
    def reject_trip(self, trip_id, data):
        """The director rejects a submitted trip card with a note; the organiser may correct it and
        submit it again (ORG-11)."""
        trip = self._trip(trip_id)
        self._require("decide_trip")
        data = load(DecisionIn, data)
        if not data["note"] or len(data["note"]) < 3:
            raise Invalid("Podaj powód odrzucenia.", {"note": ["Wymagane."]})
        new = self._trip_transition(trip, "reject")
        with self.db.unit_of_work():
            trip.status, trip.decided_by, trip.decided_at = new, self.caller.user_id, utcnow()
            trip.decision_note, trip.updated_at = data["note"], utcnow()
        return _trip_out.dump(trip)

    @typed_rpc
    def list_trips(self, school_id, status=None):
        """Trip cards of a school, newest first, optionally of one status (staff)."""
        self.caller.require_school(school_id)
        self._require("view_trips")
        query = select(Trip).where(Trip.school_id == school_id)
        if status:
            query = query.where(Trip.status == status)
        return _trip_out.dump(self.db.session.scalars(query.order_by(Trip.starts_on.desc())).all(), many=True)

    @typed_rpc
    def get_trip(self, trip_id):
        """One trip card (staff of the school)."""
        trip = self._trip(trip_id)
        self._require("view_trips")
        return _trip_out.dump(trip)

    # ======================================================================== completeness (ORG-9)

    @typed_rpc
    def completeness_report(self, school_id, class_id=None):
        """Which students lack required personal data, per class (ORG-9, V.2, VI.4): for the class
        teacher (own class, by 10 September) and the director (whole school, by 15 September).
        The data are identity's: this asks ``identity.students_missing_data(school_id, student_ids)``
        (a documented hook); until identity offers it the answer says ``available: false``."""
        self.caller.require_school(school_id)
        self._require("completeness_report")
        s = self.db.session
        if class_id:
            classes = [self._class(class_id)]
            if classes[0].school_id != school_id:
                raise NotFound("Nie znaleziono klasy.")
        else:
            classes = s.scalars(select(SchoolClass).where(SchoolClass.school_id == school_id)
                                .order_by(SchoolClass.name)).all()
        if not self._may("supervision_report") and not self.caller.has_role(*ADMINS, domain.SECRETARY):
            # a class teacher only: own class only
            if not class_id or classes[0].class_teacher_id != self.caller.user_id:
                raise Forbidden("Wychowawca widzi raport kompletności danych swojej klasy.")
        members = {}
        for cid, sid in s.execute(select(Enrolment.class_id, Enrolment.student_id).where(
                Enrolment.class_id.in_([c.id for c in classes] or [""]), Enrolment.status == "active")):
            members.setdefault(cid, []).append(sid)
        all_students = sorted({sid for ids in members.values() for sid in ids})
        ok, answer = self._optional_rpc(self.identity, "students_missing_data", school_id, all_students)
        missing = {row["student_id"]: row["missing"] for row in (answer or []) if row.get("missing")}
        year = s.scalar(select(SchoolYear).where(SchoolYear.school_id == school_id, SchoolYear.starts_on <= today())
                        .order_by(SchoolYear.starts_on.desc()).limit(1))
        deadlines = domain.completeness_deadlines(year.starts_on if year else today())
        return {"available": ok, "deadlines": {k: v.isoformat() for k, v in deadlines.items()},
                "classes": [{"class_id": c.id, "class_name": c.name, "students": len(members.get(c.id, [])),
                             "incomplete": [{"student_id": sid, "missing": missing[sid]}
                                            for sid in members.get(c.id, []) if sid in missing] if ok else None}
                            for c in classes]}
