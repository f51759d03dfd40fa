"""The pages of attendance (frekwencja, issue 6): the lesson's attendance form (everyone present by
default, one click per exception, one submit for the class), the teacher's lessons of a day, the
class teacher's weekly review (doubles removed with a reason, corrections with history) and
justification inbox (parents' e-justifications accepted or rejected with a comment; the class
teacher's own justification, never in advance), the parent's (and student's) month calendar with
the e-justification form, and percentages, below-threshold lists, statistics and the parent-meeting
summary (PDF) for the class teacher and the director.

Each view calls the attendance RPC the API route of the same meaning calls, with the same
permission helpers; the service checks again and decides the finer rules."""
from calendar import monthrange
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import flash, g, redirect, render_template, request, url_for

from services.common.errors import Forbidden, Invalid, NotFound, RegisterError

from .. import rpc
from ..api.accounts import pdf_response
from ..api.attendance import summary_file_name
from ..api.attendance_schemas import AttCorrectionIn, AttEJustificationIn, AttRemovalIn
from ..auth import (ADMINS, ASSOCIATION_ADMIN, CLASS_TEACHER, DIRECTORS, INSPECTOR, PARENT, STUDENT,
                    TEACHERS, check_own_or_staff, user_roles)
from .base import Form, current_school, requires_page, safe_next, school_args, web_blueprint
from .identity import pl_key
from .nav import add_nav

bp = web_blueprint("attendance_web", __name__)

SCHOOL_TZ = ZoneInfo("Europe/Warsaw")
MANAGERS = ADMINS + DIRECTORS               # manage all attendance
WRITERS = MANAGERS + TEACHERS               # may ever write (the service decides the finer rule)
VIEWERS = WRITERS + (INSPECTOR,)            # see everyone's attendance
CLASS_PAGES = MANAGERS + (CLASS_TEACHER,)   # the class teacher's pages (directors, administrators: any class)
NOT_FOUND_STUDENT = "Nie znaleziono ucznia."
NOT_IN_GROUP = "_inna_grupa"   # the lesson form's choice "not in this group" (no entry is made)

KIND_LABELS = {"present": "obecność", "absent": "nieobecność nieusprawiedliwiona",
               "excused": "nieobecność usprawiedliwiona", "late": "spóźnienie", "released": "zwolnienie",
               "school_reasons": "nieobecność z przyczyn szkolnych", "none": "brak wpisów"}
KIND_SYMBOLS = {"present": "ob", "absent": "nb", "excused": "u", "late": "sp", "released": "zw",
                "school_reasons": "ns", "none": "–"}
CALENDAR_ORDER = ("absent", "excused", "late", "school_reasons", "released", "present", "none")
E_STATUS = {"submitted": "oczekuje na decyzję", "accepted": "przyjęte", "rejected": "odrzucone"}
SINGLE_HOURS = [("reported_beforehand", "zgłoszone wcześniej"),
                ("beyond_control", "z przyczyn niezależnych od ucznia")]
ACTIONS = {"recorded": "wpisanie", "corrected": "poprawka", "justified": "usprawiedliwienie",
           "removed": "usunięcie podwójnego wpisu"}
WEEKDAYS = ["poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela"]
WEEKDAYS_SHORT = ["pn", "wt", "śr", "cz", "pt", "sb", "nd"]
MONTHS = ["styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień", "wrzesień",
          "październik", "listopad", "grudzień"]
LIST_STATUS = {"active": "na liście", "transferred": "przeniesiony", "removed": "skreślony", "left": "poza listą"}

# ------------------------------------------------------------------ the menu

add_nav("attendance_web.index", "Frekwencja", TEACHERS, order=65,
        description="Lekcje dnia i wpisywanie frekwencji: wszyscy obecni, zaznaczasz tylko wyjątki.")
add_nav("attendance_web.review", "Przegląd frekwencji", [CLASS_TEACHER], order=66,
        description="Wpisy klasy z poprzedniego tygodnia: podwójne wpisy i poprawki.")
add_nav("attendance_web.inbox", "E-usprawiedliwienia", [CLASS_TEACHER], order=67,
        description="Usprawiedliwienia od rodziców do przyjęcia lub odrzucenia; usprawiedliwianie nieobecności.")
add_nav("attendance_web.statistics", "Statystyki frekwencji", (CLASS_TEACHER,) + DIRECTORS, order=68,
        description="Procent frekwencji uczniów, klas i przedmiotów, uczniowie poniżej progu, zestawienie na zebranie.")
add_nav("attendance_web.children", "Frekwencja dzieci", [PARENT], order=56,
        description="Kalendarz obecności dziecka i e-usprawiedliwienia nieobecności.")
add_nav("attendance_web.own", "Moja frekwencja", [STUDENT], order=56,
        description="Twój kalendarz obecności i procent frekwencji.")


# ------------------------------------------------------------------ helpers

def school_today():
    return datetime.now(SCHOOL_TZ).date()


def _is(*roles):
    return bool(user_roles() & set(roles))


def _manages_all():
    return _is(ASSOCIATION_ADMIN, *MANAGERS)


def _parse_date(value, default=None):
    try:
        return date.fromisoformat(str(value)[:10]) if value else default
    except ValueError:
        return default


def _name(account):
    return f"{account['last_name']} {account['first_name']}"


def _people(school_id, ids, role=None):
    """{id: account} for these ids: one list call when the caller may list accounts, else one
    look-up each (the inspector)."""
    ids = [i for i in dict.fromkeys(ids) if i]
    if not ids:
        return {}
    try:
        everyone = {a["id"]: a for a in rpc.call("identity", "list_accounts", school_id, role=role)}
        found = {i: everyone[i] for i in ids if i in everyone}
    except Forbidden:
        found = {}
    for i in ids:
        if i not in found:
            try:
                found[i] = rpc.call("identity", "get_account", i)
            except (NotFound, Forbidden):
                pass
    return found


def _names(school_id, ids, role=None):
    people = _people(school_id, ids, role)
    return {i: (_name(people[i]) if i in people else "—") for i in ids}


def _sorted_students(school_id, ids):
    """[(id, "Nazwisko Imię")] in Polish alphabetical order."""
    people = _people(school_id, ids, role=STUDENT)
    known = sorted((people[i] for i in ids if i in people), key=pl_key)
    return [(a["id"], _name(a)) for a in known] + [(i, "—") for i in ids if i not in people]


def _subjects(school_id):
    try:
        return {s["id"]: s["name"] for s in rpc.call("scheduling", "list_subjects", school_id)}
    except RegisterError:
        return {}


def _classes(school_id, own_only):
    classes = rpc.call("scheduling", "list_classes", school_id)
    if own_only:
        classes = [c for c in classes if c.get("class_teacher_id") == g.user["id"]]
    return sorted(classes, key=lambda c: c["name"])


def _class_choice(school_id, allow_all=False):
    """(classes the user may pick, the chosen class or None). A class teacher without a wider role
    sees the own classes only; directors, administrators and the inspector any class (or, with
    ``allow_all``, none: the whole school)."""
    own_only = not (_manages_all() or _is(INSPECTOR))
    classes = _classes(school_id, own_only)
    chosen = request.values.get("klasa") or None
    if own_only and not classes:
        raise NotFound("Nie jesteś wychowawcą żadnej klasy.")
    if chosen not in {c["id"] for c in classes}:
        chosen = None
    if chosen is None and (own_only or not allow_all) and classes:
        chosen = classes[0]["id"]
    return classes, next((c for c in classes if c["id"] == chosen), None)


def _categories(school_id):
    return rpc.call("attendance", "categories", school_id)


def _symbols(categories):
    """kind -> (symbol, name) of the school's first active category of that kind."""
    out = {}
    for c in sorted(categories["categories"], key=lambda c: c["position"]):
        if c["active"] and c["kind"] not in out:
            out[c["kind"]] = (c["symbol"], c["name"])
    out.setdefault("none", ("–", KIND_LABELS["none"]))
    for kind, label in KIND_LABELS.items():
        out.setdefault(kind, (KIND_SYMBOLS[kind], label))
    return out


def _month_label(year, month):
    return f"{MONTHS[month - 1]} {year}"


def _weekday(day):
    return WEEKDAYS[day.weekday()]


def _range_label(date_from, date_to):
    fmt = lambda d: d.strftime("%d.%m.%Y")   # noqa: E731
    return fmt(date_from) if date_from == date_to else f"{fmt(date_from)} – {fmt(date_to)}"


# ------------------------------------------------------------------ the teacher's lessons of a day

@bp.route("/frekwencja")
@requires_page(*WRITERS, INSPECTOR)
def index():
    """The lessons of a day (the teacher's own, or a class's) with the state of their attendance,
    each linking to its form."""
    school_id = current_school()
    day = _parse_date(request.args.get("dzien"), school_today())
    classes = _classes(school_id, own_only=False)
    class_id = request.args.get("klasa") or None
    if class_id and class_id not in {c["id"] for c in classes}:
        class_id = None
    lessons = []
    with Form().handle() as form:
        if class_id:
            lessons = rpc.call("scheduling", "lessons_for", day.isoformat(), class_id)
        elif _is(*TEACHERS):
            lessons = rpc.call("scheduling", "lessons_for", day.isoformat(), None, g.user["id"])
    status = {}
    if lessons:
        status = rpc.call("attendance", "lessons_recorded", school_id, [x["id"] for x in lessons])
    own_classes = [c for c in classes if c.get("class_teacher_id") == g.user["id"]]
    return render_template("attendance/index.html", day=day, lessons=lessons, status=status, classes=classes,
                           class_id=class_id, own_classes=own_classes, form=form, weekday=_weekday(day),
                           class_options=[(c["id"], c["name"]) for c in classes],
                           prev_day=day - timedelta(days=1 if day.weekday() else 3),
                           next_day=day + timedelta(days=1 if day.weekday() < 4 else 7 - day.weekday()),
                           today=school_today(), school_args=school_args(),
                           filter_form=Form(labels={"dzien": "Dzień", "klasa": "Klasa"}, dzien=day.isoformat(),
                                            klasa=class_id)), form.status


# ------------------------------------------------------------------ the lesson's attendance form (ATT-1)

def _can_record(lesson, klass):
    if _manages_all():
        return True
    if not _is(*TEACHERS):
        return False
    me = g.user["id"]
    return me in (lesson.get("teacher_id"), lesson.get("substitute_teacher_id")) or \
        (klass or {}).get("class_teacher_id") == me


@bp.route("/frekwencja/lekcja/<lesson_id>", methods=["GET", "POST"])
@requires_page(*VIEWERS)
def lesson(lesson_id):
    lesson_ = rpc.call("scheduling", "get_lesson", lesson_id)
    view = rpc.call("attendance", "lesson_attendance", lesson_id)
    school_id = lesson_["school_id"]
    klass = rpc.call("scheduling", "get_class", lesson_["class_id"])
    entries = {e["student_id"]: e for e in view["entries"] if not e.get("removed_at")}
    roster = list(dict.fromkeys((view.get("students") or []) + list(entries)))
    students = _sorted_students(school_id, roster)
    categories = list(view["categories"])
    # A group lesson (languages, PE): the class list has both groups, and scheduling does not say
    # who is in which, so a student may be marked "not in this group" (no entry is made).
    is_group = bool(lesson_.get("group_name"))
    if is_group:
        categories.append({"code": NOT_IN_GROUP, "symbol": "–", "name": "nie należy do tej grupy", "kind": "none"})
    codes = {c["code"] for c in categories}
    lesson_day = _parse_date(lesson_["date"])
    can_record = _can_record(lesson_, klass)
    state_problem = None
    if lesson_.get("status") == "cancelled":
        state_problem = "Lekcja została odwołana; nie wpisuje się na niej frekwencji."
    elif lesson_day and lesson_day > school_today():
        state_problem = "Ta lekcja jeszcze się nie odbyła; frekwencję wpisuje się na początku lekcji."
    current = {}
    unmarked = NOT_IN_GROUP if is_group and view["recorded"] else "present"
    for sid, _name_ in students:
        entry = entries.get(sid)
        current[f"s_{sid}"] = (entry["category"] if entry["category"] in codes else "present") if entry else unmarked
    posted = request.form if request.method == "POST" else None
    form = Form(posted, labels={"reason": "Powód zmiany", "entries": "Uczniowie"}, **current)
    if request.method == "POST":
        with form.handle():
            exceptions = []
            for sid, _name_ in students:
                entry = entries.get(sid)
                if entry and entry.get("kind") == "excused":
                    continue   # a justified absence stays (the default never overwrites it)
                value = form.get(f"s_{sid}") or "present"
                if value == NOT_IN_GROUP:
                    continue
                if value != "present" or is_group:
                    exceptions.append({"student_id": sid, "category": value})
            # The whole class list gets "present" unless named; a group lesson names its students.
            data = {"entries": exceptions, "default": None if is_group else "present"}
            if form.get("reason").strip():
                data["reason"] = form.get("reason").strip()
            out = rpc.call("attendance", "record_lesson_attendance", lesson_id, data)
            absent = sum(1 for e in out["entries"] if not e.get("removed_at") and e.get("kind") != "present")
            flash(f"Zapisano frekwencję lekcji: {len(out['entries'])} uczniów, w tym {absent} z innym wpisem niż "
                  f"obecność (nowe wpisy: {out['created']}, zmienione: {out['changed']}).", "success")
            if out.get("warnings"):
                names = _names(school_id, [w["student_id"] for w in out["warnings"]], STUDENT)
                flash("Uwaga: o tej godzinie lekcyjnej ci uczniowie mają już wpis na innej lekcji (sprawdzi "
                      "wychowawca w przeglądzie tygodnia): " + ", ".join(sorted(set(names.values()))) + ".", "info")
            return redirect(url_for("attendance_web.lesson", lesson_id=lesson_id))
    row_errors = form.errors.get("entries") if isinstance(form.errors.get("entries"), dict) else {}
    return render_template("attendance/lesson.html", lesson=lesson_, klass=klass, view=view, students=students,
                           entries=entries, categories=categories, form=form, can_record=can_record,
                           state_problem=state_problem, row_errors=row_errors, weekday=_weekday(lesson_day),
                           is_group=is_group,
                           teachers=_names(school_id, [lesson_["teacher_id"], lesson_.get("substitute_teacher_id")]),
                           kind_labels=KIND_LABELS), form.status


# ------------------------------------------------------------------ one entry: history and correction (ATT-4)

@bp.route("/frekwencja/wpisy/<entry_id>", methods=["GET", "POST"])
@requires_page(*VIEWERS)
def entry(entry_id):
    history = rpc.call("attendance", "entry_history", entry_id)
    e = history["entry"]
    school_id = g.user.get("school_id") or current_school()
    cats = _categories(school_id)
    recordable = [(c["code"], f"{c['symbol']} – {c['name']}") for c in cats["categories"]
                  if c["active"] and c["kind"] not in ("excused",)]
    back = safe_next(request.values.get("next"))
    form = Form(request.form if request.method == "POST" else None,
                labels={"category": "Nowa kategoria", "reason": "Powód poprawki"}, category=e["category"])
    if request.method == "POST":
        with form.handle():
            rpc.call("attendance", "correct_entry", entry_id, form.load(AttCorrectionIn))
            flash("Poprawiono wpis; poprzednia wartość została w historii.", "success")
            return redirect(url_for("attendance_web.entry", entry_id=entry_id, next=back))
    lesson_ = None
    try:
        lesson_ = rpc.call("scheduling", "get_lesson", e["lesson_id"])
    except RegisterError:
        pass
    people = _names(school_id, [e["student_id"], e.get("recorded_by")]
                    + [v.get("changed_by") for v in history["versions"]])
    by_code = {c["code"]: c for c in cats["categories"]}
    return render_template("attendance/entry.html", entry=e, history=history, lesson=lesson_, people=people,
                           by_code=by_code, form=form, options=recordable, back=back, actions=ACTIONS,
                           can_correct=_is(ASSOCIATION_ADMIN, *WRITERS) and not e.get("removed_at"),
                           weekday=_weekday(_parse_date(e["lesson_date"]))), form.status


# ------------------------------------------------------------------ the weekly review (ATT-4)

REMOVAL_LABELS = {"reason": "Powód usunięcia"}


@bp.route("/frekwencja/przeglad", methods=["GET", "POST"])
@requires_page(*CLASS_PAGES)
def review():
    """The class's entries of a week (by default the last one), its double entries, each with a
    form to remove it with a reason, and links to correct any entry (history kept)."""
    school_id = current_school()
    classes, klass = _class_choice(school_id)
    last_monday = school_today() - timedelta(days=school_today().weekday() + 7)
    start = _parse_date(request.values.get("tydzien"), last_monday)
    start = start - timedelta(days=start.weekday())
    posted_entry = request.form.get("entry_id") if request.method == "POST" else None
    removal_forms = {}
    status = 200
    if posted_entry:
        form = removal_forms[posted_entry] = Form(request.form, labels=REMOVAL_LABELS,
                                                  prefix=f"r-{posted_entry[:8]}-")
        with form.handle():
            data = form.load(AttRemovalIn)
            rpc.call("attendance", "remove_double_entry", posted_entry, data["reason"])
            flash("Usunięto podwójny wpis; zostaje w historii jako usunięty.", "success")
            return redirect(url_for("attendance_web.review", klasa=klass["id"] if klass else None,
                                    tydzien=start.isoformat(), **school_args()))
        status = form.status
    data, days, names = None, [], {}
    if klass:
        data = rpc.call("attendance", "weekly_review", klass["id"], start.isoformat())
        ids = [e["student_id"] for e in data["entries"]] + [d["student_id"] for d in data["doubles"]]
        students = _sorted_students(school_id, list(dict.fromkeys(ids)))
        names = dict(students)
        by_day = {}
        for e in data["entries"]:
            by_day.setdefault(e["lesson_date"], []).append(e)
        for day_iso in sorted(by_day):
            day_entries = by_day[day_iso]
            periods = sorted({e["period"] for e in day_entries})
            cells = {}
            for e in day_entries:
                cells.setdefault((e["student_id"], e["period"]), []).append(e)
            day_ = _parse_date(day_iso)
            days.append({"date": day_, "weekday": _weekday(day_), "periods": periods, "cells": cells,
                         "headers": ["Uczeń"] + [f"Lekcja {p}" for p in periods],
                         "students": [st for st in students if any((st[0], p) in cells for p in periods)]})
        for double in data["doubles"]:
            for entry_id in double["entry_ids"]:
                removal_forms.setdefault(entry_id, Form(labels=REMOVAL_LABELS, prefix=f"r-{entry_id[:8]}-"))
    entries_by_id = {e["id"]: e for e in (data or {}).get("entries", [])}
    symbols = _symbols(_categories(school_id))
    return render_template("attendance/review.html", classes=classes, klass=klass, data=data, days=days,
                           names=names, start=start, end=start + timedelta(days=6),
                           prev_week=start - timedelta(days=7), next_week=start + timedelta(days=7),
                           entries_by_id=entries_by_id, symbols=symbols, kind_labels=KIND_LABELS,
                           removal_forms=removal_forms, school_args=school_args(),
                           filter_form=Form(labels={"klasa": "Klasa", "tydzien": "Tydzień (dowolny dzień)"},
                                            klasa=klass["id"] if klass else None, tydzien=start.isoformat())), status


# ------------------------------------------------------------------ the justification inbox (ATT-2, ATT-3)

DECISION_LABELS = {"comment": "Komentarz dla rodzica", "single_hours_reason": "Pojedyncze godziny: przyczyna"}


@bp.route("/frekwencja/usprawiedliwienia", methods=["GET", "POST"])
@requires_page(*CLASS_PAGES)
def inbox():
    """Parents' e-justifications of the class: pending ones with a form to accept or reject with a
    comment, decided ones with their outcome; and the way to the class teacher's own justification."""
    school_id = current_school()
    classes, klass = _class_choice(school_id)
    posted = request.form.get("e_id") if request.method == "POST" else None
    forms, status = {}, 200
    if posted:
        form = forms[posted] = Form(request.form, labels=DECISION_LABELS, prefix=f"e-{posted[:8]}-")
        with form.handle():
            decision = form.get("decision")
            if decision not in ("accept", "reject"):
                raise Invalid("Wybierz: przyjmij albo odrzuć.")
            comment = form.get("comment").strip()
            if decision == "reject" and len(comment) < 3:
                form.add_error("comment", "Podaj uzasadnienie odrzucenia.")
                form.fail("Odrzucenie wymaga komentarza dla rodzica.")
            out = rpc.call("attendance", "decide_e_justification", posted, {
                "accept": decision == "accept", "comment": comment,
                "single_hours_reason": form.get("single_hours_reason") or None})
            if decision == "accept":
                flash(f"Przyjęto e-usprawiedliwienie; usprawiedliwione wpisy: {out.get('justified_entries', 0)}. "
                      "Rodzic dostanie wiadomość.", "success")
            else:
                flash("Odrzucono e-usprawiedliwienie. Rodzic dostanie wiadomość z komentarzem.", "success")
            return redirect(url_for("attendance_web.inbox", klasa=klass["id"] if klass else None, **school_args()))
        status = form.status
    items, roster, names = [], [], {}
    if klass:
        items = rpc.call("attendance", "e_justifications", class_id=klass["id"])
        roster = [e["student_id"] for e in rpc.call("scheduling", "class_list", klass["id"])]
        people = _people(school_id, roster + [x["student_id"] for x in items] + [x["parent_id"] for x in items]
                         + [x.get("decided_by") for x in items])
        names = {i: _name(a) for i, a in people.items()}
    pending = [x for x in items if x["status"] == "submitted"]
    decided = [x for x in items if x["status"] != "submitted"]
    for x in pending:
        forms.setdefault(x["id"], Form(labels=DECISION_LABELS, prefix=f"e-{x['id'][:8]}-"))
    students = _sorted_students(school_id, list(dict.fromkeys(roster))) if roster else []
    return render_template("attendance/inbox.html", classes=classes, klass=klass, pending=pending, decided=decided,
                           names=names, forms=forms, students=students, e_status=E_STATUS,
                           single_hours=SINGLE_HOURS, school_args=school_args(),
                           filter_form=Form(labels={"klasa": "Klasa"}, klasa=klass["id"] if klass else None),
                           pick_form=Form(labels={"uczen": "Uczeń"}), range_label=_range_label,
                           parse_date=_parse_date), status


JUSTIFY_LABELS = {"lesson_ids": "Nieobecności do usprawiedliwienia", "reason": "Powód usprawiedliwienia",
                  "single_hours_reason": "Pojedyncze godziny w ciągu dnia: przyczyna",
                  "date_from": "Od dnia", "date_to": "Do dnia", "dates": "Dni"}


@bp.route("/frekwencja/usprawiedliwienie", methods=["GET", "POST"])
@requires_page(*CLASS_PAGES)
def justify():
    """The class teacher's justification of a student's absences: single lessons (chosen from the
    unexcused absences) or whole days; never in advance (the service refuses future days)."""
    student_id = request.values.get("uczen") or ""
    if not student_id:
        raise NotFound(NOT_FOUND_STUDENT)
    school_id = current_school()
    student = rpc.call("identity", "get_account", student_id)
    which = request.form.get("form") if request.method == "POST" else None
    lessons_form = Form(request.form if which == "lessons" else None, labels=JUSTIFY_LABELS, prefix="l-")
    days_form = Form(request.form if which == "days" else None, labels=JUSTIFY_LABELS, prefix="d-",
                     date_to=school_today().isoformat())
    if request.method == "POST":
        form = lessons_form if which == "lessons" else days_form
        with form.handle():
            data = {"student_id": student_id, "reason": form.get("reason").strip(),
                    "single_hours_reason": form.get("single_hours_reason") or None}
            if which == "lessons":
                data["lesson_ids"] = [x for x in form.getlist("lesson_ids") if x]
                if not data["lesson_ids"]:
                    form.add_error("lesson_ids", "Zaznacz co najmniej jedną nieobecność.")
            else:
                start, end = _parse_date(form.get("date_from")), _parse_date(form.get("date_to"))
                if start is None:
                    form.add_error("date_from", "Podaj datę (RRRR-MM-DD).")
                if end is None:
                    form.add_error("date_to", "Podaj datę (RRRR-MM-DD).")
                if start and end:
                    if end < start:
                        form.add_error("date_to", "Data końcowa nie może poprzedzać początkowej.")
                    elif (end - start).days > 30:
                        form.add_error("date_to", "Najwyżej 31 dni naraz.")
                    else:
                        data["dates"] = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
            if len(data["reason"]) < 3:
                form.add_error("reason", "Podaj powód (co najmniej 3 znaki).")
            if form.errors:
                form.fail()
            out = rpc.call("attendance", "justify", data)
            flash(f"Usprawiedliwiono nieobecności: {out['entry_count']}.", "success")
            return redirect(url_for("attendance_web.justify", uczen=student_id, **school_args()))
    since = school_today() - timedelta(days=60)
    entries = rpc.call("attendance", "student_attendance", student_id, since.isoformat(), None)
    unexcused = sorted((e for e in entries if e.get("kind") == "absent"), key=lambda e: (e["lesson_date"], e["period"]))
    subjects = _subjects(school_id)
    options = []
    for e in unexcused:
        day = _parse_date(e["lesson_date"])
        options.append((e["lesson_id"], f"{day.strftime('%d.%m.%Y')} ({_weekday(day)}), lekcja {e['period']}: "
                                        f"{subjects.get(e['subject_id'], 'przedmiot')}"))
    status = max(lessons_form.status, days_form.status)
    return render_template("attendance/justify.html", student=student, lessons_form=lessons_form,
                           days_form=days_form, options=options, single_hours=SINGLE_HOURS, since=since,
                           school_args=school_args()), status


# ------------------------------------------------------------------ statistics, below threshold, the printout (ATT-5)

STATS_LABELS = {"klasa": "Klasa", "od": "Od dnia", "do": "Do dnia", "prog": "Próg frekwencji (%)"}


def _default_range(school_id):
    try:
        term = rpc.call("scheduling", "current_term", school_id)
    except RegisterError:
        term = None
    if term:
        return _parse_date(term["starts_on"]), min(_parse_date(term["ends_on"]), school_today()), term
    return school_today() - timedelta(days=30), school_today(), None


@bp.route("/frekwencja/statystyki")
@requires_page(*CLASS_PAGES, INSPECTOR)
def statistics():
    school_id = current_school()
    classes, klass = _class_choice(school_id, allow_all=_manages_all() or _is(INSPECTOR))
    default_from, default_to, term = _default_range(school_id)
    form = Form(request.args if request.args else None, labels=STATS_LABELS, od=default_from.isoformat(),
                do=default_to.isoformat(), prog="50", klasa=klass["id"] if klass else None)
    stats, low, names, subjects = None, None, {}, {}
    with form.handle():
        date_from, date_to = _parse_date(form.get("od")), _parse_date(form.get("do"))
        if form.get("od") and date_from is None:
            form.add_error("od", "Podaj datę (RRRR-MM-DD).")
        if form.get("do") and date_to is None:
            form.add_error("do", "Podaj datę (RRRR-MM-DD).")
        try:
            threshold = float(form.get("prog").replace(",", ".") or 50)
            if not 0 <= threshold <= 100:
                raise ValueError
        except ValueError:
            form.add_error("prog", "Podaj liczbę od 0 do 100.")
            threshold = 50
        if form.errors:
            form.fail()
        frm, to = date_from and date_from.isoformat(), date_to and date_to.isoformat()
        if klass:
            stats = rpc.call("attendance", "class_statistics", klass["id"], frm, to)
            low = rpc.call("attendance", "below_threshold", "class", klass["id"], threshold, frm, to)
            ids = [s["student_id"] for s in stats["students"]]
        else:
            low = rpc.call("attendance", "below_threshold", "school", school_id, threshold, frm, to)
            ids = [s["student_id"] for s in low["students"]]
        names = dict(_sorted_students(school_id, ids))
        subjects = _subjects(school_id)
    if stats:
        stats["students"].sort(key=lambda s: names.get(s["student_id"], ""))
    class_names = {c["id"]: c["name"] for c in classes}
    if not class_names and low and low["students"]:
        class_names = {c["id"]: c["name"] for c in rpc.call("scheduling", "list_classes", school_id)}
    return render_template("attendance/statistics.html", form=form, classes=classes, klass=klass, stats=stats,
                           class_options=[(c["id"], c["name"]) for c in classes],
                           low=low, names=names, subjects=subjects, class_names=class_names, term=term,
                           list_status=LIST_STATUS, can_print=_is(ASSOCIATION_ADMIN, *WRITERS),
                           allow_school=_manages_all() or _is(INSPECTOR),
                           school_args=school_args()), form.status


@bp.route("/frekwencja/statystyki/zebranie.pdf")
@requires_page(*WRITERS)
def summary_pdf():
    """The parent-meeting summary of a class (PDF)."""
    school_id = current_school()
    classes, klass = _class_choice(school_id)
    if not klass:
        raise NotFound("Wybierz klasę.")
    frm = _parse_date(request.args.get("od"))
    to = _parse_date(request.args.get("do"))
    frm, to = frm and frm.isoformat(), to and to.isoformat()
    result = rpc.call("attendance", "parent_meeting_summary_pdf", klass["id"], frm, to)
    return pdf_response(result["pdf_base64"], summary_file_name(klass["id"], frm, to, klass["name"]))


# ------------------------------------------------------------------ the parent's and the student's calendar

@bp.route("/frekwencja/dzieci")
@requires_page(PARENT)
def children():
    kids = rpc.call("identity", "children_of", g.user["id"])
    if len(kids) == 1:
        return redirect(url_for("attendance_web.student", student_id=kids[0]["id"]))
    return render_template("attendance/children.html", children=sorted(kids, key=pl_key))


@bp.route("/moja-frekwencja")
@requires_page(STUDENT)
def own():
    return redirect(url_for("attendance_web.student", student_id=g.user["id"]))


EJ_LABELS = {"date_from": "Od dnia", "date_to": "Do dnia", "reason": "Powód nieobecności"}


def _month_arg(value):
    try:
        year, month = (int(x) for x in str(value).split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except (TypeError, ValueError):
        pass
    today = school_today()
    return today.year, today.month


@bp.route("/frekwencja/uczen/<student_id>", methods=["GET", "POST"])
def student(student_id):
    """A student's month calendar coloured by the day's state (with the state in words and
    symbols, not colour only), the month's percentage, the e-justifications and their outcome;
    for the parent, the e-justification form."""
    check_own_or_staff(student_id, NOT_FOUND_STUDENT)
    is_parent = _is(PARENT) and student_id in (g.user.get("children") or ())
    year, month = _month_arg(request.values.get("miesiac"))
    form = Form(request.form if request.method == "POST" else None, labels=EJ_LABELS, prefix="ej-")
    if request.method == "POST":
        if not is_parent:
            raise Forbidden("E-usprawiedliwienie składa rodzic ucznia.")
        with form.handle():
            data = form.load(AttEJustificationIn, only=("date_from", "date_to", "reason"), student_id=student_id)
            out = rpc.call("attendance", "submit_e_justification", data)
            period = _range_label(_parse_date(out["date_from"]), _parse_date(out["date_to"]))
            flash(f"Wysłano e-usprawiedliwienie ({period}). "
                  "Wychowawca je rozpatrzy; decyzję zobaczysz na tej stronie.", "success")
            return redirect(url_for("attendance_web.student", student_id=student_id, miesiac=f"{year:04d}-{month:02d}"))
    cal = rpc.call("attendance", "student_calendar", student_id, f"{year:04d}-{month:02d}")
    account = rpc.call("identity", "get_account", student_id)
    ejs = rpc.call("attendance", "e_justifications", student_id=student_id)
    school_id = account["school_id"]
    subjects = _subjects(school_id)
    symbols = _symbols(_categories(school_id))
    first_weekday = date(year, month, 1).weekday()
    cells = [None] * first_weekday + cal["days"]
    cells += [None] * (-len(cells) % 7)
    weeks = [cells[i:i + 7] for i in range(0, len(cells), 7)]
    prev_m = (year - 1, 12) if month == 1 else (year, month - 1)
    next_m = (year + 1, 1) if month == 12 else (year, month + 1)
    details = [d for d in cal["days"] if any(e["kind"] != "present" for e in d["entries"])]
    term_from, term_to, term = _default_range(school_id)
    term_percent = None
    if term:
        term_percent = rpc.call("attendance", "percentages", "student", student_id, term_from.isoformat(),
                                term_to.isoformat())
    return render_template("attendance/student.html", student=account, cal=cal, weeks=weeks, details=details,
                           month_label=_month_label(year, month), year=year, month=month,
                           prev_month=f"{prev_m[0]:04d}-{prev_m[1]:02d}", next_month=f"{next_m[0]:04d}-{next_m[1]:02d}",
                           days_in_month=monthrange(year, month)[1], symbols=symbols, kind_labels=KIND_LABELS,
                           legend=[(k, symbols[k][0], KIND_LABELS[k]) for k in CALENDAR_ORDER],
                           weekdays=list(zip(WEEKDAYS_SHORT, WEEKDAYS)), weekday_names=WEEKDAYS, subjects=subjects,
                           ejs=ejs, e_status=E_STATUS, form=form, is_parent=is_parent,
                           own=student_id == g.user["id"], term=term, term_percent=term_percent), form.status
