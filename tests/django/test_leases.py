"""
The stale-set race, played step by step with CacheBus running and its second eviction off (conftest): a reader misses
and reads the row, the writer commits, CacheBus evicts, and only then does the reader store what it read. Through
cachebus_django's LeaseRedisCache the store is refused and the next reader gets the new row; through django-redis's
own backend (alias "plain", the control) the old row stays cached.
"""
import decimal
import hashlib
import threading
import uuid

import pytest


@pytest.fixture()
def caches(shop):
    from django.core.cache import caches
    return caches


def price(product):
    from shop.models import Product
    return Product.objects.get(id=product).price


def commit_and_wait_for_the_eviction(shop, redis, full_key, price_now):
    """
    The writer's commit while a reader holds the lease on `full_key`, then CacheBus's eviction, seen as that lease
    gone (nothing else deletes it before the reader fills).
    """
    from cachebus_django.cache import lease_key
    assert redis.exists(lease_key(full_key)), "the reader holds the lease"
    shop.execute("UPDATE products SET price = %s WHERE id = %s", price_now, shop.product)
    shop.wait(lambda: not redis.exists(lease_key(full_key)), "CacheBus's eviction of " + full_key)


@pytest.fixture()
def product(shop):
    shop.category = uuid.uuid4().int % 10**12
    shop.product = shop.new_product(shop.category)
    return shop.product


@pytest.mark.parametrize("alias, stale", [("default", False), ("plain", True)])
def test_a_fill_of_the_row_read_before_the_commit_is_refused_only_through_the_lease_backend(
        shop, caches, redis, product, alias, stale):
    cache = caches[alias]
    key = f"product:{product}"

    # 1. The reader misses (taking the lease, through the backend) and reads the row as it is before the commit.
    assert cache.get(key) is None
    read = price(product)
    # 2. The writer commits; CacheBus deletes the key (and its lease) with the category's list key.
    if alias == "default":
        commit_and_wait_for_the_eviction(shop, redis, cache.make_key(key), "25.00")
    else:
        list_key = f"product-list:category:{shop.category}"
        cache.set(list_key, "cached")
        shop.execute("UPDATE products SET price = 25.00 WHERE id = %s", product)
        shop.wait(lambda: cache.get(list_key) is None, "CacheBus's eviction")
    # 3. Only now does the reader store what it read.
    cache.set(key, read)

    if stale:
        assert caches["plain"].get(key) == decimal.Decimal("19.90"), "the control: the race is real"
    else:
        assert not redis.exists(cache.make_key(key)), "the fill was refused"
        assert cache.get_or_set(key, lambda: price(product)) == decimal.Decimal("25.00")
        assert caches["plain"].get(key) == decimal.Decimal("25.00")


def test_get_or_set_whose_row_changed_while_it_read_stores_nothing(shop, caches, redis, product):
    cache = caches["default"]
    key = f"product:{product}"

    def read_then_commit():
        read = price(product)
        commit_and_wait_for_the_eviction(shop, redis, cache.make_key(key), "26.00")
        return read

    assert cache.get_or_set(key, read_then_commit) == decimal.Decimal("19.90")  # this caller uses what it read
    assert not redis.exists(cache.make_key(key))
    assert cache.get_or_set(key, lambda: price(product)) == decimal.Decimal("26.00")


def test_cache_page_rendered_before_the_commit_is_not_stored_even_after_a_newer_render(shop, caches, redis, client,
                                                                                        product):
    from django.test import Client
    from shop import views
    path = f"/products/{product}/"
    url = f"https://shop.example.com{path}"
    header_key = f"shop:2:views.decorators.cache.cache_header..{hashlib.md5(url.encode()).hexdigest()}.en-us.UTC"
    newer = []

    def commit_then_a_newer_request():
        # After this render read the row: the commit, CacheBus's eviction, and another visitor (another thread,
        # another cache instance) who renders the new price and stores the page and its header list.
        commit_and_wait_for_the_eviction(shop, redis, header_key, "27.00")
        other = threading.Thread(target=lambda: newer.append(
            Client(HTTP_HOST="shop.example.com").get(path, secure=True).content))
        other.start()
        other.join(30)

    views.during_render["page"] = commit_then_a_newer_request
    assert client.get(path, secure=True).content == b"Lamp: 19.90"
    assert newer == [b"Lamp: 27.00"]

    renders = views.renders["page"]
    assert client.get(path, secure=True).content == b"Lamp: 27.00", "the older render overwrote the newer page"
    assert views.renders["page"] == renders, "served from the page cache"


def test_a_template_fragment_rendered_before_the_commit_is_not_stored(shop, caches, redis, client, product):
    from django.core.cache.utils import make_template_fragment_key
    from shop import views
    cache = caches["default"]
    fragment_key = make_template_fragment_key("product_card", [product])
    views.during_render["card"] = lambda: commit_and_wait_for_the_eviction(
        shop, redis, cache.make_key(fragment_key), "28.00")

    assert b"19.90" in client.get(f"/cards/{product}/").content
    assert cache.get(fragment_key) is None, "the fragment read before the commit was not stored"
    assert b"28.00" in client.get(f"/cards/{product}/").content
