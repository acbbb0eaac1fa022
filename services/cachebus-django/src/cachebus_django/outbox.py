"""
The durable local outbox (SQLite at OUTBOX_PATH): what a CacheBus server did not take waits here, oldest first,
until a later call or `manage.py cachebus_flush` sends it. Every process of the host that uses the same path shares
it. Session registrations hold session keys: the file is created readable by its owner only.
"""
import contextlib
import os
import sqlite3

from cachebus_django import failures
from cachebus_django.settings import cachebus_setting

INTENTS = "outbox"  # intents for the broker (the AMQP transport)
REGISTRATIONS = "registry_outbox"  # session registry operations for Redis

# Writes take milliseconds; a lock held longer than this is a fault, and a request must not wait on it.
_BUSY_TIMEOUT = 1.0


def add(table, body):
    with _open() as db:
        db.execute(f"INSERT INTO {table} (body) VALUES (?)", (body,))


def oldest(table, limit=None):
    with _open() as db:
        return db.execute(f"SELECT id, body FROM {table} ORDER BY id LIMIT ?", (-1 if limit is None else limit,)).fetchall()


def remove(table, ids):
    with _open() as db:
        db.executemany(f"DELETE FROM {table} WHERE id = ?", [(i,) for i in ids])


def count(table):
    with _open() as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# The same operations for a request's path: the outbox failing (a full disk, a path the process may not write) must
# not fail the request either. Each records the failure with what it was doing and answers what the caller can use.

def try_add(table, body, doing):
    """True when the body is kept; False (recorded) when the outbox could not keep it."""
    try:
        add(table, body)
        return True
    except (sqlite3.Error, OSError) as error:
        failures.record("outbox", error, doing)
        return False


def try_oldest(table, limit, doing):
    """The oldest waiting entries, or none (recorded) when the outbox cannot be read."""
    try:
        return oldest(table, limit)
    except (sqlite3.Error, OSError) as error:
        failures.record("outbox", error, doing)
        return []


def try_remove(table, ids, doing):
    """Removes sent entries; if it cannot (recorded), they are sent again later, which applies twice harmlessly."""
    if not ids:
        return
    try:
        remove(table, ids)
    except (sqlite3.Error, OSError) as error:
        failures.record("outbox", error, doing)


@contextlib.contextmanager
def _open():
    """A connection in a transaction (committed on leaving, rolled back on an error), closed afterwards."""
    path = cachebus_setting("OUTBOX_PATH")
    new = not os.path.exists(path)
    db = sqlite3.connect(path, timeout=_BUSY_TIMEOUT)
    try:
        if new:
            os.chmod(path, 0o600)
        with db:
            for table in (INTENTS, REGISTRATIONS):
                db.execute(f"CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)")
            yield db
    finally:
        db.close()
