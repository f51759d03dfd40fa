"""archive's printouts (PDF with Polish characters, services/common/pdf.py): the receipt of a copy
for the recipient's signature (ARC-2, XII.2), the procedure's Annexes 4-6 (acknowledgement of
the procedure by parents, students and teachers; ARC-4), the summary of a student's data
disclosed to an authorised body (ARC-6) and the paper copy of what a parent sees for a child
(ARC-3, procedure IX.4)."""
from reportlab.lib.styles import ParagraphStyle

from services.common.pdf import Paragraph, Spacer, grid, mm, render, styles

from . import domain


def _esc(text):
    return str(text if text is not None else "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def copy_receipt(school_name, copy, files):
    """The receipt of a copy: what was copied, when, by whom, for whom and why; the files with
    their SHA-256; signature lines for the recipient and the issuer."""
    st = styles()
    story = [Paragraph(_esc(school_name), st["small"]),
             Paragraph("Potwierdzenie odbioru kopii danych z dziennika elektronicznego", st["title"]),
             Paragraph("Rejestr kopii dziennika elektronicznego (procedura, rozdział XII pkt 2): każdą "
                       "dodatkową kopię zapisuje się z datą utworzenia i odbiorcą; odbiorca osobiście "
                       "podpisuje jej odbiór.", st["small"]), Spacer(1, 4 * mm)]
    rows = [["Pole", "Wartość"]] + [[k, Paragraph(_esc(v), st["body"])] for k, v in domain.copy_receipt_lines(copy)]
    story += [grid(rows, (55, 125)), Spacer(1, 4 * mm)]
    if files:
        story.append(Paragraph("Pliki (suma kontrolna SHA-256)", st["h2"]))
        table = [["Plik", "Rozmiar (bajty)", "SHA-256"]]
        table += [[Paragraph(_esc(f["name"]), st["small"]), str(f.get("size", "")),
                   Paragraph(_esc(f.get("sha256", "")), st["small"])] for f in files]
        story += [grid(table, (58, 28, 94)), Spacer(1, 4 * mm)]
    story += [Paragraph("Odbiorca zobowiązuje się przechowywać kopię w sposób uniemożliwiający jej zniszczenie "
                        "lub kradzież i zniszczyć ją w sposób uniemożliwiający odczytanie, gdy nie będzie "
                        "potrzebna (procedura, rozdział XII pkt 1 i 4).", st["body"]), Spacer(1, 14 * mm),
              grid([["Data i podpis odbiorcy", "Data i podpis wydającego"], ["\n\n\n", "\n\n\n"]], (90, 90))]
    return render("Potwierdzenie odbioru kopii", story)


def acknowledgement_list(kind, school_name, class_name, school_year, rows):
    """Annex 4 (parents), 5 (students) or 6 (teachers, per school): Lp., names, date and
    signature, per class and school year, with the school's name."""
    st = styles()
    annex, title, lead = domain.ANNEXES[kind]
    story = [Paragraph(annex, st["small"]), Paragraph(_esc(title), st["title"]),
             Paragraph(f"{_esc(lead)} Szkoła: {_esc(school_name)}.", st["body"])]
    where = f"w klasie {_esc(class_name)} " if class_name else ""
    story += [Paragraph(f"{where}w roku szkolnym {_esc(school_year)}", st["body"]), Spacer(1, 4 * mm)]
    head = ParagraphStyle("head", parent=st["body"], fontName="DejaVu-Bold", fontSize=9, leading=11)
    cell = ParagraphStyle("cell", parent=st["body"], fontSize=9, leading=11)
    sign = "\n"          # two lines high: room for a signature
    if kind == "parents":
        header = ["Lp.", "Imię i nazwisko ucznia/uczennicy", "Imię i nazwisko rodzica/prawnego opiekuna",
                  "Data i podpis"]
        body = [[str(i), Paragraph(_esc(r["student"]), cell), Paragraph(_esc(r["parent"]), cell), sign]
                for i, r in enumerate(rows, 1)]
        widths = (12, 55, 60, 53)
    else:
        who = "ucznia/uczennicy" if kind == "students" else "nauczyciela"
        header = ["Lp.", f"Imię i nazwisko {who}", "Data i podpis"]
        body = [[str(i), Paragraph(_esc(r["name"]), cell), sign] for i, r in enumerate(rows, 1)]
        widths = (12, 100, 68)
    table = [[Paragraph(_esc(h), head) for h in header]] + (body or [[""] * (len(header) - 1) + [sign]])
    story.append(grid(table, widths))
    return render(title, story)


def disclosure_summary(school_name, disclosure, student, sections):
    """The PDF that goes with a disclosed data package: who asked, on what legal basis, what is
    included (records per section, with the main data listed)."""
    st = styles()
    story = [Paragraph(_esc(school_name), st["small"]),
             Paragraph("Udostępnienie danych ucznia uprawnionemu organowi", st["title"]),
             Paragraph("Procedura dziennika elektronicznego, rozdział XII pkt 3: szkoła może udostępnić dane "
                       "ucznia bez zgody rodziców odpowiednim organom na podstawie odrębnych przepisów.",
                       st["small"]), Spacer(1, 3 * mm)]
    rows = [["Pole", "Wartość"],
            ["Uczeń", student["name"]],
            ["Organ", f"{disclosure['body_name']} ({domain.BODY_KINDS.get(disclosure['body_kind'], disclosure['body_kind'])})"],
            ["Podstawa prawna", Paragraph(_esc(disclosure["legal_basis"]), st["body"])],
            ["Sygnatura sprawy", disclosure.get("case_number") or "—"],
            ["Wniosek z dnia", domain.fmt_date(disclosure.get("requested_on"))],
            ["Wnioskujący", disclosure.get("requested_by") or "—"],
            ["Rok szkolny", disclosure.get("school_year") or "wszystkie"],
            ["Sporządził(a)", disclosure.get("made_by_name") or "—"],
            ["Data sporządzenia", disclosure["made_at_pl"]]]
    story += [grid(rows, (45, 135)), Spacer(1, 4 * mm), Paragraph("Zawartość pakietu", st["h2"])]
    table = [["Dane", "Liczba wpisów"]] + [[s["label"], str(s["records"])] for s in sections]
    story += [grid(table, (130, 50)), Spacer(1, 4 * mm)]
    for s in sections:
        if not s.get("lines"):
            continue
        story.append(Paragraph(_esc(s["label"]), st["h2"]))
        for line in s["lines"][:200]:
            story.append(Paragraph(_esc(line), st["small"]))
        if len(s["lines"]) > 200:
            story.append(Paragraph(f"… i {len(s['lines']) - 200} dalszych wpisów (pełne dane w pliku XML).",
                                   st["small"]))
        story.append(Spacer(1, 2 * mm))
    story += [Spacer(1, 10 * mm),
              grid([["Data i podpis wydającego", "Data i podpis odbiorcy"], ["\n\n\n", "\n\n\n"]], (90, 90))]
    return render("Udostępnienie danych ucznia", story)


def child_view(school_name, view):
    """The paper copy of the parent's view of a child in a school year (ARC-3, procedure IX.4):
    the partial grades per subject with the weighted averages, the accepted final and behaviour
    grades, the attendance percentage with its counts, and the notes (UWAGA) of the year.

    ``view``: {student, class_name, school_year, printed_at, printed_by, subjects: [{name,
    grades: [{value, corrected}], average_term1, average_term2, average_year, finals: [(label,
    value)]}], overall_average, behaviour: [(label, value)], attendance: {percent, recorded,
    present, absent, by_kind, subjects: [{name, percent, recorded}]}, notes: [{date, kind,
    category, subject, body, author}]}."""
    st = styles()
    head = ParagraphStyle("head", parent=st["body"], fontName="DejaVu-Bold", fontSize=8, leading=10)
    cell = ParagraphStyle("cell", parent=st["body"], fontSize=9, leading=11)
    small = ParagraphStyle("cellsmall", parent=st["body"], fontSize=8, leading=10)
    fmt = domain.fmt_number
    story = [Paragraph(_esc(school_name), st["small"]),
             Paragraph("Oceny, frekwencja i uwagi ucznia – wydruk widoku rodzica", st["title"])]
    label = ParagraphStyle("label", parent=st["body"], fontName="DejaVu-Bold", fontSize=9, leading=11)
    facts = [[Paragraph("Uczeń", label), Paragraph(_esc(view["student"]), cell),
              Paragraph("Klasa", label), Paragraph(_esc(view.get("class_name") or "—"), cell)],
             [Paragraph("Rok szkolny", label), Paragraph(_esc(view["school_year"]), cell),
              Paragraph("Data wydruku", label), Paragraph(_esc(view["printed_at"]), cell)]]
    if view.get("printed_by"):
        facts.append([Paragraph("Wydrukował(a)", label), Paragraph(_esc(view["printed_by"]), cell), "", ""])
    story += [grid(facts, (34, 71, 30, 45), header=False), Spacer(1, 4 * mm)]

    story.append(Paragraph("Oceny", st["h2"]))
    if view["subjects"]:
        rows = [[Paragraph(h, head) for h in ("Przedmiot", "Oceny cząstkowe", "Średnia I okresu",
                                              "Średnia II okresu", "Średnia roczna",
                                              "Oceny okresowe i roczne")]]
        corrected = False
        for s in view["subjects"]:
            values = []
            for g in s["grades"]:
                values.append(_esc(g["value"]) + ("*" if g.get("corrected") else ""))
                corrected = corrected or bool(g.get("corrected"))
            finals = "<br/>".join(f"{_esc(label)}: <b>{_esc(value)}</b>" for label, value in s["finals"])
            rows.append([Paragraph(_esc(s["name"]), cell), Paragraph(" ".join(values) or "—", cell),
                         fmt(s.get("average_term1")), fmt(s.get("average_term2")),
                         Paragraph(f"<b>{fmt(s.get('average_year'))}</b>", cell), Paragraph(finals or "—", small)])
        story.append(grid(rows, (36, 52, 17, 17, 17, 41)))
        story.append(Spacer(1, 2 * mm))
        story.append(Paragraph(f"Średnia ze wszystkich przedmiotów: <b>{fmt(view.get('overall_average'))}</b>.",
                               st["body"]))
        note = ("Średnia ważona: suma (ocena × waga) podzielona przez sumę wag; symbole (np. np, bz) i oceny "
                "oznaczone jako nieliczone nie wchodzą do średniej. Oceny śródroczne i roczne (także "
                "przewidywane) podano po ich zatwierdzeniu.")
        if corrected:
            note += " * ocena poprawiona."
        story.append(Paragraph(note, st["small"]))
    else:
        story.append(Paragraph("Brak ocen w tym roku szkolnym.", st["body"]))
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph("Zachowanie", st["h2"]))
    if view["behaviour"]:
        story.append(Paragraph("; ".join(f"ocena {_esc(label)}: <b>{_esc(value)}</b>"
                                         for label, value in view["behaviour"]), st["body"]))
    else:
        story.append(Paragraph("Brak zatwierdzonej oceny zachowania.", st["body"]))
    story.append(Spacer(1, 4 * mm))

    att = view["attendance"]
    story.append(Paragraph("Frekwencja", st["h2"]))
    story.append(Paragraph(f"Frekwencja w roku szkolnym: <b>{domain.fmt_percent(att.get('percent'))}</b> "
                           f"(lekcje z wpisem: {att.get('recorded', 0)}).", st["body"]))
    kinds = att.get("by_kind") or {}
    pairs = [(Paragraph(_esc(label), cell), str(kinds.get(kind, 0))) for kind, label in domain.ATTENDANCE_KINDS]
    counts = [[x for pair in pairs[i:i + 3] for x in pair] for i in range(0, len(pairs), 3)]
    story += [Spacer(1, 2 * mm), grid(counts, (45, 15) * 3, header=False)]
    if att.get("subjects"):
        table = [["Przedmiot", "Lekcje z wpisem", "Frekwencja"]]
        table += [[Paragraph(_esc(s["name"]), cell), str(s["recorded"]), domain.fmt_percent(s["percent"])]
                  for s in att["subjects"]]
        story += [Spacer(1, 2 * mm), grid(table, (100, 40, 40))]
    story.append(Paragraph("Frekwencja = obecności / (obecności + nieobecności) × 100% według kategorii "
                           "ustalonych przez szkołę.", st["small"]))
    story.append(Spacer(1, 4 * mm))

    story.append(Paragraph("Uwagi", st["h2"]))
    if view["notes"]:
        table = [[Paragraph(h, head) for h in ("Data", "Rodzaj", "Treść", "Wpisał(a)")]]
        for n in view["notes"]:
            text = _esc(n.get("body"))
            if n.get("subject"):
                text = f"<b>{_esc(n['subject'])}</b><br/>{text}"
            table.append([n["date"], Paragraph(_esc(" · ".join(x for x in (n.get("kind"), n.get("category")) if x)),
                                               small),
                          Paragraph(text, cell), Paragraph(_esc(n.get("author") or "—"), small)])
        story.append(grid(table, (22, 33, 90, 35)))
    else:
        story.append(Paragraph("Brak uwag w tym roku szkolnym.", st["body"]))
    story += [Spacer(1, 6 * mm),
              Paragraph("Wydruk zawiera te same dane, które rodzic (opiekun prawny) widzi na swoim koncie w "
                        "dzienniku elektronicznym (procedura, rozdział IX pkt 4). Wydruk danych osobowych: "
                        "przechowywać w sposób uniemożliwiający zniszczenie lub kradzież, a niepotrzebny "
                        "zniszczyć (rozdział XII pkt 1 i 4).", st["small"])]
    return render("Oceny, frekwencja i uwagi ucznia", story)
