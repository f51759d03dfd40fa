"""archive's tables. Every row carries its school.

- ``archives``: one yearly archive (ARC-1, LAW-5): the job (status, progress) and its result
  (files, checksum, signature, manifest, retention date).
- ``database_copies``: the copy of every service's database taken with an archive.
- ``destructions``: an archive destroyed past its retention (ARC-5): who, when, what, which
  checksum. Never changed nor deleted.
- ``copies``: the register of copies (ARC-2): every extra copy of register data, with the
  recipient who signs the receipt.
- ``disclosures``: a student's data disclosed to an authorised body (ARC-6).
- ``certificates``: the school's signing certificate (the key itself is a file only this
  service reads, see ``signing.py``).
"""
import uuid
from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.models import utcnow


def new_id():
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class Archive(Base):
    """A yearly archive of one school. ``status``: queued → running → completed, or failed (the
    files of a failed run are removed; it can be restarted), and destroyed past retention."""
    __tablename__ = "archives"
    __table_args__ = (Index("ix_archives_school_year", "school_id", "year_name"),
                      Index("ix_archives_status", "status"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36))
    school_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    year_id: Mapped[str] = mapped_column(String(36))
    year_name: Mapped[str] = mapped_column(String(40))
    year_starts_on: Mapped[date] = mapped_column(Date)
    year_ends_on: Mapped[date] = mapped_column(Date)
    year_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger: Mapped[str] = mapped_column(String(30))            # manual | school_year_closed
    status: Mapped[str] = mapped_column(String(20), default="queued")
    percent: Mapped[int] = mapped_column(Integer, default=0)
    current_section: Mapped[str | None] = mapped_column(String(80), nullable=True)
    message: Mapped[str | None] = mapped_column(String(500), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    instance: Mapped[str | None] = mapped_column(String(80), nullable=True)
    folder: Mapped[str | None] = mapped_column(String(500), nullable=True)
    xml_file: Mapped[str | None] = mapped_column(String(200), nullable=True)
    xml_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    xml_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    html_file: Mapped[str | None] = mapped_column(String(200), nullable=True)
    signature_file: Mapped[str | None] = mapped_column(String(200), nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    signer_subject: Mapped[str | None] = mapped_column(String(500), nullable=True)
    signer_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    files: Mapped[list] = mapped_column(JSON, default=list)       # [{name, size, sha256, kind}]
    counts: Mapped[dict] = mapped_column(JSON, default=dict)      # section -> records
    manifest: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    retention_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    destroyed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DatabaseCopy(Base):
    """A copy of one service's database made with an archive (``backup_database`` of that
    service): where it is, how large, its SHA-256."""
    __tablename__ = "database_copies"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    archive_id: Mapped[str] = mapped_column(String(36), ForeignKey("archives.id"), index=True)
    service: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))               # sqlite | pg_dump
    path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Destruction(Base):
    """The permanent record of a destroyed archive (ARC-5)."""
    __tablename__ = "destructions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    archive_id: Mapped[str] = mapped_column(String(36), unique=True)
    year_name: Mapped[str] = mapped_column(String(40))
    retention_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    xml_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    files: Mapped[list] = mapped_column(JSON, default=list)
    database_copies: Mapped[list] = mapped_column(JSON, default=list)
    confirmation: Mapped[str] = mapped_column(String(200))
    destroyed_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    destroyed_by_name: Mapped[str | None] = mapped_column(String(170), nullable=True)
    destroyed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CopyRecord(Base):
    """The register of copies (ARC-2, XII.2): an extra copy of register data (an archive
    download, an export, a printout of personal data, a disclosure package): when, by whom, for
    whom and why; the recipient signs the printed receipt."""
    __tablename__ = "copies"
    __table_args__ = (Index("ix_copies_school_made", "school_id", "made_at"),
                      UniqueConstraint("school_id", "number", name="uq_copies_school_number"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36))
    number: Mapped[int] = mapped_column(Integer)               # running number within the school
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(500))
    recipient: Mapped[str] = mapped_column(String(200))
    recipient_institution: Mapped[str | None] = mapped_column(String(200), nullable=True)
    purpose: Mapped[str] = mapped_column(String(500))
    carrier: Mapped[str | None] = mapped_column(String(200), nullable=True)
    archive_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    disclosure_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    files: Mapped[list] = mapped_column(JSON, default=list)    # [{name, size, sha256}]
    made_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    made_by_name: Mapped[str | None] = mapped_column(String(170), nullable=True)
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    receipt_printed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Disclosure(Base):
    """A student's data disclosed to an authorised body (ARC-6, XII.3): police, prosecutor,
    court, another school on transfer, a control authority; with the legal basis and case."""
    __tablename__ = "disclosures"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    school_id: Mapped[str] = mapped_column(String(36), index=True)
    student_id: Mapped[str] = mapped_column(String(36), index=True)
    student_name: Mapped[str] = mapped_column(String(170))
    body_kind: Mapped[str] = mapped_column(String(30))
    body_name: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str] = mapped_column(String(500))
    case_number: Mapped[str | None] = mapped_column(String(120), nullable=True)
    requested_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    requested_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    school_year: Mapped[str | None] = mapped_column(String(40), nullable=True)
    made_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    made_by_name: Mapped[str | None] = mapped_column(String(170), nullable=True)
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    package_path: Mapped[str] = mapped_column(String(500))
    package_size: Mapped[int] = mapped_column(BigInteger)
    package_sha256: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    copy_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class SchoolCertificate(Base):
    """The certificate (qualified seal or signature) a school signs its archives with (LAW-5).
    The private key is in ``key_file`` (PKCS#12, re-encrypted with this service's secret,
    readable only by the service's user); the administrator's password is never stored."""
    __tablename__ = "certificates"
    school_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str] = mapped_column(String(500))
    serial: Mapped[str] = mapped_column(String(80))
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fingerprint: Mapped[str] = mapped_column(String(64))
    cert_pem: Mapped[str] = mapped_column(Text)
    chain_pem: Mapped[str] = mapped_column(Text, default="")
    key_file: Mapped[str] = mapped_column(String(500))
    uploaded_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
