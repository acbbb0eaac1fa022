"""
A user's sessions follow their profile row, changed by plain SQL (never through Django): a security change logs
them out everywhere; any other change reaches the next request through the snapshot, without reading the profile.
"""
import socket
import uuid

import pytest
from conftest import required, wait_until


@pytest.fixture()
def user(site):
    from django.contrib.auth.models import User
    account = User.objects.create_user(f"ada-{uuid.uuid4().hex[:8]}", password="secret")
    site.execute("INSERT INTO profiles (user_id, display_name, password_hash) VALUES (%s, 'Ada', 'h1')", account.pk)
    return account


@pytest.fixture()
def client(user):
    from django.test import Client
    browser = Client()
    assert browser.login(username=user.username, password="secret")
    assert browser.get("/me/").content == b"Hello Ada"
    return browser


def session_key(client):
    from django.conf import settings
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def memcached_ttl(key):
    """
    Remaining TTL in seconds, read with memcached's meta get (pymemcache 3.5 cannot ask) from the node that has the
    key: Django's client put it on one of the nodes by its own hashing.
    """
    answers = []
    for node in required("CACHEBUS_MEMCACHED").split(","):
        host, port = node.split(":")
        with socket.create_connection((host, int(port)), timeout=2) as conn:
            conn.sendall(f"mg {key} t\r\n".encode())
            answers.append(conn.recv(256).decode())
    found = [a for a in answers if a.startswith("HD t")]
    assert len(found) == 1, answers
    return int(found[0].split()[1][1:])


def test_login_records_the_session_and_logout_forgets_it(site, user, client):
    from cachebus_django.registry import client as registry
    key = f"cachebus:sessions:{user.pk}"
    assert registry().sismember(key, session_key(client))

    client.logout()

    assert registry().scard(key) == 0


def test_user_deactivated_by_sql_is_anonymous_on_the_next_request(site, user, client):
    site.execute("UPDATE profiles SET is_active = false WHERE user_id = %s", user.pk)

    wait_until(lambda: client.get("/me/").content == b"anonymous", "the session revoked")


def test_password_hash_changed_by_sql_revokes_every_session_of_the_user(site, user, client):
    from django.test import Client
    second = Client()
    assert second.login(username=user.username, password="secret")

    site.execute("UPDATE profiles SET password_hash = 'h2' WHERE user_id = %s", user.pk)

    wait_until(lambda: client.get("/me/").content == b"anonymous", "the first session revoked")
    wait_until(lambda: second.get("/me/").content == b"anonymous", "the second session revoked")


def test_password_change_in_a_request_registers_the_new_session_key_and_drops_the_old(site, user, client):
    from cachebus_django.registry import client as registry
    old = session_key(client)

    assert client.post("/password/", {"password": "new-secret"}).content == b"changed"

    new = session_key(client)
    assert new != old and client.get("/me/").content == b"Hello Ada"  # still signed in, under a new key
    assert registry().smembers(f"cachebus:sessions:{user.pk}") == {new.encode()}


def test_session_after_a_password_change_is_revoked_by_a_security_change(site, user, client):
    assert client.post("/password/", {"password": "new-secret"}).content == b"changed"
    assert client.get("/me/").content == b"Hello Ada"

    site.execute("UPDATE profiles SET is_active = false WHERE user_id = %s", user.pk)

    wait_until(lambda: client.get("/me/").content == b"anonymous", "the session of the new key revoked")


def test_display_name_changed_by_sql_shows_without_reading_the_profile(site, user, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    profile_reads = []

    def shows_grace():
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/me/").content
        profile_reads.extend(q["sql"] for q in queries.captured_queries if "profiles" in q["sql"])
        return body == b"Hello Grace"

    site.execute("UPDATE profiles SET display_name = 'Grace' WHERE user_id = %s", user.pk)

    wait_until(shows_grace, "the new display name")
    assert profile_reads == []
    # CacheBus touches the sessions just after writing the snapshot, so the TTL may be extended a moment later.
    wait_until(lambda: memcached_ttl(f":1:django.contrib.sessions.cache{session_key(client)}") > 300,
               "the session's TTL extended to CacheBus's")


def test_sessions_revoked_by_an_intent_of_the_app(site, user, client):
    from django.db import transaction
    from cachebus_django import invalidate

    with transaction.atomic():
        invalidate(revoke_sessions_of=[user.pk])

    wait_until(lambda: client.get("/me/").content == b"anonymous", "the session revoked by the intent")
