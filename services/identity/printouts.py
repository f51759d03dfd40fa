"""identity's printouts (PDF, Polish): activation slips with codes (one per person, cut apart and
handed over personally), the procedure's Annexes 1-3 (confirmation lists with no codes), and the
parent's data report (ACC-10)."""
from services.common.pdf import KeepTogether, Paragraph, Spacer, grid, mm, render, styles

ANNEX = {
    "parents": ("ZAŁĄCZNIK NR 1", "Potwierdzenie otrzymania dostępu do dziennika elektronicznego – rodzic",
                "Lista rodziców, którzy potwierdzili otrzymanie dostępu (loginów i haseł) do swoich kont "
                "(rodzica oraz ucznia/uczennicy) w dzienniku elektronicznym."),
    "students": ("ZAŁĄCZNIK NR 2", "Potwierdzenie otrzymania dostępu do dziennika elektronicznego – uczeń",
                 "Lista uczniów, którzy potwierdzili otrzymanie dostępu (loginów i haseł) do swoich kont "
                 "(ucznia/uczennicy) w dzienniku elektronicznym."),
    "teachers": ("ZAŁĄCZNIK NR 3", "Potwierdzenie otrzymania dostępu do dziennika elektronicznego – nauczyciel",
                 "Lista nauczycieli, którzy potwierdzili otrzymanie dostępu (loginów i haseł) do swoich kont "
                 "(nauczyciela) w dzienniku elektronicznym."),
}


def _esc(text):
    return (str(text or "")).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def activation_slips(school_name, slips, activation_url):
    """One slip per person: name, role, login, code, expiry and how to activate."""
    st = styles()
    story = []
    for slip in slips:
        block = [
            Paragraph(_esc(school_name), st["small"]),
            Paragraph(f"Dostęp do dziennika elektronicznego: {_esc(slip['name'])}", st["h2"]),
            Paragraph(f"Rola: {_esc(slip['role'])}" + (f" · {_esc(slip['context'])}" if slip.get("context") else ""),
                      st["body"]),
            Paragraph(f"Login: <b>{_esc(slip['login'])}</b>", st["body"]),
            Paragraph(f"Kod aktywacyjny: {_esc(slip['code'])}", st["code"]),
            Paragraph(f"Kod jest jednorazowy i ważny do {_esc(slip['expires'])}. Wejdź na {_esc(activation_url)}, "
                      "podaj login i kod, a następnie ustal własne hasło (co najmniej 8 znaków). "
                      "Nie przekazuj kodu innym osobom.", st["small"]),
            Spacer(1, 4 * mm),
            Paragraph("✂ " + "–" * 90, st["small"]),
            Spacer(1, 4 * mm),
        ]
        story.append(KeepTogether(block))
    return render("Kody aktywacyjne", story)


def access_confirmation(kind, school_name, class_name, school_year, rows):
    """Annex 1 (parents), 2 (students) or 3 (teachers): Lp., names, date and signature; no codes."""
    st = styles()
    annex, title, lead = ANNEX[kind]
    story = [Paragraph(annex, st["small"]), Paragraph(title, st["title"]),
             Paragraph(f"{_esc(lead)} Szkoła: {_esc(school_name)}.", st["body"])]
    where = f"w klasie {_esc(class_name)} " if class_name else ""
    story += [Paragraph(f"{where}w roku szkolnym {_esc(school_year)}", st["body"]), Spacer(1, 4 * mm)]
    if kind == "parents":
        table = [["Lp.", "Imię i nazwisko ucznia/uczennicy", "Imię i nazwisko rodzica/prawnego opiekuna", "Data i podpis"]]
        table += [[str(i), r["student"], r["parent"], ""] for i, r in enumerate(rows, 1)]
        widths = (12, 55, 60, 53)
    else:
        who = "ucznia/uczennicy" if kind == "students" else "nauczyciela"
        table = [["Lp.", f"Imię i nazwisko {who}", "Data i podpis"]]
        table += [[str(i), r["name"], ""] for i, r in enumerate(rows, 1)]
        widths = (12, 100, 68)
    story.append(grid(table, widths))
    return render(title, story)


def data_report(report):
    """The parent's report of the data held about the child and who may edit it (ACC-10, I.5)."""
    st = styles()
    s = report["student"]
    story = [Paragraph("Informacja o danych ucznia przetwarzanych w dzienniku elektronicznym", st["title"]),
             Paragraph(f"Szkoła: {_esc(report['school']['name'])}", st["body"]), Spacer(1, 3 * mm),
             Paragraph("Dane identyfikacyjne", st["h2"])]
    rows = [["Pole", "Wartość"], ["Imię i nazwisko", f"{s['first_name']} {s['last_name']}"], ["Login", s["login"]]]
    for key, label in (("birth_date", "Data urodzenia"), ("birth_place", "Miejsce urodzenia"),
                       ("pesel", "PESEL"), ("address", "Adres"), ("phone", "Telefon")):
        rows.append([label, report["profile"].get(key) or "—"])
    rows.append(["Rodzice/opiekunowie", ", ".join(report["guardians"]) or "—"])
    story += [grid(rows, (50, 130)), Spacer(1, 5 * mm),
              Paragraph("Użytkownicy uprawnieni do edycji danych ucznia", st["h2"])]
    editors = [["Imię i nazwisko", "Login", "Funkcja"]] + [[e["name"], e["login"], e["role"]] for e in report["editors"]]
    story += [grid(editors, (70, 55, 55)), Spacer(1, 5 * mm),
              Paragraph("Raport przygotowano na wniosek rodzica/opiekuna prawnego zgodnie z art. 15 RODO "
                        "i pkt I.5 procedury dziennika elektronicznego.", st["small"])]
    return render("Raport danych ucznia", story)
