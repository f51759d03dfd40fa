"""The operations dashboard (OPS-4, issue 9 item 2) and the operations API it reads, over HTTP
with Flask's test client and no services: the fake RPC pool of test_gateway_http answers for
identity and archive, and the heartbeats, queues and dead letters of gateway/ops.py are replaced
by fixed figures. Only the association administrator gets the page, the dead-letter pages, the
replay and the API; every other role is refused (403), anonymous visitors go to the login page
(401 on the API). The real page in a real browser: tests/browser/test_operations_pages.py."""
import re
import time

import pytest

from gateway import ops
from gateway.app import create_app
from gateway.web import operations as page
from gateway.web.nav import nav_for

from .test_gateway_http import USERS, FakePool, bearer

DLQ = "evt-messaging-note_issued--identity.on_note_issued.dlq"
NOW = time.time()


def beat(service, instance, *, alive=True, database="ok", rates=None, totals=None, **extra):
    return {"service": service, "instance": instance, "host": "host-a", "pid": 1234, "version": "0.1.0",
            "uptime_s": 3725.0, "at": NOW - 1, "received_at": NOW - 1, "age_s": 1.0 if alive else 40.0,
            "interval_s": 5.0, "alive": alive, "database": database, "outbox_backlog": 3,
            "calls": [{"kind": "rpc", "method": "login", "outcome": "ok", "count": 5}],
            "latency": [{"kind": "rpc", "method": "login", "buckets": [5] * 11, "sum": 0.1, "count": 5}],
            "recent_errors": [], "totals": totals or {"rpc": 90, "event": 10, "errors": 4, "expected_errors": 2},
            "rates": rates, **extra}


INSTANCES = [
    beat("identity", "host-a-1234-aaaaaa", rates={"window_s": 30.0, "rpc_per_s": 1.25, "event_per_s": 0.25,
                                                  "error_per_s": 0.1},
         recent_errors=[{"at": NOW - 5, "method": "login", "kind": "rpc", "error": "RuntimeError: baza zajęta",
                         "call_id": "req-1"}]),
    beat("identity", "host-b-99-bbbbbb", alive=False),
    beat("messaging", "host-a-77-cccccc", database="error", database_error="OperationalError: no such table"),
    beat("archive", "host-a-55-dddddd"),
]
QUEUES = [
    {"name": DLQ, "messages": 2, "ready": 2, "unacked": 0, "consumers": 0, "publish_rate": 0.0, "deliver_rate": 0.0,
     "dead_letter": True},
    {"name": "evt-scheduling-student_removed--identity.on_student_removed", "messages": 7, "ready": 7, "unacked": 0,
     "consumers": 0, "publish_rate": 0.5, "deliver_rate": 0.0, "dead_letter": False},
    {"name": "rpc-identity", "messages": 0, "ready": 0, "unacked": 0, "consumers": 2, "publish_rate": 3.0,
     "deliver_rate": 3.0, "dead_letter": False},
    {"name": "rpc.reply-standalone_rpc_proxy-abc", "messages": 0, "ready": 0, "unacked": 0, "consumers": 1,
     "publish_rate": 0.0, "deliver_rate": 0.0, "dead_letter": False},
]
MGMT_OFF = ("API zarządzania RabbitMQ niedostępne (http://127.0.0.1:15672): ConnectionError. "
            "Włącz wtyczkę rabbitmq_management.")
SCHOOLS = [{"id": "school-a", "name": "Szkoła Podstawowa nr 3 w Sopocie"},
           {"id": "school-b", "name": "Liceum nr 1 w Gdyni"}]
ARCHIVE = {"id": "arch-1", "school_year": "2024/2025", "status": "completed", "status_pl": "gotowe", "percent": 100,
           "message": None, "requested_at": "2025-09-01T08:00:00+00:00", "finished_at": "2025-09-01T08:05:00+00:00",
           "signed": True, "records": 1234}
OTHER_ROLES = [t for t, u in USERS.items() if "association_admin" not in u["roles"]]


class FakeCollector:
    def __init__(self, instances):
        self.instances = instances

    def snapshot(self, wait=True):
        return [dict(i) for i in self.instances]


@pytest.fixture()
def fakes(monkeypatch):
    state = {"instances": list(INSTANCES), "queues": (True, QUEUES), "peeked": [], "replayed": [],
             "messages": [{"event_id": "ev-1", "name": "messaging.note_issued", "reason": "RuntimeError: test",
                           "attempts": 4, "body": {"id": "ev-1", "name": "messaging.note_issued",
                                                   "occurred_at": "2026-01-12T09:00:00+00:00",
                                                   "payload": {"subject": "Brawo <b>"}}}]}
    monkeypatch.setattr(ops, "collector", lambda: FakeCollector(state["instances"]))
    monkeypatch.setattr(ops, "queues", lambda: state["queues"])

    def peek(name, limit=50):
        state["peeked"].append(name)
        if isinstance(state["messages"], Exception):
            raise state["messages"]
        return [dict(m) for m in state["messages"]]

    def replay(name, event_id=None):
        state["replayed"].append((name, event_id))
        return 0 if event_id == "gone" else (1 if event_id else 2)
    monkeypatch.setattr(ops, "peek_dead_letters", peek)
    monkeypatch.setattr(ops, "replay_dead_letters", replay)
    return state


@pytest.fixture()
def app():
    app = create_app({"TESTING": True, "AMQP_URI": "amqp://guest:guest@127.0.0.1:1/",
                      "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False})
    pool = FakePool()
    pool.answers[("identity", "list_schools")] = SCHOOLS
    pool.answers[("archive", "list_archives")] = lambda school_id: [ARCHIVE] if school_id == "school-a" else []
    app.extensions["dziennik_rpc"] = pool
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


def as_user(client, token):
    client.set_cookie("dz_session", token)
    return client


def csrf_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


# ------------------------------------------------------------------ the dashboard

def test_the_association_admin_sees_services_instances_rates_errors_queues_and_archives(client, fakes):
    r = as_user(client, "t-assoc").get("/operacje")
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html[:2000]
    assert "<title>Panel operacyjny – Dziennik elektroniczny</title>" in html
    # Every configured service, running or not.
    for name in ("identity", "scheduling", "grades", "attendance", "messaging", "archive"):
        assert f'<tr data-service="{name}">' in html
    services = re.search(r'data-ops-rows="services">(.*?)</tbody>', html, re.S).group(1)
    identity = re.search(r'data-service="identity">(.*?)</tr>', services, re.S).group(1)
    assert "działa z problemami" in identity and "1 z 2" in identity   # one instance silent
    assert "1,25" in identity and "0,25" in identity and "0,10" in identity   # RPC/s, events/s, errors/s
    assert "4 (4,00%)" in identity   # errors since start, share of calls
    assert "nie działa" in re.search(r'data-service="scheduling">(.*?)</tr>', services, re.S).group(1)
    assert "działa z problemami" in re.search(r'data-service="messaging">(.*?)</tr>', services, re.S).group(1)
    # Instances with their health and last heartbeat.
    assert "host-a-1234-aaaaaa" in html and "brak sygnału" in html and "błąd bazy danych" in html
    assert "OperationalError: no such table" in html and "1 h 2 min" in html
    # Recent errors, queues (reply queues left out), dead letters, outbox backlog.
    assert "RuntimeError: baza zajęta" in html and "req-1" in html
    events = re.search(r'data-ops-rows="event-queues">(.*?)</tbody>', html, re.S).group(1)
    removed = re.search(r'data-queue="evt-scheduling-student_removed--identity.on_student_removed">(.*?)</tr>',
                        events, re.S).group(1)
    assert "identity.on_student_removed" in removed and "scheduling.student_removed" in removed
    assert ">7<" in removed and "brak konsumenta" in removed
    note = re.search(r'data-queue="evt-messaging-note_issued--identity.on_note_issued">(.*?)</tr>', events, re.S).group(1)
    assert "nieprzetworzone: 2" in note and f'href="/operacje/zdarzenia-nieprzetworzone/{DLQ}"' in note
    rpc_row = re.search(r'data-queue="rpc-identity">(.*?)</tr>', html, re.S).group(1)
    assert "brak konsumenta" not in rpc_row and "3,00" in rpc_row
    assert "rpc.reply-standalone_rpc_proxy-abc" not in html
    assert "Kolejek: 4, wiadomości w nich: 9. Niewymienione: kolejki odpowiedzi RPC (1) i inne (0)." in html
    dlq_list = re.search(r"<div data-ops-dlq>(.*?)</div>", html, re.S).group(1)
    assert f'href="/operacje/zdarzenia-nieprzetworzone/{DLQ}"' in dlq_list
    # The last archive of each school.
    assert "Szkoła Podstawowa nr 3 w Sopocie" in html and "2024/2025" in html and "podpisane" in html
    assert "Brak archiwum." in html
    # The sparklines' places and the script's settings.
    assert 'data-spark="identity:calls"' in html and 'data-spark="identity:errors"' in html
    assert "/api/v1/ops/instances?summary=1" in html


def test_the_page_keeps_to_the_csp_and_refreshes_without_javascript(client, fakes):
    r = as_user(client, "t-assoc").get("/operacje")
    html = r.get_data(as_text=True)
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert '<script src="/static/operations.js" defer></script>' in html
    assert "<style" not in html and " style=" not in html
    assert '<noscript><meta http-equiv="refresh" content="30"></noscript>' in html
    assert 'href="/operacje?odswiezanie=0"' in html    # turn it off
    off = client.get("/operacje?odswiezanie=0").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in off and "nie odświeża się sama" in off
    assert client.get("/static/operations.js").status_code == 200
    assert client.get("/static/operations.css").status_code == 200


def test_without_the_management_api_the_page_says_so(client, fakes):
    fakes["queues"] = (False, MGMT_OFF)
    html = as_user(client, "t-assoc").get("/operacje").get_data(as_text=True)
    assert "Głębokości kolejek i liczby konsumentów są niedostępne" in html and "rabbitmq_management" in html
    assert "lista kolejek nie jest znana" in html and 'name="kolejka"' in html   # the lookup still works
    assert 'data-service="identity"' in html   # heartbeats do not need the management API


def test_without_archive_the_page_says_so_and_asks_nothing(client, app, fakes):
    fakes["instances"] = [i for i in INSTANCES if i["service"] != "archive"]
    html = as_user(client, "t-assoc").get("/operacje").get_data(as_text=True)
    assert "Usługa archiwum nie działa" in html
    assert not [c for c in app.extensions["dziennik_rpc"].calls if c["service"] == "archive"]


def test_the_menu_shows_the_dashboard_to_the_association_admin_only():
    assert "Panel operacyjny" in [i.label for i in nav_for(["association_admin"])]
    for roles in (["school_admin"], ["deputy_admin"], ["director"], ["teacher", "class_teacher"], ["secretary"],
                  ["parent"], ["student"], ["inspector"]):
        assert "Panel operacyjny" not in [i.label for i in nav_for(roles)], roles


# ------------------------------------------------------------------ dead letters: inspect and replay

def test_a_dead_letter_queue_is_shown_and_replayed(client, fakes):
    as_user(client, "t-assoc")
    r = client.get("/operacje/zdarzenia-nieprzetworzone?kolejka=" + DLQ[:-4])   # the lookup form adds .dlq
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/operacje/zdarzenia-nieprzetworzone/{DLQ}")
    r = client.get(f"/operacje/zdarzenia-nieprzetworzone/{DLQ}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and fakes["peeked"] == [DLQ]
    assert "ev-1" in html and "RuntimeError: test" in html and "identity.on_note_issued" in html
    assert "Brawo &lt;b&gt;" in html                           # the body is escaped
    token = csrf_of(html)
    r = client.post(f"/operacje/zdarzenia-nieprzetworzone/{DLQ}/ponow", data={"csrf_token": token, "event_id": "ev-1"})
    assert r.status_code == 302 and fakes["replayed"] == [(DLQ, "ev-1")]
    page_after = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Ponowiono 1 zdarzenie" in page_after
    r = client.post(f"/operacje/zdarzenia-nieprzetworzone/{DLQ}/ponow", data={"csrf_token": token})
    assert fakes["replayed"][-1] == (DLQ, None)
    assert "Ponowiono 2 zdarzenia" in client.get(r.headers["Location"]).get_data(as_text=True)
    client.post(f"/operacje/zdarzenia-nieprzetworzone/{DLQ}/ponow", data={"csrf_token": token, "event_id": "gone"})
    assert "Tego zdarzenia nie ma już w kolejce" in client.get(f"/operacje/zdarzenia-nieprzetworzone/{DLQ}").get_data(as_text=True)


def test_replay_needs_the_form_token(client, fakes):
    r = as_user(client, "t-assoc").post(f"/operacje/zdarzenia-nieprzetworzone/{DLQ}/ponow", data={})
    assert r.status_code == 403 and not fakes["replayed"]


def test_only_dead_letter_queues_can_be_opened(client, fakes):
    as_user(client, "t-assoc")
    for name in ("rpc-identity", "evt-x--identity.on_x", "not-a-queue.dlq"):
        r = client.get(f"/operacje/zdarzenia-nieprzetworzone/{name}")
        assert r.status_code == 404 and "Nie znaleziono kolejki" in r.get_data(as_text=True), name
    assert not fakes["peeked"]


def test_a_broker_outage_is_a_polish_503_page(client, fakes):
    fakes["messages"] = ConnectionRefusedError(111, "Connection refused")
    r = as_user(client, "t-assoc").get(f"/operacje/zdarzenia-nieprzetworzone/{DLQ}")
    assert r.status_code == 503 and "Brak połączenia z RabbitMQ" in r.get_data(as_text=True)
    assert "Traceback" not in r.get_data(as_text=True)


# ------------------------------------------------------------------ everyone else is refused

@pytest.mark.parametrize("token", OTHER_ROLES)
def test_every_other_role_is_refused_the_pages_the_replay_and_the_api(client, fakes, token):
    as_user(client, token)
    for path in ("/operacje", f"/operacje/zdarzenia-nieprzetworzone/{DLQ}", "/operacje/zdarzenia-nieprzetworzone?kolejka=x"):
        r = client.get(path)
        html = r.get_data(as_text=True)
        assert r.status_code == 403 and "Brak dostępu" in html, (token, path)
        assert "Panel operacyjny" not in html and "host-a-1234-aaaaaa" not in html
    # A valid form token of this user's session: the role is what refuses the replay.
    r = client.post(f"/operacje/zdarzenia-nieprzetworzone/{DLQ}/ponow", data={"csrf_token": csrf_of(html)})
    assert r.status_code == 403 and "Formularz wygasł" not in r.get_data(as_text=True)
    assert not fakes["peeked"] and not fakes["replayed"]
    api = client.application.test_client()
    for method, path in (("get", "/api/v1/ops/instances"), ("get", "/api/v1/ops/instances?summary=1"),
                         ("get", "/api/v1/ops/queues"), ("get", f"/api/v1/ops/dead-letters/{DLQ}"),
                         ("post", f"/api/v1/ops/dead-letters/{DLQ}/replay")):
        kwargs = {"json": {}} if method == "post" else {}
        r = getattr(api, method)(path, headers=bearer(token), **kwargs)
        assert r.status_code == 403, (token, path, r.status_code)
    assert not fakes["peeked"] and not fakes["replayed"]


def test_anonymous_visitors_go_to_the_login_page_and_get_401_from_the_api(client, fakes):
    r = client.get("/operacje")
    assert r.status_code == 302 and r.headers["Location"].startswith("/logowanie?next=/operacje")
    assert client.get("/api/v1/ops/instances?summary=1").status_code == 401


# ------------------------------------------------------------------ the API: totals, rates, summary

class Message:
    def ack(self):
        pass


def calls(rpc_ok, event_ok, errors, expected=0):
    return [{"kind": "rpc", "method": "login", "outcome": "ok", "count": rpc_ok},
            {"kind": "rpc", "method": "login", "outcome": "error", "count": errors},
            {"kind": "rpc", "method": "get_account", "outcome": "expected_error", "count": expected},
            {"kind": "event", "method": "on_note_issued", "outcome": "ok", "count": event_ok}]


def test_the_collector_computes_totals_and_rates_over_its_window(monkeypatch):
    c = ops.HeartbeatCollector("amqp://nowhere/")
    monkeypatch.setattr(c, "ensure_started", lambda: None)
    c.started_at = time.time() - 60
    t = time.time()
    base = {"service": "identity", "instance": "i-1", "interval_s": 5.0, "latency": []}
    c._on_beat({**base, "at": t - 10, "calls": calls(10, 2, 0)}, Message())
    (first,) = c.snapshot()
    assert first["rates"] is None and first["totals"] == {"rpc": 10, "event": 2, "errors": 0, "expected_errors": 0}
    c._on_beat({**base, "at": t, "calls": calls(50, 12, 5, 3)}, Message())
    (inst,) = c.snapshot()
    assert inst["totals"] == {"rpc": 58, "event": 12, "errors": 5, "expected_errors": 3}
    assert inst["rates"] == {"window_s": 10.0, "rpc_per_s": 4.8, "event_per_s": 1.0, "error_per_s": 0.5}
    # Old heartbeats leave the window (one is kept at its start).
    for k in range(1, 12):
        c._on_beat({**base, "at": t + 5 * k, "calls": calls(50 + 10 * k, 12, 5, 3)}, Message())
    (inst,) = c.snapshot()
    assert ops.RATE_WINDOW <= inst["rates"]["window_s"] < ops.RATE_WINDOW + 5
    assert inst["rates"]["rpc_per_s"] == 2.0 and inst["rates"]["event_per_s"] == 0.0


def test_summary_leaves_out_the_per_method_figures(client, fakes):
    full = client.get("/api/v1/ops/instances", headers=bearer("t-assoc")).get_json()["instances"]
    short = client.get("/api/v1/ops/instances?summary=1", headers=bearer("t-assoc")).get_json()["instances"]
    assert "calls" in full[0] and "latency" in full[0]
    assert len(short) == len(full) and not {"calls", "latency"} & set(short[0])
    assert short[0]["totals"] == full[0]["totals"] and short[0]["rates"] == full[0]["rates"]
    assert short[0]["recent_errors"] and short[0]["instance"] == "host-a-1234-aaaaaa"


def test_figures_in_polish():
    assert page.num_pl(1.5) == "1,50" and page.num_pl(None) == "—"
    assert page.duration_pl(42) == "42 s" and page.duration_pl(3725) == "1 h 2 min" and page.duration_pl(200000) == "2 d 7 h"
    assert [page.events_pl(n) for n in (1, 2, 5, 12, 22, 25)] == [
        "1 zdarzenie", "2 zdarzenia", "5 zdarzeń", "12 zdarzeń", "22 zdarzenia", "25 zdarzeń"]
    assert page.describe_queue(DLQ) == {"event": "messaging.note_issued", "handler": "identity.on_note_issued",
                                        "main": DLQ[:-4]}
    assert page.describe_queue("evt-all--identity.on_any_event.dlq")["event"] == "każde zdarzenie"
