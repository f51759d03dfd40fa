"""Alembic, one migration history per service (``services/<name>/migrations``).

    python -m services.migrate identity        # one service
    python -m services.migrate all             # every service
    python -m services.migrate identity revision -m "add x"   # autogenerate a new revision

Each service's ``migrations/env.py`` is two lines: it imports the service's models and calls
``run_env(Base.metadata)``; the platform's tables (outbox, processed events) are added here."""
import os

from alembic import command, context
from alembic.config import Config
from sqlalchemy import pool

from . import config as settings
from .db import make_engine, normalise_url
from .models import PlatformBase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def alembic_config(service, url=None):
    cfg = Config()
    cfg.set_main_option("script_location", os.path.join(ROOT, service, "migrations"))
    cfg.set_main_option("sqlalchemy.url", (url or settings.database_url(service)).replace("%", "%%"))
    cfg.set_main_option("service", service)
    return cfg


def upgrade(service, url=None, revision="head"):
    command.upgrade(alembic_config(service, url), revision)


def autogenerate(service, message, url=None):
    command.revision(alembic_config(service, url), message=message, autogenerate=True)


def run_env(service_metadata):
    """Body of every service's migrations/env.py."""
    cfg = context.config
    url = cfg.get_main_option("sqlalchemy.url")
    engine = _plain_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection,
                          target_metadata=[service_metadata, PlatformBase.metadata],
                          render_as_batch=url.startswith("sqlite"),
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def _plain_engine(url):
    from sqlalchemy import create_engine
    if url.startswith("sqlite"):
        return make_engine(url, poolclass=pool.NullPool)
    return create_engine(normalise_url(url), poolclass=pool.NullPool)
