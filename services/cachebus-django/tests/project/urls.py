from django.contrib.auth import update_session_auth_hash
from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import include, path

from cachebus_django import fragments, invalidate, profile_snapshot

# Renders that really happened, per product id: in the page's {% cache %} blocks, and at the origin CacheBus fetches
# (origin_fetches counts the latter per fragment name too, as (name, product id)).
card_renders = {}
origin_renders = {}
origin_fetches = {}


class Product:
    def __init__(self, product_id):
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, name, price FROM products WHERE id = %s", [product_id])
            self.id, self.name, self._price = cursor.fetchone()

    @property
    def price(self):
        card_renders[self.id] = card_renders.get(self.id, 0) + 1
        return self._price


def me(request):
    if not request.user.is_authenticated:
        return HttpResponse("anonymous")
    return HttpResponse("Hello " + profile_snapshot(request.user.id)["display_name"])


def change_password(request):
    """As django.contrib.auth's PasswordChangeView does: the session key rotates, no user_logged_in is sent."""
    request.user.set_password(request.POST["password"])
    request.user.save()
    update_session_auth_hash(request, request.user)
    return HttpResponse("changed")


def amqp_intent(request):
    """A view whose transaction asks for a key to be invalidated over AMQP: the intent is published on commit."""
    with transaction.atomic():
        invalidate(keys=[request.GET["key"]], transport="amqp")
    return HttpResponse("saved")


def card(request, product_id):
    return render(request, "card.html", {"product": Product(product_id)})


def render_card(request, product_id):
    """What the {% cache %} blocks of card.html render; products named to misbehave let tests break the origin."""
    product = Product(int(product_id))
    origin_renders[product.id] = origin_renders.get(product.id, 0) + 1
    fetch = (request.resolver_match.kwargs["name"], product.id)
    origin_fetches[fetch] = origin_fetches.get(fetch, 0) + 1
    if product.name == "down":
        return HttpResponse("maintenance", status=503)
    if product.name == "moved":
        return HttpResponseRedirect("https://elsewhere.example.com/card")
    return render_to_string("card_inner.html", {"product": {"name": product.name, "price": product._price}})


fragments.register("product_card", render_card)
fragments.register("product_badge", render_card)
fragments.register("product_promo", render_card)
fragments.register("product_flash", render_card)

urlpatterns = [
    path("me/", me),
    path("password/", change_password),
    path("intents/", amqp_intent),
    path("cards/<int:product_id>/", card),
    path("", include("cachebus_django.urls")),
]
