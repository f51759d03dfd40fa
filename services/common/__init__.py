"""The platform every service stands on, and nothing more.

- ``config``: settings from environment variables with documented defaults.
- ``errors``: typed RPC errors (not found, forbidden, invalid, conflict, unauthenticated).
- ``context``: the caller's context (user, school, roles) carried by every RPC call and event.
- ``events``: the event envelope and the catalogue of every event's payload schema.
- ``db``: the SQLAlchemy dependency (a session per worker) and engine helpers.
- ``models``: the platform's own tables that live in every service's database (outbox, processed events).
- ``outbox``: the transactional outbox and its relay (publisher confirms).
- ``handlers``: the reliable, idempotent event-handler entrypoint (retry with back-off, dead letters).
- ``logs``: structured JSON logging with the call id.
- ``service``: the base every service class extends (health RPC).
"""
