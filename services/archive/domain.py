"""archive's rules, framework-free (unit-tested in tests/unit/test_archive_domain.py).

- Retention (ARC-1, ARC-5, procedure IV.8): an archive is kept 6 years. As in Polish archival
  practice, the period counts from 1 January of the year after the school year ended: the
  archive of 2025/2026 (ending in June 2026) may be destroyed from 1 January 2033.
- Who may do what: the school administrator (SADE) and the deputy run, download, verify and
  destroy archives; the director may run, download and verify them.
- Names of files, the manifest, progress, the confirmations asked for."""
import datetime as dt
import hashlib
import re
import unicodedata

from services.common.schoolyear import school_year_dates, school_year_of  # noqa: F401  (domain.school_year_*)

RETENTION_YEARS = 6
ADMINS = ("school_admin", "deputy_admin")
ARCHIVE_ROLES = ADMINS + ("director",)            # start, list, download, verify
COPY_ROLES = ADMINS + ("director", "vice_director", "secretary")   # register of copies, disclosures
PRINT_ROLES = ADMINS + ("director", "vice_director", "class_teacher", "secretary")

STATUSES = ("queued", "running", "completed", "failed", "destroyed")
STATUS_PL = {"queued": "oczekuje", "running": "w toku", "completed": "gotowe", "failed": "nieudane",
             "destroyed": "zniszczone"}
TRIGGERS = ("manual", "school_year_closed")

COPY_KINDS = {
    "archive": "Kopia archiwum dziennika elektronicznego",
    "export": "Eksport danych z dziennika elektronicznego",
    "printout": "Wydruk danych osobowych z dziennika elektronicznego",
    "disclosure": "Udostępnienie danych ucznia uprawnionemu organowi",
    "database": "Kopia bazy danych dziennika elektronicznego",
}

BODY_KINDS = {
    "police": "Policja",
    "prosecutor": "Prokuratura",
    "court": "Sąd",
    "school": "Szkoła (przeniesienie ucznia)",
    "control": "Organ kontroli (np. kuratorium oświaty)",
    "other": "Inny uprawniony organ",
}

# Annexes 4-6 of the procedure: acknowledgement of the procedure.
ANNEXES = {
    "parents": ("ZAŁĄCZNIK NR 4", "Potwierdzenie zapoznania się z procedurą dziennika elektronicznego – rodzic",
                "Lista rodziców, którzy potwierdzili zapoznanie się z procedurą dziennika elektronicznego."),
    "students": ("ZAŁĄCZNIK NR 5", "Potwierdzenie zapoznania się z procedurą dziennika elektronicznego – uczeń",
                 "Lista uczniów, którzy potwierdzili zapoznanie się z procedurą dziennika elektronicznego."),
    "teachers": ("ZAŁĄCZNIK NR 6", "Potwierdzenie zapoznania się z procedurą dziennika elektronicznego – nauczyciel",
                 "Lista nauczycieli, którzy potwierdzili zapoznanie się z procedurą dziennika elektronicznego."),
}

# A running archive whose heartbeat is older than this was interrupted (its instance died).
STALE_AFTER = dt.timedelta(minutes=3)
# The share of the progress bar taken by the data sections; the rest is HTML, signature, copies.
SECTIONS_SHARE = 85


_ALPHABET = "aąbcćdeęfghijklłmnńoópqrsśtuvwxyzźż"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}


def polish_key(text):
    """A sort key in Polish alphabetical order (Ćwik before Gęślińska, Łęcki after Lis)."""
    return [(_RANK.get(ch, 100 + ord(ch)) if ch.isalpha() else ord(ch)) for ch in str(text or "").lower()]


def person_key(person):
    return (polish_key(person.get("last_name")), polish_key(person.get("first_name")))


def retention_until(year_ends_on, years=RETENTION_YEARS):
    """The first day the archive of a school year ending on ``year_ends_on`` may be destroyed."""
    return dt.date(year_ends_on.year + 1 + years, 1, 1)


def is_due_for_destruction(retention_date, today):
    return retention_date is not None and today >= retention_date


def destruction_refusal(status, retention_date, today, confirmation, year_name):
    """Why an archive may not be destroyed now (Polish), or None."""
    if status == "destroyed":
        return "Archiwum zostało już zniszczone."
    if status in ("queued", "running"):
        return "Archiwum jest w trakcie tworzenia."
    if status == "completed" and not is_due_for_destruction(retention_date, today):
        return (f"Archiwum musi być przechowywane do {fmt_date(retention_date)} "
                f"({RETENTION_YEARS} lat, procedura IV.8).")
    if normalise(confirmation) != normalise(year_name):
        return f"Aby potwierdzić zniszczenie, wpisz nazwę roku szkolnego archiwum: {year_name}."
    return None


def normalise(text):
    return re.sub(r"\s+", "", str(text or "")).lower()


def fmt_date(value):
    if value is None:
        return "—"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value.strftime("%d.%m.%Y")


def slug(text, max_len=60):
    """A safe file-name part: ASCII letters, digits and dashes ("2025/2026" → "2025-2026")."""
    text = str(text).replace("ł", "l").replace("Ł", "L")     # no decomposition for these two
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:max_len] or "x"


def base_name(school, year_name):
    """The name the archive's files share: ``dziennik-<school>-<year>``."""
    return f"dziennik-{slug(school.get('short_name') or school['id'][:8])}-{slug(year_name)}"


def is_stale(status, heartbeat_at, now, after=STALE_AFTER):
    return status == "running" and (heartbeat_at is None or now - heartbeat_at > after)


def progress(sections_done, sections_total, section_fraction=0.0):
    """The percent shown while the data sections are written (0..SECTIONS_SHARE)."""
    if sections_total <= 0:
        return 0
    done = min(sections_total, sections_done + max(0.0, min(1.0, section_fraction)))
    return int(SECTIONS_SHARE * done / sections_total)


def open_year_refusal(year, confirmed):
    """An archive of a year not yet closed needs the administrator's confirmation (issue 8)."""
    if year.get("closed_at") or confirmed:
        return None
    return (f"Rok szkolny {year['name']} nie jest zamknięty: archiwum będzie zawierać dane z dnia "
            f"utworzenia, nie z ostatniego dnia roku. Potwierdź, aby kontynuować.")


def sha256_file(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def build_manifest(*, archive_id, school, year, creator, created_at, counts, checksum, files,
                   database_copies, retention_date, signature=None):
    """The manifest (the label of the archive, ARC-1 "opisany z podaniem zawartości i daty"):
    contents with records per section, school, year, creation time, creator, the checksum of
    the XML, every file with its SHA-256, the signature and the database copies."""
    sections = [{"service": svc, "section": sec, "records": n} for (svc, sec), n in counts.items()]
    return {
        "format": "dziennik-archiwum", "version": "1.0",
        "archive_id": archive_id,
        "created_at": created_at.isoformat(timespec="seconds"),
        "school": {k: school.get(k) for k in ("id", "name", "short_name", "city")},
        "school_year": {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in year.items()},
        "creator": creator,
        "checksum": checksum,
        "records": sum(counts.values()),
        "sections": sections,
        "files": files,
        "signature": signature,
        "database_copies": database_copies,
        "retention_until": retention_date.isoformat(),
        "retention_years": RETENTION_YEARS,
    }


def copy_receipt_lines(copy):
    """The lines of the receipt of a copy (ARC-2): label, value."""
    lines = [("Numer kopii", f"{copy['number']}"),
             ("Rodzaj", COPY_KINDS.get(copy["kind"], copy["kind"])),
             ("Zawartość", copy["description"]),
             ("Data i godzina sporządzenia", copy["made_at_pl"]),
             ("Sporządził(a)", copy.get("made_by_name") or "—"),
             ("Odbiorca", copy["recipient"])]
    if copy.get("recipient_institution"):
        lines.append(("Instytucja odbiorcy", copy["recipient_institution"]))
    lines.append(("Cel", copy["purpose"]))
    if copy.get("carrier"):
        lines.append(("Nośnik", copy["carrier"]))
    return lines


# ---------------------------------------------------------------------------- the parent's view on paper (ARC-3)
# Procedure IX.4: on a parent's request the school hands over paper printouts of what the parent's
# account shows. The printout is a printout of personal data, so it goes to the register of
# copies (ARC-2, XII.2) with this purpose.
CHILD_VIEW_PURPOSE = "wydruk dla rodzica"
FINAL_KINDS = ("predicted_midyear", "midyear", "predicted_annual", "annual")
FINAL_KIND_LABELS = {"predicted_midyear": "przewidywana śródroczna", "midyear": "śródroczna",
                     "predicted_annual": "przewidywana roczna", "annual": "roczna"}
GRADE_NAMES = {1: "niedostateczny", 2: "dopuszczający", 3: "dostateczny", 4: "dobry", 5: "bardzo dobry",
               6: "celujący"}
FINAL_SPECIAL = {"nkl": "nieklasyfikowany", "zw": "zwolniony"}
NOTE_KINDS = {"positive": "pozytywna", "negative": "negatywna", "neutral": "neutralna"}
# Attendance kinds in the order of the parent's page, with their Polish labels.
ATTENDANCE_KINDS = (("present", "obecności"), ("absent", "nieobecności nieusprawiedliwione"),
                    ("excused", "nieobecności usprawiedliwione"), ("late", "spóźnienia"),
                    ("released", "zwolnienia"), ("school_reasons", "nieobecności z przyczyn szkolnych"))


def final_label(value, behaviour=False):
    """"bardzo dobry (5)"; "nieklasyfikowany"; a behaviour grade as it is ("wzorowe")."""
    if value is None:
        return "—"
    if behaviour:
        return str(value)
    if value in FINAL_SPECIAL:
        return FINAL_SPECIAL[value]
    try:
        return f"{GRADE_NAMES[int(value)]} ({value})"
    except (TypeError, ValueError, KeyError):
        return str(value)


def accepted_finals(finals, behaviour=False):
    """The final grades a parent sees (GRD-3: only accepted ones), in the order of the year:
    ``[(label, value label)]`` from grades' ``{kind: final or None}``. Whoever prints, the paper
    copy of the parent's view never shows a grade before its acceptance."""
    out = []
    for kind in FINAL_KINDS:
        f = (finals or {}).get(kind)
        if f and f.get("accepted"):
            out.append((FINAL_KIND_LABELS[kind], final_label(f.get("value"), behaviour)))
    return out


def fmt_number(value, digits=2):
    """4.4583 → "4,46"; None → "—" (Polish decimal comma)."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",")


def fmt_percent(value):
    return "—" if value is None else f"{fmt_number(value, 1)}%"


def in_year(timestamp, starts_on, ends_on, tz=None):
    """Whether an ISO timestamp (a note's ``issued_at``) falls within the school year's days
    (in the school's time zone when ``tz`` is given)."""
    if not timestamp:
        return False
    moment = dt.datetime.fromisoformat(str(timestamp))
    if tz is not None:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        moment = moment.astimezone(tz)
    return starts_on <= moment.date() <= ends_on
