"""grades's tables. Every row carries its school (``school_id``).

People, classes and subjects live in identity and scheduling: here they are ids only
(``student_id``, ``teacher_id``, ``class_id``, ``subject_id``), checked over RPC when written.
Nothing here is ever deleted: a grade that is "deleted" is marked so, with its reason, and every
version of every grade is a row of ``grade_versions`` or ``final_grade_versions`` (GRD-6, LAW-2)."""
import uuid
from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.models import utcnow


def new_id():
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class GradeSettings(Base):
    """A school's grade scale and deadlines (GRD-1, GRD-4). A school that never saved settings
    gets the defaults of ``domain`` (Librus' +0.5/-0.25, symbols np, bz, nb, +, -)."""
    __tablename__ = "grade_settings"
    school_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    plus_value: Mapped[float] = mapped_column(Float)
    minus_value: Mapped[float] = mapped_column(Float)
    allow_six_plus: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_one_minus: Mapped[bool] = mapped_column(Boolean, default=False)
    symbols: Mapped[list] = mapped_column(JSON, default=list)          # [{symbol, label}]
    second_term_start: Mapped[str] = mapped_column(String(5), default="02-01")   # MM-DD
    midyear_notice_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    annual_notice_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GradeCategory(Base):
    """A category of partial grades (sprawdzian, kartkówka, ...) with its weight, per school."""
    __tablename__ = "grade_categories"
    __table_args__ = (UniqueConstraint("school_id", "name", name="uq_grade_categories_school_name"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(80))
    weight: Mapped[float] = mapped_column(Float)
    counts_in_average: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GradeColumn(Base):
    """A column of the grade book: one test graded for a whole class in one request."""
    __tablename__ = "grade_columns"
    __table_args__ = (Index("ix_grade_columns_class_subject", "class_id", "subject_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    class_id: Mapped[str] = mapped_column(String(36))
    subject_id: Mapped[str] = mapped_column(String(36))
    category_id: Mapped[str] = mapped_column(String(36), ForeignKey("grade_categories.id"))
    date: Mapped[date] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Grade(Base):
    """A partial grade (ocena cząstkowa, GRD-1). ``value`` as entered ("4+", "np"); ``numeric``
    with the school's current values of + and - (NULL for a symbol); ``weight`` and
    ``counts_in_average`` NULL mean "as the category says" (a category's change applies to
    them). ``date`` is the day it refers to, ``created_at`` when it was entered (OPS-2).
    ``class_id`` is the class it was given in: it stays after a transfer (the grade follows the
    student, whose new grades carry the new class)."""
    __tablename__ = "grades"
    __table_args__ = (Index("ix_grades_student_subject", "student_id", "subject_id"),
                      Index("ix_grades_class_subject", "class_id", "subject_id"),
                      Index("ix_grades_school_year", "school_id", "school_year"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36))
    student_id: Mapped[str] = mapped_column(String(36))
    class_id: Mapped[str] = mapped_column(String(36))
    subject_id: Mapped[str] = mapped_column(String(36))
    teacher_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    category_id: Mapped[str] = mapped_column(String(36), ForeignKey("grade_categories.id"))
    column_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("grade_columns.id"), nullable=True,
                                                  index=True)
    weight: Mapped[float | None] = mapped_column(Float, nullable=True)
    counts_in_average: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    date: Mapped[date] = mapped_column(Date)
    school_year: Mapped[str] = mapped_column(String(9))
    term: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(String(300), nullable=True)
    value: Mapped[str] = mapped_column(String(10))
    numeric: Mapped[float | None] = mapped_column(Float, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    delete_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class GradeVersion(Base):
    """One version of a partial grade: created, corrected or deleted, with author, time and
    reason (GRD-6). Never changed or removed."""
    __tablename__ = "grade_versions"
    __table_args__ = (UniqueConstraint("grade_id", "version", name="uq_grade_versions_grade_version"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36))
    grade_id: Mapped[str] = mapped_column(String(36), ForeignKey("grades.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))          # created | corrected | deleted
    value: Mapped[str] = mapped_column(String(10))
    numeric: Mapped[float | None] = mapped_column(Float, nullable=True)
    category_id: Mapped[str] = mapped_column(String(36))
    weight: Mapped[float | None] = mapped_column(Float, nullable=True)
    counts_in_average: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    date: Mapped[date] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(String(300), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    author_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    author_roles: Mapped[list] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FinalGrade(Base):
    """A predicted mid-year, mid-year, predicted annual or annual grade of a subject, or (with
    ``scope`` "behaviour" and no subject) a behaviour grade (GRD-2, GRD-5). Invisible to the
    parent and the student until ``accepted_at`` (GRD-3); a change clears the acceptance.
    ``scope`` is the subject id or "behaviour", so that one row per student, year, kind and
    scope is enforced on both backends."""
    __tablename__ = "final_grades"
    __table_args__ = (UniqueConstraint("student_id", "school_year", "kind", "scope",
                                       name="uq_final_grades_student_year_kind_scope"),
                      Index("ix_final_grades_class_year", "class_id", "school_year"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    student_id: Mapped[str] = mapped_column(String(36))
    class_id: Mapped[str] = mapped_column(String(36))
    subject_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    scope: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(20))
    school_year: Mapped[str] = mapped_column(String(9))
    value: Mapped[str] = mapped_column(String(20))
    teacher_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    accepted_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class FinalGradeVersion(Base):
    """One version of a final or behaviour grade: set, corrected, accepted, moved with a
    transferred student (GRD-6)."""
    __tablename__ = "final_grade_versions"
    __table_args__ = (UniqueConstraint("final_id", "version", name="uq_final_grade_versions_final_version"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36))
    final_id: Mapped[str] = mapped_column(String(36), ForeignKey("final_grades.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))          # set | corrected | accepted | moved
    value: Mapped[str] = mapped_column(String(20))
    class_id: Mapped[str] = mapped_column(String(36))
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    author_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AtRiskFlag(Base):
    """A student at risk (GRD-4): raised by a predicted niedostateczny, naganne behaviour or
    non-classification, cleared when the prediction changes. One row per predicted grade;
    ``notice_printed_at`` records when the written notice to parents was last printed."""
    __tablename__ = "at_risk_flags"
    __table_args__ = (Index("ix_at_risk_class_year", "class_id", "school_year"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    final_id: Mapped[str] = mapped_column(String(36), ForeignKey("final_grades.id"), unique=True)
    student_id: Mapped[str] = mapped_column(String(36), index=True)
    class_id: Mapped[str] = mapped_column(String(36))
    subject_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    school_year: Mapped[str] = mapped_column(String(9))
    reason: Mapped[str] = mapped_column(String(30))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    raised_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cleared_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    notice_printed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    notice_printed_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


class StudentMove(Base):
    """What grades learnt from scheduling about a student's class: a transfer (ORG-5) or a
    removal from the class list (ORG-7), keyed by the event that told it."""
    __tablename__ = "student_moves"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(20))            # transferred | removed
    student_id: Mapped[str] = mapped_column(String(36), index=True)
    from_class_id: Mapped[str] = mapped_column(String(36))
    to_class_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
