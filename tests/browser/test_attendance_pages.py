"""The attendance pages of issue 6 in a real headless Chromium, every visited page checked with
axe-core (WCAG 2.0/2.1 A and AA):

- taking a lesson's attendance: everyone "obecny" by default, two exceptions, one submit (with
  JavaScript: a tap on the symbol or on the name); the same form without JavaScript;
- a parent's e-justification (on a 375 px phone) accepted by the class teacher in the inbox, and
  the outcome visible to the parent in the calendar;
- the class teacher's weekly review (a double entry removed with a reason, a correction with its
  history), statistics with the parent-meeting PDF, the director's below-threshold list.

SQLite only, like the other browser tests (see conftest.py)."""
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader


from .conftest import PASSWORD, ctx_of, running_system

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SERVICES = ("identity", "scheduling", "messaging", "attendance")
TODAY = datetime.now(ZoneInfo("Europe/Warsaw")).date()


def past_weekdays(n):
    out, day = [], TODAY - timedelta(days=1)
    while len(out) < n:
        if day.weekday() < 5:
            out.append(day)
        day -= timedelta(days=1)
    return out[::-1]


D1, D2, D3 = past_weekdays(3)


@pytest.fixture(scope="module")
def system():
    """As conftest's, with the attendance service."""
    with running_system(SERVICES) as cluster:
        yield cluster


def slot(weekday, period, subject, teacher, group=""):
    starts, ends = ["7:10", "8:00", "8:55", "9:50"], ["7:55", "8:45", "9:40", "10:35"]
    return {"weekday": weekday, "period": period, "starts_at": starts[period], "ends_at": ends[period],
            "subject_id": subject["id"], "teacher_id": teacher["id"], "room": None, "group_name": group}


@pytest.fixture(scope="module")
def att(system, world):
    """Class 7c of the world's school, enrolled since two months ago: students Ala Ąbecka (child of
    the parent Piotr Rodzicki), Jędrzej Ćwikliński and Celina Żmuda, class teacher Wanda
    Wychowawcza. Its timetable: period 1 mathematics with Tadeusz Łęcki (the world's teacher),
    period 2 physical education in two groups (Łęcki, Hieronim Zmieniający), period 3 Polish with
    the class teacher; the lessons of the last three weekdays."""
    rpc = system.rpc
    admin = ctx_of(world["school_admin"])
    sid = world["school"]["id"]
    tag = world["tag"]

    def acc(key, roles, first, last):
        return rpc("identity", "create_account", {"school_id": sid, "first_name": first, "last_name": last,
                                                  "roles": roles, "password": PASSWORD, "login": f"{key}.{tag}"})
    p = {"ala": acc("ala", ["student"], "Ala", "Ąbecka"), "jedrek": acc("jedrek", ["student"], "Jędrzej", "Ćwikliński"),
         "celina": acc("celina", ["student"], "Celina", "Żmuda"),
         "parent": acc("rodzic", ["parent"], "Piotr", "Ąbecki"),
         "class_teacher": acc("wanda", ["class_teacher", "teacher"], "Wanda", "Wychowawcza")}
    rpc("identity", "link_guardian", sid, {"parent_id": p["parent"]["id"], "student_id": p["ala"]["id"]}, ctx=admin)
    p["class"] = rpc("scheduling", "create_class", sid, {"name": "7c", "class_teacher_id": p["class_teacher"]["id"]},
                     ctx=admin)
    start, end = TODAY - timedelta(days=60), TODAY + timedelta(days=60)
    for key in ("ala", "jedrek", "celina"):
        rpc("scheduling", "enrol_student", p["class"]["id"],
            {"student_id": p[key]["id"], "enrolled_on": start.isoformat()}, ctx=admin)
    year = rpc("scheduling", "create_school_year", sid, {
        "name": f"{start.year}/{start.year + 1}", "starts_on": start.isoformat(), "ends_on": end.isoformat(),
        "terms": [{"name": "Semestr 1", "starts_on": start.isoformat(), "ends_on": end.isoformat()}]}, ctx=admin)
    term = year["terms"][0]
    math = rpc("scheduling", "create_subject", sid, {"name": "Matematyka"}, ctx=admin)
    pe = rpc("scheduling", "create_subject", sid, {"name": "Wychowanie fizyczne"}, ctx=admin)
    pol = rpc("scheduling", "create_subject", sid, {"name": "Język polski"}, ctx=admin)
    entries = []
    for wd in range(1, 6):
        entries += [slot(wd, 1, math, world["teacher"]), slot(wd, 2, pe, world["teacher"], "gr1"),
                    slot(wd, 2, pe, world["changer"], "gr2"), slot(wd, 3, pol, p["class_teacher"])]
    rpc("scheduling", "set_timetable", p["class"]["id"], term["id"],
        {"valid_from": start.isoformat(), "entries": entries}, ctx=admin)
    p["lessons"] = {}
    for day in (D1, D2, D3):
        for lesson in rpc("scheduling", "lessons_for", day.isoformat(), p["class"]["id"], ctx=admin):
            p["lessons"][(day, lesson["period"], lesson["group_name"])] = lesson
    return p


def checked_values(page):
    return page.evaluate("""() => Object.fromEntries(
        Array.from(document.querySelectorAll('.att-row input[type=radio]:checked'))
             .map(i => [i.name.slice(2), i.value]))""")


def radio_label(page, row_name, symbol):
    """The label (symbol) of a category in the row of a student."""
    return page.locator("li.att-row", has_text=row_name).locator("label", has_text=re.compile(rf"^\s*{symbol} –"))


def test_att1_taking_a_lessons_attendance_all_present_two_exceptions_one_submit(visitor, world, att, system):
    lesson = att["lessons"][(D3, 1, "")]
    ala, jedrek, celina = att["ala"], att["jedrek"], att["celina"]
    v = visitor()
    v.login(world["teacher"]["login"])
    assert "Frekwencja" in v.nav_labels()
    v.page.locator("nav[aria-label='Menu główne']").get_by_role("link", name="Frekwencja", exact=True).click()
    v.page.wait_for_load_state()
    v.check()
    v.goto(f"/frekwencja?dzien={D3.isoformat()}")
    row = v.page.locator("tr", has_text="Matematyka")
    assert "brak" in row.inner_text()
    row.get_by_role("link", name="Wpisz frekwencję").click()
    v.page.wait_for_load_state()
    v.check()
    assert v.page.url.endswith(f"/frekwencja/lekcja/{lesson['id']}")
    assert "frekwencji jeszcze nie wpisano" in v.page.locator("main").inner_text()
    # Everyone is present by default.
    assert checked_values(v.page) == {ala["id"]: "present", jedrek["id"]: "present", celina["id"]: "present"}
    assert "obecność: 3" in v.page.locator("[data-att-summary]").inner_text()
    # Exception 1: one tap on the symbol "nb". Exception 2: a tap on the name cycles to the next
    # category (ob → nb), a tap on "sp" chooses late directly; the radios and the summary follow.
    radio_label(v.page, "Ąbecka", "nb").click()
    v.page.locator("li.att-row", has_text="Ćwikliński").get_by_role("button", name="Ćwikliński").click()
    assert checked_values(v.page)[jedrek["id"]] == "absent"
    radio_label(v.page, "Ćwikliński", "sp").click()
    assert checked_values(v.page) == {ala["id"]: "absent", jedrek["id"]: "late", celina["id"]: "present"}
    summary = v.page.locator("[data-att-summary]").inner_text()
    assert "obecność: 1" in summary and "nieobecność nieusprawiedliwiona: 1" in summary and "spóźnienie: 1" in summary
    v.check()
    # One submit for the whole class.
    v.page.get_by_role("button", name="Zapisz frekwencję całej klasy").click()
    v.page.wait_for_load_state()
    v.check()
    assert "Zapisano frekwencję lekcji: 3 uczniów" in v.page.locator(".flashes").inner_text()
    assert "frekwencja wpisana" in v.page.locator("main").inner_text()
    assert checked_values(v.page) == {ala["id"]: "absent", jedrek["id"]: "late", celina["id"]: "present"}
    stored = system.rpc("attendance", "lesson_attendance", lesson["id"], ctx=ctx_of(world["teacher"]))
    assert {e["student_id"]: e["category"] for e in stored["entries"]} == {
        ala["id"]: "absent", jedrek["id"]: "late", celina["id"]: "present"}
    v.goto(f"/frekwencja?dzien={D3.isoformat()}")
    assert "wpisana" in v.page.locator("tr", has_text="Matematyka").inner_text()

    # A group lesson: a student of the other group is marked "–" and gets no entry.
    group = att["lessons"][(D3, 2, "gr1")]
    v.goto(f"/frekwencja/lekcja/{group['id']}")
    assert "To lekcja grupy gr1" in v.page.locator("main").inner_text()
    radio_label(v.page, "Żmuda", "–").click()
    v.page.get_by_role("button", name="Zapisz frekwencję całej klasy").click()
    v.page.wait_for_load_state()
    v.check()
    stored = system.rpc("attendance", "lesson_attendance", group["id"], ctx=ctx_of(world["teacher"]))
    assert {e["student_id"]: e["category"] for e in stored["entries"]} == {ala["id"]: "present",
                                                                           jedrek["id"]: "present"}
    assert checked_values(v.page)[celina["id"]] == "_inna_grupa"

    # Without JavaScript: plain radio groups, the same one submit (a correction with a reason).
    # (axe-core needs JavaScript: these pages were checked above with the same markup.)
    nojs = visitor(java_script_enabled=False)
    nojs.page.goto("/logowanie")
    nojs.page.fill("#f-login", world["teacher"]["login"])
    nojs.page.fill("#f-password", PASSWORD)
    nojs.page.get_by_role("button", name="Zaloguj się").click()
    nojs.page.wait_for_load_state()
    nojs.page.goto(f"/frekwencja/lekcja/{lesson['id']}")
    assert nojs.page.locator(".att-cycle").count() == 0
    radio_label(nojs.page, "Ćwikliński", "ob").click()
    nojs.page.fill("#f-reason", "Uczeń był od początku lekcji.")
    nojs.page.get_by_role("button", name="Zapisz frekwencję całej klasy").click()
    nojs.page.wait_for_load_state()
    assert "zmienione: 1" in nojs.page.locator(".flashes").inner_text()
    stored = system.rpc("attendance", "lesson_attendance", lesson["id"], ctx=ctx_of(world["teacher"]))
    assert {e["student_id"]: e["category"] for e in stored["entries"]}[jedrek["id"]] == "present"

    # Another teacher only sees the form.
    viewer = visitor()
    viewer.login(world["newcomer"]["login"])
    viewer.goto(f"/frekwencja/lekcja/{lesson['id']}")
    assert "możesz ją tylko przeglądać" in viewer.page.locator("main").inner_text()
    assert viewer.page.get_by_role("button", name="Zapisz frekwencję całej klasy").count() == 0


def test_att3_parents_e_justification_accepted_by_the_class_teacher_outcome_visible(visitor, att, system, world):
    child = att["ala"]
    lesson = att["lessons"][(D2, 1, "")]
    system.rpc("attendance", "record_lesson_attendance", lesson["id"],
               {"entries": [{"student_id": child["id"], "category": "absent"}]}, ctx=ctx_of(world["teacher"]))
    month = D2.strftime("%Y-%m")

    parent = visitor(viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True)
    parent.login(att["parent"]["login"])
    parent.page.locator("nav[aria-label='Menu główne']").get_by_role("link", name="Frekwencja dzieci").click()
    parent.page.wait_for_load_state()
    parent.check()
    assert parent.page.url.endswith(f"/frekwencja/uczen/{child['id']}")
    parent.goto(f"/frekwencja/uczen/{child['id']}?miesiac={month}")
    widths = parent.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    # The month grid: the day in colour and in words (the symbol and its legend).
    day_cell = parent.page.locator(f"a[href='#dzien-{D2.isoformat()}']")
    assert day_cell.text_content().startswith("nb – ") and "nieobecność nieusprawiedliwiona" in day_cell.text_content()
    assert "nb nieobecność nieusprawiedliwiona" in " ".join(parent.page.locator(".att-legend").inner_text().split())
    assert "Matematyka" in parent.page.locator(f"#dzien-{D2.isoformat()}").inner_text()
    parent.page.fill("#f-ej-date_from", D2.isoformat())
    parent.page.fill("#f-ej-reason", "Córka była przeziębiona.")
    parent.page.get_by_role("button", name="Wyślij e-usprawiedliwienie").click()
    parent.page.wait_for_load_state()
    parent.check()
    assert "Wysłano e-usprawiedliwienie" in parent.page.locator(".flashes").inner_text()
    row = parent.page.locator("tr", has_text="Córka była przeziębiona.")
    assert "oczekuje na decyzję" in row.inner_text()

    teacher = visitor()
    teacher.login(att["class_teacher"]["login"])
    teacher.page.locator("nav[aria-label='Menu główne']").get_by_role("link", name="E-usprawiedliwienia").click()
    teacher.page.wait_for_load_state()
    teacher.check()
    card = teacher.page.locator(".att-inbox .card", has_text="Córka była przeziębiona.")
    assert "Ąbecka Ala" in card.inner_text() and "Ąbecki Piotr" in card.inner_text()
    # Rejecting needs a comment: the form says so at the field.
    card.get_by_role("button", name="Odrzuć").click()
    teacher.page.wait_for_load_state()
    teacher.check()
    assert "Podaj uzasadnienie odrzucenia." in teacher.page.locator("main").inner_text()
    card = teacher.page.locator(".att-inbox .card", has_text="Córka była przeziębiona.")
    card.locator("textarea").fill("Przyjmuję, zdrowia!")
    card.get_by_role("button", name="Przyjmij").click()
    teacher.page.wait_for_load_state()
    teacher.check()
    assert "Przyjęto e-usprawiedliwienie; usprawiedliwione wpisy: 1" in teacher.page.locator(".flashes").inner_text()
    assert "przyjęte" in teacher.page.locator("tr", has_text="Córka była przeziębiona.").inner_text()
    assert teacher.page.locator(".att-inbox").count() == 0

    # The parent sees the outcome, and the day turned "u" (excused).
    parent.goto(f"/frekwencja/uczen/{child['id']}?miesiac={month}")
    row = parent.page.locator("tr", has_text="Córka była przeziębiona.")
    assert "przyjęte" in row.inner_text() and "Przyjmuję, zdrowia!" in row.inner_text()
    day_cell = parent.page.locator(f"a[href='#dzien-{D2.isoformat()}']")
    assert day_cell.text_content().startswith("u – ") and "nieobecność usprawiedliwiona" in day_cell.text_content()
    assert "(usprawiedliwiona)" in parent.page.locator(f"#dzien-{D2.isoformat()}").inner_text()
    widths = parent.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    # The student sees the own calendar (no form).
    student = visitor()
    student.login(child["login"])
    student.page.locator("nav[aria-label='Menu główne']").get_by_role("link", name="Moja frekwencja").click()
    student.page.wait_for_load_state()
    student.check()
    assert student.page.locator("h1").inner_text() == "Moja frekwencja"
    assert student.page.get_by_role("button", name="Wyślij e-usprawiedliwienie").count() == 0


def test_att4_att5_weekly_review_statistics_and_the_parent_meeting_pdf(visitor, att, system, world):
    """Both group lessons of D1 period 2 recorded for the whole class: every student twice at one
    hour. The class teacher removes one double with a reason, corrects an entry (history kept),
    is refused a justification in advance, reads the statistics and downloads the PDF; the
    director reads the school's below-threshold list."""
    for group, who in (("gr1", "teacher"), ("gr2", "changer")):
        system.rpc("attendance", "record_lesson_attendance", att["lessons"][(D1, 2, group)]["id"], {},
                   ctx=ctx_of(world[who]))
    v = visitor()
    v.login(att["class_teacher"]["login"])
    v.page.locator("nav[aria-label='Menu główne']").get_by_role("link", name="Przegląd frekwencji").click()
    v.page.wait_for_load_state()
    v.check()
    v.goto(f"/frekwencja/przeglad?tydzien={D1.isoformat()}")
    cards = v.page.locator("#podwojne ~ .cards > .card")
    assert cards.count() == 3
    card = cards.filter(has_text="Ćwikliński Jędrzej")
    card.get_by_role("button", name="Usuń wpis 2").click()      # no reason: refused at the field
    v.page.wait_for_load_state()
    v.check()
    assert "Popraw zaznaczone pola" in v.page.locator("main").inner_text()
    card = v.page.locator("#podwojne ~ .cards > .card").filter(has_text="Ćwikliński Jędrzej")
    card.get_by_label("Powód usunięcia wpisu 2").fill("Uczeń chodzi do grupy 1.")
    card.get_by_role("button", name="Usuń wpis 2").click()
    v.page.wait_for_load_state()
    v.check()
    assert "Usunięto podwójny wpis" in v.page.locator(".flashes").inner_text()
    assert v.page.locator("#podwojne ~ .cards > .card").count() == 2
    # A correction from the week grid: the entry page keeps the history.
    grid = v.page.locator("table", has_text=D1.strftime("%d.%m.%Y"))
    grid.locator("tr", has_text="Ąbecka Ala").locator("a").first.click()
    v.page.wait_for_load_state()
    v.check()
    v.page.select_option("#f-category", "late")
    v.page.fill("#f-reason", "Spóźnienie 10 minut.")
    v.page.get_by_role("button", name="Zapisz poprawkę").click()
    v.page.wait_for_load_state()
    v.check()
    history = v.page.locator("table", has_text="Historia wpisu").inner_text()
    assert "poprawka" in history and "Spóźnienie 10 minut." in history and "Wychowawcza Wanda" in history
    # Justification in advance: refused with the Polish reason.
    v.goto(f"/frekwencja/usprawiedliwienie?uczen={att['celina']['id']}")
    tomorrow = TODAY + timedelta(days=1)
    v.page.fill("#f-d-date_from", tomorrow.isoformat())
    v.page.fill("#f-d-date_to", tomorrow.isoformat())
    v.page.fill("#f-d-reason", "Wyjazd rodzinny.")
    v.page.get_by_role("button", name="Usprawiedliw dni").click()
    v.page.wait_for_load_state()
    v.check()
    assert "z wyprzedzeniem" in v.page.locator(".error-summary").inner_text()
    # Statistics, below threshold, the PDF.
    v.goto(f"/frekwencja/statystyki?od={D1.isoformat()}&do={D3.isoformat()}&prog=90")
    main = v.page.locator("main").inner_text()
    assert "Frekwencja uczniów" in main and "Ąbecka Ala" in main
    with v.page.expect_download() as info:
        v.page.get_by_role("link", name="Pobierz zestawienie na zebranie z rodzicami (PDF)").click()
    name = info.value.suggested_filename
    assert name.startswith("frekwencja-klasa-7c") and name.endswith(".pdf")
    with open(info.value.path(), "rb") as fh:
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(fh.read())).pages)
    assert "Ąbecka" in text
    director = visitor()
    director.login(world["director"]["login"])
    director.page.locator("nav[aria-label='Menu główne']").get_by_role("link", name="Statystyki frekwencji").click()
    director.page.wait_for_load_state()
    director.check()
    director.goto(f"/frekwencja/statystyki?klasa=&od={D1.isoformat()}&do={D3.isoformat()}&prog=100")
    assert "Uczniowie poniżej progu" in director.page.locator("main").inner_text()
