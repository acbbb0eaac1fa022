"""
What the app survived. A request never fails or waits long because a CacheBus server (Redis, RabbitMQ) or the local
outbox failed: the failure is logged and counted here, per (what failed, the error's type), and what the request
wanted done waits in the outbox. After a failure the server is left alone for a while (Backoff), so requests do not
each wait for a timeout while it is known to be down.
"""
import collections
import logging
import time

logger = logging.getLogger("cachebus_django")
counts = collections.Counter()


def record(what, error, doing):
    counts[(what, type(error).__name__)] += 1
    logger.warning("CacheBus: %s failed while %s (%s: %s)", what, doing, type(error).__name__, error)


class Backoff:
    def __init__(self):
        self._until = 0.0

    def allows(self):
        return time.monotonic() >= self._until

    def failed(self, seconds):
        self._until = time.monotonic() + seconds

    def succeeded(self):
        self._until = 0.0
