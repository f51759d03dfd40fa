"""messaging's tables; every row carries its school.

- ``messages`` and ``recipients``: WIADOMOŚCI, notes (UWAGA), system messages and entry-error
  reports, threaded by ``thread_id``; one recipient row per person with the read receipt.
- ``attachments``: metadata; the content is a file named by its SHA-256 under
  ``DZIENNIK_DATA_DIR/messaging/attachments``.
- ``announcements`` and ``announcement_members``: OGŁOSZENIA with audience, validity and the
  director's decision; members list who belongs to the chosen classes at publication.
- ``outage_notices``: OPS-1.
- ``messaging_settings``: per school: may students write, the SMTP server for e-mail notices.
"""
import uuid
from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, false)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.models import utcnow


def new_id():
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class Message(Base):
    """A message; ``kind`` is ``message``, ``note`` (UWAGA, about ``student_id``), ``system``
    (sent by the register itself, ``sender_id`` = ``system``) or ``error_report`` (MSG-6).
    ``thread_id`` is the id of the thread's first message (its own id for a first message)."""
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_school_kind_student", "school_id", "kind", "student_id"),
                      # One open system message per key: concurrent handlers cannot both create it.
                      Index("ux_messages_school_system_key", "school_id", "system_key", unique=True))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    sender_id: Mapped[str] = mapped_column(String(36), index=True)
    sender_name: Mapped[str] = mapped_column(String(170))
    kind: Mapped[str] = mapped_column(String(20), default="message")
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    student_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    note_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note_category: Mapped[str | None] = mapped_column(String(80), nullable=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    thread_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    parent_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # The groups as the sender chose them, for display: [{"kind", "class_id", "label"}].
    recipient_groups: Mapped[list | None] = mapped_column(JSON, nullable=True)
    recipient_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    has_attachments: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    search_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # System messages that grow while unread (absences of one student on one day).
    system_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    system_data: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class Recipient(Base):
    """One recipient of a message and the read receipt (MSG-2): ``read_at`` is set once, by the
    recipient opening the message, and never cleared."""
    __tablename__ = "recipients"
    __table_args__ = (UniqueConstraint("message_id", "recipient_id"),
                      Index("ix_recipients_recipient", "recipient_id", "read_at"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36))
    message_id: Mapped[str] = mapped_column(String(36), ForeignKey("messages.id"), index=True)
    recipient_id: Mapped[str] = mapped_column(String(36))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    recipient_name: Mapped[str | None] = mapped_column(String(170), nullable=True)


class Attachment(Base):
    """A file sent with a message; served only to its sender and recipients."""
    __tablename__ = "attachments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36))
    message_id: Mapped[str] = mapped_column(String(36), ForeignKey("messages.id"), index=True)
    filename: Mapped[str] = mapped_column(String(160))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Announcement(Base):
    """An announcement (OGŁOSZENIE, MSG-4). ``status``: pending (in the director's queue),
    published, rejected (with ``rejection_reason``) or withdrawn. The audience is the whole
    school, role groups (``audience_roles``) and/or classes (``audience_class_ids``)."""
    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_school_status", "school_id", "status", "valid_until"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36))
    author_id: Mapped[str] = mapped_column(String(36), index=True)
    author_name: Mapped[str] = mapped_column(String(170))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(30))
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    audience_all: Mapped[bool] = mapped_column(Boolean, default=False)
    audience_roles: Mapped[list] = mapped_column(JSON, default=list)
    audience_class_ids: Mapped[list] = mapped_column(JSON, default=list)
    audience_label: Mapped[str] = mapped_column(String(500), default="")
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    decided_by_name: Mapped[str | None] = mapped_column(String(170), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


class AnnouncementMember(Base):
    """Who belongs to the classes an announcement is for, listed when it is published."""
    __tablename__ = "announcement_members"
    announcement_id: Mapped[str] = mapped_column(String(36), ForeignKey("announcements.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    school_id: Mapped[str] = mapped_column(String(36))


class OutageNotice(Base):
    """An outage notice (OPS-1, XI.2): active until withdrawn; public when it may last, or has
    lasted, more than a day."""
    __tablename__ = "outage_notices"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    school_name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    expected_repair_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str] = mapped_column(String(36))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


class MessagingSettings(Base):
    """Per-school settings: whether students may write (chapter II), and the school's SMTP
    server for e-mail notices of new messages (none configured: no e-mail is sent)."""
    __tablename__ = "messaging_settings"
    school_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    students_may_write: Mapped[bool] = mapped_column(Boolean, default=False)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    smtp_host: Mapped[str | None] = mapped_column(String(200), nullable=True)
    smtp_port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    smtp_security: Mapped[str] = mapped_column(String(10), default="starttls")
    smtp_user: Mapped[str | None] = mapped_column(String(200), nullable=True)
    smtp_password: Mapped[str | None] = mapped_column(String(300), nullable=True)
    from_address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    school_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    updated_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class EmailDispatch(Base):
    """One e-mail notice round for a message: how many addresses it went to, and when (kept so
    that a redelivered event does not e-mail everyone twice, and for the administrator)."""
    __tablename__ = "email_dispatches"
    message_id: Mapped[str] = mapped_column(String(36), ForeignKey("messages.id"), primary_key=True)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    addresses: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
