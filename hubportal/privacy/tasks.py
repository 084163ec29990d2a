"""The daily retention job (scheduled in hubportal/celery.py)."""

from __future__ import annotations

from celery import shared_task

from hubportal.privacy.retention import retention_apply


@shared_task(acks_late=True)
def apply_retention() -> dict[str, int]:
    # Safe to run twice or after a worker died half way: each rule finds only what is
    # still left to do, and each batch commits or rolls back whole.
    return retention_apply()
