"""The platform's tables, created in every service's database by its own migrations.

- ``outbox_events``: events written in the same transaction as the change they announce,
  relayed to the broker afterwards (services.common.outbox).
- ``processed_events``: ids of events a handler has applied (services.common.handlers.idempotent).
"""
from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow():
    return datetime.now(timezone.utc)


class PlatformBase(DeclarativeBase):
    pass


# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
SeqId = BigInteger().with_variant(Integer(), "sqlite")


class OutboxEvent(PlatformBase):
    __tablename__ = "outbox_events"

    seq: Mapped[int] = mapped_column(SeqId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    envelope: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class ProcessedEvent(PlatformBase):
    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    handler: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
