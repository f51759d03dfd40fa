"""archive: the nameko entrypoints. Each loads its arguments, checks the caller (school, role),
applies the rule from ``domain`` and stores; the yearly archive itself is written by the
background runner (``dependencies.ArchiveRunner`` → ``jobs.run``), never in an RPC worker."""
import base64
import hashlib
import json
import os
import shutil
import uuid
import zipfile
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from eventlet import tpool
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, Forbidden, Invalid, NotFound, RegisterError
from services.common.handlers import idempotent, subscribe
from services.common.models import utcnow
from services.common.rpc import ServiceRpc, SystemRpc
from services.common.service import PlatformService, typed_rpc
from services.common.validation import load

from . import domain, jobs, printouts, signing, xmlarchive
from .dependencies import ArchiveRunner, Files
from .models import Archive, CopyRecord, DatabaseCopy, Destruction, Disclosure, SchoolCertificate
from .schemas import (AcknowledgementIn, CertificateIn, ChildViewIn, CopiesQuery, CopyIn, DestroyIn,
                      DisclosureIn, DownloadIn, StartIn, VerifyIn)

SCHOOL_TZ = ZoneInfo("Europe/Warsaw")
CHUNK = 1 << 20
MAX_CHUNK = 4 << 20


def _iso(value):
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    return value.isoformat()


def _aware(value):
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


def _local(value):
    return _aware(value).astimezone(SCHOOL_TZ).strftime("%d.%m.%Y %H:%M")


def today():
    return datetime.now(SCHOOL_TZ).date()


class ArchiveService(PlatformService):
    name = "archive"
    identity = SystemRpc("identity")
    scheduling = SystemRpc("scheduling")
    grades = SystemRpc("grades")
    attendance = SystemRpc("attendance")
    messaging = SystemRpc("messaging")
    # The same services asked with the caller's own context (the user's roles, school and children
    # travel along): a printout of what a person may see is made of what they are answered
    # (ARC-3), never of what the system would be.
    grades_as_caller = ServiceRpc("grades")
    attendance_as_caller = ServiceRpc("attendance")
    identity_as_caller = ServiceRpc("identity")
    runner = ArchiveRunner()
    files = Files()

    # ======================================================================== lookups

    def _archive(self, archive_id):
        a = self.db.session.get(Archive, archive_id) if isinstance(archive_id, str) and archive_id else None
        if a is None:
            raise NotFound("Nie znaleziono archiwum.")
        self.caller.require_school(a.school_id)
        return a

    def _copy(self, copy_id):
        c = self.db.session.get(CopyRecord, copy_id) if isinstance(copy_id, str) and copy_id else None
        if c is None:
            raise NotFound("Nie znaleziono wpisu w rejestrze kopii.")
        self.caller.require_school(c.school_id)
        return c

    def _school(self, school_id):
        self.caller.require_school(school_id)
        try:
            return self.identity.get_school(school_id)
        except NotFound:
            raise NotFound("Nie znaleziono szkoły.")

    def _person(self, user_id):
        if not user_id:
            return None
        try:
            a = self.identity.get_account(user_id)
            return f"{a['first_name']} {a['last_name']}"
        except RegisterError:
            return None

    def _call(self, service, method, *args, **kwargs):
        return getattr(getattr(self, service), method)(*args, **kwargs)

    def _year(self, school_id, ref):
        for y in self.scheduling.list_school_years(school_id):
            if ref in (y["id"], y["name"]):
                return y
        raise NotFound("Nie znaleziono roku szkolnego.", {"school_year": ["Nie ma takiego roku w tej szkole."]})

    @staticmethod
    def _out(a):
        return {
            "id": a.id, "school_id": a.school_id, "school_name": a.school_name, "year_id": a.year_id,
            "school_year": a.year_name, "year_starts_on": _iso(a.year_starts_on), "year_ends_on": _iso(a.year_ends_on),
            "year_closed": a.year_closed, "trigger": a.trigger, "status": a.status,
            "status_pl": domain.STATUS_PL.get(a.status, a.status), "percent": a.percent,
            "current_section": a.current_section, "message": a.message, "attempts": a.attempts,
            "requested_by": a.requested_by, "requested_at": _iso(a.requested_at), "started_at": _iso(a.started_at),
            "finished_at": _iso(a.finished_at), "xml_file": a.xml_file, "xml_size": a.xml_size,
            "xml_sha256": a.xml_sha256, "html_file": a.html_file, "signature_file": a.signature_file,
            "signed": a.signature_file is not None, "signed_at": _iso(a.signed_at), "signer_subject": a.signer_subject,
            "signer_fingerprint": a.signer_fingerprint, "files": a.files or [], "counts": a.counts or {},
            "records": sum((a.counts or {}).values()), "retention_until": _iso(a.retention_until),
            "destroyed_at": _iso(a.destroyed_at)}

    # ======================================================================== certificate (LAW-5)

    @typed_rpc(sensitive_arguments=("data.pkcs12_base64", "data.password"))
    def upload_certificate(self, school_id, data):
        """Load the school's certificate and key (a PKCS#12 file, base64, with its password) to
        sign its archives (LAW-5; administrators). The key is kept re-encrypted with the
        service's secret, readable only by the service; the password is not stored."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ADMINS)
        data = load(CertificateIn, data)
        try:
            blob = base64.b64decode(data["pkcs12_base64"], validate=True)
        except ValueError:
            raise Invalid("Plik PKCS#12 nie jest poprawnym base64.", {"pkcs12_base64": ["Niepoprawny format."]})
        try:
            key, cert, chain = signing.load_pkcs12(blob, data["password"])
        except signing.CertificateProblem as exc:
            raise Invalid(str(exc), {"pkcs12_base64": [str(exc)]})
        problems = signing.check_certificate(cert, key)
        if problems:
            raise Invalid(" ".join(problems), {"pkcs12_base64": problems})
        path = tpool.execute(signing.store_key, self.files.root, school_id, key, cert, chain)
        info = signing.describe(cert)
        chain_pem = "".join(signing.describe(c)["cert_pem"] for c in chain)
        with self.db.unit_of_work() as s:
            row = s.get(SchoolCertificate, school_id) or SchoolCertificate(school_id=school_id)
            row.subject, row.issuer, row.serial = info["subject"], info["issuer"], info["serial"]
            row.not_before, row.not_after, row.fingerprint = info["not_before"], info["not_after"], info["fingerprint"]
            row.cert_pem, row.chain_pem, row.key_file = info["cert_pem"], chain_pem, path
            row.uploaded_by, row.uploaded_at = self.caller.user_id, utcnow()
            s.add(row)
        self.log.info("signing certificate of school %s loaded: %s", school_id, info["subject"])
        return self._cert_out(row)

    @staticmethod
    def _cert_out(row):
        return {"school_id": row.school_id, "subject": row.subject, "issuer": row.issuer, "serial": row.serial,
                "not_before": _iso(row.not_before), "not_after": _iso(row.not_after),
                "fingerprint": row.fingerprint, "cert_pem": row.cert_pem, "uploaded_by": row.uploaded_by,
                "uploaded_at": _iso(row.uploaded_at)}

    @typed_rpc
    def certificate(self, school_id):
        """The school's signing certificate (public data only), or None (LAW-5)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ARCHIVE_ROLES)
        row = self.db.session.get(SchoolCertificate, school_id)
        return self._cert_out(row) if row else None

    # ======================================================================== archives (ARC-1)

    @typed_rpc
    def start_archive(self, school_id, data):
        """Start the yearly archive of a school year (ARC-1, LAW-5; administrator or director):
        it runs in the background, see ``archive_status``. A year not yet closed needs
        ``confirm_open_year``."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ARCHIVE_ROLES)
        data = load(StartIn, data)
        year = self._year(school_id, data["school_year"])
        refusal = domain.open_year_refusal(year, data["confirm_open_year"])
        if refusal:
            raise Conflict(refusal, {"confirm_open_year": ["Wymagane potwierdzenie."]})
        with self.db.unit_of_work() as s:
            busy = s.scalar(select(Archive.id).where(Archive.school_id == school_id, Archive.year_id == year["id"],
                                                     Archive.status.in_(("queued", "running"))))
            if busy:
                raise Conflict("Archiwum tego roku szkolnego jest już tworzone.", {"archive_id": [busy]})
            a = self._new_archive(school_id, year, "manual", self.caller.user_id)
            s.add(a)
        self.runner.wake()
        return self._out(a)

    @staticmethod
    def _new_archive(school_id, year, trigger, requested_by):
        starts, ends = (v if isinstance(v, date) else date.fromisoformat(v)
                        for v in (year["starts_on"], year["ends_on"]))
        return Archive(school_id=school_id, year_id=year["id"], year_name=year["name"], year_starts_on=starts,
                       year_ends_on=ends, year_closed=bool(year.get("closed_at") or year.get("closed")),
                       trigger=trigger, status="queued", requested_by=requested_by,
                       message="Archiwum oczekuje na utworzenie.")

    @subscribe("scheduling.school_year_closed")
    @idempotent
    def on_school_year_closed(self, event):
        """LAW-5: a closed school year is archived at once (the procedure allows 10 days)."""
        p = event["payload"]
        year = {"id": p["year_id"], "name": p["name"], "starts_on": p["starts_on"], "ends_on": p["ends_on"],
                "closed": True}
        self.db.session.add(self._new_archive(event["school_id"], year, "school_year_closed",
                                              event["actor"].get("user_id")))
        self.log.info("school year %s of school %s closed: yearly archive queued", p["name"], event["school_id"])

    @typed_rpc
    def archive_status(self, job_id):
        """Progress of an archive: status, percent, the section being written, the last message."""
        a = self._archive(job_id)
        self.caller.require_role(*domain.ARCHIVE_ROLES)
        return {k: v for k, v in self._out(a).items() if k in (
            "id", "status", "status_pl", "percent", "current_section", "message", "school_year", "started_at",
            "finished_at", "attempts")}

    @typed_rpc
    def list_archives(self, school_id):
        """The school's archives, newest first, with status and progress (ARC-1)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ARCHIVE_ROLES)
        rows = self.db.session.scalars(select(Archive).where(Archive.school_id == school_id)
                                       .order_by(Archive.requested_at.desc())).all()
        return [self._out(a) for a in rows]

    @typed_rpc
    def get_archive(self, archive_id):
        """One archive with its files, manifest and the database copies made with it (ARC-1)."""
        a = self._archive(archive_id)
        self.caller.require_role(*domain.ARCHIVE_ROLES)
        out = self._out(a)
        out["manifest"] = a.manifest
        out["database_copies"] = [{"service": c.service, "kind": c.kind, "path": c.path, "size": c.size,
                                   "sha256": c.sha256, "created_at": _iso(c.created_at),
                                   "deleted_at": _iso(c.deleted_at)}
                                  for c in self.db.session.scalars(select(DatabaseCopy).where(
                                      DatabaseCopy.archive_id == a.id).order_by(DatabaseCopy.service))]
        return out

    @typed_rpc
    def restart_archive(self, archive_id):
        """Run a failed archive again from the start (its partial files were removed)."""
        a = self._archive(archive_id)
        self.caller.require_role(*domain.ARCHIVE_ROLES)
        if a.status != "failed":
            raise Conflict("Ponownie uruchomić można tylko archiwum, którego tworzenie się nie powiodło.")
        with self.db.unit_of_work():
            a.status, a.percent, a.current_section, a.error = "queued", 0, None, None
            a.message, a.finished_at = "Archiwum oczekuje na ponowne utworzenie.", None
        self.runner.wake()
        return self._out(a)

    def _folder(self, a):
        if a.status == "destroyed":
            raise Conflict("Archiwum zostało zniszczone.")
        if a.status != "completed" or not a.folder:
            raise Conflict("Archiwum nie jest jeszcze gotowe.")
        return a.folder

    @typed_rpc
    def sign_archive(self, archive_id):
        """Sign a completed archive that has no signature yet with the school's current
        certificate (LAW-5; administrators); its checksum is checked first."""
        a = self._archive(archive_id)
        self.caller.require_role(*domain.ADMINS)
        folder = self._folder(a)
        if a.signature_file:
            raise Conflict("Archiwum jest już podpisane.")
        cert = self.db.session.get(SchoolCertificate, a.school_id)
        if cert is None:
            raise Conflict("Szkoła nie wgrała certyfikatu do podpisywania archiwów.")
        xml_path = os.path.join(folder, a.xml_file)
        if tpool.execute(domain.sha256_file, xml_path) != a.xml_sha256:
            raise Conflict("Suma kontrolna archiwum nie zgadza się: archiwum zostało zmienione; nie można go podpisać.")
        key, c, chain = tpool.execute(signing.load_key, self.files.root, cert.key_file)
        sig_name = a.xml_file[:-4] + ".xades.xml"
        info = tpool.execute(signing.sign_detached, xml_path, os.path.join(folder, sig_name), key, c, chain)
        manifest = dict(a.manifest)
        manifest["signature"] = {"file": sig_name, **info}
        manifest["files"] = [f for f in manifest["files"] if f["kind"] != "podpis-xades"] + [
            {"name": sig_name, "kind": "podpis-xades", "size": os.path.getsize(os.path.join(folder, sig_name)),
             "sha256": domain.sha256_file(os.path.join(folder, sig_name))}]
        jobs.write_manifest(folder, manifest)
        with self.db.unit_of_work():
            a.signature_file, a.signer_subject, a.signer_fingerprint = sig_name, info["subject"], info["fingerprint"]
            a.signed_at, a.manifest, a.files = datetime.fromisoformat(info["signed_at"]), manifest, manifest["files"]
            a.message = "Archiwum podpisane."
        return self._out(a)

    @typed_rpc
    def verify_archive(self, archive_id, data=None):
        """Check an archive (ARC-1, LAW-5): its files exist, the XML validates against the XSD,
        its SHA-256 matches the recorded one and the manifest, and the XAdES signature is valid
        (against the certificate it was signed with, or the authority ``ca_pem`` given).
        ``ok`` is true only when every check passes; each check says what is wrong."""
        a = self._archive(archive_id)
        self.caller.require_role(*domain.ARCHIVE_ROLES)
        data = load(VerifyIn, data or {})
        folder = self._folder(a)
        return tpool.execute(_verify, folder, a.xml_file, a.xml_sha256, a.signature_file,
                             a.signer_fingerprint, a.signed_at, data["ca_pem"], a.files or [])

    # ======================================================================== downloads, register of copies (ARC-2)

    def _next_number(self, school_id):
        return (self.db.session.scalar(select(func.max(CopyRecord.number)).where(
            CopyRecord.school_id == school_id)) or 0) + 1

    def _add_copy(self, school_id, **fields):
        """A copy record with the next number of the school (retried if two take it at once)."""
        for _ in range(5):
            try:
                with self.db.unit_of_work() as s:
                    copy = CopyRecord(school_id=school_id, number=self._next_number(school_id),
                                      made_by=self.caller.user_id, made_by_name=self._person(self.caller.user_id),
                                      **fields)
                    s.add(copy)
                return copy
            except IntegrityError:
                continue
        raise Conflict("Nie udało się nadać numeru kopii; spróbuj ponownie.")

    @staticmethod
    def _copy_out(c):
        return {"id": c.id, "school_id": c.school_id, "number": c.number, "kind": c.kind,
                "kind_pl": domain.COPY_KINDS.get(c.kind, c.kind), "description": c.description,
                "recipient": c.recipient, "recipient_institution": c.recipient_institution, "purpose": c.purpose,
                "carrier": c.carrier, "archive_id": c.archive_id, "disclosure_id": c.disclosure_id,
                "files": [{k: f[k] for k in ("name", "size", "sha256") if k in f} for f in (c.files or [])],
                "made_by": c.made_by, "made_by_name": c.made_by_name, "made_at": _iso(c.made_at),
                "receipt_printed_at": _iso(c.receipt_printed_at)}

    @typed_rpc
    def download_archive(self, archive_id, data):
        """Register a copy of an archive for a recipient (ARC-2) and return the copy with its files;
        the files are then read with ``read_file(copy_id, name, offset)`` (administrator or director)."""
        a = self._archive(archive_id)
        self.caller.require_role(*domain.ARCHIVE_ROLES)
        data = load(DownloadIn, data)
        self._folder(a)
        available = {f["name"]: f for f in a.files or []}
        for extra in ("manifest.json", "manifest.xml"):
            path = os.path.join(a.folder, extra)
            if os.path.exists(path):
                available[extra] = {"name": extra, "size": os.path.getsize(path), "sha256": domain.sha256_file(path)}
        names = data["files"] or list(available)
        unknown = [n for n in names if n not in available]
        if unknown:
            raise Invalid("Nieznane pliki archiwum.", {"files": [f"Brak pliku: {n}." for n in unknown]})
        copy = self._add_copy(
            a.school_id, kind="archive", archive_id=a.id, recipient=data["recipient"],
            recipient_institution=data["recipient_institution"], purpose=data["purpose"], carrier=data["carrier"],
            description=f"Archiwum dziennika elektronicznego, rok szkolny {a.year_name} (SHA-256 {a.xml_sha256})",
            files=[{**available[n], "path": os.path.join(a.folder, n)} for n in names])
        self.log.info("copy %s of archive %s registered for %s", copy.number, a.id, data["recipient"])
        return self._copy_out(copy)

    @typed_rpc
    def read_file(self, copy_id, name, offset=0, length=CHUNK):
        """A chunk (base64) of a file of a registered copy, for the gateway to stream the download:
        only the person who registered the copy (ARC-2)."""
        copy = self._copy(copy_id)
        if not (self.caller.is_system or self.caller.is_association_admin or copy.made_by == self.caller.user_id):
            raise Forbidden("Pliki kopii pobiera osoba, która ją zarejestrowała.")
        entry = next((f for f in copy.files or [] if f["name"] == name), None)
        if entry is None or not entry.get("path"):
            raise NotFound("Nie znaleziono pliku tej kopii.")
        if copy.archive_id:
            a = self.db.session.get(Archive, copy.archive_id)
            if a is None or a.status == "destroyed":
                raise Conflict("Archiwum zostało zniszczone.")
        try:
            offset, length = int(offset), min(int(length), MAX_CHUNK)
        except (TypeError, ValueError):
            raise Invalid("Niepoprawne dane: offset.", {"offset": ["Oczekiwano liczby całkowitej."]})
        if offset < 0 or length < 1:
            raise Invalid("Niepoprawne dane: offset.", {"offset": ["Wartość co najmniej 0."]})
        try:
            size = os.path.getsize(entry["path"])
            with open(entry["path"], "rb") as fh:
                fh.seek(offset)
                chunk = fh.read(length)
        except OSError:
            raise NotFound("Plik kopii nie istnieje.")
        end = offset + len(chunk)
        return {"name": name, "offset": offset, "size": size, "sha256": entry.get("sha256"),
                "data_base64": base64.b64encode(chunk).decode(), "next_offset": end if end < size else None}

    @typed_rpc
    def register_copy(self, school_id, data):
        """Record an extra copy of register data (an export, a printout of personal data, a copy of
        the database): what, for whom, why, on which carrier (ARC-2, XII.2)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.COPY_ROLES)
        data = load(CopyIn, data)
        copy = self._add_copy(school_id, **data)
        return self._copy_out(copy)

    @typed_rpc
    def list_copies(self, school_id, query=None):
        """The register of copies of a school, newest first (ARC-2)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.COPY_ROLES)
        q = load(CopiesQuery, query or {})
        stmt = select(CopyRecord).where(CopyRecord.school_id == school_id)
        if q["kind"]:
            stmt = stmt.where(CopyRecord.kind == q["kind"])
        if q["date_from"]:
            stmt = stmt.where(CopyRecord.made_at >= datetime.combine(q["date_from"], datetime.min.time(), timezone.utc))
        if q["date_to"]:
            stmt = stmt.where(CopyRecord.made_at <= datetime.combine(q["date_to"], datetime.max.time(), timezone.utc))
        rows = self.db.session.scalars(stmt.order_by(CopyRecord.number.desc()).limit(q["limit"])).all()
        return [self._copy_out(c) for c in rows]

    @typed_rpc
    def copy_receipt(self, copy_id):
        """The printable receipt of a copy for the recipient's signature (PDF, base64; ARC-2)."""
        copy = self._copy(copy_id)
        self.caller.require_role(*domain.COPY_ROLES)
        school = self._school(copy.school_id)
        out = self._copy_out(copy)
        out["made_at_pl"] = _local(copy.made_at)
        pdf = printouts.copy_receipt(school["name"], out, out["files"])
        with self.db.unit_of_work():
            copy.receipt_printed_at = utcnow()
        return {"copy": self._copy_out(copy), "pdf_base64": base64.b64encode(pdf).decode()}

    # ======================================================================== retention (ARC-5)

    @typed_rpc
    def due_for_destruction(self, school_id, on_date=None):
        """Archives past their retention (6 years, IV.8) on ``on_date`` (default today), to be
        destroyed on the administrator's confirmation (ARC-5)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ARCHIVE_ROLES)
        try:
            day = date.fromisoformat(on_date) if on_date else today()
        except (TypeError, ValueError):
            raise Invalid("Niepoprawne dane: on_date.", {"on_date": ["Niepoprawna data (RRRR-MM-DD)."]})
        rows = self.db.session.scalars(select(Archive).where(
            Archive.school_id == school_id, Archive.status == "completed", Archive.retention_until <= day)
            .order_by(Archive.retention_until)).all()
        return [self._out(a) for a in rows]

    @typed_rpc
    def destroy_archive(self, archive_id, data):
        """Destroy an archive past its retention (ARC-5; administrators): ``confirmation`` is the
        archive's school year. Its files and database copies are deleted; who, when, what and the
        checksum are recorded for good."""
        a = self._archive(archive_id)
        self.caller.require_role(*domain.ADMINS)
        data = load(DestroyIn, data)
        refusal = domain.destruction_refusal(a.status, a.retention_until, today(), data["confirmation"], a.year_name)
        if refusal:
            raise Conflict(refusal, {"confirmation": [refusal]})
        s = self.db.session
        copies = s.scalars(select(DatabaseCopy).where(DatabaseCopy.archive_id == a.id)).all()
        removed_copies = []
        for c in copies:
            gone = _remove(c.path)
            removed_copies.append({"service": c.service, "path": c.path, "sha256": c.sha256, "size": c.size,
                                   "removed": gone})
        if a.folder:
            shutil.rmtree(a.folder, ignore_errors=True)
        now = utcnow()
        with self.db.unit_of_work():
            for c in copies:
                c.deleted_at = now
            record = Destruction(school_id=a.school_id, archive_id=a.id, year_name=a.year_name,
                                 retention_until=a.retention_until, xml_sha256=a.xml_sha256,
                                 files=a.files or [], database_copies=removed_copies,
                                 confirmation=data["confirmation"], destroyed_by=self.caller.user_id,
                                 destroyed_by_name=self._person(self.caller.user_id), destroyed_at=now)
            s.add(record)
            a.status, a.destroyed_at, a.message = "destroyed", now, "Archiwum zniszczone po okresie przechowywania."
        self.log.info("archive %s (%s) destroyed by %s", a.id, a.year_name, self.caller.user_id)
        return self._destruction_out(record)

    @staticmethod
    def _destruction_out(d):
        return {"id": d.id, "archive_id": d.archive_id, "school_id": d.school_id, "school_year": d.year_name,
                "retention_until": _iso(d.retention_until), "xml_sha256": d.xml_sha256, "files": d.files,
                "database_copies": d.database_copies, "destroyed_by": d.destroyed_by,
                "destroyed_by_name": d.destroyed_by_name, "destroyed_at": _iso(d.destroyed_at)}

    @typed_rpc
    def list_destructions(self, school_id):
        """The permanent record of destroyed archives (ARC-5)."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ARCHIVE_ROLES)
        rows = self.db.session.scalars(select(Destruction).where(Destruction.school_id == school_id)
                                       .order_by(Destruction.destroyed_at.desc())).all()
        return [self._destruction_out(d) for d in rows]

    # ======================================================================== disclosure (ARC-6)

    @typed_rpc
    def disclose_student_data(self, school_id, data):
        """A student's complete data package for an authorised body or another school (ARC-6,
        XII.3): a ZIP with the XML (same schema as the archive), a PDF summary and a manifest,
        gathered from every service over the export protocol; the disclosure and the copy are
        recorded (administrator or director). The ZIP is read with ``read_file``."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ADMINS, "director", "vice_director")
        data = load(DisclosureIn, data)
        school = self._school(school_id)
        try:
            student = self.identity.get_account(data["student_id"])
        except NotFound:
            student = None
        if not student or student.get("school_id") != school_id or "student" not in (student.get("roles") or []):
            raise NotFound("Nie znaleziono ucznia.", {"student_id": ["Nie ma takiego ucznia w tej szkole."]})
        filters = {"student_id": student["id"]}
        if data["school_year"]:
            year = self._year(school_id, data["school_year"])
            filters.update(school_year=year["name"], date_from=year["starts_on"], date_to=year["ends_on"])
        made_by_name = self._person(self.caller.user_id) or "system"
        disclosure_id = str(uuid.uuid4())
        now = utcnow()
        record = {**data, "made_by_name": made_by_name, "made_at_pl": _local(now),
                  "student_name": f"{student['first_name']} {student['last_name']}"}
        folder = os.path.join(self.files.root, "archive", school_id, "udostepnienia", disclosure_id)
        os.makedirs(folder, mode=0o750, exist_ok=True)
        try:
            package = self._build_package(school, student, record, filters, disclosure_id, folder, now)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        copy = self._add_copy(
            school_id, kind="disclosure", disclosure_id=disclosure_id,
            recipient=data["recipient"] or data["body_name"], recipient_institution=data["body_name"],
            purpose=data["purpose"] or f"Udostępnienie danych ucznia: {data['legal_basis']}",
            description=f"Dane ucznia {record['student_name']}"
                        + (f", sprawa {data['case_number']}" if data["case_number"] else ""),
            files=[{"name": package["name"], "size": package["size"], "sha256": package["sha256"],
                    "path": package["path"]}])
        with self.db.unit_of_work() as s:
            d = Disclosure(id=disclosure_id, school_id=school_id, student_id=student["id"],
                           student_name=record["student_name"], body_kind=data["body_kind"],
                           body_name=data["body_name"], legal_basis=data["legal_basis"],
                           case_number=data["case_number"], requested_on=data["requested_on"],
                           requested_by=data["requested_by"], school_year=data["school_year"],
                           made_by=self.caller.user_id, made_by_name=made_by_name, made_at=now,
                           package_path=package["path"], package_size=package["size"],
                           package_sha256=package["sha256"], counts=package["counts"], copy_id=copy.id)
            s.add(d)
        self.log.info("student %s data disclosed to %s (%s)", student["id"], data["body_name"], data["body_kind"])
        return {"disclosure": self._disclosure_out(d), "copy": self._copy_out(copy)}

    def _build_package(self, school, student, record, filters, disclosure_id, folder, now):
        names = {"subjects": {}, "classes": {}, "grade_categories": {}, "attendance_categories": {}}
        for service, section, key in (("scheduling", "subjects", "subjects"), ("scheduling", "classes", "classes"),
                                      ("grades", "categories", "grade_categories"),
                                      ("attendance", "categories", "attendance_categories")):
            for page in jobs.pages(self._call, service, school["id"], section):
                names[key].update({i["id"]: i for i in page["items"]})
        xml_path = os.path.join(folder, "dane-ucznia.xml")
        collected = []
        header = {"school": school, "creator": {"id": self.caller.user_id, "name": record["made_by_name"]},
                  "student": {"id": student["id"], "name": record["student_name"]}, "disclosure": record}
        if filters.get("school_year"):
            header["year"] = {"name": filters["school_year"], "starts_on": filters["date_from"],
                              "ends_on": filters["date_to"]}
        with open(xml_path, "wb") as fh:
            with xmlarchive.ArchiveWriter(fh, archive_id=disclosure_id, kind=xmlarchive.DISCLOSURE,
                                          header=header, created_at=now) as w:
                for service, sections in jobs.discover(self._call):
                    with w.service(service):
                        for sec in sections:
                            if "student" not in sec["filters"]:
                                continue
                            items = []
                            with w.section(sec["section"], sec["label"], sec.get("fields")) as ws:
                                for page in jobs.pages(self._call, service, school["id"], sec["section"], **filters):
                                    ws.write_items(page["items"])
                                    items.extend(page["items"])
                            collected.append((service, sec, items))
        problems = xmlarchive.validate(xml_path)
        if problems:
            raise Conflict("Pakiet danych nie jest zgodny ze schematem XSD: " + "; ".join(problems)[:300])
        summary = [{"label": f"{sec['label']} ({service})", "records": len(items),
                    "lines": _summary_lines(service, sec["section"], items, names, student["id"])}
                   for service, sec, items in collected]
        pdf = printouts.disclosure_summary(school["name"], record, {"name": record["student_name"]}, summary)
        with open(os.path.join(folder, "podsumowanie.pdf"), "wb") as fh:
            fh.write(pdf)
        files = ["dane-ucznia.xml", "podsumowanie.pdf"]
        cert = self.db.session.get(SchoolCertificate, school["id"])
        if cert is not None:
            key, c, chain = tpool.execute(signing.load_key, self.files.root, cert.key_file)
            tpool.execute(signing.sign_detached, xml_path, os.path.join(folder, "dane-ucznia.xades.xml"), key, c,
                          chain, f"Dane ucznia {record['student_name']}")
            files.append("dane-ucznia.xades.xml")
        counts = {f"{service}.{sec['section']}": len(items) for service, sec, items in collected}
        manifest = {"format": "dziennik-udostepnienie", "version": "1.0", "disclosure_id": disclosure_id,
                    "created_at": now.isoformat(timespec="seconds"),
                    "school": {k: school.get(k) for k in ("id", "name", "short_name", "city")},
                    "student": {"id": student["id"], "name": record["student_name"]},
                    "body": {"kind": record["body_kind"], "name": record["body_name"],
                             "legal_basis": record["legal_basis"], "case_number": record["case_number"]},
                    "made_by": {"id": self.caller.user_id, "name": record["made_by_name"]}, "counts": counts,
                    "files": [{"name": n, "size": os.path.getsize(os.path.join(folder, n)),
                               "sha256": domain.sha256_file(os.path.join(folder, n))} for n in files]}
        with open(os.path.join(folder, "manifest.json"), "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=2)
        files.append("manifest.json")
        zip_name = f"udostepnienie-{domain.slug(record['student_name'])}-{now:%Y%m%d}.zip"
        zip_path = os.path.join(folder, zip_name)
        with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for n in files:
                zf.write(os.path.join(folder, n), n)
        for n in files:
            os.remove(os.path.join(folder, n))
        return {"name": zip_name, "path": zip_path, "size": os.path.getsize(zip_path),
                "sha256": domain.sha256_file(zip_path), "counts": counts}

    @staticmethod
    def _disclosure_out(d):
        return {"id": d.id, "school_id": d.school_id, "student_id": d.student_id, "student_name": d.student_name,
                "body_kind": d.body_kind, "body_kind_pl": domain.BODY_KINDS.get(d.body_kind, d.body_kind),
                "body_name": d.body_name, "legal_basis": d.legal_basis, "case_number": d.case_number,
                "requested_on": _iso(d.requested_on), "requested_by": d.requested_by, "school_year": d.school_year,
                "made_by": d.made_by, "made_by_name": d.made_by_name, "made_at": _iso(d.made_at),
                "package": os.path.basename(d.package_path), "package_size": d.package_size,
                "package_sha256": d.package_sha256, "counts": d.counts, "copy_id": d.copy_id}

    @typed_rpc
    def list_disclosures(self, school_id, student_id=None):
        """The record of disclosures of students' data (ARC-6): who asked, on what basis, when, by whom."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ADMINS, "director", "vice_director")
        stmt = select(Disclosure).where(Disclosure.school_id == school_id)
        if student_id:
            stmt = stmt.where(Disclosure.student_id == student_id)
        return [self._disclosure_out(d) for d in self.db.session.scalars(stmt.order_by(Disclosure.made_at.desc()))]

    # ======================================================================== printouts (ARC-4)

    @typed_rpc
    def procedure_acknowledgement_list(self, school_id, data):
        """Annexes 4-6 of the procedure (ARC-4): per class and school year, lists of parents (4)
        or students (5), or of the school's teachers (6), confirming they have read the
        procedure, with date-and-signature columns; a PDF as base64."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.PRINT_ROLES)
        data = load(AcknowledgementIn, data)
        school = self._school(school_id)

        def name(a):
            return f"{a['first_name']} {a['last_name']}"

        order = domain.person_key
        class_name, rows = None, []
        if data["kind"] == "teachers":
            teachers = [a for a in self.identity.list_accounts(school_id)
                        if {"teacher", "class_teacher"} & set(a.get("roles") or [])]
            rows = [{"name": name(a)} for a in sorted(teachers, key=order)]
        else:
            if not data["class_id"]:
                raise Invalid("Podaj klasę.", {"class_id": ["Wymagane."]})
            try:
                klass = self.scheduling.get_class(data["class_id"])
            except NotFound:
                klass = None
            if not klass or klass["school_id"] != school_id:
                raise NotFound("Nie znaleziono klasy.", {"class_id": ["Nie ma takiej klasy w tej szkole."]})
            class_name = klass["name"]
            ids = {e["student_id"] for e in self.scheduling.class_list(klass["id"])}
            students = sorted((a for a in self.identity.list_accounts(school_id, "student") if a["id"] in ids),
                              key=order)
            if data["kind"] == "students":
                rows = [{"name": name(a)} for a in students]
            else:
                parents = {a["id"]: a for a in self.identity.list_accounts(school_id, "parent")}
                links = {}
                for page in jobs.pages(self._call, "identity", school_id, "guardianships"):
                    for g in page["items"]:
                        if g["student_id"] in ids and g["parent_id"] in parents:
                            links.setdefault(g["student_id"], []).append(parents[g["parent_id"]])
                for st in students:
                    for p in sorted(links.get(st["id"], []), key=order) or [None]:
                        rows.append({"student": name(st), "parent": name(p) if p else ""})
        pdf = printouts.acknowledgement_list(data["kind"], school["name"], class_name, data["school_year"], rows)
        return {"rows": len(rows), "pdf_base64": base64.b64encode(pdf).decode()}

    # ======================================================================== the parent's view on paper (ARC-3)

    @typed_rpc
    def child_view_pdf(self, student_id, school_year=None):
        """A paper copy of what a parent sees for a child (ARC-3, procedure IX.4): the school, the
        student, the date of printing, the partial grades per subject with weighted averages, the
        accepted final and behaviour grades, the attendance percentage of the school year (1
        September to 31 August) and the notes (UWAGA) of the year; a PDF as base64. grades,
        attendance and identity are asked with the caller's own context, so the printout holds
        what the caller may see: a parent the own children (another child is not found), a student
        the own data, a teacher the subjects taught (none: refused), the class teacher, directors,
        administrators and the inspector everything. Final grades are printed only once accepted
        (GRD-3), whoever prints. Recorded in the register of copies as a printout of personal data
        for the parent (ARC-2, XII.2)."""
        c = self.caller
        c.require_authenticated()
        q = load(ChildViewIn, {"student_id": student_id, "school_year": school_year})
        year = q["school_year"] or domain.school_year_of(today())
        starts, ends = domain.school_year_dates(year)
        # grades first: it decides whether the caller may see this student at all (NotFound for
        # another family's child or another school's student, Forbidden for a teacher who does
        # not teach the student).
        grades = self.grades_as_caller.student_grades(q["student_id"], term=None, school_year=year)
        attendance = self.attendance_as_caller.percentages("student", q["student_id"], starts.isoformat(),
                                                           ends.isoformat())
        student_file = self.identity_as_caller.get_student_file(q["student_id"])
        school = self._school(grades["school_id"])
        # Names only (the caller has been answered already): subjects and the class, as the system.
        subjects = {x["id"]: x["name"] for x in self.scheduling.list_subjects(school["id"])}
        class_name = None
        if grades.get("class_id"):
            try:
                class_name = self.scheduling.get_class(grades["class_id"])["name"]
            except NotFound:
                pass
        student = student_file["student"]
        student_name = f"{student['first_name']} {student['last_name']}"
        printed_by = self._person(c.user_id)
        view = {
            "student": student_name, "class_name": class_name, "school_year": year,
            "printed_at": _local(utcnow()), "printed_by": printed_by,
            "subjects": sorted(({
                "name": subjects.get(s["subject_id"], "?"),
                "grades": [{"value": g["value"], "corrected": g.get("corrected")} for g in s["grades"]],
                "average_term1": s.get("average_term1"), "average_term2": s.get("average_term2"),
                "average_year": s.get("average_year"), "finals": domain.accepted_finals(s.get("finals"))}
                for s in grades["subjects"]), key=lambda e: domain.polish_key(e["name"])),
            "overall_average": grades.get("overall_average"),
            "behaviour": domain.accepted_finals(grades.get("behaviour"), behaviour=True),
            "attendance": {**{k: attendance.get(k) for k in ("percent", "recorded", "present", "absent")},
                           "by_kind": attendance.get("by_kind") or {},
                           "subjects": sorted(({"name": subjects.get(b.get("subject_id"), "?"),
                                                "percent": b.get("percent"), "recorded": b.get("recorded", 0)}
                                               for b in attendance.get("breakdown") or []),
                                              key=lambda e: domain.polish_key(e["name"]))},
            "notes": [{"date": _local(datetime.fromisoformat(n["issued_at"]))[:10],
                       "kind": domain.NOTE_KINDS.get(n.get("kind"), n.get("kind")), "category": n.get("category"),
                       "subject": n.get("subject"), "body": n.get("body"), "author": n.get("author_name")}
                      for n in student_file.get("notes") or []
                      if domain.in_year(n.get("issued_at"), starts, ends, SCHOOL_TZ)],
        }
        pdf = printouts.child_view(school["name"], view)
        filename = f"widok-ucznia-{domain.slug(student_name)}-{domain.slug(year)}.pdf"
        if grades.get("family_view"):
            recipient = printed_by or student_name           # the parent (or the student) who printed it
        else:
            parents = [f"{p['first_name']} {p['last_name']}" for p in self.identity.guardians_of(student["id"])]
            recipient = ("rodzic (opiekun prawny): " + ", ".join(parents)) if parents else \
                "rodzic (opiekun prawny) ucznia"
        copy = self._add_copy(
            school["id"], kind="printout", recipient=recipient[:200], purpose=domain.CHILD_VIEW_PURPOSE,
            carrier="wydruk (PDF)",
            description=f"Oceny, frekwencja i uwagi ucznia {student_name}, rok szkolny {year} (widok rodzica)"[:500],
            files=[{"name": filename, "size": len(pdf), "sha256": hashlib.sha256(pdf).hexdigest()}])
        self.log.info("child view of %s printed (copy %s)", student["id"], copy.number)
        return {"student_id": student["id"], "first_name": student["first_name"], "last_name": student["last_name"],
                "school_year": year, "filename": filename, "copy_id": copy.id, "copy_number": copy.number,
                "pdf_base64": base64.b64encode(pdf).decode()}


# ---------------------------------------------------------------------------- helpers (no worker state)

def _remove(path):
    try:
        os.remove(path)
        return True
    except FileNotFoundError:
        return False
    except OSError:
        return False


def _verify(folder, xml_file, xml_sha256, sig_file, fingerprint, signed_at, ca_pem, files):
    """The checks of ``verify_archive`` (runs in a real thread: it reads whole files)."""
    checks = []

    def check(name, ok, message):
        checks.append({"check": name, "ok": bool(ok), "message": message})

    xml_path = os.path.join(folder, xml_file)
    if not os.path.exists(xml_path):
        check("pliki", False, f"Brak pliku archiwum {xml_file}.")
        return {"ok": False, "checks": checks}
    missing = [f["name"] for f in files if not os.path.exists(os.path.join(folder, f["name"]))]
    check("pliki", not missing, "Wszystkie pliki archiwum są na miejscu." if not missing
          else f"Brak plików: {', '.join(missing)}.")
    actual = domain.sha256_file(xml_path)
    check("suma kontrolna", actual == xml_sha256,
          "Suma kontrolna SHA-256 archiwum jest zgodna." if actual == xml_sha256 else
          f"Suma kontrolna SHA-256 archiwum nie zgadza się (zapisana {xml_sha256}, obliczona {actual}): "
          f"plik został zmieniony lub uszkodzony.")
    try:
        with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as fh:
            manifest = json.load(fh)
        ok = manifest["checksum"]["sha256"] == actual
        check("manifest", ok, "Manifest opisuje ten plik archiwum." if ok else
              "Suma kontrolna w manifeście nie zgadza się z plikiem archiwum.")
    except (OSError, ValueError, KeyError):
        check("manifest", False, "Brak manifestu lub manifest jest uszkodzony.")
    problems = xmlarchive.validate(xml_path)
    check("schemat XSD", not problems, "Archiwum jest zgodne ze schematem dziennik-archiwum-1.0.xsd."
          if not problems else "; ".join(problems)[:500])
    if sig_file:
        sig_path = os.path.join(folder, sig_file)
        cert = signing.signing_certificate(sig_path)
        if cert is None:
            check("podpis", False, "Brak pliku podpisu lub nie zawiera certyfikatu.")
        elif not ca_pem and signing.fingerprint(cert) != fingerprint:
            check("podpis", False, "Podpis złożono innym certyfikatem niż zapisany przy podpisaniu archiwum.")
        else:
            from cryptography.hazmat.primitives import serialization
            pem = cert.public_bytes(serialization.Encoding.PEM).decode()
            ok, message = signing.verify_detached(sig_path, xml_path, cert_pem=None if ca_pem else pem,
                                                  ca_pem=ca_pem, at=_aware(signed_at))
            check("podpis", ok, message)
    else:
        check("podpis", False, "Archiwum nie jest podpisane (szkoła nie wgrała certyfikatu).")
    return {"ok": all(c["ok"] for c in checks), "checks": checks}


def _summary_lines(service, section, items, names, student_id):
    """Readable lines of a section of a student's package for the PDF summary."""
    subj = lambda i: names["subjects"].get(i, {}).get("name", i or "—")   # noqa: E731
    klass = lambda i: names["classes"].get(i, {}).get("name", i or "—")   # noqa: E731
    if service == "identity" and section == "accounts":
        return [f"{'Uczeń' if a['id'] == student_id else 'Rodzic/opiekun'}: {a['first_name']} {a['last_name']}"
                f" (login {a['login']}{', e-mail ' + a['email'] if a.get('email') else ''})" for a in items]
    if service == "identity" and section == "student_profiles":
        return [f"Data urodzenia: {p.get('birth_date') or '—'}, miejsce: {p.get('birth_place') or '—'}, "
                f"PESEL: {p.get('pesel') or '—'}, adres: {p.get('address') or '—'}, telefon: {p.get('phone') or '—'}"
                for p in items]
    if service == "identity" and section == "notes":
        return [f"{(n.get('issued_at') or '')[:10]} {n.get('category')}: {n.get('subject')} ({n.get('author_name')})"
                for n in items]
    if service == "scheduling" and section == "enrolments":
        return [f"Klasa {klass(e['class_id'])}: od {e['enrolled_on']} do {e.get('ended_on') or 'nadal'} ({e['status']})"
                for e in items]
    if service == "grades" and section == "grades":
        cats = names["grade_categories"]
        return [f"{g['date']} {subj(g['subject_id'])}: {g['value']} ({cats.get(g['category_id'], {}).get('name', '')})"
                + (" – usunięta" if g.get("deleted_at") else "") for g in sorted(items, key=lambda g: (g["date"], g["id"]))]
    if service == "grades" and section in ("finals", "behaviour"):
        return [f"{f['school_year']} {subj(f['subject_id']) if f.get('subject_id') else 'zachowanie'} "
                f"({f['kind']}): {f['value']}" for f in items]
    if service == "attendance" and section == "entries":
        cats = names["attendance_categories"]
        counts = {}
        for e in items:
            if not e.get("removed_at"):
                label = cats.get(e["category_id"], {}).get("name", e["category_id"])
                counts[label] = counts.get(label, 0) + 1
        return [f"{label}: {n}" for label, n in sorted(counts.items())]
    if service == "attendance" and section == "justifications":
        return [f"{(j.get('justified_at') or '')[:10]}: {j.get('reason')} ({j.get('entry_count')} godz.)" for j in items]
    if service == "messaging" and section == "notes":
        return [f"{(m.get('sent_at') or '')[:10]} {m.get('note_category') or ''}: {m.get('subject')}" for m in items]
    return []
