"""The pages of identity and access (issue 3): login, activation, logout, password change, the
monitoring notice, the home page per role, schools, accounts, blocked accounts, activation codes,
Annexes 1-3, grants, login statistics, the audit log, students' personal data and its
completeness, the student file and the parent's data report.

Each view calls the same identity RPC as the API route of the same meaning, with the same
permission helpers; the services check again."""
from datetime import date, timedelta

from flask import flash, g, redirect, render_template, request, url_for

from services.common.errors import Forbidden, Invalid, NotFound, Unavailable

from .. import rpc
from ..api.accounts import ANNEXES, activation_url, file_name, pdf_response
from ..api.attendance import school_today
from ..api.students import UNREAD_CALL, child_view_calls, data_report_file_name, school_year_of
from ..auth import (ADMINS, ASSOCIATION_ADMIN, CLASS_TEACHER, DIRECTORS, INSPECTOR, PARENT, SCHOOL_ROLES,
                    SECRETARY, STAFF_EDITING_STUDENTS, STUDENT, TEACHER, TEACHERS, check_own_or_staff, public,
                    set_session_cookie, user_roles)
from ..schemas import (AccountIn, ActivationIn, AnnexQuery, AuditQuery, IncidentIn, IssueCodesIn, LoginIn,
                       LoginStatsQuery, PasswordChangeIn, ProfileIn, SchoolIn)
from .base import (LOGIN_ENDPOINT, Form, _drop_cookie, current_school, notice_exempt, requires_page,
                   safe_next, school_args, web_blueprint)
from .nav import ROLE_LABELS, add_nav

bp = web_blueprint("identity_web", __name__)

HOME = "identity_web.home"
MONITORING_NOTICE = "Twoje działania w dzienniku są monitorowane i archiwizowane"
GRANTABLE = ("school_admin", "deputy_admin", "director", "vice_director", "teacher", "class_teacher", "secretary")
STUDENT_DATA_EDITORS = STAFF_EDITING_STUDENTS + (CLASS_TEACHER,)
FILE_BROWSERS = (INSPECTOR,) + TEACHERS + STAFF_EDITING_STUDENTS
NOTE_KINDS = {"positive": "pozytywna", "negative": "negatywna", "neutral": "neutralna"}

# ------------------------------------------------------------------ the menu (ACC-3)

add_nav("identity_web.schools", "Szkoły", [ASSOCIATION_ADMIN], order=10,
        description="Szkoły stowarzyszenia i ich administratorzy.")
add_nav("identity_web.accounts", "Konta", ADMINS, order=20,
        description="Konta użytkowników szkoły: lista według ról i zakładanie kont.")
add_nav("identity_web.blocked", "Zablokowane konta", ADMINS, order=21,
        description="Konta zablokowane (także po nieudanych logowaniach) i ich odblokowanie.")
add_nav("identity_web.codes", "Kody aktywacyjne", ADMINS, order=22,
        description="Kartki z kodami aktywacyjnymi dla klasy, nauczycieli lub jednej osoby.")
add_nav("identity_web.annexes", "Załączniki 1–3", ADMINS, order=23,
        description="Listy potwierdzeń otrzymania dostępu do dziennika (PDF).")
add_nav("identity_web.grants", "Uprawnienia", ADMINS, order=24,
        description="Nadawanie i odbieranie uprawnień dyrekcji, nauczycieli i administratorów.")
add_nav("identity_web.login_stats", "Statystyki logowań", ADMINS + DIRECTORS + TEACHERS, order=30,
        description="Udane i nieudane logowania według użytkowników i dni.")
add_nav("identity_web.audit", "Dziennik zdarzeń", ADMINS, order=31,
        description="Kto, kiedy, co i skąd zmienił w dzienniku.")
add_nav("identity_web.students", "Dane uczniów", (SECRETARY,) + DIRECTORS + (CLASS_TEACHER,), order=40,
        description="Dane osobowe uczniów: adresy, telefony, rodzice.")
add_nav("identity_web.incomplete", "Braki w danych", (SECRETARY,) + DIRECTORS + (CLASS_TEACHER,), order=41,
        description="Uczniowie, którym brakuje wymaganych danych.")
add_nav("identity_web.files", "Kartoteki uczniów", (INSPECTOR, TEACHER, CLASS_TEACHER), order=45,
        description="Kartoteki uczniów według klas (uwagi, dane).")
add_nav("identity_web.children", "Moje dzieci", [PARENT], order=50,
        description="Kartoteki dzieci i raport danych przechowywanych w dzienniku.")
add_nav("identity_web.own_file", "Moja kartoteka", [STUDENT], order=50,
        description="Twoje dane i uwagi.")


# ------------------------------------------------------------------ helpers

def _roles():
    return user_roles()


def _is(*roles):
    return bool(_roles() & set(roles))


def _only_own_classes():
    """A class teacher without a wider role works on the own classes only."""
    return _is(CLASS_TEACHER) and not _is(ASSOCIATION_ADMIN, *STAFF_EDITING_STUDENTS)


def _classes(school_id, own_only=False):
    classes = rpc.call("scheduling", "list_classes", school_id)
    if own_only:
        classes = [c for c in classes if c.get("class_teacher_id") == g.user["id"]]
    return sorted(classes, key=lambda c: c["name"])


_PL_ORDER = str.maketrans({**{c: b + "~" for c, b in zip("ąćęłńóśźĄĆĘŁŃÓŚŹ", "acelnoszACELNOSZ")},
                          "ż": "z~~", "Ż": "Z~~"})


def pl_key(account):
    """Sort people as a Polish list does: Łęcki after Lewandowski, Żak after Zając."""
    return (account["last_name"].translate(_PL_ORDER).lower(), account["first_name"].translate(_PL_ORDER).lower())


def _accounts(school_id, role=None):
    return sorted(rpc.call("identity", "list_accounts", school_id, role=role), key=pl_key)


def _name(account):
    return f"{account['first_name']} {account['last_name']}"


def _school_year(today=None):
    today = today or date.today()
    start = today.year if today.month >= 9 else today.year - 1
    return f"{start}/{start + 1}"


def _back(default_endpoint, **kwargs):
    return redirect(safe_next(request.form.get("next")) or url_for(default_endpoint, **kwargs))


def _student_names(school_id, ids):
    """{id: account} of students, with as few calls as the caller's role allows."""
    ids = list(ids)
    try:
        everyone = {a["id"]: a for a in _accounts(school_id, role=STUDENT)}
        return {i: everyone[i] for i in ids if i in everyone}
    except Forbidden:   # the inspector may not list accounts, but may read each one
        return {i: rpc.call("identity", "get_account", i) for i in ids}


# ------------------------------------------------------------------ login, activation, logout (ACC-5, ACC-13)

LOGIN_LABELS = {"login": "Login", "password": "Hasło"}


@bp.route("/logowanie", methods=["GET", "POST"])
@public
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET" and g.get("user"):
        return redirect(next_url or url_for(HOME))
    form = Form(request.form if request.method == "POST" else None, labels=LOGIN_LABELS,
                login=request.args.get("login"))
    if request.method == "POST":
        with form.handle():
            data = form.load(LoginIn)
            result = rpc.call("identity", "login", {
                "login": data["login"], "password": data["password"], "ip": g.get("ip"),
                "user_agent": (request.user_agent.string or "")[:300] or None})
            target = next_url or url_for(HOME)
            if result["user"].get("monitoring_notice_required"):
                target = url_for("identity_web.monitoring_notice", next=next_url)
            response = redirect(target)
            set_session_cookie(response, result["token"])
            return response
    return render_template("identity/login.html", form=form, next=next_url), form.status


ACTIVATION_LABELS = {"login": "Login", "code": "Kod aktywacyjny", "password": "Nowe hasło",
                     "password2": "Powtórz nowe hasło"}


@bp.route("/aktywacja", methods=["GET", "POST"])
@public
def activate():
    form = Form(request.form if request.method == "POST" else None, labels=ACTIVATION_LABELS,
                login=request.args.get("login"))
    if request.method == "POST":
        with form.handle():
            if form.get("password") != form.get("password2"):
                form.add_error("password2", "Hasła nie są takie same.")
            data = form.load(ActivationIn)
            if form.errors:
                form.fail()
            result = rpc.call("identity", "redeem_activation_code", data)
            flash("Konto zostało aktywowane. Zaloguj się nowym hasłem.", "success")
            return redirect(url_for(LOGIN_ENDPOINT, login=result["login"]))
    return render_template("identity/activate.html", form=form), form.status


@bp.route("/wyloguj", methods=["POST"])
@notice_exempt
def logout():
    rpc.call("identity", "logout", g.token)
    response = redirect(url_for(LOGIN_ENDPOINT))
    flash("Wylogowano.", "success")
    return _drop_cookie(response)


@bp.route("/wyloguj-wszedzie", methods=["POST"])
@notice_exempt
def logout_all():
    result = rpc.call("identity", "logout_all")
    flash(f"Wylogowano ze wszystkich urządzeń (zakończone sesje: {result['ended']}).", "success")
    return _drop_cookie(redirect(url_for(LOGIN_ENDPOINT)))


@bp.route("/informacja-o-monitorowaniu", methods=["GET", "POST"])
@notice_exempt
def monitoring_notice():
    """ACC-11: shown after login until the user acknowledges it."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "POST":
        rpc.call("identity", "acknowledge_monitoring_notice")
        return redirect(next_url or url_for(HOME))
    return render_template("identity/notice.html", next=next_url, notice=MONITORING_NOTICE,
                           required=g.user.get("monitoring_notice_required"))


# ------------------------------------------------------------------ home and the own account

@bp.route("/")
def home():
    children, unread = [], None
    if _is(PARENT):
        children = rpc.call("identity", "children_of", g.user["id"])
        children, unread = _children_at_a_glance(children)
    return render_template("identity/home.html", children=children, unread=unread)


def _children_at_a_glance(children):
    """Each child's year average and attendance percentage, and the parent's unread messages:
    the services asked all at once (the same calls as GET /api/v1/students/<id>/overview). A
    service that does not answer leaves the figures out; the page still shows."""
    year = school_year_of(school_today())
    calls = [UNREAD_CALL]
    for child in children:
        calls += child_view_calls(child["id"], year)
    try:
        results = rpc.call_many(*calls)
    except Unavailable:
        return children, None
    out = []
    for i, child in enumerate(children):
        grades, attendance = results[1 + 2 * i], results[2 + 2 * i]
        out.append(dict(child, average=grades.get("overall_average"), attendance=attendance.get("percent"),
                        school_year=year))
    return out, results[0]


@bp.route("/konto")
def account():
    school = None
    if g.user.get("school_id"):
        school = rpc.call("identity", "get_school", g.user["school_id"])
    return render_template("identity/account.html", school=school)


PASSWORD_LABELS = {"current_password": "Obecne hasło", "new_password": "Nowe hasło",
                   "new_password2": "Powtórz nowe hasło"}


@bp.route("/konto/haslo", methods=["GET", "POST"])
def change_password():
    form = Form(request.form if request.method == "POST" else None, labels=PASSWORD_LABELS)
    if request.method == "POST":
        with form.handle():
            if form.get("new_password") != form.get("new_password2"):
                form.add_error("new_password2", "Hasła nie są takie same.")
            data = form.load(PasswordChangeIn)
            if form.errors:
                form.fail()
            result = rpc.call("identity", "change_password", data, g.session_id)
            flash("Hasło zostało zmienione. Zakończono sesje na innych urządzeniach: "
                  f"{result['sessions_ended']}.", "success")
            return redirect(url_for("identity_web.account"))
    return render_template("identity/password.html", form=form), form.status


INCIDENT_LABELS = {"description": "Opis zdarzenia", "severity": "Jak poważne jest zdarzenie?"}
SEVERITIES = [("low", "niska waga"), ("medium", "średnia waga"), ("high", "wysoka waga")]


@bp.route("/konto/incydent", methods=["GET", "POST"])
def incident():
    """ACC-12: anyone reports a security incident; it reaches the association administrator."""
    form = Form(request.form if request.method == "POST" else None, labels=INCIDENT_LABELS, severity="medium")
    if request.method == "POST":
        with form.handle():
            result = rpc.call("identity", "report_incident", form.load(IncidentIn))
            flash(f"Zgłoszenie przyjęte (numer {result['incident_id'][:8]}). "
                  "Administrator stowarzyszenia został powiadomiony.", "success")
            return redirect(url_for("identity_web.account"))
    return render_template("identity/incident.html", form=form, severities=SEVERITIES), form.status


# ------------------------------------------------------------------ schools (TEN-2)

SCHOOL_LABELS = {"name": "Pełna nazwa szkoły", "short_name": "Skrót", "city": "Miejscowość"}
ADMIN_LABELS = {"first_name": "Imię", "last_name": "Nazwisko", "email": "E-mail", "roles": "Rola",
                "login": "Login"}


@bp.route("/szkoly", methods=["GET", "POST"])
@requires_page(ASSOCIATION_ADMIN)
def schools():
    form = Form(request.form if request.method == "POST" else None, labels=SCHOOL_LABELS)
    if request.method == "POST":
        with form.handle():
            school = rpc.call("identity", "create_school", form.load(SchoolIn))
            flash(f"Założono szkołę {school['name']}. Załóż teraz jej administratora.", "success")
            return redirect(url_for("identity_web.school", school_id=school["id"]))
    return render_template("identity/schools.html", form=form,
                           schools=rpc.call("identity", "list_schools")), form.status


@bp.route("/szkoly/<school_id>", methods=["GET", "POST"])
@requires_page(ASSOCIATION_ADMIN)
def school(school_id):
    school = rpc.call("identity", "get_school", school_id)
    form = Form(request.form if request.method == "POST" else None, labels=ADMIN_LABELS, roles="school_admin")
    if request.method == "POST":
        with form.handle():
            data = form.load(AccountIn)
            if not set(data["roles"]) <= {"school_admin", "deputy_admin"}:
                raise Forbidden("Tu zakłada się tylko administratorów szkoły.")
            account = rpc.call("identity", "create_account", {**data, "school_id": school_id})
            flash(f"Założono konto administratora {_name(account)} (login: {account['login']}). "
                  "Wydrukuj dla niego kod aktywacyjny.", "success")
            return redirect(url_for("identity_web.school", school_id=school_id))
    admins = [a for a in _accounts(school_id) if set(a["roles"]) & set(ADMINS)]
    return render_template("identity/school.html", school=school, admins=admins, form=form), form.status


# ------------------------------------------------------------------ accounts, blocking (ACC-1, ACC-2, ACC-7)

ACCOUNT_LABELS = {"first_name": "Imię", "last_name": "Nazwisko", "email": "E-mail", "roles": "Rola",
                  "login": "Login", "expires_on": "Konto ważne do"}


def _role_options(roles=SCHOOL_ROLES):
    return [(r, ROLE_LABELS[r]) for r in roles]


@bp.route("/konta", methods=["GET", "POST"])
@requires_page(*ADMINS)
def accounts():
    school_id = current_school()
    role = request.args.get("rola") or None
    if role not in SCHOOL_ROLES:
        role = None
    form = Form(request.form if request.method == "POST" else None, labels=ACCOUNT_LABELS, roles="teacher")
    if request.method == "POST":
        with form.handle():
            account = rpc.call("identity", "create_account", {**form.load(AccountIn), "school_id": school_id})
            flash(f"Założono konto {_name(account)} (login: {account['login']}). Konto aktywuje się "
                  "jednorazowym kodem aktywacyjnym.", "success")
            return redirect(url_for("identity_web.account_detail", account_id=account["id"], **school_args()))
    filter_form = Form(request.args, labels={"rola": "Rola"}, prefix="filter-")
    return render_template("identity/accounts.html", form=form, filter_form=filter_form, role=role,
                           accounts=_accounts(school_id, role), role_options=_role_options(),
                           school_args=school_args()), form.status


@bp.route("/konta/<account_id>")
@requires_page(*ADMINS)
def account_detail(account_id):
    account = rpc.call("identity", "get_account", account_id)
    return render_template("identity/account_detail.html", account=account,
                           grantable=[(r, ROLE_LABELS[r]) for r in GRANTABLE if r not in account["roles"]],
                           revocable=[r for r in account["roles"] if r in GRANTABLE],
                           is_family=bool({PARENT, STUDENT} & set(account["roles"])),
                           block_form=Form(labels={"reason": "Powód blokady"}, prefix="block-"),
                           grant_form=Form(labels={"role": "Uprawnienie do nadania"}, prefix="grant-"),
                           school_args=school_args())


@bp.route("/konta/<account_id>/blokada", methods=["POST"])
@requires_page(*ADMINS)
def block(account_id):
    reason = (request.form.get("reason") or "").strip()
    if len(reason) < 3:
        flash("Podaj powód blokady (co najmniej 3 znaki).", "error")
    else:
        account = rpc.call("identity", "block_account", account_id, {"reason": reason[:300]})
        flash(f"Zablokowano konto {_name(account)}; jego sesje zostały zakończone.", "success")
    return _back("identity_web.account_detail", account_id=account_id, **school_args())


@bp.route("/konta/<account_id>/odblokowanie", methods=["POST"])
@requires_page(*ADMINS)
def unblock(account_id):
    account = rpc.call("identity", "unblock_account", account_id)
    flash(f"Odblokowano konto {_name(account)}.", "success")
    return _back("identity_web.blocked", **school_args())


@bp.route("/konta/zablokowane")
@requires_page(*ADMINS)
def blocked():
    school_id = current_school()
    return render_template("identity/blocked.html",
                           accounts=rpc.call("identity", "list_blocked_accounts", school_id),
                           school_args=school_args())


# ------------------------------------------------------------------ activation codes, annexes (ACC-5, ACC-6)

CODE_LABELS = {"class_id": "Klasa", "roles": "Dla kogo", "valid_days": "Ważność kodów (dni)",
               "account_id": "Konto", "account_ids": "Konto"}


@bp.route("/kody-aktywacyjne", methods=["GET", "POST"])
@requires_page(*ADMINS)
def codes():
    """ACC-5: slips for a class (students, parents) or all teachers; ACC-6: one account's new code.
    A successful POST answers with the PDF (the page stays as it was)."""
    school_id = current_school()
    form = Form(request.form if request.method == "POST" else None, labels=CODE_LABELS,
                roles=["student", "parent"], valid_days="14")
    if request.method == "POST":
        target = request.form.get("target")
        with form.handle():
            if target == "class":
                if not form.get("class_id"):
                    form.add_error("class_id", "Wybierz klasę.")
                if not form.getlist("roles"):
                    form.add_error("roles", "Wybierz uczniów, rodziców lub obie grupy.")
                if form.errors:
                    form.fail()
                klass = rpc.call("scheduling", "get_class", form.get("class_id"))
                data = {"class_id": klass["id"], "roles": form.getlist("roles")}
                name = file_name("kody aktywacyjne", "klasa", klass["name"], date.today().isoformat())
            elif target == "teachers":
                data = {"roles": ["teacher", "class_teacher"]}
                name = file_name("kody aktywacyjne", "nauczyciele", date.today().isoformat())
            else:
                if not form.get("account_id"):
                    form.add_error("account_id", "Wybierz konto.")
                    form.fail()
                account = rpc.call("identity", "get_account", form.get("account_id"))
                data = {"account_ids": [account["id"]]}
                name = file_name("kod aktywacyjny", account["login"], date.today().isoformat())
            payload = form.load(IssueCodesIn, only=("valid_days",), **data)
            result = rpc.call("identity", "issue_activation_codes", school_id,
                              {**payload, "activation_url": activation_url()})
            return pdf_response(result["pdf_base64"], name)
    accounts = sorted(_accounts(school_id), key=pl_key)
    return render_template("identity/codes.html", form=form,
                           class_options=[(c["id"], c["name"]) for c in _classes(school_id)],
                           account_options=[(a["id"], f"{a['last_name']} {a['first_name']} ({a['login']})")
                                            for a in accounts],
                           school_args=school_args()), form.status


ANNEX_LABELS = {"kind": "Załącznik", "class_id": "Klasa", "school_year": "Rok szkolny"}
ANNEX_OPTIONS = [("parents", "Załącznik nr 1 – rodzice (klasa)"), ("students", "Załącznik nr 2 – uczniowie (klasa)"),
                 ("teachers", "Załącznik nr 3 – nauczyciele (cała szkoła)")]


@bp.route("/zalaczniki")
@requires_page(*ADMINS)
def annexes():
    """Annexes 1-3 (ACC-5, ARC-4): a GET form; with ``kind`` given the answer is the PDF."""
    school_id = current_school()
    form = Form(request.args if request.args.get("kind") else None, labels=ANNEX_LABELS,
                kind="parents", school_year=_school_year())
    if request.args.get("kind"):
        with form.handle():
            kind = form.get("kind")
            if kind not in ANNEXES:
                form.add_error("kind", "Wybierz załącznik.")
            if kind in ("parents", "students") and not form.get("class_id"):
                form.add_error("class_id", "Wybierz klasę (załączniki 1 i 2 są sporządzane dla klasy).")
            query = form.load(AnnexQuery)
            if form.errors:
                form.fail()
            class_id = query.get("class_id") if kind != "teachers" else None
            result = rpc.call("identity", "access_confirmation_list", school_id,
                              {"kind": kind, "class_id": class_id, "school_year": query["school_year"]})
            number, who = ANNEXES[kind]
            klass = rpc.call("scheduling", "get_class", class_id)["name"] if class_id else None
            return pdf_response(result["pdf_base64"], file_name(
                "załącznik", number, who, klass and f"klasa {klass}", query["school_year"].replace("/", "-")))
    return render_template("identity/annexes.html", form=form, options=ANNEX_OPTIONS,
                           class_options=[(c["id"], c["name"]) for c in _classes(school_id)],
                           school_args=school_args()), form.status


# ------------------------------------------------------------------ grants (ACC-4)

@bp.route("/uprawnienia", methods=["GET", "POST"])
@requires_page(*ADMINS)
def grants():
    school_id = current_school()
    form = Form(request.form if request.method == "POST" else None, labels={"role": "Uprawnienie"})
    if request.method == "POST":
        with form.handle():
            account_id, role = form.get("account_id"), form.get("role")
            if not role:
                raise Invalid("Wybierz uprawnienie do nadania.")
            if role not in GRANTABLE:
                raise Forbidden("Tego uprawnienia nie nadaje się w tym miejscu.")
            if form.get("action") == "revoke":
                account = rpc.call("identity", "revoke_role", account_id, {"role": role})
                flash(f"Odebrano uprawnienie „{ROLE_LABELS[role]}”: {_name(account)}.", "success")
            else:
                account = rpc.call("identity", "grant_role", account_id, {"role": role})
                flash(f"Nadano uprawnienie „{ROLE_LABELS[role]}”: {_name(account)}.", "success")
            return redirect(url_for("identity_web.grants", **school_args()))
    staff = [a for a in _accounts(school_id) if not {PARENT, STUDENT, INSPECTOR} & set(a["roles"])]
    return render_template("identity/grants.html", form=form, staff=staff, grantable=GRANTABLE,
                           school_args=school_args()), form.status


# ------------------------------------------------------------------ login statistics (ACC-8)

STATS_LABELS = {"date_from": "Od dnia", "date_to": "Do dnia", "class_id": "Klasa", "role": "Rola"}


def bar_chart(days, width=640, height=200, min_slots=14):
    """Geometry of an inline SVG bar chart: per day a bar of successful and one of failed logins.
    The drawing keeps its proportions whatever the number of days (at least ``min_slots`` wide)."""
    top = max([d["success"] for d in days] + [d["failed"] for d in days] + [1])
    left, bottom, right = 34, 28, 8
    step = (width - left - right) / max(len(days), min_slots)
    bar = step * 0.38
    plot = height - bottom - 12
    every = max(1, round(len(days) / 10))
    bars, labels = [], []
    for i, d in enumerate(days):
        x = left + i * step + step * 0.12
        for j, key in enumerate(("success", "failed")):
            h = round(d[key] / top * plot, 1)
            bars.append({"x": round(x + j * bar, 1), "y": height - bottom - h, "w": round(bar - 1, 1), "h": h,
                         "kind": key, "value": d[key], "date": d["date"]})
        if i % every == 0:
            labels.append({"x": round(x + bar, 1), "text": f"{d['date'][8:10]}.{d['date'][5:7]}"})
    return {"width": width, "height": height, "bars": bars, "labels": labels, "top": top,
            "base": height - bottom, "left": left}


@bp.route("/statystyki-logowan")
@requires_page(*ADMINS, *DIRECTORS, *TEACHERS)
def login_stats():
    school_id = current_school()
    own_class_only = _is(CLASS_TEACHER) and not _is(ASSOCIATION_ADMIN, *ADMINS, *DIRECTORS, TEACHER)
    classes = _classes(school_id, own_only=own_class_only)
    defaults = {"date_from": (date.today() - timedelta(days=30)).isoformat()}
    if own_class_only and classes:
        defaults["class_id"] = classes[0]["id"]
    form = Form(request.args if request.args else None, labels=STATS_LABELS, prefix="", **defaults)
    stats = None
    with form.handle():
        query = form.load(LoginStatsQuery)
        if own_class_only and not query.get("class_id"):
            raise NotFound("Nie jesteś wychowawcą żadnej klasy.")
        stats = rpc.call("identity", "login_statistics", school_id, query)
    roles = [(r, ROLE_LABELS[r]) for r in SCHOOL_ROLES]
    return render_template("identity/login_stats.html", form=form, stats=stats, classes=classes,
                           class_options=[(c["id"], c["name"]) for c in classes],
                           chart=bar_chart(stats["days"]) if stats and stats["days"] else None,
                           roles=roles, own_class_only=own_class_only,
                           students_only=bool(stats and stats["scope"] == "students"),
                           school_args=school_args()), form.status


# ------------------------------------------------------------------ audit log (ACC-11, LAW-2)

AUDIT_LABELS = {"actor": "Login użytkownika", "subject": "Login osoby, której dotyczy", "action": "Rodzaj zdarzenia",
                "date_from": "Od dnia", "date_to": "Do dnia"}
ACTIONS = {
    "login.success": "logowanie", "login.failed": "nieudane logowanie",
    "activation.refused": "odrzucony kod aktywacyjny",
    "identity.account_created": "założenie konta", "identity.account_blocked": "blokada konta",
    "identity.account_unblocked": "odblokowanie konta", "identity.account_activated": "aktywacja konta",
    "identity.activation_codes_issued": "wydanie kodów aktywacyjnych",
    "identity.password_changed": "zmiana hasła", "identity.role_granted": "nadanie uprawnienia",
    "identity.role_revoked": "odebranie uprawnienia", "identity.login_failed": "nieudane logowanie (zdarzenie)",
    "identity.student_profile_updated": "zmiana danych ucznia", "identity.note_recorded": "uwaga w kartotece",
    "identity.incident_reported": "zgłoszenie incydentu",
    "messaging.message_sent": "wysłanie wiadomości", "messaging.note_issued": "wpisanie uwagi",
    "scheduling.student_enrolled": "wpisanie ucznia na listę klasy",
    "scheduling.student_removed": "skreślenie z listy uczniów",
}
ACTION_FILTERS = [("login.", "logowania"), ("activation.", "aktywacje"), ("identity.", "konta i dane (identity)"),
                  ("messaging.", "wiadomości i uwagi"), ("scheduling.", "klasy i listy uczniów"),
                  ("grades.", "oceny"), ("attendance.", "frekwencja")]
PAGE_SIZE = 50
DETAIL_LABELS = {"login": "login", "reason": "powód", "roles": "role", "role": "rola", "subject": "temat",
                 "kind": "rodzaj", "category": "kategoria", "fields_changed": "zmienione pola",
                 "sessions_ended": "zakończone sesje", "recipient_count": "odbiorców", "severity": "waga",
                 "description": "opis", "author_name": "autor"}


def audit_details(details):
    """A short readable line of an audit entry's details: ids and long texts left out."""
    parts = []
    for key, value in (details or {}).items():
        if key.endswith(("_id", "_ids", "_at")) or key == "body" or value in (None, "", []):
            continue
        if key == "kind" and value in NOTE_KINDS:
            value = NOTE_KINDS[value]
        if isinstance(value, list):
            value = ", ".join(ROLE_LABELS.get(v, str(v)) for v in value)
        value = ROLE_LABELS.get(value, value) if isinstance(value, str) else value
        text = str(value)
        parts.append(f"{DETAIL_LABELS.get(key, key)}: {text[:80] + '…' if len(text) > 80 else text}")
    return "; ".join(parts)


@bp.route("/dziennik-zdarzen")
@requires_page(*ADMINS)
def audit():
    school_id = current_school()
    form = Form(request.args if request.args else None, labels=AUDIT_LABELS)
    accounts = {a["id"]: a for a in _accounts(school_id)}
    by_login = {a["login"]: a["id"] for a in accounts.values()}
    page = max(1, int(request.args.get("strona", "1")) if request.args.get("strona", "1").isdigit() else 1)
    entries = []
    with form.handle():
        extra = {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}
        for field, key in (("actor", "actor_id"), ("subject", "subject_id")):
            login_ = form.get(field).strip().lower()
            if login_:
                if login_ not in by_login:
                    form.add_error(field, "Nie ma takiego loginu w tej szkole.")
                else:
                    extra[key] = by_login[login_]
        query = form.load(AuditQuery, only=("action", "date_from", "date_to"), **extra)
        if form.errors:
            form.fail()
        entries = rpc.call("identity", "search_audit", school_id, query)
    args = {k: v for k, v in request.args.items() if k != "strona"}
    return render_template("identity/audit.html", form=form, entries=entries, accounts=accounts, actions=ACTIONS,
                           details=audit_details,
                           action_filters=ACTION_FILTERS, page=page, has_next=len(entries) == PAGE_SIZE,
                           args=args), form.status


# ------------------------------------------------------------------ students' personal data (ORG-8, ORG-9)

PROFILE_LABELS = {"birth_date": "Data urodzenia", "birth_place": "Miejsce urodzenia", "pesel": "PESEL",
                  "address": "Adres zamieszkania", "phone": "Telefon kontaktowy", "parent_id": "Rodzic (opiekun prawny)"}
PROFILE_FIELDS = ("birth_date", "birth_place", "pesel", "address", "phone")


def _class_filter(school_id):
    """(classes the user may pick, the chosen class id or None) for the students' pages."""
    own_only = _only_own_classes()
    classes = _classes(school_id, own_only=own_only)
    chosen = request.args.get("klasa") or None
    if own_only:
        if not classes:
            raise NotFound("Nie jesteś wychowawcą żadnej klasy.")
        if chosen not in {c["id"] for c in classes}:
            chosen = classes[0]["id"]
    return classes, chosen


@bp.route("/uczniowie")
@requires_page(*STUDENT_DATA_EDITORS)
def students():
    school_id = current_school()
    classes, class_id = _class_filter(school_id)
    if class_id:
        ids = [e["student_id"] for e in rpc.call("scheduling", "class_list", class_id)]
        people = sorted(_student_names(school_id, ids).values(), key=pl_key)
    else:
        ids = None
        people = sorted(_accounts(school_id, role=STUDENT), key=pl_key)
    missing = {r["student_id"]: r["missing_pl"] for r in
               rpc.call("identity", "incomplete_profiles", school_id, student_ids=ids)}
    return render_template("identity/students.html", students=people, missing=missing, classes=classes,
                           class_options=[(c["id"], c["name"]) for c in classes],
                           class_id=class_id, own_only=_only_own_classes(),
                           filter_form=Form(labels={"klasa": "Klasa"}, klasa=class_id), school_args=school_args())


@bp.route("/uczniowie/braki")
@requires_page(*STUDENT_DATA_EDITORS)
def incomplete():
    school_id = current_school()
    classes, class_id = _class_filter(school_id)
    ids = [e["student_id"] for e in rpc.call("scheduling", "class_list", class_id)] if class_id else None
    rows = rpc.call("identity", "incomplete_profiles", school_id, student_ids=ids)
    return render_template("identity/incomplete.html", rows=rows, classes=classes, class_id=class_id,
                           class_options=[(c["id"], c["name"]) for c in classes],
                           own_only=_only_own_classes(),
                           filter_form=Form(labels={"klasa": "Klasa"}, klasa=class_id), school_args=school_args())


@bp.route("/uczniowie/<student_id>/dane", methods=["GET", "POST"])
@requires_page(*STUDENT_DATA_EDITORS)
def student_data(student_id):
    record = rpc.call("identity", "get_student_file", student_id)
    current = {k: (record.get("profile") or {}).get(k) for k in PROFILE_FIELDS}
    posted = request.form if request.method == "POST" else None
    is_guardian_form = request.form.get("action") == "guardian"
    form = Form(None if is_guardian_form else posted, labels=PROFILE_LABELS, **current)
    guardian_form = Form(posted if is_guardian_form else None, labels=PROFILE_LABELS, prefix="g-")
    if request.method == "POST":
        if is_guardian_form:
            with guardian_form.handle():
                if not guardian_form.get("parent_id"):
                    guardian_form.add_error("parent_id", "Wybierz rodzica.")
                    guardian_form.fail()
                school_id = record["student"]["school_id"]
                rpc.call("identity", "link_guardian", school_id,
                         {"parent_id": guardian_form.get("parent_id"), "student_id": student_id})
                flash("Przypisano rodzica (opiekuna prawnego).", "success")
                return redirect(url_for("identity_web.student_data", student_id=student_id))
        else:
            with form.handle():
                rpc.call("identity", "update_student_profile", student_id, form.load(ProfileIn))
                flash(f"Zapisano dane ucznia {_name(record['student'])}.", "success")
                return redirect(url_for("identity_web.student_data", student_id=student_id))
    school_id = record["student"]["school_id"]
    guardians = rpc.call("identity", "guardians_of", student_id)
    parents = []
    if _is(ASSOCIATION_ADMIN, *STAFF_EDITING_STUDENTS):
        taken = {p["id"] for p in guardians}
        parents = [p for p in sorted(_accounts(school_id, role=PARENT), key=pl_key)
                   if p["id"] not in taken]
    status = max(form.status, guardian_form.status)
    return render_template("identity/student_data.html", record=record, form=form, guardian_form=guardian_form,
                           guardians=guardians, parents=parents,
                           parent_options=[(p["id"], f"{p['last_name']} {p['first_name']} ({p['login']})")
                                           for p in parents]), status


# ------------------------------------------------------------------ the student file, children, data report

@bp.route("/uczniowie/<student_id>/kartoteka")
def student_file(student_id):
    check_own_or_staff(student_id, "Nie znaleziono ucznia.")
    record = rpc.call("identity", "get_student_file", student_id)
    return render_template("identity/student_file.html", record=record, note_kinds=NOTE_KINDS,
                           can_edit=_is(ASSOCIATION_ADMIN, *STUDENT_DATA_EDITORS),
                           own=student_id == g.user["id"])


@bp.route("/moja-kartoteka")
@requires_page(STUDENT)
def own_file():
    return redirect(url_for("identity_web.student_file", student_id=g.user["id"]))


@bp.route("/dzieci")
@requires_page(PARENT)
def children():
    return render_template("identity/children.html", children=rpc.call("identity", "children_of", g.user["id"]))


@bp.route("/uczniowie/<student_id>/raport-danych")
def data_report(student_id):
    """ACC-10: what the register holds about the child and who may edit it."""
    check_own_or_staff(student_id, "Nie znaleziono ucznia.")
    return render_template("identity/data_report.html", report=rpc.call("identity", "data_report", student_id))


@bp.route("/uczniowie/<student_id>/raport-danych.pdf")
def data_report_pdf(student_id):
    check_own_or_staff(student_id, "Nie znaleziono ucznia.")
    report = rpc.call("identity", "data_report", student_id, as_pdf=True)
    return pdf_response(report["pdf_base64"], data_report_file_name(report))


@bp.route("/kartoteki")
@requires_page(*FILE_BROWSERS)
def files():
    """Read-only browsing of the student files by class (the inspector's view, XII.7)."""
    school_id = current_school()
    classes = _classes(school_id)
    class_id = request.args.get("klasa") or None
    klass, people = None, []
    if class_id:
        klass = rpc.call("scheduling", "get_class", class_id)
        ids = [e["student_id"] for e in rpc.call("scheduling", "class_list", class_id)]
        people = sorted(_student_names(school_id, ids).values(), key=pl_key)
    return render_template("identity/files.html", classes=classes, klass=klass, students=people,
                           school_args=school_args())
