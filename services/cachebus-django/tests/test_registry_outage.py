"""
The session registry's Redis black-holed or down, on a redis-server of the test's own: a login still succeeds at
once; the failure is logged and counted, and the registration waits in the local outbox until a later call reaches
Redis, which sends it first. Until then CacheBus cannot revoke that session, and cachebus_check says so.
"""
import time
import uuid

import pytest

from faults import ThrowawayRedis, within

RETRY_AFTER = 0.2  # seconds the registry is left alone after a failure (CACHEBUS["REDIS_RETRY_AFTER"])


@pytest.fixture()
def registry_redis(site, tmp_path):
    from django.conf import settings
    from django.test import override_settings
    server = ThrowawayRedis(tmp_path).start()
    try:
        with override_settings(CACHEBUS=dict(settings.CACHEBUS, REDIS_URL=server.url, REDIS_RETRY_AFTER=RETRY_AFTER)):
            yield server
    finally:
        server.stop()


@pytest.fixture()
def user(site):
    from django.contrib.auth.models import User
    return User.objects.create_user(f"ada-{uuid.uuid4().hex[:8]}", password="secret")


def login(user):
    """A browser signing in; returns it and the seconds the login took (failing if it hangs)."""
    from django.test import Client
    browser = Client()
    logged_in, elapsed = within(10, lambda: browser.login(username=user.username, password="secret"))
    assert logged_in
    return browser, elapsed


def session_key(browser):
    from django.conf import settings
    return browser.cookies[settings.SESSION_COOKIE_NAME].value


def registered(server, user):
    return {member.decode() for member in server.client().smembers(f"cachebus:sessions:{user.pk}")}


def failures_of(error_type):
    from cachebus_django import failures
    return failures.counts[("redis", error_type)]


def test_login_succeeds_at_once_while_the_registry_is_black_holed(registry_redis, user, caplog):
    timeouts = failures_of("TimeoutError")
    registry_redis.pause()
    try:
        browser, elapsed = login(user)
    finally:
        registry_redis.resume()

    assert elapsed < 1.0
    assert failures_of("TimeoutError") == timeouts + 1
    assert "session registry" in caplog.text
    from cachebus_django import registry
    assert registry.flush() == 0  # what cachebus_flush does: the waiting registration is sent
    assert registered(registry_redis, user) == {session_key(browser)}


def test_login_while_the_registry_is_down_is_registered_by_the_next_call_that_reaches_redis(registry_redis, user):
    from django.core.management import CommandError, call_command
    refusals = failures_of("ConnectionError")
    registry_redis.stop()
    first, elapsed = login(user)
    assert elapsed < 1.0
    assert failures_of("ConnectionError") == refusals + 1

    registry_redis.start()  # the same port and password, empty
    with pytest.raises(CommandError, match="1 session registration"):
        call_command("cachebus_check")
    time.sleep(RETRY_AFTER)
    second, _ = login(user)

    assert registered(registry_redis, user) == {session_key(first), session_key(second)}
