"""identity's part of the export protocol (services/archive/protocol.py): the school, its
accounts (never password hashes or login-failure counters), guardianships, students' personal
data and the student file (notes), read by the archive over RPC (ARC-1, ARC-6)."""
from sqlalchemy import or_, select

from services.archive import protocol
from services.common.service import typed_rpc

from .models import Account, Guardianship, School, StudentNote, StudentProfile


def _account_of_student_or_guardian(model, student_id):
    parents = select(Guardianship.parent_id).where(Guardianship.student_id == student_id)
    return or_(model.id == student_id, model.id.in_(parents))


SECTIONS = [
    protocol.Section("school", School, "Szkoła", school="id"),
    protocol.Section("accounts", Account, "Konta użytkowników",
                     exclude=("password_hash", "failed_logins", "last_failed_at", "password_changed_at"),
                     student=_account_of_student_or_guardian),
    protocol.Section("guardianships", Guardianship, "Rodzice i opiekunowie prawni", student="student_id"),
    protocol.Section("student_profiles", StudentProfile, "Dane osobowe uczniów", key="account_id",
                     student="account_id"),
    protocol.Section("notes", StudentNote, "Kartoteka ucznia: uwagi", time="issued_at", student="student_id"),
]


class ArchiveExport:
    """The two RPCs of the export protocol, mixed into IdentityService."""

    @typed_rpc
    def archive_export_sections(self):
        """The sections identity exports to the archive, with the filters each accepts (ARC-1)."""
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
