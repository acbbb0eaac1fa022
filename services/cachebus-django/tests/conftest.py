"""
A Django 3.2 site whose sessions live in real memcached (the cache session backend), CacheBus running as its own
process with the sessions policy on, and a fresh PostgreSQL database. Servers come from `compose/local/servers.sh
env`; without them every test errors, none is skipped.
"""
import os
import pathlib
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import psycopg2
import pytest
from psycopg2 import sql

from faults import free_port

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


def npgsql_parts(variable):
    """An Npgsql connection string's settings, keys in lower case (Npgsql reads them case-insensitively)."""
    return {k.strip().lower(): v.strip() for k, v in (p.split("=", 1) for p in required(variable).split(";") if p.strip())}


def pg_params(variable, database):
    """psycopg2 arguments from the Npgsql string in `variable` (passwords may hold `&`, `=`: no DSN string)."""
    parts = npgsql_parts(variable)
    return {"host": parts["host"], "port": parts.get("port", "5432"), "dbname": database,
            "user": parts.get("username") or parts["user id"], "password": parts.get("password", "")}


def npgsql_with_database(variable, database):
    keep = [p for p in required(variable).split(";") if p.strip() and p.split("=")[0].strip().lower() not in ("database", "db")]
    return ";".join(keep + [f"Database={database}"])


# The tables CacheBus's rules name (appsettings.json; the sessions policy's table is one of them). The service role
# may neither create the publication nor read a table it was not granted: the admin does both, as a deployment would.
PUBLISHED_TABLES = ("products", "profiles", "orders")
PUBLICATION = "cachebus"  # CacheBus:Replication:PublicationName, passed to the service explicitly


FRAGMENT_TOKEN = "warm-token"


class Site:
    def __init__(self, database, origin_port, metrics_port):
        self.params = pg_params("CACHEBUS_PG_ADMIN", database)
        self.origin = f"http://127.0.0.1:{origin_port}"
        self.metrics = f"http://127.0.0.1:{metrics_port}/metrics"

    def execute(self, sql, *params):
        with psycopg2.connect(**self.params) as conn, conn.cursor() as cursor:  # commits on leaving the block
            cursor.execute(sql, params)
        conn.close()


@pytest.fixture(scope="session")
def site():
    database = f"cachebus_sessions_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(**pg_params("CACHEBUS_PG_ADMIN", "postgres"))
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {database}")
    with psycopg2.connect(**pg_params("CACHEBUS_PG_ADMIN", database)) as conn, conn.cursor() as cursor:
        cursor.execute((ROOT / "compose/demo/schema.sql").read_text())
        cursor.execute("CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL);"
                       "CREATE TABLE product_tags (id bigserial PRIMARY KEY, product_id bigint NOT NULL, tag_id bigint NOT NULL)")
        tables = sql.SQL(", ").join(map(sql.Identifier, PUBLISHED_TABLES))
        service_role = sql.Identifier(pg_params("CACHEBUS_PG", database)["user"])
        cursor.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(tables, service_role))
        cursor.execute(sql.SQL("CREATE PUBLICATION {} FOR TABLE {}").format(sql.Identifier(PUBLICATION), tables))
    conn.close()
    configure_django(database)
    origin = start_origin()
    metrics_port = free_port()
    vhost = add_vhost(database)
    process = start_cachebus(database, origin.server_port, metrics_port, vhost)
    try:
        wait_until(lambda: slot_active(admin, database) or process.poll() is not None, "CacheBus streaming", 60)
        if process.poll() is not None:
            raise RuntimeError(f"CacheBus exited with {process.returncode}:\n{pathlib.Path(process.log_path).read_text()}")
        yield Site(database, origin.server_port, metrics_port)
    finally:
        # Each step runs even when one before it failed, so a broken run leaves no database, slot or vhost behind.
        try:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        finally:
            origin.shutdown()
            rabbitmqctl("delete_vhost", vhost)
            (HERE / f".outbox-{database}.sqlite3").unlink(missing_ok=True)
            from django.db import connections
            connections.close_all()
            wait_until(lambda: not slot_active(admin, database), "the slot released")
            admin.cursor().execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s", [database])
            admin.cursor().execute(f"DROP DATABASE {database} WITH (FORCE)")
            admin.close()
            pathlib.Path(process.log_path).unlink(missing_ok=True)


def slot_active(admin, slot):
    cursor = admin.cursor()
    cursor.execute("SELECT coalesce(bool_or(active), false) FROM pg_replication_slots WHERE slot_name = %s", [slot])
    return cursor.fetchone()[0]


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def start_origin():
    """The Django site over real HTTP on loopback: the origin CacheBus fetches fragments from."""
    from django.core.wsgi import get_wsgi_application
    server = make_server("127.0.0.1", 0, get_wsgi_application(), ThreadingServer, QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def fragment_settings(origin_port):
    """
    Fragments of product cards: kept on failure, deleted on failure, one whose origin is not allowed, and a
    short-lived one that early refresh keeps alive.
    """
    allowed = f"http://127.0.0.1:{origin_port}"
    settings = {"CacheBus__Fragments__Token": FRAGMENT_TOKEN}
    for index, (name, host, on_failure) in enumerate([
            ("product_card", "127.0.0.1", "Keep"), ("product_badge", "127.0.0.1", "Delete"),
            ("product_promo", "127.0.0.2", "Keep"), ("product_flash", "127.0.0.1", "Keep")]):
        rule, policy = f"CacheBus__Rules__Tables__products__Fragments__{index}__", f"CacheBus__Fragments__Policies__{name}__"
        settings.update({
            rule + "Name": name,
            rule + "VaryOn__0": "{id}",
            policy + "OriginUrl": f"http://{host}:{origin_port}/cachebus/fragments/{name}/?vary={{id}}",
            policy + "AllowedOrigins__0": allowed,
            policy + "Ttl": "00:00:03" if name == "product_flash" else "00:05:00",
            policy + "Jitter": "00:00:00.5" if name == "product_flash" else "00:00:30",
            policy + "Retries": "1",
            policy + "OnFailure": on_failure,
        })
    return settings


def add_vhost(name):
    """
    A RabbitMQ virtual host of this run's own. Queues outlive their consumers: on the shared vhost the warmer's and
    sessions' queues would hold every change other runs published since, and this run would work through them first.
    """
    rabbitmqctl("add_vhost", name)
    service_user = urllib.parse.unquote(urllib.parse.urlsplit(required("CACHEBUS_RABBITMQ")).username)
    rabbitmqctl("set_permissions", "-p", name, service_user, ".*", ".*", ".*")
    return name


def rabbitmqctl(*args):
    node = os.environ.get("RABBITMQ_NODENAME", "rabbit@localhost")  # compose/local/servers.sh's node
    subprocess.run(["rabbitmqctl", "-q", "-n", node, *args], check=True, capture_output=True, timeout=60)


def start_cachebus(database, origin_port, metrics_port, vhost):
    if not SERVICE_DLL.exists():
        raise RuntimeError(f"{SERVICE_DLL} is missing: build with `dotnet build CacheBus.sln -c Release`")
    sessions = "CacheBus__Sessions__"
    env = dict(os.environ, **{
        "DOTNET_ENVIRONMENT": "Test",
        "Urls": f"http://127.0.0.1:{metrics_port}",
        "ConnectionStrings__Postgres": npgsql_with_database("CACHEBUS_PG", database),  # the service role
        "ConnectionStrings__RabbitMq": urllib.parse.urlsplit(required("CACHEBUS_RABBITMQ"))._replace(path=f"/{vhost}").geturl(),
        "ConnectionStrings__Redis": required("CACHEBUS_REDIS"),
        "ConnectionStrings__Memcached": required("CACHEBUS_MEMCACHED"),
        "CacheBus__Replication__SlotName": database,
        "CacheBus__Replication__PublicationName": PUBLICATION,
        "CacheBus__Django__Caches__sessions__Version": "1",
        sessions + "Table": "profiles",
        sessions + "SecurityColumns__0": "is_active",
        sessions + "SecurityColumns__1": "password_hash",
        sessions + "SnapshotColumns__0": "display_name",
        sessions + "DjangoCache": "sessions",
        sessions + "SessionTtl": "01:00:00",
        "CacheBus__Django__Caches__default__Version": "1",
        "CacheBus__Rules__Tables__products__DjangoCache": "default",
        **fragment_settings(origin_port),
    })
    # Its output goes to a file: a pipe nobody reads fills up and blocks the process.
    log = open(HERE / f".cachebus-{database}.log", "w")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(["dotnet", str(SERVICE_DLL)], cwd=SERVICE_DLL.parent, env=env,
                               stdout=log, stderr=subprocess.STDOUT, text=True)
    process.log_path = log.name
    return process


def configure_django(database):
    import django
    from django.conf import settings
    from django.core.management import call_command

    params = pg_params("CACHEBUS_PG_ADMIN", database)  # the app's own role: it owns the tables
    settings.configure(
        SECRET_KEY="cachebus-tests",
        ALLOWED_HOSTS=["testserver", "127.0.0.1"],
        ROOT_URLCONF="project.urls",
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "cachebus_django", "project"],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                    "django.contrib.auth.middleware.AuthenticationMiddleware",
                    "cachebus_django.middleware.SessionRegistryMiddleware"],
        DATABASES={"default": {
            "ENGINE": "django.db.backends.postgresql", "NAME": params["dbname"], "HOST": params["host"],
            "PORT": params["port"], "USER": params["user"], "PASSWORD": params["password"]}},
        CACHES={
            "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": required("CACHEBUS_REDIS_URL")},
            "leased": {"BACKEND": "cachebus_django.cache.LeaseRedisCache", "LOCATION": required("CACHEBUS_REDIS_URL"),
                       "KEY_PREFIX": "leases"},
            # Two nodes, as a site with LOCATION = [a, b] has: pymemcache's HashClient picks a node per key.
            "sessions": {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                         "LOCATION": required("CACHEBUS_MEMCACHED").split(",")},
        },
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        SESSION_CACHE_ALIAS="sessions",
        SESSION_COOKIE_AGE=300,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        CACHEBUS={
            "REDIS_URL": required("CACHEBUS_REDIS_URL"),
            "FRAGMENT_TOKEN": FRAGMENT_TOKEN,
            # The run's own vhost (add_vhost names it after the database) and a throwaway outbox.
            "AMQP_URL": urllib.parse.urlsplit(required("CACHEBUS_RABBITMQ"))._replace(path=f"/{database}").geturl(),
            "OUTBOX_PATH": str(HERE / f".outbox-{database}.sqlite3"),
            # Two models whose templates differ: each must fill its own.
            "MODELS": {"project.Product": {"keys": ["signal:product:{id}"], "tags": ["signal:category:{category_id}"]},
                       "project.Tag": {"keys": ["signal:tag:{name}"]}},
        },
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [str(HERE / "project/templates")]}],
        USE_TZ=True,
    )
    django.setup()
    call_command("migrate", verbosity=0)

    # Users of earlier runs had the same ids in the shared Redis and memcached: start this run's ids elsewhere.
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("ALTER SEQUENCE auth_user_id_seq RESTART WITH %s", [uuid.uuid4().int % 2_000_000_000 + 1])
