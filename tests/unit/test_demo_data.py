"""The deterministic part of the demo data (scripts/demo_data.py): what it would load, checked
against identity's own rules, without a broker."""
from collections import Counter

from scripts import demo_data
from services.identity import domain

POLISH_LETTERS = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")


def _school_accounts(school):
    return school["staff"] + school["students"] + school["parents"]


def test_plan_is_the_same_every_time():
    assert demo_data.build_plan() == demo_data.build_plan()
    assert demo_data.logins_table() == demo_data.logins_table()


def test_logins_are_unique_and_valid_for_identity():
    logins = [a["login"] for _, a in demo_data.all_accounts(demo_data.build_plan())]
    assert len(logins) == len(set(logins))
    for login in logins:
        assert domain.LOGIN_RE.match(login), login
    assert demo_data.ASSOCIATION_ADMIN_LOGIN in logins


def test_names_are_polish_with_diacritics():
    accounts = [a for _, a in demo_data.all_accounts(demo_data.build_plan())]
    names = [f"{a['first_name']} {a['last_name']}" for a in accounts]
    with_diacritics = [n for n in names if POLISH_LETTERS & set(n)]
    assert len(with_diacritics) >= len(names) // 4, with_diacritics
    assert all(a["first_name"] and a["last_name"] for a in accounts)
    # No two people of one school share a full name (they would be confused in lists).
    for school in demo_data.build_plan()["schools"]:
        full = Counter((a["first_name"], a["last_name"]) for a in _school_accounts(school))
        assert max(full.values()) == 1, full.most_common(3)


def test_every_role_in_both_schools():
    plan = demo_data.build_plan()
    assert [s["short_name"] for s in plan["schools"]] == ["sp1", "lo2"]
    assert plan["association_admin"]["roles"] == [domain.ASSOCIATION_ADMIN]
    for school in plan["schools"]:
        roles = {r for a in _school_accounts(school) for r in a["roles"]}
        assert roles == set(domain.SCHOOL_ROLES), set(domain.SCHOOL_ROLES) ^ roles
        teachers = [a for a in school["staff"] if domain.TEACHER in a["roles"]]
        assert len(teachers) == 4
        inspector = [a for a in school["staff"] if domain.INSPECTOR in a["roles"]]
        assert len(inspector) == 1 and inspector[0]["expires_in_days"] == 30
    table = demo_data.logins_table(plan)
    for short_name in ("sp1", "lo2"):
        assert {r["role"] for r in table if r["school"] == short_name} == set(domain.SCHOOL_ROLES)
    assert [r["login"] for r in table if r["role"] == domain.ASSOCIATION_ADMIN] == ["admin.stowarzyszenie"]


def test_classes_families_and_notes():
    for school in demo_data.build_plan()["schools"]:
        logins = {a["login"]: a for a in _school_accounts(school)}
        assert len(school["classes"]) == 2
        for klass in school["classes"]:
            assert len(klass["students"]) == 6
            assert domain.CLASS_TEACHER in logins[klass["class_teacher"]]["roles"]
        assert sorted(s for k in school["classes"] for s in k["students"]) == \
            sorted(a["login"] for a in school["students"])
        parents_of = Counter(student for _, student in school["guardianships"])
        assert set(parents_of) == {a["login"] for a in school["students"]}   # everyone has a parent
        assert sum(1 for n in parents_of.values() if n == 2) > len(parents_of) // 2   # most have two
        children = Counter(parent for parent, _ in school["guardianships"])
        assert any(n == 2 for n in children.values())   # a parent with two children in the school
        for parent, student in school["guardianships"]:
            assert domain.PARENT in logins[parent]["roles"] and domain.STUDENT in logins[student]["roles"]
        note = school["note"]
        assert domain.TEACHER in logins[note["author"]]["roles"]
        assert (note["parent"], note["student"]) in school["guardianships"]


def test_demo_password_passes_the_policy_for_every_account():
    assert demo_data.PASSWORD == "Demo-Dziennik-2026"
    for _, a in demo_data.all_accounts(demo_data.build_plan()):
        assert domain.password_problems(demo_data.PASSWORD, login=a["login"],
                                        names=(a["first_name"], a["last_name"])) == []


def test_table_prints_every_role_and_the_password():
    text = demo_data.format_table(demo_data.logins_table())
    assert "Demo-Dziennik-2026" in text
    for login in ("admin.stowarzyszenie", "sp1.admin", "sp1.dyrektor", "sp1.rodzic1", "sp1.uczen1",
                  "sp1.kontrola", "lo2.admin", "lo2.sekretariat"):
        assert login in text
