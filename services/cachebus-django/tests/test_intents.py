"""Intents written inside the app's transaction: applied if and only if it commits."""
import json
import pathlib
import uuid

import pytest
from conftest import wait_until

SAMPLE = pathlib.Path(__file__).resolve().parents[3] / "contracts/samples/invalidation-requested.json"


def test_intent_in_a_committed_transaction_is_applied(site):
    from django.core.cache import cache
    from django.db import transaction
    from cachebus_django import invalidate
    key = f"stats:{uuid.uuid4().hex}"
    cache.set(key, "cached")

    with transaction.atomic():
        invalidate(keys=[key])

    wait_until(lambda: cache.get(key) is None, "the key deleted")


def test_intent_in_a_rolled_back_transaction_is_never_applied(site):
    from django.core.cache import cache
    from django.db import transaction
    from cachebus_django import invalidate
    kept, sentinel = f"stats:{uuid.uuid4().hex}", f"stats:{uuid.uuid4().hex}"
    cache.set(kept, "cached")
    cache.set(sentinel, "cached")

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            invalidate(keys=[kept])
            raise RuntimeError("the view failed")
    with transaction.atomic():
        invalidate(keys=[sentinel])

    wait_until(lambda: cache.get(sentinel) is None, "the later intent applied")
    assert cache.get(kept) == "cached"


def test_intent_has_the_shape_of_the_golden_sample(site):
    from django.db import transaction
    from cachebus_django import invalidate
    with transaction.atomic():
        intent = invalidate(keys=["stats:category:7"], tags=["category:7"], namespaces=["product-list:7"])

    sample = json.loads(SAMPLE.read_text())["message"]
    assert {k: v for k, v in intent.items() if k != "revokeSessionsOf"} == {name: sample[name] for name in ("keys", "tags", "namespaces")}
    assert set(intent) == {"keys", "tags", "namespaces", "revokeSessionsOf"} <= set(sample)


def test_fragment_intent_deletes_djangos_fragment_key(site):
    from django.core.cache import cache
    from django.core.cache.utils import make_template_fragment_key
    from django.db import transaction
    from cachebus_django import invalidate
    product_id = uuid.uuid4().int % 10**12
    key = make_template_fragment_key("product_card", [product_id])
    cache.set(key, "<b>old card</b>")

    with transaction.atomic():
        intent = invalidate(fragments=[("product_card", [product_id])])

    assert intent["keys"] == [cache.make_key(key)]
    wait_until(lambda: cache.get(key) is None, "the fragment deleted")
