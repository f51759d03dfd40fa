"""identity: the nameko entrypoints. Each loads its arguments, checks the caller, applies the
rule from ``domain``, stores, and records events in the outbox (same transaction)."""
import secrets
from datetime import date, datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from eventlet import tpool
from sqlalchemy import func, select, update

from services.common import config
from services.common.context import SYSTEM_CONTEXT
from services.common.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from services.common.handlers import idempotent, subscribe
from services.common.models import utcnow
from services.common.service import PlatformService, typed_rpc
from services.common.validation import load

from . import domain
from .models import Account, Guardianship, LoginAttempt, LoginSession, School, StudentNote
from .schemas import (AccountIn, AccountOut, BlockIn, GuardianshipIn, LoginIn, NoteOut,
                      SchoolIn, SchoolOut)

# argon2id, argon2-cffi defaults: t=3, m=64 MiB, p=4 (above OWASP's minimum of t=2, m=19 MiB, p=1).
hasher = PasswordHasher()

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


class IdentityService(PlatformService):
    name = "identity"

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
        self.db.session.add(LoginAttempt(login=login[:80], account_id=account.id if account else None,
                                         school_id=account.school_id if account else None,
                                         success=success, reason=reason, ip=ip))

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
            wait = min(60, 2 ** (account.failed_logins - domain.THROTTLE_AFTER))
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
        idle = timedelta(minutes=int(config.get("DZIENNIK_SESSION_IDLE_MINUTES")))
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
        return {"student": _account_out.dump(student), "notes": _note_out.dump(notes, many=True)}

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


_DUMMY_HASH = hasher.hash("not-a-real-password-just-for-timing")
