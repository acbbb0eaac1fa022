"""
The AMQP transport: published after commit with confirms, in MassTransit's envelope; a rolled-back transaction
publishes nothing; with the broker down or black-holed the request still succeeds at once and the intent waits in
the outbox; the broker back, one connection sends everything that waits, in order.
"""
import contextlib
import json
import subprocess
import time
import urllib.parse
import uuid

import pika
import pytest
from conftest import ROOT, wait_until
from faults import BlackHole, CountingProxy, within


class Intents:
    """A queue of the test's own on the intents exchange: it sees every intent published, in order."""

    def __init__(self, url):
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, "cachebus.invalidation-requested")

    def keys(self, wait=1.0):
        """Every key of every intent that arrives within `wait` seconds, in arrival order."""
        deadline, found = time.monotonic() + wait, []
        while time.monotonic() < deadline:
            method, _, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                time.sleep(0.05)
                continue
            found.extend(json.loads(body)["message"]["keys"])
        return found

    def count(self, key, wait=1.0):
        return sum(key in k for k in self.keys(wait))


@pytest.fixture()
def tap(site):
    from django.conf import settings
    intents = Intents(settings.CACHEBUS["AMQP_URL"])
    yield intents
    intents.connection.close()


def broker_at(port):
    """The site's AMQP_URL (its user, password and vhost) pointed at another port on loopback."""
    from django.conf import settings
    url = urllib.parse.urlsplit(settings.CACHEBUS["AMQP_URL"])
    return url._replace(netloc=f"{url.username}:{url.password}@127.0.0.1:{port}").geturl()


@contextlib.contextmanager
def cachebus(**changes):
    """The CACHEBUS setting with changes; failures leave the broker alone only briefly, so later tests publish."""
    from django.conf import settings
    from django.test import override_settings
    with override_settings(CACHEBUS=dict(settings.CACHEBUS, AMQP_RETRY_AFTER=0.2, **changes)):
        yield


def waiting_keys():
    from cachebus_django import outbox
    return [k for _, body in outbox.oldest(outbox.INTENTS) for k in json.loads(body)["message"]["keys"]]


def test_committed_transaction_publishes_exactly_once_and_cachebus_applies_it(site, tap):
    from django.core.cache import cache
    from django.db import transaction
    from cachebus_django import invalidate
    key = f"stats:{uuid.uuid4().hex}"
    cache.set(key, "cached")

    with transaction.atomic():
        invalidate(keys=[key], transport="amqp")

    wait_until(lambda: cache.get(key) is None, "CacheBus applied the intent")
    assert tap.count(key) == 1


def test_published_envelope_matches_the_golden_sample(site, tap):
    from cachebus_django import amqp
    sample = json.loads((ROOT / "contracts/samples/invalidation-requested.json").read_text())
    body = amqp.envelope({"keys": ["k"], "tags": [], "namespaces": [], "revokeSessionsOf": []})

    assert body["messageType"] == sample["messageType"]
    assert set(body) <= set(sample)
    assert set(body["message"]) <= set(sample["message"])


def test_rolled_back_transaction_publishes_nothing(site, tap):
    from django.db import transaction
    from cachebus_django import invalidate
    key = f"stats:{uuid.uuid4().hex}"

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            invalidate(keys=[key], transport="amqp")
            raise RuntimeError("the view failed")

    assert tap.count(key, wait=1.5) == 0


def test_broker_down_the_request_succeeds_and_the_intent_arrives_after_recovery(site):
    from django.core.cache import cache
    from django.db import transaction
    from cachebus_django import amqp, invalidate
    key = f"stats:{uuid.uuid4().hex}"
    cache.set(key, "cached")
    servers("stop", "rabbitmq")
    try:
        with transaction.atomic():
            invalidate(keys=[key], transport="amqp")  # the request goes on: no exception
        assert amqp.flush_outbox() == 1, "kept in the outbox"
    finally:
        servers("up")

    from django.core.management import call_command
    wait_until(lambda: amqp.flush_outbox() == 0, "the outbox flushed after recovery", timeout=60)
    call_command("cachebus_flush")  # nothing left: it says so instead of failing
    wait_until(lambda: cache.get(key) is None, "CacheBus applied the intent", timeout=60)


def test_committed_request_returns_at_once_and_keeps_the_intent_while_the_broker_is_black_holed(site, caplog):
    from django.test import Client
    from cachebus_django import amqp, failures
    assert amqp.flush_outbox() == 0  # nothing of earlier tests waits
    timeouts = failures.counts[("rabbitmq", "BrokerTimeout")]
    key, hole = f"stats:{uuid.uuid4().hex}", BlackHole()
    try:
        with cachebus(AMQP_URL=broker_at(hole.port)):
            response, elapsed = within(60, lambda: Client().get("/intents/", {"key": key}))
    finally:
        hole.close()

    assert response.status_code == 200 and elapsed < 1.0
    assert [k for k in waiting_keys() if key in k] != []
    assert failures.counts[("rabbitmq", "BrokerTimeout")] == timeouts + 1
    assert "rabbitmq failed while publishing" in caplog.text


def test_one_flush_sends_every_waiting_intent_on_one_connection_in_order(site, tap):
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client
    from cachebus_django import amqp, outbox
    assert amqp.flush_outbox() == 0
    tap.keys(wait=0.5)  # what earlier tests left waiting, now published: not this test's
    keys = [f"stats:{uuid.uuid4().hex}:{n}" for n in range(5)]
    for key in keys[:-1]:  # waiting since an outage; the last comes with the request that finds the broker back
        outbox.add(outbox.INTENTS, json.dumps(amqp.envelope({"keys": [cache.make_key(key)], "tags": [], "namespaces": [],
                                                              "revokeSessionsOf": []})))
    proxy = CountingProxy("127.0.0.1", urllib.parse.urlsplit(settings.CACHEBUS["AMQP_URL"]).port)  # the real broker
    try:
        with cachebus(AMQP_URL=broker_at(proxy.port)):
            assert Client().get("/intents/", {"key": keys[-1]}).status_code == 200
    finally:
        proxy.close()

    assert proxy.connections == 1
    assert waiting_keys() == []
    assert tap.keys() == [cache.make_key(key) for key in keys]


def test_outbox_that_cannot_be_written_does_not_fail_the_request_and_the_intent_is_still_published(site, tap):
    from django.test import Client
    key = f"stats:{uuid.uuid4().hex}"

    with cachebus(OUTBOX_PATH="/nonexistent/cachebus/outbox.sqlite3"):
        response = Client(raise_request_exception=False).get("/intents/", {"key": key})

    assert response.status_code == 200
    assert tap.count(key) == 1


def test_malformed_broker_url_does_not_fail_the_request_and_the_intent_waits(site):
    from django.test import Client
    from cachebus_django import amqp
    key = f"stats:{uuid.uuid4().hex}"

    with cachebus(AMQP_URL="amqp://cachebus:secret@127.0.0.1:not-a-port/x"):
        response = Client(raise_request_exception=False).get("/intents/", {"key": key})

    assert response.status_code == 200
    assert [k for k in waiting_keys() if key in k] != []
    assert amqp.flush_outbox() == 0  # with the site's own URL again it goes out


def servers(*args):
    subprocess.run([str(ROOT / "compose/local/servers.sh"), *args], check=True, capture_output=True, timeout=180)
