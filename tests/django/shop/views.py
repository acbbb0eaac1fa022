from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_page

from shop.models import Product

# How often each piece was really rendered, not served from the cache.
renders = {"page": 0, "card": 0}
# What a test does in the middle of a render, after the row was read (e.g. commit a change and wait for CacheBus).
during_render = {"page": None, "card": None}


def _hook(piece):
    hook, during_render[piece] = during_render[piece], None  # once: a request the hook makes must not run it again
    if hook:
        hook()


@cache_page(300)
def product_page(request, product_id):
    renders["page"] += 1
    product = Product.objects.get(id=product_id)
    _hook("page")
    return HttpResponse(f"{product.name}: {product.price}")


class CountedProduct:
    """Counts a fragment render each time the {% cache %} block reads the price (a cache hit never reads it)."""

    def __init__(self, product):
        self.id, self._price = product.id, product.price

    @property
    def price(self):
        renders["card"] += 1
        _hook("card")
        return self._price


def product_card(request, product_id):
    return render(request, "card.html", {"product": CountedProduct(Product.objects.get(id=product_id))})
