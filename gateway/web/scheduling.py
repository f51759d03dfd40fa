"""The pages of school organisation and scheduling (issue 4; ORG-1..11), in Polish:

- organisation (administrators): school years and terms, subjects, classes with their class
  teacher and class list (enrolment, transfer), teaching assignments, the timetable editor of a
  class (a week grid with "obowiązuje od") and the import of an aSc Timetables XML export
  (upload → preview → confirm);
- weeks: a class's week ("Plan lekcji", everyone of the school) and a teacher's own week
  ("Mój plan"), each with its private iCalendar subscription address;
- lessons: "Lekcje dnia" of a teacher and the page of one lesson (topic; attendance is the
  attendance area's page ``/frekwencja/lekcja/<lesson_id>``);
- substitutions (ZASTĘPSTWA: the administrator assigns a substitute or cancels; the director
  sees the list, also only those without a topic) and the supervision report;
- the calendar (TERMINARZ) with the school's test limits (a refused test shows the service's
  message, which names the conflicting tests, above the form);
- trip cards with the director's approval; the completeness report of students' data;
- the public iCalendar feed ``/ical/<token>.ics`` (token: see gateway/api/scheduling.py).

Each view calls the scheduling RPC of the API route of the same meaning, with the same
permission helpers; the service checks again."""
from datetime import date, timedelta

from flask import Response, current_app, flash, g, redirect, render_template, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from marshmallow import ValidationError

from services.common.errors import Conflict, Forbidden, Invalid, NotFound

from .. import rpc
from ..api.scheduling import (IMPORT_MAX_BYTES, IMPORT_REQUEST_MAX, ical_body, ical_url, issue_ical_feed,
                              read_upload, school_today)
from ..api.scheduling_schemas import (AssignmentIn, CalendarEventIn, SchoolYearIn, SubjectIn, TermIn,
                                      TermPatchIn, TestLimitsIn, TopicIn, TripIn)
from ..auth import (ADMINS, ASSOCIATION_ADMIN, CLASS_TEACHER, DIRECTORS, INSPECTOR, PARENT, SECRETARY, STAFF,
                    STUDENT, TEACHERS, public, user_roles)
from ..errors import polish_messages
from .base import Form, current_school, requires_page, school_args, web_blueprint
from .nav import add_nav

bp = web_blueprint("scheduling_web", __name__)

SCHOOL_MEMBERS = STAFF + (PARENT, STUDENT)
SUBSTITUTION_VIEWERS = ADMINS + DIRECTORS + (INSPECTOR,)
CALENDAR_WRITERS = TEACHERS + ADMINS + DIRECTORS
TRIP_ORGANISERS = TEACHERS + ADMINS + DIRECTORS
COMPLETENESS_READERS = ADMINS + DIRECTORS + (SECRETARY, CLASS_TEACHER)
ATTENDANCE_OF_LESSON = "/frekwencja/lekcja/{lesson_id}"   # the attendance area's page

# ------------------------------------------------------------------ the menu (ACC-3)

add_nav("scheduling_web.organisation", "Organizacja szkoły", ADMINS, order=70,
        description="Lata szkolne i okresy, przedmioty, klasy, przydział zajęć, plan lekcji i jego import z aSc.")
add_nav("scheduling_web.class_week", "Plan lekcji", SCHOOL_MEMBERS, order=71,
        description="Tygodniowy plan lekcji klasy z zastępstwami, odwołanymi lekcjami i terminarzem.")
add_nav("scheduling_web.my_week", "Mój plan", TEACHERS, order=72,
        description="Twój tydzień: własne lekcje i zastępstwa.")
add_nav("scheduling_web.day_lessons", "Lekcje dnia", TEACHERS, order=73,
        description="Lekcje dnia: temat lekcji i frekwencja.")
add_nav("scheduling_web.substitutions", "Zastępstwa", SUBSTITUTION_VIEWERS, order=74,
        description="Zastępstwa i odwołane lekcje; lekcje zastępowane bez tematu.")
add_nav("scheduling_web.supervision", "Nadzór", DIRECTORS + (INSPECTOR,), order=75,
        description="Raport tygodnia: lekcje bez tematu i frekwencji, oceny wpisane po terminie.")
add_nav("scheduling_web.calendar", "Terminarz", SCHOOL_MEMBERS, order=76,
        description="Sprawdziany, kartkówki, dni wolne, wydarzenia, zebrania z rodzicami, wycieczki.")
add_nav("scheduling_web.trips", "Wycieczki", TRIP_ORGANISERS, order=77,
        description="Karty wycieczek i ich zatwierdzanie przez dyrektora.")
add_nav("scheduling_web.completeness", "Kompletność danych", ADMINS + DIRECTORS + (CLASS_TEACHER,), order=78,
        description="Raport kompletności danych uczniów według klas (terminy: 10 i 15 września).")

WEEKDAYS = [(1, "poniedziałek"), (2, "wtorek"), (3, "środa"), (4, "czwartek"), (5, "piątek")]
WEEKDAY_NAMES = dict(WEEKDAYS)
DEFAULT_PERIODS = [(1, "08:00", "08:45"), (2, "08:55", "09:40"), (3, "09:50", "10:35"), (4, "10:45", "11:30"),
                   (5, "11:50", "12:35"), (6, "12:45", "13:30"), (7, "13:40", "14:25"), (8, "14:35", "15:20")]
GROUP_ROWS = 4
EVENT_KINDS = {"test": "sprawdzian", "quiz": "kartkówka", "day_off": "dzień wolny",
               "school_event": "wydarzenie szkolne", "parent_meeting": "zebranie z rodzicami", "trip": "wycieczka"}
TRIP_STATUS = {"draft": "szkic", "submitted": "złożona, czeka na decyzję", "approved": "zatwierdzona",
               "rejected": "odrzucona"}
LESSON_STATUS = {"planned": "zaplanowana", "held": "odbyła się", "cancelled": "odwołana"}
MISSING_PL = {"birth_date": "data urodzenia", "birth_place": "miejsce urodzenia", "pesel": "PESEL",
              "address": "adres zamieszkania", "phone": "telefon", "guardian": "rodzic/opiekun prawny"}


# ------------------------------------------------------------------ helpers

def _is(*roles):
    return bool(user_roles() & set(roles))


def _admin():
    return _is(ASSOCIATION_ADMIN, *ADMINS)


def _date_arg(name, default=None):
    """An ISO date from the query string; a bad one is a 422 page naming it."""
    value = (request.args.get(name) or "").strip()
    if not value:
        return default or school_today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"Niepoprawna data „{value}” (oczekiwano RRRR-MM-DD).", {name: ["Niepoprawna data."]}) from None


LESSON_FORMS = ("lekcja", "lekcje", "lekcji")


def count_pl(n, one, few, many):
    """A count with the Polish noun form: 1 lekcja, 3 lekcje, 5 lekcji."""
    if n == 1:
        return f"{n} {one}"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return f"{n} {few}"
    return f"{n} {many}"


def conflict_list(exc, message):
    """A Conflict whose clashes (``fields["entries"]``) become one line each in the error
    summary, under a short heading instead of the long joined message."""
    clashes = (exc.fields or {}).get("entries") or []
    if not clashes:
        return exc
    return Conflict(message, {f"kolizja-{i + 1}": [text] for i, text in enumerate(clashes)})


def _monday(day):
    return day - timedelta(days=day.weekday())


_PL_ORDER = str.maketrans({**{c: b + "~" for c, b in zip("ąćęłńóśźĄĆĘŁŃÓŚŹ", "acelnoszACELNOSZ")},
                          "ż": "z~~", "Ż": "Z~~"})


def _pl_key(account):
    return (account["last_name"].translate(_PL_ORDER).lower(), account["first_name"].translate(_PL_ORDER).lower())


def _name(account):
    return f"{account['first_name']} {account['last_name']}" if account else "—"


def _teachers(school_id):
    """The school's teachers (and class teachers), Polish order."""
    found = {}
    for role in TEACHERS:
        for a in rpc.call("identity", "list_accounts", school_id, role=role):
            found[a["id"]] = a
    return sorted(found.values(), key=_pl_key)


def _people(school_id, ids=(), role=None):
    """{id: account} for the given ids, with as few calls as the caller's role allows (the
    inspector may not list accounts; a parent or student may not either: names stay unknown)."""
    ids = [i for i in dict.fromkeys(ids) if i]
    if not ids:
        return {}
    try:
        everyone = {a["id"]: a for a in rpc.call("identity", "list_accounts", school_id, role=role)}
        return {i: everyone[i] for i in ids if i in everyone}
    except Forbidden:
        out = {}
        if not _is(INSPECTOR, ASSOCIATION_ADMIN):
            return out
        for i in ids:
            try:
                out[i] = rpc.call("identity", "get_account", i)
            except NotFound:
                pass
        return out


def _teacher_options(teachers):
    return [(t["id"], f"{t['last_name']} {t['first_name']}") for t in teachers]


def _classes(school_id):
    return sorted(rpc.call("scheduling", "list_classes", school_id), key=lambda c: c["name"])


def _subjects(school_id):
    return rpc.call("scheduling", "list_subjects", school_id)


def _terms(school_id):
    """Every term of the school (newest year first), each with its year's name and state."""
    out = []
    for year in rpc.call("scheduling", "list_school_years", school_id):
        for term in year["terms"]:
            out.append({**term, "year_name": year["name"], "closed": bool(year.get("closed_at"))})
    return out


def _term_choice(school_id, terms, wanted=None):
    """The term a page works on: the one asked for, the current one, or the newest."""
    by_id = {t["id"]: t for t in terms}
    if wanted:
        if wanted not in by_id:
            raise NotFound("Nie znaleziono okresu.")
        return by_id[wanted]
    current = rpc.call("scheduling", "current_term", school_id)
    if current and current["id"] in by_id:
        return by_id[current["id"]]
    return terms[0] if terms else None


def _term_label(term):
    return f"{term['name']} {term['year_name']} ({_pl_date(term['starts_on'])}–{_pl_date(term['ends_on'])})"


def _pl_date(value):
    y, m, d = str(value)[:10].split("-")
    return f"{d}.{m}.{y}"


def _default_valid_from(term, today=None):
    today = today or school_today()
    starts, ends = date.fromisoformat(term["starts_on"]), date.fromisoformat(term["ends_on"])
    return starts if today < starts or today > ends else today


def _hidden_school():
    return school_args()


def _own_classes(school_id):
    """The classes a student or parent may look at: the own class, the children's classes."""
    user = g.user
    students = []
    if _is(STUDENT):
        students.append((user["id"], None))
    if _is(PARENT):
        students += [(c["id"], c) for c in rpc.call("identity", "children_of", user["id"])]
    classes = {}
    for sid, child in students:
        info = rpc.call("scheduling", "student_class", sid)
        if info.get("class_id"):
            label = info["class_name"] + (f" ({child['first_name']})" if child else "")
            classes[info["class_id"]] = {"id": info["class_id"], "name": label}
    return sorted(classes.values(), key=lambda c: c["name"])


def _visible_classes(school_id):
    if _is(ASSOCIATION_ADMIN, *STAFF):
        return _classes(school_id)
    return _own_classes(school_id)


def week_grid(week, people=None):
    """The rows of a week table: one per lesson period, a cell per school day with its lessons."""
    days = week["days"]
    periods = sorted({lesson["period"] for d in days for lesson in d["lessons"]})
    rows = []
    for p in periods:
        cells, times = [], None
        for d in days:
            lessons = [lesson for lesson in d["lessons"] if lesson["period"] == p]
            if lessons and times is None:
                times = (lessons[0]["starts_at"], lessons[0]["ends_at"])
            cells.append(lessons)
        rows.append({"period": p, "times": times, "cells": cells})
    return rows


def _week_nav(day):
    monday = _monday(day)
    return {"monday": monday, "friday": monday + timedelta(days=4),
            "prev": (monday - timedelta(days=7)).isoformat(), "next": (monday + timedelta(days=7)).isoformat(),
            "today": school_today().isoformat()}


# ------------------------------------------------------------------ organisation hub (ORG-1)

@bp.route("/organizacja")
@requires_page(*ADMINS)
def organisation():
    school_id = current_school()
    current = rpc.call("scheduling", "current_term", school_id)
    return render_template("scheduling/organisation.html", current=current, sa=_hidden_school(),
                           classes=_classes(school_id))


# ------------------------------------------------------------------ school years and terms (ORG-1)

YEAR_LABELS = {"name": "Rok szkolny", "starts_on": "Pierwszy dzień roku", "ends_on": "Ostatni dzień roku",
               "term1_name": "Nazwa pierwszego okresu", "term1_starts_on": "Początek pierwszego okresu",
               "term1_ends_on": "Koniec pierwszego okresu", "term2_name": "Nazwa drugiego okresu",
               "term2_starts_on": "Początek drugiego okresu", "term2_ends_on": "Koniec drugiego okresu"}
TERM_LABELS = {"year_id": "Rok szkolny", "name": "Nazwa okresu", "starts_on": "Pierwszy dzień okresu",
               "ends_on": "Ostatni dzień okresu"}


def _year_defaults():
    today = school_today()
    start = today.year if today.month >= 8 else today.year - 1
    return {"name": f"{start}/{start + 1}", "starts_on": f"{start}-09-01", "ends_on": f"{start + 1}-06-26",
            "term1_name": "Semestr 1", "term2_name": "Semestr 2"}


def _load_year(form):
    """The year form as the API's body (the terms nested); errors at the form's fields."""
    terms = []
    for i in (1, 2):
        if any(form.get(f"term{i}_{k}").strip() for k in ("starts_on", "ends_on")):
            terms.append({"name": form.get(f"term{i}_name").strip() or f"Semestr {i}",
                          "starts_on": form.get(f"term{i}_starts_on").strip() or None,
                          "ends_on": form.get(f"term{i}_ends_on").strip() or None})
    raw = {k: (form.get(k).strip() or None) for k in ("name", "starts_on", "ends_on")}
    raw["terms"] = terms
    try:
        return SchoolYearIn().load(raw)
    except ValidationError as err:
        for key, messages in polish_messages(err.messages).items():
            if key == "terms" and isinstance(messages, dict):
                for index, inner in messages.items():
                    for field, texts in (inner.items() if isinstance(inner, dict) else [("starts_on", inner)]):
                        form.errors.setdefault(f"term{int(index) + 1}_{field}", []).extend(
                            texts if isinstance(texts, list) else [texts])
            else:
                form.errors.setdefault(key, []).extend(messages if isinstance(messages, list) else [messages])
        form.fail()


@bp.route("/organizacja/lata-szkolne", methods=["GET", "POST"])
@requires_page(*ADMINS)
def years():
    school_id = current_school()
    action = request.form.get("action")
    posted = request.form if request.method == "POST" else None
    year_form = Form(posted if action == "year" else None, labels=YEAR_LABELS, prefix="y-", **_year_defaults())
    term_form = Form(posted if action == "term" else None, labels=TERM_LABELS, prefix="t-")
    action_form = Form(prefix="a-")
    if request.method == "POST":
        if action == "year":
            with year_form.handle():
                year = rpc.call("scheduling", "create_school_year", school_id, _load_year(year_form))
                flash(f"Utworzono rok szkolny {year['name']} (okresy: {len(year['terms'])}).", "success")
                return redirect(url_for("scheduling_web.years", **school_args()))
        elif action == "term":
            with term_form.handle():
                year_id = term_form.get("year_id")
                if not year_id:
                    term_form.add_error("year_id", "Wybierz rok szkolny.")
                data = term_form.load(TermIn)
                if term_form.errors:
                    term_form.fail()
                term = rpc.call("scheduling", "create_term", year_id, data)
                flash(f"Dodano okres „{term['name']}”.", "success")
                return redirect(url_for("scheduling_web.years", **school_args()))
        elif action in ("close", "delete_term"):
            with action_form.handle():
                if action == "close":
                    year = rpc.call("scheduling", "close_school_year", request.form.get("year_id", ""))
                    flash(f"Zamknięto rok szkolny {year['name']}; rozpoczęto jego archiwizację.", "success")
                else:
                    rpc.call("scheduling", "delete_term", request.form.get("term_id", ""))
                    flash("Usunięto okres.", "success")
                return redirect(url_for("scheduling_web.years", **school_args()))
    years_ = rpc.call("scheduling", "list_school_years", school_id)
    status = max(year_form.status, term_form.status, action_form.status)
    return render_template("scheduling/years.html", years=years_, year_form=year_form, term_form=term_form,
                           action_form=action_form,
                           year_options=[(y["id"], y["name"]) for y in years_ if not y.get("closed_at")],
                           sa=_hidden_school(), today=school_today().isoformat()), status


@bp.route("/organizacja/okresy/<term_id>", methods=["GET", "POST"])
@requires_page(*ADMINS)
def term_edit(term_id):
    school_id = current_school()
    term = next((t for t in _terms(school_id) if t["id"] == term_id), None)
    if term is None:
        raise NotFound("Nie znaleziono okresu.")
    form = Form(request.form if request.method == "POST" else None, labels=TERM_LABELS,
                name=term["name"], starts_on=term["starts_on"], ends_on=term["ends_on"])
    if request.method == "POST":
        with form.handle():
            rpc.call("scheduling", "update_term", term_id, form.load(TermPatchIn))
            flash("Zapisano okres.", "success")
            return redirect(url_for("scheduling_web.years", **school_args()))
    return render_template("scheduling/term.html", term=term, form=form, sa=_hidden_school()), form.status


# ------------------------------------------------------------------ subjects (ORG-1)

SUBJECT_LABELS = {"name": "Nazwa przedmiotu", "short_name": "Skrót"}


@bp.route("/organizacja/przedmioty", methods=["GET", "POST"])
@requires_page(*ADMINS)
def subjects():
    school_id = current_school()
    editing = request.values.get("przedmiot")
    subjects_ = _subjects(school_id)
    current = next((s for s in subjects_ if s["id"] == editing), None) if editing else None
    posted = request.form if request.method == "POST" else None
    form = Form(posted if not editing else None, labels=SUBJECT_LABELS, prefix="s-")
    edit_form = Form(posted if editing else None, labels=SUBJECT_LABELS, prefix="e-",
                     **({"name": current["name"], "short_name": current["short_name"]} if current else {}))
    if editing and current is None:
        raise NotFound("Nie znaleziono przedmiotu.")
    if request.method == "POST":
        if editing:
            with edit_form.handle():
                data = edit_form.load(SubjectIn)
                rpc.call("scheduling", "update_subject", editing, data)
                flash(f"Zapisano przedmiot {data['name']}.", "success")
                return redirect(url_for("scheduling_web.subjects", **school_args()))
        else:
            with form.handle():
                subject = rpc.call("scheduling", "create_subject", school_id, form.load(SubjectIn))
                flash(f"Dodano przedmiot {subject['name']}.", "success")
                return redirect(url_for("scheduling_web.subjects", **school_args()))
    status = max(form.status, edit_form.status)
    return render_template("scheduling/subjects.html", subjects=subjects_, form=form, edit_form=edit_form,
                           current=current, sa=_hidden_school()), status


# ------------------------------------------------------------------ classes, class lists, transfers (ORG-1, ORG-5, ORG-6)

CLASS_LABELS = {"name": "Nazwa klasy", "class_teacher_id": "Wychowawca", "student_id": "Uczeń",
                "enrolled_on": "Data wpisu", "to_class_id": "Nowa klasa", "on_date": "Od dnia", "reason": "Powód"}


@bp.route("/organizacja/klasy", methods=["GET", "POST"])
@requires_page(*ADMINS)
def classes():
    school_id = current_school()
    form = Form(request.form if request.method == "POST" else None, labels=CLASS_LABELS)
    if request.method == "POST":
        with form.handle():
            name = form.get("name").strip()
            if not name:
                form.add_error("name", "To pole jest wymagane.")
                form.fail()
            klass = rpc.call("scheduling", "create_class", school_id,
                             {"name": name, "class_teacher_id": form.get("class_teacher_id") or None})
            flash(f"Utworzono klasę {klass['name']}.", "success")
            return redirect(url_for("scheduling_web.class_detail", class_id=klass["id"], **school_args()))
    teachers = _teachers(school_id)
    names = {t["id"]: t for t in teachers}
    return render_template("scheduling/classes.html", classes=_classes(school_id), form=form, teachers=names,
                           teacher_options=_teacher_options(teachers), sa=_hidden_school()), form.status


@bp.route("/organizacja/klasy/<class_id>", methods=["GET", "POST"])
@requires_page(*ADMINS)
def class_detail(class_id):
    school_id = current_school()
    klass = rpc.call("scheduling", "get_class", class_id)
    action = request.form.get("action")
    posted = request.form if request.method == "POST" else None
    form = Form(posted if action == "class" else None, labels=CLASS_LABELS, prefix="c-",
                name=klass["name"], class_teacher_id=klass.get("class_teacher_id"))
    enrol_form = Form(posted if action == "enrol" else None, labels=CLASS_LABELS, prefix="e-")
    transfer_form = Form(posted if action == "transfer" else None, labels=CLASS_LABELS, prefix="p-")
    back = redirect(url_for("scheduling_web.class_detail", class_id=class_id, **school_args()))
    if request.method == "POST":
        if action == "class":
            with form.handle():
                name = form.get("name").strip()
                if not name:
                    form.add_error("name", "To pole jest wymagane.")
                    form.fail()
                rpc.call("scheduling", "update_class", class_id,
                         {"name": name, "class_teacher_id": form.get("class_teacher_id") or None})
                flash("Zapisano dane klasy.", "success")
                return back
        elif action == "enrol":
            with enrol_form.handle():
                if not enrol_form.get("student_id"):
                    enrol_form.add_error("student_id", "Wybierz ucznia.")
                    enrol_form.fail()
                rpc.call("scheduling", "enrol_student", class_id,
                         {"student_id": enrol_form.get("student_id"),
                          "enrolled_on": enrol_form.get("enrolled_on") or None})
                flash("Wpisano ucznia na listę klasy.", "success")
                return back
        elif action == "transfer":
            with transfer_form.handle():
                for key in ("student_id", "to_class_id"):
                    if not transfer_form.get(key):
                        transfer_form.add_error(key, "Wybierz z listy.")
                if transfer_form.errors:
                    transfer_form.fail()
                result = rpc.call("scheduling", "transfer_student", transfer_form.get("student_id"), {
                    "to_class_id": transfer_form.get("to_class_id"), "on_date": transfer_form.get("on_date") or None,
                    "reason": transfer_form.get("reason").strip() or None})
                flash("Przeniesiono ucznia; oceny i frekwencja przechodzą razem z nim.", "success")
                return redirect(url_for("scheduling_web.class_detail", class_id=result["to"]["class_id"],
                                        **school_args()))
    teachers = _teachers(school_id)
    enrolments = rpc.call("scheduling", "class_list", class_id, include_ended=True)
    students = {a["id"]: a for a in rpc.call("identity", "list_accounts", school_id, role=STUDENT)}
    active = [e for e in enrolments if e["status"] == "active"]
    on_list = {e["student_id"] for e in active}
    candidates = sorted((a for a in students.values() if a["id"] not in on_list), key=_pl_key)
    others = [c for c in _classes(school_id) if c["id"] != class_id]
    status = max(form.status, enrol_form.status, transfer_form.status)
    return render_template(
        "scheduling/class_detail.html", klass=klass, form=form, enrol_form=enrol_form, transfer_form=transfer_form,
        teacher_options=_teacher_options(teachers), teachers={t["id"]: t for t in teachers},
        enrolments=sorted(enrolments, key=lambda e: (e["status"] != "active",
                                                     _pl_key(students.get(e["student_id"], {"first_name": "",
                                                                                            "last_name": "~"})))),
        students=students,
        student_options=[(a["id"], f"{a['last_name']} {a['first_name']} ({a['login']})") for a in candidates],
        active_options=[(e["student_id"], _name(students.get(e["student_id"]))) for e in active],
        class_options=[(c["id"], c["name"]) for c in others], sa=_hidden_school()), status


# ------------------------------------------------------------------ teaching assignments (ORG-1)

ASSIGNMENT_LABELS = {"teacher_id": "Nauczyciel", "subject_id": "Przedmiot", "class_id": "Klasa",
                     "group_name": "Grupa", "klasa": "Klasa"}


@bp.route("/organizacja/przydzialy", methods=["GET", "POST"])
@requires_page(*ADMINS)
def assignments():
    school_id = current_school()
    class_filter = request.args.get("klasa") or None
    form = Form(request.form if request.method == "POST" and request.form.get("action") != "delete" else None,
                labels=ASSIGNMENT_LABELS, class_id=class_filter)
    if request.method == "POST":
        with form.handle():
            if request.form.get("action") == "delete":
                rpc.call("scheduling", "delete_assignment", request.form.get("assignment_id", ""))
                flash("Usunięto przydział zajęć.", "success")
            else:
                row = rpc.call("scheduling", "create_assignment", school_id, form.load(AssignmentIn))
                flash(f"Przydzielono: {row['subject_name']} w klasie {row['class_name']}"
                      + (f" (grupa {row['group_name']})" if row["group_name"] else "") + ".", "success")
            return redirect(url_for("scheduling_web.assignments", klasa=class_filter, **school_args()))
    teachers = _teachers(school_id)
    classes_ = _classes(school_id)
    rows = rpc.call("scheduling", "list_assignments", school_id, class_filter)
    names = {t["id"]: t for t in teachers}
    rows.sort(key=lambda r: (r.get("class_name") or "", r.get("subject_name") or "", r["group_name"],
                             _pl_key(names.get(r["teacher_id"], {"first_name": "", "last_name": "~"}))))
    return render_template("scheduling/assignments.html", rows=rows, form=form, teachers=names,
                           teacher_options=_teacher_options(teachers),
                           subject_options=[(s["id"], s["name"]) for s in _subjects(school_id)],
                           class_options=[(c["id"], c["name"]) for c in classes_], class_filter=class_filter,
                           filter_form=Form(labels={"klasa": "Klasa"}, prefix="filter-", klasa=class_filter),
                           sa=_hidden_school()), form.status


# ------------------------------------------------------------------ the timetable editor (ORG-2)

TIMETABLE_LABELS = {"valid_from": "Obowiązuje od", "okres": "Okres"}


def _grid_from_entries(entries):
    """Form values of the grid from the timetable in force: whole-class lessons in the grid
    cells, group lessons (or a second lesson in one cell) in the rows below."""
    values, groups, times = {}, [], {}
    taken = set()
    for e in sorted(entries, key=lambda e: (e["weekday"], e["period"], e["group_name"])):
        times.setdefault(e["period"], (e["starts_at"], e["ends_at"]))
        key = (e["weekday"], e["period"])
        if not e["group_name"] and key not in taken:
            taken.add(key)
            values[f"c-{e['weekday']}-{e['period']}-subject"] = e["subject_id"]
            values[f"c-{e['weekday']}-{e['period']}-teacher"] = e["teacher_id"]
            values[f"c-{e['weekday']}-{e['period']}-room"] = e["room"] or ""
        else:
            groups.append(e)
    for i, e in enumerate(groups):
        for k, v in (("weekday", e["weekday"]), ("period", e["period"]), ("subject", e["subject_id"]),
                     ("teacher", e["teacher_id"]), ("room", e["room"] or ""), ("group", e["group_name"])):
            values[f"g-{i}-{k}"] = str(v)
    return values, times, len(groups)


def _periods(times, extra=()):
    """The periods the grid shows: 1-8 and any other the timetable uses, with their times."""
    defaults = {p: (s, e) for p, s, e in DEFAULT_PERIODS}
    numbers = sorted(set(defaults) | set(times) | set(extra))
    return [(p, *(times.get(p) or defaults.get(p) or ("", ""))) for p in numbers]


def _entries_from_form(form, periods, group_rows):
    """The timetable the form describes, with each entry's form field names (to show a
    service's message at the right cell). Half-filled cells are errors."""
    entries, origins = [], []
    period_times = {}
    for p, _start, _end in periods:
        period_times[p] = (form.get(f"t-{p}-start").strip(), form.get(f"t-{p}-end").strip())

    def add(weekday, period, subject, teacher, room, group, names):
        start, end = period_times.get(period, ("", ""))
        if not start or not end:
            form.add_error(f"t-{period}-start", f"Podaj godziny lekcji {period}.")
            return
        entries.append({"weekday": weekday, "period": period, "starts_at": start, "ends_at": end,
                        "subject_id": subject, "teacher_id": teacher, "room": room or None, "group_name": group})
        origins.append(names)

    for weekday, day_name in WEEKDAYS:
        for p, _s, _e in periods:
            base = f"c-{weekday}-{p}"
            subject, teacher = form.get(f"{base}-subject"), form.get(f"{base}-teacher")
            room = form.get(f"{base}-room").strip()
            if not subject and not teacher and not room:
                continue
            if not subject:
                form.add_error(f"{base}-subject", f"{day_name.capitalize()}, lekcja {p}: wybierz przedmiot.")
            if not teacher:
                form.add_error(f"{base}-teacher", f"{day_name.capitalize()}, lekcja {p}: wybierz nauczyciela.")
            if subject and teacher:
                add(weekday, p, subject, teacher, room, "", {"subject_id": f"{base}-subject",
                                                             "teacher_id": f"{base}-teacher", "room": f"{base}-room"})
    for i in range(group_rows):
        base = f"g-{i}"
        values = {k: form.get(f"{base}-{k}").strip() for k in ("weekday", "period", "subject", "teacher", "room", "group")}
        if not any(values[k] for k in ("subject", "teacher", "room", "group")):
            continue
        for k, message in (("weekday", "wybierz dzień"), ("period", "podaj numer lekcji"),
                           ("subject", "wybierz przedmiot"), ("teacher", "wybierz nauczyciela"),
                           ("group", "podaj nazwę grupy")):
            if not values[k]:
                form.add_error(f"{base}-{k}", f"Zajęcia w grupie {i + 1}: {message}.")
        if not all(values[k] for k in ("weekday", "period", "subject", "teacher", "group")):
            continue
        try:
            weekday, period = int(values["weekday"]), int(values["period"])
        except ValueError:
            form.add_error(f"{base}-period", f"Zajęcia w grupie {i + 1}: numer lekcji to liczba.")
            continue
        if period not in period_times:
            form.add_error(f"{base}-period", f"Zajęcia w grupie {i + 1}: nie ma lekcji nr {period} w godzinach lekcji.")
            continue
        add(weekday, period, values["subject"], values["teacher"], values["room"], values["group"],
            {"subject_id": f"{base}-subject", "teacher_id": f"{base}-teacher", "room": f"{base}-room",
             "group_name": f"{base}-group"})
    return entries, origins


@bp.route("/organizacja/klasy/<class_id>/plan", methods=["GET", "POST"])
@requires_page(*ADMINS)
def timetable_editor(class_id):
    school_id = current_school()
    klass = rpc.call("scheduling", "get_class", class_id)
    terms = [t for t in _terms(school_id) if not t["closed"]]
    term = _term_choice(school_id, terms, request.values.get("okres") or None)
    if term is None:
        flash("Najpierw utwórz rok szkolny z okresami.", "info")
        return redirect(url_for("scheduling_web.years", **school_args()))
    valid_from = _default_valid_from(term)
    entries = rpc.call("scheduling", "timetable", class_id, term["id"], valid_from.isoformat())
    values, times, group_count = _grid_from_entries(entries)
    group_rows = max(GROUP_ROWS, group_count + 2)
    if request.method == "POST":
        posted_rows = request.form.get("group_rows", "")
        group_rows = max(group_rows, min(int(posted_rows), 40) if posted_rows.isdigit() else 0)
    periods = _periods(times)
    defaults = dict(values, valid_from=valid_from.isoformat())
    for p, start, end in periods:
        defaults[f"t-{p}-start"], defaults[f"t-{p}-end"] = start, end
    form = Form(request.form if request.method == "POST" else None, labels=TIMETABLE_LABELS, **defaults)
    if request.method == "POST":
        with form.handle():
            data_entries, origins = _entries_from_form(form, periods, group_rows)
            if form.errors:
                form.fail("Popraw zaznaczone pola planu.")
            payload = {"valid_from": form.get("valid_from").strip() or None, "entries": data_entries}
            try:
                result = rpc.call("scheduling", "set_timetable", class_id, term["id"], payload)
            except Conflict as exc:
                raise conflict_list(exc, "Plan lekcji koliduje z istniejącym planem; nic nie zostało zapisane.") from None
            except Invalid as exc:
                # entries.3.teacher_id -> the grid cell's field
                for key, messages in list((exc.fields or {}).items()):
                    parts = key.split(".")
                    if parts[0] == "entries" and len(parts) == 3 and parts[1].isdigit() \
                            and int(parts[1]) < len(origins) and parts[2] in origins[int(parts[1])]:
                        form.errors.setdefault(origins[int(parts[1])][parts[2]], []).extend(
                            messages if isinstance(messages, list) else [messages])
                        exc.fields.pop(key)
                raise
            flash(f"Zapisano plan lekcji klasy {klass['name']} ({count_pl(len(result['entries']), *LESSON_FORMS)} "
                  f"w tygodniu), obowiązuje od {_pl_date(result['valid_from'])}.", "success")
            first = date.fromisoformat(result["valid_from"])
            if first.weekday() > 4:   # a change from a Saturday or Sunday shows from the next week
                first += timedelta(days=7 - first.weekday())
            return redirect(url_for("scheduling_web.class_week", klasa=class_id, dzien=first.isoformat(),
                                    **school_args()))
    teachers = _teachers(school_id)
    subjects_ = _subjects(school_id)
    history = rpc.call("scheduling", "timetable", class_id, term["id"], include_history=True)
    changes = sorted({(e["valid_from"], e["valid_to"], e["source"]) for e in history}, reverse=True)
    return render_template(
        "scheduling/timetable_editor.html", klass=klass, term=term, form=form, periods=periods,
        weekdays=WEEKDAYS, group_rows=group_rows,
        term_options=[(t["id"], _term_label(t)) for t in terms],
        subject_options=[(s["id"], s["name"]) for s in subjects_], teacher_options=_teacher_options(teachers),
        changes=changes, sa=_hidden_school()), form.status


# ------------------------------------------------------------------ the aSc import (ORG-2)

IMPORT_SALT = "dziennik-asc-import"
IMPORT_MAX_AGE = 3600
IMPORT_LABELS = {"term_id": "Okres", "valid_from": "Obowiązuje od", "file": "Plik XML z aSc Timetables"}


def _import_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=IMPORT_SALT)


@bp.before_app_request
def _raise_import_limit():
    """The import page alone takes files up to 5 MB (the limit is raised before the session
    guard reads the form for its CSRF token)."""
    if request.endpoint == "scheduling_web.timetable_import" and request.method == "POST":
        request.max_content_length = IMPORT_REQUEST_MAX
        request.max_form_memory_size = IMPORT_REQUEST_MAX


@bp.route("/organizacja/import-planu", methods=["GET", "POST"])
@requires_page(*ADMINS)
def timetable_import():
    school_id = current_school()
    terms = [t for t in _terms(school_id) if not t["closed"]]
    term = _term_choice(school_id, terms) if terms else None
    form = Form(request.form if request.method == "POST" else None, labels=IMPORT_LABELS,
                term_id=term["id"] if term else None)
    report, payload = None, None
    if request.method == "POST":
        with form.handle():
            if request.form.get("action") == "confirm":
                try:
                    data = _import_serializer().loads(request.form.get("payload", ""), max_age=IMPORT_MAX_AGE)
                except BadData:
                    raise Invalid("Podgląd wygasł lub został zmieniony. Wczytaj plik ponownie.", {}) from None
                try:
                    report = rpc.call("scheduling", "import_asc_timetable", school_id, data["term_id"], data["xml"],
                                      data["valid_from"], False)
                except Conflict as exc:
                    raise conflict_list(exc, "Plan z pliku koliduje z planem innych klas; nic nie zostało zapisane.") \
                        from None
                flash(f"Zaimportowano plan lekcji: {count_pl(report['entries'], *LESSON_FORMS)} w tygodniu, klasy: "
                      + ", ".join(c["name"] for c in report["classes"])
                      + f"; obowiązuje od {_pl_date(report['valid_from'])}.", "success")
                return redirect(url_for("scheduling_web.classes", **school_args()))
            if not form.get("term_id"):
                form.add_error("term_id", "Wybierz okres.")
            valid_from = form.get("valid_from").strip() or None
            if valid_from:
                try:
                    valid_from = date.fromisoformat(valid_from).isoformat()
                except ValueError:
                    form.add_error("valid_from", "Niepoprawna data (oczekiwano RRRR-MM-DD).")
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                form.add_error("file", "Wybierz plik XML.")
            if form.errors:
                form.fail()
            xml_text = read_upload(upload)
            try:
                report = rpc.call("scheduling", "import_asc_timetable", school_id, form.get("term_id"), xml_text,
                                  valid_from, True)
            except Invalid as exc:
                if set(exc.fields or {}) >= {"classes", "teachers"}:   # the message names them all
                    raise Invalid(exc.message, {}) from None
                raise
            except Conflict as exc:
                raise conflict_list(exc, "Plan z pliku koliduje z planem innych klas; nic nie zostało zapisane.") \
                    from None
            payload = _import_serializer().dumps({"term_id": form.get("term_id"), "xml": xml_text,
                                                  "valid_from": report["valid_from"]})
    chosen = next((t for t in terms if t["id"] == form.get("term_id")), term)
    return render_template("scheduling/import.html", form=form, report=report, payload=payload,
                           term=chosen, term_options=[(t["id"], _term_label(t)) for t in terms],
                           max_mb=IMPORT_MAX_BYTES // (1024 * 1024), sa=_hidden_school()), form.status


# ------------------------------------------------------------------ weeks (ORG-2, ORG-3, ORG-10)

@bp.route("/plan")
@requires_page(*SCHOOL_MEMBERS)
def class_week():
    school_id = current_school()
    classes_ = _visible_classes(school_id)
    class_id = request.args.get("klasa") or (classes_[0]["id"] if classes_ else None)
    day = _date_arg("dzien")
    week, rows, teachers = None, [], {}
    if class_id:
        if not _is(ASSOCIATION_ADMIN, *STAFF) and class_id not in {c["id"] for c in classes_}:
            raise NotFound("Nie znaleziono klasy.")
        week = rpc.call("scheduling", "class_week", class_id, day.isoformat())
        rows = week_grid(week)
        if _is(ASSOCIATION_ADMIN, *STAFF):
            ids = {lesson[k] for d in week["days"] for lesson in d["lessons"]
                   for k in ("teacher_id", "substitute_teacher_id")}
            teachers = _people(school_id, ids)
    return render_template("scheduling/class_week.html", classes=classes_, class_id=class_id, week=week, rows=rows,
                           teachers=teachers, nav=_week_nav(day), status_pl=LESSON_STATUS,
                           can_edit=_admin(), is_staff=_is(ASSOCIATION_ADMIN, *STAFF),
                           filter_form=Form(labels={"klasa": "Klasa", "dzien": "Tydzień z dniem"}, prefix="w-",
                                            klasa=class_id, dzien=day.isoformat()),
                           class_options=[(c["id"], c["name"]) for c in classes_], sa=_hidden_school())


@bp.route("/moj-plan")
@requires_page(*TEACHERS)
def my_week():
    day = _date_arg("dzien")
    week = rpc.call("scheduling", "teacher_week", g.user["id"], day.isoformat())
    rows = week_grid(week)
    school_id = g.user.get("school_id")
    ids = {lesson[k] for d in week["days"] for lesson in d["lessons"] for k in ("teacher_id", "substitute_teacher_id")}
    teachers = _people(school_id, ids) if school_id else {}
    return render_template("scheduling/my_week.html", week=week, rows=rows, teachers=teachers, nav=_week_nav(day),
                           status_pl=LESSON_STATUS, me=g.user["id"],
                           filter_form=Form(labels={"dzien": "Tydzień z dniem"}, prefix="w-", dzien=day.isoformat()))


# ------------------------------------------------------------------ lessons and topics (ORG-4)

@bp.route("/lekcje")
@requires_page(*TEACHERS)
def day_lessons():
    day = _date_arg("dzien")
    lessons = rpc.call("scheduling", "lessons_for", day.isoformat(), teacher_id=g.user["id"])
    school_id = g.user.get("school_id")
    ids = {lesson[k] for lesson in lessons for k in ("teacher_id", "substitute_teacher_id")}
    teachers = _people(school_id, ids) if school_id else {}
    return render_template("scheduling/day_lessons.html", lessons=lessons, day=day, teachers=teachers,
                           me=g.user["id"], status_pl=LESSON_STATUS, attendance_url=ATTENDANCE_OF_LESSON,
                           prev=(day - timedelta(days=1)).isoformat(), next=(day + timedelta(days=1)).isoformat(),
                           today=school_today().isoformat(), is_today=day == school_today(),
                           filter_form=Form(labels={"dzien": "Dzień"}, prefix="d-", dzien=day.isoformat()))


@bp.route("/lekcje/<lesson_id>", methods=["GET", "POST"])
@requires_page(*STAFF)
def lesson(lesson_id):
    record = rpc.call("scheduling", "get_lesson", lesson_id)
    effective = record.get("substitute_teacher_id") or record["teacher_id"]
    may_enter = g.user["id"] == effective and _is(*TEACHERS) and record["status"] != "cancelled" \
        and record["date"] <= school_today().isoformat()
    form = Form(request.form if request.method == "POST" else None, labels={"topic": "Temat lekcji"},
                topic=record.get("topic"))
    if request.method == "POST":
        with form.handle():
            saved = rpc.call("scheduling", "enter_topic", lesson_id, form.load(TopicIn))
            flash(f"Zapisano temat lekcji z dnia {_pl_date(saved['date'])}.", "success")
            return redirect(url_for("scheduling_web.lesson", lesson_id=lesson_id))
    school_id = record["school_id"]
    ids = {record["teacher_id"], record.get("substitute_teacher_id"), record.get("topic_entered_by")}
    ids |= {s.get(k) for s in record["substitutions"] for k in ("original_teacher_id", "substitute_teacher_id",
                                                                 "assigned_by")}
    people = _people(school_id, ids)
    return render_template("scheduling/lesson.html", lesson=record, form=form, may_enter=may_enter, people=people,
                           status_pl=LESSON_STATUS, attendance_url=ATTENDANCE_OF_LESSON.format(lesson_id=lesson_id),
                           backfill=record["date"] < school_today().isoformat()), form.status


# ------------------------------------------------------------------ substitutions (ORG-3)

SUBSTITUTE_LABELS = {"substitute_teacher_id": "Nauczyciel zastępujący", "reason": "Powód",
                     "dzien": "Dzień", "nauczyciel": "Nieobecny nauczyciel", "od": "Od dnia", "do": "Do dnia",
                     "bez_tematu": "Tylko zastępstwa bez tematu"}


@bp.route("/zastepstwa", methods=["GET", "POST"])
@requires_page(*SUBSTITUTION_VIEWERS)
def substitutions():
    school_id = current_school()
    manage = _admin()
    today = school_today()
    day = _date_arg("dzien")
    absent = request.values.get("nauczyciel") or None
    form = Form(request.form if request.method == "POST" else None, labels=SUBSTITUTE_LABELS)
    failed_lesson = None
    if request.method == "POST":
        if not manage:
            raise Forbidden("Zastępstwa przydziela administrator.")
        with form.handle():
            lesson_id = request.form.get("lesson_id", "")
            failed_lesson = lesson_id
            cancel = request.form.get("action") == "cancel"
            reason = form.get("reason").strip()
            data = {"reason": reason, "cancel": cancel,
                    "substitute_teacher_id": None if cancel else (form.get("substitute_teacher_id") or None)}
            if not cancel and not data["substitute_teacher_id"]:
                form.add_error("substitute_teacher_id", "Wybierz nauczyciela zastępującego.")
            if len(reason) < 3:
                form.add_error("reason", "Podaj powód (co najmniej 3 znaki).")
            if form.errors:
                form.fail()
            result = rpc.call("scheduling", "assign_substitute", lesson_id, data)
            if cancel:
                flash(f"Odwołano lekcję {result['period']} ({result['subject_name']}, klasa {result['class_name']}).",
                      "success")
            else:
                flash(f"Przydzielono zastępstwo: lekcja {result['period']} ({result['subject_name']}, "
                      f"klasa {result['class_name']}).", "success")
            return redirect(url_for("scheduling_web.substitutions", dzien=day.isoformat(), nauczyciel=absent,
                                    **school_args()))
    teachers = _teachers(school_id) if manage else []
    absent_lessons = []
    if manage and absent:
        absent_lessons = rpc.call("scheduling", "lessons_for", day.isoformat(), teacher_id=absent)
        absent_lessons = [lesson for lesson in absent_lessons
                          if lesson["teacher_id"] == absent]
    list_from = _date_arg("od", today - timedelta(days=7))
    list_to = _date_arg("do", today + timedelta(days=7))
    without_topic = request.args.get("bez_tematu") == "1"
    rows = rpc.call("scheduling", "substitutions", school_id, list_from.isoformat(), list_to.isoformat(),
                    without_topic)
    ids = {r[k] for r in rows for k in ("teacher_id", "substitute_teacher_id")}
    people = _people(school_id, ids)
    people.update({t["id"]: t for t in teachers})
    return render_template(
        "scheduling/substitutions.html", manage=manage, form=form, day=day, absent=absent,
        absent_lessons=absent_lessons, failed_lesson=failed_lesson, teacher_options=_teacher_options(teachers),
        rows=rows, people=people, without_topic=without_topic, status_pl=LESSON_STATUS,
        pick_form=Form(labels=SUBSTITUTE_LABELS, prefix="pick-", dzien=day.isoformat(), nauczyciel=absent),
        list_form=Form(labels=SUBSTITUTE_LABELS, prefix="list-", od=list_from.isoformat(), do=list_to.isoformat(),
                       bez_tematu="1" if without_topic else None),
        sa=_hidden_school()), form.status


# ------------------------------------------------------------------ supervision (ORG-4)

@bp.route("/nadzor")
@requires_page(*SUBSTITUTION_VIEWERS)
def supervision():
    school_id = current_school()
    today = school_today()
    day = _date_arg("tydzien", _monday(today) - timedelta(days=7))
    report = rpc.call("scheduling", "supervision_report", school_id, day.isoformat())
    ids = {t["teacher_id"] for t in report["teachers"]}
    late = (report["late_grades"].get("grades") or []) if report["late_grades"]["available"] else []
    ids |= {g_.get("teacher_id") for g_ in late if isinstance(g_, dict)}
    people = _people(school_id, ids)
    missing_attendance = report["lessons_without_attendance"]
    monday = date.fromisoformat(report["week_start"])
    return render_template("scheduling/supervision.html", report=report, people=people, late=late,
                           missing_attendance=missing_attendance,
                           prev=(monday - timedelta(days=7)).isoformat(), next=(monday + timedelta(days=7)).isoformat(),
                           filter_form=Form(labels={"tydzien": "Tydzień z dniem"}, prefix="s-", tydzien=day.isoformat()),
                           sa=_hidden_school())


# ------------------------------------------------------------------ the calendar and test limits (ORG-10)

CALENDAR_LABELS = {"kind": "Rodzaj wpisu", "date": "Dzień", "ends_on": "Ostatni dzień (wpis kilkudniowy)",
                   "class_id": "Klasa", "subject_id": "Przedmiot", "period": "Lekcja (numer)", "title": "Tytuł",
                   "description": "Opis", "klasa": "Klasa", "od": "Od dnia", "do": "Do dnia"}
LIMIT_LABELS = {"tests_per_day": "Sprawdziany dziennie", "tests_per_week": "Sprawdziany w tygodniu",
                "quizzes_per_day": "Kartkówki dziennie", "quizzes_per_week": "Kartkówki w tygodniu"}


def _allowed_kinds():
    kinds = []
    if _is(ASSOCIATION_ADMIN, *CALENDAR_WRITERS):
        kinds += ["test", "quiz"]
    if _is(ASSOCIATION_ADMIN, *ADMINS, *DIRECTORS, CLASS_TEACHER):
        kinds.append("parent_meeting")
    if _is(ASSOCIATION_ADMIN, *ADMINS, *DIRECTORS):
        kinds += ["day_off", "school_event"]
    return [(k, EVENT_KINDS[k]) for k in ("test", "quiz", "day_off", "school_event", "parent_meeting") if k in kinds]


def _limits_text(limits):
    def part(n, one, few, many, when):
        if n is None:
            return None
        word = one if n == 1 else few if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else many
        return f"{n} {word} {when}"
    parts = [part(limits.get("tests_per_day"), "sprawdzian", "sprawdziany", "sprawdzianów", "dziennie"),
             part(limits.get("tests_per_week"), "sprawdzian", "sprawdziany", "sprawdzianów", "w tygodniu"),
             part(limits.get("quizzes_per_day"), "kartkówka", "kartkówki", "kartkówek", "dziennie"),
             part(limits.get("quizzes_per_week"), "kartkówka", "kartkówki", "kartkówek", "w tygodniu")]
    parts = [p for p in parts if p]
    return ", ".join(parts) if parts else "bez limitów"


@bp.route("/terminarz", methods=["GET", "POST"])
@requires_page(*SCHOOL_MEMBERS)
def calendar():
    school_id = current_school()
    today = school_today()
    classes_ = _visible_classes(school_id)
    is_staff = _is(ASSOCIATION_ADMIN, *STAFF)
    class_id = request.args.get("klasa") or (None if is_staff else (classes_[0]["id"] if classes_ else None))
    if class_id and not is_staff and class_id not in {c["id"] for c in classes_}:
        raise NotFound("Nie znaleziono klasy.")
    date_from = _date_arg("od", today)
    date_to = _date_arg("do", date_from + timedelta(days=30))
    kinds = _allowed_kinds()
    form = Form(request.form if request.method == "POST" and request.form.get("action") != "remove" else None,
                labels=CALENDAR_LABELS, prefix="e-", kind=kinds[0][0] if kinds else None, class_id=class_id)
    if request.method == "POST":
        with form.handle():
            if request.form.get("action") == "remove":
                rpc.call("scheduling", "remove_calendar_event", request.form.get("event_id", ""))
                flash("Usunięto wpis z terminarza.", "success")
            else:
                if not kinds:
                    raise Forbidden("Nie możesz dodawać wpisów do terminarza.")
                event = rpc.call("scheduling", "add_calendar_event", school_id, form.load(CalendarEventIn))
                flash(f"Dodano do terminarza: {event['kind_name']} „{event['title']}” ({_pl_date(event['date'])}).",
                      "success")
            return redirect(url_for("scheduling_web.calendar", klasa=class_id, od=date_from.isoformat(),
                                    do=date_to.isoformat(), **school_args()))
    events = rpc.call("scheduling", "calendar", school_id, date_from.isoformat(), date_to.isoformat(), class_id)
    limits = rpc.call("scheduling", "test_limits", school_id)
    subjects_ = _subjects(school_id) if kinds else []
    all_classes = _classes(school_id) if kinds else classes_
    return render_template(
        "scheduling/calendar.html", events=events, form=form, kinds=kinds, limits_text=_limits_text(limits),
        can_set_limits=_is(ASSOCIATION_ADMIN, *ADMINS, *DIRECTORS), can_remove=_is(ASSOCIATION_ADMIN, *ADMINS, *DIRECTORS),
        me=g.user["id"], class_id=class_id, classes=classes_, is_staff=is_staff,
        class_options=[(c["id"], c["name"]) for c in classes_],
        form_class_options=[(c["id"], c["name"]) for c in all_classes],
        subject_options=[(s["id"], s["name"]) for s in subjects_],
        filter_form=Form(labels=CALENDAR_LABELS, prefix="filter-", klasa=class_id, od=date_from.isoformat(),
                         do=date_to.isoformat()),
        date_from=date_from, date_to=date_to, sa=_hidden_school()), form.status


@bp.route("/terminarz/limity", methods=["GET", "POST"])
@requires_page(*ADMINS, *DIRECTORS)
def test_limits():
    school_id = current_school()
    limits = rpc.call("scheduling", "test_limits", school_id)
    form = Form(request.form if request.method == "POST" else None, labels=LIMIT_LABELS,
                **{k: "" if v is None else str(v) for k, v in limits.items()})
    if request.method == "POST":
        with form.handle():
            raw = {}
            for key in LIMIT_LABELS:
                value = form.get(key).strip()
                if value == "":
                    raw[key] = None
                elif value.isdigit():
                    raw[key] = int(value)
                else:
                    form.add_error(key, "Podaj liczbę od 0 do 20 albo zostaw puste (bez limitu).")
            if form.errors:
                form.fail()
            saved = rpc.call("scheduling", "set_test_limits", school_id, TestLimitsIn().load(raw))
            flash(f"Zapisano limity: {_limits_text(saved)}.", "success")
            return redirect(url_for("scheduling_web.calendar", **school_args()))
    return render_template("scheduling/limits.html", form=form, sa=_hidden_school()), form.status


# ------------------------------------------------------------------ iCalendar (ORG-10)

@bp.route("/kalendarz")
@requires_page(*SCHOOL_MEMBERS)
def ical_page():
    """The private subscription address of a feed (a class's calendar, or the teacher's lessons)."""
    school_id = current_school()
    class_id = request.args.get("klasa") or None
    feeds = []
    if class_id:
        token, name, _klass = issue_ical_feed(class_id)
        feeds.append({"name": name, "url": ical_url(token)})
    elif _is(*TEACHERS):
        token, name, _klass = issue_ical_feed(None)
        feeds.append({"name": name, "url": ical_url(token)})
    classes_ = _visible_classes(school_id)
    return render_template("scheduling/ical.html", feeds=feeds, classes=classes_, class_id=class_id,
                           sa=_hidden_school())


@bp.route("/ical/<token>.ics")
@public
def ical_feed(token):
    feed = ical_body(token)
    response = Response(feed["body"], mimetype="text/calendar")
    response.headers["Content-Type"] = feed.get("content_type") or "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{feed.get("filename") or "dziennik.ics"}"'
    return response


# ------------------------------------------------------------------ trip cards (ORG-11)

TRIP_LABELS = {"destination": "Cel wycieczki", "purpose": "Program i cel", "starts_on": "Pierwszy dzień",
               "ends_on": "Ostatni dzień", "participant_ids": "Uczestnicy", "supervisor_ids": "Opiekunowie",
               "note": "Uwagi do decyzji", "klasy": "Klasy uczestników"}


@bp.route("/wycieczki")
@requires_page(*STAFF)
def trips():
    school_id = current_school()
    rows = rpc.call("scheduling", "list_trips", school_id, request.args.get("stan") or None)
    people = _people(school_id, {r["organiser_id"] for r in rows})
    classes_ = {c["id"]: c["name"] for c in _classes(school_id)}
    return render_template("scheduling/trips.html", rows=rows, people=people, classes=classes_,
                           status_pl=TRIP_STATUS, can_create=_is(ASSOCIATION_ADMIN, *TRIP_ORGANISERS),
                           pending=[r for r in rows if r["status"] == "submitted"],
                           is_director=_is(ASSOCIATION_ADMIN, *DIRECTORS), sa=_hidden_school())


def _trip_form_context(school_id, class_ids):
    classes_ = _classes(school_id)
    chosen = [c for c in classes_ if c["id"] in class_ids]
    students = {a["id"]: a for a in rpc.call("identity", "list_accounts", school_id, role=STUDENT)}
    groups = []
    for c in chosen:
        members = [students[e["student_id"]] for e in rpc.call("scheduling", "class_list", c["id"])
                   if e["student_id"] in students]
        groups.append({"class": c, "students": sorted(members, key=_pl_key)})
    teachers = _teachers(school_id)
    return {"classes": classes_, "groups": groups, "teachers": teachers,
            "class_options": [(c["id"], c["name"]) for c in classes_]}


def _trip_data(form):
    return form.load(TripIn)


@bp.route("/wycieczki/nowa", methods=["GET", "POST"])
@requires_page(*TRIP_ORGANISERS)
def trip_new():
    school_id = current_school()
    class_ids = request.values.getlist("klasy")
    defaults = {"klasy": class_ids, "supervisor_ids": [g.user["id"]]}
    form = Form(request.form if request.method == "POST" else None, labels=TRIP_LABELS, **defaults)
    context = _trip_form_context(school_id, class_ids)
    if request.method == "GET" and class_ids:
        form.values.setlist("participant_ids", [s["id"] for grp in context["groups"] for s in grp["students"]])
    if request.method == "POST":
        with form.handle():
            trip = rpc.call("scheduling", "create_trip", school_id, _trip_data(form))
            flash("Zapisano kartę wycieczki (szkic). Złóż ją do zatwierdzenia przez dyrektora.", "success")
            return redirect(url_for("scheduling_web.trip", trip_id=trip["id"], **school_args()))
    return render_template("scheduling/trip_form.html", form=form, trip=None, **context,
                           sa=_hidden_school()), form.status


@bp.route("/wycieczki/<trip_id>/edycja", methods=["GET", "POST"])
@requires_page(*TRIP_ORGANISERS)
def trip_edit(trip_id):
    school_id = current_school()
    trip_ = rpc.call("scheduling", "get_trip", trip_id)
    class_ids = request.values.getlist("klasy") or trip_["class_ids"]
    defaults = {k: trip_[k] for k in ("destination", "purpose", "starts_on", "ends_on", "participant_ids",
                                      "supervisor_ids")}
    form = Form(request.form if request.method == "POST" else None, labels=TRIP_LABELS, klasy=class_ids, **defaults)
    if request.method == "POST":
        with form.handle():
            rpc.call("scheduling", "update_trip", trip_id, _trip_data(form))
            flash("Zapisano zmiany karty wycieczki.", "success")
            return redirect(url_for("scheduling_web.trip", trip_id=trip_id, **school_args()))
    context = _trip_form_context(school_id, class_ids)
    return render_template("scheduling/trip_form.html", form=form, trip=trip_, **context,
                           sa=_hidden_school()), form.status


@bp.route("/wycieczki/<trip_id>", methods=["GET", "POST"])
@requires_page(*STAFF)
def trip(trip_id):
    school_id = current_school()
    trip_ = rpc.call("scheduling", "get_trip", trip_id)
    form = Form(request.form if request.method == "POST" else None, labels=TRIP_LABELS)
    if request.method == "POST":
        action = request.form.get("action")
        with form.handle():
            if action == "submit":
                rpc.call("scheduling", "submit_trip", trip_id)
                flash("Złożono kartę wycieczki do zatwierdzenia przez dyrektora.", "success")
            elif action == "approve":
                rpc.call("scheduling", "approve_trip", trip_id, {"note": form.get("note").strip() or None})
                flash("Zatwierdzono kartę wycieczki; wycieczka jest w terminarzu klas.", "success")
            elif action == "reject":
                note = form.get("note").strip()
                if len(note) < 3:
                    form.add_error("note", "Podaj powód odrzucenia (co najmniej 3 znaki).")
                    form.fail()
                rpc.call("scheduling", "reject_trip", trip_id, {"note": note})
                flash("Odrzucono kartę wycieczki; organizator może ją poprawić.", "success")
            else:
                raise Invalid("Nieznana operacja.", {})
            return redirect(url_for("scheduling_web.trip", trip_id=trip_id, **school_args()))
    ids = set(trip_["participant_ids"]) | set(trip_["supervisor_ids"]) | {trip_["organiser_id"], trip_.get("decided_by")}
    people = _people(school_id, ids)
    classes_ = {c["id"]: c["name"] for c in _classes(school_id)}
    is_organiser = trip_["organiser_id"] == g.user["id"] or _is(ASSOCIATION_ADMIN, *ADMINS, *DIRECTORS)
    return render_template("scheduling/trip.html", trip=trip_, people=people, classes=classes_, form=form,
                           status_pl=TRIP_STATUS, is_organiser=is_organiser and _is(ASSOCIATION_ADMIN, *TRIP_ORGANISERS),
                           is_director=_is(ASSOCIATION_ADMIN, *DIRECTORS), sa=_hidden_school()), form.status


# ------------------------------------------------------------------ completeness (ORG-9)

@bp.route("/kompletnosc")
@requires_page(*COMPLETENESS_READERS)
def completeness():
    school_id = current_school()
    own_only = _is(CLASS_TEACHER) and not _is(ASSOCIATION_ADMIN, *ADMINS, *DIRECTORS, SECRETARY)
    classes_ = _classes(school_id)
    if own_only:
        classes_ = [c for c in classes_ if c.get("class_teacher_id") == g.user["id"]]
        if not classes_:
            raise NotFound("Nie jesteś wychowawcą żadnej klasy.")
    class_id = request.args.get("klasa") or (classes_[0]["id"] if own_only else None)
    if own_only and class_id not in {c["id"] for c in classes_}:
        raise NotFound("Nie znaleziono klasy.")
    report = rpc.call("scheduling", "completeness_report", school_id, class_id)
    ids = {row["student_id"] for c in report["classes"] for row in (c["incomplete"] or [])}
    people = _people(school_id, ids, role=STUDENT)
    return render_template("scheduling/completeness.html", report=report, people=people, missing_pl=MISSING_PL,
                           class_id=class_id, own_only=own_only,
                           class_options=[(c["id"], c["name"]) for c in classes_],
                           filter_form=Form(labels={"klasa": "Klasa"}, prefix="k-", klasa=class_id),
                           today=school_today().isoformat(), sa=_hidden_school())
