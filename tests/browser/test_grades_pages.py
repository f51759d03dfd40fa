"""The pages of grades (issue 5, item 9) in a real headless Chromium (Playwright), every visited
page checked with axe-core for WCAG 2.0/2.1 A and AA (LAW-4):

- GRD-1: a teacher enters a whole column by typing down the grid (Enter moves to the next
  student); a bad value is marked at its cell and nothing is stored;
- GRD-3: a parent does not see a final grade the teacher has not accepted, and sees it after the
  acceptance;
- GRD-6: a correction without a reason is refused with the message next to the field; the
  parent then sees "poprawiona", the director the history;
- GRD-4, GRD-5, GRD-8: the class teacher's class view with the at-risk list, the deadline and the
  notices PDF, behaviour grades; the director's statistics with the distribution chart; the
  administrator's scale and categories;
- the parent's and the student's pages on a 375 px wide phone, with the inline-SVG trend."""
import io
import re
import uuid
from datetime import date, timedelta

import pytest
from pypdf import PdfReader


from .conftest import PASSWORD, ctx_of, running_system

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# The pages of grades call grades besides the services of the identity pages.
SERVICES = ("identity", "scheduling", "messaging", "grades")


@pytest.fixture(scope="module")
def system():
    """The real system on SQLite (as tests/browser/conftest.py's, with grades running)."""
    with running_system(SERVICES) as cluster:
        yield cluster


def pdf_text(data):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


@pytest.fixture(scope="module")
def school(system):
    """Class 5b (class teacher Wiesława, who teaches PE there) with Zuzanna (child of Paweł),
    Jędrzej and Łucja; mathematics taught by Tadeusz; categories sprawdzian (3), kartkówka (2)."""
    tag = uuid.uuid4().hex[:6]
    rpc = system.rpc
    s = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa nr 2 w Gdyni {tag}", "short_name": f"o{tag}"})

    def acc(key, roles, first, last):
        return rpc("identity", "create_account", {"school_id": s["id"], "first_name": first, "last_name": last,
                                                  "roles": roles, "password": PASSWORD, "login": f"{key}.{tag}"})
    p = dict(
        admin=acc("admin", ["school_admin"], "Anna", "Żak"),
        director=acc("dyrektor", ["director"], "Dorota", "Dyrektorska"),
        teacher=acc("nauczyciel", ["teacher"], "Tadeusz", "Łęcki"),
        wych=acc("wychowawca", ["class_teacher", "teacher"], "Wiesława", "Wychowawczyni"),
        parent=acc("rodzic", ["parent"], "Paweł", "Gęśliński"),
        s1=acc("uczen1", ["student"], "Zuzanna", "Gęślińska"),
        s2=acc("uczen2", ["student"], "Jędrzej", "Ćwik"),
        s3=acc("uczen3", ["student"], "Łucja", "Źrebięcka"),
    )
    admin = ctx_of(p["admin"])
    rpc("identity", "link_guardian", s["id"], {"parent_id": p["parent"]["id"], "student_id": p["s1"]["id"]}, ctx=admin)
    klass = rpc("scheduling", "create_class", s["id"], {"name": "5b", "class_teacher_id": p["wych"]["id"]}, ctx=admin)
    subj = {name: rpc("scheduling", "create_subject", s["id"], {"name": name}, ctx=admin)
            for name in ("matematyka", "wychowanie fizyczne")}
    for teacher, subject in (("teacher", "matematyka"), ("wych", "wychowanie fizyczne")):
        rpc("scheduling", "create_assignment", s["id"], {"teacher_id": p[teacher]["id"],
                                                         "subject_id": subj[subject]["id"], "class_id": klass["id"]},
            ctx=admin)
    for st in ("s1", "s2", "s3"):
        rpc("scheduling", "enrol_student", klass["id"], {"student_id": p[st]["id"]}, ctx=admin)
    cats = {c["name"]: c for c in [
        rpc("grades", "create_category", s["id"], {"name": "sprawdzian", "weight": 3}, ctx=admin),
        rpc("grades", "create_category", s["id"], {"name": "kartkówka", "weight": 2}, ctx=admin)]}
    rpc("grades", "update_grade_settings", s["id"],
        {"midyear_notice_deadline": (date.today() + timedelta(days=7)).isoformat()}, ctx=admin)
    # Earlier grades in PE, so that the family's pages have a trend to draw.
    for value in ("3", "4", "5"):
        rpc("grades", "add_grade_column", klass["id"], subj["wychowanie fizyczne"]["id"],
            {"category_id": cats["kartkówka"]["id"], "grades": [{"student_id": p["s1"]["id"], "value": value}]},
            ctx=ctx_of(p["wych"]))
    return dict(school=s, klass=klass, subj=subj, cats=cats, tag=tag, **p)


def gradebook_path(school, subject="matematyka"):
    return f"/oceny/klasy/{school['klass']['id']}/przedmioty/{school['subj'][subject]['id']}"


def grade_input(school, key):
    return f"#f-ocena-{school[key]['id']}"


def follow(v, locator):
    """Click a link or a submit button and wait for the next page (not the one still shown),
    then check it with axe-core."""
    with v.page.expect_navigation():
        locator.click()
    return v.check()


def press_and_follow(v, key):
    with v.page.expect_navigation():
        v.page.keyboard.press(key)
    return v.check()


def focused_id(page):
    return page.evaluate("() => document.activeElement && document.activeElement.id")


# ------------------------------------------------------------------ GRD-1: a column typed down the grid

def test_grd1_teacher_enters_a_whole_column_typing_down_the_grid(visitor, school, system):
    v = visitor()
    v.login(school["teacher"]["login"])
    follow(v, v.page.locator("nav[aria-label='Menu główne']").get_by_role("link", name="Oceny", exact=True))
    page = follow(v, v.page.get_by_role("link", name="matematyka, klasa 5b", exact=True))
    assert page.locator("h1").inner_text() == "Oceny: matematyka, klasa 5b"
    # The class list in Polish order: Ćwik, Gęślińska, Źrebięcka.
    order = [page.get_attribute(f"input[data-grade-entry] >> nth={i}", "id") for i in range(3)]
    assert order == [grade_input(school, k)[1:] for k in ("s2", "s1", "s3")]

    page.select_option("#f-category_id", school["cats"]["sprawdzian"]["id"])
    page.fill("#f-description", "Sprawdzian: ułamki zwykłe")
    # First a mistake: "7" is not on the scale; it is marked at its cell and nothing is stored.
    page.click(grade_input(school, "s2"))
    for value in ("4", "7", "np"):
        page.keyboard.type(value)
        page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.hasAttribute('data-grade-submit')")
    press_and_follow(v, "Enter")
    error = page.locator(f"{grade_input(school, 's1')}-error")
    assert "„7” nie jest oceną w skali szkoły" in error.inner_text()
    assert page.get_attribute(grade_input(school, "s1"), "aria-invalid") == "true"
    assert page.get_attribute(grade_input(school, "s2"), "aria-invalid") is None
    assert page.input_value(grade_input(school, "s2")) == "4"       # typed values are kept
    assert "Kolumna nie została zapisana" in page.locator(".error-summary").inner_text()
    book = system.rpc("grades", "class_gradebook", school["klass"]["id"], school["subj"]["matematyka"]["id"],
                      ctx=ctx_of(school["teacher"]))
    assert not book["columns"]

    # The corrected column, typed down the grid with Enter and the arrow keys.
    page.click(grade_input(school, "s2"))
    page.keyboard.press("ArrowDown")
    assert focused_id(page) == grade_input(school, "s1")[1:]
    page.keyboard.type("5")                # the field's old value is selected: typing replaces it
    page.keyboard.press("ArrowUp")
    assert focused_id(page) == grade_input(school, "s2")[1:]
    page.keyboard.type("4+")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    assert focused_id(page) == grade_input(school, "s3")[1:]
    page.keyboard.type("3-")
    page.keyboard.press("Enter")
    press_and_follow(v, "Enter")           # on "Zapisz kolumnę"
    assert "Zapisano kolumnę: 3 oceny (sprawdzian)." in page.locator(".flashes").inner_text()
    header = page.locator("table.gradebook thead").inner_text()
    assert "sprawdzian" in header and "Sprawdzian: ułamki zwykłe" in header
    for key, value in (("s2", "4+"), ("s1", "5"), ("s3", "3-")):
        row = page.locator("table.gradebook tbody tr", has_text=school[key]["last_name"])
        assert row.get_by_role("link", name=re.compile(f"^{re.escape(value)} \\(sprawdzian")).count() == 1
    # Weighted averages: one grade each, so the average is the grade (4+ = 4.5, 3- = 2.75).
    row = page.locator("table.gradebook tbody tr", has_text="Ćwik").inner_text()
    assert "4,50" in row
    assert "2,75" in page.locator("table.gradebook tbody tr", has_text="Źrebięcka").inner_text()


# ------------------------------------------------------------------ GRD-6: a correction needs a reason

def test_grd6_correction_without_a_reason_is_refused_next_to_the_field(visitor, school, system):
    system.rpc("grades", "add_grade_column", school["klass"]["id"], school["subj"]["matematyka"]["id"],
               {"category_id": school["cats"]["kartkówka"]["id"], "description": "Kartkówka: potęgi",
                "grades": [{"student_id": school["s1"]["id"], "value": "2"}]}, ctx=ctx_of(school["teacher"]))
    v = visitor()
    v.login(school["teacher"]["login"])
    page = v.goto(gradebook_path(school))
    row = page.locator("table.gradebook tbody tr", has_text="Gęślińska")
    follow(v, row.get_by_role("link", name=re.compile(r"^2 \(kartkówka")))
    assert page.locator("h1").inner_text() == "Poprawka oceny: Zuzanna Gęślińska, matematyka"
    page.fill("#f-value", "3")
    follow(v, page.get_by_role("button", name="Zapisz poprawkę"))
    message = page.locator("#f-reason-error").inner_text()
    assert "Podaj przyczynę zmiany lub usunięcia oceny" in message
    assert page.get_attribute("#f-reason", "aria-invalid") == "true"
    assert "f-reason-error" in page.get_attribute("#f-reason", "aria-describedby")
    assert page.input_value("#f-value") == "3"
    book = system.rpc("grades", "class_gradebook", school["klass"]["id"], school["subj"]["matematyka"]["id"],
                      ctx=ctx_of(school["teacher"]))
    assert "2" in [g["value"] for s in book["students"] for g in s["grades"]]      # unchanged
    page.fill("#f-reason", "poprawa kartkówki w terminie")
    page.get_by_role("button", name="Zapisz poprawkę").click()
    page.wait_for_url(f"**{gradebook_path(school)}")
    v.check()
    assert "Poprawiono ocenę ucznia Zuzanna Gęślińska: 2 → 3." in page.locator(".flashes").inner_text()
    corrected = page.locator("table.gradebook tbody tr", has_text="Gęślińska").locator("a.grade--corrected")
    assert corrected.count() == 1 and corrected.inner_text().startswith("3*")

    # The parent sees the current value marked "poprawiona"; the director sees the history.
    parent = visitor()
    parent.login(school["parent"]["login"])
    parent.goto(f"/uczniowie/{school['s1']['id']}/oceny")
    item = parent.page.locator(".grade-list li", has_text="potęgi")
    assert item.locator(".grade-value").inner_text() == "3" and "poprawiona" in item.inner_text()
    director = visitor()
    director.login(school["director"]["login"])
    page = director.goto(gradebook_path(school))
    follow(director, page.locator("table.gradebook tbody tr", has_text="Gęślińska").locator("a.grade--corrected"))
    follow(director, page.get_by_role("link", name="Historia zmian tej oceny"))       # directors may edit too
    history = page.locator("table").inner_text()
    assert "poprawa kartkówki w terminie" in history and "Tadeusz Łęcki" in history and "wpisanie" in history


# ------------------------------------------------------------------ GRD-3: visible only after acceptance

def test_grd3_parent_sees_a_final_grade_only_after_the_teacher_accepts_it(visitor, school):
    teacher = visitor()
    teacher.login(school["teacher"]["login"])
    page = teacher.goto(gradebook_path(school))
    follow(teacher, page.get_by_role("link", name="Oceny przewidywane i końcowe").first)
    page.select_option("#rodzaj", "midyear")
    follow(teacher, page.get_by_role("button", name="Pokaż"))
    page.select_option(grade_input(school, "s1"), "5")
    follow(teacher, page.get_by_role("button", name="Zapisz oceny").first)
    assert "Zapisano oceny: 1." in page.locator(".flashes").inner_text()
    row = page.locator("tbody tr", has_text="Gęślińska")
    assert "bardzo dobry (5)" in row.inner_text() and "niezatwierdzona" in row.inner_text()

    parent = visitor()
    parent.login(school["parent"]["login"])
    follow(parent, parent.page.locator("nav[aria-label='Menu główne']").get_by_role("link", name="Oceny dzieci"))
    follow(parent, parent.page.get_by_role("link", name=re.compile("^Oceny i średnie")))
    assert "Oceny: Zuzanna Gęślińska" == parent.page.locator("h1").inner_text()
    summary = parent.page.locator("table.summary tbody tr", has_text="matematyka")
    assert summary.locator("td").nth(1).inner_text() == "—"              # no mid-year grade shown
    assert "bardzo dobry" not in parent.page.locator("main").inner_text()

    follow(teacher, row.get_by_role("button", name=re.compile("^Zatwierdź")))
    assert "Zatwierdzono oceny: 1." in page.locator(".flashes").inner_text()
    assert page.locator("tbody tr", has_text="Gęślińska").locator(".badge--ok").inner_text() == "zatwierdzona"

    parent.page.reload()
    parent.page.wait_for_load_state()
    parent.check()
    summary = parent.page.locator("table.summary tbody tr", has_text="matematyka")
    assert summary.locator("td").nth(1).inner_text() == "bardzo dobry (5)"
    assert "niezatwierdzona" not in parent.page.locator("main").inner_text()

    # Changing the accepted grade needs a reason (GRD-6): refused next to the student's reason field.
    page.select_option(grade_input(school, "s1"), "4")
    follow(teacher, page.get_by_role("button", name="Zapisz oceny").first)
    reason = f"#f-przyczyna-{school['s1']['id']}"
    assert "Podaj przyczynę zmiany" in page.locator(f"{reason}-error").inner_text()
    assert page.get_attribute(reason, "aria-invalid") == "true"
    assert "Nie zapisano ocen" in page.locator(".error-summary").inner_text()
    parent.page.reload()
    parent.check()
    summary = parent.page.locator("table.summary tbody tr", has_text="matematyka")
    assert summary.locator("td").nth(1).inner_text() == "bardzo dobry (5)"


# ------------------------------------------------------------------ the family on a phone, with the trend

def test_family_grade_pages_fit_a_375px_phone_and_draw_the_trend(visitor, school):
    for who, start in (("parent", "/oceny-dzieci"), ("s1", "/moje-oceny")):
        v = visitor(viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True)
        v.login(school[who]["login"])
        for path in (start, f"/uczniowie/{school['s1']['id']}/oceny", f"/uczniowie/{school['s1']['id']}/oceny?okres=1"):
            page = v.goto(path)
            widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], (who, path, widths)
        v.goto(f"/uczniowie/{school['s1']['id']}/oceny")
        trend = v.page.locator("section", has_text="wychowanie fizyczne").locator("svg.trend")
        assert trend.count() == 1
        assert "rosnący: 3, 4, 5" in trend.locator("title").text_content()
        assert v.page.locator("section", has_text="wychowanie fizyczne").locator("polyline").count() == 1
        # Another child's grades look non-existent.
        if who == "parent":
            v.goto(f"/uczniowie/{school['s2']['id']}/oceny", status=404)
            assert "Ćwik" not in v.page.content()


# ------------------------------------------------------------------ the class teacher, the director, the administrator

def test_class_teacher_sees_the_class_the_at_risk_list_and_prints_the_notices(visitor, school, system):
    system.rpc("grades", "set_final_grade", school["s3"]["id"], school["subj"]["matematyka"]["id"],
               {"kind": "predicted_midyear", "value": "1"}, ctx=ctx_of(school["teacher"]))
    v = visitor()
    v.login(school["wych"]["login"])
    follow(v, v.page.locator("nav[aria-label='Menu główne']").get_by_role("link", name="Oceny", exact=True))
    page = follow(v, v.page.get_by_role("link", name=re.compile("^Klasa 5b: średnie")))
    risk = page.locator("section", has=page.locator("#zagrozenia"))
    text = risk.inner_text()
    assert "Łucja Źrebięcka" in text and "przewidywana ocena niedostateczna" in text
    deadline = (date.today() + timedelta(days=7)).strftime("%d.%m.%Y")
    assert deadline in text and "zostało dni: 7" in text
    with page.expect_download() as info:
        page.get_by_role("button", name="Drukuj zawiadomienia dla rodziców (PDF)").click()
    assert info.value.suggested_filename.startswith("zawiadomienia-o-zagrożeniach-klasa-5b")
    with open(info.value.path(), "rb") as fh:
        assert "Źrebięcka" in pdf_text(fh.read())
    with page.expect_download() as info:
        page.get_by_role("button", name="Drukuj zestawienie ocen na zebranie (PDF)").click()
    assert info.value.suggested_filename.startswith("zestawienie-ocen-klasa-5b")
    averages = page.locator("section", has=page.locator("#srednie")).inner_text()
    assert "matematyka" in averages and "wychowanie fizyczne" in averages
    # Behaviour grades of the own class, accepted at once.
    follow(v, page.get_by_role("link", name="Oceny zachowania").first)
    page.select_option("#rodzaj", "predicted_midyear")
    follow(v, page.get_by_role("button", name="Pokaż"))
    page.select_option(grade_input(school, "s2"), "wzorowe")
    follow(v, page.get_by_role("button", name="Zapisz oceny").first)
    follow(v, page.get_by_role("button", name="Zatwierdź wszystkie niezatwierdzone"))
    assert "Zatwierdzono oceny: 1." in page.locator(".flashes").inner_text()
    # A teacher who is not the class teacher may not open the class view.
    other = visitor()
    other.login(school["teacher"]["login"])
    other.goto(f"/oceny/klasy/{school['klass']['id']}", status=403)


def test_director_statistics_with_the_distribution_chart(visitor, school):
    v = visitor()
    v.login(school["director"]["login"])
    page = follow(v, v.page.locator("nav[aria-label='Menu główne']").get_by_role("link", name="Statystyki ocen"))
    page.select_option("#f-klasa", school["klass"]["id"])
    follow(v, page.get_by_role("button", name="Pokaż statystyki klasy"))
    chart = page.locator("svg.chart--distribution")
    assert chart.count() == 1 and chart.locator("rect").count() == 6
    assert "Wykres słupkowy: liczba ocen od 1 do 6 w klasie 5b" in chart.locator("desc").text_content()
    assert "Średnia klasy" in page.locator("main").inner_text()
    v.goto("/oceny")
    follow(v, v.page.get_by_role("link", name="Klasa 5b", exact=True))


def test_admin_sets_the_scale_and_the_categories(visitor, school):
    v = visitor()
    v.login(school["admin"]["login"])
    page = follow(v, v.page.locator("nav[aria-label='Menu główne']").get_by_role("link", name="Skala i kategorie ocen"))
    page.fill("#f-skala-plus_value", "2")
    follow(v, page.get_by_role("button", name="Zapisz skalę ocen"))
    assert page.get_attribute("#f-skala-plus_value", "aria-invalid") == "true"
    assert "0.99" in page.locator("#f-skala-plus_value-error").inner_text()
    page.fill("#f-skala-plus_value", "0,5")
    page.get_by_label("szkoła stosuje ocenę 6+").check()
    follow(v, page.get_by_role("button", name="Zapisz skalę ocen"))
    assert "Zapisano skalę ocen szkoły." in page.locator(".flashes").inner_text()
    assert page.get_by_label("szkoła stosuje ocenę 6+").is_checked()
    page.fill("#f-nowa-name", "projekt")
    page.fill("#f-nowa-weight", "2,5")
    follow(v, page.get_by_role("button", name="Dodaj kategorię"))
    assert "Dodano kategorię „projekt”." in page.locator(".flashes").inner_text()
    card = page.locator("li.card", has_text="projekt")
    assert card.locator("input[name='weight']").input_value() == "2,5"
