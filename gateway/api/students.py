"""The student file (kartoteka ucznia), personal data and its completeness, and the parent's
data report (ORG-8, ORG-9, MSG-3, ACC-10)."""
from .. import rpc
from ..auth import STAFF_EDITING_STUDENTS, TEACHERS, check_own_or_staff, requires, school_scoped
from ..schemas import (PDF, DataReportOut, IncompleteOut, IncompleteQuery, ProfileIn, ProfileOut,
                       StudentFileOut)
from . import api_blueprint
from .accounts import file_name, pdf_response

bp = api_blueprint("students", __name__, "Kartoteka ucznia, dane osobowe, raport danych dla rodzica.")

# ORG-8: secretary, directors and administrators; a class teacher the own class (identity decides:
# a teacher who is not the student's class teacher is refused there).
PROFILE_EDITORS = STAFF_EDITING_STUDENTS + TEACHERS
COMPLETENESS_READERS = STAFF_EDITING_STUDENTS + TEACHERS   # ORG-9
NOT_FOUND = "Nie znaleziono ucznia."


@bp.route("/students/<student_id>/file", methods=["GET"])
@bp.response(200, StudentFileOut)
def student_file(student_id):
    """Kartoteka ucznia (dane i uwagi)

    Rodzic widzi kartoteki swoich dzieci, uczeń swoją (LAW-3)."""
    check_own_or_staff(student_id, NOT_FOUND)
    return rpc.call("identity", "get_student_file", student_id)


@bp.route("/students/<student_id>/profile", methods=["PUT"])
@requires(*PROFILE_EDITORS)
@bp.arguments(ProfileIn)
@bp.response(200, ProfileOut)
def update_student_profile(data, student_id):
    """Zapisz dane osobowe ucznia (ORG-8)

    Sekretariat, dyrekcja, administratorzy; wychowawca dla własnej klasy. Pola pominięte są
    czyszczone (PUT zastępuje całość)."""
    return rpc.call("identity", "update_student_profile", student_id, data)


@bp.route("/schools/<school_id>/incomplete-profiles", methods=["GET"])
@requires(*COMPLETENESS_READERS)
@school_scoped()
@bp.arguments(IncompleteQuery, location="query")
@bp.response(200, IncompleteOut(many=True))
def incomplete_profiles(query, school_id):
    """Uczniowie z brakującymi danymi (ORG-9)"""
    student_ids = None
    if query.get("class_id"):
        student_ids = [e["student_id"] for e in rpc.call("scheduling", "class_list", query["class_id"])]
    return rpc.call("identity", "incomplete_profiles", school_id, student_ids=student_ids)


@bp.route("/students/<student_id>/data-report", methods=["GET"])
@bp.response(200, DataReportOut)
def data_report(student_id):
    """Raport danych ucznia dla rodzica (ACC-10, RODO art. 15)

    Dane identyfikacyjne i lista użytkowników uprawnionych do ich edycji. Dla rodziców ucznia
    oraz administratorów i dyrekcji."""
    check_own_or_staff(student_id, NOT_FOUND)
    return rpc.call("identity", "data_report", student_id)


@bp.route("/students/<student_id>/data-report.pdf", methods=["GET"])
@bp.response(200, PDF, content_type="application/pdf", description="Raport danych ucznia (PDF).")
def data_report_pdf(student_id):
    """Raport danych ucznia dla rodzica – PDF (ACC-10)"""
    check_own_or_staff(student_id, NOT_FOUND)
    report = rpc.call("identity", "data_report", student_id, as_pdf=True)
    return pdf_response(report["pdf_base64"], data_report_file_name(report))


def data_report_file_name(report):
    s = report["student"]
    return file_name("raport danych ucznia", s["first_name"], s["last_name"], report["generated_at"][:10])

