"""The CACHEBUS setting, with defaults matching CacheBus's own (CacheBus:Sessions in its configuration)."""
from django.conf import settings

DEFAULTS = {
    # Where the session registry lives: a Redis set per user, read by CacheBus to find the user's sessions.
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SESSION_REGISTRY_KEY": "cachebus:sessions:{user_id}",
    # Seconds a registry call may wait to connect or for an answer, and seconds Redis is left alone after a failure
    # (operations meanwhile wait in the outbox): a login never hangs on a black-holed Redis.
    "REDIS_TIMEOUT": 0.25,
    "REDIS_RETRY_AFTER": 5.0,
    # The profile snapshot: which table and columns, under which key of the session cache.
    "PROFILE_TABLE": "profiles",
    "PROFILE_USER_ID_COLUMN": "user_id",
    "PROFILE_SNAPSHOT_COLUMNS": ["display_name"],
    "PROFILE_SNAPSHOT_KEY": "cachebus.profile.{user_id}",
    # The token CacheBus sends (X-CacheBus-Token) when it fetches fragments; None turns the view off.
    "FRAGMENT_TOKEN": None,
    # How intents travel: "postgres" (into the WAL, in the transaction) or "amqp" (published after commit).
    "TRANSPORT": "postgres",
    # The broker's URL with CacheBus's own user and vhost (no default: guest is for nothing).
    "AMQP_URL": None,
    # Seconds the connection may take to open and each confirm to arrive, and seconds the broker is left alone after
    # a failure (intents meanwhile only go to the outbox): a request never waits for a black-holed broker.
    "AMQP_TIMEOUT": 0.5,
    "AMQP_RETRY_AFTER": 5.0,
    # The durable local outbox (SQLite): intents the broker and session registrations Redis did not take.
    "OUTBOX_PATH": "cachebus-outbox.sqlite3",
    # Most waiting entries one request sends before its own (cachebus_flush sends them all).
    "REQUEST_FLUSH_LIMIT": 100,
    # Models whose saves and deletes become intents: {"app.Model": {"keys": [...], "tags": [...], "namespaces": [...]}}.
    "MODELS": {},
}


def cachebus_setting(name):
    return getattr(settings, "CACHEBUS", {}).get(name, DEFAULTS[name])
