"""The export protocol: how a domain service hands its data to the archive over RPC, so that
archive never reads another service's tables (ARC-1, ARC-6, LAW-4).

Each domain service declares its *sections* in ``services/<svc>/export.py`` and mixes in
``ArchiveExport``, whose two RPCs use the helpers here:

- ``archive_export_sections()`` → ``[{"section", "label", "filters"}]``
- ``archive_export(school_id, section, after=None, limit=500, date_from=None, date_to=None,
  school_year=None, student_id=None)`` → ``{"items": [...], "next": cursor | None}`` (plus
  ``"total"`` on the first page), in a stable order: keyset pagination on the section's key
  (``WHERE key > after ORDER BY key``), so a page never repeats or skips a row while others write.

Filters: the school always; a school year by its name (``school_year``, for rows that store it)
or by dates (``date_from``/``date_to``: a date column within, a span that overlaps, a time
column within the days), else the whole school; a student (``student_id``) for a disclosure
package (ARC-6). Sections without a student column are left out of a student's package.

Pure SQLAlchemy and marshmallow-free: imported by every service, it has no nameko in it."""
import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import and_, func, inspect as sa_inspect, or_, select, types
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from services.common.errors import Invalid

MAX_LIMIT = 2000
# Who may read a school's whole register through the protocol (besides the system and the
# association administrator, who pass every role check).
EXPORT_ROLES = ("school_admin", "deputy_admin", "director")


@dataclass
class Section:
    """One exportable table (or a filtered part of one) of a service.

    ``key``: the unique, ordered column of the keyset pagination. ``school``: the column holding
    the school. ``date``/``span``/``time``/``year``: how a school year narrows it (see the module).
    ``parent``: ``(Section, column)`` for a child table narrowed through its parent (a grade's
    versions follow the grade's year and student). ``fields``/``exclude``: which columns travel
    (password hashes and message bodies never do). ``where``: fixed conditions. ``student``: the
    student column, or a callable ``(model, student_id) -> condition``. ``extra``: a callable
    ``(session, rows) -> {key: {field: value}}`` adding related data to each item."""
    name: str
    model: type
    label: str
    key: str = "id"
    school: str = "school_id"
    date: str | None = None
    span: tuple | None = None
    time: str | None = None
    year: str | None = None
    parent: tuple | None = None
    fields: tuple | None = None
    exclude: tuple = ()
    where: Callable | None = None
    student: object = None
    extra: Callable | None = None
    columns: list = field(default_factory=list, init=False)
    types: dict = field(default_factory=dict, init=False)

    def __post_init__(self):
        attrs = {c.key: c for c in sa_inspect(self.model).mapper.column_attrs}
        names = list(attrs)
        if self.fields is not None:
            names = [n for n in names if n in self.fields]
        self.columns = [n for n in names if n not in self.exclude]
        self.types = {n: field_type(attrs[n].columns[0].type) for n in self.columns}

    @property
    def filters(self):
        out = []
        if self.year or (self.parent and self.parent[0].year):
            out.append("school_year")
        if self.date or self.span or self.time or (self.parent and self.parent[0].has_dates):
            out.append("dates")
        if self.student is not None or (self.parent and self.parent[0].student is not None):
            out.append("student")
        return out

    @property
    def has_dates(self):
        return bool(self.date or self.span or self.time)


def field_type(sql_type):
    """The protocol's type of a column: how the archive writes it (its XSD element)."""
    for cls, name in ((types.Boolean, "boolean"), (types.DateTime, "datetime"), (types.Date, "date"),
                      (types.Time, "time"), (types.Integer, "integer"), (types.Float, "decimal"),
                      (types.Numeric, "decimal"), (types.JSON, "json")):
        if isinstance(sql_type, cls):
            return name
    return "string"


def describe(sections):
    """What ``archive_export_sections`` answers: each section, its label, the filters it
    accepts and its fields with their types (string, integer, decimal, boolean, date, datetime,
    time, json)."""
    return [{"section": s.name, "label": s.label, "filters": s.filters, "fields": dict(s.types)}
            for s in sections]


def check_caller(caller, school_id):
    """The system, the association administrator, or the school's administrator or director."""
    caller.require_school(school_id)
    caller.require_role(*EXPORT_ROLES)


def _day(value, name):
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"Niepoprawne dane: {name}.", {name: ["Niepoprawna data (RRRR-MM-DD)."]})


def _no_index(column):
    """SQLite: ``+column`` (a no-op) that keeps the planner off the column's indexes. Paging by
    ``id > after ORDER BY id`` must walk the primary key and test the school and dates on the
    way; if SQLite takes the (school, date) index instead, it sorts every matching row for each
    page (seconds per page for a large school instead of milliseconds)."""
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _conditions(section, model, school_id, date_from, date_to, school_year, student_id, walk_key=False):
    """The WHERE conditions of a section (and, recursively, of its parent, joined)."""
    c = _no_index if walk_key else (lambda column: column)
    conds = []
    if section.school:
        conds.append(c(getattr(model, section.school)) == school_id)
    if section.where is not None:
        conds.append(section.where(model))
    if school_year and section.year:
        conds.append(c(getattr(model, section.year)) == school_year)
    elif date_from or date_to:
        if section.date:
            col = c(getattr(model, section.date))
            if date_from:
                conds.append(col >= date_from)
            if date_to:
                conds.append(col <= date_to)
        elif section.span:
            start, end = (c(getattr(model, name)) for name in section.span)
            if date_to:
                conds.append(start <= date_to)
            if date_from:
                conds.append(or_(end.is_(None), end >= date_from))
        elif section.time:
            col = c(getattr(model, section.time))
            if date_from:
                conds.append(col >= dt.datetime.combine(date_from, dt.time(), dt.timezone.utc))
            if date_to:
                conds.append(col < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), dt.timezone.utc))
    # A student's rows are few: their index stays usable.
    if student_id is not None and section.student is not None:
        if callable(section.student):
            conds.append(section.student(model, student_id))
        else:
            conds.append(getattr(model, section.student) == student_id)
    return conds


def statement(section, school_id, *, date_from=None, date_to=None, school_year=None, student_id=None,
              walk_key=False, columns=None):
    """SELECT of the section's rows (or of ``columns``) for the filters, unordered and
    unpaginated. ``walk_key``: for paging on SQLite, keep the filters off their indexes (see
    ``_no_index``)."""
    model = section.model
    stmt = select(*columns) if columns is not None else select(model)
    args = (school_id, date_from, date_to, school_year, student_id, walk_key)
    conds = _conditions(section, model, *args)
    if section.parent is not None:
        parent, column = section.parent
        pmodel = parent.model
        stmt = stmt.join(pmodel, getattr(pmodel, parent.key) == getattr(model, column))
        conds += _conditions(parent, pmodel, *args)
    return stmt.where(and_(*conds)) if conds else stmt


def jsonable(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def export_page(session, sections, school_id, section, after=None, limit=500, *, date_from=None,
                date_to=None, school_year=None, student_id=None):
    """One page of a section: ``{"items", "next"}`` and, on the first page, ``"total"``."""
    by_name = {s.name: s for s in sections}
    if section not in by_name:
        raise Invalid(f"Nieznana sekcja eksportu: {section}.", {"section": [f"Dozwolone: {', '.join(by_name)}."]})
    sec = by_name[section]
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise Invalid("Niepoprawne dane: limit.", {"limit": ["Oczekiwano liczby całkowitej."]})
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid("Niepoprawne dane: limit.", {"limit": [f"Wartość od 1 do {MAX_LIMIT}."]})
    if student_id is not None and "student" not in sec.filters:
        return {"items": [], "next": None, "total": 0} if after is None else {"items": [], "next": None}
    date_from, date_to = _day(date_from, "date_from"), _day(date_to, "date_to")
    if school_year is not None and not isinstance(school_year, str):
        raise Invalid("Niepoprawne dane: school_year.", {"school_year": ["Oczekiwano tekstu."]})
    filters = dict(date_from=date_from, date_to=date_to, school_year=school_year, student_id=student_id)
    key = getattr(sec.model, sec.key)
    names = list(dict.fromkeys(sec.columns + [sec.key]))
    # Plain rows of the exported columns (no ORM objects: several times faster for large pages).
    walk = session.bind.dialect.name == "sqlite" and student_id is None
    stmt = statement(sec, school_id, walk_key=walk, columns=[getattr(sec.model, n) for n in names], **filters)
    if after is not None:
        stmt = stmt.where(key > after)
    rows = session.execute(stmt.order_by(key).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    extra = sec.extra(session, rows) if sec.extra and rows else {}
    exported = [(i, n) for i, n in enumerate(names) if n in sec.columns]
    k = names.index(sec.key)
    items = []
    for row in rows:
        item = {n: jsonable(row[i]) for i, n in exported}
        item.update(extra.get(row[k], {}))
        items.append(item)
    page = {"items": items, "next": rows[-1][k] if more and rows else None}
    if after is None:
        base = statement(sec, school_id, columns=[key], **filters)
        page["total"] = session.scalar(select(func.count()).select_from(base.subquery()))
    return page
