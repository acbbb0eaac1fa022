"""Sends what waits in the outbox: AMQP intents (the broker was down) and session registrations (Redis was)."""
from django.core.management.base import BaseCommand, CommandError

from cachebus_django import registry
from cachebus_django.amqp import flush_outbox


class Command(BaseCommand):
    help = "Send the intents and session registrations waiting in the outbox, oldest first. Run it from cron."

    def handle(self, *args, **options):
        intents, registrations = flush_outbox(), registry.flush()
        if intents or registrations:
            raise CommandError(f"{intents} intent(s) and {registrations} session registration(s) still waiting: "
                               "the broker or Redis did not take them")
        self.stdout.write("outbox empty")
