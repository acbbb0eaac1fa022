from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_page

from shop.models import Product

# How often each piece was really rendered, not served from the cache.
renders = {"page": 0, "card": 0}


@cache_page(300)
def product_page(request, product_id):
    renders["page"] += 1
    product = Product.objects.get(id=product_id)
    return HttpResponse(f"{product.name}: {product.price}")


class CountedProduct:
    """Counts a fragment render each time the {% cache %} block reads the price (a cache hit never reads it)."""

    def __init__(self, product):
        self.id, self._price = product.id, product.price

    @property
    def price(self):
        renders["card"] += 1
        return self._price


def product_card(request, product_id):
    return render(request, "card.html", {"product": CountedProduct(Product.objects.get(id=product_id))})
