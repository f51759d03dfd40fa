"""Health probe of a service over RPC:
``python -m services.probe <service>|all [--timeout 3] [--local] [--live]``.

Calls the service's ``health()`` RPC through a standalone nameko proxy and prints the answer as
one line of JSON. Exit status 0 when the answer says ``"ok": true``, 1 otherwise (no broker, no
instance of the service running, RPC timeout, database error, unknown service name), 2 for a
usage error. It never prints a traceback: a failure is one JSON line with ``"ok": false`` and
an ``"error"`` that says what went wrong.

Used by Kubernetes exec probes and Docker Compose healthchecks (deploy/), and by ops scripts.

Which instance answers: every instance of a service consumes the same RPC queue, so a plain
call is answered by any of them ("the service is up"). Inside a container that is not enough
(a pod would look ready while only its siblings answer), so ``--local`` repeats the call, up
to the time budget, until an instance running on this host answers: the broker hands
consecutive requests to the queue's consumers in turn, so a few calls reach every instance.
An instance is "on this host" when its ``instance`` id is ``<hostname>-<pid>-<suffix>`` (see
services/common/metrics.py); a container's hostname is its own, a pod's is the pod name.

``--live`` relaxes the verdict for liveness checks: any answer counts (a database error
still exits 0), because restarting a service does not repair its database.

Timing: ``--timeout`` is the RPC reply timeout and, with ``--local``, the budget for the
repeated calls. Connecting to the broker comes on top, so the whole run is bounded by a
watchdog at ``timeout + 2`` seconds per service asked (plus about half a second of interpreter
start-up). Give an orchestrator's probe timeout at least ``timeout + 3`` seconds.
"""
import json
import logging
import os
import socket
import sys
import threading
import time
import uuid

# services/__init__.py has already filtered eventlet's deprecation warning by its text (it is
# emitted when eventlet is first imported, before its class can be named); this adds the filter
# by class for the rest of the run.
from services.common.logs import quiet_known_warnings

quiet_known_warnings()

from services.common import config  # noqa: E402

DEFAULT_TIMEOUT = 3.0
SETUP_ALLOWANCE = 2.0   # seconds for connecting to the broker on top of the RPC timeout
LOCAL_MAX_CALLS = 50    # with --local: calls before giving up on hearing from this host
USAGE = (f"usage: python -m services.probe <{'|'.join(config.SERVICES)}|all> "
         "[--timeout SECONDS] [--local] [--live]")


def _describe(exc):
    """A one-line, human-readable reason for a failed probe."""
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if name == "RpcTimeout":
        return f"no reply within {text or '?'} s (RpcTimeout)"
    if name == "UnknownService":
        return f"no instance is listening (UnknownService: {text})"
    if isinstance(exc, (ConnectionError, OSError)) or name in ("AMQPConnectionError", "OperationalError"):
        return f"cannot reach the broker at {_safe_uri()} ({name}: {text})"
    return f"{name}: {text}" if text else name


def _safe_uri():
    """AMQP_URI without its password, fit for a log line."""
    uri = config.get("AMQP_URI")
    if "@" in uri and "://" in uri:
        scheme, rest = uri.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return uri


def is_local(answer, hostname=None):
    """True when a health answer comes from an instance on this host: its id is
    ``<hostname>-<pid>-<suffix>`` (services/common/metrics.py INSTANCE)."""
    parts = str((answer or {}).get("instance") or "").rsplit("-", 2)
    return len(parts) == 3 and parts[0] == (hostname or socket.gethostname())


def _ask(proxy, name, timeout, local):
    """One service's health answer; with ``local``, the first answer from this host's instance."""
    try:
        if not local:
            return getattr(proxy, name).health()
        deadline = time.monotonic() + timeout
        seen = set()
        for _ in range(LOCAL_MAX_CALLS):
            answer = getattr(proxy, name).health()
            if not isinstance(answer, dict) or is_local(answer):
                return answer
            seen.add(str(answer.get("instance")))
            if time.monotonic() >= deadline:
                break
        return {"service": name, "ok": False, "answered_by": sorted(seen),
                "error": f"no answer from an instance on this host ({socket.gethostname()}); "
                         f"only from {len(seen)} other instance(s)"}
    except Exception as exc:   # noqa: BLE001  (a probe reports, it does not raise)
        return {"service": name, "ok": False, "error": _describe(exc)}


def call_health(services, timeout, local=False, results=None):
    """``{service: health dict or {"ok": False, "error": ...}}`` for each service, one proxy.
    ``results`` (a dict) is filled in as the answers come, for a caller that may stop waiting."""
    from nameko.standalone.rpc import ClusterRpcProxy

    results = {} if results is None else results
    context = {"request_id": f"probe-{uuid.uuid4().hex[:12]}"}
    try:
        with ClusterRpcProxy({"AMQP_URI": config.get("AMQP_URI"), "serializer": "json"},
                             context_data=context, timeout=timeout) as proxy:
            for name in services:
                answer = _ask(proxy, name, timeout, local)
                if not isinstance(answer, dict):
                    answer = {"service": name, "ok": False,
                              "error": f"unexpected health answer: {answer!r}"[:300]}
                results[name] = answer
    except Exception as exc:   # noqa: BLE001  (broker unreachable while connecting or closing)
        reason = _describe(exc)
        for name in services:
            results.setdefault(name, {"service": name, "ok": False, "error": reason})
    return results


def verdict(answer, live=False):
    """Whether an answer passes: ``ok`` true; with ``live``, any real answer from the service."""
    if answer.get("ok") is True:
        return True
    return live and "error" not in answer and bool(answer.get("instance"))


def _print_line(data):
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str, sort_keys=True) + "\n")
    sys.stdout.flush()


def parse_args(argv):
    """``(services, timeout, local, live)``; raises ValueError with a message for the user."""
    args = list(argv)
    timeout = DEFAULT_TIMEOUT
    flags = {"--local": False, "--live": False}
    rest = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in flags:
            flags[arg] = True
        elif arg == "--timeout" or arg.startswith("--timeout="):
            if arg == "--timeout":
                i += 1
                value = args[i] if i < len(args) else ""
            else:
                value = arg.split("=", 1)[1]
            try:
                timeout = float(value)
            except ValueError:
                raise ValueError("--timeout needs a number of seconds") from None
            if timeout <= 0:
                raise ValueError("--timeout must be positive")
        elif arg.startswith("-"):
            raise ValueError(f"unknown option {arg}\n{USAGE}")
        else:
            rest.append(arg)
        i += 1
    if len(rest) != 1:
        raise ValueError(USAGE)
    services = list(config.SERVICES) if rest[0] == "all" else [rest[0]]
    return services, timeout, flags["--local"], flags["--live"]


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 2
    try:
        services, timeout, local, live = parse_args(argv)
    except ValueError as exc:
        print(str(exc))
        return 2
    unknown = [s for s in services if s not in config.SERVICES]
    if unknown:
        _print_line({"service": unknown[0], "ok": False,
                     "error": f"unknown service {unknown[0]!r}; one of: {', '.join(config.SERVICES)}"})
        return 1

    # Library loggers (kombu, amqp, nameko) must not write tracebacks to stderr: the probe's
    # single JSON line is the whole report.
    logging.getLogger().addHandler(logging.NullHandler())
    logging.getLogger().setLevel(logging.CRITICAL)

    # The proxy runs in a daemon thread so that a hung connect or a half-open socket cannot
    # outlive the probe's budget: the main thread gives up at the deadline and exits.
    box = {}
    worker = threading.Thread(target=call_health, args=(services, timeout, local, box),
                              name="probe", daemon=True)
    worker.start()
    budget = timeout * len(services) + SETUP_ALLOWANCE   # services are asked one after another
    worker.join(budget)

    ok = True
    for name in services:
        answer = box.get(name) or {"service": name, "ok": False,
                                   "error": f"no answer within {budget:g} s "
                                            f"(broker {_safe_uri()} unreachable, or the service "
                                            f"too slow to answer)"}
        ok = verdict(answer, live) and ok
        _print_line(answer)
    if worker.is_alive():
        # Do not wait for a stuck socket at interpreter exit.
        sys.stdout.flush()
        os._exit(0 if ok else 1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
