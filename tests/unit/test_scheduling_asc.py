"""The aSc Timetables XML import (services/scheduling/asc.py): parsing, safety, mapping (ORG-2)."""
import os

import pytest

from services.scheduling import asc

SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "services", "scheduling", "samples", "asc_sample.xml")
TEACHERS = [("t-kow", "Anna", "Kowalska"), ("t-wis", "Piotr", "Wiśniewski"), ("t-zie", "Maria", "Zielińska"),
            ("t-lew", "Katarzyna", "Lewandowska"), ("t-woj", "Tomasz", "Wójcik"), ("t-kam", "Ewa", "Kamińska")]
CLASSES = [("c-1a", "1a"), ("c-1b", "1 B")]


@pytest.fixture(scope="module")
def sample():
    with open(SAMPLE, encoding="utf-8") as fh:
        return fh.read()


def test_sample_file_is_read(sample):
    t = asc.read_asc(sample)
    assert t.version == "2024.10.1"
    assert sorted(t.periods) == [1, 2, 3, 4, 5, 6]
    assert {c["name"] for c in t.classes.values()} == {"1a", "1b"}
    assert len(t.cards) == 29


def test_sample_maps_onto_the_school(sample):
    plan = asc.plan_import(asc.read_asc(sample), CLASSES, TEACHERS, [("s-mat", "matematyka", "mat")])
    assert plan.unmapped == {"classes": [], "teachers": []}
    assert plan.mapped["subjects"] == {"Matematyka": "s-mat"}
    assert sorted(v["name"] for v in plan.new_subjects.values()) == [
        "Historia", "Informatyka", "Język angielski", "Język polski", "Wychowanie fizyczne"]
    # 17 slots for 1a (two English groups), 15 for 1b; the double PE lesson fills periods 3 and 4.
    assert sum(s.class_id == "c-1a" for s in plan.slots) == 17
    assert sum(s.class_id == "c-1b" for s in plan.slots) == 15
    pe = sorted((s.class_id, s.period) for s in plan.slots if s.subject_key == "new:wychowanie fizyczne")
    assert pe == [("c-1a", 3), ("c-1a", 4), ("c-1b", 3), ("c-1b", 4)]
    assert {s.shared_key for s in plan.slots if s.subject_key == "new:wychowanie fizyczne"} != {None}
    groups = sorted({s.group for s in plan.slots if s.class_id == "c-1a" and s.subject_key == "new:język angielski"})
    assert groups == ["1 grupa", "2 grupa"]
    first = next(s for s in plan.slots if s.class_id == "c-1a" and s.weekday == 1 and s.period == 1)
    assert (first.teacher_id, first.room, first.starts_at.strftime("%H:%M")) == ("t-kow", "11", "08:00")


def test_unmapped_teachers_and_classes_are_reported(sample):
    plan = asc.plan_import(asc.read_asc(sample), [("c-1a", "1a")], TEACHERS[:-1], [])
    assert plan.unmapped["classes"] == ["1b"]
    assert plan.unmapped["teachers"] == ["Kamińska Ewa"]


def test_two_accounts_with_one_name_are_ambiguous(sample):
    plan = asc.plan_import(asc.read_asc(sample), CLASSES, TEACHERS + [("t-kow2", "Anna", "Kowalska")], [])
    assert any("Kowalska Anna" in u and "kilka" in u for u in plan.unmapped["teachers"])


@pytest.mark.parametrize("text", [
    '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><timetable>&b;</timetable>',
    '<?xml version="1.0"?><!DOCTYPE t SYSTEM "http://example.com/x.dtd"><timetable/>',
    '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><timetable>&x;</timetable>',
])
def test_entities_and_doctype_are_refused(text):
    with pytest.raises(asc.AscFormatError) as err:
        asc.read_asc(text)
    assert "DOCTYPE" in err.value.message


@pytest.mark.parametrize("text,expected", [
    ("not xml at all", "poprawny plik XML"),
    ("<timetable><periods>", "poprawny plik XML"),
    ('<?xml version="1.0"?><schedule/>', "<schedule>"),
    ("<timetable><periods/></timetable>", "brakuje sekcji"),
    ("", "poprawny plik XML"),
])
def test_files_that_are_not_asc_exports_are_refused(text, expected):
    with pytest.raises(asc.AscFormatError) as err:
        asc.read_asc(text)
    assert expected in err.value.message


def test_broken_references_and_unsupported_features_are_listed(sample):
    broken = sample.replace('weeks="1" terms="1" days="00001"', 'weeks="10" terms="1" days="00001"', 1)
    broken = broken.replace('<card lessonid="', '<card lessonid="NOPE', 1)
    with pytest.raises(asc.AscFormatError) as err:
        asc.read_asc(broken)
    text = " ".join(err.value.problems)
    assert "nieznaną lekcję" in text and "dwutygodniowy" in text
    assert "innych problemów" in err.value.message


def test_saturday_cards_are_refused(sample):
    with pytest.raises(asc.AscFormatError) as err:
        asc.read_asc(sample.replace('terms="1" days="00001"', 'terms="1" days="000001"', 1))
    assert "sobot" in err.value.problems[0]


def test_encoding_declaration_of_decoded_text_is_ignored(sample):
    text = sample.replace('encoding="UTF-8"', 'encoding="windows-1250"')
    assert len(asc.read_asc(text).cards) == 29
    assert len(asc.read_asc(sample.encode("utf-8")).cards) == 29


def test_class_names_are_compared_loosely():
    assert asc.norm_class("4 A") == asc.norm_class("4-a") == asc.norm_class("4a")
    assert asc.teacher_keys("Anna", "Kowalska") == {"anna kowalska", "kowalska anna"}
