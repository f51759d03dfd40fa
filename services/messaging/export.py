"""messaging's part of the export protocol (services/archive/protocol.py): messages' metadata
(sender, recipients with their read receipts, sent time, subject; never the bodies nor
attachments), notes (UWAGA, with their text: they belong to the student file) and
announcements, read by the archive over RPC (ARC-1, MSG-2)."""
from sqlalchemy import select

from services.archive import protocol
from services.common.service import typed_rpc

from .models import Announcement, Message, Recipient

_METADATA = ("id", "school_id", "sender_id", "sender_name", "kind", "subject", "student_id", "sent_at",
             "thread_id", "parent_id", "recipient_count", "has_attachments")


def _recipients(session, rows):
    """Each message's recipients and read times (MSG-2), in one query per page."""
    out = {row.id: {"recipients": []} for row in rows}
    for r in session.scalars(select(Recipient).where(Recipient.message_id.in_(list(out)))
                             .order_by(Recipient.message_id, Recipient.recipient_id)):
        out[r.message_id]["recipients"].append({"recipient_id": r.recipient_id, "name": r.recipient_name,
                                                "read_at": protocol.jsonable(r.read_at)})
    return out


SECTIONS = [
    protocol.Section("messages", Message, "Wiadomości (metadane)", fields=_METADATA, time="sent_at",
                     student="student_id", where=lambda m: m.kind != "note", extra=_recipients),
    protocol.Section("notes", Message, "Uwagi", fields=_METADATA + ("body", "note_kind", "note_category"),
                     time="sent_at", student="student_id", where=lambda m: m.kind == "note", extra=_recipients),
    protocol.Section("announcements", Announcement, "Ogłoszenia", span=("valid_from", "valid_until")),
]


class ArchiveExport:
    """The two RPCs of the export protocol, mixed into MessagingService."""

    @typed_rpc
    def archive_export_sections(self):
        """The sections messaging exports to the archive, with the filters each accepts (ARC-1)."""
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
