"""Shared fixtures. The tests use the real RabbitMQ and real databases (SQLite files and
PostgreSQL), never in-memory stand-ins; see tests/harness.py. Set DZ_TEST_BACKENDS=sqlite or
=postgresql to run one backend only (CI runs both).

Most integration tests share one running system per backend (``system``: six services and the
gateway, started once per session; tests make their own school so they do not see each other).
Tests that need a special set-up (killed instances, a restarted broker, short session timeouts)
start their own ``Cluster``."""
import os

import pytest

from tests.harness import Cluster

BACKENDS = [b for b in os.environ.get("DZ_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]

# Settings of the shared system: fast retries and heartbeats so tests need not wait.
SHARED_ENV = {
    "DZIENNIK_HEARTBEAT_SECONDS": "0.5",
    "DZIENNIK_LOGIN_THROTTLE_SECONDS": "0.1",
    "DZIENNIK_ATTACHMENT_MAX_BYTES": "200000",
}


def pytest_configure(config):
    config.addinivalue_line("markers", "integration: needs RabbitMQ and the databases")
    config.addinivalue_line("markers", "browser: needs Chromium")
    config.addinivalue_line("markers", "exclusive: disturbs what every test shares (restarts RabbitMQ); "
                                       "scripts/test runs these alone, after the parallel halves")


def pytest_collection_modifyitems(config, items):
    """DZ_TEST_BACKEND_TESTS_ONLY=1 keeps only the tests that run once per backend (those using
    ``backend_kind``): scripts/test runs the PostgreSQL half that way beside the full SQLite run,
    so the backend-independent tests (unit, gateway, browser) run once. DZ_TEST_EXCLUSIVE=skip
    leaves out the ``exclusive`` tests (a RabbitMQ restart would break the other half's tests),
    DZ_TEST_EXCLUSIVE=only runs just them (scripts/test, after both halves). DZ_TEST_BROWSER=only
    or skip keeps or leaves out tests/browser (scripts/test runs them in a process of their own:
    they mostly wait for Chromium and the services)."""
    exclusive = os.environ.get("DZ_TEST_EXCLUSIVE")          # "skip", "only" or unset (run all)
    browser = os.environ.get("DZ_TEST_BROWSER")              # "skip", "only" or unset (run all)
    backend_only = os.environ.get("DZ_TEST_BACKEND_TESTS_ONLY") == "1"
    if not exclusive and not browser and not backend_only:
        return
    browser_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser") + os.sep
    keep, drop = [], []
    for item in items:
        wanted = True
        if backend_only and "backend_kind" not in getattr(item, "fixturenames", ()):
            wanted = False
        in_browser = str(item.path).startswith(browser_dir)
        if (browser == "skip" and in_browser) or (browser == "only" and not in_browser):
            wanted = False
        is_exclusive = item.get_closest_marker("exclusive") is not None
        if (exclusive == "skip" and is_exclusive) or (exclusive == "only" and not is_exclusive):
            wanted = False
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", params=BACKENDS)
def backend_kind(request):
    return request.param


@pytest.fixture(scope="session")
def system(backend_kind):
    """The whole system: six services and the gateway, on a fresh vhost and fresh databases."""
    cluster = Cluster(backend_kind, extra_env=SHARED_ENV).migrate()
    try:
        cluster.start_services()
        cluster.start_gateway()
        yield cluster
    finally:
        cluster.stop()
