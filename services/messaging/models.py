"""messaging's tables; every row carries its school."""
import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.models import utcnow


def new_id():
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class Message(Base):
    """A message; ``kind`` is ``message`` or ``note`` (UWAGA, about ``student_id``)."""
    __tablename__ = "messages"
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
