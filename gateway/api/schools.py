"""Schools (tenants) of the association (TEN-1, TEN-2)."""
from .. import rpc
from ..auth import ASSOCIATION_ADMIN, check_school, requires
from ..schemas import SchoolIn, SchoolOut
from . import api_blueprint

bp = api_blueprint("schools", __name__, "Szkoły stowarzyszenia.")


@bp.route("/schools", methods=["POST"])
@requires(ASSOCIATION_ADMIN)
@bp.arguments(SchoolIn)
@bp.response(201, SchoolOut)
def create_school(data):
    """Załóż szkołę (administrator stowarzyszenia)"""
    return rpc.call("identity", "create_school", data)


@bp.route("/schools", methods=["GET"])
@bp.response(200, SchoolOut(many=True))
def list_schools():
    """Szkoły widoczne dla użytkownika (własna; wszystkie dla administratora stowarzyszenia)"""
    return rpc.call("identity", "list_schools")


@bp.route("/schools/<school_id>", methods=["GET"])
@bp.response(200, SchoolOut)
def get_school(school_id):
    """Szkoła"""
    check_school(school_id)
    return rpc.call("identity", "get_school", school_id)
