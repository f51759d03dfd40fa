"""grades' rules (GRD-1..8, chapters VI-VII): pure, no broker, no database."""
from datetime import date
from decimal import Decimal

import pytest

from services.grades import domain
from services.grades.domain import Counted, GradeError, Scale, Viewer

LIBRUS = Scale.of(0.5, 0.25)                      # + is +0.5, - is -0.25
THIRDS = Scale.of(0.33, 0.33)                      # Wulkanowy-like ±0.33
GENEROUS = Scale.of(0.5, 0.25, allow_six_plus=True, allow_one_minus=True)


# ----------------------------------------------------------------------------- GRD-1: the scale

@pytest.mark.parametrize("text,value,numeric", [
    ("1", "1", Decimal("1")), ("6", "6", Decimal("6")), ("4+", "4+", Decimal("4.5")),
    ("3-", "3-", Decimal("2.75")), (" 5+ ", "5+", Decimal("5.5")), ("2\u2212", "2-", Decimal("1.75")),
    ("1+", "1+", Decimal("1.5")), ("6-", "6-", Decimal("5.75")),
])
def test_grd1_grades_on_the_polish_scale_with_plus_and_minus(text, value, numeric):
    parsed = domain.parse_grade(text, LIBRUS)
    assert (parsed.value, parsed.numeric, parsed.is_symbol) == (value, numeric, False)


def test_grd1_plus_and_minus_values_are_the_schools_setting():
    assert domain.parse_grade("4+", THIRDS).numeric == Decimal("4.33")
    assert domain.parse_grade("4-", THIRDS).numeric == Decimal("3.67")
    assert domain.parse_grade("4-", Scale.of(0.5, 0.5)).numeric == Decimal("3.5")


@pytest.mark.parametrize("text", ["0", "7", "44", "4++", "+4", "A", "5,5", "4.5", "", "   ", "pięć"])
def test_grd1_values_outside_the_scale_are_refused(text):
    with pytest.raises(GradeError):
        domain.parse_grade(text, LIBRUS)


def test_grd1_six_plus_and_one_minus_only_if_the_school_allows_them():
    for text in ("6+", "1-"):
        with pytest.raises(GradeError, match="nie jest dopuszczona"):
            domain.parse_grade(text, LIBRUS)
    assert domain.parse_grade("6+", GENEROUS).numeric == Decimal("6.5")
    assert domain.parse_grade("1-", GENEROUS).numeric == Decimal("0.75")


def test_grd1_school_symbols_do_not_count_and_keep_the_schools_spelling():
    parsed = domain.parse_grade("NP", LIBRUS)
    assert parsed.value == "np" and parsed.is_symbol and parsed.numeric is None
    assert domain.parse_grade("+", LIBRUS).is_symbol
    custom = Scale.of(0.5, 0.25, symbols=[{"symbol": "Zw", "label": "zwolniony"}])
    assert domain.parse_grade("zw", custom).value == "Zw"
    with pytest.raises(GradeError, match="nie jest oceną"):
        domain.parse_grade("np", custom)          # this school has no "np"


def test_grd1_scale_settings_are_checked():
    assert domain.scale_problems(0.5, 0.25, [{"symbol": "np"}]) == {}
    problems = domain.scale_problems(1.5, -0.1, [{"symbol": "np"}, {"symbol": "NP"}, {"symbol": "4+"},
                                                 {"symbol": "za długi"}])
    assert set(problems) == {"plus_value", "minus_value", "symbols"}
    assert len(problems["symbols"]) == 3


# ----------------------------------------------------------------------------- GRD-8: weighted average

def test_grd8_weighted_average_hand_computed():
    # sprawdzian 5 (w3), kartkówka 4+ (w2), odpowiedź 3- (w2), praca domowa 6 (w1):
    # (5*3 + 4.5*2 + 2.75*2 + 6*1) / (3+2+2+1) = (15 + 9 + 5.5 + 6) / 8 = 35.5 / 8 = 4.4375 -> 4.44
    items = [Counted(Decimal("5"), Decimal(3)), Counted(Decimal("4.5"), Decimal(2)),
             Counted(Decimal("2.75"), Decimal(2)), Counted(Decimal("6"), Decimal(1))]
    assert domain.weighted_average(items) == Decimal("4.44")


def test_grd8_average_ignores_symbols_non_counted_and_zero_weight():
    # 3 (w1) and 5 (w3) count: (3 + 15) / 4 = 4.5; "np", the non-counted 1 and the weight-0 1 do not.
    items = [Counted(Decimal("3"), Decimal(1)), Counted(Decimal("5"), Decimal(3)), Counted(None, Decimal(2)),
             Counted(Decimal("1"), Decimal(5), counts=False), Counted(Decimal("1"), Decimal(0))]
    assert domain.weighted_average(items) == Decimal("4.50")


def test_grd8_average_rounds_half_up_and_is_none_without_counted_grades():
    # (4*1 + 5*2) / 3 = 14/3 = 4.666.. -> 4.67; (2 + 3-(0.25)) i.e. (2 + 2.75)/2 = 2.375 -> 2.38
    assert domain.weighted_average([Counted(Decimal(4), Decimal(1)), Counted(Decimal(5), Decimal(2))]) == Decimal("4.67")
    assert domain.weighted_average([Counted(Decimal(2), Decimal(1)), Counted(Decimal("2.75"), Decimal(1))]) == Decimal("2.38")
    assert domain.weighted_average([Counted(None, Decimal(1))]) is None
    assert domain.weighted_average([]) is None


def test_grd8_fractional_weights():
    # 4 (w1.5) and 2 (w0.5): (6 + 1) / 2 = 3.5
    assert domain.weighted_average([Counted(Decimal(4), Decimal("1.5")), Counted(Decimal(2), Decimal("0.5"))]) == Decimal("3.50")


# ----------------------------------------------------------------------------- GRD-2, GRD-5: final and behaviour grades

@pytest.mark.parametrize("text,value", [("1", "1"), ("6", "6"), ("NKL", "nkl"), ("zw", "zw"),
                                        ("niedostateczny", "1"), ("celujący", "6"), ("bardzo dobry", "5")])
def test_grd2_final_grades_are_whole_grades_nkl_or_exempt(text, value):
    assert domain.parse_final(text) == value


@pytest.mark.parametrize("text", ["4+", "3-", "7", "np", "", "wzorowe"])
def test_grd2_final_grades_refuse_modifiers_and_symbols(text):
    with pytest.raises(GradeError):
        domain.parse_final(text)


def test_grd5_behaviour_grades_use_the_six_words():
    assert domain.parse_final("Wzorowe", behaviour=True) == "wzorowe"
    assert domain.parse_final("bardzo  dobre", behaviour=True) == "bardzo dobre"
    assert domain.parse_final("ng", behaviour=True) == "naganne"
    for bad in ("5", "dobry", "nkl", "super"):
        with pytest.raises(GradeError, match="Ocena zachowania"):
            domain.parse_final(bad, behaviour=True)


# ----------------------------------------------------------------------------- GRD-4: at risk

def test_grd4_predicted_failing_reprehensible_or_unclassified_is_at_risk():
    assert domain.at_risk_reason("predicted_midyear", "1") == "niedostateczna"
    assert domain.at_risk_reason("predicted_annual", "nkl") == "nieklasyfikowanie"
    assert domain.at_risk_reason("predicted_annual", "naganne", behaviour=True) == "naganna"
    assert domain.at_risk_reason("predicted_annual", "nieodpowiednie", behaviour=True) is None
    assert domain.at_risk_reason("predicted_midyear", "2") is None
    # Only predictions raise a flag: the notice is about what may come (VII.3, VI.14).
    assert domain.at_risk_reason("annual", "1") is None
    assert domain.at_risk_reason("midyear", "naganne", behaviour=True) is None


def test_grd4_notice_deadline_status():
    today = date(2027, 1, 10)
    assert domain.notice_deadline_status(date(2027, 1, 15), today) == {
        "deadline": date(2027, 1, 15), "days_left": 5, "overdue": False}
    assert domain.notice_deadline_status(date(2027, 1, 9), today)["overdue"] is True
    assert domain.notice_deadline_status(None, today)["deadline"] is None


# ----------------------------------------------------------------------------- GRD-6: corrections

@pytest.mark.parametrize("reason", [None, "", "  ", "ab", 5])
def test_grd6_correction_requires_a_reason(reason):
    with pytest.raises(GradeError, match="przyczynę"):
        domain.require_reason(reason)


def test_grd6_reason_is_kept_trimmed():
    assert domain.require_reason("  pomyłka przy wpisie ") == "pomyłka przy wpisie"


def test_ops2_grade_date_may_be_past_but_not_future():
    today = date(2026, 11, 28)
    assert domain.grade_date_problem(date(2026, 11, 2), today) is None
    assert domain.grade_date_problem(date(2026, 11, 29), today)


# ----------------------------------------------------------------------------- year and term

def test_school_year_and_term_of_a_day():
    assert domain.school_year_of(date(2026, 9, 1)) == "2026/2027"
    assert domain.school_year_of(date(2027, 8, 31)) == "2026/2027"
    assert domain.term_of(date(2026, 11, 28)) == 1
    assert domain.term_of(date(2027, 1, 31)) == 1
    assert domain.term_of(date(2027, 2, 1)) == 2
    assert domain.term_of(date(2027, 1, 20), "01-15") == 2
    with pytest.raises(GradeError):
        domain.term_of(date(2027, 1, 20), "13-01")


# ----------------------------------------------------------------------------- GRD-7 and the matrix

MATH, HIST, PE = "math", "hist", "pe"
A4, B4 = "4a", "4b"
KID, OTHER_KID = "kid", "other"


def v(roles, **kw):
    return Viewer.of(kw.pop("user_id", "me"), roles, **kw)


def test_grd7_managers_and_the_control_account_see_everything():
    for roles in (["school_admin"], ["deputy_admin"], ["director"], ["vice_director"], ["inspector"], ["system"]):
        assert domain.student_scope(v(roles), KID, [A4]) == domain.ALL_SUBJECTS


def test_grd7_teacher_sees_all_students_in_the_subjects_taught():
    teacher = v(["teacher"], taught=[(A4, MATH)])
    scope = domain.student_scope(teacher, KID, [B4])       # even a student of another class
    assert domain.sees_subject(scope, MATH) and not domain.sees_subject(scope, HIST)
    assert domain.may_view_class_subject(teacher, B4, MATH)
    assert not domain.may_view_class_subject(teacher, B4, HIST)


def test_grd7_class_teacher_sees_every_subject_of_the_own_class_only():
    wych = v(["teacher", "class_teacher"], taught=[(A4, PE)], class_teacher_of=[A4])
    assert domain.student_scope(wych, KID, [A4]) == domain.ALL_SUBJECTS
    assert domain.student_scope(wych, KID, [B4]) == frozenset({PE})
    assert domain.may_view_class(wych, A4) and not domain.may_view_class(wych, B4)
    assert domain.may_view_class_subject(wych, A4, HIST)


def test_grd7_parent_sees_own_children_student_own_grades_only():
    parent = v(["parent"], children=[KID])
    assert domain.student_scope(parent, KID) == domain.ALL_SUBJECTS
    assert domain.student_scope(parent, OTHER_KID) == frozenset()
    student = v(["student"], user_id=KID)
    assert domain.student_scope(student, KID) == domain.ALL_SUBJECTS
    assert domain.student_scope(student, OTHER_KID) == frozenset()
    assert domain.student_scope(v(["secretary"]), KID, [A4]) == frozenset()
    assert not domain.may_view_class_subject(parent, A4, MATH)


def test_grd3_family_sees_final_grades_only_once_accepted():
    parent, student = v(["parent"], children=[KID]), v(["student"], user_id=KID)
    for viewer in (parent, student):
        assert domain.is_family_view(viewer, KID)
        assert not domain.final_visible(None, True)
    assert domain.final_visible("2027-01-20T10:00:00", True)
    teacher = v(["teacher"], taught=[(A4, MATH)])
    assert not domain.is_family_view(teacher, KID) and domain.final_visible(None, False)


def test_matrix_who_manages_grades():
    teacher = v(["teacher"], taught=[(A4, MATH)])
    assert domain.may_manage_grades(teacher, A4, MATH)
    assert not domain.may_manage_grades(teacher, B4, MATH)     # teaches math, not in 4b
    assert not domain.may_manage_grades(teacher, A4, HIST)
    wych = v(["class_teacher"], class_teacher_of=[A4])
    assert not domain.may_manage_grades(wych, A4, MATH)        # "view own class", manage own lessons only
    for roles in (["school_admin"], ["director"]):
        assert domain.may_manage_grades(v(roles), B4, HIST)
    for roles in (["inspector"], ["parent"], ["student"], ["secretary"]):
        assert not domain.may_manage_grades(v(roles, taught=[(A4, MATH)]), A4, MATH)


def test_grd5_behaviour_by_the_class_teacher_history_for_managers():
    assert domain.may_manage_behaviour(v(["teacher"], class_teacher_of=[A4]), A4)
    assert not domain.may_manage_behaviour(v(["teacher"], taught=[(A4, MATH)]), A4)
    assert domain.may_manage_behaviour(v(["director"]), A4)
    assert domain.may_view_history(v(["director"])) and domain.may_view_history(v(["school_admin"]))
    assert not domain.may_view_history(v(["teacher"], class_teacher_of=[A4]))
    assert not domain.may_view_history(v(["parent"], children=[KID]))
    assert domain.may_print_class(v(["teacher"], class_teacher_of=[A4]), A4)
    assert not domain.may_print_class(v(["teacher"], taught=[(A4, MATH)]), A4)


# ----------------------------------------------------------------------------- a column: all or nothing

def test_grd1_column_is_checked_as_a_whole():
    entries = [{"student_id": "s1", "value": "5"}, {"student_id": "s2", "value": "4+"}]
    parsed, problems = domain.column_problems(entries, ["s1", "s2", "s3"], LIBRUS)
    assert problems == {} and [(sid, p.value) for sid, p in parsed] == [("s1", "5"), ("s2", "4+")]
    bad = entries + [{"student_id": "x", "value": "5"}, {"student_id": "s1", "value": "3"},
                     {"student_id": "s3", "value": "9"}]
    parsed, problems = domain.column_problems(bad, ["s1", "s2", "s3"], LIBRUS)
    assert parsed == []
    assert set(problems) == {"2", "3", "4"}
    assert "student_id" in problems["2"] and "student_id" in problems["3"] and "value" in problems["4"]
    assert domain.column_problems([], ["s1"], LIBRUS)[1]


def test_grd2_grd5_column_of_final_grades_is_checked_as_a_whole():
    entries = [{"student_id": "s1", "value": "celujący"}, {"student_id": "s2", "value": "nkl", "reason": "r"}]
    parsed, problems = domain.final_column_problems(entries, ["s1", "s2"])
    assert problems == {} and parsed == [("s1", "6", None), ("s2", "nkl", "r")]
    bad = entries + [{"student_id": "s1", "value": "5"}, {"student_id": "s3", "value": "4+"}]
    parsed, problems = domain.final_column_problems(bad, ["s1", "s2", "s3"])
    assert parsed == [] and set(problems) == {"2", "3"}
    assert "student_id" in problems["2"] and "value" in problems["3"]
    parsed, problems = domain.final_column_problems([{"student_id": "s1", "value": "bdb"},
                                                     {"student_id": "s2", "value": "5"}], ["s1", "s2"], behaviour=True)
    assert parsed == [] and set(problems) == {"1"}
    assert domain.final_column_problems([], ["s1"])[1]


# ----------------------------------------------------------------------------- GRD-8: statistics

def test_grd8_statistics_distribution_mean_weighted_and_failing():
    grades = [{"value": "5", "numeric": 5.0, "weight": 3, "counts": True},
              {"value": "4+", "numeric": 4.5, "weight": 2, "counts": True},
              {"value": "1", "numeric": 1.0, "weight": 1, "counts": True},
              {"value": "np", "numeric": None, "weight": 1, "counts": True},
              {"value": "2", "numeric": 2.0, "weight": 1, "counts": False}]
    stats = domain.grade_statistics(grades)
    assert stats["count"] == 5 and stats["symbols"] == 1 and stats["failing"] == 1
    assert stats["distribution"] == {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1, "6": 0}
    assert stats["mean"] == 3.13                        # (5 + 4.5 + 1 + 2) / 4 = 3.125 -> 3.13
    assert stats["weighted_average"] == 4.17            # (15 + 9 + 1) / 6 = 4.1666.. -> 4.17


def test_grd8_final_and_behaviour_statistics():
    stats = domain.final_statistics(["5", "1", "nkl", "zw", "3"])
    assert stats["failing"] == 1 and stats["unclassified"] == 1 and stats["exempt"] == 1
    assert stats["mean"] == 3.0                         # (5 + 1 + 3) / 3
    beh = domain.behaviour_statistics(["wzorowe", "naganne", "wzorowe"])
    assert beh["distribution"]["wzorowe"] == 2 and beh["distribution"]["naganne"] == 1


# ----------------------------------------------------------------------------- ORG-4: grades entered late

def _utc(*args):
    from datetime import datetime, timezone
    return datetime(*args, tzinfo=timezone.utc)


def test_org4_a_weeks_grades_are_due_by_its_sunday_20_00_polish_time():
    from datetime import datetime, timezone
    # 16-22 November 2026 (winter time, UTC+1): due 22 November 20:00 in Warsaw = 19:00 UTC.
    assert domain.week_of(date(2026, 11, 18)) == (date(2026, 11, 16), date(2026, 11, 22))
    assert domain.entry_deadline(date(2026, 11, 16)) == _utc(2026, 11, 22, 19, 0)
    assert domain.entry_deadline(date(2026, 11, 22)) == _utc(2026, 11, 22, 19, 0)   # a Sunday: its own week
    assert not domain.entered_late(date(2026, 11, 18), _utc(2026, 11, 22, 19, 0))
    assert domain.entered_late(date(2026, 11, 18), _utc(2026, 11, 22, 19, 0, 1))
    # Summer time (UTC+2): 14-20 September 2026 is due 20 September 18:00 UTC.
    assert not domain.entered_late(date(2026, 9, 14), _utc(2026, 9, 20, 18, 0))
    assert domain.entered_late(date(2026, 9, 14), _utc(2026, 9, 20, 18, 30))
    # A naive time (SQLite keeps no zone) is UTC.
    assert domain.entered_late(date(2026, 9, 14), datetime(2026, 9, 20, 18, 30))
    assert not domain.entered_late(date(2026, 9, 14), datetime(2026, 9, 20, 17, 59))
    assert domain.as_utc(datetime(2026, 9, 20, 17, 59)).tzinfo == timezone.utc


def test_org4_late_grades_of_a_week_by_teacher_and_entry_time():
    grades = [
        {"grade_id": "on-time", "teacher_id": "t1", "date": date(2026, 11, 17), "entered_at": _utc(2026, 11, 20, 10)},
        {"grade_id": "late-b", "teacher_id": "t2", "date": date(2026, 11, 20), "entered_at": _utc(2026, 11, 23, 7)},
        {"grade_id": "late-a2", "teacher_id": "t1", "date": date(2026, 11, 16), "entered_at": _utc(2026, 11, 24, 9)},
        {"grade_id": "late-a1", "teacher_id": "t1", "date": date(2026, 11, 22), "entered_at": _utc(2026, 11, 22, 19, 5)},
        # Another week: late for its own week, not part of this one.
        {"grade_id": "week-before", "teacher_id": "t1", "date": date(2026, 11, 13), "entered_at": _utc(2026, 11, 23, 7)},
        {"grade_id": "week-after", "teacher_id": "t1", "date": date(2026, 11, 23), "entered_at": _utc(2026, 12, 1, 7)},
    ]
    late = domain.late_grades(grades, date(2026, 11, 16))
    assert [g["grade_id"] for g in late] == ["late-a1", "late-a2", "late-b"]
    # Any day of the week names the week.
    assert domain.late_grades(grades, date(2026, 11, 19)) == late
    assert [g["grade_id"] for g in domain.late_grades(grades, date(2026, 11, 9))] == ["week-before"]
    assert domain.late_grades([], date(2026, 11, 16)) == []


def test_grade_view_is_the_grade_schema_written_out():
    """The hot read paths build grades by hand (schemas.grade_view); GradeOut stays the
    documented shape: the two must give the same thing, for a plain and a corrected grade."""
    from datetime import datetime as _dt

    from services.grades.models import Grade
    from services.grades.schemas import GradeOut, grade_view
    plain = Grade(id="g1", school_id="s", student_id="st", class_id="c", subject_id="m", teacher_id="t",
                  category_id="k", column_id=None, weight=None, counts_in_average=None, date=date(2026, 10, 5),
                  school_year="2026/2027", term=1, description=None, value="np", numeric=None, version=1,
                  created_by="t", created_at=_dt(2026, 10, 5, 8, 1, 2, 345), updated_at=None, deleted_at=None)
    corrected = Grade(id="g2", school_id="s", student_id="st", class_id="c", subject_id="m", teacher_id=None,
                      category_id="k", column_id="col", weight=2, counts_in_average=False, date=date(2027, 3, 1),
                      school_year="2026/2027", term=2, description="Sprawdzian: ułamki", value="4+", numeric=4.5,
                      version=3, created_by="t", created_at=_dt(2027, 3, 1, 9, 0), updated_at=_dt(2027, 3, 2, 7, 0),
                      deleted_at=_dt(2027, 3, 3, 7, 0))
    for g in (plain, corrected):
        assert grade_view(g) == GradeOut().dump(g)
