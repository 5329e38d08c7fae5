"""Brokers carry committed events (and control messages) between worker processes.

The database is the record; a broker only carries. Two implementations share one interface:
`LocalBroker` (one process, no services) and `RedisBroker` (Redis pub/sub, any number of
workers and hosts). Each worker runs exactly one `listen` loop, never one per stream.
"""
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Protocol

import gevent
from gevent.queue import Queue
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger("parley.realtime")
CHANNEL = "parley:events"
OUTGOING_LIMIT = 10_000  # messages waiting for Redis at most; the oldest go first (the database keeps them)


class Broker(Protocol):
    """Carries opaque messages (bytes) from publishers to every worker's listener."""

    def publish(self, message: bytes) -> None:
        """Send `message` to every listener (at most once; order is not promised)."""

    def listen(self, on_message: Callable[[bytes], None], on_subscribed: Callable[[bool], None]) -> None:
        """Run forever (in a greenlet): call `on_subscribed(resumed)` each time the
        subscription is live, and `on_message` for each message. `resumed` is True when
        messages may have been missed before it (the subscription was lost, or the first
        attempt failed), False for a first subscription that missed nothing."""


class LocalBroker:
    """The in-process broker: a queue feeding this process's one listener."""

    def __init__(self):
        self._queue: Queue = Queue()
        self._listening = False

    def publish(self, message: bytes) -> None:
        # Until a listener runs (no stream opened yet) there is nobody to carry to; the
        # database keeps every event, so nothing is lost by dropping.
        if self._listening:
            self._queue.put(message)

    def listen(self, on_message, on_subscribed) -> None:
        self._listening = True
        on_subscribed(False)
        while True:
            on_message(self._queue.get())


class RedisBroker:
    """Redis pub/sub on one channel. Publishing uses a pooled client; listening uses one
    connection per worker, resubscribed by this loop itself after any error (redis-py does
    not resubscribe reliably: redis/redis-py#1572), with `on_subscribed(True)` to catch up."""

    def __init__(self, url: str, channel: str = CHANNEL):
        import redis

        self._redis = redis
        self.url = url
        self.channel = channel
        self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._outgoing: deque[bytes] = deque()
        self._ready = threading.Condition()
        self._sender: threading.Thread | None = None

    def publish(self, message: bytes) -> None:
        """Queue `message` for this worker's one publisher and return at once: no request
        waits on Redis (a hung or dying Redis holds the publisher, not the sends). Messages
        leave in the order given; past OUTGOING_LIMIT waiting, the oldest is dropped."""
        with self._ready:
            if len(self._outgoing) >= OUTGOING_LIMIT:
                self._outgoing.popleft()
                log.warning("Redis publishing is behind: dropped the oldest waiting message")
            self._outgoing.append(message)
            if self._sender is None or not self._sender.is_alive():
                self._sender = threading.Thread(target=self._publish_forever, name="parley-publisher", daemon=True)
                self._sender.start()
            self._ready.notify()

    def _publish_forever(self) -> None:
        # A thread, so a greenlet under gevent's patching (gunicorn) and a thread elsewhere.
        while True:
            with self._ready:
                while not self._outgoing:
                    self._ready.wait()
                batch = list(self._outgoing)
                self._outgoing.clear()
            try:
                pipe = self._client.pipeline(transaction=False)
                for message in batch:
                    pipe.publish(self.channel, message)
                pipe.execute()
            except self._redis.RedisError as exc:
                # Nothing is lost: every listener reads missed ids from the database.
                log.warning("could not publish %d message(s) to Redis: %s", len(batch), exc)

    def listen(self, on_message, on_subscribed) -> None:
        delay = 0.1
        first = True
        while True:
            pubsub = None
            try:
                # No silent retries: a dropped connection must surface here, so that the
                # resubscription says so (resumed) and the gap is read from the database.
                client = self._redis.Redis.from_url(self.url, socket_connect_timeout=5, health_check_interval=10,
                                                    retry=Retry(NoBackoff(), 0))
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                # SUBSCRIBE is written before anything on_subscribed publishes, and other
                # workers answer only a round trip later: the answers find it live.
                on_subscribed(not first)
                first, delay = False, 0.1
                while True:
                    item = pubsub.get_message(timeout=10.0)
                    if item is not None and item["type"] == "message":
                        on_message(item["data"])
            except self._redis.RedisError as exc:
                log.warning("Redis subscription lost (%s); retrying in %.1fs", exc, delay)
                first = False
                gevent.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except self._redis.RedisError:
                        pass


def make_broker(redis_url: str | None, channel: str = CHANNEL) -> Broker:
    """RedisBroker on `channel` when `redis_url` is set, else LocalBroker."""
    return RedisBroker(redis_url, channel) if redis_url else LocalBroker()


__all__ = ["Broker", "LocalBroker", "RedisBroker", "make_broker"]
