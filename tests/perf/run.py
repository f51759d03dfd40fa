"""python -m tests.perf.run [--scale small|full] [--only NAME[,NAME...]] [--keep] [--reuse] [--cleanup]

Starts the whole register as in production on its own vhost and PostgreSQL databases
(tests/perf/cluster.py), loads it with the data generator (``python -m tools.datagen``), runs
the benchmarks, and writes the results table to ``tests/perf/results/<timestamp>.md`` (and
``.json``). Everything it created is removed at the end unless ``--keep``; ``--reuse`` runs the
benchmarks again on the system a ``--keep`` run left (no new load); ``--cleanup`` removes what
interrupted runs left (``dz_perf_*`` databases and vhosts only).

Benchmarks (``--only`` takes these names): baselines, login, parent_view, grade_column,
morning_peak, broadcast, archive. Baselines always run (at the start and at the end): every
result is reported as a ratio to them. See docs/performance.md."""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import datetime

import services  # noqa: F401  (silences eventlet's deprecation warning)

from tests.perf import (bench_archive, bench_baselines, bench_broadcast, bench_grade_column, bench_login,
                        bench_morning_peak, bench_parent_view, loadgen)
from tests.perf import cluster as perf_cluster
from tests.perf.cluster import STATE_FILE, PerfCluster, cleanup_leftovers
from tests.perf.common import Ctx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.path.join(HERE, "results")
ORDER = [bench_login, bench_parent_view, bench_grade_column, bench_morning_peak, bench_broadcast, bench_archive]
NAMES = ["baselines"] + [m.NAME for m in ORDER]


def log(msg):
    print(msg, flush=True)


# ------------------------------------------------------------------ the machine

def _cmd(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:   # noqa: BLE001
        return ""


def machine(cluster=None):
    from importlib.metadata import version
    info = {"nproc": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    try:
        with open("/proc/meminfo") as fh:
            info["ram_gib"] = round(int(fh.readline().split()[1]) / 1024 / 1024, 1)
        with open("/proc/cpuinfo") as fh:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "?")
    except OSError:
        pass
    for pkg in ("nameko", "eventlet", "kombu", "amqp", "SQLAlchemy", "psycopg2-binary", "Flask", "flask-smorest",
                "gunicorn", "marshmallow", "argon2-cffi"):
        try:
            info[pkg] = version(pkg)
        except Exception:   # noqa: BLE001
            pass
    info["postgresql"] = _cmd(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "show server_version"])
    info["rabbitmq"] = _rabbit_version()
    info["wrk"] = (_cmd(["wrk", "--version"]).splitlines() or [""])[0] if loadgen.have_wrk() else "not installed"
    return info


def _rabbit_version():
    try:
        import requests
        from tests.harness import MGMT_URL
        return requests.get(f"{MGMT_URL}/api/overview", auth=("guest", "guest"), timeout=5).json()["rabbitmq_version"]
    except Exception:   # noqa: BLE001
        return "?"


def loadavg():
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "?"


# ------------------------------------------------------------------ the table

def ratios(results, base):
    """Fill ``x_rps`` and ``x_p50`` of every row against the mean of its baseline's start and
    end measurements at the same number of clients (16 when the row has another count)."""
    for r in results:
        name = r.get("baseline")
        if not name or r.get("bench") == "baseline":
            continue
        clients = r.get("clients") if r.get("clients") in (16, 64) else 16
        b = base.get((name, clients))
        if not b:
            continue
        r["baseline_rps"], r["baseline_p50"] = b["rps"], b["p50"]
        if r.get("rps") and b.get("rps"):
            r["x_rps"] = round(r["rps"] / b["rps"], 3)
        if r.get("p50") and b.get("p50"):
            r["x_p50"] = round(r["p50"] / b["p50"], 1)


def mean_baselines(rows):
    out = {}
    for r in rows:
        if r.get("bench") != "baseline":
            continue
        out.setdefault((r["name"], r["clients"]), []).append(r)
    merged = {}
    for key, items in out.items():
        merged[key] = {k: round(sum(i[k] for i in items if i.get(k) is not None) / len(items), 1)
                       for k in ("rps", "p50", "p95", "p99")}
    return merged


def _f(v, digits=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def table(results):
    head = ("| benchmark | variant | clients | tool | req/s | p50 ms | p95 ms | p99 ms | errors | baseline | "
            "× baseline req/s | × baseline p50 | target | met |")
    lines = [head, "|" + "---|" * 14]
    for r in results:
        met = r.get("met")
        lines.append("| " + " | ".join([
            str(r.get("bench")), str(r.get("variant", "")), _f(r.get("clients")), str(r.get("tool", "")),
            _f(r.get("rps")), _f(r.get("p50")), _f(r.get("p95")), _f(r.get("p99")), _f(r.get("errors", 0)),
            str(r.get("baseline") or "-"), _f(r.get("x_rps"), 3), _f(r.get("x_p50")),
            str(r.get("target") or "-"), "-" if met is None else ("yes" if met else "**no**")]) + " |")
    return "\n".join(lines)


def extras(results):
    out = []
    for r in results:
        parts = dict(r.get("extra") or {})
        if r.get("cpu_ms"):
            parts["CPU ms per request"] = r["cpu_ms"]
        if parts:
            out.append(f"- **{r['bench']}** ({r.get('variant', '')}, {r.get('clients')} clients): " + ", ".join(
                f"{k} {json.dumps(v, ensure_ascii=False)}" for k, v in parts.items()))
    return "\n".join(out)


def write_report(path, info, args, load_summary, results, notes, started, finished):
    md = [f"# Benchmark results {started:%Y-%m-%d %H:%M}", "",
          f"`python -m tests.perf.run --scale {args.scale}{' --only ' + args.only if args.only else ''}` "
          f"({'reused a loaded system' if args.reuse else 'fresh system, loaded by tools.datagen'}); "
          f"{(finished - started).total_seconds() / 60:.1f} min; load average at start {info.get('load_start')}, "
          f"at end {info.get('load_end')}.", "",
          "## Machine", "",
          ", ".join(f"{k} {v}" for k, v in info.items() if k not in ("load_start", "load_end")), ""]
    if load_summary:
        md += ["## Data loaded (tools.datagen)", "", "| phase | seconds | tasks | RPC calls | calls/s |",
               "|---|---|---|---|---|"]
        for p in load_summary.get("phases", []):
            md.append(f"| {p['phase']} | {p['seconds']} | {p['tasks']} | {p['rpc_calls']} | {_f(p.get('calls_per_s'))} |")
        md += ["", "Totals: " + ", ".join(f"{k} {v}" for k, v in load_summary.get("counts", {}).items()), ""]
    md += ["## Results", "", table(results), "", "### Details", "", extras(results), ""]
    if notes:
        md += ["### Notes", ""] + [f"- {n}" for n in notes] + [""]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(md))
    with open(path[:-3] + ".json", "w", encoding="utf-8") as fh:
        json.dump({"machine": info, "load": load_summary, "results": results, "notes": notes}, fh,
                  ensure_ascii=False, indent=1, default=str)


# ------------------------------------------------------------------ the run

def load_data(cluster, args):
    """Run the generator against the cluster. ``--load-instances`` starts extra instances of the
    busiest services for the load only (they share the services' queues, as replicas do in
    production) and stops them before the benchmarks, which run one instance of each."""
    extra = [x for x in (args.load_instances or "").split(",") if x]
    for name in extra:
        cluster.start_service(name, instance=f"{name}-load")
    for name in extra:
        cluster.wait_service(name)
    try:
        return _generate(cluster, args)
    finally:
        for name in extra:
            proc = cluster.procs.pop(f"{name}-load", None)
            if proc is not None:
                proc.stop()


def analyze(cluster):
    """Refresh the planner's statistics of every service database after the bulk load, as
    autovacuum does a little later in production. Without them PostgreSQL plans on empty-table
    estimates: the parent's view read a student's grades through the (school, year) index and
    filtered the whole school's grades (22 ms instead of 0.5 ms a query). This machine's
    PostgreSQL runs with ``autovacuum = off``, so nothing else would ever analyze them."""
    t = time.monotonic()
    for name in cluster.backend.databases:
        perf_cluster.admin_db(name, "ANALYZE")
    log(f"ANALYZE of {len(cluster.backend.databases)} databases: {time.monotonic() - t:.1f} s "
        f"(autovacuum here: {perf_cluster.admin('SHOW autovacuum', fetch=True)[0][0]})")


def _generate(cluster, args):
    manifest = os.path.join(cluster.backend.tmp, "datagen-manifest.json")
    cmd = [sys.executable, "-m", "tools.datagen", "--seed", str(args.seed), "--scale", args.scale,
           "--workers", str(args.workers), "--manifest", manifest]
    if args.days:
        cmd += ["--days", str(args.days)]
    log(f"loading: {' '.join(cmd[1:])}" + (f" (extra instances while loading: {args.load_instances})"
                                             if args.load_instances else ""))
    r = subprocess.run(cmd, cwd=ROOT, env=cluster.env)
    if r.returncode != 0:
        raise RuntimeError("the data generator failed (see above)")
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tests.perf.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", choices=("small", "full"), default="small")
    ap.add_argument("--only", default=None, help="comma-separated: " + ", ".join(NAMES))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--days", type=int, default=None, help="school days of activity to load (generator's --days)")
    ap.add_argument("--workers", type=int, default=8, help="the generator's parallel RPC clients")
    ap.add_argument("--load-instances", default=None,
                    help="services to run a second instance of while loading (default: full "
                         "'grades,attendance', small none)")
    ap.add_argument("--duration", type=int, default=15, help="seconds of each throughput measurement")
    ap.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    ap.add_argument("--keep", action="store_true", help="leave the system and its data for --reuse")
    ap.add_argument("--reuse", action="store_true", help="benchmark the system a --keep run left")
    ap.add_argument("--cleanup", action="store_true", help="drop leftover dz_perf_* databases and vhosts")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="a setting for every process of the system (e.g. DZIENNIK_RPC_REPLY_CONFIRMS=1 "
                         "to compare); repeatable")
    args = ap.parse_args(argv)
    if args.cleanup:
        cleanup_leftovers(log)
        return 0
    extra_env = {}
    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            ap.error(f"--env needs NAME=VALUE, not {item!r}")
        extra_env[name] = value
    if args.load_instances is None:
        args.load_instances = "grades,attendance" if args.scale == "full" else ""
    only = set((args.only or ",".join(NAMES)).split(","))
    unknown = only - set(NAMES)
    if unknown:
        ap.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    tool = args.tool if args.tool != "auto" else ("wrk" if loadgen.have_wrk(install=True, log=log) else "python")
    started = datetime.now()
    info = machine()
    info["load_generator"] = tool
    info["load_start"] = loadavg()
    info["settings"] = extra_env or "production defaults"
    log(f"machine: {info}")
    if args.reuse:
        if not os.path.exists(STATE_FILE):
            ap.error("nothing to reuse: run with --keep first")
        state = PerfCluster.load_state()
        cluster = PerfCluster(reuse=state, extra_env=extra_env)
        args.scale = state.get("scale", args.scale)
    else:
        cluster = PerfCluster(extra_env=extra_env)
    keep = args.keep or args.reuse
    load_summary, results, notes = None, [], []
    ctx = None
    try:
        t = time.monotonic()
        if not args.reuse:
            cluster.migrate()
        cluster.start_services()
        cluster.start_echo()
        cluster.start_gateway()
        cluster.start_bare()
        log(f"system up in {time.monotonic() - t:.0f} s: gateway {cluster.gateway_url}, vhost {cluster.broker.vhost}, "
            f"databases {cluster.backend.name('<service>')}")
        manifest_path = os.path.join(cluster.backend.tmp, "datagen-manifest.json")
        if not args.reuse:
            load_data(cluster, args)
            if args.keep:
                cluster.save_state({"scale": args.scale})
        analyze(cluster)
        with open(manifest_path, encoding="utf-8") as fh:
            manifest = json.load(fh)
        load_summary = manifest.get("summary")
        ctx = Ctx(cluster, manifest, args.scale, tool, args.duration, log=log)
        log("baselines (start)")
        bench_baselines.run(ctx, "start")
        base = mean_baselines(ctx.results)
        for module in ORDER:
            if module.NAME not in only:
                continue
            if module is bench_archive and not bench_archive.available(ctx):
                ctx.note("archive: the archive service does not answer; skipped")
                continue
            log(f"{module.NAME}")
            try:
                module.run(ctx, base)
            except Exception as exc:   # noqa: BLE001  (one benchmark failing does not stop the others)
                traceback.print_exc()
                ctx.note(f"{module.NAME} failed: {type(exc).__name__}: {exc}")
            time.sleep(2)
        log("baselines (end)")
        bench_baselines.run(ctx, "end")
        base = mean_baselines(ctx.results)
        ratios(ctx.results, base)
        results, notes = ctx.results, ctx.notes
    finally:
        if ctx is not None:
            ctx.close()
        info["load_end"] = loadavg()
        finished = datetime.now()
        if results or notes:
            path = os.path.join(RESULTS, f"{started:%Y%m%d-%H%M%S}-{args.scale}.md")
            write_report(path, info, args, load_summary, results, notes, started, finished)
            log(f"\nresults: {path}\n")
            log(table(results))
        cluster.stop(keep=keep)
        if keep:
            log(f"kept: vhost {cluster.broker.vhost}, databases {cluster.backend.name('*')}; "
                f"python -m tests.perf.run --reuse to run again, --cleanup to remove")
    return 0


if __name__ == "__main__":
    sys.exit(main())
