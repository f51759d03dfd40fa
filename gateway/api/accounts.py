"""Accounts, blocking and guardianships (ACC-1, ACC-2, ACC-7, ACC-9, ORG-8)."""
from services.common.errors import Forbidden

from .. import rpc
from ..auth import (ADMINS, ASSOCIATION_ADMIN, DIRECTORS, PARENT, SECRETARY, STAFF_EDITING_STUDENTS,
                    STUDENT, TEACHERS, check_own_or_staff, requires, school_scoped, user_roles)
from ..schemas import AccountIn, AccountOut, AccountQuery, BlockIn, GuardianshipIn, GuardianshipOut
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
