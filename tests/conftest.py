"""Shared fixtures. The tests use the real RabbitMQ and real databases (SQLite files and
PostgreSQL), never in-memory stand-ins; see tests/harness.py. Set DZ_TEST_BACKENDS=sqlite or
=postgresql to run one backend only (CI runs both)."""
import os

import pytest

from tests.harness import Cluster

BACKENDS = [b for b in os.environ.get("DZ_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def pytest_configure(config):
    config.addinivalue_line("markers", "integration: needs RabbitMQ and the databases")
    config.addinivalue_line("markers", "browser: needs Chromium")


@pytest.fixture(scope="module", params=BACKENDS)
def backend_kind(request):
    return request.param


@pytest.fixture(scope="module")
def system(backend_kind):
    """The whole system: six services and the gateway, on a fresh vhost and fresh databases."""
    cluster = Cluster(backend_kind).migrate()
    try:
        cluster.start_services()
        cluster.start_gateway()
        yield cluster
    finally:
        cluster.stop()
