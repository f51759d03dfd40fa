"""The parent's view of a child: the product's one request,

    GET /api/v1/students/<child>/overview?school_year=<year>     (grades, attendance, unread at once)

and, for comparison, the three separate API requests it replaces (the web pages of grades,
attendance and messages call the same RPCs):

    GET /api/v1/students/<child>/grades?school_year=<year>        grades with weighted averages
    GET /api/v1/attendance/percentages?scope=student&id=<child>&date_from=..&date_to=..
    GET /api/v1/messages/unread-count                              unread messages

Measured two ways, each client a different logged-in parent of the largest school:
- ``wrk`` over the three requests at 16 and 64 connections: request throughput and latency;
  a view is three requests, so views/s = requests/s / 3;
- a Python client of 16 parents, each opening views in a loop with the three requests in
  parallel (as a browser does): views/s and the latency of a whole view.
And the RosarioSIS bar of ../shared/STACK.md, measured the same way as it was (wrk -t2 -c16
-d20s, one session per connection): a parent's grades page alone, and a teacher's attendance
form of a class (``GET /api/v1/lessons/<id>/attendance``)."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tests.perf import loadgen

NAME = "parent_view"
ROSARIO_PARENT_RPS, ROSARIO_FORM_RPS = 57, 74


def view_lines(ctx, parents):
    m = ctx.manifest
    year = m["year"]
    out = []
    for p in parents:
        token = ctx.token_of(p["login"])
        child = p["children"][0]
        out.append([
            ("GET", f"/api/v1/students/{child}/grades?school_year={year}", token, None),
            ("GET", f"/api/v1/attendance/percentages?scope=student&id={child}"
                    f"&date_from={m['year_starts_on']}&date_to={m['year_ends_on']}", token, None),
            ("GET", "/api/v1/messages/unread-count", token, None),
        ])
    return out


def parents_with_sessions(ctx, n):
    school = ctx.largest
    parents = [p for p in school["parents"] if p.get("password") and p["children"]]
    chosen = parents[:max(n, 1)]
    ctx.logins([p["login"] for p in chosen])
    return [p for p in chosen if ctx.token_of(p["login"])]


def check(ctx, lines):
    for method, path, token, body in lines:
        r, _ = ctx.http.request(method, path, token, body)
        if r.status_code != 200:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:300]}")


def browser_views(ctx, views, users, duration):
    """``users`` parents opening views (3 requests in parallel) in a loop for ``duration`` s."""
    client = loadgen.Client(ctx.cluster.gateway_url)
    stop = time.monotonic() + duration
    lat, errors = [], [0]
    lock = threading.Lock()

    def user(i):
        lines = views[i % len(views)]
        with ThreadPoolExecutor(3) as sub:
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                codes = list(sub.map(lambda l: client.request(*l)[0].status_code, lines))
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    lat.append(ms)
                    if any(c != 200 for c in codes):
                        errors[0] += 1

    t0 = time.perf_counter()
    with ThreadPoolExecutor(users) as pool:
        list(pool.map(user, range(users)))
    return loadgen.stats(lat, time.perf_counter() - t0, errors[0], tool=f"python {users} users x 3 parallel")


def run(ctx, baselines):
    parents = parents_with_sessions(ctx, 64)
    views = view_lines(ctx, parents)
    check(ctx, views[0])
    flat = [line for v in views for line in v]
    noop16 = baselines.get(("noop-rpc", 16), {}).get("rps")
    for conns in (16, 64):
        st = ctx.wrk_or_python(ctx.cluster.gateway_url, flat, conns)
        views_s = st["rps"] / 3 if st.get("rps") else None
        row = ctx.add(bench="parent's view", variant=f"3 requests per view, {len(parents)} parents",
                      clients=conns, baseline="noop-rpc", **st,
                      extra={"views_per_s": round(views_s, 1) if views_s else None})
        if conns == 16:
            row["target"] = "views/s >= 1/2 no-op RPC req/s; p95 < 100 ms"
            row["met"] = bool(views_s and noop16 and views_s >= noop16 / 2 and st["p95"] < 100)
    st = browser_views(ctx, views, 16, ctx.duration)
    ctx.add(bench="parent's view", variant="whole view, 3 requests in parallel", clients=16,
            baseline="noop-rpc", **st, extra={"views_per_s": st["rps"]},
            target="views/s >= 1/2 no-op RPC req/s; p95 < 100 ms",
            met=bool(noop16 and st["rps"] >= noop16 / 2 and st["p95"] < 100))
    # The product's one-request view (GET /api/v1/students/<id>/overview): one session look-up,
    # the three services asked at once (gateway/rpc.py, RpcPool.invoke_many).
    m = ctx.manifest
    overview = [("GET", f"/api/v1/students/{p['children'][0]}/overview?school_year={m['year']}",
                 ctx.token_of(p["login"]), None) for p in parents]
    check(ctx, overview[:1])
    for conns in (16, 64):
        st = ctx.wrk_or_python(ctx.cluster.gateway_url, overview, conns)
        row = ctx.add(bench="parent's view", variant="one request: GET /students/<id>/overview",
                      clients=conns, baseline="noop-rpc", **st, extra={"views_per_s": st["rps"]})
        if conns == 16:
            row["target"] = "views/s >= 1/2 no-op RPC req/s; p95 < 100 ms"
            row["met"] = bool(noop16 and st["rps"] >= noop16 / 2 and st["p95"] < 100)
    # The RosarioSIS bar: one page, one request, wrk -t2 -c16 -d20s.
    grades_only = [v[0] for v in views]
    st = ctx.wrk_or_python(ctx.cluster.gateway_url, grades_only, 16, duration=20)
    ctx.add(bench="RosarioSIS bar", variant="parent's grades page (GET .../grades)", clients=16,
            baseline="noop-rpc", **st, target=f">= {5 * ROSARIO_PARENT_RPS} req/s (5x {ROSARIO_PARENT_RPS}); p99 < 100 ms",
            met=bool(st["rps"] >= 5 * ROSARIO_PARENT_RPS and st["p99"] < 100))
    form_lines = []
    for school in ctx.manifest["schools"]:
        for lesson in school["benchmark_lessons"][:40]:
            try:
                token = ctx.login(lesson["teacher"])
            except RuntimeError:
                continue
            form_lines.append(("GET", f"/api/v1/lessons/{lesson['id']}/attendance", token, None))
    if form_lines:
        check(ctx, form_lines[:1])
        st = ctx.wrk_or_python(ctx.cluster.gateway_url, form_lines, 16, duration=20)
        ctx.add(bench="RosarioSIS bar", variant="teacher's attendance form of a class (GET)", clients=16,
                baseline="noop-rpc", **st,
                target=f">= {5 * ROSARIO_FORM_RPS} req/s (5x {ROSARIO_FORM_RPS}); p99 < 100 ms",
                met=bool(st["rps"] >= 5 * ROSARIO_FORM_RPS and st["p99"] < 100))
