"""
How CacheBus learns a user's sessions, and how views read the profile snapshot CacheBus keeps fresh.

On login the session key is added to a Redis set per user (registry.py); on logout it is removed; when the key
changes without a login (update_session_auth_hash), SessionRegistryMiddleware moves it. When the user's profile row
changes, CacheBus reads that set and deletes the sessions (security change) or extends them and rewrites the
snapshot. Views call profile_snapshot(user_id) instead of querying the profile table.
"""
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.core.cache import caches
from django.db import connection

from cachebus_django import registry
from cachebus_django.settings import cachebus_setting

# An LSN lower than any commit: a snapshot read from the database loses to any CacheBus writes.
_OLDEST_LSN = "0/0"
# Set on the request by a login, so the middleware does not register the key login() cycled a second time.
_REGISTERED = "_cachebus_registered_session"


def record_login(sender, request, user, **kwargs):
    if request.session.session_key is None:
        request.session.save()
    registry.add(user.pk, request.session.session_key)
    setattr(request, _REGISTERED, request.session.session_key)


def record_rotation(request, old_key):
    """The session key changed during the request (SessionRegistryMiddleware): the user's set follows it."""
    new_key, user = request.session.session_key, getattr(request, "user", None)
    if new_key is None or getattr(request, _REGISTERED, None) == new_key or not (user and user.is_authenticated):
        return
    registry.move(user.pk, old_key, new_key)


def record_logout(sender, request, user, **kwargs):
    if user is not None and request.session.session_key:
        registry.remove(user.pk, request.session.session_key)


def connect_signals():
    user_logged_in.connect(record_login, dispatch_uid="cachebus-record-login")
    user_logged_out.connect(record_logout, dispatch_uid="cachebus-record-logout")


def profile_snapshot(user_id):
    """
    The user's profile columns, from the session cache where CacheBus keeps them current. On a miss they are read
    from the database and stored with cache.add, which never overwrites a snapshot CacheBus wrote meanwhile.
    """
    cache = caches[settings.SESSION_CACHE_ALIAS]
    key = cachebus_setting("PROFILE_SNAPSHOT_KEY").format(user_id=user_id)
    snapshot = cache.get(key)
    if snapshot is None:
        snapshot = _read_profile(user_id)
        cache.add(key, snapshot, timeout=settings.SESSION_COOKIE_AGE)
    return snapshot


def _read_profile(user_id):
    columns = cachebus_setting("PROFILE_SNAPSHOT_COLUMNS")
    quote = connection.ops.quote_name
    sql = "SELECT {} FROM {} WHERE {} = %s".format(
        ", ".join(quote(c) for c in columns), quote(cachebus_setting("PROFILE_TABLE")),
        quote(cachebus_setting("PROFILE_USER_ID_COLUMN")))
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    values = {c: (None if row is None or v is None else str(v)) for c, v in zip(columns, row or [None] * len(columns))}
    values["_lsn"] = _OLDEST_LSN
    return values
