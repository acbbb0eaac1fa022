from django.urls import path

from cachebus_django.fragments import fragment_view

urlpatterns = [path("cachebus/fragments/<str:name>/", fragment_view)]
