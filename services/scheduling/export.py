"""scheduling's part of the export protocol (services/archive/protocol.py): school years and
terms, classes and class lists, subjects, teaching assignments, the timetable, lessons with
their topics, substitutions, the calendar and trip cards, read by the archive over RPC (ARC-1)."""
from services.archive import protocol
from services.common.service import typed_rpc

from .models import (CalendarEvent, Enrolment, Lesson, SchoolClass, SchoolYear, Subject, Substitution,
                     TeachingAssignment, Term, TimetableEntry, Trip)

_LESSONS = protocol.Section("lessons", Lesson, "Lekcje i tematy", date="date")

SECTIONS = [
    protocol.Section("school_years", SchoolYear, "Lata szkolne", span=("starts_on", "ends_on")),
    protocol.Section("terms", Term, "Okresy", span=("starts_on", "ends_on")),
    protocol.Section("classes", SchoolClass, "Klasy"),
    protocol.Section("enrolments", Enrolment, "Listy uczniów (przydział do klas)",
                     span=("enrolled_on", "ended_on"), student="student_id"),
    protocol.Section("subjects", Subject, "Przedmioty"),
    protocol.Section("assignments", TeachingAssignment, "Przydział zajęć"),
    protocol.Section("timetable", TimetableEntry, "Plan lekcji", span=("valid_from", "valid_to")),
    _LESSONS,
    protocol.Section("substitutions", Substitution, "Zastępstwa", parent=(_LESSONS, "lesson_id")),
    protocol.Section("calendar", CalendarEvent, "Terminarz", date="date"),
    protocol.Section("trips", Trip, "Karty wycieczek", span=("starts_on", "ends_on")),
]


class ArchiveExport:
    """The two RPCs of the export protocol, mixed into SchedulingService."""

    @typed_rpc
    def archive_export_sections(self):
        """The sections scheduling exports to the archive, with the filters each accepts (ARC-1)."""
        self.caller.require_authenticated()
        return protocol.describe(SECTIONS)

    @typed_rpc
    def archive_export(self, school_id, section, after=None, limit=500, date_from=None, date_to=None,
                       school_year=None, student_id=None):
        """One page of a section of a school's data for the archive, in a stable order (keyset on
        the id): ``{"items", "next"}`` (ARC-1, ARC-6; system, association administrator, the
        school's administrator or director)."""
        protocol.check_caller(self.caller, school_id)
        return protocol.export_page(self.db.session, SECTIONS, school_id, section, after, limit,
                                    date_from=date_from, date_to=date_to, school_year=school_year,
                                    student_id=student_id)
