"""
The AMQP transport: published after commit with confirms, in MassTransit's envelope; a rolled-back transaction
publishes nothing; with the broker down the request still succeeds and the intent arrives after recovery.
"""
import json
import subprocess
import time
import uuid

import pika
import pytest
from conftest import ROOT, wait_until


@pytest.fixture()
def tap(site):
    """A queue of the test's own on the intents exchange: it sees every intent published."""
    from django.conf import settings
    connection = pika.BlockingConnection(pika.URLParameters(settings.CACHEBUS["AMQP_URL"]))
    channel = connection.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "cachebus.invalidation-requested")

    def published(key, wait=1.0):
        deadline, found = time.monotonic() + wait, 0
        while time.monotonic() < deadline:
            method, _, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                time.sleep(0.05)
                continue
            found += any(key in k for k in json.loads(body)["message"]["keys"])
        return found

    yield published
    connection.close()


def test_committed_transaction_publishes_exactly_once_and_cachebus_applies_it(site, tap):
    from django.core.cache import cache
    from django.db import transaction
    from cachebus_django import invalidate
    key = f"stats:{uuid.uuid4().hex}"
    cache.set(key, "cached")

    with transaction.atomic():
        invalidate(keys=[key], transport="amqp")

    wait_until(lambda: cache.get(key) is None, "CacheBus applied the intent")
    assert tap(key) == 1


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

    assert tap(key, wait=1.5) == 0


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


def servers(*args):
    subprocess.run([str(ROOT / "compose/local/servers.sh"), *args], check=True, capture_output=True, timeout=180)
