"""Issue 8 (archive) through the gateway's HTTP API, on SQLite and PostgreSQL (``system``: every
service and the gateway under gunicorn). The school is built over RPC (as the demo loader does);
everything tested goes through HTTP with bearer tokens:

- ARC-1, LAW-4: an archive of an open year asks for confirmation, is started, followed through its
  status until complete, shown with its files, contents and database copies (OPS-3), verified;
- LAW-5: the school's PKCS#12 uploaded (its password never in a log), an unsigned archive signed,
  the signature verified, also against the authority;
- ARC-2: a download is registered as a copy and streamed chunk by chunk (also with 4 KiB chunks
  through an in-process gateway), only for the person who registered it; the register of copies
  and the receipt PDF;
- ARC-5: a closed old year archived by itself, due for destruction, destroyed on confirmation;
- ARC-6: a student's data package and the record of disclosures; ARC-4: Annexes 4-6 as PDF;
- the permission matrix: teachers, parents, students (and the roles the service leaves out)
  refused with a Polish message; TEN-1: another school's archive, copy and school answer 404;
- bad input answers 4xx with a Polish message naming the field."""
import base64
import datetime as dt
import hashlib
import io
import json
import uuid
import zipfile

import pytest
import requests
from pypdf import PdfReader

from tests.harness import wait_for
from tests.integration.test_archive import make_pki, school_year_of

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"
API = "/api/v1"
TODAY = dt.date.today()
FORBIDDEN = "Brak uprawnień do tej operacji."


class Api:
    """A logged-in HTTP client of the gateway (bearer token)."""

    def __init__(self, base, token):
        self.base, self.s = base, requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"
        self.token = token

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 120)
        return self.s.request(method.upper(), self.base + API + path, **kw)

    def __getattr__(self, method):
        return lambda path, **kw: self.request(method, path, **kw)


def ctx_of(a):
    return {"user_id": a["id"], "school_id": a["school_id"], "roles": a["roles"]}


def pdf_text(data):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def archive_records(system, school):
    """An archive and a copy of a school built by tests/e2e/test_tenancy.py's ``build_school``
    (the ids of the archive API's path parameters, for the cross-school walk): the archive of a
    school year of its own (2016/2017, not closed: confirmed), queued and written in the
    background, and a printout registered in the school's register of copies."""
    rpc, admin = system.rpc, ctx_of(school["school_admin"])
    sid = school["school"]["id"]
    rpc("scheduling", "create_school_year", sid, {"name": "2016/2017", "starts_on": "2016-09-01",
                                                  "ends_on": "2017-06-23"}, ctx=admin)
    archive = rpc("archive", "start_archive", sid, {"school_year": "2016/2017", "confirm_open_year": True}, ctx=admin)
    copy = rpc("archive", "register_copy", sid, {"kind": "printout", "description": "Wydruk ocen ucznia",
                                                 "recipient": "Rodzic ucznia", "purpose": "Wniosek rodzica"}, ctx=admin)
    return {"archive_id": archive["id"], "copy_id": copy["id"]}


@pytest.fixture(scope="module")
def school(system):
    """Szkoła Podstawowa nr 9 w Łowiczu: class 4a (class teacher Wiesława) with Zuzanna (child of
    Paweł) and Jędrzej, mathematics taught by Tadeusz with one graded test, the current school year
    (not closed) and every role the archive's matrix names."""
    tag = uuid.uuid4().hex[:6]
    rpc = system.rpc
    s = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa nr 9 w Łowiczu {tag}", "short_name": f"w{tag}",
                                          "city": "Łowicz"})

    def acc(key, roles, first, last):
        return rpc("identity", "create_account", {"school_id": s["id"], "first_name": first, "last_name": last,
                                                  "roles": roles, "password": PASSWORD, "login": f"{key}.{tag}"})
    p = dict(
        admin=acc("admin", ["school_admin"], "Anna", "Żak"),
        deputy=acc("zastepca", ["deputy_admin"], "Zenon", "Zastępczy"),
        director=acc("dyrektor", ["director"], "Dorota", "Dyrektorska"),
        vice=acc("wicedyrektor", ["vice_director"], "Wiktor", "Wicedyrektorski"),
        secretary=acc("sekretariat", ["secretary"], "Sabina", "Sekretarska"),
        teacher=acc("nauczyciel", ["teacher"], "Tadeusz", "Łęcki"),
        wych=acc("wychowawca", ["teacher", "class_teacher"], "Wiesława", "Wychowawczyni"),
        parent=acc("rodzic", ["parent"], "Paweł", "Gęśliński"),
        s1=acc("uczen1", ["student"], "Zuzanna", "Gęślińska"),
        s2=acc("uczen2", ["student"], "Jędrzej", "Ćwik"),
    )
    admin = ctx_of(p["admin"])
    rpc("identity", "link_guardian", s["id"], {"parent_id": p["parent"]["id"], "student_id": p["s1"]["id"]}, ctx=admin)
    name, starts, ends = school_year_of(TODAY)
    year = rpc("scheduling", "create_school_year", s["id"], {
        "name": name, "starts_on": starts.isoformat(), "ends_on": ends.isoformat(),
        "terms": [{"name": "Rok", "starts_on": starts.isoformat(), "ends_on": ends.isoformat()}]}, ctx=admin)
    klass = rpc("scheduling", "create_class", s["id"], {"name": "4a", "class_teacher_id": p["wych"]["id"]}, ctx=admin)
    for st in ("s1", "s2"):
        rpc("scheduling", "enrol_student", klass["id"], {"student_id": p[st]["id"], "enrolled_on": starts.isoformat()},
            ctx=admin)
    math = rpc("scheduling", "create_subject", s["id"], {"name": "Matematyka"}, ctx=admin)
    rpc("scheduling", "create_assignment", s["id"], {"teacher_id": p["teacher"]["id"], "subject_id": math["id"],
                                                     "class_id": klass["id"]}, ctx=admin)
    cat = rpc("grades", "create_category", s["id"], {"name": "sprawdzian", "weight": 3}, ctx=admin)
    rpc("grades", "add_grade_column", klass["id"], math["id"], {
        "category_id": cat["id"], "description": "Sprawdzian: ułamki",
        "grades": [{"student_id": p["s1"]["id"], "value": "5"}, {"student_id": p["s2"]["id"], "value": "3"}]},
        ctx=ctx_of(p["teacher"]))
    return dict(school=s, klass=klass, year=year, year_name=name, tag=tag, pki=make_pki(), **p)


@pytest.fixture(scope="module")
def http(system, school):
    cache = {}

    def client(who, people=None):
        people = people or school
        key = people[who]["login"]
        if key not in cache:
            r = requests.post(system.gateway_url + API + "/auth/login",
                              json={"login": people[who]["login"], "password": PASSWORD}, timeout=20)
            assert r.status_code == 200, r.text
            cache[key] = Api(system.gateway_url, r.json()["token"])
        return cache[key]
    return client


def wait_done(client, archive_id, timeout=240):
    """Follow ``/archives/{id}/status`` until the archive is finished; the percentages seen."""
    seen = []

    def done():
        r = client.get(f"/archives/{archive_id}/status")
        assert r.status_code == 200, r.text
        st = r.json()
        seen.append(st["percent"])
        return st if st["status"] in ("completed", "failed") else None
    st = wait_for(done, timeout=timeout, interval=0.3, what=f"archive {archive_id}")
    assert st["status"] == "completed", st
    return st, seen


@pytest.fixture(scope="module")
def archived(school, http):
    """The yearly archive of the current (open) year, started and followed through the API, before
    the school has a certificate (LAW-5 signs it afterwards)."""
    admin, sid = http("admin"), school["school"]["id"]
    r = admin.post(f"/schools/{sid}/archives", json={"school_year": school["year_name"]})
    assert r.status_code == 409, r.text       # an open year asks for confirmation
    body = r.json()
    assert "nie jest zamknięty" in body["message"]
    assert body["fields"]["confirm_open_year"] == ["Wymagane potwierdzenie."]
    r = admin.post(f"/schools/{sid}/archives", json={"school_year": school["year_name"], "confirm_open_year": True})
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["status"] == "queued" and started["trigger"] == "manual" and started["school_year"] == \
        school["year_name"]
    status, seen = wait_done(admin, started["id"])
    return {"id": started["id"], "progress": seen, "status": status}


@pytest.fixture(scope="module")
def other(system, school):
    """Another school with its administrator, an archive and a copy (TEN-1)."""
    tag = uuid.uuid4().hex[:6]
    rpc = system.rpc
    s = rpc("identity", "create_school", {"name": f"Liceum Obce w Elblągu {tag}", "short_name": f"e{tag}"})
    admin = rpc("identity", "create_account", {"school_id": s["id"], "first_name": "Ewa", "last_name": "Obca",
                                               "roles": ["school_admin"], "password": PASSWORD,
                                               "login": f"obca.{tag}"})
    world = {"school": s, "school_admin": admin, "admin": admin}
    return {**world, **archive_records(system, world)}


@pytest.fixture(scope="module")
def printout(system, school):
    """A printout of personal data in the school's register of copies (made by the administrator)."""
    return system.rpc("archive", "register_copy", school["school"]["id"], {
        "kind": "printout", "description": "Wydruk frekwencji ucznia Jędrzeja Ćwika", "recipient": "Rodzic ucznia",
        "purpose": "Wniosek rodzica"}, ctx=ctx_of(school["admin"]))


def get_archive(client, archive_id):
    r = client.get(f"/archives/{archive_id}")
    assert r.status_code == 200, r.text
    return r.json()


def download(client, url):
    r = client.s.get(client.base + url, timeout=120)
    return r


# ------------------------------------------------------------------ ARC-1, LAW-4: the yearly archive

def test_arc1_law4_archive_started_followed_and_shown_through_the_api(http, school, archived):
    director = http("director")
    assert archived["progress"] == sorted(archived["progress"]) and archived["progress"][-1] == 100
    a = get_archive(director, archived["id"])
    assert a["status"] == "completed" and a["status_pl"] == "gotowe" and a["percent"] == 100
    assert a["school_id"] == school["school"]["id"] and a["year_closed"] is False
    assert a["xml_file"].endswith(".xml") and len(a["xml_sha256"]) == 64 and a["xml_size"] > 0
    assert {f["kind"] for f in a["files"]} == {"archiwum-xml", "widok-html"}
    assert a["counts"]["grades.grades"] == 2 and a["counts"]["identity.accounts"] == 10
    assert a["manifest"]["checksum"]["sha256"] == a["xml_sha256"]
    assert a["retention_until"] == f"{int(school['year']['ends_on'][:4]) + 7}-01-01"
    # OPS-3: a copy of every service's database, described without the server's paths.
    copies = {c["service"]: c for c in a["database_copies"]}
    assert set(copies) == {"identity", "scheduling", "grades", "attendance", "messaging", "archive"}
    assert all(len(c["sha256"]) == 64 and "path" not in c for c in copies.values())
    listed = director.get(f"/schools/{school['school']['id']}/archives")
    assert listed.status_code == 200 and archived["id"] in [x["id"] for x in listed.json()]
    # Starting the same year again while none runs is allowed; restarting a complete one is not.
    r = director.post(f"/archives/{archived['id']}/restart")
    assert r.status_code == 409 and r.json()["message"].startswith("Ponownie uruchomić można tylko")


# ------------------------------------------------------------------ LAW-5: certificate, signature, verification

def test_law5_certificate_uploaded_archive_signed_and_verified(system, http, school, archived):
    admin, director, sid = http("admin"), http("director"), school["school"]["id"]
    pki = school["pki"]
    # Before the certificate: the archive is not signed, verification says so, signing is refused.
    r = director.get(f"/schools/{sid}/archive-certificate")
    assert r.status_code == 404
    assert r.json()["message"] == "Szkoła nie wgrała jeszcze certyfikatu do podpisywania archiwów."
    unsigned = director.post(f"/archives/{archived['id']}/verify", json={}).json()
    checks = {c["check"]: c for c in unsigned["checks"]}
    assert unsigned["ok"] is False and not checks["podpis"]["ok"]
    assert "nie jest podpisane" in checks["podpis"]["message"]
    assert all(c["ok"] for name, c in checks.items() if name != "podpis")
    r = admin.post(f"/archives/{archived['id']}/sign")
    assert r.status_code == 409 and r.json()["message"] == "Szkoła nie wgrała certyfikatu do podpisywania archiwów."
    # Bad files and passwords are refused in Polish, without echoing the password.
    p12 = base64.b64encode(pki["p12"]).decode()
    r = admin.put(f"/schools/{sid}/archive-certificate", json={"pkcs12_base64": "to nie jest base64!", "password": "x"})
    assert r.status_code == 422 and r.json()["message"] == "Plik PKCS#12 nie jest poprawnym base64."
    r = admin.put(f"/schools/{sid}/archive-certificate", json={"pkcs12_base64": p12, "password": "złe-hasło-123"})
    assert r.status_code == 422 and "złe hasło" in r.json()["message"] and "złe-hasło-123" not in r.text
    r = director.put(f"/schools/{sid}/archive-certificate", json={"pkcs12_base64": p12, "password": pki["password"]})
    assert r.status_code == 403 and r.json()["message"] == FORBIDDEN           # administrators only
    r = admin.put(f"/schools/{sid}/archive-certificate", json={"pkcs12_base64": p12, "password": pki["password"]})
    assert r.status_code == 200, r.text
    cert = r.json()
    assert cert["fingerprint"] == pki["fingerprint"] and "Żyrardowie" in cert["subject"]
    assert "password" not in cert and "pkcs12_base64" not in cert
    assert director.get(f"/schools/{sid}/archive-certificate").json()["fingerprint"] == pki["fingerprint"]
    # Sign the archive made before the certificate, then verify it (also against the authority).
    assert director.post(f"/archives/{archived['id']}/sign").status_code == 403
    r = admin.post(f"/archives/{archived['id']}/sign")
    assert r.status_code == 200, r.text
    signed = r.json()
    assert signed["signed"] and signed["signer_fingerprint"] == pki["fingerprint"] and signed["signature_file"]
    r = admin.post(f"/archives/{archived['id']}/sign")
    assert r.status_code == 409 and r.json()["message"] == "Archiwum jest już podpisane."
    ok = director.post(f"/archives/{archived['id']}/verify", json={}).json()
    assert ok["ok"] is True, ok
    assert {c["check"] for c in ok["checks"]} == {"pliki", "suma kontrolna", "manifest", "schemat XSD", "podpis"}
    assert admin.post(f"/archives/{archived['id']}/verify", json={"ca_pem": pki["ca_pem"]}).json()["ok"] is True
    # The password and the key file never reach a log line (gateway access log, the service's log).
    for name in ("gateway", "archive"):
        logs = system.logs(name)
        for secret in (pki["password"], "złe-hasło-123", p12[:40], p12[-40:]):
            assert secret not in logs and json.dumps(secret)[1:-1] not in logs, (name, secret)


# ------------------------------------------------------------------ ARC-2: downloads and the register of copies

def test_arc2_download_is_registered_then_streamed_to_its_registrant_only(system, http, school, archived):
    director, admin = http("director"), http("admin")
    a = get_archive(director, archived["id"])
    r = director.post(f"/archives/{a['id']}/copies", json={
        "recipient": "Grzegorz Brzęczyszczykiewicz", "recipient_institution": "Kuratorium Oświaty w Łodzi",
        "purpose": "Kontrola dokumentacji przebiegu nauczania", "carrier": "Dysk zewnętrzny nr 3",
        "files": [a["xml_file"], "manifest.json"]})
    assert r.status_code == 201, r.text
    copy = r.json()
    assert copy["kind"] == "archive" and copy["number"] >= 1 and copy["made_by"] == school["director"]["id"]
    assert [f["name"] for f in copy["files"]] == [a["xml_file"], "manifest.json"]
    xml = copy["files"][0]
    assert xml["url"] == f"{API}/copies/{copy['id']}/files/{a['xml_file']}"
    # The file, streamed: type, name, length and checksum.
    r = download(director, xml["url"])
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/xml"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and a["xml_file"] in disposition
    assert int(r.headers["Content-Length"]) == len(r.content) == a["xml_size"]
    assert hashlib.sha256(r.content).hexdigest() == a["xml_sha256"] == r.headers["X-Checksum-SHA256"]
    assert r.headers["Cache-Control"] == "no-store"
    manifest = download(director, copy["files"][1]["url"])
    assert manifest.headers["Content-Type"] == "application/json" and manifest.json()["archive_id"] == a["id"]
    # Only the person who registered the copy reads its files; an unknown file is not there.
    r = download(admin, xml["url"])
    assert r.status_code == 403 and r.json()["message"] == "Pliki kopii pobiera osoba, która ją zarejestrowała."
    r = download(director, f"{API}/copies/{copy['id']}/files/{a['html_file']}")
    assert r.status_code == 404 and r.json()["message"] == "Nie znaleziono pliku tej kopii."
    r = director.post(f"/archives/{a['id']}/copies",
                      json={"recipient": "X", "purpose": "Y", "files": ["../etc/passwd"]})
    assert r.status_code == 422 and r.json()["message"] == "Nieznane pliki archiwum."
    r = director.post(f"/archives/{a['id']}/copies", json={"purpose": "Y"})
    assert r.status_code == 422 and r.json()["fields"]["recipient"] == ["To pole jest wymagane."]
    # The receipt the recipient signs.
    r = director.get(f"/copies/{copy['id']}/receipt.pdf")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;") and \
        f"potwierdzenie-odbioru-kopii-nr-{copy['number']}.pdf" in r.headers["Content-Disposition"]
    words = pdf_text(r.content)
    for expected in ("Potwierdzenie odbioru kopii", "Grzegorz Brzęczyszczykiewicz", "Kuratorium Oświaty w Łodzi",
                     "Dorota Dyrektorska", a["xml_file"]):
        assert expected in words, expected


def test_arc2_download_streams_in_many_chunks(system, school, archived, http):
    """The gateway never holds a whole file: with 4 KiB chunks (an in-process gateway on the same
    broker) the archive arrives in many ``read_file`` calls, byte for byte."""
    from gateway.app import create_app
    director = http("director")
    a = get_archive(director, archived["id"])
    assert a["xml_size"] > 5 * 4096
    copy = director.post(f"/archives/{a['id']}/copies", json={
        "recipient": "Archiwum zakładowe", "purpose": "Kopia zapasowa", "files": [a["xml_file"]]}).json()
    app = create_app({"TESTING": True, "AMQP_URI": system.env["AMQP_URI"], "ARCHIVE_CHUNK_BYTES": 4096})
    pool = app.extensions["dziennik_rpc"]
    calls = []
    invoke = pool.invoke

    def counting(service, method, *args, **kwargs):
        if method == "read_file":
            calls.append(args[0][2])
        return invoke(service, method, *args, **kwargs)
    pool.invoke = counting
    try:
        client = app.test_client()
        r = client.get(copy["files"][0]["url"], headers={"Authorization": f"Bearer {director.token}"})
        assert r.status_code == 200 and r.headers["Content-Length"] == str(a["xml_size"])
        body = r.get_data()
        assert hashlib.sha256(body).hexdigest() == a["xml_sha256"]
        assert len(calls) == -(-a["xml_size"] // 4096) and calls[:2] == [0, 4096]
    finally:
        pool.close()


def test_arc2_register_of_copies_and_receipt(http, school):
    secretary, sid = http("secretary"), school["school"]["id"]
    r = secretary.post(f"/schools/{sid}/copies", json={
        "kind": "printout", "description": "Wydruk ocen ucznia Zuzanny Gęślińskiej", "recipient": "Paweł Gęśliński",
        "purpose": "Wniosek rodzica o papierową kopię (ARC-3)", "carrier": "papier"})
    assert r.status_code == 201, r.text
    printout = r.json()
    assert printout["kind_pl"] == "Wydruk danych osobowych z dziennika elektronicznego" and printout["files"] == []
    assert printout["made_by_name"] == "Sabina Sekretarska"
    listed = secretary.get(f"/schools/{sid}/copies", params={"kind": "printout"}).json()
    assert listed[0]["id"] == printout["id"] and all(c["kind"] == "printout" for c in listed)
    everything = http("vice").get(f"/schools/{sid}/copies").json()
    assert printout["id"] in [c["id"] for c in everything]
    r = secretary.get(f"/copies/{printout['id']}/receipt.pdf")
    assert r.status_code == 200 and "Paweł Gęśliński" in pdf_text(r.content)
    assert secretary.get(f"/schools/{sid}/copies").json()[0]["receipt_printed_at"]
    # Bad input: Polish messages at the fields.
    r = secretary.post(f"/schools/{sid}/copies", json={"kind": "kserokopia", "description": "x", "recipient": "y",
                                                       "purpose": "z"})
    assert r.status_code == 422 and r.json()["fields"]["kind"][0].startswith("Dozwolone wartości:")
    r = secretary.post(f"/schools/{sid}/copies", json={"kind": "export", "description": "x"})
    assert r.status_code == 422 and set(r.json()["fields"]) == {"recipient", "purpose"}
    assert r.json()["message"] == "Niepoprawne dane: sprawdź pola purpose, recipient."
    r = secretary.get(f"/schools/{sid}/copies", params={"date_from": "wczoraj"})
    assert r.status_code == 422 and r.json()["fields"]["date_from"] == ["Niepoprawna data (oczekiwano RRRR-MM-DD)."]


# ------------------------------------------------------------------ ARC-6: disclosure of a student's data

def test_arc6_student_data_package_and_the_record_of_disclosures(http, school, archived):
    admin, sid = http("admin"), school["school"]["id"]
    r = admin.post(f"/schools/{sid}/disclosures", json={
        "student_id": school["s1"]["id"], "body_kind": "police", "body_name": "Komenda Powiatowa Policji w Łowiczu",
        "legal_basis": "art. 15 ust. 1 pkt 2 ustawy o Policji", "case_number": "RSD-77/26",
        "requested_on": TODAY.isoformat(), "requested_by": "asp. Józef Świątek"})
    assert r.status_code == 201, r.text
    d, copy = r.json()["disclosure"], r.json()["copy"]
    assert d["student_name"] == "Zuzanna Gęślińska" and d["body_kind_pl"] == "Policja" and copy["kind"] == "disclosure"
    assert d["copy_id"] == copy["id"] and copy["files"][0]["name"] == d["package"]
    r = download(admin, copy["files"][0]["url"])
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/zip"
    assert hashlib.sha256(r.content).hexdigest() == d["package_sha256"]
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    assert {"dane-ucznia.xml", "podsumowanie.pdf", "manifest.json"} <= set(zf.namelist())
    body = zf.read("dane-ucznia.xml").decode()
    assert school["s1"]["id"] in body and school["s2"]["id"] not in body
    assert "Matematyka: 5" in pdf_text(zf.read("podsumowanie.pdf"))
    record = http("vice").get(f"/schools/{sid}/disclosures", params={"student_id": school["s1"]["id"]}).json()
    assert [x["id"] for x in record] == [d["id"]] and record[0]["case_number"] == "RSD-77/26"
    assert http("vice").get(f"/schools/{sid}/disclosures", params={"student_id": school["s2"]["id"]}).json() == []
    # Bad input and people who are not students of this school.
    r = admin.post(f"/schools/{sid}/disclosures", json={"student_id": school["s1"]["id"], "body_kind": "sąsiad",
                                                        "body_name": "x", "legal_basis": "y"})
    assert r.status_code == 422 and "body_kind" in r.json()["fields"]
    r = admin.post(f"/schools/{sid}/disclosures", json={"student_id": school["teacher"]["id"], "body_kind": "court",
                                                        "body_name": "Sąd Rejonowy w Łowiczu", "legal_basis": "art. 1"})
    assert r.status_code == 404 and r.json()["message"] == "Nie znaleziono ucznia."
    for who in ("secretary", "wych"):
        r = http(who).post(f"/schools/{sid}/disclosures", json={
            "student_id": school["s1"]["id"], "body_kind": "court", "body_name": "Sąd", "legal_basis": "art. 1"})
        assert r.status_code == 403 and r.json()["message"] == FORBIDDEN, who


# ------------------------------------------------------------------ ARC-4: Annexes 4-6

def test_arc4_procedure_annexes_as_pdf(http, school):
    sid, year = school["school"]["id"], school["year_name"]
    r = http("wych").get(f"/schools/{sid}/procedure-annexes/students",
                         params={"class_id": school["klass"]["id"], "school_year": year})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert f"za%C5%82%C4%85cznik-5-uczniowie-klasa-4a-{year.replace('/', '-')}.pdf" in r.headers["Content-Disposition"]
    words = pdf_text(r.content)
    assert "ZAŁĄCZNIK NR 5" in words and words.index("Jędrzej Ćwik") < words.index("Zuzanna Gęślińska")
    r = http("admin").get(f"/schools/{sid}/procedure-annexes/parents",
                          params={"class_id": school["klass"]["id"], "school_year": year})
    assert r.status_code == 200 and "Paweł Gęśliński" in pdf_text(r.content)
    r = http("secretary").get(f"/schools/{sid}/procedure-annexes/teachers", params={"school_year": year})
    assert r.status_code == 200 and "Tadeusz Łęcki" in pdf_text(r.content)
    r = http("admin").get(f"/schools/{sid}/procedure-annexes/dyrektorzy", params={"school_year": year})
    assert r.status_code == 404 and r.json()["message"].startswith("Nie ma takiego załącznika")
    r = http("admin").get(f"/schools/{sid}/procedure-annexes/students", params={"school_year": year})
    assert r.status_code == 422 and r.json()["message"] == "Podaj klasę."
    r = http("admin").get(f"/schools/{sid}/procedure-annexes/teachers", params={"school_year": "2025-2026"})
    assert r.status_code == 422
    assert r.json()["fields"]["school_year"] == ["Rok szkolny w postaci RRRR/RRRR, np. 2025/2026."]
    for who in ("teacher", "parent", "s1"):
        r = http(who).get(f"/schools/{sid}/procedure-annexes/teachers", params={"school_year": year})
        assert r.status_code == 403 and r.json()["message"] == FORBIDDEN, who


# ------------------------------------------------------------------ ARC-5: retention and destruction

def test_arc5_closed_year_archived_by_itself_then_destroyed_after_retention(system, http, school, archived):
    admin, director, sid = http("admin"), http("director"), school["school"]["id"]
    old = system.rpc("scheduling", "create_school_year", sid, {
        "name": "2018/2019", "starts_on": "2018-09-03", "ends_on": "2019-06-21"}, ctx=ctx_of(school["admin"]))
    system.rpc("scheduling", "close_school_year", old["id"], ctx=ctx_of(school["admin"]))
    auto = wait_for(lambda: [x for x in admin.get(f"/schools/{sid}/archives").json() if x["year_id"] == old["id"]],
                    timeout=30, what="the archive of the closed year")[0]
    assert auto["trigger"] == "school_year_closed" and auto["year_closed"] is True
    wait_done(admin, auto["id"])
    r = director.get(f"/schools/{sid}/archives/due-for-destruction")
    assert r.status_code == 200 and [x["id"] for x in r.json()] == [auto["id"]]
    assert director.get(f"/schools/{sid}/archives/due-for-destruction", params={"on_date": "2025-12-31"}).json() == []
    r = director.get(f"/schools/{sid}/archives/due-for-destruction", params={"on_date": "31.12.2025"})
    assert r.status_code == 422 and r.json()["fields"]["on_date"] == ["Niepoprawna data (oczekiwano RRRR-MM-DD)."]
    # Refusals: the current year's archive is kept; the confirmation must be the year; directors may not.
    r = admin.post(f"/archives/{archived['id']}/destroy", json={"confirmation": school["year_name"]})
    assert r.status_code == 409 and "musi być przechowywane do" in r.json()["message"]
    r = admin.post(f"/archives/{auto['id']}/destroy", json={"confirmation": "tak"})
    assert r.status_code == 409 and r.json()["message"] == \
        "Aby potwierdzić zniszczenie, wpisz nazwę roku szkolnego archiwum: 2018/2019."
    assert admin.post(f"/archives/{auto['id']}/destroy", json={}).json()["fields"]["confirmation"] == \
        ["To pole jest wymagane."]
    r = director.post(f"/archives/{auto['id']}/destroy", json={"confirmation": "2018/2019"})
    assert r.status_code == 403 and r.json()["message"] == FORBIDDEN
    r = admin.post(f"/archives/{auto['id']}/destroy", json={"confirmation": "2018/2019"})
    assert r.status_code == 200, r.text
    record = r.json()
    assert record["school_year"] == "2018/2019" and record["destroyed_by_name"] == "Anna Żak"
    assert len(record["database_copies"]) == 6 and all(c["removed"] for c in record["database_copies"])
    assert all("path" not in c for c in record["database_copies"])
    assert [d["archive_id"] for d in director.get(f"/schools/{sid}/destructions").json()] == [auto["id"]]
    assert director.get(f"/archives/{auto['id']}/status").json()["status"] == "destroyed"
    r = director.post(f"/archives/{auto['id']}/copies", json={"recipient": "X", "purpose": "Y"})
    assert r.status_code == 409 and r.json()["message"] == "Archiwum zostało zniszczone."
    assert director.get(f"/schools/{sid}/archives/due-for-destruction").json() == []


# ------------------------------------------------------------------ the permission matrix

ARCHIVE_CALLS = (
    ("get", "/schools/{sid}/archives", None), ("post", "/schools/{sid}/archives", {"school_year": "2016/2017"}),
    ("get", "/archives/{aid}", None), ("get", "/archives/{aid}/status", None), ("post", "/archives/{aid}/verify", {}),
    ("post", "/archives/{aid}/restart", None), ("post", "/archives/{aid}/copies", {"recipient": "X", "purpose": "Y"}),
    ("get", "/schools/{sid}/archives/due-for-destruction", None), ("get", "/schools/{sid}/destructions", None),
    ("get", "/schools/{sid}/archive-certificate", None))
ADMIN_CALLS = (("post", "/archives/{aid}/sign", None), ("post", "/archives/{aid}/destroy", {"confirmation": "x"}),
               ("put", "/schools/{sid}/archive-certificate", {"pkcs12_base64": "eA==", "password": "x"}))
COPY_CALLS = (("get", "/schools/{sid}/copies", None),
              ("post", "/schools/{sid}/copies",
               {"kind": "export", "description": "x", "recipient": "y", "purpose": "z"}),
              ("get", "/copies/{cid}/receipt.pdf", None))
DISCLOSURE_CALLS = (("get", "/schools/{sid}/disclosures", None),)
# role -> the calls it is refused (403, Polish message), as the matrix and the service's rules say.
REFUSED = {
    "teacher": ARCHIVE_CALLS + ADMIN_CALLS + COPY_CALLS + DISCLOSURE_CALLS,
    "wych": ARCHIVE_CALLS + ADMIN_CALLS + COPY_CALLS + DISCLOSURE_CALLS,
    "parent": ARCHIVE_CALLS + ADMIN_CALLS + COPY_CALLS + DISCLOSURE_CALLS,
    "s1": ARCHIVE_CALLS + ADMIN_CALLS + COPY_CALLS + DISCLOSURE_CALLS,
    "secretary": ARCHIVE_CALLS + ADMIN_CALLS + DISCLOSURE_CALLS,
    "vice": ARCHIVE_CALLS + ADMIN_CALLS,
    "director": ADMIN_CALLS,
}


@pytest.mark.parametrize("who", list(REFUSED))
def test_arc1_arc2_arc5_roles_outside_the_matrix_are_refused_in_polish(http, school, archived, printout, who):
    """Archives are the administrators' and the director's; the register of copies also the
    vice-director's and the secretary's; teachers, class teachers, parents and students get none
    of it (chapter II: printouts and exports are staff's; the archive is the SADE's)."""
    copy = printout
    client = http(who)
    for method, path, body in REFUSED[who]:
        url = path.format(sid=school["school"]["id"], aid=archived["id"], cid=copy["id"])
        r = client.request(method, url, json=body)
        assert r.status_code == 403, (who, method, url, r.status_code, r.text)
        assert r.json()["message"] == FORBIDDEN and "Traceback" not in r.text


def test_arc1_the_deputy_administrator_works_with_archives(http, school, archived):
    deputy = http("deputy")
    assert deputy.get(f"/archives/{archived['id']}").status_code == 200
    assert deputy.get(f"/schools/{school['school']['id']}/destructions").status_code == 200


# ------------------------------------------------------------------ TEN-1: another school's records

def test_ten1_another_schools_archive_copy_and_school_answer_404(http, school, archived, printout, other):
    theirs = http("admin", other)
    sid, aid, cid = school["school"]["id"], archived["id"], printout["id"]
    secrets = {school["school"]["name"], school["school"]["short_name"], "Łowicz", "Żak"}
    calls = [(m, p.format(sid=sid, aid=aid, cid=cid), b) for m, p, b in ARCHIVE_CALLS + ADMIN_CALLS + COPY_CALLS
             + DISCLOSURE_CALLS] + [
        ("get", f"/copies/{cid}/files/manifest.json", None),
        ("post", f"/schools/{sid}/disclosures", {"student_id": school["s1"]["id"], "body_kind": "court",
                                                 "body_name": "Sąd", "legal_basis": "art. 1"}),
        ("get", f"/schools/{sid}/procedure-annexes/teachers?school_year=2025/2026", None)]
    for method, url, body in calls:
        r = theirs.request(method, url, json=body)
        assert r.status_code == 404, (method, url, r.status_code, r.text)
        assert r.json()["message"] and not [s for s in secrets if s in r.text], (url, r.text)
    # And the other way round: school A's administrator does not reach school B's archive.
    mine = http("admin")
    for method, url in (("get", f"/archives/{other['archive_id']}"), ("get", f"/archives/{other['archive_id']}/status"),
                        ("get", f"/copies/{other['copy_id']}/receipt.pdf")):
        r = mine.request(method, url)
        assert r.status_code == 404, (url, r.text)
    # Each school lists only its own archives.
    assert other["archive_id"] not in [a["id"] for a in mine.get(f"/schools/{sid}/archives").json()]


# ------------------------------------------------------------------ bad input

def test_arc1_bad_input_is_a_4xx_with_a_polish_message(http, school, archived):
    admin, sid = http("admin"), school["school"]["id"]
    r = admin.post(f"/schools/{sid}/archives", json={})
    assert r.status_code == 422
    assert r.json()["message"] == "Niepoprawne dane: sprawdź pola school_year." and \
        r.json()["fields"]["school_year"] == ["To pole jest wymagane."]
    r = admin.post(f"/schools/{sid}/archives", json={"school_year": "1999/2000", "confirm_open_year": True})
    assert r.status_code == 404 and r.json()["message"] == "Nie znaleziono roku szkolnego."
    r = admin.post(f"/schools/{sid}/archives", json={"school_year": school["year_name"], "pilne": True})
    assert r.status_code == 422 and r.json()["fields"]["pilne"] == ["Nieznane pole."]
    r = admin.post(f"/schools/{sid}/archives", json={"school_year": school["year_name"], "confirm_open_year": "może"})
    assert r.status_code == 422 and r.json()["fields"]["confirm_open_year"] == \
        ["Oczekiwano wartości logicznej (true lub false)."]
    r = admin.post(f"/schools/{sid}/archives", data="school_year=2025/2026",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415 and "JSON" in r.json()["message"]
    for url in (f"/archives/{uuid.uuid4()}", f"/archives/{uuid.uuid4()}/status", f"/copies/{uuid.uuid4()}/receipt.pdf"):
        r = admin.get(url)
        assert r.status_code == 404 and r.json()["message"].startswith("Nie znaleziono"), url
    r = admin.post(f"/archives/{archived['id']}/verify", json={"ca_pem": 12})
    assert r.status_code == 422 and r.json()["fields"]["ca_pem"] == ["Oczekiwano tekstu."]
