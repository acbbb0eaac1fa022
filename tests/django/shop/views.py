from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_page

# How often each piece was really rendered (not served from the cache).
renders = {"page": 0, "card": 0}


def _product(product_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name, price FROM products WHERE id = %s", [product_id])
        row = cursor.fetchone()
    return {"id": row[0], "name": row[1], "price": row[2]}


@cache_page(300)
def product_page(request, product_id):
    renders["page"] += 1
    product = _product(product_id)
    return HttpResponse(f"{product['name']}: {product['price']}")


class CountedProduct:
    """Counts a render each time the cached block reads the product's price."""

    def __init__(self, row):
        self.id, self._price = row["id"], row["price"]

    @property
    def price(self):
        renders["card"] += 1
        return self._price


def product_card(request, product_id):
    return render(request, "card.html", {"product": CountedProduct(_product(product_id))})
