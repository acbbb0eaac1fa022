"""
Django 3.2's PyMemcacheCache, configured standalone, doing what the .NET tests ask of it. Run with /usr/bin/python3
(Debian's python3-django and python3-pymemcache):

    django_cache.py CACHE_JSON node   stdin: memcached keys;        stdout: index in LOCATION of the node per key
    django_cache.py CACHE_JSON get    stdin: Django cache keys;     stdout: JSON of cache.get(key) per key
    django_cache.py CACHE_JSON add    stdin: key TAB JSON value;    stdout: JSON of cache.add(key, value) per line

CACHE_JSON is the CACHES entry without BACKEND, for example {"LOCATION": ["127.0.0.1:11211", "127.0.0.1:11212"],
"KEY_PREFIX": "shop", "VERSION": 3}. Keys never hold whitespace, so one per line is unambiguous.
"""
import json
import sys

import django
from django.conf import settings
from pymemcache.client.base import normalize_server_spec


def main(cache_json, mode):
    cache_settings = json.loads(cache_json)
    settings.configure(CACHES={"default": {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                                           **cache_settings}})
    django.setup()
    from django.core.cache import cache

    lines = sys.stdin.buffer.read().decode("utf-8").splitlines()
    for line in lines:
        print(json.dumps(ACTIONS[mode](cache, line)))


def node(cache, key):
    # The client HashClient.get/set use for this key; its server back to the LOCATION entry it was built from.
    server = cache._cache._get_client(key).server
    return [normalize_server_spec(s) for s in cache._servers].index(server)


def get(cache, key):
    return cache.get(key)


def add(cache, line):
    key, value = line.split("\t", 1)
    return cache.add(key, json.loads(value))


ACTIONS = {"node": node, "get": get, "add": add}

if __name__ == "__main__":
    main(*sys.argv[1:])
