"""``perf_echo``: a nameko service with one RPC that does nothing, for the no-op-RPC baseline.

    python -m tests.perf.echo_service

Runs like the register's services (eventlet, ``max_workers`` from DZIENNIK_MAX_WORKERS, JSON
serializer, the platform's ``typed_rpc`` entrypoint with its reply path) so one call measures the
round trip gateway -> RabbitMQ -> service -> reply and nothing else. Benchmark-only: never deployed."""
import eventlet

eventlet.monkey_patch()  # noqa: E402

import services  # noqa: F401,E402  (silences eventlet's deprecation warning)

from services.common import config  # noqa: E402
from services.common.service import typed_rpc  # noqa: E402


class PerfEcho:
    name = "perf_echo"

    @typed_rpc
    def noop(self):
        return "ok"


def main():
    from nameko.cli.run import run
    run([PerfEcho], {"AMQP_URI": config.get("AMQP_URI"), "serializer": "json",
                     "max_workers": int(config.get("DZIENNIK_MAX_WORKERS")),
                     "RPC_REPLY_CONFIRMS": config.get("DZIENNIK_RPC_REPLY_CONFIRMS") == "1"})


if __name__ == "__main__":
    main()
