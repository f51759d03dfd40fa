"""Remove what interrupted test runs left behind (``scripts/test`` runs this before pytest):

- RabbitMQ vhosts ``dz_test_*`` (tests/harness.py makes one per test cluster);
- PostgreSQL databases ``dz_<tag>_<id>_<service>`` (one per service and test cluster).

    python -m scripts.clean_test_leftovers [--now] [--min-age MINUTES] [--dry-run]

Other test runs may be going on at the same time on a shared machine, so something is removed
only when nothing is connected to it nor to anything else of the same test run (the harness tags
the vhosts and databases of one pytest process alike), and it is old enough: a database created at least
``--min-age`` minutes ago (default 10), a vhost that was already idle when an earlier run of this
script saw it at least ``--min-age`` minutes ago (RabbitMQ does not record when a vhost was
made; the sightings are kept in a small state file in the temp folder), or whose run's databases
are that old. A run in progress is connected to its vhost and databases except for a few seconds
while it starts. ``--now`` removes every idle one at once: use it when nobody else is testing.

Databases named like the ones docs/setup.md creates (``dz_identity`` ...) never match.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote

VHOST_RE = re.compile(r"^dz_test_([0-9a-f]{8})_[0-9a-f]{6}$")
DB_RE = re.compile(r"^dz_([0-9a-f]{8})_[0-9a-f]{6}_[a-z]+$")
STATE = os.path.join(tempfile.gettempdir(), "dziennik-test-leftovers.json")
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MGMT_URL = os.environ.get("TEST_RABBIT_MGMT", "http://127.0.0.1:15672")


def _load_state():
    try:
        with open(STATE, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


def _save_state(state):
    try:
        with open(STATE + ".tmp", "w", encoding="utf-8") as fh:
            json.dump(state, fh)
        os.replace(STATE + ".tmp", STATE)
    except OSError:
        pass


# ------------------------------------------------------------------------------------ RabbitMQ

class _Ctl:
    """rabbitmqctl when it can be run here, else the management API."""

    def __init__(self):
        self.ctl = shutil.which("rabbitmqctl")
        self._vhosts = self._run("list_vhosts", "name", "--no-table-headers") if self.ctl else None
        if self._vhosts is None:
            self.ctl = None

    def _run(self, *args):
        try:
            r = subprocess.run([self.ctl, "-q", *args], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return r.stdout.splitlines() if r.returncode == 0 else None

    def _api(self, method, path):
        import requests
        r = requests.request(method, f"{MGMT_URL}/api{path}", auth=("guest", "guest"), timeout=10)
        r.raise_for_status()
        return r.json() if r.content else None

    @property
    def via(self):
        return "rabbitmqctl" if self.ctl else "the management API"

    def vhosts(self):
        if self.ctl:
            return [v.strip() for v in self._vhosts if v.strip()]
        return [v["name"] for v in self._api("GET", "/vhosts?columns=name")]

    def busy_vhosts(self):
        if self.ctl:
            lines = self._run("list_connections", "vhost", "--no-table-headers")
            if lines is None:
                raise RuntimeError("rabbitmqctl list_connections failed")
            return {v.strip() for v in lines if v.strip()}
        return {c["vhost"] for c in self._api("GET", "/connections?columns=vhost")}

    def delete(self, vhost):
        if self.ctl:
            return self._run("delete_vhost", vhost) is not None
        try:
            self._api("DELETE", f"/vhosts/{quote(vhost, safe='')}")
            return True
        except Exception:   # noqa: BLE001
            return False


# ------------------------------------------------------------------------------------ PostgreSQL

def _pg_databases():
    """``({name: age in seconds or None} of the test databases nobody is connected to,
    {tags of test runs with a database somebody is connected to})``."""
    import psycopg2
    conn = psycopg2.connect(PG_URL, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT oid, datname FROM pg_database WHERE datname LIKE 'dz\\_%'")
            names = {name: oid for oid, name in cur.fetchall() if DB_RE.match(name)}
            cur.execute("SELECT DISTINCT datname FROM pg_stat_activity WHERE datname IS NOT NULL")
            busy = {row[0] for row in cur.fetchall()}
            idle, busy_tags = {}, set()
            for name, oid in names.items():
                if name in busy:
                    busy_tags.add(DB_RE.match(name).group(1))
                    continue
                age = None
                try:   # the creation time of the database's folder (superuser only)
                    cur.execute("SELECT extract(epoch FROM now() - (pg_stat_file(%s)).modification)",
                                (f"base/{oid}/PG_VERSION",))
                    age = float(cur.fetchone()[0])
                except Exception:   # noqa: BLE001
                    pass
                idle[name] = age
            return {n: a for n, a in idle.items() if DB_RE.match(n).group(1) not in busy_tags}, busy_tags
    finally:
        conn.close()


def _pg_drop(name):
    import psycopg2
    conn = psycopg2.connect(PG_URL, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')   # fails if someone connected meanwhile
        return True
    except Exception:   # noqa: BLE001
        return False
    finally:
        conn.close()


# ------------------------------------------------------------------------------------ main

def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m scripts.clean_test_leftovers", description=__doc__.split("\n")[0])
    parser.add_argument("--now", action="store_true", help="remove every idle leftover at once")
    parser.add_argument("--min-age", type=float, default=10.0, help="minutes (default 10)")
    parser.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    parser.add_argument("--no-postgres", action="store_true", help="leave PostgreSQL alone")
    args = parser.parse_args(argv)
    min_age = 0 if args.now else args.min_age * 60
    now = time.time()
    old_state = _load_state()
    state = {}
    old_tags = set()   # test runs whose databases are old enough: their vhosts are too

    idle, busy_tags = None, set()
    if not args.no_postgres:
        try:
            idle, busy_tags = _pg_databases()
        except Exception as exc:   # noqa: BLE001
            print(f"    PostgreSQL leftovers not checked ({type(exc).__name__}: {str(exc).strip()[:200]})")
            idle = None
    if idle is None:
        state.update({k: v for k, v in old_state.items() if k.startswith("db:")})
    else:
        dropped, waiting = [], []
        for name, age in sorted(idle.items()):
            key = f"db:{name}"
            seen = old_state.get(key, now)
            if age is None:
                age = now - seen
            if age >= min_age:
                old_tags.add(DB_RE.match(name).group(1))
                if args.dry_run or _pg_drop(name):
                    dropped.append(name)
                    continue
            state[key] = seen
            waiting.append(name)
        print(f"    PostgreSQL: {len(dropped)} leftover test databases {'to drop' if args.dry_run else 'dropped'}"
              + (f", {len(waiting)} idle but younger than {args.min_age:g} min (kept)" if waiting else ""))

    try:
        ctl = _Ctl()
        vhosts = [v for v in ctl.vhosts() if VHOST_RE.match(v)]
        busy = ctl.busy_vhosts() if vhosts else set()
    except Exception as exc:   # noqa: BLE001
        print(f"    RabbitMQ leftovers not checked ({type(exc).__name__}: {str(exc).strip()[:200]})")
        vhosts, busy, ctl = [], set(), None
        state.update({k: v for k, v in old_state.items() if k.startswith("vhost:")})
    deleted, waiting = [], []
    for vhost in vhosts:
        if vhost in busy or VHOST_RE.match(vhost).group(1) in busy_tags:
            continue
        key = f"vhost:{vhost}"
        seen = old_state.get(key, now)
        if now - seen >= min_age or VHOST_RE.match(vhost).group(1) in old_tags:
            if args.dry_run or ctl.delete(vhost):
                deleted.append(vhost)
                continue
        state[key] = seen
        waiting.append(vhost)
    if ctl is not None:
        print(f"    RabbitMQ ({ctl.via}): {len(deleted)} leftover dz_test_* vhosts "
              f"{'to delete' if args.dry_run else 'deleted'}"
              + (f", {len(waiting)} idle but not seen idle for {args.min_age:g} min yet (kept; "
                 f"a later run removes them, or --now)" if waiting else ""))
    if not args.dry_run:
        _save_state(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
