"""grades' printouts (PDF, Polish): the written notices to parents of at-risk students (GRD-4,
VI.14, VII.3), one page per student, and the grade sheet of a class for a parent meeting
(GRD-8, VI.13, ARC-3), one page per student so that each parent gets only the own child's page."""
from services.common.pdf import PageBreak, Paragraph, Spacer, grid, mm, render, styles

from . import domain


def _esc(text):
    return (str(text if text is not None else "")).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fmt_date(day):
    return day.strftime("%d.%m.%Y") if day else "—"


def _fmt_avg(value):
    return "—" if value is None else f"{value:.2f}".replace(".", ",")


def at_risk_notices(school_name, class_name, school_year, pages, deadlines, today):
    """One notice per student: the predicted grades that put the student at risk, the school's
    deadline, and room for the class teacher's and the parent's signatures.

    ``pages``: [{student, rows: [(subject or "zachowanie", kind, value label, reason label)]}]."""
    st = styles()
    story = []
    if not pages:
        story += [Paragraph("Zawiadomienia o przewidywanych ocenach", st["title"]),
                  Paragraph(f"Klasa {_esc(class_name)}, rok szkolny {_esc(school_year)}: brak uczniów "
                            "zagrożonych oceną niedostateczną, naganną oceną zachowania lub nieklasyfikowaniem.",
                            st["body"])]
        return render("Zawiadomienia o zagrożeniach", story)
    for i, page in enumerate(pages):
        if i:
            story.append(PageBreak())
        periods = sorted({domain.PERIOD_OF_KIND[r["kind"]] for r in page["rows"]})
        story += [
            Paragraph(_esc(school_name), st["small"]),
            Paragraph(f"Data: {_fmt_date(today)}", st["small"]),
            Spacer(1, 4 * mm),
            Paragraph("ZAWIADOMIENIE O PRZEWIDYWANYCH OCENACH", st["title"]),
            Paragraph(f"Szanowni Państwo, Rodzice (Opiekunowie prawni) ucznia/uczennicy "
                      f"<b>{_esc(page['student'])}</b>, klasa {_esc(class_name)}.", st["body"]),
            Spacer(1, 2 * mm),
            Paragraph("Zgodnie ze statutem szkoły i procedurą dziennika elektronicznego zawiadamiam, że "
                      "na koniec " + " oraz ".join(domain.PERIOD_LABELS_PL[p] for p in periods)
                      + f" (rok szkolny {_esc(school_year)}) Państwa dziecku grożą:", st["body"]),
            Spacer(1, 3 * mm),
        ]
        rows = [["Przedmiot", "Ocena", "Przewidywana ocena", "Zagrożenie"]]
        rows += [[r["subject"], domain.KIND_LABELS_PL[r["kind"]], r["value"], domain.AT_RISK_LABELS_PL[r["reason"]]]
                 for r in page["rows"]]
        story += [grid(rows, (50, 40, 40, 50)), Spacer(1, 4 * mm)]
        for period in periods:
            deadline = deadlines.get(period)
            if deadline:
                story.append(Paragraph(f"Termin zawiadomienia ustalony przez szkołę: {_fmt_date(deadline)}.",
                                       st["body"]))
        story += [
            Paragraph("Prosimy o kontakt z wychowawcą klasy i nauczycielami przedmiotów w celu ustalenia "
                      "sposobu poprawy ocen. Przewidywana ocena nie jest oceną ostateczną.", st["body"]),
            Spacer(1, 14 * mm),
            grid([["Podpis wychowawcy", "Potwierdzam otrzymanie zawiadomienia: data i podpis rodzica (opiekuna)"],
                  ["\n\n", "\n\n"]], (70, 110)),
        ]
    return render("Zawiadomienia o zagrożeniach", story)


def grade_sheet(school_name, class_name, school_year, term, pages, scale_note):
    """A page per student: partial grades per subject, the weighted average, the accepted
    predicted and final grades, the accepted behaviour grade.

    ``pages``: [{student, rows: [(subject, grades text, average, finals text)], behaviour}]."""
    st = styles()
    story = []
    period = f"okres {term}" if term else "cały rok"
    for i, page in enumerate(pages):
        if i:
            story.append(PageBreak())
        story += [
            Paragraph(_esc(school_name), st["small"]),
            Paragraph("Zestawienie ocen na zebranie z rodzicami", st["title"]),
            Paragraph(f"Uczeń/uczennica: <b>{_esc(page['student'])}</b> · klasa {_esc(class_name)} · "
                      f"rok szkolny {_esc(school_year)} · {period}", st["body"]),
            Spacer(1, 3 * mm),
        ]
        # Header cells as paragraphs: they wrap inside their columns ("Średnia ważona" is wider
        # than its 22 mm and used to run into the next header).
        rows = [[Paragraph(f"<b>{h}</b>", st["body"]) for h in
                 ("Przedmiot", "Oceny cząstkowe", "Średnia ważona", "Oceny okresowe/roczne")]]
        rows += [[Paragraph(_esc(r["subject"]), st["body"]), Paragraph(_esc(r["grades"]) or "—", st["body"]),
                  _fmt_avg(r["average"]), Paragraph(_esc(r["finals"]) or "—", st["body"])] for r in page["rows"]]
        if len(rows) == 1:
            rows.append(["—", "brak ocen", "—", "—"])
        story += [grid(rows, (45, 70, 22, 43)), Spacer(1, 3 * mm)]
        if page.get("behaviour"):
            story.append(Paragraph(f"Zachowanie: {_esc(page['behaviour'])}", st["body"]))
        story += [Spacer(1, 3 * mm), Paragraph(_esc(scale_note), st["small"])]
    if not pages:
        story.append(Paragraph(f"Klasa {_esc(class_name)}: brak uczniów na liście.", st["body"]))
    return render("Zestawienie ocen", story)
