"""scheduling's tables; every row carries its school.

People (teachers, students) live in identity: here they are ids only (``teacher_id``,
``student_id``), checked with identity over RPC when they are first written. Whole-class rows
keep ``group_name`` as '' (not NULL) so that uniqueness over it holds on SQLite and PostgreSQL
alike."""
import datetime as dt
import uuid

from sqlalchemy import (JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        Time, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.models import utcnow


def new_id():
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class SchoolClass(Base):
    __tablename__ = "classes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(40))
    class_teacher_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Enrolment(Base):
    """A student on a class list. ``status``: active, transferred (moved to another class) or
    removed (skreślony). Rows are never deleted: history counts in statistics (ORG-7)."""
    __tablename__ = "enrolments"
    __table_args__ = (Index("ix_enrolments_student_status", "student_id", "status"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    class_id: Mapped[str] = mapped_column(String(36), ForeignKey("classes.id"), index=True)
    student_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default="active")
    enrolled_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ------------------------------------------------------------------------- years and terms (ORG-1)

class SchoolYear(Base):
    """A school year (rok szkolny), e.g. 2026/2027. Closing it announces
    ``scheduling.school_year_closed`` (archive reacts: LAW-5, ARC-1)."""
    __tablename__ = "school_years"
    __table_args__ = (UniqueConstraint("school_id", "name", name="uq_school_years_school_name"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Term(Base):
    """A term (okres, semestr) of a school year; the timetable is set per class and term."""
    __tablename__ = "terms"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    year_id: Mapped[str] = mapped_column(String(36), ForeignKey("school_years.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ------------------------------------------------------------------------- subjects, assignments

class Subject(Base):
    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("school_id", "name", name="uq_subjects_school_name"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(120))
    short_name: Mapped[str | None] = mapped_column(String(30), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TeachingAssignment(Base):
    """Przydział zajęć (ORG-1): a teacher teaches a subject in a class (or one group of it)."""
    __tablename__ = "teaching_assignments"
    __table_args__ = (UniqueConstraint("teacher_id", "subject_id", "class_id", "group_name",
                                       name="uq_assignments_teacher_subject_class_group"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    teacher_id: Mapped[str] = mapped_column(String(36), index=True)
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"), index=True)
    class_id: Mapped[str] = mapped_column(String(36), ForeignKey("classes.id"), index=True)
    group_name: Mapped[str] = mapped_column(String(60), default="")
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ------------------------------------------------------------------------- timetable (ORG-2)

class TimetableEntry(Base):
    """One weekly slot of a class's timetable in a term, valid from a date (and until a date
    once replaced): a change applies from its date and the past stays as it was."""
    __tablename__ = "timetable_entries"
    __table_args__ = (Index("ix_timetable_class_slot", "class_id", "weekday", "period"),
                      Index("ix_timetable_teacher_slot", "teacher_id", "weekday", "period"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    term_id: Mapped[str] = mapped_column(String(36), ForeignKey("terms.id"), index=True)
    class_id: Mapped[str] = mapped_column(String(36), ForeignKey("classes.id"))
    weekday: Mapped[int] = mapped_column(Integer)            # 1 Monday .. 5 Friday
    period: Mapped[int] = mapped_column(Integer)             # lesson number (0 allowed)
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"))
    teacher_id: Mapped[str] = mapped_column(String(36))
    room: Mapped[str | None] = mapped_column(String(60), nullable=True)
    group_name: Mapped[str] = mapped_column(String(60), default="")
    shared_key: Mapped[str | None] = mapped_column(String(80), nullable=True)   # joint lessons
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(20), default="manual")           # manual | asc
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ------------------------------------------------------------------------- lessons (ORG-3, ORG-4)

class Lesson(Base):
    """A lesson held (or planned) on a date: materialised from the timetable on demand, once per
    (class, date, period, group). The topic's lesson date and its entry time are both kept, so a
    topic entered after an outage shows when it was written (OPS-2)."""
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("class_id", "date", "period", "group_name",
                                       name="uq_lessons_class_date_period_group"),
                      Index("ix_lessons_teacher_date", "teacher_id", "date"),
                      Index("ix_lessons_substitute_date", "substitute_teacher_id", "date"),
                      Index("ix_lessons_school_date", "school_id", "date"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36))
    class_id: Mapped[str] = mapped_column(String(36), ForeignKey("classes.id"))
    timetable_entry_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("timetable_entries.id", ondelete="SET NULL"), nullable=True)
    subject_id: Mapped[str] = mapped_column(String(36), ForeignKey("subjects.id"))
    teacher_id: Mapped[str] = mapped_column(String(36))
    substitute_teacher_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    date: Mapped[dt.date] = mapped_column(Date)
    period: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[dt.time] = mapped_column(Time)
    ends_at: Mapped[dt.time] = mapped_column(Time)
    room: Mapped[str | None] = mapped_column(String(60), nullable=True)
    group_name: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(20), default="planned")   # planned | held | cancelled
    cancel_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    cancelled_by_event_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    topic: Mapped[str | None] = mapped_column(Text, nullable=True)
    topic_entered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    topic_entered_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Substitution(Base):
    """ZASTĘPSTWA (ORG-3): a substitute assigned to a lesson, or the lesson cancelled. Rows are
    history: a later assignment for the same lesson supersedes the earlier one."""
    __tablename__ = "substitutions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    lesson_id: Mapped[str] = mapped_column(String(36), ForeignKey("lessons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))            # substitute | cancellation
    original_teacher_id: Mapped[str] = mapped_column(String(36))
    substitute_teacher_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    reason: Mapped[str] = mapped_column(String(300))
    assigned_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ------------------------------------------------------------------------- calendar (ORG-10)

class CalendarEvent(Base):
    """TERMINARZ: a written test, quiz, day off, school event, parent meeting or an approved
    trip; for one class or (class_id NULL) the whole school."""
    __tablename__ = "calendar_events"
    __table_args__ = (Index("ix_calendar_school_date", "school_id", "date"),
                      Index("ix_calendar_class_date", "class_id", "date"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36))
    class_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("classes.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    date: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    period: Mapped[int | None] = mapped_column(Integer, nullable=True)
    subject_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("subjects.id"), nullable=True)
    teacher_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    trip_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    removed_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


class SchoolSettings(Base):
    """Per-school settings of scheduling: the calendar's test limits per class (NULL: no limit).
    A school that never set them gets the defaults of ``domain.DEFAULT_LIMITS``."""
    __tablename__ = "school_settings"
    school_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tests_per_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tests_per_week: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quizzes_per_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quizzes_per_week: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ------------------------------------------------------------------------- trip cards (ORG-11)

class Trip(Base):
    """Karta wycieczki: entered by the organising teacher, approved or rejected by the director;
    once approved it appears in the calendar of the participants' classes."""
    __tablename__ = "trips"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    organiser_id: Mapped[str] = mapped_column(String(36), index=True)
    destination: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(Text, nullable=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    participant_ids: Mapped[list] = mapped_column(JSON, default=list)
    supervisor_ids: Mapped[list] = mapped_column(JSON, default=list)
    class_ids: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

