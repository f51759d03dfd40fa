"""Attendance (frekwencja, ATT-1..6): categories and the percentage formula, a lesson's register in
one request, corrections with history and double entries (weekly review), justification by the
class teacher, parents' e-justifications, percentages, statistics and the parent-meeting summary.

Each route calls one RPC of the attendance service. The gateway checks what it can cheaply (role,
own school in the path, a parent or student only about themselves or their children); the
service checks again and decides the finer rules (the lesson's teacher or substitute, the class
teacher of the own class, justification never in advance...)."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.common.errors import NotFound

from .. import rpc
from ..auth import (ADMINS, DIRECTORS, INSPECTOR, PARENT, TEACHERS, check_own_or_staff, check_school,
                    current_user, require_role, requires, school_scoped)
from ..schemas import PDF
from . import api_blueprint
from .accounts import file_name, pdf_response
from .attendance_schemas import (AttBelowThresholdOut, AttCalendarOut, AttCategoriesOut, AttCategoryIn,
                                 AttCategoryOut, AttCorrectionIn, AttDecisionIn, AttEJustificationIn,
                                 AttEJustificationOut, AttEJustificationQuery, AttEntryHistoryOut, AttEntryOut,
                                 AttFormulaIn, AttFormulaOut, AttJustificationOut, AttJustifyIn,
                                 AttLessonAttendanceIn, AttLessonAttendanceOut, AttLessonStatusOut,
                                 AttLessonStatusQuery, AttMonthQuery, AttPercentagesOut, AttPercentagesQuery,
                                 AttRangeQuery, AttRemovalIn, AttStatisticsOut, AttThresholdQuery, AttWeekOut,
                                 AttWeekQuery)

bp = api_blueprint("attendance", __name__, "Frekwencja: wpisy lekcji, usprawiedliwienia, e-usprawiedliwienia, "
                                           "przegląd tygodnia, procenty i statystyki.")

SCHOOL_TZ = ZoneInfo("Europe/Warsaw")
# The permission matrix, row "attendance": administrators and directors manage all; teachers
# (and class teachers) manage their own lessons (class teachers the own class) and see all; the
# inspector controls read-only (XII.7).
SETTINGS_EDITORS = ADMINS + DIRECTORS
WRITERS = ADMINS + DIRECTORS + TEACHERS
VIEWERS = WRITERS + (INSPECTOR,)
NOT_FOUND_STUDENT = "Nie znaleziono ucznia."


def school_today():
    """The school's date (the schools are in Poland, whatever the server's zone)."""
    return datetime.now(SCHOOL_TZ).date()


def last_week_monday(today=None):
    today = today or school_today()
    return today - timedelta(days=today.weekday() + 7)


# ------------------------------------------------------------------ categories and the formula (ATT-1, ATT-5)

@bp.route("/schools/<school_id>/attendance/categories", methods=["GET"])
@school_scoped()
@bp.response(200, AttCategoriesOut)
def categories(school_id):
    """Kategorie frekwencji szkoły i wzór procentu frekwencji

    Kategorie są jednolite w całej szkole (ATT-1); domyślnie: obecność, nieobecność
    nieusprawiedliwiona i usprawiedliwiona, spóźnienie, zwolnienie, nieobecność z przyczyn szkolnych."""
    return rpc.call("attendance", "categories", school_id)


@bp.route("/schools/<school_id>/attendance/categories", methods=["PUT"])
@requires(*SETTINGS_EDITORS)
@school_scoped()
@bp.arguments(AttCategoryIn)
@bp.response(200, AttCategoryOut)
def save_category(data, school_id):
    """Dodaj lub zmień kategorię frekwencji (według kodu)

    Administratorzy i dyrekcja. Rodzaju istniejącej kategorii nie można zmienić; kategorii
    się nie usuwa, tylko wyłącza (`active: false`); każdy rodzaj musi mieć aktywną kategorię."""
    return rpc.call("attendance", "save_category", school_id, data)


@bp.route("/schools/<school_id>/attendance/formula", methods=["PUT"])
@requires(*SETTINGS_EDITORS)
@school_scoped()
@bp.arguments(AttFormulaIn)
@bp.response(200, AttFormulaOut)
def set_formula(data, school_id):
    """Wybierz wzór procentu frekwencji (ATT-5)

    `vulcan` (domyślny): obecności = obecność + spóźnienie + nieobecność z przyczyn szkolnych;
    nieobecności = usprawiedliwione + nieusprawiedliwione; zwolnienia się nie liczą.
    `all_recorded`: jak vulcan, ale zwolnienie liczy się jako obecność."""
    return rpc.call("attendance", "set_formula", school_id, data)


# ------------------------------------------------------------------ a lesson's attendance (ATT-1, OPS-2)

@bp.route("/lessons/<lesson_id>/attendance", methods=["GET"])
@requires(*VIEWERS)
@bp.response(200, AttLessonAttendanceOut)
def lesson_attendance(lesson_id):
    """Frekwencja lekcji z listą klasy w dniu lekcji

    Nauczyciele widzą frekwencję wszystkich lekcji (ATT-6)."""
    return rpc.call("attendance", "lesson_attendance", lesson_id)


@bp.route("/lessons/<lesson_id>/attendance", methods=["PUT"])
@requires(*WRITERS)
@bp.arguments(AttLessonAttendanceIn)
@bp.response(200, AttLessonAttendanceOut)
def record_lesson_attendance(data, lesson_id):
    """Wpisz frekwencję lekcji dla całej klasy jednym żądaniem (ATT-1)

    Wszyscy z listy klasy w dniu lekcji dostają kategorię `default` (zwykle `present`), poza
    wymienionymi w `entries`. Wszystko albo nic: uczeń spoza listy, nieznana kategoria,
    lekcja odwołana lub przyszła – błąd i nic nie zostaje zapisane. Nauczyciel lekcji, zastępca,
    wychowawca klasy, dyrekcja, administratorzy. Zachowana data lekcji i czas wpisu (OPS-2);
    ponowny zapis zmienia tylko różnice, każda zmiana to nowa wersja wpisu."""
    return rpc.call("attendance", "record_lesson_attendance", lesson_id, data)


@bp.route("/lessons/attendance-status", methods=["GET"])
@requires(*VIEWERS)
@bp.arguments(AttLessonStatusQuery, location="query")
@bp.response(200, AttLessonStatusOut(many=True))
def lessons_attendance_status(query):
    """Czy frekwencję lekcji już wpisano (liczba wpisów na lekcję)

    Dla widoku dnia nauczyciela i listy lekcji: `ids=<id>,<id>,...` (najwyżej 500)."""
    school_id = query.get("school_id") or current_user().get("school_id")
    if query.get("school_id"):
        check_school(school_id)
    if not school_id:
        raise NotFound("Wybierz szkołę (school_id).")
    counts = rpc.call("attendance", "lessons_recorded", school_id, list(dict.fromkeys(query["ids"])))
    return [{"lesson_id": k, "entries": n, "recorded": n > 0} for k, n in counts.items()]


# ------------------------------------------------------------------ entries: corrections, history, doubles (ATT-4)

@bp.route("/attendance/entries/<entry_id>", methods=["PATCH"])
@requires(*WRITERS)
@bp.arguments(AttCorrectionIn)
@bp.response(200, AttEntryOut)
def correct_entry(data, entry_id):
    """Popraw wpis frekwencji z podaniem powodu (ATT-4)

    Poprzednia wartość, autor i powód zostają w historii wpisu. Nieobecność usprawiedliwioną
    wpisuje się tylko usprawiedliwieniem."""
    return rpc.call("attendance", "correct_entry", entry_id, data)


@bp.route("/attendance/entries/<entry_id>/history", methods=["GET"])
@requires(*VIEWERS)
@bp.response(200, AttEntryHistoryOut)
def entry_history(entry_id):
    """Historia wpisu frekwencji: każda wartość, kto, kiedy i dlaczego (LAW-2)"""
    return rpc.call("attendance", "entry_history", entry_id)


@bp.route("/attendance/entries/<entry_id>/removal", methods=["POST"])
@requires(*WRITERS)
@bp.arguments(AttRemovalIn)
@bp.response(200, AttEntryOut)
def remove_double_entry(data, entry_id):
    """Usuń podwójny wpis z podaniem powodu (ATT-4)

    Wychowawca klasy, dyrekcja, administratorzy; tylko prawdziwy dubel (ten sam uczeń o tej
    samej godzinie lekcyjnej dwa razy). Wpis zostaje oznaczony jako usunięty, z historią."""
    return rpc.call("attendance", "remove_double_entry", entry_id, data["reason"])


# ------------------------------------------------------------------ justification (ATT-2) and e-justifications (ATT-3)

@bp.route("/attendance/justifications", methods=["POST"])
@requires(*WRITERS)
@bp.arguments(AttJustifyIn)
@bp.response(201, AttJustificationOut)
def justify(data):
    """Usprawiedliw nieobecności ucznia (wychowawca, ATT-2)

    Całe dni (`dates`) albo pojedyncze lekcje (`lesson_ids`), z powodem. Nigdy z wyprzedzeniem
    (409 dla dni i lekcji, które się jeszcze nie odbyły); pojedyncze godziny w ciągu dnia tylko
    z `single_hours_reason` (zgłoszone wcześniej lub z przyczyn niezależnych od ucznia)."""
    return rpc.call("attendance", "justify", data)


@bp.route("/attendance/e-justifications", methods=["POST"])
@requires(PARENT)
@bp.arguments(AttEJustificationIn)
@bp.response(201, AttEJustificationOut)
def submit_e_justification(data):
    """Złóż e-usprawiedliwienie nieobecności dziecka (rodzic, ATT-3)

    Okres (`date_from`, `date_to`, najwyżej 31 dni) albo lekcje, z powodem; można zgłosić
    nieobecność z wyprzedzeniem. Cudze dziecko: 404. Wychowawca dostaje wiadomość systemową."""
    check_own_or_staff(data["student_id"], NOT_FOUND_STUDENT)
    return rpc.call("attendance", "submit_e_justification", data)


@bp.route("/attendance/e-justifications", methods=["GET"])
@bp.arguments(AttEJustificationQuery, location="query")
@bp.response(200, AttEJustificationOut(many=True))
def e_justifications(query):
    """E-usprawiedliwienia klasy (skrzynka wychowawcy) albo ucznia (rodzic widzi rozstrzygnięcie)"""
    if query.get("student_id"):
        check_own_or_staff(query["student_id"], NOT_FOUND_STUDENT)
    return rpc.call("attendance", "e_justifications", class_id=query.get("class_id"),
                    student_id=query.get("student_id"), status=query.get("status"))


@bp.route("/attendance/e-justifications/<e_justification_id>/decision", methods=["POST"])
@requires(*WRITERS)
@bp.arguments(AttDecisionIn)
@bp.response(200, AttEJustificationOut)
def decide_e_justification(data, e_justification_id):
    """Przyjmij lub odrzuć e-usprawiedliwienie (wychowawca, ATT-3)

    Przyjęcie usprawiedliwia objęte nieobecności nieusprawiedliwione (dopiero po ostatnim dniu
    nieobecności); odrzucenie wymaga komentarza. Rodzic dostaje wiadomość systemową."""
    return rpc.call("attendance", "decide_e_justification", e_justification_id, {
        "accept": data["decision"] == "accept", "comment": data.get("comment") or "",
        "single_hours_reason": data.get("single_hours_reason")})


# ------------------------------------------------------------------ a class: weekly review, statistics, printout

@bp.route("/classes/<class_id>/attendance/week", methods=["GET"])
@requires(*VIEWERS)
@bp.arguments(AttWeekQuery, location="query")
@bp.response(200, AttWeekOut)
def weekly_review(query, class_id):
    """Przegląd tygodnia klasy: wpisy, podwójne wpisy, nieusprawiedliwione (ATT-4)

    `start`: dowolny dzień tygodnia (poniedziałek–niedziela); domyślnie poprzedni tydzień."""
    start = query.get("start") or last_week_monday().isoformat()
    return rpc.call("attendance", "weekly_review", class_id, start)


@bp.route("/classes/<class_id>/attendance/statistics", methods=["GET"])
@requires(*VIEWERS)
@bp.arguments(AttRangeQuery, location="query")
@bp.response(200, AttStatisticsOut)
def class_statistics(query, class_id):
    """Statystyki frekwencji klasy: razem, uczniowie, przedmioty (ATT-5)

    Okres (`date_from`, `date_to`), np. semestr lub rok szkolny; bez dat – wszystko."""
    return rpc.call("attendance", "class_statistics", class_id, query.get("date_from"), query.get("date_to"))


@bp.route("/classes/<class_id>/attendance/summary.pdf", methods=["GET"])
@requires(*WRITERS)
@bp.arguments(AttRangeQuery, location="query")
@bp.response(200, PDF, content_type="application/pdf",
             description="Zestawienie frekwencji klasy na zebranie z rodzicami (PDF).")
def parent_meeting_summary(query, class_id):
    """Zestawienie frekwencji klasy na zebranie z rodzicami – PDF (ATT-5)"""
    result = rpc.call("attendance", "parent_meeting_summary_pdf", class_id, query.get("date_from"),
                      query.get("date_to"))
    return pdf_response(result["pdf_base64"], summary_file_name(class_id, query.get("date_from"),
                                                                query.get("date_to")))


def summary_file_name(class_id, date_from=None, date_to=None, class_name=None):
    if class_name is None:
        class_name = (rpc.call("scheduling", "get_class", class_id) or {}).get("name")
    return file_name("frekwencja", "klasa", class_name, date_from or "", date_to or school_today().isoformat())


# ------------------------------------------------------------------ percentages (ATT-5)

@bp.route("/attendance/percentages", methods=["GET"])
@bp.arguments(AttPercentagesQuery, location="query")
@bp.response(200, AttPercentagesOut)
def percentages(query):
    """Procent frekwencji ucznia, klasy lub przedmiotu w okresie (ATT-5)

    Jeden wzór wszędzie: obecności / (obecności + nieobecności) × 100, według kategorii szkoły.
    Uczeń – własny, rodzic – dzieci, pracownicy – wszyscy (ATT-6); klasy i przedmioty – pracownicy."""
    if query["scope"] == "student":
        check_own_or_staff(query["id"], NOT_FOUND_STUDENT)
    else:
        require_role(*VIEWERS)
    return rpc.call("attendance", "percentages", query["scope"], query["id"], query.get("date_from"),
                    query.get("date_to"), query.get("class_id"))


@bp.route("/attendance/below-threshold", methods=["GET"])
@requires(*VIEWERS)
@bp.arguments(AttThresholdQuery, location="query")
@bp.response(200, AttBelowThresholdOut)
def below_threshold(query):
    """Uczniowie z frekwencją poniżej progu (klasa albo szkoła, ATT-5)

    Najniższa frekwencja najpierw; uczniowie bez wpisów nie są wymieniani."""
    if query["scope"] == "school":
        check_school(query["id"])
    return rpc.call("attendance", "below_threshold", query["scope"], query["id"], query["threshold"],
                    query.get("date_from"), query.get("date_to"))


# ------------------------------------------------------------------ a student's attendance (ATT-6, LAW-3)

@bp.route("/students/<student_id>/attendance", methods=["GET"])
@bp.arguments(AttRangeQuery, location="query")
@bp.response(200, AttEntryOut(many=True))
def student_attendance(query, student_id):
    """Wpisy frekwencji ucznia w okresie (najnowsze najpierw)

    Uczeń – własne, rodzic – dzieci (cudze dziecko: 404), pracownicy – wszyscy."""
    check_own_or_staff(student_id, NOT_FOUND_STUDENT)
    return rpc.call("attendance", "student_attendance", student_id, query.get("date_from"), query.get("date_to"))


@bp.route("/students/<student_id>/attendance/calendar", methods=["GET"])
@bp.arguments(AttMonthQuery, location="query")
@bp.response(200, AttCalendarOut)
def student_calendar(query, student_id):
    """Kalendarz frekwencji ucznia na miesiąc (dla rodzica)

    Każdy dzień: stan (nieobecność, usprawiedliwiona, spóźnienie...), liczby wpisów według rodzaju
    i lekcje; oraz e-usprawiedliwienia z tego miesiąca. `month`: RRRR-MM (domyślnie bieżący)."""
    check_own_or_staff(student_id, NOT_FOUND_STUDENT)
    month = query.get("month") or school_today().strftime("%Y-%m")
    return rpc.call("attendance", "student_calendar", student_id, month)
