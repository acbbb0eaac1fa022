"""
Django caches, CacheBus invalidates: each test lets Django store something the way a Django app does, changes the
row with plain SQL (never through Django, so only CacheBus can notice), and checks Django's next read misses.
"""
import uuid

import pytest
from conftest import wait_until


@pytest.fixture()
def cache(shop):
    from django.core.cache import cache
    return cache


@pytest.fixture()
def redis(shop):
    from django_redis import get_redis_connection
    return get_redis_connection("default")


def category():
    return uuid.uuid4().int % 10**12


def test_keys_are_djangos_keys_and_the_next_read_misses(shop, cache, redis):
    cat = category()
    product = shop.new_product(cat)
    cache.set(f"product:{product}", "cached")
    cache.set(f"product-list:category:{cat}", "cached")
    cache.set(f"product:{product}", "another version", version=3)
    assert redis.exists(f"shop:2:product:{product}")

    shop.execute("UPDATE products SET price = 9.99 WHERE id = %s", product)

    wait_until(lambda: cache.get(f"product:{product}") is None, "Django's read of product:<id> to miss")
    wait_until(lambda: cache.get(f"product-list:category:{cat}") is None, "the category list to miss")
    assert cache.get(f"product:{product}", version=3) == "another version"  # exactly the configured version's key


def test_cache_page_is_rendered_again_after_the_row_changes(shop, redis):
    from django.test import Client
    from shop.views import renders
    client = Client(HTTP_HOST="shop.example.com")
    product = shop.new_product(category())
    url = f"/products/{product}/"

    pattern = "shop:2:views.decorators.cache.cache_header.*"
    existing = set(redis.keys(pattern))
    first = client.get(url, secure=True)
    second = client.get(url, secure=True)
    assert (first.content, second.content) == (b"Lamp: 19.90", b"Lamp: 19.90")
    rendered = renders["page"]
    header_keys = set(redis.keys(pattern)) - existing
    assert len(header_keys) == 1, "cache_page stored one header list for this URL"

    shop.execute("UPDATE products SET price = 24.50 WHERE id = %s", product)
    wait_until(lambda: not any(redis.exists(k) for k in header_keys), "the page's header list evicted")

    third = client.get(url, secure=True)
    assert third.content == b"Lamp: 24.50"
    assert renders["page"] == rendered + 1


def test_template_fragment_is_rendered_again_after_the_row_changes(shop, cache):
    from django.core.cache.utils import make_template_fragment_key
    from django.test import Client
    from shop.views import renders
    client = Client(HTTP_HOST="shop.example.com")
    product = shop.new_product(category())
    url = f"/cards/{product}/"

    before = renders["card"]
    assert b"19.90" in client.get(url).content
    assert b"19.90" in client.get(url).content
    assert renders["card"] == before + 1, "the second request was served from the fragment cache"

    shop.execute("UPDATE products SET price = 31.00 WHERE id = %s", product)
    key = make_template_fragment_key("product_card", [product])
    wait_until(lambda: cache.get(key) is None, "the fragment evicted")

    assert b"31.00" in client.get(url).content
    assert renders["card"] == before + 2


def test_tag_deletes_every_key_registered_under_it(shop, cache, redis):
    cat, other = category(), category()
    product = shop.new_product(cat)
    pages = [f"product-list:{cat}:filter:{colour}:page:{n}" for colour in ("red", "blue") for n in (1, 2, 3)]
    for page in pages + ["unrelated"]:
        cache.set(page, "cached")
    redis.sadd(cache.make_key(f"tag:category:{cat}"), *[cache.make_key(p) for p in pages])
    redis.sadd(cache.make_key(f"tag:category:{other}"), cache.make_key("unrelated"))

    shop.execute("UPDATE products SET price = 1 WHERE id = %s", product)

    wait_until(lambda: all(cache.get(p) is None for p in pages), "every tagged page evicted")
    assert not redis.exists(cache.make_key(f"tag:category:{cat}"))
    assert cache.get("unrelated") == "cached"


def test_namespace_generation_moves_so_old_pages_are_never_read(shop, cache):
    cat = category()
    product = shop.new_product(cat)

    def page_key():
        generation = cache.get(f"ns:product-list:{cat}", 0)
        return f"product-list:{cat}:g{generation}:page:1"

    old_key = page_key()
    cache.set(old_key, "page one, old prices")

    shop.execute("UPDATE products SET price = 2 WHERE id = %s", product)

    wait_until(lambda: page_key() != old_key, "a new generation")
    assert isinstance(cache.get(f"ns:product-list:{cat}"), int)
    assert cache.get(page_key()) is None


def test_product_moved_between_categories_empties_both_tags(shop, cache, redis):
    old, new = category(), category()
    product = shop.new_product(old)
    for cat in (old, new):
        cache.set(f"list:{cat}", "cached")
        redis.sadd(cache.make_key(f"tag:category:{cat}"), cache.make_key(f"list:{cat}"))

    shop.execute("UPDATE products SET category_id = %s WHERE id = %s", new, product)

    wait_until(lambda: cache.get(f"list:{old}") is None and cache.get(f"list:{new}") is None, "both lists evicted")
