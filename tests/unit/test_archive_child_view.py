"""The paper copy of the parent's view of a child (ARC-3, procedure IX.4): archive's pure rules and
its PDF made from a sample view, without services."""
import datetime as dt
import io
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from services.archive import domain, printouts


def test_arc3_school_year_of_a_day_and_its_dates():
    assert domain.school_year_of(dt.date(2026, 8, 31)) == "2025/2026"
    assert domain.school_year_of(dt.date(2026, 9, 1)) == "2026/2027"
    assert domain.school_year_dates("2025/2026") == (dt.date(2025, 9, 1), dt.date(2026, 8, 31))


def test_grd3_only_accepted_final_grades_are_printed_in_the_order_of_the_year():
    finals = {"annual": {"value": "5", "accepted": True}, "predicted_annual": {"value": "6", "accepted": False},
              "midyear": {"value": "nkl", "accepted": True}, "predicted_midyear": None}
    assert domain.accepted_finals(finals) == [("śródroczna", "nieklasyfikowany"), ("roczna", "bardzo dobry (5)")]
    assert domain.accepted_finals({"midyear": {"value": "wzorowe", "accepted": True}}, behaviour=True) == \
        [("śródroczna", "wzorowe")]
    assert domain.accepted_finals(None) == []


def test_arc3_numbers_in_polish_notation_and_notes_of_the_year():
    assert domain.fmt_number(4.4583) == "4,46" and domain.fmt_number(None) == "—"
    assert domain.fmt_percent(93.333) == "93,3%" and domain.fmt_percent(None) == "—"
    start, end = domain.school_year_dates("2025/2026")
    warsaw = ZoneInfo("Europe/Warsaw")
    # 31 August 23:30 UTC is already 1 September in Poland: the next year's note.
    assert not domain.in_year("2026-08-31T23:30:00+00:00", start, end, warsaw)
    assert domain.in_year("2025-09-01T06:00:00+00:00", start, end, warsaw)
    assert not domain.in_year(None, start, end)


def test_arc3_the_printout_holds_the_view_with_polish_letters():
    view = {"student": "Łucja Żółkiewska", "class_name": "4a", "school_year": "2025/2026",
            "printed_at": "12.03.2026 10:15", "printed_by": "Paweł Żółkiewski",
            "subjects": [{"name": "Język polski", "grades": [{"value": "5"}, {"value": "4+", "corrected": True}],
                          "average_term1": 4.8, "average_term2": None, "average_year": 4.8,
                          "finals": [("śródroczna", "dobry (4)")]}],
            "overall_average": 4.8, "behaviour": [("śródroczna", "wzorowe")],
            "attendance": {"percent": 93.333, "recorded": 15, "by_kind": {"present": 14, "absent": 1},
                           "subjects": [{"name": "Język polski", "percent": 93.333, "recorded": 15}]},
            "notes": [{"date": "03.03.2026", "kind": "pozytywna", "category": "zachowanie",
                       "subject": "Pochwała", "body": "Źdźbło trawy – konkurs przyrodniczy.",
                       "author": "Grażyna Ślązak"}]}
    pdf = printouts.child_view("Szkoła Podstawowa nr 6 w Łąkach", view)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    for expected in ("Szkoła Podstawowa nr 6 w Łąkach", "Łucja Żółkiewska", "Język polski", "5 4+*", "4,80",
                     "śródroczna: dobry (4)", "ocena śródroczna: wzorowe", "93,3%", "Źdźbło trawy",
                     "Grażyna Ślązak", "Wydrukował(a) Paweł Żółkiewski", "* ocena poprawiona"):
        assert expected in text, expected
    empty = printouts.child_view("Szkoła", {**view, "subjects": [], "behaviour": [], "notes": [],
                                            "attendance": {"percent": None, "recorded": 0, "by_kind": {}}})
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(empty)).pages).split())
    assert "Brak ocen w tym roku szkolnym." in text and "Brak uwag w tym roku szkolnym." in text
    assert "Brak zatwierdzonej oceny zachowania." in text and "Frekwencja w roku szkolnym: —" in text
