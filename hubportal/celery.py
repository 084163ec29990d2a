"""The portal's Celery app. Settings come from Django's under the CELERY_ namespace.

Without REDIS_URL tasks run in-process (CELERY_TASK_ALWAYS_EAGER), so the laptop
demo needs no broker. The beat schedule lives here, in code."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubportal.settings")

app = Celery("hubportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {}
