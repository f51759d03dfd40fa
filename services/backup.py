"""Database backups for a schedule (OPS-3): cron, a systemd timer or a Kubernetes CronJob.

    python -m services.backup <service>|all [--label TEXT] [--timeout SECONDS]
    python -m services.backup <service>|all --out DIR [--label TEXT] [--keep-days N]

Both make the same consistent copies as the archive does with every yearly archive (SQLite:
the online backup API; PostgreSQL: ``pg_dump --format=custom``, one snapshot), named
``<service>-<UTC time>-<label>.sqlite|.dump``, readable by ``python -m services.archive.restore``.

- Without ``--out``: each service makes its own copy through its ``backup_database`` RPC
  (services/common/service.py; called here as the system, over the broker of ``AMQP_URI``).
  The copy lands where that service runs, in its ``DZIENNIK_DATA_DIR/backups/<service>/``:
  right for one machine (``scripts/start``) or when the services share a backup volume.
- With ``--out DIR``: this process copies each database itself (the same functions), using
  the services' settings (``<SERVICE>_DATABASE_URL``, else the SQLite files in
  ``DZIENNIK_DATA_DIR``) into ``DIR``, and writes ``<copy>.sha256`` beside each copy
  (``sha256sum -c`` reads it; ``restore --sha256`` takes the value). Needs ``pg_dump`` (Debian
  package ``postgresql-client``, in the image) for PostgreSQL. ``--keep-days N`` then deletes
  this tool's copies in ``DIR`` older than N days, never a service's newest. This is what
  deploy/k8s/backup-cronjob.yaml runs, onto its own volume.

One line of JSON per service (``{"service", "ok", "path", "size", "sha256", ...}`` or
``{"service", "ok": false, "error"}``); exit status 0 when every copy was made, 1 when one
failed, 2 for a usage error. docs/operations.md, "Backups", says how to schedule it.
"""
import argparse
import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from services.common.logs import quiet_known_warnings

quiet_known_warnings()

from services.common import config  # noqa: E402

DEFAULT_LABEL = "harmonogram"
DEFAULT_TIMEOUT = 1800.0   # seconds: pg_dump of a large database
COPY_NAME = re.compile(r"^(?P<service>[a-z]+)-(?P<stamp>\d{8}T\d{12}Z)(?:-[A-Za-z0-9_-]+)?\.(?:sqlite|dump)$")


def _line(data):
    sys.stdout.write(json.dumps(data, ensure_ascii=False, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def _clean_label(label):
    return "".join(ch for ch in str(label or "") if ch.isalnum() or ch in "-_")[:60]


# ------------------------------------------------------------------ the services make the copies

def backup_via_rpc(services, label, timeout):
    """``{service: answer}``: each service's ``backup_database(label)``, one after another."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.common import errors  # noqa: F401  (typed errors arrive as their classes)

    results = {}
    context = {"roles": ["system"], "request_id": f"backup-{uuid.uuid4().hex[:12]}"}
    try:
        with ClusterRpcProxy({"AMQP_URI": config.get("AMQP_URI"), "serializer": "json"},
                             context_data=context, timeout=timeout) as proxy:
            for name in services:
                try:
                    copy = getattr(proxy, name).backup_database(label)
                    results[name] = {"service": name, "ok": True, "via": "rpc", **copy}
                except Exception as exc:   # noqa: BLE001  (reported per service)
                    results[name] = {"service": name, "ok": False, "via": "rpc", "error": _describe(exc)}
    except Exception as exc:   # noqa: BLE001  (the broker is unreachable)
        for name in services:
            results.setdefault(name, {"service": name, "ok": False, "via": "rpc",
                                      "error": f"cannot reach the broker: {_describe(exc)}"})
    return results


def _describe(exc):
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if name == "UnknownService":
        return f"no instance of the service is running ({text})"
    if name == "RpcTimeout":
        return f"no answer within the timeout ({text} s)"
    return f"{name}: {text}" if text else name


# ------------------------------------------------------------------ this process makes the copies

def backup_local(service, out, label):
    """Copy one service's database into ``out`` (what ``backup_database`` does, from here)."""
    from sqlalchemy.engine import make_url

    from services.common.db import normalise_url
    from services.common.service import _pg_dump, _sha256_file, _sqlite_backup

    url = make_url(normalise_url(config.database_url(service)))
    kind = "sqlite" if url.get_backend_name() == "sqlite" else "pg_dump"
    os.makedirs(out, mode=0o700, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    tag = _clean_label(label)
    name = f"{service}-{stamp}{'-' + tag if tag else ''}.{'sqlite' if kind == 'sqlite' else 'dump'}"
    path = os.path.join(out, name)
    partial = path + ".partial"
    try:
        if kind == "sqlite":
            if not os.path.isfile(url.database):
                raise FileNotFoundError(f"no SQLite database at {url.database}")
            _sqlite_backup(url.database, partial)
        else:
            _pg_dump(url, partial)
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    sha256 = _sha256_file(path)
    with open(path + ".sha256", "w", encoding="ascii") as fh:
        fh.write(f"{sha256}  {name}\n")
    os.chmod(path + ".sha256", 0o600)
    return {"service": service, "ok": True, "via": "local", "kind": kind, "path": os.path.abspath(path),
            "size": os.path.getsize(path), "sha256": sha256, "created_at": datetime.now(timezone.utc).isoformat()}


def prune(out, keep_days, now=None):
    """Delete this tool's copies (and their .sha256) in ``out`` older than ``keep_days`` days;
    a service's newest copy is always kept. Returns the deleted paths."""
    now = time.time() if now is None else now
    newest, copies = {}, []
    for entry in os.scandir(out):
        m = COPY_NAME.match(entry.name)
        if not m or not entry.is_file():
            continue
        copies.append((m.group("service"), m.group("stamp"), entry))
        if m.group("stamp") > newest.get(m.group("service"), ""):
            newest[m.group("service")] = m.group("stamp")
    deleted = []
    for service, stamp, entry in copies:
        if stamp == newest[service] or now - entry.stat().st_mtime <= keep_days * 86400:
            continue
        for path in (entry.path, entry.path + ".sha256"):
            if os.path.exists(path):
                os.remove(path)
                deleted.append(path)
    return deleted


# ------------------------------------------------------------------ the command

def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m services.backup",
        description="Copy the services' databases (OPS-3); docs/operations.md, \"Backups\".")
    parser.add_argument("service", help=f"one of {', '.join(config.SERVICES)}, or all")
    parser.add_argument("--label", default=DEFAULT_LABEL, help="added to the copies' names (letters, digits, - and _)")
    parser.add_argument("--out", help="copy the databases from this process into this folder (else: each service's RPC)")
    parser.add_argument("--keep-days", type=float, help="with --out: delete copies older than this many days")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="without --out: seconds per service")
    args = parser.parse_args(argv)
    if args.service != "all" and args.service not in config.SERVICES:
        parser.error(f"unknown service {args.service!r}; one of: {', '.join(config.SERVICES)}, all")
    if args.keep_days is not None and (not args.out or args.keep_days <= 0):
        parser.error("--keep-days needs --out and a positive number of days")
    return args


def main(argv):
    args = parse_args(argv)   # exits with 2 on a usage error
    services = list(config.SERVICES) if args.service == "all" else [args.service]
    logging.getLogger().addHandler(logging.NullHandler())
    logging.getLogger().setLevel(logging.CRITICAL)
    ok = True
    if args.out:
        for name in services:
            try:
                answer = backup_local(name, args.out, args.label)
            except Exception as exc:   # noqa: BLE001  (reported per service; the others go on)
                answer = {"service": name, "ok": False, "via": "local", "error": _describe(exc)}
            ok = answer["ok"] and ok
            _line(answer)
        if args.keep_days is not None and ok:   # never thin out the old copies after a failed run
            for path in prune(args.out, args.keep_days):
                _line({"deleted": path})
    else:
        results = backup_via_rpc(services, args.label, args.timeout)
        for name in services:
            answer = results.get(name) or {"service": name, "ok": False, "error": "no answer"}
            ok = answer["ok"] and ok
            _line(answer)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
