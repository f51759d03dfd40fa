"""Messages (WIADOMOŚCI) and notes (UWAGA) with read receipts (MSG-1, MSG-2, MSG-3)."""
from services.common.errors import Forbidden

from .. import rpc
from ..auth import ADMINS, DIRECTORS, PARENT, SECRETARY, TEACHERS, require_role, requires
from ..schemas import InboxQuery, MessageIn, MessageOut, ReceiptOut
from . import api_blueprint

bp = api_blueprint("messages", __name__, "Wiadomości i uwagi.")

NOTE_AUTHORS = TEACHERS + DIRECTORS + ADMINS
SENDERS = NOTE_AUTHORS + (SECRETARY, PARENT)


@bp.route("/messages", methods=["POST"])
@requires(*SENDERS)
@bp.arguments(MessageIn)
@bp.response(201, MessageOut)
def send_message(data):
    """Wyślij wiadomość lub uwagę

    Uwaga (`kind: note`) trafia do rodziców ucznia i do jego kartoteki (MSG-3)."""
    if data["kind"] == "note":
        try:
            require_role(*NOTE_AUTHORS)
        except Forbidden:
            raise Forbidden("Uwagi wpisują nauczyciele, wychowawcy, dyrekcja i administratorzy.") from None
    return rpc.call("messaging", "send_message", data)


@bp.route("/messages/inbox", methods=["GET"])
@bp.arguments(InboxQuery, location="query")
@bp.response(200, MessageOut(many=True))
def inbox(query):
    """Odebrane wiadomości"""
    return rpc.call("messaging", "inbox", limit=query["limit"])


@bp.route("/messages/<message_id>", methods=["GET"])
@bp.response(200, MessageOut)
def read_message(message_id):
    """Otwórz wiadomość (zapisuje potwierdzenie odczytu, MSG-2)"""
    return rpc.call("messaging", "read_message", message_id)


@bp.route("/messages/<message_id>/receipts", methods=["GET"])
@bp.response(200, ReceiptOut(many=True))
def receipts(message_id):
    """Kto i kiedy odczytał wiadomość (dla nadawcy)"""
    return rpc.call("messaging", "receipts", message_id)
