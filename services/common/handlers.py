"""Reliable event handling: what nameko's ``event_handler`` lacks, on purpose.

``@subscribe("scheduling.student_removed")`` consumes the durable queue
``evt-scheduling-student_removed--<service>.<method>`` (nameko's own naming, so the queue is
shared by every instance of the service) and adds:

- validation: a malformed envelope or payload goes straight to the dead-letter queue
  ``<queue>.dlq`` with a log line; the consumer keeps running;
- retries with back-off: a handler that raises is acked and republished to ``<queue>.retry``
  with a per-message TTL (DZIENNIK_EVENT_RETRY_DELAY doubled per attempt); the broker
  dead-letters it back to the main queue when the TTL expires. After DZIENNIK_EVENT_MAX_RETRIES
  attempts it goes to ``<queue>.dlq``. Nothing is dropped and nothing loops forever;
- ``declare_topology()`` declares these queues at deploy time, so events published before a
  consumer first starts are kept.

``@idempotent`` (under ``@subscribe``) applies an event once: the event id is stored in the
consumer's ``processed_events`` table in the same transaction as the handler's changes.
"""
import json
import logging
from functools import wraps

from kombu import Connection, Exchange, Queue
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler
from sqlalchemy.exc import IntegrityError

from .draining import DrainOnStop
from .errors import Invalid
from .events import MalformedEvent, load_envelope, split_name
from .models import ProcessedEvent

log = logging.getLogger(__name__)

RETRY_HEADER = "x-dz-attempt"
SOURCES = ("identity", "scheduling", "grades", "attendance", "messaging", "archive")
DEFAULT_ARGS = {"x-queue-type": "classic"}


def queue_names(source_service, fact, service_name, method_name):
    main = f"evt-{source_service}-{fact}--{service_name}.{method_name}"
    return main, main + ".retry", main + ".dlq"


def declare_queues(channel, source_service, fact, service_name, method_name):
    main, retry, dlq = queue_names(source_service, fact, service_name, method_name)
    exchange = Exchange(f"{source_service}.events", type="topic", durable=True)
    exchange(channel).declare()
    Queue(main, exchange=exchange, routing_key=fact, durable=True, auto_delete=False)(channel).declare()
    Queue(retry, durable=True, auto_delete=False, queue_arguments={
        "x-dead-letter-exchange": "", "x-dead-letter-routing-key": main})(channel).declare()
    Queue(dlq, durable=True, auto_delete=False)(channel).declare()
    return main, retry, dlq


def declare_wildcard_queues(channel, sources, service_name, method_name):
    """The queue of a handler of every event of ``sources`` (e.g. the audit trail)."""
    from kombu import binding
    main = f"evt-all--{service_name}.{method_name}"
    exchanges = [Exchange(f"{src}.events", type="topic", durable=True) for src in sources]
    for ex in exchanges:
        ex(channel).declare()
    Queue(main, bindings=[binding(ex, routing_key="#") for ex in exchanges], durable=True,
          auto_delete=False)(channel).declare()
    Queue(main + ".retry", durable=True, auto_delete=False, queue_arguments={
        "x-dead-letter-exchange": "", "x-dead-letter-routing-key": main})(channel).declare()
    Queue(main + ".dlq", durable=True, auto_delete=False)(channel).declare()
    return main, main + ".retry", main + ".dlq"


def subscriptions(service_cls):
    """(source_service, fact, method) of every @subscribe entrypoint of a service class."""
    found = []
    for name in dir(service_cls):
        method = getattr(service_cls, name, None)
        for ext in getattr(method, "nameko_entrypoints", ()) or ():
            if isinstance(ext, WildcardEventHandler):
                found.append(("*", "*", name))
            elif isinstance(ext, ReliableEventHandler):
                source, fact = ext.source_service, ext.event_type
                found.append((source, fact, name))
    return found


def declare_topology(amqp_uri, service_classes):
    """Declare every subscriber's queues (main, retry, dead letters) before anything runs."""
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for cls in service_classes:
            for source, fact, method in subscriptions(cls):
                if source == "*":
                    declare_wildcard_queues(channel, SOURCES, cls.name, method)
                else:
                    declare_queues(channel, source, fact, cls.name, method)
        channel.close()


class ReliableEventHandler(DrainOnStop, EventHandler):
    """Use through ``subscribe("<service>.<fact>")``. Drains in-flight events on a graceful stop."""

    def _requeue(self, message):
        self.queue_consumer.requeue_message(message)

    def setup(self):
        super().setup()
        config = self.container.config
        self.max_retries = int(config.get("EVENT_MAX_RETRIES", 5))
        self.retry_delay = float(config.get("EVENT_RETRY_DELAY", 1.0))
        self.event_name = f"{self.source_service}.{self.event_type}"
        main, self.retry_queue, self.dlq = queue_names(
            self.source_service, self.event_type, self.container.service_name, self.method_name)
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=True)
        with Connection(config["AMQP_URI"]) as conn:
            channel = conn.channel()
            declare_queues(channel, self.source_service, self.event_type,
                           self.container.service_name, self.method_name)
            channel.close()

    def handle_message(self, body, message):
        try:
            envelope = load_envelope(body, expected_name=self.event_name)
        except MalformedEvent as exc:
            self._dead_letter(message, body, f"malformed: {exc}", attempt=0)
            return
        if not self._begin(message):
            return
        try:
            super().handle_message(envelope, message)
        except BaseException:
            self._end()
            raise

    def handle_message_processed(self, message, result=None, exc_info=None):
        try:
            self._settle(message, exc_info)
        finally:
            self._end()

    def _settle(self, message, exc_info):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        body = message.payload
        attempt = int((message.headers or {}).get(RETRY_HEADER, 0)) + 1
        exc = exc_info[1]
        reason = f"{type(exc).__name__}: {exc}"
        try:
            if isinstance(exc, (Invalid, MalformedEvent)) or attempt > self.max_retries:
                self._dead_letter(message, body, reason, attempt)
                return
            delay = self.retry_delay * (2 ** (attempt - 1))
            self.publisher.publish(
                body, exchange="", routing_key=self.retry_queue, delivery_mode=2,
                expiration=delay, headers={**(message.headers or {}), RETRY_HEADER: attempt,
                                           "x-dz-last-error": reason[:500]},
                retry=True, retry_policy={"max_retries": 2})
            log.warning("event %s failed in %s (attempt %s/%s, retry in %.1fs): %s",
                        self.event_name, self.method_name, attempt, self.max_retries, delay, reason,
                        extra={"event_id": body.get("id") if isinstance(body, dict) else None,
                               "event_name": self.event_name})
            self.queue_consumer.ack_message(message)
        except Exception:
            # Could not hand it on (broker gone?): give it back; the broker redelivers it.
            log.exception("could not schedule a retry of %s; requeueing", self.event_name)
            self.queue_consumer.requeue_message(message)

    def _dead_letter(self, message, body, reason, attempt):
        event_id = body.get("id") if isinstance(body, dict) else None
        try:
            self.publisher.publish(
                body if isinstance(body, (dict, list, str)) else str(body),
                exchange="", routing_key=self.dlq, delivery_mode=2,
                headers={**(message.headers or {}), RETRY_HEADER: attempt,
                         "x-dz-dead-reason": reason[:1000], "x-dz-queue": self.queue.name},
                retry=True, retry_policy={"max_retries": 2})
        except Exception:
            log.exception("could not dead-letter %s; requeueing", self.event_name)
            self.queue_consumer.requeue_message(message)
            return
        log.error("event dead-lettered to %s: %s", self.dlq, reason,
                  extra={"event_id": event_id, "event_name": self.event_name, "queue": self.dlq})
        self.queue_consumer.ack_message(message)


class WildcardEventHandler(ReliableEventHandler):
    """Every event of every service (the audit trail): one queue bound with ``#`` to each
    service's exchange. Same retries, dead letters and validation as ``subscribe``."""

    def __init__(self, **kwargs):
        super().__init__("*", "*", **kwargs)

    def setup(self):
        from nameko.messaging import Consumer
        config = self.container.config
        self.max_retries = int(config.get("EVENT_MAX_RETRIES", 5))
        self.retry_delay = float(config.get("EVENT_RETRY_DELAY", 1.0))
        self.event_name = None
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=True)
        from kombu import binding
        with Connection(config["AMQP_URI"]) as conn:
            channel = conn.channel()
            main, self.retry_queue, self.dlq = declare_wildcard_queues(
                channel, SOURCES, self.container.service_name, self.method_name)
            channel.close()
        exchanges = [Exchange(f"{src}.events", type="topic", durable=True) for src in SOURCES]
        self.queue = Queue(main, bindings=[binding(ex, routing_key="#") for ex in exchanges],
                           durable=True, auto_delete=False)
        Consumer.setup(self)


def subscribe_all(**kwargs):
    """Decorate a service method as the reliable handler of every event of every service."""
    return WildcardEventHandler.decorator(**kwargs)


def subscribe(name, **kwargs):
    """Decorate a service method as the reliable handler of event ``name`` (``service.fact``)."""
    source_service, fact = split_name(name)
    return ReliableEventHandler.decorator(source_service, fact, **kwargs)


def idempotent(fn):
    """Apply an event at most once per handler. The method gets the loaded envelope, works in
    ``self.db.session`` and must not commit: the wrapper commits its changes together with the
    processed-event record (and any outbox rows), or rolls everything back."""

    @wraps(fn)
    def wrapper(self, event):
        handler = f"{self.name}.{fn.__name__}"
        session = self.db.session
        if session.get(ProcessedEvent, (event["id"], handler)) is not None:
            log.info("duplicate event %s ignored by %s", event["id"], handler,
                     extra={"event_id": event["id"], "event_name": event["name"]})
            return None
        try:
            result = fn(self, event)
            session.add(ProcessedEvent(event_id=event["id"], handler=handler, name=event["name"]))
            session.commit()
        except IntegrityError:
            # Another instance applied the same event concurrently: theirs stands.
            session.rollback()
            if session.get(ProcessedEvent, (event["id"], handler)) is not None:
                log.info("duplicate event %s applied concurrently elsewhere", event["id"])
                return None
            raise
        except BaseException:
            session.rollback()
            raise
        return result

    return wrapper


def dead_letters(amqp_uri, queue, limit=100):
    """Peek at a dead-letter queue without consuming (messages are returned to the queue)."""
    out = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        q = Queue(queue, durable=True, auto_delete=False)(channel)
        messages = []
        for _ in range(limit):
            msg = q.get(no_ack=False)
            if msg is None:
                break
            messages.append(msg)
            out.append({"headers": dict(msg.headers or {}), "body": json.loads(msg.body)
                        if isinstance(msg.body, (str, bytes)) else msg.body})
        for msg in messages:
            msg.requeue()
        channel.close()
    return out
