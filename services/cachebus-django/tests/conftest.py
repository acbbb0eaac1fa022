"""
A Django 3.2 site whose sessions live in real memcached (the cache session backend), CacheBus running as its own
process with the sessions policy on, and a fresh PostgreSQL database. Servers come from `compose/local/servers.sh
env`; without them every test errors, none is skipped.
"""
import os
import pathlib
import subprocess
import sys
import time
import uuid

import psycopg2
import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE.parent / "src"))
SERVICE_DLL = pathlib.Path(os.environ.get(
    "CACHEBUS_SERVICE_DLL", ROOT / "services/CacheBus.Service/bin/Release/net10.0/CacheBus.Service.dll"))


def required(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run `eval \"$(compose/local/servers.sh env)\"` or compose/local/test.sh")
    return value


def wait_until(condition, what, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for: {what}")
        time.sleep(0.05)


def dsn(database):
    parts = dict(p.split("=", 1) for p in required("CACHEBUS_PG").split(";") if p)
    return (f"host={parts['Host']} port={parts['Port']} user={parts['Username']} "
            f"password={parts.get('Password', '')} dbname={database}")


class Site:
    def __init__(self, database):
        self.dsn = dsn(database)

    def execute(self, sql, *params):
        with psycopg2.connect(self.dsn) as conn, conn.cursor() as cursor:  # commits on leaving the block
            cursor.execute(sql, params)
        conn.close()


@pytest.fixture(scope="session")
def site():
    database = f"cachebus_sessions_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(dsn("postgres"))
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {database}")
    with psycopg2.connect(dsn(database)) as conn, conn.cursor() as cursor:
        cursor.execute((ROOT / "compose/demo/schema.sql").read_text())
    conn.close()
    configure_django(database)
    process = start_cachebus(database)
    try:
        wait_until(lambda: slot_active(admin, database) or process.poll() is not None, "CacheBus streaming", 60)
        if process.poll() is not None:
            raise RuntimeError(f"CacheBus exited with {process.returncode}:\n{process.stdout.read()}")
        yield Site(database)
    finally:
        process.terminate()
        process.wait(timeout=30)
        from django.db import connections
        connections.close_all()
        wait_until(lambda: not slot_active(admin, database), "the slot released")
        admin.cursor().execute("SELECT pg_drop_replication_slot(%s)", [database])
        admin.cursor().execute(f"DROP DATABASE {database} WITH (FORCE)")
        admin.close()


def slot_active(admin, slot):
    cursor = admin.cursor()
    cursor.execute("SELECT coalesce(bool_or(active), false) FROM pg_replication_slots WHERE slot_name = %s", [slot])
    return cursor.fetchone()[0]


def start_cachebus(database):
    if not SERVICE_DLL.exists():
        raise RuntimeError(f"{SERVICE_DLL} is missing: build with `dotnet build CacheBus.sln -c Release`")
    sessions = "CacheBus__Sessions__"
    env = dict(os.environ, **{
        "DOTNET_ENVIRONMENT": "Test",
        "Urls": "http://127.0.0.1:0",
        "ConnectionStrings__Postgres": required("CACHEBUS_PG").replace("Database=postgres", f"Database={database}"),
        "ConnectionStrings__RabbitMq": required("CACHEBUS_RABBITMQ"),
        "ConnectionStrings__Redis": required("CACHEBUS_REDIS"),
        "ConnectionStrings__Memcached": required("CACHEBUS_MEMCACHED"),
        "CacheBus__Replication__SlotName": database,
        "CacheBus__Django__Caches__sessions__Version": "1",
        sessions + "Table": "profiles",
        sessions + "SecurityColumns__0": "is_active",
        sessions + "SecurityColumns__1": "password_hash",
        sessions + "SnapshotColumns__0": "display_name",
        sessions + "DjangoCache": "sessions",
        sessions + "SessionTtl": "01:00:00",
    })
    return subprocess.Popen(["dotnet", str(SERVICE_DLL)], cwd=SERVICE_DLL.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def configure_django(database):
    import django
    from django.conf import settings
    from django.core.management import call_command

    params = dict(p.split("=", 1) for p in dsn(database).split(" "))
    settings.configure(
        SECRET_KEY="cachebus-tests",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF="project.urls",
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "cachebus_django"],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                    "django.contrib.auth.middleware.AuthenticationMiddleware"],
        DATABASES={"default": {
            "ENGINE": "django.db.backends.postgresql", "NAME": params["dbname"], "HOST": params["host"],
            "PORT": params["port"], "USER": params["user"], "PASSWORD": params["password"]}},
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "sessions": {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                         "LOCATION": required("CACHEBUS_MEMCACHED")},
        },
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        SESSION_CACHE_ALIAS="sessions",
        SESSION_COOKIE_AGE=300,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        CACHEBUS={"REDIS_URL": f"redis://{required('CACHEBUS_REDIS')}/0"},
        USE_TZ=True,
    )
    django.setup()
    call_command("migrate", verbosity=0)
