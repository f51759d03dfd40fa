"""Loading a plan (``plan.build_plan``) through the services' own RPC API, phase by phase.

Every record is created the way a user creates it, so every permission check and rule runs:
the system context creates the association administrator only; the association administrator
creates the schools and their administrators; each school's administrator, secretary and
director create the rest; teachers enter topics, attendance and grades of their own lessons;
class teachers justify absences; parents send e-justifications, write and read messages.

Each phase runs its calls on a thread pool (one standalone proxy per thread, ``rpc.RpcClient``),
in parallel where the calls are independent, and reports how long it took.
"""
import json
import os
import random
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from services.common.errors import Conflict

from . import plan as P
from .progress import Progress
from .rpc import SYSTEM, ctx_of

MAX_ERRORS = 20


class LoadError(RuntimeError):
    pass


def _iso(d):
    return d.isoformat()


class Loader:
    def __init__(self, plan, rpc, workers=8, log=lambda m: print(m, flush=True), progress=True, amqp_uri=None, streams=True):
        self.plan, self.rpc, self.workers, self.log = plan, rpc, workers, log
        self.progress = progress
        self.streams = streams
        self._tty = None          # None: the progress bar decides; False: one line per 10 %
        self._here = threading.local()
        self._phase_calls = {}
        self.started = time.monotonic()
        self.amqp_uri = amqp_uri
        self.phases = []
        self.counts = {}
        self.acc = {}            # login -> account (id, school_id, roles...)
        self.by_id = {}          # account id -> account
        self.schools = {}        # school key -> state
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ helpers

    def count(self, name, n=1):
        with self._lock:
            self.counts[name] = self.counts.get(name, 0) + n

    def call(self, who, service, method, *args, **kwargs):
        ctx = who if isinstance(who, dict) and "login" not in who else ctx_of(who)
        out = self.rpc.call(ctx, service, method, *args, **kwargs)
        phase = getattr(self._here, "phase", None)
        if phase is not None:
            with self._lock:
                self._phase_calls[phase] = self._phase_calls.get(phase, 0) + 1
        return out

    def as_login(self, login):
        return self.acc[login]

    def phase(self, name, tasks, what=None):
        """Run ``tasks`` (callables) on the pool with a progress bar; record the phase."""
        tasks = list(tasks)
        retries0 = self.rpc.retries
        bar = Progress(name, len(tasks), enabled=self.progress)
        if self._tty is False:
            bar.tty = False
        errors = []
        started = time.monotonic()

        def run(task):
            self._here.phase = name
            try:
                task()
            except Exception as exc:   # noqa: BLE001  (reported below)
                bar.update(error=True)
                with self._lock:
                    errors.append(exc)
                raise
            bar.update()

        if tasks:
            with ThreadPoolExecutor(self.workers, thread_name_prefix=f"dg-{name}") as pool:
                pending = {pool.submit(run, t) for t in tasks}
                while pending:
                    done, pending = wait(pending, timeout=1.0, return_when=FIRST_EXCEPTION)
                    if len(errors) > MAX_ERRORS:
                        for f in pending:
                            f.cancel()
                        break
        bar.close()
        seconds = time.monotonic() - started
        calls = self._phase_calls.get(name, 0)
        record = {"phase": name, "what": what or name, "tasks": len(tasks), "rpc_calls": calls,
                  "retries": self.rpc.retries - retries0, "seconds": round(seconds, 2),
                  "calls_per_s": round(calls / seconds, 1) if seconds > 0 else None,
                  "errors": len(errors), "stream": getattr(self._here, "stream", None),
                  "started_at_s": round(started - self.started, 1)}
        self.phases.append(record)
        if errors:
            first = errors[0]
            raise LoadError(f"phase {name}: {len(errors)} failed task(s); first: "
                            f"{type(first).__name__}: {first}")
        return record

    def _store_account(self, planned, out):
        acc = dict(planned, id=out["id"], school_id=out.get("school_id"), roles=out.get("roles") or planned["roles"])
        with self._lock:
            self.acc[acc["login"]] = acc
            self.by_id[acc["id"]] = acc
        return acc

    def _payload(self, a, school_id):
        return {"school_id": school_id, "login": a["login"], "first_name": a["first_name"],
                "last_name": a["last_name"], "roles": a["roles"],
                "password": self.plan["password"] if a.get("password", True) else None}

    # ------------------------------------------------------------------ phases

    def run(self):
        t0 = self.started = time.monotonic()
        self.bootstrap()
        self.accounts()
        self.guardians()
        self.structure()
        self.classes()
        self.timetable()
        self.lessons()
        lessons_stream = (self.topics, self.attendance, self.justifications)
        grades_stream = (self.grades, self.finals)
        if self.streams:
            # The two streams use different services (scheduling and attendance; grades), so they
            # run side by side: each service process uses one core at most.
            self._tty = False
            self.log("  two streams side by side: lessons (topics, attendance, justifications) "
                     "and grades (partial, final)")
            failures = []

            def stream(name, steps):
                self._here.stream = name
                try:
                    for step in steps:
                        step()
                except Exception as exc:   # noqa: BLE001  (re-raised below)
                    failures.append(exc)

            threads = [threading.Thread(target=stream, args=("lessons", lessons_stream), name="dg-lessons"),
                       threading.Thread(target=stream, args=("grades", grades_stream), name="dg-grades")]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self._tty = None
            if failures:
                raise failures[0]
        else:
            for step in lessons_stream + grades_stream:
                step()
        self.messages()
        self.reads()
        self.settle()
        self.total_seconds = round(time.monotonic() - t0, 1)
        return self.summary()

    def bootstrap(self):
        def task():
            aa_plan = self.plan["association_admin"]
            try:
                out = self.call(SYSTEM, "identity", "create_account", self._payload(aa_plan, None))
            except Conflict:
                raise LoadError(f"the account {aa_plan['login']} exists: load into empty databases "
                                f"(a fresh vhost and fresh databases)") from None
            aa = self._store_account(aa_plan, out)
            for s in self.plan["schools"]:
                school = self.call(aa, "identity", "create_school",
                                   {"name": s["name"], "short_name": s["short_name"], "city": s["city"]})
                st = self.schools[s["key"]] = {"id": school["id"], "plan": s, "classes": {}, "subjects": {},
                                                "categories": {}, "terms": [], "lessons": [], "bench": []}
                admin = s["staff"][0]
                self._store_account(admin, self.call(aa, "identity", "create_account",
                                                     self._payload(admin, st["id"])))
            self.count("schools", len(self.plan["schools"]))
        self.phase("schools", [task], "association administrator, schools and their administrators")

    def accounts(self):
        tasks = []
        for s in self.plan["schools"]:
            sid = self.schools[s["key"]]["id"]
            admin = self.acc[s["staff"][0]["login"]]
            for a in s["staff"][1:] + s["teachers"] + s["students"] + s["parents"]:
                def task(a=a, sid=sid, admin=admin):
                    self._store_account(a, self.call(admin, "identity", "create_account", self._payload(a, sid)))
                tasks.append(task)
            self.count("staff accounts", len(s["staff"]) + len(s["teachers"]))
            self.count("students", len(s["students"]))
            self.count("parents", len(s["parents"]))
            self.count("accounts with a password", sum(1 for a in s["staff"] + s["teachers"] + s["students"]
                                                       + s["parents"] if a.get("password")))
        self.phase("accounts", tasks, "staff, teachers, students and parents (identity.create_account, argon2id)")

    def guardians(self):
        tasks = []
        for s in self.plan["schools"]:
            sid = self.schools[s["key"]]["id"]
            secretary = self.acc[f"{s['key']}.sekretariat"]
            for parent, student in s["guardianships"]:
                def task(parent=parent, student=student, sid=sid, who=secretary):
                    self.call(who, "identity", "link_guardian", sid,
                              {"parent_id": self.acc[parent]["id"], "student_id": self.acc[student]["id"]})
                tasks.append(task)
            self.count("guardianships", len(s["guardianships"]))
        self.phase("guardians", tasks, "parent-child links (identity.link_guardian)")

    def structure(self):
        year = self.plan["year"]
        tasks = []
        for s in self.plan["schools"]:
            st = self.schools[s["key"]]
            admin, director = self.acc[f"{s['key']}.admin"], self.acc[f"{s['key']}.dyrektor"]

            def make_year(st=st, admin=admin):
                out = self.call(admin, "scheduling", "create_school_year", st["id"], {
                    "name": year["name"], "starts_on": _iso(year["starts_on"]), "ends_on": _iso(year["ends_on"]),
                    "terms": [{"name": t["name"], "starts_on": _iso(t["starts_on"]), "ends_on": _iso(t["ends_on"])}
                              for t in year["terms"]]})
                st["year_id"] = out["id"]
                st["terms"] = sorted(out["terms"], key=lambda t: t["starts_on"])
            tasks.append(make_year)
            for subject in s["subjects"]:
                def make_subject(subject=subject, st=st, admin=admin):
                    out = self.call(admin, "scheduling", "create_subject", st["id"],
                                    {"name": subject, "short_name": P.SHORT.get(subject)})
                    st["subjects"][subject] = out["id"]
                tasks.append(make_subject)

            def categories(st=st, director=director):
                cats = self.call(director, "grades", "install_default_categories", st["id"])
                st["categories"] = {c["name"]: c["id"] for c in cats}
            tasks.append(categories)
            for first, last, title in year["days_off"]:
                def day_off(first=first, last=last, title=title, st=st, director=director):
                    self.call(director, "scheduling", "add_calendar_event", st["id"], {
                        "kind": "day_off", "date": _iso(first), "ends_on": _iso(last) if last else None,
                        "title": title})
                tasks.append(day_off)
            self.count("subjects", len(s["subjects"]))
            self.count("calendar days off", len(year["days_off"]))
        self.phase("structure", tasks, "school years and terms, subjects, grade categories, days off")

    def classes(self):
        tasks = []
        for s in self.plan["schools"]:
            st = self.schools[s["key"]]
            admin = self.acc[f"{s['key']}.admin"]
            for c in s["classes"]:
                def make_class(c=c, st=st, admin=admin):
                    out = self.call(admin, "scheduling", "create_class", st["id"],
                                    {"name": c["name"], "class_teacher_id": self.acc[c["class_teacher"]]["id"]})
                    st["classes"][c["name"]] = out["id"]
                tasks.append(make_class)
            self.count("classes", len(s["classes"]))
        self.phase("classes", tasks, "classes with their class teachers (scheduling.create_class)")
        tasks = []
        starts = _iso(self.plan["year"]["starts_on"])
        for s in self.plan["schools"]:
            st = self.schools[s["key"]]
            secretary = self.acc[f"{s['key']}.sekretariat"]
            for c in s["classes"]:
                for login in c["students"]:
                    def enrol(login=login, cid=st["classes"][c["name"]], who=secretary):
                        self.call(who, "scheduling", "enrol_student", cid,
                                  {"student_id": self.acc[login]["id"], "enrolled_on": starts})
                    tasks.append(enrol)
        self.phase("enrolment", tasks, "class lists (scheduling.enrol_student)")

    def timetable(self):
        for term_index in (0, 1):
            tasks = []
            for s in self.plan["schools"]:
                st = self.schools[s["key"]]
                admin = self.acc[f"{s['key']}.admin"]
                term = st["terms"][term_index]
                room = {c["name"]: c["room"] for c in s["classes"]}
                for cname, slots in s["timetable"].items():
                    entries = [{"weekday": d, "period": p, "starts_at": P.BELLS[p][0], "ends_at": P.BELLS[p][1],
                                "subject_id": st["subjects"][subject], "teacher_id": self.acc[teacher]["id"],
                                "room": room[cname]} for d, p, subject, teacher in slots]

                    def task(cid=st["classes"][cname], term=term, entries=entries, admin=admin):
                        self.call(admin, "scheduling", "set_timetable", cid, term["id"],
                                  {"valid_from": term["starts_on"], "entries": entries})
                    tasks.append(task)
                if term_index == 0:
                    self.count("timetable entries (per term)", sum(len(v) for v in s["timetable"].values()))
            self.phase(f"timetable term {term_index + 1}", tasks, "weekly timetables (scheduling.set_timetable)")

    def lessons(self):
        days = self.plan["activity_days"]
        bench = self.plan["benchmark_day"]
        tasks = []
        for s in self.plan["schools"]:
            st = self.schools[s["key"]]
            for c in s["classes"]:
                teacher = self.acc[c["class_teacher"]]
                cid = st["classes"][c["name"]]
                for i, day in enumerate(days + [bench]):
                    def task(cid=cid, day=day, i=i, st=st, teacher=teacher, cname=c["name"]):
                        rows = self.call(teacher, "scheduling", "lessons_for", _iso(day), class_id=cid)
                        out = [(r["id"], cname, i, r["period"], r["teacher_id"], r["subject_id"]) for r in rows]
                        with self._lock:
                            (st["bench"] if day == bench else st["lessons"]).extend(out)
                    tasks.append(task)
        self.phase("lessons", tasks, "lessons of each class and school day made from the timetable (scheduling.lessons_for)")
        for st in self.schools.values():
            st["lessons"].sort(key=lambda x: (x[2], x[1], x[3]))
            self.count("lessons", len(st["lessons"]))
            self.count("lessons of the benchmark day", len(st["bench"]))

    def topics(self):
        tasks = []
        for key, st in self.schools.items():
            names = {v: k for k, v in st["subjects"].items()}
            counter = {}
            for lesson_id, cname, day, period, teacher_id, subject_id in st["lessons"]:
                n = counter[(cname, subject_id)] = counter.get((cname, subject_id), 0) + 1
                rng = random.Random(f"{self.plan['seed']}|topic|{lesson_id}")
                topic = P.topic_of(names[subject_id], n, rng)

                def task(lesson_id=lesson_id, teacher_id=teacher_id, topic=topic):
                    self.call(self.by_id[teacher_id], "scheduling", "enter_topic", lesson_id, {"topic": topic})
                tasks.append(task)
        self.phase("topics", tasks, "topics of the lessons held (scheduling.enter_topic, as the lesson's teacher)")

    def attendance(self):
        tasks = []
        for key, st in self.schools.items():
            s = st["plan"]
            statuses, spells = P.day_statuses(self.plan, s)
            st["spells"] = spells
            names = {v: k for k, v in st["subjects"].items()}
            sizes = {c["name"]: len(c["students"]) for c in s["classes"]}
            for lesson_id, cname, day, period, teacher_id, subject_id in st["lessons"]:
                entries = P.lesson_entries(self.plan, s, statuses, cname, day, period, names[subject_id])
                self.count("attendance entries", sizes[cname])
                for _, cat in entries:
                    self.count(f"attendance: {cat}")

                def task(lesson_id=lesson_id, teacher_id=teacher_id, entries=entries):
                    self.call(self.by_id[teacher_id], "attendance", "record_lesson_attendance", lesson_id, {
                        "entries": [{"student_id": self.acc[login]["id"], "category": cat} for login, cat in entries],
                        "default": "present"})
                tasks.append(task)
        self.phase("attendance", tasks, "attendance of every lesson held (attendance.record_lesson_attendance)")

    def justifications(self):
        days = self.plan["activity_days"]
        tasks = []
        for key, st in self.schools.items():
            s = st["plan"]
            class_of = {login: c for c in s["classes"] for login in c["students"]}
            parents_of = {}
            for parent, child in s["guardianships"]:
                parents_of.setdefault(child, []).append(parent)
            for n, (login, idx) in enumerate(st.get("spells", [])):
                rng = random.Random(f"{self.plan['seed']}|justify|{login}|{idx[0]}")
                r = rng.random()
                teacher = self.acc[class_of[login]["class_teacher"]]
                dates = [_iso(days[i]) for i in idx]
                if r < 0.65:
                    def task(login=login, dates=dates, teacher=teacher):
                        self.call(teacher, "attendance", "justify", {
                            "student_id": self.acc[login]["id"], "dates": dates,
                            "reason": "Choroba – zwolnienie lekarskie / oświadczenie rodzica."})
                    tasks.append(task)
                    self.count("justifications by the class teacher")
                elif r < 0.85 and parents_of.get(login):
                    parent = self.acc[parents_of[login][0]]

                    def task(login=login, dates=dates, teacher=teacher, parent=parent):
                        ej = self.call(parent, "attendance", "submit_e_justification", {
                            "student_id": self.acc[login]["id"], "date_from": dates[0], "date_to": dates[-1],
                            "reason": "Dziecko było chore, proszę o usprawiedliwienie nieobecności."})
                        self.call(teacher, "attendance", "decide_e_justification", ej["id"],
                                  {"accept": True, "comment": "Usprawiedliwiono."})
                    tasks.append(task)
                    self.count("e-justifications by parents (accepted)")
                else:
                    self.count("absence spells left unexcused")
        self.phase("justifications", tasks, "absences justified by class teachers and parents' e-justifications")

    def grades(self):
        days = self.plan["activity_days"]
        tasks = []
        for key, st in self.schools.items():
            s = st["plan"]
            st["partials"] = {}
            for c in s["classes"]:
                cid = st["classes"][c["name"]]
                for subject in sorted(P.CURRICULUM[c["grade"]]):
                    if subject in P.NOT_GRADED:
                        continue
                    teacher = self.acc[s["assign"][(c["name"], subject)]]
                    for cat, day, desc, values in P.grade_columns(self.plan, s, c["name"], subject):
                        for login, v in values:
                            st["partials"].setdefault((login, subject), []).append(v)
                        self.count("partial grades", len(values))
                        self.count("grade columns")

                        def task(cid=cid, subject=subject, cat=cat, day=day, desc=desc, values=values,
                                 teacher=teacher, st=st):
                            self.call(teacher, "grades", "add_grade_column", cid, st["subjects"][subject], {
                                "category_id": st["categories"][cat], "date": _iso(days[day]),
                                "description": desc,
                                "grades": [{"student_id": self.acc[login]["id"], "value": v} for login, v in values]})
                        tasks.append(task)
        self.phase("grades", tasks, "partial grades, one column per test for a class (grades.add_grade_column)")

    def finals(self):
        """Predicted and annual grades of every student, a column per class and subject (and
        behaviour), as the teacher types them down the class's grid; the annual ones accepted."""
        year = self.plan["year"]["name"]
        tasks = []
        for key, st in self.schools.items():
            s = st["plan"]
            for c in s["classes"]:
                ct = self.acc[c["class_teacher"]]
                cid = st["classes"][c["name"]]
                columns = {}      # subject (None: behaviour) -> (teacher, predicted entries, final entries)
                for login in c["students"]:
                    rng = random.Random(f"{self.plan['seed']}|finals|{login}")
                    for subject in sorted(P.CURRICULUM[c["grade"]]):
                        if subject in P.NOT_GRADED:
                            continue
                        predicted = P.final_value(st["partials"].get((login, subject), []))
                        final = predicted if rng.random() < 0.85 else str(
                            min(6, max(1, int(predicted) + rng.choice((-1, 1)))))
                        col = columns.setdefault(subject, (self.acc[s["assign"][(c["name"], subject)]], [], []))
                        col[1].append((login, predicted))
                        col[2].append((login, final))
                    behaviour = P.behaviour_value(rng)
                    col = columns.setdefault(None, (ct, [], []))
                    col[1].append((login, behaviour))
                    col[2].append((login, behaviour))
                for subject, (teacher, predicted, final) in columns.items():
                    self.count("final grades (predicted and annual)", len(predicted) + len(final))

                    def task(subject=subject, teacher=teacher, predicted=predicted, final=final, cid=cid, st=st):
                        subject_id = st["subjects"][subject] if subject else None
                        for kind, entries, accept in (("predicted_annual", predicted, False), ("annual", final, True)):
                            self.call(teacher, "grades", "set_final_grade_column", cid, {
                                "kind": kind, "subject_id": subject_id, "school_year": year, "accept": accept,
                                "grades": [{"student_id": self.acc[login]["id"], "value": v} for login, v in entries]})
                    tasks.append(task)
        self.phase("finals", tasks, "predicted and annual grades by class and subject, the annual ones accepted "
                                    "(grades.set_final_grade_column)")

    def messages(self):
        """Announcements, class messages to parents, single messages both ways, notes (UWAGA)."""
        ndays = len(self.plan["activity_days"])
        tasks = []
        self.sent = []   # (message id holder, [recipient logins])
        for key, st in self.schools.items():
            s = st["plan"]
            rng = random.Random(f"{self.plan['seed']}|messages|{key}")
            director = self.acc[f"{key}.dyrektor"]
            parents_of = {}
            for parent, child in s["guardianships"]:
                parents_of.setdefault(child, []).append(parent)
            for day in range(ndays):
                if rng.random() < 0.1:
                    def announce(director=director, n=day):
                        self.call(director, "messaging", "publish_announcement", {
                            "title": f"Ogłoszenie dyrekcji nr {n + 1}",
                            "body": "Informujemy o zmianach w organizacji pracy szkoły w przyszłym tygodniu.",
                            "audience": {"whole_school": True}})
                    tasks.append(announce)
                    self.count("announcements")
                for c in s["classes"]:
                    ct = self.acc[c["class_teacher"]]
                    cid = st["classes"][c["name"]]
                    class_parents = [p for login in c["students"] for p in parents_of.get(login, [])]
                    if rng.random() < 0.05:
                        holder = {}
                        self.sent.append((holder, class_parents))

                        def to_class(ct=ct, cid=cid, holder=holder, n=day):
                            out = self.call(ct, "messaging", "send_message", {
                                "subject": f"Informacja dla rodziców (dzień {n + 1})",
                                "body": "Szanowni Państwo, przypominam o zebraniu i terminie wycieczki.",
                                "groups": [{"kind": "class_parents", "class_id": cid}]})
                            holder["id"] = out["id"]
                        tasks.append(to_class)
                        self.count("messages to a class's parents")
                    if rng.random() < 0.04:
                        student = rng.choice(c["students"])
                        subject = rng.choice([x for x in P.CURRICULUM[c["grade"]] if x != P.GW])
                        teacher = self.acc[s["assign"][(c["name"], subject)]]
                        parent = rng.choice(parents_of.get(student) or [None])
                        if parent:
                            holder = {}
                            self.sent.append((holder, [parent]))

                            def to_parent(teacher=teacher, parent=parent, holder=holder, subject=subject):
                                out = self.call(teacher, "messaging", "send_message", {
                                    "subject": f"{subject}: prośba o kontakt",
                                    "body": "Proszę o kontakt w sprawie postępów dziecka.",
                                    "recipient_ids": [self.acc[parent]["id"]]})
                                holder["id"] = out["id"]
                            tasks.append(to_parent)
                            self.count("messages from teachers to parents")
                    if rng.random() < 0.05:
                        student = rng.choice(c["students"])
                        parent = rng.choice(parents_of.get(student) or [None])
                        if parent:
                            def from_parent(parent=parent, ct=ct):
                                self.call(self.acc[parent], "messaging", "send_message", {
                                    "subject": "Nieobecność dziecka",
                                    "body": "Dzień dobry, informuję, że jutro syn/córka będzie u lekarza.",
                                    "recipient_ids": [ct["id"]]})
                            tasks.append(from_parent)
                            self.count("messages from parents to class teachers")
                    if rng.random() < 0.08:
                        student = rng.choice(c["students"])
                        subject = rng.choice([x for x in P.CURRICULUM[c["grade"]] if x != P.GW])
                        teacher = self.acc[s["assign"][(c["name"], subject)]]
                        kind = rng.choices(("positive", "negative", "neutral"), (0.4, 0.45, 0.15))[0]
                        holder = {}
                        self.sent.append((holder, parents_of.get(student, [])))

                        def note(teacher=teacher, student=student, kind=kind, holder=holder):
                            out = self.call(teacher, "messaging", "send_message", {
                                "kind": "note", "student_id": self.acc[student]["id"], "note_kind": kind,
                                "note_category": "zachowanie" if kind == "negative" else "zaangażowanie",
                                "subject": "Uwaga" if kind == "negative" else "Pochwała",
                                "body": ("Uczeń przeszkadzał na lekcji." if kind == "negative"
                                         else "Uczeń aktywnie pracował na lekcji.")})
                            holder["id"] = out["id"]
                        tasks.append(note)
                        self.count("notes (UWAGA)")
        self.phase("messages", tasks, "announcements, messages and notes (messaging.send_message...)")

    def reads(self):
        tasks = []
        for holder, recipients in self.sent:
            if "id" not in holder:
                continue
            for login in recipients:
                rng = random.Random(f"{self.plan['seed']}|read|{holder['id']}|{login}")
                if rng.random() < 0.7:
                    def task(login=login, message_id=holder["id"]):
                        self.call(self.acc[login], "messaging", "read_message", message_id)
                    tasks.append(task)
        self.count("messages read by parents (read receipts)", len(tasks))
        self.phase("reads", tasks, "parents opening their messages (messaging.read_message)")

    def settle(self, timeout=3600):
        """Wait until every service's outbox is published and the vhost's queues are empty: the
        events of the load (audit log, notes to student files...) are handled."""
        from services.common.config import SERVICES
        started = time.monotonic()
        bar = Progress("settle", 1, enabled=self.progress)
        quiet = 0
        last = None
        while time.monotonic() - started < timeout:
            backlog = 0
            for svc in SERVICES:
                try:
                    backlog += int(self.call(SYSTEM, svc, "health").get("outbox_backlog") or 0)
                except Exception:   # noqa: BLE001
                    backlog += 1
            queued = queue_depth(self.amqp_uri) if self.amqp_uri else 0
            last = (backlog, queued)
            if backlog == 0 and (queued or 0) == 0:
                quiet += 1
                if quiet >= 2:
                    break
            else:
                quiet = 0
            time.sleep(1.0)
        bar.update()
        bar.close()
        self.phases.append({"phase": "settle", "what": "outbox published and event queues drained",
                            "tasks": 0, "rpc_calls": 0, "retries": 0,
                            "seconds": round(time.monotonic() - started, 2), "calls_per_s": None,
                            "errors": 0 if last == (0, 0) else 1, "left": last})

    # ------------------------------------------------------------------ output

    def summary(self):
        return {"seed": self.plan["seed"], "scale": self.plan["scale"], "year": self.plan["year"]["name"],
                "activity_days": len(self.plan["activity_days"]), "benchmark_day": _iso(self.plan["benchmark_day"]),
                "phases": self.phases, "counts": dict(sorted(self.counts.items())),
                "rpc_calls": self.rpc.calls, "retries": self.rpc.retries, "streams": self.streams,
                "seconds": getattr(self, "total_seconds", None)}

    def manifest(self):
        """What the benchmarks need: ids, logins, the benchmark day's lessons."""
        out = {"password": self.plan["password"], "year": self.plan["year"]["name"],
               "year_starts_on": _iso(self.plan["year"]["starts_on"]),
               "year_ends_on": _iso(self.plan["year"]["ends_on"]),
               "activity_from": _iso(self.plan["activity_days"][0]),
               "activity_to": _iso(self.plan["activity_days"][-1]),
               "benchmark_day": _iso(self.plan["benchmark_day"]),
               "association_admin": _pub(self.acc[self.plan["association_admin"]["login"]]),
               "schools": []}
        for key, st in self.schools.items():
            s = st["plan"]
            out["schools"].append({
                "key": key, "id": st["id"], "name": s["name"], "students": len(s["students"]),
                "year_id": st.get("year_id"),
                "staff": {a["login"]: _pub(self.acc[a["login"]]) for a in s["staff"]},
                "teachers": [_pub(self.acc[a["login"]]) for a in s["teachers"]],
                "parents": [dict(_pub(self.acc[p["login"]]), password=bool(p.get("password")),
                                 children=[self.acc[c]["id"] for c in p["children"]]) for p in s["parents"]],
                "classes": [{"id": st["classes"][c["name"]], "name": c["name"], "grade": c["grade"],
                             "class_teacher": c["class_teacher"],
                             "student_ids": [self.acc[x]["id"] for x in c["students"]]} for c in s["classes"]],
                "subjects": st["subjects"], "categories": st["categories"],
                "assignments": [{"class_id": st["classes"][cn], "subject_id": st["subjects"][sub],
                                 "teacher": t} for (cn, sub), t in sorted(s["assign"].items())
                                if sub not in P.NOT_GRADED],
                "benchmark_lessons": [{"id": lid, "class_id": st["classes"][cn], "period": period,
                                       "teacher_id": tid, "teacher": self.by_id[tid]["login"],
                                       "subject_id": sub}
                                      for lid, cn, _, period, tid, sub in sorted(st["bench"], key=lambda x: (x[3], x[1]))],
            })
        return out


def _pub(a):
    return {"login": a["login"], "id": a["id"], "school_id": a.get("school_id"), "roles": a["roles"]}


def queue_depth(amqp_uri):
    """Messages waiting in the vhost's queues (management API), None if it cannot be asked."""
    import requests
    from urllib.parse import quote, urlparse
    from services.common import config
    u = urlparse(amqp_uri)
    vhost = u.path[1:] or "/"
    base = config.get("DZIENNIK_RABBIT_MGMT_URL")
    try:
        r = requests.get(f"{base}/api/queues/{quote(vhost, safe='')}", auth=(u.username or "guest", u.password or "guest"),
                         params={"columns": "name,messages,consumers"}, timeout=5)
        r.raise_for_status()
        # Queues somebody consumes (event and RPC queues of running services); replies, the
        # dead-letter queues and queues nobody reads (heartbeat taps) are not work in progress.
        return sum(int(q.get("messages") or 0) for q in r.json()
                   if (q.get("consumers") or 0) > 0 and not q["name"].startswith("rpc.reply")
                   and not q["name"].endswith(".dlq"))
    except Exception:   # noqa: BLE001
        return None


def write_json(path, data):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1, default=str)
    os.replace(tmp, path)
