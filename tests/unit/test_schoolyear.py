"""One school year for every service: 1 September to 31 August (grades, archive, the gateway)."""
import datetime as dt

from gateway.api import students
from services.archive import domain as archive_domain
from services.common.schoolyear import school_year_dates, school_year_of
from services.grades import domain as grades_domain


def test_the_school_year_runs_from_the_first_of_september_to_the_end_of_august():
    assert school_year_of(dt.date(2026, 8, 31)) == "2025/2026"
    assert school_year_of(dt.date(2026, 9, 1)) == "2026/2027"
    assert school_year_dates("2025/2026") == (dt.date(2025, 9, 1), dt.date(2026, 8, 31))
    assert school_year_of(school_year_dates("2030/2031")[1]) == "2030/2031"


def test_grades_archive_and_the_gateway_count_the_same_year():
    assert grades_domain.school_year_of is archive_domain.school_year_of is students.school_year_of \
        is school_year_of
    assert archive_domain.school_year_dates is students.school_year_dates is school_year_dates
