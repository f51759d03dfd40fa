"""Demo data: one association with two schools, loaded through the services' own RPC API.

    python -m scripts.demo_data              load (idempotent), then print the demo logins
    python -m scripts.demo_data --no-table   load, print progress only
    python -m scripts.demo_data --no-history load without the rest of the term (quicker)
    python -m scripts.demo_data --table      print the demo logins only (no broker needed)

The services must be running (``scripts/start`` runs this after they answer their health RPC);
``AMQP_URI`` selects the broker and vhost. Every record is created the way a user would create
it, so the services' permission checks run: the system context creates the association
administrator only; the association administrator creates the schools and their administrators;
each school administrator creates the rest of the school; a teacher sends the note (UWAGA).

Then each school comes alive (``build_activity``): the school year with its terms and days off,
subjects and a weekly timetable; the lessons of the last ten school days with their topics and
attendance, entered by their teachers (absences and lates, a day justified by the class teacher,
a parent's e-justification accepted and one waiting; one lesson of last week and one of the last
day left without topic and attendance for the supervision report); columns of grades of this week
and one of last week entered after its deadline (the report's "late grades"); predicted grades
(maths of the first class accepted by the director, Polish waiting, a predicted 1 that puts a
student at risk), an accepted mid-year (or annual) grade and a behaviour grade; next week's test
and parent meeting; a message to the parents of the first class, a parent's reply; an
announcement of the director and a fund-raising one waiting for the director's approval.

Before those ten days, the rest of the current term (from its first day in the school calendar)
is background history (``plan_history``; ``load(history=False)`` or ``--no-history`` leave it
out): every lesson of each class with a topic (by subject, from a short list) and its attendance,
entered by the lesson's teacher, with a seeded sprinkle of single absences (about 1.5 %), lates
and illnesses of 1-3 days, most of them justified by the class teacher; so the term's percentages
and weekly views count from the term's first day. It is loaded ten days at a time with a progress
line each: about 50 school days (late November) add about 30 s for both schools on a 2-core
machine; the longest history, ~90 school days (June), about a minute.

What is loaded is fixed: names come from fixed lists through a seeded random generator, so the
logins and names are the same on every machine (``build_plan``, no broker needed); the activity
depends on the day only (``build_activity(plan, today)``). Loading is idempotent: what already
exists (the same login, school short name, class name, lesson topic, grade column...) is looked
up instead of created, so running it twice changes nothing; once a school's activity is complete
(its last record, the waiting announcement, exists) a later run, on any day, skips it,
history included. A run interrupted before that (e.g. in the middle of the history) completes on
the next run: lessons whose topic or attendance is there, and justified illnesses, are skipped.
``scripts/start`` runs it every time.
"""
import argparse
import os
import random
import sys
import time
from datetime import date, timedelta

if __package__ in (None, ""):   # run as ``python scripts/demo_data.py``
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PASSWORD = "Demo-Dziennik-2026"
ASSOCIATION_ADMIN_LOGIN = "admin.stowarzyszenie"
SEED = "dziennik-demo-2026"
INSPECTOR_DAYS = 30
STUDENTS_PER_CLASS = 6
RPC_TIMEOUT = 60

SCHOOLS = (
    {"short_name": "sp1", "name": "Szkoła Podstawowa nr 1 im. Marii Skłodowskiej-Curie",
     "city": "Kraków", "classes": ("4a", "7b")},
    {"short_name": "lo2", "name": "Liceum Ogólnokształcące nr 2 im. Jana Kochanowskiego",
     "city": "Poznań", "classes": ("1a", "2b")},
)

# Adults' and children's first names (female, male) and surnames (masculine, feminine form).
ADULT_F = ("Małgorzata", "Agnieszka", "Katarzyna", "Bożena", "Grażyna", "Elżbieta", "Jolanta",
           "Urszula", "Beata", "Dorota", "Iwona", "Joanna", "Renata", "Jadwiga", "Halina",
           "Teresa", "Ewa", "Barbara", "Anna", "Magdalena", "Wiesława", "Żaneta", "Aneta",
           "Monika", "Sylwia", "Justyna", "Krystyna", "Danuta", "Łucja", "Anita")
ADULT_M = ("Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Michał", "Marek", "Grzegorz",
           "Łukasz", "Jarosław", "Zbigniew", "Przemysław", "Sławomir", "Bartłomiej", "Mirosław",
           "Wojciech", "Rafał", "Dariusz", "Mariusz", "Jacek", "Józef", "Stanisław", "Maciej",
           "Radosław", "Zdzisław", "Bogdan", "Leszek", "Adam", "Roman", "Henryk")
CHILD_F = ("Zuzanna", "Julia", "Maja", "Zofia", "Hanna", "Lena", "Alicja", "Oliwia", "Łucja",
           "Wiktoria", "Amelia", "Natalia", "Gabriela", "Małgosia", "Jagoda", "Róża", "Weronika",
           "Antonina", "Helena", "Iga", "Michalina", "Emilia", "Nikola", "Kalina")
CHILD_M = ("Antoni", "Jakub", "Jan", "Szymon", "Franciszek", "Filip", "Mikołaj", "Wojciech",
           "Kacper", "Stanisław", "Tymoteusz", "Aleksander", "Ignacy", "Igor", "Bartosz",
           "Wiktor", "Kuba", "Miłosz", "Oskar", "Tymon", "Bruno", "Leon", "Józef", "Maciej")
SURNAMES = (
    ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Wójcik", "Wójcik"),
    ("Kamiński", "Kamińska"), ("Lewandowski", "Lewandowska"), ("Zieliński", "Zielińska"),
    ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"), ("Dąbrowski", "Dąbrowska"),
    ("Kozłowski", "Kozłowska"), ("Jankowski", "Jankowska"), ("Mazur", "Mazur"),
    ("Kwiatkowski", "Kwiatkowska"), ("Krawczyk", "Krawczyk"), ("Piotrowski", "Piotrowska"),
    ("Grabowski", "Grabowska"), ("Nowakowski", "Nowakowska"), ("Pawłowski", "Pawłowska"),
    ("Michalski", "Michalska"), ("Nowicki", "Nowicka"), ("Adamczyk", "Adamczyk"),
    ("Dudek", "Dudek"), ("Zając", "Zając"), ("Wieczorek", "Wieczorek"),
    ("Jabłoński", "Jabłońska"), ("Król", "Król"), ("Majewski", "Majewska"),
    ("Olszewski", "Olszewska"), ("Jaworski", "Jaworska"), ("Wróbel", "Wróbel"),
    ("Malinowski", "Malinowska"), ("Pawlak", "Pawlak"), ("Witkowski", "Witkowska"),
    ("Walczak", "Walczak"), ("Stępień", "Stępień"), ("Górski", "Górska"),
    ("Rutkowski", "Rutkowska"), ("Michalak", "Michalak"), ("Sikora", "Sikora"),
    ("Ostrowski", "Ostrowska"), ("Baran", "Baran"), ("Szewczyk", "Szewczyk"),
    ("Tomaszewski", "Tomaszewska"), ("Pietrzak", "Pietrzak"), ("Marciniak", "Marciniak"),
    ("Wróblewski", "Wróblewska"), ("Zalewski", "Zalewska"), ("Jakubowski", "Jakubowska"),
    ("Jasiński", "Jasińska"), ("Zawadzki", "Zawadzka"), ("Sadowski", "Sadowska"),
    ("Bąk", "Bąk"), ("Chmielewski", "Chmielewska"), ("Włodarczyk", "Włodarczyk"),
    ("Borkowski", "Borkowska"), ("Czarnecki", "Czarnecka"), ("Sawicki", "Sawicka"),
    ("Sokołowski", "Sokołowska"), ("Urbański", "Urbańska"), ("Kubiak", "Kubiak"),
    ("Maciejewski", "Maciejewska"), ("Szczepański", "Szczepańska"), ("Kucharski", "Kucharska"),
    ("Kalinowski", "Kalinowska"), ("Mazurek", "Mazurek"), ("Wysocki", "Wysocka"),
    ("Kaźmierczak", "Kaźmierczak"), ("Wasilewski", "Wasilewska"), ("Sobczak", "Sobczak"),
    ("Czerwiński", "Czerwińska"), ("Andrzejewski", "Andrzejewska"), ("Cieślak", "Cieślak"),
    ("Głowacki", "Głowacka"), ("Zakrzewski", "Zakrzewska"), ("Kołodziej", "Kołodziej"),
    ("Sikorski", "Sikorska"), ("Krajewski", "Krajewska"), ("Gajewski", "Gajewska"),
    ("Szulc", "Szulc"), ("Baranowski", "Baranowska"), ("Laskowski", "Laskowska"),
    ("Brzeziński", "Brzezińska"), ("Ziółkowski", "Ziółkowska"), ("Przybylski", "Przybylska"),
    ("Żak", "Żak"), ("Łuczak", "Łuczak"), ("Żurawski", "Żurawska"), ("Ślusarczyk", "Ślusarczyk"),
    ("Gołębiowski", "Gołębiowska"), ("Świątek", "Świątek"),
)

# The demo logins table: one row per role, in this order.
ROLE_ROWS = (
    ("association_admin", "association administrator", "administrator stowarzyszenia"),
    ("school_admin", "school administrator", "administrator szkoły"),
    ("deputy_admin", "deputy administrator", "zastępca administratora"),
    ("director", "director", "dyrektor"),
    ("vice_director", "vice director", "wicedyrektor"),
    ("secretary", "secretary", "sekretariat"),
    ("class_teacher", "class teacher", "wychowawca"),
    ("teacher", "teacher", "nauczyciel"),
    ("parent", "parent", "rodzic"),
    ("student", "student", "uczeń"),
    ("inspector", "inspector (read-only)", "kontrola"),
)

# Which families have one parent only (by the number of their first child); the others have two.
SINGLE_PARENT_FAMILIES = (4, 10)


# ------------------------------------------------------------------------------------ the plan

def _surname(pair, gender):
    return pair[0] if gender == "m" else pair[1]


def build_plan():
    """Everything the demo loads, as plain data, the same on every call and every machine."""
    rng = random.Random(SEED)
    surnames = list(SURNAMES)
    rng.shuffle(surnames)

    def adult(gender, family=None):
        pair = family or surnames.pop()
        first = rng.choice(ADULT_F if gender == "f" else ADULT_M)
        return {"first_name": first, "last_name": _surname(pair, gender)}

    def account(login, kind, roles, person, **extra):
        return {"login": login, "kind": kind, "roles": list(roles), **person, **extra}

    head = adult("f")
    plan = {
        "password": PASSWORD,
        "association_admin": account(ASSOCIATION_ADMIN_LOGIN, "association_admin",
                                     ["association_admin"], head),
        "schools": [],
    }
    for spec in SCHOOLS:
        sp = spec["short_name"]
        klass_a, klass_b = spec["classes"]
        staff = [
            account(f"{sp}.admin", "school_admin", ["school_admin"], adult(rng.choice("fm"))),
            account(f"{sp}.zastepca", "deputy_admin", ["deputy_admin"], adult(rng.choice("fm"))),
            account(f"{sp}.dyrektor", "director", ["director"], adult(rng.choice("fm"))),
            account(f"{sp}.wicedyrektor", "vice_director", ["vice_director"], adult(rng.choice("fm"))),
            account(f"{sp}.sekretariat", "secretary", ["secretary"], adult("f")),
            account(f"{sp}.wychowawca.{klass_a}", "class_teacher", ["class_teacher", "teacher"],
                    adult(rng.choice("fm")), class_name=klass_a),
            account(f"{sp}.wychowawca.{klass_b}", "class_teacher", ["class_teacher", "teacher"],
                    adult(rng.choice("fm")), class_name=klass_b),
            account(f"{sp}.nauczyciel1", "teacher", ["teacher"], adult(rng.choice("fm"))),
            account(f"{sp}.nauczyciel2", "teacher", ["teacher"], adult(rng.choice("fm"))),
            account(f"{sp}.kontrola", "inspector", ["inspector"], adult(rng.choice("fm")),
                    expires_in_days=INSPECTOR_DAYS),
        ]
        # Students 1..6 in class A, 7..12 in class B. Students 1 and 7 are siblings: their
        # parents (rodzic1, rodzic2) have two children in the school.
        n_students = 2 * STUDENTS_PER_CLASS
        families = {}   # first child's number -> family
        family_of = {}
        for n in range(1, n_students + 1):
            if n == STUDENTS_PER_CLASS + 1:
                family_of[n] = 1
                continue
            families[n] = {"surname": surnames.pop(), "children": []}
            family_of[n] = n
        students, used = [], set()
        for n in range(1, n_students + 1):
            family = families[family_of[n]]
            gender = rng.choice("fm")
            pool = CHILD_F if gender == "f" else CHILD_M
            first = rng.choice([f for f in pool if (f, family["surname"]) not in used])
            used.add((first, family["surname"]))
            student = account(f"{sp}.uczen{n}", "student", ["student"],
                              {"first_name": first, "last_name": _surname(family["surname"], gender)},
                              class_name=klass_a if n <= STUDENTS_PER_CLASS else klass_b, gender=gender)
            students.append(student)
            family["children"].append(student["login"])
        parents, guardianships = [], []
        for first_child in sorted(families):
            family = families[first_child]
            genders = [rng.choice("fm")] if first_child in SINGLE_PARENT_FAMILIES else ["f", "m"]
            for gender in genders:
                parent = account(f"{sp}.rodzic{len(parents) + 1}", "parent", ["parent"],
                                 adult(gender, family["surname"]),
                                 children=list(family["children"]))
                parents.append(parent)
                guardianships += [(parent["login"], child) for child in family["children"]]
        classes = [{"name": name, "class_teacher": f"{sp}.wychowawca.{name}",
                    "students": [s["login"] for s in students if s["class_name"] == name]}
                   for name in (klass_a, klass_b)]
        first_student = students[0]
        she = first_student["gender"] == "f"
        if sp == SCHOOLS[0]["short_name"]:
            note = {"author": f"{sp}.wychowawca.{klass_a}", "student": first_student["login"],
                    "parent": parents[0]["login"], "note_kind": "negative", "note_category": "zachowanie",
                    "subject": "Przeszkadzanie na lekcji",
                    "body": f"{first_student['first_name']} kilkakrotnie "
                            f"{'rozmawiała' if she else 'rozmawiał'} podczas lekcji matematyki "
                            f"mimo upomnień. Proszę o rozmowę z dzieckiem."}
        else:
            note = {"author": f"{sp}.nauczyciel1", "student": first_student["login"],
                    "parent": parents[0]["login"], "note_kind": "positive", "note_category": "zaangażowanie",
                    "subject": "Pomoc w organizacji Dnia Patrona",
                    "body": f"{first_student['first_name']} {'przygotowała' if she else 'przygotował'} "
                            f"i {'poprowadziła' if she else 'poprowadził'} szkolny konkurs wiedzy "
                            f"o Janie Kochanowskim. Gratuluję zaangażowania!"}
        plan["schools"].append({
            "short_name": sp, "name": spec["name"], "city": spec["city"],
            "staff": staff, "students": students, "parents": parents,
            "guardianships": guardianships, "classes": classes, "note": note,
        })
    return plan


def all_accounts(plan):
    """Every account of the plan: ``[(school short name or None, account)]``."""
    out = [(None, plan["association_admin"])]
    for school in plan["schools"]:
        for group in ("staff", "students", "parents"):
            out += [(school["short_name"], a) for a in school[group]]
    return out


def _full_name(a):
    return f"{a['first_name']} {a['last_name']}"


def logins_table(plan=None):
    """The demo logins, one row per role and school: ``[{school, role, label, label_pl, login,
    name, remark}]`` (school is None for the association administrator)."""
    plan = plan or build_plan()
    rows = []
    aa = plan["association_admin"]
    rows.append({"school": None, "role": "association_admin", "label": ROLE_ROWS[0][1],
                 "label_pl": ROLE_ROWS[0][2], "login": aa["login"], "name": _full_name(aa),
                 "remark": "both schools, creates schools and their administrators"})
    for school in plan["schools"]:
        accounts = school["staff"] + school["students"] + school["parents"]
        by_login = {a["login"]: a for a in accounts}
        class_names = [c["name"] for c in school["classes"]]

        def teaches(who):   # "a" (the first class's class teacher), "n1" (nauczyciel1)...
            return ", ".join(name for name, _, _, by in CURRICULUM.get(school["short_name"], ()) if by == who)
        for role, label, label_pl in ROLE_ROWS[1:]:
            of_kind = [a for a in accounts if a["kind"] == role]
            first = of_kind[0]
            remark = ""
            if len(of_kind) > 1:
                remark = f"also {', '.join(a['login'] for a in of_kind[1:])}" if len(of_kind) <= 3 \
                    else f"… {of_kind[-1]['login']} ({len(of_kind)} accounts)"
            if role == "director":
                remark = "an announcement waits for approval; supervision report"
            elif role == "class_teacher":
                remark = f"class {first['class_name']} ({teaches('a')}), an e-justification waits; " + remark
            elif role == "teacher":
                remark = f"{teaches('n1')} in {' and '.join(class_names)}; " + remark
            elif role == "parent":
                kids = ", ".join(f"{c} ({by_login[c]['class_name']})" for c in first["children"])
                remark = f"children: {kids}; {remark}"
            elif role == "student":
                remark = f"class {first['class_name']}: grades, absences, a note in the file; {remark}"
            elif role == "inspector":
                remark = f"account expires {INSPECTOR_DAYS} days after loading"
            rows.append({"school": school["short_name"], "role": role, "label": label,
                         "label_pl": label_pl, "login": first["login"], "name": _full_name(first),
                         "remark": remark.strip("; ")})
    return rows


def format_table(rows, plan=None):
    plan = plan or build_plan()
    names = {s["short_name"]: s["name"] for s in plan["schools"]}
    head = ("role", "login", "name", "")
    w_role = max(len(r["label"]) for r in rows)
    w_login = max(len(r["login"]) for r in rows)
    w_name = max(len(r["name"]) for r in rows)
    line = lambda a, b, c, d: f"  {a:<{w_role}}  {b:<{w_login}}  {c:<{w_name}}  {d}".rstrip()  # noqa: E731
    out = [f"Demo logins (the password of every demo account: {plan['password']})", "",
           line(*head)]
    school = "-"
    for r in rows:
        if r["school"] != school:
            school = r["school"]
            if school:
                out.append(f"  {school}: {names[school]}")
        out.append(line(r["label"], r["login"], r["name"], r["remark"]))
    return "\n".join(out)


# ------------------------------------------------------------------------------------ the activity

ACTIVITY_DAYS = 10    # school days before today with lessons, topics, attendance (about two weeks)

# Per school: (subject, short name, weekly hours in each class, who teaches it in both classes):
# "a"/"b" the class teacher of the first/second class, "n1"/"n2" the two teachers, "own" each
# class's own class teacher (the homeroom hour).
CURRICULUM = {
    "sp1": (("Język polski", "pol", 4, "a"), ("Matematyka", "mat", 4, "n1"),
            ("Język angielski", "ang", 3, "n2"), ("Historia", "his", 2, "b"), ("Przyroda", "przyr", 2, "b"),
            ("Wychowanie fizyczne", "wf", 3, "n2"), ("Godzina wychowawcza", "gw", 1, "own")),
    "lo2": (("Język polski", "pol", 4, "a"), ("Matematyka", "mat", 4, "n1"),
            ("Język angielski", "ang", 3, "n2"), ("Historia", "his", 2, "b"), ("Biologia", "bio", 2, "b"),
            ("Wychowanie fizyczne", "wf", 3, "n2"), ("Godzina wychowawcza", "gw", 1, "own")),
}
ROOMS = {"sp1": ("12", "14"), "lo2": ("21", "23")}
TOPICS = {
    "pol": ("Części mowy – powtórzenie", "Rzeczownik i jego formy", "Czasownik: osoba, liczba, czas",
            "Opis przedmiotu – ćwiczenia w pisaniu", "Praca z lekturą: rozdziały 1–3", "Przymiotnik – stopniowanie",
            "Ortografia: pisownia ó i u", "Charakterystyka postaci – plan wypowiedzi"),
    "mat": ("Ułamki zwykłe – powtórzenie", "Skracanie i rozszerzanie ułamków",
            "Dodawanie ułamków o różnych mianownikach", "Odejmowanie ułamków", "Kolejność wykonywania działań",
            "Mnożenie ułamków przez liczbę naturalną", "Zadania tekstowe z ułamkami", "Ułamki dziesiętne – wprowadzenie"),
    "ang": ("Family members – vocabulary", "Present Simple – affirmative sentences",
            "Present Simple – questions and negatives", "My daily routine – speaking", "Reading: A day in London",
            "Adverbs of frequency", "Listening practice: at school", "Revision: unit 2"),
    "his": ("Źródła historyczne i ich rodzaje", "Początki państwa polskiego", "Chrzest Polski i jego skutki",
            "Bolesław Chrobry – pierwszy król", "Zjazd gnieźnieński", "Powtórzenie wiadomości"),
    "przyr": ("Pogoda i jej składniki", "Obserwacje meteorologiczne", "Krajobraz najbliższej okolicy",
              "Mapa i plan", "Kierunki geograficzne", "Powtórzenie: orientacja w terenie"),
    "bio": ("Budowa komórki", "Komórka roślinna i zwierzęca", "Podziały komórkowe", "Tkanki roślinne",
            "Tkanki zwierzęce", "Powtórzenie: od komórki do organizmu"),
    "wf": ("Piłka siatkowa – odbicia sposobem górnym", "Ćwiczenia ogólnorozwojowe", "Piłka koszykowa – kozłowanie",
           "Biegi krótkie i skok w dal", "Gimnastyka: przewrót w przód", "Gry i zabawy ruchowe"),
    "gw": ("Zasady oceniania zachowania", "Bezpieczeństwo w internecie", "Organizacja wycieczki klasowej",
           "Jak się uczyć? Techniki zapamiętywania"),
}
# The columns of grades of each class (category, description), dated this week; one more column,
# of last week, is entered (by the demo, now) after last Sunday 20:00: the supervision report
# lists it among the grades entered late (ORG-4).
COLUMNS = (
    ("pol", "sprawdzian", "Sprawdzian: części mowy"), ("pol", "odpowiedź ustna", "Recytacja wiersza"),
    ("mat", "sprawdzian", "Sprawdzian: ułamki zwykłe"), ("mat", "kartkówka", "Kartkówka: skracanie ułamków"),
    ("mat", "praca domowa", "Praca domowa: zadania tekstowe"),
    ("ang", "kartkówka", "Kartkówka: słownictwo – rodzina"), ("ang", "odpowiedź ustna", "Odpowiedź: Present Simple"),
    ("his", "kartkówka", "Kartkówka: początki państwa polskiego"),
    ("przyr", "praca domowa", "Karta pracy: pogoda"), ("bio", "kartkówka", "Kartkówka: budowa komórki"),
    ("wf", "aktywność", "Aktywność na lekcji"),
)
LATE_COLUMN = ("mat", "kartkówka", "Kartkówka: kolejność wykonywania działań")
NOT_GRADED = ("gw",)

# The term's history (``plan_history``): every school day of the current term before the last
# ten, each lesson with a topic and attendance. The first lesson of a subject in the term is an
# organisational one; then the subject's topics in turn (a later round: exercises, revision...).
HISTORY_FIRST_TOPIC = ("Lekcja organizacyjna: wymagania edukacyjne i zasady oceniania",
                       "Podsumowanie I okresu, plan pracy na II okres")   # by term (1, 2)
HISTORY_TOPICS = {
    "pol": ("Powtórzenie wiadomości z poprzedniej klasy", "Rodzaje wypowiedzeń", "Zdanie pojedyncze i złożone",
            "Mit – cechy gatunku", "Praca z tekstem: czytanie ze zrozumieniem", "List oficjalny i prywatny",
            "Związki frazeologiczne", "Opowiadanie z dialogiem", "Interpunkcja: przecinek w zdaniu",
            "Lektura: omówienie wątków"),
    "mat": ("Liczby naturalne – powtórzenie", "Działania pisemne", "Potęgi liczb naturalnych",
            "Podzielność liczb", "Liczby pierwsze i złożone", "NWD i NWW", "Oś liczbowa",
            "Figury płaskie – powtórzenie", "Pole prostokąta i kwadratu", "Zadania tekstowe – plan rozwiązania"),
    "ang": ("Back to school – vocabulary", "To be – revision", "Have got – affirmative and negative",
            "Possessive adjectives", "Describing people", "There is / there are", "My house – speaking",
            "Can for ability", "Reading: A letter from a friend", "Writing an email"),
    "his": ("Czas w historii: chronologia", "Prehistoria człowieka", "Starożytny Egipt",
            "Mezopotamia i pismo", "Starożytna Grecja: polis", "Demokracja ateńska", "Starożytny Rzym",
            "Dziedzictwo antyku"),
    "przyr": ("Sposoby poznawania przyrody", "Przyrządy obserwacyjne", "Składniki pogody",
              "Stany skupienia wody", "Organizmy w naszym otoczeniu", "Skały i gleby",
              "Ochrona przyrody w Polsce", "Bezpieczne eksperymenty"),
    "bio": ("Biologia jako nauka", "Metody badań biologicznych", "Składniki chemiczne organizmów",
            "Białka, cukry, tłuszcze", "Witaminy i sole mineralne", "Mikroskop i preparaty",
            "Wirusy – budowa i znaczenie", "Bakterie w przyrodzie"),
    "wf": ("Zasady bezpieczeństwa na lekcjach wychowania fizycznego", "Gry zespołowe: piłka nożna",
           "Test sprawności fizycznej", "Bieg ciągły i marszobieg", "Piłka ręczna – podania",
           "Ćwiczenia równoważne", "Unihokej – prowadzenie piłki", "Tenis stołowy"),
    "gw": ("Wybór samorządu klasowego", "Prawa i obowiązki ucznia", "Jak radzić sobie ze stresem?",
           "Dzień Edukacji Narodowej – przygotowania", "Kultura słowa na co dzień", "Planowanie czasu wolnego"),
}
HISTORY_ROUNDS = ("ćwiczenia", "utrwalenie", "praca w grupach", "powtórzenie", "karta pracy",
                  "zadania dodatkowe")
HISTORY_ABSENT = 0.015      # a single lesson missed (per student and lesson)
HISTORY_LATE = (0.03, 0.006)   # late for the first lesson of the day, for a later one
HISTORY_ILLNESS = 0.012     # falling ill on a school day (then 1-3 school days at home)
HISTORY_ILLNESS_DAYS = (1, 1, 2, 2, 3)
HISTORY_JUSTIFIED = 0.8     # illnesses justified by the class teacher (the rest stay unexcused)
HISTORY_REASONS = ("Choroba – zwolnienie lekarskie dostarczone przez rodzica.",
                   "Choroba – usprawiedliwienie pisemne rodzica.",
                   "Przeziębienie, dziecko zostało w domu – informacja od rodzica.",
                   "Wizyta u lekarza i choroba – usprawiedliwienie rodzica.")
HISTORY_CHUNK = 10          # school days per step of loading (a progress line each)


def _current_term(terms, today):
    """The term of ``today`` (the last one begun); None before the school year begins."""
    begun = [t for t in terms if t["starts_on"] <= today]
    return begun[-1] if begun else None


def plan_history(timetable, students, class_teacher, days, seed, term_number=1):
    """The background history of one school: for ``days`` (school days of the current term before
    the last ten), every lesson of each class (``timetable``: {class: [{weekday, period, subject,
    teacher}]}) with a topic and the attendance of ``students`` ({class: [login]}), and the
    justifications of illnesses by the class teacher (``class_teacher``: {class: login}).

    The attendance is a seeded sprinkle, the same on every machine: about 1-2 % single lessons
    missed, a few lates (mostly for the first lesson), and now and then an illness of 1-3 school
    days (absent at every lesson), most of them justified by the class teacher. Returns
    ``(lessons, justifications)`` in the form of ``build_activity``'s ``lessons`` and
    ``justifications``. No broker needed."""
    days = sorted(days)
    lessons, justifications = [], []
    whole, single = {}, {}   # (student, date) -> "absent"; (student, date, period) -> category
    for cname in sorted(timetable):
        rng = random.Random(f"{seed}|history|{cname}")
        periods = {weekday: sorted(e["period"] for e in timetable[cname] if e["weekday"] == weekday)
                   for weekday in range(1, 6)}
        for student in students[cname]:
            i = 0
            while i < len(days):      # illnesses: consecutive school days, then a few healthy ones
                if rng.random() < HISTORY_ILLNESS:
                    ill = days[i:i + rng.choice(HISTORY_ILLNESS_DAYS)]
                    for d in ill:
                        whole[(student, d)] = "absent"
                    if rng.random() < HISTORY_JUSTIFIED:
                        justifications.append({"by": class_teacher[cname], "student": student, "dates": ill,
                                               "reason": rng.choice(HISTORY_REASONS)})
                    i += len(ill) + 5
                else:
                    i += 1
            for d in days:            # single lessons missed and lates (drawn for every lesson)
                for k, period in enumerate(periods[d.isoweekday()]):
                    r = rng.random()
                    if (student, d) in whole:
                        continue
                    if r < HISTORY_ABSENT:
                        single[(student, d, period)] = "absent"
                    elif r < HISTORY_ABSENT + HISTORY_LATE[0 if k == 0 else 1]:
                        single[(student, d, period)] = "late"
    first_topic = HISTORY_FIRST_TOPIC[min(term_number, 2) - 1]
    counter = {}
    for d in days:
        for cname in sorted(timetable):
            for e in sorted((e for e in timetable[cname] if e["weekday"] == d.isoweekday()),
                            key=lambda e: e["period"]):
                n = counter[(cname, e["subject"])] = counter.get((cname, e["subject"]), 0)
                counter[(cname, e["subject"])] += 1
                if n == 0:
                    topic = first_topic
                else:
                    topics = HISTORY_TOPICS[e["subject"]]
                    topic, r = topics[(n - 1) % len(topics)], (n - 1) // len(topics)
                    if r:
                        topic = f"{topic} – {HISTORY_ROUNDS[(r - 1) % len(HISTORY_ROUNDS)]}"
                entries = []
                for student in students[cname]:
                    category = single.get((student, d, e["period"])) or whole.get((student, d))
                    if category:
                        entries.append((student, category))
                lessons.append({"class": cname, "date": d, "period": e["period"], "subject": e["subject"],
                                "teacher": e["teacher"], "topic": topic, "attendance": entries})
    return lessons, justifications


def _timetable(classes, units, seed):
    """A weekly timetable for ``classes`` from their ``units`` ({class: [(subject, teacher)]},
    one per weekly hour): {class: [(weekday, period, subject, teacher)]}. No teacher teaches two
    classes at once, each class's day starts at period 1 without gaps, at most two lessons of a
    subject a day, and every teacher teaches every weekday (so each one has lessons "today").
    Deterministic: the first of a seeded sequence of shuffles that satisfies all that."""
    teachers = {t for cname in classes for _, t in units[cname]}
    for attempt in range(2000):
        rng = random.Random(f"{seed}|timetable|{attempt}")
        busy, out = set(), {}
        for cname in classes:
            todo = list(units[cname])
            rng.shuffle(todo)
            n = len(todo)
            per_day = [n // 5 + (1 if i < n % 5 else 0) for i in range(5)]
            rng.shuffle(per_day)
            slots = []
            for day in range(1, 6):
                seen = {}
                for period in range(1, per_day[day - 1] + 1):
                    pick = next((i for i, (subject, t) in enumerate(todo)
                                 if (t, day, period) not in busy and seen.get(subject, 0) < 2), None)
                    if pick is None:
                        break
                    subject, t = todo.pop(pick)
                    busy.add((t, day, period))
                    seen[subject] = seen.get(subject, 0) + 1
                    slots.append((day, period, subject, t))
            if todo:
                break
            out[cname] = slots
        if len(out) == len(classes) and all(
                {d for (t, d, _) in busy if t == teacher} == {1, 2, 3, 4, 5} for teacher in teachers):
            return out
    raise RuntimeError("no timetable fits the demo's curriculum")


def _ability(login):
    """A student's usual level (the mean of the grades), the same on every machine."""
    return min(5.5, max(2.4, random.Random(f"{SEED}|ability|{login}").gauss(3.9, 0.8)))


def _school_year(today):
    """The school year of ``today``: the current one, or in July and August the one just ended."""
    return today.year if today.month >= 9 else today.year - 1


def build_activity(plan, today):
    """What happens in the demo schools, as plain data, for ``today``: the school year with its
    terms and days off, subjects, the weekly timetable, the lessons of the last school days
    (about two weeks) with topics and attendance (absences, lates, a justification, a parent's
    e-justification accepted and one waiting), columns of grades, predicted grades (some
    accepted, some waiting), an accepted mid-year (or annual) grade, calendar entries, messages
    and announcements (one waiting for the director). Before the last school days, the rest of
    the current term (``history_days``) as background history: each school's ``history`` (every
    lesson with a topic and attendance) and ``history_justifications`` (``plan_history``). No
    broker needed; the same for one day."""
    from tools.datagen.plan import BELLS, final_value, grade_value, school_calendar

    cal = school_calendar(_school_year(today))
    days = [d for d in cal["school_days"] if d < today][-ACTIVITY_DAYS:]
    term = _current_term(cal["terms"], today)
    history_days = [d for d in cal["school_days"] if term and days and term["starts_on"] <= d < days[0]]
    second_term = today >= cal["terms"][1]["starts_on"]
    predicted_kind, final_kind = (("predicted_annual", "annual") if second_term
                                  else ("predicted_midyear", "midyear"))
    this_monday = today - timedelta(days=today.weekday())
    last_monday = this_monday - timedelta(days=7)
    this_week = [d for d in days if d >= this_monday] or [today]
    last_week = [d for d in days if last_monday <= d < this_monday]
    next_week = {i: this_monday + timedelta(days=7 + i) for i in range(5)}
    school_day = set(cal["school_days"])

    def day(i):   # the i-th activity day (negative: from the end), None when there is none
        return days[i] if -len(days) <= i < len(days) else None

    out = {"year": {"name": cal["name"], "starts_on": cal["starts_on"], "ends_on": cal["ends_on"],
                    "terms": cal["terms"]},
           "days_off": cal["days_off"], "days": days, "term": term, "history_days": history_days, "today": today,
           "predicted_kind": predicted_kind, "final_kind": final_kind, "schools": []}
    for school in plan["schools"]:
        sp = school["short_name"]
        ka, kb = (c["name"] for c in school["classes"])
        students = {c["name"]: c["students"] for c in school["classes"]}
        sa, sb = students[ka], students[kb]
        by_login = {a["login"]: a for a in school["staff"] + school["students"] + school["parents"]}
        who = {"a": f"{sp}.wychowawca.{ka}", "b": f"{sp}.wychowawca.{kb}",
               "n1": f"{sp}.nauczyciel1", "n2": f"{sp}.nauczyciel2"}
        class_teacher = {ka: who["a"], kb: who["b"]}
        director, first_parent = f"{sp}.dyrektor", {}
        for parent, child in school["guardianships"]:
            first_parent.setdefault(child, parent)
        curriculum = CURRICULUM[sp]
        subjects = [{"name": name, "short_name": short} for name, short, _, _ in curriculum]
        teacher = {(cname, short): class_teacher[cname] if by == "own" else who[by]
                   for cname in (ka, kb) for _, short, _, by in curriculum}
        units = {cname: [(short, teacher[(cname, short)]) for _, short, hours, _ in curriculum
                         for _ in range(hours)] for cname in (ka, kb)}
        weekly = _timetable((ka, kb), units, f"{SEED}|{sp}")
        rooms = dict(zip((ka, kb), ROOMS[sp]))
        timetable = {cname: [{"weekday": d, "period": p, "subject": short, "teacher": t, "room": rooms[cname],
                              "starts_at": BELLS[p][0], "ends_at": BELLS[p][1]} for d, p, short, t in slots]
                     for cname, slots in weekly.items()}

        # Attendance: whole days (illness, a competition), single lessons, lates, a release.
        whole, single = {}, {}     # (student, date) -> category; (student, date, period) -> category
        lessons_of = {(cname, d): sorted(e["period"] for e in timetable[cname] if e["weekday"] == d.isoweekday())
                      for cname in (ka, kb) for d in days}

        def mark(cname, student, i, category, which="day"):
            """``student`` of ``cname`` gets ``category`` on the i-th activity day: the whole day,
            or the ``first``, ``third`` or ``last`` lesson, or the PE lessons (of the nearest
            earlier day that has PE)."""
            d = day(i)
            if d is None:
                return
            if which == "day":
                whole[(student, d)] = category
                return
            if which == "pe":
                pe = lambda d_: [e["period"] for e in timetable[cname]   # noqa: E731
                                 if e["weekday"] == d_.isoweekday() and e["subject"] == "wf"]
                d = next((x for x in reversed(days[:days.index(d) + 1]) if pe(x)), None)
                chosen = pe(d) if d else []
            else:
                periods = lessons_of[(cname, d)]
                chosen = [periods[{"first": 0, "last": -1, "third": min(2, len(periods) - 1)}[which]]]
            for period in chosen:
                single[(student, d, period)] = category

        mark(ka, sa[0], 1, "absent")                 # ill: justified by the class teacher
        if len(days) >= 4:
            mark(ka, sa[0], -2, "absent")            # ill again: the parent's e-justification waits
        mark(ka, sa[2], 3, "absent")                 # two days away, not justified
        mark(ka, sa[2], 4, "absent")
        mark(ka, sa[3], 0, "late", "first")
        mark(ka, sa[3], 5, "late", "first")
        mark(ka, sa[4], 6, "absent", "third")        # one lesson skipped
        mark(kb, sb[0], 2, "late", "first")
        mark(kb, sb[0], 7, "absent", "last")
        mark(kb, sb[1], 2, "absent")                 # ill: the parent's e-justification accepted
        mark(kb, sb[3], 8, "released", "pe")         # released from PE
        mark(kb, sb[4], 5, "school_reasons")         # a competition for the school

        # Lessons: every lesson of the activity days gets its topic and attendance, except the
        # last lesson of the first class on last week's last day and of the second class on
        # the last day: the supervision report and the teachers' pages show them as missing.
        skipped = set()
        if last_week:
            skipped.add((ka, last_week[-1], lessons_of[(ka, last_week[-1])][-1]))
        if days:
            skipped.add((kb, days[-1], lessons_of[(kb, days[-1])][-1]))
        lessons, counter = [], {}
        for d in days:
            for cname in (ka, kb):
                for e in sorted((e for e in timetable[cname] if e["weekday"] == d.isoweekday()),
                                key=lambda e: e["period"]):
                    n = counter[(cname, e["subject"])] = counter.get((cname, e["subject"]), 0)
                    counter[(cname, e["subject"])] += 1
                    topics = TOPICS[e["subject"]]
                    held = (cname, d, e["period"]) not in skipped
                    entries = []
                    for student in students[cname]:
                        category = single.get((student, d, e["period"])) or whole.get((student, d))
                        if category:
                            entries.append((student, category))
                    lessons.append({"class": cname, "date": d, "period": e["period"], "subject": e["subject"],
                                    "teacher": e["teacher"], "topic": topics[n % len(topics)] if held else None,
                                    "attendance": entries if held else None})

        # The rest of the current term: background history (``plan_history``).
        history, history_justifications = plan_history(
            timetable, students, class_teacher, history_days, f"{SEED}|{sp}",
            cal["terms"].index(term) + 1 if term else 1)

        justifications, e_justifications = [], []
        if day(1):
            justifications.append({"by": class_teacher[ka], "student": sa[0], "dates": [day(1)],
                                   "reason": "Choroba – zaświadczenie lekarskie dostarczone przez rodzica."})
        if len(days) >= 4:
            e_justifications.append({"parent": first_parent[sa[0]], "student": sa[0], "date_from": day(-2),
                                     "date_to": day(-2), "decide": None,
                                     "reason": "Dziecko miało gorączkę i zostało w domu. Proszę o usprawiedliwienie."})
        if day(2):
            e_justifications.append({"parent": first_parent[sb[1]], "student": sb[1], "date_from": day(2),
                                     "date_to": day(2), "decide": {"by": class_teacher[kb], "accept": True,
                                                                   "comment": "Usprawiedliwiono, dziękuję."},
                                     "reason": "Wizyta u lekarza specjalisty. Proszę o usprawiedliwienie."})

        # Grades: columns of this week for both classes, the late column of last week.
        columns, partial = [], {}
        subject_shorts = {s["short_name"] for s in subjects}
        specs = [(cname, short, category, description, this_week[i % len(this_week)])
                 for cname in (ka, kb)
                 for i, (short, category, description) in enumerate(
                     c for c in COLUMNS if c[0] in subject_shorts)]
        if last_week:
            specs.append((ka, *LATE_COLUMN, last_week[-1]))
        for cname, short, category, description, d in specs:
            rng = random.Random(f"{SEED}|column|{sp}|{cname}|{description}")
            values = []
            for k, student in enumerate(students[cname]):
                level = _ability(student) - (2.0 if (student == sb[-1] and short == "mat") else 0)
                value = "np" if (short, category, k) == ("mat", "praca domowa", 5) else grade_value(rng, level)
                values.append((student, value))
                partial.setdefault((student, short), []).append(value)
            columns.append({"class": cname, "subject": short, "category": category, "description": description,
                            "date": d, "teacher": teacher[(cname, short)], "values": values,
                            "late": d < this_monday})

        def predicted(student, short):
            values = [v for v in partial.get((student, short), []) if v[:1].isdigit()]
            return final_value(values)

        finals = []   # student, subject (None: behaviour), kind, value, by, accepted by (None: waits)
        for student in sa:      # maths of the first class: accepted by the director, parents see them
            finals.append((student, "mat", predicted_kind, predicted(student, "mat"), teacher[(ka, "mat")], director))
        for student in sa:      # Polish of the first class: entered, waiting for acceptance
            finals.append((student, "pol", predicted_kind, predicted(student, "pol"), teacher[(ka, "pol")], None))
        for student in sb:      # maths of the second class: waiting; the last student at risk (a predicted 1)
            value = "1" if student == sb[-1] else predicted(student, "mat")
            finals.append((student, "mat", predicted_kind, value, teacher[(kb, "mat")], None))
        finals.append((sa[0], "mat", final_kind, predicted(sa[0], "mat"), teacher[(ka, "mat")], director))
        finals.append((sa[0], None, predicted_kind, "bardzo dobre", class_teacher[ka], class_teacher[ka]))
        finals = [{"student": s, "subject": subj, "kind": k, "value": v, "by": by, "accepted_by": acc}
                  for s, subj, k, v, by, acc in finals]

        # The calendar of next week (when it is a school week), messages and announcements.
        calendar = []
        if next_week[2] in school_day:
            calendar.append({"by": teacher[(ka, "mat")], "kind": "test", "date": next_week[2], "class": ka,
                             "subject": "mat", "title": "Sprawdzian: działania na ułamkach"})
        if next_week[3] in school_day:
            calendar.append({"by": class_teacher[ka], "kind": "parent_meeting", "date": next_week[3], "class": ka,
                             "subject": None, "title": f"Zebranie z rodzicami klasy {ka}, godz. 17:00, sala {rooms[ka]}"})
        child, parent = by_login[sa[0]], by_login[first_parent[sa[0]]]
        she, mother = child["gender"] == "f", parent["first_name"] in ADULT_F
        absent_day = day(-2) if len(days) >= 4 else None
        messages = [
            {"by": class_teacher[ka], "to_class_parents": ka, "recipients": [],
             "subject": f"Zebranie z rodzicami klasy {ka}",
             "body": f"Szanowni Państwo,\n\nzapraszam na zebranie z rodzicami w przyszły czwartek o godz. 17:00 "
                     f"w sali {rooms[ka]}. Omówimy przewidywane oceny {'roczne' if second_term else 'śródroczne'} "
                     f"i wycieczkę klasową.\n\n"
                     f"Z poważaniem\n{_full_name(by_login[class_teacher[ka]])}"},
            {"by": first_parent[sa[0]], "to_class_parents": None, "recipients": [class_teacher[ka]],
             "subject": f"Nieobecność – {child['first_name']} {child['last_name']}",
             "body": f"Dzień dobry,\n\n{child['first_name']} {'była chora' if she else 'był chory'}"
                     f"{' ' + absent_day.strftime('%d.%m.') if absent_day else ''} i {'została' if she else 'został'} "
                     f"w domu. {'Wysłałam' if mother else 'Wysłałem'} e-usprawiedliwienie; proszę o jego "
                     f"rozpatrzenie.\n\nZ poważaniem\n{_full_name(parent)}"},
        ]
        announcements = [
            {"by": director, "title": "Zmiana godzin pracy biblioteki szkolnej", "topic": "organisation",
             "audience": {"whole_school": True},
             "body": "Od przyszłego tygodnia biblioteka szkolna jest czynna od poniedziałku do piątku "
                     "w godz. 7:30–15:30."},
            # Fund-raising waits for the director's approval (III.12); loaded last: when it is
            # there, the school's activity has been loaded (``load`` skips it then).
            {"by": who["n1"], "title": f"Zbiórka na wycieczkę klasy {ka} do Wieliczki", "topic": "fundraising",
             "audience": {"class_ids": [ka]},
             "body": f"Proszę rodziców uczniów klasy {ka} o wpłaty na wycieczkę do Kopalni Soli w Wieliczce "
                     f"(90 zł od ucznia) do końca miesiąca."},
        ]
        out["schools"].append({
            "short_name": sp, "subjects": subjects, "timetable": timetable, "lessons": lessons,
            "history": history, "history_justifications": history_justifications,
            "justifications": justifications, "e_justifications": e_justifications, "columns": columns,
            "finals": finals, "calendar": calendar, "messages": messages, "announcements": announcements,
        })
    return out


# ------------------------------------------------------------------------------------ loading

def _ctx(account):
    data = {"user_id": account["id"], "school_id": account.get("school_id"), "roles": account["roles"]}
    return {k: v for k, v in data.items() if v is not None}


class _Rpc:
    """One standalone proxy per caller context (a proxy's context is fixed when it starts)."""

    def __init__(self, amqp_uri):
        self.config = {"AMQP_URI": amqp_uri, "serializer": "json"}
        self._proxies = {}

    def as_(self, ctx):
        from nameko.standalone.rpc import ClusterRpcProxy
        key = repr(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in ctx.items()))
        if key not in self._proxies:
            cluster = ClusterRpcProxy(self.config, context_data=dict(ctx), timeout=RPC_TIMEOUT)
            self._proxies[key] = (cluster, cluster.start())
        return self._proxies[key][1]

    def close(self):
        for cluster, _ in self._proxies.values():
            try:
                cluster.stop()
            except Exception:   # noqa: BLE001  (closing; the broker may be gone)
                pass
        self._proxies.clear()


class _Counter:
    def __init__(self):
        self.created = 0
        self.found = 0


def _account_payload(account, school_id, today):
    data = {"school_id": school_id, "login": account["login"], "first_name": account["first_name"],
            "last_name": account["last_name"], "roles": account["roles"], "password": PASSWORD}
    if account.get("expires_in_days"):
        data["expires_on"] = (today + timedelta(days=account["expires_in_days"])).isoformat()
    return data


def _ensure_accounts(proxy, lookup_proxy, school_id, accounts, today, counter):
    """Create the accounts (concurrently, through ``proxy``); look up those that exist."""
    from services.common.errors import Conflict
    pending = [(a, proxy.identity.create_account.call_async(_account_payload(a, school_id, today)))
               for a in accounts]
    out, existing = {}, None
    for a, reply in pending:
        try:
            out[a["login"]] = reply.result()
            counter.created += 1
        except Conflict:
            if existing is None:
                existing = {x["login"]: x for x in lookup_proxy.identity.list_accounts(school_id)}
            if a["login"] not in existing:
                raise RuntimeError(f"the login {a['login']} is taken by an account outside this school; "
                                   f"load the demo data into empty databases") from None
            out[a["login"]] = existing[a["login"]]
            counter.found += 1
    return out


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}{'es' if word.endswith('s') else 's'}"


def _new(counter):
    if counter.found and counter.created:
        return f"{counter.created} created, {counter.found} already there"
    return "created" if counter.created else "already there"


def _gather(calls, window=12):
    """Run RPCs concurrently, at most ``window`` at a time: ``calls`` are (proxy method, args);
    returns their results in order."""
    out = []
    for i in range(0, len(calls), window):
        pending = [method.call_async(*args) for method, args in calls[i:i + window]]
        out += [reply.result() for reply in pending]
    return out


def _enter_lessons(admin, as_, sid, classes, sid_of, days, lessons):
    """Make the lessons of ``days`` for the classes (``scheduling.lessons_for``) and enter the
    planned topics and attendance lists (``lessons``, as ``build_activity`` plans them) that are
    not there yet, each by the lesson's teacher, concurrently. Returns (the planned lessons that
    exist, as (plan, lesson) pairs; topics entered; attendance lists entered; records already
    there)."""
    iso = date.isoformat
    found = _gather([(admin.scheduling.lessons_for, (iso(d), klass["id"])) for d in days for klass in classes.values()])
    lesson = {}
    for rows in found:
        for row in rows:
            lesson[(row["class_name"], row["date"], row["period"])] = row
    on = {iso(d) for d in days}
    planned = [(p, lesson[(p["class"], iso(p["date"]), p["period"])]) for p in lessons
               if iso(p["date"]) in on and (p["class"], iso(p["date"]), p["period"]) in lesson]
    recorded = admin.attendance.lessons_recorded(sid, [row["id"] for _, row in planned]) if planned else {}
    calls, topics, lists = [], 0, 0
    for p, row in planned:
        teacher = as_(p["teacher"])
        if p["topic"] and not row["topic"]:
            calls.append((teacher.scheduling.enter_topic, (row["id"], {"topic": p["topic"]})))
            topics += 1
        if p["attendance"] is not None and not recorded.get(row["id"]):
            calls.append((teacher.attendance.record_lesson_attendance, (row["id"], {
                "entries": [{"student_id": sid_of[s], "category": cat} for s, cat in p["attendance"]],
                "default": "present"})))
            lists += 1
    _gather(calls)
    already = sum(1 for p, row in planned if p["topic"] and row["topic"]) + \
        sum(1 for p, row in planned if p["attendance"] is not None and recorded.get(row["id"]))
    return planned, topics, lists, already


def _load_history(admin, as_, tag, sid, classes, sid_of, days, a, log, total):
    """The background history of the current term (``plan_history``): the lessons of ``days``
    with topics and attendance, ``HISTORY_CHUNK`` days at a time with a progress line each, then
    the illnesses justified by the class teacher. Idempotent like the rest: a lesson's topic or
    attendance that is there is not entered again, a justified illness not justified again (so
    an interrupted first run completes)."""
    iso = date.isoformat
    t0 = time.monotonic()
    on = {iso(d) for d in days}
    lessons = [p for p in a["history"] if iso(p["date"]) in on]
    span = f"{days[0].strftime('%d.%m.')}–{days[-1].strftime('%d.%m.%Y')}"
    log(f"  {tag}: the rest of the term ({span}): {len(days)} school days, {len(lessons)} lessons with "
        f"topics and attendance, {HISTORY_CHUNK} days at a time")
    n_lessons = topics = lists = already = 0
    for i in range(0, len(days), HISTORY_CHUNK):
        chunk = days[i:i + HISTORY_CHUNK]
        planned, t, n, f = _enter_lessons(admin, as_, sid, classes, sid_of, chunk, lessons)
        n_lessons, topics, lists, already = n_lessons + len(planned), topics + t, lists + n, already + f
        log(f"  {tag}:   {i + len(chunk)}/{len(days)} days (to {chunk[-1].strftime('%d.%m.')}): "
            f"{n_lessons} lessons, {topics} topics and {lists} attendance lists entered "
            f"({time.monotonic() - t0:.0f} s)")
    # Illnesses justified by the class teacher (those whose absences are still unexcused).
    todo = [j for j in a["history_justifications"] if all(iso(d) in on for d in j["dates"])]
    students = sorted({(j["by"], j["student"]) for j in todo})
    seen = {}
    for (by, student), entries in zip(students, _gather([
            (as_(by).attendance.student_attendance, (sid_of[student], iso(days[0]), iso(days[-1])))
            for by, student in students])):
        seen[student] = {e["lesson_date"] for e in entries if e["kind"] == "absent"}
    calls = [(as_(j["by"]).attendance.justify, ({"student_id": sid_of[j["student"]],
                                                 "dates": [iso(d) for d in j["dates"]], "reason": j["reason"]},))
             for j in todo if any(iso(d) in seen[j["student"]] for d in j["dates"])]
    _gather(calls)
    total.created += topics + lists + len(calls)
    total.found += already + len(todo) - len(calls)
    kinds = [cat for p in lessons for _, cat in p["attendance"]]
    log(f"  {tag}: the rest of the term: {n_lessons} lessons of {len(days)} school days ({span}) with "
        f"{kinds.count('absent')} absences and {kinds.count('late')} lates, "
        f"{_plural(len(todo), 'illness')} justified by the class teacher: {topics} topics, "
        f"{lists} attendance lists and {_plural(len(calls), 'justification')} entered in "
        f"{time.monotonic() - t0:.1f} s")


def _load_activity(rpc, tag, sid, act, school_act, accounts, classes, log, total, history=()):
    """Load one school's activity (``build_activity``) through the RPC API, each record as the
    person who would enter it. Idempotent: what exists is looked up, not created again. The
    school year and its timetable are checked on every run (a run in a new school year sets them
    up); once the last record of the rest (the announcement waiting for approval) is there, the
    lessons, attendance, grades and messages are skipped, so a later run on another day adds
    nothing to them. ``history``: the days of the term's background history to load (the lessons
    of ``school_act["history"]`` on those days), loaded before the last school days."""
    def as_(login):
        return rpc.as_(_ctx(accounts[login]))

    def iso(d):
        return d.isoformat() if d else None

    a = school_act
    sid_of = {login: acc["id"] for login, acc in accounts.items()}
    admin, director = as_(f"{tag}.admin"), as_(f"{tag}.dyrektor")

    # 1. The school year with its terms, subjects, grade categories, days off, the timetable.
    c = _Counter()
    y = act["year"]
    year = next((x for x in admin.scheduling.list_school_years(sid) if x["name"] == y["name"]), None)
    if year is None:
        year = admin.scheduling.create_school_year(sid, {
            "name": y["name"], "starts_on": iso(y["starts_on"]), "ends_on": iso(y["ends_on"]),
            "terms": [{"name": t["name"], "starts_on": iso(t["starts_on"]), "ends_on": iso(t["ends_on"])}
                      for t in y["terms"]]})
        c.created += 1
    else:
        c.found += 1
    terms = sorted(year["terms"], key=lambda t: t["starts_on"])
    subjects = {s["name"]: s for s in admin.scheduling.list_subjects(sid)}
    missing = [s for s in a["subjects"] if s["name"] not in subjects]
    for s in _gather([(admin.scheduling.create_subject, (sid, s)) for s in missing]):
        subjects[s["name"]] = s
    c.created += len(missing)
    c.found += len(a["subjects"]) - len(missing)
    subject_id = {s["short_name"]: subjects[s["name"]]["id"] for s in a["subjects"]}
    categories = {x["name"]: x["id"] for x in director.grades.install_default_categories(sid)}
    have = {(e["kind"], e["date"]) for e in director.scheduling.calendar(sid, iso(y["starts_on"]), iso(y["ends_on"]))}
    days_off = [(first, last, title) for first, last, title in act["days_off"] if ("day_off", iso(first)) not in have]
    _gather([(director.scheduling.add_calendar_event, (sid, {
        "kind": "day_off", "date": iso(first), "ends_on": iso(last), "title": title})) for first, last, title in days_off])
    c.created += len(days_off)
    c.found += len(act["days_off"]) - len(days_off)
    pairs = [(cname, term) for cname in a["timetable"] for term in terms]
    existing = _gather([(admin.scheduling.timetable, (classes[cname]["id"], term["id"], None, True))
                        for cname, term in pairs])
    todo = [(cname, term) for (cname, term), rows in zip(pairs, existing) if not rows]
    for term in terms:   # one term at a time: the classes' timetables of a term side by side (two
        #                  timetables of one class at once would both add its teaching assignments)
        _gather([(admin.scheduling.set_timetable, (classes[cname]["id"], term["id"], {
            "valid_from": term["starts_on"],
            "entries": [{"weekday": e["weekday"], "period": e["period"], "starts_at": e["starts_at"],
                         "ends_at": e["ends_at"], "subject_id": subject_id[e["subject"]],
                         "teacher_id": sid_of[e["teacher"]], "room": e["room"]} for e in a["timetable"][cname]]}))
            for cname, t in todo if t["id"] == term["id"]])
    c.created += len(todo)
    c.found += len(pairs) - len(todo)
    total.created += c.created
    total.found += c.found
    weekly = sum(len(v) for v in a["timetable"].values()) // len(a["timetable"])
    log(f"  {tag}: school year {y['name']} ({len(terms)} terms, {len(act['days_off'])} days off), "
        f"{len(a['subjects'])} subjects, timetables of {len(a['timetable'])} classes ({weekly} lessons a week "
        f"each): {_new(c)}")
    marker = a["announcements"][-1]
    if any(x["title"] == marker["title"] for x in as_(marker["by"]).messaging.my_announcements()):
        total.found += 1
        log(f"  {tag}: lessons, attendance, grades, calendar and messages: already there")
        return

    # 2. The rest of the current term (background history), then the last school days: their
    #    lessons (made from the timetable), topics and attendance. Class lists of an older demo
    #    load began on the day it ran: no lessons before that.
    rosters = _gather([(admin.scheduling.class_list, (classes[cname]["id"],)) for cname in a["timetable"]])
    since = max((e["enrolled_on"] for rows in rosters for e in rows), default=None)
    days = [d for d in act["days"] if since is None or iso(d) >= since]
    if len(days) < len(act["days"]):
        log(f"  {tag}: the class lists begin on {since} (an older demo load): no lessons before that day")
    history = [d for d in history if since is None or iso(d) >= since]
    if history:
        _load_history(admin, as_, tag, sid, classes, sid_of, history, a, log, total)
    planned, topics, lists, found = _enter_lessons(admin, as_, sid, classes, sid_of, days, a["lessons"])
    on = {iso(d) for d in days}
    held = sum(1 for p, _ in planned if p["topic"])
    total.created += topics + lists
    total.found += found
    absences = sum(1 for p, _ in planned for _, cat in p["attendance"] or () if cat == "absent")
    span = f"{days[0].strftime('%d.%m.')}–{days[-1].strftime('%d.%m.%Y')}" if days else "none yet"
    log(f"  {tag}: {len(planned)} lessons of {len(days)} school days ({span}), {held} with topic and "
        f"attendance ({absences} absences): {topics} topics and {lists} attendance lists entered")

    # 3. Justifications: by the class teacher; parents' e-justifications (one accepted, one waiting).
    c = _Counter()
    for j in (j for j in a["justifications"] if all(iso(d) in on for d in j["dates"])):
        day = iso(j["dates"][0])
        entries = as_(j["by"]).attendance.student_attendance(sid_of[j["student"]], day, iso(j["dates"][-1]))
        if any(e["kind"] == "absent" for e in entries):
            as_(j["by"]).attendance.justify({"student_id": sid_of[j["student"]], "dates": [iso(d) for d in j["dates"]],
                                             "reason": j["reason"]})
            c.created += 1
        else:
            c.found += 1
    for e in (e for e in a["e_justifications"] if iso(e["date_from"]) in on):
        parent = as_(e["parent"])
        sent = next((x for x in parent.attendance.e_justifications(None, sid_of[e["student"]])
                     if x["reason"] == e["reason"] and x["date_from"] == iso(e["date_from"])), None)
        if sent is None:
            sent = parent.attendance.submit_e_justification({
                "student_id": sid_of[e["student"]], "date_from": iso(e["date_from"]),
                "date_to": iso(e["date_to"]), "reason": e["reason"]})
            c.created += 1
        else:
            c.found += 1
        if e["decide"] and sent["status"] == "submitted":
            as_(e["decide"]["by"]).attendance.decide_e_justification(
                sent["id"], {"accept": e["decide"]["accept"], "comment": e["decide"]["comment"]})
            c.created += 1
    total.created += c.created
    total.found += c.found
    log(f"  {tag}: {_plural(sum(len(j['dates']) for j in a['justifications']), 'day')} of absence justified "
        f"by the class teacher, "
        f"{len(a['e_justifications'])} e-justifications from parents "
        f"({sum(1 for e in a['e_justifications'] if not e['decide'])} waiting): {_new(c)}")

    # 4. Grades: columns (one entered after last week's deadline), predicted and final grades.
    c = _Counter()
    books = sorted({(col["class"], col["subject"], col["teacher"]) for col in a["columns"]})
    have = {}
    for (cname, short, _), book in zip(books, _gather([
            (as_(t).grades.class_gradebook, (classes[cname]["id"], subject_id[short])) for cname, short, t in books])):
        have[(cname, short)] = {col["description"] for col in book["columns"]}
    todo = [col for col in a["columns"] if col["description"] not in have[(col["class"], col["subject"])]]
    _gather([(as_(col["teacher"]).grades.add_grade_column, (classes[col["class"]]["id"], subject_id[col["subject"]], {
        "category_id": categories[col["category"]], "date": iso(col["date"]), "description": col["description"],
        "grades": [{"student_id": sid_of[s], "value": v} for s, v in col["values"]]})) for col in todo])
    c.created += len(todo)
    c.found += len(a["columns"]) - len(todo)
    finals = {}
    for cname in a["timetable"]:
        for st in director.grades.class_final_grades(classes[cname]["id"])["students"]:
            for f in st["finals"]:
                finals[(st["student_id"], None if f["behaviour"] else f["subject_id"], f["kind"])] = f
    calls, keys = [], []
    for f in a["finals"]:
        key = (sid_of[f["student"]], subject_id[f["subject"]] if f["subject"] else None, f["kind"])
        if key in finals:
            c.found += 1
            continue
        teacher = as_(f["by"])
        if f["subject"]:
            calls.append((teacher.grades.set_final_grade, (key[0], key[1], {"kind": f["kind"], "value": f["value"]})))
        else:
            calls.append((teacher.grades.set_behaviour_grade, (key[0], {"kind": f["kind"], "value": f["value"]})))
        keys.append(key)
    for key, out in zip(keys, _gather(calls)):
        finals[key] = out
        c.created += 1
    calls = []
    for f in a["finals"]:
        out = finals[(sid_of[f["student"]], subject_id[f["subject"]] if f["subject"] else None, f["kind"])]
        if f["accepted_by"] and not out["accepted_at"]:
            calls.append((as_(f["accepted_by"]).grades.accept_final_grade, (out["id"],)))
    _gather(calls)
    c.created += len(calls)
    total.created += c.created
    total.found += c.found
    n_grades = sum(len(col["values"]) for col in a["columns"])
    log(f"  {tag}: {len(a['columns'])} columns of grades ({n_grades} grades, one column entered after last "
        f"week's deadline), {len(a['finals'])} predicted and final grades "
        f"({sum(1 for f in a['finals'] if f['accepted_by'])} accepted): {_new(c)}")

    # 5. Next week's calendar, messages, announcements (the fund-raising one waits for the director).
    c = _Counter()
    if a["calendar"]:
        first, last = min(e["date"] for e in a["calendar"]), max(e["date"] for e in a["calendar"])
        have = {(e["kind"], e["date"], e["title"]) for e in director.scheduling.calendar(sid, iso(first), iso(last))}
        for e in a["calendar"]:
            if (e["kind"], iso(e["date"]), e["title"]) in have:
                c.found += 1
                continue
            as_(e["by"]).scheduling.add_calendar_event(sid, {
                "kind": e["kind"], "date": iso(e["date"]), "class_id": classes[e["class"]]["id"],
                "subject_id": subject_id[e["subject"]] if e["subject"] else None, "title": e["title"]})
            c.created += 1
    for m in a["messages"]:
        sender = as_(m["by"])
        if any(x["subject"] == m["subject"] for x in sender.messaging.mailbox("sent", m["subject"])["items"]):
            c.found += 1
            continue
        data = {"subject": m["subject"], "body": m["body"], "recipient_ids": [sid_of[r] for r in m["recipients"]]}
        if m["to_class_parents"]:
            data["groups"] = [{"kind": "class_parents", "class_id": classes[m["to_class_parents"]]["id"]}]
        sender.messaging.send_message(data)
        c.created += 1
    for n in a["announcements"]:
        author = as_(n["by"])
        if any(x["title"] == n["title"] for x in author.messaging.my_announcements()):
            c.found += 1
            continue
        audience = dict(n["audience"])
        if "class_ids" in audience:
            audience["class_ids"] = [classes[name]["id"] for name in audience["class_ids"]]
        author.messaging.publish_announcement({"title": n["title"], "body": n["body"], "topic": n["topic"],
                                               "audience": audience})
        c.created += 1
    total.created += c.created
    total.found += c.found
    log(f"  {tag}: {len(a['calendar'])} calendar entries for next week, {len(a['messages'])} messages, "
        f"{len(a['announcements'])} announcements (one waits for the director's approval): {_new(c)}")


def load(amqp_uri=None, log=print, today=None, data_dir=None, history=True, history_days=None):
    """Load the demo data; return the logins table (``logins_table``). The list of accounts goes
    to ``data_dir`` (default: the data folder, ``DZIENNIK_DATA_DIR``). ``history``: also load the
    rest of the current term before the last ten school days (every lesson with topic and
    attendance, ``plan_history``); ``history_days``: only its first so many school days, from
    the term's start (quick loads in tests; None: all)."""
    import services  # noqa: F401  (silences eventlet's deprecation warning)
    import services.common.errors  # noqa: F401  (typed errors deserialise to their classes)
    from services.common import config
    from services.common.errors import Conflict, Unauthenticated

    amqp_uri = amqp_uri or config.get("AMQP_URI")
    today = today or date.today()
    plan = build_plan()
    activity = build_activity(plan, today)
    history_days = activity["history_days"][:history_days] if history else []
    t0 = time.monotonic()
    total = _Counter()
    rpc = _Rpc(amqp_uri)
    try:
        # 1. The association administrator, created by the system (the bootstrap).
        system = rpc.as_({"roles": ["system"]})
        aa_plan = plan["association_admin"]
        try:
            aa = system.identity.create_account(_account_payload(aa_plan, None, today))
            total.created += 1
            log(f"  association administrator {aa['login']}: created")
        except Conflict:
            try:
                aa = system.identity.login({"login": aa_plan["login"], "password": PASSWORD,
                                            "user_agent": "scripts/demo_data"})["user"]
            except Unauthenticated:
                log(f"  association administrator {aa_plan['login']} exists but cannot log in with "
                    f"the demo password (changed, or the account is blocked): demo data already "
                    f"loaded (not checked further)")
                return logins_table(plan)
            total.found += 1
            log(f"  association administrator {aa['login']}: already there")
        as_aa = rpc.as_(_ctx(aa))

        for sp in plan["schools"]:
            tag = sp["short_name"]
            # 2. The school and its administrator, by the association administrator.
            c = _Counter()
            try:
                school = as_aa.identity.create_school({"name": sp["name"], "short_name": tag,
                                                       "city": sp["city"]})
                c.created += 1
            except Conflict:
                school = next(s for s in as_aa.identity.list_schools() if s["short_name"] == tag)
                c.found += 1
            sid = school["id"]
            admin_plan = sp["staff"][0]
            admin = _ensure_accounts(as_aa, as_aa, sid, [admin_plan], today, c)[admin_plan["login"]]
            log(f"  {tag}: school \"{school['name']}\" and its administrator {admin['login']}: {_new(c)}")
            total.created += c.created
            total.found += c.found

            # 3. Everyone else, by the school administrator.
            as_admin = rpc.as_(_ctx(admin))
            c = _Counter()
            accounts = _ensure_accounts(as_admin, as_admin, sid, sp["staff"][1:], today, c)
            accounts[admin["login"]] = admin
            log(f"  {tag}: {len(sp['staff'])} staff accounts (administrator, deputy, director, vice "
                f"director, secretary, 4 teachers, inspector): {_new(c)}")
            total.created += c.created
            total.found += c.found
            c = _Counter()
            accounts.update(_ensure_accounts(as_admin, as_admin, sid, sp["students"] + sp["parents"],
                                             today, c))
            log(f"  {tag}: {len(sp['students'])} students and {len(sp['parents'])} parents: {_new(c)}")
            total.created += c.created
            total.found += c.found

            replies = [as_admin.identity.link_guardian.call_async(
                sid, {"parent_id": accounts[p]["id"], "student_id": accounts[s]["id"]})
                for p, s in sp["guardianships"]]
            for reply in replies:
                reply.result()
            log(f"  {tag}: {len(replies)} parent-child links (rodzic1 and rodzic2 have two children)")

            # 4. Classes with their class teachers, and the class lists.
            c = _Counter()
            existing = None
            classes = {}
            for klass in sp["classes"]:
                try:
                    classes[klass["name"]] = as_admin.scheduling.create_class(sid, {
                        "name": klass["name"], "class_teacher_id": accounts[klass["class_teacher"]]["id"]})
                    c.created += 1
                except Conflict:
                    if existing is None:
                        existing = {k["name"]: k for k in as_admin.scheduling.list_classes(sid)}
                    classes[klass["name"]] = existing[klass["name"]]
                    c.found += 1
            total.created += c.created
            total.found += c.found
            enrolled = _Counter()
            replies = [(klass["name"], as_admin.scheduling.enrol_student.call_async(
                classes[klass["name"]]["id"], {"student_id": accounts[s]["id"],
                                               "enrolled_on": activity["year"]["starts_on"].isoformat()}))
                for klass in sp["classes"] for s in klass["students"]]
            for _, reply in replies:
                try:
                    reply.result()
                    enrolled.created += 1
                except Conflict:   # already on a class list
                    enrolled.found += 1
            total.created += enrolled.created
            total.found += enrolled.found
            log(f"  {tag}: {_plural(len(classes), 'class')} ({', '.join(classes)}) with class teachers: "
                f"{_new(c)}; {len(replies)} students on the class lists: {_new(enrolled)}")

            # 5. A note (UWAGA) from a teacher: messaging sends it to the parents and identity files
            #    it in the student's file (the messaging.note_issued event).
            note = sp["note"]
            author, student, parent = (accounts[note[k]] for k in ("author", "student", "parent"))
            inbox = rpc.as_(_ctx(parent)).messaging.inbox(200)
            if any(m["kind"] == "note" and m["student_id"] == student["id"] and m["subject"] == note["subject"]
                   for m in inbox):
                total.found += 1
                log(f"  {tag}: note (UWAGA) from {author['login']} about {student['login']}: already there")
            else:
                message = rpc.as_(_ctx(author)).messaging.send_message({
                    "kind": "note", "subject": note["subject"], "body": note["body"],
                    "student_id": student["id"], "note_kind": note["note_kind"],
                    "note_category": note["note_category"]})
                total.created += 1
                t_sent = time.monotonic()
                filed = None
                while time.monotonic() - t_sent < 20:
                    notes = as_admin.identity.get_student_file(student["id"])["notes"]
                    if any(n["source_message_id"] == message["id"] for n in notes):
                        filed = time.monotonic() - t_sent
                        break
                    time.sleep(0.2)
                where = (f"in the student's file after {filed:.1f} s" if filed is not None else
                         "NOT in the student's file after 20 s (is the messaging -> identity event flow working?)")
                log(f"  {tag}: note (UWAGA) from {author['login']} about {student['login']} sent to "
                    f"{_plural(message['recipient_count'], 'parent')}; {where}")

            # 6. The school's life: timetable, lessons with topics and attendance, grades,
            #    calendar, messages and announcements.
            school_act = next(x for x in activity["schools"] if x["short_name"] == tag)
            _load_activity(rpc, tag, sid, activity, school_act, accounts, classes, log, total, history_days)

        n_accounts = len(all_accounts(plan))
        if total.created == 0:
            log(f"demo data already loaded ({n_accounts} accounts, {len(plan['schools'])} schools; nothing changed)")
        else:
            log(f"demo data loaded in {time.monotonic() - t0:.1f} s: {n_accounts} accounts, "
                f"{len(plan['schools'])} schools ({total.created} records created, {total.found} already there)")
        _write_accounts_file(plan, data_dir or config.data_dir(), today)
        return logins_table(plan)
    finally:
        rpc.close()


def _write_accounts_file(plan, folder, today):
    """Every demo account, for people who want more than the table: <data dir>/demo-accounts.txt."""
    path = os.path.join(folder, "demo-accounts.txt")
    lines = [f"# Demo accounts (password: {PASSWORD}); written by scripts/demo_data.py on {today}"]
    for school, a in all_accounts(plan):
        extra = ""
        if a.get("class_name"):
            extra = f" class {a['class_name']}"
        if a.get("children"):
            extra = f" children {','.join(a['children'])}"
        lines.append(f"{school or '-':4} {a['login']:24} {','.join(a['roles']):22} {_full_name(a)}{extra}")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m scripts.demo_data",
                                     description="Load the demo association through the services' RPC API.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--table", action="store_true", help="only print the demo logins (no broker needed)")
    group.add_argument("--no-table", action="store_true", help="load without printing the logins table")
    parser.add_argument("--no-history", action="store_true",
                        help="load only the last ten school days, not the rest of the current term")
    args = parser.parse_args(argv)
    plan = build_plan()
    if args.table:
        print(format_table(logins_table(plan), plan))
        return 0
    from services.common.config import get
    uri = get("AMQP_URI")
    safe = uri.split("://", 1)[0] + "://" + uri.rsplit("@", 1)[-1] if "@" in uri else uri
    print(f"Loading the demo data over {safe}")
    try:
        rows = load(uri, history=not args.no_history)
    except Exception as exc:   # noqa: BLE001  (one clear line, not a nameko traceback)
        name = type(exc).__name__
        hint = ""
        if name in ("UnknownService", "RpcTimeout"):
            hint = " (are the services running on this vhost? scripts/start starts them)"
        elif isinstance(exc, OSError):
            hint = " (is RabbitMQ running? check AMQP_URI)"
        print(f"error: loading the demo data failed: {name}: {exc}{hint}", file=sys.stderr)
        return 1
    if not args.no_table:
        print()
        print(format_table(rows, plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
