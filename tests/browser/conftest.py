"""Real-browser tests of the pages: Playwright (sync API) driving Debian's Chromium, with
axe-core injected into every page the tests visit.

Setup (see tests/browser/README.md): ``pip install playwright==1.65.2`` (no ``playwright install``:
the browser is /usr/bin/chromium) and ``npm install`` in tests/browser (axe-core 4.14.1). The
tests are skipped with the reason when one of them is missing.

Why SQLite only: these tests check what a person sees in the browser (navigation per role,
forms, messages, accessibility, layout), which does not depend on the database; the database
behaviour behind the same RPCs runs on both backends in tests/integration and tests/e2e. One
backend keeps this slow suite (a real browser on 2 shared cores) short.

Playwright's sync API runs its own event loop in greenlets and must not run under eventlet's
monkey-patching: the test process is never monkey-patched (only the service processes use
eventlet), and ``browser`` checks that."""
import contextlib
import json
import os
import shutil
import uuid

import pytest

from tests.harness import Cluster

HERE = os.path.dirname(os.path.abspath(__file__))
AXE_PATH = os.path.join(HERE, "node_modules", "axe-core", "axe.min.js")
CHROMIUM = os.environ.get("DZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "Pewne-Haslo-2026"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# The services these pages call (the parent's home page asks grades and attendance too; archive
# is not needed here).
SERVICES = ("identity", "scheduling", "messaging", "grades", "attendance")


# ------------------------------------------------------------------ the browser and axe

def _missing(reason):
    """scripts/test installs the browser tools and sets DZ_REQUIRE_BROWSER: there a missing tool
    fails the run; a developer's partial checkout skips with the reason."""
    if os.environ.get("DZ_REQUIRE_BROWSER"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def axe_source():
    if not os.path.exists(AXE_PATH):
        _missing("axe-core is not installed: run `npm ci` in tests/browser")
    with open(AXE_PATH, encoding="utf-8") as fh:
        return fh.read()


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright import sync_api
    except ImportError:
        _missing("playwright is not installed: pip install -r requirements-dev.txt")
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        _missing(f"Chromium not found at {CHROMIUM}")
    import eventlet.patcher
    assert not eventlet.patcher.is_monkey_patched("socket"), \
        "the test process must not be monkey-patched (Playwright's sync API)"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class A11yViolation(AssertionError):
    pass


def check_a11y(page, axe_source, visited=None):
    """Run axe-core on the page as it is now; fail on any WCAG 2.0/2.1 A or AA violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)   # evaluated through the DevTools protocol: our CSP does not apply
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, tags: v.tags,
                                           nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
        }""", WCAG_TAGS)
    if visited is not None:
        visited.append(page.url)
    if result:
        raise A11yViolation(f"axe-core found WCAG A/AA violations on {page.url}:\n"
                            + json.dumps(result, ensure_ascii=False, indent=1))


class Visitor:
    """A browser context of one person with helpers that check every page they land on."""

    def __init__(self, browser, base_url, axe_source, **context_options):
        self.context = browser.new_context(base_url=base_url, locale="pl-PL", **context_options)
        self.context.set_default_timeout(20000)
        self.page = self.context.new_page()
        # Destructive buttons ask with confirm(); a person would say yes.
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.axe_source = axe_source
        self.visited = []

    def check(self):
        check_a11y(self.page, self.axe_source, self.visited)
        return self.page

    def goto(self, path, status=200):
        response = self.page.goto(path)
        assert response is not None
        assert response.status == status, f"{path}: HTTP {response.status}\n{self.page.content()[:2000]}"
        return self.check()

    def login(self, login, password=PASSWORD, acknowledge=True):
        self.goto("/logowanie")
        self.page.fill("#f-login", login)
        self.page.fill("#f-password", password)
        self.page.get_by_role("button", name="Zaloguj się").click()
        self.page.wait_for_load_state()
        self.check()
        if acknowledge and "/informacja-o-monitorowaniu" in self.page.url:
            self.page.get_by_role("button", name="Rozumiem, przejdź dalej").click()
            self.page.wait_for_load_state()
            self.check()
        return self.page

    def nav_labels(self):
        return [t.strip() for t in self.page.locator("nav[aria-label='Menu główne'] a").all_inner_texts()]

    def close(self):
        self.context.close()


@pytest.fixture()
def visitor(browser, system, axe_source):
    made = []

    def make(**options):
        v = Visitor(browser, system.gateway_url, axe_source, **options)
        made.append(v)
        return v
    yield make
    for v in made:
        v.close()


# ------------------------------------------------------------------ the system and its data

@contextlib.contextmanager
def running_system(services=SERVICES, extra_env=None):
    """The real system on SQLite (see the module docstring): ``services`` and the gateway under
    gunicorn, on a fresh vhost and fresh databases; stopped on leaving."""
    cluster = Cluster("sqlite", extra_env=extra_env).migrate()
    try:
        cluster.start_services(services)
        cluster.start_gateway()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def system():
    """The system of a test module (a module that needs other services defines its own
    ``system`` with ``running_system(its services)``)."""
    with running_system() as cluster:
        yield cluster


def ctx_of(account):
    return {"user_id": account["id"], "school_id": account["school_id"], "roles": account["roles"]}


@pytest.fixture(scope="module")
def world(system):
    """A school with one account of every role, loaded through the services' RPC API: a class
    with its class teacher, a parent's child and another child in it, a note in the child's file,
    and accounts kept apart for the tests that change them (activation, password, first login)."""
    tag = uuid.uuid4().hex[:6]
    rpc = system.rpc
    assoc = rpc("identity", "create_account", {"first_name": "Adam", "last_name": "Stowarzyszeniowy",
                                               "roles": ["association_admin"], "password": PASSWORD,
                                               "login": f"stow.{tag}"})
    school = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa nr 5 w Gdańsku {tag}",
                                               "short_name": f"b{tag}", "city": "Gdańsk"})

    def acc(key, roles, first, last, password=PASSWORD, **extra):
        return rpc("identity", "create_account", {
            "school_id": school["id"], "first_name": first, "last_name": last, "roles": roles,
            "password": password, "login": f"{key.replace('_', '-')}.{tag}", **extra})

    from datetime import date, timedelta
    people = {
        "school_admin": acc("school_admin", ["school_admin"], "Anna", "Żak"),
        "deputy_admin": acc("deputy_admin", ["deputy_admin"], "Zenon", "Zastępczy"),
        "director": acc("director", ["director"], "Dorota", "Dyrektorska"),
        "vice_director": acc("vice_director", ["vice_director"], "Wiktor", "Wicedyrektorski"),
        "teacher": acc("teacher", ["teacher"], "Tadeusz", "Łęcki"),
        "class_teacher": acc("class_teacher", ["class_teacher", "teacher"], "Wiesława", "Wychowawczyni"),
        "secretary": acc("secretary", ["secretary"], "Sabina", "Sekretarska"),
        "parent": acc("parent", ["parent"], "Paweł", "Gęśliński"),
        "student": acc("student", ["student"], "Zuzanna", "Gęślińska"),
        "inspector": acc("inspector", ["inspector"], "Irena", "Kontrolna",
                         expires_on=(date.today() + timedelta(days=30)).isoformat()),
        "other_student": acc("other_student", ["student"], "Jędrzej", "Ćwik"),
        "fresh": acc("fresh", ["student"], "Świeży", "Uczeń", password=None),
        "changer": acc("changer", ["teacher"], "Hieronim", "Zmieniający"),
        "newcomer": acc("newcomer", ["teacher"], "Nowy", "Nauczyciel"),
    }
    admin = ctx_of(people["school_admin"])
    rpc("identity", "link_guardian", school["id"],
        {"parent_id": people["parent"]["id"], "student_id": people["student"]["id"]}, ctx=admin)
    klass = rpc("scheduling", "create_class", school["id"],
                {"name": "6a", "class_teacher_id": people["class_teacher"]["id"]}, ctx=admin)
    for key in ("student", "other_student", "fresh"):
        rpc("scheduling", "enrol_student", klass["id"], {"student_id": people[key]["id"]}, ctx=admin)
    note = rpc("messaging", "send_message", {
        "kind": "note", "subject": "Pomoc koleżance", "body": "Zuzanna pomogła koleżance w nauce matematyki.",
        "student_id": people["student"]["id"], "note_kind": "positive", "note_category": "pomoc innym"},
        ctx=ctx_of(people["class_teacher"]))
    from tests.harness import wait_for
    wait_for(lambda: rpc("identity", "get_student_file", people["student"]["id"])["notes"], timeout=30,
             what="the note in the student file")
    return {"school": school, "class": klass, "association_admin": assoc, "note": note, "tag": tag, **people}
