"""A broadcast: the director of the largest school writes to all its parents (``POST
/api/v1/messages`` with the group ``all_parents``; recipients are resolved and stored at
sending, one row each, in the same transaction as the message).

Measured three times: the time to send (the answer), and the time until every recipient's
mailbox shows it: the sender's receipt summary is asked until it counts every parent as a
recipient (one row per mailbox, what the inbox reads), and 64 parents chosen at random open
their inbox at once right after (``messaging.inbox`` as that parent, the call behind the
mailbox page). Then, as a check that nobody is missing, every parent's inbox is read, 16 at a
time (that sweep's duration is the cost of asking 2,447 mailboxes, not of delivery).
Then the read receipts of the first broadcast: the logged-in parents open it (``GET
/api/v1/messages/<id>``, each recording a receipt), 16 at a time; and the sender's summary
(``GET .../receipts?summary=true``) counts them."""
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from tests.perf import loadgen
from tests.perf.common import cpu_per_request

NAME = "broadcast"
ROUNDS = 3
TARGET_S = 5.0


def _ctx(account):
    return {"user_id": account["id"], "school_id": account.get("school_id"), "roles": account["roles"]}


def run(ctx, baselines):
    school = ctx.largest
    director = school["staff"][f"{school['key']}.dyrektor"]
    token = ctx.login(director["login"])
    parents = school["parents"]
    sends, visibles, ids, sweeps = [], [], [], []
    for i in range(ROUNDS):
        before = ctx.cpu()
        t0 = time.perf_counter()
        r, ms = ctx.http.request("POST", "/api/v1/messages", token, {
            "subject": f"Komunikat dyrekcji {i + 1}", "body": "Szanowni Państwo, jutro zajęcia kończą się o 12:00.",
            "groups": [{"kind": "all_parents"}]})
        if r.status_code != 201:
            raise RuntimeError(f"broadcast: {r.status_code} {r.text[:300]}")
        message = r.json()
        ids.append(message["id"])
        sends.append(ms)
        send_cpu = cpu_per_request(before, ctx.cpu(), 1)

        def shows(parent, message_id=message["id"]):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                rows = ctx.rpc.call(_ctx(parent), "messaging", "inbox", 5)
                if any(x["id"] == message_id for x in rows):
                    return time.perf_counter()
                time.sleep(0.1)
            return None

        counted = None
        while time.perf_counter() - t0 < 60:
            rr, _ = ctx.http.request("GET", f"/api/v1/messages/{message['id']}/receipts?summary=true&page_size=1",
                                     token)
            if rr.status_code == 200 and ((rr.json().get("counts") or {}).get("total") or 0) >= len(parents):
                counted = time.perf_counter() - t0
                break
            time.sleep(0.05)
        sample = random.Random(i).sample(parents, min(64, len(parents)))
        with ThreadPoolExecutor(64) as pool:
            sampled = list(pool.map(shows, sample))
        sample_s = (max(sampled) - t0) if all(sampled) else None
        sweep0 = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            seen = list(pool.map(shows, parents))
        missing = sum(1 for x in seen if x is None)
        visibles.append(max(counted, sample_s) if counted is not None and sample_s is not None and not missing
                        else None)
        sweeps.append(round(time.perf_counter() - sweep0, 1))
        ctx.log(f"    broadcast {i + 1}: sent to {message.get('recipient_count')} in {ms:.0f} ms; every parent "
                f"counted as a recipient after {counted and round(counted, 2)} s, 64 random inboxes showed it "
                f"after {sample_s and round(sample_s, 2)} s; all {len(parents)} inboxes read in {sweeps[-1]} s, "
                f"missing {missing}")
    send_med = statistics.median(sends)
    vis = [v for v in visibles if v is not None]
    vis_med = statistics.median(vis) if len(vis) == len(visibles) else None
    st = {"tool": "python", "requests": ROUNDS, "errors": 0, "rps": None,
          "p50": round(send_med, 1), "p95": round(max(sends), 1), "p99": round(max(sends), 1), "cpu_ms": send_cpu}
    ctx.add(bench="broadcast", variant=f"to all {len(parents)} parents: send (median of {ROUNDS})", clients=1,
            baseline="noop-rpc", **st,
            extra={"send_ms": [round(x) for x in sends], "every_mailbox_s": [v and round(v, 2) for v in visibles],
                   "reading_all_inboxes_s": sweeps},
            target=f"every mailbox within {TARGET_S:.0f} s", met=bool(vis_med is not None and max(vis) <= TARGET_S))
    # Read receipts: logged-in parents open the first broadcast.
    readers = [p for p in parents if ctx.token_of(p["login"])]
    if not readers:
        readers = [p for p in parents if p.get("password")][:200]
        ctx.logins([p["login"] for p in readers])

    def read(parent):
        r, ms = ctx.http.request("GET", f"/api/v1/messages/{ids[0]}", ctx.token_of(parent["login"]))
        return r.status_code == 200, ms

    before = ctx.cpu()
    lat, errors, seconds, _ = loadgen.closed_loop(read, readers, 16)
    st = loadgen.stats(lat, seconds, errors, tool="python x16")
    st["cpu_ms"] = cpu_per_request(before, ctx.cpu(), len(readers))
    r, _ = ctx.http.request("GET", f"/api/v1/messages/{ids[0]}/receipts?summary=true&page_size=1", token)
    counts = r.json().get("counts") if r.status_code == 200 else None
    ctx.add(bench="broadcast", variant=f"read receipts: {len(readers)} parents open it", clients=16,
            baseline="noop-rpc", **st, extra={"receipt_counts": counts})
