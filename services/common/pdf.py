"""PDF printouts with correct Polish characters: reportlab with the DejaVu fonts (Debian package
``fonts-dejavu-core``, installed by scripts/lib.sh; DZIENNIK_FONT_DIR points elsewhere)."""
import io
import os
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

FONT_DIRS = [os.environ.get("DZIENNIK_FONT_DIR", ""), "/usr/share/fonts/truetype/dejavu",
             "/usr/share/fonts/dejavu", "/usr/local/share/fonts", "/Library/Fonts"]
_registered = False


def _register_fonts():
    global _registered
    if _registered:
        return
    for folder in FONT_DIRS:
        regular, bold = os.path.join(folder, "DejaVuSans.ttf"), os.path.join(folder, "DejaVuSans-Bold.ttf")
        if folder and os.path.exists(regular) and os.path.exists(bold):
            pdfmetrics.registerFont(TTFont("DejaVu", regular))
            pdfmetrics.registerFont(TTFont("DejaVu-Bold", bold))
            # <b> in a Paragraph picks the family's bold face.
            pdfmetrics.registerFontFamily("DejaVu", normal="DejaVu", bold="DejaVu-Bold", italic="DejaVu",
                                          boldItalic="DejaVu-Bold")
            _registered = True
            return
    raise RuntimeError("DejaVu fonts not found: install the Debian package fonts-dejavu-core "
                       "or set DZIENNIK_FONT_DIR")


def styles():
    _register_fonts()
    return {
        "title": ParagraphStyle("title", fontName="DejaVu-Bold", fontSize=14, leading=18, spaceAfter=6),
        "h2": ParagraphStyle("h2", fontName="DejaVu-Bold", fontSize=11, leading=14, spaceAfter=4),
        "body": ParagraphStyle("body", fontName="DejaVu", fontSize=10, leading=13),
        "small": ParagraphStyle("small", fontName="DejaVu", fontSize=8, leading=10, textColor=colors.grey),
        "code": ParagraphStyle("code", fontName="DejaVu-Bold", fontSize=16, leading=20),
    }


def grid(rows, widths, header=True):
    """A ruled table (header row in bold)."""
    _register_fonts()
    table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1 if header else 0)
    style = [("FONTNAME", (0, 0), (-1, -1), "DejaVu"), ("FONTSIZE", (0, 0), (-1, -1), 9),
             ("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]
    if header:
        style += [("FONTNAME", (0, 0), (-1, 0), "DejaVu-Bold"), ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]
    table.setStyle(TableStyle(style))
    return table


def render(title, story, author="Dziennik elektroniczny"):
    """Build a PDF (bytes) from platypus flowables, with a footer of the print date and page."""
    _register_fonts()
    buf = io.BytesIO()
    printed = datetime.now().strftime("%Y-%m-%d %H:%M")

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("DejaVu", 7)
        canvas.drawString(15 * mm, 10 * mm, f"{title} · wydrukowano {printed}")
        canvas.drawRightString(195 * mm, 10 * mm, f"strona {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(buf, pagesize=A4, title=title, author=author, leftMargin=15 * mm,
                            rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=18 * mm)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


__all__ = ["render", "grid", "styles", "Paragraph", "Spacer", "PageBreak", "KeepTogether", "mm"]
