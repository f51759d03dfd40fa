"""Health of the gateway and of every service (OPS-4).

- ``GET /health/live``: the gateway process answers; touches nothing else (liveness probe).
- ``GET /health``: the gateway plus each service's ``health()`` RPC, called concurrently with a
  short timeout; per service: reachable or not, round trip in ms, and the service's own report.
  200 when every service is reachable and reports ok, else 503. The whole check is bounded by a
  deadline, so a hung broker cannot hold the answer (unfinished checks are reported unreachable).
"""
import os
import threading
import time

from flask import Blueprint, current_app, g, jsonify

from services.common import config
from services.common.errors import RegisterError, Unavailable

from . import VERSION
from .rpc import get_pool

bp = Blueprint("health", __name__)

STARTED = time.time()
DEADLINE_MARGIN = 3.0   # seconds on top of the RPC timeout (connecting to the broker, pool wait)


@bp.route("/health/live", methods=["GET"])
def live():
    return jsonify({"status": "ok"})


@bp.route("/health", methods=["GET"])
def health():
    timeout = float(current_app.config["HEALTH_RPC_TIMEOUT"])
    ctx = {"request_id": g.get("request_id"), "ip": g.get("ip")}
    services = check_services(get_pool(), config.SERVICES, timeout, ctx)
    all_ok = all(s["ok"] for s in services.values())
    body = {
        "status": "ok" if all_ok else "degraded",
        "gateway": {"ok": True, "version": VERSION, "pid": os.getpid(),
                    "uptime_s": round(time.time() - STARTED, 1), "rpc_pool": get_pool().stats()},
        "services": services,
    }
    response = jsonify(body)
    response.status_code = 200 if all_ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def check_services(pool, services, timeout, ctx):
    """``{service: {reachable, ok, round_trip_ms, report, error}}``, one thread per service."""
    results = {}
    lock = threading.Lock()

    def check(name):
        started = time.perf_counter()
        try:
            report = pool.invoke(name, "health", ctx=ctx, timeout=timeout, wait=timeout)
            entry = {"reachable": True, "ok": bool(isinstance(report, dict) and report.get("ok")),
                     "round_trip_ms": round((time.perf_counter() - started) * 1000, 1),
                     "report": report, "error": None}
        except Unavailable as exc:
            entry = {"reachable": False, "ok": False, "round_trip_ms": None, "report": None,
                     "error": exc.message}
        except RegisterError as exc:   # answered, but with an error
            entry = {"reachable": True, "ok": False,
                     "round_trip_ms": round((time.perf_counter() - started) * 1000, 1),
                     "report": None, "error": exc.message}
        with lock:
            results[name] = entry

    threads = [threading.Thread(target=check, args=(name,), name=f"health-{name}", daemon=True)
               for name in services]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout + DEADLINE_MARGIN
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    with lock:
        for name in services:
            results.setdefault(name, {
                "reachable": False, "ok": False, "round_trip_ms": None, "report": None,
                "error": f"Brak odpowiedzi w ciągu {timeout + DEADLINE_MARGIN:g} s."})
        return {name: results[name] for name in services}
