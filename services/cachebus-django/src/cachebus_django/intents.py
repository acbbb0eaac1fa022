"""
Invalidation intents the rows alone cannot express, written into PostgreSQL's WAL inside the caller's transaction
(pg_logical_emit_message(true, 'cachebus', json)): CacheBus applies one if and only if that transaction commits,
with no second write to get wrong. The JSON is the InvalidationRequested message of contracts/samples.
"""
import json

from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key
from django.db import connections, transaction

from cachebus_django import amqp
from cachebus_django.settings import cachebus_setting

PREFIX = "cachebus"


def invalidate(keys=(), tags=(), namespaces=(), fragments=(), revoke_sessions_of=(), cache="default", using="default",
               transport=None):
    """
    Ask CacheBus to delete keys, empty tags and bump namespaces of `cache`, delete template fragments given as
    (name, vary_on) pairs, and end every session of the users given, once the current transaction on database
    `using` commits. The transport is the CACHEBUS setting's TRANSPORT unless given.
    """
    make_key = caches[cache].make_key
    intent = {
        "keys": [make_key(k) for k in keys] + [make_key(make_template_fragment_key(n, v)) for n, v in fragments],
        "tags": [make_key(f"tag:{t}") for t in tags],
        "namespaces": [make_key(f"ns:{n}") for n in namespaces],
        "revokeSessionsOf": [str(user_id) for user_id in revoke_sessions_of],
    }
    if (transport or cachebus_setting("TRANSPORT")) == "amqp":
        transaction.on_commit(lambda: amqp.publish_or_keep(intent), using=using)
    else:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT pg_logical_emit_message(true, %s, %s)", [PREFIX, json.dumps(intent)])
    return intent
