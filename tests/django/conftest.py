"""
Real servers, a fresh database, CacheBus running as its own process, and Django configured like the shop it serves:
django-redis with KEY_PREFIX 'shop' and VERSION 2, i18n and time zones on (a new project's defaults). The servers'
addresses come from `compose/local/servers.sh env`; without them every test errors, none is skipped.
"""
import os
import pathlib
import subprocess
import time
import uuid

import psycopg2
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVICE_DLL = pathlib.Path(os.environ.get(
    "CACHEBUS_SERVICE_DLL", ROOT / "services/CacheBus.Service/bin/Release/net10.0/CacheBus.Service.dll"))


def required(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run `eval \"$(compose/local/servers.sh env)\"` or compose/local/test.sh")
    return value


def npgsql_to_dsn(connection_string, database):
    parts = dict(p.split("=", 1) for p in connection_string.split(";") if p)
    return (f"host={parts['Host']} port={parts.get('Port', 5432)} user={parts['Username']} "
            f"password={parts.get('Password', '')} dbname={database}")


def wait_until(condition, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for: {what}")
        time.sleep(0.05)


class Shop:
    """The test's handle on the running system: SQL on the real database, the CacheBus process."""

    def __init__(self, dsn, process):
        self.dsn = dsn
        self.process = process

    def execute(self, sql, *params):
        with psycopg2.connect(self.dsn) as conn, conn.cursor() as cursor:  # commits on leaving the block
            cursor.execute(sql, params)
        conn.close()

    def new_product(self, category):
        """Inserts a product and waits until CacheBus applied the insert, so its eviction cannot land mid-test."""
        from django.core.cache import cache
        product_id = uuid.uuid4().int % 10**12
        cache.set(f"product:{product_id}", "probe")
        self.execute("INSERT INTO products (id, category_id, name, price) VALUES (%s, %s, 'Lamp', 19.90)",
                     product_id, category)
        wait_until(lambda: cache.get(f"product:{product_id}") is None, "the insert applied")
        return product_id


@pytest.fixture(scope="session")
def shop():
    pg = required("CACHEBUS_PG")
    database = f"cachebus_django_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(npgsql_to_dsn(pg, "postgres"))
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {database}")
    dsn = npgsql_to_dsn(pg, database)
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute((ROOT / "compose/demo/schema.sql").read_text())
    conn.close()

    configure_django(dsn)
    process = start_cachebus(pg, database)
    try:
        wait_until(lambda: slot_active(admin, database) or process.poll() is not None, "CacheBus streaming", 60)
        if process.poll() is not None:
            raise RuntimeError(f"CacheBus exited with {process.returncode}:\n{process.stdout.read()}")
        yield Shop(dsn, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
        wait_until(lambda: drop_slot(admin, database), "the slot dropped")
        from django.db import connections
        connections.close_all()
        admin.cursor().execute(f"DROP DATABASE {database} WITH (FORCE)")
        admin.close()


def slot_active(admin, slot):
    cursor = admin.cursor()
    cursor.execute("SELECT coalesce(bool_or(active), false) FROM pg_replication_slots WHERE slot_name = %s", [slot])
    return cursor.fetchone()[0]


def drop_slot(admin, slot):
    cursor = admin.cursor()
    cursor.execute("SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s AND active", [slot])
    if cursor.fetchone()[0]:
        return False
    cursor.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s", [slot])
    return True


def start_cachebus(pg, database):
    if not SERVICE_DLL.exists():
        raise RuntimeError(f"{SERVICE_DLL} is missing: build with `dotnet build CacheBus.sln -c Release`")
    products = "CacheBus__Rules__Tables__products__"
    env = dict(os.environ, **{
        "DOTNET_ENVIRONMENT": "Test",
        "Urls": "http://127.0.0.1:0",
        "ConnectionStrings__Postgres": pg.replace("Database=postgres", f"Database={database}"),
        "ConnectionStrings__RabbitMq": required("CACHEBUS_RABBITMQ"),
        "ConnectionStrings__Redis": required("CACHEBUS_REDIS"),
        "CacheBus__Replication__SlotName": database,
        # A second eviction would land at a moment no test controls; the .NET suite tests it on its own.
        "CacheBus__Redis__SecondEvictionDelay": "00:00:00",
        "CacheBus__Django__Caches__default__KeyPrefix": "shop",
        "CacheBus__Django__Caches__default__Version": "2",
        products + "DjangoCache": "default",
        products + "Keys__0": "product:{id}",
        products + "Keys__1": "product-list:category:{category_id}",
        products + "Pages__0": "https://shop.example.com/products/{id}/",
        products + "Fragments__0__Name": "product_card",
        products + "Fragments__0__VaryOn__0": "{id}",
        products + "Tags__0": "category:{category_id}",
        products + "Namespaces__0": "product-list:{category_id}",
    })
    return subprocess.Popen(["dotnet", str(SERVICE_DLL)], cwd=SERVICE_DLL.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def configure_django(dsn):
    import django
    from django.conf import settings

    params = dict(p.split("=", 1) for p in dsn.split(" "))
    settings.configure(
        DEBUG=False,
        SECRET_KEY="cachebus-tests",
        ALLOWED_HOSTS=["shop.example.com"],
        ROOT_URLCONF="shop.urls",
        INSTALLED_APPS=["django.contrib.contenttypes", "shop"],
        DATABASES={"default": {
            "ENGINE": "django.db.backends.postgresql", "NAME": params["dbname"], "HOST": params["host"],
            "PORT": params["port"], "USER": params["user"], "PASSWORD": params["password"]}},
        CACHES={"default": {
            "BACKEND": "django_redis.cache.RedisCache", "LOCATION": f"redis://{required('CACHEBUS_REDIS')}/0",
            "KEY_PREFIX": "shop", "VERSION": 2}},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
        USE_I18N=True, LANGUAGE_CODE="en-us", USE_TZ=True, TIME_ZONE="UTC",
    )
    django.setup()
