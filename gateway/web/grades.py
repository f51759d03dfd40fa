"""The pages of grades (issue 5, item 9), in Polish:

- ``/oceny``: what the user may open (a teacher's classes and subjects, the class teacher's class,
  every class for the director, the administrator and the control account);
- the grade book of a class and subject: a grid of students × columns with a new column typed
  down the grid (plain form POST; ``static/grades.js`` only moves the focus with Enter and the
  arrow keys), corrections marked; the correction page requiring a reason (GRD-6); the history
  of a grade for the director and administrator (LAW-2);
- predicted and final grades of a subject and behaviour grades, with acceptance (GRD-2, GRD-3, GRD-5);
- the class view: averages, behaviour, the at-risk list with the deadline and the PDFs (GRD-4, GRD-8);
- the parent's and the student's grades with averages, "poprawiona" and an inline-SVG trend
  (GRD-7, LAW-3; 375 px wide phones);
- the director's statistics with a class's distribution as an inline-SVG bar chart (GRD-8);
- the administrator's scale and categories (GRD-1).

Every view calls the grades RPC of the same meaning as the API route, with the same permission
helpers; the service checks again (own lessons, own class, accepted finals only for the family)."""
from datetime import date

from flask import flash, g, redirect, render_template, request, url_for

from services.common.errors import Forbidden, Invalid, NotFound, RegisterError

from .. import rpc
from ..api.accounts import pdf_response
from ..api.grades import at_risk_file_name, grade_sheet_file_name
from ..api.students import overview_file_name
from ..auth import (ADMINS, ASSOCIATION_ADMIN, DIRECTORS, INSPECTOR, PARENT, STUDENT, TEACHERS,
                    check_own_or_staff, user_roles)
from .base import Form, current_school, requires_page, school_args, web_blueprint
from .identity import pl_key
from .nav import add_nav

bp = web_blueprint("grades_web", __name__)

MANAGERS = ADMINS + DIRECTORS
GRADE_WRITERS = TEACHERS + MANAGERS
STAFF_READERS = GRADE_WRITERS + (INSPECTOR,)
HISTORY_READERS = MANAGERS + (INSPECTOR,)

add_nav("grades_web.index", "Oceny", STAFF_READERS, order=60,
        description="Dziennik ocen klas i przedmiotów: kolumny ocen, oceny końcowe, zachowanie, zagrożenia.")
add_nav("grades_web.statistics", "Statystyki ocen", HISTORY_READERS, order=61,
        description="Rozkłady ocen i średnie klas, przedmiotów i nauczycieli na radę klasyfikacyjną.")
add_nav("grades_web.settings", "Skala i kategorie ocen", ADMINS, order=62,
        description="Wartość plusa i minusa, symbole szkoły, kategorie ocen i ich wagi.")
add_nav("grades_web.children", "Oceny dzieci", [PARENT], order=55,
        description="Oceny, średnie i oceny końcowe Twoich dzieci.")
add_nav("grades_web.mine", "Moje oceny", [STUDENT], order=55,
        description="Twoje oceny, średnie i oceny końcowe.")

KIND_LABELS = {"predicted_midyear": "przewidywana śródroczna", "midyear": "śródroczna",
               "predicted_annual": "przewidywana roczna", "annual": "roczna"}
KIND_HEADERS = {"predicted_midyear": "Przewidywana śródroczna", "midyear": "Śródroczna",
                "predicted_annual": "Przewidywana roczna", "annual": "Roczna"}
KINDS = tuple(KIND_LABELS)
FINAL_OPTIONS = [("6", "celujący (6)"), ("5", "bardzo dobry (5)"), ("4", "dobry (4)"), ("3", "dostateczny (3)"),
                 ("2", "dopuszczający (2)"), ("1", "niedostateczny (1)"), ("nkl", "nieklasyfikowany"),
                 ("zw", "zwolniony")]
FINAL_LABELS = dict(FINAL_OPTIONS)
BEHAVIOUR_GRADES = ("wzorowe", "bardzo dobre", "dobre", "poprawne", "nieodpowiednie", "naganne")
BEHAVIOUR_OPTIONS = [(b, b) for b in BEHAVIOUR_GRADES]
AT_RISK_LABELS = {"niedostateczna": "przewidywana ocena niedostateczna",
                  "naganna": "przewidywana naganna ocena zachowania",
                  "nieklasyfikowanie": "przewidywane nieklasyfikowanie"}
STATUS_LABELS = {"active": "", "removed": "skreślony z listy", "transferred": "przeniesiony do innej klasy"}
ACTION_LABELS = {"created": "wpisanie", "corrected": "poprawka", "deleted": "usunięcie", "set": "wystawienie",
                 "accepted": "zatwierdzenie", "moved": "przeniesienie z uczniem"}


# ------------------------------------------------------------------ helpers

def _is(*roles):
    return bool(user_roles() & set(roles))


def _name(account):
    return f"{account['first_name']} {account['last_name']}"


def _school_year(today=None):
    today = today or date.today()
    start = today.year if today.month >= 9 else today.year - 1
    return f"{start}/{start + 1}"


def _default_kind(today=None):
    """Before February the mid-year classification is next, afterwards the annual one."""
    today = today or date.today()
    return "predicted_midyear" if today.month >= 9 or today.month == 1 else "predicted_annual"


def _people(school_id, ids, role=None):
    """{id: account} of the given people (``role``: all of them have it), with as few calls as
    the caller's role allows."""
    ids = [i for i in dict.fromkeys(ids) if i]
    if not ids:
        return {}
    try:
        everyone = {a["id"]: a for a in rpc.call("identity", "list_accounts", school_id, role=role)}
        found = {i: everyone[i] for i in ids if i in everyone}
    except Forbidden:   # the control account may not list accounts, but may read each one
        found = {}
    for i in ids:
        if i not in found:
            try:
                found[i] = rpc.call("identity", "get_account", i)
            except (NotFound, Forbidden):
                found[i] = {"id": i, "first_name": "(konto", "last_name": "niedostępne)"}
    return found


def _subjects(school_id):
    return {s["id"]: s for s in rpc.call("scheduling", "list_subjects", school_id)}


def _students_sorted(rows, people):
    """The rows (each with ``student_id``) in the order of a Polish class list, with ``name``."""
    out = []
    for row in rows:
        person = people.get(row["student_id"]) or {"first_name": "", "last_name": row["student_id"]}
        out.append({**row, "name": _name(person), "sort": pl_key(person)})
    return sorted(out, key=lambda r: r["sort"])


def _fmt(number):
    """4.4583 → "4,46"; None → "—" (averages in Polish notation)."""
    if number is None:
        return "—"
    return f"{number:.2f}".replace(".", ",")


def final_label(value, behaviour=False):
    if value is None:
        return "—"
    return value if behaviour else FINAL_LABELS.get(value, value)


def plural(n, one, few, many):
    """Polish plural: 1 ocena, 2 oceny, 5 ocen, 22 oceny, 12 ocen."""
    if n == 1:
        return f"{n} {one}"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return f"{n} {few}"
    return f"{n} {many}"


def _number(text):
    """A decimal typed the Polish way (0,5) or the English way (0.5); None when empty."""
    text = (text or "").strip().replace(",", ".")
    return text or None


@bp.context_processor
def _helpers():
    """Formatting helpers of the grades templates (Polish decimal notation)."""
    return {"fmt": _fmt, "fmt_weight": _fmt_weight, "final_label": final_label}


def _class_and_school(class_id):
    cls = rpc.call("scheduling", "get_class", class_id)
    return cls, cls["school_id"]


# ------------------------------------------------------------------ the start page of the staff

@bp.route("/oceny")
@requires_page(*STAFF_READERS)
def index():
    school_id = current_school()
    classes = {c["id"]: c for c in rpc.call("scheduling", "list_classes", school_id)}
    sees_all = _is(ASSOCIATION_ADMIN, *MANAGERS, INSPECTOR)
    me = g.user["id"]
    taught = []
    if _is(*TEACHERS):
        seen = set()
        for a in rpc.call("scheduling", "assignments_of_teacher", me):
            key = (a["class_id"], a["subject_id"])
            if key not in seen and a["class_id"] in classes:
                seen.add(key)
                taught.append({"class_id": a["class_id"], "class_name": classes[a["class_id"]]["name"],
                               "subject_id": a["subject_id"], "subject_name": a.get("subject_name") or "?"})
        taught.sort(key=lambda t: (t["class_name"], t["subject_name"]))
    own_classes = sorted((c for c in classes.values() if c.get("class_teacher_id") == me), key=lambda c: c["name"])
    overview = []
    if sees_all:
        by_class = {}
        for a in rpc.call("scheduling", "list_assignments", school_id):
            by_class.setdefault(a["class_id"], {})[a["subject_id"]] = a.get("subject_name") or "?"
        for c in sorted(classes.values(), key=lambda c: c["name"]):
            subjects = sorted(by_class.get(c["id"], {}).items(), key=lambda x: x[1])
            overview.append({"class": c, "subjects": subjects})
    return render_template("grades/index.html", taught=taught, own_classes=own_classes, overview=overview,
                           sees_all=sees_all)


# ------------------------------------------------------------------ the grade book of a class and subject

def _grade_book(class_id, subject_id):
    book = rpc.call("grades", "class_gradebook", class_id, subject_id)
    school_id = book["class"]["school_id"]
    subject = rpc.call("scheduling", "get_subject", subject_id)
    people = _people(school_id, [s["student_id"] for s in book["students"]], role=STUDENT)
    rows = _students_sorted(book["students"], people)
    column_ids = [c["id"] for c in book["columns"]]
    for row in rows:
        by_column = {}
        loose = []
        for grade in row["grades"]:
            if grade.get("column_id") in column_ids:
                by_column.setdefault(grade["column_id"], []).append(grade)
            else:
                loose.append(grade)
        row["by_column"], row["loose"] = by_column, loose
    return book, subject, rows


COLUMN_LABELS = {"category_id": "Kategoria", "date": "Data", "description": "Opis (np. temat sprawdzianu)",
                 "weight": "Waga inna niż kategorii"}


@bp.route("/oceny/klasy/<class_id>/przedmioty/<subject_id>", methods=["GET", "POST"])
@requires_page(*STAFF_READERS)
def gradebook(class_id, subject_id):
    """GRD-1, GRD-7: the grid; a POST enters a whole column at once (all or nothing)."""
    book, subject, rows = _grade_book(class_id, subject_id)
    labels = dict(COLUMN_LABELS)
    for row in rows:
        labels[f"ocena-{row['student_id']}"] = f"Ocena: {row['name']}"
    form = Form(request.form if request.method == "POST" else None, labels=labels, date=date.today().isoformat())
    if request.method == "POST":
        if not book["editable"]:
            raise Forbidden("Nie prowadzisz zajęć z tego przedmiotu w tej klasie.")
        entries = [(row["student_id"], form.get(f"ocena-{row['student_id']}").strip())
                   for row in rows if row["status"] == "active"]
        entries = [(sid, value) for sid, value in entries if value]
        with form.handle():
            if not form.get("category_id"):
                form.add_error("category_id", "Wybierz kategorię oceny.")
            if not entries:
                form.add_error("grades", "Wpisz co najmniej jedną ocenę w kolumnie „Nowa kolumna”.")
            if form.errors:
                form.fail()
            data = {"category_id": form.get("category_id"), "date": form.get("date").strip() or None,
                    "description": form.get("description").strip() or None,
                    "grades": [{"student_id": sid, "value": value} for sid, value in entries]}
            weight = _number(form.get("weight"))
            if weight is not None:
                data["weight"] = weight
            try:
                result = rpc.call("grades", "add_grade_column", class_id, subject_id, data)
            except Invalid as exc:
                _entry_errors(form, exc, entries)
                raise
            count = plural(len(result["grades"]), "ocena", "oceny", "ocen")
            flash(f"Zapisano kolumnę: {count} ({result['column']['category_name']}).", "success")
            return redirect(url_for("grades_web.gradebook", class_id=class_id, subject_id=subject_id))
    return render_template("grades/gradebook.html", book=book, subject=subject, rows=rows, form=form,
                           categories=[(c["id"], f"{c['name']} (waga {_fmt_weight(c['weight'])})")
                                       for c in book["categories"]],
                           may_view_history=_is(ASSOCIATION_ADMIN, *HISTORY_READERS),
                           status_labels=STATUS_LABELS, fmt=_fmt, final_label=final_label,
                           kind_headers=KIND_HEADERS), form.status


def _fmt_weight(weight):
    return f"{weight:g}".replace(".", ",") if weight is not None else "—"


def _entry_errors(form, exc, entries):
    """The service answers a bad column with ``fields.grades.<index>``: each bad cell gets its
    message (GRD-1: nothing is stored)."""
    fields = exc.fields or {}
    problems = fields.pop("grades", None)
    if not isinstance(problems, dict):
        if problems:
            fields["grades"] = problems
        return
    for index, errs in problems.items():
        if index == "_schema" or not str(index).isdigit() or int(index) >= len(entries):
            for m in (errs if isinstance(errs, list) else [errs]):
                form.add_error("grades", str(m))
            continue
        sid = entries[int(index)][0]
        for messages in (errs.values() if isinstance(errs, dict) else [errs]):
            for m in (messages if isinstance(messages, list) else [messages]):
                form.add_error(f"ocena-{sid}", str(m))


CORRECTION_LABELS = {"value": "Nowa ocena", "category_id": "Kategoria", "description": "Opis",
                     "reason": "Przyczyna poprawki"}
DELETION_LABELS = {"reason": "Przyczyna usunięcia"}


@bp.route("/oceny/klasy/<class_id>/przedmioty/<subject_id>/oceny/<grade_id>", methods=["GET", "POST"])
@requires_page(*GRADE_WRITERS)
def correct(class_id, subject_id, grade_id):
    """GRD-6: a grade is corrected or deleted only with a reason; the previous version is kept."""
    book, subject, rows = _grade_book(class_id, subject_id)
    found = [(row, gr) for row in rows for gr in row["grades"] if gr["id"] == grade_id]
    if not found:
        raise NotFound("Nie znaleziono oceny.")
    row, grade = found[0]
    action = request.form.get("action") if request.method == "POST" else None
    form = Form(request.form if action == "correct" else None, labels=CORRECTION_LABELS,
                value=grade["value"], category_id=grade["category_id"], description=grade.get("description"))
    delete_form = Form(request.form if action == "delete" else None, labels=DELETION_LABELS, prefix="usun-")
    back = url_for("grades_web.gradebook", class_id=class_id, subject_id=subject_id)
    if action == "correct":
        with form.handle():
            data = {"reason": form.get("reason").strip(), "value": form.get("value").strip()}
            if form.get("category_id") and form.get("category_id") != grade["category_id"]:
                data["category_id"] = form.get("category_id")
            description = form.get("description").strip() or None
            if description != (grade.get("description") or None):
                data["description"] = description
            updated = rpc.call("grades", "correct_grade", grade_id, data)
            flash(f"Poprawiono ocenę ucznia {row['name']}: {grade['value']} → {updated['value']}.", "success")
            return redirect(back)
    elif action == "delete":
        with delete_form.handle():
            rpc.call("grades", "delete_grade", grade_id, delete_form.get("reason").strip())
            flash(f"Usunięto ocenę {grade['value']} ucznia {row['name']}.", "success")
            return redirect(back)
    status = max(form.status, delete_form.status)
    return render_template("grades/correct.html", book=book, subject=subject, row=row, grade=grade, form=form,
                           delete_form=delete_form, back=back,
                           categories=[(c["id"], c["name"]) for c in book["categories"]],
                           may_view_history=_is(ASSOCIATION_ADMIN, *HISTORY_READERS)), status


@bp.route("/oceny/historia/<grade_id>")
@requires_page(*HISTORY_READERS)
def history(grade_id):
    """GRD-6, LAW-2: every version of a grade with author, time and reason."""
    result = rpc.call("grades", "grade_history", grade_id)
    grade = result["grade"]
    people = _people(grade["school_id"], [grade["student_id"]] + [v.get("author_id") for v in result["versions"]])
    subject = rpc.call("scheduling", "get_subject", grade["subject_id"])
    return render_template("grades/history.html", grade=grade, versions=result["versions"], people=people,
                           subject=subject, actions=ACTION_LABELS, name=_name, final=None)


@bp.route("/oceny/koncowe/<final_id>/historia")
@requires_page(*HISTORY_READERS)
def final_history(final_id):
    result = rpc.call("grades", "final_grade_history", final_id)
    final = result["final"]
    people = _people(final["school_id"], [final["student_id"]] + [v.get("author_id") for v in result["versions"]])
    subject = rpc.call("scheduling", "get_subject", final["subject_id"]) if final.get("subject_id") else None
    return render_template("grades/history.html", final=final, versions=result["versions"], people=people,
                           subject=subject, actions=ACTION_LABELS, name=_name, grade=None,
                           kind_labels=KIND_LABELS, final_label=final_label)


# ------------------------------------------------------------------ final and behaviour grades (GRD-2, GRD-3, GRD-5)

def _kind():
    kind = request.values.get("rodzaj")
    return kind if kind in KINDS else _default_kind()


def _finals_post(rows, kind, *, behaviour, subject_id, class_id):
    """Save the changed grades of a column of final grades in one request (all or nothing), or
    accept the chosen ones. Returns (form, saved, accepted); errors stay at the students' fields."""
    labels = {}
    for row in rows:
        labels[f"ocena-{row['student_id']}"] = f"Ocena: {row['name']}"
        labels[f"przyczyna-{row['student_id']}"] = f"Przyczyna zmiany: {row['name']}"
    form = Form(request.form, labels=labels)
    saved = accepted = 0
    to_accept = []
    if request.form.get("accept"):
        to_accept = [request.form["accept"]]
    elif request.form.get("accept_all"):
        to_accept = [r["current"]["id"] for r in rows if r.get("current") and not r["current"]["accepted"]]
    with form.handle():
        if to_accept:
            for final_id in to_accept:
                rpc.call("grades", "accept_final_grade", final_id)
                accepted += 1
            return form, saved, accepted
        changed = []
        for row in rows:
            sid = row["student_id"]
            value = form.get(f"ocena-{sid}").strip()
            current = row.get("current")
            if value and not (current and current["value"] == value):
                changed.append({"student_id": sid, "value": value,
                                "reason": form.get(f"przyczyna-{sid}").strip() or None})
        if not changed:
            return form, saved, accepted
        try:
            # The whole column in one request, all or nothing (as a column of partial grades).
            rpc.call("grades", "set_final_grade_column", class_id,
                     {"kind": kind, "subject_id": None if behaviour else subject_id, "grades": changed})
            saved = len(changed)
        except RegisterError as exc:
            per_entry = (exc.fields or {}).get("grades") if isinstance(exc.fields, dict) else None
            if not isinstance(per_entry, dict) or not per_entry:
                raise
            for index, problems in per_entry.items():
                if not index.isdigit() or int(index) >= len(changed):
                    continue
                sid = changed[int(index)]["student_id"]
                for name, messages in problems.items():
                    target = f"przyczyna-{sid}" if name == "reason" else f"ocena-{sid}"
                    for m in (messages if isinstance(messages, list) else [messages]):
                        form.add_error(target, str(m))
            form.error = "Nie zapisano ocen: popraw zaznaczone wiersze."
            form.status = exc.http_status if exc.http_status >= 400 else 422
    return form, saved, accepted


def _finals_flash(saved, accepted):
    if accepted:
        flash(f"Zatwierdzono oceny: {accepted}. Rodzice i uczniowie już je widzą.", "success")
    elif saved:
        flash(f"Zapisano oceny: {saved}. Rodzice i uczniowie zobaczą je po zatwierdzeniu.", "success")
    else:
        flash("Nie zmieniono żadnej oceny.", "info")


@bp.route("/oceny/klasy/<class_id>/przedmioty/<subject_id>/koncowe", methods=["GET", "POST"])
@requires_page(*STAFF_READERS)
def finals(class_id, subject_id):
    kind = _kind()

    def load():
        book, subject, rows = _grade_book(class_id, subject_id)
        rows = [r for r in rows if r["status"] != "transferred"]
        for row in rows:
            row["current"] = row["finals"].get(kind)
            row["average"] = row["average_term1"] if "midyear" in kind else row["average_year"]
        return book, subject, rows
    book, subject, rows = load()
    form = Form()
    if request.method == "POST":
        if not book["editable"]:
            raise Forbidden("Nie prowadzisz zajęć z tego przedmiotu w tej klasie.")
        form, saved, accepted = _finals_post(rows, kind, behaviour=False, subject_id=subject_id, class_id=class_id)
        if not form.has_errors:
            _finals_flash(saved, accepted)
            return redirect(url_for("grades_web.finals", class_id=class_id, subject_id=subject_id, rodzaj=kind))
        if saved:      # some rows were saved: show them as they are now
            book, subject, rows = load()
    return render_template("grades/finals.html", book=book, klass=book["class"], subject=subject, rows=rows,
                           form=form, kind=kind, kinds=KIND_LABELS, options=FINAL_OPTIONS, behaviour=False,
                           editable=book["editable"], final_label=final_label, fmt=_fmt,
                           may_view_history=_is(ASSOCIATION_ADMIN, *HISTORY_READERS),
                           average_label="Średnia I okresu" if "midyear" in kind else "Średnia roczna"), form.status


def _may_manage_behaviour(cls):
    return _is(ASSOCIATION_ADMIN, *MANAGERS) or (_is(*TEACHERS) and cls.get("class_teacher_id") == g.user["id"])


@bp.route("/oceny/klasy/<class_id>/zachowanie", methods=["GET", "POST"])
@requires_page(*STAFF_READERS)
def behaviour(class_id):
    """GRD-5: behaviour grades, entered by the class teacher (or a manager), with acceptance."""
    kind = _kind()

    def load():
        data = rpc.call("grades", "class_final_grades", class_id)
        cls = data["class"]
        people = _people(cls["school_id"], [s["student_id"] for s in data["students"]], role=STUDENT)
        rows = _students_sorted(data["students"], people)
        for row in rows:
            row["current"] = next((f for f in row["finals"] if f["behaviour"] and f["kind"] == kind), None)
        return cls, rows
    cls, rows = load()
    editable = _may_manage_behaviour(cls)
    form = Form()
    if request.method == "POST":
        if not editable:
            raise Forbidden("Ocenę zachowania wystawia wychowawca klasy.")
        form, saved, accepted = _finals_post(rows, kind, behaviour=True, subject_id=None, class_id=class_id)
        if not form.has_errors:
            _finals_flash(saved, accepted)
            return redirect(url_for("grades_web.behaviour", class_id=class_id, rodzaj=kind))
        if saved:
            cls, rows = load()
    return render_template("grades/finals.html", klass=cls, subject=None, rows=rows, form=form, kind=kind,
                           kinds=KIND_LABELS, options=BEHAVIOUR_OPTIONS, behaviour=True, editable=editable,
                           final_label=final_label, fmt=_fmt, average_label=None,
                           may_view_history=_is(ASSOCIATION_ADMIN, *HISTORY_READERS)), form.status


# ------------------------------------------------------------------ the class view (GRD-4, GRD-5, GRD-8)

@bp.route("/oceny/klasy/<class_id>")
@requires_page(*STAFF_READERS)
def class_view(class_id):
    """The class teacher's view: averages per student and subject, behaviour grades, the at-risk
    list with the notice deadline, and the printouts."""
    stats = rpc.call("grades", "class_statistics", class_id)
    cls = stats["class"]
    school_id = cls["school_id"]
    at_risk = rpc.call("grades", "at_risk_list", class_id)
    finals_data = rpc.call("grades", "class_final_grades", class_id)
    subjects = _subjects(school_id)
    subject_ids = {s["subject_id"] for s in stats["subjects"]}
    subject_ids |= {a["subject_id"] for a in rpc.call("scheduling", "list_assignments", school_id, class_id=class_id)}
    subject_ids = sorted(subject_ids, key=lambda s: (subjects.get(s) or {}).get("name", s))
    averages = {}
    for sid in subject_ids:
        try:
            book = rpc.call("grades", "class_gradebook", class_id, sid)
        except (Forbidden, NotFound):
            continue
        for st in book["students"]:
            averages[(st["student_id"], sid)] = st["average_year"]
    people = _people(school_id, [s["student_id"] for s in finals_data["students"]]
                     + [s["student_id"] for s in at_risk["students"]], role=STUDENT)
    rows = _students_sorted(finals_data["students"], people)
    overall = {a["student_id"]: a["average"] for a in stats["student_averages"]}
    for row in rows:
        row["behaviour"] = {f["kind"]: f for f in row["finals"] if f["behaviour"]}
        row["overall"] = overall.get(row["student_id"])
    risk_rows = []
    for st in at_risk["students"]:
        for flag in st["flags"]:
            risk_rows.append({**flag, "name": _name(people.get(st["student_id"]) or
                                                    {"first_name": "", "last_name": st["student_id"]}),
                              "sort": pl_key(people.get(st["student_id"]) or {"first_name": "", "last_name": ""}),
                              "subject": "zachowanie" if flag["behaviour"] else
                              (subjects.get(flag["subject_id"]) or {}).get("name", "?")})
    risk_rows.sort(key=lambda r: (r["sort"], r["subject"]))
    return render_template("grades/class_view.html", klass=cls, stats=stats, at_risk=at_risk, rows=rows,
                           risk_rows=risk_rows, subject_ids=subject_ids, subjects=subjects, averages=averages,
                           kinds=KIND_LABELS, at_risk_labels=AT_RISK_LABELS, fmt=_fmt,
                           may_print=_may_manage_behaviour(cls), may_behaviour=_may_manage_behaviour(cls))


@bp.route("/oceny/klasy/<class_id>/zawiadomienia.pdf")
@requires_page(*GRADE_WRITERS)
def notices_pdf(class_id):
    """GRD-4: written notices to the parents of the at-risk students (one page per student)."""
    period = request.args.get("okres") if request.args.get("okres") in ("midyear", "annual") else None
    query = {"period": period}
    result = rpc.call("grades", "at_risk_notices_pdf", class_id, query)
    cls, _ = _class_and_school(class_id)
    return pdf_response(result["pdf_base64"], at_risk_file_name(cls["name"], query))


@bp.route("/oceny/klasy/<class_id>/zestawienie.pdf")
@requires_page(*GRADE_WRITERS)
def grade_sheet_pdf(class_id):
    """GRD-8: the class's grade sheet for a parent meeting (accepted finals only)."""
    term = {"1": 1, "2": 2}.get(request.args.get("okres") or "")
    query = {"term": term}
    result = rpc.call("grades", "grade_sheet_pdf", class_id, query)
    cls, _ = _class_and_school(class_id)
    return pdf_response(result["pdf_base64"], grade_sheet_file_name(cls["name"], query))


# ------------------------------------------------------------------ the family view (GRD-3, GRD-7, LAW-3)

TREND_W, TREND_H = 120, 36


def trend(grades):
    """Geometry of a small inline-SVG line of the numeric grades in date order (symbols and
    grades that do not count are left out); None with fewer than two points."""
    points = [g for g in grades if g.get("numeric") is not None and g.get("effective_counts", True)]
    points.sort(key=lambda g: (g["date"], g.get("created_at") or ""))
    if len(points) < 2:
        return None
    pad = 4
    step = (TREND_W - 2 * pad) / (len(points) - 1)
    coords = []
    for i, g in enumerate(points):
        y = pad + (6 - min(max(g["numeric"], 1), 6)) / 5 * (TREND_H - 2 * pad)
        coords.append((round(pad + i * step, 1), round(y, 1)))
    first, last = points[0]["numeric"], points[-1]["numeric"]
    direction = "rosnący" if last > first else "malejący" if last < first else "stały"
    return {"width": TREND_W, "height": TREND_H, "points": " ".join(f"{x},{y}" for x, y in coords),
            "dots": coords, "labels": ", ".join(g["value"] for g in points), "direction": direction}


TERM_OPTIONS = [("", "cały rok"), ("1", "I okres"), ("2", "II okres")]


@bp.route("/uczniowie/<student_id>/oceny")
def student(student_id):
    """A student's grades per subject with weighted averages, accepted final grades only for the
    family (the service decides), corrected grades marked, and a trend per subject."""
    check_own_or_staff(student_id, "Nie znaleziono ucznia.")
    term = {"1": 1, "2": 2}.get(request.args.get("okres") or "")
    data = rpc.call("grades", "student_grades", student_id, term=term)
    account = rpc.call("identity", "get_account", student_id)
    subjects = _subjects(data["school_id"])
    entries = []
    for s in data["subjects"]:
        entries.append({**s, "name": (subjects.get(s["subject_id"]) or {}).get("name", "?"),
                        "trend": trend(s["grades"])})
    entries.sort(key=lambda e: e["name"].lower())
    own = student_id == g.user["id"]
    return render_template("grades/student.html", data=data, account=account, entries=entries, own=own,
                           kinds=KIND_LABELS, kind_headers=KIND_HEADERS, final_label=final_label, fmt=_fmt,
                           term_options=TERM_OPTIONS, term=term)


@bp.route("/uczniowie/<student_id>/oceny.pdf")
def student_pdf(student_id):
    """ARC-3 (procedure IX.4): the paper copy of the parent's view of a child (grades, accepted
    finals, attendance, notes), made by archive with the caller's own rights."""
    check_own_or_staff(student_id, "Nie znaleziono ucznia.")
    result = rpc.call("archive", "child_view_pdf", student_id)
    return pdf_response(result["pdf_base64"], overview_file_name(result))


@bp.route("/moje-oceny")
@requires_page(STUDENT)
def mine():
    return redirect(url_for("grades_web.student", student_id=g.user["id"]))


@bp.route("/oceny-dzieci")
@requires_page(PARENT)
def children():
    kids = sorted(rpc.call("identity", "children_of", g.user["id"]), key=pl_key)
    return render_template("grades/children.html", children=kids)


# ------------------------------------------------------------------ the director's statistics (GRD-8)

def distribution_chart(distribution, width=360, height=200):
    """Geometry of an inline-SVG bar chart of a distribution of grades 1..6."""
    values = [int(distribution.get(str(n), 0)) for n in range(1, 7)]
    top = max(values + [1])
    left, bottom, right, top_pad = 30, 28, 8, 16
    step = (width - left - right) / 6
    plot = height - bottom - top_pad
    bars = []
    for i, v in enumerate(values):
        h = round(v / top * plot, 1)
        x = round(left + i * step + step * 0.15, 1)
        bars.append({"x": x, "y": round(height - bottom - h, 1), "w": round(step * 0.7, 1), "h": h, "value": v,
                     "grade": i + 1, "cx": round(x + step * 0.35, 1)})
    return {"width": width, "height": height, "bars": bars, "top": top, "base": height - bottom, "left": left,
            "total": sum(values)}


@bp.route("/oceny/statystyki")
@requires_page(*HISTORY_READERS)
def statistics():
    school_id = current_school()
    stats = rpc.call("grades", "school_statistics", school_id)
    classes = {c["id"]: c for c in rpc.call("scheduling", "list_classes", school_id)}
    subjects = _subjects(school_id)
    people = _people(school_id, [t["teacher_id"] for t in stats["teachers"]])
    class_id = request.args.get("klasa") or None
    class_stats = chart = None
    if class_id:
        class_stats = rpc.call("grades", "class_statistics", class_id)
        chart = distribution_chart(class_stats["overall"]["distribution"])
        people.update(_people(school_id, [a["student_id"] for a in class_stats["student_averages"]], role=STUDENT))
        teachers = [t["teacher_id"] for t in class_stats["teachers"] if t["teacher_id"] not in people]
        people.update(_people(school_id, teachers))
    class_options = [(c["id"], c["name"]) for c in sorted(classes.values(), key=lambda c: c["name"])]
    return render_template("grades/statistics.html", stats=stats, classes=classes, subjects=subjects, people=people,
                           class_stats=class_stats, chart=chart, class_options=class_options, fmt=_fmt,
                           name=_name, filter_form=Form(labels={"klasa": "Klasa"}, klasa=class_id),
                           kinds=KIND_LABELS, behaviour_grades=BEHAVIOUR_GRADES, at_risk_labels=AT_RISK_LABELS,
                           school_args=school_args())


# ------------------------------------------------------------------ the school's scale and categories (GRD-1)

SCALE_LABELS = {"plus_value": "Wartość plusa w średniej", "minus_value": "Wartość minusa w średniej",
                "flags": "Oceny skrajne", "symbols": "Symbole nieliczone do średniej",
                "second_term_start": "Początek drugiego okresu (MM-DD)",
                "midyear_notice_deadline": "Termin zawiadomień przed klasyfikacją śródroczną",
                "annual_notice_deadline": "Termin zawiadomień przed klasyfikacją roczną"}
CATEGORY_LABELS = {"name": "Nazwa kategorii", "weight": "Waga", "flags": "Ustawienia"}


def _symbols_text(symbols):
    return "\n".join(f"{s['symbol']} – {s.get('label') or ''}".rstrip(" –") for s in symbols)


def _parse_symbols(text):
    out = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        for sep in ("–", "=", ":", " - "):
            if sep in line:
                symbol, label = line.split(sep, 1)
                break
        else:
            symbol, label = line, ""
        out.append({"symbol": symbol.strip(), "label": label.strip()})
    return out


@bp.route("/oceny/ustawienia", methods=["GET", "POST"])
@requires_page(*MANAGERS)
def settings():
    school_id = current_school()
    current = rpc.call("grades", "grade_settings", school_id)
    action = request.form.get("action") if request.method == "POST" else None
    scale_form = Form(request.form if action == "scale" else None, labels=SCALE_LABELS, prefix="skala-",
                      plus_value=_fmt_weight(current["plus_value"]), minus_value=_fmt_weight(current["minus_value"]),
                      flags=[k for k in ("allow_six_plus", "allow_one_minus") if current[k]],
                      symbols=_symbols_text(current["symbols"]), second_term_start=current["second_term_start"],
                      midyear_notice_deadline=current.get("midyear_notice_deadline"),
                      annual_notice_deadline=current.get("annual_notice_deadline"))
    new_form = Form(request.form if action == "category_add" else None, labels=CATEGORY_LABELS, prefix="nowa-",
                    flags=["counts_in_average"])
    categories = rpc.call("grades", "list_categories", school_id, include_inactive=True)
    edit_forms = {}
    for c in categories:
        posted = action == "category_update" and request.form.get("category_id") == c["id"]
        edit_forms[c["id"]] = Form(request.form if posted else None, labels=CATEGORY_LABELS, prefix=f"k{c['id'][:8]}-",
                                   name=c["name"], weight=_fmt_weight(c["weight"]),
                                   flags=[k for k in ("counts_in_average", "active") if c[k]])
    back = redirect(url_for("grades_web.settings", **school_args()))
    if action == "scale":
        with scale_form.handle():
            data = {"plus_value": _number(scale_form.get("plus_value")),
                    "minus_value": _number(scale_form.get("minus_value")),
                    "allow_six_plus": scale_form.checked("flags", "allow_six_plus"),
                    "allow_one_minus": scale_form.checked("flags", "allow_one_minus"),
                    "symbols": _parse_symbols(scale_form.get("symbols")),
                    "second_term_start": scale_form.get("second_term_start").strip(),
                    "midyear_notice_deadline": scale_form.get("midyear_notice_deadline").strip() or None,
                    "annual_notice_deadline": scale_form.get("annual_notice_deadline").strip() or None}
            for key in ("plus_value", "minus_value"):
                if data[key] is None:
                    scale_form.add_error(key, "Podaj wartość od 0 do 0,99.")
            if scale_form.errors:
                scale_form.fail()
            rpc.call("grades", "update_grade_settings", school_id, data)
            flash("Zapisano skalę ocen szkoły.", "success")
            return back
    elif action == "category_add":
        with new_form.handle():
            data = {"name": new_form.get("name").strip(), "weight": _number(new_form.get("weight")),
                    "counts_in_average": new_form.checked("flags", "counts_in_average")}
            if not data["name"]:
                new_form.add_error("name", "Podaj nazwę kategorii.")
            if data["weight"] is None:
                new_form.add_error("weight", "Podaj wagę (liczba od 0 do 100).")
            if new_form.errors:
                new_form.fail()
            cat = rpc.call("grades", "create_category", school_id, data)
            flash(f"Dodano kategorię „{cat['name']}”.", "success")
            return back
    elif action == "category_update":
        category_id = request.form.get("category_id")
        form = edit_forms.get(category_id)
        if form is None:
            raise NotFound("Nie znaleziono kategorii ocen.")
        with form.handle():
            data = {"name": form.get("name").strip(), "weight": _number(form.get("weight")),
                    "counts_in_average": form.checked("flags", "counts_in_average"),
                    "active": form.checked("flags", "active")}
            if data["weight"] is None:
                form.add_error("weight", "Podaj wagę (liczba od 0 do 100).")
                form.fail()
            cat = rpc.call("grades", "update_category", category_id, data)
            flash(f"Zapisano kategorię „{cat['name']}”.", "success")
            return back
    elif action == "defaults":
        rpc.call("grades", "install_default_categories", school_id)
        flash("Dodano typowe kategorie, których szkoła jeszcze nie miała.", "success")
        return back
    status = max([scale_form.status, new_form.status] + [f.status for f in edit_forms.values()])
    return render_template("grades/settings.html", current=current, scale_form=scale_form, new_form=new_form,
                           categories=categories, edit_forms=edit_forms, fmt_weight=_fmt_weight,
                           school_args=school_args()), status
