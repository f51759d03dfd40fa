"""The student file (kartoteka ucznia): personal data and notes (ORG-8, MSG-3)."""
from .. import rpc
from ..auth import check_own_or_staff
from ..schemas import StudentFileOut
from . import api_blueprint

bp = api_blueprint("students", __name__, "Kartoteka ucznia.")


@bp.route("/students/<student_id>/file", methods=["GET"])
@bp.response(200, StudentFileOut)
def student_file(student_id):
    """Kartoteka ucznia (dane i uwagi)

    Rodzic widzi kartoteki swoich dzieci, uczeń swoją (LAW-3)."""
    check_own_or_staff(student_id, "Nie znaleziono ucznia.")
    return rpc.call("identity", "get_student_file", student_id)
