"""A teacher entering a column of grades for a class: ``POST /api/v1/classes/<c>/subjects/<s>/
grade-columns`` with one grade for every student (25-30), all or nothing. 16 teachers of the
largest school at once, each entering columns of the classes and subjects they teach."""
import random

from tests.perf import loadgen
from tests.perf.common import cpu_per_request

NAME = "grade_column"
TEACHERS = 16
COLUMNS_EACH = 8


def run(ctx, baselines):
    school = ctx.largest
    classes = {c["id"]: c for c in school["classes"]}
    cats = school["categories"]
    by_teacher = {}
    for a in school["assignments"]:
        by_teacher.setdefault(a["teacher"], []).append(a)
    teachers = sorted(by_teacher)[:TEACHERS]
    ctx.logins(teachers)
    rng = random.Random(42)
    items = []
    for i in range(COLUMNS_EACH):
        for t in teachers:
            a = by_teacher[t][i % len(by_teacher[t])]
            grades = [{"student_id": sid, "value": str(rng.randint(2, 5))} for sid in classes[a["class_id"]]["student_ids"]]
            items.append((t, a, {"category_id": cats["kartkówka"], "description": f"Kartkówka (test {i + 1})",
                                 "grades": grades}))

    def one(item):
        t, a, body = item
        r, ms = ctx.http.request("POST", f"/api/v1/classes/{a['class_id']}/subjects/{a['subject_id']}/grade-columns",
                                 ctx.token_of(t), body)
        if r.status_code != 201:
            return False, ms, r.text[:200]
        return True, ms, len(body["grades"])

    before = ctx.cpu()
    lat, errors, seconds, results = loadgen.closed_loop(one, items, len(teachers))
    st = loadgen.stats(lat, seconds, errors, tool=f"python {len(teachers)} teachers")
    st["cpu_ms"] = cpu_per_request(before, ctx.cpu(), len(items))
    grades = sum(x for x in results if isinstance(x, int))
    bad = [x for x in results if isinstance(x, str)][:1]
    return ctx.add(bench="grade column", variant=f"{len(items)} columns of a class (~{grades // max(1, len(items))} grades each)",
                   clients=len(teachers), baseline="noop-rpc", **st,
                   extra={"grades_per_s": round(grades / seconds, 1), "first_error": bad[0] if bad else None})
