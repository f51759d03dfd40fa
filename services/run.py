"""Run one service instance: ``python -m services.run <service> [--migrate]``.

Equivalent to ``nameko run services.<name>.service:<Class>`` with the configuration taken from
environment variables (services/common/config.py). SIGTERM stops gracefully: running workers
finish and unacknowledged messages go back to the broker."""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (must come before anything else imports socket/threading)

import sys  # noqa: E402

from services.common import config  # noqa: E402
from services.common.logs import setup_logging  # noqa: E402

from services.registry import SERVICE_CLASSES, service_class  # noqa: E402


def main(argv):
    if not argv or argv[0] not in SERVICE_CLASSES:
        print(f"usage: python -m services.run <{'|'.join(SERVICE_CLASSES)}> [--migrate]")
        return 2
    name = argv[0]
    setup_logging(name)
    if "--migrate" in argv:
        from services.common.migrations import upgrade
        upgrade(name)
    from nameko.cli.run import run
    run([service_class(name)], config.nameko_config(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
