"""scheduling: the nameko entrypoints."""
from datetime import date

from sqlalchemy import select

from services.common.errors import Conflict, Invalid, NotFound
from services.common.rpc import ServiceRpc
from services.common.service import PlatformService, typed_rpc
from services.common.validation import load

from .models import Enrolment, SchoolClass
from .schemas import ClassIn, ClassOut, EnrolIn, EnrolmentOut, RemovalIn

ADMINS = ("school_admin", "deputy_admin")
# ORG-6, ORG-7: a student is added or struck off by the secretary, the director or the administrator.
CLASS_LIST_EDITORS = ADMINS + ("director", "vice_director", "secretary")
STAFF = CLASS_LIST_EDITORS + ("teacher", "class_teacher", "inspector")

_class_out = ClassOut()
_enrolment_out = EnrolmentOut()


class SchedulingService(PlatformService):
    name = "scheduling"
    identity = ServiceRpc("identity")

    def _class(self, class_id):
        cls = self.db.session.get(SchoolClass, class_id) if isinstance(class_id, str) else None
        if cls is None:
            raise NotFound("Nie znaleziono klasy.")
        self.caller.require_school(cls.school_id)
        return cls

    @typed_rpc
    def create_class(self, school_id, data):
        """Create a class in a school, optionally with its class teacher (ORG-1; administrators)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*ADMINS)
        data = load(ClassIn, data)
        if data["class_teacher_id"]:
            teacher = self.identity.get_account(data["class_teacher_id"])
            if teacher["school_id"] != school_id or not {"teacher", "class_teacher"} & set(teacher["roles"]):
                raise Invalid("Wychowawcą może być nauczyciel tej szkoły.", {"class_teacher_id": ["Niepoprawny."]})
        with self.db.unit_of_work() as s:
            if s.scalar(select(SchoolClass.id).where(SchoolClass.school_id == school_id,
                                                     SchoolClass.name == data["name"])):
                raise Conflict("Klasa o tej nazwie już istnieje.", {"name": ["Zajęta."]})
            cls = SchoolClass(school_id=school_id, **data)
            s.add(cls)
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
                                  enrolled_on=data["enrolled_on"] or date.today(),
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
        removed_on = data["removed_on"] or date.today()
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
