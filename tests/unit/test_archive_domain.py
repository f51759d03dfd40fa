"""archive's pure rules and document pieces (issue 8): retention and destruction (ARC-5), the
manifest and its XML (ARC-1), checksums, the record serialisation and the XSD (LAW-4), the
export protocol's section descriptions."""
import datetime as dt
import hashlib
import io
import os

import pytest
from lxml import etree

import services  # noqa: F401
from services.archive import domain, xmlarchive
from services.archive.protocol import describe, field_type


# ----------------------------------------------------------------------------- retention (ARC-5)

def test_arc5_retention_counts_six_years_from_the_next_first_of_january():
    assert domain.retention_until(dt.date(2026, 6, 26)) == dt.date(2033, 1, 1)
    assert domain.retention_until(dt.date(2019, 6, 21)) == dt.date(2026, 1, 1)
    assert domain.retention_until(dt.date(2019, 12, 31)) == dt.date(2026, 1, 1)


def test_arc5_due_only_from_the_retention_date():
    until = dt.date(2026, 1, 1)
    assert not domain.is_due_for_destruction(until, dt.date(2025, 12, 31))
    assert domain.is_due_for_destruction(until, dt.date(2026, 1, 1))
    assert not domain.is_due_for_destruction(None, dt.date(2030, 1, 1))


def test_arc5_destruction_refusals():
    today = dt.date(2026, 11, 28)
    past, future = dt.date(2026, 1, 1), dt.date(2033, 1, 1)
    assert "przechowywane do 01.01.2033" in domain.destruction_refusal("completed", future, today, "2025/2026", "2025/2026")
    assert "wpisz nazwę roku" in domain.destruction_refusal("completed", past, today, "tak", "2018/2019")
    assert domain.destruction_refusal("destroyed", past, today, "2018/2019", "2018/2019") == "Archiwum zostało już zniszczone."
    assert "w trakcie" in domain.destruction_refusal("running", past, today, "2018/2019", "2018/2019")
    assert domain.destruction_refusal("completed", past, today, " 2018 / 2019 ", "2018/2019") is None
    # A failed archive (no complete files) may be cleaned up whenever it is confirmed.
    assert domain.destruction_refusal("failed", None, today, "2025/2026", "2025/2026") is None


def test_arc1_open_year_needs_confirmation():
    year = {"name": "2026/2027", "closed_at": None}
    assert "nie jest zamknięty" in domain.open_year_refusal(year, False)
    assert domain.open_year_refusal(year, True) is None
    assert domain.open_year_refusal({"name": "2025/2026", "closed_at": "2026-07-01T10:00:00+00:00"}, False) is None


def test_progress_and_stale_runs():
    assert domain.progress(0, 10) == 0
    assert domain.progress(5, 10) == domain.SECTIONS_SHARE // 2
    assert domain.progress(9, 10, 1.0) == domain.SECTIONS_SHARE
    assert domain.progress(3, 0) == 0
    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)
    assert domain.is_stale("running", now - dt.timedelta(minutes=10), now)
    assert not domain.is_stale("running", now - dt.timedelta(seconds=30), now)
    assert not domain.is_stale("completed", None, now)


def test_arc4_lists_are_in_polish_alphabetical_order():
    people = [{"last_name": n, "first_name": "A"} for n in ("Żak", "Gęślińska", "Ćwik", "Lis", "Łęcki", "Cieślak", "zabłocki")]
    assert [p["last_name"] for p in sorted(people, key=domain.person_key)] == \
        ["Cieślak", "Ćwik", "Gęślińska", "Lis", "Łęcki", "zabłocki", "Żak"]


def test_file_names_are_safe_ascii():
    assert domain.slug("2025/2026") == "2025-2026"
    assert domain.slug("Łódź – Żabki") == "lodz-zabki"
    assert domain.base_name({"id": "abc", "short_name": "SP7 Żyrardów"}, "2025/2026") == "dziennik-sp7-zyrardow-2025-2026"


# ----------------------------------------------------------------------------- checksum, manifest (ARC-1)

def test_arc1_checksum_of_a_streamed_file(tmp_path):
    data = "zażółć gęślą jaźń\n".encode() * 10000
    with open(tmp_path / "a.bin", "wb") as raw:
        w = xmlarchive.HashingWriter(raw)
        for i in range(0, len(data), 777):
            w.write(data[i:i + 777])
    assert w.hexdigest == hashlib.sha256(data).hexdigest() == domain.sha256_file(tmp_path / "a.bin")
    assert w.size == len(data)


def _manifest(**kw):
    args = dict(archive_id="a1", school={"id": "s1", "name": "Szkoła Podstawowa nr 7 w Żyrardowie", "short_name": "sp7"},
                year={"id": "y1", "name": "2025/2026", "starts_on": dt.date(2025, 9, 1),
                      "ends_on": dt.date(2026, 6, 26), "closed": True},
                creator={"id": "u1", "name": "Anna Żak"}, created_at=dt.datetime(2026, 7, 2, 9, 0, tzinfo=dt.timezone.utc),
                counts={("grades", "grades"): 120, ("identity", "accounts"): 30},
                checksum={"algorithm": "SHA-256", "file": "d.xml", "sha256": "a" * 64},
                files=[{"name": "d.xml", "kind": "archiwum-xml", "size": 10, "sha256": "a" * 64}],
                database_copies=[{"service": "grades", "kind": "sqlite", "path": "/x/grades.sqlite", "size": 5,
                                  "sha256": "b" * 64, "created_at": "2026-07-02T09:01:00+00:00"}],
                retention_date=dt.date(2033, 1, 1))
    args.update(kw)
    return domain.build_manifest(**args)


def test_arc1_manifest_lists_contents_school_year_creator_checksum():
    m = _manifest()
    assert m["records"] == 150 and {"service": "grades", "section": "grades", "records": 120} in m["sections"]
    assert m["school"]["name"].startswith("Szkoła") and m["school_year"]["name"] == "2025/2026"
    assert m["school_year"]["starts_on"] == "2025-09-01" and m["creator"]["name"] == "Anna Żak"
    assert m["checksum"]["sha256"] == "a" * 64 and m["retention_until"] == "2033-01-01"
    assert m["created_at"] == "2026-07-02T09:00:00+00:00"


def test_law4_manifest_xml_validates_against_the_xsd():
    m = _manifest(signature={"file": "d.xades.xml", "format": "XAdES-BES", "subject": "CN=Szkoła",
                             "fingerprint": "c" * 64, "signed_at": "2026-07-02T09:02:00+00:00"})
    root = xmlarchive.manifest_element(m)
    assert xmlarchive.validate_element(root) == []
    root.find(xmlarchive.q("sumaKontrolna")).text = "not-a-hash"
    assert xmlarchive.validate_element(root)


# ----------------------------------------------------------------------------- the document (LAW-4)

def _write(tmp_path, items, types=None):
    path = tmp_path / "a.xml"
    header = {"school": {"id": "s1", "name": "Szkoła <Podstawowa> & \"Gimnazjum\""},
              "year": {"id": "y1", "name": "2025/2026", "starts_on": "2025-09-01", "ends_on": "2026-06-26",
                       "closed": False},
              "creator": {"id": None, "name": "system"}, "as_of": "2026-06-26"}
    with open(path, "wb") as raw:
        with xmlarchive.ArchiveWriter(raw, archive_id="a1", kind=xmlarchive.YEARLY, header=header) as w:
            with w.service("grades"):
                with w.section("grades", "Oceny cząstkowe", types) as s:
                    s.write_items(items)
                with w.section("categories", "Kategorie ocen"):
                    pass
    return path, w


def test_law4_typed_fields_validate_and_escape(tmp_path):
    items = [{"id": "g1", "value": "5-", "numeric": 4.75, "weight": 1e-05, "term": 2, "deleted": False,
              "date": "2026-03-02", "created_at": "2026-03-02T10:00:00.123456+00:00", "starts_at": "08:00:00",
              "description": "a < b & c > d \x00\x1f \r\n zażółć", "tags": ["x", 1, None, {"bad key": 2.5}],
              "nothing": None, "odd date": "2026-13-45", "inf": float("inf")}]
    types = {"date": "date", "created_at": "datetime", "starts_at": "time", "numeric": "decimal", "term": "integer",
             "deleted": "boolean", "odd date": "date"}
    path, w = _write(tmp_path, items, types)
    assert xmlarchive.validate(str(path)) == []
    assert w.counts == {("grades", "grades"): 1, ("grades", "categories"): 0}
    rec = etree.parse(str(path)).getroot().find(f".//{xmlarchive.q('rekord')}")
    fields = {el.get("n"): (etree.QName(el).localname, el.text) for el in rec}
    assert fields["numeric"] == ("liczba", "4.75") and fields["weight"] == ("liczba", "0.00001")
    assert fields["date"] == ("data", "2026-03-02") and fields["created_at"][0] == "znacznikCzasu"
    assert fields["starts_at"] == ("czas", "08:00:00") and fields["deleted"] == ("logiczna", "false")
    assert fields["description"][1] == "a < b & c > d \ufffd\ufffd \r\n zażółć"
    assert fields["_odd_date"] == ("tekst", "2026-13-45")      # not a date: kept as text, still valid
    assert fields["nothing"] == ("pusta", None) and fields["inf"] == ("tekst", "inf")


def test_law4_a_document_that_breaks_the_schema_is_reported(tmp_path):
    path, _ = _write(tmp_path, [{"id": "g1", "value": "5"}])
    text = path.read_text(encoding="utf-8").replace('wersja="1.0"', 'wersja="2.0"', 1)
    path.write_text(text, encoding="utf-8")
    problems = xmlarchive.validate(str(path))
    assert problems and "XSD" in problems[0]
    path.write_bytes(path.read_bytes()[:-40])                # cut off: not well-formed
    assert xmlarchive.validate(str(path))


def test_html_view_is_made_from_the_xml(tmp_path):
    path, _ = _write(tmp_path, [{"id": "g1", "value": "5-", "tags": ["a", "b"]}, {"id": "g2", "value": "<6>"}])
    out = io.BytesIO()
    xmlarchive.write_html(str(path), out)
    html = out.getvalue().decode("utf-8")
    assert "<h3>Oceny cząstkowe</h3>" in html and "&lt;6&gt;" in html and "a; b" in html
    assert "Brak wpisów." in html and "Razem rekordów: 2." in html
    assert "Szkoła &lt;Podstawowa&gt;" in html


def test_export_protocol_describes_sections_with_types():
    from services.grades.export import SECTIONS as grades
    from services.identity.export import SECTIONS as identity
    desc = {s["section"]: s for s in describe(grades)}
    assert desc["grades"]["filters"] == ["school_year", "dates", "student"]
    assert desc["grade_versions"]["filters"] == ["school_year", "dates", "student"]   # through the grade
    assert desc["grades"]["fields"]["date"] == "date" and desc["grades"]["fields"]["numeric"] == "decimal"
    accounts = {s["section"]: s for s in describe(identity)}["accounts"]
    assert "password_hash" not in accounts["fields"] and "failed_logins" not in accounts["fields"]
    from services.messaging.export import SECTIONS as messaging
    messages = {s["section"]: s for s in describe(messaging)}["messages"]
    assert "body" not in messages["fields"] and "search_text" not in messages["fields"]


@pytest.mark.parametrize("sql_type, expected", [("Date", "date"), ("DateTime", "datetime"), ("Integer", "integer"),
                                                ("Float", "decimal"), ("Boolean", "boolean"), ("JSON", "json"),
                                                ("String", "string"), ("Time", "time")])
def test_protocol_field_types(sql_type, expected):
    from sqlalchemy import types
    assert field_type(getattr(types, sql_type)()) == expected


# ----------------------------------------------------------------------------- signing (LAW-5)

def test_law5_detached_xades_signature_signs_the_files_bytes(tmp_path):
    from cryptography.hazmat.primitives.serialization import pkcs12
    from services.archive import signing
    from tests.integration.test_archive import make_pki
    pki, other = make_pki(), make_pki()
    key, cert, chain = signing.load_pkcs12(pki["p12"], pki["password"])
    assert signing.check_certificate(cert, key) == []
    with pytest.raises(signing.CertificateProblem, match="złe hasło"):
        signing.load_pkcs12(pki["p12"], "nie to hasło")
    # Stored re-encrypted with the service's secret, readable by the service only.
    stored = signing.store_key(str(tmp_path), "s1", key, cert, chain)
    assert oct(os.stat(stored).st_mode & 0o777) == "0o600"
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(open(stored, "rb").read(), pki["password"].encode())
    key, cert, chain = signing.load_key(str(tmp_path), stored)
    xml = tmp_path / "dziennik.xml"
    xml.write_bytes('<?xml version="1.0" encoding="UTF-8"?>\n<a>zażółć</a>\n'.encode() * 1)
    sig = tmp_path / "dziennik.xades.xml"
    info = signing.sign_detached(str(xml), str(sig), key, cert, chain)
    assert info["fingerprint"] == pki["fingerprint"]
    assert signing.verify_detached(str(sig), str(xml), ca_pem=pki["ca_pem"]) == (True, "Podpis XAdES jest prawidłowy.")
    assert signing.verify_detached(str(sig), str(xml), cert_pem=pki["cert_pem"])[0]
    ok, message = signing.verify_detached(str(sig), str(xml), ca_pem=other["ca_pem"])
    assert not ok and "nie jest zaufany" in message
    assert not signing.verify_detached(str(sig), str(xml), cert_pem=other["cert_pem"])[0]
    xml.write_bytes(xml.read_bytes().replace("ż".encode(), "z ".encode()))
    ok, message = signing.verify_detached(str(sig), str(xml), ca_pem=pki["ca_pem"])
    assert not ok and "zmieniony" in message
    sig.write_bytes(sig.read_bytes()[:200])
    assert not signing.verify_detached(str(sig), str(xml), ca_pem=pki["ca_pem"])[0]
