"""Grades (issue 5, GRD-1..8): the school's scale and categories, partial grades one at a time
or a whole column, corrections and deletions with a reason and their history, predicted, final
and behaviour grades with acceptance, at-risk lists and notices, averages, statistics and the
grade sheet.

Each route maps 1:1 to the grades RPC of the same meaning. The gateway's checks are defence in
depth: the roles of the permission matrix (``@requires``), the school in the path
(``@school_scoped``), parents and students only about themselves or their children
(``check_own_or_staff``); the grades service decides the rest (own lessons, own class, accepted
finals only for the family) and answers another school's ids with 404."""
from services.common.errors import NotFound

from .. import rpc
from ..auth import (ADMINS, DIRECTORS, INSPECTOR, PARENT, STUDENT, TEACHERS, check_own_or_staff, requires,
                    school_scoped)
from ..schemas import PDF
from . import api_blueprint
from .accounts import file_name, pdf_response
from .grades_schemas import (AtRiskNoticesQuery, AtRiskOut, ClassFinalGradesOut, ClassGradeStatisticsOut,
                             FinalGradeColumnIn, FinalGradeColumnOut, FinalGradeHistoryOut, FinalGradeIn, FinalGradeOut, GradeCategoryIn,
                             GradeCategoryOut, GradeCategoryQuery, GradeCategoryUpdateIn, GradeColumnIn,
                             GradeColumnResultOut, GradeCorrectionIn, GradeDeletionIn, GradeHistoryOut,
                             GradeIn, GradeOut, GradeSettingsIn, GradeSettingsOut, GradeTermQuery,
                             GradeYearQuery, GradebookOut, SchoolGradeStatisticsOut, StudentGradesOut)

bp = api_blueprint("grades", __name__, "Oceny: skala, kategorie, oceny cząstkowe, końcowe i zachowania, "
                                       "zagrożenia, średnie i statystyki.")

# The permission matrix of chapter II ("grades" row): administrators and directors manage all,
# teachers and class teachers their own lessons (the service checks the teaching assignment),
# the control account reads everything, a parent the own child's, a student the own.
MANAGERS = ADMINS + DIRECTORS
GRADE_WRITERS = TEACHERS + MANAGERS
STAFF_READERS = GRADE_WRITERS + (INSPECTOR,)
HISTORY_READERS = MANAGERS + (INSPECTOR,)
STUDENT_GRADE_READERS = STAFF_READERS + (PARENT, STUDENT)
NO_STUDENT = "Nie znaleziono ucznia."


def _require_student(student_id):
    """The student of a final or behaviour grade must be a student of the caller's school (another
    school's id answers 404 before the service is asked to write anything)."""
    account = rpc.call("identity", "get_account", student_id)
    if STUDENT not in (account.get("roles") or ()):
        raise NotFound(NO_STUDENT)
    return account


def _year_part(year):
    return year.replace("/", "-") if year else None


# ------------------------------------------------------------------ settings and categories (GRD-1)

@bp.route("/schools/<school_id>/grade-settings", methods=["GET"])
@school_scoped()
@bp.response(200, GradeSettingsOut)
def grade_settings(school_id):
    """Skala ocen szkoły (GRD-1)

    Wartość plusa i minusa w średniej, czy istnieją 6+ i 1-, symbole nieliczone do średniej,
    początek drugiego okresu i terminy zawiadomień o zagrożeniach."""
    return rpc.call("grades", "grade_settings", school_id)


@bp.route("/schools/<school_id>/grade-settings", methods=["PATCH"])
@requires(*MANAGERS)
@school_scoped()
@bp.arguments(GradeSettingsIn)
@bp.response(200, GradeSettingsOut)
def update_grade_settings(data, school_id):
    """Zmień skalę ocen szkoły (GRD-1)

    Nowa wartość plusa lub minusa zmienia od razu wartości liczbowe wszystkich ocen szkoły."""
    return rpc.call("grades", "update_grade_settings", school_id, data)


@bp.route("/schools/<school_id>/grade-categories", methods=["GET"])
@school_scoped()
@bp.arguments(GradeCategoryQuery, location="query")
@bp.response(200, GradeCategoryOut(many=True))
def list_categories(query, school_id):
    """Kategorie ocen cząstkowych z wagami (GRD-1)"""
    return rpc.call("grades", "list_categories", school_id, include_inactive=query["include_inactive"])


@bp.route("/schools/<school_id>/grade-categories", methods=["POST"])
@requires(*MANAGERS)
@school_scoped()
@bp.arguments(GradeCategoryIn)
@bp.response(201, GradeCategoryOut)
def create_category(data, school_id):
    """Dodaj kategorię ocen z wagą (GRD-1)"""
    return rpc.call("grades", "create_category", school_id, data)


@bp.route("/schools/<school_id>/grade-categories/defaults", methods=["POST"])
@requires(*MANAGERS)
@school_scoped()
@bp.response(200, GradeCategoryOut(many=True))
def install_default_categories(school_id):
    """Dodaj typowe kategorie (sprawdzian, kartkówka, odpowiedź ustna, praca domowa, aktywność)

    Tylko te, których szkoła jeszcze nie ma."""
    return rpc.call("grades", "install_default_categories", school_id)


@bp.route("/grade-categories/<category_id>", methods=["PATCH"])
@requires(*MANAGERS)
@bp.arguments(GradeCategoryUpdateIn)
@bp.response(200, GradeCategoryOut)
def update_category(data, category_id):
    """Zmień nazwę, wagę lub wycofaj kategorię (GRD-1)

    Oceny bez własnej wagi przyjmują nową wagę kategorii."""
    return rpc.call("grades", "update_category", category_id, data)


# ------------------------------------------------------------------ partial grades (GRD-1, GRD-6)

@bp.route("/grades", methods=["POST"])
@requires(*GRADE_WRITERS)
@bp.arguments(GradeIn)
@bp.response(201, GradeOut)
def add_grade(data):
    """Wpisz ocenę cząstkową (GRD-1)

    Nauczyciel: tylko w klasie i z przedmiotu, których uczy (przydział zajęć); dyrekcja i
    administrator: każdą."""
    return rpc.call("grades", "add_grade", data)


@bp.route("/classes/<class_id>/subjects/<subject_id>/grade-columns", methods=["POST"])
@requires(*GRADE_WRITERS)
@bp.arguments(GradeColumnIn)
@bp.response(201, GradeColumnResultOut)
def add_grade_column(data, class_id, subject_id):
    """Wpisz kolumnę ocen całej klasy (jeden sprawdzian) w jednym żądaniu (GRD-1)

    Wszystko albo nic: błędne wpisy wracają jako 422 z komunikatem przy
    `fields.grades.<indeks wpisu>` (`value` lub `student_id`); nic nie zostaje zapisane."""
    return rpc.call("grades", "add_grade_column", class_id, subject_id, data)


@bp.route("/grades/<grade_id>", methods=["PATCH"])
@requires(*GRADE_WRITERS)
@bp.arguments(GradeCorrectionIn)
@bp.response(200, GradeOut)
def correct_grade(data, grade_id):
    """Popraw ocenę – zawsze z przyczyną (GRD-6)

    Poprzednia wersja zostaje w historii z autorem, czasem i przyczyną."""
    return rpc.call("grades", "correct_grade", grade_id, data)


@bp.route("/grades/<grade_id>", methods=["DELETE"])
@requires(*GRADE_WRITERS)
@bp.arguments(GradeDeletionIn)
@bp.response(200, GradeOut)
def delete_grade(data, grade_id):
    """Usuń ocenę – zawsze z przyczyną (GRD-6)

    Usunięcie jest logiczne: ocena przestaje się liczyć i nie jest pokazywana, a historia
    zachowuje wszystkie wersje. Przyczyna w treści żądania: `{"reason": "..."}`."""
    return rpc.call("grades", "delete_grade", grade_id, data["reason"])


@bp.route("/grades/<grade_id>/history", methods=["GET"])
@requires(*HISTORY_READERS)
@bp.response(200, GradeHistoryOut)
def grade_history(grade_id):
    """Historia zmian oceny: wersje z autorem, czasem i przyczyną (GRD-6, LAW-2)"""
    return rpc.call("grades", "grade_history", grade_id)


# ------------------------------------------------------------------ views (GRD-7, GRD-8)

@bp.route("/students/<student_id>/grades", methods=["GET"])
@requires(*STUDENT_GRADE_READERS)
@bp.arguments(GradeTermQuery, location="query")
@bp.response(200, StudentGradesOut)
def student_grades(query, student_id):
    """Oceny ucznia ze średnimi ważonymi (GRD-7, GRD-8, LAW-3)

    Rodzic widzi oceny swoich dzieci, uczeń swoje – oceny końcowe dopiero po zatwierdzeniu
    (GRD-3) i bez historii zmian (tylko znacznik `corrected`). Nauczyciel: przedmioty, których
    uczy; wychowawca, dyrekcja, administrator: wszystko."""
    check_own_or_staff(student_id, NO_STUDENT)
    return rpc.call("grades", "student_grades", student_id, term=query["term"], school_year=query["school_year"])


@bp.route("/classes/<class_id>/subjects/<subject_id>/gradebook", methods=["GET"])
@requires(*STAFF_READERS)
@bp.arguments(GradeYearQuery, location="query")
@bp.response(200, GradebookOut)
def class_gradebook(query, class_id, subject_id):
    """Dziennik klasy z przedmiotu: uczniowie, kolumny, oceny, średnie, oceny końcowe (GRD-7)"""
    return rpc.call("grades", "class_gradebook", class_id, subject_id, school_year=query["school_year"])


# ------------------------------------------------------------------ final and behaviour grades (GRD-2, GRD-3, GRD-5)

@bp.route("/classes/<class_id>/final-grades", methods=["GET"])
@requires(*STAFF_READERS)
@bp.arguments(GradeYearQuery, location="query")
@bp.response(200, ClassFinalGradesOut)
def class_final_grades(query, class_id):
    """Oceny przewidywane, śródroczne, roczne i zachowania całej klasy (GRD-2, GRD-5)

    Dla wychowawcy klasy, dyrekcji i administratora; także niezatwierdzone."""
    return rpc.call("grades", "class_final_grades", class_id, school_year=query["school_year"])


@bp.route("/students/<student_id>/subjects/<subject_id>/final-grades", methods=["PUT"])
@requires(*GRADE_WRITERS)
@bp.arguments(FinalGradeIn)
@bp.response(200, FinalGradeOut)
def set_final_grade(data, student_id, subject_id):
    """Wystaw ocenę przewidywaną, śródroczną lub roczną z przedmiotu (GRD-2)

    Zmiana wystawionej oceny wymaga przyczyny i ponownego zatwierdzenia (GRD-3, GRD-6);
    przewidywana 1 lub nkl oznacza zagrożenie (GRD-4)."""
    _require_student(student_id)
    return rpc.call("grades", "set_final_grade", student_id, subject_id, data)


@bp.route("/classes/<class_id>/final-grades", methods=["PUT"])
@requires(*GRADE_WRITERS)
@bp.arguments(FinalGradeColumnIn)
@bp.response(200, FinalGradeColumnOut)
def set_final_grade_column(data, class_id):
    """Wystaw oceny przewidywane, śródroczne, roczne lub zachowania całej klasie w jednym żądaniu (GRD-2, GRD-5)

    Wszystko albo nic: błędne wpisy (uczeń spoza klasy, zła ocena, zmiana bez przyczyny) wracają
    jako 422 przy `fields.grades.<indeks wpisu>`; nic nie zostaje zapisane. `accept`: od razu
    zatwierdź (GRD-3)."""
    return rpc.call("grades", "set_final_grade_column", class_id, data)


@bp.route("/students/<student_id>/behaviour", methods=["PUT"])
@requires(*GRADE_WRITERS)
@bp.arguments(FinalGradeIn)
@bp.response(200, FinalGradeOut)
def set_behaviour_grade(data, student_id):
    """Wystaw ocenę zachowania (GRD-5)

    Wychowawca klasy ucznia, dyrekcja, administrator. Przewidywana naganna oznacza zagrożenie."""
    _require_student(student_id)
    return rpc.call("grades", "set_behaviour_grade", student_id, data)


@bp.route("/final-grades/<final_id>/acceptance", methods=["POST"])
@requires(*GRADE_WRITERS)
@bp.response(200, FinalGradeOut)
def accept_final_grade(final_id):
    """Zatwierdź ocenę jako ostateczną: od teraz widzą ją rodzic i uczeń (GRD-3)"""
    return rpc.call("grades", "accept_final_grade", final_id)


@bp.route("/final-grades/<final_id>/history", methods=["GET"])
@requires(*HISTORY_READERS)
@bp.response(200, FinalGradeHistoryOut)
def final_grade_history(final_id):
    """Historia oceny końcowej lub zachowania: wystawienie, zmiany z przyczyną, zatwierdzenie (GRD-6)"""
    return rpc.call("grades", "final_grade_history", final_id)


# ------------------------------------------------------------------ at risk (GRD-4)

@bp.route("/classes/<class_id>/at-risk", methods=["GET"])
@requires(*STAFF_READERS)
@bp.arguments(GradeYearQuery, location="query")
@bp.response(200, AtRiskOut)
def at_risk_list(query, class_id):
    """Uczniowie zagrożeni: przewidywana niedostateczna, naganna, nieklasyfikowanie (GRD-4)

    Z terminami zawiadomień ustalonymi przez szkołę."""
    return rpc.call("grades", "at_risk_list", class_id, school_year=query["school_year"])


def at_risk_file_name(class_name, query):
    period = {"midyear": "śródroczne", "annual": "roczne"}.get(query.get("period"))
    return file_name("zawiadomienia o zagrożeniach", period, "klasa", class_name, _year_part(query.get("school_year")))


@bp.route("/classes/<class_id>/at-risk/notices.pdf", methods=["GET"])
@requires(*GRADE_WRITERS)
@bp.arguments(AtRiskNoticesQuery, location="query")
@bp.response(200, PDF, content_type="application/pdf",
             description="Pisemne zawiadomienia dla rodziców, po jednej stronie na ucznia (PDF).")
def at_risk_notices_pdf(query, class_id):
    """Zawiadomienia rodziców o zagrożeniach – PDF (GRD-4)

    Wychowawca klasy, dyrekcja, administrator. Zapisuje, kiedy wydrukowano zawiadomienia."""
    result = rpc.call("grades", "at_risk_notices_pdf", class_id, query)
    klass = rpc.call("scheduling", "get_class", class_id)
    return pdf_response(result["pdf_base64"], at_risk_file_name(klass["name"], query))


def grade_sheet_file_name(class_name, query):
    term = {1: "okres 1", 2: "okres 2"}.get(query.get("term"))
    return file_name("zestawienie ocen", "klasa", class_name, term, _year_part(query.get("school_year")))


@bp.route("/classes/<class_id>/grade-sheet.pdf", methods=["GET"])
@requires(*GRADE_WRITERS)
@bp.arguments(GradeTermQuery, location="query")
@bp.response(200, PDF, content_type="application/pdf",
             description="Zestawienie ocen klasy na zebranie z rodzicami, strona na ucznia (PDF).")
def grade_sheet_pdf(query, class_id):
    """Zestawienie ocen klasy na zebranie z rodzicami – PDF (GRD-8)

    Tylko zatwierdzone oceny końcowe. Wychowawca klasy, dyrekcja, administrator."""
    result = rpc.call("grades", "grade_sheet_pdf", class_id, query)
    klass = rpc.call("scheduling", "get_class", class_id)
    return pdf_response(result["pdf_base64"], grade_sheet_file_name(klass["name"], query))


# ------------------------------------------------------------------ statistics (GRD-8)

@bp.route("/classes/<class_id>/statistics", methods=["GET"])
@requires(*STAFF_READERS)
@bp.arguments(GradeYearQuery, location="query")
@bp.response(200, ClassGradeStatisticsOut)
def class_statistics(query, class_id):
    """Statystyki klasy na radę klasyfikacyjną (GRD-8)

    Rozkład ocen, średnie, oceny niedostateczne i zagrożenia według przedmiotów i nauczycieli;
    skreśleni uczniowie nadal się liczą (ORG-7)."""
    return rpc.call("grades", "class_statistics", class_id, school_year=query["school_year"])


@bp.route("/schools/<school_id>/grade-statistics", methods=["GET"])
@requires(*HISTORY_READERS)
@school_scoped()
@bp.arguments(GradeYearQuery, location="query")
@bp.response(200, SchoolGradeStatisticsOut)
def school_statistics(query, school_id):
    """Statystyki ocen szkoły według klas, przedmiotów i nauczycieli (GRD-8)"""
    return rpc.call("grades", "school_statistics", school_id, school_year=query["school_year"])
