"""
The origin CacheBus fetches fresh template fragments from. The app registers, per fragment name, a function that
renders exactly what its {% cache %} block renders; CacheBus calls the view with the vary_on values and stores the
result under Django's fragment key. Only a request carrying the shared token is answered.
"""
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.utils.crypto import constant_time_compare

from cachebus_django.settings import cachebus_setting

_renderers = {}


def register(name, renderer):
    """
    renderer(request, *vary_on) returns the fragment's HTML, as the {% cache name ... %} block renders it, or a
    response of its own (a 404 when the object is gone): CacheBus stores only a 200 text/html answer.
    """
    _renderers[name] = renderer


def fragment_view(request, name):
    token = cachebus_setting("FRAGMENT_TOKEN")
    if not token or not constant_time_compare(request.headers.get("X-CacheBus-Token", ""), token):
        return HttpResponseForbidden("a CacheBus token is required")
    if name not in _renderers:
        raise Http404(f"no fragment named {name}")
    result = _renderers[name](request, *request.GET.getlist("vary"))
    return result if isinstance(result, HttpResponse) else HttpResponse(result, content_type="text/html; charset=utf-8")
