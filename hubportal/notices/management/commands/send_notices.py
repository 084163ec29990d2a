"""Run the notice sweeps and send what is due, once or every so many seconds.

With Redis, Celery beat does this (see hubportal/celery.py). On a laptop without a
broker, `make run` starts this command beside the web server so that reminders and
nudges still reach the local mail folder."""

import time

from django.core.management.base import BaseCommand

from hubportal.notices import tasks


class Command(BaseCommand):
    help = "Plan the notices that are due and send them (once, or every --every seconds)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=int, default=0, help="Repeat every this many seconds (0: once)."
        )

    def handle(self, *args, every: int, **options):
        while True:
            planned = tasks.sweep_meetings() + tasks.sweep_opportunities()
            sent = tasks.dispatch_notices()
            self.stdout.write(f"{planned} notices planned or already known, {sent} queued to send")
            if every <= 0:
                return
            time.sleep(every)
