"""Checks the CACHEBUS setting and every connection it needs, and says what is wrong."""
from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from cachebus_django.settings import cachebus_setting


class Command(BaseCommand):
    help = "Check the CACHEBUS setting and the connections CacheBus's Django side needs."

    def handle(self, *args, **options):
        problems = []
        for name, check in [("TRANSPORT", self.transport), ("MODELS", self.models), ("MIDDLEWARE", self.middleware),
                            ("database", self.database), ("REDIS_URL", self.redis), ("AMQP_URL", self.amqp)]:
            try:
                detail = check()
                self.stdout.write(f"ok    {name}{': ' + detail if detail else ''}")
            except Exception as error:  # noqa: BLE001 - every failure is reported, none hides the others
                problems.append(f"{name}: {error}")
                self.stdout.write(f"FAIL  {name}: {error}")
        if problems:
            raise CommandError(f"{len(problems)} problem(s): " + "; ".join(problems))

    def transport(self):
        transport = cachebus_setting("TRANSPORT")
        if transport not in ("postgres", "amqp"):
            raise ValueError(f"'{transport}' is neither 'postgres' nor 'amqp'")
        return transport

    def models(self):
        for label, rules in cachebus_setting("MODELS").items():
            model = apps.get_model(label)
            names = {"pk"} | {f.name for f in model._meta.concrete_fields} | {f.attname for f in model._meta.concrete_fields}
            for kind, templates in rules.items():
                for template in templates:
                    try:
                        template.format_map({n: "" for n in names})
                    except KeyError as missing:
                        raise ValueError(f"{label} {kind} '{template}' names {missing}, which {label} does not have") from None
        return f"{len(cachebus_setting('MODELS'))} model(s)"

    def middleware(self):
        middleware = list(settings.MIDDLEWARE)
        ours, auth = "cachebus_django.middleware.SessionRegistryMiddleware", "django.contrib.auth.middleware.AuthenticationMiddleware"
        if ours not in middleware or auth not in middleware or middleware.index(ours) < middleware.index(auth):
            raise ValueError(f"{ours} must come after {auth}: without it a password change (update_session_auth_hash) "
                             "gives the user a session CacheBus does not know and cannot revoke")
        return "the session registry follows key changes"

    def database(self):
        with connections["default"].cursor() as cursor:
            cursor.execute("SHOW wal_level")
            level = cursor.fetchone()[0]
            if level != "logical":
                raise ValueError(f"wal_level is '{level}'; CacheBus needs 'logical'")
            cursor.execute("SELECT has_function_privilege('pg_logical_emit_message(boolean,text,text)', 'execute')")
            if not cursor.fetchone()[0]:
                raise ValueError("this role may not call pg_logical_emit_message")
        return "wal_level=logical, pg_logical_emit_message allowed"

    def redis(self):
        from cachebus_django import outbox, registry
        registry.client().ping()
        caches["default"].get("cachebus-check")
        waiting = outbox.count(outbox.REGISTRATIONS)
        if waiting:
            raise ValueError(f"{waiting} session registration(s) wait in the outbox ({cachebus_setting('OUTBOX_PATH')}): "
                             "CacheBus cannot revoke those sessions until `manage.py cachebus_flush` sends them")
        return cachebus_setting("REDIS_URL").split("@")[-1]

    def amqp(self):
        if cachebus_setting("TRANSPORT") != "amqp":
            return "not used (TRANSPORT is postgres)"
        from cachebus_django import outbox
        import pika
        if not cachebus_setting("AMQP_URL"):
            raise ValueError("AMQP_URL is not set")
        parameters = pika.URLParameters(cachebus_setting("AMQP_URL"))
        parameters.socket_timeout = parameters.stack_timeout = max(cachebus_setting("AMQP_TIMEOUT"), 2)
        pika.BlockingConnection(parameters).close()
        waiting = outbox.count(outbox.INTENTS)
        if waiting:
            raise ValueError(f"{waiting} intent(s) wait in the outbox ({cachebus_setting('OUTBOX_PATH')}): "
                             "run `manage.py cachebus_flush`")
        return "connected"
