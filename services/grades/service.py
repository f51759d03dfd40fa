"""grades: the nameko entrypoints. Each loads its arguments, finds the records (NotFound, and
the school checked on every one of them), asks scheduling and identity what it needs (classes,
class lists, teaching assignments, guardians), applies the rule from ``domain``, stores, and
records events in the outbox in the same transaction."""
import base64
from contextlib import contextmanager
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.handlers import idempotent, subscribe
from services.common.models import utcnow
from services.common.rpc import ServiceRpc
from services.common.service import PlatformService, typed_rpc
from services.common.validation import load

from . import domain, printouts
from .export import ArchiveExport
from .domain import BEHAVIOUR, GradeError
from .models import (AtRiskFlag, FinalGrade, FinalGradeVersion, Grade, GradeCategory, GradeColumn,
                     GradeSettings, GradeVersion, StudentMove, new_id)
from .schemas import (CategoryIn, CategoryOut, CategoryUpdateIn, ColumnIn, CorrectionIn, FinalColumnIn, FinalIn,
                      FinalOut, FinalVersionOut, FlagOut, GradeIn, GradeVersionOut,
                      ListQuery, NoticesQuery, SettingsIn, SettingsOut, grade_view)

_version_out = GradeVersionOut()
_final_out = FinalOut()
_final_version_out = FinalVersionOut()
_flag_out = FlagOut()
_category_out = CategoryOut()
_settings_out = SettingsOut()

NOT_TAUGHT = "Nie prowadzisz zajęć z tego przedmiotu w tej klasie."
BEHAVIOUR_BY_CLASS_TEACHER = "Ocenę zachowania wystawia wychowawca klasy."
MOVED_REASON = "Przeniesienie ucznia do innej klasy."


CONCURRENT = "Ocena została właśnie zmieniona przez kogoś innego; odśwież widok i spróbuj ponownie."


def _invalid(field, exc):
    return Invalid(f"{exc}", {field: [str(exc)]})


@contextmanager
def _one_writer():
    """Two edits of one grade at once both write the same next version number: the unique
    (grade, version) constraint lets one win; the other gets a Conflict, nothing half-written."""
    try:
        yield
    except IntegrityError:
        raise Conflict(CONCURRENT)


class GradesService(ArchiveExport, PlatformService):
    name = "grades"
    identity = ServiceRpc("identity")
    scheduling = ServiceRpc("scheduling")

    # ================================================================ lookups (one per resource)

    def _memo(self):
        # nameko makes a service instance per worker: this cache lives for one call.
        memo = self.__dict__.get("_memo_dict")
        if memo is None:
            memo = self.__dict__["_memo_dict"] = {}
        return memo

    def _get_class(self, class_id):
        """A class of the caller's school (scheduling answers NotFound for another school's id)."""
        if not isinstance(class_id, str) or not class_id:
            raise NotFound("Nie znaleziono klasy.")
        memo = self._memo()
        if ("class", class_id) not in memo:
            cls = self.scheduling.get_class(class_id)
            self.caller.require_school(cls["school_id"])
            memo[("class", class_id)] = cls
        return memo[("class", class_id)]

    def _check_subject(self, subject_id, school_id):
        if not isinstance(subject_id, str) or not subject_id:
            raise NotFound("Nie znaleziono przedmiotu.")
        memo = self._memo()
        if ("subject", subject_id) not in memo:
            subject = self.scheduling.get_subject(subject_id)
            if subject.get("school_id") != school_id:
                raise NotFound("Nie znaleziono przedmiotu.", {"subject_id": ["Nie znaleziono."]})
            memo[("subject", subject_id)] = subject
        return memo[("subject", subject_id)]

    def _roster(self, class_id, include_ended=False):
        key = ("roster", class_id, include_ended)
        memo = self._memo()
        if key not in memo:
            memo[key] = self.scheduling.class_list(class_id, include_ended)
        return memo[key]

    def _taught(self):
        """(class_id, subject_id) of the caller's teaching assignments (przydział zajęć)."""
        c = self.caller
        if not c.user_id or not (set(c.roles) & set(domain.TEACHERS)):
            return frozenset()
        memo = self._memo()
        if "taught" not in memo:
            rows = self.scheduling.assignments_of_teacher(c.user_id)
            memo["taught"] = frozenset((r["class_id"], r["subject_id"]) for r in rows)
        return memo["taught"]

    def _viewer(self, class_ids=(), student_id=None):
        """The caller as the rules see them: teaching assignments, classes they are the class
        teacher of (among ``class_ids``), children (when asking about ``student_id``)."""
        c = self.caller
        c.require_authenticated()
        roles = set(c.roles)
        if c.is_system:
            roles.add(domain.SYSTEM)
        base = domain.Viewer.of(c.user_id, roles)
        taught, class_teacher_of, children = (), set(), ()
        if base.is_teacher and not base.manages_all:
            taught = self._taught()
            for cid in {x for x in class_ids if x}:
                try:
                    if self._get_class(cid).get("class_teacher_id") == c.user_id:
                        class_teacher_of.add(cid)
                except NotFound:
                    pass
        if student_id and domain.PARENT in roles and c.user_id:
            children = c.children_ids(self.identity)
        return domain.Viewer.of(c.user_id, roles, taught, class_teacher_of, children)

    def _grade(self, grade_id):
        grade = self.db.session.get(Grade, grade_id) if isinstance(grade_id, str) else None
        if grade is None:
            raise NotFound("Nie znaleziono oceny.")
        self.caller.require_school(grade.school_id)
        return grade

    def _final(self, final_id):
        final = self.db.session.get(FinalGrade, final_id) if isinstance(final_id, str) else None
        if final is None:
            raise NotFound("Nie znaleziono oceny.")
        self.caller.require_school(final.school_id)
        return final

    def _category(self, category_id, school_id):
        cat = self.db.session.get(GradeCategory, category_id) if isinstance(category_id, str) else None
        if cat is None or cat.school_id != school_id:
            raise NotFound("Nie znaleziono kategorii ocen w tej szkole.", {"category_id": ["Nie znaleziono."]})
        return cat

    def _categories(self, school_id):
        rows = self.db.session.scalars(select(GradeCategory).where(GradeCategory.school_id == school_id)).all()
        return {c.id: c for c in rows}

    def _settings(self, school_id):
        row = self.db.session.get(GradeSettings, school_id)
        if row is None:
            return {"school_id": school_id, "plus_value": float(domain.DEFAULT_PLUS),
                    "minus_value": float(domain.DEFAULT_MINUS), "allow_six_plus": False,
                    "allow_one_minus": False, "symbols": [dict(s) for s in domain.DEFAULT_SYMBOLS],
                    "second_term_start": domain.DEFAULT_SECOND_TERM_START, "midyear_notice_deadline": None,
                    "annual_notice_deadline": None, "updated_by": None, "updated_at": None, "stored": False}
        out = {k: getattr(row, k) for k in ("school_id", "plus_value", "minus_value", "allow_six_plus",
                                             "allow_one_minus", "symbols", "second_term_start",
                                             "midyear_notice_deadline", "annual_notice_deadline",
                                             "updated_by", "updated_at")}
        out["stored"] = True
        return out

    @staticmethod
    def _scale(settings):
        return domain.Scale.of(settings["plus_value"], settings["minus_value"], settings["allow_six_plus"],
                               settings["allow_one_minus"], settings["symbols"])

    def _current_class_id(self, student_id):
        """The class the student is on the list of now (None: on no list)."""
        memo = self._memo()
        if ("current", student_id) not in memo:
            found = self.scheduling.student_class(student_id) if isinstance(student_id, str) else None
            memo[("current", student_id)] = (found or {}).get("class_id")
        return memo[("current", student_id)]

    def _student_ids(self, class_id):
        return [r["student_id"] for r in self._roster(class_id)]

    def _require_manage(self, viewer, grade_class_id, subject_id, student_id):
        """Managers, or a teacher of the subject in the class the grade was given in or in the
        student's current class (after a transfer the new teacher carries on)."""
        if domain.may_manage_grades(viewer, grade_class_id, subject_id):
            return
        if viewer.is_teacher:
            current = self._current_class_id(student_id)
            if current and domain.may_manage_grades(viewer, current, subject_id):
                return
        raise Forbidden(NOT_TAUGHT)

    # ================================================================ settings and categories (GRD-1)

    @typed_rpc
    def grade_settings(self, school_id):
        """The school's grade scale: values of + and -, whether 6+ and 1- exist, the symbols that
        do not count, the start of the second term, the at-risk notice deadlines (GRD-1, GRD-4)."""
        self.caller.require_school(school_id)
        self.caller.require_authenticated()
        return _settings_out.dump(self._settings(school_id))

    @typed_rpc
    def update_grade_settings(self, school_id, data):
        """Change the school's grade scale and deadlines (GRD-1; administrator or director).
        A new value of + or - is applied to every stored grade's numeric value at once."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.MANAGERS)
        data = load(SettingsIn, data)
        problems = domain.scale_problems(data.get("plus_value"), data.get("minus_value"), data.get("symbols"))
        if "second_term_start" in data:
            try:
                domain.parse_month_day(data["second_term_start"])
            except GradeError as exc:
                problems["second_term_start"] = [str(exc)]
        if problems:
            raise Invalid("Niepoprawne ustawienia skali ocen: " + ", ".join(sorted(problems)) + ".", problems)
        with self.db.unit_of_work() as s:
            row = s.get(GradeSettings, school_id)
            if row is None:
                current = self._settings(school_id)
                row = GradeSettings(**{k: v for k, v in current.items() if k not in ("stored", "updated_at")})
                s.add(row)
            for key, value in data.items():
                setattr(row, key, value)
            row.updated_by, row.updated_at = self.caller.user_id, utcnow()
            s.flush()
            scale = self._scale(self._settings(school_id))
            for grade in s.scalars(select(Grade).where(Grade.school_id == school_id, Grade.numeric.is_not(None))):
                base = domain.base_of(grade.value)
                if base is not None:
                    grade.numeric = float(domain.numeric_value(base, grade.value[1:], scale))
        return _settings_out.dump(self._settings(school_id))

    @typed_rpc
    def list_categories(self, school_id, include_inactive=False):
        """Categories of partial grades of a school with their weights (GRD-1)."""
        self.caller.require_school(school_id)
        self.caller.require_authenticated()
        query = select(GradeCategory).where(GradeCategory.school_id == school_id).order_by(GradeCategory.name)
        if not include_inactive:
            query = query.where(GradeCategory.active.is_(True))
        return _category_out.dump(self.db.session.scalars(query).all(), many=True)

    @typed_rpc
    def create_category(self, school_id, data):
        """Add a category of partial grades with its weight (GRD-1; administrator or director)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.MANAGERS)
        data = load(CategoryIn, data)
        taken = Conflict("Kategoria o tej nazwie już istnieje.", {"name": ["Zajęta."]})
        try:
            with self.db.unit_of_work() as s:
                if s.scalar(select(GradeCategory.id).where(GradeCategory.school_id == school_id,
                                                           GradeCategory.name == data["name"])):
                    raise taken
                cat = GradeCategory(school_id=school_id, created_by=self.caller.user_id, **data)
                s.add(cat)
        except IntegrityError:   # the same name created at the same moment
            raise taken
        return _category_out.dump(cat)

    @typed_rpc
    def update_category(self, category_id, data):
        """Rename, reweigh or retire a category (GRD-1; administrator or director). Grades without
        a weight of their own follow the category's new weight."""
        cat = self.db.session.get(GradeCategory, category_id) if isinstance(category_id, str) else None
        if cat is None:
            raise NotFound("Nie znaleziono kategorii ocen.")
        self.caller.require_school(cat.school_id)
        self.caller.require_role(*domain.MANAGERS)
        data = load(CategoryUpdateIn, data)
        with self.db.unit_of_work() as s:
            if "name" in data and data["name"] != cat.name and s.scalar(select(GradeCategory.id).where(
                    GradeCategory.school_id == cat.school_id, GradeCategory.name == data["name"])):
                raise Conflict("Kategoria o tej nazwie już istnieje.", {"name": ["Zajęta."]})
            for key, value in data.items():
                setattr(cat, key, value)
        return _category_out.dump(cat)

    @typed_rpc
    def install_default_categories(self, school_id):
        """Create the usual categories (sprawdzian, kartkówka, odpowiedź ustna, praca domowa,
        aktywność) that the school does not have yet (GRD-1; administrator or director)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.MANAGERS)
        with self.db.unit_of_work() as s:
            have = {c.name for c in self._categories(school_id).values()}
            for cat in domain.DEFAULT_CATEGORIES:
                if cat["name"] not in have:
                    s.add(GradeCategory(school_id=school_id, created_by=self.caller.user_id, **cat))
        return self.list_categories(school_id)

    # ================================================================ partial grades (GRD-1, GRD-6)

    def _new_grade(self, *, school_id, class_id, subject_id, student_id, category, parsed, day, description,
                   weight, counts, column_id, settings, announce=True):
        """A new partial grade in the open unit of work; ``announce``: its own ``grades.grade_added``
        (a column announces its grades together in ``grades.column_added``)."""
        s = self.db.session
        grade = Grade(id=new_id(), school_id=school_id, student_id=student_id, class_id=class_id, subject_id=subject_id,
                      teacher_id=self.caller.user_id, category_id=category.id, column_id=column_id,
                      weight=weight, counts_in_average=counts, date=day,
                      school_year=domain.school_year_of(day),
                      term=domain.term_of(day, settings["second_term_start"]), description=description,
                      value=parsed.value, numeric=domain.to_float(parsed.numeric), version=1,
                      created_by=self.caller.user_id, created_at=utcnow())
        s.add(grade)   # its version row comes with _versions_of_new (one flush for a whole column)
        if not announce:
            return grade
        self.outbox.add("grades.grade_added", {
            "grade_id": grade.id, "student_id": student_id, "class_id": class_id, "subject_id": subject_id,
            "teacher_id": self.caller.user_id, "category_id": category.id, "column_id": column_id,
            "value": grade.value, "numeric": grade.numeric,
            "weight": weight if weight is not None else category.weight, "date": day.isoformat()},
            school_id=school_id)
        return grade

    def _versions_of_new(self, grades):
        """The first version row of each new grade. The grades are flushed first: the unit of
        work does not order these tables by their foreign keys (no relationships are mapped)."""
        self.db.session.flush()
        self.db.session.add_all([self._version_row(g, "created", None) for g in grades])

    def _version_row(self, grade, action, reason):
        return GradeVersion(school_id=grade.school_id, grade_id=grade.id, version=grade.version, action=action,
                            value=grade.value, numeric=grade.numeric, category_id=grade.category_id,
                            weight=grade.weight, counts_in_average=grade.counts_in_average, date=grade.date,
                            description=grade.description, reason=reason, author_id=self.caller.user_id,
                            author_roles=list(self.caller.roles), at=utcnow())

    def _check_date(self, day):
        problem = domain.grade_date_problem(day, date.today())
        if problem:
            raise Invalid(problem, {"date": [problem]})
        return day

    def _entry_context(self, class_id, subject_id):
        """Shared checks of entering grades: a teacher or manager, the class and subject of the
        caller's school, and a teaching assignment of that subject in that class."""
        self.caller.require_role(*domain.TEACHERS, *domain.MANAGERS)
        cls = self._get_class(class_id)
        self._check_subject(subject_id, cls["school_id"])
        viewer = self._viewer([cls["id"]])
        if not domain.may_manage_grades(viewer, cls["id"], subject_id):
            raise Forbidden(NOT_TAUGHT)
        return cls

    @typed_rpc
    def add_grade(self, data):
        """Enter one partial grade for a student of a class in a subject the caller teaches there
        (GRD-1: value on the school's scale, category, weight, date, description, author)."""
        data = load(GradeIn, data)
        cls = self._entry_context(data["class_id"], data["subject_id"])
        school_id = cls["school_id"]
        column = None
        if data["column_id"]:
            column = self.db.session.get(GradeColumn, data["column_id"])
            if column is None or column.school_id != school_id or column.class_id != cls["id"] \
                    or column.subject_id != data["subject_id"]:
                raise NotFound("Nie znaleziono kolumny ocen tej klasy i przedmiotu.", {"column_id": ["Nie znaleziono."]})
        category_id = data["category_id"] or (column.category_id if column else None)
        if not category_id:
            raise Invalid("Podaj kategorię oceny.", {"category_id": ["Pole wymagane."]})
        category = self._category(category_id, school_id)
        if data["student_id"] not in self._student_ids(cls["id"]):
            raise Invalid("Uczeń nie należy do tej klasy.", {"student_id": ["Uczeń nie należy do tej klasy."]})
        settings = self._settings(school_id)
        try:
            parsed = domain.parse_grade(data["value"], self._scale(settings))
        except GradeError as exc:
            raise _invalid("value", exc)
        day = self._check_date(data["date"] or (column.date if column else date.today()))
        description = data["description"] if data["description"] is not None else (column.description if column else None)
        with self.db.unit_of_work():
            grade = self._new_grade(school_id=school_id, class_id=cls["id"], subject_id=data["subject_id"],
                                    student_id=data["student_id"], category=category, parsed=parsed, day=day,
                                    description=description, weight=data["weight"],
                                    counts=data["counts_in_average"], column_id=column.id if column else None,
                                    settings=settings)
            self._versions_of_new([grade])
        return self._grade_dict(grade, {category.id: category})

    @typed_rpc
    def add_grade_column(self, class_id, subject_id, data):
        """Enter a column: one test's grades for a whole class in one request, all or nothing
        (GRD-1). Refuses a teacher without an assignment of that subject in that class, a student
        not on the class list, and any value outside the school's scale; nothing is stored then."""
        data = load(ColumnIn, data)
        cls = self._entry_context(class_id, subject_id)
        school_id = cls["school_id"]
        category = self._category(data["category_id"], school_id)
        day = self._check_date(data["date"] or date.today())
        settings = self._settings(school_id)
        parsed, problems = domain.column_problems(data["grades"], self._student_ids(cls["id"]), self._scale(settings))
        if problems:
            count = len([k for k in problems if k != "_schema"])
            raise Invalid(f"Kolumna nie została zapisana: {count} błędnych wpisów." if count
                          else "Kolumna nie została zapisana.", {"grades": problems})
        with self.db.unit_of_work() as s:
            column = GradeColumn(id=new_id(), school_id=school_id, class_id=cls["id"], subject_id=subject_id,
                                 category_id=category.id, date=day, description=data["description"],
                                 created_by=self.caller.user_id)
            s.add(column)
            s.flush()
            grades = [self._new_grade(school_id=school_id, class_id=cls["id"], subject_id=subject_id,
                                      student_id=sid, category=category, parsed=p, day=day,
                                      description=data["description"], weight=data["weight"],
                                      counts=data["counts_in_average"], column_id=column.id, settings=settings,
                                      announce=False)
                      for sid, p in parsed]
            self._versions_of_new(grades)
            # One event for the column (a class's test), not one per grade: the audit log and any
            # other consumer get the whole entry at once.
            self.outbox.add("grades.column_added", {
                "column_id": column.id, "class_id": cls["id"], "subject_id": subject_id,
                "teacher_id": self.caller.user_id, "category_id": category.id,
                "weight": data["weight"] if data["weight"] is not None else category.weight,
                "date": day.isoformat(), "description": data["description"],
                "grades": [{"grade_id": g.id, "student_id": g.student_id, "value": g.value, "numeric": g.numeric}
                           for g in grades]}, school_id=school_id)
        cats = {category.id: category}
        return {"column": self._column_dict(column, cats), "grades": [self._grade_dict(g, cats) for g in grades]}

    @typed_rpc
    def correct_grade(self, grade_id, data):
        """Correct a partial grade: a new value (or category, weight, date, description), never
        without a reason; the previous version is kept with its author and time (GRD-6, VII.11-12).
        The subject's teacher in that class, an administrator or a director."""
        data = load(CorrectionIn, data)
        grade = self._grade(grade_id)
        self.caller.require_role(*domain.TEACHERS, *domain.MANAGERS)
        viewer = self._viewer([grade.class_id])
        self._require_manage(viewer, grade.class_id, grade.subject_id, grade.student_id)
        if grade.deleted_at is not None:
            raise Conflict("Ta ocena została usunięta; nie można jej poprawić.")
        try:
            reason = domain.require_reason(data.pop("reason"))
        except GradeError as exc:
            raise _invalid("reason", exc)
        changes = {}
        if "value" in data:
            try:
                parsed = domain.parse_grade(data["value"], self._scale(self._settings(grade.school_id)))
            except GradeError as exc:
                raise _invalid("value", exc)
            if parsed.value != grade.value:
                changes["value"], changes["numeric"] = parsed.value, domain.to_float(parsed.numeric)
        if "category_id" in data and data["category_id"] != grade.category_id:
            changes["category_id"] = self._category(data["category_id"], grade.school_id).id
        if "date" in data and data["date"] != grade.date:
            changes["date"] = self._check_date(data["date"])
            settings = self._settings(grade.school_id)
            changes["school_year"] = domain.school_year_of(data["date"])
            changes["term"] = domain.term_of(data["date"], settings["second_term_start"])
        for key in ("weight", "counts_in_average", "description"):
            if key in data and data[key] != getattr(grade, key):
                changes[key] = data[key]
        if not changes:
            raise Invalid("Poprawka niczego nie zmienia.", {"value": ["Podaj nową wartość."]})
        old_value = grade.value
        with _one_writer(), self.db.unit_of_work() as s:
            for key, value in changes.items():
                setattr(grade, key, value)
            grade.version += 1
            grade.updated_by, grade.updated_at = self.caller.user_id, utcnow()
            s.add(self._version_row(grade, "corrected", reason))
            self.outbox.add("grades.grade_corrected", {
                "grade_id": grade.id, "student_id": grade.student_id, "class_id": grade.class_id,
                "subject_id": grade.subject_id, "old_value": old_value, "new_value": grade.value,
                "deleted": False, "reason": reason, "version": grade.version}, school_id=grade.school_id)
        return self._grade_dict(grade)

    @typed_rpc
    def delete_grade(self, grade_id, reason):
        """Delete a partial grade logically, with a reason: it no longer counts nor shows, and its
        history keeps every version and the deletion (GRD-6, VII.11)."""
        grade = self._grade(grade_id)
        self.caller.require_role(*domain.TEACHERS, *domain.MANAGERS)
        viewer = self._viewer([grade.class_id])
        self._require_manage(viewer, grade.class_id, grade.subject_id, grade.student_id)
        if grade.deleted_at is not None:
            raise Conflict("Ta ocena została już usunięta.")
        try:
            reason = domain.require_reason(reason)
        except GradeError as exc:
            raise _invalid("reason", exc)
        with _one_writer(), self.db.unit_of_work() as s:
            grade.version += 1
            grade.deleted_at, grade.deleted_by, grade.delete_reason = utcnow(), self.caller.user_id, reason
            grade.updated_by, grade.updated_at = self.caller.user_id, grade.deleted_at
            s.add(self._version_row(grade, "deleted", reason))
            self.outbox.add("grades.grade_corrected", {
                "grade_id": grade.id, "student_id": grade.student_id, "class_id": grade.class_id,
                "subject_id": grade.subject_id, "old_value": grade.value, "new_value": None,
                "deleted": True, "reason": reason, "version": grade.version}, school_id=grade.school_id)
        return self._grade_dict(grade)

    @typed_rpc
    def grade_history(self, grade_id):
        """Every version of a partial grade with author, time and reason, deletions included
        (GRD-6, LAW-2): for the director and the administrator (and the control account)."""
        grade = self._grade(grade_id)
        if not domain.may_view_history(self._viewer()):
            raise Forbidden("Historię zmian ocen widzą dyrektor i administrator.")
        versions = self.db.session.scalars(select(GradeVersion).where(GradeVersion.grade_id == grade.id)
                                           .order_by(GradeVersion.version)).all()
        out = self._grade_dict(grade)
        out["delete_reason"] = grade.delete_reason
        return {"grade": out, "versions": _version_out.dump(versions, many=True)}

    @typed_rpc
    def final_grade_history(self, final_id):
        """Every version of a final or behaviour grade: set, corrected (with reason), accepted,
        moved with a transferred student (GRD-6, LAW-2): director and administrator."""
        final = self._final(final_id)
        if not domain.may_view_history(self._viewer()):
            raise Forbidden("Historię zmian ocen widzą dyrektor i administrator.")
        versions = self.db.session.scalars(select(FinalGradeVersion).where(FinalGradeVersion.final_id == final.id)
                                           .order_by(FinalGradeVersion.version)).all()
        return {"final": _final_out.dump(final), "versions": _final_version_out.dump(versions, many=True)}

    # ================================================================ views (GRD-7, GRD-8)

    def _grade_dict(self, grade, cats=None):
        out = grade_view(grade)
        cats = cats if cats is not None else {}
        cat = cats.get(grade.category_id) or self.db.session.get(GradeCategory, grade.category_id)
        out["category_name"] = cat.name if cat else None
        out["effective_weight"] = grade.weight if grade.weight is not None else (cat.weight if cat else None)
        out["effective_counts"] = (grade.counts_in_average if grade.counts_in_average is not None
                                   else (cat.counts_in_average if cat else True)) and grade.numeric is not None
        return out

    @staticmethod
    def _column_dict(column, cats):
        cat = cats.get(column.category_id)
        return {"id": column.id, "class_id": column.class_id, "subject_id": column.subject_id,
                "category_id": column.category_id, "category_name": cat.name if cat else None,
                "weight": cat.weight if cat else None, "date": column.date.isoformat(),
                "description": column.description}

    @staticmethod
    def _counted(grades, cats):
        items = []
        for g in grades:
            cat = cats.get(g.category_id)
            weight = g.weight if g.weight is not None else (cat.weight if cat else 0)
            counts = g.counts_in_average if g.counts_in_average is not None else (cat.counts_in_average if cat else True)
            items.append(domain.Counted(None if g.numeric is None else domain.to_decimal(g.numeric), domain.to_decimal(weight), counts))
        return items

    def _averages(self, grades, cats):
        """Weighted averages per term and for the year (GRD-8)."""
        avg = lambda gs: domain.to_float(domain.weighted_average(self._counted(gs, cats)))   # noqa: E731
        return {"average_term1": avg([g for g in grades if g.term == 1]),
                "average_term2": avg([g for g in grades if g.term == 2]),
                "average_year": avg(grades)}

    @staticmethod
    def _year(value):
        return value or domain.school_year_of(date.today())

    def _live_grades(self, *conditions):
        """Grades not deleted, oldest first, as read-only Core rows (attribute access like a
        Grade): the read views build a few hundred of them per request, and rows cost a
        fraction of ORM objects. Code that changes a grade loads the Grade itself."""
        table = Grade.__table__
        return self.db.session.execute(select(table).where(table.c.deleted_at.is_(None), *conditions)
                                       .order_by(table.c.date, table.c.created_at)).all()

    def _student_school(self, student_id):
        """The school of a student account the caller may ask about. A parent's own child (the
        children came with the session) and a student's own id need no question to identity;
        anyone else's id is checked there (NotFound: another school, not a student)."""
        c = self.caller
        c.require_authenticated()
        if c.school_id and isinstance(student_id, str) and (
                (domain.STUDENT in c.roles and student_id == c.user_id)
                or (domain.PARENT in c.roles and c.children is not None and student_id in c.children)):
            return c.school_id
        account = self.identity.get_account(student_id)      # NotFound: another school, not own child
        c.require_school(account.get("school_id"))
        if domain.STUDENT not in (account.get("roles") or ()):
            raise NotFound("Nie znaleziono ucznia.")
        return account["school_id"]

    @typed_rpc
    def student_grades(self, student_id, term=None, school_year=None):
        """A student's grades in a school year per subject with weighted averages per term and for
        the year, the final and behaviour grades (GRD-7, GRD-8, LAW-3). Parents see only their own
        children, a student only the own grades; both never see a final grade before it is
        accepted (GRD-3), nor the correction history (only that a grade was corrected). A teacher
        sees the subjects taught, the class teacher and managers everything."""
        query = load(ListQuery, {"term": term, "school_year": school_year})
        school_id = self._student_school(student_id)
        year = self._year(query["school_year"])
        s = self.db.session
        grades = self._live_grades(Grade.student_id == student_id, Grade.school_id == school_id,
                                   Grade.school_year == year)
        finals = s.scalars(select(FinalGrade).where(FinalGrade.student_id == student_id,
                                                    FinalGrade.school_id == school_id,
                                                    FinalGrade.school_year == year)).all()
        class_ids = {g.class_id for g in grades} | {f.class_id for f in finals}
        current = self._current_class_id(student_id)
        if current:
            class_ids.add(current)
        viewer = self._viewer(class_ids, student_id)
        scope = domain.student_scope(viewer, student_id, class_ids)
        if not scope:
            raise Forbidden("Brak dostępu do ocen tego ucznia.")
        family = domain.is_family_view(viewer, student_id)
        cats = self._categories(school_id)
        by_subject = {}
        for g in grades:
            if domain.sees_subject(scope, g.subject_id):
                by_subject.setdefault(g.subject_id, []).append(g)
        finals_by = {}
        behaviour = {}
        for f in finals:
            if not domain.final_visible(f.accepted_at, family):
                continue
            if f.scope == BEHAVIOUR:
                if scope == domain.ALL_SUBJECTS:
                    behaviour[f.kind] = _final_out.dump(f)
            elif domain.sees_subject(scope, f.subject_id):
                finals_by.setdefault(f.subject_id, {})[f.kind] = _final_out.dump(f)
        subjects = []
        for subject_id in sorted(set(by_subject) | set(finals_by)):
            all_grades = by_subject.get(subject_id, [])
            shown = [g for g in all_grades if query["term"] in (None, g.term)]
            entry = {"subject_id": subject_id, "grades": [self._grade_dict(g, cats) for g in shown],
                     **self._averages(all_grades, cats),
                     "finals": {k: finals_by.get(subject_id, {}).get(k) for k in domain.FINAL_KINDS}}
            entry["average"] = entry[f"average_term{query['term']}"] if query["term"] else entry["average_year"]
            subjects.append(entry)
        averages = [x["average"] for x in subjects if x["average"] is not None]
        moves = s.scalars(select(StudentMove).where(StudentMove.student_id == student_id,
                                                    StudentMove.school_id == school_id)
                          .order_by(StudentMove.at)).all()
        return {"student_id": student_id, "school_id": school_id, "school_year": year, "term": query["term"],
                "class_id": current,
                "subjects": subjects,
                "overall_average": domain.to_float(domain.arithmetic_mean(averages)),
                "behaviour": {k: behaviour.get(k) for k in domain.FINAL_KINDS},
                "family_view": family,
                "moves": [{"kind": m.kind, "from_class_id": m.from_class_id, "to_class_id": m.to_class_id,
                           "at": m.at.isoformat()} for m in moves]}

    def _class_members(self, class_id):
        """Students of a class for its views: active ones (their grades follow them from earlier
        classes) and those who ended here (removed: still counted, ORG-7; transferred: shown
        with the grades given in this class)."""
        return self._roster(class_id, True)

    def _class_grades(self, class_id, members, year, *conditions):
        active = [m["student_id"] for m in members if m["status"] == "active"]
        ended = [m["student_id"] for m in members if m["status"] != "active"]
        grades = []
        if active:
            grades += self._live_grades(Grade.student_id.in_(active), Grade.school_year == year, *conditions)
        if ended:
            grades += self._live_grades(Grade.student_id.in_(ended), Grade.class_id == class_id,
                                        Grade.school_year == year, *conditions)
        return grades

    @typed_rpc
    def class_gradebook(self, class_id, subject_id, school_year=None):
        """The grade book of a class in a subject: students as rows, columns and single grades,
        weighted averages per term and year, predicted and final grades (GRD-7: its teachers, the
        class teacher, managers; editable for the subject's teacher in that class and managers)."""
        query = load(ListQuery, {"school_year": school_year})
        cls = self._get_class(class_id)
        school_id = cls["school_id"]
        self._check_subject(subject_id, school_id)
        viewer = self._viewer([cls["id"]])
        if not domain.may_view_class_subject(viewer, cls["id"], subject_id):
            raise Forbidden("Brak dostępu do ocen tej klasy z tego przedmiotu.")
        year = self._year(query["school_year"])
        members = self._class_members(cls["id"])
        grades = self._class_grades(cls["id"], members, year, Grade.subject_id == subject_id)
        cats = self._categories(school_id)
        s = self.db.session
        column_ids = {g.column_id for g in grades if g.column_id}
        columns = s.scalars(select(GradeColumn).where(GradeColumn.id.in_(column_ids))
                            .order_by(GradeColumn.date, GradeColumn.created_at)).all() if column_ids else []
        ids = [m["student_id"] for m in members]
        finals = s.scalars(select(FinalGrade).where(FinalGrade.student_id.in_(ids), FinalGrade.scope == subject_id,
                                                    FinalGrade.school_year == year)).all() if ids else []
        by_student = {}
        for g in grades:
            by_student.setdefault(g.student_id, []).append(g)
        finals_by = {}
        for f in finals:
            finals_by.setdefault(f.student_id, {})[f.kind] = _final_out.dump(f)
        students = []
        for m in members:
            gs = by_student.get(m["student_id"], [])
            students.append({"student_id": m["student_id"], "status": m["status"],
                             "grades": [self._grade_dict(g, cats) for g in gs], **self._averages(gs, cats),
                             "finals": {k: finals_by.get(m["student_id"], {}).get(k) for k in domain.FINAL_KINDS}})
        return {"class": cls, "subject_id": subject_id, "school_year": year,
                "editable": domain.may_manage_grades(viewer, cls["id"], subject_id),
                "categories": _category_out.dump([c for c in cats.values() if c.active], many=True),
                "columns": [self._column_dict(c, cats) for c in columns],
                "students": students}

    # ================================================================ final and behaviour grades (GRD-2, GRD-3, GRD-5)

    def _enrolment(self, student_id, class_id=None):
        if not isinstance(student_id, str) or not student_id:
            raise NotFound("Nie znaleziono ucznia.")
        current = self._current_class_id(student_id)
        if not current:
            raise Invalid("Uczeń nie jest na liście żadnej klasy.", {"student_id": ["Uczeń nie należy do klasy."]})
        if class_id and class_id != current:
            raise Invalid("Uczeń nie należy do tej klasy.", {"class_id": ["Uczeń nie należy do tej klasy."]})
        return self._get_class(current)

    def _final_version(self, final, action, reason):
        return FinalGradeVersion(school_id=final.school_id, final_id=final.id, version=final.version, action=action,
                                 value=final.value, class_id=final.class_id, accepted=final.accepted_at is not None,
                                 reason=reason, author_id=self.caller.user_id, at=utcnow())

    def _set_final(self, *, school_id, student_id, class_id, subject_id, kind, year, value, reason):
        try:
            with self.db.unit_of_work():
                change = self._set_final_row(school_id=school_id, student_id=student_id, class_id=class_id,
                                             subject_id=subject_id, kind=kind, year=year, value=value,
                                             reason=reason)
                self._record_final_changes([change])
        except IntegrityError:
            raise Conflict(CONCURRENT)
        return _final_out.dump(change[0])

    def _find_final(self, student_id, kind, year, scope):
        return self.db.session.scalar(select(FinalGrade).where(
            FinalGrade.student_id == student_id, FinalGrade.school_year == year, FinalGrade.kind == kind,
            FinalGrade.scope == scope))

    def _set_final_row(self, *, school_id, student_id, class_id, subject_id, kind, year, value, reason,
                       existing=False):
        """Make or change one final grade in the open unit of work; returns (final, action, reason)
        for ``_record_final_changes`` (action None: the same value, nothing to record).
        ``existing``: the row found already (None: there is none; False: look it up)."""
        scope = subject_id or BEHAVIOUR
        final = self._find_final(student_id, kind, year, scope) if existing is False else existing
        if final is None:
            final = FinalGrade(id=new_id(), school_id=school_id, student_id=student_id, class_id=class_id,
                               subject_id=subject_id, scope=scope, kind=kind, school_year=year, value=value,
                               teacher_id=self.caller.user_id, version=1, created_by=self.caller.user_id,
                               created_at=utcnow())
            self.db.session.add(final)
            return final, "set", None
        if final.value == value:
            return final, None, None
        try:
            reason = domain.require_reason(reason)
        except GradeError as exc:
            raise _invalid("reason", exc)
        final.value, final.class_id, final.teacher_id = value, class_id, self.caller.user_id
        # GRD-3: a changed grade is not the accepted one; it must be accepted again.
        final.accepted_at = final.accepted_by = None
        final.version += 1
        final.updated_by, final.updated_at = self.caller.user_id, utcnow()
        return final, "corrected", reason

    def _record_final_changes(self, changes):
        """Versions and at-risk flags of final grades made or changed by ``_set_final_row``. The
        grades are flushed first: the unit of work does not order these tables by their foreign
        keys (no relationships are mapped)."""
        self.db.session.flush()
        for final, action, reason in changes:
            if action is not None:
                self.db.session.add(self._final_version(final, action, reason))
                self._sync_flag(final, new=action == "set")

    def _sync_flag(self, final, new=False):
        """Raise, re-raise or clear the at-risk flag of a predicted grade (GRD-4). ``new``: the
        final grade was made just now, so it has no flag yet."""
        s = self.db.session
        behaviour = final.scope == BEHAVIOUR
        reason = domain.at_risk_reason(final.kind, final.value, behaviour)
        if new and reason is None:
            return
        flag = None if new else s.scalar(select(AtRiskFlag).where(AtRiskFlag.final_id == final.id))
        now = utcnow()
        if reason is None:
            if flag is not None and flag.cleared_at is None:
                flag.cleared_at, flag.cleared_by = now, self.caller.user_id
            return
        raised = False
        if flag is None:
            flag = AtRiskFlag(id=new_id(), school_id=final.school_id, final_id=final.id, student_id=final.student_id,
                              class_id=final.class_id, subject_id=final.subject_id, kind=final.kind,
                              school_year=final.school_year, reason=reason, raised_at=now,
                              raised_by=self.caller.user_id)
            s.add(flag)
            raised = True
        elif flag.cleared_at is not None or flag.reason != reason:
            flag.cleared_at = flag.cleared_by = None
            flag.reason, flag.raised_at, flag.raised_by = reason, now, self.caller.user_id
            flag.notice_printed_at = flag.notice_printed_by = None
            raised = True
        flag.class_id = final.class_id
        if raised:
            settings = self._settings(final.school_id)
            deadline = settings[f"{domain.PERIOD_OF_KIND[final.kind]}_notice_deadline"]
            self.outbox.add("grades.at_risk_flagged", {
                "flag_id": flag.id, "student_id": final.student_id, "class_id": final.class_id,
                "subject_id": final.subject_id, "behaviour": behaviour, "reason": reason, "kind": final.kind,
                "school_year": final.school_year,
                "notice_deadline": deadline.isoformat() if deadline else None}, school_id=final.school_id)

    @typed_rpc
    def set_final_grade(self, student_id, subject_id, data):
        """Enter a predicted mid-year, mid-year, predicted annual or annual grade of a subject
        (GRD-2, VII.1, VII.14): the subject's teacher in the student's class, or a manager. A
        whole grade 1-6, "nkl" or "zw"; a change needs a reason and a new acceptance (GRD-3, GRD-6).
        A predicted 1 or nkl raises the at-risk flag (GRD-4)."""
        data = load(FinalIn, data)
        self.caller.require_role(*domain.TEACHERS, *domain.MANAGERS)
        cls = self._enrolment(student_id, data["class_id"])
        self._check_subject(subject_id, cls["school_id"])
        viewer = self._viewer([cls["id"]])
        if not domain.may_manage_grades(viewer, cls["id"], subject_id):
            raise Forbidden(NOT_TAUGHT)
        try:
            value = domain.parse_final(data["value"])
        except GradeError as exc:
            raise _invalid("value", exc)
        return self._set_final(school_id=cls["school_id"], student_id=student_id, class_id=cls["id"],
                               subject_id=subject_id, kind=data["kind"], year=self._year(data["school_year"]),
                               value=value, reason=data["reason"])

    @typed_rpc
    def set_behaviour_grade(self, student_id, data):
        """Enter a (predicted) mid-year or annual behaviour grade: wzorowe, bardzo dobre, dobre,
        poprawne, nieodpowiednie, naganne (GRD-5, VI.6, VI.16): the class teacher of the student's
        class or a manager. A predicted naganne raises the at-risk flag (GRD-4)."""
        data = load(FinalIn, data)
        self.caller.require_role(*domain.TEACHERS, *domain.MANAGERS)
        cls = self._enrolment(student_id, data["class_id"])
        viewer = self._viewer([cls["id"]])
        if not domain.may_manage_behaviour(viewer, cls["id"]):
            raise Forbidden(BEHAVIOUR_BY_CLASS_TEACHER)
        try:
            value = domain.parse_final(data["value"], behaviour=True)
        except GradeError as exc:
            raise _invalid("value", exc)
        return self._set_final(school_id=cls["school_id"], student_id=student_id, class_id=cls["id"],
                               subject_id=None, kind=data["kind"], year=self._year(data["school_year"]),
                               value=value, reason=data["reason"])

    @typed_rpc
    def accept_final_grade(self, final_id):
        """Accept a final (or predicted, or behaviour) grade as final: from now on the parent and
        the student see it (GRD-3, VII.15); the acceptance is recorded with its author and time."""
        final = self._final(final_id)
        self.caller.require_role(*domain.TEACHERS, *domain.MANAGERS)
        viewer = self._viewer([final.class_id])
        if final.scope == BEHAVIOUR:
            if not domain.may_manage_behaviour(viewer, final.class_id):
                raise Forbidden(BEHAVIOUR_BY_CLASS_TEACHER)
        else:
            self._require_manage(viewer, final.class_id, final.subject_id, final.student_id)
        if final.accepted_at is not None:
            return _final_out.dump(final)
        with _one_writer(), self.db.unit_of_work():
            self._accept_row(final)
        return _final_out.dump(final)

    def _accept_row(self, final):
        """Accept one final grade in the open unit of work (GRD-3): a version and the event."""
        final.accepted_at, final.accepted_by = utcnow(), self.caller.user_id
        final.version += 1
        self.db.session.add(self._final_version(final, "accepted", None))
        self.outbox.add("grades.final_grade_accepted", {
            "final_id": final.id, "student_id": final.student_id, "class_id": final.class_id,
            "subject_id": final.subject_id, "behaviour": final.scope == BEHAVIOUR, "kind": final.kind,
            "value": final.value, "school_year": final.school_year,
            "accepted_by": self.caller.user_id}, school_id=final.school_id)

    @typed_rpc
    def set_final_grade_column(self, class_id, data):
        """Enter a column of final grades for a whole class in one request, all or nothing (GRD-2,
        GRD-5): ``data`` ``{kind, subject_id (null: behaviour), school_year?, accept?, grades:
        [{student_id, value, reason?}]}``. The same rules as ``set_final_grade`` and
        ``set_behaviour_grade`` for every entry (the subject's teacher in the class or the class
        teacher for behaviour, or a manager; students on the class list; a change needs a reason);
        problems come back per entry (``fields.grades.<index>``) and nothing is stored. With
        ``accept`` every grade of the column is accepted as well (GRD-3: parents see it from now
        on); grades not named stay as they are. Returns the column's grades."""
        data = load(FinalColumnIn, data)
        self.caller.require_role(*domain.TEACHERS, *domain.MANAGERS)
        cls = self._get_class(class_id)
        subject_id = data["subject_id"]
        behaviour = subject_id is None
        viewer = self._viewer([cls["id"]])
        if behaviour:
            if not domain.may_manage_behaviour(viewer, cls["id"]):
                raise Forbidden(BEHAVIOUR_BY_CLASS_TEACHER)
        else:
            self._check_subject(subject_id, cls["school_id"])
            if not domain.may_manage_grades(viewer, cls["id"], subject_id):
                raise Forbidden(NOT_TAUGHT)
        parsed, problems = domain.final_column_problems(data["grades"], self._student_ids(cls["id"]), behaviour)
        year = self._year(data["school_year"])
        scope = subject_id or BEHAVIOUR
        existing = {}
        if parsed:
            rows = self.db.session.scalars(select(FinalGrade).where(
                FinalGrade.student_id.in_([sid for sid, _, _ in parsed]), FinalGrade.school_year == year,
                FinalGrade.kind == data["kind"], FinalGrade.scope == scope)).all()
            existing = {f.student_id: f for f in rows}
            for i, (sid, value, reason) in enumerate(parsed):
                old = existing.get(sid)
                if old is not None and old.value != value:
                    try:
                        domain.require_reason(reason)
                    except GradeError as exc:
                        problems[str(i)] = {"reason": [str(exc)]}
        if problems:
            count = len([k for k in problems if k != "_schema"])
            raise Invalid(f"Oceny nie zostały zapisane: {count} błędnych wpisów." if count
                          else "Oceny nie zostały zapisane.", {"grades": problems})
        with _one_writer(), self.db.unit_of_work():
            changes = [self._set_final_row(school_id=cls["school_id"], student_id=sid, class_id=cls["id"],
                                           subject_id=subject_id, kind=data["kind"], year=year, value=value,
                                           reason=reason, existing=existing.get(sid))
                       for sid, value, reason in parsed]
            self._record_final_changes(changes)
            if data["accept"]:
                for final, _, _ in changes:
                    if final.accepted_at is None:
                        self._accept_row(final)
        return {"class_id": cls["id"], "subject_id": subject_id, "kind": data["kind"], "school_year": year,
                "grades": [_final_out.dump(f) for f, _, _ in changes]}

    @typed_rpc
    def class_final_grades(self, class_id, school_year=None):
        """The class teacher's view of a class before the classification council: every student's
        predicted and final grades of every subject and behaviour, accepted or not (GRD-2, GRD-5)."""
        query = load(ListQuery, {"school_year": school_year})
        cls = self._get_class(class_id)
        viewer = self._viewer([cls["id"]])
        if not domain.may_view_class(viewer, cls["id"]):
            raise Forbidden("Oceny całej klasy widzi jej wychowawca, dyrektor i administrator.")
        year = self._year(query["school_year"])
        members = [m for m in self._class_members(cls["id"]) if m["status"] != "transferred"]
        ids = [m["student_id"] for m in members]
        finals = self.db.session.scalars(select(FinalGrade).where(
            FinalGrade.student_id.in_(ids), FinalGrade.school_year == year)).all() if ids else []
        by_student = {}
        for f in finals:
            by_student.setdefault(f.student_id, []).append(_final_out.dump(f))
        return {"class": cls, "school_year": year,
                "students": [{"student_id": m["student_id"], "status": m["status"],
                              "finals": by_student.get(m["student_id"], [])} for m in members]}

    # ================================================================ at risk (GRD-4)

    def _open_flags(self, class_id, year, period=None):
        ids = self._student_ids(class_id)
        if not ids:
            return []
        query = select(AtRiskFlag).where(AtRiskFlag.student_id.in_(ids), AtRiskFlag.school_year == year,
                                         AtRiskFlag.cleared_at.is_(None)).order_by(AtRiskFlag.raised_at)
        flags = self.db.session.scalars(query).all()
        if period:
            flags = [f for f in flags if domain.PERIOD_OF_KIND[f.kind] == period]
        return flags

    @typed_rpc
    def at_risk_list(self, class_id, school_year=None):
        """Every at-risk student of a class: predicted niedostateczny, predicted naganne behaviour,
        non-classification, with the school's notice deadlines (GRD-4, VII.3): the class teacher,
        the director, the administrator."""
        query = load(ListQuery, {"school_year": school_year})
        cls = self._get_class(class_id)
        viewer = self._viewer([cls["id"]])
        if not domain.may_view_class(viewer, cls["id"]):
            raise Forbidden("Listę zagrożeń klasy widzi jej wychowawca, dyrektor i administrator.")
        year = self._year(query["school_year"])
        flags = self._open_flags(cls["id"], year)
        finals = {f.id: f for f in self.db.session.scalars(select(FinalGrade).where(
            FinalGrade.id.in_([fl.final_id for fl in flags])))} if flags else {}
        settings = self._settings(cls["school_id"])
        today = date.today()
        by_student = {}
        for fl in flags:
            item = _flag_out.dump(fl)
            final = finals.get(fl.final_id)
            item["value"] = final.value if final else None
            item["accepted"] = bool(final and final.accepted_at)
            by_student.setdefault(fl.student_id, []).append(item)
        return {"class": cls, "school_year": year, "count": len(flags),
                "deadlines": {p: _jsonable(domain.notice_deadline_status(settings[f"{p}_notice_deadline"], today))
                              for p in ("midyear", "annual")},
                "students": [{"student_id": sid, "flags": items} for sid, items in by_student.items()]}

    def _names(self, school_id):
        students = {a["id"]: f"{a['first_name']} {a['last_name']}"
                    for a in self.identity.list_accounts(school_id, "student")}
        subjects = {x["id"]: x["name"] for x in self.scheduling.list_subjects(school_id)}
        school = self.identity.get_school(school_id)
        return school["name"], students, subjects

    @typed_rpc
    def at_risk_notices_pdf(self, class_id, query=None):
        """Written notices to the parents of the class's at-risk students, one page per student,
        in Polish, as a PDF (base64) (GRD-4, VI.14, VII.3): the class teacher, the director, the
        administrator. Records when each notice was printed."""
        query = load(NoticesQuery, query or {})
        cls = self._get_class(class_id)
        viewer = self._viewer([cls["id"]])
        if not domain.may_print_class(viewer, cls["id"]):
            raise Forbidden("Zawiadomienia drukuje wychowawca klasy, dyrektor lub administrator.")
        year = self._year(query["school_year"])
        flags = self._open_flags(cls["id"], year, query["period"])
        school_name, students, subjects = self._names(cls["school_id"])
        finals = {f.id: f for f in self.db.session.scalars(select(FinalGrade).where(
            FinalGrade.id.in_([fl.final_id for fl in flags])))} if flags else {}
        pages = {}
        for fl in flags:
            final = finals[fl.final_id]
            behaviour = fl.subject_id is None
            pages.setdefault(fl.student_id, []).append({
                "subject": "zachowanie" if behaviour else subjects.get(fl.subject_id, fl.subject_id),
                "kind": fl.kind, "value": domain.final_label(final.value, behaviour), "reason": fl.reason})
        settings = self._settings(cls["school_id"])
        deadlines = {p: settings[f"{p}_notice_deadline"] for p in ("midyear", "annual")}
        order = sorted(pages, key=lambda sid: _surname_key(students.get(sid, sid)))
        pdf = printouts.at_risk_notices(school_name, cls["name"], year,
                                        [{"student": students.get(sid, sid), "rows": pages[sid]} for sid in order],
                                        deadlines, date.today())
        if flags:
            with self.db.unit_of_work():
                now = utcnow()
                for fl in flags:
                    fl.notice_printed_at, fl.notice_printed_by = now, self.caller.user_id
        return {"students": len(order), "notices": len(flags), "filename": f"zagrozenia-{cls['name']}.pdf",
                "pdf_base64": base64.b64encode(pdf).decode()}

    # ================================================================ supervision (ORG-4)

    @typed_rpc
    def late_grades(self, school_id, week_start):
        """ORG-4, V.3a, VII.9: the partial grades of a week (Monday to Sunday of ``week_start``, an
        ISO date) entered after its Sunday 20:00 (Polish time): the hook scheduling's supervision
        report asks. ``[{grade_id, teacher_id, student_id, class_id, subject_id, column_id, date,
        entered_at}]``, by teacher and entry time; deleted grades are left out, a later correction
        does not make a grade late. The director, administrators, the control account, the system."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.READ_ALL)
        day = _parse_day(week_start, "week_start")
        monday, sunday = domain.week_of(day)
        rows = self.db.session.execute(select(
            Grade.id, Grade.teacher_id, Grade.student_id, Grade.class_id, Grade.subject_id, Grade.column_id,
            Grade.date, Grade.created_at).where(
            Grade.school_id == school_id, Grade.date >= monday, Grade.date <= sunday,
            Grade.deleted_at.is_(None))).all()
        grades = [{"grade_id": r.id, "teacher_id": r.teacher_id, "student_id": r.student_id,
                   "class_id": r.class_id, "subject_id": r.subject_id, "column_id": r.column_id,
                   "date": r.date, "entered_at": r.created_at} for r in rows]
        return [dict(g, date=g["date"].isoformat(), entered_at=domain.as_utc(g["entered_at"]).isoformat())
                for g in domain.late_grades(grades, monday)]

    # ================================================================ statistics and printouts (GRD-8)

    def _stat_rows(self, grades, cats):
        rows = []
        for g in grades:
            cat = cats.get(g.category_id)
            rows.append({"value": g.value, "numeric": g.numeric,
                         "weight": g.weight if g.weight is not None else (cat.weight if cat else 0),
                         "counts": g.counts_in_average if g.counts_in_average is not None
                         else (cat.counts_in_average if cat else True)})
        return rows

    @typed_rpc
    def class_statistics(self, class_id, school_year=None):
        """Statistics of a class for class meetings and the classification council (GRD-8, VI.5):
        per subject the distribution, mean, students' weighted averages, failing grades, at-risk
        flags and final grades; per teacher; behaviour. Students struck off still count (ORG-7)."""
        query = load(ListQuery, {"school_year": school_year})
        cls = self._get_class(class_id)
        viewer = self._viewer([cls["id"]])
        if not domain.may_view_class(viewer, cls["id"]):
            raise Forbidden("Statystyki klasy widzi jej wychowawca, dyrektor i administrator.")
        year = self._year(query["school_year"])
        members = [m for m in self._class_members(cls["id"]) if m["status"] != "transferred"]
        grades = self._class_grades(cls["id"], members, year)
        cats = self._categories(cls["school_id"])
        ids = [m["student_id"] for m in members]
        s = self.db.session
        finals = s.scalars(select(FinalGrade).where(FinalGrade.student_id.in_(ids),
                                                    FinalGrade.school_year == year)).all() if ids else []
        flags = s.scalars(select(AtRiskFlag).where(AtRiskFlag.student_id.in_(ids), AtRiskFlag.school_year == year,
                                                   AtRiskFlag.cleared_at.is_(None))).all() if ids else []
        by_subject, by_teacher, by_student_subject = {}, {}, {}
        for g in grades:
            by_subject.setdefault(g.subject_id, []).append(g)
            by_teacher.setdefault(g.teacher_id, []).append(g)
            by_student_subject.setdefault((g.student_id, g.subject_id), []).append(g)
        student_avgs = {}
        for (sid, subj), gs in by_student_subject.items():
            avg = domain.weighted_average(self._counted(gs, cats))
            if avg is not None:
                student_avgs.setdefault(sid, {})[subj] = avg
        subjects = []
        for subj in sorted(set(by_subject) | {f.subject_id for f in finals if f.subject_id}):
            gs = by_subject.get(subj, [])
            entry = {"subject_id": subj, **domain.grade_statistics(self._stat_rows(gs, cats)),
                     "students_average": domain.to_float(domain.arithmetic_mean(
                         a[subj] for a in student_avgs.values() if subj in a)),
                     "at_risk": sum(1 for f in flags if f.subject_id == subj),
                     "finals": {k: domain.final_statistics([f.value for f in finals
                                                            if f.subject_id == subj and f.kind == k])
                                for k in domain.FINAL_KINDS}}
            subjects.append(entry)
        overall_per_student = {sid: domain.arithmetic_mean(a.values()) for sid, a in student_avgs.items()}
        return {"class": cls, "school_year": year,
                "students": sum(1 for m in members if m["status"] == "active"),
                "removed_students": sum(1 for m in members if m["status"] == "removed"),
                "overall": domain.grade_statistics(self._stat_rows(grades, cats)),
                "class_average": domain.to_float(domain.arithmetic_mean(overall_per_student.values())),
                "student_averages": [{"student_id": sid, "average": domain.to_float(avg)}
                                     for sid, avg in sorted(overall_per_student.items(), key=lambda x: -x[1])],
                "subjects": subjects,
                "teachers": [{"teacher_id": t, **domain.grade_statistics(self._stat_rows(gs, cats))}
                             for t, gs in sorted(by_teacher.items(), key=lambda x: x[0] or "")],
                "behaviour": {k: domain.behaviour_statistics([f.value for f in finals
                                                              if f.scope == BEHAVIOUR and f.kind == k])
                              for k in domain.FINAL_KINDS},
                "at_risk": {"flags": len(flags), "students": len({f.student_id for f in flags})}}

    @typed_rpc
    def school_statistics(self, school_id, school_year=None):
        """Statistics of a whole school for the director and the classification council (GRD-8):
        per class (where the grades were given), subject and teacher: counts, distribution,
        averages, failing grades; final grades and at-risk flags per class."""
        query = load(ListQuery, {"school_year": school_year})
        self.caller.require_school(school_id)
        if not self._viewer().reads_all:
            raise Forbidden("Statystyki szkoły widzą dyrektor i administrator.")
        year = self._year(query["school_year"])
        s = self.db.session
        grades = self._live_grades(Grade.school_id == school_id, Grade.school_year == year)
        finals = s.scalars(select(FinalGrade).where(FinalGrade.school_id == school_id,
                                                    FinalGrade.school_year == year)).all()
        flags = s.scalars(select(AtRiskFlag).where(AtRiskFlag.school_id == school_id, AtRiskFlag.school_year == year,
                                                   AtRiskFlag.cleared_at.is_(None))).all()
        cats = self._categories(school_id)

        def grouped(key):
            groups = {}
            for g in grades:
                groups.setdefault(getattr(g, key), []).append(g)
            return [{key: k, **domain.grade_statistics(self._stat_rows(gs, cats))}
                    for k, gs in sorted(groups.items(), key=lambda x: x[0] or "")]
        classes = grouped("class_id")
        for c in classes:
            c["at_risk"] = sum(1 for f in flags if f.class_id == c["class_id"])
            c["finals"] = {k: domain.final_statistics([f.value for f in finals if f.class_id == c["class_id"]
                                                       and f.kind == k and f.scope != BEHAVIOUR])
                           for k in (domain.MIDYEAR, domain.ANNUAL)}
        return {"school_id": school_id, "school_year": year,
                "overall": domain.grade_statistics(self._stat_rows(grades, cats)),
                "classes": classes, "subjects": grouped("subject_id"), "teachers": grouped("teacher_id"),
                "finals": {k: domain.final_statistics([f.value for f in finals if f.kind == k and f.scope != BEHAVIOUR])
                           for k in domain.FINAL_KINDS},
                "at_risk": {"flags": len(flags), "students": len({f.student_id for f in flags}),
                            "by_reason": {r: sum(1 for f in flags if f.reason == r)
                                          for r in domain.AT_RISK_LABELS_PL}}}

    @typed_rpc
    def grade_sheet_pdf(self, class_id, query=None):
        """The grade sheet of a class for a parent meeting: one page per student with the partial
        grades per subject, weighted averages and the accepted final and behaviour grades only
        (GRD-8, GRD-3, VI.13, ARC-3), as a PDF (base64): the class teacher, director, administrator."""
        query = load(ListQuery, query or {})
        cls = self._get_class(class_id)
        viewer = self._viewer([cls["id"]])
        if not domain.may_print_class(viewer, cls["id"]):
            raise Forbidden("Zestawienie ocen klasy drukuje jej wychowawca, dyrektor lub administrator.")
        year, term = self._year(query["school_year"]), query["term"]
        members = self._roster(cls["id"])
        grades = self._class_grades(cls["id"], members, year)
        ids = [m["student_id"] for m in members]
        finals = self.db.session.scalars(select(FinalGrade).where(
            FinalGrade.student_id.in_(ids), FinalGrade.school_year == year,
            FinalGrade.accepted_at.is_not(None))).all() if ids else []
        cats = self._categories(cls["school_id"])
        settings = self._settings(cls["school_id"])
        school_name, students, subjects = self._names(cls["school_id"])
        pages = []
        for sid in sorted(ids, key=lambda x: _surname_key(students.get(x, x))):
            mine = [g for g in grades if g.student_id == sid]
            rows = []
            subject_ids = sorted({g.subject_id for g in mine} | {f.subject_id for f in finals
                                                                   if f.student_id == sid and f.subject_id},
                                 key=lambda x: subjects.get(x, x))
            for subj in subject_ids:
                gs = [g for g in mine if g.subject_id == subj]
                shown = [g for g in gs if term in (None, g.term)]
                avgs = self._averages(gs, cats)
                fs = [f for f in finals if f.student_id == sid and f.subject_id == subj]
                rows.append({"subject": subjects.get(subj, subj), "grades": " ".join(g.value for g in shown),
                             "average": avgs[f"average_term{term}"] if term else avgs["average_year"],
                             "finals": "; ".join(f"{domain.KIND_LABELS_PL[f.kind]}: {domain.final_label(f.value)}"
                                                 for f in sorted(fs, key=lambda f: domain.FINAL_KINDS.index(f.kind)))})
            beh = [f for f in finals if f.student_id == sid and f.scope == BEHAVIOUR]
            pages.append({"student": students.get(sid, sid), "rows": rows,
                          "behaviour": "; ".join(f"{domain.KIND_LABELS_PL[f.kind]}: {f.value}"
                                                 for f in sorted(beh, key=lambda f: domain.FINAL_KINDS.index(f.kind)))})
        note = (f"Średnia ważona = suma(ocena × waga) / suma wag; plus = +{_pl(settings['plus_value'])}, "
                f"minus = −{_pl(settings['minus_value'])}; symbole "
                f"({', '.join(x['symbol'] for x in settings['symbols'])}) i oceny oznaczone jako nieliczone "
                "nie wchodzą do średniej. Oceny okresowe i roczne podano po ich zatwierdzeniu.")
        pdf = printouts.grade_sheet(school_name, cls["name"], year, term, pages, note)
        return {"students": len(pages), "filename": f"zestawienie-ocen-{cls['name']}.pdf",
                "pdf_base64": base64.b64encode(pdf).decode()}

    # ================================================================ events from scheduling (ORG-5, ORG-7)

    @subscribe("scheduling.student_transferred")
    @idempotent
    def on_student_transferred(self, event):
        """ORG-5: the student's grades stay the student's (they are shown in the new class, with
        their full history); the open business of this year — final grades not yet accepted and
        at-risk flags — moves to the new class, each move recorded as a version."""
        p = event["payload"]
        s = self.db.session
        s.add(StudentMove(school_id=event["school_id"], event_id=event["id"], kind="transferred",
                          student_id=p["student_id"], from_class_id=p["from_class_id"],
                          to_class_id=p["to_class_id"]))
        finals = s.scalars(select(FinalGrade).where(FinalGrade.student_id == p["student_id"],
                                                    FinalGrade.class_id == p["from_class_id"],
                                                    FinalGrade.accepted_at.is_(None))).all()
        for final in finals:
            if event["school_id"] and final.school_id != event["school_id"]:
                continue
            final.class_id = p["to_class_id"]
            final.version += 1
            s.add(FinalGradeVersion(school_id=final.school_id, final_id=final.id, version=final.version,
                                    action="moved", value=final.value, class_id=final.class_id, accepted=False,
                                    reason=MOVED_REASON, author_id=event["actor"].get("user_id"), at=utcnow()))
        for flag in s.scalars(select(AtRiskFlag).where(AtRiskFlag.student_id == p["student_id"],
                                                       AtRiskFlag.class_id == p["from_class_id"],
                                                       AtRiskFlag.cleared_at.is_(None))):
            if not event["school_id"] or flag.school_id == event["school_id"]:
                flag.class_id = p["to_class_id"]

    @subscribe("scheduling.student_removed")
    @idempotent
    def on_student_removed(self, event):
        """ORG-7: a student struck off the class list keeps every grade, and they still count in
        the class's and the school's statistics; grades records the removal only."""
        p = event["payload"]
        self.db.session.add(StudentMove(school_id=event["school_id"], event_id=event["id"], kind="removed",
                                        student_id=p["student_id"], from_class_id=p["class_id"],
                                        reason=p.get("reason")))


def _parse_day(value, field):
    """A date argument given positionally (ISO text or a date); ``Invalid`` naming it otherwise."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        message = "Podaj datę w postaci RRRR-MM-DD."
        raise Invalid(message, {field: [message]})


def _surname_key(name):
    parts = (name or "").split()
    return (parts[-1].lower() if parts else "", name.lower() if name else "")


def _pl(number):
    return f"{number:g}".replace(".", ",")


def _jsonable(d):
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in d.items()}
