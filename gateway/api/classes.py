"""Classes and class lists: enrolment and removal from the list (ORG-1, ORG-6, ORG-7)."""
from .. import rpc
from ..auth import ADMINS, STAFF, STAFF_EDITING_STUDENTS, requires, school_scoped
from ..schemas import ClassIn, ClassListQuery, ClassOut, EnrolIn, EnrolmentOut, RemovalIn
from . import api_blueprint

bp = api_blueprint("classes", __name__, "Klasy i listy uczniów.")

CLASS_LIST_EDITORS = STAFF_EDITING_STUDENTS   # ORG-6, ORG-7: secretary, directors, administrators


@bp.route("/schools/<school_id>/classes", methods=["POST"])
@requires(*ADMINS)
@school_scoped()
@bp.arguments(ClassIn)
@bp.response(201, ClassOut)
def create_class(data, school_id):
    """Utwórz klasę"""
    return rpc.call("scheduling", "create_class", school_id, data)


@bp.route("/schools/<school_id>/classes", methods=["GET"])
@school_scoped()
@bp.response(200, ClassOut(many=True))
def list_classes(school_id):
    """Klasy szkoły"""
    return rpc.call("scheduling", "list_classes", school_id)


@bp.route("/classes/<class_id>", methods=["GET"])
@bp.response(200, ClassOut)
def get_class(class_id):
    """Klasa"""
    return rpc.call("scheduling", "get_class", class_id)


@bp.route("/classes/<class_id>/students", methods=["GET"])
@requires(*STAFF)
@bp.arguments(ClassListQuery, location="query")
@bp.response(200, EnrolmentOut(many=True))
def class_list(query, class_id):
    """Lista uczniów klasy"""
    return rpc.call("scheduling", "class_list", class_id, include_ended=query["include_ended"])


@bp.route("/classes/<class_id>/students", methods=["POST"])
@requires(*CLASS_LIST_EDITORS)
@bp.arguments(EnrolIn)
@bp.response(201, EnrolmentOut)
def enrol_student(data, class_id):
    """Wpisz ucznia na listę klasy (ORG-6)"""
    return rpc.call("scheduling", "enrol_student", class_id, data)


@bp.route("/classes/<class_id>/students/<student_id>/removal", methods=["POST"])
@requires(*CLASS_LIST_EDITORS)
@bp.arguments(RemovalIn)
@bp.response(200, EnrolmentOut)
def remove_from_class_list(data, class_id, student_id):
    """Skreśl ucznia z listy uczniów (ORG-7: konto ucznia zostaje zablokowane)"""
    return rpc.call("scheduling", "remove_from_class_list", class_id, student_id, data)
