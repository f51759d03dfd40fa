"""``python -m services.backup`` (OPS-3) without a broker: the copies this process makes with
``--out`` (SQLite), their checksum files, the retention of ``--keep-days``, the round trip
through ``python -m services.archive.restore``, and the usage errors. The RPC way (each service
copies its own database) runs against real services in tests/integration/test_backup_schedule.py."""
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services import backup
from services.archive.restore import restore
from services.common.config import SERVICES

ROOT = Path(__file__).resolve().parents[2]


def make_db(path, rows):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE IF NOT EXISTS note (text TEXT)")
    con.execute("DELETE FROM note")
    con.executemany("INSERT INTO note VALUES (?)", [(r,) for r in rows])
    con.commit()
    con.close()


def rows_of(path):
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT text FROM note ORDER BY text")]
    finally:
        con.close()


def run(*args, env):
    return subprocess.run([sys.executable, "-m", "services.backup", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture()
def data(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("DZIENNIK_DATA_DIR", str(folder))
    for name in SERVICES:   # every service on its SQLite file in the folder
        monkeypatch.delenv(f"{name.upper()}_DATABASE_URL", raising=False)
    return folder


def test_a_local_copy_is_consistent_checksummed_private_and_restorable(data, tmp_path):
    make_db(data / "identity.db", ["pierwsza uwaga", "druga uwaga"])
    out = tmp_path / "kopie"
    copy = backup.backup_local("identity", str(out), "nocna kopia!")
    path = Path(copy["path"])
    assert copy["ok"] and copy["kind"] == "sqlite" and path.parent == out
    assert backup.COPY_NAME.match(path.name) and path.name.endswith("-nocnakopia.sqlite")
    assert oct(path.stat().st_mode & 0o777) == "0o600" and oct(out.stat().st_mode & 0o777) == "0o700"
    assert not list(out.glob("*.partial"))
    # sha256sum's format, the restore's --sha256 value.
    assert (out / (path.name + ".sha256")).read_text() == f"{copy['sha256']}  {path.name}\n"
    assert rows_of(path) == ["druga uwaga", "pierwsza uwaga"]
    # The database changes, then the copy is restored over it.
    make_db(data / "identity.db", ["coś innego"])
    restore("identity", str(path), copy["sha256"])
    assert rows_of(data / "identity.db") == ["druga uwaga", "pierwsza uwaga"]


def test_the_command_prints_one_json_line_per_service_and_fails_when_one_fails(data, tmp_path):
    make_db(data / "identity.db", ["a"])
    env = dict(os.environ, DZIENNIK_DATA_DIR=str(data))
    out = tmp_path / "kopie"
    r = run("identity", "--out", str(out), env=env)
    assert r.returncode == 0, r.stderr
    (line,) = [json.loads(x) for x in r.stdout.splitlines()]
    assert line["ok"] and line["service"] == "identity" and line["path"].endswith("-harmonogram.sqlite")
    r = run("all", "--out", str(out), env=env)       # only identity has a database here
    answers = {a["service"]: a for a in map(json.loads, r.stdout.splitlines())}
    assert r.returncode == 1 and set(answers) == {"identity", "scheduling", "grades", "attendance", "messaging",
                                                    "archive"}
    assert answers["identity"]["ok"] and not answers["grades"]["ok"] and "grades.db" in answers["grades"]["error"]
    assert "Traceback" not in r.stdout + r.stderr


@pytest.mark.parametrize("args", [["nieznana"], ["identity", "--keep-days", "7"],
                                  ["identity", "--out", "/tmp/x", "--keep-days", "0"], []])
def test_usage_errors_exit_2(args, data):
    r = run(*args, env=dict(os.environ, DZIENNIK_DATA_DIR=str(data)))
    assert r.returncode == 2 and "usage" in r.stderr and "Traceback" not in r.stderr


def test_keep_days_deletes_old_copies_but_never_a_services_newest(tmp_path):
    out = tmp_path / "kopie"
    out.mkdir()
    day = 86400
    now = time.time()

    def copy(service, stamp, age_days, ext="sqlite"):
        path = out / f"{service}-{stamp}-harmonogram.{ext}"
        path.write_bytes(b"x")
        (out / (path.name + ".sha256")).write_text("x")
        os.utime(path, (now - age_days * day, now - age_days * day))
        return path

    old_identity = copy("identity", "20260101T010000000000Z", 30)
    new_identity = copy("identity", "20260130T010000000000Z", 1)
    only_grades = copy("grades", "20251201T010000000000Z", 60, "dump")   # old, but the only one
    stranger = out / "notatki.txt"
    stranger.write_text("nie moje")
    os.utime(stranger, (now - 90 * day, now - 90 * day))
    deleted = backup.prune(str(out), keep_days=14, now=now)
    assert sorted(deleted) == sorted([str(old_identity), str(old_identity) + ".sha256"])
    assert new_identity.exists() and only_grades.exists() and stranger.exists()
    assert not old_identity.exists() and not Path(str(old_identity) + ".sha256").exists()
