"""A person's private calendar address: made once, replaced when they ask (the old
address stops working at once). The history names who did it and never holds the
token itself."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hubportal.audit import audited_save
from workgroups.models import CalendarFeed
from workgroups.models.groups import new_feed_token

__all__ = ["calendar_feed_create", "calendar_feed_renew"]


def calendar_feed_create(*, actor) -> CalendarFeed:
    """The person's address, made if they have none (a second click changes nothing)."""
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=actor).first()
        if feed is None:
            feed = CalendarFeed(user=actor)
            audited_save(feed, actor=actor, reason="Made a calendar address")
    return feed


def calendar_feed_renew(*, actor) -> CalendarFeed:
    """A new token for the person's address: the old address stops working at once."""
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=actor).first()
        if feed is None:
            feed = CalendarFeed(user=actor)
        else:
            feed.token = new_feed_token()
            feed.created_at = timezone.now()
        audited_save(feed, actor=actor, reason="Replaced the calendar address")
    return feed
