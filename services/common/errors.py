"""Typed RPC errors. Raised in a service, they arrive at the caller as the same class
(``deserialize_to_instance``), so the gateway maps them to HTTP statuses without parsing text.

Each carries a message for the user (Polish) and optional per-field messages."""
from nameko.exceptions import deserialize_to_instance


class RegisterError(Exception):
    """Base of the typed errors: ``RegisterError(message, fields)``."""
    code = "error"
    http_status = 400
    default_message = "Błąd"

    def __init__(self, message=None, fields=None):
        super().__init__(message or self.default_message, fields or {})

    @property
    def message(self):
        return self.args[0]

    @property
    def fields(self):
        return self.args[1] if len(self.args) > 1 else {}

    def __str__(self):
        return self.message

    def to_dict(self):
        body = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


@deserialize_to_instance
class NotFound(RegisterError):
    code, http_status, default_message = "not_found", 404, "Nie znaleziono."


@deserialize_to_instance
class Forbidden(RegisterError):
    code, http_status, default_message = "forbidden", 403, "Brak uprawnień do tej operacji."


@deserialize_to_instance
class Invalid(RegisterError):
    code, http_status, default_message = "invalid", 422, "Niepoprawne dane."


@deserialize_to_instance
class Conflict(RegisterError):
    code, http_status, default_message = "conflict", 409, "Operacja koliduje z istniejącymi danymi."


@deserialize_to_instance
class Unauthenticated(RegisterError):
    code, http_status, default_message = "unauthenticated", 401, "Wymagane zalogowanie."


@deserialize_to_instance
class Unavailable(RegisterError):
    code, http_status, default_message = "unavailable", 503, "Usługa chwilowo niedostępna. Spróbuj ponownie za chwilę."


EXPECTED = (NotFound, Forbidden, Invalid, Conflict, Unauthenticated, Unavailable)
