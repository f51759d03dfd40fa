"""The system under benchmark: started as in production, on resources of its own.

- a RabbitMQ vhost ``dz_perf_<tag>`` and PostgreSQL databases ``dz_perf_<tag>_<service>``
  (created here, dropped by ``stop()``; ``python -m tests.perf.run --cleanup`` drops leftovers
  of interrupted runs, and only those: names starting with ``dz_perf_``);
- the six services as separate processes (``python -m services.run <name>``) with the
  production settings (``DZIENNIK_MAX_WORKERS`` 10, RPC timeout 5 s, outbox poll 0.5 s...: the
  defaults of services/common/config.py, none of the tests' fast-retry overrides);
- the gateway under gunicorn with gateway/gunicorn.conf.py (2 gthread workers x 4 threads, an
  RPC pool of 4 proxies per worker), serving ``tests.perf.apps:gateway_app()``: the production
  app plus the benchmark-only ``/perf/*`` baseline routes;
- a bare Flask app under the same gunicorn settings (``tests.perf.apps:bare_app()``), and the
  ``perf_echo`` nameko service (one no-op RPC) for the baselines.

Built on tests/harness.py (``Proc``, ``Cluster``)."""
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from urllib.parse import quote

import requests

from tests.harness import MGMT_URL, PG_URL, ROOT, Broker, Cluster, Proc, free_port, wait_for
from services.common.config import SERVICES

PREFIX = "dz_perf_"
STATE_FILE = os.path.join(ROOT, "tests", "perf", "results", ".cluster.json")


class PerfBroker(Broker):
    def __init__(self, vhost=None):
        self.vhost = vhost or f"{PREFIX}{uuid.uuid4().hex[:8]}"
        self.via = "mgmt"


class PerfBackend:
    """PostgreSQL databases ``dz_perf_<tag>_<service>``."""

    kind = "postgresql"

    def __init__(self, tag, data_dir=None):
        self.tag = tag
        self.tmp = data_dir or tempfile.mkdtemp(prefix="dz-perf-")
        self.databases = []

    def name(self, service):
        return f"{PREFIX}{self.tag}_{service}"

    def url(self, service, create=True):
        name = self.name(service)
        if create:
            admin(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return f"{PG_URL.rsplit('/', 1)[0]}/{name}"

    def cleanup(self):
        for name in self.databases:
            try:
                admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception:   # noqa: BLE001
                pass
        self.databases.clear()


def admin_db(database, sql):
    """``sql`` on one of the perf databases (autocommit: ANALYZE, VACUUM)."""
    import psycopg2
    conn = psycopg2.connect(f"{PG_URL.rsplit('/', 1)[0]}/{database}")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def admin(sql, fetch=False):
    import psycopg2
    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if fetch else None
    finally:
        conn.close()


class PerfCluster(Cluster):
    """The whole system on a ``dz_perf_*`` vhost and ``dz_perf_*`` databases."""

    def __init__(self, tag=None, reuse=None, extra_env=None):
        if reuse:
            tag, vhost, data_dir = reuse["tag"], reuse["vhost"], reuse["data_dir"]
        else:
            tag = tag or uuid.uuid4().hex[:8]
            vhost, data_dir = f"{PREFIX}{tag}", None
        self.tag = tag
        self.reused = bool(reuse)
        self.broker = PerfBroker(vhost)
        if not reuse:
            self.broker.create()
        self.backend = PerfBackend(tag, data_dir)
        os.makedirs(self.backend.tmp, exist_ok=True)
        self.logdir = os.path.join(self.backend.tmp, "logs")
        os.makedirs(self.logdir, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("DZIENNIK_", "AMQP_URI"))
                    and not k.endswith("_DATABASE_URL")}
        self.env.update({
            "AMQP_URI": self.broker.amqp_uri,
            "DZIENNIK_DATA_DIR": self.backend.tmp,
            "DZIENNIK_LOG_FORMAT": "json",
            "DZIENNIK_COOKIE_SECURE": "0",            # plain HTTP on this machine
            "DZIENNIK_SECRET_KEY": "perf-" + uuid.uuid4().hex,
            "DZIENNIK_RABBIT_MGMT_URL": MGMT_URL,
            "PYTHONUNBUFFERED": "1",
        })
        for svc in SERVICES:
            self.env[f"{svc.upper()}_DATABASE_URL"] = self.backend.url(svc, create=not reuse)
        self.env.update(extra_env or {})
        self.procs = {}
        self.gateway_url = None
        self.bare_url = None
        self._proxy = None

    # -- state, so that --keep / --reuse can attach to a loaded system
    def save_state(self, extra=None):
        os.makedirs(os.path.dirname(STATE_FILE), exist_ok=True)
        old = {}
        if os.path.exists(STATE_FILE):
            old = self.load_state()
            if old.get("tag") != self.tag:
                old = {}
        with open(STATE_FILE, "w") as fh:
            json.dump({**old, "tag": self.tag, "vhost": self.broker.vhost, "data_dir": self.backend.tmp,
                       "databases": [self.backend.name(s) for s in SERVICES], **(extra or {})}, fh, indent=1)

    @staticmethod
    def load_state():
        with open(STATE_FILE) as fh:
            return json.load(fh)

    # -- processes
    def start_echo(self):
        argv = [sys.executable, "-m", "tests.perf.echo_service"]
        self.procs["perf_echo"] = Proc("perf_echo", argv, self.env,
                                       os.path.join(self.logdir, "perf_echo.log")).start()
        wait_for(lambda: self.rpc("perf_echo", "noop", timeout=2) == "ok", timeout=40, what="perf_echo")
        return self

    def _gunicorn(self, name, app, env=None):
        port = free_port()
        env = dict(self.env, DZIENNIK_GATEWAY_BIND=f"127.0.0.1:{port}", **(env or {}))
        argv = [sys.executable, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py", app]
        self.procs[name] = Proc(name, argv, env, os.path.join(self.logdir, f"{name}.log")).start()
        url = f"http://127.0.0.1:{port}"
        return url

    def start_gateway(self, app="tests.perf.apps:gateway_app()"):
        self.gateway_url = self._gunicorn("gateway", app)
        try:
            wait_for(lambda: requests.get(self.gateway_url + "/health/live", timeout=2).ok, timeout=40,
                     what="gateway")
        except AssertionError:
            raise AssertionError("gateway did not start:\n" + self.procs["gateway"].output()[-3000:])
        return self

    def start_bare(self):
        self.bare_url = self._gunicorn("bare", "tests.perf.apps:bare_app()")
        wait_for(lambda: requests.get(self.bare_url + "/bare", timeout=2).ok, timeout=40, what="bare app")
        return self

    def restart_service(self, name):
        proc = self.procs.get(name)
        if proc is not None:
            proc.stop()
        self.start_service(name)
        self.wait_service(name)

    def pids(self, name):
        """The pid of a process and of its children (gunicorn workers)."""
        proc = self.procs[name]
        out = [proc.popen.pid]
        try:
            kids = subprocess.run(["pgrep", "-P", str(proc.popen.pid)], capture_output=True, text=True).stdout
            out += [int(x) for x in kids.split()]
        except FileNotFoundError:
            pass
        return out

    def stop(self, keep=False):
        for proc in list(self.procs.values()):
            proc.stop()
        if keep:
            self.save_state()
            return
        self.broker.delete()
        self.backend.cleanup()
        try:
            if self.load_state().get("tag") == self.tag:
                os.remove(STATE_FILE)
        except (FileNotFoundError, ValueError):
            pass


def cleanup_leftovers(log=print):
    """Drop every ``dz_perf_*`` database and vhost (of interrupted runs)."""
    for (name,) in admin("SELECT datname FROM pg_database WHERE datname LIKE 'dz\\_perf\\_%'", fetch=True):
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        log(f"dropped database {name}")
    r = requests.get(f"{MGMT_URL}/api/vhosts", auth=("guest", "guest"), timeout=10)
    for v in r.json():
        if v["name"].startswith(PREFIX):
            requests.delete(f"{MGMT_URL}/api/vhosts/{quote(v['name'], safe='')}", auth=("guest", "guest"),
                            timeout=30)
            log(f"deleted vhost {v['name']}")
    try:
        os.remove(STATE_FILE)
    except FileNotFoundError:
        pass


def wait_http(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False
