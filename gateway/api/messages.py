"""Messages (WIADOMOŚCI), notes (UWAGA), read receipts, announcements (OGŁOSZENIA), entry-error
reports, outage notices and the school's messaging settings (MSG-1..6, OPS-1).

Each route maps 1:1 to the messaging RPC of the same meaning. The gateway's checks are defence
in depth: roles where the permission matrix is plain (announcements are staff's, the approval
queue the directors', outage notices the administrators'), the school in the path
(``@school_scoped``), parents and students only about their own family; messaging decides who
may write to whom (a student only where the school allows it, a parent not to groups) and
answers another school's ids with 404.

- ``POST /messages`` and replies accept attachments (base64 in JSON): only these two routes
  take bodies larger than the gateway's 1 MiB, up to what messaging's limits allow
  (``DZIENNIK_ATTACHMENT_MAX_COUNT`` files of ``DZIENNIK_ATTACHMENT_MAX_BYTES``).
- Attachments are downloaded as ``Content-Disposition: attachment`` with
  ``X-Content-Type-Options: nosniff`` and a sandboxing CSP: never rendered by the browser.
- Outage notices for the banner on every page and the public list are cached per process for
  ``OUTAGE_CACHE_SECONDS`` (``school_outage_notices``, ``public_outage_notices``), so that a page
  view does not cost an RPC; publishing or withdrawing clears this process's entry at once."""
import base64
import io
import math
import threading
import time

from flask import current_app, jsonify, request, send_file

from services.common import config
from services.common.errors import Forbidden, NotFound

from .. import rpc
from ..auth import (ADMINS, DIRECTORS, PARENT, SECRETARY, STUDENT, TEACHERS, check_own_or_staff, public,
                    require_role, requires, school_scoped)
from ..schemas import InboxQuery, MessageOut
from . import api_blueprint
from .messaging_schemas import (AnnouncementIn, AnnouncementOut, ClassNotesOut, DecisionIn, ErrorReportIn,
                                MailboxOut, MailboxQuery, MessageDetailOut, MessageSendIn, OutageIn, OutageOut,
                                PublicOutageOut, ReceiptRowOut, ReceiptsQuery, ReceiptSummaryOut, ReplyIn,
                                SentMessageOut, SettingsIn, SettingsOut, UnreadOut)

bp = api_blueprint("messages", __name__, "Wiadomości, uwagi, potwierdzenia odczytu, ogłoszenia, zgłoszenia "
                                         "błędów, komunikaty o awarii i ustawienia wiadomości.")

NOTE_AUTHORS = TEACHERS + DIRECTORS + ADMINS
STAFF_WRITERS = NOTE_AUTHORS + (SECRETARY,)
# Students are let through: messaging decides (the school may allow them to write).
SENDERS = STAFF_WRITERS + (PARENT, STUDENT)
ANNOUNCERS = STAFF_WRITERS                     # chapter II: "wiadomości, ogłoszenia" for staff
APPROVERS = DIRECTORS                          # III.12
CLASS_NOTE_READERS = TEACHERS + DIRECTORS + ADMINS   # messaging: the class teacher of that class
OUTAGE_PUBLISHERS = ADMINS                     # OPS-1, XI.2
SETTINGS_READERS = ADMINS + DIRECTORS

OUTAGE_CACHE_SECONDS = 30.0
NOT_IN_QUEUE = "Nie znaleziono ogłoszenia oczekującego na Twoją akceptację."
NOTE_REFUSED = "Uwagi wpisują nauczyciele, wychowawcy, dyrekcja i administratorzy."


# ------------------------------------------------------------------ request size (attachments)

def attachment_request_limit():
    """The largest body of a message with attachments: every allowed file at its largest, in
    base64 (4/3), plus room for the text and the JSON (or the form's other fields)."""
    max_bytes = int(config.get("DZIENNIK_ATTACHMENT_MAX_BYTES"))
    max_count = int(config.get("DZIENNIK_ATTACHMENT_MAX_COUNT"))
    encoded = 4 * math.ceil(max_bytes / 3) + 1024
    return max(current_app.config.get("MAX_CONTENT_LENGTH") or 0, max_count * encoded + 512 * 1024)


LARGE_BODY_ENDPOINTS = {"messages.send_message", "messages.reply"}


@bp.before_request
def _allow_attachments():
    if request.endpoint in LARGE_BODY_ENDPOINTS:
        request.max_content_length = attachment_request_limit()


# ------------------------------------------------------------------ outage notices cache (OPS-1)

class _TtlCache:
    """A tiny per-process cache: key -> (expires, value); thread-safe (gthread workers)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries = {}

    def get(self, key, load, ttl):
        now = time.monotonic()
        with self.lock:
            hit = self.entries.get(key)
            if hit and hit[0] > now:
                return hit[1]
        value = load()
        with self.lock:
            self.entries[key] = (time.monotonic() + ttl, value)
        return value

    def forget(self, key):
        with self.lock:
            self.entries.pop(key, None)


def _cache():
    return current_app.extensions.setdefault("dziennik_outage_cache", _TtlCache())


def _ttl():
    return float(current_app.config.get("OUTAGE_CACHE_SECONDS", OUTAGE_CACHE_SECONDS))


def _messaging(method, *args, timeout=None):
    if timeout is None:
        return rpc.call("messaging", method, *args)
    return rpc.get_pool().invoke("messaging", method, args, ctx=rpc.current_context(), timeout=timeout)


def school_outage_notices(school_id, timeout=None):
    """The school's active outage notices (for the banner on every page), cached per process."""
    return _cache().get(("school", school_id), lambda: _messaging("outage_notices", school_id, timeout=timeout),
                        _ttl())


def public_outage_notices(timeout=None):
    """Active notices over a day of every school (the login page, no session), cached per process."""
    return _cache().get(("public",), lambda: _messaging("public_outage_notices", timeout=timeout), _ttl())


def forget_outage_notices(school_id):
    _cache().forget(("school", school_id))
    _cache().forget(("public",))


# ------------------------------------------------------------------ messages (MSG-1, MSG-2, MSG-3)

@bp.route("/messages", methods=["POST"])
@requires(*SENDERS)
@bp.arguments(MessageSendIn)
@bp.response(201, SentMessageOut)
def send_message(data):
    """Wyślij wiadomość lub uwagę

    Odbiorcy: pojedyncze osoby (`recipient_ids`) i grupy (`groups`: rodzice lub uczniowie klasy,
    wszyscy rodzice, nauczyciele, uczniowie), z załącznikami. Rodzic pisze tylko do nauczycieli,
    wychowawców, dyrekcji i administratora; uczeń tylko, gdy szkoła na to pozwala. Uwaga
    (`kind: note`) trafia do rodziców ucznia i do jego kartoteki (MSG-3)."""
    if data["kind"] == "note":
        try:
            require_role(*NOTE_AUTHORS)
        except Forbidden:
            raise Forbidden(NOTE_REFUSED) from None
    return rpc.call("messaging", "send_message", data)


@bp.route("/messages", methods=["GET"])
@bp.arguments(MailboxQuery, location="query")
@bp.response(200, MailboxOut)
def mailbox(query):
    """Skrzynka: odebrane, wysłane, ogłoszenia, systemowe (z wyszukiwaniem)"""
    return rpc.call("messaging", "mailbox", folder=query["folder"], search=query.get("search"),
                    page=query["page"], page_size=query["page_size"])


@bp.route("/messages/inbox", methods=["GET"])
@bp.arguments(InboxQuery, location="query")
@bp.response(200, MessageOut(many=True))
def inbox(query):
    """Odebrane wiadomości"""
    return rpc.call("messaging", "inbox", limit=query["limit"])


@bp.route("/messages/unread-count", methods=["GET"])
@bp.response(200, UnreadOut)
def unread_count():
    """Liczba nieprzeczytanych wiadomości (odebrane, systemowe, razem)"""
    return rpc.call("messaging", "unread_count")


@bp.route("/messages/<message_id>", methods=["GET"])
@bp.response(200, MessageDetailOut)
def read_message(message_id):
    """Otwórz wiadomość (zapisuje potwierdzenie odczytu, MSG-2)

    Z wątkiem i załącznikami; nadawca dostaje też liczbę odczytów."""
    return rpc.call("messaging", "read_message", message_id)


@bp.route("/messages/<message_id>/replies", methods=["POST"])
@bp.arguments(ReplyIn)
@bp.response(201, SentMessageOut)
def reply(data, message_id):
    """Odpowiedz w wątku

    Odpowiedź odbiorcy trafia do nadawcy, odpowiedź nadawcy do tych samych odbiorców. Na
    wiadomość systemową nie można odpowiedzieć."""
    return rpc.call("messaging", "reply", message_id, data)


@bp.route("/messages/<message_id>/receipts", methods=["GET"])
@bp.arguments(ReceiptsQuery, location="query")
@bp.response(200, ReceiptRowOut(many=True))
@bp.doc(responses={"200": {
    "description": "Lista odbiorców z czasem odczytu; z `summary=true` obiekt ReceiptSummaryOut "
                   "(liczniki i jedna strona odbiorców, filtr `status`).",
    "content": {"application/json": {"schema": {"oneOf": [
        {"type": "array", "items": ReceiptRowOut}, ReceiptSummaryOut]}}}}})
def receipts(query, message_id):
    """Kto i kiedy odczytał wiadomość (dla nadawcy, MSG-2)

    Potwierdzenia zapisuje tylko otwarcie wiadomości przez odbiorcę; nie da się ich podać ani
    cofnąć. Dla dużych wysyłek (np. do wszystkich rodziców) użyj `summary=true` i stronicowania."""
    if not query["summary"]:
        return rpc.call("messaging", "receipts", message_id)
    result = rpc.call("messaging", "receipts", message_id, True,
                      {"page": query["page"], "page_size": query["page_size"], "status": query["status"]})
    return jsonify(ReceiptSummaryOut().dump(result))


@bp.route("/messages/<message_id>/attachments/<attachment_id>", methods=["GET"])
@bp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream",
             description="Plik załącznika (Content-Disposition: attachment).")
def attachment(message_id, attachment_id):
    """Pobierz załącznik (tylko nadawca i odbiorcy)"""
    result = rpc.call("messaging", "attachment", message_id, attachment_id)
    return attachment_response(result)


def attachment_response(result):
    """An attachment as a download that the browser never renders: its type as checked by
    messaging, ``nosniff``, ``attachment`` disposition and a CSP that forbids everything."""
    response = send_file(io.BytesIO(base64.b64decode(result["content_base64"])),
                         mimetype=result.get("content_type") or "application/octet-stream",
                         as_attachment=True, download_name=result.get("filename") or "zalacznik", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# ------------------------------------------------------------------ notes of a class (MSG-3), entry errors (MSG-6)

@bp.route("/classes/<class_id>/notes", methods=["GET"])
@requires(*CLASS_NOTE_READERS)
@bp.response(200, ClassNotesOut)
def class_notes(class_id):
    """Uwagi klasy (wychowawca, dyrekcja, administratorzy)

    Z licznikami uwag pozytywnych, negatywnych i neutralnych oraz według kategorii."""
    return rpc.call("messaging", "class_notes", class_id)


@bp.route("/students/<student_id>/entry-error-reports", methods=["POST"])
@bp.arguments(ErrorReportIn)
@bp.response(201, SentMessageOut)
def report_entry_error(data, student_id):
    """Zgłoś błąd we wpisie dotyczącym dziecka (rodzic, MSG-6)

    Do wychowawcy klasy albo administratora dziennika; trafia do nich jako wiadomość."""
    check_own_or_staff(student_id, "Nie znaleziono ucznia.")
    return rpc.call("messaging", "report_entry_error", {**data, "student_id": student_id})


# ------------------------------------------------------------------ announcements (MSG-4)

@bp.route("/announcements", methods=["GET"])
@bp.response(200, AnnouncementOut(many=True))
def announcements():
    """Ogłoszenia ważne dziś dla wywołującego (MSG-4)"""
    return rpc.call("messaging", "announcements")


@bp.route("/announcements", methods=["POST"])
@requires(*ANNOUNCERS)
@bp.arguments(AnnouncementIn)
@bp.response(201, AnnouncementOut)
def publish_announcement(data):
    """Dodaj ogłoszenie (MSG-4)

    Zbiórki pieniędzy, spotkania i zapisy otwarte dla osób spoza szkoły oraz imprezy
    ogólnoszkolne (i sprawy oznaczone `needs_approval`) czekają na akceptację dyrektora
    (`status: pending`); pozostałe są publikowane od razu."""
    return rpc.call("messaging", "publish_announcement", data)


@bp.route("/announcements/mine", methods=["GET"])
@requires(*ANNOUNCERS)
@bp.response(200, AnnouncementOut(many=True))
def my_announcements():
    """Moje ogłoszenia we wszystkich stanach (z powodem odrzucenia)"""
    return rpc.call("messaging", "my_announcements")


@bp.route("/announcements/queue", methods=["GET"])
@requires(*APPROVERS)
@bp.response(200, AnnouncementOut(many=True))
def approval_queue():
    """Ogłoszenia czekające na akceptację dyrektora (III.12)"""
    return rpc.call("messaging", "approval_queue")


def _as_approver():
    """The queue is the directors': to anyone else its entries do not exist (404, as another
    school's announcement; no one learns what waits for the director)."""
    try:
        require_role(*APPROVERS)
    except Forbidden:
        raise NotFound(NOT_IN_QUEUE) from None


@bp.route("/announcements/<announcement_id>/approval", methods=["POST"])
@bp.response(200, AnnouncementOut)
def approve_announcement(announcement_id):
    """Zatwierdź ogłoszenie (dyrektor): zostaje opublikowane"""
    _as_approver()
    return rpc.call("messaging", "approve_announcement", announcement_id)


@bp.route("/announcements/<announcement_id>/rejection", methods=["POST"])
@bp.arguments(DecisionIn)
@bp.response(200, AnnouncementOut)
def reject_announcement(data, announcement_id):
    """Odrzuć ogłoszenie z podaniem powodu (dyrektor)"""
    _as_approver()
    return rpc.call("messaging", "reject_announcement", announcement_id, data)


@bp.route("/announcements/<announcement_id>/withdrawal", methods=["POST"])
@bp.response(200, AnnouncementOut)
def withdraw_announcement(announcement_id):
    """Wycofaj ogłoszenie (autor, dyrektor, administrator)"""
    return rpc.call("messaging", "withdraw_announcement", announcement_id)


# ------------------------------------------------------------------ outage notices (OPS-1)

@bp.route("/schools/<school_id>/outage-notices", methods=["GET"])
@school_scoped()
@bp.response(200, OutageOut(many=True))
def outage_notices(school_id):
    """Aktywne komunikaty o awarii szkoły"""
    return rpc.call("messaging", "outage_notices", school_id)


@bp.route("/schools/<school_id>/outage-notices", methods=["POST"])
@requires(*OUTAGE_PUBLISHERS)
@school_scoped()
@bp.arguments(OutageIn)
@bp.response(201, OutageOut)
def publish_outage_notice(data, school_id):
    """Opublikuj komunikat o awarii z przewidywanym czasem naprawy (administrator, OPS-1)

    Widoczny na każdej stronie szkoły do wycofania; awaria dłuższa niż doba także na stronie
    logowania. Dyrekcja i nauczyciele dostają wiadomość systemową."""
    result = rpc.call("messaging", "publish_outage_notice", data)
    forget_outage_notices(school_id)
    return result


@bp.route("/schools/<school_id>/outage-notices/<notice_id>/withdrawal", methods=["POST"])
@requires(*OUTAGE_PUBLISHERS)
@school_scoped()
@bp.response(200, OutageOut)
def withdraw_outage_notice(school_id, notice_id):
    """Wycofaj komunikat o awarii (awaria usunięta)"""
    result = rpc.call("messaging", "withdraw_outage_notice", notice_id)
    forget_outage_notices(school_id)
    return result


@bp.route("/public/outage-notices", methods=["GET"])
@public
@bp.response(200, PublicOutageOut(many=True))
def public_outage_notices_route():
    """Publiczne komunikaty o awariach dłuższych niż doba (bez logowania, OPS-1)"""
    return public_outage_notices()


# ------------------------------------------------------------------ messaging settings

@bp.route("/schools/<school_id>/messaging-settings", methods=["GET"])
@requires(*SETTINGS_READERS)
@school_scoped()
@bp.response(200, SettingsOut)
def messaging_settings(school_id):
    """Ustawienia wiadomości szkoły (uczniowie piszą?, serwer SMTP powiadomień)"""
    return rpc.call("messaging", "messaging_settings", school_id)


@bp.route("/schools/<school_id>/messaging-settings", methods=["PATCH"])
@requires(*ADMINS)
@school_scoped()
@bp.arguments(SettingsIn)
@bp.response(200, SettingsOut)
def update_messaging_settings(data, school_id):
    """Zmień ustawienia wiadomości (administrator); hasło SMTP nie jest nigdy zwracane"""
    return rpc.call("messaging", "update_messaging_settings", school_id, data)
