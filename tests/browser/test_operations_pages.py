"""The operations dashboard (OPS-4, issue 9 item 2) in a real headless Chromium (Playwright),
every page checked with axe-core for WCAG 2.0/2.1 A and AA:

- the association administrator opens "Panel operacyjny" from the menu and sees every service
  with its live instances (health, last heartbeat), the services that are not running, the
  RabbitMQ queues (or why they are unknown) and the last archive of each school;
- the page refreshes by itself: the operations API is fetched every few seconds, the counter and
  the time change and the sparklines are drawn, without the page being reloaded; refreshing can
  be paused and resumed;
- a dead-lettered event is found on the dashboard, inspected on its queue's page and replayed;
  the replayed note reaches the student's file;
- without JavaScript the page is complete and reloads itself (a meta refresh that a link
  turns off);
- a school administrator, a director and a teacher do not see the entry and are refused the
  pages, the replay and the operations API (403).

Its own small system (identity, messaging, archive and the gateway, heartbeats every second):
the dashboard shows the other services as not running, which is what it must do."""
import re
import time
import uuid

import pytest
import requests
from kombu import Connection

from services.common.events import make_envelope
from tests.harness import wait_for

from .conftest import PASSWORD, running_system

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SERVICES = ("identity", "messaging", "archive")
NOT_RUNNING = ("scheduling", "grades", "attendance")
NAV = "nav[aria-label='Menu główne']"
DLQ = "evt-messaging-note_issued--identity.on_note_issued.dlq"
OTHER_DLQ = "evt-scheduling-student_removed--identity.on_student_removed.dlq"
REFRESH = 5   # gateway/web/operations.py REFRESH_SECONDS


@pytest.fixture(scope="module")
def system():
    """Overrides the browser tests' system: the services the dashboard needs, fast heartbeats."""
    with running_system(SERVICES, extra_env={"DZIENNIK_HEARTBEAT_SECONDS": "1"}) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def people(system):
    tag = uuid.uuid4().hex[:6]
    rpc = system.rpc
    school = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa nr 8 w Elblągu {tag}",
                                               "short_name": f"e{tag}", "city": "Elbląg"})

    def acc(key, roles, first, last, school_id=school["id"]):
        return rpc("identity", "create_account", {
            "school_id": school_id, "first_name": first, "last_name": last, "roles": roles,
            "password": PASSWORD if roles != ["student"] else None, "login": f"{key}.{tag}"})
    return {
        "school": school,
        "assoc": acc("operator", ["association_admin"], "Olgierd", "Operacyjny", school_id=None),
        "school_admin": acc("admin", ["school_admin"], "Anna", "Administracyjna"),
        "director": acc("dyrektor", ["director"], "Dorota", "Dyrektorska"),
        "teacher": acc("nauczyciel", ["teacher"], "Tadeusz", "Nauczycielski"),
        "student": acc("uczen", ["student"], "Ala", "Uczennica"),
    }


def open_dashboard(v):
    v.page.locator(NAV).get_by_role("link", name="Panel operacyjny", exact=True).click()
    v.page.wait_for_load_state()
    return v.check()


def row(page, table, key, value):
    return page.locator(f"[data-ops-rows='{table}'] tr[data-{key}='{value}']")


def refreshes(page):
    return int(page.get_attribute("[data-ops-count]", "data-count"))


def dead_letter(system, queue, envelope, reason="RuntimeError: awaria testowa"):
    """Put an event straight on a dead-letter queue, as the handler does after its last retry."""
    with Connection(system.broker.amqp_uri) as conn:
        conn.Producer(serializer="json").publish(envelope, exchange="", routing_key=queue,
                                                 headers={"x-dz-dead-reason": reason, "x-dz-attempt": 4})


def note_event(people):
    return make_envelope("messaging.note_issued", {
        "message_id": str(uuid.uuid4()), "student_id": people["student"]["id"], "author_id": people["teacher"]["id"],
        "author_name": "Tadeusz Nauczycielski", "kind": "positive", "category": "pomoc innym",
        "subject": "Pomoc w bibliotece", "body": "Ala pomogła w bibliotece szkolnej.",
        "issued_at": "2026-01-12T09:00:00+00:00"}, school_id=people["school"]["id"])


def test_ops4_the_association_admin_sees_every_service_and_its_live_instances(visitor, system, people):
    v = visitor()
    v.login(people["assoc"]["login"])
    assert "Panel operacyjny" in v.nav_labels()
    page = open_dashboard(v)
    assert page.url.endswith("/operacje")
    assert page.locator("h1").inner_text() == "Panel operacyjny"
    # Every running service: "działa", its one instance alive; the others: "nie działa".
    for name in SERVICES:
        wait_for(lambda: "działa" == row(page, "services", "service", name).locator(".badge").inner_text()
                 and "1 z 1" in row(page, "services", "service", name).inner_text(),
                 timeout=30, interval=0.5, what=f"{name} running on the dashboard")
        instance = page.locator("[data-ops-rows='instances'] tr", has_text=name).first
        assert "działa" in instance.locator(".badge").inner_text()
        assert re.search(r"\d+ s temu", instance.inner_text()), instance.inner_text()
        assert re.search(rf"^{name}$", instance.locator("td").first.inner_text())
    for name in NOT_RUNNING:
        assert row(page, "services", "service", name).locator(".badge").inner_text() == "nie działa"
    # The queues with their consumers (management API), or the reason they are unknown.
    queues = page.locator("[data-ops-queues]")
    if page.locator("[data-ops-queue-reason]").count():
        assert "rabbitmq_management" in queues.inner_text()
    else:
        rpc_identity = queues.locator("tr[data-queue='rpc-identity']")
        # One consumer, its one instance (the management API samples consumers every few seconds,
        # and the page redraws the queues every 5 s).
        wait_for(lambda: rpc_identity.locator("td").nth(1).inner_text() == "1", timeout=30, interval=0.5,
                 what="rpc-identity's consumer on the dashboard")
        note = queues.locator("tr[data-queue='evt-messaging-note_issued--identity.on_note_issued']")
        assert "messaging.note_issued" in note.inner_text()
        # The event handler's consumer registers a moment after the RPC one: the same sampling lag.
        wait_for(lambda: note.locator("td").nth(4).inner_text() == "1", timeout=30, interval=0.5,
                 what="identity.on_note_issued's consumer on the dashboard")
        # grades is not running: its handlers' queues (declared at deploy time) have no consumer.
        removed = queues.locator("tr[data-queue='evt-scheduling-student_removed--grades.on_student_removed']")
        assert "brak konsumenta" in removed.inner_text()
    # The last archive of each school (archive runs; this school has none yet).
    archives = page.locator("table", has=page.locator("caption", has_text="Najnowsze archiwum każdej szkoły"))
    assert "Brak archiwum." in archives.locator("tr", has_text=people["school"]["name"]).inner_text()
    v.check()


def test_ops4_the_dashboard_refreshes_by_itself_and_draws_the_rates(visitor, system, people):
    v = visitor()
    v.login(people["assoc"]["login"])
    page = open_dashboard(v)
    page.evaluate("() => { window.__sameDocument = true; }")
    first_time = page.locator("[data-ops-updated]").inner_text()
    # Some traffic for the rates: logins and failed logins are identity RPCs.
    for _ in range(5):
        requests.post(system.gateway_url + "/api/v1/auth/login", json={"login": "nikt", "password": "x"}, timeout=10)
    page.wait_for_function("() => Number(document.querySelector('[data-ops-count]').dataset.count) >= 3",
                           timeout=(3 * REFRESH + 20) * 1000)
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    assert page.locator("[data-ops-updated]").inner_text() != first_time
    assert "Odświeżane samoczynnie co 5 s." in page.locator("[data-ops-mode]").inner_text()
    assert re.search(r"Odświeżeń od otwarcia: \d+\.", page.locator("[data-ops-count]").inner_text())
    # The sparklines: inline SVG, described for screen readers, a line once there are two points.
    spark = page.locator("[data-spark='identity:calls'] svg[role='img']")
    assert spark.count() == 1
    assert re.search(r"Wywołania na sekundę, ostatnie \d+ min: teraz \d+,\d\d", spark.get_attribute("aria-label"))
    assert page.locator("[data-spark='identity:calls'] polyline").count() == 1
    assert page.locator("[data-spark='identity:errors'] svg[role='img']").count() == 1
    # The rate column is calls per second between the last two heartbeats: on a busy machine the
    # logins above may fall outside that window, so keep some traffic going until a refresh shows it.

    def identity_rate():
        return float(row(page, "services", "service", "identity").locator("td").nth(2).inner_text().replace(",", "."))
    deadline = time.monotonic() + 3 * REFRESH + 10
    while identity_rate() <= 0 and time.monotonic() < deadline:
        requests.post(system.gateway_url + "/api/v1/auth/login", json={"login": "nikt", "password": "x"}, timeout=10)
        time.sleep(1)
    assert identity_rate() > 0
    # The history stays in the browser: a reload keeps the lines.
    stored = page.evaluate("() => JSON.parse(sessionStorage.getItem('dz-ops-history')).identity.length")
    assert stored >= 2
    v.check()   # the redrawn tables and the charts

    # Pausing stops the refreshing; resuming refreshes at once.
    page.get_by_role("button", name="Wstrzymaj odświeżanie").click()
    assert "wstrzymane" in page.locator("[data-ops-mode]").inner_text()
    paused_at = refreshes(page)
    time.sleep(REFRESH + 2)
    assert refreshes(page) == paused_at
    page.get_by_role("button", name="Wznów odświeżanie").click()
    page.wait_for_function(f"() => Number(document.querySelector('[data-ops-count]').dataset.count) > {paused_at}",
                           timeout=20000)
    assert page.evaluate("() => window.__sameDocument === true")


def test_ops4_a_dead_lettered_event_is_inspected_and_replayed(visitor, system, people):
    event = note_event(people)
    dead_letter(system, DLQ, event)
    v = visitor()
    v.login(people["assoc"]["login"])
    page = open_dashboard(v)
    link = page.locator("[data-ops-dlq] a", has_text=DLQ)
    if page.locator("[data-ops-queue-reason]").count():
        # Without the management API: the lookup form opens the queue by its name.
        page.fill("#f-kolejka", DLQ)
        page.get_by_role("button", name="Otwórz kolejkę").click()
    else:
        # The broker's statistics lag a few seconds: the refreshing brings the queue in.
        link.wait_for(timeout=60000)
        assert page.evaluate("() => Number(document.querySelector('[data-ops-count]').dataset.count)") >= 0
        link.click()
    page.wait_for_load_state()
    v.check()
    assert page.url.endswith(f"/operacje/zdarzenia-nieprzetworzone/{DLQ}")
    main = page.locator("main").inner_text()
    assert event["id"] in main and "RuntimeError: awaria testowa" in main and "identity.on_note_issued" in main
    assert "messaging.note_issued" in main
    page.get_by_text("Treść zdarzenia (JSON)").click()
    assert "Ala pomogła w bibliotece szkolnej." in page.locator("pre.ops-json").inner_text()
    v.check()
    assert system.broker.queue_depth(DLQ) == 1   # looking does not consume

    page.get_by_role("button", name="Ponów wszystkie zdarzenia").click()   # confirm() is accepted
    page.wait_for_load_state()
    v.check()
    assert "Ponowiono 1 zdarzenie" in page.locator(".flashes").inner_text()
    assert "Kolejka jest pusta" in page.locator("main").inner_text()
    assert system.broker.queue_depth(DLQ) == 0
    notes = wait_for(lambda: system.rpc("identity", "get_student_file", people["student"]["id"])["notes"],
                     timeout=30, what="the replayed note in the student file")
    assert notes[0]["subject"] == "Pomoc w bibliotece"


def test_ops4_without_javascript_the_page_is_complete_and_reloads_itself(visitor, system, people):
    # (axe-core needs JavaScript: the same markup was checked above.)
    v = visitor(java_script_enabled=False)
    page = v.page
    page.goto("/logowanie")
    page.fill("#f-login", people["assoc"]["login"])
    page.fill("#f-password", PASSWORD)
    page.get_by_role("button", name="Zaloguj się").click()
    page.wait_for_load_state()
    if "/informacja-o-monitorowaniu" in page.url:
        page.get_by_role("button", name="Rozumiem, przejdź dalej").click()
        page.wait_for_load_state()
    response = page.goto("/operacje")
    assert response.status == 200
    assert page.locator("meta[http-equiv='refresh']").get_attribute("content") == "30"
    assert "przeładowuje się sama co 30 s" in page.locator("[data-ops-mode]").inner_text()
    assert "działa" in row(page, "services", "service", "identity").inner_text()
    assert page.locator("[data-spark] svg").count() == 0   # the charts need the script
    page.get_by_role("link", name="Wyłącz samoczynne przeładowanie").click()
    page.wait_for_load_state()
    assert page.url.endswith("/operacje?odswiezanie=0")
    assert page.locator("meta[http-equiv='refresh']").count() == 0
    assert "nie odświeża się sama" in page.locator("[data-ops-mode]").inner_text()
    page.get_by_role("link", name="Odśwież teraz").click()
    page.wait_for_load_state()
    assert page.url.endswith("/operacje?odswiezanie=0")


@pytest.mark.parametrize("role", ["school_admin", "director", "teacher"])
def test_ops4_other_roles_are_refused_the_dashboard_the_replay_and_the_api(visitor, system, people, role):
    dead_letter(system, OTHER_DLQ, {"id": str(uuid.uuid4()), "name": "scheduling.student_removed"})
    depth = system.broker.queue_depth(OTHER_DLQ)
    v = visitor()
    v.login(people[role]["login"])
    assert "Panel operacyjny" not in v.nav_labels()
    for path in ("/operacje", f"/operacje/zdarzenia-nieprzetworzone/{OTHER_DLQ}",
                 f"/operacje/zdarzenia-nieprzetworzone?kolejka={OTHER_DLQ}"):
        page = v.goto(path, status=403)
        assert page.locator("h1").inner_text() == "Brak dostępu"
        assert "identity" not in page.locator("main").inner_text()
    # With the session's own form token: the role, not the token, refuses the replay.
    token = page.locator("input[name='csrf_token']").first.get_attribute("value")
    r = v.context.request.post(f"/operacje/zdarzenia-nieprzetworzone/{OTHER_DLQ}/ponow",
                               form={"csrf_token": token}, max_redirects=0)
    assert r.status == 403
    for path in ("/api/v1/ops/instances?summary=1", "/api/v1/ops/queues", f"/api/v1/ops/dead-letters/{OTHER_DLQ}"):
        r = v.context.request.get(path)
        assert r.status == 403 and r.json()["error"], (path, r.status)
    r = v.context.request.post(f"/api/v1/ops/dead-letters/{OTHER_DLQ}/replay", data={},
                               headers={"X-CSRF-Token": token})
    assert r.status == 403
    assert system.broker.queue_depth(OTHER_DLQ) == depth   # nothing was replayed
