"""attendance: the nameko entrypoints. Each loads its arguments, checks the caller (school first,
then role and ownership), applies the rule from ``domain``, stores, and records events in the
outbox in the same transaction. Requirements: ATT-1..6, OPS-2, ORG-5, ORG-7, LAW-2, LAW-3."""
import base64
from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.handlers import idempotent, subscribe
from services.common.models import utcnow
from services.common.rpc import ServiceRpc
from services.common.service import PlatformService, typed_rpc
from services.common.validation import load

from . import domain, printouts
from .export import ArchiveExport
from .dependencies import SystemRpc
from .models import (AttendanceEntry, Category, ClassChange, EJustification, EntryVersion,
                     Justification, SchoolSettings, new_id)
from .schemas import (CategoryIn, CategoryOut, CorrectionIn, DecisionIn, EJustificationIn,
                      EJustificationOut, EListIn, EntryOut, FormulaIn, JustificationOut, JustifyIn,
                      LessonAttendanceIn, MonthIn, PercentagesIn, RangeIn, RemovalIn, ThresholdIn,
                      VersionOut, WeekIn)

_category_out = CategoryOut()
_entry_out = EntryOut()
_version_out = VersionOut()
_justification_out = JustificationOut()
_e_out = EJustificationOut()

SCHOOL_TZ = ZoneInfo("Europe/Warsaw")
RERECORD_REASON = "zmiana przy ponownym zapisie frekwencji lekcji"
NOT_FOUND_STUDENT = "Nie znaleziono ucznia."
MAX_LESSON_IDS = 5000


def _d(value):
    """A date from an RPC payload (ISO string) or a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _lesson_ref(lesson):
    return domain.LessonRef(id=lesson["id"], class_id=lesson["class_id"], date=_d(lesson["date"]),
                            teacher_id=lesson["teacher_id"],
                            substitute_teacher_id=lesson.get("substitute_teacher_id"),
                            status=lesson.get("status") or "planned", period=int(lesson.get("period") or 0))


class AttendanceService(ArchiveExport, PlatformService):
    name = "attendance"
    scheduling = ServiceRpc("scheduling")
    identity = ServiceRpc("identity")
    # Facts a rule needs after the caller was authorised here (see dependencies.py).
    system_scheduling = SystemRpc("scheduling")

    # ================================================================ look-ups (school checked)

    def _today(self):
        """The school's date (the schools are in Poland, whatever the server's zone)."""
        return datetime.now(SCHOOL_TZ).date()

    def _lesson(self, lesson_id):
        """scheduling's lesson (NotFound for an unknown id or another school's)."""
        if not isinstance(lesson_id, str) or not lesson_id:
            raise NotFound("Nie znaleziono lekcji.")
        lesson = self.scheduling.get_lesson(lesson_id)
        self.caller.require_school(lesson["school_id"])
        return lesson

    def _class(self, class_id, as_system=False):
        if not isinstance(class_id, str) or not class_id:
            raise NotFound("Nie znaleziono klasy.")
        rpc = self.system_scheduling if as_system else self.scheduling
        klass = rpc.get_class(class_id)
        self.caller.require_school(klass["school_id"])
        return klass

    def _class_teacher_id(self, class_id):
        if not class_id:
            return None
        return self._class(class_id, as_system=True).get("class_teacher_id")

    def _entry(self, entry_id):
        entry = self.db.session.get(AttendanceEntry, entry_id) if isinstance(entry_id, str) else None
        if entry is None:
            raise NotFound("Nie znaleziono wpisu frekwencji.")
        self.caller.require_school(entry.school_id)
        return entry

    def _school_id(self):
        school_id = self.caller.school_id
        if not school_id:
            raise Invalid("Frekwencja należy do szkoły: wybierz szkołę.")
        return school_id

    def _student(self, student_id):
        """A student account of the caller's school (identity answers NotFound across schools)."""
        if not isinstance(student_id, str) or not student_id:
            raise NotFound(NOT_FOUND_STUDENT)
        account = self.identity.get_account(student_id)
        self.caller.require_school(account["school_id"])
        if domain.STUDENT not in (account.get("roles") or ()):
            raise NotFound(NOT_FOUND_STUDENT)
        return account

    def _children(self):
        c = self.caller
        if domain.PARENT not in c.roles or not c.user_id:
            return []
        return c.children_ids(self.identity)

    def _require_view_student(self, student_id):
        """ATT-6, LAW-3: staff see everyone's attendance, a parent the own child's, a student the
        own. Someone else's child is reported as not found (nothing to learn about it)."""
        c = self.caller
        c.require_authenticated()
        if domain.views_all(c.roles):
            self._student(student_id)
            return
        if domain.STUDENT in c.roles and c.user_id == student_id:
            return
        if domain.PARENT in c.roles and student_id in self._children():
            return
        if c.has_role(domain.PARENT, domain.STUDENT):
            raise NotFound(NOT_FOUND_STUDENT)
        raise Forbidden("Brak uprawnień do frekwencji tego ucznia.")

    def _current_class_id(self, student_id):
        """The student's class now (scheduling), else the class of the latest entry (a removed
        student has none on the list, but the history stays with the last class)."""
        try:
            found = self.system_scheduling.student_class(student_id, True) or {}
        except NotFound:
            found = {}
        if found.get("active"):
            return found["active"]["class_id"]
        history = found.get("history") or []
        if history:
            return history[-1]["class_id"]
        return self.db.session.scalar(
            select(AttendanceEntry.class_id).where(AttendanceEntry.student_id == student_id)
            .order_by(AttendanceEntry.lesson_date.desc(), AttendanceEntry.period.desc()).limit(1))

    def _roster(self, class_id, day):
        """Students on the class list on ``day`` (ended enrolments included while they lasted)."""
        rows = self.scheduling.class_list(class_id, True)
        return {r["student_id"] for r in rows
                if domain.on_class_list(_d(r["enrolled_on"]), _d(r.get("ended_on")), day)}

    # ================================================================ categories (ATT-1, ATT-5)

    def _categories(self, school_id):
        """The school's categories, created with the defaults on first use."""
        s = self.db.session
        rows = s.scalars(select(Category).where(Category.school_id == school_id)
                         .order_by(Category.position, Category.code)).all()
        if rows:
            return rows
        try:
            with self.db.unit_of_work():
                for c in domain.DEFAULT_CATEGORIES:
                    s.add(Category(school_id=school_id, code=c.code, name=c.name, symbol=c.symbol,
                                   kind=c.kind, counts_as=c.counts_as, position=c.position, active=True))
                if s.get(SchoolSettings, school_id) is None:
                    s.add(SchoolSettings(school_id=school_id, formula=domain.DEFAULT_FORMULA))
        except IntegrityError:
            pass   # another worker created them at the same moment: theirs stand
        return s.scalars(select(Category).where(Category.school_id == school_id)
                         .order_by(Category.position, Category.code)).all()

    def _formula_name(self, school_id):
        settings = self.db.session.get(SchoolSettings, school_id)
        return settings.formula if settings else domain.DEFAULT_FORMULA

    @staticmethod
    def _recordable(by_code, code, field):
        cat = by_code.get(code)
        if cat is None or not cat.active:
            raise Invalid(f"Nieznana kategoria frekwencji: {code}.", {field: ["Nieznana kategoria."]})
        if cat.kind not in domain.RECORDABLE_KINDS:
            raise Invalid("Nieobecność usprawiedliwioną wpisuje wychowawca przez usprawiedliwienie.",
                          {field: ["Kategorii nie wpisuje się na lekcji."]})
        return cat

    def _formula_out(self, school_id, cats):
        return {"preset": self._formula_name(school_id), "text": domain.FORMULA_TEXT_PL,
                "present": [c.code for c in cats if c.counts_as == domain.COUNTS_PRESENT],
                "absent": [c.code for c in cats if c.counts_as == domain.COUNTS_ABSENT],
                "none": [c.code for c in cats if c.counts_as == domain.COUNTS_NONE]}

    @typed_rpc
    def categories(self, school_id):
        """The school's attendance categories and its percentage formula (ATT-1, ATT-5); uniform in
        the school, the VULCAN defaults until the administrator changes them."""
        self.caller.require_school(school_id)
        self.caller.require_authenticated()
        cats = self._categories(school_id)
        return {"categories": _category_out.dump(cats, many=True), "formula": self._formula_out(school_id, cats)}

    @typed_rpc
    def save_category(self, school_id, data):
        """Add or change one of the school's categories, by code (ATT-1, ATT-5; administrators and
        director). Every kind keeps an active category; used categories are deactivated, not deleted."""
        c = self.caller
        c.require_school(school_id)
        c.require_role(*domain.ADMINS, *domain.DIRECTORS)
        data = load(CategoryIn, data)
        cats = self._categories(school_id)
        by_code = {x.code: x for x in cats}
        current = by_code.get(data["code"])
        counts_as = data["counts_as"] or (current.counts_as if current else
                                          domain.formula_counts(domain.DEFAULT_FORMULA)[data["kind"]])
        if current is not None and current.kind != data["kind"]:
            raise Invalid("Rodzaju istniejącej kategorii nie można zmienić (wpisy zachowują znaczenie); "
                          "dodaj nową kategorię.", {"kind": ["Nie można zmienić."]})
        position = data["position"] if data["position"] is not None else (
            current.position if current else max([x.position for x in cats] + [0]) + 1)
        view = [domain.Category(x.code, x.name, x.symbol, x.kind, x.counts_as, x.position, x.active)
                for x in cats if x.code != data["code"]]
        view.append(domain.Category(data["code"], data["name"], data["symbol"], data["kind"], counts_as,
                                    position, data["active"]))
        problems = domain.category_set_problems(view)
        if problems:
            raise Invalid(" ".join(problems), {"code": problems})
        with self.db.unit_of_work() as s:
            if current is None:
                current = Category(school_id=school_id, code=data["code"])
                s.add(current)
            changed_formula = current.counts_as is not None and current.counts_as != counts_as
            current.name, current.symbol, current.kind = data["name"], data["symbol"], data["kind"]
            current.counts_as, current.position, current.active = counts_as, position, data["active"]
            current.updated_by, current.updated_at = c.user_id, utcnow()
            if changed_formula:
                settings = s.get(SchoolSettings, school_id) or SchoolSettings(school_id=school_id)
                settings.formula, settings.updated_by, settings.updated_at = "custom", c.user_id, utcnow()
                s.add(settings)
        return _category_out.dump(current)

    @typed_rpc
    def set_formula(self, school_id, data):
        """Choose the school's percentage formula preset (ATT-5): ``vulcan`` (default: present =
        present + late + school reasons; absent = excused + unexcused; released in neither) or
        ``all_recorded`` (released counts as present). Administrators and director."""
        c = self.caller
        c.require_school(school_id)
        c.require_role(*domain.ADMINS, *domain.DIRECTORS)
        data = load(FormulaIn, data)
        counts = domain.formula_counts(data["preset"])
        cats = self._categories(school_id)
        with self.db.unit_of_work() as s:
            for cat in cats:
                cat.counts_as = counts[cat.kind]
            settings = s.get(SchoolSettings, school_id) or SchoolSettings(school_id=school_id)
            settings.formula, settings.updated_by, settings.updated_at = data["preset"], c.user_id, utcnow()
            s.add(settings)
        return self._formula_out(school_id, cats)

    # ================================================================ entries (ATT-1, OPS-2)

    def _entry_dict(self, entry, cats_by_id):
        out = _entry_out.dump(entry)
        cat = cats_by_id.get(entry.category_id)
        out.update(category=cat.code if cat else None, symbol=cat.symbol if cat else None,
                   kind=cat.kind if cat else None,
                   backfilled=self._backfilled(entry))
        return out

    @staticmethod
    def _backfilled(entry):
        """OPS-2: written after the lesson's day (in the school's time zone)."""
        at = entry.entered_at
        if at is None:
            return False
        if at.tzinfo is None:   # SQLite hands back naive UTC
            at = at.replace(tzinfo=ZoneInfo("UTC"))
        return at.astimezone(SCHOOL_TZ).date() > entry.lesson_date

    def _add_version(self, entry, action, previous_category_id, reason):
        self.db.session.add(EntryVersion(
            school_id=entry.school_id, entry_id=entry.id, version=entry.version, action=action,
            previous_category_id=previous_category_id, category_id=entry.category_id, reason=reason,
            changed_by=self.caller.user_id, changed_at=utcnow()))

    def _announce_absence(self, entry, cat):
        self.outbox.add("attendance.absence_recorded", {
            "entry_id": entry.id, "lesson_id": entry.lesson_id, "student_id": entry.student_id,
            "class_id": entry.class_id, "subject_id": entry.subject_id,
            "lesson_date": entry.lesson_date.isoformat(), "period": entry.period, "category": cat.code,
            "recorded_by": self.caller.user_id, "entered_at": (entry.updated_at or entry.entered_at).isoformat(),
            "backfilled": self._backfilled(entry)}, school_id=entry.school_id)

    def _doubles_of(self, school_id, student_ids, day, period, lesson_id):
        """Active entries of these students at the same date and period in another lesson."""
        if not student_ids:
            return []
        rows = self.db.session.scalars(select(AttendanceEntry).where(
            AttendanceEntry.school_id == school_id, AttendanceEntry.lesson_date == day,
            AttendanceEntry.period == period, AttendanceEntry.lesson_id != lesson_id,
            AttendanceEntry.removed_at.is_(None), AttendanceEntry.student_id.in_(list(student_ids)))).all()
        return [{"student_id": e.student_id, "entry_id": e.id, "lesson_id": e.lesson_id} for e in rows]

    def _manage_lesson_check(self, lesson_ref, class_id):
        c = self.caller
        class_teacher_id = None
        if not domain.manages_all(c.roles) and c.user_id not in (lesson_ref.teacher_id,
                                                                 lesson_ref.substitute_teacher_id):
            class_teacher_id = self._class_teacher_id(class_id)
        problem = domain.record_problem(lesson_ref, c.user_id, c.roles, class_teacher_id)
        if problem:
            raise Forbidden(problem)

    @typed_rpc
    def record_lesson_attendance(self, lesson_id, data):
        """ATT-1: the lesson's attendance for the whole class in one request, all or nothing.
        ``data``: ``{entries: [{student_id, category}], default: "present", reason?}``; everyone on
        the class list that day not named gets ``default`` (null: only the named students). The
        lesson's teacher, its substitute (ORG-3), the class teacher, director or administrator.
        The lesson's date and the entry time are both kept (OPS-2); saving again changes entries
        with a version each. An unexcused absence announces ``attendance.absence_recorded``."""
        c = self.caller
        c.require_role(*domain.WRITERS)
        data = load(LessonAttendanceIn, data)
        lesson = self._lesson(lesson_id)
        ref = _lesson_ref(lesson)
        self._manage_lesson_check(ref, ref.class_id)
        problem = domain.lesson_state_problem(ref, self._today())
        if problem:
            raise Conflict(problem)
        school_id = lesson["school_id"]
        cats = self._categories(school_id)
        by_code = {x.code: x for x in cats}
        by_id = {x.id: x for x in cats}
        default = self._recordable(by_code, data["default"], "default") if data["default"] else None
        named = {}
        for i, line in enumerate(data["entries"]):
            named[line["student_id"]] = self._recordable(by_code, line["category"], f"entries.{i}.category")
        roster = self._roster(ref.class_id, ref.date)
        strangers = sorted(set(named) - roster)
        if strangers:
            raise Invalid("Uczniów spoza listy klasy w dniu lekcji nie można wpisać: " + ", ".join(strangers) + ".",
                          {"entries": {sid: ["Uczeń nie był na liście klasy w dniu lekcji."] for sid in strangers}})
        targets = {sid: default for sid in roster} if default else {}
        targets.update(named)
        now = utcnow()
        counts = {"created": 0, "changed": 0, "unchanged": 0, "skipped": 0}
        try:
            with self.db.unit_of_work() as s:
                existing = {e.student_id: e for e in s.scalars(select(AttendanceEntry).where(
                    AttendanceEntry.lesson_id == ref.id)).all()}
                created, changed, absent = [], [], []
                for sid in sorted(targets):
                    cat = targets[sid]
                    entry = existing.get(sid)
                    if entry is None:
                        entry = AttendanceEntry(
                            id=new_id(), school_id=school_id, lesson_id=ref.id, student_id=sid,
                            class_id=ref.class_id, subject_id=lesson["subject_id"],
                            lesson_teacher_id=ref.teacher_id, recorded_by=c.user_id, category_id=cat.id,
                            lesson_date=ref.date, period=ref.period, entered_at=now, version=1)
                        s.add(entry)
                        created.append(entry)
                    elif entry.removed_at is not None:
                        counts["skipped"] += 1       # a removed double stays removed
                        continue
                    elif entry.category_id == cat.id:
                        counts["unchanged"] += 1
                        continue
                    elif by_id[entry.category_id].kind == domain.EXCUSED and sid not in named:
                        counts["unchanged"] += 1     # a justified absence is not overwritten by the default
                        continue
                    else:
                        previous = entry.category_id
                        entry.category_id, entry.version = cat.id, entry.version + 1
                        entry.updated_by, entry.updated_at = c.user_id, now
                        if by_id[previous].kind == domain.EXCUSED:
                            entry.justification_id = None
                        changed.append((entry, previous))
                    if cat.kind == domain.ABSENT:
                        absent.append((entry, cat))
                s.flush()   # one round trip for the class; versions point at the entries
                for entry in created:
                    self._add_version(entry, "recorded", None, None)
                for entry, previous in changed:
                    self._add_version(entry, "corrected", previous, data["reason"] or RERECORD_REASON)
                for entry, cat in absent:
                    self._announce_absence(entry, cat)
                counts["created"], counts["changed"] = len(created), len(changed)
        except IntegrityError:
            raise Conflict("Frekwencję tej lekcji zapisuje w tej chwili ktoś inny; odśwież i spróbuj ponownie.")
        out = self._lesson_view(lesson, cats, roster)
        out.update(counts)
        out["warnings"] = self._doubles_of(school_id, set(targets), ref.date, ref.period, ref.id)
        return out

    def _lesson_view(self, lesson, cats, roster=None):
        by_id = {x.id: x for x in cats}
        entries = self.db.session.scalars(select(AttendanceEntry).where(
            AttendanceEntry.lesson_id == lesson["id"]).order_by(AttendanceEntry.student_id)).all()
        return {"lesson": {k: lesson.get(k) for k in ("id", "class_id", "subject_id", "teacher_id",
                                                      "substitute_teacher_id", "date", "period", "status",
                                                      "group_name")},
                "students": sorted(roster) if roster is not None else None,
                "recorded": any(e.removed_at is None for e in entries),
                "entries": [self._entry_dict(e, by_id) for e in entries],
                "categories": [{"code": x.code, "symbol": x.symbol, "name": x.name, "kind": x.kind}
                               for x in cats if x.active and x.kind in domain.RECORDABLE_KINDS]}

    @typed_rpc
    def lesson_attendance(self, lesson_id):
        """A lesson's attendance with the class list of that day, for the lesson's form (ATT-1,
        ATT-6: staff see everyone's attendance)."""
        self.caller.require_role(*domain.VIEW_ALL)
        lesson = self._lesson(lesson_id)
        ref = _lesson_ref(lesson)
        cats = self._categories(lesson["school_id"])
        return self._lesson_view(lesson, cats, self._roster(ref.class_id, ref.date))

    def _recorded_counts(self, school_id, lesson_ids):
        if not isinstance(lesson_ids, list) or len(lesson_ids) > MAX_LESSON_IDS:
            raise Invalid(f"Podaj listę najwyżej {MAX_LESSON_IDS} lekcji.", {"lesson_ids": ["Niepoprawna lista."]})
        ids = [str(x) for x in lesson_ids]
        found = {}
        for i in range(0, len(ids), 500):   # keep each IN list short
            found.update(self.db.session.execute(
                select(AttendanceEntry.lesson_id, func.count()).where(
                    AttendanceEntry.school_id == school_id, AttendanceEntry.lesson_id.in_(ids[i:i + 500]),
                    AttendanceEntry.removed_at.is_(None)).group_by(AttendanceEntry.lesson_id)).all())
        return {x: int(found.get(x, 0)) for x in ids}

    @typed_rpc
    def lessons_recorded(self, school_id, lesson_ids):
        """How many active entries each of these lessons has (0: attendance not taken yet), for
        the teacher's day view and the lesson list (ATT-1). Staff."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.VIEW_ALL)
        return self._recorded_counts(school_id, lesson_ids)

    @typed_rpc
    def lessons_without_attendance(self, school_id, lesson_ids):
        """ORG-4, V.3a: of these lessons (held ones), those with no attendance taken: the hook
        scheduling's supervision report asks. Staff who see attendance (director, inspector...)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.VIEW_ALL)
        counts = self._recorded_counts(school_id, lesson_ids)
        return [x for x, n in counts.items() if n == 0]

    @typed_rpc
    def correct_entry(self, entry_id, data):
        """ATT-4, VII.12: correct one entry with a reason; the previous value, the author and the
        reason are kept as a version (LAW-2). Those who may record the lesson may correct it; an
        excused absence comes only from a justification."""
        c = self.caller
        c.require_role(*domain.WRITERS)
        data = load(CorrectionIn, data)
        entry = self._entry(entry_id)
        if entry.removed_at is not None:
            raise Conflict("Ten wpis usunięto jako podwójny; nie można go poprawić.")
        if domain.manages_all(c.roles):
            pass
        else:
            ref = _lesson_ref(self._lesson(entry.lesson_id))
            self._manage_lesson_check(ref, entry.class_id)
        cats = self._categories(entry.school_id)
        by_code, by_id = {x.code: x for x in cats}, {x.id: x for x in cats}
        cat = self._recordable(by_code, data["category"], "category")
        if cat.id == entry.category_id:
            raise Invalid("Wpis ma już tę kategorię.", {"category": ["Bez zmiany."]})
        with self.db.unit_of_work():
            previous = entry.category_id
            entry.category_id, entry.version = cat.id, entry.version + 1
            entry.updated_by, entry.updated_at = c.user_id, utcnow()
            if by_id[previous].kind == domain.EXCUSED:
                entry.justification_id = None
            self._add_version(entry, "corrected", previous, data["reason"])
            if cat.kind == domain.ABSENT:
                self._announce_absence(entry, cat)
        return self._entry_dict(entry, by_id)

    @typed_rpc
    def entry_history(self, entry_id):
        """The versions of one entry: each value, who set it, when and why (LAW-2, ATT-4)."""
        self.caller.require_role(*domain.VIEW_ALL)
        entry = self._entry(entry_id)
        cats = {x.id: x for x in self._categories(entry.school_id)}
        rows = self.db.session.scalars(select(EntryVersion).where(EntryVersion.entry_id == entry.id)
                                       .order_by(EntryVersion.version)).all()
        out = []
        for v in rows:
            d = _version_out.dump(v)
            d["category"] = cats[v.category_id].code if v.category_id in cats else None
            d["previous_category"] = cats[v.previous_category_id].code if v.previous_category_id in cats else None
            out.append(d)
        return {"entry": self._entry_dict(entry, cats), "versions": out}

    # ================================================================ justification (ATT-2, ATT-3)

    def _justify_check(self, student_id):
        """The caller justifies this student's absences: director/administrator, or the class
        teacher of the student's class. Returns the class id."""
        c = self.caller
        class_id = self._current_class_id(student_id)
        class_teacher_id = None if domain.manages_all(c.roles) else self._class_teacher_id(class_id)
        problem = domain.justify_problem(c.user_id, c.roles, class_teacher_id)
        if problem:
            raise Forbidden(problem)
        return class_id

    def _active_entries(self, *where):
        return self.db.session.scalars(select(AttendanceEntry).where(
            AttendanceEntry.removed_at.is_(None), *where)).all()

    def _apply_justification(self, school_id, student_id, class_id, targets, by_id, *, dates, lesson_ids,
                             reason, single_hours_reason, e_justification_id=None):
        """Turn ``targets`` (unexcused absences) into the school's excused category, one version
        each, inside the current transaction; announces ``attendance.absence_justified``."""
        cats = list(by_id.values())
        excused = domain.primary_category(
            [domain.Category(x.code, x.name, x.symbol, x.kind, x.counts_as, x.position, x.active) for x in cats],
            domain.EXCUSED)
        excused_id = next(x.id for x in cats if x.code == excused.code)
        s = self.db.session
        j = Justification(school_id=school_id, student_id=student_id, class_id=class_id,
                          dates=[d.isoformat() for d in dates], lesson_ids=list(lesson_ids), reason=reason,
                          single_hours_reason=single_hours_reason, e_justification_id=e_justification_id,
                          entry_count=len(targets), justified_by=self.caller.user_id, justified_at=utcnow())
        s.add(j)
        s.flush()
        now = utcnow()
        for entry in targets:
            previous = entry.category_id
            entry.category_id, entry.version = excused_id, entry.version + 1
            entry.updated_by, entry.updated_at, entry.justification_id = self.caller.user_id, now, j.id
            self._add_version(entry, "justified", previous, reason)
        if targets:
            self.outbox.add("attendance.absence_justified", {
                "justification_id": j.id, "student_id": student_id, "class_id": class_id,
                "entry_ids": [e.id for e in targets],
                "dates": sorted({e.lesson_date.isoformat() for e in targets}), "reason": reason,
                "single_hours_reason": single_hours_reason, "justified_by": self.caller.user_id,
                "e_justification_id": e_justification_id}, school_id=school_id)
        return j

    def _single_hour_check(self, student_id, targets, by_id, reason):
        days = sorted({e.lesson_date for e in targets})
        day_entries = [domain.DayEntry(e.id, e.lesson_date, by_id[e.category_id].kind)
                       for e in self._active_entries(AttendanceEntry.student_id == student_id,
                                                     AttendanceEntry.lesson_date.in_(days))]
        problem = domain.single_hour_problem(day_entries, [e.id for e in targets], reason)
        if problem:
            raise Invalid(problem, {"single_hours_reason": ["Wymagana przyczyna usprawiedliwienia pojedynczych godzin."]})
        # Record the reason only where it was needed.
        return reason if domain.single_hour_days(day_entries, [e.id for e in targets]) else None

    def _targets_for_lessons(self, student_id, lesson_ids, by_id, today):
        """The unexcused absences at these lessons; a lesson not held yet is justification in
        advance (Conflict), a lesson without an absence is invalid."""
        entries = {e.lesson_id: e for e in self._active_entries(
            AttendanceEntry.student_id == student_id, AttendanceEntry.lesson_id.in_(list(lesson_ids)))}
        targets, problems = [], {}
        for lesson_id in lesson_ids:
            entry = entries.get(lesson_id)
            if entry is None:
                lesson = self._lesson(lesson_id)
                if not domain.lesson_taken_place(_d(lesson["date"]), lesson.get("status"), today):
                    raise Conflict("Nie można usprawiedliwiać z wyprzedzeniem zajęć, które się jeszcze nie "
                                   f"odbyły (lekcja {lesson.get('period')} w dniu {domain.fmt_date(_d(lesson['date']))}).")
                problems[lesson_id] = ["Brak wpisanej nieobecności ucznia na tej lekcji."]
                continue
            kind = by_id[entry.category_id].kind
            if kind == domain.ABSENT:
                targets.append(entry)
            elif kind != domain.EXCUSED:
                problems[lesson_id] = ["Uczeń nie był nieobecny na tej lekcji."]
        if problems:
            raise Invalid("Na części wskazanych lekcji nie ma nieobecności do usprawiedliwienia.",
                          {"lesson_ids": problems})
        return targets

    @typed_rpc
    def justify(self, data):
        """ATT-2: the class teacher (or director, administrator) justifies absences of a student of
        the own class: whole days (``dates``) or single lessons (``lesson_ids``), with a reason.
        Never in advance for lessons not yet held (VI.11); single hours within a day only with
        ``single_hours_reason`` reported_beforehand or beyond_control, which is recorded (VI.12)."""
        c = self.caller
        c.require_role(*domain.WRITERS)
        data = load(JustifyIn, data)
        student_id = data["student_id"]
        school_id = self._student(student_id)["school_id"]
        class_id = self._justify_check(student_id)
        today = self._today()
        dates = sorted(set(data["dates"]))
        problem = domain.advance_problem(dates, today)
        if problem:
            raise Conflict(problem, {"dates": [problem]})
        if dates:
            where = [AttendanceEntry.student_id == student_id, AttendanceEntry.lesson_date.in_(dates)]
        else:
            where = [AttendanceEntry.student_id == student_id]
        entries_all = self._active_entries(*where)
        cats = self._categories(school_id)
        by_id = {x.id: x for x in cats}
        if dates:
            targets = [e for e in entries_all if by_id[e.category_id].kind == domain.ABSENT]
        else:
            targets = self._targets_for_lessons(student_id, data["lesson_ids"], by_id, today)
        if not targets:
            raise Invalid("Brak nieusprawiedliwionych nieobecności do usprawiedliwienia.",
                          {"dates" if dates else "lesson_ids": ["Brak nieobecności."]})
        single_reason = self._single_hour_check(student_id, targets, by_id, data["single_hours_reason"])
        with self.db.unit_of_work():
            j = self._apply_justification(school_id, student_id, class_id, targets, by_id, dates=dates,
                                          lesson_ids=data["lesson_ids"], reason=data["reason"],
                                          single_hours_reason=single_reason)
        return _justification_out.dump(j)

    @typed_rpc
    def submit_e_justification(self, data):
        """ATT-3 (E-USPRAWIEDLIWIENIA, IX.8): a parent justifies the own child's absences online,
        for a range of dates (``date_from``, ``date_to``) or for lessons, with a reason. It may be
        sent ahead (then it counts as reported beforehand). Another family's child is not found.
        Announces ``attendance.e_justification_submitted`` for the class teacher."""
        c = self.caller
        c.require_role(domain.PARENT)
        data = load(EJustificationIn, data)
        student_id = data["student_id"]
        if not (c.is_system or c.is_association_admin) and student_id not in self._children():
            raise NotFound(NOT_FOUND_STUDENT)
        school_id = self._school_id()
        class_id = self._current_class_id(student_id)
        today = self._today()
        lesson_ids = list(dict.fromkeys(data["lesson_ids"]))
        if lesson_ids:
            known = {e.lesson_id: e for e in self.db.session.scalars(select(AttendanceEntry).where(
                AttendanceEntry.student_id == student_id, AttendanceEntry.lesson_id.in_(lesson_ids))).all()}
            days = []
            for lesson_id in lesson_ids:
                if lesson_id in known:
                    days.append(known[lesson_id].lesson_date)
                    continue
                lesson = self.system_scheduling.get_lesson(lesson_id)
                if lesson["school_id"] != school_id or lesson["class_id"] != class_id:
                    raise NotFound("Nie znaleziono lekcji.", {"lesson_ids": {lesson_id: ["Nie znaleziono."]}})
                days.append(_d(lesson["date"]))
            date_from, date_to = min(days), max(days)
        else:
            date_from = data["date_from"]
            date_to = data["date_to"] or date_from
        problem = domain.e_justification_problem(date_from, date_to, today)
        if problem:
            raise Invalid(problem, {"date_to": [problem]})
        class_teacher_id = self._class_teacher_id(class_id) if class_id else None
        with self.db.unit_of_work() as s:
            ej = EJustification(school_id=school_id, student_id=student_id, class_id=class_id,
                                parent_id=c.user_id, date_from=date_from, date_to=date_to,
                                lesson_ids=lesson_ids, reason=data["reason"], status=domain.SUBMITTED,
                                submitted_at=utcnow())
            s.add(ej)
            s.flush()
            self.outbox.add("attendance.e_justification_submitted", {
                "e_justification_id": ej.id, "student_id": student_id, "parent_id": c.user_id,
                "class_id": class_id, "class_teacher_id": class_teacher_id,
                "date_from": date_from.isoformat(), "date_to": date_to.isoformat(),
                "lesson_ids": lesson_ids, "reason": data["reason"]}, school_id=school_id)
        return _e_out.dump(ej)

    def _e_justification(self, e_id):
        ej = self.db.session.get(EJustification, e_id) if isinstance(e_id, str) else None
        if ej is None:
            raise NotFound("Nie znaleziono e-usprawiedliwienia.")
        self.caller.require_school(ej.school_id)
        return ej

    @typed_rpc
    def decide_e_justification(self, e_justification_id, data):
        """ATT-3: the class teacher (or director, administrator) accepts or rejects a parent's
        e-justification with a comment. Accepting justifies the unexcused absences it covers, by
        the rules of ATT-2: only once its days have passed; single hours need a reason (an
        e-justification sent before the absence counts as reported beforehand). Announces
        ``attendance.e_justification_decided`` (the parent and the class teacher are told)."""
        c = self.caller
        c.require_role(*domain.WRITERS)
        data = load(DecisionIn, data)
        ej = self._e_justification(e_justification_id)
        class_teacher_id = None if domain.manages_all(c.roles) else self._class_teacher_id(ej.class_id)
        problem = domain.justify_problem(c.user_id, c.roles, class_teacher_id)
        if problem:
            raise Forbidden(problem)
        problem = domain.decision_problem(ej.status)
        if problem:
            raise Conflict(problem)
        today = self._today()
        cats = self._categories(ej.school_id)
        by_id = {x.id: x for x in cats}
        targets, single_reason = [], None
        if data["accept"]:
            if ej.date_to > today:
                raise Conflict("E-usprawiedliwienie obejmuje dni, które jeszcze nie minęły; nie usprawiedliwia "
                               "się z wyprzedzeniem. Rozpatrz je po ostatnim dniu nieobecności.")
            if ej.lesson_ids:
                covered = self._active_entries(AttendanceEntry.student_id == ej.student_id,
                                               AttendanceEntry.lesson_id.in_(list(ej.lesson_ids)))
            else:
                covered = self._active_entries(AttendanceEntry.student_id == ej.student_id,
                                               AttendanceEntry.lesson_date >= ej.date_from,
                                               AttendanceEntry.lesson_date <= ej.date_to)
            targets = [e for e in covered if by_id[e.category_id].kind == domain.ABSENT]
            if not covered or not [e for e in covered if by_id[e.category_id].kind in (domain.ABSENT, domain.EXCUSED)]:
                raise Conflict("W tym okresie nie wpisano nieobecności ucznia; nie ma czego usprawiedliwić.")
            reason = data["single_hours_reason"]
            if reason is None and domain.reported_beforehand(ej.submitted_at.date(), [e.lesson_date for e in targets]):
                reason = domain.REPORTED_BEFOREHAND
            if targets:
                single_reason = self._single_hour_check(ej.student_id, targets, by_id, reason)
        with self.db.unit_of_work():
            if data["accept"]:
                j = self._apply_justification(
                    ej.school_id, ej.student_id, ej.class_id, targets, by_id,
                    dates=[] if ej.lesson_ids else [ej.date_from + timedelta(days=i)
                                                    for i in range((ej.date_to - ej.date_from).days + 1)],
                    lesson_ids=ej.lesson_ids or [], reason=ej.reason, single_hours_reason=single_reason,
                    e_justification_id=ej.id)
                ej.justification_id = j.id
            ej.status = domain.ACCEPTED if data["accept"] else domain.REJECTED
            ej.teacher_comment = (data["comment"] or "").strip() or None
            ej.decided_at, ej.decided_by = utcnow(), c.user_id
            self.outbox.add("attendance.e_justification_decided", {
                "e_justification_id": ej.id, "student_id": ej.student_id, "parent_id": ej.parent_id,
                "class_id": ej.class_id, "status": ej.status, "comment": ej.teacher_comment,
                "decided_by": c.user_id, "justified_entries": len(targets)}, school_id=ej.school_id)
        out = _e_out.dump(ej)
        out["justified_entries"] = len(targets)
        return out

    @typed_rpc
    def e_justifications(self, class_id=None, student_id=None, status=None):
        """ATT-3: e-justifications of a class (the class teacher's inbox; director, administrator)
        or of a student (the parent sees the outcome; the student the own), optionally by status."""
        c = self.caller
        c.require_authenticated()
        q = load(EListIn, {"class_id": class_id, "student_id": student_id, "status": status})
        query = select(EJustification)
        if q["class_id"]:
            self._class(q["class_id"])
            if not domain.manages_all(c.roles):
                problem = domain.justify_problem(c.user_id, c.roles, self._class_teacher_id(q["class_id"]))
                if problem:
                    raise Forbidden("E-usprawiedliwienia klasy rozpatruje jej wychowawca.")
            query = query.where(EJustification.class_id == q["class_id"])
        else:
            sid = q["student_id"]
            if domain.STUDENT in c.roles and c.user_id == sid:
                pass
            elif domain.PARENT in c.roles and not domain.views_all(c.roles):
                if sid not in self._children():
                    raise NotFound(NOT_FOUND_STUDENT)
            elif c.has_role(domain.PARENT, domain.STUDENT) and not domain.views_all(c.roles):
                raise NotFound(NOT_FOUND_STUDENT)
            else:
                self._student(sid)
                if not domain.manages_all(c.roles):
                    problem = domain.justify_problem(c.user_id, c.roles,
                                                     self._class_teacher_id(self._current_class_id(sid)))
                    if problem:
                        raise Forbidden("E-usprawiedliwienia ucznia widzi wychowawca, rodzic i uczeń.")
            query = query.where(EJustification.student_id == sid)
        if not (c.is_system or c.is_association_admin):
            query = query.where(EJustification.school_id == c.school_id)
        if q["status"]:
            query = query.where(EJustification.status == q["status"])
        rows = self.db.session.scalars(query.order_by(EJustification.submitted_at.desc())).all()
        return _e_out.dump(rows, many=True)

    # ================================================================ weekly review (ATT-4)

    @typed_rpc
    def weekly_review(self, class_id, week_start):
        """ATT-4, VI.10: the class's entries of a week (Monday to Sunday of ``week_start``) with the
        double entries found (the same student at the same lesson hour twice), unexcused absences
        per student and pending e-justifications, for the class teacher's review."""
        c = self.caller
        c.require_role(*domain.VIEW_ALL)
        q = load(WeekIn, {"week_start": week_start})
        klass = self._class(class_id)
        monday = domain.week_start(q["week_start"])
        sunday = monday + timedelta(days=6)
        cats = {x.id: x for x in self._categories(klass["school_id"])}
        s = self.db.session
        entries = s.scalars(select(AttendanceEntry).where(
            AttendanceEntry.class_id == klass["id"], AttendanceEntry.lesson_date >= monday,
            AttendanceEntry.lesson_date <= sunday).order_by(
            AttendanceEntry.lesson_date, AttendanceEntry.period, AttendanceEntry.student_id)).all()
        students = {e.student_id for e in entries}
        # Doubles may pair an entry of this class with one of another (a transfer that day).
        candidates = s.scalars(select(AttendanceEntry).where(
            AttendanceEntry.school_id == klass["school_id"], AttendanceEntry.removed_at.is_(None),
            AttendanceEntry.lesson_date >= monday, AttendanceEntry.lesson_date <= sunday,
            AttendanceEntry.student_id.in_(list(students) or [""]))).all()
        doubles = domain.find_doubles([domain.EntryView(e.id, e.student_id, e.lesson_id, e.lesson_date,
                                                        e.period, e.entered_at, e.recorded_by)
                                       for e in candidates])
        for d in doubles:
            d["date"] = d["date"].isoformat()
        unexcused = defaultdict(int)
        for e in entries:
            if e.removed_at is None and cats[e.category_id].kind == domain.ABSENT:
                unexcused[e.student_id] += 1
        pending = s.scalar(select(func.count()).select_from(EJustification).where(
            EJustification.class_id == klass["id"], EJustification.status == domain.SUBMITTED))
        can_manage = domain.manages_all(c.roles) or domain.is_class_teacher(c.user_id, klass.get("class_teacher_id"))
        return {"class_id": klass["id"], "week_start": monday.isoformat(), "week_end": sunday.isoformat(),
                "entries": [self._entry_dict(e, cats) for e in entries], "doubles": doubles,
                "unexcused": dict(sorted(unexcused.items())), "pending_e_justifications": int(pending or 0),
                "can_manage": can_manage}

    @typed_rpc
    def remove_double_entry(self, entry_id, reason):
        """ATT-4, VI.10: the class teacher (or director, administrator) removes a double entry with a
        reason. Only a real double may go; the row stays, marked removed, with its history (LAW-2)."""
        c = self.caller
        c.require_role(*domain.WRITERS)
        data = load(RemovalIn, {"reason": reason})
        entry = self._entry(entry_id)
        if entry.removed_at is not None:
            raise Conflict("Ten wpis został już usunięty.")
        if not domain.manages_all(c.roles):
            problem = domain.justify_problem(c.user_id, c.roles, self._class_teacher_id(entry.class_id))
            if problem:
                raise Forbidden("Podwójne wpisy usuwa wychowawca klasy, dyrektor lub administrator.")
        others = self._active_entries(AttendanceEntry.student_id == entry.student_id,
                                      AttendanceEntry.lesson_date == entry.lesson_date,
                                      AttendanceEntry.period == entry.period, AttendanceEntry.id != entry.id)
        problem = domain.removal_problem(entry, others)
        if problem:
            raise Conflict(problem)
        cats = {x.id: x for x in self._categories(entry.school_id)}
        with self.db.unit_of_work():
            now = utcnow()
            entry.removed_at, entry.removed_by, entry.removed_reason = now, c.user_id, data["reason"]
            entry.version += 1
            entry.updated_by, entry.updated_at = c.user_id, now
            self._add_version(entry, "removed", entry.category_id, data["reason"])
        return self._entry_dict(entry, cats)

    # ================================================================ percentages, statistics (ATT-5)

    def _counts(self, *where, by=()):
        """{(group values..., category_id): n} of active entries matching ``where``."""
        cols = [getattr(AttendanceEntry, b) for b in by]
        rows = self.db.session.execute(
            select(*cols, AttendanceEntry.category_id, func.count()).where(
                AttendanceEntry.removed_at.is_(None), *where)
            .group_by(*cols, AttendanceEntry.category_id)).all()
        return rows

    @staticmethod
    def _range_where(date_from, date_to):
        where = []
        if date_from:
            where.append(AttendanceEntry.lesson_date >= date_from)
        if date_to:
            where.append(AttendanceEntry.lesson_date <= date_to)
        return where

    def _tallies(self, rows, cats, key_len):
        """Group count rows by their first ``key_len`` columns and tally each group."""
        counts_as = {x.code: x.counts_as for x in cats.values()}
        grouped = defaultdict(lambda: defaultdict(int))
        for row in rows:
            key = tuple(row[:key_len])
            cat = cats.get(row[key_len])
            grouped[key][cat.code if cat else "?"] += int(row[key_len + 1])
        out = {}
        for key, by_code in grouped.items():
            t = domain.tally(by_code, counts_as)
            t["by_category"] = dict(sorted(by_code.items()))
            t["by_kind"] = self._by_kind(by_code, cats)
            out[key] = t
        return out

    @staticmethod
    def _by_kind(by_code, cats):
        kinds = {k: 0 for k in domain.KINDS}
        code_kind = {x.code: x.kind for x in cats.values()}
        for code, n in by_code.items():
            if code in code_kind:
                kinds[code_kind[code]] += n
        return kinds

    def _empty_tally(self):
        t = domain.tally({}, {})
        t["by_category"], t["by_kind"] = {}, {k: 0 for k in domain.KINDS}
        return t

    @typed_rpc
    def percentages(self, scope, id, date_from=None, date_to=None, class_id=None):
        """ATT-5: the attendance percentage of a student, a class or a subject (optionally in one
        class) over a date range (a term or the year: pass its dates), computed by the one
        documented formula everywhere: present / (present + absent) × 100 with the school's
        categories' ``counts_as``. A student's own, a parent's child's, staff everyone's (ATT-6)."""
        c = self.caller
        q = load(PercentagesIn, {"scope": scope, "id": id, "date_from": date_from, "date_to": date_to,
                                 "class_id": class_id})
        where = self._range_where(q["date_from"], q["date_to"])
        if q["scope"] == "student":
            self._require_view_student(q["id"])
            where.append(AttendanceEntry.student_id == q["id"])
            breakdown = ("subject_id",)
        elif q["scope"] == "class":
            c.require_role(*domain.VIEW_ALL)
            self._class(q["id"])
            where.append(AttendanceEntry.class_id == q["id"])
            breakdown = ("student_id",)
        else:
            c.require_role(*domain.VIEW_ALL)
            subject = self.scheduling.get_subject(q["id"])
            c.require_school(subject["school_id"])
            where.append(AttendanceEntry.subject_id == q["id"])
            if q["class_id"]:
                self._class(q["class_id"])
                where.append(AttendanceEntry.class_id == q["class_id"])
            breakdown = ("student_id",)
        if not (c.is_system or c.is_association_admin):
            where.append(AttendanceEntry.school_id == c.school_id)
        school_id = c.school_id or self._school_of(where)
        cats = {x.id: x for x in self._categories(school_id)} if school_id else {}
        total = self._tallies(self._counts(*where), cats, 0).get((), self._empty_tally())
        parts = self._tallies(self._counts(*where, by=breakdown), cats, 1)
        out = {"scope": q["scope"], "id": q["id"], "date_from": q["date_from"] and q["date_from"].isoformat(),
               "date_to": q["date_to"] and q["date_to"].isoformat(), **total,
               "formula": self._formula_out(school_id, list(cats.values())) if school_id else None,
               "breakdown_by": breakdown[0],
               "breakdown": [{breakdown[0]: k[0], **v} for k, v in sorted(parts.items())]}
        return out

    def _school_of(self, where):
        return self.db.session.scalar(select(AttendanceEntry.school_id).where(*where).limit(1))

    @typed_rpc
    def below_threshold(self, scope, id, threshold, date_from=None, date_to=None):
        """ATT-5: students of a class (``scope`` class) or a school (``scope`` school) whose
        attendance percentage over the range is below ``threshold`` (e.g. 50), lowest first.
        Removed and transferred students' entries still count (ORG-7). Staff only."""
        c = self.caller
        c.require_role(*domain.VIEW_ALL)
        q = load(ThresholdIn, {"scope": scope, "id": id, "threshold": threshold, "date_from": date_from,
                               "date_to": date_to})
        where = self._range_where(q["date_from"], q["date_to"])
        if q["scope"] == "class":
            klass = self._class(q["id"])
            school_id = klass["school_id"]
            where.append(AttendanceEntry.class_id == klass["id"])
        else:
            c.require_school(q["id"])
            school_id = q["id"]
        where.append(AttendanceEntry.school_id == school_id)
        cats = {x.id: x for x in self._categories(school_id)}
        per_student = self._tallies(self._counts(*where, by=("student_id",)), cats, 1)
        classes = defaultdict(set)
        for sid, cid in self.db.session.execute(select(AttendanceEntry.student_id, AttendanceEntry.class_id)
                                                .where(AttendanceEntry.removed_at.is_(None), *where).distinct()):
            classes[sid].add(cid)
        rows = [{"student_id": k[0], "class_ids": sorted(classes[k[0]]), **v} for k, v in per_student.items()]
        return {"scope": q["scope"], "id": q["id"], "threshold": q["threshold"],
                "students": domain.below_threshold(rows, q["threshold"])}

    def _class_statistics(self, klass, date_from, date_to):
        where = self._range_where(date_from, date_to) + [AttendanceEntry.class_id == klass["id"],
                                                         AttendanceEntry.school_id == klass["school_id"]]
        cats = {x.id: x for x in self._categories(klass["school_id"])}
        roster = self.scheduling.class_list(klass["id"], True)
        status = {}
        for r in roster:
            # The latest enrolment of a student in this class decides the status shown.
            status[r["student_id"]] = r.get("status") or "active"
        per_student = self._tallies(self._counts(*where, by=("student_id",)), cats, 1)
        per_subject = self._tallies(self._counts(*where, by=("subject_id",)), cats, 1)
        total = self._tallies(self._counts(*where), cats, 0).get((), self._empty_tally())
        students = []
        for sid in sorted(set(status) | {k[0] for k in per_student}):
            t = per_student.get((sid,), self._empty_tally())
            students.append({"student_id": sid, "list_status": status.get(sid, "left"), **t})
        return cats, {"class_id": klass["id"], "class_name": klass.get("name"),
                      "date_from": date_from and date_from.isoformat(), "date_to": date_to and date_to.isoformat(),
                      "total": total, "students": students,
                      "subjects": [{"subject_id": k[0], **v} for k, v in sorted(per_subject.items())],
                      "formula": self._formula_out(klass["school_id"], list(cats.values()))}

    @typed_rpc
    def class_statistics(self, class_id, date_from=None, date_to=None):
        """ATT-5, VI.5: a class's attendance statistics over a range, for the class teacher and the
        director: totals, each student (with the list status: active, transferred, removed; their
        entries still count, ORG-7) and each subject, by the school's formula."""
        self.caller.require_role(*domain.VIEW_ALL)
        q = load(RangeIn, {"date_from": date_from, "date_to": date_to})
        klass = self._class(class_id)
        return self._class_statistics(klass, q["date_from"], q["date_to"])[1]

    @typed_rpc
    def student_attendance(self, student_id, date_from=None, date_to=None):
        """ATT-6, LAW-3: a student's entries over a range (newest first) with their categories and
        whether they were backfilled (OPS-2); the student, the parent, staff."""
        q = load(RangeIn, {"date_from": date_from, "date_to": date_to})
        self._require_view_student(student_id)
        where = [AttendanceEntry.student_id == student_id] + self._range_where(q["date_from"], q["date_to"])
        c = self.caller
        if not (c.is_system or c.is_association_admin):
            where.append(AttendanceEntry.school_id == c.school_id)
        rows = self._active_entries(*where)
        rows.sort(key=lambda e: (e.lesson_date, e.period), reverse=True)
        school_id = rows[0].school_id if rows else c.school_id
        cats = {x.id: x for x in self._categories(school_id)} if school_id else {}
        return [self._entry_dict(e, cats) for e in rows]

    @typed_rpc
    def student_calendar(self, student_id, month):
        """ATT-6, LAW-3: a student's month (``YYYY-MM``) day by day for the parent's calendar: each
        day's status (absent, excused, late, school_reasons, released, present or none), counts
        per kind and its lessons, plus the e-justifications touching the month."""
        q = load(MonthIn, {"month": month})
        self._require_view_student(student_id)
        year, mon = (int(x) for x in q["month"].split("-"))
        days = domain.month_days(year, mon)
        c = self.caller
        where = [AttendanceEntry.student_id == student_id, AttendanceEntry.lesson_date >= days[0],
                 AttendanceEntry.lesson_date <= days[-1]]
        if not (c.is_system or c.is_association_admin):
            where.append(AttendanceEntry.school_id == c.school_id)
        rows = self._active_entries(*where)
        school_id = rows[0].school_id if rows else c.school_id
        cats = {x.id: x for x in self._categories(school_id)} if school_id else {}
        per_day = defaultdict(list)
        for e in sorted(rows, key=lambda e: e.period):
            per_day[e.lesson_date].append(e)
        out_days = []
        for day in days:
            entries = per_day.get(day, [])
            summary = domain.day_summary([cats[e.category_id].kind for e in entries])
            summary.update(date=day.isoformat(), weekday=day.isoweekday(),
                           entries=[{"entry_id": e.id, "lesson_id": e.lesson_id, "period": e.period,
                                     "subject_id": e.subject_id, "category": cats[e.category_id].code,
                                     "symbol": cats[e.category_id].symbol, "kind": cats[e.category_id].kind,
                                     "justified": e.justification_id is not None} for e in entries])
            out_days.append(summary)
        ejs = self.db.session.scalars(select(EJustification).where(
            EJustification.student_id == student_id, EJustification.date_from <= days[-1],
            EJustification.date_to >= days[0])).all()
        counts_as = {x.code: x.counts_as for x in cats.values()}
        month_counts = defaultdict(int)
        for e in rows:
            month_counts[cats[e.category_id].code] += 1
        return {"student_id": student_id, "month": q["month"], "days": out_days,
                "month_total": domain.tally(month_counts, counts_as),
                "e_justifications": _e_out.dump(ejs, many=True)}

    @typed_rpc
    def parent_meeting_summary_pdf(self, class_id, date_from=None, date_to=None):
        """ATT-5, ARC-3, VI.13: the printable attendance summary of a class for a parent meeting
        (PDF as base64): each student's lessons, presences, absences (unexcused, excused), lates,
        releases and percentage, the class total and the formula. Staff who print (not the inspector)."""
        c = self.caller
        c.require_role(*domain.WRITERS)
        q = load(RangeIn, {"date_from": date_from, "date_to": date_to})
        klass = self._class(class_id)
        cats, stats = self._class_statistics(klass, q["date_from"], q["date_to"])
        names = {a["id"]: f"{a['last_name']} {a['first_name']}"
                 for a in self.identity.list_accounts(klass["school_id"], "student")}
        for row in stats["students"]:
            row["name"] = names.get(row["student_id"], row["student_id"])
        stats["students"].sort(key=lambda r: r["name"])
        pdf = printouts.parent_meeting_summary(stats)
        return {"rows": len(stats["students"]), "pdf_base64": base64.b64encode(pdf).decode()}

    # ================================================================ class changes (ORG-5, ORG-7)

    @subscribe("scheduling.student_transferred")
    @idempotent
    def on_student_transferred(self, event):
        """ORG-5: a transferred student's attendance goes along: entries keep the class they were
        recorded in (and count there), the move is recorded, and pending e-justifications go to the
        new class's class teacher."""
        p = event["payload"]
        s = self.db.session
        s.add(ClassChange(school_id=event["school_id"], student_id=p["student_id"], kind="transferred",
                          from_class_id=p["from_class_id"], to_class_id=p["to_class_id"],
                          on_date=event["occurred_at"].date(), event_id=event["id"]))
        for ej in s.scalars(select(EJustification).where(
                EJustification.student_id == p["student_id"], EJustification.school_id == event["school_id"],
                EJustification.status == domain.SUBMITTED)).all():
            ej.class_id = p["to_class_id"]

    @subscribe("scheduling.student_removed")
    @idempotent
    def on_student_removed(self, event):
        """ORG-7: a student struck off the class list keeps the whole attendance history, which
        still counts in statistics; the removal is recorded beside it."""
        p = event["payload"]
        self.db.session.add(ClassChange(
            school_id=event["school_id"], student_id=p["student_id"], kind="removed",
            from_class_id=p["class_id"], on_date=p["removed_on"], reason=p["reason"], event_id=event["id"]))

    @typed_rpc
    def class_changes(self, student_id):
        """The student's transfers and removals as attendance learnt them (ORG-5, ORG-7)."""
        self._require_view_student(student_id)
        rows = self.db.session.scalars(select(ClassChange).where(ClassChange.student_id == student_id)
                                       .order_by(ClassChange.created_at)).all()
        return [{"kind": r.kind, "from_class_id": r.from_class_id, "to_class_id": r.to_class_id,
                 "on_date": r.on_date.isoformat(), "reason": r.reason} for r in rows]
