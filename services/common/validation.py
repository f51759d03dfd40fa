"""Loading RPC arguments through marshmallow schemas: a bad argument becomes the typed
``Invalid`` error naming the field, with messages in Polish for the user."""
import re

from marshmallow import ValidationError

from .errors import Invalid

# marshmallow's default messages, as users should read them.
_PL = [
    (r"^Missing data for required field\.$", "Pole wymagane."),
    (r"^Field may not be null\.$", "Pole nie może być puste."),
    (r"^Unknown field\.$", "Nieznane pole."),
    (r"^Not a valid string\.$", "Oczekiwano tekstu."),
    (r"^Not a valid integer\.$", "Oczekiwano liczby całkowitej."),
    (r"^Not a valid number\.$", "Oczekiwano liczby."),
    (r"^Not a valid boolean\.$", "Oczekiwano wartości tak/nie."),
    (r"^Not a valid date\.$", "Niepoprawna data (RRRR-MM-DD)."),
    (r"^Not a valid datetime\.$", "Niepoprawna data i godzina."),
    (r"^Not a valid email address\.$", "Niepoprawny adres e-mail."),
    (r"^Not a valid list\.$", "Oczekiwano listy."),
    (r"^Not a valid mapping type\.$", "Oczekiwano obiektu."),
    (r"^Invalid input type\.$", "Niepoprawny typ danych."),
    (r"^String does not match expected pattern\.$", "Niepoprawny format."),
    (r"^Must be one of: (.*)\.$", r"Dozwolone wartości: \1."),
    (r"^Length must be between (\d+) and (\d+)\.$", r"Długość od \1 do \2 znaków."),
    (r"^Shorter than minimum length (\d+)\.$", r"Najmniej \1 znaków/elementów."),
    (r"^Longer than maximum length (\d+)\.$", r"Najwyżej \1 znaków/elementów."),
    (r"^Must be greater than or equal to (.*) and less than or equal to (.*)\.$", r"Wartość od \1 do \2."),
    (r"^Must be greater than or equal to (.*)\.$", r"Wartość co najmniej \1."),
    (r"^Must be less than or equal to (.*)\.$", r"Wartość najwyżej \1."),
]
_PL = [(re.compile(a), b) for a, b in _PL]


def polish(messages):
    """Translate marshmallow's messages (nested dicts and lists) to Polish; others are kept."""
    if isinstance(messages, dict):
        return {k: polish(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [polish(m) for m in messages]
    if isinstance(messages, str):
        for pattern, repl in _PL:
            if pattern.match(messages):
                return pattern.sub(repl, messages)
    return messages


def load(schema_cls, data, **kwargs):
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise Invalid("Oczekiwano obiektu z danymi.", {"_schema": ["Niepoprawny format danych."]})
    try:
        return schema_cls(**kwargs).load(data)
    except ValidationError as exc:
        fields = polish(exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages})
        names = ", ".join(sorted(str(k) for k in fields if k != "_schema"))
        raise Invalid(f"Niepoprawne dane: {names}." if names else "Niepoprawne dane.", fields)
