"""
Publishes a batch of intents on ONE connection with publisher confirms, pipelined: every message goes out at once
and the broker's acks are awaited together, so a flush of a hundred waiting intents costs one connection and about
one round trip. Every wait is bounded: the connection must open, and each ack must arrive, within `timeout` seconds
of the last progress (pika's blocking API has no bound on a confirm wait, hence its asynchronous one here).
"""
import pika
from pika import spec

EXCHANGE = "cachebus.invalidation-requested"
CONTENT_TYPE = "application/vnd.masstransit+json"


class BrokerTimeout(Exception):
    """The broker accepted the connection but did not answer in time (black-holed, frozen, or partitioned)."""


def publish(url, timeout, messages):
    """
    Publishes (body, message_id) pairs in order; returns (the indexes the broker confirmed, the error or None).
    Never raises for a broker, network or URL failure: the error is returned, and unconfirmed messages stay waiting.
    """
    batch = _Batch(messages, timeout)
    try:
        parameters = pika.URLParameters(url)
        parameters.socket_timeout = parameters.stack_timeout = parameters.blocked_connection_timeout = timeout
        parameters.connection_attempts = 1
        connection = pika.SelectConnection(parameters, on_open_callback=batch.opened,
                                           on_open_error_callback=batch.stop, on_close_callback=batch.stop)
    except (pika.exceptions.AMQPError, ValueError, TypeError, OSError) as error:  # a malformed URL among them
        return set(), error
    batch.run(connection)
    return batch.confirmed, batch.error


class _Batch:
    def __init__(self, messages, timeout):
        self.messages, self.timeout = messages, timeout
        self.confirmed, self.refused, self.error = set(), set(), None
        self.connection = self.timer = None

    def run(self, connection):
        self.connection = connection
        self._progress()
        connection.ioloop.start()
        connection.ioloop.close()

    @property
    def settled(self):
        return len(self.confirmed) + len(self.refused) == len(self.messages)

    def opened(self, connection):
        connection.channel(on_open_callback=self.channel_opened)

    def channel_opened(self, channel):
        channel.add_on_close_callback(self.channel_closed)
        channel.confirm_delivery(ack_nack_callback=self.answered, callback=lambda _: self.send(channel))

    def send(self, channel):
        self._progress()
        for body, message_id in self.messages:  # delivery tags count from 1, in publish order
            channel.basic_publish(EXCHANGE, "", body.encode(), pika.BasicProperties(
                content_type=CONTENT_TYPE, delivery_mode=2, message_id=message_id))
        self._close_when_settled()

    def answered(self, frame):
        method = frame.method
        answers = self.confirmed if isinstance(method, spec.Basic.Ack) else self.refused
        tags = range(1, method.delivery_tag + 1) if method.multiple else [method.delivery_tag]
        answers.update(tag - 1 for tag in tags if tag - 1 not in self.confirmed | self.refused)
        self._progress()
        self._close_when_settled()

    def _close_when_settled(self):
        if self.settled:
            if self.refused:
                self.error = pika.exceptions.NackError([])
            self._close()

    def _progress(self):
        """Every answer from the broker restarts the clock: a batch that keeps moving is never cut off."""
        if self.timer is not None:
            self.connection.ioloop.remove_timeout(self.timer)
        self.timer = self.connection.ioloop.call_later(self.timeout, self._timed_out)

    def _timed_out(self):
        if not self.settled:
            self.error = self.error or BrokerTimeout(f"no answer from the broker within {self.timeout} s")
        self._close()
        # A graceful close waits for the broker's Close-Ok, which a black-holed broker never sends: stop regardless;
        # the socket is closed when the connection is collected.
        self.connection.ioloop.stop()

    def _close(self):
        if not (self.connection.is_closing or self.connection.is_closed):
            self.connection.close()

    def channel_closed(self, channel, reason):
        """The broker closed the channel (the exchange does not exist, say) or the connection is closing."""
        if not self.settled:
            self.error = self.error or reason
        self._close()

    def stop(self, connection, error):
        """The connection failed to open, or closed (after the batch, or because the broker went away)."""
        if not self.settled:
            self.error = self.error or error
        self.connection.ioloop.stop()
