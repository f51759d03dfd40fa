"""The pages of the archive (issue 8, item 7) in a real headless Chromium (Playwright), every
visited page checked with axe-core for WCAG 2.0/2.1 A and AA (LAW-4):

- ARC-1: the administrator starts the archive of the current (open) year, is asked to confirm,
  watches the progress bar refresh itself (static/archive.js) until the page shows the files,
  verifies the archive, and downloads it: the download is registered as a copy (ARC-2), the XML
  arrives byte for byte and the receipt prints;
- LAW-5: the school's certificate uploaded (a wrong password refused next to the field), an
  archive made before it signed, then verified as correct;
- ARC-2: the secretary registers a printout (missing fields marked) and prints the receipt;
- ARC-6: the director prepares a student's data package and downloads it;
- ARC-5: an archive past its retention destroyed after typing its year; the record of it;
- ARC-4: the class teacher prints Annex 5; the menus and refusals per role; a 375 px phone."""
import hashlib
import io
import json
import re
import uuid
import zipfile
from datetime import date

import pytest
from pypdf import PdfReader

from tests.harness import wait_for
from tests.integration.test_archive import make_pki, school_year_of

from .conftest import PASSWORD, ctx_of, running_system

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# The archive gathers its data from every service.
SERVICES = ("identity", "scheduling", "grades", "attendance", "messaging", "archive")
NAV = "nav[aria-label='Menu główne']"


@pytest.fixture(scope="module")
def system():
    """The real system on SQLite (as tests/browser/conftest.py's, with every service running)."""
    with running_system(SERVICES) as cluster:
        yield cluster


def pdf_text(data):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


@pytest.fixture(scope="module")
def school(system):
    """Szkoła Podstawowa nr 4 w Kutnie: class 4a (class teacher Wiesława) with Zuzanna (child of
    Paweł) and Jędrzej, a graded mathematics test, the current school year (open) and 2016/2017."""
    tag = uuid.uuid4().hex[:6]
    rpc = system.rpc
    s = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa nr 4 w Kutnie {tag}", "short_name": f"k{tag}",
                                          "city": "Kutno"})

    def acc(key, roles, first, last):
        return rpc("identity", "create_account", {"school_id": s["id"], "first_name": first, "last_name": last,
                                                  "roles": roles, "password": PASSWORD, "login": f"{key}.{tag}"})
    p = dict(
        admin=acc("admin", ["school_admin"], "Anna", "Żak"),
        director=acc("dyrektor", ["director"], "Dorota", "Dyrektorska"),
        secretary=acc("sekretariat", ["secretary"], "Sabina", "Sekretarska"),
        teacher=acc("nauczyciel", ["teacher"], "Tadeusz", "Łęcki"),
        wych=acc("wychowawca", ["class_teacher", "teacher"], "Wiesława", "Wychowawczyni"),
        parent=acc("rodzic", ["parent"], "Paweł", "Gęśliński"),
        s1=acc("uczen1", ["student"], "Zuzanna", "Gęślińska"),
        s2=acc("uczen2", ["student"], "Jędrzej", "Ćwik"),
    )
    admin = ctx_of(p["admin"])
    rpc("identity", "link_guardian", s["id"], {"parent_id": p["parent"]["id"], "student_id": p["s1"]["id"]}, ctx=admin)
    name, starts, ends = school_year_of(date.today())
    rpc("scheduling", "create_school_year", s["id"], {
        "name": name, "starts_on": starts.isoformat(), "ends_on": ends.isoformat(),
        "terms": [{"name": "Rok", "starts_on": starts.isoformat(), "ends_on": ends.isoformat()}]}, ctx=admin)
    rpc("scheduling", "create_school_year", s["id"], {"name": "2016/2017", "starts_on": "2016-09-01",
                                                      "ends_on": "2017-06-23"}, ctx=admin)
    klass = rpc("scheduling", "create_class", s["id"], {"name": "4a", "class_teacher_id": p["wych"]["id"]}, ctx=admin)
    for st in ("s1", "s2"):
        rpc("scheduling", "enrol_student", klass["id"], {"student_id": p[st]["id"], "enrolled_on": starts.isoformat()},
            ctx=admin)
    math = rpc("scheduling", "create_subject", s["id"], {"name": "Matematyka"}, ctx=admin)
    rpc("scheduling", "create_assignment", s["id"], {"teacher_id": p["teacher"]["id"], "subject_id": math["id"],
                                                     "class_id": klass["id"]}, ctx=admin)
    cat = rpc("grades", "create_category", s["id"], {"name": "sprawdzian", "weight": 3}, ctx=admin)
    rpc("grades", "add_grade_column", klass["id"], math["id"], {
        "category_id": cat["id"], "grades": [{"student_id": p["s1"]["id"], "value": "5"}]}, ctx=ctx_of(p["teacher"]))
    return dict(school=s, klass=klass, year_name=name, tag=tag, pki=make_pki(), **p)


def wait_archive(system, archive_id, ctx, timeout=240):
    def done():
        st = system.rpc("archive", "archive_status", archive_id, ctx=ctx)
        return st if st["status"] in ("completed", "failed") else None
    st = wait_for(done, timeout=timeout, interval=0.3, what=f"archive {archive_id}")
    assert st["status"] == "completed", st
    return system.rpc("archive", "get_archive", archive_id, ctx=ctx)


def follow(v, locator):
    """Click a link or a submit button and wait for the next page, then check it with axe-core."""
    with v.page.expect_navigation():
        locator.click()
    return v.check()


def menu(v, label):
    return follow(v, v.page.locator(NAV).get_by_role("link", name=label, exact=True))


def downloaded(page, locator):
    with page.expect_download() as info:
        locator.click()
    with open(info.value.path(), "rb") as fh:
        return info.value.suggested_filename, fh.read()


# ------------------------------------------------------------------ ARC-1, ARC-2: start, progress, verify, download

def test_arc1_admin_starts_an_archive_watches_its_progress_verifies_and_downloads_it(visitor, school, system):
    admin_ctx = ctx_of(school["admin"])
    v = visitor()
    v.login(school["admin"]["login"])
    page = menu(v, "Archiwum")
    assert page.locator("h1").inner_text() == "Archiwum dziennika"
    assert "Szkoła nie ma jeszcze żadnego archiwum." in page.content()
    # An open year asks for confirmation: the message at the checkbox, nothing started.
    page.select_option("#f-school_year", school["year_name"])
    page = follow(v, page.get_by_role("button", name="Utwórz archiwum"))
    assert "nie jest zamknięty" in page.locator(".error-summary").inner_text()
    assert "Wymagane potwierdzenie." in page.locator("#f-confirm_open_year-error").inner_text()
    assert system.rpc("archive", "list_archives", school["school"]["id"], ctx=admin_ctx) == []
    # Another archive is being written: this one waits in the queue, so its progress bar shows.
    system.rpc("archive", "start_archive", school["school"]["id"], {"school_year": "2016/2017",
                                                                    "confirm_open_year": True}, ctx=admin_ctx)
    page.check("#f-confirm_open_year-1")
    page = follow(v, page.get_by_role("button", name="Utwórz archiwum"))
    assert page.locator("h1").inner_text() == f"Archiwum roku szkolnego {school['year_name']}"
    assert "Rozpoczęto tworzenie archiwum" in page.locator(".flashes").inner_text()
    archive_id = re.search(r"/archiwum/([0-9a-f-]{36})", page.url).group(1)
    bar = page.locator(f"progress[aria-label='Postęp archiwum roku {school['year_name']}']")
    assert bar.count() == 1
    assert page.locator("[data-archive-refresh]").is_hidden()      # the page refreshes itself
    # static/archive.js asks the API for the status and moves the bar (answered here by the test
    # for one moment, so that a value the real archive may not pause at can be seen) ...
    fake = {"id": archive_id, "status": "running", "status_pl": "w toku", "percent": 42,
            "current_section": "grades.grades", "message": "Archiwizacja: oceny cząstkowe.",
            "school_year": school["year_name"], "started_at": None, "finished_at": None, "attempts": 1}
    page.route(f"**/api/v1/archives/{archive_id}/status",
               lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(fake)))
    page.wait_for_function("() => document.querySelector('progress').value === 42", timeout=20000)
    assert page.locator("[data-archive-percent]").inner_text() == "42%"
    assert page.locator("[data-archive-message]").inner_text() == "Archiwizacja: oceny cząstkowe."
    v.check()
    page.unroute(f"**/api/v1/archives/{archive_id}/status")
    # ... and when the archive is complete the page reloads by itself and shows the files.
    page.wait_for_selector("h2#pliki", timeout=240000)
    page.wait_for_load_state()
    v.check()
    archive = system.rpc("archive", "get_archive", archive_id, ctx=admin_ctx)
    assert archive["status"] == "completed"
    files = page.locator("section", has=page.locator("#pliki")).inner_text()
    assert archive["xml_file"] in files and archive["xml_sha256"] in files and "archiwum (XML)" in files
    assert "oceny cząstkowe" in page.locator("section", has=page.locator("#zawartosc")).inner_text()
    # Verification: every check with its result.
    page = follow(v, page.get_by_role("button", name="Sprawdź archiwum"))
    result = page.locator("#wynik-weryfikacji").inner_text()
    assert "Suma kontrolna SHA-256 archiwum jest zgodna." in result
    assert "Archiwum jest zgodne ze schematem dziennik-archiwum-1.0.xsd." in result
    # Download: registered as a copy for its recipient, then streamed.
    page.fill("#f-kop-recipient", "Grzegorz Brzęczyszczykiewicz")
    page = follow(v, page.get_by_role("button", name="Zarejestruj kopię i przejdź do pobierania"))
    assert page.locator("#f-kop-purpose-error").inner_text().endswith("To pole jest wymagane.")
    page.fill("#f-kop-purpose", "Kopia do archiwum zakładowego")
    page.fill("#f-kop-carrier", "Dysk zewnętrzny nr 3")
    page = follow(v, page.get_by_role("button", name="Zarejestruj kopię i przejdź do pobierania"))
    assert page.locator("h1").inner_text() == "Rejestr kopii"
    assert "Zarejestrowano kopię nr" in page.locator(".flashes").inner_text()
    name, data = downloaded(page, page.get_by_role("link", name=f"Pobierz {archive['xml_file']}", exact=True))
    assert name == archive["xml_file"] and hashlib.sha256(data).hexdigest() == archive["xml_sha256"]
    name, data = downloaded(page, page.get_by_role("link", name="Potwierdzenie odbioru do podpisu (PDF)"))
    assert name.startswith("potwierdzenie-odbioru-kopii-nr-")
    words = pdf_text(data)
    assert "Potwierdzenie odbioru kopii" in words and "Grzegorz Brzęczyszczykiewicz" in words
    register = page.locator("section", has=page.locator("#rejestr")).inner_text()
    assert "Grzegorz Brzęczyszczykiewicz" in register and "Dysk zewnętrzny nr 3" in register


# ------------------------------------------------------------------ LAW-5: certificate and signature

@pytest.fixture(scope="module")
def unsigned(system, school):
    """An archive of 2016/2017 written before the school has a certificate."""
    ctx = ctx_of(school["admin"])
    found = [a for a in system.rpc("archive", "list_archives", school["school"]["id"], ctx=ctx)
             if a["school_year"] == "2016/2017" and a["status"] != "failed"]
    if not found:
        found = [system.rpc("archive", "start_archive", school["school"]["id"],
                            {"school_year": "2016/2017", "confirm_open_year": True}, ctx=ctx)]
    return wait_archive(system, found[0]["id"], ctx)


def test_law5_certificate_uploaded_then_an_older_archive_signed_and_verified(visitor, school, system, unsigned):
    assert not unsigned["signed"]
    director = visitor()
    director.login(school["director"]["login"])
    page = director.goto("/archiwum/certyfikat")
    assert "Szkoła nie wgrała jeszcze certyfikatu" in page.content()
    assert page.locator("input[type=file]").count() == 0             # the director only looks
    v = visitor()
    v.login(school["admin"]["login"])
    page = v.goto("/archiwum/certyfikat")
    p12 = {"name": "pieczec.p12", "mimeType": "application/x-pkcs12", "buffer": school["pki"]["p12"]}
    page.set_input_files("#f-pkcs12", p12)
    page.fill("#f-password", "złe-hasło")
    page = follow(v, page.get_by_role("button", name="Wgraj certyfikat"))
    assert "złe hasło lub uszkodzony plik" in page.locator("#f-pkcs12-error").inner_text()
    assert page.input_value("#f-password") == ""                       # never sent back
    page.set_input_files("#f-pkcs12", p12)
    page.fill("#f-password", school["pki"]["password"])
    page = follow(v, page.get_by_role("button", name="Wgraj certyfikat"))
    assert "Wgrano certyfikat" in page.locator(".flashes").inner_text()
    assert school["pki"]["fingerprint"] in page.content()
    page = v.goto(f"/archiwum/{unsigned['id']}")
    assert "niepodpisane" in page.locator("dl.data").inner_text()
    page = follow(v, page.get_by_role("button", name="Podpisz archiwum"))
    assert "Archiwum podpisano certyfikatem" in page.locator(".flashes").inner_text()
    data = page.locator("dl.data").inner_text()
    assert "podpisane" in data and "niepodpisane" not in data
    page.fill("#f-spr-ca_pem", school["pki"]["ca_pem"])
    page = follow(v, page.get_by_role("button", name="Sprawdź archiwum"))
    result = page.locator("#wynik-weryfikacji").inner_text()
    assert "Archiwum jest poprawne: wszystkie sprawdzenia się powiodły." in result


# ------------------------------------------------------------------ ARC-2: the register of copies

def test_arc2_secretary_registers_a_printout_and_prints_the_receipt(visitor, school):
    v = visitor()
    v.login(school["secretary"]["login"])
    page = menu(v, "Rejestr kopii")
    page.select_option("#f-kind", "printout")
    page.fill("#f-description", "Wydruk ocen ucznia Zuzanny Gęślińskiej")
    page = follow(v, page.get_by_role("button", name="Zarejestruj kopię"))
    summary = page.locator(".error-summary").inner_text()
    assert "Odbiorca" in summary and "Cel" in summary
    assert page.get_attribute("#f-recipient", "aria-invalid") == "true"
    assert page.input_value("#f-description") == "Wydruk ocen ucznia Zuzanny Gęślińskiej"   # kept
    page.fill("#f-recipient", "Paweł Gęśliński")
    page.fill("#f-purpose", "Papierowa kopia ocen na wniosek rodzica")
    page = follow(v, page.get_by_role("button", name="Zarejestruj kopię"))
    assert "Zarejestrowano kopię nr" in page.locator(".flashes").inner_text()
    row = page.locator("tr", has_text="Wydruk ocen ucznia Zuzanny Gęślińskiej")
    assert "Sabina Sekretarska" in row.inner_text()
    name, data = downloaded(page, row.get_by_role("link", name=re.compile("^PDF")))
    assert name.startswith("potwierdzenie-odbioru-kopii-nr-") and "Paweł Gęśliński" in pdf_text(data)
    # Filtered by kind.
    page.select_option("#rodzaj", "archive")
    page = follow(v, page.get_by_role("button", name="Pokaż"))
    assert "Wydruk ocen ucznia Zuzanny" not in page.locator("section", has=page.locator("#rejestr")).inner_text()


# ------------------------------------------------------------------ ARC-6: disclosure

def test_arc6_director_prepares_a_students_data_package(visitor, school):
    v = visitor()
    v.login(school["director"]["login"])
    page = menu(v, "Udostępnianie danych")
    page.select_option("#f-student_id", school["s1"]["id"])
    page.select_option("#f-body_kind", "school")
    page.fill("#f-body_name", "Szkoła Podstawowa nr 1 w Łęczycy")
    page = follow(v, page.get_by_role("button", name="Przygotuj pakiet danych"))
    assert page.locator("#f-legal_basis-error").inner_text().endswith("To pole jest wymagane.")
    page.fill("#f-legal_basis", "art. 41 ust. 1 ustawy Prawo oświatowe (przeniesienie ucznia)")
    page = follow(v, page.get_by_role("button", name="Przygotuj pakiet danych"))
    assert "Przygotowano pakiet danych ucznia Zuzanna Gęślińska" in page.locator(".flashes").inner_text()
    name, data = downloaded(page, page.get_by_role("link", name=re.compile(r"^Pobierz udostepnienie-.*\.zip$")))
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert {"dane-ucznia.xml", "podsumowanie.pdf", "manifest.json"} <= set(zf.namelist())
    assert school["s1"]["id"] in zf.read("dane-ucznia.xml").decode()
    page = menu(v, "Udostępnianie danych")
    record = page.locator("section", has=page.locator("#rejestr")).inner_text()
    for expected in ("Zuzanna Gęślińska", "Szkoła Podstawowa nr 1 w Łęczycy", "Dorota Dyrektorska"):
        assert expected in record, expected


# ------------------------------------------------------------------ ARC-5: destruction after retention

def test_arc5_admin_destroys_an_archive_past_its_retention(visitor, school, system):
    ctx = ctx_of(school["admin"])
    sid = school["school"]["id"]
    old = system.rpc("scheduling", "create_school_year", sid, {"name": "2018/2019", "starts_on": "2018-09-03",
                                                               "ends_on": "2019-06-21"}, ctx=ctx)
    system.rpc("scheduling", "close_school_year", old["id"], ctx=ctx)
    auto = wait_for(lambda: [a for a in system.rpc("archive", "list_archives", sid, ctx=ctx)
                             if a["year_id"] == old["id"]], timeout=30, what="the archive of the closed year")[0]
    wait_archive(system, auto["id"], ctx)
    director = visitor()
    director.login(school["director"]["login"])
    page = director.goto("/archiwum/niszczenie")
    assert "Archiwum 2018/2019" in page.locator("section", has=page.locator("#do-zniszczenia")).inner_text()
    assert page.get_by_role("button", name="Zniszcz archiwum").count() == 0      # administrators only
    v = visitor()
    v.login(school["admin"]["login"])
    page = menu(v, "Archiwum")
    page = follow(v, page.get_by_role("link", name="Archiwa do zniszczenia i protokół zniszczeń"))
    page.select_option("#f-archive_id", auto["id"])
    page.fill("#f-confirmation", "tak")
    page = follow(v, page.get_by_role("button", name="Zniszcz archiwum"))      # confirm() is accepted
    assert "wpisz nazwę roku szkolnego archiwum: 2018/2019" in page.locator("#f-confirmation-error").inner_text()
    page.select_option("#f-archive_id", auto["id"])
    page.fill("#f-confirmation", "2018/2019")
    page = follow(v, page.get_by_role("button", name="Zniszcz archiwum"))
    assert "Zniszczono archiwum roku szkolnego 2018/2019" in page.locator(".flashes").inner_text()
    assert "Archiwum 2018/2019" not in page.locator("section", has=page.locator("#do-zniszczenia")).inner_text()
    record = page.locator("section", has=page.locator("#protokol")).inner_text()
    assert "2018/2019" in record and "Anna Żak" in record


# ------------------------------------------------------------------ ARC-4, menus, refusals, a phone

def test_arc4_class_teacher_prints_annex_5_of_the_class(visitor, school):
    v = visitor()
    v.login(school["wych"]["login"])
    page = menu(v, "Załączniki 4–6")
    page.check("#f-kind-2")                                            # Załącznik nr 5 – uczniowie
    page = follow(v, page.get_by_role("button", name="Pobierz załącznik (PDF)"))
    assert "Wybierz klasę" in page.locator("#f-class_id-error").inner_text()
    page.select_option("#f-class_id", school["klass"]["id"])
    name, data = downloaded(page, page.get_by_role("button", name="Pobierz załącznik (PDF)"))
    assert name == f"załącznik-5-uczniowie-klasa-4a-{school['year_name'].replace('/', '-')}.pdf"
    words = pdf_text(data)
    assert "ZAŁĄCZNIK NR 5" in words and words.index("Jędrzej Ćwik") < words.index("Zuzanna Gęślińska")


def test_menus_and_refusals_per_role(visitor, school):
    expected = {"admin": ["Archiwum", "Rejestr kopii", "Udostępnianie danych", "Załączniki 4–6"],
                "director": ["Archiwum", "Rejestr kopii", "Udostępnianie danych", "Załączniki 4–6"],
                "secretary": ["Rejestr kopii", "Załączniki 4–6"], "wych": ["Załączniki 4–6"],
                "teacher": [], "parent": [], "s1": []}
    archive_labels = {"Archiwum", "Rejestr kopii", "Udostępnianie danych", "Załączniki 4–6"}
    for who, labels in expected.items():
        v = visitor()
        v.login(school[who]["login"])
        assert [x for x in v.nav_labels() if x in archive_labels] == labels, who
        refused = {"/archiwum", "/archiwum/certyfikat", "/archiwum/niszczenie", "/rejestr-kopii",
                   "/udostepnianie-danych", "/zalaczniki-procedury"}
        allowed = {"admin": refused, "director": refused, "secretary": {"/rejestr-kopii", "/zalaczniki-procedury"},
                   "wych": {"/zalaczniki-procedury"}}.get(who, set())
        for path in sorted(refused - allowed):
            page = v.goto(path, status=403)
            assert "Brak uprawnień do tej operacji." in page.locator(".alert-error").inner_text()


def test_archive_pages_fit_a_375px_phone(visitor, school, unsigned):
    v = visitor(viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True)
    v.login(school["admin"]["login"])
    for path in ("/archiwum", f"/archiwum/{unsigned['id']}", "/archiwum/certyfikat", "/archiwum/niszczenie",
                 "/rejestr-kopii", "/udostepnianie-danych", "/zalaczniki-procedury"):
        page = v.goto(path)
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], (path, widths)
