"""Writing one yearly archive (ARC-1, LAW-5), run by the background runner
(``dependencies.ArchiveRunner``), never inside an RPC worker.

The steps, with the progress each reports (``archives.percent``, ``current_section``):
1. ask every domain service for its sections (``archive_export_sections``);
2. stream every section, page by page (``archive_export``), into the XML document
   (``xmlarchive.ArchiveWriter``), computing its SHA-256 on the way (0-85 %);
3. validate the document against the XSD by streaming (86 %), write the HTML view (88 %);
4. sign it with the school's certificate when one was uploaded (XAdES, 90 %);
5. ask every service for a copy of its database (``backup_database``, 92-97 %);
6. write the manifest (JSON and XML, validated), move the folder from ``<id>.partial`` to its
   place and mark the archive completed with the event ``archive.archive_completed`` (100 %).
Anything failing fails the archive cleanly: the partial folder is removed, the archive is
``failed`` with the reason, and it can be restarted (``restart_archive``)."""
import json
import logging
import os
import shutil
from datetime import date, datetime, timezone

import eventlet
from eventlet import tpool
from sqlalchemy import update
from sqlalchemy.orm import Session

from services.common.context import SYSTEM_CONTEXT, CallerContext
from services.common.errors import RegisterError
from services.common.events import make_envelope
from services.common.models import OutboxEvent

from . import domain, signing, xmlarchive
from .models import Archive, DatabaseCopy, SchoolCertificate

log = logging.getLogger("archive.job")

DOMAIN_SERVICES = ("identity", "scheduling", "grades", "attendance", "messaging")
BACKUP_SERVICES = DOMAIN_SERVICES + ("archive",)
PAGE = 1000
HEARTBEAT_SECONDS = 15


class ArchiveFailed(Exception):
    """A step failed in a way the administrator can act on (the message is in Polish)."""


def utcnow():
    return datetime.now(timezone.utc)


def pages(call, service, school_id, section, **filters):
    """Every page of a section, following the cursor."""
    after = None
    while True:
        page = call(service, "archive_export", school_id, section, after, PAGE, **filters)
        yield page
        after = page.get("next")
        if after is None:
            return


def discover(call, services=DOMAIN_SERVICES):
    """[(service, [section description])] of every domain service; a service without the
    export protocol fails the archive (an archive must hold the whole register)."""
    from nameko.exceptions import MethodNotFound
    plan = []
    for service in services:
        try:
            plan.append((service, call(service, "archive_export_sections")))
        except MethodNotFound:
            raise ArchiveFailed(f"Usługa {service} nie udostępnia danych do archiwum (archive_export).")
    return plan


def person_name(call, user_id):
    if not user_id:
        return "system (automatycznie)"
    try:
        a = call("identity", "get_account", user_id)
        return f"{a['first_name']} {a['last_name']}"
    except RegisterError:
        return user_id


class _Progress:
    def __init__(self, engine, archive_id):
        self.engine, self.archive_id = engine, archive_id

    def __call__(self, percent, section=None, message=None):
        values = {"percent": int(percent), "heartbeat_at": utcnow()}
        if section is not None:
            values["current_section"] = section[:80]
        if message is not None:
            values["message"] = message[:500]
        with Session(self.engine) as s:
            s.execute(update(Archive).where(Archive.id == self.archive_id).values(**values))
            s.commit()

    def beat(self):
        while True:
            eventlet.sleep(HEARTBEAT_SECONDS)
            with Session(self.engine) as s:
                s.execute(update(Archive).where(Archive.id == self.archive_id).values(heartbeat_at=utcnow()))
                s.commit()


def folder_of(data_dir, archive):
    return os.path.join(data_dir, "archive", archive.school_id, domain.slug(archive.year_name), archive.id)


def run(archive_id, *, engine, remote, data_dir, outbox=None):
    with Session(engine) as s:
        archive = s.get(Archive, archive_id)
        s.expunge(archive)
        cert_row = s.get(SchoolCertificate, archive.school_id)
        if cert_row is not None:
            s.expunge(cert_row)
    final = folder_of(data_dir, archive)
    partial = final + ".partial"
    progress = _Progress(engine, archive_id)
    beat = eventlet.spawn(progress.beat)
    log.info("archive %s of school %s, year %s: started", archive.id, archive.school_id, archive.year_name)
    try:
        result = _write(archive, cert_row, remote, data_dir, partial, progress)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.replace(partial, final)
        _complete(engine, archive, final, result, outbox)
        log.info("archive %s completed: %s records, sha256 %s", archive.id, result["records"], result["sha256"])
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, (ArchiveFailed, RegisterError)):
            message = str(exc)
        elif isinstance(exc, Exception):
            message = f"Błąd podczas tworzenia archiwum: {type(exc).__name__}: {exc}"
        else:
            message = "Tworzenie archiwum zostało przerwane (usługa zatrzymana). Uruchom je ponownie."
        log.error("archive %s failed: %s", archive.id, message, exc_info=isinstance(exc, Exception)
                  and not isinstance(exc, (ArchiveFailed, RegisterError)))
        with Session(engine) as s:
            s.execute(update(Archive).where(Archive.id == archive.id).values(
                status="failed", finished_at=utcnow(), message=message[:500], error=repr(exc)[:4000]))
            s.commit()
        if not isinstance(exc, Exception):
            raise
    finally:
        beat.kill()


def _write(archive, cert_row, remote, data_dir, folder, progress):
    call = remote.call
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, mode=0o750)
    progress(0, "przygotowanie", "Pobieranie listy danych z usług.")
    school = call("identity", "get_school", archive.school_id)
    creator = {"id": archive.requested_by, "name": person_name(call, archive.requested_by)}
    plan = discover(call)
    total_sections = sum(len(sections) for _, sections in plan)
    base = domain.base_name(school, archive.year_name)
    xml_name = base + ".xml"
    xml_path = os.path.join(folder, xml_name)
    year = {"id": archive.year_id, "name": archive.year_name, "starts_on": archive.year_starts_on,
            "ends_on": archive.year_ends_on, "closed": archive.year_closed}
    as_of = archive.year_ends_on if archive.year_closed else min(date.today(), archive.year_ends_on)
    header = {"school": school, "year": year, "creator": creator, "as_of": as_of.isoformat()}
    filters = {"school_year": archive.year_name, "date_from": archive.year_starts_on.isoformat(),
               "date_to": archive.year_ends_on.isoformat()}
    created_at = utcnow()
    done = 0
    with open(xml_path, "wb") as raw:
        out = xmlarchive.HashingWriter(raw)
        with xmlarchive.ArchiveWriter(out, archive_id=archive.id, kind=xmlarchive.YEARLY, header=header,
                                      created_at=created_at) as writer:
            for service, sections in plan:
                with writer.service(service):
                    for sec in sections:
                        label = f"{service}.{sec['section']}"
                        progress(domain.progress(done, total_sections), label, f"Archiwizacja: {sec['label']}.")
                        written, total = 0, None
                        with writer.section(sec["section"], sec["label"], sec.get("fields")) as w:
                            for page in pages(call, service, archive.school_id, sec["section"], **filters):
                                total = page.get("total", total)
                                w.write_items(page["items"])
                                written += len(page["items"])
                                if total:
                                    progress(domain.progress(done, total_sections, written / total), label)
                                eventlet.sleep(0)
                        log.info("archive %s: %s written (%d records)", archive.id, label, written)
                        done += 1
        raw.flush()
        os.fsync(raw.fileno())
    sha256, size = out.hexdigest, out.size
    counts = writer.counts

    progress(86, "walidacja", "Sprawdzanie zgodności ze schematem XSD.")
    problems = tpool.execute(xmlarchive.validate, xml_path)
    if problems:
        raise ArchiveFailed("Archiwum nie jest zgodne ze schematem XSD: " + "; ".join(problems)[:400])

    progress(88, "widok HTML", "Tworzenie widoku HTML.")
    html_name = base + ".html"
    with open(os.path.join(folder, html_name), "wb") as fh:
        tpool.execute(xmlarchive.write_html, xml_path, fh)

    signature = None
    sig_name = None
    if cert_row is not None:
        progress(90, "podpis", "Podpisywanie archiwum certyfikatem szkoły (XAdES).")
        sig_name = base + ".xades.xml"
        key, cert, chain = tpool.execute(signing.load_key, data_dir, cert_row.key_file)
        info = tpool.execute(signing.sign_detached, xml_path, os.path.join(folder, sig_name), key, cert, chain,
                             f"Archiwum dziennika elektronicznego: {school.get('name')}, rok szkolny {archive.year_name}")
        signature = {"file": sig_name, **info}

    copies = []
    for i, service in enumerate(BACKUP_SERVICES):
        progress(92 + i, f"kopia bazy: {service}", f"Kopia bazy danych usługi {service}.")
        copies.append(call(service, "backup_database", f"archiwum-{archive.id[:8]}", long=True))

    progress(98, "manifest", "Zapisywanie manifestu.")
    files = []
    for name, kind in ((xml_name, "archiwum-xml"), (html_name, "widok-html")) + \
            (((sig_name, "podpis-xades"),) if sig_name else ()):
        path = os.path.join(folder, name)
        files.append({"name": name, "kind": kind, "size": os.path.getsize(path),
                      "sha256": sha256 if name == xml_name else domain.sha256_file(path)})
    retention = domain.retention_until(archive.year_ends_on)
    manifest = domain.build_manifest(
        archive_id=archive.id, school=school, year={k: v for k, v in year.items()}, creator=creator,
        created_at=created_at, counts=counts, checksum={"algorithm": "SHA-256", "file": xml_name, "sha256": sha256},
        files=files, database_copies=copies, retention_date=retention, signature=signature)
    write_manifest(folder, manifest)
    return {"sha256": sha256, "size": size, "xml": xml_name, "html": html_name, "signature": signature,
            "files": files, "counts": {f"{svc}.{sec}": n for (svc, sec), n in counts.items()},
            "records": sum(counts.values()), "manifest": manifest, "copies": copies, "retention": retention,
            "school_name": school.get("name")}


def write_manifest(folder, manifest):
    element = xmlarchive.manifest_element(manifest)
    problems = xmlarchive.validate_element(element)
    if problems:
        raise ArchiveFailed("Manifest nie jest zgodny ze schematem XSD: " + "; ".join(problems)[:400])
    with open(os.path.join(folder, "manifest.json"), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=2)
    with open(os.path.join(folder, "manifest.xml"), "wb") as fh:
        fh.write(xmlarchive.manifest_bytes(manifest))


def _complete(engine, archive, folder, result, outbox):
    now = utcnow()
    signature = result["signature"]
    with Session(engine) as s:
        a = s.get(Archive, archive.id)
        a.status, a.percent, a.current_section, a.finished_at = "completed", 100, None, now
        a.message = "Archiwum utworzone i podpisane." if signature else \
            "Archiwum utworzone bez podpisu: szkoła nie wgrała certyfikatu (podpisz je po wgraniu certyfikatu)."
        a.folder, a.xml_file, a.xml_size, a.xml_sha256 = folder, result["xml"], result["size"], result["sha256"]
        a.html_file, a.files, a.counts, a.manifest = result["html"], result["files"], result["counts"], result["manifest"]
        a.retention_until, a.school_name = result["retention"], result["school_name"]
        if signature:
            a.signature_file, a.signer_subject, a.signer_fingerprint = signature["file"], signature["subject"], \
                signature["fingerprint"]
            a.signed_at = datetime.fromisoformat(signature["signed_at"])
        for c in result["copies"]:
            s.add(DatabaseCopy(school_id=a.school_id, archive_id=a.id, service=c["service"], kind=c["kind"],
                               path=c["path"], size=c["size"], sha256=c["sha256"],
                               created_at=datetime.fromisoformat(c["created_at"])))
        actor = CallerContext(user_id=a.requested_by, school_id=a.school_id, roles=SYSTEM_CONTEXT.roles,
                              call_id=f"archive-{a.id}")
        envelope = make_envelope("archive.archive_completed", {
            "archive_id": a.id, "year_id": a.year_id, "school_year": a.year_name, "trigger": a.trigger,
            "xml_sha256": a.xml_sha256, "records": result["records"], "signed": bool(signature),
            "retention_until": a.retention_until.isoformat()}, school_id=a.school_id, caller=actor)
        s.add(OutboxEvent(event_id=envelope["id"], name=envelope["name"], envelope=envelope))
        s.commit()
    if outbox is not None:
        outbox.wake()
