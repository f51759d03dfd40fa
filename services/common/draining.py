"""Graceful stop without lost acknowledgements.

nameko 2.14 stops entrypoints first; when the last consumer unregisters, the queue consumer
closes its connection, so a worker that finishes afterwards cannot ack its message: the broker
redelivers it (an RPC request would run twice on another instance). ``DrainOnStop`` makes an
entrypoint wait for its in-flight workers before it unregisters, while the connection is still
open; messages that arrive meanwhile are requeued at once for another instance."""
import time

from nameko.rpc import Rpc

DRAIN_TIMEOUT = 25.0   # below Kubernetes' default 30 s grace period


class DrainOnStop:
    _inflight = 0
    _stopping = False

    def _requeue(self, message):
        raise NotImplementedError

    def _begin(self, message):
        """False when the message was handed back because the entrypoint is stopping."""
        if self._stopping:
            self._requeue(message)
            return False
        self._inflight += 1
        return True

    def _end(self):
        self._inflight = max(0, self._inflight - 1)

    def stop(self):
        self._stopping = True
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while self._inflight > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        super().stop()


class DrainingRpc(DrainOnStop, Rpc):
    """nameko's ``Rpc`` that drains on stop (used by ``typed_rpc``)."""

    def _requeue(self, message):
        self.rpc_consumer.requeue_message(message)

    def handle_message(self, body, message):
        if not self._begin(message):
            return
        try:
            super().handle_message(body, message)
        except BaseException:
            self._end()   # RpcConsumer answers the caller with the error
            raise

    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        finally:
            self._end()
