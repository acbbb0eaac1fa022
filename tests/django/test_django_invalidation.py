"""
Django caches, CacheBus invalidates: each test lets Django store something the way a Django app does, changes the row
with plain SQL (never through Django, so only CacheBus can notice), and checks that Django's next read misses.
"""
import hashlib
import uuid

import pytest


@pytest.fixture()
def cache(shop):
    from django.core.cache import cache
    return cache


def new_category():
    return uuid.uuid4().int % 10**12


def test_product_keys_are_deleted_as_django_stored_them_and_only_for_the_configured_version(shop, cache, redis):
    category = new_category()
    product = shop.new_product(category)
    cache.set(f"product:{product}", "cached")
    cache.set(f"product-list:category:{category}", "cached")
    cache.set(f"product:{product}", "version 3", version=3)  # same key, another VERSION: not CacheBus's to delete
    assert redis.exists(f"shop:2:product:{product}")

    shop.execute("UPDATE products SET price = 9.99 WHERE id = %s", product)

    shop.wait(lambda: cache.get(f"product:{product}") is None, "Django's read of product:<id> to miss")
    shop.wait(lambda: cache.get(f"product-list:category:{category}") is None, "the category list to miss")
    assert cache.get(f"product:{product}", version=3) == "version 3"


def test_cache_page_renders_again_with_the_new_price_after_the_row_changes(shop, redis, client):
    from shop.views import renders
    product = shop.new_product(new_category())
    path = f"/products/{product}/"
    url = f"https://shop.example.com{path}"  # request.build_absolute_uri(), as the page rule says
    # cache_page's header list, computed from Django's format rather than by Django: en-us and UTC are the suffixes.
    header_key = f"shop:2:views.decorators.cache.cache_header..{hashlib.md5(url.encode()).hexdigest()}.en-us.UTC"

    before = renders["page"]
    assert client.get(path, secure=True).content == b"Lamp: 19.90"
    assert client.get(path, secure=True).content == b"Lamp: 19.90"
    assert renders["page"] == before + 1, "the second request was served from the page cache"
    assert redis.exists(header_key)

    shop.execute("UPDATE products SET price = 24.50 WHERE id = %s", product)
    shop.wait(lambda: not redis.exists(header_key), "the page's header list deleted")  # GETs would store it again

    assert client.get(path, secure=True).content == b"Lamp: 24.50"
    assert renders["page"] == before + 2


def test_template_fragment_renders_again_with_the_new_price_after_the_row_changes(shop, cache, client):
    from django.core.cache.utils import make_template_fragment_key
    from shop.views import renders
    product = shop.new_product(new_category())
    url = f"/cards/{product}/"
    fragment_key = make_template_fragment_key("product_card", [product])  # what {% cache %} uses

    before = renders["card"]
    assert b"19.90" in client.get(url).content
    assert b"19.90" in client.get(url).content
    assert renders["card"] == before + 1, "the second request was served from the fragment cache"
    assert cache.get(fragment_key) is not None

    shop.execute("UPDATE products SET price = 31.00 WHERE id = %s", product)
    shop.wait(lambda: cache.get(fragment_key) is None, "the fragment deleted")

    assert b"31.00" in client.get(url).content
    assert renders["card"] == before + 2


def test_tag_deletes_every_key_registered_under_it_and_the_tag_itself(shop, cache, redis):
    category, other = new_category(), new_category()
    product = shop.new_product(category)
    pages = [f"product-list:{category}:colour:{colour}:page:{n}" for colour in ("red", "blue") for n in (1, 2, 3)]
    for page in pages + ["elsewhere"]:
        cache.set(page, "cached")
    tag, other_tag = cache.make_key(f"tag:category:{category}"), cache.make_key(f"tag:category:{other}")
    redis.sadd(tag, *[cache.make_key(page) for page in pages])
    redis.sadd(other_tag, cache.make_key("elsewhere"))

    shop.execute("UPDATE products SET price = 1 WHERE id = %s", product)

    shop.wait(lambda: all(cache.get(page) is None for page in pages), "every tagged page deleted")
    assert not redis.exists(tag)
    assert cache.get("elsewhere") == "cached" and redis.exists(other_tag)


def test_namespace_generation_grows_so_the_next_read_builds_a_new_key_and_misses(shop, cache):
    category = new_category()
    product = shop.new_product(category)

    def generation():
        return cache.get(f"ns:product-list:{category}", 0)

    def page_key():
        return f"product-list:{category}:g{generation()}:page:1"

    old_generation, old_key = generation(), page_key()
    cache.set(old_key, "page one, old prices")

    shop.execute("UPDATE products SET price = 2 WHERE id = %s", product)

    shop.wait(lambda: generation() != old_generation, "a new generation")
    new_generation = generation()
    # INCR stores digits; django-redis reads digits back as an int, so Django sees a number, not an unpickling error.
    assert isinstance(new_generation, int) and new_generation > old_generation
    assert page_key() != old_key and cache.get(page_key()) is None


def test_product_moved_between_categories_empties_both_categories_tags(shop, cache, redis):
    old, new = new_category(), new_category()
    product = shop.new_product(old)
    for category in (old, new):
        cache.set(f"list:{category}", "cached")
        redis.sadd(cache.make_key(f"tag:category:{category}"), cache.make_key(f"list:{category}"))

    shop.execute("UPDATE products SET category_id = %s WHERE id = %s", new, product)

    shop.wait(lambda: cache.get(f"list:{old}") is None, "the old category's list deleted")
    shop.wait(lambda: cache.get(f"list:{new}") is None, "the new category's list deleted")
    assert not redis.exists(cache.make_key(f"tag:category:{old}"), cache.make_key(f"tag:category:{new}"))
