"""Login storm: 1,000 logins in a minute (the failure of 26 October 2020 between 8 and 9 am).

Open loop: logins start at 1000/60 per second whatever the answers take, each a ``POST
/api/v1/auth/login`` of a parent of the largest school (distinct accounts as far as the data
has passwords, then again from the first). Reports the latency of each login, how many failed
(401, 503), and when the last one finished; the argon2id parameters and the CPU time of one
verification on this machine explain the result. The sessions are kept for the parent's view,
the read receipts and the other benchmarks."""
import threading
import time

from tests.perf import loadgen

NAME = "login"
LOGINS = 1000
SECONDS = 60.0
CAPACITY_LOGINS = 80


def argon2_cost():
    from argon2 import PasswordHasher
    from services.identity.service import hasher
    h = hasher if isinstance(hasher, PasswordHasher) else PasswordHasher()
    stored = h.hash("Perf-Dziennik-2026")
    t0 = time.process_time()
    for _ in range(3):
        h.verify(stored, "Perf-Dziennik-2026")
    cpu = (time.process_time() - t0) / 3
    owasp = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
    stored2 = owasp.hash("Perf-Dziennik-2026")
    t0 = time.process_time()
    for _ in range(3):
        owasp.verify(stored2, "Perf-Dziennik-2026")
    cpu_owasp = (time.process_time() - t0) / 3
    return {"type": "argon2id", "time_cost": h.time_cost, "memory_cost_kib": h.memory_cost,
            "parallelism": h.parallelism, "hash_len": h.hash_len, "salt_len": h.salt_len,
            "verify_cpu_s": round(cpu, 3), "owasp_min_verify_cpu_s": round(cpu_owasp, 3)}


def run(ctx, baselines):
    school = ctx.largest
    parents = [p["login"] for p in school["parents"] if p.get("password")]
    if not parents:
        raise RuntimeError("no parent of the largest school has a password (tools.datagen --login-parents)")
    cost = argon2_cost()
    ctx.note(f"argon2id parameters: t={cost['time_cost']}, m={cost['memory_cost_kib']} KiB, "
             f"p={cost['parallelism']}; one verification costs {cost['verify_cpu_s']} CPU-s here "
             f"(OWASP's minimum t=2, m=19 MiB, p=1: {cost['owasp_min_verify_cpu_s']} CPU-s)")
    items = [parents[i % len(parents)] for i in range(LOGINS)]
    tokens, codes = {}, {}
    lock = threading.Lock()

    def one(login):
        try:
            r, ms = ctx.http.request("POST", "/api/v1/auth/login",
                                     body={"login": login, "password": ctx.password})
        except Exception as exc:   # noqa: BLE001  (a client timeout: counted, then re-raised)
            with lock:
                codes[type(exc).__name__] = codes.get(type(exc).__name__, 0) + 1
            raise
        with lock:
            codes[str(r.status_code)] = codes.get(str(r.status_code), 0) + 1
        if r.status_code == 200:
            tokens[login] = r.json()["token"]
            return True, ms
        return False, ms

    lat, errors, seconds, lateness = loadgen.open_loop(one, items, LOGINS / SECONDS, concurrency=256)
    for login, token in tokens.items():
        ctx.remember(login, token)
    st = loadgen.stats(lat, seconds, errors, tool=f"python open loop {LOGINS / SECONDS:.1f}/s")
    distinct = len(set(items))
    ok = codes.get("200", 0)
    row = ctx.add(bench="login storm", variant=f"{LOGINS} logins in {SECONDS:.0f} s ({distinct} accounts)",
                  clients="open loop", baseline="noop-rpc", **st,
                  extra={"succeeded": ok, "failed": LOGINS - ok, "answers": dict(sorted(codes.items())),
                         "finished_after_s": round(seconds, 1), "argon2": cost},
                  target=f"{LOGINS} logins within {SECONDS:.0f} s, none failed",
                  met=ok == LOGINS and seconds <= SECONDS + 5)
    # Capacity: as many logins as the system completes with 8 clients always waiting.
    time.sleep(5)
    cap_items = [parents[i % len(parents)] for i in range(CAPACITY_LOGINS)]
    lat2, errors2, seconds2, _ = loadgen.closed_loop(one, cap_items, 8)
    st2 = loadgen.stats(lat2, seconds2, errors2, tool="python closed loop x8")
    ctx.add(bench="login storm", variant=f"capacity: {CAPACITY_LOGINS} logins, 8 at a time", clients=8,
            baseline="noop-rpc", **st2,
            extra={"logins_per_minute": round(60 * (CAPACITY_LOGINS - errors2) / seconds2)})
    ctx.note(f"login storm: {ok} of {LOGINS} logins succeeded, the last finished after {seconds:.1f} s; "
             f"a 2-core machine has {2 * SECONDS:.0f} CPU-s a minute and {LOGINS} verifications need "
             f"{LOGINS * cost['verify_cpu_s']:.0f}")
    return row
