"""
The AMQP transport: an intent is published after the transaction commits (transaction.on_commit), with publisher
confirms, in MassTransit's envelope, so CacheBus's consumers take it as it is. If the broker does not confirm after a
few quick attempts, the intent goes to a durable local outbox (SQLite) and the request goes on; flush_outbox() sends
what waits there, oldest first, and removes an entry only once the broker confirmed it. Nothing is lost.
"""
import datetime
import json
import sqlite3
import time
import uuid

from cachebus_django.settings import cachebus_setting

EXCHANGE = "cachebus.invalidation-requested"
MESSAGE_TYPE = "urn:message:cachebus:invalidation-requested:v1"
CONTENT_TYPE = "application/vnd.masstransit+json"


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
    """Publishes (after flushing older intents first, to keep their order); on failure keeps it in the outbox."""
    _outbox_add(json.dumps(envelope(intent)))
    flush_outbox()


def flush_outbox():
    """Sends waiting intents, oldest first; returns how many are still waiting."""
    with _outbox() as db:
        rows = db.execute("SELECT id, body FROM outbox ORDER BY id").fetchall()
    for row_id, body in rows:
        if not _publish_with_retry(body):
            break
        with _outbox() as db:
            db.execute("DELETE FROM outbox WHERE id = ?", (row_id,))
    with _outbox() as db:
        return db.execute("SELECT count(*) FROM outbox").fetchone()[0]


def _publish_with_retry(body):
    for attempt in range(cachebus_setting("AMQP_ATTEMPTS")):
        try:
            _publish(body)
            return True
        except Exception:  # noqa: BLE001 - any broker failure means "keep it in the outbox"
            time.sleep(0.1 * 2 ** attempt)
    return False


def _publish(body):
    import pika
    parameters = pika.URLParameters(cachebus_setting("AMQP_URL"))
    parameters.socket_timeout = parameters.blocked_connection_timeout = 2
    connection = pika.BlockingConnection(parameters)
    try:
        channel = connection.channel()
        channel.confirm_delivery()  # basic_publish raises unless the broker confirms
        channel.basic_publish(EXCHANGE, "", body.encode(), pika.BasicProperties(
            content_type=CONTENT_TYPE, delivery_mode=2, message_id=json.loads(body)["messageId"]), mandatory=False)
    finally:
        connection.close()


def _outbox():
    db = sqlite3.connect(cachebus_setting("OUTBOX_PATH"), timeout=10)
    db.execute("CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)")
    return db


def _outbox_add(body):
    with _outbox() as db:
        db.execute("INSERT INTO outbox (body) VALUES (?)", (body,))
