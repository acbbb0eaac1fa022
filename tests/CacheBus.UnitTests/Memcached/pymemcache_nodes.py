"""
Writes pymemcache_nodes.tsv: which node Django 3.2's PyMemcacheCache (pymemcache's HashClient, rendezvous hashing
with murmur3) picks for each of 2,000 keys over two and three nodes, pymemcache's murmur3 of some texts, the node
names it hashes, and two keys whose scores tie. Everything comes from Debian's python3-django and python3-pymemcache;
the unit tests compare CacheBus with this file and an integration test checks the file against a fresh run:

    /usr/bin/python3 tests/CacheBus.UnitTests/Memcached/pymemcache_nodes.py > tests/CacheBus.UnitTests/Memcached/pymemcache_nodes.tsv

Rows (tab-separated; memcached keys hold no whitespace):
    servers  <LOCATION entries of set 0, comma-joined>  <of set 1>  ...
    node     <LOCATION entry>  <the node name HashClient hashes>
    murmur3  <text>  <pymemcache.client.murmur3.murmur3_32(text)>
    key      <key>  <index of the node picked in set 0>  <in set 1>  ...
    tie      <LOCATION entries, comma-joined>  <key>  <index of the node picked>
"""
import random
import sys

import django
from django.conf import settings
from django.core.cache.backends.memcached import PyMemcacheCache
from pymemcache.client.base import normalize_server_spec
from pymemcache.client.murmur3 import murmur3_32

SETS = [
    ["127.0.0.1:11211", "127.0.0.1:11212"],
    ["cache-a.internal:11211", "10.0.0.7:11211", "[::1]:11213"],
]
KEYS = 2000
# Beyond Latin-1 pymemcache keeps only the low byte of each code point, and counts code points, not UTF-8 bytes.
NON_ASCII = "éüßÿĀ€Ω中文あ한😀𝄞"
ASCII = "".join(chr(c) for c in range(33, 127))


def django_client(location):
    # Django builds the client exactly so: PyMemcacheCache(LOCATION, params)._cache is pymemcache's HashClient.
    return PyMemcacheCache(location, {})._cache


def picked(client, location, key):
    server = client._get_client(key).server
    return [normalize_server_spec(s) for s in location].index(server)


def keys(rng):
    for i in range(KEYS):
        kind = i % 4
        if kind == 0:
            yield f":1:cachebus.profile.{rng.randrange(10**9)}"
        elif kind == 1:
            yield "shop:3:django.contrib.sessions.cache" + "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=32))
        elif kind == 2:
            yield "".join(rng.choices(ASCII, k=rng.randint(1, 250)))
        else:
            key = ""
            for _ in range(rng.randint(1, 60)):
                key += rng.choice(NON_ASCII) if rng.random() < 0.5 else rng.choice(ASCII)
            yield key


def tie(key):
    # Birthday search over node names for two whose scores for `key` are equal (about 2^16 names are needed).
    seen = {}
    for i in range(1 << 20):
        server = f"node{i}.cache:11211"
        score = murmur3_32(f"{server}-{key}")
        if score in seen:
            return seen[score], server
        seen[score] = server
    raise RuntimeError("no tie found")


def main(out):
    settings.configure()
    django.setup()
    rng = random.Random(14)
    out.write("# Written by pymemcache_nodes.py from Debian's python3-django and python3-pymemcache; do not edit.\n")
    out.write("servers\t" + "\t".join(",".join(s) for s in SETS) + "\n")
    for server in sorted({s for location in SETS for s in location}):
        out.write(f"node\t{server}\t{django_client([server]).hasher.nodes[0]}\n")
    for length in range(0, 13):
        for text in ("".join(rng.choices(ASCII, k=length)), "".join(rng.choices(NON_ASCII + ASCII, k=length))):
            out.write(f"murmur3\t{text}\t{murmur3_32(text)}\n")
    clients = [django_client(location) for location in SETS]
    for key in keys(rng):
        if len(key.encode()) <= 250:
            out.write("key\t" + key + "".join(f"\t{picked(c, s, key)}" for c, s in zip(clients, SETS)) + "\n")
    first, second = tie("tie")
    for location in ([first, second], [second, first]):
        out.write(f"tie\t{','.join(location)}\ttie\t{picked(django_client(location), location, 'tie')}\n")


if __name__ == "__main__":
    main(sys.stdout)
