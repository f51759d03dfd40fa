"""identity over the real broker (issue 3): credentials, sessions, activation codes and the
annexes, grants, login statistics, the audit log, personal data and the parent's data report."""
import base64
import io
import time
import uuid

import pytest
from pypdf import PdfReader
from sqlalchemy import create_engine, text

from services.common.db import normalise_url
from services.common.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from tests.harness import Cluster, wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"


@pytest.fixture(scope="module")
def cluster(backend_kind):
    c = Cluster(backend_kind, extra_env={"DZIENNIK_SESSION_IDLE_MINUTES": "0.05",
                                         "DZIENNIK_LOGIN_THROTTLE_SECONDS": "0.1"}).migrate()
    try:
        c.start_services(["identity", "scheduling"])
        yield c
    finally:
        c.stop()


def ctx_of(a):
    return {"user_id": a["id"], "school_id": a["school_id"], "roles": a["roles"], "ip": "203.0.113.7"}


def pdf_text(b64):
    reader = PdfReader(io.BytesIO(base64.b64decode(b64)))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="module")
def school(cluster):
    tag = uuid.uuid4().hex[:6]
    rpc = cluster.rpc
    s = rpc("identity", "create_school", {"name": f"Szkoła Podstawowa nr 7 w Łodzi {tag}", "short_name": f"i{tag}"})

    def acc(roles, first, last, password=PASSWORD, **kw):
        return rpc("identity", "create_account", {"school_id": s["id"], "first_name": first, "last_name": last,
                                                  "roles": roles, "password": password, **kw})
    people = dict(
        admin=acc(["school_admin"], "Anna", "Żak"),
        director=acc(["director"], "Dorota", "Dyrektorska"),
        secretary=acc(["secretary"], "Sabina", "Sekretarska"),
        teacher=acc(["teacher"], "Tadeusz", "Łęcki"),
        wych=acc(["teacher", "class_teacher"], "Wiesława", "Wychowawczyni"),
        student=acc(["student"], "Zuzanna", "Gęślińska"),
        student2=acc(["student"], "Jędrzej", "Ćwik"),
        parent=acc(["parent"], "Paweł", "Gęśliński"),
        other_parent=acc(["parent"], "Olga", "Obca"),
        fresh=acc(["student"], "Świeży", "Uczeń", password=None),
        fresh_parent=acc(["parent"], "Źdźisław", "Świeży", password=None),
    )
    admin = ctx_of(people["admin"])
    rpc("identity", "link_guardian", s["id"], {"parent_id": people["parent"]["id"], "student_id": people["student"]["id"]}, ctx=admin)
    rpc("identity", "link_guardian", s["id"], {"parent_id": people["fresh_parent"]["id"], "student_id": people["fresh"]["id"]}, ctx=admin)
    klass = rpc("scheduling", "create_class", s["id"], {"name": "7b", "class_teacher_id": people["wych"]["id"]}, ctx=admin)
    for st in ("student", "fresh"):
        rpc("scheduling", "enrol_student", klass["id"], {"student_id": people[st]["id"]}, ctx=admin)
    return dict(school=s, klass=klass, **people)


def login(cluster, account, password=PASSWORD):
    return cluster.rpc("identity", "login", {"login": account["login"], "password": password, "ip": "203.0.113.7"})


def test_acc7_failed_logins_throttle_then_block_and_admin_unblocks(cluster, school):
    victim = cluster.rpc("identity", "create_account", {"school_id": school["school"]["id"], "first_name": "Ofiara",
                                                        "last_name": "Zgadywania", "roles": ["student"], "password": PASSWORD})
    messages = []
    while len([m for m in messages if m.startswith("Nieprawidłowy")]) < 10:
        try:
            login(cluster, victim, "zle-haslo-123")
        except Unauthenticated as exc:
            messages.append(exc.message)
            if "Spróbuj ponownie za" in exc.message:
                time.sleep(float(exc.message.split("za ")[1].split(" ")[0]))
        assert len(messages) < 30
    assert any("Spróbuj ponownie za" in m for m in messages)
    blocked = cluster.rpc("identity", "list_blocked_accounts", school["school"]["id"], ctx=ctx_of(school["admin"]))
    assert victim["id"] in [a["id"] for a in blocked]
    with pytest.raises(Unauthenticated, match="zablokowane"):
        login(cluster, victim)
    with pytest.raises(Forbidden):
        cluster.rpc("identity", "unblock_account", victim["id"], ctx=ctx_of(school["teacher"]))
    cluster.rpc("identity", "unblock_account", victim["id"], ctx=ctx_of(school["admin"]))
    assert login(cluster, victim)["token"]


def test_acc13_logout_all_password_change_and_idle_sessions(cluster, school):
    t = school["teacher"]
    first, second = login(cluster, t), login(cluster, t)
    result = cluster.rpc("identity", "change_password", {"current_password": PASSWORD, "new_password": "Nowe haslo 2026"},
                         first["session_id"], ctx=ctx_of(t))
    assert result["sessions_ended"] >= 1
    cluster.rpc("identity", "resolve_session", first["token"])          # the current one stays
    with pytest.raises(Unauthenticated):
        cluster.rpc("identity", "resolve_session", second["token"])     # others end at once
    with pytest.raises(Invalid):
        cluster.rpc("identity", "change_password", {"current_password": "Nowe haslo 2026", "new_password": "password123"},
                    ctx=ctx_of(t))
    cluster.rpc("identity", "change_password", {"current_password": "Nowe haslo 2026", "new_password": PASSWORD},
                ctx=ctx_of(t))
    a, b = login(cluster, t), login(cluster, t)
    assert cluster.rpc("identity", "logout_all", ctx=ctx_of(t))["ended"] >= 2
    for s in (a, b):
        with pytest.raises(Unauthenticated):
            cluster.rpc("identity", "resolve_session", s["token"])
    idle = login(cluster, t)
    time.sleep(3.5)   # DZIENNIK_SESSION_IDLE_MINUTES=0.05 in this cluster
    with pytest.raises(Unauthenticated, match="Sesja wygasła"):
        cluster.rpc("identity", "resolve_session", idle["token"])


def test_acc5_bulk_activation_codes_for_a_class_and_annexes(cluster, school):
    admin = ctx_of(school["admin"])
    issued = cluster.rpc("identity", "issue_activation_codes", school["school"]["id"],
                         {"class_id": school["klass"]["id"], "roles": ["student", "parent"]}, ctx=admin)
    assert issued["count"] == 4   # two students, their two parents
    slips = pdf_text(issued["pdf_base64"])
    assert "Świeży Uczeń" in slips and "Źdźisław Świeży" in slips and "Kod aktywacyjny" in slips
    code = slips.split(school["fresh"]["login"])[1].split("Kod aktywacyjny: ")[1].split()[0]
    with pytest.raises(Invalid):   # the policy applies to the first password too
        cluster.rpc("identity", "redeem_activation_code", {"login": school["fresh"]["login"], "code": code, "password": "haslo123"})
    cluster.rpc("identity", "redeem_activation_code", {"login": school["fresh"]["login"], "code": code.lower(),
                                                       "password": "Moje pierwsze haslo"})
    assert login(cluster, school["fresh"], "Moje pierwsze haslo")["token"]
    with pytest.raises(Unauthenticated, match="Kod aktywacyjny"):   # one-time
        cluster.rpc("identity", "redeem_activation_code", {"login": school["fresh"]["login"], "code": code,
                                                           "password": "Jeszcze inne haslo"})
    # Annex 1: parents' list with a signature column and no codes.
    annex = cluster.rpc("identity", "access_confirmation_list", school["school"]["id"],
                        {"kind": "parents", "class_id": school["klass"]["id"], "school_year": "2026/2027"}, ctx=admin)
    text_ = pdf_text(annex["pdf_base64"])
    assert "ZAŁĄCZNIK NR 1" in text_ and "Data i podpis" in text_ and "Paweł Gęśliński" in text_
    assert "Kod" not in text_ and code not in text_
    teachers = pdf_text(cluster.rpc("identity", "access_confirmation_list", school["school"]["id"],
                                    {"kind": "teachers", "school_year": "2026/2027"}, ctx=admin)["pdf_base64"])
    assert "ZAŁĄCZNIK NR 3" in teachers and "Tadeusz Łęcki" in teachers
    with pytest.raises(Forbidden):
        cluster.rpc("identity", "issue_activation_codes", school["school"]["id"],
                    {"account_ids": [school["student"]["id"]]}, ctx=ctx_of(school["teacher"]))


def test_acc6_a_new_code_revokes_the_old_one_and_expired_codes_are_refused(cluster, school):
    admin = ctx_of(school["admin"])
    target = school["fresh_parent"]
    first = pdf_text(cluster.rpc("identity", "issue_activation_codes", school["school"]["id"],
                                 {"account_ids": [target["id"]]}, ctx=admin)["pdf_base64"])
    second = pdf_text(cluster.rpc("identity", "issue_activation_codes", school["school"]["id"],
                                  {"account_ids": [target["id"]]}, ctx=admin)["pdf_base64"])
    old, new = (t.split("Kod aktywacyjny: ")[1].split()[0] for t in (first, second))
    with pytest.raises(Unauthenticated):
        cluster.rpc("identity", "redeem_activation_code", {"login": target["login"], "code": old, "password": "Zupelnie nowe haslo"})
    engine = create_engine(normalise_url(cluster.env["IDENTITY_DATABASE_URL"]))
    with engine.begin() as conn:
        conn.execute(text("UPDATE activation_codes SET expires_at = :t WHERE used_at IS NULL"),
                     {"t": "2020-01-01 00:00:00+00:00"})
    engine.dispose()
    with pytest.raises(Unauthenticated):
        cluster.rpc("identity", "redeem_activation_code", {"login": target["login"], "code": new, "password": "Zupelnie nowe haslo"})


def test_acc4_grants_are_audited_and_limited_to_administrators(cluster, school):
    admin = ctx_of(school["admin"])
    t = school["teacher"]
    assert "vice_director" in cluster.rpc("identity", "grant_role", t["id"], {"role": "vice_director"}, ctx=admin)["roles"]
    with pytest.raises(Forbidden):
        cluster.rpc("identity", "grant_role", t["id"], {"role": "school_admin"}, ctx=ctx_of(school["director"]))
    with pytest.raises(Invalid):
        cluster.rpc("identity", "grant_role", school["parent"]["id"], {"role": "teacher"}, ctx=admin)
    assert "vice_director" not in cluster.rpc("identity", "revoke_role", t["id"], {"role": "vice_director"}, ctx=admin)["roles"]
    with pytest.raises(Conflict):
        cluster.rpc("identity", "revoke_role", school["admin"]["id"], {"role": "school_admin"}, ctx=admin)

    def audited():
        entries = cluster.rpc("identity", "search_audit", school["school"]["id"], {"subject_id": t["id"]}, ctx=admin)
        return {"identity.role_granted", "identity.role_revoked"} <= {e["action"] for e in entries} and entries
    entries = wait_for(audited, timeout=20, what="grants in the audit log")
    granted = next(e for e in entries if e["action"] == "identity.role_granted")
    assert granted["actor_id"] == school["admin"]["id"] and granted["ip"] == "203.0.113.7"


def test_acc11_logins_are_in_the_audit_log_and_only_admins_search_it(cluster, school):
    login(cluster, school["student2"])
    entries = cluster.rpc("identity", "search_audit", school["school"]["id"], {"action": "login."},
                          ctx=ctx_of(school["admin"]))
    assert any(e["actor_id"] == school["student2"]["id"] and e["action"] == "login.success" for e in entries)
    with pytest.raises(Forbidden):
        cluster.rpc("identity", "search_audit", school["school"]["id"], {}, ctx=ctx_of(school["director"]))
    session = login(cluster, school["student2"])
    assert session["user"]["monitoring_notice_required"] is True
    cluster.rpc("identity", "acknowledge_monitoring_notice", ctx=ctx_of(school["student2"]))
    assert login(cluster, school["student2"])["user"]["monitoring_notice_required"] is False


def test_acc8_login_statistics_by_scope(cluster, school):
    sid = school["school"]["id"]
    login(cluster, school["student"])
    everyone = cluster.rpc("identity", "login_statistics", sid, {}, ctx=ctx_of(school["director"]))
    assert everyone["scope"] == "all" and school["teacher"]["id"] in {u["user_id"] for u in everyone["users"]}
    teacher_view = cluster.rpc("identity", "login_statistics", sid, {}, ctx=ctx_of(school["teacher"]))
    assert all("student" in u["roles"] for u in teacher_view["users"])
    me = next(u for u in teacher_view["users"] if u["user_id"] == school["student"]["id"])
    assert me["success"] >= 1 and me["last_login"]
    with pytest.raises(Forbidden):
        cluster.rpc("identity", "login_statistics", sid, {}, ctx=ctx_of(school["parent"]))
    with pytest.raises(Forbidden):
        cluster.rpc("identity", "login_statistics", sid, {}, ctx=ctx_of(school["student"]))


def test_org8_personal_data_and_org9_completeness(cluster, school):
    st, sid = school["student"], school["school"]["id"]
    with pytest.raises(Invalid, match="PESEL"):
        cluster.rpc("identity", "update_student_profile", st["id"], {"pesel": "12345678901"}, ctx=ctx_of(school["secretary"]))
    with pytest.raises(Forbidden):
        cluster.rpc("identity", "update_student_profile", st["id"], {"phone": "600 100 200"}, ctx=ctx_of(school["student"]))
    incomplete = {r["student_id"]: r for r in cluster.rpc("identity", "incomplete_profiles", sid, ctx=ctx_of(school["secretary"]))}
    assert "adres zamieszkania" in incomplete[st["id"]]["missing_pl"]
    assert "guardian" in incomplete[school["student2"]["id"]]["missing"]
    cluster.rpc("identity", "update_student_profile", st["id"], {
        "pesel": "15211512345", "birth_date": "2015-01-15", "birth_place": "Łódź",
        "address": "ul. Piotrkowska 1, 90-001 Łódź", "phone": "600 100 200"}, ctx=ctx_of(school["secretary"]))
    assert st["id"] not in {r["student_id"] for r in cluster.rpc("identity", "incomplete_profiles", sid, ctx=ctx_of(school["director"]))}
    assert cluster.rpc("identity", "get_student_file", st["id"], ctx=ctx_of(school["parent"]))["profile"]["birth_place"] == "Łódź"


def test_acc10_parent_downloads_the_data_report_of_the_own_child_only(cluster, school):
    report = cluster.rpc("identity", "data_report", school["student"]["id"], True, ctx=ctx_of(school["parent"]))
    roles = {e["role"] for e in report["editors"]}
    assert "administrator szkoły" in roles and "dyrektor" in roles and "wychowawca klasy 7b" in roles
    text_ = pdf_text(report["pdf_base64"])
    assert "Zuzanna Gęślińska" in text_ and "Wiesława Wychowawczyni" in text_
    with pytest.raises(NotFound):
        cluster.rpc("identity", "data_report", school["student"]["id"], ctx=ctx_of(school["other_parent"]))
    with pytest.raises(NotFound):
        cluster.rpc("identity", "data_report", school["student"]["id"], ctx=ctx_of(school["student2"]))


def test_acc12_incident_is_recorded_for_escalation(cluster, school):
    inc = cluster.rpc("identity", "report_incident", {"description": "Ktoś zostawił zalogowany komputer w pokoju nauczycielskim.",
                                                      "severity": "medium"}, ctx=ctx_of(school["teacher"]))
    wait_for(lambda: any(e["action"] == "identity.incident_reported" and e["details"]["incident_id"] == inc["incident_id"]
                         for e in cluster.rpc("identity", "search_audit", school["school"]["id"], {"action": "identity.incident"},
                                              ctx=ctx_of(school["admin"]))), timeout=20, what="incident audited")


def test_acc5_password_hashes_are_argon2id_and_older_parameters_are_rehashed_at_login(cluster, school):
    """Passwords are stored as argon2id with DZIENNIK_ARGON2_* (default OWASP's minimum: t=2,
    m=19 MiB, p=1); a hash made with other parameters (an older default, a school moved from
    another system) still verifies and is replaced with the current parameters at the login."""
    from argon2 import PasswordHasher, extract_parameters
    account = school["student2"]
    engine = create_engine(normalise_url(cluster.env["IDENTITY_DATABASE_URL"]))
    try:
        with engine.begin() as conn:
            stored = conn.execute(text("SELECT password_hash FROM accounts WHERE id = :id"), {"id": account["id"]}).scalar()
            assert stored.startswith("$argon2id$")
            assert (lambda p: (p.time_cost, p.memory_cost, p.parallelism))(extract_parameters(stored)) == (2, 19456, 1)
            old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)
            conn.execute(text("UPDATE accounts SET password_hash = :h WHERE id = :id"), {"h": old, "id": account["id"]})
        assert login(cluster, account)["token"]
        with engine.begin() as conn:
            rehashed = conn.execute(text("SELECT password_hash FROM accounts WHERE id = :id"),
                                    {"id": account["id"]}).scalar()
    finally:
        engine.dispose()
    assert rehashed != old
    p = extract_parameters(rehashed)
    assert (p.time_cost, p.memory_cost, p.parallelism) == (2, 19456, 1)
    assert PasswordHasher().verify(rehashed, PASSWORD)
