"""Demo data: one association with two schools, loaded through the services' own RPC API.

    python -m scripts.demo_data              load (idempotent), then print the demo logins
    python -m scripts.demo_data --no-table   load, print progress only
    python -m scripts.demo_data --table      print the demo logins only (no broker needed)

The services must be running (``scripts/start`` runs this after they answer their health RPC);
``AMQP_URI`` selects the broker and vhost. Every record is created the way a user would create
it, so the services' permission checks run: the system context creates the association
administrator only; the association administrator creates the schools and their administrators;
each school administrator creates the rest of the school; a teacher sends the note (UWAGA).

What is loaded is fixed: names come from fixed lists through a seeded random generator, so the
logins and names are the same on every machine (``build_plan``, no broker needed). Loading is
idempotent: what already exists (the same login, school short name or class name) is looked up
instead of created, so running it twice changes nothing; ``scripts/start`` runs it every time.
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
        for role, label, label_pl in ROLE_ROWS[1:]:
            of_kind = [a for a in accounts if a["kind"] == role]
            first = of_kind[0]
            remark = ""
            if len(of_kind) > 1:
                remark = f"also {', '.join(a['login'] for a in of_kind[1:])}" if len(of_kind) <= 3 \
                    else f"… {of_kind[-1]['login']} ({len(of_kind)} accounts)"
            if role == "class_teacher":
                remark = f"class {first['class_name']}; " + remark
            elif role == "parent":
                kids = ", ".join(f"{c} ({by_login[c]['class_name']})" for c in first["children"])
                remark = f"children: {kids}; {remark}"
            elif role == "student":
                remark = f"class {first['class_name']}, a note in the file; {remark}"
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


def load(amqp_uri=None, log=print, today=None):
    """Load the demo data; return the logins table (``logins_table``)."""
    import services  # noqa: F401  (silences eventlet's deprecation warning)
    import services.common.errors  # noqa: F401  (typed errors deserialise to their classes)
    from services.common import config
    from services.common.errors import Conflict, Unauthenticated

    amqp_uri = amqp_uri or config.get("AMQP_URI")
    today = today or date.today()
    plan = build_plan()
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
                classes[klass["name"]]["id"], {"student_id": accounts[s]["id"]}))
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
                continue
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

        n_accounts = len(all_accounts(plan))
        if total.created == 0:
            log(f"demo data already loaded ({n_accounts} accounts, {len(plan['schools'])} schools; nothing changed)")
        else:
            log(f"demo data loaded in {time.monotonic() - t0:.1f} s: {n_accounts} accounts, "
                f"{len(plan['schools'])} schools ({total.created} records created, {total.found} already there)")
        _write_accounts_file(plan, config.data_dir(), today)
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
        rows = load(uri)
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
