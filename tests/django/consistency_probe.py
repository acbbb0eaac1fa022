"""
The consistency probe: readers through Django's cache (`get_or_set`, as a shop caches a product), a writer
committing by SQL past Django, and every read judged against the commits. A read is stale beyond the bound when a
newer version of its row had committed more than BOUND seconds before the read began (the writer notes when each
COMMIT returned, so a version is never judged older than it is). Run on the real servers, CacheBus as its own
process:

    eval "$(compose/local/servers.sh env)"
    /usr/bin/python3 tests/django/consistency_probe.py --reads 1000000             # steady, then with faults
    /usr/bin/python3 tests/django/consistency_probe.py --reads 200000 --control    # django-redis alone, for contrast

The fault run SIGKILLs the CacheBus process several times (restarting it after a second) and restarts RabbitMQ's
application once while readers and the writer go on. tests/django/test_consistency_probe.py runs a short form in CI.
"""
import argparse
import bisect
import dataclasses
import random
import sys
import threading
import time

BOUND = 0.1  # seconds: CACHEBUS["MAX_STALENESS"] of the backend under test
HOT_ROWS = 100


@dataclasses.dataclass
class Result:
    name: str
    reads: int = 0
    writes: int = 0
    stale: int = 0
    worst: float = 0.0  # seconds by which the stalest read passed the bound
    bypassed: int = 0
    db_reads: int = 0
    faults: str = ""
    examples: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def row(self):
        consistency = 1 - self.stale / self.reads if self.reads else 0
        return (f"{self.name:<9} {self.reads:>9} {self.writes:>7} {self.stale:>6} {consistency:>13.9f} "
                f"{self.bypassed:>9} {self.db_reads:>9} {self.seconds:>6.1f}  {self.faults}")


HEADER = (f"{'run':<9} {'reads':>9} {'writes':>7} {'stale':>6} {'consistency':>13} {'bypassed':>9} {'db reads':>9} "
          f"{'s':>6}  faults")


class Versions:
    """Per row: the versions committed (the price column holds a global counter) and when each COMMIT returned."""

    def __init__(self, ids):
        self.numbers = {i: [0] for i in ids}
        self.done = {i: [0.0] for i in ids}

    def add(self, row, number, done):
        self.done[row].append(done)  # appended before the number: a reader that finds the number finds its time
        self.numbers[row].append(number)

    def stale_by(self, row, seen, began):
        """Seconds past the bound by which `seen` was superseded when the read began (0: within the bound)."""
        numbers = self.numbers[row]
        newer = bisect.bisect_right(numbers, seen)
        if newer >= len(numbers):
            return 0.0
        return max(0.0, began - BOUND - self.done[row][newer])


def run(shop, new_cache, reads, readers=4, writes_per_second=250, faults=False, name="steady"):
    """Plays one run against `shop` (tests/django's Shop: SQL and the CacheBus process); returns its Result."""
    import psycopg2
    from cachebus_django import cache as backend
    base = random.randrange(10**11, 10**12 - HOT_ROWS)
    ids = list(range(base, base + HOT_ROWS))
    shop.execute("INSERT INTO products (id, category_id, name, price) SELECT g, 1, 'Probe', 0 "
                 "FROM generate_series(%s::bigint, %s::bigint) g", ids[0], ids[-1])
    versions, result = Versions(ids), Result(name)
    stop, counted, lock = threading.Event(), [0], threading.Lock()
    bypassed_before = backend.counts["bypassed"]
    errors = []

    def writer():
        conn = psycopg2.connect(**shop.app)
        conn.autocommit = True
        number, cursor, pace = 0, conn.cursor(), 1 / writes_per_second
        while not stop.is_set():
            row, number = random.choice(ids), number + 1
            cursor.execute("UPDATE products SET price = %s WHERE id = %s", (number, row))
            versions.add(row, number, time.monotonic())
            result.writes += 1
            time.sleep(pace)
        conn.close()

    def reader():
        try:
            cache = new_cache()
            conn = psycopg2.connect(**shop.app)
            conn.autocommit = True
            cursor = conn.cursor()
            stale, worst, db_reads = 0, 0.0, [0]

            def from_database(row):
                db_reads[0] += 1
                cursor.execute("SELECT price FROM products WHERE id = %s", (row,))
                return int(cursor.fetchone()[0])

            while True:
                with lock:
                    if counted[0] >= reads and not stop.is_set() and not faulting.is_alive():
                        stop.set()
                    if stop.is_set():
                        break
                    counted[0] += 1
                row = random.choice(ids)
                began = time.monotonic()
                seen = cache.get_or_set(f"product:{row}", lambda: from_database(row), timeout=300)
                late = versions.stale_by(row, int(seen), began)
                if late > 0:
                    stale, worst = stale + 1, max(worst, late)
                    if len(result.examples) < 5:
                        numbers = versions.numbers[row]
                        newer = bisect.bisect_right(numbers, int(seen))
                        result.examples.append(f"row {row} seen {seen} newer {numbers[newer:newer + 3]} done "
                                               f"{[round(began - d, 3) for d in versions.done[row][newer:newer + 3]]} s before the read")
            with lock:
                result.stale += stale
                result.worst = max(result.worst, worst)
                result.db_reads += db_reads[0]
            conn.close()
        except BaseException as error:  # a reader that died must fail the run, not shorten it
            errors.append(error)
            stop.set()

    def inject():
        if not faults:
            return
        done = []
        for _ in range(3):
            time.sleep(2)
            shop.kill()
            time.sleep(1)
            shop.start()
            done.append("SIGKILL")
        time.sleep(2)
        from conftest import rabbitmqctl
        rabbitmqctl("stop_app")
        time.sleep(1)
        rabbitmqctl("start_app")
        restarted = time.monotonic()
        shop.wait(_fresh, "CacheBus back after the broker's restart", 120)
        done.append(f"RabbitMQ restart (horizon fresh again {time.monotonic() - restarted:.1f} s after)")
        result.faults = ", ".join(done)

    faulting = threading.Thread(target=inject)
    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(readers)]
    started = time.monotonic()
    faulting.start()
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join()
    stop.set()
    threads[0].join()
    faulting.join()
    if errors:
        raise errors[0]
    result.reads, result.seconds = counted[0], time.monotonic() - started
    result.bypassed = backend.counts["bypassed"] - bypassed_before
    shop.execute("DELETE FROM products WHERE id BETWEEN %s AND %s", ids[0], ids[-1])
    return result


def bounded_cache():
    """The backend as a shop configures it: LeaseRedisCache with MAX_STALENESS = BOUND."""
    from django.conf import settings
    from django.test import override_settings
    from cachebus_django.cache import LeaseRedisCache
    options = settings.CACHES["default"]
    with override_settings(CACHEBUS=dict(settings.CACHEBUS, MAX_STALENESS=BOUND)):
        return LeaseRedisCache(options["LOCATION"], options)


def plain_cache():
    """django-redis's own backend: no leases, no horizon (the control)."""
    from django.conf import settings
    from django_redis.cache import RedisCache
    options = settings.CACHES["plain"]
    return RedisCache(options["LOCATION"], options)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=1_000_000, help="reads per run")
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--writes", type=int, default=250, help="updates per second")
    parser.add_argument("--no-faults", action="store_true", help="the steady run only")
    parser.add_argument("--control", action="store_true", help="also run django-redis alone (stale reads expected)")
    args = parser.parse_args()

    import pathlib
    import tempfile
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    import conftest
    log = pathlib.Path(tempfile.mkdtemp(prefix="cachebus-probe-")) / "cachebus.log"
    with conftest.fresh_database() as database, conftest.own_vhost() as vhost, \
            conftest.running_shop(database, vhost, log) as shop:
        shop.wait(_fresh, "a fresh horizon", 60)
        print(f"bound {BOUND} s, {HOT_ROWS} rows, {args.readers} readers, {args.writes} updates/s; CacheBus log {log}")
        print(HEADER, flush=True)
        results = []
        runs = [("steady", bounded_cache, False)] + ([] if args.no_faults else [("faults", bounded_cache, True)])
        if args.control:
            runs += [("control", plain_cache, False)]
        for name, factory, faults in runs:
            results.append(run(shop, factory, args.reads, args.readers, args.writes, faults, name))
            print(results[-1].row(), flush=True)
            if results[-1].stale:
                print(f"{'':<9} stalest read: {results[-1].worst * 1000:.1f} ms past the bound", flush=True)
                for example in results[-1].examples:
                    print(f"{'':<9} {example}", flush=True)
    return 1 if any(r.stale for r in results if r.name != "control") else 0


def _fresh():
    from cachebus_django import cache as backend
    before = backend.counts["bypassed"]
    bounded_cache().get("probe:horizon")
    return backend.counts["bypassed"] == before


if __name__ == "__main__":
    sys.exit(main())
