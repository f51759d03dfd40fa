"""What every benchmark gets: the running system, the generator's manifest, HTTP and RPC clients,
sessions, and the results table it writes to."""
import os
import threading
import time

from tests.perf import loadgen


class Result(dict):
    """One row of the results table.

    ``rps`` and ``p50``/``p95``/``p99`` (ms) of the measured thing; ``baseline`` names the row it
    is compared with; ``x_rps`` = rps / baseline rps and ``x_p50`` = p50 / baseline p50 are
    filled in by the runner; ``target`` and ``met`` say what the issue asks and whether it holds."""


class Ctx:
    def __init__(self, cluster, manifest, scale, tool, duration, log=print):
        self.cluster, self.manifest, self.scale = cluster, manifest, scale
        self.tool, self.duration, self.log = tool, duration, log
        self.results = []
        self.notes = []
        self.http = loadgen.Client(cluster.gateway_url)
        self._tokens = {}
        self._lock = threading.Lock()
        self._rpc = None

    # -- the data
    @property
    def largest(self):
        return max(self.manifest["schools"], key=lambda s: s["students"])

    def school(self, key):
        return next(s for s in self.manifest["schools"] if s["key"] == key)

    @property
    def password(self):
        return self.manifest["password"]

    # -- RPC as anyone (checks that do not belong to the measured path)
    @property
    def rpc(self):
        if self._rpc is None:
            from tools.datagen.rpc import RpcClient
            self._rpc = RpcClient(self.cluster.broker.amqp_uri, timeout=60)
        return self._rpc

    def close(self):
        if self._rpc is not None:
            self._rpc.close()

    # -- sessions
    def login(self, login):
        """A session token for ``login`` (logged in once per run, through the API)."""
        with self._lock:
            token = self._tokens.get(login)
        if token:
            return token
        r, _ = self.http.request("POST", "/api/v1/auth/login", body={"login": login, "password": self.password})
        if r.status_code != 200:
            raise RuntimeError(f"login {login}: {r.status_code} {r.text[:200]}")
        token = r.json()["token"]
        self.remember(login, token)
        return token

    def remember(self, login, token):
        with self._lock:
            self._tokens[login] = token

    def token_of(self, login):
        with self._lock:
            return self._tokens.get(login)

    def logins(self, logins, concurrency=4):
        """Log in many accounts (argon2: slow on purpose), a few at a time."""
        missing = [x for x in logins if not self.token_of(x)]
        if missing:
            loadgen.closed_loop(lambda x: (bool(self.login(x)), 0.0), missing, concurrency)
        return {x: self.token_of(x) for x in logins}

    # -- results
    def add(self, **row):
        r = Result(row)
        self.results.append(r)
        self.log("    " + fmt_row(r))
        return r

    def note(self, text):
        self.notes.append(text)
        self.log("    note: " + text)

    def proc_pids(self):
        procs = getattr(self.cluster, "procs", None) or {}
        out = {name: p.popen.pid for name, p in procs.items() if p.popen is not None}
        return out or dict(getattr(self.cluster, "pids", {}) or {})

    def cpu(self):
        return cpu_snapshot(self.proc_pids())

    def wrk_or_python(self, base_url, lines, connections, duration=None):
        """Throughput of ``lines`` (see loadgen.wrk) with ``connections`` clients, and the CPU
        each part of the system spent per request (``cpu_ms``)."""
        before = self.cpu()
        st = self._measure(base_url, lines, connections, duration)
        st["cpu_ms"] = cpu_per_request(before, self.cpu(), st.get("requests"))
        return st

    def _measure(self, base_url, lines, connections, duration=None):
        duration = duration or self.duration
        if self.tool == "wrk":
            return loadgen.wrk(base_url, lines, connections=connections, threads=2, duration=duration)
        client = loadgen.Client(base_url)
        stop = time.monotonic() + duration
        counter = [0]
        lock = threading.Lock()

        def items():
            i = 0
            while time.monotonic() < stop:
                yield lines[i % len(lines)]
                i += 1

        def one(line):
            method, path, token, body = line
            r, ms = client.request(method, path, token, body)
            with lock:
                counter[0] += 1
            return r.status_code < 400, ms

        lat, errors, seconds, _ = loadgen.closed_loop(one, items(), connections)
        return loadgen.stats(lat, seconds, errors, tool=f"python x{connections}")


def fmt_row(r):
    def f(v, spec="{:.1f}"):
        return "-" if v is None else spec.format(v)
    return (f"{r.get('bench')}: {r.get('variant', '')} rps {f(r.get('rps'))} p50 {f(r.get('p50'))} "
            f"p95 {f(r.get('p95'))} p99 {f(r.get('p99'))} errors {r.get('errors', 0)} {r.get('extra') or ''}"
            f"{' cpu_ms ' + str(r['cpu_ms']) if r.get('cpu_ms') else ''}")


_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TCK
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def _pids_by_name(names, user=None):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/comm") as fh:
                comm = fh.read().strip()
        except OSError:
            continue
        if comm in names:
            out.append(int(d))
    return out


def cpu_snapshot(proc_pids):
    """CPU seconds per part of the system: each of our processes (with its children: gunicorn
    workers) and, shared with everyone else on this machine, RabbitMQ and PostgreSQL."""
    snap = {}
    for name, pid in proc_pids.items():
        snap[name] = cpu_seconds(pid) + sum(cpu_seconds(c) for c in _children(pid))
    snap["rabbitmq (shared)"] = sum(cpu_seconds(p) for p in _pids_by_name({"beam.smp"}))
    snap["postgresql (shared)"] = sum(cpu_seconds(p) for p in _pids_by_name({"postgres"}))
    return snap


def cpu_per_request(before, after, requests):
    """CPU milliseconds per request of each part (only parts that used some)."""
    if not requests:
        return {}
    out = {}
    for k in after:
        d = after[k] - before.get(k, 0.0)
        if d > 0.005:
            out[k] = round(1000 * d / requests, 2)
    out["total (ours)"] = round(sum(v for k, v in out.items() if "shared" not in k), 2)
    return out


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        return None
    return None


class RssSampler(threading.Thread):
    """The peak resident memory of a process (and its children), sampled every ``interval`` s."""

    def __init__(self, pids_fn, interval=0.1):
        super().__init__(daemon=True)
        self.pids_fn, self.interval = pids_fn, interval
        self.peak_kib = 0
        self.samples = 0
        self._stop_evt = threading.Event()

    def run(self):
        while not self._stop_evt.is_set():
            total = sum(x or 0 for x in (rss_kib(p) for p in self.pids_fn()))
            self.peak_kib = max(self.peak_kib, total)
            self.samples += 1
            self._stop_evt.wait(self.interval)

    def stop(self):
        self._stop_evt.set()
        self.join(5)
        return self.peak_kib


def env_flag(name, default=""):
    return os.environ.get(name, default)
