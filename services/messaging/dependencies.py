"""messaging's I/O outside its database, each behind a nameko dependency:

- ``DirectoryRpc``: identity and scheduling asked as the system (see below);
- ``AttachmentStore``: attachment files, content-addressed under the data folder;
- ``send_notices``: e-mail notices through the school's own SMTP server (smtplib).
"""
import base64
import hashlib
import os
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import eventlet
from nameko.extensions import DependencyProvider

from services.common import config
from services.common.rpc import SystemRpc
from services.common.sealing import Sealer, local_secret

from . import domain

# ------------------------------------------------------------------------------------- directory


class DirectoryRpc(SystemRpc):
    """identity and scheduling asked as the system (services/common/rpc.py ``SystemRpc``)."""


def parallel(fn, items, size=8):
    """``fn`` over ``items`` with a few calls in flight at once (RPCs to another service)."""
    items = list(items)
    if len(items) <= 1:
        return [fn(i) for i in items]

    def caught(item):
        # Hand errors back as values: raised inside a green thread, eventlet would also print them.
        try:
            return True, fn(item)
        except Exception as exc:
            return False, exc
    results = list(eventlet.GreenPool(size).imap(caught, items))
    for ok, value in results:
        if not ok:
            raise value
    return [value for _, value in results]


# ------------------------------------------------------------------------------------- attachments


class FileStore:
    def __init__(self, root):
        self.root = root

    def put(self, data):
        """Store ``data`` once under its SHA-256; returns the hex digest. The file is written to a
        temporary name and renamed, so a reader never sees half a file."""
        digest = hashlib.sha256(data).hexdigest()
        path = domain.attachment_path(self.root, digest)
        if os.path.exists(path):
            return digest
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return digest

    def get(self, digest):
        """The content, or None when the file is missing or no longer matches its digest."""
        path = domain.attachment_path(self.root, digest)
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            return None
        return data


class AttachmentStore(DependencyProvider):
    """``self.files``: attachment files under ``DZIENNIK_DATA_DIR/messaging/attachments``
    (a volume shared by every instance of the service)."""

    def setup(self):
        self.store = FileStore(os.path.join(os.path.abspath(config.data_dir()), "messaging", "attachments"))

    def get_dependency(self, worker_ctx):
        return self.store


def attachment_limits():
    return int(config.get("DZIENNIK_ATTACHMENT_MAX_BYTES")), int(config.get("DZIENNIK_ATTACHMENT_MAX_COUNT"))


# ------------------------------------------------------------------------------------- e-mail

BCC_BATCH = 50


_SEALER = {}


def smtp_sealer():
    """Seals the schools' SMTP passwords in messaging's database (``DZIENNIK_MESSAGING_SECRET``,
    or a random secret in <data dir>/messaging on a single machine)."""
    if "sealer" not in _SEALER:
        _SEALER["sealer"] = Sealer(local_secret("DZIENNIK_MESSAGING_SECRET",
                                                os.path.join(config.data_dir(), "messaging")))
    return _SEALER["sealer"]


def smtp_login(smtp, user, password):
    """Log in to the school's SMTP server. smtplib encodes credentials as ASCII, and Polish
    letters in a password are common: those go as AUTH PLAIN in UTF-8 (RFC 4616)."""
    try:
        (user + password).encode("ascii")
    except UnicodeEncodeError:
        if "plain" not in smtp.esmtp_features.get("auth", "").lower().split():
            raise smtplib.SMTPException("The SMTP server does not offer AUTH PLAIN for a non-ASCII password.")
        token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode("ascii")
        code, response = smtp.docmd("AUTH", "PLAIN " + token)
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, response)
        return
    smtp.login(user, password)


def send_notices(settings, addresses, subject, body):
    """Send one notice to ``addresses`` through the school's SMTP server, in batches of blind
    copies (one connection). Raises on a failure, so that the event handler retries."""
    timeout = float(config.get("DZIENNIK_SMTP_TIMEOUT"))
    host, port = settings.smtp_host, settings.smtp_port
    security = settings.smtp_security or "starttls"
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port or 465, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port or 587, timeout=timeout)
    try:
        smtp.ehlo()
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.smtp_user:
            smtp_login(smtp, settings.smtp_user, smtp_sealer().unseal(settings.smtp_password) or "")
        sender = settings.from_address or "dziennik@localhost"
        for i in range(0, len(addresses), BCC_BATCH):
            batch = addresses[i:i + BCC_BATCH]
            msg = EmailMessage()
            msg["From"] = sender
            msg["To"] = sender if len(batch) > 1 else batch[0]
            msg["Subject"] = subject
            msg["Date"] = formatdate(localtime=False)
            msg["Message-ID"] = make_msgid(domain="dziennik")
            msg["Auto-Submitted"] = "auto-generated"
            msg.set_content(body)
            smtp.send_message(msg, from_addr=sender, to_addrs=batch)
    finally:
        try:
            smtp.quit()
        except smtplib.SMTPException:
            smtp.close()
