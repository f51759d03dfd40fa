"""scheduling's rules (services/scheduling/domain.py): pure, no broker, no database."""
from datetime import date, datetime, time

import pytest

from services.scheduling import domain
from services.scheduling.domain import CalEvent, LessonView, Slot, Span

MON = date(2026, 3, 9)          # a Monday
TUE, WED, THU, FRI = (date(2026, 3, d) for d in (10, 11, 12, 13))
SAT, SUN = date(2026, 3, 14), date(2026, 3, 15)
TERM = Span("t1", "Semestr 2", date(2026, 2, 1), date(2026, 6, 26))


def slot(**kw):
    base = dict(weekday=1, period=1, class_id="4a", teacher_id="kowalska", valid_from=date(2026, 2, 1),
                valid_to=None, room="12", group="", subject_id="mat")
    base.update(kw)
    return Slot(**base)


# ----------------------------------------------------------------------------- permission matrix (ACC-3)

MATRIX = [
    # capability, roles that have it (the rest of the school's roles do not)
    ("manage_timetable", {"school_admin", "deputy_admin"}),
    ("manage_school_data", {"school_admin", "deputy_admin"}),
    ("manage_substitutions", {"school_admin", "deputy_admin"}),
    ("view_substitutions", {"school_admin", "deputy_admin", "director", "vice_director", "inspector"}),
    ("edit_class_list", {"school_admin", "deputy_admin", "director", "vice_director", "secretary"}),
    ("enter_topic", {"teacher", "class_teacher"}),
    ("supervision_report", {"school_admin", "deputy_admin", "director", "vice_director", "inspector"}),
    ("decide_trip", {"director", "vice_director"}),
    ("organise_trip", {"teacher", "class_teacher", "school_admin", "deputy_admin", "director", "vice_director"}),
    ("set_test_limits", {"school_admin", "deputy_admin", "director", "vice_director"}),
    ("add_school_event", {"school_admin", "deputy_admin", "director", "vice_director"}),
    ("view_lessons", {"school_admin", "deputy_admin", "director", "vice_director", "teacher", "class_teacher",
                      "secretary", "inspector"}),
]
SCHOOL_ROLES = ["school_admin", "deputy_admin", "director", "vice_director", "teacher", "class_teacher",
                "secretary", "parent", "student", "inspector"]


@pytest.mark.parametrize("capability,allowed", MATRIX, ids=[m[0] for m in MATRIX])
def test_acc3_permission_matrix_of_chapter_ii(capability, allowed):
    for role in SCHOOL_ROLES:
        assert domain.may(capability, [role]) == (role in allowed), (capability, role)
    assert domain.may(capability, ["association_admin"]) and domain.may(capability, ["system"])


def test_students_and_parents_see_timetable_but_not_lessons():
    for role in ("student", "parent"):
        assert domain.may("view_timetable", [role])
        assert not domain.may("view_lessons", [role])
        assert not domain.may("enter_topic", [role])


def test_admin_has_no_topic_rights_director_only_views():
    assert not domain.may("enter_topic", ["school_admin"])
    assert not domain.may("enter_topic", ["director"])
    assert domain.may("view_lessons", ["director"])


# ----------------------------------------------------------------------------- weeks

def test_week_computations():
    for d in (MON, WED, FRI, SAT, SUN):
        assert domain.week_start(d) == MON
        assert domain.week_end(d) == SUN
    assert domain.school_days_of_week(SUN) == [MON, TUE, WED, THU, FRI]
    assert domain.days_between(FRI, MON) == []
    assert len(domain.days_between(MON, SUN)) == 7
    assert domain.fmt_date(MON) == "09.03.2026"


def test_vii9_week_is_complete_by_sunday_20():
    assert domain.topic_deadline(WED) == datetime(2026, 3, 15, 20, 0)


# ----------------------------------------------------------------------------- years and terms (ORG-1)

def test_org1_year_dates_and_overlap():
    other = Span("y0", "2025/2026", date(2025, 9, 1), date(2026, 8, 31))
    assert domain.year_problems(date(2026, 9, 1), date(2027, 8, 31), [other]) == []
    assert domain.year_problems(date(2026, 9, 1), date(2026, 8, 1))
    problems = domain.year_problems(date(2026, 8, 1), date(2027, 6, 30), [other])
    assert problems and "2025/2026" in problems[0]


def test_org1_terms_inside_the_year_and_disjoint():
    year = Span("y", "2025/2026", date(2025, 9, 1), date(2026, 8, 31))
    first = Span("t1", "Semestr 1", date(2025, 9, 1), date(2026, 1, 31))
    assert domain.term_problems(date(2026, 2, 1), date(2026, 6, 26), year, [first]) == []
    assert any("nakłada" in p for p in domain.term_problems(date(2026, 1, 15), date(2026, 6, 26), year, [first]))
    assert any("mieścić" in p for p in domain.term_problems(date(2026, 2, 1), date(2026, 9, 30), year))


def test_org2_lesson_outside_its_term_is_refused():
    assert domain.date_in_term_problem(date(2026, 3, 9), TERM) is None
    msg = domain.date_in_term_problem(date(2026, 7, 1), TERM)
    assert "01.07.2026" in msg and "Semestr 2" in msg


def test_default_valid_from_is_today_inside_the_term():
    assert domain.default_valid_from(TERM, date(2026, 3, 9)) == date(2026, 3, 9)
    assert domain.default_valid_from(TERM, date(2026, 1, 9)) == TERM.starts_on


# ----------------------------------------------------------------------------- timetable conflicts (ORG-2)

def test_org2_teacher_in_two_places_in_one_period():
    conflicts = domain.timetable_conflicts([slot(class_id="4b", room="14")], [slot()])
    assert [c.kind for c in conflicts] == ["teacher"]


def test_org2_room_in_two_places_in_one_period():
    conflicts = domain.timetable_conflicts([slot(class_id="4b", teacher_id="nowak", room="12")], [slot()])
    assert [c.kind for c in conflicts] == ["room"]


def test_org2_class_in_two_lessons_and_groups():
    other = slot(teacher_id="nowak", room="14", subject_id="ang")
    assert [c.kind for c in domain.timetable_conflicts([other], [slot()])] == ["class"]
    # Two groups of one class at the same time are fine; a group beside the whole class is not.
    g1, g2 = slot(group="gr1", room="21"), slot(group="gr2", teacher_id="nowak", room="22")
    assert domain.timetable_conflicts([g1, g2]) == []
    assert [c.kind for c in domain.timetable_conflicts([g1], [slot(teacher_id="x", room="9")])] == ["class"]
    assert [c.kind for c in domain.timetable_conflicts([g2], [slot(group="gr2", teacher_id="y", room="9")])] == ["class"]


def test_org2_no_conflict_across_periods_days_or_validity():
    assert domain.timetable_conflicts([slot(period=2)], [slot()]) == []
    assert domain.timetable_conflicts([slot(weekday=2)], [slot()]) == []
    old = slot(valid_to=date(2026, 3, 8))
    assert domain.timetable_conflicts([slot(class_id="4b", valid_from=MON)], [old]) == []
    assert domain.timetable_conflicts([slot(class_id="4b", valid_from=date(2026, 3, 8))], [old])


def test_org2_joint_lesson_of_two_classes_is_not_a_conflict():
    a = slot(class_id="1a", room="gim", shared_key="asc:L8")
    b = slot(class_id="1b", room="gim", shared_key="asc:L8")
    assert domain.timetable_conflicts([a, b]) == []
    assert domain.timetable_conflicts([a, slot(class_id="1b", room="gim")])


def test_org2_conflicts_within_the_new_entries_themselves():
    conflicts = domain.timetable_conflicts([slot(), slot(class_id="4b", room="14")])
    assert [c.kind for c in conflicts] == ["teacher"]


def test_org2_conflict_message_names_teacher_room_class_and_subject():
    labels = {"kowalska": "Anna Kowalska", "4a": "4a", "4b": "4b", "mat": "matematyka"}
    teacher = domain.timetable_conflicts([slot(class_id="4b", room="14")], [slot()])[0]
    msg = domain.describe_conflict(teacher, labels)
    assert msg == "Nauczyciel Anna Kowalska ma już w tym czasie lekcję (poniedziałek, lekcja 1: 4a, matematyka)."
    room = domain.timetable_conflicts([slot(class_id="4b", teacher_id="x")], [slot()])[0]
    assert domain.describe_conflict(room, labels).startswith("Sala 12 jest już zajęta")
    klass = domain.timetable_conflicts([slot(teacher_id="x", room="1")], [slot()])[0]
    assert domain.describe_conflict(klass, labels).startswith("Klasa 4a ma już w tym czasie lekcję")


def test_slot_problems():
    assert domain.slot_problems(slot()) == []
    assert domain.slot_problems(slot(weekday=6))
    assert domain.slot_problems(slot(starts_at=time(9), ends_at=time(8)))


def test_org2_replacement_keeps_history():
    running = slot(id="a", valid_from=date(2026, 2, 1))
    future = slot(id="b", valid_from=date(2026, 4, 1))
    past = slot(id="c", valid_from=date(2026, 2, 1), valid_to=date(2026, 2, 28))
    to_close, to_drop = domain.plan_replacement([running, future, past], MON)
    assert [(s.id, end) for s, end in to_close] == [("a", date(2026, 3, 8))]
    assert [s.id for s in to_drop] == ["b"]


# ----------------------------------------------------------------------------- test limits (ORG-10)

LIMITS = {"tests_per_day": 1, "tests_per_week": 3, "quizzes_per_day": None, "quizzes_per_week": None}


def cal_test(kind="test", day=MON, title="Ułamki", subject="matematyka", ident=None):
    return CalEvent(ident or title, kind, day, None, "4a", title, subject)


def test_org10_one_test_a_day_names_the_conflicting_test():
    msg = domain.check_test_limits("test", MON, "4a", [cal_test()], LIMITS, class_id="4a")
    assert msg == ("Nie można dodać sprawdzianu: klasa 4a może mieć najwyżej 1 sprawdzian dziennie, "
                   "a w dniu 09.03.2026 ma już: „Ułamki” (matematyka, 09.03.2026).")
    assert domain.check_test_limits("test", TUE, "4a", [cal_test()], LIMITS, class_id="4a") is None


def test_org10_three_tests_a_week():
    week = [cal_test(day=MON, title="A"), cal_test(day=TUE, title="B"), cal_test(day=WED, title="C", subject="historia")]
    msg = domain.check_test_limits("test", THU, "4a", week, LIMITS, class_id="4a")
    assert "najwyżej 3 sprawdziany w tygodniu" in msg and "09.03.2026–15.03.2026" in msg
    assert "„A” (matematyka, 09.03.2026), „B” (matematyka, 10.03.2026), „C” (historia, 11.03.2026)" in msg
    # The next week is free again.
    assert domain.check_test_limits("test", date(2026, 3, 16), "4a", week, LIMITS, class_id="4a") is None


def test_org10_quizzes_are_unlimited_unless_the_school_limits_them():
    quizzes = [cal_test("quiz", MON, "K1"), cal_test("quiz", MON, "K2")]
    assert domain.check_test_limits("quiz", MON, "4a", quizzes, LIMITS, class_id="4a") is None
    assert domain.check_test_limits("test", MON, "4a", quizzes, LIMITS, class_id="4a") is None
    limited = dict(LIMITS, quizzes_per_day=2)
    assert "najwyżej 2 kartkówki dziennie" in domain.check_test_limits("quiz", MON, "4a", quizzes, limited,
                                                                      class_id="4a")


def test_org10_no_limit_when_null_and_other_kinds_never_limited():
    open_limits = dict(LIMITS, tests_per_day=None, tests_per_week=None)
    assert domain.check_test_limits("test", MON, "4a", [cal_test()] * 5, open_limits, class_id="4a") is None
    assert domain.check_test_limits("school_event", MON, "4a", [cal_test()], LIMITS, class_id="4a") is None


def test_org10_no_test_on_a_day_off_or_at_the_weekend():
    off = CalEvent("d", "day_off", MON, TUE, None, "Rekolekcje")
    assert "dzień wolny" in domain.check_test_limits("test", TUE, "4a", [off], LIMITS, class_id="4a")
    assert domain.check_test_limits("test", SAT, "4a", [], LIMITS, class_id="4a")


def test_polish_counts():
    assert [domain.count_pl(n, "sprawdzian", "sprawdziany", "sprawdzianów") for n in (1, 2, 5, 12, 22)] == [
        "1 sprawdzian", "2 sprawdziany", "5 sprawdzianów", "12 sprawdzianów", "22 sprawdziany"]


def test_limits_problems():
    assert domain.limits_problems(LIMITS) == {}
    assert "tests_per_week" in domain.limits_problems(dict(LIMITS, tests_per_day=2, tests_per_week=1))


# ----------------------------------------------------------------------------- days off and lessons (ORG-4, ORG-10)

def test_org10_day_off_for_school_or_class():
    school_wide = CalEvent("1", "day_off", MON, None, None, "Święto szkoły")
    class_only = CalEvent("2", "day_off", TUE, WED, "4b", "Zielona szkoła")
    assert domain.day_off_for(MON, "4a", [school_wide]) is school_wide
    assert domain.day_off_for(WED, "4b", [class_only]) is class_only
    assert domain.day_off_for(WED, "4a", [class_only]) is None
    assert domain.day_off_for(THU, "4b", [class_only]) is None


def test_org10_days_off_remove_lessons_from_the_schedule():
    slots = [slot(period=1), slot(period=2, teacher_id="nowak")]
    assert [s.period for s in domain.lessons_to_create(slots, MON, set())] == [1, 2]
    off = CalEvent("1", "day_off", MON, None, None, "Dzień nauczyciela")
    assert domain.lessons_to_create(slots, MON, set(), day_off=off) == []


def test_org4_lessons_made_once_per_slot_and_only_in_term_on_school_days():
    slots = [slot(period=1), slot(period=2, teacher_id="nowak")]
    assert [s.period for s in domain.lessons_to_create(slots, MON, {(1, "")})] == [2]
    assert domain.lessons_to_create(slots, TUE, set()) == []           # Mondays only
    assert domain.lessons_to_create(slots, SAT, set()) == []
    assert domain.lessons_to_create(slots, date(2026, 6, 29), set(), term=TERM) == []
    # A replaced entry and its successor never both give a lesson.
    old, new = slot(valid_to=date(2026, 3, 8)), slot(valid_from=MON, teacher_id="nowak")
    made = domain.lessons_to_create([old, new], MON, set())
    assert [s.teacher_id for s in made] == ["nowak"]


def lesson(**kw):
    base = dict(id="L1", date=MON, period=1, class_id="4a", teacher_id="kowalska")
    base.update(kw)
    return LessonView(**base)


def test_org4_teacher_enters_topic_of_own_lesson_past_or_today():
    assert domain.topic_problem(lesson(), "kowalska", ["teacher"], MON) is None
    assert domain.topic_problem(lesson(), "kowalska", ["class_teacher"], date(2026, 4, 1)) is None  # backfill


def test_org3_substitute_enters_topic_replaced_teacher_may_not():
    sub = lesson(substitute_teacher_id="nowak")
    assert domain.topic_problem(sub, "nowak", ["teacher"], MON) is None
    kind, msg = domain.topic_problem(sub, "kowalska", ["teacher"], MON)
    assert kind == "forbidden" and "zastępujący" in msg


@pytest.mark.parametrize("user,roles", [("other", ["teacher"]), ("dyr", ["director"]),
                                        ("adm", ["school_admin"]), ("kowalska", ["student"])])
def test_org4_others_may_not_enter_topic(user, roles):
    kind, _msg = domain.topic_problem(lesson(), user, roles, MON)
    assert kind == "forbidden"


def test_org4_no_topic_for_cancelled_or_future_lessons():
    assert domain.topic_problem(lesson(status="cancelled"), "kowalska", ["teacher"], MON)[0] == "conflict"
    kind, msg = domain.topic_problem(lesson(date=TUE), "kowalska", ["teacher"], MON)
    assert kind == "conflict" and "10.03.2026" in msg


def test_org3_substitution_rules():
    assert domain.substitution_problem(lesson(), "nowak", False) is None
    assert domain.substitution_problem(lesson(), None, True) is None
    assert "temat" in domain.substitution_problem(lesson(status="held", topic="Ułamki"), "nowak", False)
    assert "samego siebie" in domain.substitution_problem(lesson(), "kowalska", False)
    assert "już odwołana" in domain.substitution_problem(lesson(status="cancelled"), None, True)
    busy = [lesson(id="L2", class_id="4b", teacher_id="nowak")]
    assert "własną lekcję" in domain.substitution_problem(lesson(), "nowak", False, busy)
    # A substitute whose own lesson at that time is cancelled, or given to someone else, is free.
    assert domain.substitution_problem(lesson(), "nowak", False, [lesson(id="L2", teacher_id="nowak",
                                                                         status="cancelled")]) is None
    assert domain.substitution_problem(lesson(), "nowak", False, [lesson(id="L2", teacher_id="nowak",
                                                                         substitute_teacher_id="z")]) is None


def test_org4_supervision_lists_lessons_without_topic_per_teacher():
    lessons = [lesson(id="1"), lesson(id="2", period=2, topic="Ułamki", status="held"),
               lesson(id="3", period=3, substitute_teacher_id="nowak"),
               lesson(id="4", period=4, status="cancelled"),
               lesson(id="5", date=FRI), lesson(id="6", teacher_id="nowak", period=5)]
    rows = domain.supervision(lessons, today=THU)
    assert [(r["teacher_id"], [l.id for l in r["lessons"]], r["substitutions_without_topic"]) for r in rows] == \
        [("nowak", ["3", "6"], 1), ("kowalska", ["1"], 0)]


# ----------------------------------------------------------------------------- transfers, trips, completeness

def test_org5_transfer_same_school_only_and_not_before_enrolment():
    a, b, other = ("c1", "s1", "4a"), ("c2", "s1", "4b"), ("c3", "s2", "4a")
    assert domain.transfer_problem(a, b, MON, date(2025, 9, 1)) is None
    assert domain.transfer_problem(a, other, MON, date(2025, 9, 1))[0] == "to_class_id"
    assert domain.transfer_problem(a, a, MON, date(2025, 9, 1))[0] == "to_class_id"
    field, msg = domain.transfer_problem(a, b, date(2025, 8, 1), date(2025, 9, 1))
    assert field == "on_date" and "01.09.2025" in msg


def test_org11_trip_card_life():
    assert domain.trip_transition("draft", "submit") == ("submitted", None)
    assert domain.trip_transition("submitted", "approve") == ("approved", None)
    assert domain.trip_transition("submitted", "reject") == ("rejected", None)
    assert domain.trip_transition("rejected", "submit") == ("submitted", None)
    new, msg = domain.trip_transition("draft", "approve")
    assert new is None and "szkic" in msg
    assert domain.trip_transition("approved", "submit")[0] is None
    assert domain.trip_editable("draft") and not domain.trip_editable("approved")


def test_org11_trip_problems():
    assert domain.trip_problems(MON, TUE, ["s1"], ["t1"]) == {}
    problems = domain.trip_problems(TUE, MON, [], [])
    assert set(problems) == {"ends_on", "participant_ids", "supervisor_ids"}


def test_org9_completeness_deadlines():
    assert domain.completeness_deadlines(date(2026, 9, 1)) == {"class_teacher": date(2026, 9, 10),
                                                               "director": date(2026, 9, 15)}


# ----------------------------------------------------------------------------- iCalendar feed (ORG-10)

def test_org10_icalendar_feed():
    from datetime import timezone
    from zoneinfo import ZoneInfo
    warsaw = ZoneInfo("Europe/Warsaw")
    now = datetime(2026, 3, 9, 12, 0, tzinfo=timezone.utc)
    text = domain.ics_calendar("Terminarz klasy 4a", [
        {"uid": "e1@dziennik", "date": WED, "summary": "Sprawdzian: Ułamki; dodawanie, odejmowanie",
         "description": "Rozdział 3\nzadania 1-5"},
        {"uid": "l1@dziennik", "start": datetime(2026, 3, 9, 8, 0, tzinfo=warsaw),
         "end": datetime(2026, 3, 9, 8, 45, tzinfo=warsaw), "summary": "Matematyka – 4a", "location": "12",
         "cancelled": True},
        {"uid": "t1@dziennik", "date": MON, "ends_on": TUE, "summary": "Wycieczka: " + "Kraków " * 20},
    ], now)
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and text.endswith("END:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20260311" in lines and "DTEND;VALUE=DATE:20260312" in lines
    assert "SUMMARY:Sprawdzian: Ułamki\\; dodawanie\\, odejmowanie" in lines
    assert "DESCRIPTION:Rozdział 3\\nzadania 1-5" in lines
    assert "DTSTART:20260309T070000Z" in lines and "STATUS:CANCELLED" in lines   # 8:00 in Warsaw (CET)
    assert "DTEND;VALUE=DATE:20260311" in lines                                  # two-day trip
    assert all(len(line.encode()) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines)                            # folded
