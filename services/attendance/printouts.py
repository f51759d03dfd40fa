"""attendance's printouts (PDF, Polish): the class summary for a parent meeting (VI.13, ARC-3)."""
from services.common.pdf import Paragraph, Spacer, grid, mm, render, styles

from . import domain


def _esc(text):
    return (str(text if text is not None else "")).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pct(value):
    return "—" if value is None else f"{value:.2f}".replace(".", ",") + "%"


def parent_meeting_summary(stats):
    """Zestawienie frekwencji klasy na zebranie z rodzicami: one row per student."""
    st = styles()
    period = " – ".join(x for x in (stats.get("date_from"), stats.get("date_to")) if x) or "cały okres"
    story = [Paragraph(f"Zestawienie frekwencji – klasa {_esc(stats.get('class_name') or '')}", st["title"]),
             Paragraph(f"Okres: {_esc(period)}. Zebranie z rodzicami.", st["body"]), Spacer(1, 4 * mm)]
    table = [["Lp.", "Uczeń", "Lekcje", "Obecn.", "Nb", "U", "Sp", "Zw", "Ns", "Frekw."]]
    for i, row in enumerate(stats["students"], 1):
        k = row["by_kind"]
        name = row["name"] + ("" if row.get("list_status") in (None, "active") else
                              {"transferred": " (przeniesiony)", "removed": " (skreślony)"}.get(row["list_status"], ""))
        table.append([str(i), name, str(row["recorded"]), str(k[domain.PRESENT]), str(k[domain.ABSENT]),
                      str(k[domain.EXCUSED]), str(k[domain.LATE]), str(k[domain.RELEASED]),
                      str(k[domain.SCHOOL_REASONS]), _pct(row["percent"])])
    t = stats["total"]
    k = t["by_kind"]
    table.append(["", "Razem klasa", str(t["recorded"]), str(k[domain.PRESENT]), str(k[domain.ABSENT]),
                  str(k[domain.EXCUSED]), str(k[domain.LATE]), str(k[domain.RELEASED]),
                  str(k[domain.SCHOOL_REASONS]), _pct(t["percent"])])
    story.append(grid(table, (10, 52, 15, 15, 12, 12, 12, 12, 12, 20)))
    f = stats["formula"]
    story += [Spacer(1, 4 * mm),
              Paragraph("Nb – nieobecność nieusprawiedliwiona, U – usprawiedliwiona, Sp – spóźnienie, "
                        "Zw – zwolnienie, Ns – nieobecność z przyczyn szkolnych.", st["small"]),
              Paragraph(f"Wzór: {_esc(f['text'])}. Liczone jako obecność: {_esc(', '.join(f['present']))}; "
                        f"jako nieobecność: {_esc(', '.join(f['absent']))}; "
                        f"niewliczane: {_esc(', '.join(f['none']) or '—')}.", st["small"])]
    return render("Zestawienie frekwencji", story)
