"""Secrets a service must keep but never show: sealed with a key of the service's own.

A sealed value is ``"sealed:v1:" + Fernet token`` (AES-128-CBC with HMAC-SHA256, from
``cryptography``); the Fernet key is the SHA-256 of the service's secret. The secret comes from
an environment variable (set it in production, the same on every replica) or, on a single
machine, from a random file made once beside the service's data (0600). Values stored before
sealing existed read back as they are, and are sealed the next time they are saved."""
import base64
import hashlib
import os
import secrets

from cryptography.fernet import Fernet, InvalidToken

PREFIX = "sealed:v1:"


class SealError(RuntimeError):
    """A sealed value that this key cannot open (the secret changed)."""


def local_secret(env_name, directory):
    """``env_name``'s value, or a random secret kept in ``directory``/.secret (made once, 0600)."""
    env = os.environ.get(env_name)
    if env:
        return env.encode()
    os.makedirs(directory, mode=0o700, exist_ok=True)
    path = os.path.join(directory, ".secret")
    if not os.path.exists(path):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass    # another worker made it just now
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
    with open(path, encoding="ascii") as fh:
        return fh.read().strip().encode()


class Sealer:
    def __init__(self, secret):
        key = base64.urlsafe_b64encode(hashlib.sha256(secret).digest())
        self._fernet = Fernet(key)

    def seal(self, text):
        if text is None or text == "":
            return text
        return PREFIX + self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def unseal(self, stored):
        if not stored or not is_sealed(stored):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX):].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise SealError("The stored secret was sealed with another key.") from None


def is_sealed(stored):
    return isinstance(stored, str) and stored.startswith(PREFIX)
