"""Import of a timetable from the XML export of aSc Timetables (ORG-2; the supported subset is
documented in README.md). Pure: parsing and mapping, no database. The service maps the result
onto its records and writes it in one transaction (all or nothing).

The file is read with expat and refused if it declares a DOCTYPE or any entity, so neither
entity expansion ("billion laughs") nor external entities can happen (defusedxml's rules,
without the dependency)."""
import re
import xml.parsers.expat
from dataclasses import dataclass, field
from datetime import time

MAX_CHARS = 5_000_000
MAX_ELEMENTS = 200_000

SECTIONS = ("periods", "daysdefs", "subjects", "teachers", "classrooms", "classes", "groups",
            "lessons", "cards")
REQUIRED_SECTIONS = ("periods", "subjects", "teachers", "classes", "lessons", "cards")


class AscFormatError(Exception):
    """The file is not an aSc Timetables XML export we can read. ``problems``: Polish lines."""

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.message = message
        self.problems = list(problems)


@dataclass
class _Element:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)


def _forbid(*_args):
    raise AscFormatError("Plik XML zawiera deklarację DOCTYPE lub encji; takie pliki nie są "
                         "przyjmowane ze względów bezpieczeństwa.")


def parse_xml(text):
    """A tiny, safe element tree: (tag, attributes, children); text content is ignored (aSc
    keeps everything in attributes)."""
    if isinstance(text, bytes):
        data = text
    elif isinstance(text, str):
        if len(text) > MAX_CHARS:
            raise AscFormatError(f"Plik jest za duży (ponad {MAX_CHARS // 1_000_000} mln znaków).")
        text = text.lstrip("\ufeff")
        # The text arrives decoded: make the declaration agree with the bytes we hand expat.
        text = re.sub(r'^(<\?xml[^>]*?encoding=)(["\'])[^"\']*\2', r'\1"UTF-8"', text, count=1)
        data = text.encode("utf-8")
    else:
        raise AscFormatError("Oczekiwano treści pliku XML.")
    if len(data) > MAX_CHARS * 2:
        raise AscFormatError(f"Plik jest za duży (ponad {MAX_CHARS // 1_000_000} mln znaków).")
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    root_holder, stack, count = [], [], [0]

    def start(tag, attrs):
        count[0] += 1
        if count[0] > MAX_ELEMENTS:
            raise AscFormatError("Plik ma zbyt wiele elementów.")
        el = _Element(tag, dict(attrs))
        if stack:
            stack[-1].children.append(el)
        else:
            root_holder.append(el)
        stack.append(el)

    def end(_tag):
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise AscFormatError(f"To nie jest poprawny plik XML ({xml.parsers.expat.ErrorString(exc.code)}, "
                             f"wiersz {exc.lineno}).")
    if not root_holder:
        raise AscFormatError("Plik XML jest pusty.")
    return root_holder[0]


# ----------------------------------------------------------------------------- the export's model

@dataclass
class AscCard:
    lesson_id: str
    period: int
    weekdays: list
    classroom_ids: list | None   # None: take the lesson's rooms


@dataclass
class AscTimetable:
    periods: dict          # period number -> (starts_at, ends_at)
    subjects: dict         # id -> {name, short}
    teachers: dict         # id -> {name, short, firstname, lastname}
    classrooms: dict       # id -> {name, short}
    classes: dict          # id -> {name, short}
    groups: dict           # id -> {name, classid, entireclass}
    lessons: dict          # id -> {classids, subjectid, teacherids, classroomids, groupids, periodspercard}
    cards: list            # AscCard
    version: str | None = None


def _ids(value):
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _hm(value):
    m = re.match(r"^\s*(\d{1,2}):(\d{2})", value or "")
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        return None
    return time(int(m.group(1)), int(m.group(2)))


def _weekdays(bits):
    """'00100' -> [3]; several bits (rare on a card) -> several days."""
    if not bits or not re.fullmatch(r"[01]+", bits):
        return None
    return [i + 1 for i, b in enumerate(bits) if b == "1"]


def read_asc(text):
    """Parse an aSc Timetables XML export into an ``AscTimetable``, or raise AscFormatError with
    every problem found (Polish)."""
    root = parse_xml(text)
    if root.tag != "timetable":
        raise AscFormatError(f"To nie jest eksport aSc Timetables: główny element to <{root.tag}>, "
                             f"a powinien być <timetable>.")
    sections = {}
    for child in root.children:
        if child.tag in SECTIONS:
            sections[child.tag] = child.children
    missing = [s for s in REQUIRED_SECTIONS if s not in sections]
    if missing:
        raise AscFormatError("W pliku brakuje sekcji: " + ", ".join(f"<{m}>" for m in missing) + ".")
    problems = []

    def items(section, tag):
        return [el for el in sections.get(section, []) if el.tag == tag]

    periods = {}
    for el in items("periods", "period"):
        a = el.attrs
        try:
            number = int(a.get("period") or a.get("name") or "")
        except ValueError:
            problems.append(f"Godzina lekcyjna bez numeru: {a}.")
            continue
        start, end = _hm(a.get("starttime")), _hm(a.get("endtime"))
        if start is None or end is None or end <= start:
            problems.append(f"Godzina lekcyjna {number}: niepoprawne godziny "
                            f"„{a.get('starttime')}”–„{a.get('endtime')}”.")
            continue
        periods[number] = (start, end)

    def by_id(section, tag, keys):
        out = {}
        for el in items(section, tag):
            ident = el.attrs.get("id")
            if not ident:
                problems.append(f"Element <{tag}> bez atrybutu id.")
                continue
            out[ident] = {k: (el.attrs.get(k) or "").strip() for k in keys}
        return out

    subjects = by_id("subjects", "subject", ("name", "short"))
    teachers = by_id("teachers", "teacher", ("name", "short", "firstname", "lastname"))
    classrooms = by_id("classrooms", "classroom", ("name", "short"))
    classes = by_id("classes", "class", ("name", "short"))
    groups = by_id("groups", "group", ("name", "classid", "entireclass"))
    lessons = {}
    for el in items("lessons", "lesson"):
        a = el.attrs
        if not a.get("id"):
            problems.append("Element <lesson> bez atrybutu id.")
            continue
        try:
            ppc = int(float(a.get("periodspercard") or "1"))
        except ValueError:
            ppc = 0
        if not 1 <= ppc <= 4:
            problems.append(f"Lekcja {a['id']}: niepoprawna liczba godzin w bloku "
                            f"„{a.get('periodspercard')}”.")
            continue
        lesson = {"classids": _ids(a.get("classids")), "subjectid": (a.get("subjectid") or "").strip(),
                  "teacherids": _ids(a.get("teacherids")), "classroomids": _ids(a.get("classroomids")),
                  "groupids": _ids(a.get("groupids")), "periodspercard": ppc}
        for cid in lesson["classids"]:
            if cid not in classes:
                problems.append(f"Lekcja {a['id']} wskazuje nieznaną klasę {cid}.")
        for tid in lesson["teacherids"]:
            if tid not in teachers:
                problems.append(f"Lekcja {a['id']} wskazuje nieznanego nauczyciela {tid}.")
        if lesson["subjectid"] not in subjects:
            problems.append(f"Lekcja {a['id']} wskazuje nieznany przedmiot „{lesson['subjectid']}”.")
        for rid in lesson["classroomids"]:
            if rid not in classrooms:
                problems.append(f"Lekcja {a['id']} wskazuje nieznaną salę {rid}.")
        lessons[a["id"]] = lesson
    cards = []
    for n, el in enumerate(items("cards", "card"), start=1):
        a = el.attrs
        lid = a.get("lessonid")
        if lid not in lessons:
            problems.append(f"Karta {n} wskazuje nieznaną lekcję „{lid}”.")
            continue
        try:
            period = int(a.get("period", ""))
        except ValueError:
            problems.append(f"Karta {n} (lekcja {lid}) bez numeru godziny lekcyjnej.")
            continue
        days = _weekdays(a.get("days"))
        if not days:
            problems.append(f"Karta {n} (lekcja {lid}): niepoprawne dni „{a.get('days')}”.")
            continue
        if [d for d in days if d > 5]:
            problems.append(f"Karta {n} (lekcja {lid}): zajęcia w sobotę lub niedzielę nie są obsługiwane.")
            continue
        weeks = (a.get("weeks") or "1").strip()
        if weeks and set(weeks) != {"1"}:
            problems.append(f"Karta {n} (lekcja {lid}): plan dwutygodniowy (tygodnie „{weeks}”) "
                            f"nie jest obsługiwany.")
            continue
        ppc = lessons[lid]["periodspercard"]
        for p in range(period, period + ppc):
            if p not in periods:
                problems.append(f"Karta {n} (lekcja {lid}): nieznana godzina lekcyjna {p}.")
        rooms = _ids(a["classroomids"]) if "classroomids" in a else None
        for rid in rooms or ():
            if rid not in classrooms:
                problems.append(f"Karta {n} (lekcja {lid}) wskazuje nieznaną salę {rid}.")
        cards.append(AscCard(lid, period, days, rooms))
    if not cards and not problems:
        problems.append("Plik nie zawiera żadnej karty planu (<card>).")
    if problems:
        raise AscFormatError("Pliku nie można zaimportować: " + problems[0]
                             + (f" (i {len(problems) - 1} innych problemów)" if len(problems) > 1 else ""),
                             problems)
    return AscTimetable(periods, subjects, teachers, classrooms, classes, groups, lessons, cards,
                        version=root.attrs.get("ascttversion"))


# ----------------------------------------------------------------------------- mapping onto the school

def norm(text):
    """Names compared case-insensitively, with runs of spaces collapsed."""
    return re.sub(r"\s+", " ", (text or "").strip()).casefold()


def norm_class(text):
    """Class names: '4 a', '4-A' and '4a' are the same class."""
    return re.sub(r"[\s\-_.]+", "", (text or "")).casefold()


def teacher_keys(first, last):
    return {norm(f"{first} {last}"), norm(f"{last} {first}")}


@dataclass
class PlannedSlot:
    class_id: str
    weekday: int
    period: int
    starts_at: time
    ends_at: time
    subject_key: str          # an existing subject id, or "new:<normalised name>"
    teacher_id: str
    room: str | None
    group: str
    shared_key: str | None


@dataclass
class ImportPlan:
    slots: list
    new_subjects: dict                     # "new:<norm>" -> {name, short_name}
    mapped: dict                           # kind -> {asc name: our id}
    unmapped: dict                         # kind -> [asc names]
    warnings: list


def plan_import(asc, classes, teachers, subjects):
    """Map the export onto the school: ``classes`` [(id, name)], ``teachers``
    [(id, first_name, last_name)], ``subjects`` [(id, name, short_name)]. Teachers and classes are
    matched by name (a teacher as 'First Last' or 'Last First'); subjects by name or short name,
    and created when missing. Only what the cards use has to be mapped."""
    class_index = {}
    for cid, name in classes:
        class_index.setdefault(norm_class(name), []).append(cid)
    teacher_index = {}
    for tid, first, last in teachers:
        for key in teacher_keys(first, last):
            teacher_index.setdefault(key, set()).add(tid)
    subject_by_name = {norm(name): sid for sid, name, _short in subjects}
    subject_by_short = {}
    for sid, _name, short in subjects:
        if short:
            subject_by_short.setdefault(norm(short), []).append(sid)

    used_lessons = {c.lesson_id for c in asc.cards}
    used_classes = {cid for lid in used_lessons for cid in asc.lessons[lid]["classids"]}
    used_teachers = {tid for lid in used_lessons for tid in asc.lessons[lid]["teacherids"][:1]}
    used_subjects = {asc.lessons[lid]["subjectid"] for lid in used_lessons}

    mapped = {"classes": {}, "teachers": {}, "subjects": {}}
    unmapped = {"classes": [], "teachers": []}
    class_map, teacher_map, subject_map, new_subjects = {}, {}, {}, {}
    for acid in sorted(used_classes, key=lambda i: asc.classes[i]["name"]):
        c = asc.classes[acid]
        found = class_index.get(norm_class(c["name"])) or class_index.get(norm_class(c["short"])) or []
        if len(found) == 1:
            class_map[acid] = found[0]
            mapped["classes"][c["name"]] = found[0]
        else:
            unmapped["classes"].append(c["name"] or c["short"] or acid)
    for atid in sorted(used_teachers, key=lambda i: asc.teachers[i]["name"]):
        t = asc.teachers[atid]
        candidates = set()
        if t["firstname"] and t["lastname"]:
            candidates |= teacher_keys(t["firstname"], t["lastname"])
        if t["name"]:
            candidates.add(norm(t["name"]))
        found = set()
        for key in candidates:
            found |= teacher_index.get(key, set())
        label = t["name"] or f"{t['firstname']} {t['lastname']}".strip() or t["short"] or atid
        if len(found) == 1:
            teacher_map[atid] = next(iter(found))
            mapped["teachers"][label] = teacher_map[atid]
        else:
            unmapped["teachers"].append(label + (" (kilka kont o tym imieniu i nazwisku)" if found else ""))
    for asid in sorted(used_subjects, key=lambda i: asc.subjects[i]["name"]):
        s = asc.subjects[asid]
        sid = subject_by_name.get(norm(s["name"]))
        if sid is None and s["short"] and len(subject_by_short.get(norm(s["short"]), [])) == 1:
            sid = subject_by_short[norm(s["short"])][0]
        if sid is None:
            key = "new:" + norm(s["name"] or s["short"])
            new_subjects[key] = {"name": (s["name"] or s["short"])[:120],
                                 "short_name": (s["short"] or None) and s["short"][:30]}
            sid = key
        else:
            mapped["subjects"][s["name"]] = sid
        subject_map[asid] = sid

    def room_of(ids):
        names = [asc.classrooms[r]["short"] or asc.classrooms[r]["name"] for r in ids]
        return (", ".join(n for n in names if n))[:60] or None

    slots, warnings = [], []
    for card in asc.cards:
        lesson = asc.lessons[card.lesson_id]
        subject = asc.subjects[lesson["subjectid"]]
        if not lesson["teacherids"]:
            warnings.append(f"Lekcja „{subject['name']}” bez nauczyciela pominięta.")
            continue
        if not lesson["classids"]:
            warnings.append(f"Lekcja „{subject['name']}” bez klasy pominięta.")
            continue
        if len(lesson["teacherids"]) > 1:
            extra = ", ".join(asc.teachers[t]["name"] for t in lesson["teacherids"][1:])
            warnings.append(f"Lekcja „{subject['name']}”: przyjęto pierwszego nauczyciela, "
                            f"pominięto współprowadzących ({extra}).")
        teacher = teacher_map.get(lesson["teacherids"][0])
        if teacher is None:
            continue
        rooms = card.classroom_ids if card.classroom_ids is not None else lesson["classroomids"]
        shared = f"asc:{card.lesson_id}" if len(lesson["classids"]) > 1 else None
        for acid in lesson["classids"]:
            cid = class_map.get(acid)
            if cid is None:
                continue
            group = ""
            for gid in lesson["groupids"]:
                g = asc.groups.get(gid)
                if g and g["classid"] == acid and g["entireclass"] != "1":
                    group = g["name"][:60]
            for weekday in card.weekdays:
                for p in range(card.period, card.period + lesson["periodspercard"]):
                    start, end = asc.periods[p]
                    slots.append(PlannedSlot(cid, weekday, p, start, end, subject_map[lesson["subjectid"]],
                                             teacher, room_of(rooms), group, shared))
    # Warnings repeat per card; say each once.
    warnings = list(dict.fromkeys(warnings))
    return ImportPlan(slots, new_subjects, mapped, unmapped, warnings)
