"""The pages of messaging (issue 7, MSG-1..6) and the outage notices (OPS-1): the mailbox with
its folders and search, compose with recipient groups per role, the UWAGA form, a message with
its thread, reply and (for the sender) the read receipts, the announcement board, "moje
ogłoszenia", the director's approval queue, the class teacher's notes of the class, the
parent's entry-error report, the administrator's outage notices and messaging settings.

Also, for every page (a context processor): the school's active outage notices as a banner
(cached per process, see ``gateway.api.messages``), the unread count next to "Wiadomości" in
the menu, and ``public_outage_notices()`` for the login page.

Each view calls the same messaging RPC as the API route of the same meaning; messaging decides
who may write to whom and answers another school's ids with 404."""
import base64
import logging
import time as time_module
from datetime import date, datetime, time

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from services.common import config
from services.common.errors import Forbidden, Invalid, NotFound, Unavailable

from .. import rpc
from ..api.messages import (ANNOUNCERS, APPROVERS, NOTE_AUTHORS, OUTAGE_PUBLISHERS, SENDERS, SETTINGS_READERS,
                            attachment_request_limit, attachment_response, forget_outage_notices,
                            public_outage_notices, school_outage_notices)
from ..api.messaging_schemas import (ANNOUNCEMENT_STATUSES, APPROVAL_TOPICS, AUDIENCE_ROLES, ERROR_ADDRESSEES,
                                     GROUP_LABELS, NOTE_CATEGORIES, NOTE_KIND_LABELS, SMTP_SECURITY, TOPICS,
                                     AnnouncementIn, DecisionIn, ErrorReportIn, MessageSendIn, OutageIn, ReplyIn,
                                     SettingsIn)
from ..auth import (ADMINS, ASSOCIATION_ADMIN, CLASS_TEACHER, DIRECTORS, PARENT, SECRETARY, STUDENT, TEACHER,
                    TEACHERS, user_roles)
from . import WARSAW
from .base import Form, current_school, requires_page, safe_next, web_blueprint
from .nav import add_nav

log = logging.getLogger("gateway.web.messaging")

bp = web_blueprint("messaging_web", __name__)

MAILBOX_ROLES = SENDERS                              # every school role but the inspector
CLASS_NOTE_PAGE_ROLES = (CLASS_TEACHER,) + DIRECTORS + ADMINS
PAGE_SIZE = 25
RECEIPTS_PAGE_SIZE = 50

# ------------------------------------------------------------------ the menu (ACC-3)

add_nav("messaging_web.mailbox", "Wiadomości", MAILBOX_ROLES, order=90,
        description="Odebrane, wysłane, ogłoszenia i wiadomości systemowe; nowa wiadomość.")
add_nav("messaging_web.board", "Ogłoszenia", MAILBOX_ROLES, order=91,
        description="Ogłoszenia szkoły ważne dziś.")
add_nav("messaging_web.queue", "Ogłoszenia do akceptacji", DIRECTORS, order=92,
        description="Ogłoszenia czekające na Twoją akceptację: zatwierdź lub odrzuć z podaniem powodu.")
add_nav("messaging_web.class_notes", "Uwagi klasy", (CLASS_TEACHER,) + DIRECTORS, order=93,
        description="Uwagi pozytywne i negatywne uczniów klasy, według kategorii.")
add_nav("messaging_web.report_error", "Zgłoś błąd we wpisie", [PARENT], order=94,
        description="Zgłoś wychowawcy lub administratorowi błąd we wpisie dotyczącym dziecka.")
add_nav("messaging_web.outages", "Komunikaty o awarii", OUTAGE_PUBLISHERS, order=95,
        description="Komunikat o awarii z przewidywanym czasem naprawy, widoczny na każdej stronie.")
add_nav("messaging_web.settings", "Ustawienia wiadomości", ADMINS, order=96,
        description="Czy uczniowie mogą pisać; serwer SMTP powiadomień e-mail.")


# ------------------------------------------------------------------ request size: attachments

ATTACHMENT_ENDPOINTS = {"messaging_web.compose", "messaging_web.message"}


def _allow_attachments():
    """Forms with files may be larger than the gateway's 1 MiB; this runs before the session
    guard reads the form (for its CSRF token)."""
    if request.endpoint in ATTACHMENT_ENDPOINTS and request.method == "POST":
        request.max_content_length = attachment_request_limit()


bp.before_request_funcs.setdefault(None, []).insert(0, _allow_attachments)


def attachment_limits():
    return int(config.get("DZIENNIK_ATTACHMENT_MAX_BYTES")), int(config.get("DZIENNIK_ATTACHMENT_MAX_COUNT"))


def _human(n):
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB").replace(".", ",")
    return f"{max(1, n // 1024)} kB"


def attachment_hint():
    max_bytes, max_count = attachment_limits()
    return (f"Do {max_count} plików, każdy do {_human(max_bytes)}: pdf, png, jpg, gif, txt, csv, doc, docx, xls, "
            "xlsx, pptx, odt, ods. Po błędzie w formularzu wybierz pliki ponownie.")


def uploaded_files():
    """The files of the form as messaging's attachments (base64); empty file inputs skipped."""
    out = []
    for f in request.files.getlist("attachments"):
        if not f or not f.filename:
            continue
        out.append({"filename": f.filename, "content_type": f.mimetype or "application/octet-stream",
                    "content_base64": base64.b64encode(f.read()).decode("ascii")})
    return out


# ------------------------------------------------------------------ every page: banner, unread badge

def _roles():
    return user_roles()


def _is(*roles):
    return bool(_roles() & set(roles))


# The page frame's calls (badge, banner) wait briefly; after a failure they are skipped for a
# while in this process, so that an outage of messaging does not slow down every page.
FRAME_TIMEOUT = 2.0
FRAME_PAUSE = 30.0


def _frame_call(load):
    state = current_app.extensions.setdefault("dziennik_messaging_frame", {"paused_until": 0.0})
    if time_module.monotonic() < state["paused_until"]:
        return None
    try:
        return load()
    except Unavailable:
        state["paused_until"] = time_module.monotonic() + FRAME_PAUSE
        log.info("messaging unavailable: no unread badge or outage banner for %s s", FRAME_PAUSE)
    except Exception:   # noqa: BLE001  (the frame of a page must never break the page)
        log.debug("messaging frame call failed", exc_info=True)
    return None


def unread_counts():
    """The user's unread counts (once per request), or None when they cannot be had."""
    if "messaging_unread" in g:
        return g.messaging_unread
    user = g.get("user")
    counts = None
    if user and user.get("school_id") and set(user.get("roles") or ()) & set(MAILBOX_ROLES):
        counts = _frame_call(lambda: rpc.get_pool().invoke("messaging", "unread_count", (), ctx=rpc.current_context(),
                                                           timeout=FRAME_TIMEOUT))
    g.messaging_unread = counts
    return counts


def _banner_notices():
    user = g.get("user")
    if not user or not user.get("school_id"):
        return []
    return _frame_call(lambda: school_outage_notices(user["school_id"], timeout=FRAME_TIMEOUT)) or []


def _public_notices():
    return _frame_call(lambda: public_outage_notices(timeout=FRAME_TIMEOUT)) or []


@bp.app_context_processor
def messaging_context():
    """For base.html: ``outage_notices`` (banner), ``unread_messages`` (menu badge) and
    ``public_outage_notices()`` (the login page calls it; nothing is asked unless it does)."""
    if not g.get("user"):
        return {"outage_notices": [], "unread_messages": 0, "public_outage_notices": _public_notices}
    counts = unread_counts()
    return {"outage_notices": _banner_notices(), "unread_messages": (counts or {}).get("total", 0),
            "public_outage_notices": _public_notices}


# ------------------------------------------------------------------ helpers

def _name(account):
    return f"{account['first_name']} {account['last_name']}"


def _school_id():
    school_id = g.user.get("school_id")
    if not school_id:
        raise Invalid("Wiadomości i ogłoszenia działają w obrębie szkoły: zaloguj się kontem szkoły.")
    return school_id


def _classes(school_id, own_only=False):
    classes = rpc.call("scheduling", "list_classes", school_id)
    if own_only:
        classes = [c for c in classes if c.get("class_teacher_id") == g.user["id"]]
    return sorted(classes, key=lambda c: c["name"])


def _page_arg(name="strona"):
    try:
        return max(1, min(100000, int(request.args.get(name, 1))))
    except ValueError:
        return 1


KIND_LABELS = {"note": "uwaga", "system": "systemowa", "error_report": "zgłoszenie błędu", "message": "wiadomość"}
ROLE_GROUPS = [  # single recipients grouped in the list (staff's compose)
    ("Dyrekcja", ("director", "vice_director")),
    ("Nauczyciele i wychowawcy", TEACHERS),
    ("Administratorzy i sekretariat", ADMINS + (SECRETARY,)),
    ("Rodzice", (PARENT,)),
    ("Uczniowie", (STUDENT,)),
]


@bp.context_processor
def _labels():
    return {"note_kind_labels": NOTE_KIND_LABELS, "kind_labels": KIND_LABELS, "topics": TOPICS,
            "statuses": ANNOUNCEMENT_STATUSES, "audience_roles": AUDIENCE_ROLES}


# ------------------------------------------------------------------ mailbox (MSG-1, MSG-5)

FOLDERS = [("odebrane", "received", "Odebrane"), ("wyslane", "sent", "Wysłane"),
           ("ogloszenia", "announcements", "Ogłoszenia"), ("systemowe", "system", "Systemowe")]
FOLDER_BY_SLUG = {slug: (folder, label) for slug, folder, label in FOLDERS}


@bp.route("/wiadomosci")
@requires_page(*MAILBOX_ROLES)
def mailbox():
    _school_id()
    slug = request.args.get("folder") or "odebrane"
    if slug not in FOLDER_BY_SLUG:
        abort(404)
    folder, folder_label = FOLDER_BY_SLUG[slug]
    search = (request.args.get("szukaj") or "").strip()[:200] or None
    result = rpc.call("messaging", "mailbox", folder=folder, search=search, page=_page_arg(), page_size=PAGE_SIZE)
    pages = max(1, -(-result["total"] // PAGE_SIZE))
    return render_template("messaging/mailbox.html", result=result, folders=FOLDERS, slug=slug, folder=folder,
                           folder_label=folder_label, search=search or "", pages=pages,
                           counts=unread_counts() or {}, may_note=_is(*NOTE_AUTHORS))


# ------------------------------------------------------------------ compose (MSG-1)

COMPOSE_LABELS = {"recipient_ids": "Odbiorcy", "groups": "Grupy odbiorców", "subject": "Temat",
                  "body": "Treść", "attachments": "Załączniki", "class_parents": "Rodzice klas",
                  "class_students": "Uczniowie klas"}
SCHOOL_GROUPS = [("all_parents", GROUP_LABELS["all_parents"]), ("all_teachers", GROUP_LABELS["all_teachers"]),
                 ("all_students", GROUP_LABELS["all_students"])]


def _staff_recipients(school_id):
    """Every account of the school, grouped by role (the staff's compose)."""
    me = g.user["id"]
    accounts = [a for a in rpc.call("identity", "list_accounts", school_id) if a["id"] != me and not a.get("blocked")]
    accounts.sort(key=lambda a: (a["last_name"].casefold(), a["first_name"].casefold()))
    groups, seen = [], set()
    for label, roles in ROLE_GROUPS:
        options = []
        for a in accounts:
            if a["id"] not in seen and set(a.get("roles") or ()) & set(roles):
                seen.add(a["id"])
                options.append((a["id"], f"{a['last_name']} {a['first_name']}"))
        if options:
            groups.append((label, options))
    return groups


def _family_recipients():
    """Whom a parent (or a student, where allowed) can pick: messaging's ``contacts`` (the class
    teachers and subject teachers of the children's classes, the directors, the administrators)
    and anyone else who wrote to them (a reply reaches them too)."""
    try:
        contacts = rpc.call("messaging", "contacts")
    except Forbidden as exc:   # a student where the school does not let students write
        if request.method == "GET":
            flash(exc.message, "info")
        contacts = []
    groups, listed = {}, set()
    for p in contacts:
        groups.setdefault(p["group"], []).append((p["id"], f"{p['last_name']} {p['first_name']} – "
                                                           f"{', '.join(p['reasons'])}"))
        listed.add(p["id"])
    wrote = []
    received = rpc.call("messaging", "mailbox", folder="received", page=1, page_size=100)
    for m in received["items"]:
        if m["kind"] in ("message", "note") and m["sender_id"] not in listed:
            listed.add(m["sender_id"])
            wrote.append((m["sender_id"], m["sender_name"]))
    out = list(groups.items())
    if wrote:
        out.append(("Osoby, które do Ciebie pisały", sorted(wrote, key=lambda o: o[1])))
    return out


@bp.route("/wiadomosci/nowa", methods=["GET", "POST"])
@requires_page(*MAILBOX_ROLES)
def compose():
    school_id = _school_id()
    staff = _is(*NOTE_AUTHORS, SECRETARY)
    form = Form(request.form if request.method == "POST" else None, labels=COMPOSE_LABELS,
                recipient_ids=request.args.getlist("do") or None, subject=request.args.get("temat"))
    if request.method == "POST":
        with form.handle():
            groups = [{"kind": k} for k in form.getlist("groups") if k in dict(SCHOOL_GROUPS)]
            for kind in ("class_parents", "class_students"):
                groups += [{"kind": kind, "class_id": cid} for cid in form.getlist(kind) if cid]
            if not groups and not [r for r in form.getlist("recipient_ids") if r]:
                form.add_error("recipient_ids", "Wybierz co najmniej jednego odbiorcę lub grupę odbiorców.")
            data = form.load(MessageSendIn, only={"subject", "body", "recipient_ids"}, kind="message",
                             groups=groups, attachments=uploaded_files())
            if form.errors:
                form.fail()
            sent = rpc.call("messaging", "send_message", data)
            flash(f"Wysłano wiadomość „{sent['subject']}” (odbiorców: {sent['recipient_count']}).", "success")
            return redirect(url_for("messaging_web.message", message_id=sent["id"]))
    recipients = _staff_recipients(school_id) if staff else _family_recipients()
    classes = _classes(school_id) if staff else []
    return render_template("messaging/compose.html", form=form, staff=staff, recipients=recipients,
                           classes=classes, school_groups=SCHOOL_GROUPS, attachment_hint=attachment_hint(),
                           may_note=_is(*NOTE_AUTHORS)), form.status


# ------------------------------------------------------------------ the UWAGA form (MSG-3)

NOTE_LABELS = {"student_id": "Uczeń", "note_kind": "Rodzaj uwagi", "note_category": "Kategoria",
               "subject": "Temat", "body": "Treść uwagi"}
NOTE_KIND_OPTIONS = [("positive", "pozytywna"), ("negative", "negatywna"), ("neutral", "neutralna")]


@bp.route("/wiadomosci/uwaga", methods=["GET", "POST"])
@requires_page(*NOTE_AUTHORS)
def note():
    school_id = _school_id()
    own_only = _is(CLASS_TEACHER) and not _is(TEACHER, ASSOCIATION_ADMIN, *ADMINS, *DIRECTORS)
    classes = _classes(school_id, own_only=own_only)
    mine = [c for c in classes if c.get("class_teacher_id") == g.user["id"]]
    class_id = request.values.get("klasa") or (mine[0]["id"] if mine else (classes[0]["id"] if classes else None))
    klass = next((c for c in classes if c["id"] == class_id), None)
    if class_id and klass is None:
        raise NotFound("Nie znaleziono klasy.")
    form = Form(request.form if request.method == "POST" else None, labels=NOTE_LABELS,
                student_id=request.args.get("uczen"), note_kind="negative", note_category="zachowanie")
    if request.method == "POST":
        with form.handle():
            if not form.get("student_id"):
                form.add_error("student_id", "Wybierz ucznia.")
            data = form.load(MessageSendIn, only={"student_id", "note_kind", "note_category", "subject", "body"},
                             kind="note")
            if form.errors:
                form.fail()
            sent = rpc.call("messaging", "send_message", data)
            flash(f"Wpisano uwagę „{sent['subject']}”. Trafi do kartoteki ucznia; rodzice dostali ją jako "
                  f"wiadomość (odbiorców: {sent['recipient_count']}).", "success")
            return redirect(url_for("messaging_web.message", message_id=sent["id"]))
    students = []
    if klass is not None:
        ids = [e["student_id"] for e in rpc.call("scheduling", "class_list", klass["id"])]
        names = {a["id"]: a for a in rpc.call("identity", "list_accounts", school_id, role=STUDENT)}
        students = sorted((names[i] for i in ids if i in names),
                          key=lambda a: (a["last_name"].casefold(), a["first_name"].casefold()))
    class_form = Form(request.args, labels={"klasa": "Klasa"}, prefix="k-", klasa=class_id)
    return render_template("messaging/note.html", form=form, class_form=class_form, classes=classes, klass=klass,
                           students=students, kinds=NOTE_KIND_OPTIONS,
                           categories=[(c, c) for c in NOTE_CATEGORIES]), form.status


# ------------------------------------------------------------------ one message: thread, reply, receipts (MSG-2)

REPLY_LABELS = {"body": "Treść odpowiedzi", "attachments": "Załączniki"}
RECEIPT_FILTERS = [("all", "wszyscy"), ("read", "odczytali"), ("unread", "nie odczytali")]


@bp.route("/wiadomosci/<message_id>", methods=["GET", "POST"])
@requires_page(*MAILBOX_ROLES)
def message(message_id):
    _school_id()
    form = Form(request.form if request.method == "POST" else None, labels=REPLY_LABELS)
    if request.method == "POST":
        with form.handle():
            data = form.load(ReplyIn, only={"body"}, attachments=uploaded_files())
            sent = rpc.call("messaging", "reply", message_id, data)
            flash(f"Wysłano odpowiedź (odbiorców: {sent['recipient_count']}).", "success")
            return redirect(url_for("messaging_web.message", message_id=sent["id"]))
    msg = rpc.call("messaging", "read_message", message_id)
    receipts = None
    status = request.args.get("odczyt") or "all"
    if status not in dict(RECEIPT_FILTERS):
        status = "all"
    if msg.get("receipt_counts") is not None:
        receipts = rpc.call("messaging", "receipts", message_id, True,
                            {"page": _page_arg(), "page_size": RECEIPTS_PAGE_SIZE, "status": status})
    pages = 1
    if receipts:
        shown = receipts["counts"]["total"] if status == "all" else receipts["counts"][status]
        pages = max(1, -(-shown // RECEIPTS_PAGE_SIZE))
    return render_template("messaging/message.html", msg=msg, form=form, receipts=receipts, status=status,
                           receipt_filters=RECEIPT_FILTERS, pages=pages,
                           attachment_hint=attachment_hint()), form.status


@bp.route("/wiadomosci/<message_id>/zalaczniki/<attachment_id>")
@requires_page(*MAILBOX_ROLES)
def attachment(message_id, attachment_id):
    return attachment_response(rpc.call("messaging", "attachment", message_id, attachment_id))


# ------------------------------------------------------------------ announcements (MSG-4)

@bp.route("/ogloszenia")
@requires_page(*MAILBOX_ROLES)
def board():
    _school_id()
    return render_template("messaging/board.html", announcements=rpc.call("messaging", "announcements"),
                           may_announce=_is(*ANNOUNCERS), may_approve=_is(*APPROVERS),
                           may_moderate=_is(ASSOCIATION_ADMIN, *APPROVERS, *ADMINS))


ANNOUNCEMENT_LABELS = {"title": "Tytuł", "body": "Treść", "topic": "Czego dotyczy ogłoszenie?",
                       "needs_approval": "Akceptacja dyrektora", "audience": "Odbiorcy",
                       "valid_from": "Ważne od", "valid_until": "Ważne do"}


@bp.route("/ogloszenia/nowe", methods=["GET", "POST"])
@requires_page(*ANNOUNCERS)
def new_announcement():
    school_id = _school_id()
    form = Form(request.form if request.method == "POST" else None, labels=ANNOUNCEMENT_LABELS, topic="general",
                valid_from=date.today().isoformat())
    if request.method == "POST":
        with form.handle():
            audience = {"whole_school": "whole_school" in form.getlist("audience"),
                        "roles": [r for r in form.getlist("audience_roles") if r],
                        "class_ids": [c for c in form.getlist("audience_class_ids") if c]}
            data = form.load(AnnouncementIn, only={"title", "body", "topic", "valid_from", "valid_until"},
                             needs_approval="1" in form.getlist("needs_approval"), audience=audience)
            ann = rpc.call("messaging", "publish_announcement", data)
            if ann["status"] == "pending":
                flash(f"Ogłoszenie „{ann['title']}” czeka na akceptację dyrektora. Zobaczysz decyzję na tej "
                      "stronie i w wiadomościach systemowych.", "success")
                return redirect(url_for("messaging_web.my_announcements"))
            flash(f"Opublikowano ogłoszenie „{ann['title']}”.", "success")
            return redirect(url_for("messaging_web.board"))
    return render_template("messaging/new_announcement.html", form=form, classes=_classes(school_id),
                           topic_options=list(TOPICS.items()), approval_topics=[TOPICS[t] for t in APPROVAL_TOPICS],
                           role_options=list(AUDIENCE_ROLES.items())), form.status


@bp.route("/ogloszenia/moje")
@requires_page(*ANNOUNCERS)
def my_announcements():
    _school_id()
    return render_template("messaging/my_announcements.html",
                           announcements=rpc.call("messaging", "my_announcements"))


@bp.route("/ogloszenia/<announcement_id>/wycofanie", methods=["POST"])
@requires_page(*ANNOUNCERS)
def withdraw_announcement(announcement_id):
    ann = rpc.call("messaging", "withdraw_announcement", announcement_id)
    flash(f"Wycofano ogłoszenie „{ann['title']}”.", "success")
    return redirect(safe_next(request.form.get("next")) or url_for("messaging_web.my_announcements"))


@bp.route("/ogloszenia/do-akceptacji", methods=["GET", "POST"])
@requires_page(*APPROVERS)
def queue():
    _school_id()
    failed_id, form = None, Form(None, labels={"reason": "Powód odrzucenia"})
    if request.method == "POST":
        announcement_id = request.form.get("announcement_id", "")
        form = Form(request.form, labels={"reason": "Powód odrzucenia"}, prefix=f"{announcement_id[:12]}-")
        with form.handle():
            if request.form.get("decision") == "approve":
                ann = rpc.call("messaging", "approve_announcement", announcement_id)
                flash(f"Zatwierdzono i opublikowano ogłoszenie „{ann['title']}”.", "success")
            else:
                data = form.load(DecisionIn)
                ann = rpc.call("messaging", "reject_announcement", announcement_id, data)
                flash(f"Odrzucono ogłoszenie „{ann['title']}”. Autor dostał powód w wiadomości.", "success")
            return redirect(url_for("messaging_web.queue"))
        failed_id = announcement_id
    pending = rpc.call("messaging", "approval_queue")
    forms = {a["id"]: (form if a["id"] == failed_id else
                       Form(None, labels={"reason": "Powód odrzucenia"}, prefix=f"{a['id'][:12]}-"))
             for a in pending}
    general_error = form.error if failed_id and failed_id not in forms else None
    return render_template("messaging/queue.html", pending=pending, forms=forms,
                           general_error=general_error), form.status


# ------------------------------------------------------------------ notes of a class (MSG-3)

@bp.route("/uwagi-klasy")
@requires_page(*CLASS_NOTE_PAGE_ROLES)
def class_notes():
    school_id = _school_id()
    own_only = not _is(ASSOCIATION_ADMIN, *ADMINS, *DIRECTORS)
    classes = _classes(school_id, own_only=own_only)
    class_id = request.args.get("klasa") or (classes[0]["id"] if classes else None)
    if class_id and class_id not in {c["id"] for c in classes}:
        raise NotFound("Nie znaleziono klasy.")
    result = rpc.call("messaging", "class_notes", class_id) if class_id else None
    return render_template("messaging/class_notes.html", classes=classes, class_id=class_id, result=result,
                           own_only=own_only)


# ------------------------------------------------------------------ entry-error report (MSG-6)

REPORT_LABELS = {"student_id": "Którego dziecka dotyczy wpis?", "addressee": "Do kogo wysłać zgłoszenie?",
                 "entry": "Którego wpisu dotyczy błąd?", "body": "Na czym polega błąd?"}


@bp.route("/zglos-blad", methods=["GET", "POST"])
@requires_page(PARENT)
def report_error():
    _school_id()
    children = rpc.call("identity", "children_of", g.user["id"])
    form = Form(request.form if request.method == "POST" else None, labels=REPORT_LABELS,
                student_id=request.args.get("uczen") or (children[0]["id"] if len(children) == 1 else None),
                addressee="class_teacher")
    if request.method == "POST":
        with form.handle():
            student_id = form.get("student_id")
            if student_id not in {c["id"] for c in children}:
                form.add_error("student_id", "Wybierz swoje dziecko.")
            data = form.load(ErrorReportIn)
            if form.errors:
                form.fail()
            rpc.call("messaging", "report_entry_error", {**data, "student_id": student_id})
            flash(f"Wysłano zgłoszenie błędu do: {ERROR_ADDRESSEES[data['addressee']]}. Odpowiedź przyjdzie "
                  "w wiadomościach.", "success")
            return redirect(url_for("messaging_web.mailbox", folder="wyslane"))
    return render_template("messaging/report_error.html", form=form,
                           children=[(c["id"], _name(c)) for c in children],
                           addressees=list(ERROR_ADDRESSEES.items())), form.status


# ------------------------------------------------------------------ outage notices (OPS-1)

OUTAGE_LABELS = {"text": "Treść komunikatu", "repair_date": "Przewidywany dzień usunięcia awarii",
                 "repair_time": "Godzina"}


def _repair_at(form):
    """The expected repair time from the date and time fields, in Polish time."""
    try:
        day = date.fromisoformat(form.get("repair_date").strip())
    except ValueError:
        form.add_error("repair_date", "Podaj dzień w postaci RRRR-MM-DD.")
        day = None
    try:
        at = time.fromisoformat(form.get("repair_time").strip() or "")
    except ValueError:
        form.add_error("repair_time", "Podaj godzinę w postaci GG:MM.")
        at = None
    return datetime.combine(day, at, tzinfo=WARSAW) if day and at else None


@bp.route("/awarie", methods=["GET", "POST"])
@requires_page(*OUTAGE_PUBLISHERS)
def outages():
    school_id = _school_id()
    form = Form(request.form if request.method == "POST" else None, labels=OUTAGE_LABELS,
                repair_date=date.today().isoformat())
    if request.method == "POST":
        with form.handle():
            repair_at = _repair_at(form)
            # A wrong date or time is reported at its field; the text is still checked.
            data = form.load(OutageIn, only={"text"},
                             expected_repair_at=(repair_at or datetime.now(WARSAW)).isoformat())
            if form.errors:
                form.fail()
            notice = rpc.call("messaging", "publish_outage_notice", data)
            forget_outage_notices(school_id)
            flash("Opublikowano komunikat o awarii: widzą go wszyscy użytkownicy szkoły"
                  + (", a ponieważ awaria potrwa ponad dobę, także strona logowania." if notice.get("public") else ".")
                  + " Dyrekcja i nauczyciele dostali wiadomość systemową.", "success")
            return redirect(url_for("messaging_web.outages"))
        if "expected_repair_at" in form.errors:   # messaging's message about the time: at the day field
            form.errors.setdefault("repair_date", []).extend(form.field_errors("expected_repair_at"))
            form.errors.pop("expected_repair_at")
    notices = rpc.call("messaging", "outage_notices", school_id)
    return render_template("messaging/outages.html", form=form, notices=notices), form.status


@bp.route("/awarie/<notice_id>/wycofanie", methods=["POST"])
@requires_page(*OUTAGE_PUBLISHERS)
def withdraw_outage(notice_id):
    school_id = _school_id()
    rpc.call("messaging", "withdraw_outage_notice", notice_id)
    forget_outage_notices(school_id)
    flash("Wycofano komunikat o awarii.", "success")
    return redirect(url_for("messaging_web.outages"))


# ------------------------------------------------------------------ messaging settings

SETTINGS_LABELS = {"students_may_write": "Wiadomości uczniów", "email_enabled": "Powiadomienia e-mail",
                   "smtp_host": "Serwer SMTP", "smtp_port": "Port", "smtp_security": "Szyfrowanie połączenia",
                   "smtp_user": "Użytkownik SMTP", "smtp_password": "Hasło SMTP",
                   "from_address": "Adres nadawcy powiadomień"}
SETTINGS_TEXT_FIELDS = {"smtp_host", "smtp_port", "smtp_security", "smtp_user", "from_address"}


@bp.route("/ustawienia-wiadomosci", methods=["GET", "POST"])
@requires_page(*SETTINGS_READERS)
def settings():
    school_id = current_school()
    may_edit = _is(ASSOCIATION_ADMIN, *ADMINS)
    current = rpc.call("messaging", "messaging_settings", school_id)
    defaults = {k: current.get(k) for k in SETTINGS_TEXT_FIELDS}
    defaults["students_may_write"] = "1" if current.get("students_may_write") else None
    defaults["email_enabled"] = "1" if current.get("email_enabled") else None
    form = Form(request.form if request.method == "POST" else None, labels=SETTINGS_LABELS,
                **({} if request.method == "POST" else defaults))
    if request.method == "POST":
        if not may_edit:
            abort(403)
        with form.handle():
            extra = {"students_may_write": "1" in form.getlist("students_may_write"),
                     "email_enabled": "1" in form.getlist("email_enabled")}
            if form.get("smtp_password"):
                extra["smtp_password"] = form.get("smtp_password")
            data = form.load(SettingsIn, only=SETTINGS_TEXT_FIELDS, **extra)
            rpc.call("messaging", "update_messaging_settings", school_id, data)
            flash("Zapisano ustawienia wiadomości.", "success")
            return redirect(url_for("messaging_web.settings", **({"szkola": request.values["szkola"]}
                                                                  if request.values.get("szkola") else {})))
    return render_template("messaging/settings.html", form=form, current=current, may_edit=may_edit,
                           security_options=list(SMTP_SECURITY.items())), form.status
