"""messaging: the nameko entrypoints. Each loads its arguments, checks the caller, applies the
rule from ``domain``, stores, and records events in the outbox (same transaction)."""
import base64
from datetime import timezone

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.handlers import idempotent, subscribe
from services.common.models import utcnow
from services.common.service import PlatformService, typed_rpc
from services.common.validation import load

from . import domain
from .dependencies import AttachmentStore, DirectoryRpc, attachment_limits, parallel, send_notices, smtp_sealer
from .models import (Announcement, AnnouncementMember, Attachment, EmailDispatch, Message,
                     MessagingSettings, OutageNotice, Recipient, new_id)
from .schemas import (VALIDITY_DEFAULT, AnnouncementIn, AnnouncementOut, AttachmentOut, DecisionIn,
                      ErrorReportIn, MailboxItemOut, MailboxQuery, MessageIn, MessageOut, OutageIn,
                      OutageOut, PublicOutageOut, ReceiptsQuery, ReplyIn, SettingsIn, SettingsOut)

# Up to this many single recipients are looked up one by one; more, with one list of the school.
SINGLE_LOOKUPS = 20

_message_out = MessageOut()
_item_out = MailboxItemOut()
_attachment_out = AttachmentOut()
_announcement_out = AnnouncementOut()
_outage_out = OutageOut()
_public_outage_out = PublicOutageOut()
_settings_out = SettingsOut()


def _aware(dt):
    return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _iso(dt):
    return _aware(dt).isoformat() if dt is not None else None


def _name(account):
    return f"{account['first_name']} {account['last_name']}"


from .export import ArchiveExport  # noqa: E402  (the archive's export protocol, issue 8)


class MessagingService(ArchiveExport, PlatformService):
    name = "messaging"
    # Directory look-ups run as the system; messaging applies its own rules and school checks
    # (see dependencies._AsSystem).
    identity = DirectoryRpc("identity")
    scheduling = DirectoryRpc("scheduling")
    files = AttachmentStore()

    # ================================================================ helpers

    def _school(self):
        """The caller's school; messaging works inside one school (TEN-1)."""
        c = self.caller
        c.require_authenticated()
        if not c.school_id:
            raise Invalid("Wiadomości i ogłoszenia działają w obrębie szkoły.")
        return c.school_id

    def _settings(self, school_id):
        settings = self.db.session.get(MessagingSettings, school_id)
        return settings or MessagingSettings(school_id=school_id, students_may_write=False,
                                             email_enabled=False, smtp_security="starttls")

    def _account(self, user_id, school_id, missing="Nie znaleziono odbiorcy."):
        """An account of ``school_id``; another school's account is NotFound like a missing one."""
        if not isinstance(user_id, str) or not user_id:
            raise NotFound(missing)
        try:
            account = self.identity.get_account(user_id)
        except NotFound:
            raise NotFound(missing) from None
        if account.get("school_id") != school_id:
            raise NotFound(missing)
        return account

    def _me(self, school_id):
        return self._account(self.caller.user_id, school_id, "Nie znaleziono konta nadawcy.")

    def _school_accounts(self, school_id):
        """Every account of the school, asked once per call."""
        cache = self.__dict__.setdefault("_accounts_cache", {})
        if school_id not in cache:
            cache[school_id] = self.identity.list_accounts(school_id)
        return cache[school_id]

    def _class(self, class_id, school_id):
        if not isinstance(class_id, str) or not class_id:
            raise NotFound("Nie znaleziono klasy.")
        try:
            klass = self.scheduling.get_class(class_id)
        except NotFound:
            raise NotFound("Nie znaleziono klasy.") from None
        if klass.get("school_id") != school_id:
            raise NotFound("Nie znaleziono klasy.")
        return klass

    def _class_student_ids(self, class_id):
        return list(dict.fromkeys(e["student_id"] for e in self.scheduling.class_list(class_id)))

    def _parents_of(self, student_ids):
        out = []
        for parents in parallel(self.identity.guardians_of, student_ids):
            out.extend(parents)
        return out

    def _resolve_singles(self, ids, school_id):
        ids = list(dict.fromkeys(i for i in ids if i != self.caller.user_id))
        if not ids:
            return []
        if len(ids) <= SINGLE_LOOKUPS:
            return parallel(lambda i: self._account(i, school_id), ids)
        by_id = {a["id"]: a for a in self._school_accounts(school_id)}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise NotFound("Nie znaleziono odbiorcy.", {"recipient_ids": missing[:20]})
        return [by_id[i] for i in ids]

    def _resolve_groups(self, groups, school_id):
        """MSG-1: the accounts of each chosen group, resolved now (at sending), and a label per group."""
        lists, labels = [], []
        seen = set()
        for g in groups:
            key = (g["kind"], g.get("class_id"))
            if key in seen:
                continue
            seen.add(key)
            if g["kind"] in domain.CLASS_GROUPS:
                klass = self._class(g["class_id"], school_id)
                student_ids = self._class_student_ids(klass["id"])
                if g["kind"] == domain.GROUP_CLASS_PARENTS:
                    accounts = [a for a in self._parents_of(student_ids) if a.get("school_id") == school_id]
                else:
                    wanted = set(student_ids)
                    accounts = [a for a in self._school_accounts(school_id) if a["id"] in wanted]
                labels.append({"kind": g["kind"], "class_id": klass["id"],
                               "label": domain.group_label(g["kind"], klass["name"])})
            else:
                accounts = domain.accounts_in_school_group(g["kind"], self._school_accounts(school_id))
                labels.append({"kind": g["kind"], "class_id": None, "label": domain.group_label(g["kind"])})
            lists.append(accounts)
        return lists, labels

    def _check_files(self, attachments):
        if not attachments:
            return []
        max_bytes, max_count = attachment_limits()
        problems, clean = domain.check_attachments(attachments, max_bytes=max_bytes, max_count=max_count)
        if problems:
            first = next(iter(problems.values()))[0]
            raise Invalid(first, {"attachments": problems})
        return clean

    def _store_files(self, files):
        for f in files:
            f["sha256"] = self.files.put(f["data"])
        return files

    def _store_message(self, *, school_id, sender_id, sender_name, kind, subject, body, recipients,
                       parent=None, groups=None, files=(), student_id=None, note_kind=None,
                       note_category=None):
        """Add a message, its recipients (one bulk insert) and attachments to the current
        transaction, with ``messaging.message_sent``; does not commit. ``recipients``: (id, name)."""
        s = self.db.session
        message_id = new_id()
        message = Message(
            id=message_id, school_id=school_id, sender_id=sender_id, sender_name=sender_name, kind=kind,
            subject=subject[:200], body=body, student_id=student_id, note_kind=note_kind,
            note_category=note_category, sent_at=utcnow(),
            thread_id=(parent.thread_id or parent.id) if parent is not None else message_id,
            parent_id=parent.id if parent is not None else None, recipient_groups=groups or None,
            recipient_count=len(recipients), has_attachments=bool(files),
            search_text=domain.search_text(subject, sender_name, body))
        s.add(message)
        s.flush()
        if recipients:
            s.execute(insert(Recipient), [
                {"id": new_id(), "school_id": school_id, "message_id": message_id, "recipient_id": rid,
                 "recipient_name": (name or "")[:170] or None, "read_at": None} for rid, name in recipients])
        stored = []
        for f in files:
            att = Attachment(school_id=school_id, message_id=message_id, filename=f["filename"],
                             content_type=f["content_type"], size=len(f["data"]), sha256=f["sha256"])
            s.add(att)
            stored.append(att)
        s.flush()
        message._attachments = stored
        self.outbox.add("messaging.message_sent", {"message_id": message_id, "sender_id": sender_id,
                                                   "recipient_count": len(recipients)}, school_id=school_id)
        return message

    def _system_message(self, school_id, recipients, subject, body, student_id=None):
        """MSG-5: a message from the register itself (in the current transaction)."""
        recipients = list({rid: (rid, name) for rid, name in recipients if rid}.values())
        if not recipients:
            return None
        return self._store_message(school_id=school_id, sender_id=domain.SYSTEM_SENDER_ID,
                                   sender_name=domain.SYSTEM_SENDER_NAME, kind=domain.KIND_SYSTEM,
                                   subject=subject, body=body, recipients=recipients, student_id=student_id)

    def _visible_message(self, message_id):
        """A message the caller sent or received, and the caller's receipt row (None for the
        sender). Anything else is NotFound: nobody learns that another's message exists."""
        c = self.caller
        c.require_authenticated()
        s = self.db.session
        message = s.get(Message, message_id) if isinstance(message_id, str) else None
        if message is None or not c.can_access_school(message.school_id) or not c.user_id:
            raise NotFound("Nie znaleziono wiadomości.")
        receipt = s.scalar(select(Recipient).where(Recipient.message_id == message.id,
                                                   Recipient.recipient_id == c.user_id))
        if receipt is None and message.sender_id != c.user_id:
            raise NotFound("Nie znaleziono wiadomości.")
        return message, receipt

    def _attachments_of(self, message_id):
        rows = self.db.session.scalars(select(Attachment).where(Attachment.message_id == message_id)
                                       .order_by(Attachment.created_at, Attachment.filename)).all()
        return _attachment_out.dump(rows, many=True)

    def _sent_out(self, message, recipient_count):
        out = _message_out.dump(message)
        out["recipient_count"] = recipient_count
        out["attachments"] = _attachment_out.dump(getattr(message, "_attachments", []), many=True)
        return out

    # ================================================================ messages (MSG-1, MSG-2, MSG-3)

    @typed_rpc
    def send_message(self, data):
        """Send a message (MSG-1) to single people and/or groups (a class's parents or students,
        all parents, all teachers, all students), resolved now, with attachments; a note (kind
        ``note``, UWAGA) goes to the student's parents and is filed in the student's file by
        identity through ``messaging.note_issued`` (MSG-3). Who may write to whom: chapter II/III."""
        c = self.caller
        school_id = self._school()
        data = load(MessageIn, data)
        if data["kind"] == "note" and (refusal := domain.note_refusal(c.roles)):
            raise Forbidden(refusal)
        settings = self._settings(school_id)
        refusal = domain.write_refusal(c.roles, groups=data["groups"],
                                       students_may_write=settings.students_may_write)
        if refusal:
            raise Forbidden(refusal)
        files = self._check_files(data["attachments"])
        sender = self._me(school_id)
        lists, labels = [], []
        if data["kind"] == "note":
            student = self._account(data["student_id"], school_id, "Nie znaleziono ucznia.")
            if domain.STUDENT not in student["roles"]:
                raise Invalid("Uwaga musi dotyczyć ucznia tej szkoły.", {"student_id": ["Niepoprawny."]})
            lists.append(self._parents_of([student["id"]]))
        singles = self._resolve_singles(data["recipient_ids"], school_id)
        refusal = domain.write_refusal(c.roles, recipients=singles,
                                       students_may_write=settings.students_may_write)
        if refusal:
            raise Forbidden(refusal)
        lists.append(singles)
        group_lists, labels = self._resolve_groups(data["groups"], school_id)
        recipients = domain.merge_recipients(c.user_id, *lists, *group_lists)
        if not recipients and data["kind"] != "note":
            raise Invalid("Podaj co najmniej jednego odbiorcę (innego niż Ty).",
                          {"recipient_ids": ["Brak odbiorców."]})
        self._store_files(files)
        sender_name = _name(sender)
        is_note = data["kind"] == "note"
        with self.db.unit_of_work():
            message = self._store_message(
                school_id=school_id, sender_id=c.user_id, sender_name=sender_name, kind=data["kind"],
                subject=data["subject"].strip(), body=data["body"], groups=labels, files=files,
                recipients=[(a["id"], _name(a)) for a in recipients],
                student_id=data["student_id"] if is_note else None,
                note_kind=data["note_kind"] if is_note else None,
                note_category=(data["note_category"] or domain.DEFAULT_NOTE_CATEGORY) if is_note else None)
            if is_note:
                self.outbox.add("messaging.note_issued", {
                    "message_id": message.id, "student_id": message.student_id, "author_id": c.user_id,
                    "author_name": sender_name, "kind": message.note_kind, "category": message.note_category,
                    "subject": message.subject, "body": message.body,
                    "issued_at": _iso(message.sent_at)}, school_id=school_id)
        return self._sent_out(message, len(recipients))

    @typed_rpc
    def reply(self, message_id, data):
        """Reply in a thread (MSG-1): a recipient's reply goes to the sender; the sender's goes
        to the same recipients. Nobody replies to a system message."""
        c = self.caller
        school_id = self._school()
        data = load(ReplyIn, data)
        original, receipt = self._visible_message(message_id)
        is_sender = original.sender_id == c.user_id
        settings = self._settings(school_id)
        refusal = domain.reply_refusal(c.roles, original_kind=original.kind, replier_is_sender=is_sender,
                                       students_may_write=settings.students_may_write)
        if refusal:
            raise Forbidden(refusal)
        files = self._check_files(data["attachments"])
        if is_sender:
            recipients = [(r.recipient_id, r.recipient_name) for r in self.db.session.scalars(
                select(Recipient).where(Recipient.message_id == original.id))]
        else:
            recipients = [(original.sender_id, original.sender_name)]
        if not recipients:
            raise Invalid("Ta wiadomość nie ma odbiorców, do których można odpowiedzieć.")
        sender = self._me(school_id)
        self._store_files(files)
        with self.db.unit_of_work():
            message = self._store_message(
                school_id=school_id, sender_id=c.user_id, sender_name=_name(sender), kind=domain.KIND_MESSAGE,
                subject=(data["subject"] or "").strip() or domain.reply_subject(original.subject),
                body=data["body"], recipients=recipients, parent=original, files=files)
        return self._sent_out(message, len(recipients))

    @typed_rpc
    def inbox(self, limit=50):
        """The caller's received messages, newest first, with the read time of each."""
        c = self.caller
        c.require_authenticated()
        rows = self.db.session.execute(
            select(Message, Recipient.read_at).join(Recipient, Recipient.message_id == Message.id)
            .where(Recipient.recipient_id == c.user_id, Recipient.school_id == c.school_id)
            .order_by(Message.sent_at.desc(), Message.id).limit(min(int(limit), 200))).all()
        return [{**_message_out.dump(m), "read_at": _iso(read_at)} for m, read_at in rows]

    @typed_rpc
    def mailbox(self, folder="received", search=None, page=1, page_size=domain.PAGE_SIZE):
        """The mailbox (MSG-1, MSG-5): folder ``received``, ``sent``, ``announcements`` or
        ``system``, optional search in subject, sender and text, one page (newest first), with
        the folder's total and unread counts."""
        c = self.caller
        school_id = self._school()
        q = load(MailboxQuery, {"folder": folder, "search": search, "page": page, "page_size": page_size})
        terms = domain.search_terms(q["search"])
        offset, limit = (q["page"] - 1) * q["page_size"], q["page_size"]
        s = self.db.session
        if q["folder"] == "announcements":
            items = self._announcements_for_caller(school_id)
            if terms:
                items = [a for a in items if all(t in domain.search_text(a["title"], a["body"], a["author_name"])
                                                 for t in terms)]
            return {"folder": "announcements", "page": q["page"], "page_size": limit, "total": len(items),
                    "unread": 0, "items": items[offset:offset + limit]}
        if q["folder"] == "sent":
            base = select(Message).where(Message.sender_id == c.user_id, Message.school_id == school_id)
            for t in terms:
                base = base.where(Message.search_text.contains(t, autoescape=True))
            total = s.scalar(select(func.count()).select_from(base.subquery()))
            rows = s.scalars(base.order_by(Message.sent_at.desc(), Message.id).offset(offset).limit(limit)).all()
            ids = [m.id for m in rows]
            read = dict(s.execute(select(Recipient.message_id, func.count(Recipient.read_at))
                                  .where(Recipient.message_id.in_(ids)).group_by(Recipient.message_id)).all()) if ids else {}
            items = [{**_item_out.dump(m), "read_count": read.get(m.id, 0)} for m in rows]
            return {"folder": "sent", "page": q["page"], "page_size": limit, "total": total, "unread": 0,
                    "items": items}
        kinds = domain.FOLDER_KINDS[q["folder"]]
        base = (select(Message, Recipient.read_at).join(Recipient, Recipient.message_id == Message.id)
                .where(Recipient.recipient_id == c.user_id, Recipient.school_id == school_id,
                       Message.kind.in_(kinds)))
        for t in terms:
            base = base.where(Message.search_text.contains(t, autoescape=True))
        sub = base.subquery()
        total = s.scalar(select(func.count()).select_from(sub))
        unread = s.scalar(select(func.count()).select_from(sub).where(sub.c.read_at.is_(None)))
        rows = s.execute(base.order_by(Message.sent_at.desc(), Message.id).offset(offset).limit(limit)).all()
        items = [{**_item_out.dump(m), "read_at": _iso(read_at)} for m, read_at in rows]
        return {"folder": q["folder"], "page": q["page"], "page_size": limit, "total": total, "unread": unread,
                "items": items}

    @typed_rpc
    def unread_count(self):
        """Unread messages of the caller by folder (``received``, ``system``) and in total (MSG-2)."""
        c = self.caller
        school_id = self._school()
        rows = self.db.session.execute(
            select(Message.kind, func.count()).join(Recipient, Recipient.message_id == Message.id)
            .where(Recipient.recipient_id == c.user_id, Recipient.school_id == school_id,
                   Recipient.read_at.is_(None)).group_by(Message.kind)).all()
        by_kind = dict(rows)
        out = {folder: sum(by_kind.get(k, 0) for k in kinds) for folder, kinds in domain.FOLDER_KINDS.items()}
        out["total"] = sum(out.values())
        return out

    @typed_rpc
    def read_message(self, message_id):
        """Open a message: the recipient's read receipt is recorded once, with its time, from the
        caller's own context (MSG-2, III.9); the sender sees the read counts. Returns the thread
        as far as the caller took part in it, and the attachments."""
        c = self.caller
        message, receipt = self._visible_message(message_id)
        s = self.db.session
        out = _message_out.dump(message)
        if receipt is not None:
            if receipt.read_at is None:
                with self.db.unit_of_work():
                    now = utcnow()
                    # Conditional: two concurrent opens record one time and one event.
                    done = s.execute(update(Recipient).where(Recipient.id == receipt.id,
                                                             Recipient.read_at.is_(None))
                                     .values(read_at=now)).rowcount
                    if done:
                        self.outbox.add("messaging.message_read", {
                            "message_id": message.id, "recipient_id": c.user_id, "sender_id": message.sender_id,
                            "read_at": now.isoformat()}, school_id=message.school_id)
                s.refresh(receipt)
            out["read_at"] = _iso(receipt.read_at)
        if message.sender_id == c.user_id:
            out["receipt_counts"] = self._receipt_counts(message.id)
        out["recipient_count"] = message.recipient_count
        out["attachments"] = self._attachments_of(message.id)
        out["thread"] = self._thread(message)
        out["can_reply"] = message.kind != domain.KIND_SYSTEM
        return out

    def _thread(self, message):
        c = self.caller
        thread_id = message.thread_id or message.id
        received = select(Recipient.message_id).where(Recipient.recipient_id == c.user_id,
                                                      Recipient.school_id == message.school_id)
        rows = self.db.session.scalars(
            select(Message).where(Message.school_id == message.school_id,
                                  or_(Message.thread_id == thread_id, Message.id == thread_id))
            .where(or_(Message.sender_id == c.user_id, Message.id.in_(received)))
            .order_by(Message.sent_at, Message.id).limit(200)).all()
        return [{"id": m.id, "sender_id": m.sender_id, "sender_name": m.sender_name, "subject": m.subject,
                 "body": m.body, "sent_at": _iso(m.sent_at), "has_attachments": bool(m.has_attachments)}
                for m in rows]

    def _receipt_counts(self, message_id):
        total, read = self.db.session.execute(
            select(func.count(), func.count(Recipient.read_at)).where(Recipient.message_id == message_id)).one()
        return {"total": total, "read": read, "unread": total - read}

    @typed_rpc
    def receipts(self, message_id, summary=False, query=None):
        """Who has read a message and when (MSG-2); for its sender (and the director and
        administrators). Without ``summary``: the list of recipients. With ``summary``: counts
        (total, read, unread) and one page of recipients (``query``: page, page_size, status)."""
        c = self.caller
        c.require_authenticated()
        s = self.db.session
        message = s.get(Message, message_id) if isinstance(message_id, str) else None
        if message is None or not c.can_access_school(message.school_id):
            raise NotFound("Nie znaleziono wiadomości.")
        if not domain.may_see_receipts(c.user_id, c.roles, message.sender_id):
            raise Forbidden("Potwierdzenia odczytu widzi nadawca.")
        base = select(Recipient).where(Recipient.message_id == message.id)
        if not summary:
            rows = s.scalars(base.order_by(Recipient.recipient_name, Recipient.recipient_id)).all()
            return [{"recipient_id": r.recipient_id, "recipient_name": r.recipient_name,
                     "read_at": _iso(r.read_at)} for r in rows]
        q = load(ReceiptsQuery, query or {})
        if q["status"] == "read":
            base = base.where(Recipient.read_at.is_not(None))
        elif q["status"] == "unread":
            base = base.where(Recipient.read_at.is_(None))
        rows = s.scalars(base.order_by(Recipient.recipient_name, Recipient.recipient_id)
                         .offset((q["page"] - 1) * q["page_size"]).limit(q["page_size"])).all()
        return {"message_id": message.id, "counts": self._receipt_counts(message.id), "page": q["page"],
                "page_size": q["page_size"], "status": q["status"],
                "recipients": [{"recipient_id": r.recipient_id, "recipient_name": r.recipient_name,
                                "read_at": _iso(r.read_at)} for r in rows]}

    @typed_rpc
    def attachment(self, message_id, attachment_id):
        """One attachment's content (base64), only for the message's sender and recipients."""
        message, _ = self._visible_message(message_id)
        att = self.db.session.get(Attachment, attachment_id) if isinstance(attachment_id, str) else None
        if att is None or att.message_id != message.id:
            raise NotFound("Nie znaleziono załącznika.")
        data = self.files.get(att.sha256)
        if data is None:
            self.log.error("attachment file %s of message %s is missing or damaged", att.sha256, message.id)
            raise NotFound("Plik załącznika jest niedostępny. Zgłoś to administratorowi.")
        return {**_attachment_out.dump(att), "content_base64": base64.b64encode(data).decode("ascii")}

    # ================================================================ notes of a class (MSG-3)

    @typed_rpc
    def class_notes(self, class_id):
        """The notes (UWAGA) about the students of a class, newest first, with counts of positive,
        negative and neutral ones and by category (MSG-3); for the class teacher, the director
        and administrators."""
        c = self.caller
        school_id = self._school()
        klass = self._class(class_id, school_id)
        if klass.get("class_teacher_id") != c.user_id:
            c.require_role(*domain.DIRECTORS, *domain.ADMINS)
        student_ids = self._class_student_ids(klass["id"])
        notes = self.db.session.scalars(
            select(Message).where(Message.school_id == school_id, Message.kind == domain.KIND_NOTE,
                                  Message.student_id.in_(student_ids))
            .order_by(Message.sent_at.desc(), Message.id)).all() if student_ids else []
        names = {}
        if notes:
            wanted = {n.student_id for n in notes}
            names = {a["id"]: _name(a) for a in self._school_accounts(school_id) if a["id"] in wanted}
        counts = {k: 0 for k in domain.NOTE_KINDS}
        by_category = {}
        for n in notes:
            counts[n.note_kind] = counts.get(n.note_kind, 0) + 1
            by_category[n.note_category] = by_category.get(n.note_category, 0) + 1
        return {"class": {"id": klass["id"], "name": klass["name"]}, "counts": counts,
                "by_category": by_category, "notes": [{
                    "id": n.id, "student_id": n.student_id, "student_name": names.get(n.student_id),
                    "note_kind": n.note_kind, "note_kind_label": domain.NOTE_KIND_LABELS.get(n.note_kind),
                    "note_category": n.note_category, "subject": n.subject, "body": n.body,
                    "author_id": n.sender_id, "author_name": n.sender_name, "sent_at": _iso(n.sent_at)}
                    for n in notes]}

    # ================================================================ entry errors (MSG-6)

    @typed_rpc
    def report_entry_error(self, data):
        """A parent reports an error in an entry about the own child to the class teacher or the
        school administrator (MSG-6, IX.7): a message of kind ``error_report``."""
        c = self.caller
        school_id = self._school()
        data = load(ErrorReportIn, data)
        student = self._account(data["student_id"], school_id, "Nie znaleziono ucznia.")
        children = set(c.children_ids(self.identity)) if domain.PARENT in c.roles else set()
        refusal = domain.error_report_refusal(c.roles, student["id"] in children)
        if refusal:
            raise Forbidden(refusal)
        if data["addressee"] == "class_teacher":
            klass = self._class_of_student(student["id"], school_id)
            if klass is None or not klass.get("class_teacher_id"):
                raise Invalid("Klasa ucznia nie ma wychowawcy; wyślij zgłoszenie do administratora.",
                              {"addressee": ["Brak wychowawcy."]})
            recipients = [self._account(klass["class_teacher_id"], school_id)]
        else:
            recipients = [a for a in self._school_accounts(school_id)
                          if set(a.get("roles") or ()) & set(domain.ADMINS)]
            if not recipients:
                raise Invalid("Szkoła nie ma administratora dziennika.", {"addressee": ["Brak adresata."]})
        me = self._me(school_id)
        subject, body = domain.text_error_report(data["entry"].strip(), _name(student), _name(me), data["body"])
        with self.db.unit_of_work():
            message = self._store_message(
                school_id=school_id, sender_id=c.user_id, sender_name=_name(me), kind=domain.KIND_ERROR_REPORT,
                subject=subject, body=body, recipients=[(a["id"], _name(a)) for a in recipients],
                student_id=student["id"])
            self.outbox.add("messaging.entry_error_reported", {
                "message_id": message.id, "student_id": student["id"], "reporter_id": c.user_id,
                "addressee": data["addressee"], "entry": data["entry"].strip()[:150]}, school_id=school_id)
        return self._sent_out(message, len(recipients))

    @typed_rpc
    def contacts(self):
        """Whom a parent, or a student where the school lets students write, may write to, for
        the compose form (chapter II, parent 5: teachers, class teachers, the director and the
        administrator): for each child (or the student), the class teacher and the teachers of
        the class's subjects, then the directors and the school administrators. Each person
        once, with why they are listed (``reasons``). Staff write to the whole school and pick
        from its directory: Forbidden here."""
        c = self.caller
        school_id = self._school()
        roles = set(c.roles)
        if domain.is_staff(roles):
            raise Forbidden("Pracownicy szkoły wybierają odbiorców z listy wszystkich kont szkoły.")
        refusal = domain.write_refusal(c.roles, students_may_write=self._settings(school_id).students_may_write)
        if refusal:
            raise Forbidden(refusal)
        if domain.PARENT in roles:
            students = list(c.children_ids(self.identity))
        else:
            students = [c.user_id]
        accounts = {a["id"]: a for a in self._school_accounts(school_id) if not a.get("blocked")}
        subjects = None
        people, order = {}, []

        def add(account_id, reason, rank):
            a = accounts.get(account_id)
            if a is None or account_id == c.user_id or not set(a.get("roles") or ()) & set(domain.PARENT_TARGETS):
                return
            if account_id not in people:
                people[account_id] = {"id": account_id, "first_name": a["first_name"], "last_name": a["last_name"],
                                      "roles": a.get("roles") or [], "reasons": [], "rank": rank}
                order.append(account_id)
            entry = people[account_id]
            entry["rank"] = min(entry["rank"], rank)
            if reason not in entry["reasons"]:
                entry["reasons"].append(reason)

        for student_id in students:
            placement = self.scheduling.student_class(student_id) or {}
            if not placement.get("class_id"):
                continue
            klass = self.scheduling.get_class(placement["class_id"])
            if klass.get("school_id") != school_id:
                continue
            student = accounts.get(student_id) or {}
            whose = f" ({student.get('first_name')})" if domain.PARENT in roles and student else ""
            if klass.get("class_teacher_id"):
                add(klass["class_teacher_id"], f"wychowawca klasy {klass['name']}{whose}", 0)
            if subjects is None:
                subjects = {x["id"]: x["name"] for x in self.scheduling.list_subjects(school_id)}
            for row in self.scheduling.list_assignments(school_id, klass["id"]):
                add(row["teacher_id"], f"{subjects.get(row['subject_id'], 'przedmiot')} w klasie {klass['name']}{whose}", 1)
        for a in accounts.values():
            if set(a.get("roles") or ()) & set(domain.DIRECTORS):
                add(a["id"], "dyrekcja", 2)
            elif set(a.get("roles") or ()) & set(domain.ADMINS):
                add(a["id"], "administrator dziennika", 3)
        out = sorted(people.values(), key=lambda p: (p["rank"], p["last_name"].casefold(), p["first_name"].casefold()))
        for p in out:
            p["group"] = ("Wychowawcy", "Nauczyciele", "Dyrekcja", "Administrator dziennika")[p.pop("rank")]
        return out

    def _class_of_student(self, student_id, school_id):
        classes = self.scheduling.list_classes(school_id)

        def holds(klass):
            return klass if student_id in self._class_student_ids(klass["id"]) else None
        for klass in parallel(holds, classes):
            if klass is not None:
                return klass
        return None

    # ================================================================ announcements (MSG-4)

    def _announcement(self, announcement_id):
        ann = self.db.session.get(Announcement, announcement_id) if isinstance(announcement_id, str) else None
        if ann is None or ann.school_id != self.caller.school_id:
            raise NotFound("Nie znaleziono ogłoszenia.")
        return ann

    def _class_members(self, class_ids, school_id):
        """Students of the classes, their parents and the class teachers (audience of an announcement)."""
        members = set()
        for cid in class_ids:
            klass = self._class(cid, school_id)
            student_ids = self._class_student_ids(klass["id"])
            members.update(student_ids)
            members.update(a["id"] for a in self._parents_of(student_ids))
            if klass.get("class_teacher_id"):
                members.add(klass["class_teacher_id"])
        return members

    def _publish(self, ann, members):
        s = self.db.session
        ann.status, ann.published_at = "published", utcnow()
        if members:
            s.execute(insert(AnnouncementMember), [
                {"announcement_id": ann.id, "user_id": uid, "school_id": ann.school_id} for uid in sorted(members)])
        self.outbox.add("messaging.announcement_published", {
            "announcement_id": ann.id, "author_id": ann.author_id, "title": ann.title, "topic": ann.topic,
            "whole_school": bool(ann.audience_all), "roles": ann.audience_roles or [],
            "class_ids": ann.audience_class_ids or [], "valid_from": ann.valid_from.isoformat(),
            "valid_until": ann.valid_until.isoformat(), "approved_by": ann.decided_by}, school_id=ann.school_id)

    @typed_rpc
    def publish_announcement(self, data):
        """Publish an announcement (OGŁOSZENIE, MSG-4) for the whole school, role groups and/or
        classes, valid from/until a date. Fund-raising, meetings or enrolments open to outsiders
        and school-wide events wait in the director's queue (III.12); staff only."""
        c = self.caller
        school_id = self._school()
        c.require_role(*domain.ANNOUNCERS)
        data = load(AnnouncementIn, data)
        today = domain.school_today()
        valid_from = data["valid_from"] or today
        valid_until = data["valid_until"] or (valid_from + VALIDITY_DEFAULT)
        audience = data["audience"]
        problems = {**domain.validity_problems(valid_from, valid_until, today), **domain.audience_problems(audience)}
        if problems:
            raise Invalid("Niepoprawne dane: " + ", ".join(sorted(problems)) + ".", problems)
        class_ids = [] if audience["whole_school"] else list(dict.fromkeys(audience["class_ids"]))
        classes = parallel(lambda cid: self._class(cid, school_id), class_ids)
        label = self._audience_label(audience, classes)
        status = domain.initial_status(data["topic"], c.roles, data["needs_approval"])
        members = self._class_members(class_ids, school_id) if status == "published" else set()
        author = self._me(school_id)
        directors = []
        if status == "pending":
            directors = [a for a in self._school_accounts(school_id)
                         if set(a.get("roles") or ()) & set(domain.APPROVERS)]
        with self.db.unit_of_work() as s:
            ann = Announcement(
                school_id=school_id, author_id=c.user_id, author_name=_name(author), title=data["title"].strip(),
                body=data["body"], topic=data["topic"],
                needs_approval=domain.needs_approval(data["topic"], data["needs_approval"]), status=status,
                audience_all=bool(audience["whole_school"]),
                audience_roles=[] if audience["whole_school"] else sorted(set(audience["roles"])),
                audience_class_ids=class_ids, audience_label=label[:500], valid_from=valid_from,
                valid_until=valid_until)
            if ann.needs_approval and status == "published":
                ann.decided_by, ann.decided_by_name, ann.decided_at = c.user_id, _name(author), utcnow()
            s.add(ann)
            s.flush()
            if status == "published":
                self._publish(ann, members)
            else:
                self.outbox.add("messaging.announcement_submitted", {
                    "announcement_id": ann.id, "author_id": c.user_id, "title": ann.title, "topic": ann.topic},
                    school_id=school_id)
                subject, body = domain.text_announcement_pending(ann.title, ann.author_name)
                self._system_message(school_id, [(a["id"], _name(a)) for a in directors], subject, body)
        return _announcement_out.dump(ann)

    def _audience_label(self, audience, classes):
        if audience["whole_school"]:
            return "cała szkoła"
        parts = [domain.AUDIENCE_ROLE_LABELS[r] for r in sorted(set(audience["roles"]))]
        parts += [f"klasa {k['name']}" for k in classes]
        return ", ".join(parts)

    @typed_rpc
    def approval_queue(self):
        """Announcements waiting for the director's approval, oldest first (MSG-4, III.12)."""
        c = self.caller
        school_id = self._school()
        c.require_role(*domain.APPROVERS)
        rows = self.db.session.scalars(select(Announcement).where(
            Announcement.school_id == school_id, Announcement.status == "pending")
            .order_by(Announcement.created_at, Announcement.id)).all()
        return _announcement_out.dump(rows, many=True)

    def _decide(self, announcement_id):
        c = self.caller
        self._school()
        c.require_role(*domain.APPROVERS)
        ann = self._announcement(announcement_id)
        if ann.status != "pending":
            raise Conflict("To ogłoszenie nie czeka na akceptację.", {"status": [ann.status]})
        return ann

    @typed_rpc
    def approve_announcement(self, announcement_id):
        """The director approves a waiting announcement: it is published now and its author is
        told (MSG-4, III.12)."""
        c = self.caller
        ann = self._decide(announcement_id)
        members = self._class_members(ann.audience_class_ids or [], ann.school_id)
        me = self._me(ann.school_id)
        with self.db.unit_of_work() as s:
            # Conditional: of two concurrent decisions, one wins.
            if not s.execute(update(Announcement).where(Announcement.id == ann.id, Announcement.status == "pending")
                             .values(status="published")).rowcount:
                raise Conflict("To ogłoszenie nie czeka już na akceptację.")
            s.refresh(ann)
            ann.decided_by, ann.decided_by_name, ann.decided_at = c.user_id, _name(me), utcnow()
            self._publish(ann, members)
            self.outbox.add("messaging.announcement_approved", {
                "announcement_id": ann.id, "approved_by": c.user_id}, school_id=ann.school_id)
            subject, body = domain.text_announcement_decided(ann.title, True, decided_by=_name(me))
            self._system_message(ann.school_id, [(ann.author_id, ann.author_name)], subject, body)
        return _announcement_out.dump(ann)

    @typed_rpc
    def reject_announcement(self, announcement_id, data):
        """The director rejects a waiting announcement with a reason (``data``: {"reason"} or the
        reason itself); the author gets it back in a system message (MSG-4)."""
        c = self.caller
        data = load(DecisionIn, {"reason": data} if isinstance(data, str) else data)
        ann = self._decide(announcement_id)
        me = self._me(ann.school_id)
        with self.db.unit_of_work() as s:
            if not s.execute(update(Announcement).where(Announcement.id == ann.id, Announcement.status == "pending")
                             .values(status="rejected")).rowcount:
                raise Conflict("To ogłoszenie nie czeka już na akceptację.")
            s.refresh(ann)
            ann.decided_by, ann.decided_by_name, ann.decided_at = c.user_id, _name(me), utcnow()
            ann.rejection_reason = data["reason"].strip()
            self.outbox.add("messaging.announcement_rejected", {
                "announcement_id": ann.id, "rejected_by": c.user_id, "reason": ann.rejection_reason},
                school_id=ann.school_id)
            subject, body = domain.text_announcement_decided(ann.title, False, ann.rejection_reason, _name(me))
            self._system_message(ann.school_id, [(ann.author_id, ann.author_name)], subject, body)
        return _announcement_out.dump(ann)

    @typed_rpc
    def withdraw_announcement(self, announcement_id):
        """Withdraw a published or waiting announcement (its author, the director, administrators)."""
        c = self.caller
        self._school()
        ann = self._announcement(announcement_id)
        if not domain.may_withdraw_announcement(c.user_id, c.roles, ann.author_id):
            raise Forbidden("Ogłoszenie wycofuje jego autor, dyrektor lub administrator.")
        if ann.status not in ("published", "pending"):
            raise Conflict("Tego ogłoszenia nie można już wycofać.", {"status": [ann.status]})
        with self.db.unit_of_work():
            ann.status, ann.withdrawn_at, ann.withdrawn_by = "withdrawn", utcnow(), c.user_id
            self.outbox.add("messaging.announcement_retracted", {
                "announcement_id": ann.id, "withdrawn_by": c.user_id}, school_id=ann.school_id)
        return _announcement_out.dump(ann)

    def _announcements_for_caller(self, school_id):
        c = self.caller
        s = self.db.session
        today = domain.school_today()
        rows = s.scalars(select(Announcement).where(
            Announcement.school_id == school_id, Announcement.status == "published",
            Announcement.valid_from <= today, Announcement.valid_until >= today)
            .order_by(Announcement.published_at.desc(), Announcement.id)).all()
        member_of = set(s.scalars(select(AnnouncementMember.announcement_id).where(
            AnnouncementMember.user_id == c.user_id,
            AnnouncementMember.announcement_id.in_([a.id for a in rows])))) if rows else set()
        oversee = c.has_role(*domain.APPROVERS, *domain.ADMINS)
        visible = [a for a in rows if oversee or a.author_id == c.user_id or domain.audience_matches(
            {"whole_school": a.audience_all, "roles": a.audience_roles, "class_ids": a.audience_class_ids},
            c.roles, a.id in member_of)]
        return _announcement_out.dump(visible, many=True)

    @typed_rpc
    def announcements(self):
        """Announcements valid today for the caller's audience (whole school, the caller's role
        group, the caller's class), newest first (MSG-4); the director and administrators see all."""
        return self._announcements_for_caller(self._school())

    @typed_rpc
    def my_announcements(self):
        """The caller's own announcements in every state (waiting, published, rejected with the
        reason, withdrawn), newest first."""
        school_id = self._school()
        rows = self.db.session.scalars(select(Announcement).where(
            Announcement.school_id == school_id, Announcement.author_id == self.caller.user_id)
            .order_by(Announcement.created_at.desc(), Announcement.id).limit(200)).all()
        return _announcement_out.dump(rows, many=True)

    # ================================================================ outage notices (OPS-1, MSG-5)

    @typed_rpc
    def publish_outage_notice(self, data):
        """The school administrator announces an outage with the expected repair time (OPS-1,
        XI.2): shown to everyone of the school, sent to the director and teachers as a system
        message, and public when it may last more than a day."""
        c = self.caller
        school_id = self._school()
        c.require_role(*domain.OUTAGE_PUBLISHERS)
        data = load(OutageIn, data)
        now = utcnow()
        if data["expected_repair_at"] <= now:
            raise Invalid("Przewidywany czas naprawy musi być w przyszłości.",
                          {"expected_repair_at": ["Data w przeszłości."]})
        school = self.identity.get_school(school_id)
        staff = [a for a in self._school_accounts(school_id)
                 if set(a.get("roles") or ()) & set(domain.DIRECTORS + domain.TEACHERS)]
        with self.db.unit_of_work() as s:
            notice = OutageNotice(school_id=school_id, school_name=school["name"], text=data["text"].strip(),
                                  expected_repair_at=data["expected_repair_at"], published_by=c.user_id,
                                  published_at=now)
            s.add(notice)
            s.flush()
            public = domain.outage_is_public(now, data["expected_repair_at"], now)
            self.outbox.add("messaging.outage_notice_published", {
                "notice_id": notice.id, "text": notice.text, "expected_repair_at": data["expected_repair_at"].isoformat(),
                "public": public}, school_id=school_id)
            subject, body = domain.text_outage(notice.text, data["expected_repair_at"])
            self._system_message(school_id, [(a["id"], _name(a)) for a in staff], subject, body)
        return {**_outage_out.dump(notice), "public": public}

    @typed_rpc
    def withdraw_outage_notice(self, notice_id):
        """End an outage notice (the outage is over; OPS-1; the school administrator)."""
        c = self.caller
        school_id = self._school()
        c.require_role(*domain.OUTAGE_PUBLISHERS)
        notice = self.db.session.get(OutageNotice, notice_id) if isinstance(notice_id, str) else None
        if notice is None or notice.school_id != school_id:
            raise NotFound("Nie znaleziono komunikatu o awarii.")
        if notice.withdrawn_at is None:
            with self.db.unit_of_work():
                notice.withdrawn_at, notice.withdrawn_by = utcnow(), c.user_id
                self.outbox.add("messaging.outage_notice_closed", {"notice_id": notice.id},
                                school_id=school_id)
        return _outage_out.dump(notice)

    def _active_notices(self, school_id=None):
        query = select(OutageNotice).where(OutageNotice.withdrawn_at.is_(None))
        if school_id is not None:
            query = query.where(OutageNotice.school_id == school_id)
        return self.db.session.scalars(query.order_by(OutageNotice.published_at.desc()).limit(500)).all()

    @typed_rpc
    def outage_notices(self, school_id):
        """Active outage notices of a school, for everyone of the school (OPS-1)."""
        self.caller.require_school(school_id)
        now = utcnow()
        return [{**_outage_out.dump(n), "public": domain.outage_is_public(
            _aware(n.published_at), _aware(n.expected_repair_at), now)} for n in self._active_notices(school_id)]

    @typed_rpc
    def public_outage_notices(self):
        """Active outage notices that may last, or have lasted, more than a day, for everyone
        without logging in (OPS-1, XI.2.b): school name, text, times; no author."""
        now = utcnow()
        return [_public_outage_out.dump(n) for n in self._active_notices()
                if domain.outage_is_public(_aware(n.published_at), _aware(n.expected_repair_at), now)]

    # ================================================================ settings

    @typed_rpc
    def messaging_settings(self, school_id):
        """A school's messaging settings: may students write, the SMTP server of e-mail notices
        (the password is never returned); administrators and the director."""
        self.caller.require_school(school_id)
        self.caller.require_role(*domain.ADMINS, *domain.DIRECTORS)
        return _settings_out.dump(self._settings(school_id))

    @typed_rpc(sensitive_arguments=("data.smtp_password",))
    def update_messaging_settings(self, school_id, data):
        """Change a school's messaging settings (school administrators): students may write
        (chapter II), e-mail notices of new messages through the school's SMTP server (MSG-1)."""
        c = self.caller
        c.require_school(school_id)
        c.require_role(*domain.ADMINS)
        data = load(SettingsIn, data)
        school = self.identity.get_school(school_id)
        with self.db.unit_of_work() as s:
            settings = s.get(MessagingSettings, school_id)
            if settings is None:
                settings = MessagingSettings(school_id=school_id, students_may_write=False, email_enabled=False,
                                             smtp_security="starttls")
                s.add(settings)
            for key, value in data.items():
                if key == "smtp_password":
                    value = smtp_sealer().seal(value)    # never stored in the clear
                setattr(settings, key, value)
            settings.school_name = school["name"]
            settings.updated_by, settings.updated_at = c.user_id, utcnow()
            if settings.email_enabled and not (settings.smtp_host and settings.from_address):
                raise Invalid("Do powiadomień e-mail podaj serwer SMTP i adres nadawcy.",
                              {"smtp_host": ["Wymagane."], "from_address": ["Wymagane."]})
        return _settings_out.dump(settings)

    # ================================================================ events: notices and system messages

    @subscribe("messaging.message_sent")
    @idempotent
    def notify_by_email(self, event):
        """E-mail notices of a new message through the school's SMTP server, when it configured
        one; an SMTP failure is retried with back-off. Says who wrote, never what."""
        s = self.db.session
        settings = s.get(MessagingSettings, event["school_id"])
        if settings is None or not settings.email_enabled or not settings.smtp_host:
            return
        message = s.get(Message, event["payload"]["message_id"])
        if message is None or message.school_id != event["school_id"] or s.get(EmailDispatch, message.id):
            return
        unread = set(s.scalars(select(Recipient.recipient_id).where(Recipient.message_id == message.id,
                                                                     Recipient.read_at.is_(None))))
        if not unread:
            return
        addresses = sorted({a["email"] for a in self.identity.list_accounts(message.school_id)
                            if a["id"] in unread and a.get("email")})
        if not addresses:
            return
        subject, body = domain.notification_email(settings.school_name, message.sender_name, message.kind)
        send_notices(settings, addresses, subject, body)
        s.add(EmailDispatch(message_id=message.id, school_id=message.school_id, addresses=len(addresses)))

    @subscribe("identity.account_blocked")
    @idempotent
    def on_account_blocked(self, event):
        """MSG-5: the blocked user is told (and sees it once unblocked); for a teacher's account
        the school administrators are told too (IV.13)."""
        p = event["payload"]
        try:
            account = self.identity.get_account(p["user_id"])
        except NotFound:
            self.log.warning("account_blocked for unknown account %s", p["user_id"])
            return
        school_id = account.get("school_id")
        if not school_id or school_id != event["school_id"]:
            return
        name = _name(account)
        admins = []
        if set(account.get("roles") or ()) & set(domain.TEACHERS):
            admins = [(a["id"], _name(a)) for a in self._school_accounts(school_id)
                      if set(a.get("roles") or ()) & set(domain.ADMINS) and a["id"] != account["id"]]
        # Writes only after every look-up: no RPC while holding a write transaction.
        subject, body = domain.text_account_blocked(name, p["reason"], for_admin=False)
        self._system_message(school_id, [(account["id"], name)], subject, body)
        if admins:
            subject, body = domain.text_account_blocked(name, p["reason"], for_admin=True)
            self._system_message(school_id, admins, subject, body)

    @subscribe("scheduling.substitution_assigned")
    @idempotent
    def on_substitution_assigned(self, event):
        """MSG-5, ORG-3: the substitute, the substituted teacher, and the class's students and
        parents are told of a substitution."""
        p = event["payload"]
        school_id = event["school_id"]
        try:
            klass = self._class(p["class_id"], school_id)
        except NotFound:
            self.log.warning("substitution_assigned for unknown class %s", p["class_id"])
            return
        student_ids = self._class_student_ids(klass["id"])
        accounts = {a["id"]: a for a in self._school_accounts(school_id)}
        parents = [a for a in self._parents_of(student_ids) if a.get("school_id") == school_id]

        def who(uid):
            return (uid, _name(accounts[uid])) if uid in accounts else None
        # Writes only after every look-up: no RPC while holding a write transaction.
        for audience, ids in (("substitute", [p["substitute_teacher_id"]]), ("teacher", [p["teacher_id"]])):
            recipients = [r for r in map(who, ids) if r]
            subject, body = domain.text_substitution(p, klass["name"], audience)
            self._system_message(school_id, recipients, subject, body)
        family = [who(sid) for sid in student_ids] + [(a["id"], _name(a)) for a in parents]
        subject, body = domain.text_substitution(p, klass["name"], "class")
        self._system_message(school_id, [r for r in family if r], subject, body)

    @subscribe("scheduling.lesson_cancelled")
    @idempotent
    def on_lesson_cancelled(self, event):
        """MSG-5, ORG-3: the lesson's teacher, and the class's students and parents, are told that
        a lesson was cancelled (with the reason)."""
        p = event["payload"]
        school_id = event["school_id"]
        try:
            klass = self._class(p["class_id"], school_id)
        except NotFound:
            self.log.warning("lesson_cancelled for unknown class %s", p["class_id"])
            return
        student_ids = self._class_student_ids(klass["id"])
        accounts = {a["id"]: a for a in self._school_accounts(school_id)}
        parents = [a for a in self._parents_of(student_ids) if a.get("school_id") == school_id]
        # Writes only after every look-up: no RPC while holding a write transaction.
        if p["teacher_id"] in accounts:
            subject, body = domain.text_lesson_cancelled(p, klass["name"], "teacher")
            self._system_message(school_id, [(p["teacher_id"], _name(accounts[p["teacher_id"]]))], subject, body)
        family = [(sid, _name(accounts[sid])) for sid in student_ids if sid in accounts]
        family += [(a["id"], _name(a)) for a in parents]
        subject, body = domain.text_lesson_cancelled(p, klass["name"], "class")
        self._system_message(school_id, family, subject, body)

    @subscribe("grades.at_risk_flagged")
    @idempotent
    def on_at_risk_flagged(self, event):
        """MSG-5, GRD-4: the parents of a student at risk (predicted failing grade, reprehensible
        behaviour, non-classification) are told."""
        p = event["payload"]
        school_id = event["school_id"]
        try:
            student = self._account(p["student_id"], school_id)
        except NotFound:
            self.log.warning("at_risk_flagged for unknown student %s", p["student_id"])
            return
        parents = [(a["id"], _name(a)) for a in self._parents_of([student["id"]])
                   if a.get("school_id") == school_id]
        subject, body = domain.text_at_risk(_name(student), p["reason"], p["kind"], p.get("notice_deadline"))
        self._system_message(school_id, parents, subject, body, student_id=student["id"])

    @subscribe("archive.archive_completed")
    @idempotent
    def on_archive_completed(self, event):
        """MSG-5, ARC-1: the school administrators and the director learn that the yearly archive
        is ready (and whether it still needs the school's signature)."""
        p = event["payload"]
        school_id = event["school_id"]
        if not school_id:
            return
        recipients = [(a["id"], _name(a)) for a in self._school_accounts(school_id)
                      if set(a.get("roles") or ()) & set(domain.ADMINS + domain.DIRECTORS)]
        subject, body = domain.text_archive_completed(p["school_year"], p["signed"], p["retention_until"],
                                                      p.get("records"))
        self._system_message(school_id, recipients, subject, body)

    @subscribe("attendance.absence_recorded", expected_exceptions=(Conflict,))
    @idempotent
    def on_absence_recorded(self, event):
        """MSG-5, ATT-1: the parents of a student with an unexcused absence are told the same
        day; further absences of that day are added to the same message while it is unread."""
        p = event["payload"]
        school_id = event["school_id"]
        try:
            student = self._account(p["student_id"], school_id)
        except NotFound:
            self.log.warning("absence_recorded for unknown student %s", p["student_id"])
            return
        parents = [(a["id"], _name(a)) for a in self._parents_of([student["id"]])
                   if a.get("school_id") == school_id]
        if not parents:
            return
        s = self.db.session
        base = f"absence:{student['id']}:{p['lesson_date'].isoformat()}"
        # The day's message, locked (PostgreSQL) so that concurrent absences extend it in turn;
        # two handlers creating it at once collide on the unique key and the loser retries.
        existing = s.scalar(select(Message).where(
            Message.school_id == school_id, or_(Message.system_key == base, Message.system_key.like(base + "#%")))
            .order_by(Message.sent_at.desc()).limit(1).with_for_update())
        if existing is not None and not s.scalar(select(func.count()).where(
                Recipient.message_id == existing.id, Recipient.read_at.is_not(None))):
            periods = sorted(set((existing.system_data or {}).get("periods", [])) | {p["period"]})
            subject, body = domain.text_absence(_name(student), p["lesson_date"], periods)
            existing.subject, existing.body = subject, body
            existing.system_data = {"periods": periods}
            existing.search_text = domain.search_text(subject, existing.sender_name, body)
            return
        # Someone already read the day's message: later absences start a new one.
        key = base
        if existing is not None:
            earlier = s.scalar(select(func.count()).where(Message.school_id == school_id,
                                                          Message.system_key.like(base + "%")))
            key = f"{base}#{earlier}"
        subject, body = domain.text_absence(_name(student), p["lesson_date"], [p["period"]])
        message = self._system_message(school_id, parents, subject, body, student_id=student["id"])
        message.system_key, message.system_data = key, {"periods": [p["period"]]}
        try:
            s.flush()
        except IntegrityError:
            # Another absence of the day created the message a moment ago: retried (with
            # back-off), this event then extends it.
            raise Conflict("Wiadomość o nieobecnościach z tego dnia powstała równocześnie.") from None

    @subscribe("attendance.e_justification_submitted")
    @idempotent
    def on_e_justification_submitted(self, event):
        """MSG-5, ATT-3: the class teacher is told of a parent's e-justification."""
        p = event["payload"]
        school_id = event["school_id"]
        if not p.get("class_teacher_id"):
            self.log.warning("e_justification_submitted without a class teacher (%s)", p["e_justification_id"])
            return
        try:
            teacher = self._account(p["class_teacher_id"], school_id)
            student = self._account(p["student_id"], school_id)
            parent = self._account(p["parent_id"], school_id)
        except NotFound:
            self.log.warning("e_justification_submitted with unknown accounts (%s)", p["e_justification_id"])
            return
        subject, body = domain.text_e_justification_submitted(_name(parent), _name(student), p["date_from"],
                                                              p["date_to"], p["reason"])
        self._system_message(school_id, [(teacher["id"], _name(teacher))], subject, body, student_id=student["id"])

    @subscribe("attendance.e_justification_decided")
    @idempotent
    def on_e_justification_decided(self, event):
        """MSG-5, ATT-3: the parent learns the class teacher's decision on an e-justification
        (with the comment); the class teacher gets a confirmation."""
        p = event["payload"]
        school_id = event["school_id"]
        try:
            parent = self._account(p["parent_id"], school_id)
            student = self._account(p["student_id"], school_id)
        except NotFound:
            self.log.warning("e_justification_decided with unknown accounts (%s)", p["e_justification_id"])
            return
        teacher = None
        if p.get("decided_by"):
            try:
                teacher = self._account(p["decided_by"], school_id)
            except NotFound:
                teacher = None
        # Writes only after every look-up: no RPC while holding a write transaction.
        subject, body = domain.text_e_justification(_name(student), p["status"], p.get("comment"),
                                                    p["justified_entries"])
        self._system_message(school_id, [(parent["id"], _name(parent))], subject, body, student_id=student["id"])
        if teacher is not None:
            subject, body = domain.text_e_justification(_name(student), p["status"], p.get("comment"),
                                                        p["justified_entries"], for_teacher=True)
            self._system_message(school_id, [(teacher["id"], _name(teacher))], subject, body,
                                 student_id=student["id"])
