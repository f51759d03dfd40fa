"""Declare the bus topology at deploy time: ``python -m services.topology``.

Every subscriber's durable queues (main, retry, dead letters) and the event exchanges exist
before any service publishes, so an event published before its consumer first starts is kept
(nameko alone declares a queue only when the consumer starts)."""
import sys

from services.common import config
from services.common.handlers import declare_topology, subscriptions
from services.registry import SERVICE_CLASSES, service_class


def main():
    classes = [service_class(name) for name in SERVICE_CLASSES]
    declare_topology(config.get("AMQP_URI"), classes)
    for cls in classes:
        for source, fact, method in subscriptions(cls):
            print(f"declared evt-{source}-{fact}--{cls.name}.{method} (+ .retry, .dlq)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
