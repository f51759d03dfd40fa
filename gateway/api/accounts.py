"""Accounts, blocking, guardianships, activation codes and Annexes 1-3, grants, login statistics
and the audit log (ACC-1, ACC-2, ACC-4, ACC-5, ACC-6, ACC-7, ACC-8, ACC-9, ACC-11, ORG-8).

PDFs come from identity as ``pdf_base64``; ``pdf_response`` decodes them and sends them as
``application/pdf`` with a Polish file name (the page views use it too)."""
import base64
import io
import re
from datetime import date

from flask import request, send_file

from services.common.errors import Forbidden, NotFound

from .. import rpc
from ..auth import (ADMINS, ASSOCIATION_ADMIN, DIRECTORS, PARENT, SECRETARY, STAFF_EDITING_STUDENTS,
                    STUDENT, TEACHERS, check_own_or_staff, requires, school_scoped, user_roles)
from ..schemas import (PDF, AccountIn, AccountOut, AccountQuery, AnnexQuery, AuditEntryOut, AuditQuery,
                       BlockIn, GuardianshipIn, GuardianshipOut, IssueCodesIn, LoginStatsOut,
                       LoginStatsQuery, RoleIn)
from . import api_blueprint

bp = api_blueprint("accounts", __name__, "Konta użytkowników, blokady, opiekunowie.")

# Who may create accounts (identity's domain.can_create_role): administrators any school role;
# the secretary and the directors only students and parents (ORG-6, ORG-8).
ACCOUNT_CREATORS = ADMINS + DIRECTORS + (SECRETARY,)
ACCOUNT_READERS = ADMINS + DIRECTORS + (SECRETARY,) + TEACHERS


@bp.route("/schools/<school_id>/accounts", methods=["POST"])
@requires(*ACCOUNT_CREATORS)
@school_scoped()
@bp.arguments(AccountIn)
@bp.response(201, AccountOut)
def create_account(data, school_id):
    """Załóż konto w szkole"""
    roles = user_roles()
    if not roles & {ASSOCIATION_ADMIN, *ADMINS} and not set(data["roles"]) <= {STUDENT, PARENT}:
        raise Forbidden("Sekretariat i dyrekcja zakładają tylko konta uczniów i rodziców.")
    return rpc.call("identity", "create_account", {**data, "school_id": school_id})


@bp.route("/schools/<school_id>/accounts", methods=["GET"])
@requires(*ACCOUNT_READERS)
@school_scoped()
@bp.arguments(AccountQuery, location="query")
@bp.response(200, AccountOut(many=True))
def list_accounts(query, school_id):
    """Konta szkoły (opcjonalnie z jedną rolą)"""
    return rpc.call("identity", "list_accounts", school_id, role=query.get("role"))


@bp.route("/accounts/<account_id>", methods=["GET"])
@bp.response(200, AccountOut)
def get_account(account_id):
    """Konto"""
    check_own_or_staff(account_id)
    return rpc.call("identity", "get_account", account_id)


@bp.route("/accounts/<account_id>/block", methods=["POST"])
@requires(*ADMINS)
@bp.arguments(BlockIn)
@bp.response(200, AccountOut)
def block_account(data, account_id):
    """Zablokuj konto (ACC-7)"""
    return rpc.call("identity", "block_account", account_id, data)


@bp.route("/accounts/<account_id>/unblock", methods=["POST"])
@requires(*ADMINS)
@bp.response(200, AccountOut)
def unblock_account(account_id):
    """Odblokuj konto (ACC-7)"""
    return rpc.call("identity", "unblock_account", account_id)


@bp.route("/schools/<school_id>/blocked-accounts", methods=["GET"])
@requires(*ADMINS)
@school_scoped()
@bp.response(200, AccountOut(many=True))
def list_blocked_accounts(school_id):
    """Zablokowane konta szkoły (ACC-7)"""
    return rpc.call("identity", "list_blocked_accounts", school_id)


@bp.route("/schools/<school_id>/guardianships", methods=["POST"])
@requires(*STAFF_EDITING_STUDENTS)
@school_scoped()
@bp.arguments(GuardianshipIn)
@bp.response(201, GuardianshipOut)
def link_guardian(data, school_id):
    """Przypisz rodzica (opiekuna prawnego) do ucznia (ACC-9)"""
    return rpc.call("identity", "link_guardian", school_id, data)


@bp.route("/accounts/<account_id>/children", methods=["GET"])
@bp.response(200, AccountOut(many=True))
def children(account_id):
    """Dzieci rodzica (opiekuna prawnego)"""
    check_own_or_staff(account_id)
    return rpc.call("identity", "children_of", account_id)


# ------------------------------------------------------------------ PDFs

def file_name(*parts):
    """A safe Polish file name: words joined by hyphens, Polish letters kept (werkzeug sends an
    ASCII fallback and the UTF-8 ``filename*`` as well)."""
    words = [re.sub(r"[^\w]+", "-", str(p).strip(), flags=re.UNICODE).strip("-_") for p in parts if p]
    return "-".join(w for w in words if w).lower() + ".pdf"


def pdf_response(pdf_base64, filename):
    """A PDF from an RPC answer, as a download (Content-Disposition: attachment)."""
    response = send_file(io.BytesIO(base64.b64decode(pdf_base64)), mimetype="application/pdf",
                         as_attachment=True, download_name=filename, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


def activation_url():
    """Where the slips send people: this gateway's activation page (as the user reached it)."""
    return request.url_root.rstrip("/") + "/aktywacja"


# ------------------------------------------------------------------ activation codes (ACC-5, ACC-6)

@bp.route("/schools/<school_id>/activation-codes", methods=["POST"])
@requires(*ADMINS)
@school_scoped()
@bp.arguments(IssueCodesIn)
@bp.response(200, PDF, content_type="application/pdf",
             description="Kartki z kodami (PDF), po jednej na osobę; kody są widoczne tylko tutaj.")
def issue_activation_codes(data, school_id):
    """Wydaj jednorazowe kody aktywacyjne (PDF)

    Dla klasy (`class_id`, `roles`: uczniowie i/lub rodzice), dla wszystkich kont z rolami
    (`roles`, np. nauczyciele) albo dla wskazanych kont (`account_ids`: utracone hasło, ACC-6).
    Wcześniejsze niewykorzystane kody tych kont tracą ważność."""
    result = rpc.call("identity", "issue_activation_codes", school_id,
                      {**data, "activation_url": activation_url()})
    return pdf_response(result["pdf_base64"], file_name("kody aktywacyjne", date.today().isoformat()))


ANNEXES = {"parents": ("1", "rodzice"), "students": ("2", "uczniowie"), "teachers": ("3", "nauczyciele")}


@bp.route("/schools/<school_id>/annexes/<kind>", methods=["GET"])
@requires(*ADMINS, *DIRECTORS)
@school_scoped()
@bp.arguments(AnnexQuery, location="query")
@bp.response(200, PDF, content_type="application/pdf",
             description="Lista potwierdzeń (PDF) z kolumną na datę i podpis, bez kodów.")
def annex(query, school_id, kind):
    """Załączniki 1–3: potwierdzenia otrzymania dostępu (PDF)

    `kind`: `parents` (zał. 1, klasa), `students` (zał. 2, klasa), `teachers` (zał. 3, szkoła)."""
    if kind not in ANNEXES:
        raise NotFound("Nie ma takiego załącznika (dostępne: parents, students, teachers).")
    result = rpc.call("identity", "access_confirmation_list", school_id,
                      {"kind": kind, "class_id": query.get("class_id"), "school_year": query["school_year"]})
    number, who = ANNEXES[kind]
    return pdf_response(result["pdf_base64"],
                        file_name("załącznik", number, who, query["school_year"].replace("/", "-")))


# ------------------------------------------------------------------ grants (ACC-4)

@bp.route("/accounts/<account_id>/roles", methods=["POST"])
@requires(*ADMINS)
@bp.arguments(RoleIn)
@bp.response(200, AccountOut)
def grant_role(data, account_id):
    """Nadaj uprawnienie (rolę) kontu pracownika (ACC-4)"""
    return rpc.call("identity", "grant_role", account_id, data)


@bp.route("/accounts/<account_id>/roles/<role>", methods=["DELETE"])
@requires(*ADMINS)
@bp.response(200, AccountOut)
def revoke_role(account_id, role):
    """Odbierz uprawnienie (rolę) (ACC-4)"""
    return rpc.call("identity", "revoke_role", account_id, {"role": role})


# ------------------------------------------------------------------ login statistics (ACC-8), audit (ACC-11)

LOGIN_STATS_READERS = ADMINS + DIRECTORS + TEACHERS


@bp.route("/schools/<school_id>/login-statistics", methods=["GET"])
@requires(*LOGIN_STATS_READERS)
@school_scoped()
@bp.arguments(LoginStatsQuery, location="query")
@bp.response(200, LoginStatsOut)
def login_statistics(query, school_id):
    """Statystyki logowań: udane i nieudane, na użytkownika i dzień (ACC-8)

    Administrator i dyrekcja: wszyscy; nauczyciel: uczniowie; wychowawca: własna klasa (`class_id`)."""
    return rpc.call("identity", "login_statistics", school_id, query)


@bp.route("/schools/<school_id>/audit-log", methods=["GET"])
@requires(*ADMINS)
@school_scoped()
@bp.arguments(AuditQuery, location="query")
@bp.response(200, AuditEntryOut(many=True))
def search_audit(query, school_id):
    """Dziennik zdarzeń: kto, kiedy, co i skąd (ACC-11)"""
    return rpc.call("identity", "search_audit", school_id, query)
