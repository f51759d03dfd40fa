"""Scheduled backups (OPS-3) the RPC way: ``python -m services.backup`` asks each running
service for a copy of its own database (``backup_database``, as the system), the way a cron
line or a CronJob of docs/operations.md runs it; the copy lands in the service's
``DZIENNIK_DATA_DIR/backups/<service>/`` and restores with ``python -m services.archive.restore``.
A service that is not running is reported and makes the run fail (exit status 1).
Its own small system (identity only, SQLite): the command does not depend on the backend
(pg_dump is tested with the archive, tests/integration/test_archive.py)."""
import json
import os
import sqlite3
import subprocess
import sys
import uuid

import pytest

from tests.harness import ROOT, Cluster

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster():
    c = Cluster("sqlite").migrate()
    try:
        c.start_services(("identity",))
        yield c
    finally:
        c.stop()


def run(cluster, *args):
    r = subprocess.run([sys.executable, "-m", "services.backup", *args], cwd=ROOT, env=cluster.env,
                       capture_output=True, text=True, timeout=120)
    return r, [json.loads(line) for line in r.stdout.splitlines()]


def test_ops3_the_running_service_copies_its_own_database(cluster):
    login = f"kopia.{uuid.uuid4().hex[:6]}"
    cluster.rpc("identity", "create_account", {"first_name": "Ewa", "last_name": "Kopiowa",
                                               "roles": ["association_admin"], "login": login})
    r, (answer,) = run(cluster, "identity", "--label", "nocna")
    assert r.returncode == 0, r.stdout + r.stderr
    assert answer["ok"] and answer["via"] == "rpc" and answer["kind"] == "sqlite"
    folder = os.path.join(cluster.env["DZIENNIK_DATA_DIR"], "backups", "identity")
    assert os.path.dirname(answer["path"]) == os.path.abspath(folder)
    assert answer["path"].endswith("-nocna.sqlite") and os.path.getsize(answer["path"]) == answer["size"]
    con = sqlite3.connect(answer["path"])
    try:
        assert con.execute("SELECT count(*) FROM accounts WHERE login = ?", (login,)).fetchone()[0] == 1
    finally:
        con.close()


def test_ops3_a_service_that_is_not_running_fails_the_run(cluster):
    r, answers = run(cluster, "all", "--timeout", "5")
    by_service = {a["service"]: a for a in answers}
    assert r.returncode == 1
    assert by_service["identity"]["ok"]
    assert not by_service["grades"]["ok"] and "no instance" in by_service["grades"]["error"]
    assert "Traceback" not in r.stdout + r.stderr
