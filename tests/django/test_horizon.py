"""
CACHEBUS["MAX_STALENESS"]: with CacheBus running, reads through LeaseRedisCache are served from Redis; with the
CacheBus process paused (SIGSTOP: alive, connected, doing nothing, as a stalled or partitioned service is), its
horizon stops, and past the bound every read is a miss that stores nothing, until CacheBus moves again.
"""
import os
import signal
import uuid

import pytest

from conftest import wait_until

MAX_STALENESS = 0.2


@pytest.fixture()
def bounded(shop):
    from django.conf import settings
    from django.test import override_settings
    from cachebus_django.cache import LeaseRedisCache
    options = settings.CACHES["default"]
    with override_settings(CACHEBUS=dict(settings.CACHEBUS, MAX_STALENESS=MAX_STALENESS)):
        return LeaseRedisCache(options["LOCATION"], options)


def test_reads_bypass_the_cache_while_cachebus_is_paused_and_use_it_again_when_it_resumes(shop, bounded, redis):
    from cachebus_django import cache as backend
    key = f"bounded:{uuid.uuid4().hex}"
    shop.wait(lambda: bounded.get(key) is None and bounded.set(key, "cached"), "a fill under a fresh horizon")
    assert bounded.get(key) == "cached"

    os.kill(shop.process.pid, signal.SIGSTOP)
    try:
        wait_until(lambda: bounded.get(key) is None, f"reads to bypass once the horizon is {MAX_STALENESS} s old", 5)
        assert redis.exists(bounded.make_key(key)), "the value is still there: the read bypassed it"
        bypassed = backend.counts["bypassed"]
        assert bounded.get(key) is None
        assert backend.counts["bypassed"] == bypassed + 1
        assert bounded.set(key, "read while CacheBus was away") is False
        assert redis.get(bounded.make_key(key)) is not None and bounded.client.decode(
            redis.get(bounded.make_key(key))) == "cached", "nothing stored while bypassing"
    finally:
        os.kill(shop.process.pid, signal.SIGCONT)

    shop.wait(lambda: bounded.get(key) == "cached", "reads served from Redis again")


def test_without_a_horizon_every_bounded_read_bypasses(shop, redis):
    from django.conf import settings
    from django.test import override_settings
    from cachebus_django.cache import LeaseRedisCache
    options = settings.CACHES["default"]
    with override_settings(CACHEBUS=dict(settings.CACHEBUS, MAX_STALENESS=60, HORIZON_KEY="cachebus:horizon:nobody")):
        cache = LeaseRedisCache(options["LOCATION"], options)
    key = f"bounded:{uuid.uuid4().hex}"
    redis.set(cache.make_key(key), cache.client.encode("cached"))
    assert cache.get(key) is None  # no CacheBus has ever proven anything there
