"""messaging's rules, free of any framework (procedure chapter III; MSG-1..6, OPS-1).

Who may write to whom, which announcements wait for the director, what an attachment may be,
how read receipts behave, when an outage notice is public, and the Polish texts of system
messages. The service only loads, checks with these functions, stores and emits; unit tests
exercise them in milliseconds (tests/unit/test_messaging_domain.py).
"""
import base64
import binascii
import os
import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SCHOOL_TZ = ZoneInfo("Europe/Warsaw")

# ---------------------------------------------------------------------------------- roles

SCHOOL_ADMIN, DEPUTY_ADMIN = "school_admin", "deputy_admin"
DIRECTOR, VICE_DIRECTOR = "director", "vice_director"
TEACHER, CLASS_TEACHER = "teacher", "class_teacher"
SECRETARY, PARENT, STUDENT, INSPECTOR = "secretary", "parent", "student", "inspector"

ADMINS = (SCHOOL_ADMIN, DEPUTY_ADMIN)
DIRECTORS = (DIRECTOR, VICE_DIRECTOR)
TEACHERS = (TEACHER, CLASS_TEACHER)
# Chapter II: "wiadomości, ogłoszenia" - yes for every staff role.
STAFF = ADMINS + DIRECTORS + TEACHERS + (SECRETARY,)
# III.10: a note (UWAGA) is written by teachers; the director and administrators may too.
NOTE_AUTHORS = TEACHERS + DIRECTORS + ADMINS
# Chapter II, parent 5: "w celu kontaktu z nauczycielami, dyrekcją oraz Administratorem".
PARENT_TARGETS = TEACHERS + DIRECTORS + ADMINS
# III.12: "muszą mieć akceptację Dyrektora szkoły" (the vice-director stands in).
APPROVERS = DIRECTORS
ANNOUNCERS = STAFF
# Those who see receipts of every message of the school (control, V.3).
RECEIPT_SUPERVISORS = DIRECTORS + ADMINS
SYSTEM_SENDER_ID = "system"
SYSTEM_SENDER_NAME = "System dziennika"


def is_staff(roles):
    return bool(set(roles) & set(STAFF))


# ---------------------------------------------------------------------------------- kinds and folders

KIND_MESSAGE, KIND_NOTE, KIND_SYSTEM, KIND_ERROR_REPORT = "message", "note", "system", "error_report"
KINDS = (KIND_MESSAGE, KIND_NOTE, KIND_SYSTEM, KIND_ERROR_REPORT)
FOLDERS = ("received", "sent", "announcements", "system")
FOLDER_KINDS = {"received": (KIND_MESSAGE, KIND_NOTE, KIND_ERROR_REPORT), "system": (KIND_SYSTEM,)}
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

NOTE_KINDS = ("positive", "negative", "neutral")
NOTE_KIND_LABELS = {"positive": "pozytywna", "negative": "negatywna", "neutral": "neutralna"}
# Suggested categories of notes (the field is free text up to 80 characters).
NOTE_CATEGORIES = ("zachowanie", "aktywność", "frekwencja", "przygotowanie do lekcji",
                   "kultura osobista", "pochwała", "bezpieczeństwo", "inne")
DEFAULT_NOTE_CATEGORY = "uwaga"

# ---------------------------------------------------------------------------------- recipient groups (MSG-1, III.11)

GROUP_CLASS_PARENTS = "class_parents"
GROUP_CLASS_STUDENTS = "class_students"
GROUP_ALL_PARENTS = "all_parents"
GROUP_ALL_TEACHERS = "all_teachers"
GROUP_ALL_STUDENTS = "all_students"
CLASS_GROUPS = (GROUP_CLASS_PARENTS, GROUP_CLASS_STUDENTS)
SCHOOL_GROUPS = {GROUP_ALL_PARENTS: (PARENT,), GROUP_ALL_TEACHERS: TEACHERS, GROUP_ALL_STUDENTS: (STUDENT,)}
GROUPS = CLASS_GROUPS + tuple(SCHOOL_GROUPS)
GROUP_LABELS = {
    GROUP_CLASS_PARENTS: "rodzice klasy {class_name}",
    GROUP_CLASS_STUDENTS: "uczniowie klasy {class_name}",
    GROUP_ALL_PARENTS: "wszyscy rodzice",
    GROUP_ALL_TEACHERS: "wszyscy nauczyciele",
    GROUP_ALL_STUDENTS: "wszyscy uczniowie",
}


def group_label(kind, class_name=None):
    return GROUP_LABELS[kind].format(class_name=class_name or "?")


def accounts_in_school_group(kind, accounts):
    """The accounts of a school-wide group among ``accounts`` (dicts with ``roles``)."""
    wanted = set(SCHOOL_GROUPS[kind])
    return [a for a in accounts if wanted & set(a.get("roles") or ())]


def merge_recipients(sender_id, *lists):
    """One list of accounts without duplicates and without the sender, in first-seen order."""
    seen, out = set(), []
    for accounts in lists:
        for a in accounts:
            if a["id"] == sender_id or a["id"] in seen:
                continue
            seen.add(a["id"])
            out.append(a)
    return out


# ---------------------------------------------------------------------------------- who may write to whom

def write_refusal(sender_roles, *, groups=(), recipients=(), students_may_write=False):
    """Why the sender may not send this message (a Polish sentence), or None when allowed.

    - staff (administrators, director, teachers, secretary) write to anyone of the school, to
      single people and to every group (III.11, V.3);
    - a parent writes only to single teachers, class teachers, the director and the
      administrator (chapter II, parent 5): not to a class's parents, nor any other group;
    - a student reads system messages and announcements and writes, like a parent, only when
      the school allows it;
    - an inspector (read-only) and anyone else does not write.
    ``recipients``: the resolved accounts (dicts with ``roles``) of the single recipients."""
    roles = set(sender_roles)
    if is_staff(roles):
        return None
    if PARENT in roles:
        who = "Rodzic"
    elif STUDENT in roles:
        if not students_may_write:
            return "W tej szkole uczniowie nie wysyłają wiadomości (tylko je czytają)."
        who = "Uczeń"
    else:
        return "Brak uprawnień do wysyłania wiadomości."
    for g in groups:
        kind = g["kind"] if isinstance(g, dict) else g
        if kind == GROUP_CLASS_PARENTS:
            return f"{who} nie może pisać do rodziców klasy."
        return f"{who} nie może pisać do grup odbiorców ({group_label(kind, 'klasy')})."
    for account in recipients:
        if not set(account.get("roles") or ()) & set(PARENT_TARGETS):
            return (f"{who} może pisać do nauczycieli, wychowawców, dyrekcji i administratora "
                    "dziennika.")
    return None


def reply_refusal(replier_roles, *, original_kind, replier_is_sender, students_may_write=False):
    """Why the caller may not reply in a thread (None when allowed). A recipient replies to the
    sender; the sender adds a follow-up for the same recipients. Nobody replies to the system."""
    roles = set(replier_roles)
    if original_kind == KIND_SYSTEM:
        return "Na wiadomość systemową nie można odpowiedzieć."
    if is_staff(roles) or PARENT in roles:
        return None
    if STUDENT in roles:
        if students_may_write:
            return None
        return "W tej szkole uczniowie nie wysyłają wiadomości (tylko je czytają)."
    return "Brak uprawnień do wysyłania wiadomości."


def note_refusal(sender_roles):
    """III.10: a note (UWAGA) about a student is written by a teacher (or the director, admin)."""
    if set(sender_roles) & set(NOTE_AUTHORS):
        return None
    return "Uwagi wpisują nauczyciele, wychowawcy, dyrekcja i administratorzy."


def reply_subject(subject):
    subject = (subject or "").strip()
    if re.match(r"^(re|odp)\s*:", subject, re.IGNORECASE):
        return subject[:200]
    return ("Odp: " + subject)[:200]


# ---------------------------------------------------------------------------------- read receipts (MSG-2, III.9)

def receipt_time(existing, now):
    """A receipt is set once, by the recipient opening the message, and never changes after."""
    return existing if existing is not None else now


def may_see_receipts(caller_id, caller_roles, sender_id):
    """The sender sees who has read; the director and administrators may check any message."""
    return caller_id == sender_id or bool(set(caller_roles) & set(RECEIPT_SUPERVISORS))


def receipt_counts(read_flags):
    """``read_flags``: iterable of read times (None = unread)."""
    total = read = 0
    for r in read_flags:
        total += 1
        read += r is not None
    return {"total": total, "read": read, "unread": total - read}


# ---------------------------------------------------------------------------------- attachments

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 5
MAX_FILENAME = 150

_PDF = (b"%PDF-",)
_PNG = (b"\x89PNG\r\n\x1a\n",)
_JPEG = (b"\xff\xd8\xff",)
_GIF = (b"GIF87a", b"GIF89a")
_ZIP = (b"PK\x03\x04",)   # docx, xlsx, pptx, odt, ods
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)   # doc, xls
_TEXT = None   # checked as UTF-8 text without NUL bytes

# extension -> (content type served, accepted declared types, magic numbers)
ALLOWED_TYPES = {
    "pdf": ("application/pdf", {"application/pdf"}, _PDF),
    "png": ("image/png", {"image/png"}, _PNG),
    "jpg": ("image/jpeg", {"image/jpeg", "image/jpg", "image/pjpeg"}, _JPEG),
    "jpeg": ("image/jpeg", {"image/jpeg", "image/jpg", "image/pjpeg"}, _JPEG),
    "gif": ("image/gif", {"image/gif"}, _GIF),
    "txt": ("text/plain", {"text/plain"}, _TEXT),
    "csv": ("text/csv", {"text/csv", "text/plain", "application/vnd.ms-excel"}, _TEXT),
    "doc": ("application/msword", {"application/msword"}, _OLE),
    "xls": ("application/vnd.ms-excel", {"application/vnd.ms-excel"}, _OLE),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}, _ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, _ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",
             {"application/vnd.openxmlformats-officedocument.presentationml.presentation"}, _ZIP),
    "odt": ("application/vnd.oasis.opendocument.text", {"application/vnd.oasis.opendocument.text"}, _ZIP),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet",
            {"application/vnd.oasis.opendocument.spreadsheet"}, _ZIP),
}
# Browsers may send this for anything; the extension and the content decide then.
GENERIC_TYPES = {"application/octet-stream", "binary/octet-stream", ""}
ALLOWED_EXTENSIONS_TEXT = ", ".join(sorted(ALLOWED_TYPES))


def safe_filename(name):
    """The last path component, normalised, without control characters; '' when nothing is left."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:MAX_FILENAME - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:MAX_FILENAME]
    return name


def _extension(filename):
    _, dot, ext = filename.rpartition(".")
    return ext.lower() if dot else ""


def _looks_like(data, magics):
    if magics is _TEXT:
        if b"\x00" in data:
            return False
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    return any(data.startswith(m) for m in magics)


def check_attachment(filename, content_type, data, max_bytes=MAX_ATTACHMENT_BYTES):
    """Problems of one attachment (Polish sentences; empty when it is acceptable) and the
    content type it will be served with. The extension must be on the allow-list, the declared
    type must fit it, and the content must really be of that type (magic numbers): a renamed
    executable or an HTML page is refused."""
    problems = []
    clean = safe_filename(filename)
    ext = _extension(clean)
    if not clean:
        problems.append("Załącznik musi mieć nazwę pliku.")
    if len(data) == 0:
        problems.append(f"Plik „{clean}” jest pusty.")
    if len(data) > max_bytes:
        problems.append(f"Plik „{clean}” jest za duży ({_human(len(data))}); "
                        f"największy dozwolony rozmiar to {_human(max_bytes)}.")
    allowed = ALLOWED_TYPES.get(ext)
    if allowed is None:
        problems.append(f"Niedozwolony typ pliku „{clean}”. Dozwolone: {ALLOWED_EXTENSIONS_TEXT}.")
        return problems, None
    served, declared_ok, magics = allowed
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in declared_ok and declared not in GENERIC_TYPES:
        problems.append(f"Typ pliku „{clean}” ({declared}) nie zgadza się z rozszerzeniem.")
    elif data and not _looks_like(data[:4096] if magics is not _TEXT else data, magics):
        problems.append(f"Zawartość pliku „{clean}” nie odpowiada jego typowi.")
    return problems, served


def check_attachments(items, max_bytes=MAX_ATTACHMENT_BYTES, max_count=MAX_ATTACHMENTS):
    """``items``: dicts with ``filename``, ``content_type``, ``content_base64``. Returns
    (problems by index, cleaned list of dicts with ``filename``, ``content_type``, ``data``)."""
    problems, clean = {}, []
    if len(items) > max_count:
        problems["_schema"] = [f"Najwyżej {max_count} załączników w jednej wiadomości."]
        return problems, []
    for i, item in enumerate(items):
        raw = item.get("content_base64") or ""
        # A cheap bound before decoding: base64 is 4/3 of the content.
        if len(raw) > (max_bytes + 3) * 4 // 3 + 4:
            problems[str(i)] = [f"Plik „{safe_filename(item.get('filename'))}” jest za duży; "
                                f"największy dozwolony rozmiar to {_human(max_bytes)}."]
            continue
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            problems[str(i)] = ["Niepoprawna zawartość pliku (oczekiwano base64)."]
            continue
        found, served = check_attachment(item.get("filename"), item.get("content_type"), data, max_bytes)
        if found:
            problems[str(i)] = found
            continue
        clean.append({"filename": safe_filename(item.get("filename")), "content_type": served, "data": data})
    return problems, clean


def _human(n):
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if n >= 1024:
        return f"{n // 1024} kB"
    return f"{n} B"


def attachment_path(root, sha256):
    """Content-addressed storage: ``<root>/<ab>/<abcdef...>``; identical files are stored once."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise ValueError("not a sha256 hex digest")
    return os.path.join(root, sha256[:2], sha256)


# ---------------------------------------------------------------------------------- announcements (MSG-4, III.12)

TOPICS = {
    "general": "informacja ogólna",
    "organisation": "organizacja pracy szkoły",
    "lessons": "zajęcia i lekcje",
    "fundraising": "zbiórka pieniędzy",
    "open_meeting": "spotkanie z udziałem osób spoza szkoły",
    "open_enrolment": "zapisy na zajęcia dla osób spoza szkoły",
    "school_event": "impreza ogólnoszkolna",
}
# III.12: fund-raising, meetings or enrolments open to outsiders, school-wide events.
APPROVAL_TOPICS = ("fundraising", "open_meeting", "open_enrolment", "school_event")
STATUSES = ("pending", "published", "rejected", "withdrawn")
AUDIENCE_ROLES = {
    "teachers": TEACHERS,
    "parents": (PARENT,),
    "students": (STUDENT,),
    "staff": STAFF,
}
AUDIENCE_ROLE_LABELS = {"teachers": "nauczyciele", "parents": "rodzice", "students": "uczniowie",
                        "staff": "pracownicy szkoły"}
MAX_VALIDITY_DAYS = 366


def needs_approval(topic, author_asks=False):
    """III.12: these topics, or any the author marks as similar, wait for the director."""
    return topic in APPROVAL_TOPICS or bool(author_asks)


def initial_status(topic, author_roles, author_asks=False):
    """``published`` unless it needs approval; a director's own announcement needs none."""
    if needs_approval(topic, author_asks) and not set(author_roles) & set(APPROVERS):
        return "pending"
    return "published"


def validity_problems(valid_from, valid_until, today):
    problems = {}
    if valid_until < valid_from:
        problems["valid_until"] = ["Koniec ważności nie może poprzedzać początku."]
    elif valid_until < today:
        problems["valid_until"] = ["Ogłoszenie nie może wygasnąć w przeszłości."]
    elif (valid_until - valid_from).days > MAX_VALIDITY_DAYS:
        problems["valid_until"] = [f"Ogłoszenie może obowiązywać najwyżej {MAX_VALIDITY_DAYS} dni."]
    return problems


def audience_problems(audience):
    if audience.get("whole_school"):
        return {}
    if not audience.get("roles") and not audience.get("class_ids"):
        return {"audience": ["Wskaż odbiorców: cała szkoła, wybrane role lub klasy."]}
    return {}


def audience_matches(audience, user_roles, is_member=False):
    """Whether a user sees an announcement: whole school; a chosen role group; a member of a
    chosen class (students, their parents and the class teacher, listed at publication)."""
    if audience.get("whole_school"):
        return True
    roles = set(user_roles)
    for group in audience.get("roles") or ():
        if roles & set(AUDIENCE_ROLES.get(group, ())):
            return True
    return bool(is_member and audience.get("class_ids"))


def valid_on(valid_from, valid_until, day):
    return valid_from <= day <= valid_until


def school_today(now=None):
    now = now or datetime.now(timezone.utc)
    return now.astimezone(SCHOOL_TZ).date()


def may_decide(user_roles):
    return bool(set(user_roles) & set(APPROVERS))


def may_withdraw_announcement(user_id, user_roles, author_id):
    return user_id == author_id or bool(set(user_roles) & set(APPROVERS + ADMINS))


# ---------------------------------------------------------------------------------- outage notices (OPS-1, XI.2)

OUTAGE_PUBLIC_AFTER = timedelta(days=1)
OUTAGE_PUBLISHERS = ADMINS


def outage_is_public(published_at, expected_repair_at, now):
    """XI.2.b: an outage that may last more than a day is announced publicly; so is one that
    has already lasted a day."""
    return (expected_repair_at - published_at) > OUTAGE_PUBLIC_AFTER or (now - published_at) > OUTAGE_PUBLIC_AFTER


# ---------------------------------------------------------------------------------- entry error reports (MSG-6, IX.7)

ERROR_ADDRESSEES = ("class_teacher", "administrator")


def error_report_refusal(user_roles, is_guardian):
    """IX.7: a parent reports an error in an entry about the own child, to the class teacher or
    the school administrator."""
    if PARENT not in set(user_roles):
        return "Błąd we wpisie zgłasza rodzic (opiekun prawny) ucznia."
    if not is_guardian:
        return "Możesz zgłosić błąd tylko we wpisach dotyczących swojego dziecka."
    return None


# ---------------------------------------------------------------------------------- search

def search_text(*parts):
    """What the mailbox search looks in, case-folded in Python so that Polish letters match
    the same way on SQLite and PostgreSQL."""
    return " ".join(p for p in parts if p).casefold()


def search_terms(query):
    return [t for t in (query or "").casefold().split() if t][:8]


# ---------------------------------------------------------------------------------- system messages (MSG-5)

def _d(value):
    if isinstance(value, (date, datetime)):
        return value.strftime("%d.%m.%Y")
    return str(value)


def _dt(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(SCHOOL_TZ).strftime("%d.%m.%Y %H:%M")
    return str(value)


def text_account_blocked(name, reason, for_admin):
    if for_admin:
        return (f"Zablokowano konto nauczyciela: {name}",
                f"Konto {name} zostało zablokowane. Powód: {reason}.\n"
                "Zgodnie z procedurą (IV.13) skontaktuj się z nauczycielem, wyjaśnij powód blokady "
                "i w razie potrzeby sprawdź zawartość konta z kopiami bezpieczeństwa.")
    return ("Twoje konto zostało zablokowane",
            f"Twoje konto w dzienniku elektronicznym zostało zablokowane. Powód: {reason}.\n"
            "W sprawie odblokowania skontaktuj się ze Szkolnym Administratorem Dziennika Elektronicznego.")


def text_substitution(p, class_name, audience):
    when = f"{_d(p['date'])}, lekcja {p['period']}"
    what = f"{p['subject_name']} w klasie {class_name}"
    if audience == "substitute":
        return (f"Zastępstwo: {what}, {when}",
                f"Przydzielono Ci zastępstwo: {what}, {when}. Powód: {p['reason']}.\n"
                "Pamiętaj o sprawdzeniu obecności i wpisaniu tematu lekcji.")
    if audience == "teacher":
        return (f"Zastępstwo za Twoją lekcję: {what}, {when}",
                f"Twoją lekcję ({what}, {when}) poprowadzi zastępca. Powód: {p['reason']}.")
    return (f"Zastępstwo: {p['subject_name']}, {when}",
            f"Lekcja {what} ({when}) odbędzie się w zastępstwie.")


def text_lesson_cancelled(p, class_name, audience):
    """ORG-3: a lesson called off in ZASTĘPSTWA; the teacher, and the class with its parents."""
    when = f"{_d(p['date'])}, lekcja {p['period']}"
    what = f"{p['subject_name']} w klasie {class_name}"
    if audience == "teacher":
        return (f"Odwołana lekcja: {what}, {when}",
                f"Twoja lekcja ({what}, {when}) została odwołana. Powód: {p['reason']}.")
    return (f"Odwołana lekcja: {p['subject_name']}, {when}",
            f"Lekcja {what} ({when}) się nie odbędzie. Powód: {p['reason']}.")


def text_at_risk(student_name, reason, kind, notice_deadline=None):
    """GRD-4: a predicted failing grade, reprehensible behaviour or non-classification."""
    term = "roczna" if kind == "predicted_annual" else "śródroczna"
    what = {
        "niedostateczna": f"przewidywana {term} ocena niedostateczna z przedmiotu",
        "naganna": f"przewidywana {term} naganna ocena zachowania",
        "nieklasyfikowanie": f"zagrożenie nieklasyfikowaniem ({'roczne' if kind == 'predicted_annual' else 'śródroczne'})",
    }.get(reason, reason)
    return (f"Zagrożenie: {student_name}",
            f"Informujemy o zagrożeniu ucznia {student_name}: {what}.\n"
            "Szczegóły są w module ocen; wychowawca klasy przekaże pisemne powiadomienie"
            + (f" do {_d(notice_deadline)}" if notice_deadline else "") + ".")


def text_absence(student_name, lesson_date, periods):
    """One message per student and day: later absences of the same day are added to it while
    nobody has read it yet (a student absent all day is one message, not seven)."""
    periods = sorted(set(periods))
    which = ", ".join(str(p) for p in periods)
    return (f"Nieobecność: {student_name}, {_d(lesson_date)}",
            f"Odnotowano nieobecność nieusprawiedliwioną ucznia {student_name} w dniu {_d(lesson_date)} "
            f"({'lekcja' if len(periods) == 1 else 'lekcje'}: {which}).\n"
            "Nieobecność można usprawiedliwić w module e-usprawiedliwień.")


def text_e_justification_submitted(parent_name, student_name, date_from, date_to, reason):
    days = _d(date_from) if date_from == date_to else f"{_d(date_from)}–{_d(date_to)}"
    return (f"E-usprawiedliwienie: {student_name}, {days}",
            f"{parent_name} usprawiedliwia nieobecność ucznia {student_name} ({days}).\n"
            f"Powód: {reason}\nPrzyjmij lub odrzuć usprawiedliwienie w module frekwencji.")


def text_e_justification(student_name, status, comment=None, justified_entries=0, for_teacher=False):
    accepted = status == "accepted"
    verdict = "przyjęte" if accepted else "odrzucone"
    if for_teacher:
        return (f"E-usprawiedliwienie {verdict}: {student_name}",
                f"Zapisano decyzję: usprawiedliwienie ucznia {student_name} {verdict}"
                + (f" (usprawiedliwione wpisy: {justified_entries})" if accepted else "") + ".")
    return (f"E-usprawiedliwienie {verdict}: {student_name}",
            f"Wychowawca {'przyjął' if accepted else 'odrzucił'} usprawiedliwienie nieobecności ucznia "
            f"{student_name}" + (f" (usprawiedliwione wpisy: {justified_entries})" if accepted else "") + "."
            + (f"\nKomentarz: {comment}" if comment else ""))


def text_archive_completed(school_year, signed, retention_until, records=None):
    """ARC-1, LAW-5, IV.8: the yearly archive is ready; unsigned, it still needs the signature."""
    body = (f"Roczne archiwum dziennika elektronicznego za rok szkolny {school_year} zostało utworzone"
            + (f" ({records} rekordów)" if records is not None else "") + ". ")
    if signed:
        body += "Archiwum jest podpisane. "
    else:
        body += "Podpisz pliki XML kwalifikowanym podpisem elektronicznym, pieczęcią lub podpisem osobistym (§22). "
    body += (f"Zapisz kopię na nośniku opisanym zawartością i datą; przechowuj ją do {_d(retention_until)} "
             "(procedura IV.8).")
    return (f"Archiwum dziennika gotowe: {school_year}", body)


def text_outage(text, expected_repair_at):
    return ("Awaria dziennika elektronicznego",
            f"{text}\nPrzewidywany czas usunięcia awarii: {_dt(expected_repair_at)}.\n"
            "Po usunięciu awarii należy niezwłocznie uzupełnić wpisy (XI.3).")


def text_announcement_pending(title, author_name):
    return ("Ogłoszenie czeka na akceptację",
            f"{author_name} prosi o akceptację ogłoszenia „{title}”. Znajdziesz je w kolejce do akceptacji.")


def text_announcement_decided(title, approved, reason=None, decided_by=None):
    if approved:
        return ("Ogłoszenie zaakceptowane",
                f"Ogłoszenie „{title}” zostało zaakceptowane{f' przez {decided_by}' if decided_by else ''} "
                "i opublikowane.")
    return ("Ogłoszenie odrzucone",
            f"Ogłoszenie „{title}” zostało odrzucone{f' przez {decided_by}' if decided_by else ''}. "
            f"Powód: {reason}.")


def text_error_report(entry, student_name, reporter_name, body):
    return (f"Zgłoszenie błędu we wpisie: {entry}"[:200],
            f"{reporter_name} zgłasza błąd we wpisie dotyczącym ucznia {student_name}.\n"
            f"Wpis: {entry}\n\n{body}")


def notification_email(school_name, sender_name, kind):
    """E-mail about a new message: who wrote, never what (the content stays in the register)."""
    what = {KIND_NOTE: "nową uwagę", KIND_SYSTEM: "nową wiadomość systemową"}.get(kind, "nową wiadomość")
    title = {KIND_NOTE: "Nowa uwaga", KIND_SYSTEM: "Nowa wiadomość systemowa"}.get(kind, "Nowa wiadomość")
    subject = f"{school_name or 'Dziennik elektroniczny'}: {title}"[:200]
    body = (f"Dzień dobry,\n\nw dzienniku elektronicznym masz {what} od: {sender_name}.\n"
            "Zaloguj się do dziennika, aby ją przeczytać. Odczytanie wiadomości w dzienniku jest "
            "potwierdzane automatycznie.\n\nTa wiadomość została wysłana automatycznie; nie odpowiadaj na nią.")
    return subject, body
