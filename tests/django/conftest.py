"""
Real servers, a fresh database, CacheBus running as its own process (the Release build), and Django configured like
the shop CacheBus's rules describe: cachebus_django's LeaseRedisCache (django-redis with leases) with KEY_PREFIX
'shop' and VERSION 2, i18n and time zones on (a new project's defaults); alias "plain" is django-redis's own backend
on the same keys, the shop without leases. The servers' addresses come from `compose/local/servers.sh env`; without them every test
errors, none is skipped.
"""
import contextlib
import os
import pathlib
import shutil
import subprocess
import sys
import time
import urllib.parse
import uuid

import psycopg2
import pytest
from psycopg2 import sql

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services/cachebus-django/src"))
SERVICE_DLL = pathlib.Path(os.environ.get(
    "CACHEBUS_SERVICE_DLL", ROOT / "services/CacheBus.Service/bin/Release/net10.0/CacheBus.Service.dll")).resolve()

# CacheBus's rules for the products table, as environment variables (`:` becomes `__`).
RULES = {
    "CacheBus__Django__Caches__default__KeyPrefix": "shop",
    "CacheBus__Django__Caches__default__Version": "2",
    "CacheBus__Rules__Tables__products__DjangoCache": "default",
    "CacheBus__Rules__Tables__products__Keys__0": "product:{id}",
    "CacheBus__Rules__Tables__products__Keys__1": "product-list:category:{category_id}",
    "CacheBus__Rules__Tables__products__Pages__0": "https://shop.example.com/products/{id}/",
    "CacheBus__Rules__Tables__products__Fragments__0__Name": "product_card",
    "CacheBus__Rules__Tables__products__Fragments__0__VaryOn__0": "{id}",
    "CacheBus__Rules__Tables__products__Tags__0": "category:{category_id}",
    "CacheBus__Rules__Tables__products__Namespaces__0": "product-list:{category_id}",
}


def required(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run `eval \"$(compose/local/servers.sh env)\"` first")
    return value


def npgsql_to_psycopg(connection_string):
    """psycopg2 arguments from an Npgsql connection string (keys are case-insensitive and have aliases)."""
    aliases = {"server": "host", "username": "user", "user id": "user", "userid": "user", "pwd": "password",
               "database": "dbname", "db": "dbname"}
    parts = (p.split("=", 1) for p in connection_string.split(";") if p.strip())
    params = {aliases.get(k.strip().lower(), k.strip().lower()): v.strip() for k, v in parts}
    return {k: params[k] for k in ("host", "port", "user", "password", "dbname") if k in params}


# The tables CacheBus's rules name (RULES above and appsettings.json). The service role may neither create the
# publication nor read a table it was not granted: the admin does both, as a deployment would.
PUBLISHED_TABLES = ("products", "profiles", "orders")
PUBLICATION = "cachebus"  # CacheBus:Replication:PublicationName, passed to the service explicitly
# CacheBus:Horizon:Key and CACHEBUS["HORIZON_KEY"]: this run's own, so no other CacheBus on this Redis moves it.
HORIZON_KEY = f"cachebus:horizon:{uuid.uuid4().hex[:12]}"


def npgsql_with_database(connection_string, database):
    keep = [p for p in connection_string.split(";")
            if p.strip() and p.split("=")[0].strip().lower() not in ("database", "db")]
    return ";".join(keep + [f"Database={database}"])


def wait_until(condition, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for: {what}")
        time.sleep(0.05)


class Shop:
    """The test's handle on the running system: SQL on the real database, the CacheBus process."""

    def __init__(self, sql, start, log):
        self.sql, self._start, self.log = sql, start, log
        self.process = start()

    def kill(self):
        """SIGKILL, as a crash or an OOM kill: nothing is flushed, the slot replays what was not confirmed."""
        self.process.kill()
        self.process.wait()

    def start(self):
        self.process = self._start()

    def execute(self, statement, *params):
        """One committed transaction (autocommit), written past Django: only CacheBus can notice it."""
        self.sql.cursor().execute(statement, params)

    def wait(self, condition, what, timeout=15.0):
        """wait_until, failing at once with CacheBus's output when the process is gone."""
        def check():
            if self.process.poll() is not None:
                raise AssertionError(f"CacheBus exited with {self.process.returncode} while waiting for: {what}\n"
                                     f"{self.log.read_text()}")
            return condition()
        wait_until(check, f"{what} (CacheBus's log: {self.log})", timeout)

    def new_product(self, category):
        """Inserts a product and waits until CacheBus applied the insert, so its evictions cannot land mid-test."""
        from django.core.cache import caches
        cache = caches["plain"]  # the leased backend's polling get would take a lease and keep it
        product_id = uuid.uuid4().int % 10**12
        cache.set(f"product:{product_id}", "probe")
        self.execute("INSERT INTO products (id, category_id, name, price) VALUES (%s, %s, 'Lamp', 19.90)",
                     product_id, category)
        self.wait(lambda: cache.get(f"product:{product_id}") is None, "the insert applied")
        return product_id


@pytest.fixture(scope="session")
def database():
    with fresh_database() as name:
        yield name


@contextlib.contextmanager
def fresh_database():
    """
    A fresh database with the demo schema, created by the admin role, published and readable by the service role;
    its name is also the slot's (lower case, unique).
    """
    server = required("CACHEBUS_PG_ADMIN")
    name = f"cachebus_django_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(**dict(npgsql_to_psycopg(server), dbname="postgres"))
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    try:
        with psycopg2.connect(**dict(npgsql_to_psycopg(server), dbname=name)) as conn, conn.cursor() as cursor:
            cursor.execute((ROOT / "compose/demo/schema.sql").read_text())
            tables = sql.SQL(", ").join(map(sql.Identifier, PUBLISHED_TABLES))
            service_role = sql.Identifier(npgsql_to_psycopg(required("CACHEBUS_PG"))["user"])
            cursor.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(tables, service_role))
            cursor.execute(sql.SQL("CREATE PUBLICATION {} FOR TABLE {}").format(sql.Identifier(PUBLICATION), tables))
        conn.close()
        yield name
    finally:
        # A stopped service's WAL sender lingers for a moment; an active slot cannot be dropped.
        wait_until(lambda: drop_slot(admin, name), f"slot {name} inactive, to drop it")
        admin.cursor().execute(f"DROP DATABASE {name} WITH (FORCE)")
        admin.close()


@pytest.fixture(scope="session")
def rabbitmq():
    with own_vhost() as uri:
        yield uri


@contextlib.contextmanager
def own_vhost():
    """
    A virtual host of our own. Every CacheBus consumes from one fixed queue, cachebus-redis-eviction: on a shared
    vhost another CacheBus (the .NET tests, run.sh) takes our messages and applies its own rules to them.
    """
    uri = urllib.parse.urlsplit(required("CACHEBUS_RABBITMQ"))
    if not shutil.which("rabbitmqctl"):  # a broker we cannot administer (Docker): share its vhost
        yield uri.geturl()
        return
    vhost = f"cachebus_django_{uuid.uuid4().hex[:12]}"
    rabbitmqctl("add_vhost", vhost)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, urllib.parse.unquote(uri.username), ".*", ".*", ".*")
        yield uri._replace(path=f"/{vhost}").geturl()
    finally:
        rabbitmqctl("delete_vhost", vhost)


def rabbitmqctl(*args):
    node = os.environ.get("RABBITMQ_NODENAME", "rabbit@localhost")  # servers.sh's node
    subprocess.run(["rabbitmqctl", "-q", "-n", node, *args], check=True, capture_output=True, timeout=60)


@pytest.fixture()
def redis(shop):
    """The cache's own Redis connection, to see keys as they are."""
    from django_redis import get_redis_connection
    return get_redis_connection("default")


@pytest.fixture()
def client(shop):
    from django.test import Client
    return Client(HTTP_HOST="shop.example.com")


@pytest.fixture(scope="session")
def shop(database, rabbitmq, tmp_path_factory):
    with running_shop(database, rabbitmq, tmp_path_factory.mktemp("cachebus") / "cachebus.log") as shop:
        yield shop  # pytest keeps the last three runs' logs


@contextlib.contextmanager
def running_shop(database, rabbitmq, log):
    # Django and the test's SQL are the app (the admin role, which owns the tables); CacheBus is the service role.
    app = dict(npgsql_to_psycopg(required("CACHEBUS_PG_ADMIN")), dbname=database)
    if not SERVICE_DLL.exists():
        raise RuntimeError(f"{SERVICE_DLL} is missing: build it with `dotnet build CacheBus.sln -c Release`")
    configure_django(app, required("CACHEBUS_REDIS_URL"))
    connection = psycopg2.connect(**app)
    connection.autocommit = True
    postgres = npgsql_with_database(required("CACHEBUS_PG"), database)
    shop = Shop(connection, lambda: start_cachebus(postgres, rabbitmq, required("CACHEBUS_REDIS"), database, log), log)
    shop.app = app  # psycopg2's arguments, for a connection of one's own
    try:
        shop.wait(lambda: slot_active(connection, database), "CacheBus streaming from its slot", timeout=60)
        yield shop
    finally:
        stop(shop.process)
        connection.close()
        close_django_connections()


def start_cachebus(postgres, rabbitmq, redis, slot, log):
    env = dict(os.environ, **RULES, **{
        "DOTNET_ENVIRONMENT": "Test",
        "Urls": "http://127.0.0.1:0",  # the default port 8080 may belong to another CacheBus
        "ConnectionStrings__Postgres": postgres,
        "ConnectionStrings__RabbitMq": rabbitmq,
        "ConnectionStrings__Redis": redis,
        "CacheBus__Replication__SlotName": slot,
        "CacheBus__Replication__PublicationName": PUBLICATION,
        "CacheBus__Horizon__Key": HORIZON_KEY,
        # The second eviction would delete, 2 s after a product's INSERT, keys a test set afterwards: a broken rule
        # would then still look green. The .NET suite tests the second eviction on its own.
        "CacheBus__Redis__SecondEvictionDelay": "00:00:00",
    })
    with log.open("a") as out:  # a file, not a pipe nobody reads: a full pipe would block the service's logging
        return subprocess.Popen(["dotnet", str(SERVICE_DLL)], cwd=SERVICE_DLL.parent, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def slot_active(conn, slot):
    cursor = conn.cursor()
    cursor.execute("SELECT coalesce(bool_or(active), false) FROM pg_replication_slots WHERE slot_name = %s", [slot])
    return cursor.fetchone()[0]


def drop_slot(admin, slot):
    """True once the slot is gone (dropped now or never created)."""
    cursor = admin.cursor()
    cursor.execute("SELECT count(pg_drop_replication_slot(slot_name)) FILTER (WHERE NOT active), count(*) "
                   "FROM pg_replication_slots WHERE slot_name = %s", [slot])
    dropped, existing = cursor.fetchone()
    return dropped == existing


def configure_django(db, redis_url):
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="cachebus-tests",
        ALLOWED_HOSTS=["shop.example.com"],
        ROOT_URLCONF="shop.urls",
        INSTALLED_APPS=["shop"],
        DATABASES={"default": {
            "ENGINE": "django.db.backends.postgresql", "NAME": db["dbname"], "HOST": db["host"],
            "PORT": db.get("port", "5432"), "USER": db["user"], "PASSWORD": db.get("password", "")}},
        CACHES={
            "default": {
                "BACKEND": "cachebus_django.cache.LeaseRedisCache",
                "LOCATION": redis_url,  # CACHEBUS_REDIS_URL: redis-py's form of the same server, with its password
                "KEY_PREFIX": "shop", "VERSION": 2},
            "plain": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url,
                      "KEY_PREFIX": "shop", "VERSION": 2}},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
        USE_I18N=True, LANGUAGE_CODE="en-us", USE_TZ=True, TIME_ZONE="UTC",
        CACHEBUS={"HORIZON_KEY": HORIZON_KEY},
    )
    django.setup()


def close_django_connections():
    from django.conf import settings
    if settings.configured:
        from django.db import connections
        connections.close_all()
