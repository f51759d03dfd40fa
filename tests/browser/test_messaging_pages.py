"""The pages of messaging (issue 7) and the outage notices (OPS-1) in a real headless Chromium
(Playwright), every visited page checked with axe-core for WCAG 2.0/2.1 A and AA (LAW-4):

- MSG-3: a teacher writes a UWAGA with the form; it appears in the student's file (identity's
  page) and reaches the parent, whose menu shows the unread count;
- MSG-1, MSG-2: a message to a class's parents with an attachment; the parent downloads it and
  replies; the sender sees who has read it;
- MSG-4: an announcement that needs approval waits in the director's queue and is published
  after approval; a rejection without a reason is refused, with one it reaches the author;
- OPS-1: an outage notice published by the administrator shows on another user's pages and,
  lasting over a day, on the login page, until withdrawn;
- MSG-6 and the class teacher's "Uwagi klasy"; the parent's pages on a 375 px wide phone."""
import re
from datetime import date, timedelta

import pytest

from tests.harness import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

NAV = "nav[aria-label='Menu główne']"
PDF = b"%PDF-1.4\n% plan wycieczki do Gdyni\n" + b"0" * 100
# The banner's notices are cached for at most 30 s per gateway process (gateway/api/messages.py).
CACHE_WAIT = 45


def open_menu(v, label):
    v.page.locator(NAV).get_by_role("link", name=label, exact=True).click()
    v.page.wait_for_load_state()
    return v.check()


def submit(v, name):
    v.page.get_by_role("button", name=name, exact=True).click()
    v.page.wait_for_load_state()
    return v.check()


def flashes(v):
    return v.page.locator(".flashes").inner_text()


def shows_after_reload(v, path, text, present=True, timeout=CACHE_WAIT):
    """Reload ``path`` until ``text`` is (or is no longer) in the page; every load is checked."""
    def ok():
        v.goto(path)
        return (text in v.page.content()) == present
    wait_for(ok, timeout=timeout, interval=1.0, what=f"{text!r} {'on' if present else 'gone from'} {path}")


def test_msg3_teacher_writes_a_uwaga_that_appears_in_the_students_file(visitor, world):
    teacher = visitor()
    teacher.login(world["teacher"]["login"])
    open_menu(teacher, "Wiadomości")
    teacher.page.get_by_role("link", name="Wpisz uwagę").click()
    teacher.page.wait_for_load_state()
    teacher.check()
    # The form's own messages first: nothing chosen.
    submit(teacher, "Wpisz uwagę")
    assert teacher.page.get_attribute("#f-student_id", "aria-invalid") == "true"
    assert "Popraw zaznaczone pola" in teacher.page.locator(".error-summary").inner_text()
    teacher.page.select_option("#f-student_id", world["student"]["id"])
    teacher.page.get_by_label("negatywna").check()
    teacher.page.select_option("#f-note_category", "zachowanie")
    teacher.page.fill("#f-subject", "Rozmowy na lekcji")
    teacher.page.fill("#f-body", "Zuzanna rozmawiała podczas sprawdzianu z historii.")
    submit(teacher, "Wpisz uwagę")
    assert "Wpisano uwagę „Rozmowy na lekcji”" in flashes(teacher)
    assert teacher.page.locator("h1").inner_text() == "Rozmowy na lekcji"
    assert "Uwaga negatywna · zachowanie" in teacher.page.locator("main").inner_text()

    # In the student's file (identity's page), for the student and for the teacher.
    student = visitor()
    student.login(world["student"]["login"])
    open_menu(student, "Moja kartoteka")
    shows_after_reload(student, "/moja-kartoteka", "Rozmowy na lekcji", timeout=30)
    note = student.page.locator("li", has_text="Rozmowy na lekcji")
    assert "Uwaga negatywna" in note.inner_text() and "Tadeusz Łęcki" in note.inner_text()
    teacher.goto(f"/uczniowie/{world['student']['id']}/kartoteka")
    assert "Rozmowy na lekcji" in teacher.page.locator("main").inner_text()

    # The parent got it as a message: the menu counts it, the mailbox marks it new.
    parent = visitor()
    parent.login(world["parent"]["login"])
    badge = parent.page.locator(f"{NAV} li", has_text="Wiadomości").locator(".badge")
    assert re.fullmatch(r"nieprzeczytane:\s+\d+", badge.inner_text().strip())
    open_menu(parent, "Wiadomości")
    row = parent.page.locator("tr", has_text="Rozmowy na lekcji")
    assert "nowa" in row.inner_text() and "uwaga negatywna" in row.inner_text()
    row.get_by_role("link", name="Rozmowy na lekcji").click()
    parent.page.wait_for_load_state()
    parent.check()
    assert "Zuzanna rozmawiała podczas sprawdzianu" in parent.page.locator("main").inner_text()

    # The class teacher's "Uwagi klasy": the new note and the one from the fixture.
    wych = visitor()
    wych.login(world["class_teacher"]["login"])
    open_menu(wych, "Uwagi klasy")
    text = wych.page.locator("main").inner_text()
    assert "Uwagi klasy 6a" in wych.page.locator("h1").inner_text()
    assert "Rozmowy na lekcji" in text and "Pomoc koleżance" in text


def test_msg1_msg2_message_to_class_parents_with_attachment_reply_and_receipts(visitor, world, tmp_path):
    teacher = visitor()
    teacher.login(world["class_teacher"]["login"])
    open_menu(teacher, "Wiadomości")
    teacher.page.get_by_role("link", name="Napisz wiadomość").click()
    teacher.page.wait_for_load_state()
    teacher.check()
    teacher.page.get_by_label("rodzice klasy 6a").check()
    teacher.page.fill("#f-subject", "Wycieczka do Gdyni")
    teacher.page.fill("#f-body", "Dzień dobry,\nw załączniku plan wycieczki.")
    plan = tmp_path / "plan wycieczki.pdf"
    plan.write_bytes(PDF)
    teacher.page.set_input_files("#f-attachments", str(plan))
    submit(teacher, "Wyślij wiadomość")
    assert "Wysłano wiadomość „Wycieczka do Gdyni”" in flashes(teacher)
    message_url = teacher.page.url
    assert "Odczytało: 0 z 1" in teacher.page.locator("main").inner_text()
    assert "rodzice klasy 6a" in teacher.page.locator("dl.data").inner_text()

    parent = visitor()
    parent.login(world["parent"]["login"])
    open_menu(parent, "Wiadomości")
    parent.page.get_by_role("link", name="Wycieczka do Gdyni").click()
    parent.page.wait_for_load_state()
    parent.check()
    with parent.page.expect_download() as info:
        parent.page.get_by_role("link", name="plan wycieczki.pdf").click()
    assert info.value.suggested_filename == "plan wycieczki.pdf"
    with open(info.value.path(), "rb") as fh:
        assert fh.read() == PDF
    parent.page.fill("#f-body", "Dziękujemy, syn jedzie.")
    submit(parent, "Wyślij odpowiedź")
    assert "Wysłano odpowiedź" in flashes(parent)
    assert "Wątek (2)" in parent.page.locator("main").inner_text()

    teacher.goto(message_url)
    main = teacher.page.locator("main").inner_text()
    assert "Odczytało: 1 z 1" in main and "Paweł Gęśliński" in teacher.page.locator("table").inner_text()
    teacher.goto("/wiadomosci")
    assert "Odp: Wycieczka do Gdyni" in teacher.page.locator("table").inner_text()
    teacher.goto("/wiadomosci?folder=wyslane&szukaj=gdyni")
    assert "1 z 1" in teacher.page.locator("table").inner_text()


def test_msg1_parent_compose_offers_the_class_teacher_and_refuses_groups_with_a_polish_message(visitor, world):
    parent = visitor()
    parent.login(world["parent"]["login"])
    parent.goto("/wiadomosci/nowa")
    options = parent.page.locator("#f-recipient_ids option").all_inner_texts()
    class_teacher = next(o for o in options if o.endswith("– wychowawca klasy 6a (Zuzanna)"))
    # The teachers of the child's class, the director and the administrator are offered too.
    groups = parent.page.locator("#f-recipient_ids optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert groups[:1] == ["Wychowawcy"] and "Dyrekcja" in groups
    assert not parent.page.get_by_label("rodzice klasy 6a").count()     # no groups offered to a parent
    submit(parent, "Wyślij wiadomość")                                   # nothing filled in
    summary = parent.page.locator(".error-summary").inner_text()
    assert "Odbiorcy" in summary and "Temat" in summary
    parent.page.select_option("#f-recipient_ids", label=class_teacher)
    parent.page.fill("#f-subject", "Zwolnienie z WF")
    parent.page.fill("#f-body", "Proszę o zwolnienie Zuzanny z WF w piątek.")
    submit(parent, "Wyślij wiadomość")
    assert "Wysłano wiadomość „Zwolnienie z WF”" in flashes(parent)


def test_msg4_announcement_waits_in_the_directors_queue_and_is_published_after_approval(visitor, world):
    teacher = visitor()
    teacher.login(world["teacher"]["login"])
    open_menu(teacher, "Ogłoszenia")
    teacher.page.get_by_role("link", name="Dodaj ogłoszenie").click()
    teacher.page.wait_for_load_state()
    teacher.check()
    teacher.page.fill("#f-title", "Zbiórka na schronisko")
    teacher.page.fill("#f-body", "Zbieramy karmę dla psów ze schroniska do końca miesiąca.")
    teacher.page.select_option("#f-topic", "fundraising")
    submit(teacher, "Opublikuj ogłoszenie")                              # no audience chosen
    assert teacher.page.get_attribute("#f-audience", "aria-describedby")
    assert "Wskaż odbiorców" in teacher.page.locator(".error-summary").inner_text()
    teacher.page.get_by_label("cała szkoła").check()
    submit(teacher, "Opublikuj ogłoszenie")
    assert "czeka na akceptację dyrektora" in flashes(teacher)
    assert "Moje ogłoszenia" in teacher.page.locator("h1").inner_text()
    assert "czeka na akceptację" in teacher.page.locator("tr", has_text="Zbiórka na schronisko").inner_text()

    parent = visitor()
    parent.login(world["parent"]["login"])
    open_menu(parent, "Ogłoszenia")
    assert "Zbiórka na schronisko" not in parent.page.locator("main").inner_text()

    director = visitor()
    director.login(world["director"]["login"])
    open_menu(director, "Ogłoszenia do akceptacji")
    panel = director.page.locator("section.panel", has_text="Zbiórka na schronisko")
    assert "Tadeusz Łęcki" in panel.inner_text()
    panel.get_by_role("button", name="Zatwierdź i opublikuj").click()
    director.page.wait_for_load_state()
    director.check()
    assert "Zatwierdzono i opublikowano ogłoszenie „Zbiórka na schronisko”" in flashes(director)
    assert "Żadne ogłoszenie nie czeka na akceptację." in director.page.locator("main").inner_text()

    parent.goto("/ogloszenia")
    board = parent.page.locator("main").inner_text()
    assert "Zbiórka na schronisko" in board and "zatwierdził(a): Dorota Dyrektorska" in board
    teacher.goto("/ogloszenia/moje")
    assert "opublikowane" in teacher.page.locator("tr", has_text="Zbiórka na schronisko").inner_text()

    # A rejection needs a reason; with one, it comes back to the author.
    teacher.goto("/ogloszenia/nowe")
    teacher.page.fill("#f-title", "Festyn rodzinny")
    teacher.page.fill("#f-body", "Festyn w sobotę na boisku.")
    teacher.page.select_option("#f-topic", "school_event")
    teacher.page.get_by_label("cała szkoła").check()
    submit(teacher, "Opublikuj ogłoszenie")
    director.goto("/ogloszenia/do-akceptacji")
    panel = director.page.locator("section.panel", has_text="Festyn rodzinny")
    panel.get_by_role("button", name=re.compile("^Odrzuć")).click()
    director.page.wait_for_load_state()
    director.check()
    reason = director.page.get_by_label("Powód odrzucenia: Festyn rodzinny")
    assert reason.get_attribute("aria-invalid") == "true"
    reason.fill("Termin koliduje z egzaminem ósmoklasisty.")
    director.page.locator("section.panel", has_text="Festyn rodzinny").get_by_role(
        "button", name=re.compile("^Odrzuć")).click()
    director.page.wait_for_load_state()
    director.check()
    assert "Odrzucono ogłoszenie „Festyn rodzinny”" in flashes(director)
    teacher.goto("/ogloszenia/moje")
    row = teacher.page.locator("tr", has_text="Festyn rodzinny").inner_text()
    assert "odrzucone" in row and "Termin koliduje z egzaminem ósmoklasisty." in row


def test_ops1_outage_notice_shows_on_every_page_and_on_the_login_page(visitor, world):
    text = "Awaria serwera dziennika: wpisy ocen prowadźcie na papierze."
    admin = visitor()
    admin.login(world["school_admin"]["login"])
    open_menu(admin, "Komunikaty o awarii")
    assert "Nie ma aktywnych komunikatów o awarii." in admin.page.locator("main").inner_text()
    admin.page.fill("#f-text", text)
    admin.page.fill("#f-repair_date", (date.today() - timedelta(days=1)).isoformat())
    admin.page.fill("#f-repair_time", "10:00")
    submit(admin, "Opublikuj komunikat")                                 # a repair time in the past
    assert admin.page.get_attribute("#f-repair_date", "aria-invalid") == "true"
    admin.page.fill("#f-repair_date", (date.today() + timedelta(days=2)).isoformat())
    admin.page.fill("#f-repair_time", "14:30")
    submit(admin, "Opublikuj komunikat")
    assert "także strona logowania" in flashes(admin)
    assert text in admin.page.locator("table").inner_text()

    teacher = visitor()
    teacher.login(world["teacher"]["login"])
    for path in ("/", "/wiadomosci", "/konto"):
        shows_after_reload(teacher, path, text)
        banner = teacher.page.locator(".outage-banner").inner_text()
        assert "Przewidywany czas usunięcia awarii" in banner and "14:30" in banner
    # Over a day: public, on the login page of anyone.
    guest = visitor()
    shows_after_reload(guest, "/logowanie", text)
    assert world["school"]["name"] in guest.page.locator(".outage-banner").inner_text()

    admin.goto("/awarie")
    admin.page.get_by_role("button", name=re.compile("^Wycofaj")).click()
    admin.page.wait_for_load_state()
    admin.check()
    assert "Wycofano komunikat o awarii." in flashes(admin)
    assert "Nie ma aktywnych komunikatów o awarii." in admin.page.locator("main").inner_text()
    shows_after_reload(teacher, "/", text, present=False)
    shows_after_reload(guest, "/logowanie", text, present=False)


def test_msg6_parent_reports_an_error_in_an_entry_and_the_class_teacher_gets_it(visitor, world):
    parent = visitor()
    parent.login(world["parent"]["login"])
    open_menu(parent, "Zgłoś błąd we wpisie")
    parent.page.fill("#f-entry", "ocena z matematyki z 12.03")
    parent.page.fill("#f-body", "Zuzanna dostała 5, a w dzienniku jest 3.")
    submit(parent, "Wyślij zgłoszenie")
    assert "Wysłano zgłoszenie błędu do: wychowawca klasy" in flashes(parent)
    assert "Zgłoszenie błędu we wpisie: ocena z matematyki z 12.03" in parent.page.locator("table").inner_text()
    wych = visitor()
    wych.login(world["class_teacher"]["login"])
    wych.goto("/wiadomosci")
    row = wych.page.locator("tr", has_text="ocena z matematyki z 12.03").inner_text()
    assert "zgłoszenie błędu" in row and "Paweł Gęśliński" in row


def test_messaging_settings_let_students_write(visitor, world):
    admin = visitor()
    admin.login(world["school_admin"]["login"])
    open_menu(admin, "Ustawienia wiadomości")
    admin.page.get_by_label("Uczniowie mogą pisać wiadomości", exact=False).check()
    admin.page.fill("#f-from_address", "to-nie-adres")
    submit(admin, "Zapisz ustawienia")
    assert admin.page.get_attribute("#f-from_address", "aria-invalid") == "true"
    admin.page.fill("#f-from_address", "dziennik@szkola.example")
    submit(admin, "Zapisz ustawienia")
    assert "Zapisano ustawienia wiadomości." in flashes(admin)
    assert admin.page.get_by_label("Uczniowie mogą pisać wiadomości", exact=False).is_checked()

    student = visitor()
    student.login(world["student"]["login"])
    student.goto("/wiadomosci/nowa")
    options = student.page.locator("#f-recipient_ids option").all_inner_texts()
    student.page.select_option("#f-recipient_ids", label=next(o for o in options if o.endswith("– wychowawca klasy 6a")))
    student.page.fill("#f-subject", "Pytanie o sprawdzian")
    student.page.fill("#f-body", "Czy sprawdzian obejmuje też rozdział 4?")
    submit(student, "Wyślij wiadomość")
    assert "Wysłano wiadomość „Pytanie o sprawdzian”" in flashes(student)
    admin.goto("/ustawienia-wiadomosci")
    admin.page.get_by_label("Uczniowie mogą pisać wiadomości", exact=False).uncheck()
    submit(admin, "Zapisz ustawienia")
    student.goto("/wiadomosci/nowa")                 # the page says so at once, and offers no one
    assert "uczniowie nie wysyłają wiadomości" in flashes(student)
    assert not [o for o in student.page.locator("#f-recipient_ids option").all_inner_texts() if "wychowawca" in o]


def test_law4_parent_and_student_messaging_pages_fit_a_375px_phone(visitor, world):
    for who in ("parent", "student"):
        v = visitor(viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True)
        v.login(world[who]["login"])
        paths = ["/wiadomosci", "/wiadomosci?folder=wyslane", "/wiadomosci?folder=ogloszenia",
                 "/wiadomosci?folder=systemowe", "/wiadomosci/nowa", "/ogloszenia"]
        if who == "parent":
            paths.append("/zglos-blad")
        v.goto("/wiadomosci")
        first = v.page.locator("main table a").first
        if first.count():
            paths.append(first.get_attribute("href"))
        for path in paths:
            v.goto(path)
            widths = v.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], (who, path, widths)
