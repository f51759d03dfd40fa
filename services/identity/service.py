"""identity: the nameko entrypoints. Each loads its arguments, checks the caller, applies the
rule from ``domain``, stores, and records events in the outbox (same transaction)."""
import base64
import secrets
import uuid
from datetime import date, datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from eventlet import tpool
from sqlalchemy import func, select, update

from services.common import config
from services.common.context import SYSTEM_CONTEXT
from services.common.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from services.common.handlers import idempotent, subscribe, subscribe_all
from services.common.rpc import ServiceRpc
from services.common.models import utcnow
from services.common.service import PlatformService, typed_rpc
from services.common.validation import load

from . import domain, printouts
from .export import ArchiveExport
from .models import (Account, ActivationCode, AuditEntry, Guardianship, LoginAttempt, LoginSession,
                     School, StudentNote, StudentProfile)
from .schemas import (AccessListIn, AccountOut, AccountIn, ActivationIn, AuditQuery, BlockIn,
                      GuardianshipIn, IncidentIn, IssueCodesIn, LoginIn, LoginStatsQuery, NoteOut, RefusalIn,
                      PasswordChangeIn, ProfileIn, ProfileOut, RoleIn, SchoolIn, SchoolOut)


def make_hasher():
    """argon2id with the parameters of DZIENNIK_ARGON2_* (default: OWASP's recommended minimum,
    t=2, m=19 MiB, p=1: about 45 ms of one core per login, so the 8:00 rush of a large school
    fits in two cores; argon2-cffi's own default t=3, m=64 MiB, p=4 costs six times as much,
    see docs/performance.md). Stored hashes made with other parameters still verify and are
    re-hashed with the current ones at the next successful login."""
    return PasswordHasher(time_cost=int(config.get("DZIENNIK_ARGON2_TIME_COST")),
                          memory_cost=int(config.get("DZIENNIK_ARGON2_MEMORY_KIB")),
                          parallelism=int(config.get("DZIENNIK_ARGON2_PARALLELISM")))


hasher = make_hasher()

BAD_CREDENTIALS = "Nieprawidłowy login lub hasło."
BLOCKED = "Konto jest zablokowane ({reason}). Skontaktuj się z administratorem szkoły."
EXPIRED = "Konto wygasło. Skontaktuj się z administratorem szkoły."
SESSION_ENDED = "Sesja wygasła lub została zakończona. Zaloguj się ponownie."
THROTTLED = "Zbyt wiele nieudanych prób logowania. Spróbuj ponownie za {seconds} s."

_account_out = AccountOut()
_school_out = SchoolOut()
_note_out = NoteOut()


def _aware(dt):
    return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=timezone.utc)


class IdentityService(ArchiveExport, PlatformService):
    name = "identity"
    scheduling = ServiceRpc("scheduling")

    # ---------------------------------------------------------------- schools (TEN-1, TEN-2)

    @typed_rpc
    def create_school(self, data):
        """Create a school of the association and return it (TEN-2; association administrator)."""
        self.caller.require_role(domain.ASSOCIATION_ADMIN)
        data = load(SchoolIn, data)
        with self.db.unit_of_work() as s:
            if s.scalar(select(School.id).where(School.short_name == data["short_name"])):
                raise Conflict("Szkoła o tym skrócie już istnieje.", {"short_name": ["Zajęty."]})
            school = School(**data, created_by=self.caller.user_id)
            s.add(school)
        return _school_out.dump(school)

    @typed_rpc
    def list_schools(self):
        """Schools the caller may see: all for the association administrator, else the own one."""
        self.caller.require_authenticated()
        query = select(School).order_by(School.name)
        if not (self.caller.is_association_admin or self.caller.is_system):
            query = query.where(School.id == self.caller.school_id)
        return _school_out.dump(self.db.session.scalars(query).all(), many=True)

    @typed_rpc
    def get_school(self, school_id):
        """One school, if it is the caller's (or the caller is the association administrator)."""
        self.caller.require_school(school_id)
        school = self.db.session.get(School, school_id)
        if school is None:
            raise NotFound("Nie znaleziono szkoły.")
        return _school_out.dump(school)

    # ---------------------------------------------------------------- accounts (ACC-1, ACC-2)

    @typed_rpc(sensitive_arguments=("data.password",))
    def create_account(self, data):
        """Create an account with roles in a school (ACC-1, ACC-2); the login is generated when not given."""
        data = load(AccountIn, data)
        caller = self.caller
        caller.require_authenticated()
        roles = sorted(set(data["roles"]))
        school_id = data["school_id"]
        if domain.ASSOCIATION_ADMIN in roles:
            if school_id is not None:
                raise Invalid("Administrator stowarzyszenia nie należy do szkoły.", {"school_id": ["Musi być puste."]})
        else:
            if school_id is None:
                school_id = caller.school_id
            if school_id is None:
                raise Invalid("Podaj szkołę.", {"school_id": ["Wymagane."]})
            caller.require_school(school_id)
        if not domain.can_create_role(caller.roles if not caller.is_system else [domain.ASSOCIATION_ADMIN], roles):
            raise Forbidden("Nie możesz zakładać kont z tą rolą.")
        s = self.db.session
        if school_id and s.get(School, school_id) is None:
            raise NotFound("Nie znaleziono szkoły.")
        login = data["login"]
        if login is None:
            prefix = domain.make_login(data["first_name"], data["last_name"], set())
            taken = set(s.scalars(select(Account.login).where(Account.login.like(prefix + "%"))))
            login = domain.make_login(data["first_name"], data["last_name"], taken)
        elif s.scalar(select(Account.id).where(Account.login == login)):
            raise Conflict("Ten login jest już zajęty.", {"login": ["Zajęty."]})
        password_hash = None
        if data["password"] is not None:
            problems = domain.password_problems(data["password"], login=login,
                                                names=(data["first_name"], data["last_name"]))
            if problems:
                raise Invalid(" ".join(problems), {"password": problems})
            password_hash = tpool.execute(hasher.hash, data["password"])
        if domain.INSPECTOR in roles and data["expires_on"] is None:
            raise Invalid("Konto kontrolne musi mieć datę wygaśnięcia.", {"expires_on": ["Wymagane."]})
        with self.db.unit_of_work():
            account = Account(school_id=school_id, login=login, first_name=data["first_name"],
                              last_name=data["last_name"], email=data["email"], roles=roles,
                              password_hash=password_hash, expires_on=data["expires_on"],
                              created_by=caller.user_id)
            s.add(account)
            s.flush()
            self.outbox.add("identity.account_created",
                            {"user_id": account.id, "login": login, "roles": roles}, school_id=school_id)
        return _account_out.dump(account)

    def _account(self, user_id):
        account = self.db.session.get(Account, user_id) if isinstance(user_id, str) else None
        if account is None:
            raise NotFound("Nie znaleziono konta.")
        self.caller.require_school(account.school_id)
        return account

    @typed_rpc
    def get_account(self, user_id):
        """One account of the caller's school; parents see only their children, others only themselves."""
        account = self._account(user_id)
        if self.caller.user_id != account.id and not self.caller.has_role(
                *domain.ADMINS, domain.DIRECTOR, domain.VICE_DIRECTOR, domain.SECRETARY,
                domain.TEACHER, domain.CLASS_TEACHER, domain.INSPECTOR) \
                and not self.caller.is_association_admin:
            if not self._is_guardian(self.caller.user_id, account.id):
                raise NotFound("Nie znaleziono konta.")
        return _account_out.dump(account)

    @typed_rpc
    def list_accounts(self, school_id, role=None):
        """Accounts of a school, optionally of one role (staff of that school)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ADMINS, domain.DIRECTOR, domain.VICE_DIRECTOR,
                                 domain.SECRETARY, domain.TEACHER, domain.CLASS_TEACHER)
        query = select(Account).where(Account.school_id == school_id).order_by(Account.last_name, Account.first_name)
        rows = self.db.session.scalars(query).all()
        if role:
            rows = [a for a in rows if role in (a.roles or [])]
        return _account_out.dump(rows, many=True)

    # ---------------------------------------------------------------- guardians (ACC-9)

    @typed_rpc
    def link_guardian(self, school_id, data):
        """Make a parent account the guardian of a student account (ACC-9)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.STAFF_EDITING_STUDENTS)
        data = load(GuardianshipIn, data)
        with self.db.unit_of_work() as s:
            parent, student = self._account(data["parent_id"]), self._account(data["student_id"])
            if parent.school_id != school_id or student.school_id != school_id:
                raise NotFound("Nie znaleziono konta.")
            if domain.PARENT not in parent.roles or domain.STUDENT not in student.roles:
                raise Invalid("Opiekunem może być konto rodzica, a podopiecznym konto ucznia.")
            existing = s.scalar(select(Guardianship).where(Guardianship.parent_id == parent.id,
                                                           Guardianship.student_id == student.id))
            if existing is None:
                s.add(Guardianship(school_id=school_id, parent_id=parent.id, student_id=student.id))
        return {"parent_id": parent.id, "student_id": student.id}

    def _is_guardian(self, parent_id, student_id):
        return self.db.session.scalar(select(Guardianship.id).where(
            Guardianship.parent_id == parent_id, Guardianship.student_id == student_id)) is not None

    @typed_rpc
    def guardians_of(self, student_id):
        """Parents of a student (used by messaging to address notes)."""
        student = self._account(student_id)
        rows = self.db.session.scalars(select(Account).join(
            Guardianship, Guardianship.parent_id == Account.id).where(
            Guardianship.student_id == student.id)).all()
        return _account_out.dump(rows, many=True)

    @typed_rpc
    def children_of(self, parent_id):
        """The students a parent is guardian of."""
        parent = self._account(parent_id)
        if self.caller.user_id != parent.id and not self.caller.has_role(*domain.STAFF_EDITING_STUDENTS):
            raise NotFound("Nie znaleziono konta.")
        rows = self.db.session.scalars(select(Account).join(
            Guardianship, Guardianship.student_id == Account.id).where(
            Guardianship.parent_id == parent.id)).all()
        return _account_out.dump(rows, many=True)

    # ---------------------------------------------------------------- login and sessions (ACC-7, ACC-13)

    def _record_attempt(self, login, account, success, reason, ip):
        school_id = account.school_id if account else None
        self.db.session.add(LoginAttempt(login=login[:80], account_id=account.id if account else None,
                                         school_id=school_id, success=success, reason=reason, ip=ip))
        self.db.session.add(AuditEntry(school_id=school_id, actor_id=account.id if account else None,
                                       actor_roles=list(account.roles) if account else [], ip=ip,
                                       action="login.success" if success else "login.failed",
                                       subject_id=account.id if account else None,
                                       details={"login": login[:80], "reason": reason}))

    @typed_rpc(sensitive_arguments=("data.password",))
    def login(self, data):
        """Check credentials and open a session (ACC-7): throttles, then blocks after repeated failures."""
        data = load(LoginIn, data)
        login, ip = data["login"].strip().lower(), data["ip"]
        s = self.db.session
        account = s.scalar(select(Account).where(Account.login == login))
        now = utcnow()
        if account is None or not account.password_hash:
            # Spend the same time as a real check, so timing does not reveal which logins exist.
            try:
                tpool.execute(hasher.verify, _DUMMY_HASH, data["password"])
            except VerificationError:
                pass
            with self.db.unit_of_work():
                self._record_attempt(login, account, False, "unknown_login" if account is None else "not_activated", ip)
            raise Unauthenticated(BAD_CREDENTIALS)
        if account.failed_logins >= domain.THROTTLE_AFTER and account.last_failed_at and not account.blocked:
            wait = min(60.0, float(config.get("DZIENNIK_LOGIN_THROTTLE_SECONDS"))
                       * 2 ** (account.failed_logins - domain.THROTTLE_AFTER))
            remaining = (_aware(account.last_failed_at) + timedelta(seconds=wait) - now).total_seconds()
            if remaining > 0:
                with self.db.unit_of_work():
                    self._record_attempt(login, account, False, "throttled", ip)
                raise Unauthenticated(THROTTLED.format(seconds=int(remaining) + 1))
        try:
            tpool.execute(hasher.verify, account.password_hash, data["password"])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            with self.db.unit_of_work():
                account.failed_logins += 1
                account.last_failed_at = now
                self._record_attempt(login, account, False, "bad_password", ip)
                self.outbox.add("identity.login_failed", {"login": login, "user_id": account.id,
                                                          "reason": "bad_password"},
                                school_id=account.school_id)
                if account.failed_logins >= domain.BLOCK_AFTER and not account.blocked:
                    self._block(account, "zbyt wiele nieudanych prób logowania")
            raise Unauthenticated(BAD_CREDENTIALS)
        if account.blocked:
            with self.db.unit_of_work():
                self._record_attempt(login, account, False, "blocked", ip)
            raise Unauthenticated(BLOCKED.format(reason=account.blocked_reason or "zablokowane"))
        if account.expires_on and account.expires_on < date.today():
            with self.db.unit_of_work():
                self._record_attempt(login, account, False, "expired", ip)
            raise Unauthenticated(EXPIRED)
        token = secrets.token_urlsafe(32)
        with self.db.unit_of_work():
            if hasher.check_needs_rehash(account.password_hash):
                account.password_hash = tpool.execute(hasher.hash, data["password"])
            account.failed_logins = 0
            account.last_failed_at = None
            session = LoginSession(token_hash=domain.token_hash(token), account_id=account.id,
                                   school_id=account.school_id, ip=ip,
                                   user_agent=(data["user_agent"] or "")[:300] or None)
            s.add(session)
            self._record_attempt(login, account, True, None, ip)
        return {"token": token, "session_id": session.id, "user": self._session_user(account)}

    def _session_user(self, account):
        user = _account_out.dump(account)
        user["monitoring_notice_required"] = account.monitoring_notice_at is None
        if domain.PARENT in account.roles:
            user["children"] = list(self.db.session.scalars(select(Guardianship.student_id).where(
                Guardianship.parent_id == account.id)))
        else:
            user["children"] = []
        return user

    @typed_rpc(sensitive_arguments=("token",))
    def resolve_session(self, token):
        """The user behind a session token, or ``Unauthenticated``. Ends idle sessions (ACC-13)."""
        if not isinstance(token, str) or not token:
            raise Unauthenticated(SESSION_ENDED)
        s = self.db.session
        session = s.scalar(select(LoginSession).where(LoginSession.token_hash == domain.token_hash(token)))
        if session is None or session.ended_at is not None:
            raise Unauthenticated(SESSION_ENDED)
        now = utcnow()
        idle = timedelta(minutes=float(config.get("DZIENNIK_SESSION_IDLE_MINUTES")))
        account = s.get(Account, session.account_id)
        if _aware(session.last_seen_at) + idle < now or account is None or account.blocked:
            with self.db.unit_of_work():
                session.ended_at, session.ended_reason = now, "idle" if account and not account.blocked else "blocked"
            raise Unauthenticated(SESSION_ENDED)
        if (now - _aware(session.last_seen_at)).total_seconds() > 30:
            with self.db.unit_of_work():
                session.last_seen_at = now
        return {"session_id": session.id, "user": self._session_user(account)}

    @typed_rpc(sensitive_arguments=("token",))
    def logout(self, token):
        """End the session of a token."""
        s = self.db.session
        session = s.scalar(select(LoginSession).where(LoginSession.token_hash == domain.token_hash(token or "")))
        if session is not None and session.ended_at is None:
            with self.db.unit_of_work():
                session.ended_at, session.ended_reason = utcnow(), "logout"
        return {"ok": True}

    @typed_rpc
    def logout_all(self):
        """End every session of the caller (ACC-13)."""
        self.caller.require_authenticated()
        with self.db.unit_of_work():
            n = self._end_sessions(self.caller.user_id, "logout_all")
        return {"ended": n}

    def _end_sessions(self, account_id, reason, keep_session_id=None):
        query = update(LoginSession).where(LoginSession.account_id == account_id,
                                           LoginSession.ended_at.is_(None))
        if keep_session_id:
            query = query.where(LoginSession.id != keep_session_id)
        return self.db.session.execute(query.values(ended_at=utcnow(), ended_reason=reason)).rowcount

    # ---------------------------------------------------------------- blocking (ACC-7, ORG-7)

    def _block(self, account, reason):
        account.blocked, account.blocked_reason, account.blocked_at = True, reason, utcnow()
        self._end_sessions(account.id, "blocked")
        self.outbox.add("identity.account_blocked", {"user_id": account.id, "reason": reason},
                        school_id=account.school_id)

    @typed_rpc
    def block_account(self, user_id, data):
        """Block an account with a reason and end its sessions at once (ACC-7; administrators)."""
        self.caller.require_role(*domain.ADMINS)
        data = load(BlockIn, data)
        with self.db.unit_of_work():
            account = self._account(user_id)
            if not account.blocked:
                self._block(account, data["reason"])
        return _account_out.dump(account)

    @typed_rpc
    def unblock_account(self, user_id):
        """Unblock an account and reset its failed-login counter (ACC-7; administrators)."""
        self.caller.require_role(*domain.ADMINS)
        with self.db.unit_of_work():
            account = self._account(user_id)
            if account.blocked:
                account.blocked, account.blocked_reason, account.blocked_at = False, None, None
                account.failed_logins, account.last_failed_at = 0, None
                self.outbox.add("identity.account_unblocked", {"user_id": account.id},
                                school_id=account.school_id)
        return _account_out.dump(account)

    @typed_rpc
    def list_blocked_accounts(self, school_id):
        """Blocked accounts of a school, newest first (ACC-7; administrators)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ADMINS)
        rows = self.db.session.scalars(select(Account).where(
            Account.school_id == school_id, Account.blocked.is_(True)).order_by(Account.blocked_at.desc())).all()
        return _account_out.dump(rows, many=True)

    # ---------------------------------------------------------------- student file (ORG-8, MSG-3)

    @typed_rpc
    def get_student_file(self, student_id):
        """The student file (kartoteka): the student and the notes filed from messaging (ORG-8, MSG-3)."""
        student = self._account(student_id)
        if domain.STUDENT not in student.roles:
            raise NotFound("Nie znaleziono ucznia.")
        c = self.caller
        if not (c.is_system or c.is_association_admin or c.has_role(
                *domain.ADMINS, domain.DIRECTOR, domain.VICE_DIRECTOR, domain.SECRETARY,
                domain.TEACHER, domain.CLASS_TEACHER, domain.INSPECTOR)):
            if not (c.user_id == student.id or self._is_guardian(c.user_id, student.id)):
                raise NotFound("Nie znaleziono ucznia.")
        notes = self.db.session.scalars(select(StudentNote).where(
            StudentNote.student_id == student.id).order_by(StudentNote.issued_at.desc())).all()
        profile = self.db.session.get(StudentProfile, student.id)
        return {"student": _account_out.dump(student), "notes": _note_out.dump(notes, many=True),
                "profile": ProfileOut().dump(profile) if profile else None}

    # ---------------------------------------------------------------- events

    @subscribe("scheduling.student_removed")
    @idempotent
    def on_student_removed(self, event):
        """ORG-7: a student struck off the class list can no longer log in."""
        account = self.db.session.get(Account, event["payload"]["student_id"])
        if account is None or account.school_id != event["school_id"]:
            self.log.warning("student_removed for unknown student %s", event["payload"]["student_id"])
            return
        if not account.blocked:
            self._block(account, "skreślony z listy uczniów")

    @subscribe("messaging.note_issued")
    @idempotent
    def on_note_issued(self, event):
        """MSG-3: a note (UWAGA) sent in messaging is written to the student's file."""
        p = event["payload"]
        s = self.db.session
        student = s.get(Account, p["student_id"])
        if student is None or student.school_id != event["school_id"]:
            self.log.warning("note_issued for unknown student %s", p["student_id"])
            return
        if s.scalar(select(StudentNote.id).where(StudentNote.source_message_id == p["message_id"])):
            return
        note = StudentNote(school_id=student.school_id, student_id=student.id,
                           source_message_id=p["message_id"], author_id=p["author_id"],
                           author_name=p["author_name"], kind=p["kind"], category=p["category"],
                           subject=p["subject"], body=p["body"], issued_at=p["issued_at"])
        s.add(note)
        s.flush()
        self.outbox.add("identity.note_recorded", {"note_id": note.id, "student_id": student.id},
                        school_id=student.school_id, caller=SYSTEM_CONTEXT)


    # ---------------------------------------------------------------- activation (ACC-5, ACC-6)

    def _accounts_for_codes(self, school_id, data):
        s = self.db.session
        ids = list(dict.fromkeys(data["account_ids"]))
        context = {}
        if data["class_id"]:
            klass = self.scheduling.get_class(data["class_id"])   # NotFound across schools
            if klass["school_id"] != school_id:
                raise NotFound("Nie znaleziono klasy.")
            student_ids = [e["student_id"] for e in self.scheduling.class_list(klass["id"])]
            roles = set(data["roles"] or [domain.STUDENT, domain.PARENT])
            if domain.STUDENT in roles:
                ids += student_ids
                context.update({sid: f"klasa {klass['name']}" for sid in student_ids})
            if domain.PARENT in roles and student_ids:
                for g in s.scalars(select(Guardianship).where(Guardianship.student_id.in_(student_ids))):
                    ids.append(g.parent_id)
                    context[g.parent_id] = f"klasa {klass['name']}"
        elif data["roles"]:
            for acc in s.scalars(select(Account).where(Account.school_id == school_id)):
                if set(acc.roles) & set(data["roles"]):
                    ids.append(acc.id)
        ids = list(dict.fromkeys(ids))
        if not ids:
            raise Invalid("Nie wskazano żadnych kont.", {"account_ids": ["Pusta lista."]})
        accounts = s.scalars(select(Account).where(Account.id.in_(ids))).all()
        if len(accounts) != len(ids) or any(a.school_id != school_id for a in accounts):
            raise NotFound("Nie znaleziono konta.")
        order = {aid: i for i, aid in enumerate(ids)}
        return sorted(accounts, key=lambda a: order[a.id]), context

    @typed_rpc
    def issue_activation_codes(self, school_id, data):
        """Issue one-time activation codes in bulk (ACC-5) or for one account that lost its password
        (ACC-6); returns the slips as a PDF (base64). Codes are stored hashed and shown only there."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ADMINS)
        data = load(IssueCodesIn, data)
        school = self.db.session.get(School, school_id)
        if school is None:
            raise NotFound("Nie znaleziono szkoły.")
        accounts, context = self._accounts_for_codes(school_id, data)
        now = utcnow()
        expires = now + timedelta(days=data["valid_days"])
        batch_id = str(uuid.uuid4())
        slips = []
        with self.db.unit_of_work() as s:
            s.execute(update(ActivationCode).where(
                ActivationCode.account_id.in_([a.id for a in accounts]), ActivationCode.used_at.is_(None),
                ActivationCode.revoked_at.is_(None)).values(revoked_at=now))
            for acc in accounts:
                code = domain.new_activation_code(secrets.randbelow)
                s.add(ActivationCode(school_id=school_id, account_id=acc.id, batch_id=batch_id,
                                     code_hash=domain.token_hash(domain.normalise_code(code)),
                                     expires_at=expires, created_by=self.caller.user_id))
                slips.append({"name": f"{acc.first_name} {acc.last_name}", "login": acc.login, "code": code,
                              "role": ", ".join(domain.ROLE_LABELS_PL.get(r, r) for r in acc.roles),
                              "context": context.get(acc.id), "expires": expires.strftime("%Y-%m-%d")})
            self.outbox.add("identity.activation_codes_issued",
                            {"batch_id": batch_id, "account_ids": [a.id for a in accounts]}, school_id=school_id)
        pdf = printouts.activation_slips(school.name, slips, data["activation_url"])
        return {"batch_id": batch_id, "count": len(slips), "expires_at": expires.isoformat(),
                "pdf_base64": base64.b64encode(pdf).decode()}

    @typed_rpc(sensitive_arguments=("data.password", "data.code"))
    def redeem_activation_code(self, data):
        """Activate an account: a valid, unused, unexpired code for this login sets the password
        the user chooses (ACC-5, ACC-6). Every other session of the account ends."""
        data = load(ActivationIn, data)
        refused = "Kod aktywacyjny jest nieprawidłowy, został już użyty lub wygasł."
        s = self.db.session
        account = s.scalar(select(Account).where(Account.login == data["login"].strip().lower()))
        code = s.scalar(select(ActivationCode).where(
            ActivationCode.code_hash == domain.token_hash(domain.normalise_code(data["code"]))))
        now = utcnow()
        if account is None or code is None or code.account_id != account.id or code.used_at \
                or code.revoked_at or _aware(code.expires_at) < now:
            with self.db.unit_of_work():
                s.add(AuditEntry(school_id=account.school_id if account else None,
                                 actor_id=account.id if account else None, action="activation.refused",
                                 subject_id=account.id if account else None,
                                 details={"login": data["login"][:80]}, ip=self.caller.ip))
            raise Unauthenticated(refused)
        problems = domain.password_problems(data["password"], login=account.login,
                                            names=(account.first_name, account.last_name))
        if problems:
            raise Invalid(" ".join(problems), {"password": problems})
        password_hash = tpool.execute(hasher.hash, data["password"])
        with self.db.unit_of_work():
            code.used_at = now
            account.password_hash, account.password_changed_at = password_hash, now
            account.failed_logins, account.last_failed_at = 0, None
            self._end_sessions(account.id, "activation")
            self.outbox.add("identity.account_activated", {"user_id": account.id}, school_id=account.school_id)
        return {"ok": True, "login": account.login}

    @typed_rpc(sensitive_arguments=("data.current_password", "data.new_password"))
    def change_password(self, data, session_id=None):
        """Change the caller's password; every other session of the account ends at once (ACC-13)."""
        self.caller.require_authenticated()
        data = load(PasswordChangeIn, data)
        account = self._account(self.caller.user_id)
        try:
            tpool.execute(hasher.verify, account.password_hash or _DUMMY_HASH, data["current_password"])
        except (VerificationError, InvalidHashError):
            raise Invalid("Obecne hasło jest nieprawidłowe.", {"current_password": ["Nieprawidłowe hasło."]})
        problems = domain.password_problems(data["new_password"], login=account.login,
                                            names=(account.first_name, account.last_name))
        if problems:
            raise Invalid(" ".join(problems), {"new_password": problems})
        new_hash = tpool.execute(hasher.hash, data["new_password"])
        with self.db.unit_of_work():
            account.password_hash, account.password_changed_at = new_hash, utcnow()
            ended = self._end_sessions(account.id, "password_changed", keep_session_id=session_id)
            self.outbox.add("identity.password_changed", {"user_id": account.id, "sessions_ended": ended},
                            school_id=account.school_id)
        return {"ok": True, "sessions_ended": ended}

    @typed_rpc
    def acknowledge_monitoring_notice(self):
        """Record that the user has read that actions in the register are monitored and archived (ACC-11)."""
        self.caller.require_authenticated()
        account = self._account(self.caller.user_id)
        with self.db.unit_of_work():
            if account.monitoring_notice_at is None:
                account.monitoring_notice_at = utcnow()
        return {"ok": True}

    @typed_rpc
    def access_confirmation_list(self, school_id, data):
        """Annexes 1-3 of the procedure: per class (parents, students) or school (teachers) lists
        with a date-and-signature column and no codes (ACC-5, ARC-4); a PDF as base64."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ADMINS, domain.DIRECTOR, domain.VICE_DIRECTOR)
        data = load(AccessListIn, data)
        s = self.db.session
        school = s.get(School, school_id)
        if school is None:
            raise NotFound("Nie znaleziono szkoły.")
        class_name, rows = None, []
        if data["kind"] == "teachers":
            teachers = [a for a in s.scalars(select(Account).where(Account.school_id == school_id)
                                             .order_by(Account.last_name, Account.first_name))
                        if {domain.TEACHER, domain.CLASS_TEACHER} & set(a.roles)]
            rows = [{"name": f"{a.first_name} {a.last_name}"} for a in teachers]
        else:
            if not data["class_id"]:
                raise Invalid("Podaj klasę.", {"class_id": ["Wymagane."]})
            klass = self.scheduling.get_class(data["class_id"])
            if klass["school_id"] != school_id:
                raise NotFound("Nie znaleziono klasy.")
            class_name = klass["name"]
            ids = [e["student_id"] for e in self.scheduling.class_list(klass["id"])]
            students = {a.id: a for a in s.scalars(select(Account).where(Account.id.in_(ids)))}
            ordered = sorted(students.values(), key=lambda a: (a.last_name, a.first_name))
            if data["kind"] == "students":
                rows = [{"name": f"{a.first_name} {a.last_name}"} for a in ordered]
            else:
                for st in ordered:
                    parents = s.scalars(select(Account).join(Guardianship, Guardianship.parent_id == Account.id)
                                        .where(Guardianship.student_id == st.id)).all()
                    for p in parents or [None]:
                        rows.append({"student": f"{st.first_name} {st.last_name}",
                                     "parent": f"{p.first_name} {p.last_name}" if p else ""})
        pdf = printouts.access_confirmation(data["kind"], school.name, class_name, data["school_year"], rows)
        return {"rows": len(rows), "pdf_base64": base64.b64encode(pdf).decode()}

    # ---------------------------------------------------------------- grants (ACC-4)

    @typed_rpc
    def grant_role(self, user_id, data):
        """Grant a role (director, teacher, administrator...) to an account of the school (ACC-4); audited."""
        self.caller.require_role(*domain.ADMINS)
        role = load(RoleIn, data)["role"]
        account = self._account(user_id)
        if not domain.can_grant(self.caller.roles, role):
            raise Forbidden("Nie możesz nadać tej roli.")
        if {domain.PARENT, domain.STUDENT} & set(account.roles):
            raise Invalid("Kontu rodzica lub ucznia nie nadaje się ról pracowników.", {"role": ["Niedozwolona."]})
        with self.db.unit_of_work():
            if role not in account.roles:
                account.roles = sorted(set(account.roles) | {role})
                self.outbox.add("identity.role_granted", {"user_id": account.id, "role": role},
                                school_id=account.school_id)
        return _account_out.dump(account)

    @typed_rpc
    def revoke_role(self, user_id, data):
        """Revoke a role of an account (ACC-4); it takes effect on the user's next request; audited."""
        self.caller.require_role(*domain.ADMINS)
        role = load(RoleIn, data)["role"]
        account = self._account(user_id)
        if not domain.can_grant(self.caller.roles, role):
            raise Forbidden("Nie możesz odebrać tej roli.")
        if account.id == self.caller.user_id and role in domain.ADMINS:
            raise Conflict("Nie można odebrać sobie uprawnień administratora.")
        with self.db.unit_of_work():
            if role in account.roles:
                if len(account.roles) == 1:
                    raise Conflict("Konto musi mieć co najmniej jedną rolę; zablokuj je zamiast tego.")
                account.roles = sorted(set(account.roles) - {role})
                self.outbox.add("identity.role_revoked", {"user_id": account.id, "role": role},
                                school_id=account.school_id)
        return _account_out.dump(account)

    # ---------------------------------------------------------------- login statistics (ACC-8)

    @typed_rpc
    def login_statistics(self, school_id, query=None):
        """Successful and failed logins per user and per day, within the caller's scope: administrator
        and director all users, teachers students, a class teacher the own class (ACC-8)."""
        self.caller.require_school(school_id)
        q = load(LoginStatsQuery, query or {})
        scope = "all" if self.caller.is_system else domain.login_stats_scope(self.caller.roles)
        if scope is None:
            raise Forbidden("Brak dostępu do statystyk logowań.")
        s = self.db.session
        accounts = {a.id: a for a in s.scalars(select(Account).where(Account.school_id == school_id))}
        allowed = set(accounts)
        if scope == "students":
            allowed = {i for i, a in accounts.items() if domain.STUDENT in a.roles}
        if scope == "own_class" or q["class_id"]:
            class_id = q["class_id"]
            if scope == "own_class":
                if not class_id:
                    raise Invalid("Wychowawca widzi statystyki własnej klasy: podaj klasę.", {"class_id": ["Wymagane."]})
                klass = self.scheduling.get_class(class_id)
                if klass["class_teacher_id"] != self.caller.user_id:
                    raise Forbidden("To nie jest Twoja klasa.")
            students = {e["student_id"] for e in self.scheduling.class_list(class_id)}
            parents = set(s.scalars(select(Guardianship.parent_id).where(Guardianship.student_id.in_(students))))
            allowed &= students | (parents if scope != "students" else set())
        if q["role"]:
            allowed = {i for i in allowed if q["role"] in accounts[i].roles}
        query = select(LoginAttempt.account_id, LoginAttempt.success, LoginAttempt.at).where(
            LoginAttempt.school_id == school_id)
        if q["date_from"]:
            query = query.where(LoginAttempt.at >= datetime.combine(q["date_from"], datetime.min.time(), timezone.utc))
        if q["date_to"]:
            query = query.where(LoginAttempt.at < datetime.combine(q["date_to"] + timedelta(days=1),
                                                                   datetime.min.time(), timezone.utc))
        per_user, per_day = {}, {}
        for account_id, success, at in s.execute(query):
            if account_id not in allowed:
                continue
            u = per_user.setdefault(account_id, {"success": 0, "failed": 0, "last_login": None})
            day = per_day.setdefault(_aware(at).date().isoformat(), {"success": 0, "failed": 0})
            key = "success" if success else "failed"
            u[key] += 1
            day[key] += 1
            if success and (u["last_login"] is None or _aware(at).isoformat() > u["last_login"]):
                u["last_login"] = _aware(at).isoformat()
        users = []
        for account_id in sorted(allowed, key=lambda i: (accounts[i].last_name, accounts[i].first_name)):
            a = accounts[account_id]
            stats = per_user.get(account_id, {"success": 0, "failed": 0, "last_login": None})
            users.append({"user_id": a.id, "name": f"{a.first_name} {a.last_name}", "login": a.login,
                          "roles": a.roles, **stats})
        return {"scope": scope, "users": users,
                "days": [{"date": d, **v} for d, v in sorted(per_day.items())]}

    # ---------------------------------------------------------------- audit log (ACC-11, LAW-2)

    @subscribe_all()
    @idempotent
    def on_any_event(self, event):
        """Every event of every service becomes an audit entry: who, when, what, from where."""
        payload = event["payload"]
        # An event about many students at once (a column of grades) is an entry per student, so
        # the log searched by a student shows each of them (one transaction for all).
        items = payload.get("grades") if event["name"] == "grades.column_added" else None
        if isinstance(items, list) and items:
            common = {k: v for k, v in payload.items() if k != "grades"}
            details = [{**common, **item} for item in items if isinstance(item, dict)]
        else:
            details = [payload]
        actor = event["actor"]
        # The audit log's event id is unique (an event is recorded once): the first entry carries
        # the event's id, the others an id derived from it and the grade (the same on a retry).
        self.db.session.add_all([AuditEntry(
            event_id=event["id"] if i == 0 else str(uuid.uuid5(uuid.UUID(event["id"]), str(d.get("grade_id", i)))),
            school_id=event["school_id"], actor_id=actor.get("user_id"),
            actor_roles=actor.get("roles") or [], ip=actor.get("ip"), action=event["name"],
            subject_id=_audit_subject(d), details=_jsonable(d), at=event["occurred_at"])
            for i, d in enumerate(details)])

    @typed_rpc
    def record_refusal(self, data):
        """A refused request of a logged-in user (403, or 404 for someone else's record), recorded
        by the gateway in the audit log with who, when, what and from where (ACC-11)."""
        c = self.caller
        c.require_authenticated()
        data = load(RefusalIn, data)
        with self.db.unit_of_work() as s:
            s.add(AuditEntry(school_id=c.school_id, actor_id=c.user_id, actor_roles=list(c.roles), ip=c.ip,
                             action=f"refused.{data['status']}", details=data))
        return {"ok": True}

    @typed_rpc
    def search_audit(self, school_id, query=None):
        """Search the audit log of a school by actor, subject, action and dates (ACC-11; administrators)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ADMINS)
        q = load(AuditQuery, query or {})
        stmt = select(AuditEntry).where(AuditEntry.school_id == school_id)
        for col, key in ((AuditEntry.actor_id, "actor_id"), (AuditEntry.subject_id, "subject_id")):
            if q[key]:
                stmt = stmt.where(col == q[key])
        if q["action"]:
            stmt = stmt.where(AuditEntry.action.like(q["action"].replace("%", "") + "%"))
        if q["date_from"]:
            stmt = stmt.where(AuditEntry.at >= datetime.combine(q["date_from"], datetime.min.time(), timezone.utc))
        if q["date_to"]:
            stmt = stmt.where(AuditEntry.at < datetime.combine(q["date_to"] + timedelta(days=1),
                                                               datetime.min.time(), timezone.utc))
        rows = self.db.session.scalars(stmt.order_by(AuditEntry.at.desc()).offset(q["offset"]).limit(q["limit"])).all()
        return [{"id": r.id, "at": _aware(r.at).isoformat(), "action": r.action, "actor_id": r.actor_id,
                 "actor_roles": r.actor_roles, "ip": r.ip, "subject_id": r.subject_id, "details": r.details}
                for r in rows]

    # ---------------------------------------------------------------- student personal data (ORG-8, ORG-9)

    def _can_edit_student(self, student):
        c = self.caller
        if c.is_system or c.is_association_admin or c.has_role(*domain.STAFF_EDITING_STUDENTS):
            return True
        if c.has_role(domain.CLASS_TEACHER, domain.TEACHER):
            enrolment = self.scheduling.student_class(student.id)
            if enrolment:
                return self.scheduling.get_class(enrolment["class_id"]).get("class_teacher_id") == c.user_id
        return False

    @typed_rpc
    def update_student_profile(self, student_id, data):
        """Personal data of a student (secretary, administrator, director, the class teacher; ORG-8)."""
        student = self._account(student_id)
        if domain.STUDENT not in student.roles:
            raise NotFound("Nie znaleziono ucznia.")
        if not self._can_edit_student(student):
            raise Forbidden("Nie możesz edytować danych tego ucznia.")
        data = load(ProfileIn, data)
        if data.get("pesel") and not domain.pesel_valid(data["pesel"]):
            raise Invalid("Niepoprawny numer PESEL (suma kontrolna).", {"pesel": ["Niepoprawna suma kontrolna."]})
        s = self.db.session
        with self.db.unit_of_work():
            profile = s.get(StudentProfile, student.id) or StudentProfile(account_id=student.id,
                                                                         school_id=student.school_id)
            changed = [k for k, v in data.items() if getattr(profile, k) != v]
            for k, v in data.items():
                setattr(profile, k, v)
            profile.updated_at, profile.updated_by = utcnow(), self.caller.user_id
            s.add(profile)
            if changed:
                self.outbox.add("identity.student_profile_updated",
                                {"student_id": student.id, "fields_changed": changed}, school_id=student.school_id)
        return ProfileOut().dump(profile)

    @typed_rpc
    def incomplete_profiles(self, school_id, student_ids=None):
        """Students lacking required personal data, with what is missing in Polish (ORG-9)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.STAFF_EDITING_STUDENTS, domain.TEACHER, domain.CLASS_TEACHER)
        s = self.db.session
        students = [a for a in s.scalars(select(Account).where(Account.school_id == school_id))
                    if domain.STUDENT in a.roles and (student_ids is None or a.id in student_ids)]
        profiles = {p.account_id: ProfileOut().dump(p) for p in s.scalars(
            select(StudentProfile).where(StudentProfile.school_id == school_id))}
        guarded = set(s.scalars(select(Guardianship.student_id).where(Guardianship.school_id == school_id)))
        out = []
        for a in sorted(students, key=lambda a: (a.last_name, a.first_name)):
            missing = domain.missing_profile_fields(profiles.get(a.id), a.id in guarded)
            if missing:
                out.append({"student_id": a.id, "name": f"{a.first_name} {a.last_name}", "missing": missing,
                            "missing_pl": [domain.PROFILE_LABELS_PL[m] for m in missing]})
        return out

    @typed_rpc
    def students_missing_data(self, school_id, student_ids):
        """The completeness hook of scheduling's report (ORG-9): ``incomplete_profiles`` for the
        listed students."""
        return self.incomplete_profiles(school_id, list(student_ids or []))

    # ---------------------------------------------------------------- the parent's data report (ACC-10)

    @typed_rpc
    def data_report(self, student_id, as_pdf=False):
        """What the register holds about a child and who may edit it: administrators, director(s)
        and the class teacher (ACC-10, procedure I.5). For the child's parents and the school's staff."""
        student = self._account(student_id)
        c = self.caller
        if domain.STUDENT not in student.roles:
            raise NotFound("Nie znaleziono ucznia.")
        if not (c.is_system or c.is_association_admin or c.has_role(*domain.ADMINS, domain.DIRECTOR)
                or self._is_guardian(c.user_id, student.id)):
            raise NotFound("Nie znaleziono ucznia.")
        s = self.db.session
        school = s.get(School, student.school_id)
        profile = s.get(StudentProfile, student.id)
        guardians = s.scalars(select(Account).join(Guardianship, Guardianship.parent_id == Account.id)
                              .where(Guardianship.student_id == student.id)).all()
        editors = []
        for a in s.scalars(select(Account).where(Account.school_id == student.school_id, Account.blocked.is_(False))):
            for role in (domain.SCHOOL_ADMIN, domain.DEPUTY_ADMIN, domain.DIRECTOR, domain.VICE_DIRECTOR):
                if role in a.roles:
                    editors.append({"name": f"{a.first_name} {a.last_name}", "login": a.login,
                                    "role": domain.ROLE_LABELS_PL[role]})
                    break
        enrolment = self.scheduling.student_class(student.id)
        if enrolment:
            klass = self.scheduling.get_class(enrolment["class_id"])
            teacher = s.get(Account, klass.get("class_teacher_id") or "")
            if teacher:
                editors.append({"name": f"{teacher.first_name} {teacher.last_name}", "login": teacher.login,
                                "role": f"wychowawca klasy {klass['name']}"})
        report = {"school": _school_out.dump(school), "student": _account_out.dump(student),
                  "profile": ProfileOut().dump(profile) if profile else {},
                  "guardians": [f"{g.first_name} {g.last_name}" for g in guardians], "editors": editors,
                  "generated_at": utcnow().isoformat()}
        if as_pdf:
            report["pdf_base64"] = base64.b64encode(printouts.data_report(report)).decode()
        return report

    # ---------------------------------------------------------------- security incidents (ACC-12)

    @typed_rpc
    def report_incident(self, data):
        """Record a security incident; the event escalates it to the association administrator (ACC-12)."""
        self.caller.require_authenticated()
        data = load(IncidentIn, data)
        incident_id = str(uuid.uuid4())
        with self.db.unit_of_work():
            self.outbox.add("identity.incident_reported", {"incident_id": incident_id, **data},
                            school_id=self.caller.school_id)
        return {"incident_id": incident_id}


def _audit_subject(payload):
    """Whom or what an audit entry is about: the first of these ids the payload names."""
    return next((payload[k] for k in ("student_id", "user_id", "grade_id", "message_id", "lesson_id")
                 if isinstance(payload.get(k), str)), None)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


_DUMMY_HASH = hasher.hash("not-a-real-password-just-for-timing")
