"""messaging: the nameko entrypoints."""
from sqlalchemy import select

from services.common.errors import Forbidden, Invalid, NotFound
from services.common.models import utcnow
from services.common.rpc import ServiceRpc
from services.common.service import PlatformService, typed_rpc
from services.common.validation import load

from .models import Message, Recipient
from .schemas import MessageIn, MessageOut

NOTE_AUTHORS = ("teacher", "class_teacher", "director", "vice_director", "school_admin", "deputy_admin")
SENDERS = NOTE_AUTHORS + ("secretary", "parent")

_message_out = MessageOut()


class MessagingService(PlatformService):
    name = "messaging"
    identity = ServiceRpc("identity")

    @typed_rpc
    def send_message(self, data):
        """Send a message; a note (kind ``note``, UWAGA) goes to the student's parents and is
        filed in the student's file by identity through ``messaging.note_issued`` (MSG-3)."""
        c = self.caller
        c.require_role(*SENDERS)
        data = load(MessageIn, data)
        school_id = c.school_id
        if not school_id:
            raise Invalid("Wiadomości wysyła się w obrębie szkoły.")
        sender = self.identity.get_account(c.user_id)
        sender_name = f"{sender['first_name']} {sender['last_name']}"
        if data["kind"] == "note":
            c.require_role(*NOTE_AUTHORS)
            student = self.identity.get_account(data["student_id"])   # NotFound across schools
            if "student" not in student["roles"] or student["school_id"] != school_id:
                raise Invalid("Uwaga musi dotyczyć ucznia tej szkoły.", {"student_id": ["Niepoprawny."]})
            recipient_ids = [p["id"] for p in self.identity.guardians_of(student["id"])]
            recipient_ids += [r for r in data["recipient_ids"] if r not in recipient_ids]
        else:
            recipient_ids = list(dict.fromkeys(data["recipient_ids"]))
        for rid in recipient_ids:
            if rid == c.user_id:
                continue
            account = self.identity.get_account(rid)
            if account["school_id"] != school_id:
                raise NotFound("Nie znaleziono odbiorcy.")
        with self.db.unit_of_work() as s:
            message = Message(school_id=school_id, sender_id=c.user_id, sender_name=sender_name,
                              kind=data["kind"], subject=data["subject"], body=data["body"],
                              student_id=data["student_id"], note_kind=data["note_kind"],
                              note_category=data["note_category"] or ("uwaga" if data["kind"] == "note" else None))
            s.add(message)
            s.flush()
            for rid in recipient_ids:
                s.add(Recipient(school_id=school_id, message_id=message.id, recipient_id=rid))
            self.outbox.add("messaging.message_sent", {"message_id": message.id, "sender_id": c.user_id,
                                                       "recipient_count": len(recipient_ids)}, school_id=school_id)
            if message.kind == "note":
                self.outbox.add("messaging.note_issued", {
                    "message_id": message.id, "student_id": message.student_id, "author_id": c.user_id,
                    "author_name": sender_name, "kind": message.note_kind, "category": message.note_category,
                    "subject": message.subject, "body": message.body,
                    "issued_at": message.sent_at.isoformat()}, school_id=school_id)
        out = _message_out.dump(message)
        out["recipient_count"] = len(recipient_ids)
        return out

    @typed_rpc
    def inbox(self, limit=50):
        """The caller's received messages, newest first, with the read time of each."""
        c = self.caller
        c.require_authenticated()
        rows = self.db.session.execute(
            select(Message, Recipient.read_at).join(Recipient, Recipient.message_id == Message.id)
            .where(Recipient.recipient_id == c.user_id, Recipient.school_id == c.school_id)
            .order_by(Message.sent_at.desc()).limit(min(int(limit), 200))).all()
        return [{**_message_out.dump(m), "read_at": read_at.isoformat() if read_at else None}
                for m, read_at in rows]

    @typed_rpc
    def read_message(self, message_id):
        """Open a message: the recipient's read receipt is recorded once (MSG-2)."""
        c = self.caller
        c.require_authenticated()
        s = self.db.session
        message = s.get(Message, message_id) if isinstance(message_id, str) else None
        if message is None or not c.can_access_school(message.school_id):
            raise NotFound("Nie znaleziono wiadomości.")
        if message.sender_id == c.user_id:
            return _message_out.dump(message)
        with self.db.unit_of_work():
            receipt = s.scalar(select(Recipient).where(Recipient.message_id == message.id,
                                                       Recipient.recipient_id == c.user_id))
            if receipt is None:
                raise NotFound("Nie znaleziono wiadomości.")
            if receipt.read_at is None:
                receipt.read_at = utcnow()
        return {**_message_out.dump(message), "read_at": receipt.read_at.isoformat()}

    @typed_rpc
    def receipts(self, message_id):
        """Who has read a message and when; for its sender only."""
        c = self.caller
        s = self.db.session
        message = s.get(Message, message_id) if isinstance(message_id, str) else None
        if message is None or not c.can_access_school(message.school_id):
            raise NotFound("Nie znaleziono wiadomości.")
        if message.sender_id != c.user_id and not c.has_role("director", "school_admin"):
            raise Forbidden("Potwierdzenia odczytu widzi nadawca.")
        rows = s.scalars(select(Recipient).where(Recipient.message_id == message.id)).all()
        return [{"recipient_id": r.recipient_id, "read_at": r.read_at.isoformat() if r.read_at else None}
                for r in rows]
