"""python -m tools.datagen --seed 42 [--scale small|full] [--schools N] [--workers N]

Loads a generated association into a running register (services on the broker of ``AMQP_URI``,
empty databases) through the services' RPC API, with a progress bar per phase; prints how long
each phase took and the totals, and writes a manifest (ids and logins) for the benchmarks.
See docs/performance.md."""
import argparse
import os
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import services  # noqa: F401,E402  (silences eventlet's deprecation warning)

from . import plan as P  # noqa: E402


def describe(plan):
    lines = [f"plan: seed {plan['seed']}, scale {plan['scale']}, school year {plan['year']['name']} "
             f"({plan['year']['starts_on']} – {plan['year']['ends_on']}), "
             f"{len(plan['activity_days'])} school days of activity "
             f"({plan['activity_days'][0]} – {plan['activity_days'][-1]}), benchmark day {plan['benchmark_day']}"]
    for s in plan["schools"]:
        weekly = sum(len(v) for v in s["timetable"].values())
        grades = {}
        for c in s["classes"]:
            grades[c["grade"]] = grades.get(c["grade"], 0) + 1
        lines.append(f"  {s['key']}: {len(s['students'])} students in {len(s['classes'])} classes "
                     f"(per grade {dict(sorted(grades.items()))}, sizes {min(c['size'] for c in s['classes'])}-"
                     f"{max(c['size'] for c in s['classes'])}), {len(s['teachers'])} teachers, "
                     f"{len(s['staff'])} other staff, {len(s['parents'])} parents "
                     f"({sum(1 for p in s['parents'] if p['password'])} with a password), {weekly} lessons a week")
    return "\n".join(lines)


def print_summary(summary, out=sys.stdout):
    w = max(len(p["phase"]) for p in summary["phases"])
    out.write(f"\n{'phase':<{w}}  {'start s':>8}  {'seconds':>9}  {'tasks':>8}  {'RPC calls':>9}  {'calls/s':>8}  "
              f"retries  stream\n")
    for p in summary["phases"]:
        rate = f"{p['calls_per_s']:.1f}" if p.get("calls_per_s") else "-"
        start = p.get("started_at_s")
        out.write(f"{p['phase']:<{w}}  {start if start is not None else '-':>8}  {p['seconds']:>9.1f}  {p['tasks']:>8}  "
                  f"{p['rpc_calls']:>9}  {rate:>8}  {p['retries']:>7}  {p.get('stream') or ''}\n")
    out.write(f"{'total':<{w}}  {summary['seconds']:>9.1f}  {'':>8}  {summary['rpc_calls']:>9}\n\ntotals:\n")
    for k, v in summary["counts"].items():
        out.write(f"  {k}: {v}\n")
    out.flush()


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.datagen", description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--scale", choices=sorted(P.SCALES), default="small")
    ap.add_argument("--schools", type=int, default=None,
                    help="number of schools (sizes cycle through the scale's: full 300, 800, 1300)")
    ap.add_argument("--year", type=int, default=None,
                    help="first calendar year of the school year (default: the last complete one)")
    ap.add_argument("--workers", type=int, default=8, help="parallel RPC clients (default 8)")
    ap.add_argument("--login-parents", type=int, default=None,
                    help="parents with a password per school (default: small 100; full 1000 in the "
                         "largest school, 100 in the others); the rest wait for activation codes")
    ap.add_argument("--days", type=int, default=None,
                    help="school days of activity (default: small 20, full the whole year)")
    ap.add_argument("--amqp-uri", default=None, help="default: AMQP_URI")
    ap.add_argument("--manifest", default=None,
                    help="where to write ids and logins (default: <DZIENNIK_DATA_DIR>/datagen-manifest.json)")
    ap.add_argument("--plan-only", action="store_true", help="describe the plan and exit (no broker needed)")
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--sequential", action="store_true",
                    help="one phase at a time (default: lessons and grades load side by side)")
    args = ap.parse_args(argv)

    plan = P.build_plan(args.seed, args.scale, args.schools, args.year, login_parents=args.login_parents,
                        activity_days=args.days)
    print(describe(plan), flush=True)
    if args.plan_only:
        return 0

    from services.common import config
    from .load import LoadError, Loader, write_json
    from .rpc import RpcClient
    uri = args.amqp_uri or config.get("AMQP_URI")
    rpc = RpcClient(uri)
    loader = Loader(plan, rpc, workers=args.workers, progress=not args.no_progress, amqp_uri=uri,
                    streams=not args.sequential)
    started = time.monotonic()
    manifest_path = args.manifest or os.path.join(config.data_dir(), "datagen-manifest.json")
    try:
        summary = loader.run()
    except LoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        loader.total_seconds = round(time.monotonic() - started, 1)
        print_summary(loader.summary())
        return 1
    finally:
        rpc.close()
    write_json(manifest_path, {"summary": summary, **loader.manifest()})
    print_summary(summary)
    print(f"\nmanifest: {manifest_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
