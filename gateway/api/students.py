"""The student file (kartoteka ucznia), personal data and its completeness, the parent's data
report (ORG-8, ORG-9, MSG-3, ACC-10), and the parent's view of a child in one request (grades,
attendance, unread messages: three services asked at once)."""
from flask import jsonify
from marshmallow import Schema, fields

from services.common.schoolyear import school_year_dates, school_year_of

from .. import rpc
from ..auth import STAFF_EDITING_STUDENTS, TEACHERS, check_own_or_staff, requires, school_scoped
from ..schemas import (PDF, DataReportOut, IncompleteOut, IncompleteQuery, ProfileIn, ProfileOut,
                       StudentFileOut)
from . import api_blueprint
from .accounts import file_name, pdf_response
from .attendance import school_today
from .attendance_schemas import AttPercentagesOut
from .grades import STUDENT_GRADE_READERS
from .grades_schemas import GradeYearQuery, StudentGradesOut
from .messaging_schemas import UnreadOut

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



# ------------------------------------------------------------------ the parent's view of a child

class OverviewOut(Schema):
    student_id = fields.String()
    school_year = fields.String()
    date_from = fields.String(metadata={"description": "Początek roku szkolnego (frekwencja)."})
    date_to = fields.String(metadata={"description": "Koniec roku szkolnego (frekwencja)."})
    grades = fields.Nested(StudentGradesOut)
    attendance = fields.Nested(AttPercentagesOut)
    unread = fields.Nested(UnreadOut, metadata={"description": "Nieprzeczytane wiadomości zalogowanego."})


def child_view_calls(student_id, school_year):
    """The RPCs behind a child's view in a school year: the grades with averages and the
    attendance percentage of the year (for ``rpc.call_many``; the web home page uses them too)."""
    date_from, date_to = (d.isoformat() for d in school_year_dates(school_year))
    return [("grades", "student_grades", (student_id,), {"term": None, "school_year": school_year}),
            ("attendance", "percentages", ("student", student_id, date_from, date_to), {})]


UNREAD_CALL = ("messaging", "unread_count", (), {})


@bp.route("/students/<student_id>/overview", methods=["GET"])
@requires(*STUDENT_GRADE_READERS)
@bp.arguments(GradeYearQuery, location="query")
@bp.response(200, OverviewOut)
def overview(query, student_id):
    """Widok dziecka dla rodzica: oceny ze średnimi, frekwencja w roku szkolnym, nieprzeczytane wiadomości

    Jedno żądanie zamiast trzech (GRD-7, GRD-8, ATT-5, MSG-2): trzy usługi pytane naraz.
    Rodzic – tylko własne dzieci, uczeń – tylko siebie, ocen końcowych przed zatwierdzeniem nie
    ma (GRD-3); pracownicy jak przy ocenach ucznia. `unread` to wiadomości zalogowanego."""
    check_own_or_staff(student_id, NOT_FOUND)
    year = query["school_year"] or school_year_of(school_today())
    date_from, date_to = (d.isoformat() for d in school_year_dates(year))
    grades, attendance, unread = rpc.call_many(*child_view_calls(student_id, year), UNREAD_CALL)
    # Returned as it came (a Response is not dumped again by @bp.response): the services dumped
    # it already, and re-dumping a year of grades through OverviewOut cost about 6 ms of the
    # gateway's CPU per view (docs/performance.md). OverviewOut still documents the shape;
    # tests/e2e/test_attendance_api.py checks the parts equal the three schema-dumped routes.
    return jsonify({"student_id": student_id, "school_year": year, "date_from": date_from, "date_to": date_to,
                    "grades": grades, "attendance": attendance, "unread": unread})


@bp.route("/students/<student_id>/overview.pdf", methods=["GET"])
@requires(*STUDENT_GRADE_READERS)
@bp.arguments(GradeYearQuery, location="query")
@bp.response(200, PDF, content_type="application/pdf",
             description="Oceny, frekwencja i uwagi ucznia – wydruk widoku rodzica (PDF).")
def overview_pdf(query, student_id):
    """Widok dziecka dla rodzica – wydruk PDF (ARC-3, procedura IX.4)

    Papierowa kopia tego, co widzi rodzic: oceny cząstkowe ze średnimi, zatwierdzone oceny
    okresowe, roczne i zachowania, frekwencja w roku szkolnym, uwagi. Rodzic – tylko własne
    dzieci, uczeń – siebie; pracownicy jak przy ocenach ucznia (nauczyciel – przedmioty, których
    uczy). Wydruk jest zapisywany w rejestrze kopii (ARC-2)."""
    check_own_or_staff(student_id, NOT_FOUND)
    result = rpc.call("archive", "child_view_pdf", student_id, school_year=query["school_year"])
    return pdf_response(result["pdf_base64"], overview_file_name(result))


def overview_file_name(result):
    """"widok-ucznia-łucja-żółkiewska-2025-2026.pdf" (the web page's download uses it too)."""
    return file_name("widok ucznia", result["first_name"], result["last_name"], result["school_year"].replace("/", "-"))
