"""Sends the intents waiting in the AMQP outbox (the broker was down when they were published)."""
from django.core.management.base import BaseCommand, CommandError

from cachebus_django.amqp import flush_outbox


class Command(BaseCommand):
    help = "Send the intents waiting in the AMQP outbox, oldest first. Run it from cron; the next publish does it too."

    def handle(self, *args, **options):
        waiting = flush_outbox()
        if waiting:
            raise CommandError(f"{waiting} intent(s) still waiting: the broker did not confirm")
        self.stdout.write("outbox empty")
