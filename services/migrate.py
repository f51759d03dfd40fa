"""Run database migrations: ``python -m services.migrate all|<service> [revision -m MESSAGE]``."""
import sys

from services.common.config import SERVICES, database_url
from services.common.logs import quiet_known_warnings


def main(argv):
    quiet_known_warnings()
    from services.common import migrations
    if not argv:
        print("usage: python -m services.migrate all|<service> [revision -m MESSAGE]")
        return 2
    targets = SERVICES if argv[0] == "all" else [argv[0]]
    for svc in targets:
        if svc not in SERVICES:
            print(f"unknown service {svc!r}; one of: {', '.join(SERVICES)}")
            return 2
        if len(argv) > 1 and argv[1] == "revision":
            message = argv[argv.index("-m") + 1] if "-m" in argv else "change"
            migrations.autogenerate(svc, message)
        else:
            migrations.upgrade(svc)
            print(f"migrated {svc}: {database_url(svc).split('@')[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
