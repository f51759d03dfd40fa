"""identity's rules, free of any framework: roles, who may create whom, the password policy,
login throttling. Unit tests exercise these in milliseconds (tests/unit/test_identity_domain.py)."""
import hashlib
import os
import re
import unicodedata

ASSOCIATION_ADMIN = "association_admin"
SCHOOL_ADMIN = "school_admin"
DEPUTY_ADMIN = "deputy_admin"
DIRECTOR = "director"
VICE_DIRECTOR = "vice_director"
TEACHER = "teacher"
CLASS_TEACHER = "class_teacher"
SECRETARY = "secretary"
PARENT = "parent"
STUDENT = "student"
INSPECTOR = "inspector"

SCHOOL_ROLES = (SCHOOL_ADMIN, DEPUTY_ADMIN, DIRECTOR, VICE_DIRECTOR, TEACHER, CLASS_TEACHER,
                SECRETARY, PARENT, STUDENT, INSPECTOR)
ALL_ROLES = (ASSOCIATION_ADMIN,) + SCHOOL_ROLES

ROLE_LABELS_PL = {
    ASSOCIATION_ADMIN: "administrator stowarzyszenia",
    SCHOOL_ADMIN: "administrator szkoły",
    DEPUTY_ADMIN: "zastępca administratora",
    DIRECTOR: "dyrektor",
    VICE_DIRECTOR: "wicedyrektor",
    TEACHER: "nauczyciel",
    CLASS_TEACHER: "wychowawca",
    SECRETARY: "sekretariat",
    PARENT: "rodzic",
    STUDENT: "uczeń",
    INSPECTOR: "kontrola (tylko odczyt)",
}

ADMINS = (SCHOOL_ADMIN, DEPUTY_ADMIN)
STAFF_EDITING_STUDENTS = ADMINS + (DIRECTOR, VICE_DIRECTOR, SECRETARY)

# Failed logins: after THROTTLE_AFTER failures each further attempt must wait; at BLOCK_AFTER
# the account is blocked until an administrator unblocks it (ACC-7).
THROTTLE_AFTER = 5
BLOCK_AFTER = 10

MIN_PASSWORD = 8
MAX_PASSWORD = 128

_COMMON_FILE = os.path.join(os.path.dirname(__file__), "common_passwords.txt")
_common = None


def common_passwords():
    global _common
    if _common is None:
        with open(_COMMON_FILE, encoding="utf-8") as fh:
            _common = {line.strip().lower() for line in fh if line.strip() and not line.startswith("#")}
    return _common


def password_problems(password, *, login=None, names=()):
    """Problems with a new password (Polish messages), per OWASP ASVS 5.0 V6.2: length 8+,
    128 allowed, no composition rules, not a common password, not the login or a name."""
    problems = []
    if not isinstance(password, str):
        return ["Hasło musi być tekstem."]
    pw = unicodedata.normalize("NFKC", password)
    if len(pw) < MIN_PASSWORD:
        problems.append(f"Hasło musi mieć co najmniej {MIN_PASSWORD} znaków.")
    if len(pw) > MAX_PASSWORD:
        problems.append(f"Hasło może mieć najwyżej {MAX_PASSWORD} znaków.")
    low = pw.lower()
    if low in common_passwords():
        problems.append("To hasło jest zbyt popularne; wybierz inne.")
    for word in (login, *names):
        if word and len(word) >= 3 and low == word.lower():
            problems.append("Hasło nie może być loginem ani imieniem lub nazwiskiem.")
            break
    return problems


def can_create_role(creator_roles, new_roles):
    """Association admin creates school admins (and anyone); a school admin or deputy creates
    every school role except other admins' superiors; the secretary may add students and parents
    (ORG-6, ORG-8)."""
    creator = set(creator_roles)
    new = set(new_roles)
    if not new or not new <= set(ALL_ROLES):
        return False
    if ASSOCIATION_ADMIN in creator:
        return True
    if ASSOCIATION_ADMIN in new:
        return False
    if creator & set(ADMINS):
        return True
    if creator & {SECRETARY, DIRECTOR, VICE_DIRECTOR}:
        return new <= {STUDENT, PARENT}
    return False


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


LOGIN_RE = re.compile(r"^[a-z0-9._-]{3,80}$")


def make_login(first_name, last_name, taken):
    """A readable, unique login: ``jan.kowalski``, ``jan.kowalski2``... with Polish letters folded."""
    def fold(s):
        s = s.replace("ł", "l").replace("Ł", "L")
        s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z0-9]+", "", s.lower())
    base = f"{fold(first_name)}.{fold(last_name)}".strip(".") or "user"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    return candidate


# ---- activation codes (ACC-5, ACC-6)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: read from paper without mistakes
ACTIVATION_DAYS = 14


def new_activation_code(randbelow):
    """A 12-character code (60 bits) in three groups: ``K7Q9-M2XP-4TAB``."""
    raw = "".join(CODE_ALPHABET[randbelow(len(CODE_ALPHABET))] for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code):
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


# ---- grants (ACC-4): the roles an administrator grants and revokes
GRANTABLE = (SCHOOL_ADMIN, DEPUTY_ADMIN, DIRECTOR, VICE_DIRECTOR, TEACHER, CLASS_TEACHER, SECRETARY)


def can_grant(granter_roles, role):
    granter = set(granter_roles)
    if role not in GRANTABLE and role != ASSOCIATION_ADMIN:
        return False
    if ASSOCIATION_ADMIN in granter:
        return True
    return bool(granter & set(ADMINS)) and role in GRANTABLE


# ---- login statistics (ACC-8): whose statistics a role may see
def login_stats_scope(roles):
    """'all', 'students' (teachers), 'own_class' (class teacher only) or None."""
    roles = set(roles)
    if roles & {ASSOCIATION_ADMIN, SCHOOL_ADMIN, DEPUTY_ADMIN, DIRECTOR, VICE_DIRECTOR}:
        return "all"
    if TEACHER in roles:
        return "students"
    if CLASS_TEACHER in roles:
        return "own_class"
    return None


# ---- personal data completeness (ORG-9)
REQUIRED_PROFILE_FIELDS = ("birth_date", "birth_place", "pesel", "address")
PROFILE_LABELS_PL = {"birth_date": "data urodzenia", "birth_place": "miejsce urodzenia",
                     "pesel": "PESEL", "address": "adres zamieszkania", "phone": "telefon",
                     "guardian": "rodzic/opiekun prawny"}


def pesel_valid(pesel):
    """The PESEL checksum (weights 1-3-7-9)."""
    if not pesel or len(pesel) != 11 or not pesel.isdigit():
        return False
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    total = sum(int(d) * w for d, w in zip(pesel[:10], weights))
    return (10 - total % 10) % 10 == int(pesel[10])


def missing_profile_fields(profile, has_guardian):
    missing = [f for f in REQUIRED_PROFILE_FIELDS if not (profile or {}).get(f)]
    if not has_guardian:
        missing.append("guardian")
    return missing
