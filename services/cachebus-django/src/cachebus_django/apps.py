from django.apps import AppConfig


class CacheBusConfig(AppConfig):
    name = "cachebus_django"
    label = "cachebus"
    verbose_name = "CacheBus"

    def ready(self):
        from cachebus_django import sessions, signals
        from cachebus_django.settings import validate
        validate()
        sessions.connect_signals()
        signals.connect_models()
