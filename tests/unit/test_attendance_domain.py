"""attendance's rules (services/attendance/domain.py): pure, no broker, no database."""
from datetime import date, datetime, timezone

import pytest

from services.attendance import domain as d

TODAY = date(2026, 3, 11)   # a Wednesday


def cats(preset="vulcan"):
    counts = d.formula_counts(preset)
    return {c.code: counts[c.kind] for c in d.DEFAULT_CATEGORIES}


# ----------------------------------------------------------------------------- ATT-5 percentages

def test_att5_vulcan_formula_hand_computed():
    # 10 present, 2 late, 1 school reasons, 3 excused, 1 unexcused, 2 released:
    # present = 10 + 2 + 1 = 13; absent = 3 + 1 = 4; released in neither; 13 / 17 = 76.470588...%
    t = d.tally({"present": 10, "late": 2, "school_reasons": 1, "excused": 3, "absent": 1, "released": 2}, cats())
    assert (t["present"], t["absent"], t["not_counted"], t["recorded"]) == (13, 4, 2, 19)
    assert t["percent"] == 76.47


def test_att5_all_recorded_preset_counts_released_as_present():
    # Same entries: present = 13 + 2 released = 15; absent = 4; 15 / 19 = 78.947...% -> 78.95
    t = d.tally({"present": 10, "late": 2, "school_reasons": 1, "excused": 3, "absent": 1, "released": 2},
                cats("all_recorded"))
    assert (t["present"], t["absent"], t["percent"]) == (15, 4, 78.95)


@pytest.mark.parametrize("present,absent,expected", [
    (0, 0, None),        # nothing counts: no percentage rather than 0% or 100%
    (1, 0, 100.0),
    (0, 3, 0.0),
    (2, 1, 66.67),       # 66.666... rounded half up
    (1, 2, 33.33),
    (1, 7, 12.5),
    (7, 1, 87.5),
    (1, 199999, 0.0),    # 0.0005% rounds to 0.00
    (1, 1999, 0.05),     # exactly 0.05
])
def test_att5_percent_rounds_half_up_to_two_decimals(present, absent, expected):
    assert d.percent(present, absent) == expected


def test_att5_only_released_entries_give_no_percentage():
    t = d.tally({"released": 4}, cats())
    assert t["percent"] is None and t["recorded"] == 4


def test_att5_unknown_category_code_counts_nowhere():
    assert d.tally({"mystery": 3, "present": 1}, cats())["percent"] == 100.0


def test_att5_below_threshold_lowest_first_and_skips_nothing_recorded():
    rows = [{"student_id": "a", "percent": 49.0}, {"student_id": "b", "percent": None},
            {"student_id": "c", "percent": 12.5}, {"student_id": "d", "percent": 50.0}]
    assert [r["student_id"] for r in d.below_threshold(rows, 50)] == ["c", "a"]


def test_att1_default_categories_are_a_complete_set():
    assert d.category_set_problems(list(d.DEFAULT_CATEGORIES)) == []
    assert {c.symbol for c in d.DEFAULT_CATEGORIES} == {"ob", "nb", "u", "sp", "zw", "ns"}


def test_att1_every_kind_needs_an_active_category():
    deactivated = [c if c.kind != d.LATE else d.Category(c.code, c.name, c.symbol, c.kind, c.counts_as,
                                                          c.position, active=False)
                   for c in d.DEFAULT_CATEGORIES]
    problems = d.category_set_problems(deactivated)
    assert problems == ["Szkoła musi mieć aktywną kategorię: spóźnienie."]
    dup = list(d.DEFAULT_CATEGORIES) + [d.DEFAULT_CATEGORIES[0]]
    assert any("powtarza" in p for p in d.category_set_problems(dup))


def test_att1_primary_category_is_first_active_by_position():
    extra = d.Category("excused_doc", "usprawiedliwiona (zaświadczenie)", "uz", d.EXCUSED, "absent", 0)
    assert d.primary_category(list(d.DEFAULT_CATEGORIES) + [extra], d.EXCUSED).code == "excused_doc"
    assert d.primary_category(list(d.DEFAULT_CATEGORIES), d.EXCUSED).code == "excused"


def test_att2_excused_cannot_be_entered_at_a_lesson():
    assert d.EXCUSED not in d.RECORDABLE_KINDS
    assert set(d.RECORDABLE_KINDS) | {d.EXCUSED} == set(d.KINDS)


# ----------------------------------------------------------------------------- ATT-6 who may record

LESSON = d.LessonRef(id="L", class_id="C", date=TODAY, teacher_id="t-own", substitute_teacher_id="t-sub")


@pytest.mark.parametrize("user,roles,class_teacher,allowed", [
    ("t-own", ["teacher"], None, True),              # the lesson's teacher
    ("t-sub", ["teacher"], None, True),              # its substitute (ORG-3)
    ("t-other", ["teacher"], None, False),           # another teacher
    ("wych", ["teacher", "class_teacher"], "wych", True),    # class teacher of the lesson's class
    ("wych", ["teacher", "class_teacher"], "someone", False),  # class teacher of another class
    ("dir", ["director"], None, True),
    ("vdir", ["vice_director"], None, True),
    ("adm", ["school_admin"], None, True),
    ("sec", ["secretary"], None, False),
    ("ins", ["inspector"], None, False),
    ("t-own", ["student"], None, False),             # same id, wrong role
    ("p", ["parent"], None, False),
])
def test_att6_who_may_record_a_lesson(user, roles, class_teacher, allowed):
    assert (d.record_problem(LESSON, user, roles, class_teacher) is None) == allowed


def test_att1_no_attendance_ahead_or_for_cancelled_lessons_but_backfill_allowed():
    future = d.LessonRef("L", "C", date(2026, 3, 12), "t")
    assert "jeszcze się nie odbyła" in d.lesson_state_problem(future, TODAY)
    cancelled = d.LessonRef("L", "C", TODAY, "t", status="cancelled")
    assert "odwołana" in d.lesson_state_problem(cancelled, TODAY)
    assert d.lesson_state_problem(d.LessonRef("L", "C", TODAY, "t"), TODAY) is None
    assert d.lesson_state_problem(d.LessonRef("L", "C", date(2026, 2, 2), "t"), TODAY) is None   # OPS-2


@pytest.mark.parametrize("user,roles,class_teacher,allowed", [
    ("wych", ["teacher", "class_teacher"], "wych", True),
    ("wych", ["teacher", "class_teacher"], "other", False),
    ("t", ["teacher"], None, False),
    ("dir", ["director"], None, True),
    ("adm", ["deputy_admin"], None, True),
    ("p", ["parent"], "p", False),     # never a parent, whatever the ids say
])
def test_att2_who_may_justify(user, roles, class_teacher, allowed):
    assert (d.justify_problem(user, roles, class_teacher) is None) == allowed


@pytest.mark.parametrize("user,roles,student,children,allowed", [
    ("t", ["teacher"], "s1", (), True),              # teachers see everyone's attendance
    ("i", ["inspector"], "s1", (), True),
    ("dir", ["director"], "s1", (), True),
    ("p", ["parent"], "s1", ("s1", "s2"), True),     # own child
    ("p", ["parent"], "s3", ("s1", "s2"), False),    # another family's child
    ("s1", ["student"], "s1", (), True),             # own
    ("s1", ["student"], "s2", (), False),
    ("sec", ["secretary"], "s1", (), False),
])
def test_att6_visibility(user, roles, student, children, allowed):
    assert d.may_view_student(user, roles, student, children) == allowed


def test_class_list_dates_are_inclusive():
    assert d.on_class_list(date(2026, 3, 1), None, TODAY)
    assert d.on_class_list(date(2026, 3, 1), TODAY, TODAY)           # the last day still counts
    assert not d.on_class_list(date(2026, 3, 12), None, TODAY)       # not yet enrolled
    assert not d.on_class_list(date(2026, 3, 1), date(2026, 3, 10), TODAY)


# ----------------------------------------------------------------------------- ATT-2 justification

def test_att2_no_justification_in_advance():
    assert d.advance_problem([TODAY, date(2026, 3, 10)], TODAY) is None
    problem = d.advance_problem([date(2026, 3, 10), date(2026, 3, 13)], TODAY)
    assert "z wyprzedzeniem" in problem and "13.03.2026" in problem and "10.03" not in problem


@pytest.mark.parametrize("lesson_date,status,recorded,taken", [
    (date(2026, 3, 10), "planned", False, True),
    (date(2026, 3, 10), "cancelled", False, False),
    (TODAY, "planned", False, False),     # later today: not yet
    (TODAY, "planned", True, True),       # attendance taken at its start
    (TODAY, "held", False, True),
    (date(2026, 3, 12), "held", True, False),
])
def test_att2_lesson_taken_place(lesson_date, status, recorded, taken):
    assert d.lesson_taken_place(lesson_date, status, TODAY, recorded) == taken


MON, TUE = date(2026, 3, 9), date(2026, 3, 10)
# Monday: absent at all four lessons. Tuesday: present at 1-2, absent at 3-4.
DAY_ENTRIES = [d.DayEntry(f"m{i}", MON, d.ABSENT) for i in range(1, 5)] + [
    d.DayEntry("t1", TUE, d.PRESENT), d.DayEntry("t2", TUE, d.LATE),
    d.DayEntry("t3", TUE, d.ABSENT), d.DayEntry("t4", TUE, d.ABSENT)]


def test_att2_whole_day_needs_no_single_hour_reason():
    justified = ["m1", "m2", "m3", "m4"]
    assert d.single_hour_days(DAY_ENTRIES, justified) == []
    assert d.single_hour_problem(DAY_ENTRIES, justified, None) is None


def test_att2_single_hours_when_present_at_other_lessons_need_a_reason():
    assert d.single_hour_days(DAY_ENTRIES, ["t3", "t4"]) == [TUE]
    problem = d.single_hour_problem(DAY_ENTRIES, ["t3", "t4"], None)
    assert "Pojedyncze godziny" in problem and "10.03.2026" in problem
    for reason in (d.REPORTED_BEFOREHAND, d.BEYOND_CONTROL):
        assert d.single_hour_problem(DAY_ENTRIES, ["t3", "t4"], reason) is None
    assert d.single_hour_problem(DAY_ENTRIES, ["t3", "t4"], "bo tak") is not None


def test_att2_part_of_a_whole_day_absence_is_single_hours():
    # Absent the whole Monday, but only two hours justified: single hours of that day.
    assert d.single_hour_days(DAY_ENTRIES, ["m1", "m2"]) == [MON]


def test_att2_released_does_not_make_a_day_partial():
    entries = [d.DayEntry("a", MON, d.ABSENT), d.DayEntry("r", MON, d.RELEASED)]
    assert d.single_hour_days(entries, ["a"]) == []


def test_att3_reported_beforehand_means_sent_before_the_first_day():
    assert d.reported_beforehand(date(2026, 3, 8), [MON, TUE])
    assert not d.reported_beforehand(MON, [MON, TUE])
    assert not d.reported_beforehand(MON, [])


def test_att3_e_justification_range_rules():
    assert d.e_justification_problem(MON, TUE, TODAY) is None
    assert "poprzedzać" in d.e_justification_problem(TUE, MON, TODAY)
    assert "31" in d.e_justification_problem(date(2026, 1, 1), date(2026, 3, 1), TODAY)
    assert d.e_justification_problem(date(2026, 3, 20), date(2026, 3, 20), TODAY) is None   # reported ahead
    assert "naprzód" in d.e_justification_problem(date(2026, 6, 1), date(2026, 6, 1), TODAY)


def test_att3_a_decision_is_made_once():
    assert d.decision_problem(d.SUBMITTED) is None
    assert "przyjęte" in d.decision_problem(d.ACCEPTED)


# ----------------------------------------------------------------------------- ATT-4 double entries

def at(minute):
    return datetime(2026, 3, 9, 8, minute, tzinfo=timezone.utc)


def test_att4_same_student_same_lesson_hour_twice_is_a_double():
    entries = [
        d.EntryView("e1", "s1", "L-gr1", MON, 1, at(5), "teacher"),
        d.EntryView("e2", "s1", "L-gr2", MON, 1, at(9), "substitute"),   # the same hour again
        d.EntryView("e3", "s2", "L-gr1", MON, 1, at(5), "teacher"),      # s2 only once
        d.EntryView("e4", "s1", "L2", MON, 2, at(50), "teacher"),        # another hour
        d.EntryView("e5", "s1", "L-gr1b", TUE, 1, at(5), "teacher"),     # another day
    ]
    doubles = d.find_doubles(entries)
    assert doubles == [{"student_id": "s1", "date": MON, "period": 1, "entry_ids": ["e1", "e2"], "keep": "e1"}]


def test_att4_same_lesson_twice_is_a_double_too():
    entries = [d.EntryView("b", "s1", "L", MON, 3, at(30)), d.EntryView("a", "s1", "L", MON, 3, at(1))]
    assert d.find_doubles(entries)[0]["keep"] == "a"


def test_att4_only_a_double_may_be_removed():
    e1 = d.EntryView("e1", "s1", "L1", MON, 1)
    e2 = d.EntryView("e2", "s1", "L2", MON, 1)
    assert d.removal_problem(e1, [e2]) is None
    assert "nie jest podwójny" in d.removal_problem(e1, [])
    assert "nie jest podwójny" in d.removal_problem(e1, [e1])


# ----------------------------------------------------------------------------- calendar

def test_day_summary_priority_and_counts():
    s = d.day_summary([d.PRESENT, d.PRESENT, d.LATE, d.ABSENT])
    assert s["status"] == d.ABSENT and s["lessons"] == 4 and s["counts"][d.PRESENT] == 2
    assert d.day_summary([d.PRESENT, d.EXCUSED])["status"] == d.EXCUSED
    assert d.day_summary([d.PRESENT, d.LATE])["status"] == d.LATE
    assert d.day_summary([d.PRESENT])["status"] == d.PRESENT
    assert d.day_summary([])["status"] == "none"


def test_month_days_and_week_start():
    assert len(d.month_days(2026, 2)) == 28 and len(d.month_days(2028, 2)) == 29
    assert d.month_days(2026, 12)[-1] == date(2026, 12, 31)
    assert d.week_start(TODAY) == MON and d.week_start(MON) == MON
