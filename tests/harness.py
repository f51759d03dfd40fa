"""Test harness: the real system, started the way production starts it.

- ``Broker``: a fresh RabbitMQ vhost per test session (management API, else rabbitmqctl), deleted after.
- ``Backend``: the databases of one test run, SQLite files or PostgreSQL databases (one per service).
- ``Cluster``: runs migrations, starts services as separate processes (``python -m services.run``)
  and the gateway under gunicorn, and calls them over the real broker.
No part is replaced by an in-memory stand-in."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from urllib.parse import quote

import requests

import services  # noqa: F401  (silences eventlet's deprecation warning)
from services.common.config import SERVICES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AMQP_HOST = os.environ.get("TEST_AMQP_HOST", "127.0.0.1")
AMQP_PORT = int(os.environ.get("TEST_AMQP_PORT", "5672"))
MGMT_URL = os.environ.get("TEST_RABBIT_MGMT", "http://127.0.0.1:15672")
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TAG = uuid.uuid4().hex[:8]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=30.0, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except Exception as exc:   # the thing is not up yet
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last!r})")


# ------------------------------------------------------------------------------------- broker

class Broker:
    def __init__(self):
        self.vhost = f"dz_test_{TAG}_{uuid.uuid4().hex[:6]}"

    @property
    def amqp_uri(self):
        return f"amqp://guest:guest@{AMQP_HOST}:{AMQP_PORT}/{quote(self.vhost, safe='')}"

    def _mgmt(self, method, path, **kw):
        return requests.request(method, f"{MGMT_URL}/api{path}", auth=("guest", "guest"), timeout=10, **kw)

    def create(self):
        try:
            r = self._mgmt("PUT", f"/vhosts/{quote(self.vhost, safe='')}")
            r.raise_for_status()
            self._mgmt("PUT", f"/permissions/{quote(self.vhost, safe='')}/guest",
                       json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
            self.via = "mgmt"
        except requests.RequestException:
            subprocess.run(["rabbitmqctl", "add_vhost", self.vhost], check=True, capture_output=True)
            subprocess.run(["rabbitmqctl", "set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*"],
                           check=True, capture_output=True)
            self.via = "ctl"
        return self

    def delete(self):
        try:
            if self.via == "mgmt":
                self._mgmt("DELETE", f"/vhosts/{quote(self.vhost, safe='')}")
            else:
                subprocess.run(["rabbitmqctl", "delete_vhost", self.vhost], capture_output=True)
        except Exception:
            pass

    def queue_depth(self, queue):
        """Messages in a queue (ready + unacked), read with a passive declare."""
        from kombu import Connection
        with Connection(self.amqp_uri) as conn:
            ch = conn.channel()
            _, count, _ = ch.queue_declare(queue=queue, passive=True)
            ch.close()
            return count


# ------------------------------------------------------------------------------------- databases

class Backend:
    def __init__(self, kind):
        assert kind in ("sqlite", "postgresql")
        self.kind = kind
        self.tmp = tempfile.mkdtemp(prefix=f"dz-test-{kind}-")
        self.databases = []

    def url(self, service):
        if self.kind == "sqlite":
            return f"sqlite:///{os.path.join(self.tmp, service + '.db')}"
        name = f"dz_{TAG}_{uuid.uuid4().hex[:6]}_{service}"
        self._admin(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        base = PG_URL.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def _admin(self, sql):
        import psycopg2
        conn = psycopg2.connect(PG_URL)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def cleanup(self):
        for name in self.databases:
            try:
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception:
                pass
        self.databases.clear()


# ------------------------------------------------------------------------------------- processes

class Proc:
    def __init__(self, name, argv, env, log_path):
        self.name, self.argv, self.env, self.log_path = name, argv, env, log_path
        self.popen = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=self.log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        return self

    @property
    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout=20):
        """SIGTERM, as an orchestrator stops it; SIGKILL if it does not stop in time."""
        if not self.running:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self):
        if self.running:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def output(self):
        try:
            with open(self.log_path, "rb") as fh:
                return fh.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""


class Cluster:
    """The whole system (or part of it) on one vhost and one set of databases."""

    def __init__(self, backend_kind="sqlite", extra_env=None):
        self.broker = Broker().create()
        self.backend = Backend(backend_kind)
        self.logdir = tempfile.mkdtemp(prefix="dz-logs-")
        self.env = dict(os.environ)
        self.env.update({
            "AMQP_URI": self.broker.amqp_uri,
            "DZIENNIK_DATA_DIR": self.backend.tmp,
            "DZIENNIK_LOG_FORMAT": "json",
            "DZIENNIK_EVENT_RETRY_DELAY": "0.2",
            "DZIENNIK_EVENT_MAX_RETRIES": "3",
            "DZIENNIK_OUTBOX_POLL": "0.2",
            "DZIENNIK_COOKIE_SECURE": "0",
            "DZIENNIK_RPC_TIMEOUT": "10",
            "PYTHONUNBUFFERED": "1",
        })
        for svc in SERVICES:
            self.env[f"{svc.upper()}_DATABASE_URL"] = self.backend.url(svc)
        self.env.update(extra_env or {})
        self.procs = {}
        self.gateway_url = None
        self._proxy = None

    # -- lifecycle
    def migrate(self):
        r = subprocess.run([sys.executable, "-m", "services.migrate", "all"], cwd=ROOT, env=self.env,
                           capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stdout + r.stderr
        # Declare every subscriber's queues before anything publishes (deploy-time topology).
        r = subprocess.run([sys.executable, "-m", "services.topology"], cwd=ROOT, env=self.env,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        return self

    def start_service(self, name, instance=None, module=None):
        key = instance or name
        argv = [sys.executable, "-m", module or "services.run", name]
        proc = Proc(key, argv, self.env, os.path.join(self.logdir, f"{key}.log")).start()
        self.procs[key] = proc
        return proc

    def wait_service(self, name, timeout=40):
        wait_for(lambda: self.rpc(name, "health", timeout=2)["ok"], timeout=timeout,
                 what=f"service {name}")

    def start_services(self, names=SERVICES):
        for name in names:
            self.start_service(name)
        for name in names:
            try:
                self.wait_service(name)
            except AssertionError:
                raise AssertionError(f"{name} did not start:\n{self.procs[name].output()[-3000:]}")
        return self

    def start_gateway(self):
        port = free_port()
        env = dict(self.env, DZIENNIK_GATEWAY_BIND=f"127.0.0.1:{port}", DZIENNIK_GATEWAY_WORKERS="2")
        argv = [sys.executable, "-m", "gunicorn", "-c", "gateway/gunicorn.conf.py", "gateway.app:create_app()"]
        self.procs["gateway"] = Proc("gateway", argv, env, os.path.join(self.logdir, "gateway.log")).start()
        self.gateway_url = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: requests.get(self.gateway_url + "/health/live", timeout=2).ok, timeout=30,
                     what="gateway")
        except AssertionError:
            raise AssertionError("gateway did not start:\n" + self.procs["gateway"].output()[-3000:])
        return self

    def stop(self):
        if self._proxy is not None:
            try:
                self._proxy_ctx.stop()
            except Exception:
                pass
            self._proxy = None
        for proc in list(self.procs.values()):
            proc.stop()
        self.broker.delete()
        self.backend.cleanup()

    # -- calling it
    def rpc(self, service, method, *args, ctx=None, timeout=10, **kwargs):
        """One RPC as ``ctx`` (default: the system), through a fresh standalone proxy."""
        from nameko.standalone.rpc import ClusterRpcProxy
        import services.common.errors  # noqa: F401  (typed errors deserialise to their classes)
        data = ctx if ctx is not None else {"roles": ["system"]}
        with ClusterRpcProxy({"AMQP_URI": self.broker.amqp_uri}, context_data=dict(data),
                             timeout=timeout) as proxy:
            return getattr(getattr(proxy, service), method)(*args, **kwargs)

    def http(self, token=None):
        s = requests.Session()
        if token:
            s.headers["Authorization"] = f"Bearer {token}"
        s.base = self.gateway_url
        return s

    def logs(self, name):
        return self.procs[name].output()

    def log_records(self, name):
        out = []
        for line in self.logs(name).splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out
