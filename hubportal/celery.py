"""The portal's Celery app. Settings come from Django's under the CELERY_ namespace.

Without REDIS_URL tasks run in-process (CELERY_TASK_ALWAYS_EAGER), so the laptop
demo needs no broker. The beat schedule lives here, in code."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubportal.settings")

app = Celery("hubportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Sweeps plan what is due (each is idempotent: the notice ledger's unique constraint
# makes a second run a no-op); dispatch queues what is due and puts back what a dead
# worker left.
app.conf.beat_schedule = {
    "meeting reminders and log nudges": {
        "task": "hubportal.notices.tasks.sweep_meetings",
        "schedule": crontab(minute="*/15"),
    },
    "windows opening and claim deadlines": {
        "task": "hubportal.notices.tasks.sweep_opportunities",
        "schedule": crontab(minute=5),
    },
    "send what is due": {
        "task": "hubportal.notices.tasks.dispatch_notices",
        "schedule": crontab(minute="*/5"),
    },
    # Once a day, at night: what is kept no longer (hubportal/privacy/retention.py).
    "retention": {
        "task": "hubportal.privacy.tasks.apply_retention",
        "schedule": crontab(hour=3, minute=30),
    },
}
