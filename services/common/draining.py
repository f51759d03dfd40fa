"""Graceful stop without lost acknowledgements.

nameko 2.14 stops entrypoints first; when the last consumer unregisters, the queue consumer
closes its connection, so a worker that finishes afterwards cannot ack its message: the broker
redelivers it (an RPC request would run twice on another instance). ``DrainOnStop`` makes an
entrypoint wait for its in-flight workers before it unregisters, while the connection is still
open; messages that arrive meanwhile are requeued at once for another instance."""
import time

from nameko.amqp.publish import Publisher
from nameko.constants import (AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, LOGIN_METHOD_CONFIG_KEY,
                              SERIALIZER_CONFIG_KEY)
from nameko.rpc import Responder, Rpc, get_rpc_exchange

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


class _UnconfirmedPublisher(Publisher):
    use_confirms = False


class _ReplyResponder(Responder):
    """nameko's reply, published without a publisher confirm. A confirm makes every reply wait
    for the broker's round trip, and buys nothing here: a reply that the broker loses is a
    timeout for the caller either way (its reply queue is its own), and the request is acked
    only after the publish returned. Requests keep confirms (nameko needs them to tell an
    unknown service)."""
    publisher_cls = _UnconfirmedPublisher


class DrainingRpc(DrainOnStop, Rpc):
    """nameko's ``Rpc`` that drains on stop (used by ``typed_rpc``) and, unless
    ``RPC_REPLY_CONFIRMS`` is set in the service's config (DZIENNIK_RPC_REPLY_CONFIRMS), replies
    without publisher confirms (``_ReplyResponder``)."""

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
            config = self.container.config
            if config.get("RPC_REPLY_CONFIRMS", False):
                return super().handle_result(message, worker_ctx, result, exc_info)
            # nameko's RpcConsumer.handle_result with our responder.
            responder = _ReplyResponder(
                config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
                config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
                ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
            result, exc_info = responder.send_response(result, exc_info)
            self.rpc_consumer.queue_consumer.ack_message(message)
            return result, exc_info
        finally:
            self._end()
