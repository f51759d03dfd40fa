"""Every PDF printout of the register renders (issue 8, "Done when": "the printouts render, checked
by converting a page to an image in a test"), on the shared running system (``system``: six
services and the gateway), SQLite and PostgreSQL.

A small school is built over RPC (``build_school``, also used by tests/e2e/test_child_view_pdf.py)
with names that carry every Polish letter: class 4a with three students, their parents, two
teachers, a lesson day with attendance, grades, accepted and unaccepted final grades, an at-risk
student, a note (UWAGA) and personal data. Each printout is then made by its service, as the
person who may make it, and page 1 is rasterised with pypdfium2 (PDFium, the engine of Chromium):
A4 proportions, a meaningful share of dark pixels (not a blank page), and the text pypdf extracts
holds the names typed in, Polish letters included (ą, ę, ł, ó, ś, ź, ż: the DejaVu fonts embed
them; a font without them would print empty boxes).

| printout | service | requirement |
|---|---|---|
| activation slips | identity ``issue_activation_codes`` | ACC-5, ACC-6 |
| Annex 1 (receipt of access, parents) | identity ``access_confirmation_list`` | ACC-5, ARC-4 |
| the parent's data report | identity ``data_report(as_pdf)`` | ACC-10 |
| notices to parents of at-risk students | grades ``at_risk_notices_pdf`` | GRD-4 |
| grade sheet for a parent meeting | grades ``grade_sheet_pdf`` | GRD-8, ARC-3 |
| attendance summary for a parent meeting | attendance ``parent_meeting_summary_pdf`` | ATT-5, ARC-3 |
| receipt of a copy | archive ``copy_receipt`` | ARC-2 |
| Annex 4 (acknowledgement of the procedure, parents) | archive ``procedure_acknowledgement_list`` | ARC-4 |
| summary of a disclosed data package | archive ``disclose_student_data`` (``podsumowanie.pdf``) | ARC-6 |
| the paper copy of the parent's view of a child | archive ``child_view_pdf`` | ARC-3 |
"""
import base64
import datetime as dt
import io
import uuid
import zipfile

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from tests.harness import wait_for

pytestmark = pytest.mark.integration
PASSWORD = "Pewne-Haslo-2026"
TODAY = dt.date.today()
POLISH = set("ąęłóśźż")
A4 = (595.28, 841.89)         # points (210 × 297 mm)


def ctx_of(a):
    return {"user_id": a["id"], "school_id": a["school_id"], "roles": a["roles"]}


def school_year_of(day):
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{start + 1}", dt.date(start, 9, 1), dt.date(start + 1, 6, 26)


def name(a):
    return f"{a['first_name']} {a['last_name']}"


def pdf_text(data):
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


# ----------------------------------------------------------------------------- the school

def build_school(system):
    """Szkoła Podstawowa nr 6 im. Świętej Jadwigi w Łąkach Żółkiewskich-Źródłach (every Polish
    letter in the school's name), class 4a (class teacher Grażyna Ślązak, Język polski) with
    Łucja Żółkiewska (child of Paweł Żółkiewski), Jędrzej Świątek (child of Małgorzata Świątek;
    a predicted 1 in mathematics puts him at risk) and Józef Źdźbło; mathematics taught by
    Tadeusz Łęcki; Bożena Źrebięcka teaches nothing; a past school day with both lessons held
    and attendance taken (Jędrzej absent, Józef late at mathematics); two columns of grades in
    mathematics and one in Polish; Łucja's mid-year mathematics grade 4 and mid-year behaviour
    "wzorowe" accepted, her predicted annual 6 and predicted annual behaviour "nieodpowiednie"
    not (GRD-3: never printed for the family); a note (UWAGA) about Łucja filed in her student
    file; her personal data. Everything made over RPC, as the people who may make it."""
    tag = uuid.uuid4().hex[:6]
    rpc = system.rpc
    s = rpc("identity", "create_school", {
        "name": f"Szkoła Podstawowa nr 6 im. Świętej Jadwigi w Łąkach Żółkiewskich-Źródłach {tag}",
        "short_name": f"zr{tag}", "city": "Łąki Żółkiewskie"})

    def acc(key, roles, first, last):
        return rpc("identity", "create_account", {"school_id": s["id"], "first_name": first, "last_name": last,
                                                  "roles": roles, "password": PASSWORD, "login": f"{key}.{tag}"})
    p = dict(
        school=s, tag=tag,
        admin=acc("admin", ["school_admin"], "Anna", "Żak"),
        director=acc("dyrektor", ["director"], "Dorota", "Węgłowska"),
        math=acc("matematyk", ["teacher"], "Tadeusz", "Łęcki"),
        wych=acc("wychowawczyni", ["teacher", "class_teacher"], "Grażyna", "Ślązak"),
        outsider=acc("nieuczaca", ["teacher"], "Bożena", "Źrebięcka"),
        s1=acc("uczennica1", ["student"], "Łucja", "Żółkiewska"),
        s2=acc("uczen2", ["student"], "Jędrzej", "Świątek"),
        s3=acc("uczen3", ["student"], "Józef", "Źdźbło"),
        parent1=acc("rodzic1", ["parent"], "Paweł", "Żółkiewski"),
        parent2=acc("rodzic2", ["parent"], "Małgorzata", "Świątek"),
    )
    admin, math, wych = ctx_of(p["admin"]), ctx_of(p["math"]), ctx_of(p["wych"])
    for parent, child in (("parent1", "s1"), ("parent2", "s2")):
        rpc("identity", "link_guardian", s["id"], {"parent_id": p[parent]["id"], "student_id": p[child]["id"]},
            ctx=admin)
    rpc("identity", "update_student_profile", p["s1"]["id"], {
        "birth_place": "Łódź", "address": "ul. Źródlana 5, 99-100 Łąki Żółkiewskie", "phone": "600 100 200"},
        ctx=admin)
    # The lesson day is a past Monday; the school year is the one it belongs to.
    day = TODAY - dt.timedelta(days=7 + TODAY.weekday())
    year_name, starts, ends = school_year_of(day)
    midterm = dt.date(starts.year + 1, 1, 31)
    year = rpc("scheduling", "create_school_year", s["id"], {
        "name": year_name, "starts_on": starts.isoformat(), "ends_on": ends.isoformat(),
        "terms": [{"name": "Okres 1", "starts_on": starts.isoformat(), "ends_on": midterm.isoformat()},
                  {"name": "Okres 2", "starts_on": (midterm + dt.timedelta(days=1)).isoformat(),
                   "ends_on": ends.isoformat()}]}, ctx=admin)
    term = next(t for t in year["terms"] if t["starts_on"] <= day.isoformat() <= t["ends_on"])
    klass = rpc("scheduling", "create_class", s["id"], {"name": "4a", "class_teacher_id": p["wych"]["id"]},
                ctx=admin)
    for st in ("s1", "s2", "s3"):
        rpc("scheduling", "enrol_student", klass["id"], {"student_id": p[st]["id"], "enrolled_on": starts.isoformat()},
            ctx=admin)
    subjects = {n: rpc("scheduling", "create_subject", s["id"], {"name": n}, ctx=admin)
                for n in ("Matematyka", "Język polski")}
    for teacher, subject in (("math", "Matematyka"), ("wych", "Język polski")):
        rpc("scheduling", "create_assignment", s["id"], {"teacher_id": p[teacher]["id"],
                                                         "subject_id": subjects[subject]["id"],
                                                         "class_id": klass["id"]}, ctx=admin)
    rpc("scheduling", "set_timetable", klass["id"], term["id"], {"valid_from": term["starts_on"], "entries": [
        {"weekday": wd, "period": period, "starts_at": starts_at, "ends_at": ends_at,
         "subject_id": subjects[subject]["id"], "teacher_id": p[teacher]["id"], "room": "12"}
        for wd in range(1, 6)
        for period, starts_at, ends_at, subject, teacher in ((1, "8:00", "8:45", "Matematyka", "math"),
                                                             (2, "8:55", "9:40", "Język polski", "wych"))]},
        ctx=admin)
    lessons = {x["period"]: x for x in rpc("scheduling", "lessons_for", day.isoformat(), klass["id"], ctx=admin)}
    for period, who, topic, entries in (
            (1, math, "Ułamki zwykłe – powtórzenie", [{"student_id": p["s2"]["id"], "category": "absent"},
                                                     {"student_id": p["s3"]["id"], "category": "late"}]),
            (2, wych, "Ćwiczenia ortograficzne: ó i u", [])):
        rpc("scheduling", "enter_topic", lessons[period]["id"], {"topic": topic}, ctx=who)
        rpc("attendance", "record_lesson_attendance", lessons[period]["id"],
            {"entries": entries, "default": "present"}, ctx=who)
    cats = {c["name"]: c for c in (rpc("grades", "create_category", s["id"], {"name": n, "weight": w}, ctx=admin)
                                   for n, w in (("sprawdzian", 3), ("kartkówka", 2)))}
    for subject, who, category, values, description in (
            ("Matematyka", math, "sprawdzian", ("5", "1", "4+"), "Sprawdzian: ułamki"),
            ("Matematyka", math, "kartkówka", ("4+", "2-", "3"), "Kartkówka: dzielenie"),
            ("Język polski", wych, "sprawdzian", ("6", "3", "5-"), "Dyktando: ó, u, ż, rz")):
        rpc("grades", "add_grade_column", klass["id"], subjects[subject]["id"], {
            "category_id": cats[category]["id"], "date": day.isoformat(), "description": description,
            "grades": [{"student_id": p[st]["id"], "value": v} for st, v in zip(("s1", "s2", "s3"), values)]},
            ctx=who)
    math_id = subjects["Matematyka"]["id"]
    midyear = rpc("grades", "set_final_grade", p["s1"]["id"], math_id,
                  {"kind": "midyear", "value": "4", "school_year": year_name}, ctx=math)
    rpc("grades", "accept_final_grade", midyear["id"], ctx=math)
    rpc("grades", "set_final_grade", p["s1"]["id"], math_id,
        {"kind": "predicted_annual", "value": "6", "school_year": year_name}, ctx=math)          # not accepted
    behaviour = rpc("grades", "set_behaviour_grade", p["s1"]["id"],
                    {"kind": "midyear", "value": "wzorowe", "school_year": year_name}, ctx=wych)
    rpc("grades", "accept_final_grade", behaviour["id"], ctx=wych)
    rpc("grades", "set_behaviour_grade", p["s1"]["id"], {"kind": "predicted_annual", "value": "nieodpowiednie",
                                                         "school_year": year_name}, ctx=wych)  # not accepted
    rpc("grades", "set_final_grade", p["s2"]["id"], math_id,
        {"kind": "predicted_annual", "value": "1", "school_year": year_name}, ctx=math)          # at risk (GRD-4)
    note = rpc("messaging", "send_message", {
        "kind": "note", "student_id": p["s1"]["id"], "note_kind": "positive", "note_category": "zachowanie",
        "subject": "Pochwała za konkurs", "body": "Łucja zajęła pierwsze miejsce w konkursie ortograficznym."},
        ctx=wych)
    # The note reaches the student file through messaging.note_issued (identity files it).
    wait_for(lambda: rpc("identity", "get_student_file", p["s1"]["id"])["notes"], timeout=30,
             what="the note in the student file")
    return dict(p, year=year, year_name=year_name, starts=starts, ends=ends, day=day, klass=klass,
                subjects=subjects, note=note)


@pytest.fixture(scope="module")
def school(system):
    return build_school(system)


# ----------------------------------------------------------------------------- the printouts

def _b64(result):
    return base64.b64decode(result["pdf_base64"])


def activation_slips(system, p):
    r = system.rpc("identity", "issue_activation_codes", p["school"]["id"],
                   {"class_id": p["klass"]["id"], "roles": ["student"]}, ctx=ctx_of(p["admin"]))
    assert r["count"] == 3
    return _b64(r), [p["school"]["name"], name(p["s1"]), name(p["s2"]), name(p["s3"])]


def access_list(system, p):
    r = system.rpc("identity", "access_confirmation_list", p["school"]["id"],
                   {"kind": "parents", "class_id": p["klass"]["id"], "school_year": p["year_name"]},
                   ctx=ctx_of(p["director"]))
    return _b64(r), ["ZAŁĄCZNIK NR 1", p["school"]["name"], name(p["s1"]), name(p["parent1"]), name(p["s2"]),
                     name(p["parent2"]), name(p["s3"])]


def data_report(system, p):
    r = system.rpc("identity", "data_report", p["s1"]["id"], as_pdf=True, ctx=ctx_of(p["parent1"]))
    return _b64(r), [p["school"]["name"], name(p["s1"]), "Łódź", "ul. Źródlana 5", name(p["parent1"]),
                     name(p["director"]), name(p["wych"])]


def at_risk_notices(system, p):
    r = system.rpc("grades", "at_risk_notices_pdf", p["klass"]["id"], {"school_year": p["year_name"]},
                   ctx=ctx_of(p["wych"]))
    assert r["students"] == 1
    return _b64(r), [p["school"]["name"], "ZAWIADOMIENIE O PRZEWIDYWANYCH OCENACH", name(p["s2"]), "Matematyka"]


def grade_sheet(system, p):
    r = system.rpc("grades", "grade_sheet_pdf", p["klass"]["id"], {"school_year": p["year_name"]},
                   ctx=ctx_of(p["wych"]))
    assert r["students"] == 3
    return _b64(r), [p["school"]["name"], name(p["s1"]), "Język polski", "Matematyka"]


def attendance_summary(system, p):
    r = system.rpc("attendance", "parent_meeting_summary_pdf", p["klass"]["id"], p["starts"].isoformat(),
                   p["ends"].isoformat(), ctx=ctx_of(p["wych"]))
    assert r["rows"] == 3
    # The attendance summary lists "surname first name".
    return _b64(r), ["Zestawienie frekwencji – klasa 4a", "Żółkiewska Łucja", "Świątek Jędrzej", "Źdźbło Józef"]


def child_view(system, p):
    r = system.rpc("archive", "child_view_pdf", p["s1"]["id"], school_year=p["year_name"],
                   ctx=ctx_of(p["parent1"]))
    return _b64(r), [p["school"]["name"], name(p["s1"]), "Język polski", "Matematyka", "dobry (4)", "wzorowe",
                     "Pochwała za konkurs", name(p["wych"]), name(p["parent1"])]


def copy_receipt(system, p):
    """The receipt of the copy a parent's printout registered (ARC-2 of an ARC-3 printout)."""
    made = system.rpc("archive", "child_view_pdf", p["s1"]["id"], school_year=p["year_name"],
                      ctx=ctx_of(p["parent1"]))
    r = system.rpc("archive", "copy_receipt", made["copy_id"], ctx=ctx_of(p["admin"]))
    return _b64(r), [p["school"]["name"], "Potwierdzenie odbioru kopii", name(p["s1"]), name(p["parent1"]),
                     "wydruk dla rodzica"]


def acknowledgement_list(system, p):
    r = system.rpc("archive", "procedure_acknowledgement_list", p["school"]["id"],
                   {"kind": "parents", "class_id": p["klass"]["id"], "school_year": p["year_name"]},
                   ctx=ctx_of(p["wych"]))
    return _b64(r), ["ZAŁĄCZNIK NR 4", p["school"]["name"], name(p["s1"]), name(p["parent1"]), name(p["s2"]),
                     name(p["parent2"]), name(p["s3"])]


def disclosure_summary(system, p):
    admin = ctx_of(p["admin"])
    r = system.rpc("archive", "disclose_student_data", p["school"]["id"], {
        "student_id": p["s2"]["id"], "body_kind": "court", "body_name": "Sąd Rejonowy w Łęczycy",
        "legal_basis": "art. 572 § 1 Kodeksu postępowania cywilnego", "case_number": "III Nsm 15/26",
        "requested_by": "sędzia Jolanta Źrałko"}, ctx=admin, timeout=180)
    package, data, offset = r["copy"]["files"][0]["name"], b"", 0
    while offset is not None:
        chunk = system.rpc("archive", "read_file", r["copy"]["id"], package, offset, ctx=admin, timeout=60)
        data += base64.b64decode(chunk["data_base64"])
        offset = chunk["next_offset"]
    pdf = zipfile.ZipFile(io.BytesIO(data)).read("podsumowanie.pdf")
    return pdf, [p["school"]["name"], "Udostępnienie danych ucznia", name(p["s2"]), "Sąd Rejonowy w Łęczycy",
                 "sędzia Jolanta Źrałko"]


PRINTOUTS = {
    "ACC-5 activation slips": activation_slips,
    "ACC-5 ARC-4 Annex 1 receipt of access": access_list,
    "ACC-10 parent's data report": data_report,
    "GRD-4 at-risk notices": at_risk_notices,
    "GRD-8 ARC-3 grade sheet for a parent meeting": grade_sheet,
    "ATT-5 ARC-3 attendance summary for a parent meeting": attendance_summary,
    "ARC-2 receipt of a copy": copy_receipt,
    "ARC-4 Annex 4 acknowledgement of the procedure": acknowledgement_list,
    "ARC-6 disclosure summary": disclosure_summary,
    "ARC-3 ARC-4 paper copy of the parent's view": child_view,
}


def render_page(pdf, index=0, scale=100 / 72):
    """Page ``index`` of a PDF rasterised by PDFium (100 dpi, greyscale): (width pt, height pt,
    pages, share of dark pixels, the image)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[index]
        width, height = page.get_size()
        image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
        histogram = image.histogram()
        dark = sum(histogram[:160]) / (image.width * image.height)
        return width, height, len(doc), dark, image
    finally:
        doc.close()


@pytest.mark.parametrize("printout", list(PRINTOUTS))
def test_arc3_arc4_every_printout_renders_as_an_a4_page_with_polish_letters(system, school, printout, tmp_path):
    """ARC-3, ARC-4 (and ACC-5, ACC-10, GRD-4, GRD-8, ATT-5, ARC-2, ARC-6): the printout is a
    PDF whose first page PDFium rasterises to an A4 image that is not blank, and whose text holds
    the names typed in, every Polish letter among them."""
    pdf, expected = PRINTOUTS[printout](system, school)
    assert pdf.startswith(b"%PDF-"), printout
    width, height, pages, dark, image = render_page(pdf)
    assert pages >= 1
    assert abs(width - A4[0]) < 1 and abs(height - A4[1]) < 1, (printout, width, height)
    assert abs(height / width - 297 / 210) < 0.005
    # The image itself (≈ 827 × 1169 px at 100 dpi) keeps the proportions.
    assert abs(image.width - width * 100 / 72) <= 1 and abs(image.height - height * 100 / 72) <= 1
    assert abs(image.height / image.width - 297 / 210) < 0.005
    # Text, lines and table rules: a printed page has some ink, and is not a black page either.
    assert 0.01 < dark < 0.5, (printout, dark)
    image.save(tmp_path / "strona-1.png")          # left for a look when a run fails
    text = pdf_text(pdf)
    missing = [e for e in expected if e not in text]
    assert not missing, (printout, missing, text[:1500])
    assert POLISH <= set(text.lower()), (printout, sorted(POLISH - set(text.lower())))
    assert "\ufffd" not in text and "■" not in text


def test_arc3_the_parents_view_on_paper_has_what_the_parent_sees_and_no_unaccepted_grade(system, school):
    """ARC-3, GRD-3: the paper copy of the parent's view carries the grades and the averages of the
    parent's view (the overview the parent's page shows), the accepted mid-year grades and the
    attendance percentage; the predicted grades not yet accepted are not on it."""
    p = school
    parent = ctx_of(p["parent1"])
    pdf = _b64(system.rpc("archive", "child_view_pdf", p["s1"]["id"], school_year=p["year_name"], ctx=parent))
    text = pdf_text(pdf)
    seen = system.rpc("grades", "student_grades", p["s1"]["id"], school_year=p["year_name"], ctx=parent)
    assert seen["family_view"] is True
    for subject in seen["subjects"]:
        for value in (subject["average_year"], subject["average_term1"] or subject["average_term2"]):
            assert f"{value:.2f}".replace(".", ",") in text, (value, text)
    assert "4+ 5" in text or "5 4+" in text                          # Łucja's mathematics grades
    assert "śródroczna: dobry (4)" in text and "ocena śródroczna: wzorowe" in text
    assert "celujący" not in text and "(6)" not in text and "nieodpowiednie" not in text
    attendance = system.rpc("attendance", "percentages", "student", p["s1"]["id"], p["starts"].isoformat(),
                            p["ends"].isoformat(), ctx=parent)
    assert attendance["percent"] == 100.0 and "Frekwencja w roku szkolnym: 100,0%" in text
