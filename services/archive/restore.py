"""Restore a service's database from a copy made by its ``backup_database`` RPC (OPS-3, IV.13):

    python -m services.archive.restore <service> <copy file> [--sha256 HEX] --yes

Stop the service's instances first (a restore replaces the whole database under them), run
this with the service's environment (``<SERVICE>_DATABASE_URL`` or ``DZIENNIK_DATA_DIR``), then
start the service again. The copy's SHA-256 (recorded by archive with every database copy, see
``get_archive``) is checked when given.

- SQLite (``*.sqlite``): the online backup API copies the file into the service's database.
- PostgreSQL (``*.dump``, ``pg_dump --format=custom``): ``pg_restore --clean --if-exists
  --no-owner --single-transaction`` into the service's database (the PostgreSQL client
  programs must be installed: Debian package ``postgresql-client``)."""
import os
import sqlite3
import subprocess
import sys

from sqlalchemy.engine import make_url

from services.common.config import SERVICES, database_url
from services.common.db import normalise_url

from .domain import sha256_file


class RestoreError(Exception):
    pass


def restore(service, path, expected_sha256=None):
    """Replace ``service``'s database with the copy at ``path``; returns a one-line summary."""
    if service not in SERVICES:
        raise RestoreError(f"unknown service {service!r}; one of: {', '.join(SERVICES)}")
    if not os.path.isfile(path):
        raise RestoreError(f"no such copy: {path}")
    if expected_sha256 and sha256_file(path) != expected_sha256.lower():
        raise RestoreError("the copy's SHA-256 does not match: it is damaged or not the recorded copy")
    url = make_url(normalise_url(database_url(service)))
    if url.get_backend_name() == "sqlite":
        if not path.endswith(".sqlite"):
            raise RestoreError("the service uses SQLite: restore a *.sqlite copy")
        target = url.database
        src, dst = sqlite3.connect(path), sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return f"restored {service} from {path} into {target}"
    if not path.endswith(".dump"):
        raise RestoreError("the service uses PostgreSQL: restore a *.dump copy (pg_dump --format=custom)")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname", url.database]
    for flag, value in (("--host", url.host), ("--port", url.port), ("--username", url.username)):
        if value:
            args += [flag, str(value)]
    try:
        result = subprocess.run(args + [path], env=env, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError:
        raise RestoreError("pg_restore not found: install the PostgreSQL client (postgresql-client)")
    if result.returncode != 0:
        raise RestoreError(f"pg_restore failed: {result.stderr.strip()[:1000]}")
    return f"restored {service} from {path} into database {url.database}"


def main(argv):
    import argparse
    parser = argparse.ArgumentParser(prog="python -m services.archive.restore",
                                     description="Restore a service's database from its copy (OPS-3).")
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("copy", help="the copy's file (*.sqlite or *.dump)")
    parser.add_argument("--sha256", help="the SHA-256 recorded with the copy")
    parser.add_argument("--yes", action="store_true", help="confirm: the whole database is replaced")
    args = parser.parse_args(argv)
    if not args.yes:
        print("restore replaces the whole database of the service: stop it first, then add --yes",
              file=sys.stderr)
        return 2
    try:
        print(restore(args.service, args.copy, args.sha256))
    except RestoreError as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
