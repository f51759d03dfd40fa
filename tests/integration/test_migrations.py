"""Each service's Alembic history builds exactly the schema its models describe, on SQLite and
on PostgreSQL (a model change without a migration fails here)."""
import pytest
from alembic.migration import MigrationContext
from alembic.autogenerate import compare_metadata

from services.common.config import SERVICES
from services.common.db import make_engine
from services.common.migrations import upgrade
from services.common.models import PlatformBase
from services.registry import service_class
from tests.harness import Backend

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def backend(backend_kind):
    b = Backend(backend_kind)
    yield b
    b.cleanup()


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_models(backend, service):
    import importlib
    url = backend.url(f"mig_{service}")
    upgrade(service, url)
    upgrade(service, url)   # idempotent: a second run changes nothing
    service_class(service)
    models = importlib.import_module(f"services.{service}.models")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}),
                                    [models.Base.metadata, PlatformBase.metadata])
        assert diff == [], f"{service}: models and migrations differ: {diff}"
    finally:
        engine.dispose()
