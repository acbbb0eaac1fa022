from django.http import HttpResponse
from django.urls import path

from cachebus_django import profile_snapshot


def me(request):
    if not request.user.is_authenticated:
        return HttpResponse("anonymous")
    return HttpResponse("Hello " + profile_snapshot(request.user.id)["display_name"])


urlpatterns = [path("me/", me)]
