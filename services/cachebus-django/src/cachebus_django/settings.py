"""The CACHEBUS setting, with defaults matching CacheBus's own (CacheBus:Sessions in its configuration)."""
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

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
    # cachebus_django.cache.LeaseRedisCache: seconds a lease taken on a miss lives if its reader never fills or
    # releases it, and seconds a reader that missed under another's lease waits for that fill before it reads the
    # database itself (and stores nothing).
    "LEASE_TIMEOUT": 10.0,
    "LEASE_WAIT": 0.1,
    # Seconds a read through LeaseRedisCache may lag the database: when CacheBus's freshness horizon (HORIZON_KEY,
    # CacheBus:Horizon:Key) is older, the read is a miss and stores nothing. None: reads do not look at the horizon.
    "MAX_STALENESS": None,
    "HORIZON_KEY": "cachebus:horizon",
    # Models whose saves and deletes become intents: {"app.Model": {"keys": [...], "tags": [...], "namespaces": [...]}}.
    "MODELS": {},
}


def cachebus_setting(name):
    return getattr(settings, "CACHEBUS", {}).get(name, DEFAULTS[name])


# Waits a request may make on a CacheBus server: short, or a down server would stall every request.
_TIMEOUTS = ("REDIS_TIMEOUT", "AMQP_TIMEOUT")
_RETRY_AFTER = ("REDIS_RETRY_AFTER", "AMQP_RETRY_AFTER")


def validate():
    """Refuses, at start (CacheBusConfig.ready), numbers that would make requests hang or never retry."""
    problems = []

    def number(name, low, high, low_included):
        value = cachebus_setting(name)
        fits = isinstance(value, (int, float)) and not isinstance(value, bool) and \
            (low <= value if low_included else low < value) and value <= high
        if not fits:
            problems.append(f"CACHEBUS['{name}']: {value!r} must be a number of seconds "
                            f"{'from' if low_included else 'above'} {low} to {high}")

    for name in _TIMEOUTS:
        number(name, 0, 5, low_included=False)
    for name in _RETRY_AFTER:
        number(name, 0, 3600, low_included=True)
    number("LEASE_TIMEOUT", 0, 3600, low_included=False)
    number("LEASE_WAIT", 0, 5, low_included=True)
    if cachebus_setting("MAX_STALENESS") is not None:
        number("MAX_STALENESS", 0, 3600, low_included=False)
    limit = cachebus_setting("REQUEST_FLUSH_LIMIT")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        problems.append(f"CACHEBUS['REQUEST_FLUSH_LIMIT']: {limit!r} must be a whole number of at least 1")
    if problems:
        raise ImproperlyConfigured("; ".join(problems))
