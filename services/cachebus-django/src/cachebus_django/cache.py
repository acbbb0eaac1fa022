"""
LeaseRedisCache: django-redis's backend with leases (as memcache at Facebook, NSDI 2013), so a reader that read the
row before a commit cannot store it after CacheBus evicted the key (the stale-set race). A shop changes one line:

    CACHES = {"default": {"BACKEND": "cachebus_django.cache.LeaseRedisCache", "LOCATION": ..., ...}}

A miss takes a lease on the key (a second key, `lease_key`, holding a random token) in the same round trip as the
read; the fill that follows (`set`, `add`, `set_many`, `get_or_set`, `cache_page`, `{% cache %}`) is stored only
while that token is still the lease's. CacheBus deletes the lease with the key (CacheBus:Redis:Leases), so a fill
whose database read may predate the commit is refused and the next reader reads the new row. Values stay as
django-redis writes them: plain readers, INCR'd namespace generations and CacheBus's own writes are unaffected.

With CACHEBUS["MAX_STALENESS"] (seconds), every read also fetches CacheBus's freshness horizon (the time up to which
every committed change has been applied) in the same round trip; when the horizon is older than that, the read is
a miss and its fill is not stored, so a dead, paused or lagging CacheBus costs database reads, never stale ones.

Concurrent misses of one key: one reader holds the lease and fills; the others poll the key for up to
CACHEBUS["LEASE_WAIT"] seconds, then read the database and store nothing (no stampede of writes, no stale fill).
What a reader holds (its leases, the keys it must not store) is kept per thread, not per backend instance: Django
keeps one instance per thread, but cache_page's middleware keeps the instance of the thread that imported the view
and every thread uses it. It is given back at the end of each request (request_finished); a lease never given back
expires after CACHEBUS["LEASE_TIMEOUT"] seconds.
"""
import collections
import re
import secrets
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.signals import request_finished
from django_redis.cache import CONNECTION_INTERRUPTED, RedisCache, omit_exception
from django_redis.client.default import _main_exceptions
from django_redis.exceptions import ConnectionInterrupted

from cachebus_django import failures, settings

LEASE_PREFIX = "cachebus:lease:"


def lease_key(key):
    """
    The lease of `key`, in `key`'s Redis Cluster slot (the fill script names both). CacheBus's LeaseKeys.For is the
    other half of this rule; both test the same vectors.
    """
    return f"{LEASE_PREFIX}{{{key}}}" if "{" not in key and "}" not in key else LEASE_PREFIX + key


# KEYS: the key, its lease. ARGV: the token to hold it with, the lease's milliseconds.
# {value} on a hit; {false, 1} when the lease is (now) this token's; {false, 0} while another reader holds it.
_MISS = """
local value = redis.call('GET', KEYS[1])
if value then return {value} end
local holder = redis.call('GET', KEYS[2])
if holder == ARGV[1] or (not holder and redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2])) then
  return {false, 1}
end
return {false, 0}
"""

# KEYS: the key, its lease. ARGV: the token, the encoded value, milliseconds to live ('' for none), '1' for add.
# 1 when stored; 0 when the lease is gone or another's (CacheBus evicted the key since the miss), or add found a value.
_FILL = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1
"""

# KEYS: a lease. ARGV: the token. Lets waiting readers take the lease at once when its holder stored nothing.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# cache_page's keys carry the URL's md5: the header list's, and the page's right after its method.
_HEADER_KEY = re.compile(r"views\.decorators\.cache\.cache_header\..*?\.([0-9a-f]{32})(?:\.|$)")
_PAGE_KEY = re.compile(r"views\.decorators\.cache\.cache_page\..*?\.([0-9a-f]{32})\.[0-9a-f]{32}(?:\.|$)")
_POLL = 0.01  # seconds between a waiting reader's looks at the key
_MAX_HELD = 10_000  # leases one thread may hold at once (a loop outside any request never gives them back)
_thread = threading.local()  # .caches: the backends holding something for this thread's request

# Since the process started: reads turned into misses by MAX_STALENESS ("bypassed", each a database read the cache
# would have saved) and fills refused because CacheBus evicted the key meanwhile ("refused").
counts = collections.Counter()
_counts_lock = threading.Lock()


def _count(name, n=1):
    with _counts_lock:
        counts[name] += n


class _Reader:
    """One thread's part of one backend: what its current request holds."""

    def __init__(self):
        self.held = {}  # full key -> the token of the lease this thread holds on it
        self.no_store = set()  # full keys read past another reader's lease: their fill would not be checked
        self.refused_urls = set()  # md5s of URLs whose header list was not stored: their page must not be either


def _end_of_request(**kwargs):
    for cache in _thread.__dict__.pop("caches", ()):
        cache._give_back()


request_finished.connect(_end_of_request, dispatch_uid="cachebus_django.cache")


class LeaseRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        settings.validate()  # the backend may be used without the app in INSTALLED_APPS, whose ready() does this
        self._lease_ms = max(1, int(settings.cachebus_setting("LEASE_TIMEOUT") * 1000))
        self._lease_wait = settings.cachebus_setting("LEASE_WAIT")
        self._max_staleness = settings.cachebus_setting("MAX_STALENESS")
        self._horizon_key = settings.cachebus_setting("HORIZON_KEY")
        self._scripts = None
        self._readers = threading.local()

    # Reads ----------------------------------------------------------------------------------------------------

    def get(self, key, default=None, version=None, client=None):
        value = self._leased_get(key, default, version)
        return default if value is CONNECTION_INTERRUPTED else value

    @omit_exception(return_value=CONNECTION_INTERRUPTED)
    def _leased_get(self, key, default, version):
        full = self._full(key, version)
        raw = self._read([full]).get(full)
        return default if raw is None else self.client.decode(raw)

    @omit_exception(return_value={})
    def get_many(self, keys, version=None):
        fulls = {self._full(key, version): key for key in keys}
        return {fulls[full]: self.client.decode(raw) for full, raw in self._read(list(fulls)).items()}

    def get_or_set(self, key, default, timeout=DEFAULT_TIMEOUT, version=None):
        # Django's own does get, add, get: the second get would take a lease nobody fills.
        value = self.get(key, self._missing_key, version=version)
        if value is self._missing_key:
            value = default() if callable(default) else default
            self.add(key, value, timeout=timeout, version=version)
        return value

    # Writes ---------------------------------------------------------------------------------------------------

    @omit_exception
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, client=None, nx=False, xx=False):
        full = self._full(key, version)
        token = self._reader.held.pop(full, None)
        if not self._may_store(full):
            return False
        if token is None or xx:
            return self.client.set(key, value, timeout, version=version, client=client, nx=nx, xx=xx)
        redis = self._redis()
        stored = bool(self._call(redis, lambda: self._fill_call(redis, full, token, value, timeout, nx)))
        if not stored:
            _count("refused")
            self._refuse_page_of(full)
        return stored

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, client=None):
        return self.set(key, value, timeout, version=version, client=client, nx=True)

    @omit_exception
    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None, client=None):
        redis = self._redis()
        pipeline = redis.pipeline(transaction=False)
        commands = []  # per command in the pipeline (each item sends one): the full key of a fill, else None
        for key, value in data.items():
            full = self._full(key, version)
            token = self._reader.held.pop(full, None)
            if not self._may_store(full):
                continue
            if token is None:
                self.client.set(key, value, timeout, version=version, client=pipeline)
            else:
                self._fill_call(pipeline, full, token, value, timeout, nx=False)
            commands.append(None if token is None else full)
        for full, stored in zip(commands, self._call(redis, pipeline.execute)):
            if full is not None and not stored:
                _count("refused")
                self._refuse_page_of(full)
        return []

    @omit_exception
    def delete(self, key, version=None, client=None):
        # The app's own invalidation takes the lease too, as CacheBus's does.
        return bool(self._unlink([self._full(key, version)]))

    @omit_exception
    def delete_many(self, keys, version=None, client=None):
        return self._unlink([self._full(key, version) for key in keys])

    def close(self, **kwargs):
        self._give_back()
        super().close(**kwargs)

    def _give_back(self):
        """End of a request: return the leases it did not fill, so waiting readers need not wait them out."""
        reader = self._readers.__dict__.pop("reader", None)
        if reader is None or not reader.held:
            return
        redis = self._redis()
        pipeline = self._release(redis, reader.held.items())
        try:
            pipeline.execute()
        except _main_exceptions as error:  # each lease expires on its own: a response is not failed for this
            failures.record("cache", error, "giving back leases")

    # The lease protocol -----------------------------------------------------------------------------------------

    def _read(self, fulls):
        """
        Raw values of the keys found; a lease taken on each key missed, or a wait for the reader who holds it. With
        MAX_STALENESS, the horizon is read in the same round trip, and a horizon too old turns the read into misses.
        """
        redis = self._redis()
        miss = self._scripts_for(redis)[0]
        found, pending, deadline = {}, list(fulls), time.monotonic() + self._lease_wait
        bounded = self._max_staleness is not None
        while True:
            pipeline = redis.pipeline(transaction=False)
            if bounded:
                pipeline.get(self._horizon_key)  # its own command: on a cluster it lives in its own slot
            tokens = [self._reader.held.get(full) or secrets.token_hex(8) for full in pending]
            for full, token in zip(pending, tokens):
                miss(keys=[full, lease_key(full)], args=[token, self._lease_ms], client=pipeline)
            replies = self._call(redis, pipeline.execute)
            if bounded:
                horizon, replies = replies[0], replies[1:]
                if not self._fresh(horizon):
                    self._bypass(redis, pending, tokens, replies)
                    return {}
                bounded = False  # once per read: waiting for another reader's fill does not look again
            busy = []
            for full, token, reply in zip(pending, tokens, replies):
                if reply[0] is not None:
                    found[full] = reply[0]
                elif reply[1] == 1:
                    self._hold(full, token)
                else:
                    busy.append(full)
            if not busy:
                return found
            if time.monotonic() + _POLL > deadline:
                self._reader.no_store.update(busy)  # read the database; what it gives is not checked, so not stored
                return found
            time.sleep(_POLL)
            pending = busy

    def _fresh(self, horizon):
        """Whether every change committed more than MAX_STALENESS ago is applied (PostgreSQL's clock against ours)."""
        return horizon is not None and time.time() * 1000 - int(horizon) <= self._max_staleness * 1000

    def _bypass(self, redis, fulls, tokens, replies):
        """CacheBus is down, paused, behind or cut off: what Redis holds may be stale, and a fill would not be evicted."""
        _count("bypassed", len(fulls))
        for full in fulls:
            self._reader.held.pop(full, None)
        self._reader.no_store.update(fulls)
        taken = [(full, token) for full, token, reply in zip(fulls, tokens, replies) if reply[0] is None and reply[1] == 1]
        self._call(redis, self._release(redis, taken).execute)

    def _release(self, redis, leases):
        """A pipeline giving back each (full key, token) lease that is still that token's."""
        pipeline = redis.pipeline(transaction=False)
        for full, token in leases:
            self._scripts_for(redis)[2](keys=[lease_key(full)], args=[token], client=pipeline)
        return pipeline

    def _fill_call(self, client, full, token, value, timeout, nx):
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is not None and timeout <= 0:  # django-redis deletes for these; a fill then stores nothing
            self._scripts_for(client)[2](keys=[lease_key(full)], args=[token], client=client)
            return 0
        ms = "" if timeout is None else int(timeout * 1000)
        return self._scripts_for(client)[1](
            keys=[full, lease_key(full)], args=[token, self.client.encode(value), ms, "1" if nx else "0"], client=client)

    @property
    def _reader(self):
        reader = getattr(self._readers, "reader", None)
        if reader is None:
            reader = self._readers.reader = _Reader()
            _thread.__dict__.setdefault("caches", []).append(self)
        return reader

    def _hold(self, full, token):
        held = self._reader.held
        if len(held) >= _MAX_HELD and full not in held:
            held.pop(next(iter(held)))  # its fill becomes a plain write, as without the backend
        held[full] = token

    def _may_store(self, full):
        reader = self._reader
        if full in reader.no_store:
            reader.no_store.discard(full)
            self._refuse_page_of(full)
            return False
        page = _PAGE_KEY.search(full)
        return not (page and page.group(1) in reader.refused_urls)

    def _refuse_page_of(self, full):
        header = _HEADER_KEY.search(full)
        if header:
            self._reader.refused_urls.add(header.group(1))

    def _unlink(self, fulls):
        redis = self._redis()
        pipeline = redis.pipeline(transaction=False)
        for full in fulls:
            # The lease first: deleted after the key, a fill in flight could store the old value in between. Its own
            # command: on a cluster it may live in another slot.
            pipeline.unlink(lease_key(full))
            pipeline.unlink(full)
        return sum(self._call(redis, pipeline.execute)[1::2])

    # Plumbing -------------------------------------------------------------------------------------------------

    def _full(self, key, version):
        return str(self.client.make_key(key, version=version))

    def _redis(self):
        return self.client.get_client(write=True)  # a miss writes its lease: never a read-only replica

    def _scripts_for(self, client):
        if self._scripts is None:
            self._scripts = tuple(client.register_script(source) for source in (_MISS, _FILL, _RELEASE))
        return self._scripts

    @staticmethod
    def _call(redis, command):
        try:
            return command()
        except _main_exceptions as error:  # django-redis's own: IGNORE_EXCEPTIONS then applies as to any command
            raise ConnectionInterrupted(connection=redis) from error
