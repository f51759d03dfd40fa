"""The yearly XML archive (ARC-1, LAW-5) of the largest school and of a school about half its
size: ``archive.start_archive`` (as the school's administrator; the loaded year is not closed,
so with ``confirm_open_year``) and ``archive_status`` polled until it completes. Measured: the
total time and the peak resident memory (RSS) of the archive service process, which runs the
archive in its background runner; the service is restarted before each archive so that the
peak belongs to that archive alone. Cost per student shows whether it grows linearly."""
import time

from tests.perf.common import RssSampler, rss_kib

NAME = "archive"
TARGET_MB = 300
TIMEOUT_S = 3 * 3600


def _ctx(account):
    return {"user_id": account["id"], "school_id": account.get("school_id"), "roles": account["roles"]}


def available(ctx):
    try:
        sections = ctx.rpc.call({"roles": ["system"]}, "archive", "health")
        return bool(sections)
    except Exception:   # noqa: BLE001
        return False


def schools_to_archive(ctx):
    schools = sorted(ctx.manifest["schools"], key=lambda s: -s["students"])
    largest = schools[0]
    if len(schools) == 1:
        return [largest]
    half = min(schools[1:], key=lambda s: abs(s["students"] - largest["students"] / 2))
    return [largest, half]


def run(ctx, baselines):
    rows = []
    for school in schools_to_archive(ctx):
        ctx.cluster.restart_service("archive")
        pid = ctx.cluster.procs["archive"].popen.pid
        idle_kib = rss_kib(pid)
        admin = school["staff"][f"{school['key']}.admin"]
        sampler = RssSampler(lambda: [pid], interval=0.1)
        sampler.start()
        t0 = time.perf_counter()
        job = ctx.rpc.call(_ctx(admin), "archive", "start_archive", school["id"],
                           {"school_year": ctx.manifest["year"], "confirm_open_year": True})
        status, last = None, None
        while time.perf_counter() - t0 < TIMEOUT_S:
            last = ctx.rpc.call(_ctx(admin), "archive", "archive_status", job["id"])
            status = last["status"]
            if status in ("completed", "failed"):
                break
            time.sleep(0.5)
        seconds = time.perf_counter() - t0
        peak = sampler.stop()
        full = ctx.rpc.call(_ctx(admin), "archive", "get_archive", job["id"])
        mb = peak / 1024
        rows.append(ctx.add(
            bench="yearly archive", variant=f"{school['key']}: {school['students']} students ({status})",
            clients=1, baseline=None, tool="archive_status polling", requests=1, errors=0 if status == "completed" else 1,
            rps=None, p50=round(seconds * 1000), p95=None, p99=None,
            extra={"seconds": round(seconds, 1), "peak_rss_mb": round(mb, 1),
                   "idle_rss_mb": round((idle_kib or 0) / 1024, 1), "xml_mb": round((full.get("xml_size") or 0) / 1e6, 1),
                   "records": full.get("records"), "s_per_1000_students": round(seconds / school["students"] * 1000, 1),
                   "message": (last or {}).get("message")},
            target=f"peak RSS < {TARGET_MB} MB", met=status == "completed" and mb < TARGET_MB))
    return rows
