"""Configuration from environment variables. Every setting and its default is listed in
docs/configuration.md; a test keeps the two in step (tests/unit/test_config_docs.py)."""
import os

SERVICES = ("identity", "scheduling", "grades", "attendance", "messaging", "archive")

# name -> (default, description). The single source of truth for settings.
SETTINGS = {
    "AMQP_URI": ("amqp://guest:guest@127.0.0.1:5672/", "RabbitMQ connection URI (vhost included)."),
    "DZIENNIK_DATA_DIR": ("./data", "Folder of the default SQLite databases and service files."),
    "<SERVICE>_DATABASE_URL": ("sqlite:///<DATA_DIR>/<service>.db",
                               "SQLAlchemy URL of one service's database, e.g. IDENTITY_DATABASE_URL."),
    "DZIENNIK_MAX_WORKERS": ("10", "Concurrent workers per service instance."),
    "DZIENNIK_RPC_REPLY_CONFIRMS": ("0", "1: services publish RPC replies with publisher confirms (nameko's default); 0: without (a lost reply is a caller's timeout either way; docs/performance.md)."),
    "DZIENNIK_RPC_TIMEOUT": ("5", "Seconds a caller (gateway or service) waits for an RPC reply before answering 503."),
    "DZIENNIK_RPC_POOL_SIZE": ("4", "RPC proxies per gateway process (one is checked out per request)."),
    "DZIENNIK_OUTBOX_POLL": ("0.5", "Seconds between outbox relay polls (it is also woken after each commit)."),
    "DZIENNIK_EVENT_MAX_RETRIES": ("5", "Attempts of a failing event handler before the event is dead-lettered."),
    "DZIENNIK_EVENT_RETRY_DELAY": ("1.0", "Seconds before the first retry; doubled for each further one."),
    "DZIENNIK_HEARTBEAT_SECONDS": ("5", "Seconds between a service instance's heartbeats (metrics snapshots) to dz.heartbeats."),
    "DZIENNIK_LOG_LEVEL": ("INFO", "Log level of services and gateway."),
    "DZIENNIK_LOG_FORMAT": ("json", "'json' (one object per line) or 'text'."),
    "DZIENNIK_SECRET_KEY": ("dev-insecure-change-me", "Gateway secret for CSRF tokens; set it in production."),
    "DZIENNIK_ARGON2_TIME_COST": ("2", "argon2id passes over memory for password hashes (identity; OWASP minimum 2)."),
    "DZIENNIK_ARGON2_MEMORY_KIB": ("19456", "argon2id memory per hash in KiB (identity; OWASP minimum 19456 = 19 MiB)."),
    "DZIENNIK_ARGON2_PARALLELISM": ("1", "argon2id lanes per hash (identity)."),
    "DZIENNIK_SESSION_IDLE_MINUTES": ("30", "A session ends after this many minutes without a request."),
    "DZIENNIK_LOGIN_THROTTLE_SECONDS": ("1", "After 5 failed logins, the wait before the next attempt: this, doubled per further failure (at most 60 s); 10 failures block the account."),
    "DZIENNIK_COOKIE_SECURE": ("1", "Mark the session cookie Secure (set 0 only for plain-HTTP local runs)."),
    "DZIENNIK_TRUSTED_PROXIES": ("0", "Reverse proxies in front of the gateway (nginx, Ingress: 1) whose X-Forwarded-For gives the user's address."),
    "DZIENNIK_RABBIT_MGMT_URL": ("http://127.0.0.1:15672", "RabbitMQ management API for the operations dashboard (queue depths); credentials and vhost come from AMQP_URI."),
    "DZIENNIK_METRICS_TOKEN": ("", "If set, /metrics requires 'Authorization: Bearer <token>'."),
    "DZIENNIK_ATTACHMENT_MAX_BYTES": ("5242880", "Largest attachment of a message, in bytes (messaging)."),
    "DZIENNIK_ATTACHMENT_MAX_COUNT": ("5", "Most attachments in one message (messaging)."),
    "DZIENNIK_SMTP_TIMEOUT": ("10", "Seconds messaging waits for a school's SMTP server when sending e-mail notices."),
    "DZIENNIK_MESSAGING_SECRET": ("", "Key that seals the schools' SMTP passwords stored by messaging; set it in production, the same on every replica."),
    "DZIENNIK_ARCHIVE_SECRET": ("", "Key that encrypts the school certificates (PKCS#12) stored by archive; set it in production."),
    "DZIENNIK_GATEWAY_BIND": ("127.0.0.1:8000", "Address gunicorn binds the gateway to."),
    "DZIENNIK_GATEWAY_WORKERS": ("2", "gunicorn worker processes (4 threads each)."),
}


def get(name, default=None):
    """An environment setting; the default comes from SETTINGS unless given."""
    if default is None and name in SETTINGS:
        default = SETTINGS[name][0]
    return os.environ.get(name, default)


def data_dir():
    path = get("DZIENNIK_DATA_DIR")
    os.makedirs(path, exist_ok=True)
    return path


def database_url(service):
    """The database of one service: <SERVICE>_DATABASE_URL, else a SQLite file in the data folder."""
    url = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{os.path.abspath(os.path.join(data_dir(), service + '.db'))}"


def nameko_config(service):
    """The nameko config dict of one service instance."""
    return {
        "AMQP_URI": get("AMQP_URI"),
        "max_workers": int(get("DZIENNIK_MAX_WORKERS")),
        "serializer": "json",
        "DATABASE_URL": database_url(service),
        "OUTBOX_POLL": float(get("DZIENNIK_OUTBOX_POLL")),
        "EVENT_MAX_RETRIES": int(get("DZIENNIK_EVENT_MAX_RETRIES")),
        "EVENT_RETRY_DELAY": float(get("DZIENNIK_EVENT_RETRY_DELAY")),
        # Our reliable handlers dead-letter instead of requeueing; keep heartbeats so a
        # dead broker is noticed and the consumer reconnects.
        "HEARTBEAT": 15,
        "RPC_REPLY_CONFIRMS": get("DZIENNIK_RPC_REPLY_CONFIRMS") == "1",
    }
