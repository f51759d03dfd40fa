"""The deterministic part of the demo data (scripts/demo_data.py): what it would load, checked
against the services' own rules, without a broker. Loading it over the real broker, and loading
it twice: tests/integration/test_demo_data.py."""
from collections import Counter
from datetime import date, timedelta

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


# ------------------------------------------------------------------------------------ the activity

SATURDAY = date(2026, 11, 28)   # a Saturday of the first term, two full school weeks behind it


def test_activity_is_the_same_for_one_day_and_covers_the_last_two_school_weeks():
    plan = demo_data.build_plan()
    act = demo_data.build_activity(plan, SATURDAY)
    assert act == demo_data.build_activity(demo_data.build_plan(), SATURDAY)
    assert act["year"]["name"] == "2026/2027" and len(act["year"]["terms"]) == 2
    assert act["days"] == [date(2026, 11, d) for d in (16, 17, 18, 19, 20, 23, 24, 25, 26, 27)]
    assert (act["predicted_kind"], act["final_kind"]) == ("predicted_midyear", "midyear")
    assert demo_data.build_activity(plan, date(2027, 3, 10))["predicted_kind"] == "predicted_annual"
    # National days off are not school days (11 November), and lessons are only on school days.
    nov = demo_data.build_activity(plan, date(2026, 11, 13))
    assert date(2026, 11, 11) not in nov["days"] and date(2026, 11, 10) not in nov["days"]
    # The first days of September: what fits, nothing before the year began.
    first = demo_data.build_activity(plan, date(2026, 9, 1))
    assert first["days"] == [] and all(s["lessons"] == [] for s in first["schools"])


def test_timetable_has_no_clashes_and_every_teacher_teaches_every_weekday():
    act = demo_data.build_activity(demo_data.build_plan(), SATURDAY)
    for school in act["schools"]:
        busy = Counter((e["teacher"], e["weekday"], e["period"]) for entries in school["timetable"].values()
                       for e in entries)
        assert max(busy.values()) == 1
        for teacher in {t for t, _, _ in busy}:
            assert {d for t, d, _ in busy if t == teacher} == {1, 2, 3, 4, 5}, teacher
        for name, entries in school["timetable"].items():
            assert len(entries) == sum(h for _, _, h, _ in demo_data.CURRICULUM[school["short_name"]])
            for weekday in range(1, 6):
                periods = sorted(e["period"] for e in entries if e["weekday"] == weekday)
                assert periods == list(range(1, len(periods) + 1)), (name, weekday)   # no gaps
                assert max(Counter(e["subject"] for e in entries if e["weekday"] == weekday).values()) <= 2


def test_lessons_grades_and_attendance_tell_a_story_for_every_login():
    plan = demo_data.build_plan()
    act = demo_data.build_activity(plan, SATURDAY)
    this_monday = SATURDAY - timedelta(days=SATURDAY.weekday())
    for school, planned in zip(plan["schools"], act["schools"]):
        logins = {a["login"] for a in school["staff"] + school["students"] + school["parents"]}
        lessons = planned["lessons"]
        without = [x for x in lessons if x["topic"] is None]
        assert len(without) == 2 and all(x["attendance"] is None for x in without)
        assert any(x["date"] < this_monday for x in without)             # last week: supervision report
        kinds = Counter(cat for x in lessons for _, cat in x["attendance"] or ())
        assert {"absent", "late", "released", "school_reasons"} <= set(kinds)
        # The class teacher's justification covers a day the student was absent at every lesson.
        j = planned["justifications"][0]
        assert j["by"].startswith(f"{school['short_name']}.wychowawca.")
        day_lessons = [x for x in lessons if x["date"] == j["dates"][0] and any(s == j["student"] for s, _ in
                                                                                 x["attendance"] or ())]
        assert day_lessons and all((j["student"], "absent") in x["attendance"] for x in day_lessons)
        assert [e["decide"] is None for e in planned["e_justifications"]] == [True, False]
        assert all((e["parent"], e["student"]) in school["guardianships"] for e in planned["e_justifications"])
        # Grades: this week's columns for every graded subject of both classes, one late column.
        late = [c for c in planned["columns"] if c["late"]]
        assert len(late) == 1 and late[0]["date"] < this_monday
        assert all(this_monday <= c["date"] < SATURDAY for c in planned["columns"] if not c["late"])
        graded = {(c["class"], c["subject"]) for c in planned["columns"]}
        assert len(graded) == 2 * (len(demo_data.CURRICULUM[school["short_name"]]) - 1)
        assert all(len(c["values"]) == 6 and {s for s, _ in c["values"]} <= logins for c in planned["columns"])
        finals = planned["finals"]
        assert any(f["accepted_by"] == f"{school['short_name']}.dyrektor" for f in finals)
        assert any(f["accepted_by"] is None for f in finals)
        assert any(f["value"] == "1" and f["kind"] == act["predicted_kind"] for f in finals)   # at risk
        assert any(f["kind"] == act["final_kind"] and f["accepted_by"] for f in finals)
        # Everyone named is an account of the school.
        named = {x["teacher"] for x in lessons} | {f["by"] for f in finals} | {m["by"] for m in planned["messages"]}
        named |= {a["by"] for a in planned["announcements"]} | {e["by"] for e in planned["calendar"]}
        assert named <= logins
        assert planned["announcements"][-1]["topic"] == "fundraising"   # waits for the director


# ------------------------------------------------------------------------------------ the term's history

def _runs(days, school_days):
    """Runs of consecutive school days in ``days``."""
    index = {d: i for i, d in enumerate(school_days)}
    runs = []
    for d in sorted(days):
        if runs and index[d] == index[runs[-1][-1]] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return runs


def test_history_is_the_rest_of_the_term_before_the_last_ten_school_days():
    plan = demo_data.build_plan()
    act = demo_data.build_activity(plan, SATURDAY)
    history = act["history_days"]
    assert history[0] == date(2026, 9, 1) and history[-1] == date(2026, 11, 13)   # the term began 1.09.
    assert date(2026, 11, 10) not in history and date(2026, 11, 11) not in history  # days off
    assert all(d.weekday() < 5 for d in history) and len(history) == 52
    assert history[-1] < act["days"][0]                                             # the story stays as it was
    assert act == demo_data.build_activity(demo_data.build_plan(), SATURDAY)
    for school in act["schools"]:
        lessons = school["history"]
        # Every lesson of every class on every history day, by the timetable's teacher, with a topic
        # and an attendance list.
        for name, entries in school["timetable"].items():
            for d in history:
                planned = sorted(x["period"] for x in lessons if x["class"] == name and x["date"] == d)
                assert planned == sorted(e["period"] for e in entries if e["weekday"] == d.isoweekday())
        slot = {(name, e["weekday"], e["period"]): e for name, entries in school["timetable"].items() for e in entries}
        assert all(slot[(x["class"], x["date"].isoweekday(), x["period"])]["teacher"] == x["teacher"] and
                   slot[(x["class"], x["date"].isoweekday(), x["period"])]["subject"] == x["subject"]
                   for x in lessons)
        assert all(x["topic"] and x["attendance"] is not None for x in lessons)
        assert not {x["date"] for x in lessons} & set(act["days"])
        # Topics by subject: the term's first lesson of a subject is organisational, then they vary.
        first = {}
        for x in sorted(lessons, key=lambda x: (x["date"], x["period"])):
            first.setdefault((x["class"], x["subject"]), x["topic"])
        assert set(first.values()) == {demo_data.HISTORY_FIRST_TOPIC[0]}
        for (name, short), n in Counter((x["class"], x["subject"]) for x in lessons).items():
            topics = [x["topic"] for x in lessons if (x["class"], x["subject"]) == (name, short)]
            assert len(set(topics)) == n, Counter(topics).most_common(3)   # a class never repeats a topic


def test_history_attendance_is_a_realistic_sprinkle_with_illnesses_mostly_justified():
    plan = demo_data.build_plan()
    act = demo_data.build_activity(plan, SATURDAY)
    school_days = act["history_days"]
    for school, planned in zip(plan["schools"], act["schools"]):
        class_of = {s: c["name"] for c in school["classes"] for s in c["students"]}
        class_teacher = {c["name"]: c["class_teacher"] for c in school["classes"]}
        lessons = planned["history"]
        seats = sum(len(c["students"]) for c in school["classes"]) * len(lessons) // 2
        kinds = Counter(cat for x in lessons for _, cat in x["attendance"])
        assert set(kinds) == {"absent", "late"}
        assert 0.01 <= kinds["absent"] / seats <= 0.07, kinds
        assert 0.003 <= kinds["late"] / seats <= 0.03, kinds
        # Illnesses: whole days (absent at every lesson), 1-3 school days in a row.
        absent_at = Counter((s, x["date"]) for x in lessons for s, cat in x["attendance"] if cat == "absent")
        n_lessons = Counter((x["class"], x["date"]) for x in lessons)
        ill = {(s, d) for (s, d), n in absent_at.items() if n == n_lessons[(class_of[s], d)]}
        runs = [r for s in sorted(class_of) for r in _runs([d for t, d in ill if t == s], school_days)]
        assert len(runs) >= 3 and all(1 <= len(r) <= 3 for r in runs)
        # Most of them justified by the class teacher, each for exactly the days of one illness.
        justified = planned["history_justifications"]
        assert len(runs) * 0.5 <= len(justified) <= len(runs)
        for j in justified:
            assert j["by"] == class_teacher[class_of[j["student"]]] and j["reason"]
            assert all((j["student"], d) in ill for d in j["dates"])
            assert j["dates"] in [r for r in _runs([d for t, d in ill if t == j["student"]], school_days)]
        # Lates mostly for the first lesson of the day.
        first_period = {(x["class"], x["date"]): min(y["period"] for y in lessons if (y["class"], y["date"]) ==
                                                    (x["class"], x["date"])) for x in lessons}
        lates = [x["period"] == first_period[(x["class"], x["date"])] for x in lessons
                 for _, cat in x["attendance"] if cat == "late"]
        assert sum(lates) > len(lates) / 2


def test_history_follows_the_current_term():
    plan = demo_data.build_plan()
    # The second term began on 1 February: its history starts there, with the term's first topic.
    march = demo_data.build_activity(plan, date(2027, 3, 10))
    assert march["term"]["name"] == "Okres 2" and march["term"]["starts_on"] == date(2027, 2, 1)
    assert march["history_days"][0] == date(2027, 2, 1) and march["history_days"][-1] < march["days"][0]
    topics = {x["topic"] for s in march["schools"] for x in s["history"]}
    assert demo_data.HISTORY_FIRST_TOPIC[1] in topics and demo_data.HISTORY_FIRST_TOPIC[0] not in topics
    # When the last ten school days reach back to the term's start, or at the very start of the
    # year, there is no history.
    assert demo_data.build_activity(plan, date(2027, 2, 10))["history_days"] == []
    first = demo_data.build_activity(plan, date(2026, 9, 1))
    assert first["history_days"] == [] and all(s["history"] == [] for s in first["schools"])
    # Three weeks into the term: the days before the last ten.
    sept = demo_data.build_activity(plan, date(2026, 9, 21))
    assert sept["history_days"] == [date(2026, 9, d) for d in (1, 2, 3, 4)]


def test_plan_history_is_deterministic_and_follows_the_timetable():
    timetable = {"1x": [{"weekday": w, "period": p, "subject": "mat", "teacher": "t.mat"}
                        for w in range(1, 6) for p in (1, 2, 3)]}
    students = {"1x": [f"u{i}" for i in range(20)]}
    days = [d for d in (date(2026, 9, 1) + timedelta(days=i) for i in range(60)) if d.weekday() < 5]
    one = demo_data.plan_history(timetable, students, {"1x": "t.wych"}, days, "seed")
    assert one == demo_data.plan_history(timetable, students, {"1x": "t.wych"}, days, "seed")
    assert one != demo_data.plan_history(timetable, students, {"1x": "t.wych"}, days, "another seed")
    lessons, justifications = one
    assert len(lessons) == 3 * len(days) and {x["teacher"] for x in lessons} == {"t.mat"}
    assert {s for x in lessons for s, _ in x["attendance"]} <= set(students["1x"])
    assert justifications and {j["by"] for j in justifications} == {"t.wych"}
    assert demo_data.plan_history(timetable, students, {"1x": "t.wych"}, [], "seed") == ([], [])
