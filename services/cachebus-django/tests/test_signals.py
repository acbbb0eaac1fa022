"""Saves of configured models become intents: a Django save makes CacheBus evict, a rolled-back one does not."""
import uuid
from decimal import Decimal

import pytest
from conftest import wait_until


def create_product(category_id):
    """Creates a product and waits until the creation's own intent was applied, so it cannot land mid-test."""
    from django.core.cache import cache
    from project.models import Product
    product_id = uuid.uuid4().int % 10**12
    cache.set(f"signal:product:{product_id}", "probe")
    product = Product.objects.create(id=product_id, category_id=category_id, name="Lamp", price=Decimal("19.90"))
    wait_until(lambda: cache.get(f"signal:product:{product_id}") is None, "the creation applied")
    return product


@pytest.fixture()
def product(site):
    return create_product(7)


def test_django_save_makes_cachebus_evict_the_key(site, product):
    from django.core.cache import cache
    from django.db import transaction
    cache.set(f"signal:product:{product.id}", "cached")

    with transaction.atomic():
        product.price = Decimal("9.99")
        product.save()

    wait_until(lambda: cache.get(f"signal:product:{product.id}") is None, "the saved product's key evicted")


def test_each_model_fills_its_own_rules(site):
    from django.core.cache import cache
    from django.db import transaction
    from project.models import Product, Tag
    product_id, tag_name = uuid.uuid4().int % 10**12, f"tag-{uuid.uuid4().hex}"
    cache.set(f"signal:product:{product_id}", "cached")
    cache.set(f"signal:tag:{tag_name}", "cached")

    with transaction.atomic():
        Product.objects.create(id=product_id, category_id=7, name="Lamp", price=Decimal("19.90"))
        Tag.objects.create(id=uuid.uuid4().int % 10**12, name=tag_name)

    wait_until(lambda: cache.get(f"signal:product:{product_id}") is None, "the product's own key evicted")
    wait_until(lambda: cache.get(f"signal:tag:{tag_name}") is None, "the tag's own key evicted")


def test_rolled_back_save_evicts_nothing(site, product):
    from django.core.cache import cache
    from django.db import transaction
    sentinel = create_product(8)
    cache.set(f"signal:product:{product.id}", "cached")
    cache.set(f"signal:product:{sentinel.id}", "cached")

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            product.save()
            raise RuntimeError("the view failed")
    with transaction.atomic():
        sentinel.save()

    wait_until(lambda: cache.get(f"signal:product:{sentinel.id}") is None, "the committed save applied")
    assert cache.get(f"signal:product:{product.id}") == "cached"


def test_delete_makes_cachebus_evict_the_key(site, product):
    from django.core.cache import cache
    from django.db import transaction
    cache.set(f"signal:product:{product.id}", "cached")

    with transaction.atomic():
        product.delete()

    wait_until(lambda: cache.get(f"signal:product:{product.id}") is None, "the deleted product's key evicted")


def test_m2m_change_makes_cachebus_evict_the_key(site, product):
    from django.core.cache import cache
    from django.db import transaction
    from project.models import Tag
    tag = Tag.objects.create(id=uuid.uuid4().int % 10**12, name="new")
    cache.set(f"signal:product:{product.id}", "cached")

    with transaction.atomic():
        product.tags.add(tag)

    wait_until(lambda: cache.get(f"signal:product:{product.id}") is None, "the product's key evicted after tags changed")


def new_tag():
    from project.models import Tag
    return Tag.objects.create(id=uuid.uuid4().int % 10**12, name=f"tag-{uuid.uuid4().hex}")


def test_m2m_change_from_the_reverse_side_evicts_the_products_keys(site, product):
    from django.core.cache import cache
    from django.db import transaction
    other, tag = create_product(9), new_tag()
    for each in (product, other):
        cache.set(f"signal:product:{each.id}", "cached")

    with transaction.atomic():
        tag.product_set.add(product, other)  # m2m_changed with reverse=True: the instance is the tag

    wait_until(lambda: cache.get(f"signal:product:{product.id}") is None, "the first product's key evicted")
    wait_until(lambda: cache.get(f"signal:product:{other.id}") is None, "the second product's key evicted")


def test_reverse_clear_evicts_the_keys_of_every_product_that_had_the_tag(site, product):
    from django.core.cache import cache
    from django.db import transaction
    other, tag = create_product(9), new_tag()
    tag.product_set.add(product, other)
    wait_until(lambda: cache.get(f"signal:product:{other.id}") is None, "the add applied")
    for each in (product, other):
        cache.set(f"signal:product:{each.id}", "cached")

    with transaction.atomic():
        tag.product_set.clear()  # post_clear carries no pk_set: the products are known only before the clear

    wait_until(lambda: cache.get(f"signal:product:{product.id}") is None, "the first product's key evicted")
    wait_until(lambda: cache.get(f"signal:product:{other.id}") is None, "the second product's key evicted")


def test_cachebus_check_reports_every_connection_ok(site):
    from io import StringIO
    from django.core.management import call_command
    out = StringIO()

    call_command("cachebus_check", stdout=out)

    assert "ok    database: wal_level=logical" in out.getvalue()
    assert "FAIL" not in out.getvalue()


def test_cachebus_check_says_what_is_wrong(site):
    from io import StringIO
    from django.conf import settings
    from django.core.management import CommandError, call_command
    from django.test import override_settings
    broken = dict(settings.CACHEBUS, TRANSPORT="amqp", AMQP_URL="amqp://cachebus:wrong@127.0.0.1:1/",
                  MODELS={"project.Product": {"keys": ["product:{sku}"]}})
    out = StringIO()

    with override_settings(CACHEBUS=broken), pytest.raises(CommandError, match="2 problem"):
        call_command("cachebus_check", stdout=out)

    assert "FAIL  MODELS: project.Product keys 'product:{sku}' names 'sku'" in out.getvalue()
    assert "FAIL  AMQP_URL" in out.getvalue()


def test_cachebus_check_says_when_the_session_middleware_is_missing(site):
    from io import StringIO
    from django.conf import settings
    from django.core.management import CommandError, call_command
    from django.test import override_settings
    without = [m for m in settings.MIDDLEWARE if not m.startswith("cachebus_django.")]
    out = StringIO()

    with override_settings(MIDDLEWARE=without), pytest.raises(CommandError, match="1 problem"):
        call_command("cachebus_check", stdout=out)

    assert "FAIL  MIDDLEWARE: cachebus_django.middleware.SessionRegistryMiddleware" in out.getvalue()


def test_bad_timeouts_are_refused_at_start_naming_the_setting(site):
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings
    from cachebus_django.settings import validate
    broken = dict(settings.CACHEBUS, REDIS_TIMEOUT=0, AMQP_TIMEOUT="1", REQUEST_FLUSH_LIMIT=0)

    with override_settings(CACHEBUS=broken), pytest.raises(ImproperlyConfigured) as refused:
        validate()

    assert "CACHEBUS['REDIS_TIMEOUT']: 0 must be" in str(refused.value)
    assert "CACHEBUS['AMQP_TIMEOUT']: '1' must be" in str(refused.value)
    assert "CACHEBUS['REQUEST_FLUSH_LIMIT']: 0 must be" in str(refused.value)
