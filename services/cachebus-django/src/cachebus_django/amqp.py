"""
The AMQP transport: an intent is published after the transaction commits (transaction.on_commit), with publisher
confirms, in MassTransit's envelope, so CacheBus's consumers take it as it is.

A request never fails or waits long because the broker is down. The intent is first written to the durable local
outbox; the request then sends what waits there, oldest first and its own last, on one connection (amqp_batch), and
an entry leaves the outbox only once the broker confirmed it. A failure is logged and counted, and the broker is
left alone for AMQP_RETRY_AFTER seconds, during which requests only add to the outbox; `manage.py cachebus_flush`
(cron) sends what waits at any time. Nothing is lost; an intent may arrive twice (two processes flushing at once),
which CacheBus applies harmlessly.
"""
import datetime
import json
import uuid

from cachebus_django import amqp_batch, failures, outbox
from cachebus_django.settings import cachebus_setting

MESSAGE_TYPE = "urn:message:cachebus:invalidation-requested:v1"
_backoff = failures.Backoff()


def envelope(intent):
    return {
        "messageId": str(uuid.uuid4()),
        "messageType": [MESSAGE_TYPE],
        "message": intent,
        "sentTime": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "headers": {},
        "host": {"machineName": "django", "processName": "cachebus_django"},
    }


def publish_or_keep(intent):
    """Runs in on_commit, after the commit: a failure here is logged and counted, never raised into the request."""
    try:
        body = json.dumps(envelope(intent))
        kept = outbox.try_add(outbox.INTENTS, body, "keeping an intent; publishing it directly")
        if kept and not _backoff.allows():
            return
        _flush(cachebus_setting("REQUEST_FLUSH_LIMIT"), unkept=[] if kept else [body])
    except Exception as error:  # noqa: BLE001 - the boundary: the transaction committed, a 500 would help nobody
        failures.record("the AMQP transport", error, "publishing an intent after commit")
        failures.logger.exception("CacheBus: an intent may be lost: %s", json.dumps(intent))


def flush_outbox():
    """Sends every waiting intent, oldest first, on one connection, whatever the back-off; returns how many wait."""
    _flush(None, unkept=[])
    return outbox.count(outbox.INTENTS)


def _flush(limit, unkept):
    """Publishes the oldest waiting intents (at most `limit`), then `unkept` (intents the outbox could not keep)."""
    waiting = outbox.try_oldest(outbox.INTENTS, limit, "reading the waiting intents")
    bodies = [body for _, body in waiting] + unkept
    if not bodies:
        return
    url = cachebus_setting("AMQP_URL")
    if url:
        confirmed, error = amqp_batch.publish(url, cachebus_setting("AMQP_TIMEOUT"),
                                              [(body, json.loads(body)["messageId"]) for body in bodies])
    else:
        confirmed, error = set(), ValueError("CACHEBUS['AMQP_URL'] is not set")
    if error is None:
        _backoff.succeeded()
    else:
        _backoff.failed(cachebus_setting("AMQP_RETRY_AFTER"))
        failures.record("rabbitmq", error, f"publishing {len(bodies)} intent(s)")
    outbox.try_remove(outbox.INTENTS, [row_id for index, (row_id, _) in enumerate(waiting) if index in confirmed],
                      "removing published intents")
    lost = [body for index, body in enumerate(unkept, start=len(waiting)) if index not in confirmed]
    for body in lost:
        failures.logger.error("CacheBus: an intent was lost (the outbox could not keep it, the broker did not "
                              "confirm it): %s", json.loads(body)["message"])
