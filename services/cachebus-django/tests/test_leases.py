"""
cachebus_django.cache.LeaseRedisCache on the real Redis (password on), each reader a backend instance of its own,
as each Django thread has. What CacheBus does to a lease is played here by deleting it as CacheBus's eviction does
(the key and its lease); tests/django plays the whole race with CacheBus running.
"""
import threading
import time
import uuid

import pytest

from conftest import required

PREFIX = "leases"


def reader(**cachebus):
    """A new reader (a thread's backend instance), under the run's CACHEBUS setting changed by `cachebus`."""
    from django.conf import settings
    from django.test import override_settings
    from cachebus_django.cache import LeaseRedisCache
    with override_settings(CACHEBUS=dict(settings.CACHEBUS, **cachebus)):
        return LeaseRedisCache(required("CACHEBUS_REDIS_URL"), {"KEY_PREFIX": PREFIX})


@pytest.fixture()
def redis(site):
    from django_redis import get_redis_connection
    return get_redis_connection("default")


@pytest.fixture()
def key():
    return f"item:{uuid.uuid4().hex}"


def evict(redis, cache, key):
    """What CacheBus's eviction does (RedisInvalidator with CacheBus:Redis:Leases on)."""
    from cachebus_django.cache import lease_key
    full = cache.make_key(key)
    redis.unlink(full, lease_key(full))


@pytest.mark.parametrize("key, lease", [
    # The same vectors as tests/CacheBus.UnitTests/Redis/LeaseKeysTests.cs: both sides must name one key.
    ("shop:2:product:7", "cachebus:lease:{shop:2:product:7}"),
    ("shop:2:{user:7}:cart", "cachebus:lease:shop:2:{user:7}:cart"),
    ("a{}b", "cachebus:lease:a{}b"),
    ("a}b", "cachebus:lease:a}b"),
])
def test_lease_key_follows_cachebus_rule(site, key, lease):
    from cachebus_django.cache import lease_key
    assert lease_key(key) == lease


def test_a_fill_is_stored_while_its_lease_lasts_and_readable_by_plain_django_redis(site, redis, key):
    from django_redis.cache import RedisCache
    from cachebus_django.cache import lease_key
    cache = reader()
    assert cache.get(key) is None  # the miss takes the lease
    assert redis.exists(lease_key(cache.make_key(key)))
    assert cache.set(key, {"price": "19.90"}) is True

    plain = RedisCache(required("CACHEBUS_REDIS_URL"), {"KEY_PREFIX": PREFIX})  # a reader without the backend
    assert plain.get(key) == {"price": "19.90"}
    assert not redis.exists(lease_key(cache.make_key(key))), "a stored fill gives its lease back"


def test_a_fill_after_the_eviction_deleted_the_lease_is_refused(site, redis, key):
    cache = reader()
    assert cache.get(key) is None
    evict(redis, cache, key)  # the row changed after this reader read it

    assert cache.set(key, "read before the commit") is False
    assert not redis.exists(cache.make_key(key))


def test_a_fill_after_a_newer_reader_took_the_lease_again_is_refused(site, redis, key):
    old, new = reader(), reader()
    assert old.get(key) is None
    evict(redis, old, key)
    assert new.get(key) is None  # misses after the commit: its lease, its read of the new row

    assert old.set(key, "old row") is False
    assert new.set(key, "new row") is True
    assert reader().get(key) == "new row"


def test_a_second_reader_waits_for_the_first_fill_instead_of_reading_the_database(site, key):
    first, second = reader(), reader(LEASE_WAIT=2.0)
    assert first.get(key) is None
    threading.Timer(0.2, lambda: first.set(key, "filled")).start()

    started = time.monotonic()
    assert second.get(key) == "filled"
    assert 0.15 < time.monotonic() - started < 1.5


def test_a_reader_that_waited_out_the_lease_reads_the_database_but_stores_nothing(site, redis, key):
    first, second = reader(), reader(LEASE_WAIT=0.05)
    assert first.get(key) is None
    assert second.get(key) is None  # waited 50 ms: the first is still reading
    assert second.set(key, "unchecked") is False
    assert not redis.exists(second.make_key(key))
    assert first.set(key, "checked") is True


def test_get_or_set_calls_the_default_once_across_readers_when_the_fill_comes_within_the_wait(site, key):
    calls = []

    def slow_row():
        calls.append(threading.current_thread().name)
        time.sleep(0.2)
        return "row"

    results = []
    readers = [threading.Thread(target=lambda: results.append(reader(LEASE_WAIT=2.0).get_or_set(key, slow_row)))
               for _ in range(4)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join(10)
    assert results == ["row"] * 4
    assert len(calls) == 1, f"the default ran {len(calls)} times: a stampede"


def test_get_or_set_stores_nothing_when_the_lease_was_deleted_while_the_default_ran(site, redis, key):
    cache = reader()

    def row_then_commit():
        evict(redis, cache, key)
        return "old row"

    assert cache.get_or_set(key, row_then_commit) == "old row"  # the caller still gets what it read
    assert not redis.exists(cache.make_key(key))
    assert cache.get_or_set(key, "new row") == "new row"
    assert cache.get(key) == "new row"


def test_add_fills_only_while_the_lease_lasts_and_never_over_a_value(site, redis, key):
    cache, other = reader(), reader()
    assert cache.get(key) is None
    redis.set(cache.make_key(key), 1)  # written meanwhile by one who took no lease
    assert cache.add(key, 0) is False
    assert other.get(key) == 1


def test_get_many_and_set_many_lease_each_missed_key_and_refuse_only_the_evicted_ones(site, redis):
    cache = reader()
    hit, kept, evicted = (f"item:{uuid.uuid4().hex}" for _ in range(3))
    cache.get(hit)
    cache.set(hit, "cached")

    assert cache.get_many([hit, kept, evicted]) == {hit: "cached"}
    evict(redis, cache, evicted)
    cache.set_many({kept: "fresh", evicted: "read before the commit"})

    assert reader().get_many([hit, kept, evicted]) == {hit: "cached", kept: "fresh"}


def test_an_unfilled_lease_expires_after_lease_timeout(site, redis, key):
    holder, later = reader(LEASE_TIMEOUT=0.2), reader(LEASE_WAIT=0)
    assert holder.get(key) is None
    time.sleep(0.3)
    assert later.get(key) is None  # the lease expired: this reader takes it
    assert holder.set(key, "too late") is False
    assert later.set(key, "filled") is True


def test_close_gives_back_the_leases_a_request_did_not_fill(site, key):
    holder, later = reader(), reader(LEASE_WAIT=0)
    assert holder.get(key) is None
    holder.close()  # request_finished
    assert later.get(key) is None
    assert later.set(key, "filled") is True, "the lease was free for the next reader"


def test_the_end_of_a_request_gives_back_what_its_thread_holds_through_any_instance(site, key):
    # cache_page's middleware keeps one backend instance for every thread; each thread's request ends on its own.
    from django.core.signals import request_finished
    shared, later = reader(), reader(LEASE_WAIT=0)

    def request():
        assert shared.get(key) is None
        request_finished.send(sender=None)

    thread = threading.Thread(target=request)
    thread.start()
    thread.join(10)
    assert later.get(key) is None
    assert later.set(key, "filled") is True, "the lease was free for the next reader"


def test_delete_takes_the_lease_so_a_fill_in_flight_is_refused(site, redis, key):
    writer, cache = reader(), reader()
    assert cache.get(key) is None
    writer.delete(key)  # the app's own invalidation, as CacheBus's
    assert cache.set(key, "read before the delete") is False


def test_a_redis_down_behaves_as_django_redis_does(site, key):
    from django_redis.cache import RedisCache
    from faults import free_port
    from cachebus_django.cache import LeaseRedisCache
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    for backend in (RedisCache, LeaseRedisCache):
        ignoring = backend(nowhere, {"OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2}})
        assert ignoring.get(key, "default") == "default"
        assert ignoring.get_or_set(key, "computed") == "computed"
        assert not ignoring.set(key, "value")
        raising = backend(nowhere, {"OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2}})
        with pytest.raises(Exception) as raised:
            raising.get(key)
        assert type(raised.value).__name__ == "ConnectionError"


@pytest.mark.parametrize("name, value", [("LEASE_WAIT", -1), ("LEASE_TIMEOUT", 0), ("LEASE_WAIT", "soon"), ("MAX_STALENESS", 0)])
def test_a_bad_lease_setting_is_refused_naming_it(site, name, value):
    from django.core.exceptions import ImproperlyConfigured
    with pytest.raises(ImproperlyConfigured, match=f"CACHEBUS\\['{name}'\\]"):
        reader(**{name: value})
