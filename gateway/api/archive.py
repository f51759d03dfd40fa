"""Archive (issue 8: ARC-1..6, LAW-4, LAW-5, OPS-3): the yearly XML archive with its progress,
signature and verification, downloads registered as copies, the register of copies with the
recipient's receipt, retention and destruction, disclosure of a student's data, and Annexes 4-6.

Each route maps 1:1 to the archive RPC of the same meaning. The gateway's checks are defence in
depth: the roles of the permission matrix as the service names them (``@requires``; the service
checks again) and the school in the path (``@school_scoped``); the service answers another
school's archive, copy or disclosure with 404 (TEN-1).

- **Long calls.** Verifying and signing read the whole XML file, and a disclosure gathers a
  student's data from every service: seconds on a small school, longer on a large one. They are
  synchronous RPCs, so these routes wait up to ``SLOW_TIMEOUT`` instead of the usual
  ``DZIENNIK_RPC_TIMEOUT`` (the yearly archive itself runs in the background: ``/status``).
- **Downloads.** A download is first registered as a copy (``POST /archives/{id}/copies``,
  ARC-2); its files are then streamed chunk by chunk (``read_file``, base64 chunks) so that the
  gateway never holds a whole archive in memory: ``stream_copy_file``, used by the pages too.
- **Secrets.** The PKCS#12 file and its password only pass through: never logged (the access
  log has no bodies; the service marks them sensitive arguments)."""
import base64
import logging
import unicodedata
from urllib.parse import quote

from flask import Response, current_app, url_for

from services.common.errors import NotFound, RegisterError

from .. import rpc
from ..auth import (ADMINS, CLASS_TEACHER, DIRECTOR, DIRECTORS, SECRETARY, check_school, requires,
                    school_scoped)
from ..schemas import PDF
from . import api_blueprint
from .accounts import file_name, pdf_response
from .archive_schemas import (ANNEX_KINDS, ArcAnnexQuery, ArcArchiveDetailOut, ArcArchiveOut, ArcCertificateIn,
                              ArcCertificateOut, ArcCopiesQuery, ArcCopyIn, ArcCopyOut, ArcDestroyIn,
                              ArcDestructionOut, ArcDisclosureIn, ArcDisclosureOut, ArcDisclosureResultOut,
                              ArcDisclosuresQuery, ArcDownloadIn, ArcDueQuery, ArcStartIn, ArcStatusOut,
                              ArcVerifyIn, ArcVerifyOut)

log = logging.getLogger("gateway.archive")

bp = api_blueprint("archive", __name__, "Archiwum: roczne archiwa XML z podpisem i weryfikacją, rejestr kopii, "
                                        "okres przechowywania i niszczenie, udostępnianie danych ucznia, "
                                        "załączniki 4–6.")

# Who may do what (services/archive/domain.py): the school administrator (SADE) and the deputy
# run, sign, verify, download and destroy archives and load the certificate; the director runs,
# downloads and verifies them. The register of copies is also the vice-director's and the
# secretary's (they print personal data); a disclosure is the administrators' and the directors';
# Annexes 4-6 are printed by the administrators, directors, the class teacher and the secretary.
ARCHIVE_ROLES = ADMINS + (DIRECTOR,)
COPY_ROLES = ADMINS + DIRECTORS + (SECRETARY,)
DISCLOSERS = ADMINS + DIRECTORS
PRINT_ROLES = ADMINS + DIRECTORS + (CLASS_TEACHER, SECRETARY)

SLOW_TIMEOUT = 300.0          # s: verify, sign, disclose (synchronous RPCs that read whole files)
CHUNK = 1 << 20               # bytes per read_file call while streaming (the service's maximum is 4 MiB)
CONTENT_TYPES = {"xml": "application/xml", "html": "text/html; charset=utf-8", "json": "application/json",
                 "zip": "application/zip", "pdf": "application/pdf"}
BINARY = {"type": "string", "format": "binary"}
NO_CERTIFICATE = "Szkoła nie wgrała jeszcze certyfikatu do podpisywania archiwów."


# ------------------------------------------------------------------ helpers (the pages use them too)

def slow_call(method, *args):
    """An archive RPC that may take longer than the usual reply timeout (see the module docstring)."""
    pool = rpc.get_pool()
    return pool.invoke("archive", method, args, ctx=rpc.current_context(), timeout=max(SLOW_TIMEOUT, pool.timeout))


def in_school(record, message="Nie znaleziono archiwum."):
    """Defence in depth on what came back: a record of another school is never shown (TEN-1)."""
    check_school(record.get("school_id"), message)
    return record


def with_urls(copy):
    """A copy with the API address of each of its files (downloads: only its registrant)."""
    copy = dict(copy)
    copy["files"] = [{**f, "url": url_for("archive.copy_file", copy_id=copy["id"], file_name=f["name"])}
                     for f in copy.get("files") or []]
    return copy


def content_type(name):
    return CONTENT_TYPES.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def attachment(response, name):
    """Content-Disposition: attachment with the file's name (ASCII fallback and RFC 5987
    ``filename*`` when the name has Polish letters, as werkzeug's send_file does)."""
    try:
        name.encode("ascii")
        options = {"filename": name}
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii") or "plik"
        options = {"filename": simple, "filename*": "UTF-8''" + quote(name, safe="!#$&+^`|~")}
    response.headers.set("Content-Disposition", "attachment", **options)
    return response


def stream_copy_file(copy_id, name):
    """Stream a file of a registered copy (ARC-2) chunk by chunk through ``archive.read_file``.

    The first chunk is read before the answer starts, so a refusal (another school: 404; not the
    person who registered the copy: 403; a destroyed archive: 409) is an ordinary error answer.
    Memory stays at one chunk whatever the file's size: the response is a generator, sent as it
    is produced (``direct_passthrough``: nothing may turn it into a list, not even the access log
    asking for its length), with Content-Length from the file's size."""
    pool, ctx = rpc.get_pool(), rpc.current_context()
    chunk = int(current_app.config.get("ARCHIVE_CHUNK_BYTES") or CHUNK)
    first = pool.invoke("archive", "read_file", (copy_id, name, 0, chunk), ctx=ctx)

    def chunks():
        part = first
        while True:
            yield base64.b64decode(part["data_base64"])
            if part["next_offset"] is None:
                return
            try:
                part = pool.invoke("archive", "read_file", (copy_id, name, part["next_offset"], chunk), ctx=ctx)
            except RegisterError as exc:
                # Headers are gone: the only honest thing left is to cut the connection short
                # (the client sees fewer bytes than Content-Length).
                log.warning("download of %s (copy %s) interrupted: %s", name, copy_id, exc.message)
                raise

    response = Response(chunks(), mimetype=None, content_type=content_type(name), direct_passthrough=True)
    response.headers["Content-Length"] = str(first["size"])
    response.headers["Cache-Control"] = "no-store"
    if first.get("sha256"):
        response.headers["X-Checksum-SHA256"] = first["sha256"]
    return attachment(response, name)


# ------------------------------------------------------------------ the certificate (LAW-5)

@bp.route("/schools/<school_id>/archive-certificate", methods=["GET"])
@requires(*ARCHIVE_ROLES)
@school_scoped()
@bp.response(200, ArcCertificateOut)
def certificate(school_id):
    """Certyfikat szkoły do podpisywania archiwów (LAW-5)

    Tylko dane publiczne; 404, gdy szkoła nie wgrała certyfikatu."""
    cert = rpc.call("archive", "certificate", school_id)
    if cert is None:
        raise NotFound(NO_CERTIFICATE)
    return cert


@bp.route("/schools/<school_id>/archive-certificate", methods=["PUT"])
@requires(*ADMINS)
@school_scoped()
@bp.arguments(ArcCertificateIn)
@bp.response(200, ArcCertificateOut)
def upload_certificate(data, school_id):
    """Wgraj certyfikat i klucz szkoły (PKCS#12) do podpisywania archiwów (LAW-5)

    Plik `.p12`/`.pfx` zakodowany base64 z hasłem. Klucz jest przechowywany zaszyfrowany, hasło
    nie jest zapisywane; żadne z nich nie trafia do dzienników zdarzeń. Zastępuje poprzedni
    certyfikat (archiwa już podpisane zachowują swój podpis)."""
    return rpc.call("archive", "upload_certificate", school_id, data)


# ------------------------------------------------------------------ archives (ARC-1, LAW-4, LAW-5)

@bp.route("/schools/<school_id>/archives", methods=["GET"])
@requires(*ARCHIVE_ROLES)
@school_scoped()
@bp.response(200, ArcArchiveOut(many=True))
def list_archives(school_id):
    """Archiwa szkoły, od najnowszego, ze stanem i postępem (ARC-1)"""
    return rpc.call("archive", "list_archives", school_id)


@bp.route("/schools/<school_id>/archives", methods=["POST"])
@requires(*ARCHIVE_ROLES)
@school_scoped()
@bp.arguments(ArcStartIn)
@bp.response(202, ArcArchiveOut)
def start_archive(data, school_id):
    """Utwórz roczne archiwum dziennika (ARC-1, LAW-5)

    Archiwum powstaje w tle: postęp pod `/archives/{archive_id}/status`. Rok, który nie jest
    jeszcze zamknięty, wymaga `confirm_open_year: true` (inaczej 409 z komunikatem przy polu).
    Zamknięcie roku szkolnego uruchamia archiwum samo."""
    return rpc.call("archive", "start_archive", school_id, data)


@bp.route("/archives/<archive_id>", methods=["GET"])
@requires(*ARCHIVE_ROLES)
@bp.response(200, ArcArchiveDetailOut)
def get_archive(archive_id):
    """Archiwum: pliki z sumami kontrolnymi, manifest, kopie baz danych (ARC-1, OPS-3)"""
    return in_school(rpc.call("archive", "get_archive", archive_id))


@bp.route("/archives/<archive_id>/status", methods=["GET"])
@requires(*ARCHIVE_ROLES)
@bp.response(200, ArcStatusOut)
def archive_status(archive_id):
    """Postęp tworzenia archiwum: stan, procent, bieżąca sekcja, komunikat (ARC-1)"""
    return rpc.call("archive", "archive_status", archive_id)


@bp.route("/archives/<archive_id>/restart", methods=["POST"])
@requires(*ARCHIVE_ROLES)
@bp.response(202, ArcArchiveOut)
def restart_archive(archive_id):
    """Uruchom ponownie archiwum, którego tworzenie się nie powiodło (ARC-1)"""
    return rpc.call("archive", "restart_archive", archive_id)


@bp.route("/archives/<archive_id>/sign", methods=["POST"])
@requires(*ADMINS)
@bp.response(200, ArcArchiveOut)
def sign_archive(archive_id):
    """Podpisz archiwum certyfikatem szkoły (XAdES, LAW-5)

    Dla archiwum utworzonego przed wgraniem certyfikatu; najpierw sprawdzana jest suma kontrolna."""
    return in_school(slow_call("sign_archive", archive_id))


@bp.route("/archives/<archive_id>/verify", methods=["POST"])
@requires(*ARCHIVE_ROLES)
@bp.arguments(ArcVerifyIn)
@bp.response(200, ArcVerifyOut)
def verify_archive(data, archive_id):
    """Sprawdź archiwum: pliki, sumę SHA-256, manifest, zgodność ze schematem XSD i podpis (ARC-1, LAW-5)

    `ok` jest prawdą tylko wtedy, gdy wszystkie sprawdzenia się powiodły; każde mówi, co jest
    nie tak. Czyta cały plik archiwum: trwa od kilku sekund (mała szkoła) do kilku minut."""
    return slow_call("verify_archive", archive_id, data)


# ------------------------------------------------------------------ downloads and the register of copies (ARC-2)

@bp.route("/archives/<archive_id>/copies", methods=["POST"])
@requires(*ARCHIVE_ROLES)
@bp.arguments(ArcDownloadIn)
@bp.response(201, ArcCopyOut)
def download_archive(data, archive_id):
    """Pobierz archiwum: zarejestruj kopię dla odbiorcy (ARC-2)

    Odpowiedź to wpis w rejestrze kopii z adresami plików (`files[].url`); pliki pobiera osoba,
    która zarejestrowała kopię."""
    return with_urls(in_school(rpc.call("archive", "download_archive", archive_id, data),
                               "Nie znaleziono wpisu w rejestrze kopii."))


@bp.route("/copies/<copy_id>/files/<file_name>", methods=["GET"])
@requires(*COPY_ROLES)
@bp.response(200, BINARY, content_type="application/octet-stream",
             description="Plik kopii (XML, HTML, podpis XAdES, manifest, pakiet ZIP), przesyłany strumieniowo; "
                         "nagłówek X-Checksum-SHA256 podaje jego sumę kontrolną.")
def copy_file(copy_id, file_name):
    """Pobierz plik zarejestrowanej kopii (ARC-2)

    Tylko osoba, która zarejestrowała kopię; pliki zniszczonego archiwum nie są już dostępne (409)."""
    return stream_copy_file(copy_id, file_name)


@bp.route("/schools/<school_id>/copies", methods=["GET"])
@requires(*COPY_ROLES)
@school_scoped()
@bp.arguments(ArcCopiesQuery, location="query")
@bp.response(200, ArcCopyOut(many=True))
def list_copies(query, school_id):
    """Rejestr kopii szkoły, od najnowszej (ARC-2)"""
    return [with_urls(c) for c in rpc.call("archive", "list_copies", school_id, query)]


@bp.route("/schools/<school_id>/copies", methods=["POST"])
@requires(*COPY_ROLES)
@school_scoped()
@bp.arguments(ArcCopyIn)
@bp.response(201, ArcCopyOut)
def register_copy(data, school_id):
    """Zarejestruj kopię danych zrobioną poza archiwum: eksport, wydruk danych osobowych, kopię bazy (ARC-2)"""
    return with_urls(rpc.call("archive", "register_copy", school_id, data))


def receipt_file_name(copy):
    return file_name("potwierdzenie odbioru kopii nr", copy["number"])


@bp.route("/copies/<copy_id>/receipt.pdf", methods=["GET"])
@requires(*COPY_ROLES)
@bp.response(200, PDF, content_type="application/pdf",
             description="Potwierdzenie odbioru kopii do podpisu odbiorcy (PDF).")
def copy_receipt(copy_id):
    """Potwierdzenie odbioru kopii – PDF (ARC-2)

    Zapisuje, kiedy wydrukowano potwierdzenie."""
    result = rpc.call("archive", "copy_receipt", copy_id)
    in_school(result["copy"], "Nie znaleziono wpisu w rejestrze kopii.")
    return pdf_response(result["pdf_base64"], receipt_file_name(result["copy"]))


# ------------------------------------------------------------------ retention and destruction (ARC-5)

@bp.route("/schools/<school_id>/archives/due-for-destruction", methods=["GET"])
@requires(*ARCHIVE_ROLES)
@school_scoped()
@bp.arguments(ArcDueQuery, location="query")
@bp.response(200, ArcArchiveOut(many=True))
def due_for_destruction(query, school_id):
    """Archiwa po okresie przechowywania (6 lat), do zniszczenia (ARC-5)"""
    return rpc.call("archive", "due_for_destruction", school_id, query["on_date"])


@bp.route("/archives/<archive_id>/destroy", methods=["POST"])
@requires(*ADMINS)
@bp.arguments(ArcDestroyIn)
@bp.response(200, ArcDestructionOut)
def destroy_archive(data, archive_id):
    """Zniszcz archiwum po okresie przechowywania (ARC-5)

    Potwierdzenie: nazwa roku szkolnego archiwum. Pliki i kopie baz danych są usuwane; kto,
    kiedy i co zniszczył – zapisane na stałe."""
    return in_school(rpc.call("archive", "destroy_archive", archive_id, data))


@bp.route("/schools/<school_id>/destructions", methods=["GET"])
@requires(*ARCHIVE_ROLES)
@school_scoped()
@bp.response(200, ArcDestructionOut(many=True))
def list_destructions(school_id):
    """Protokół zniszczonych archiwów (ARC-5)"""
    return rpc.call("archive", "list_destructions", school_id)


# ------------------------------------------------------------------ disclosure (ARC-6)

@bp.route("/schools/<school_id>/disclosures", methods=["POST"])
@requires(*DISCLOSERS)
@school_scoped()
@bp.arguments(ArcDisclosureIn)
@bp.response(201, ArcDisclosureResultOut)
def disclose_student_data(data, school_id):
    """Udostępnij dane ucznia uprawnionemu organowi lub szkole (ARC-6)

    Pakiet ZIP (XML zgodny ze schematem archiwum, podsumowanie PDF, manifest, podpis) zbierany
    ze wszystkich usług; zapisywane są udostępnienie i kopia. Pakiet pobiera się adresem z
    `copy.files[].url`."""
    result = slow_call("disclose_student_data", school_id, data)
    return {"disclosure": result["disclosure"], "copy": with_urls(result["copy"])}


@bp.route("/schools/<school_id>/disclosures", methods=["GET"])
@requires(*DISCLOSERS)
@school_scoped()
@bp.arguments(ArcDisclosuresQuery, location="query")
@bp.response(200, ArcDisclosureOut(many=True))
def list_disclosures(query, school_id):
    """Rejestr udostępnień danych uczniów: kto wnioskował, podstawa prawna, kiedy, kto wydał (ARC-6)"""
    return rpc.call("archive", "list_disclosures", school_id, query["student_id"])


# ------------------------------------------------------------------ printouts (ARC-4)

def annex_file_name(kind, class_name, school_year):
    number, who = ANNEX_KINDS[kind]
    return file_name("załącznik", number, who, class_name and f"klasa {class_name}", school_year.replace("/", "-"))


@bp.route("/schools/<school_id>/procedure-annexes/<kind>", methods=["GET"])
@requires(*PRINT_ROLES)
@school_scoped()
@bp.arguments(ArcAnnexQuery, location="query")
@bp.response(200, PDF, content_type="application/pdf",
             description="Lista potwierdzeń zapoznania się z procedurą (PDF) z kolumną na datę i podpis.")
def procedure_annex(query, school_id, kind):
    """Załączniki 4–6: potwierdzenia zapoznania się z procedurą dziennika (PDF, ARC-4)

    `kind`: `parents` (zał. 4, klasa), `students` (zał. 5, klasa), `teachers` (zał. 6, szkoła)."""
    if kind not in ANNEX_KINDS:
        raise NotFound("Nie ma takiego załącznika (dostępne: parents, students, teachers).")
    class_id = query["class_id"] if kind != "teachers" else None
    result = rpc.call("archive", "procedure_acknowledgement_list", school_id,
                      {"kind": kind, "class_id": class_id, "school_year": query["school_year"]})
    klass = rpc.call("scheduling", "get_class", class_id)["name"] if class_id else None
    return pdf_response(result["pdf_base64"], annex_file_name(kind, klass, query["school_year"]))
