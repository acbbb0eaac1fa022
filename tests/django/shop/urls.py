from django.urls import path

from shop import views

urlpatterns = [
    path("products/<int:product_id>/", views.product_page),
    path("cards/<int:product_id>/", views.product_card),
]
