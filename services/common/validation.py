"""Loading RPC arguments through marshmallow schemas: a bad argument becomes the typed
``Invalid`` error naming the field (in Polish for the user)."""
from marshmallow import ValidationError

from .errors import Invalid


def load(schema_cls, data, **kwargs):
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise Invalid("Oczekiwano obiektu z danymi.", {"_schema": ["Niepoprawny format danych."]})
    try:
        return schema_cls(**kwargs).load(data)
    except ValidationError as exc:
        raise Invalid("Niepoprawne dane: " + ", ".join(sorted(map(str, exc.messages))) + ".",
                      exc.messages)
