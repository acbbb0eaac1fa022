"""
Fragments warmed under TTL policies: after a product changes by SQL, CacheBus fetches the fresh card from the
Django origin and overwrites Django's fragment key, so the next visitor finds it without a render.
"""
import re
import urllib.request
import uuid

import pytest
from conftest import FRAGMENT_TOKEN, wait_until


@pytest.fixture()
def product(site):
    from django.core.cache import cache
    product_id = uuid.uuid4().int % 10**12
    cache.set(f"product:{product_id}", "probe")
    site.execute("INSERT INTO products (id, category_id, name, price) VALUES (%s, 7, 'Lamp', 19.90)", product_id)
    wait_until(lambda: cache.get(f"product:{product_id}") is None, "the insert applied")
    return product_id


def fragment(name, product_id):
    from django.core.cache import cache
    from django.core.cache.utils import make_template_fragment_key
    return cache.get(make_template_fragment_key(name, [product_id]))


def warms(site, fragment_name, outcome):
    text = urllib.request.urlopen(site.metrics, timeout=5).read().decode()
    match = re.search(rf'^cachebus_warms_total{{fragment="{fragment_name}",outcome="{outcome}"}} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


def test_price_change_warms_the_card_without_any_visitor(site, product):
    from django.test import Client
    from project.urls import card_renders
    site.execute("UPDATE products SET price = 25.50 WHERE id = %s", product)

    wait_until(lambda: "25.50" in (fragment("product_card", product) or ""), "the warmed card in Redis")

    page = Client().get(f"/cards/{product}/").content.decode()
    assert "<b>Lamp</b> 25.50" in page
    assert card_renders.get(product, 0) == 0, "the {% cache %} tag served the warmed fragments without rendering"


def test_warmed_ttl_lies_within_the_policys_jitter(site, product):
    from django.core.cache.utils import make_template_fragment_key
    from django_redis import get_redis_connection
    site.execute("UPDATE products SET price = 26 WHERE id = %s", product)
    wait_until(lambda: "26" in (fragment("product_card", product) or ""), "the warmed card")

    ttl = get_redis_connection("default").ttl(":1:" + make_template_fragment_key("product_card", [product]))

    assert 300 - 30 - 2 <= ttl <= 300 + 30  # Ttl 5 min, Jitter 30 s (less the seconds this test took)


def test_many_changes_at_once_cause_one_fetch(site, product):
    from project.urls import origin_fetches
    before = {name: origin_fetches.get((name, product), 0) for name in ("product_card", "product_badge")}
    site.execute("; ".join(f"UPDATE products SET price = {20 + i} WHERE id = %s" for i in range(20)), *[product] * 20)

    for name in before:  # each fragment is warmed by its own request: wait for both, not just the first
        wait_until(lambda: "39" in (fragment(name, product) or ""), f"the last price warmed in {name}")

    # One fetch per fragment for the twenty changes. (product_flash is left out: its 3 s TTL refreshes it early.)
    assert {name: origin_fetches[(name, product)] - count for name, count in before.items()} == \
        {"product_card": 1, "product_badge": 1}


def test_origin_down_keeps_or_deletes_the_old_fragment_per_policy_and_counts_it(site, product):
    from django.test import Client
    Client().get(f"/cards/{product}/")  # both fragments cached by a visitor
    assert fragment("product_card", product) and fragment("product_badge", product)
    failures = warms(site, "product_card", "status-503")

    site.execute("UPDATE products SET name = 'down', price = 1 WHERE id = %s", product)

    wait_until(lambda: fragment("product_badge", product) is None, "the badge deleted (OnFailure: Delete)")
    wait_until(lambda: warms(site, "product_card", "status-503") >= failures + 2, "the card's failures counted (1 retry)")
    assert "19.90" in fragment("product_card", product)  # OnFailure: Keep; the error page was never stored


def test_redirect_and_disallowed_host_are_refused(site, product):
    redirects, refused = warms(site, "product_card", "redirect"), warms(site, "product_promo", "origin-not-allowed")

    site.execute("UPDATE products SET name = 'moved' WHERE id = %s", product)

    wait_until(lambda: warms(site, "product_card", "redirect") > redirects, "the redirect refused")
    wait_until(lambda: warms(site, "product_promo", "origin-not-allowed") > refused, "the other host refused")
    assert fragment("product_promo", product) is None


def test_fragment_view_refuses_a_request_without_the_token(site, product):
    url = f"{site.origin}/cachebus/fragments/product_card/?vary={product}"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=5)
    assert refused.value.code == 403

    answer = urllib.request.urlopen(urllib.request.Request(url, headers={"X-CacheBus-Token": FRAGMENT_TOKEN}), timeout=5)
    assert answer.status == 200 and b"<b>Lamp</b>" in answer.read()


def test_early_refresh_renews_a_fragment_before_it_expires(site, product):
    import time
    from django.core.cache.utils import make_template_fragment_key
    from django_redis import get_redis_connection
    from project.urls import origin_renders
    redis = get_redis_connection("default")
    key = ":1:" + make_template_fragment_key("product_flash", [product])
    site.execute("UPDATE products SET price = 5 WHERE id = %s", product)
    wait_until(lambda: redis.exists(key), "the flash fragment warmed")
    fetched = origin_renders[product]

    # Its TTL is 3 s (jitter 0.5 s); for 8 s it must never be missing, because it is refreshed before it expires.
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        assert redis.exists(key), "the fragment expired before it was refreshed"
        time.sleep(0.05)
    assert origin_renders[product] - fetched >= 2
