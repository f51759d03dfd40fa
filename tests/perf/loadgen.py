"""Load generators of the benchmarks and the statistics they report.

- ``wrk`` (Debian package ``wrk``; C, epoll) when installed, with tests/perf/wrk/requests.lua:
  every request line carries its own bearer token, so each connection works as a logged-in
  user. Used for the throughput benchmarks (baselines, parent's view).
- a Python thread-pool client (``requests`` sessions with keep-alive, one per thread) for the
  scenarios that have a fixed amount of work or a fixed rate (morning peak, column of grades,
  broadcast, login storm), and as the fallback when wrk is missing.

Latencies are in milliseconds; percentiles use the nearest-rank method."""
import json
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "wrk", "requests.lua")


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


def stats(latencies_ms, seconds, errors=0, tool="python"):
    n = len(latencies_ms)
    return {"tool": tool, "requests": n, "errors": errors, "seconds": round(seconds, 2),
            "rps": round(n / seconds, 1) if seconds > 0 else None,
            "p50": _r(percentile(latencies_ms, 50)), "p95": _r(percentile(latencies_ms, 95)),
            "p99": _r(percentile(latencies_ms, 99)), "max": _r(max(latencies_ms) if latencies_ms else None)}


def _r(x):
    return None if x is None else round(x, 1)


def have_wrk(install=False, log=print):
    """Is wrk on the PATH? With ``install``, as root on Debian/Ubuntu, install it with apt-get
    (Debian's package, 4.1); otherwise say how, and the benchmarks use the Python client."""
    if shutil.which("wrk") is not None:
        return True
    if install:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            log("installing wrk: apt-get install -y wrk")
            subprocess.run(["apt-get", "install", "-y", "wrk"], stdout=subprocess.DEVNULL, check=False)
        else:
            log("wrk is not installed (sudo apt-get install -y wrk); using the Python load generator")
    return shutil.which("wrk") is not None


# ------------------------------------------------------------------ wrk

def wrk(base_url, lines, connections=16, threads=2, duration=20, timeout=10):
    """Run wrk over ``lines`` = [(method, path, token or None, body dict or None)]."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as fh:
        for method, path, token, body in lines:
            fh.write("\t".join([method, path, token or "-", json.dumps(body) if body is not None else ""]) + "\n")
        path = fh.name
    try:
        cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout}s",
               "--latency", "-s", LUA, base_url, "--", path, str(threads)]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
        line = next((x for x in out.stdout.splitlines() if x.startswith("WRKJSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk gave no result: {out.stdout[-500:]} {out.stderr[-500:]}")
        d = json.loads(line[len("WRKJSON "):])
        seconds = d["duration_us"] / 1e6
        errors = d["connect"] + d["read"] + d["write"] + d["status"] + d["timeout"]
        return {"tool": f"wrk -t{threads} -c{connections} -d{duration}s", "requests": d["requests"],
                "errors": errors, "non_2xx": d["status"], "seconds": round(seconds, 2),
                "rps": round(d["requests"] / seconds, 1),
                "p50": round(d["p50"] / 1000, 1), "p95": round(d["p95"] / 1000, 1),
                "p99": round(d["p99"] / 1000, 1), "max": round(d["max"] / 1000, 1)}
    finally:
        os.unlink(path)


# ------------------------------------------------------------------ Python client

class Client:
    """Keep-alive sessions, one per thread."""

    def __init__(self, base_url, timeout=30):
        self.base_url, self.timeout = base_url, timeout
        self._local = threading.local()

    def session(self):
        s = getattr(self._local, "s", None)
        if s is None:
            s = self._local.s = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=1)
            s.mount("http://", adapter)
        return s

    def request(self, method, path, token=None, body=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        t0 = time.perf_counter()
        r = self.session().request(method, self.base_url + path, json=body, headers=headers, timeout=self.timeout)
        return r, (time.perf_counter() - t0) * 1000


def closed_loop(fn, items, concurrency):
    """Call ``fn(item)`` for every item with ``concurrency`` threads; ``fn`` returns
    (ok, latency_ms). Returns (latencies, errors, seconds, results)."""
    latencies, results, errors = [], [], [0]
    lock = threading.Lock()

    def run(item):
        try:
            ok, ms, *rest = fn(item)
        except Exception as exc:   # noqa: BLE001
            with lock:
                errors[0] += 1
                results.append(("error", repr(exc)))
            return
        with lock:
            latencies.append(ms)
            if not ok:
                errors[0] += 1
            results.append(rest[0] if rest else None)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(run, items))
    return latencies, errors[0], time.perf_counter() - t0, results


def open_loop(fn, items, rate, concurrency=64):
    """Start ``fn(item)`` at a fixed ``rate`` per second (as users arrive, whatever the answers
    take); returns (latencies, errors, seconds, lateness of the schedule in ms)."""
    latencies, errors = [], [0]
    lock = threading.Lock()
    lateness = []

    def run(item):
        try:
            ok, ms, *rest = fn(item)
        except Exception:   # noqa: BLE001
            with lock:
                errors[0] += 1
            return
        with lock:
            latencies.append(ms)
            if not ok:
                errors[0] += 1

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for i, item in enumerate(items):
            due = t0 + i / rate
            now = time.perf_counter()
            if due > now:
                time.sleep(due - now)
            else:
                lateness.append((now - due) * 1000)
            pool.submit(run, item)
    return latencies, errors[0], time.perf_counter() - t0, lateness
