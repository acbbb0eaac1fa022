"""
The session registry: a Redis set per user (SESSION_REGISTRY_KEY) that CacheBus reads to find a user's sessions.

A login must never fail or hang because this Redis is down or black-holed: every call has short timeouts
(REDIS_TIMEOUT); after a failure Redis is left alone for REDIS_RETRY_AFTER seconds; an operation Redis did not take
is logged, counted (failures.counts) and kept in the local outbox, and the next call that reaches Redis sends the
waiting ones first, in order, in the same round trip (as does `manage.py cachebus_flush`). Until then CacheBus does
not know that session and cannot revoke it; `manage.py cachebus_check` reports how many wait.
"""
import json

from cachebus_django import failures, outbox
from cachebus_django.settings import cachebus_setting

_clients = {}
_backoff = failures.Backoff()


def client():
    """The Redis client for the current settings (one per URL and timeout; each pools its connections)."""
    import redis
    url, timeout = cachebus_setting("REDIS_URL"), cachebus_setting("REDIS_TIMEOUT")
    if (url, timeout) not in _clients:
        _clients[url, timeout] = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    return _clients[url, timeout]


def key(user_id):
    return cachebus_setting("SESSION_REGISTRY_KEY").format(user_id=user_id)


def add(user_id, session_key):
    _apply([_add(user_id, session_key)])


def remove(user_id, session_key):
    _apply([_remove(user_id, session_key)])


def move(user_id, old_key, new_key):
    """The session's key changed (update_session_auth_hash): the new key in, the old one out, in one round trip."""
    _apply([_add(user_id, new_key)] + ([_remove(user_id, old_key)] if old_key else []))


def _add(user_id, session_key):
    return {"op": "sadd", "key": key(user_id), "member": session_key}


def _remove(user_id, session_key):
    return {"op": "srem", "key": key(user_id), "member": session_key}


def flush(limit=None):
    """Sends the waiting operations, oldest first, whatever the back-off says; returns how many still wait."""
    import redis
    try:
        waiting = outbox.oldest(outbox.REGISTRATIONS, limit)
        _send([json.loads(body) for _, body in waiting])
        outbox.remove(outbox.REGISTRATIONS, [row_id for row_id, _ in waiting])
        _backoff.succeeded()
    except redis.RedisError as error:
        failures.record("redis", error, "sending the waiting session registry operations")
    return outbox.count(outbox.REGISTRATIONS)


def _apply(operations):
    import redis
    if _backoff.allows():
        waiting = outbox.try_oldest(outbox.REGISTRATIONS, cachebus_setting("REQUEST_FLUSH_LIMIT"),
                                    "reading the waiting session registry operations")
        try:
            _send([json.loads(body) for _, body in waiting] + operations)
        except redis.RedisError as error:
            _backoff.failed(cachebus_setting("REDIS_RETRY_AFTER"))
            failures.record("redis", error, "updating the session registry")
        else:
            _backoff.succeeded()
            outbox.try_remove(outbox.REGISTRATIONS, [row_id for row_id, _ in waiting],
                              "removing sent session registry operations")
            return
    for operation in operations:
        _keep(operation)


def _send(operations):
    if not operations:
        return
    pipeline = client().pipeline(transaction=False)
    for operation in operations:
        getattr(pipeline, operation["op"])(operation["key"], operation["member"])
    pipeline.execute()


def _keep(operation):
    if not outbox.try_add(outbox.REGISTRATIONS, json.dumps(operation), "keeping a session registry operation"):
        failures.logger.error("CacheBus: a session registry operation for %s was lost; CacheBus cannot revoke that "
                              "session", operation["key"])
