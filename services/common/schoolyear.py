"""The school year as every part of the register counts it: 1 September to 31 August.

One definition for grades (which year a grade belongs to), archive (a year's attendance range)
and the gateway (the year a parent's view shows by default)."""
import datetime as dt


def school_year_of(day):
    """"2026/2027" for any day from 1 September 2026 to 31 August 2027."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{start + 1}"


def school_year_dates(name):
    """(1 September, 31 August) of a school year "2025/2026", as dates."""
    start = int(str(name).split("/")[0])
    return dt.date(start, 9, 1), dt.date(start + 1, 8, 31)
