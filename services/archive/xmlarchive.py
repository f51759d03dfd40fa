"""The archive document (LAW-4, LAW-5, ARC-1): written by streaming, validated by streaming,
turned into an HTML view by streaming. Memory does not grow with the size of the school: one
page of records is held at a time (lxml ``etree.xmlfile`` writes each record as it comes, and
``iterparse`` clears each record once read).

The schema is ``schema/dziennik-archiwum-1.0.xsd`` (namespace ``NS``). Records are lists of
typed fields: the element names the type (``tekst``, ``calkowita``, ``liczba``, ``logiczna``,
``data``, ``znacznikCzasu``, ``czas``, ``pusta``, ``lista``, ``obiekt``) and ``n`` the field."""
import datetime as dt
import hashlib
import html
import math
import os
import re
from decimal import Decimal, InvalidOperation

from lxml import etree

NS = "urn:dziennik-elektroniczny:archiwum:1.0"
VERSION = "1.0"
SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema", "dziennik-archiwum-1.0.xsd")
YEARLY = "archiwum-roczne"
DISCLOSURE = "udostepnienie-danych-ucznia"

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,79}$")
_schema = None


def q(tag):
    return f"{{{NS}}}{tag}"


def schema():
    """The XSD, parsed once per process."""
    global _schema
    if _schema is None:
        _schema = etree.XMLSchema(etree.parse(SCHEMA_PATH))
    return _schema


def clean(text):
    """Text XML can carry: characters XML 1.0 forbids become U+FFFD (never a failed archive)."""
    return _INVALID_XML.sub("\ufffd", str(text))


class HashingWriter:
    """A binary file wrapper that computes SHA-256 and size of what passes through it."""

    def __init__(self, fh):
        self.fh, self.sha256, self.size = fh, hashlib.sha256(), 0

    def write(self, data):
        self.sha256.update(data)
        self.size += len(data)
        return self.fh.write(data)

    def flush(self):
        self.fh.flush()

    @property
    def hexdigest(self):
        return self.sha256.hexdigest()


# ------------------------------------------------------------------------------------- values

def _decimal(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (isinstance(value, float) and not math.isfinite(value)):
        return None
    try:
        return format(Decimal(repr(value)), "f")
    except InvalidOperation:
        return None


def _parse(value, kind):
    """``value`` as the text of an element of ``kind``, or None when it is not one."""
    if value is None:
        return None
    try:
        if kind == "boolean" and isinstance(value, bool):
            return "true" if value else "false"
        if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if kind == "decimal":
            return _decimal(value)
        if kind == "date" and isinstance(value, str):
            return dt.date.fromisoformat(value).isoformat()
        if kind == "datetime" and isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.timezone.utc)
            return parsed.isoformat()
        if kind == "time" and isinstance(value, str):
            return dt.time.fromisoformat(value).isoformat()
    except ValueError:
        return None
    return None


_ELEMENT = {"boolean": "logiczna", "integer": "calkowita", "decimal": "liczba", "date": "data",
            "datetime": "znacznikCzasu", "time": "czas"}
NSMAP = {None: NS}


def _text(value):
    """Character data: forbidden characters replaced, markup escaped (a CR kept as a reference)."""
    if _INVALID_XML.search(value) is not None:
        value = clean(value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attr(value):
    return _text(str(value)).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def field_xml(out, name, value, kind=None):
    """Append to the list ``out`` the XML of one field (``name`` None inside a list). ``kind``
    is the protocol's type of the column; a value that does not fit it, or an untyped one, is
    written by its JSON type. (Records are serialised here rather than as lxml elements: ten
    times faster; every document is validated against the XSD before it is accepted.)"""
    n = f' n="{name}"' if name is not None else ""
    if value is None:
        out.append(f"<pusta{n}/>")
        return
    if isinstance(value, str):
        if kind in _ELEMENT:
            text = _parse(value, kind)
            if text is not None:
                tag = _ELEMENT[kind]
                out.append(f"<{tag}{n}>{text}</{tag}>")
                return
        out.append(f"<tekst{n}>{_text(value)}</tekst>")
    elif isinstance(value, bool):
        out.append(f"<logiczna{n}>{'true' if value else 'false'}</logiczna>")
    elif isinstance(value, int):
        out.append(f"<calkowita{n}>{value}</calkowita>")
    elif isinstance(value, float) and _decimal(value) is not None:
        out.append(f"<liczba{n}>{_decimal(value)}</liczba>")
    elif isinstance(value, (list, tuple)):
        out.append(f"<lista{n}>")
        for item in value:
            field_xml(out, None, item)
        out.append("</lista>")
    elif isinstance(value, dict):
        out.append(f"<obiekt{n}>")
        for key, item in value.items():
            field_xml(out, _field_name(key), item)
        out.append("</obiekt>")
    else:
        out.append(f"<tekst{n}>{_text(str(value))}</tekst>")


def _field_name(key):
    key = str(key)
    if _FIELD_NAME.match(key):
        return key
    return ("_" + re.sub(r"[^A-Za-z0-9_]", "_", key))[:80]


def record_xml(item, types=None, key="id"):
    """One ``rekord`` (in the default namespace of the document): its id and every field."""
    types = types or {}
    ident = item.get(key)
    if ident is None:
        ident = item.get("id") or item.get("school_id") or item.get("account_id") or "?"
    out = [f'<rekord id="{_attr(str(ident)[:200]) or "?"}">']
    for name, value in item.items():
        field_xml(out, name if _FIELD_NAME.match(name) else _field_name(name), value, types.get(name))
    out.append("</rekord>\n")
    return "".join(out)


# ------------------------------------------------------------------------------------- writing

class ArchiveWriter:
    """Streams one archive document to a binary file object::

        with ArchiveWriter(fh, archive_id=..., kind=YEARLY, header=...) as w:
            with w.service("grades"):
                with w.section("grades", "Oceny cząstkowe", types) as sec:
                    sec.write_items(page["items"])
        w.counts  # {(service, section): records}

    ``header``: ``{"school": {...}, "year": {...}, "creator": {...}, "as_of": date,
    "student": {...}, "disclosure": {...}}``."""

    def __init__(self, fh, *, archive_id, kind, header, created_at=None):
        self.fh = fh
        self.archive_id, self.kind, self.header = archive_id, kind, header
        self.created_at = created_at or dt.datetime.now(dt.timezone.utc)
        self.counts = {}
        self._xf = None
        self._stack = []

    def __enter__(self):
        self._xf_cm = etree.xmlfile(self.fh, encoding="UTF-8")
        self._xf = self._xf_cm.__enter__()
        self._xf.write_declaration()
        self._root = self._xf.element(q("archiwum"), {
            "wersja": VERSION, "rodzaj": self.kind, "id": self.archive_id,
            "utworzono": self.created_at.isoformat(timespec="seconds")}, nsmap={None: NS})
        self._root.__enter__()
        self._xf.write("\n")
        self._xf.write(header_element(self.header))
        self._xf.write("\n")
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            summary = etree.Element(q("podsumowanie"), {"rekordow": str(sum(self.counts.values()))}, nsmap=NSMAP)
            for (service, section), n in self.counts.items():
                etree.SubElement(summary, q("liczbaRekordow"), {"usluga": service, "sekcja": section,
                                                                 "rekordow": str(n)})
            self._xf.write(summary)
            self._xf.write("\n")
        try:
            self._root.__exit__(exc_type, exc, tb)
        finally:
            self._xf_cm.__exit__(exc_type, exc, tb)
        return False

    def service(self, name):
        writer = self

        class _Service:
            def __enter__(self_inner):
                self_inner.cm = writer._xf.element(q("usluga"), {"nazwa": name})
                self_inner.cm.__enter__()
                writer._xf.write("\n")
                writer._service = name
                return self_inner

            def __exit__(self_inner, *exc):
                self_inner.cm.__exit__(*exc)
                writer._xf.write("\n")
                return False
        return _Service()

    def section(self, name, label, types=None, key="id"):
        writer = self

        class _Section:
            def __enter__(self_inner):
                self_inner.cm = writer._xf.element(q("sekcja"), {"nazwa": name, "opis": clean(label)})
                self_inner.cm.__enter__()
                writer._xf.write("\n")
                writer.counts[(writer._service, name)] = 0
                return self_inner

            def write_items(self_inner, items):
                chunk = "".join(record_xml(item, types, key) for item in items)
                writer._xf.flush()      # everything lxml buffered goes first, then the records
                writer.fh.write(chunk.encode("utf-8"))
                writer.counts[(writer._service, name)] += len(items)

            def __exit__(self_inner, *exc):
                self_inner.cm.__exit__(*exc)
                writer._xf.write("\n")
                return False
        return _Section()


def header_element(header):
    el = etree.Element(q("naglowek"), nsmap=NSMAP)
    school = header["school"]
    attrs = {"id": school["id"], "nazwa": clean(school.get("name") or "")}
    if school.get("short_name"):
        attrs["skrot"] = clean(school["short_name"])
    if school.get("city"):
        attrs["miejscowosc"] = clean(school["city"])
    etree.SubElement(el, q("szkola"), attrs)
    year = header.get("year")
    if year:
        etree.SubElement(el, q("rokSzkolny"), year_attrs(year))
    student = header.get("student")
    if student:
        etree.SubElement(el, q("uczen"), {"id": student["id"], "nazwa": clean(student["name"])})
    disclosure = header.get("disclosure")
    if disclosure:
        attrs = {"organ": clean(disclosure["body_name"]), "rodzajOrganu": clean(disclosure["body_kind"]),
                 "podstawaPrawna": clean(disclosure["legal_basis"])}
        if disclosure.get("case_number"):
            attrs["sygnatura"] = clean(disclosure["case_number"])
        etree.SubElement(el, q("udostepnienie"), attrs)
    creator = header["creator"]
    attrs = {"nazwa": clean(creator.get("name") or "system")}
    if creator.get("id"):
        attrs["id"] = creator["id"]
    etree.SubElement(el, q("utworzyl"), attrs)
    if header.get("as_of"):
        etree.SubElement(el, q("stanNaDzien")).text = str(header["as_of"])
    return el


def year_attrs(year):
    attrs = {"nazwa": clean(year["name"])}
    if year.get("id"):
        attrs["id"] = year["id"]
    for key, attr in (("starts_on", "od"), ("ends_on", "do")):
        if year.get(key):
            attrs[attr] = str(year[key])
    if year.get("closed") is not None:
        attrs["zamkniety"] = "true" if year["closed"] else "false"
    return attrs


# ------------------------------------------------------------------------------------- reading

def validate(path):
    """Validate a document against the XSD while streaming through it. Returns a list of
    problems (empty when valid), in Polish, with line numbers."""
    try:
        for _event, el in etree.iterparse(path, events=("end",), tag=q("rekord"), schema=schema(),
                                          huge_tree=True, resolve_entities=False, no_network=True):
            el.clear(keep_tail=True)
            while el.getprevious() is not None:
                del el.getparent()[0]
    except etree.XMLSyntaxError as exc:
        return [f"Dokument niezgodny ze schematem XSD lub uszkodzony: {exc}"]
    except OSError as exc:
        return [f"Nie można odczytać pliku: {exc}"]
    return []


def validate_element(element):
    """Validate a small in-memory document (a manifest): a list of problems."""
    s = schema()
    if s.validate(element):
        return []
    return [f"Niezgodność ze schematem XSD: {e.message} (wiersz {e.line})" for e in s.error_log]


_PREFIX = len(NS) + 2


def _value_text(el):
    tag = el.tag[_PREFIX:]
    if tag == "pusta":
        return "—"
    if tag == "logiczna":
        return "tak" if el.text == "true" else "nie"
    if tag in ("lista", "obiekt"):
        parts = []
        for child in el:
            text = _value_text(child)
            name = child.get("n")
            parts.append(f"{name}: {text}" if name and tag == "obiekt" else text)
        return ("; " if tag == "lista" else ", ").join(parts) or "—"
    return el.text or ""


HTML_STYLE = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:13px;margin:1.5em;color:#111}
h1{font-size:20px} h2{font-size:16px;margin-top:1.6em} h3{font-size:14px;margin-top:1.2em}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:12px}
th,td{border:1px solid #999;padding:2px 5px;vertical-align:top;text-align:left}
th{background:#eee} caption{text-align:left;font-weight:bold;margin-bottom:.3em}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em} dt{font-weight:bold}
"""

SERVICE_LABELS = {"identity": "Użytkownicy i szkoła", "scheduling": "Organizacja, plan lekcji i lekcje",
                  "grades": "Oceny", "attendance": "Frekwencja", "messaging": "Wiadomości i ogłoszenia"}


def write_html(xml_path, out):
    """A human-readable HTML view of an archive document, made by streaming through the XML
    (``out``: a binary file object). Each section is a table whose columns are the fields of
    its records."""
    esc = html.escape
    w = out.write

    def text(s):
        w(s.encode("utf-8"))

    header_done, table_open, columns, section_label = False, False, None, ""
    text('<!DOCTYPE html>\n<html lang="pl"><head><meta charset="utf-8">'
         f'<title>Archiwum dziennika elektronicznego</title><style>{HTML_STYLE}</style></head><body>\n')
    context = etree.iterparse(xml_path, events=("start", "end"), huge_tree=True, resolve_entities=False,
                              no_network=True, tag=[q(t) for t in ("archiwum", "naglowek", "usluga", "sekcja",
                                                                    "rekord", "podsumowanie")])
    for event, el in context:
        tag = el.tag[_PREFIX:]
        if event == "start":
            if tag == "archiwum":
                title = "Dane ucznia udostępnione uprawnionemu organowi" if el.get("rodzaj") == DISCLOSURE \
                    else "Archiwum dziennika elektronicznego"
                text(f"<h1>{esc(title)}</h1>\n<p>Identyfikator: {esc(el.get('id') or '')}; "
                     f"utworzono: {esc(el.get('utworzono') or '')}; wersja schematu {esc(el.get('wersja') or '')}.</p>\n")
            elif tag == "usluga":
                label = SERVICE_LABELS.get(el.get("nazwa"), el.get("nazwa"))
                text(f"<h2>{esc(label)} <small>({esc(el.get('nazwa') or '')})</small></h2>\n")
            elif tag == "sekcja" and not header_done:
                pass
            elif tag == "sekcja":
                section_label = el.get("opis") or el.get("nazwa")
                text(f"<h3>{esc(section_label)}</h3>\n")
                columns, table_open = None, False
            continue
        # end events
        if tag == "naglowek":
            header_done = True
            rows = []
            for child in el:
                name = child.tag[_PREFIX:]
                if name == "szkola":
                    rows.append(("Szkoła", f"{child.get('nazwa')} ({child.get('skrot') or ''}) {child.get('miejscowosc') or ''}"))
                elif name == "rokSzkolny":
                    closed = {"true": ", zamknięty", "false": ", niezamknięty"}.get(child.get("zamkniety"), "")
                    rows.append(("Rok szkolny", f"{child.get('nazwa')} ({child.get('od') or ''} – {child.get('do') or ''}{closed})"))
                elif name == "uczen":
                    rows.append(("Uczeń", child.get("nazwa")))
                elif name == "udostepnienie":
                    rows.append(("Udostępniono", f"{child.get('organ')} ({child.get('rodzajOrganu')}); podstawa prawna: "
                                                  f"{child.get('podstawaPrawna')}; sygnatura: {child.get('sygnatura') or '—'}"))
                elif name == "utworzyl":
                    rows.append(("Utworzył(a)", child.get("nazwa")))
                elif name == "stanNaDzien":
                    rows.append(("Stan na dzień", child.text))
            text("<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v or '')}</dd>" for k, v in rows) + "</dl>\n")
            el.clear()
        elif tag == "rekord":
            fields = [(c.get("n") or "", _value_text(c)) for c in el]
            if columns is None:
                columns = [name for name, _ in fields]
                text('<table><thead><tr><th>Lp.</th>'
                     + "".join(f"<th>{esc(c)}</th>" for c in columns) + "</tr></thead><tbody>\n")
                table_open, count = True, 0
            count += 1
            values = dict(fields)
            text(f"<tr><td>{count}</td>" + "".join(f"<td>{esc(values.get(c, ''))}</td>" for c in columns)
                 + "</tr>\n")
            el.clear(keep_tail=True)
            # Drop the records already written from the section, so memory stays flat.
            while el.getprevious() is not None:
                del el.getparent()[0]
        elif tag == "sekcja" and header_done:
            if table_open:
                text("</tbody></table>\n")
            else:
                text("<p>Brak wpisów.</p>\n")
            table_open = False
            el.clear()
        elif tag == "usluga":
            el.clear()
        elif tag == "podsumowanie":
            text("<h2>Podsumowanie</h2>\n<table><thead><tr><th>Usługa</th><th>Sekcja</th><th>Rekordów</th>"
                 "</tr></thead><tbody>\n")
            for child in el:
                text(f"<tr><td>{esc(child.get('usluga') or '')}</td><td>{esc(child.get('sekcja') or '')}</td>"
                     f"<td>{esc(child.get('rekordow') or '')}</td></tr>\n")
            text(f"</tbody></table>\n<p>Razem rekordów: {esc(el.get('rekordow') or '0')}.</p>\n")
    text("</body></html>\n")


# ------------------------------------------------------------------------------------- manifest

def manifest_element(m):
    """The XML manifest (root ``manifest`` of the same XSD) from the manifest dict of
    ``domain.build_manifest``."""
    root = etree.Element(q("manifest"), {"wersja": VERSION, "archiwum": m["archive_id"],
                                          "utworzono": m["created_at"]}, nsmap={None: NS})
    school = m["school"]
    attrs = {"id": school["id"], "nazwa": clean(school.get("name") or "")}
    if school.get("short_name"):
        attrs["skrot"] = clean(school["short_name"])
    if school.get("city"):
        attrs["miejscowosc"] = clean(school["city"])
    etree.SubElement(root, q("szkola"), attrs)
    etree.SubElement(root, q("rokSzkolny"), year_attrs(m["school_year"]))
    creator = {"nazwa": clean(m["creator"].get("name") or "system")}
    if m["creator"].get("id"):
        creator["id"] = m["creator"]["id"]
    etree.SubElement(root, q("utworzyl"), creator)
    checksum = etree.SubElement(root, q("sumaKontrolna"), {"algorytm": "SHA-256", "plik": m["checksum"]["file"]})
    checksum.text = m["checksum"]["sha256"]
    contents = etree.SubElement(root, q("zawartosc"), {"rekordow": str(m["records"])})
    for s in m["sections"]:
        etree.SubElement(contents, q("liczbaRekordow"), {"usluga": s["service"], "sekcja": s["section"],
                                                          "rekordow": str(s["records"])})
    files = etree.SubElement(root, q("pliki"))
    for f in m["files"]:
        etree.SubElement(files, q("plik"), {"nazwa": f["name"], "rodzaj": f["kind"], "rozmiar": str(f["size"]),
                                            "sha256": f["sha256"]})
    if m.get("signature"):
        sig = m["signature"]
        etree.SubElement(root, q("podpis"), {"plik": sig["file"], "format": sig["format"],
                                             "podmiot": clean(sig["subject"]), "odciskSha256": sig["fingerprint"],
                                             "podpisano": sig["signed_at"]})
    copies = etree.SubElement(root, q("kopieBazDanych"))
    for c in m["database_copies"]:
        etree.SubElement(copies, q("kopia"), {"usluga": c["service"], "rodzaj": c["kind"],
                                              "plik": c["path"], "rozmiar": str(c["size"]),
                                              "sha256": c["sha256"], "utworzono": c["created_at"]})
    etree.SubElement(root, q("przechowywacDo")).text = m["retention_until"]
    return root


def manifest_bytes(m):
    return etree.tostring(manifest_element(m), xml_declaration=True, encoding="UTF-8", pretty_print=True)
