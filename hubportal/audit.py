"""The one way a service saves a row with its audit: who did it and why.

django-simple-history reads ``_history_user`` and ``_change_reason`` off the instance
when it writes the history row, so a service names the person (or None for a job)
instead of leaving it to whoever happened to be signed in for the request."""

from __future__ import annotations


def audited_save(instance, *, actor, reason: str, update_fields: list[str] | None = None) -> None:
    instance._history_user = actor
    instance._change_reason = reason
    instance.save(update_fields=update_fields)
