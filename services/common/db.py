"""Persistence: engines for SQLite and PostgreSQL, and the ``Database`` dependency that gives
each nameko worker its own SQLAlchemy session (closed, and rolled back if left uncommitted,
when the worker ends).

Modelled on nameko-sqlalchemy's ``Database`` without its pytest plugin (which fails on
SQLAlchemy 2 and pytest 9, see ../shared/STACK.md)."""
import weakref
from contextlib import contextmanager

from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session


def normalise_url(url):
    """``postgresql://`` means psycopg2 here: SQLAlchemy 2.1 would pick psycopg 3, which blocks
    the whole process under eventlet (../shared/STACK.md)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg2://" + url.split("://", 1)[1]
    return url


def make_engine(url, **kwargs):
    """An engine with the settings both backends need under concurrent workers."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def is_sqlite(engine_or_session):
    bind = getattr(engine_or_session, "bind", None) or engine_or_session
    return bind.dialect.name == "sqlite"


class DbHandle:
    """What a worker sees as ``self.db``: a lazily opened session and a unit-of-work helper."""

    def __init__(self, engine):
        self.engine = engine
        self._session = None

    @property
    def session(self):
        if self._session is None:
            self._session = Session(self.engine, expire_on_commit=False)
        return self._session

    @contextmanager
    def unit_of_work(self):
        """Commit on success, roll back on any error (and re-raise)."""
        session = self.session
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    def close(self):
        if self._session is not None:
            self._session.close()   # rolls back anything uncommitted
            self._session = None


class Database(DependencyProvider):
    """``db = Database()`` on a service class. The URL comes from the ``DATABASE_URL`` config key."""

    def __init__(self, **engine_options):
        self.engine_options = engine_options
        self.handles = weakref.WeakKeyDictionary()
        self.engine = None

    def setup(self):
        self.engine = make_engine(self.container.config["DATABASE_URL"], **self.engine_options)

    def stop(self):
        if self.engine is not None:
            self.engine.dispose()
        super().stop()

    def kill(self):
        self.stop()

    def get_dependency(self, worker_ctx):
        handle = DbHandle(self.engine)
        self.handles[worker_ctx] = handle
        return handle

    def handle_for(self, worker_ctx):
        return self.handles.get(worker_ctx)

    def worker_teardown(self, worker_ctx):
        handle = self.handles.pop(worker_ctx, None)
        if handle is not None:
            handle.close()

    def ping(self):
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
