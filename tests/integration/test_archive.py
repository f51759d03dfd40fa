"""archive over the real broker (issue 8), on the shared system of six services: a school with
data in every service made through their RPCs, its yearly archive (ARC-1, LAW-4, LAW-5) written
in the background, validated against the shipped XSD, its checksum and XAdES signature verified
(signxml against the test's own authority, and xmlsec1 when installed), a tampered byte caught,
memory that does not grow with the size of a section, database copies (OPS-3), retention and
destruction (ARC-5), the register of copies with its receipt (ARC-2), a student's disclosure
package (ARC-6), Annexes 4-6 (ARC-4), tenancy and roles."""
import base64
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess
import time
import tracemalloc
import uuid
import zipfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from lxml import etree
from pypdf import PdfReader
from signxml.xades import XAdESVerifier
from sqlalchemy import create_engine, text

from services.archive import xmlarchive
from services.common.db import normalise_url
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from tests.harness import wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"
XSD = os.path.join(os.path.dirname(__file__), "..", "..", "services", "archive", "schema",
                   "dziennik-archiwum-1.0.xsd")
TODAY = dt.date.today()


@pytest.fixture(scope="module")
def cluster(system):
    return system


def ctx_of(a):
    return {"user_id": a["id"], "school_id": a["school_id"], "roles": a["roles"]}


def pdf_text(b64):
    reader = PdfReader(io.BytesIO(base64.b64decode(b64)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def school_year_of(day):
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{start + 1}", dt.date(start, 9, 1), dt.date(start + 1, 6, 26)


# ----------------------------------------------------------------------------- a certificate authority

def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Stowarzyszenie Szkół Testowych"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_pki():
    """A CA and the school's seal certificate issued by it, as PEM and as a PKCS#12 file."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (x509.CertificateBuilder().subject_name(_name("Testowe CA Stowarzyszenia")).issuer_name(_name("Testowe CA Stowarzyszenia"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(_name("Szkoła Podstawowa nr 7 w Żyrardowie – pieczęć"))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=730))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    p12_password = "hasło-do-pieczęci"
    p12 = pkcs12.serialize_key_and_certificates(b"pieczec", key, cert, [ca],
                                                serialization.BestAvailableEncryption(p12_password.encode()))
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode()   # noqa: E731
    return {"ca_pem": pem(ca), "cert_pem": pem(cert), "p12": p12, "password": p12_password,
            "fingerprint": cert.fingerprint(hashes.SHA256()).hex()}


# ----------------------------------------------------------------------------- the school

@pytest.fixture(scope="module")
def school(cluster):
    """A school with data in every service: staff, two students (one with a parent and personal
    data), class 4a, a subject, a timetable, a lesson with a topic, attendance, graded columns
    with a correction, final and behaviour grades, a note (UWAGA) and a message. The archived
    year is the current one (open: archiving it asks for confirmation)."""
    tag = uuid.uuid4().hex[:6]
    rpc = cluster.rpc
    s = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa nr 7 w Żyrardowie {tag}",
                                          "short_name": f"z{tag}", "city": "Żyrardów"})

    def acc(roles, first, last, school_id=None):
        return rpc("identity", "create_account", {"school_id": school_id or s["id"], "first_name": first,
                                                  "last_name": last, "roles": roles, "password": PASSWORD})
    p = dict(school=s)
    p["admin"] = acc(["school_admin"], "Anna", "Żak")
    p["director"] = acc(["director"], "Dorota", "Dyrektorska")
    p["teacher"] = acc(["teacher"], "Tadeusz", "Łęcki")
    p["wych"] = acc(["teacher", "class_teacher"], "Wiesława", "Wychowawczyni")
    p["s1"] = acc(["student"], "Zuzanna", "Gęślińska")
    p["s2"] = acc(["student"], "Jędrzej", "Ćwik")
    p["parent"] = acc(["parent"], "Paweł", "Gęśliński")
    admin = ctx_of(p["admin"])
    rpc("identity", "link_guardian", s["id"], {"parent_id": p["parent"]["id"], "student_id": p["s1"]["id"]}, ctx=admin)
    rpc("identity", "update_student_profile", p["s1"]["id"], {"birth_place": "Łódź", "address": "ul. Źródlana 5, Żyrardów",
                                                              "phone": "600 100 200"}, ctx=admin)
    # The year the lesson day belongs to; the lesson is a past Monday of it.
    day = TODAY - dt.timedelta(days=7 + TODAY.weekday())
    name, starts, ends = school_year_of(day)
    p["year_name"], p["day"] = name, day
    midterm = dt.date(starts.year + 1, 1, 31)
    p["year"] = rpc("scheduling", "create_school_year", s["id"], {
        "name": name, "starts_on": starts.isoformat(), "ends_on": ends.isoformat(),
        "terms": [{"name": "Semestr 1", "starts_on": starts.isoformat(), "ends_on": midterm.isoformat()},
                  {"name": "Semestr 2", "starts_on": (midterm + dt.timedelta(days=1)).isoformat(),
                   "ends_on": ends.isoformat()}]}, ctx=admin)
    term = next(t for t in p["year"]["terms"] if t["starts_on"] <= day.isoformat() <= t["ends_on"])
    p["4a"] = rpc("scheduling", "create_class", s["id"], {"name": "4a", "class_teacher_id": p["wych"]["id"]}, ctx=admin)
    for st in ("s1", "s2"):
        rpc("scheduling", "enrol_student", p["4a"]["id"], {"student_id": p[st]["id"], "enrolled_on": starts.isoformat()},
            ctx=admin)
    p["math"] = rpc("scheduling", "create_subject", s["id"], {"name": "Matematyka"}, ctx=admin)
    rpc("scheduling", "set_timetable", p["4a"]["id"], term["id"], {"valid_from": term["starts_on"], "entries": [
        {"weekday": wd, "period": 1, "starts_at": "8:00", "ends_at": "8:45", "subject_id": p["math"]["id"],
         "teacher_id": p["teacher"]["id"], "room": "101"} for wd in range(1, 6)]}, ctx=admin)
    lesson = next(l for l in rpc("scheduling", "lessons_for", day.isoformat(), p["4a"]["id"], ctx=admin)
                  if l["period"] == 1)
    rpc("scheduling", "enter_topic", lesson["id"], {"topic": "Ułamki zwykłe – powtórzenie"}, ctx=ctx_of(p["teacher"]))
    rpc("attendance", "record_lesson_attendance", lesson["id"],
        {"entries": [{"student_id": p["s2"]["id"], "category": "absent"}], "default": "present"},
        ctx=ctx_of(p["teacher"]))
    cat = rpc("grades", "create_category", s["id"], {"name": "sprawdzian", "weight": 3}, ctx=admin)
    col = rpc("grades", "add_grade_column", p["4a"]["id"], p["math"]["id"], {
        "category_id": cat["id"], "date": day.isoformat(), "description": "Sprawdzian: ułamki",
        "grades": [{"student_id": p["s1"]["id"], "value": "5"}, {"student_id": p["s2"]["id"], "value": "3-"}]},
        ctx=ctx_of(p["teacher"]))
    p["grade_s1"] = col["grades"][0]
    rpc("grades", "correct_grade", col["grades"][1]["id"], {"value": "3", "reason": "Błąd przy wpisywaniu"},
        ctx=ctx_of(p["teacher"]))
    rpc("grades", "set_final_grade", p["s1"]["id"], p["math"]["id"],
        {"kind": "predicted_annual", "value": "5", "school_year": name}, ctx=ctx_of(p["teacher"]))
    rpc("grades", "set_behaviour_grade", p["s1"]["id"], {"kind": "predicted_annual", "value": "wzorowe",
                                                         "school_year": name}, ctx=ctx_of(p["wych"]))
    rpc("messaging", "send_message", {"kind": "note", "student_id": p["s1"]["id"], "note_kind": "positive",
                                      "note_category": "zachowanie", "subject": "Pochwała za konkurs",
                                      "body": "Zuzanna zajęła pierwsze miejsce w konkursie."}, ctx=ctx_of(p["wych"]))
    rpc("messaging", "send_message", {"subject": "Zebranie z rodzicami", "body": "TAJNA-TREŚĆ-WIADOMOŚCI",
                                      "recipient_ids": [p["parent"]["id"]]}, ctx=ctx_of(p["wych"]))
    other = rpc("identity", "create_school", {"name": f"Liceum Obce {tag}", "short_name": f"o{tag}"})
    p["other"] = other
    p["other_admin"] = acc(["school_admin"], "Ewa", "Obca", school_id=other["id"])
    p["pki"] = make_pki()
    return p


def wait_archive(cluster, archive_id, ctx, timeout=240):
    seen = []

    def done():
        st = cluster.rpc("archive", "archive_status", archive_id, ctx=ctx)
        seen.append((st["percent"], st["current_section"]))
        return st if st["status"] in ("completed", "failed") else None
    st = wait_for(done, timeout=timeout, interval=0.3, what=f"archive {archive_id}")
    assert st["status"] == "completed", st
    return st, seen


@pytest.fixture(scope="module")
def archived(cluster, school):
    """The school's certificate uploaded and its yearly archive written."""
    admin = ctx_of(school["admin"])
    pki = school["pki"]
    cert = cluster.rpc("archive", "upload_certificate", school["school"]["id"],
                       {"pkcs12_base64": base64.b64encode(pki["p12"]).decode(), "password": pki["password"]}, ctx=admin)
    assert cert["fingerprint"] == pki["fingerprint"] and "Żyrardowie" in cert["subject"]
    started = cluster.rpc("archive", "start_archive", school["school"]["id"],
                          {"school_year": school["year_name"], "confirm_open_year": True}, ctx=admin)
    assert started["status"] == "queued" and started["trigger"] == "manual"
    status, seen = wait_archive(cluster, started["id"], admin)
    archive = cluster.rpc("archive", "get_archive", started["id"], ctx=admin)
    return {"archive": archive, "progress": seen}


def folder_of(cluster, archive):
    root = cluster.env["DZIENNIK_DATA_DIR"]
    slug = archive["school_year"].replace("/", "-")
    return os.path.join(root, "archive", archive["school_id"], slug, archive["id"])


def xml_path(cluster, archive):
    return os.path.join(folder_of(cluster, archive), archive["xml_file"])


# ----------------------------------------------------------------------------- the export protocol

def test_arc1_export_protocol_pages_in_a_stable_order(cluster, school):
    sid = school["school"]["id"]
    sections = cluster.rpc("identity", "archive_export_sections")
    assert [s["section"] for s in sections] == ["school", "accounts", "guardianships", "student_profiles", "notes"]
    seen, after, pages = [], None, 0
    while True:
        page = cluster.rpc("identity", "archive_export", sid, "accounts", after, 2)
        if after is None:
            assert page["total"] == 7
        seen += [a["id"] for a in page["items"]]
        pages += 1
        after = page["next"]
        if after is None:
            break
    assert pages == 4 and len(seen) == 7 and seen == sorted(seen)
    assert all("password_hash" not in a for a in cluster.rpc("identity", "archive_export", sid, "accounts")["items"])
    # The director may read it; a teacher may not; another school's administrator finds nothing.
    cluster.rpc("grades", "archive_export", sid, "grades", ctx=ctx_of(school["director"]))
    with pytest.raises(Forbidden):
        cluster.rpc("grades", "archive_export", sid, "grades", ctx=ctx_of(school["teacher"]))
    with pytest.raises(NotFound):
        cluster.rpc("scheduling", "archive_export", sid, "lessons", ctx=ctx_of(school["other_admin"]))
    with pytest.raises(Invalid):
        cluster.rpc("attendance", "archive_export", sid, "nieznana")
    # A student's data only (ARC-6): the other student's grade is not there.
    mine = cluster.rpc("grades", "archive_export", sid, "grades", student_id=school["s1"]["id"])["items"]
    assert {g["student_id"] for g in mine} == {school["s1"]["id"]}


def test_ops3_backup_database_is_for_the_system_only(cluster, school):
    for who in ("admin", "director"):
        with pytest.raises(Forbidden):
            cluster.rpc("grades", "backup_database", ctx=ctx_of(school[who]))


# ----------------------------------------------------------------------------- starting (roles, confirmation)

def test_arc1_a_teacher_cannot_start_an_archive(cluster, school):
    with pytest.raises(Forbidden):
        cluster.rpc("archive", "start_archive", school["school"]["id"], {"school_year": school["year_name"]},
                    ctx=ctx_of(school["teacher"]))
    with pytest.raises(NotFound):           # another school's administrator
        cluster.rpc("archive", "start_archive", school["school"]["id"], {"school_year": school["year_name"]},
                    ctx=ctx_of(school["other_admin"]))


def test_arc1_an_open_year_asks_for_confirmation(cluster, school):
    with pytest.raises(Conflict, match="nie jest zamknięty") as err:
        cluster.rpc("archive", "start_archive", school["school"]["id"], {"school_year": school["year_name"]},
                    ctx=ctx_of(school["admin"]))
    assert "confirm_open_year" in err.value.fields
    with pytest.raises(NotFound):
        cluster.rpc("archive", "start_archive", school["school"]["id"], {"school_year": "1999/2000"},
                    ctx=ctx_of(school["admin"]))


# ----------------------------------------------------------------------------- the yearly archive

def test_arc1_law5_yearly_archive_is_complete_valid_and_signed(cluster, school, archived):
    a = archived["archive"]
    assert a["status"] == "completed" and a["percent"] == 100 and a["signed"] and a["year_closed"] is False
    percents = [p for p, _ in archived["progress"]]
    assert percents == sorted(percents) and percents[-1] == 100
    counts = a["counts"]
    for section in ("identity.school", "identity.accounts", "identity.guardianships", "identity.student_profiles",
                    "scheduling.classes", "scheduling.enrolments", "scheduling.subjects", "scheduling.timetable",
                    "scheduling.lessons", "scheduling.school_years", "grades.grades", "grades.grade_versions",
                    "grades.finals", "grades.behaviour", "attendance.entries", "attendance.entry_versions"):
        assert counts.get(section, 0) >= 1, section
    assert counts["grades.grades"] == 2 and counts["grades.grade_versions"] == 3 and counts["identity.accounts"] == 7
    if TODAY.isoformat() <= school["year"]["ends_on"]:
        assert counts["messaging.notes"] == 1 and counts["messaging.messages"] >= 1
    path = xml_path(cluster, a)
    data = open(path, "rb").read()
    assert hashlib.sha256(data).hexdigest() == a["xml_sha256"] and len(data) == a["xml_size"]
    # LAW-4: the shipped XSD validates it (the whole document, not by the service's own code).
    schema = etree.XMLSchema(etree.parse(XSD))
    doc = etree.fromstring(data)
    schema.assertValid(doc)
    ns = {"a": xmlarchive.NS}
    assert doc.get("rodzaj") == "archiwum-roczne"
    assert doc.find("a:naglowek/a:szkola", ns).get("nazwa") == school["school"]["name"]
    lesson = doc.xpath("//a:usluga[@nazwa='scheduling']/a:sekcja[@nazwa='lessons']/a:rekord/a:tekst[@n='topic']", namespaces=ns)
    assert [t.text for t in lesson] == ["Ułamki zwykłe – powtórzenie"]
    body = data.decode("utf-8")
    assert "Gęślińska" in body and "Ćwik" in body and "Błąd przy wpisywaniu" in body
    assert "argon2" not in body and "password_hash" not in body          # never a password hash
    assert "TAJNA-TREŚĆ-WIADOMOŚCI" not in body                          # messages: metadata only
    # The manifest (JSON and XML), the HTML view.
    folder = folder_of(cluster, a)
    manifest = json.load(open(os.path.join(folder, "manifest.json"), encoding="utf-8"))
    assert manifest["checksum"]["sha256"] == a["xml_sha256"] and manifest["school_year"]["name"] == school["year_name"]
    assert manifest["creator"]["name"] == "Anna Żak" and manifest["records"] == a["records"]
    assert manifest["retention_until"] == f"{int(school['year']['ends_on'][:4]) + 7}-01-01"
    schema.assertValid(etree.parse(os.path.join(folder, "manifest.xml")))
    html = open(os.path.join(folder, a["html_file"]), encoding="utf-8").read()
    assert "Gęślińska" in html and "Lekcje i tematy" in html and "Ułamki zwykłe – powtórzenie" in html
    # LAW-5: the detached XAdES signature, verified by signxml against the test's authority.
    sig_path = os.path.join(folder, a["signature_file"])

    def resolver(uri):
        return open(os.path.join(folder, uri), "rb").read()
    ca_file = os.path.join(folder, "..", "test-ca.pem")
    with open(ca_file, "w") as fh:
        fh.write(school["pki"]["ca_pem"])
    results = XAdESVerifier().verify(open(sig_path, "rb").read(), ca_pem_file=ca_file, uri_resolver=resolver)
    assert any(r.signed_data == data for r in results)
    XAdESVerifier().verify(open(sig_path, "rb").read(), x509_cert=school["pki"]["cert_pem"], uri_resolver=resolver)
    if shutil.which("xmlsec1"):
        r = subprocess.run(["xmlsec1", "--verify", "--trusted-pem", os.path.abspath(ca_file), a["signature_file"]],
                           cwd=folder, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
    os.remove(ca_file)
    # The service's own verification, also against the authority.
    ok = cluster.rpc("archive", "verify_archive", a["id"], ctx=ctx_of(school["director"]))
    assert ok["ok"], ok
    assert {c["check"] for c in ok["checks"]} == {"pliki", "suma kontrolna", "manifest", "schemat XSD", "podpis"}
    assert cluster.rpc("archive", "verify_archive", a["id"], {"ca_pem": school["pki"]["ca_pem"]},
                       ctx=ctx_of(school["admin"]))["ok"]
    # OPS-3: a consistent copy of every service's database, recorded with its checksum.
    copies = {c["service"]: c for c in a["database_copies"]}
    assert set(copies) == {"identity", "scheduling", "grades", "attendance", "messaging", "archive"}
    for c in copies.values():
        assert os.path.exists(c["path"]) and hashlib.sha256(open(c["path"], "rb").read()).hexdigest() == c["sha256"]
        assert c["kind"] == ("sqlite" if cluster.backend.kind == "sqlite" else "pg_dump")
    # The event that announces it.
    engine = create_engine(normalise_url(cluster.env["ARCHIVE_DATABASE_URL"]))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT envelope FROM outbox_events WHERE name = 'archive.archive_completed'")).all()
    finally:
        engine.dispose()
    events = [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows]
    mine = [e for e in events if e["payload"]["archive_id"] == a["id"]]
    assert len(mine) == 1 and mine[0]["payload"]["signed"] is True and mine[0]["school_id"] == school["school"]["id"]


def test_arc1_a_tampered_archive_fails_verification_naming_what_is_wrong(cluster, school, archived):
    a = archived["archive"]
    path = xml_path(cluster, a)
    original = open(path, "rb").read()
    i = original.index("Gęślińska".encode())
    tampered = original[:i] + b"X" + original[i + 1:]
    try:
        with open(path, "wb") as fh:
            fh.write(tampered)
        result = cluster.rpc("archive", "verify_archive", a["id"], ctx=ctx_of(school["admin"]))
        assert result["ok"] is False
        checks = {c["check"]: c for c in result["checks"]}
        assert not checks["suma kontrolna"]["ok"] and "nie zgadza się" in checks["suma kontrolna"]["message"]
        assert not checks["podpis"]["ok"] and "zmieniony" in checks["podpis"]["message"]
        assert checks["schemat XSD"]["ok"]      # still well-formed and valid: only the checksum and signature tell
    finally:
        with open(path, "wb") as fh:
            fh.write(original)
    assert cluster.rpc("archive", "verify_archive", a["id"], ctx=ctx_of(school["admin"]))["ok"]


def test_arc1_archive_writing_memory_does_not_grow_with_the_section(tmp_path):
    """The writer holds one page at a time: the peak for 6,000 records is no higher than for
    1,000 (tracemalloc), and streaming validation and the HTML view stay flat too."""
    def record(i):
        return {"id": f"{i:012d}", "student_id": str(uuid.UUID(int=i)), "value": "4+", "numeric": 4.5,
                "date": "2026-03-02", "created_at": "2026-03-02T10:00:00+00:00", "description": "Kartkówka: ułamki " * 3,
                "history": [{"v": 1, "by": "nauczyciel"}]}
    types = {"date": "date", "created_at": "datetime", "numeric": "decimal"}
    header = {"school": {"id": "s", "name": "Szkoła"}, "creator": {"name": "system"}}

    def peak(n):
        path = tmp_path / f"{n}.xml"
        tracemalloc.start()
        try:
            with open(path, "wb") as raw:
                with xmlarchive.ArchiveWriter(raw, archive_id="m", kind=xmlarchive.YEARLY, header=header) as w:
                    with w.service("grades"):
                        with w.section("grades", "Oceny", types) as s:
                            for start in range(0, n, 500):
                                s.write_items([record(i) for i in range(start, min(n, start + 500))])
            written = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            assert xmlarchive.validate(str(path)) == []
            validated = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            with open(tmp_path / f"{n}.html", "wb") as out:
                xmlarchive.write_html(str(path), out)
            html = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return written, validated, html, os.path.getsize(path)
    small, large = peak(1000), peak(6000)
    assert large[3] > 5 * small[3]                       # six times the data ...
    for s, l in zip(small[:3], large[:3]):
        assert l < s * 1.3 + 256 * 1024, (small, large)  # ... not six times the memory


# ----------------------------------------------------------------------------- register of copies (ARC-2)

def test_arc2_download_is_registered_and_the_receipt_is_printable(cluster, school, archived):
    a = archived["archive"]
    admin = ctx_of(school["admin"])
    copy = cluster.rpc("archive", "download_archive", a["id"], {
        "recipient": "Grzegorz Brzęczyszczykiewicz", "recipient_institution": "Kuratorium Oświaty w Łodzi",
        "purpose": "Kontrola dokumentacji przebiegu nauczania", "carrier": "Dysk zewnętrzny nr 3",
        "files": [a["xml_file"], "manifest.xml"]}, ctx=admin)
    assert copy["kind"] == "archive" and copy["number"] >= 1 and copy["made_by"] == school["admin"]["id"]
    assert [f["name"] for f in copy["files"]] == [a["xml_file"], "manifest.xml"]
    # The gateway streams the file in chunks through read_file.
    chunks, offset = [], 0
    while offset is not None:
        part = cluster.rpc("archive", "read_file", copy["id"], a["xml_file"], offset, 65536, ctx=admin)
        chunks.append(base64.b64decode(part["data_base64"]))
        offset = part["next_offset"]
    assert hashlib.sha256(b"".join(chunks)).hexdigest() == a["xml_sha256"]
    with pytest.raises(Forbidden):                 # only the person who registered the copy
        cluster.rpc("archive", "read_file", copy["id"], a["xml_file"], ctx=ctx_of(school["director"]))
    with pytest.raises(NotFound):
        cluster.rpc("archive", "read_file", copy["id"], a["html_file"], ctx=admin)
    receipt = cluster.rpc("archive", "copy_receipt", copy["id"], ctx=admin)
    words = pdf_text(receipt["pdf_base64"])
    for expected in ("Potwierdzenie odbioru kopii", "Grzegorz Brzęczyszczykiewicz", "Kuratorium Oświaty w Łodzi",
                     "Anna Żak", "Data i podpis odbiorcy", a["xml_file"]):
        assert expected in words, expected
    assert receipt["copy"]["receipt_printed_at"]
    printout = cluster.rpc("archive", "register_copy", school["school"]["id"], {
        "kind": "printout", "description": "Wydruk ocen ucznia Zuzanny Gęślińskiej", "recipient": "Paweł Gęśliński",
        "purpose": "Wniosek rodzica (ACC-10)"}, ctx=ctx_of(school["director"]))
    assert printout["number"] == copy["number"] + 1
    register = cluster.rpc("archive", "list_copies", school["school"]["id"], ctx=admin)
    assert [c["id"] for c in register[:2]] == [printout["id"], copy["id"]]
    assert cluster.rpc("archive", "list_copies", school["school"]["id"], {"kind": "printout"}, ctx=admin)[0]["id"] == \
        printout["id"]
    with pytest.raises(Forbidden):
        cluster.rpc("archive", "list_copies", school["school"]["id"], ctx=ctx_of(school["teacher"]))
    with pytest.raises(Invalid):
        cluster.rpc("archive", "download_archive", a["id"], {"recipient": "X", "purpose": "Y", "files": ["../etc"]},
                    ctx=admin)


# ----------------------------------------------------------------------------- disclosure (ARC-6)

def test_arc6_student_data_package_and_disclosure_record(cluster, school, archived):
    admin = ctx_of(school["admin"])
    out = cluster.rpc("archive", "disclose_student_data", school["school"]["id"], {
        "student_id": school["s1"]["id"], "body_kind": "police", "body_name": "Komenda Powiatowa Policji w Żyrardowie",
        "legal_basis": "art. 15 ust. 1 pkt 2 ustawy o Policji", "case_number": "RSD-123/26",
        "requested_on": TODAY.isoformat(), "requested_by": "asp. Józef Świątek"}, ctx=admin)
    d, copy = out["disclosure"], out["copy"]
    assert d["student_name"] == "Zuzanna Gęślińska" and d["body_kind_pl"] == "Policja" and copy["kind"] == "disclosure"
    data = b""
    offset = 0
    while offset is not None:
        part = cluster.rpc("archive", "read_file", copy["id"], d["package"], offset, ctx=admin)
        data += base64.b64decode(part["data_base64"])
        offset = part["next_offset"]
    assert hashlib.sha256(data).hexdigest() == d["package_sha256"]
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert set(zf.namelist()) == {"dane-ucznia.xml", "podsumowanie.pdf", "manifest.json", "dane-ucznia.xades.xml"}
    xml = zf.read("dane-ucznia.xml")
    doc = etree.fromstring(xml)
    etree.XMLSchema(etree.parse(XSD)).assertValid(doc)
    assert doc.get("rodzaj") == "udostepnienie-danych-ucznia"
    body = xml.decode()
    assert school["s1"]["id"] in body and school["grade_s1"]["id"] in body and "ul. Źródlana 5" in body
    assert school["s2"]["id"] not in body                      # nobody else's data
    assert "Paweł" in body                                      # the guardian, who may be contacted
    summary = pdf_text(base64.b64encode(zf.read("podsumowanie.pdf")))
    for expected in ("Zuzanna Gęślińska", "Komenda Powiatowa Policji w Żyrardowie", "RSD-123/26", "Matematyka: 5",
                     "Podstawa prawna"):
        assert expected in summary, expected
    folder = os.path.join(cluster.backend.tmp, f"pkg-{uuid.uuid4().hex[:6]}")
    os.makedirs(folder)
    zf.extractall(folder)
    XAdESVerifier().verify(zf.read("dane-ucznia.xades.xml"), x509_cert=school["pki"]["cert_pem"],
                           uri_resolver=lambda uri: open(os.path.join(folder, uri), "rb").read())
    record = cluster.rpc("archive", "list_disclosures", school["school"]["id"], school["s1"]["id"], ctx=admin)
    assert [r["id"] for r in record] == [d["id"]] and record[0]["case_number"] == "RSD-123/26"
    assert record[0]["made_by_name"] == "Anna Żak"
    with pytest.raises(NotFound):            # a student of another school, or no student at all
        cluster.rpc("archive", "disclose_student_data", school["school"]["id"], {
            "student_id": school["other_admin"]["id"], "body_kind": "court", "body_name": "Sąd Rejonowy",
            "legal_basis": "art. 1"}, ctx=admin)
    with pytest.raises(Forbidden):
        cluster.rpc("archive", "disclose_student_data", school["school"]["id"], {
            "student_id": school["s1"]["id"], "body_kind": "court", "body_name": "Sąd Rejonowy",
            "legal_basis": "art. 1"}, ctx=ctx_of(school["teacher"]))


# ----------------------------------------------------------------------------- printouts (ARC-4)

def test_arc4_annexes_4_to_6_acknowledgement_of_the_procedure(cluster, school):
    sid, ctx = school["school"]["id"], ctx_of(school["wych"])
    parents = cluster.rpc("archive", "procedure_acknowledgement_list", sid,
                          {"kind": "parents", "class_id": school["4a"]["id"], "school_year": school["year_name"]}, ctx=ctx)
    words = pdf_text(parents["pdf_base64"])
    assert parents["rows"] == 2          # Zuzanna with her father, Jędrzej with an empty line for his parent
    for expected in ("ZAŁĄCZNIK NR 4", "rodzic", "Zuzanna Gęślińska", "Paweł Gęśliński", "Jędrzej Ćwik", "4a",
                     school["year_name"], "Data i podpis", school["school"]["name"]):
        assert expected in words, expected
    students = cluster.rpc("archive", "procedure_acknowledgement_list", sid,
                           {"kind": "students", "class_id": school["4a"]["id"], "school_year": school["year_name"]},
                           ctx=ctx)
    words = pdf_text(students["pdf_base64"])
    assert students["rows"] == 2 and "ZAŁĄCZNIK NR 5" in words and words.index("Jędrzej Ćwik") < words.index("Zuzanna")
    teachers = cluster.rpc("archive", "procedure_acknowledgement_list", sid,
                           {"kind": "teachers", "school_year": school["year_name"]}, ctx=ctx_of(school["admin"]))
    words = pdf_text(teachers["pdf_base64"])
    assert teachers["rows"] == 2 and "ZAŁĄCZNIK NR 6" in words and "Tadeusz Łęcki" in words
    with pytest.raises(Invalid):
        cluster.rpc("archive", "procedure_acknowledgement_list", sid, {"kind": "students", "school_year": "x"}, ctx=ctx)
    with pytest.raises(NotFound):
        cluster.rpc("archive", "procedure_acknowledgement_list", school["other"]["id"],
                    {"kind": "teachers", "school_year": "x"}, ctx=ctx)


# ----------------------------------------------------------------------------- tenancy (TEN-1)

def test_ten1_another_schools_archive_is_not_found(cluster, school, archived):
    a = archived["archive"]
    ctx = ctx_of(school["other_admin"])
    for method, args in (("get_archive", (a["id"],)), ("archive_status", (a["id"],)), ("verify_archive", (a["id"],)),
                         ("download_archive", (a["id"], {"recipient": "X", "purpose": "Y"})),
                         ("destroy_archive", (a["id"], {"confirmation": a["school_year"]})),
                         ("list_archives", (school["school"]["id"],)), ("certificate", (school["school"]["id"],)),
                         ("due_for_destruction", (school["school"]["id"],))):
        with pytest.raises(NotFound):
            cluster.rpc("archive", method, *args, ctx=ctx)
    assert cluster.rpc("archive", "list_archives", school["other"]["id"], ctx=ctx) == []
    with pytest.raises(Forbidden):
        cluster.rpc("archive", "get_archive", a["id"], ctx=ctx_of(school["teacher"]))


# ----------------------------------------------------------------------------- retention, destruction (ARC-5)

def test_arc5_closed_year_is_archived_automatically_and_destroyed_after_retention(cluster, school, archived):
    sid, admin = school["school"]["id"], ctx_of(school["admin"])
    old = cluster.rpc("scheduling", "create_school_year", sid, {
        "name": "2018/2019", "starts_on": "2018-09-03", "ends_on": "2019-06-21"}, ctx=admin)
    cluster.rpc("scheduling", "close_school_year", old["id"], ctx=admin)
    # LAW-5: closing the year queues its archive (the event scheduling.school_year_closed).
    auto = wait_for(lambda: [x for x in cluster.rpc("archive", "list_archives", sid, ctx=admin)
                             if x["year_id"] == old["id"]], timeout=30, what="automatic archive")[0]
    assert auto["trigger"] == "school_year_closed" and auto["year_closed"] is True
    wait_archive(cluster, auto["id"], admin)
    auto = cluster.rpc("archive", "get_archive", auto["id"], ctx=admin)
    assert auto["retention_until"] == "2026-01-01" and auto["requested_by"] == school["admin"]["id"]
    due = cluster.rpc("archive", "due_for_destruction", sid, ctx=admin)
    assert [x["id"] for x in due] == [auto["id"]]                 # the current year's archive is not due
    assert cluster.rpc("archive", "due_for_destruction", sid, "2025-12-31", ctx=admin) == []
    current = archived["archive"]
    with pytest.raises(Conflict, match="przechowywane do"):
        cluster.rpc("archive", "destroy_archive", current["id"], {"confirmation": current["school_year"]}, ctx=admin)
    with pytest.raises(Conflict, match="wpisz nazwę roku"):
        cluster.rpc("archive", "destroy_archive", auto["id"], {"confirmation": "tak"}, ctx=admin)
    with pytest.raises(Forbidden):
        cluster.rpc("archive", "destroy_archive", auto["id"], {"confirmation": "2018/2019"},
                    ctx=ctx_of(school["director"]))
    folder = folder_of(cluster, auto)
    assert os.path.exists(os.path.join(folder, auto["xml_file"]))
    record = cluster.rpc("archive", "destroy_archive", auto["id"], {"confirmation": "2018/2019"}, ctx=admin)
    assert record["xml_sha256"] == auto["xml_sha256"] and record["destroyed_by_name"] == "Anna Żak"
    assert len(record["database_copies"]) == 6 and all(c["removed"] for c in record["database_copies"])
    assert not os.path.exists(folder)
    assert all(not os.path.exists(c["path"]) for c in auto["database_copies"])
    gone = cluster.rpc("archive", "get_archive", auto["id"], ctx=admin)
    assert gone["status"] == "destroyed" and gone["destroyed_at"]
    assert [d["archive_id"] for d in cluster.rpc("archive", "list_destructions", sid, ctx=admin)] == [auto["id"]]
    with pytest.raises(Conflict):
        cluster.rpc("archive", "destroy_archive", auto["id"], {"confirmation": "2018/2019"}, ctx=admin)
    with pytest.raises(Conflict):
        cluster.rpc("archive", "download_archive", auto["id"], {"recipient": "X", "purpose": "Y"}, ctx=admin)
    # The current year's archive is untouched.
    assert cluster.rpc("archive", "verify_archive", current["id"], ctx=admin)["ok"]


# ----------------------------------------------------------------------------- faults and restore (OPS-3)

@pytest.fixture(scope="module")
def own_cluster(backend_kind):
    """A system of its own (these tests stop and wipe services): everything but messaging."""
    from tests.harness import Cluster
    c = Cluster(backend_kind).migrate()
    try:
        c.start_services(["identity", "scheduling", "grades", "attendance", "archive"])
        yield c
    finally:
        c.stop()


def test_arc1_a_service_failing_fails_the_archive_cleanly_and_it_can_be_restarted(own_cluster):
    c = own_cluster
    s = c.rpc("identity", "create_school", {"name": "Szkoła Podstawowa nr 3 w Ełku", "short_name": "sp3"})
    c.rpc("scheduling", "create_school_year", s["id"], {"name": "2024/2025", "starts_on": "2024-09-02",
                                                        "ends_on": "2025-06-27"})
    a = c.rpc("archive", "start_archive", s["id"], {"school_year": "2024/2025", "confirm_open_year": True})
    failed = wait_for(lambda: (lambda st: st if st["status"] in ("completed", "failed") else None)(
        c.rpc("archive", "archive_status", a["id"])), timeout=120, interval=0.3, what="archive to fail")
    assert failed["status"] == "failed" and "messaging" in failed["message"], failed
    root = os.path.join(c.env["DZIENNIK_DATA_DIR"], "archive", s["id"])
    assert not any(files for _, _, files in os.walk(root))          # no partial archive left behind
    with pytest.raises(Conflict):
        c.rpc("archive", "download_archive", a["id"], {"recipient": "X", "purpose": "Y"})
    c.start_service("messaging")
    c.wait_service("messaging")
    assert c.rpc("archive", "restart_archive", a["id"])["status"] == "queued"
    with pytest.raises(Conflict):
        c.rpc("archive", "restart_archive", a["id"])
    done = wait_for(lambda: (lambda st: st if st["status"] in ("completed", "failed") else None)(
        c.rpc("archive", "archive_status", a["id"])), timeout=180, interval=0.3, what="archive")
    assert done["status"] == "completed" and done["attempts"] == 2, done
    result = c.rpc("archive", "verify_archive", a["id"])
    checks = {x["check"]: x["ok"] for x in result["checks"]}
    assert checks == {"pliki": True, "suma kontrolna": True, "manifest": True, "schemat XSD": True, "podpis": False}


def test_ops3_round_trip_copy_wipe_restore_same_data(own_cluster, backend_kind):
    """A service's database copied (``backup_database``), wiped, restored from the copy with
    ``python -m services.archive.restore``: the same data through the API."""
    import sys
    from tests.harness import ROOT
    c = own_cluster
    s = c.rpc("identity", "create_school", {"name": "Szkoła Podstawowa nr 9 w Łomży", "short_name": "sp9"})
    made = [c.rpc("identity", "create_account", {"school_id": s["id"], "first_name": first, "last_name": last,
                                                 "roles": ["teacher"], "password": PASSWORD})
            for first, last in (("Żaneta", "Źdźbło"), ("Łukasz", "Ścibor"))]
    before = c.rpc("identity", "list_accounts", s["id"])
    school_before = c.rpc("identity", "get_school", s["id"])
    copy = c.rpc("identity", "backup_database", "przed-awaria", timeout=60)
    assert copy["size"] > 0 and copy["path"].startswith(c.env["DZIENNIK_DATA_DIR"])
    c.procs["identity"].stop()
    url = c.env["IDENTITY_DATABASE_URL"]
    if backend_kind == "sqlite":
        path = url.split("sqlite:///", 1)[1]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    else:
        engine = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()
    bad = subprocess.run([sys.executable, "-m", "services.archive.restore", "identity", copy["path"],
                          "--sha256", "0" * 64, "--yes"], cwd=ROOT, env=c.env, capture_output=True, text=True)
    assert bad.returncode == 1 and "SHA-256" in bad.stderr
    r = subprocess.run([sys.executable, "-m", "services.archive.restore", "identity", copy["path"],
                        "--sha256", copy["sha256"], "--yes"], cwd=ROOT, env=c.env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    c.start_service("identity")
    c.wait_service("identity")
    assert c.rpc("identity", "get_school", s["id"]) == school_before
    assert c.rpc("identity", "list_accounts", s["id"]) == before
    assert {a["login"] for a in before} == {a["login"] for a in made}
