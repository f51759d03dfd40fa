"""ARC-3 (procedure IX.4): the paper copy of what a parent sees for a child, through the gateway's
HTTP API (``GET /api/v1/students/{id}/overview.pdf``) and the parent's grades page ("Wydrukuj
(PDF)"), on SQLite and PostgreSQL. The school is tests/integration/test_printouts_render.py's
``build_school`` (made over RPC); everything tested goes through HTTP:

- the parent gets the own child's PDF: Polish letters, the grades and averages, the accepted
  mid-year grades, and NOT the predicted grades still waiting for acceptance (GRD-3);
- another family's child answers 404 (at the gateway and in the services behind it), another
  school's student too (TEN-1);
- staff get what the grades rules give them (GRD-7): the class teacher everything (still no
  unaccepted grade: it is the parent's view), the mathematics teacher mathematics only, a
  teacher who teaches nothing is refused; the secretary does not see grades at all;
- the printout is a printout of personal data: it is in the register of copies (ARC-2) with
  the purpose "wydruk dla rodzica", for the parent."""
import io
import re
import uuid

import pytest
import requests
from pypdf import PdfReader

from services.common.errors import NotFound
from tests.integration.test_printouts_render import PASSWORD, build_school, ctx_of, name

pytestmark = pytest.mark.integration
API = "/api/v1"


def pdf_text(data):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


@pytest.fixture(scope="module")
def school(system):
    p = build_school(system)
    p["secretary"] = system.rpc("identity", "create_account", {
        "school_id": p["school"]["id"], "first_name": "Sabina", "last_name": "Sekretarska", "roles": ["secretary"],
        "password": PASSWORD, "login": f"sekretariat.{p['tag']}"})
    return p


@pytest.fixture(scope="module")
def http(system, school):
    cache = {}

    def client(who):
        if who not in cache:
            r = requests.post(system.gateway_url + API + "/auth/login",
                              json={"login": school[who]["login"], "password": PASSWORD}, timeout=20)
            assert r.status_code == 200, r.text
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {r.json()['token']}"
            cache[who] = s
        return cache[who]
    return client


def overview_pdf(system, http, school, who, student="s1"):
    return http(who).get(f"{system.gateway_url}{API}/students/{school[student]['id']}/overview.pdf",
                         params={"school_year": school["year_name"]}, timeout=60)


def test_arc3_parent_downloads_the_own_childs_view_without_unaccepted_grades(system, http, school):
    r = overview_pdf(system, http, school, "parent1")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/pdf" and r.headers["Cache-Control"] == "no-store"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "widok-ucznia-" in disposition and school["year_name"].replace("/", "-") in disposition
    text = pdf_text(r.content)
    for expected in (school["school"]["name"], "Łucja Żółkiewska", "4a", school["year_name"],
                     "Matematyka", "Język polski", "5 4+", "śródroczna: dobry (4)", "ocena śródroczna: wzorowe",
                     "Pochwała za konkurs", "Łucja zajęła pierwsze miejsce w konkursie ortograficznym.",
                     "Frekwencja w roku szkolnym: 100,0%", "Wydrukował(a) Paweł Żółkiewski"):
        assert expected in text, (expected, text)
    assert set("ąęłóśźż") <= set(text.lower())
    # The same numbers as the parent's view on the screen (the overview the parent's page uses).
    seen = http("parent1").get(f"{system.gateway_url}{API}/students/{school['s1']['id']}/overview",
                               params={"school_year": school["year_name"]}, timeout=30).json()
    for subject in seen["grades"]["subjects"]:
        assert f"{subject['average_year']:.2f}".replace(".", ",") in text
    assert f"{seen['grades']['overall_average']:.2f}".replace(".", ",") in text
    # GRD-3: the predicted annual 6 and the predicted behaviour are waiting for acceptance.
    assert "celujący" not in text and "(6)" not in text and "nieodpowiednie" not in text
    assert "przewidywana roczna" not in text
    # Jędrzej's grades and absence are not on Łucja's page.
    assert "Jędrzej" not in text and "Świątek" not in text


def test_arc3_the_printout_is_in_the_register_of_copies(system, http, school):
    """ARC-2, XII.2: a printout of personal data is registered: when, by whom, for whom, why."""
    r = overview_pdf(system, http, school, "parent2", student="s2")
    assert r.status_code == 200, r.text
    copies = system.rpc("archive", "list_copies", school["school"]["id"], {"kind": "printout"},
                        ctx=ctx_of(school["admin"]))
    mine = [c for c in copies if c["made_by"] == school["parent2"]["id"]]
    assert len(mine) == 1, copies
    copy = mine[0]
    assert copy["purpose"] == "wydruk dla rodzica" and copy["recipient"] == name(school["parent2"])
    assert copy["made_by_name"] == name(school["parent2"]) and "Jędrzej Świątek" in copy["description"]
    assert copy["kind_pl"] == "Wydruk danych osobowych z dziennika elektronicznego"
    assert copy["files"][0]["name"].endswith(".pdf") and len(copy["files"][0]["sha256"]) == 64
    # Printed by the class teacher for a parent who asked at school: the recipient is the parent.
    r = overview_pdf(system, http, school, "wych", student="s2")
    assert r.status_code == 200, r.text
    copies = system.rpc("archive", "list_copies", school["school"]["id"], {"kind": "printout"},
                        ctx=ctx_of(school["admin"]))
    by_teacher = [c for c in copies if c["made_by"] == school["wych"]["id"]]
    assert by_teacher and name(school["parent2"]) in by_teacher[0]["recipient"]
    # Parents and students do not read the register.
    assert http("parent2").get(f"{system.gateway_url}{API}/schools/{school['school']['id']}/copies",
                               timeout=20).status_code == 403


def test_arc3_another_familys_child_and_another_schools_student_answer_404(system, http, school):
    r = overview_pdf(system, http, school, "parent2", student="s1")
    assert r.status_code == 404 and r.json()["message"] == "Nie znaleziono ucznia."
    r = overview_pdf(system, http, school, "s2", student="s1")
    assert r.status_code == 404
    # Behind the gateway too: the services answer with the parent's own rights.
    with pytest.raises(NotFound):
        system.rpc("archive", "child_view_pdf", school["s1"]["id"], school_year=school["year_name"],
                   ctx=ctx_of(school["parent2"]))
    # TEN-1: another school's administrator does not learn the student exists.
    tag = uuid.uuid4().hex[:6]
    other = system.rpc("identity", "create_school", {"name": f"Liceum Obce w Elblągu {tag}", "short_name": f"e{tag}"})
    system.rpc("identity", "create_account", {"school_id": other["id"], "first_name": "Ewa", "last_name": "Obca",
                                              "roles": ["school_admin"], "password": PASSWORD,
                                              "login": f"obca.{tag}"})
    token = requests.post(system.gateway_url + API + "/auth/login", json={"login": f"obca.{tag}",
                                                                         "password": PASSWORD}, timeout=20).json()
    r = requests.get(f"{system.gateway_url}{API}/students/{school['s1']['id']}/overview.pdf",
                     headers={"Authorization": f"Bearer {token['token']}"}, timeout=30)
    assert r.status_code == 404 and "Żółkiewska" not in r.text


def test_arc3_grd7_staff_get_what_the_grades_rules_give_them(system, http, school):
    # The class teacher sees every subject; the printout is still the parent's view (GRD-3).
    r = overview_pdf(system, http, school, "wych")
    assert r.status_code == 200, r.text
    text = pdf_text(r.content)
    assert "Matematyka" in text and "Język polski" in text and "śródroczna: dobry (4)" in text
    assert "celujący" not in text and "nieodpowiednie" not in text
    # The mathematics teacher: grades of mathematics only, no behaviour (attendance is every
    # teacher's to see, ATT-6, so its table still names every subject).
    r = overview_pdf(system, http, school, "math")
    assert r.status_code == 200, r.text
    grades_part = pdf_text(r.content).split("Frekwencja w roku szkolnym")[0]
    assert "Matematyka" in grades_part and "Język polski" not in grades_part and "wzorowe" not in grades_part
    assert "Brak zatwierdzonej oceny zachowania." in grades_part
    # A teacher who does not teach the student is refused, as for the grades themselves.
    r = overview_pdf(system, http, school, "outsider")
    assert r.status_code == 403 and r.json()["message"] == "Brak dostępu do ocen tego ucznia."
    # The secretary does not see grades (chapter II), so there is no printout of them either.
    r = overview_pdf(system, http, school, "secretary")
    assert r.status_code == 403


def test_arc3_bad_school_year_answers_422_in_polish(system, http, school):
    r = http("parent1").get(f"{system.gateway_url}{API}/students/{school['s1']['id']}/overview.pdf",
                            params={"school_year": "2025-2026"}, timeout=20)
    assert r.status_code == 422 and "school_year" in r.json()["fields"]


def test_arc3_the_parents_grades_page_links_the_printout(system, school):
    """The parent's page of the child's grades has "Wydrukuj (PDF)", which downloads the PDF."""
    system.rpc("identity", "acknowledge_monitoring_notice", ctx=ctx_of(school["parent1"]))
    web = requests.Session()
    page = web.get(system.gateway_url + "/logowanie", timeout=20).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = web.post(system.gateway_url + "/logowanie", data={"login": school["parent1"]["login"], "password": PASSWORD,
                                                         "csrf_token": token}, timeout=20, allow_redirects=False)
    assert r.status_code == 302, r.text
    html = web.get(f"{system.gateway_url}/uczniowie/{school['s1']['id']}/oceny", timeout=30).text
    link = re.search(r'<a class="button button--secondary" href="([^"]+)" download>Wydrukuj \(PDF\)</a>', html)
    assert link, html
    r = web.get(system.gateway_url + link.group(1), timeout=60)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert "Łucja Żółkiewska" in pdf_text(r.content)
