"""grades' part of the export protocol (services/archive/protocol.py): settings, categories,
columns, partial grades with every version, predicted/mid-year/annual grades with their
versions, behaviour grades and at-risk flags, read by the archive over RPC (ARC-1, GRD-6)."""
from services.archive import protocol
from services.common.service import typed_rpc

from .domain import BEHAVIOUR
from .models import (AtRiskFlag, FinalGrade, FinalGradeVersion, Grade, GradeCategory, GradeColumn,
                     GradeSettings, GradeVersion)

_GRADES = protocol.Section("grades", Grade, "Oceny cząstkowe", year="school_year", date="date",
                           student="student_id")
# Every final row (subjects and behaviour): the parent of the versions.
_ALL_FINALS = protocol.Section("all_finals", FinalGrade, "Oceny końcowe", year="school_year",
                               student="student_id")

SECTIONS = [
    protocol.Section("settings", GradeSettings, "Skala ocen", key="school_id"),
    protocol.Section("categories", GradeCategory, "Kategorie ocen"),
    protocol.Section("columns", GradeColumn, "Kolumny ocen", date="date"),
    _GRADES,
    protocol.Section("grade_versions", GradeVersion, "Historia ocen cząstkowych", parent=(_GRADES, "grade_id")),
    protocol.Section("finals", FinalGrade, "Oceny przewidywane, śródroczne i roczne", year="school_year",
                     student="student_id", where=lambda m: m.scope != BEHAVIOUR),
    protocol.Section("final_versions", FinalGradeVersion, "Historia ocen końcowych i zachowania",
                     parent=(_ALL_FINALS, "final_id")),
    protocol.Section("behaviour", FinalGrade, "Oceny zachowania", year="school_year", student="student_id",
                     where=lambda m: m.scope == BEHAVIOUR),
    protocol.Section("at_risk", AtRiskFlag, "Zagrożenia", year="school_year", student="student_id"),
]


class ArchiveExport:
    """The two RPCs of the export protocol, mixed into GradesService."""

    @typed_rpc
    def archive_export_sections(self):
        """The sections grades exports to the archive, with the filters each accepts (ARC-1)."""
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
