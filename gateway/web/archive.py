"""The pages of the archive (issue 8, item 7), in Polish, for the school administrator and the
director (and, for the register of copies, disclosures and Annexes 4-6, the roles the service
allows):

- ``/archiwum``: the school's yearly archives with status and a progress bar that refreshes itself
  while an archive is written (``static/archive.js`` asks ``/api/v1/archives/<id>/status``; without
  JavaScript a link refreshes the page), and the form starting an archive of a school year
  (ARC-1, LAW-5; a year not yet closed asks for confirmation);
- ``/archiwum/<id>``: one archive: files with their SHA-256, contents, database copies (OPS-3);
  sign (LAW-5), verify with the result of every check, restart a failed one, and download:
  the download is registered as a copy for a recipient (ARC-2), then streamed;
- ``/archiwum/certyfikat``: the school's signing certificate and its upload (PKCS#12, LAW-5);
- ``/archiwum/niszczenie``: archives past their retention, their destruction with the year typed
  as confirmation, and the permanent record of destructions (ARC-5);
- ``/rejestr-kopii``: the register of copies with the receipt PDF for the recipient's signature,
  a copy made elsewhere registered, the files of one's own copies to download (ARC-2);
- ``/udostepnianie-danych``: a student's data package for an authorised body and the record of
  disclosures (ARC-6);
- ``/zalaczniki-procedury``: Annexes 4-6, acknowledgement of the procedure (ARC-4).

Every view calls the archive RPC of the same meaning as the API route (``gateway/api/archive.py``,
whose helpers it shares: the long timeout of verification and disclosure, the streamed download)
with the same permission helpers; the service checks the school and the role again.
Verification and signing are synchronous and read the whole archive: the page waits for them
(seconds on a small school); the yearly archive itself is written in the background."""
import base64

from flask import flash, g, redirect, render_template, request, url_for

from services.common.errors import Forbidden, Invalid

from .. import rpc
from . import date_pl
from ..api.accounts import pdf_response
from ..api.archive import (ARCHIVE_ROLES, COPY_ROLES, DISCLOSERS, PRINT_ROLES, annex_file_name, receipt_file_name,
                           slow_call, stream_copy_file)
from ..api.archive_schemas import (ANNEX_KINDS, BODY_KINDS, COPY_KINDS, ArcAnnexQuery, ArcCopyIn, ArcDestroyIn,
                                   ArcDisclosureIn, ArcDownloadIn, ArcStartIn, ArcVerifyIn)
from ..auth import ADMINS, ASSOCIATION_ADMIN, user_roles
from .base import Form, current_school, requires_page, school_args, web_blueprint
from .identity import pl_key
from .nav import add_nav

bp = web_blueprint("archive_web", __name__)

add_nav("archive_web.index", "Archiwum", ARCHIVE_ROLES, order=80,
        description="Roczne archiwa dziennika w XML: tworzenie, postęp, podpis, weryfikacja, pobieranie i niszczenie.")
add_nav("archive_web.copies", "Rejestr kopii", COPY_ROLES, order=81,
        description="Rejestr kopii danych dziennika z potwierdzeniami odbioru do podpisu.")
add_nav("archive_web.disclosures", "Udostępnianie danych", DISCLOSERS, order=82,
        description="Pakiet danych ucznia dla uprawnionego organu lub szkoły i rejestr udostępnień.")
add_nav("archive_web.annexes", "Załączniki 4–6", PRINT_ROLES, order=83,
        description="Listy potwierdzeń zapoznania się z procedurą dziennika elektronicznego.")

TRIGGERS = {"manual": "na żądanie", "school_year_closed": "po zamknięciu roku szkolnego"}
FILE_KINDS = {"archiwum-xml": "archiwum (XML)", "widok-html": "widok do czytania (HTML)",
              "podpis-xades": "podpis elektroniczny (XAdES)", "manifest.json": "manifest (JSON)",
              "manifest.xml": "manifest (XML)"}
SERVICES_PL = {"identity": "Konta i kartoteki", "scheduling": "Organizacja i plan lekcji", "grades": "Oceny",
               "attendance": "Frekwencja", "messaging": "Wiadomości"}
SECTIONS_PL = {
    "identity.school": "szkoła", "identity.accounts": "konta", "identity.guardianships": "rodzice i opiekunowie",
    "identity.student_profiles": "dane osobowe uczniów", "identity.notes": "wpisy w kartotekach",
    "scheduling.school_years": "lata szkolne", "scheduling.terms": "okresy", "scheduling.classes": "klasy",
    "scheduling.enrolments": "listy uczniów", "scheduling.subjects": "przedmioty",
    "scheduling.assignments": "przydziały zajęć", "scheduling.timetable": "plan lekcji",
    "scheduling.lessons": "lekcje i tematy", "scheduling.substitutions": "zastępstwa",
    "scheduling.calendar": "terminarz", "scheduling.trips": "wycieczki",
    "grades.settings": "skala ocen", "grades.categories": "kategorie ocen", "grades.columns": "kolumny ocen",
    "grades.grades": "oceny cząstkowe", "grades.grade_versions": "historia ocen cząstkowych",
    "grades.finals": "oceny przewidywane i końcowe", "grades.final_versions": "historia ocen końcowych",
    "grades.behaviour": "oceny zachowania", "grades.at_risk": "zagrożenia",
    "attendance.categories": "kategorie frekwencji", "attendance.entries": "wpisy frekwencji",
    "attendance.entry_versions": "historia wpisów frekwencji", "attendance.justifications": "usprawiedliwienia",
    "attendance.e_justifications": "e-usprawiedliwienia", "attendance.class_changes": "zmiany klas",
    "messaging.messages": "wiadomości (bez treści)", "messaging.notes": "uwagi",
    "messaging.announcements": "ogłoszenia",
}
ANNEX_OPTIONS = [("parents", "Załącznik nr 4 – rodzice (klasa)"), ("students", "Załącznik nr 5 – uczniowie (klasa)"),
                 ("teachers", "Załącznik nr 6 – nauczyciele (cała szkoła)")]

START_LABELS = {"school_year": "Rok szkolny", "confirm_open_year": "Potwierdzenie"}
DOWNLOAD_LABELS = {"recipient": "Odbiorca (imię i nazwisko)", "recipient_institution": "Instytucja odbiorcy",
                   "purpose": "Cel wydania kopii", "carrier": "Nośnik", "files": "Pliki"}
VERIFY_LABELS = {"ca_pem": "Certyfikat urzędu certyfikacji (PEM)"}
CERT_LABELS = {"pkcs12": "Plik PKCS#12 (.p12 lub .pfx)", "password": "Hasło pliku"}
DESTROY_LABELS = {"archive_id": "Archiwum", "confirmation": "Potwierdzenie: rok szkolny archiwum"}
COPY_LABELS = {"kind": "Rodzaj kopii", "description": "Co skopiowano lub wydrukowano", "recipient": "Odbiorca",
               "recipient_institution": "Instytucja odbiorcy", "purpose": "Cel", "carrier": "Nośnik"}
DISCLOSURE_LABELS = {"student_id": "Uczeń", "body_kind": "Rodzaj organu", "body_name": "Nazwa organu lub szkoły",
                     "legal_basis": "Podstawa prawna", "case_number": "Sygnatura sprawy",
                     "requested_on": "Data wniosku", "requested_by": "Kto wystąpił z wnioskiem",
                     "school_year": "Rok szkolny", "recipient": "Odbiorca pakietu", "purpose": "Cel"}
ANNEX_LABELS = {"kind": "Załącznik", "class_id": "Klasa", "school_year": "Rok szkolny"}
MAX_PKCS12 = 150_000     # bytes: a certificate with its chain is a few kilobytes


# ------------------------------------------------------------------ helpers

def _is(*roles):
    return bool(user_roles() & {ASSOCIATION_ADMIN, *roles})


def size_pl(size):
    """1536 → "1,5 KB" (Polish decimal comma); "—" when unknown."""
    if size is None:
        return "—"
    value, unit = float(size), "B"
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            break
        value /= 1024
    text = f"{value:.0f}" if unit == "B" else f"{value:.1f}"
    return f"{text.replace('.', ',')} {unit}"


def section_label(key):
    return SECTIONS_PL.get(key, key)


@bp.context_processor
def _helpers():
    return {"size_pl": size_pl, "section_label": section_label, "services_pl": SERVICES_PL,
            "file_kinds": FILE_KINDS, "triggers": TRIGGERS}


def _years(school_id):
    """The school's years, newest first, as (name, label) options of the start form."""
    years = sorted(rpc.call("scheduling", "list_school_years", school_id), key=lambda y: y["starts_on"], reverse=True)
    return [(y["name"], y["name"] + (" – zamknięty" if y.get("closed_at") else " – niezamknięty")) for y in years]


def _archive(archive_id):
    return rpc.call("archive", "get_archive", archive_id)


def _detail(archive_id, **kw):
    return redirect(url_for("archive_web.detail", archive_id=archive_id, **school_args(), **kw))


def _certificate(school_id):
    return rpc.call("archive", "certificate", school_id)


def _downloadable(archive):
    """The archive's files and its two manifests: what a copy may contain (ARC-2)."""
    files = [(f["name"], f"{f['name']} – {FILE_KINDS.get(f.get('kind'), f.get('kind') or 'plik')}, "
                         f"{size_pl(f.get('size'))}") for f in archive.get("files") or []]
    names = {n for n, _ in files}
    for extra in ("manifest.json", "manifest.xml"):
        if extra not in names:
            files.append((extra, f"{extra} – {FILE_KINDS[extra]}"))
    return files


# ------------------------------------------------------------------ archives (ARC-1, LAW-5)

@bp.route("/archiwum", methods=["GET", "POST"])
@requires_page(*ARCHIVE_ROLES)
def index():
    """The school's archives with their progress; the start form (ARC-1)."""
    school_id = current_school()
    form = Form(request.form if request.method == "POST" else None, labels=START_LABELS)
    if request.method == "POST":
        with form.handle():
            data = form.load(ArcStartIn)
            started = rpc.call("archive", "start_archive", school_id, data)
            flash(f"Rozpoczęto tworzenie archiwum roku szkolnego {started['school_year']}. "
                  f"Postęp widać poniżej; archiwum powstaje w tle.", "success")
            return _detail(started["id"])
        form.errors.pop("archive_id", None)      # "already being written": the message says it
    archives = rpc.call("archive", "list_archives", school_id)
    return render_template("archive/index.html", form=form, archives=archives, years=_years(school_id),
                           certificate=_certificate(school_id), may_manage=_is(*ADMINS),
                           school_args=school_args()), form.status


@bp.route("/archiwum/<archive_id>", methods=["GET", "POST"])
@requires_page(*ARCHIVE_ROLES)
def detail(archive_id):
    """One archive: files, contents, copies of the databases; sign, verify, restart, download."""
    archive = _archive(archive_id)
    action = request.form.get("action") if request.method == "POST" else None
    verify_form = Form(request.form if action == "verify" else None, labels=VERIFY_LABELS, prefix="spr-")
    if action == "download":
        download_form = Form(request.form, labels=DOWNLOAD_LABELS, prefix="kop-")
    else:   # every file ticked until the person says otherwise
        download_form = Form(None, labels=DOWNLOAD_LABELS, prefix="kop-", files=[n for n, _ in _downloadable(archive)])
    action_form = Form(request.form if action in ("sign", "restart") else None)
    verification = None
    if action == "verify":
        with verify_form.handle():
            data = verify_form.load(ArcVerifyIn)
            verification = slow_call("verify_archive", archive_id, data)
            # The result is the page (not a redirect): it is not stored anywhere.
    elif action == "download":
        with download_form.handle():
            data = download_form.load(ArcDownloadIn)
            copy = rpc.call("archive", "download_archive", archive_id, data)
            flash(f"Zarejestrowano kopię nr {copy['number']} dla: {copy['recipient']}. Pobierz pliki i wydrukuj "
                  f"potwierdzenie odbioru do podpisu odbiorcy.", "success")
            return redirect(url_for("archive_web.copies", kopia=copy["id"], **school_args()) + f"#kopia-{copy['id']}")
    elif action == "sign":
        with action_form.handle():
            signed = slow_call("sign_archive", archive_id)
            flash(f"Archiwum podpisano certyfikatem: {signed['signer_subject']}.", "success")
            return _detail(archive_id)
    elif action == "restart":
        with action_form.handle():
            rpc.call("archive", "restart_archive", archive_id)
            flash("Archiwum zostanie utworzone ponownie.", "success")
            return _detail(archive_id)
    elif action:
        raise Invalid("Nieznana operacja.")
    status = max(verify_form.status, download_form.status, action_form.status)
    cert = _certificate(archive["school_id"]) if archive["status"] == "completed" and not archive["signed"] else None
    return render_template("archive/detail.html", archive=archive, verification=verification,
                           verify_form=verify_form, download_form=download_form, action_form=action_form,
                           downloadable=_downloadable(archive), certificate=cert, may_manage=_is(*ADMINS),
                           school_args=school_args()), status


@bp.route("/archiwum/certyfikat", methods=["GET", "POST"])
@requires_page(*ARCHIVE_ROLES)
def certificate():
    """The school's signing certificate; its upload (PKCS#12 with a password, LAW-5; administrators).
    The file and the password only pass through: nothing here logs or keeps them."""
    school_id = current_school()
    form = Form(request.form if request.method == "POST" else None, labels=CERT_LABELS)
    if request.method == "POST":
        with form.handle():
            if not _is(*ADMINS):
                raise Forbidden("Certyfikat wgrywa administrator dziennika.")
            upload = request.files.get("pkcs12")
            blob = upload.read(MAX_PKCS12 + 1) if upload else b""
            if not blob:
                form.add_error("pkcs12", "Wybierz plik PKCS#12 z certyfikatem i kluczem szkoły.")
            elif len(blob) > MAX_PKCS12:
                form.add_error("pkcs12", "Plik jest za duży jak na certyfikat z kluczem (do 150 KB).")
            if form.errors:
                form.fail()
            cert = rpc.call("archive", "upload_certificate", school_id, {
                "pkcs12_base64": base64.b64encode(blob).decode(), "password": request.form.get("password", "")})
            flash(f"Wgrano certyfikat: {cert['subject']}. Nowe archiwa będą nim podpisywane.", "success")
            return redirect(url_for("archive_web.certificate", **school_args()))
        if "pkcs12_base64" in form.errors:     # the service names the API's field; the page's is the file
            form.errors["pkcs12"] = form.errors.pop("pkcs12_base64")
    return render_template("archive/certificate.html", form=form, certificate=_certificate(school_id),
                           may_manage=_is(*ADMINS), school_args=school_args()), form.status


@bp.route("/archiwum/niszczenie", methods=["GET", "POST"])
@requires_page(*ARCHIVE_ROLES)
def destruction():
    """Archives past their retention, their destruction (administrators) and the record (ARC-5)."""
    school_id = current_school()
    form = Form(request.form if request.method == "POST" else None, labels=DESTROY_LABELS)
    if request.method == "POST":
        with form.handle():
            archive_id = form.get("archive_id")
            if not archive_id:
                form.add_error("archive_id", "Wybierz archiwum do zniszczenia.")
            data = form.load(ArcDestroyIn)
            if form.errors:
                form.fail()
            record = rpc.call("archive", "destroy_archive", archive_id, data)
            flash(f"Zniszczono archiwum roku szkolnego {record['school_year']}; zniszczenie zapisano w protokole.",
                  "success")
            return redirect(url_for("archive_web.destruction", **school_args()))
    due = rpc.call("archive", "due_for_destruction", school_id)
    return render_template("archive/destruction.html", form=form, due=due,
                           due_options=[(a["id"], f"Archiwum {a['school_year']} (przechowywane do "
                                                  f"{date_pl(a['retention_until'])})") for a in due],
                           destructions=rpc.call("archive", "list_destructions", school_id),
                           may_manage=_is(*ADMINS), school_args=school_args()), form.status


# ------------------------------------------------------------------ the register of copies (ARC-2)

@bp.route("/rejestr-kopii", methods=["GET", "POST"])
@requires_page(*COPY_ROLES)
def copies():
    """The register of copies (newest first, filtered by kind), one copy's files to download for
    the person who registered it, and a copy made elsewhere registered (ARC-2)."""
    school_id = current_school()
    form = Form(request.form if request.method == "POST" else None, labels=COPY_LABELS, kind="printout")
    if request.method == "POST":
        with form.handle():
            copy = rpc.call("archive", "register_copy", school_id, form.load(ArcCopyIn))
            flash(f"Zarejestrowano kopię nr {copy['number']}. Wydrukuj potwierdzenie odbioru do podpisu odbiorcy.",
                  "success")
            return redirect(url_for("archive_web.copies", kopia=copy["id"], **school_args()) + f"#kopia-{copy['id']}")
    kind = request.args.get("rodzaj") if request.args.get("rodzaj") in COPY_KINDS else None
    rows = rpc.call("archive", "list_copies", school_id, {"kind": kind, "limit": 500})
    chosen = next((c for c in rows if c["id"] == request.args.get("kopia")), None)
    return render_template("archive/copies.html", form=form, rows=rows, kind=kind, chosen=chosen,
                           kinds=list(COPY_KINDS.items()), me=g.user["id"], school_args=school_args()), form.status


@bp.route("/rejestr-kopii/<copy_id>/potwierdzenie.pdf")
@requires_page(*COPY_ROLES)
def receipt(copy_id):
    """The receipt of a copy for the recipient's signature (PDF, ARC-2)."""
    result = rpc.call("archive", "copy_receipt", copy_id)
    return pdf_response(result["pdf_base64"], receipt_file_name(result["copy"]))


@bp.route("/rejestr-kopii/<copy_id>/pliki/<file_name>")
@requires_page(*COPY_ROLES)
def copy_file(copy_id, file_name):
    """A file of a copy, streamed chunk by chunk (only for the person who registered the copy)."""
    return stream_copy_file(copy_id, file_name)


# ------------------------------------------------------------------ disclosure (ARC-6)

@bp.route("/udostepnianie-danych", methods=["GET", "POST"])
@requires_page(*DISCLOSERS)
def disclosures():
    """A student's data package for an authorised body or another school, and the record (ARC-6)."""
    school_id = current_school()
    form = Form(request.form if request.method == "POST" else None, labels=DISCLOSURE_LABELS, body_kind="police")
    if request.method == "POST":
        with form.handle():
            data = form.load(ArcDisclosureIn)
            result = slow_call("disclose_student_data", school_id, data)
            d, copy = result["disclosure"], result["copy"]
            flash(f"Przygotowano pakiet danych ucznia {d['student_name']} dla: {d['body_name']} "
                  f"(kopia nr {copy['number']}). Pobierz go poniżej.", "success")
            return redirect(url_for("archive_web.copies", kopia=copy["id"], **school_args()) + f"#kopia-{copy['id']}")
    students = sorted(rpc.call("identity", "list_accounts", school_id, role="student"), key=pl_key)
    return render_template("archive/disclosures.html", form=form,
                           students=[(s["id"], f"{s['last_name']} {s['first_name']} ({s['login']})") for s in students],
                           bodies=list(BODY_KINDS.items()), years=_years(school_id),
                           rows=rpc.call("archive", "list_disclosures", school_id), school_args=school_args()), \
        form.status


# ------------------------------------------------------------------ printouts (ARC-4)

@bp.route("/zalaczniki-procedury")
@requires_page(*PRINT_ROLES)
def annexes():
    """Annexes 4-6 (ARC-4): a GET form; with ``kind`` given the answer is the PDF."""
    from .identity import _classes, _school_year
    school_id = current_school()
    given = bool(request.args.get("kind"))
    form = Form(request.args if given else None, labels=ANNEX_LABELS, kind="parents", school_year=_school_year())
    if given:
        with form.handle():
            kind = form.get("kind")
            if kind not in ANNEX_KINDS:
                form.add_error("kind", "Wybierz załącznik.")
            if kind in ("parents", "students") and not form.get("class_id"):
                form.add_error("class_id", "Wybierz klasę (załączniki 4 i 5 są sporządzane dla klasy).")
            query = form.load(ArcAnnexQuery)
            if form.errors:
                form.fail()
            class_id = query.get("class_id") if kind != "teachers" else None
            result = rpc.call("archive", "procedure_acknowledgement_list", school_id,
                              {"kind": kind, "class_id": class_id, "school_year": query["school_year"]})
            klass = rpc.call("scheduling", "get_class", class_id)["name"] if class_id else None
            return pdf_response(result["pdf_base64"], annex_file_name(kind, klass, query["school_year"]))
    return render_template("archive/annexes.html", form=form, options=ANNEX_OPTIONS,
                           class_options=[(c["id"], c["name"]) for c in _classes(school_id)],
                           school_args=school_args()), form.status

