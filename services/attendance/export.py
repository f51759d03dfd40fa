"""attendance's part of the export protocol (services/archive/protocol.py): categories, entries
per lesson with every version, justifications, parents' e-justifications and class changes,
read by the archive over RPC (ARC-1, LAW-2)."""
from services.archive import protocol
from services.common.service import typed_rpc

from .models import AttendanceEntry, Category, ClassChange, EJustification, EntryVersion, Justification

_ENTRIES = protocol.Section("entries", AttendanceEntry, "Frekwencja", date="lesson_date", student="student_id")

SECTIONS = [
    protocol.Section("categories", Category, "Kategorie frekwencji"),
    _ENTRIES,
    protocol.Section("entry_versions", EntryVersion, "Historia wpisów frekwencji", parent=(_ENTRIES, "entry_id")),
    protocol.Section("justifications", Justification, "Usprawiedliwienia", time="justified_at",
                     student="student_id"),
    protocol.Section("e_justifications", EJustification, "E-usprawiedliwienia",
                     span=("date_from", "date_to"), student="student_id"),
    protocol.Section("class_changes", ClassChange, "Przeniesienia i skreślenia", date="on_date",
                     student="student_id"),
]


class ArchiveExport:
    """The two RPCs of the export protocol, mixed into AttendanceService."""

    @typed_rpc
    def archive_export_sections(self):
        """The sections attendance exports to the archive, with the filters each accepts (ARC-1)."""
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
