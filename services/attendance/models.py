"""attendance's tables; every row carries its school.

People, classes, subjects and lessons live in other services: here they are ids only, with the
few facts of the lesson an entry needs copied in when it is written (class, subject, date,
period), so that statistics never need another service. Nothing is deleted: a correction or a
removed double entry leaves a version row with the previous value, its author and the reason
(LAW-2, GRD-6 in spirit)."""
import uuid
from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.models import utcnow


def new_id():
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class Category(Base):
    """A school's attendance category (ATT-1): uniform within the school. ``kind`` is the fixed
    meaning the rules use (present, absent, excused, late, released, school_reasons);
    ``counts_as`` places it in the percentage formula (present | absent | none, ATT-5)."""
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("school_id", "code", name="uq_categories_school_code"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    symbol: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))
    counts_as: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SchoolSettings(Base):
    """The formula preset a school chose (``vulcan`` by default, or ``custom`` once a category's
    ``counts_as`` was changed by hand)."""
    __tablename__ = "school_settings"
    school_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    formula: Mapped[str] = mapped_column(String(20), default="vulcan")
    updated_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Justification(Base):
    """An absence justification by the class teacher (ATT-2), directly or by accepting a parent's
    e-justification (ATT-3). ``single_hours_reason`` is recorded when it covers single hours of
    a day (VI.12): reported_beforehand | beyond_control."""
    __tablename__ = "justifications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    student_id: Mapped[str] = mapped_column(String(36), index=True)
    class_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    dates: Mapped[list] = mapped_column(JSON, default=list)        # whole days asked for
    lesson_ids: Mapped[list] = mapped_column(JSON, default=list)   # single lessons asked for
    reason: Mapped[str] = mapped_column(String(500))
    single_hours_reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    e_justification_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    justified_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    justified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AttendanceEntry(Base):
    """One student's attendance at one lesson. ``lesson_date`` (what it refers to) and
    ``entered_at`` (when it was written) are both kept, so a backfill after an outage is visible
    (OPS-2). At most one entry per lesson and student; two entries at the same date and period
    (two lessons) are a double the weekly review finds (ATT-4). A removed double keeps its row
    with ``removed_at``, so history and statistics stay explainable."""
    __tablename__ = "entries"
    __table_args__ = (UniqueConstraint("lesson_id", "student_id", name="uq_entries_lesson_student"),
                      Index("ix_entries_student_date", "student_id", "lesson_date"),
                      Index("ix_entries_class_date", "class_id", "lesson_date"),
                      Index("ix_entries_school_date", "school_id", "lesson_date"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36))
    lesson_id: Mapped[str] = mapped_column(String(36))
    student_id: Mapped[str] = mapped_column(String(36))
    class_id: Mapped[str] = mapped_column(String(36))
    subject_id: Mapped[str] = mapped_column(String(36), index=True)
    lesson_teacher_id: Mapped[str] = mapped_column(String(36))     # the lesson's own teacher
    recorded_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    category_id: Mapped[str] = mapped_column(String(36), ForeignKey("categories.id"))
    lesson_date: Mapped[date] = mapped_column(Date)
    period: Mapped[int] = mapped_column(Integer)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    justification_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("justifications.id"), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    removed_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    removed_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)


class EntryVersion(Base):
    """The history of an entry (LAW-2, ATT-4): one row per change with the previous and the new
    category, who, when and why. ``action``: recorded | corrected | justified | removed."""
    __tablename__ = "entry_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version", name="uq_entry_versions_entry_version"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36))
    entry_id: Mapped[str] = mapped_column(String(36), ForeignKey("entries.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    previous_category_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    category_id: Mapped[str] = mapped_column(String(36))
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    changed_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EJustification(Base):
    """E-USPRAWIEDLIWIENIE (ATT-3): a parent's justification of the child's absences, for a
    range of dates or for given lessons, decided by the class teacher with a comment."""
    __tablename__ = "e_justifications"
    __table_args__ = (Index("ix_e_justifications_class_status", "class_id", "status"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    student_id: Mapped[str] = mapped_column(String(36), index=True)
    class_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    parent_id: Mapped[str] = mapped_column(String(36))
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    lesson_ids: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    teacher_comment: Mapped[str | None] = mapped_column(String(500), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    justification_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class ClassChange(Base):
    """A student's move between classes or removal from the class list, as scheduling announced
    it (ORG-5, ORG-7). Entries keep the class they were recorded in and still count in
    statistics; this row explains the student's history. ``event_id`` makes the handler's effect
    unique."""
    __tablename__ = "class_changes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    student_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(20))                  # transferred | removed
    from_class_id: Mapped[str] = mapped_column(String(36))
    to_class_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    on_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
