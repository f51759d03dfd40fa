"""The association the generator loads, as plain data: deterministic from the seed (and the school
year, derived from today's date unless given). No broker is needed to build it.

The year is the last *complete* school year (1 September to the last Friday of June), because
topics, attendance and grades may be entered for past days only; the year's last school day is
kept free of topics and attendance for the morning-peak benchmark (its lessons are made).

Everything random comes from ``random.Random`` seeded with strings derived from the seed, so each
part (people, timetable, attendance of one lesson...) is the same whatever order it is loaded in.
"""
import math
import random
from datetime import date, timedelta

from scripts.demo_data import ADULT_F, ADULT_M, CHILD_F, CHILD_M, SURNAMES

PASSWORD = "Perf-Dziennik-2026"
ASSOCIATION_ADMIN_LOGIN = "dg.stowarzyszenie"

SCALES = {
    # students per school (cycled when --schools asks for more), school days of activity (None:
    # the whole year), parents with a password in the largest school and in the others
    "small": {"sizes": (150,), "activity_days": 20, "login_parents": (100, 100)},
    "full": {"sizes": (300, 800, 1300), "activity_days": None, "login_parents": (1000, 100)},
}
CLASS_SIZE = 27            # target; classes come out with 25-30 students
SIBLING_SHARE = 0.03       # students who share their parents with an older sibling in the school
SINGLE_PARENT_SHARE = 0.06
TEACHER_HOURS = 20         # a teacher's weekly hours (pensum 18 + overtime)
PERIODS = 8                # lessons a day at most (9 and 10 only when a timetable does not fit)

CITIES = ("Kraków", "Poznań", "Wrocław", "Gdańsk", "Lublin", "Łódź", "Katowice", "Rzeszów", "Toruń")
PATRONS = ("Marii Skłodowskiej-Curie", "Jana Pawła II", "Adama Mickiewicza", "Mikołaja Kopernika",
           "Henryka Sienkiewicza", "Janusza Korczaka", "Tadeusza Kościuszki", "Juliusza Słowackiego",
           "Marii Konopnickiej")

# Weekly hours per grade (the framework curriculum of a Polish primary school, simplified).
EW, PL, MAT, ANG, NIEM, HIS, WOS, PRZ, BIO, GEO, CHEM, FIZ = (
    "Edukacja wczesnoszkolna", "Język polski", "Matematyka", "Język angielski", "Język niemiecki",
    "Historia", "Wiedza o społeczeństwie", "Przyroda", "Biologia", "Geografia", "Chemia", "Fizyka")
MUZ, PLA, TECH, INF, WF, REL, EDB, GW = (
    "Muzyka", "Plastyka", "Technika", "Informatyka", "Wychowanie fizyczne", "Religia",
    "Edukacja dla bezpieczeństwa", "Godzina wychowawcza")
SHORT = {EW: "EW", PL: "pol", MAT: "mat", ANG: "ang", NIEM: "niem", HIS: "his", WOS: "wos", PRZ: "przyr",
         BIO: "bio", GEO: "geo", CHEM: "chem", FIZ: "fiz", MUZ: "muz", PLA: "plast", TECH: "tech",
         INF: "inf", WF: "wf", REL: "rel", EDB: "edb", GW: "gw"}
EARLY = {EW: 16, WF: 3, ANG: 2, REL: 2}
CURRICULUM = {
    1: EARLY, 2: EARLY, 3: EARLY,
    4: {PL: 5, MAT: 4, ANG: 3, PRZ: 2, HIS: 1, MUZ: 1, PLA: 1, TECH: 1, INF: 1, WF: 4, REL: 2, GW: 1},
    5: {PL: 5, MAT: 4, ANG: 3, HIS: 2, BIO: 1, GEO: 1, MUZ: 1, PLA: 1, TECH: 1, INF: 1, WF: 4, REL: 2, GW: 1},
    6: {PL: 5, MAT: 4, ANG: 3, HIS: 2, BIO: 1, GEO: 1, MUZ: 1, PLA: 1, TECH: 1, INF: 1, WF: 4, REL: 2, GW: 1},
    7: {PL: 4, MAT: 4, ANG: 3, NIEM: 2, HIS: 2, BIO: 2, GEO: 2, CHEM: 2, FIZ: 2, MUZ: 1, PLA: 1, INF: 1,
        WF: 4, REL: 2, GW: 1},
    8: {PL: 5, MAT: 4, ANG: 3, NIEM: 2, HIS: 2, WOS: 2, BIO: 1, GEO: 1, CHEM: 2, FIZ: 2, INF: 1, EDB: 1,
        WF: 4, REL: 2, GW: 1},
}
NOT_GRADED = {GW}
# Subjects the class teacher of grades 1-3 teaches in the own class.
CLASS_TEACHER_SUBJECTS = {EW, WF}

# period -> (start, end)
BELLS = {0: ("07:10", "07:55"), 1: ("08:00", "08:45"), 2: ("08:55", "09:40"), 3: ("09:50", "10:35"),
         4: ("10:55", "11:40"), 5: ("11:50", "12:35"), 6: ("12:45", "13:30"), 7: ("13:40", "14:25"),
         8: ("14:35", "15:20"), 9: ("15:30", "16:15"), 10: ("16:25", "17:10")}

TOPIC_WORDS = ("wprowadzenie", "ćwiczenia", "powtórzenie wiadomości", "praca z tekstem", "praca w grupach",
               "rozwiązywanie zadań", "omówienie sprawdzianu", "utrwalenie", "projekt", "lekcja powtórzeniowa")
GRADE_CATEGORIES = (("sprawdzian", 0.2), ("kartkówka", 0.3), ("odpowiedź ustna", 0.15),
                    ("praca domowa", 0.2), ("aktywność", 0.15))
BEHAVIOUR = (("wzorowe", 0.15), ("bardzo dobre", 0.35), ("dobre", 0.3), ("poprawne", 0.13),
             ("nieodpowiednie", 0.05), ("naganne", 0.02))


# ------------------------------------------------------------------------------------ calendar

def _easter(year):
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = ((h + ell - 7 * m + 114) % 31) + 1
    return date(year, month, day)


def last_complete_start_year(today):
    return today.year - 1 if today.month >= 7 else today.year - 2


def school_calendar(start_year):
    """The school year starting in September of ``start_year``: its dates, two terms, the days off
    (ranges with a title) and the school days."""
    starts = date(start_year, 9, 1)
    while starts.weekday() >= 5:
        starts += timedelta(days=1)
    ends = date(start_year + 1, 6, 30)
    while ends.weekday() != 4:
        ends -= timedelta(days=1)
    y2 = start_year + 1
    easter = _easter(y2)
    jan = date(y2, 1, 1)
    third_monday = jan + timedelta(days=(7 - jan.weekday()) % 7 + 14)
    corpus = easter + timedelta(days=60)
    days_off = [
        (date(start_year, 11, 1), None, "Wszystkich Świętych"),
        (date(start_year, 11, 10), None, "Dzień wolny od zajęć dydaktycznych"),
        (date(start_year, 11, 11), None, "Narodowe Święto Niepodległości"),
        (date(start_year, 12, 22), date(start_year, 12, 31), "Zimowa przerwa świąteczna"),
        (jan, None, "Nowy Rok"),
        (date(y2, 1, 6), None, "Święto Trzech Króli"),
        (third_monday, third_monday + timedelta(days=13), "Ferie zimowe"),
        (easter - timedelta(days=3), easter + timedelta(days=2), "Wiosenna przerwa świąteczna"),
        (date(y2, 5, 1), date(y2, 5, 3), "Majówka (1-3 maja)"),
        (corpus, corpus + timedelta(days=1), "Boże Ciało"),
    ]
    off = set()
    for first, last, _ in days_off:
        d = first
        while d <= (last or first):
            off.add(d)
            d += timedelta(days=1)
    school_days = []
    d = starts
    while d <= ends:
        if d.weekday() < 5 and d not in off:
            school_days.append(d)
        d += timedelta(days=1)
    terms = [{"name": "Okres 1", "starts_on": starts, "ends_on": date(y2, 1, 31)},
             {"name": "Okres 2", "starts_on": date(y2, 2, 1), "ends_on": ends}]
    # Only the ranges that fall on school days matter (a Saturday holiday changes nothing).
    days_off = [(a, b, t) for a, b, t in days_off
                if any(starts <= x <= ends and x.weekday() < 5
                       for x in (a + timedelta(days=i) for i in range(((b or a) - a).days + 1)))]
    return {"name": f"{start_year}/{y2}", "starts_on": starts, "ends_on": ends, "terms": terms,
            "days_off": days_off, "school_days": school_days}


# ------------------------------------------------------------------------------------ people

def _surname(pair, gender):
    return pair[0] if gender == "m" else pair[1]


def _account(login, roles, first, last, **extra):
    return {"login": login, "roles": list(roles), "first_name": first, "last_name": last, **extra}


def _class_layout(students, rng):
    """Class names per grade (1..8) for a school of ``students``: classes of 25-30."""
    n = max(1, round(students / CLASS_SIZE))
    if n < 8:
        grades = sorted({1 + round(i * 7 / (n - 1)) for i in range(n)}) if n > 1 else [4]
        per_grade = {g: (1 if g in grades else 0) for g in range(1, 9)}
    else:
        per_grade = {g: n // 8 for g in range(1, 9)}
        extra = rng.sample(range(1, 9), n % 8)
        for g in extra:
            per_grade[g] += 1
    names = []
    for g in range(1, 9):
        names += [(g, f"{g}{'abcdefghij'[i]}") for i in range(per_grade[g])]
    sizes = [students // n + (1 if i < students % n else 0) for i in range(n)]
    return [{"grade": g, "name": name, "size": size} for (g, name), size in zip(names, sizes)]


def _assign_teachers(sk, classes, rng, names):
    """Teachers per subject from the hours to teach; the class teachers of grades 1-3 teach early
    education and PE in their own class. Returns (teachers, {(class, subject): login}, class
    teacher per class)."""
    teachers, assign, class_teacher = [], {}, {}
    loads = {}

    def new_teacher(subjects):
        n = len(teachers) + 1
        gender = rng.choice("ffffm")   # most teachers in Polish primary schools are women
        first, last = names(gender)
        t = _account(f"{sk}.n{n:03d}", ["teacher"], first, last, subjects=sorted(subjects))
        teachers.append(t)
        loads[t["login"]] = 0
        return t

    for c in classes:
        if c["grade"] <= 3:
            t = new_teacher(CLASS_TEACHER_SUBJECTS)
            t["roles"] = ["class_teacher", "teacher"]
            class_teacher[c["name"]] = t["login"]
            for subject in CLASS_TEACHER_SUBJECTS:
                assign[(c["name"], subject)] = t["login"]
                loads[t["login"]] += CURRICULUM[c["grade"]][subject]
    hours = {}
    for c in classes:
        for subject, h in CURRICULUM[c["grade"]].items():
            if (c["name"], subject) not in assign and subject != GW:
                hours[subject] = hours.get(subject, 0) + h
    pools = {}
    for subject in sorted(hours):
        count = max(1, math.ceil(hours[subject] / TEACHER_HOURS))
        pools[subject] = [new_teacher({subject}) for _ in range(count)]
    for c in classes:
        for subject in sorted(CURRICULUM[c["grade"]]):
            if (c["name"], subject) in assign or subject == GW:
                continue
            pool = pools[subject]
            t = min(pool, key=lambda x: (loads[x["login"]], x["login"]))
            assign[(c["name"], subject)] = t["login"]
            loads[t["login"]] += CURRICULUM[c["grade"]][subject]
    # Class teachers of grades 4-8: a teacher of the class (Polish, maths...) who is not one yet;
    # they also have the class's homeroom hour (godzina wychowawcza).
    by_login = {t["login"]: t for t in teachers}
    for c in classes:
        if c["grade"] <= 3:
            continue
        taught = [assign[(c["name"], s)] for s in (PL, MAT, ANG, HIS, BIO, GEO, PRZ, INF, WF)
                  if (c["name"], s) in assign]
        free = [t for t in taught if "class_teacher" not in by_login[t]["roles"]] or taught
        ct = free[0]
        by_login[ct]["roles"] = ["class_teacher", "teacher"]
        class_teacher[c["name"]] = ct
        assign[(c["name"], GW)] = ct
    return teachers, assign, class_teacher


def _timetable(classes, assign, rng):
    """A weekly timetable per class without clashes (a class or a teacher in two places): each
    class's days are filled from period 1 with a lesson whose teacher is free, at most two of one
    subject a day. Returns {class name: [(weekday, period, subject, teacher login)]}."""
    busy = set()   # (teacher, weekday, period)
    out = {}
    order = list(classes)
    rng.shuffle(order)
    order.sort(key=lambda c: -sum(CURRICULUM[c["grade"]].values()))
    for c in order:
        units = []
        for subject, h in CURRICULUM[c["grade"]].items():
            units += [(subject, assign[(c["name"], subject)])] * h
        rng.shuffle(units)
        total = len(units)
        per_day = [total // 5 + (1 if i < total % 5 else 0) for i in range(5)]
        rng.shuffle(per_day)
        slots, placed_by_day = [], {d: {} for d in range(1, 6)}
        for day in range(1, 6):
            want, period = per_day[day - 1], 1
            while want > 0 and period <= PERIODS and units:
                pick = None
                for i, (subject, teacher) in enumerate(units):
                    if (teacher, day, period) in busy or placed_by_day[day].get(subject, 0) >= 2:
                        continue
                    pick = i
                    break
                if pick is not None:
                    subject, teacher = units.pop(pick)
                    busy.add((teacher, day, period))
                    placed_by_day[day][subject] = placed_by_day[day].get(subject, 0) + 1
                    slots.append((day, period, subject, teacher))
                    want -= 1
                period += 1
        taken = {(d, p) for d, p, _, _ in slots}
        for subject, teacher in units:   # what did not fit: the first free slot of the week
            spot = next(((d, p) for p in range(1, 11) for d in range(1, 6)
                         if (d, p) not in taken and (teacher, d, p) not in busy), None)
            if spot is None:
                raise RuntimeError(f"timetable of class {c['name']} does not fit")
            busy.add((teacher, *spot))
            taken.add(spot)
            slots.append((*spot, subject, teacher))
        out[c["name"]] = sorted(slots)
    return out


def build_school(seed, index, size, login_parents=0):
    sk = f"sp{index + 1}"
    rng = random.Random(f"{seed}|school|{sk}")
    surnames = list(SURNAMES)
    rng.shuffle(surnames)

    def adult_names(gender, pair=None):
        pair = pair or rng.choice(surnames)
        return rng.choice(ADULT_F if gender == "f" else ADULT_M), _surname(pair, gender)

    city = CITIES[index % len(CITIES)]
    school = {"key": sk, "size": size, "city": city,
              "name": f"Szkoła Podstawowa nr {index + 1} im. {PATRONS[index % len(PATRONS)]}",
              "short_name": sk}
    classes = _class_layout(size, rng)
    teachers, assign, class_teacher = _assign_teachers(sk, classes, rng, adult_names)
    staff = [
        _account(f"{sk}.admin", ["school_admin"], *adult_names(rng.choice("fm"))),
        _account(f"{sk}.dyrektor", ["director"], *adult_names(rng.choice("fm"))),
        _account(f"{sk}.sekretariat", ["secretary"], *adult_names("f")),
    ]
    if len(classes) >= 20:
        staff.append(_account(f"{sk}.wicedyrektor", ["vice_director"], *adult_names(rng.choice("fm"))))
    # Students, families (siblings share parents), parents.
    students, parents, guardianships = [], [], []
    families = []
    n = 0
    for c in classes:
        c["students"] = []
        for _ in range(c["size"]):
            n += 1
            gender = rng.choice("fm")
            if families and rng.random() < SIBLING_SHARE:
                family = rng.choice(families)
            else:
                family = {"surname": rng.choice(surnames), "children": []}
                families.append(family)
            first = rng.choice(CHILD_F if gender == "f" else CHILD_M)
            s = _account(f"{sk}.u{n:04d}", ["student"], first, _surname(family["surname"], gender),
                         class_name=c["name"])
            students.append(s)
            family["children"].append(s["login"])
            c["students"].append(s["login"])
    for family in families:
        genders = [rng.choice("fm")] if rng.random() < SINGLE_PARENT_SHARE else ["f", "m"]
        for gender in genders:
            p = _account(f"{sk}.r{len(parents) + 1:04d}", ["parent"], *adult_names(gender, family["surname"]),
                         children=list(family["children"]))
            parents.append(p)
            guardianships += [(p["login"], child) for child in family["children"]]
    # Passwords (argon2id, deliberately slow to hash): staff set theirs; of the parents, those
    # the benchmarks log in; students and the other parents are created without one, the way
    # accounts wait for their activation codes (ACC-5).
    for a in staff + teachers:
        a["password"] = True
    for i, p in enumerate(parents):
        p["password"] = i < login_parents
    for st in students:
        st["password"] = False
    for c in classes:
        c["class_teacher"] = class_teacher[c["name"]]
        c["room"] = str(100 + classes.index(c))
    subjects = sorted({s for c in classes for s in CURRICULUM[c["grade"]]})
    school.update(staff=staff, teachers=teachers, students=students, parents=parents,
                  guardianships=guardianships, classes=classes, subjects=subjects, assign=assign,
                  timetable=_timetable(classes, assign, rng))
    # Per-student traits used by the activity: ability (grades), health (absences), religion.
    traits = {}
    for s in students:
        traits[s["login"]] = {
            "ability": min(5.6, max(1.8, rng.gauss(3.8, 0.75))),
            # the chance that a school day starts a spell of illness (spells last 1-5 days)
            "sick": min(0.12, max(0.0, rng.gammavariate(2.0, 0.015))),
            "no_religion": rng.random() < 0.1,
            "late_prone": rng.random() < 0.15,
        }
    school["traits"] = traits
    return school


def build_plan(seed=42, scale="small", schools=None, start_year=None, today=None, login_parents=None,
               activity_days=None):
    spec = SCALES[scale]
    today = today or date.today()
    start_year = start_year if start_year is not None else last_complete_start_year(today)
    cal = school_calendar(start_year)
    count = schools or len(spec["sizes"])
    sizes = [spec["sizes"][i % len(spec["sizes"])] for i in range(count)]
    benchmark_day = cal["school_days"][-1]
    days = cal["school_days"][:-1]
    limit = activity_days or spec["activity_days"]
    if limit:
        days = days[:limit]
    if days and days[-1] >= today:
        raise ValueError(f"the school year {cal['name']} is not over on {today}; pick an earlier one")
    rng = random.Random(f"{seed}|association")
    head = rng.choice(ADULT_F), rng.choice(SURNAMES)[1]
    return {
        "seed": seed, "scale": scale, "password": PASSWORD,
        "association_admin": _account(ASSOCIATION_ADMIN_LOGIN, ["association_admin"], *head),
        "year": cal, "activity_days": days, "benchmark_day": benchmark_day,
        "schools": [build_school(seed, i, size, _login_parents(login_parents, spec, size == max(sizes)))
                    for i, size in enumerate(sizes)],
    }


def _login_parents(given, spec, largest):
    if given is not None:
        return given
    return spec["login_parents"][0 if largest else 1]


# ------------------------------------------------------------------------------------ activity

def day_statuses(plan, school):
    """Per student and school day (index into ``plan["activity_days"]``) a whole-day status:
    ``sick`` (an illness spell; spells are what class teachers justify) or ``school`` (away for
    the school: a competition, a trip). Returns ({login: {day_index: status}}, spells) with
    spells = [(login, [day indexes])]."""
    days = plan["activity_days"]
    out, spells = {}, []
    for s in school["students"]:
        rng = random.Random(f"{plan['seed']}|days|{s['login']}")
        t = school["traits"][s["login"]]
        status = {}
        i = 0
        while i < len(days):
            if rng.random() < t["sick"]:
                length = min(len(days) - i, 1 + min(4, int(rng.expovariate(0.6))))
                idx = list(range(i, i + length))
                for j in idx:
                    status[j] = "sick"
                spells.append((s["login"], idx))
                i += length
                continue
            if rng.random() < 0.003:
                status[i] = "school"
            i += 1
        out[s["login"]] = status
    return out, spells


def lesson_entries(plan, school, statuses, class_name, day_index, period, subject):
    """The attendance of one lesson: [(student login, category)] for everyone not present (the
    rest get the default, present)."""
    rng = random.Random(f"{plan['seed']}|lesson|{school['key']}|{class_name}|{day_index}|{period}")
    out = []
    cls = next(c for c in school["classes"] if c["name"] == class_name)
    for login in cls["students"]:
        day = statuses[login].get(day_index)
        t = school["traits"][login]
        r = rng.random()
        if day == "sick":
            out.append((login, "absent"))
        elif day == "school":
            out.append((login, "school_reasons"))
        elif subject == REL and t["no_religion"]:
            out.append((login, "released"))
        elif r < 0.006:
            out.append((login, "absent"))          # a single lesson missed (left early, skipped)
        elif r < 0.006 + (0.06 if period <= 1 else 0.012) * (2.5 if t["late_prone"] else 1):
            out.append((login, "late"))
    return out


def grade_value(rng, ability):
    v = min(6, max(1, round(rng.gauss(ability, 0.85))))
    mod = ""
    if 2 <= v <= 5:
        r = rng.random()
        mod = "+" if r < 0.12 else "-" if r < 0.24 else ""
    return f"{v}{mod}"


def grade_columns(plan, school, class_name, subject):
    """The columns of grades of a class in a subject: [(category, day index, description,
    [(student, value)])]: 11-21 columns, each student graded in about 92 % of them, so a student
    has 10-20 partial grades per subject."""
    rng = random.Random(f"{plan['seed']}|grades|{school['key']}|{class_name}|{subject}")
    cls = next(c for c in school["classes"] if c["name"] == class_name)
    ndays = len(plan["activity_days"])
    k = rng.randint(11, 21)
    cats = [c for c, _ in GRADE_CATEGORIES]
    weights = [w for _, w in GRADE_CATEGORIES]
    out = []
    for i in range(k):
        cat = rng.choices(cats, weights)[0]
        day = min(ndays - 1, int((i + rng.random()) * ndays / k))
        values = []
        for login in cls["students"]:
            if rng.random() < 0.92:
                offset = (hash_offset(login, subject) - 0.5) * 0.8
                values.append((login, grade_value(rng, school["traits"][login]["ability"] + offset)))
        if not values:
            values.append((cls["students"][0], grade_value(rng, 4)))
        out.append((cat, day, f"{cat.capitalize()} {i + 1}", values))
    return out


def hash_offset(login, subject):
    """A stable number in [0, 1) per student and subject (talents differ by subject)."""
    return random.Random(f"{login}|{subject}").random()


def final_value(values):
    """A whole grade from the partial grades' plain mean (what a teacher would propose)."""
    nums = []
    for v in values:
        base = int(v[0])
        nums.append(base + (0.5 if v.endswith("+") else -0.25 if v.endswith("-") else 0))
    mean = sum(nums) / len(nums) if nums else 3
    return str(min(6, max(1, int(mean + 0.5))))


def behaviour_value(rng):
    return rng.choices([b for b, _ in BEHAVIOUR], [w for _, w in BEHAVIOUR])[0]


def topic_of(subject, n, rng):
    return f"{subject}: {rng.choice(TOPIC_WORDS)} (lekcja {n})"
