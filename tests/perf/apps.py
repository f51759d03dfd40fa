"""The web apps of the benchmark runs (gunicorn app factories, benchmark-only).

- ``bare_app()``: a plain Flask app with one JSON route, ``GET /bare``: the floor of
  gunicorn + Flask on this machine (no gateway code at all).
- ``gateway_app()``: the production gateway (``gateway.app:create_app()``, unchanged) plus a
  ``/perf`` blueprint of baselines that go through the gateway's own request handling (request
  ids, JSON access log) and its RPC pool:
    ``GET /perf/noop-rpc``   one RPC to ``perf_echo.noop`` (does nothing) through the RpcPool;
    ``GET /perf/sql``        one indexed query on identity's database (``accounts`` by its
                             unique ``login``), on a SQLAlchemy pool made in the worker process.
  Nothing else is added or changed; the real routes are the ones the product serves."""
import os
import random
import threading

import services  # noqa: F401  (silences eventlet's deprecation warning)
from flask import Blueprint, Flask, jsonify


def bare_app():
    app = Flask("bare")

    @app.get("/bare")
    def bare():
        return jsonify({"ok": True})

    return app


_engine_lock = threading.Lock()
_engine = None
_logins = []


def _identity_engine():
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                from services.common.db import make_engine
                from sqlalchemy import text
                engine = make_engine(os.environ["IDENTITY_DATABASE_URL"], pool_size=4, max_overflow=4)
                with engine.connect() as conn:
                    _logins.extend(r[0] for r in conn.execute(text("SELECT login FROM accounts LIMIT 2000")))
                _engine = engine
    return _engine


def perf_blueprint():
    from sqlalchemy import text

    from gateway.rpc import get_pool

    bp = Blueprint("perf", __name__, url_prefix="/perf")

    @bp.get("/noop-rpc")
    def noop_rpc():
        return jsonify({"result": get_pool().invoke("perf_echo", "noop", ctx={})})

    @bp.get("/noop-rpc-noconfirm")
    def noop_rpc_noconfirm():
        """EXPERIMENT (docs/performance.md): the same no-op RPC, published without waiting for
        the broker's publisher confirm (nameko's ``use_confirms=False``). Saves one broker round
        trip per call; loses the immediate ``UnknownService`` (a request nobody can take then
        times out, 503, like a dead instance)."""
        from nameko.rpc import ServiceProxy

        pool = get_pool()
        slot = pool.checkout()
        broken = True
        try:
            slot.prepare({}, pool.timeout)
            proxy = slot._services.get(("perf_echo", "noconfirm"))
            if proxy is None:
                proxy = slot._services[("perf_echo", "noconfirm")] = ServiceProxy(
                    slot.worker_ctx, "perf_echo", slot.runner._reply_listener, use_confirms=False,
                    expiration=pool.timeout)
            result = proxy.noop()
            broken = False
        finally:
            pool.checkin(slot, broken)
        return jsonify({"result": result})

    @bp.get("/sql")
    def sql():
        engine = _identity_engine()
        login = random.choice(_logins) if _logins else "nobody"
        with engine.connect() as conn:
            row = conn.execute(text("SELECT id, login, first_name, last_name FROM accounts WHERE login = :login"),
                               {"login": login}).first()
        return jsonify({"account": dict(row._mapping) if row else None})

    return bp


def gateway_app():
    """The production gateway plus /perf. ``DZ_PERF_EXPERIMENT`` (comma-separated, default none)
    switches on a proposed fix for a before/after measurement:
    ``librabbitmq``: make kombu's per-connection probe ``import librabbitmq`` fail at once
    (``sys.modules["librabbitmq"] = None``) instead of searching the file system on every publish."""
    experiments = set(filter(None, os.environ.get("DZ_PERF_EXPERIMENT", "").split(",")))
    if "librabbitmq" in experiments:
        import sys
        sys.modules.setdefault("librabbitmq", None)
    from gateway.app import create_app
    app = create_app()
    app.register_blueprint(perf_blueprint())
    return app
