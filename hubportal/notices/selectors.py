"""Reads of the notice ledger for the people who look after it.

Every read goes through ``notices_visible_to``: a hub lead sees their hub's notices, a
national admin every hub's, anyone else none (a specialist or headteacher is told
about notices by the mails themselves, not by this ledger). Each list is one query
however many rows it shows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from hubportal.accounts.models import Role
from hubportal.accounts.roles import active_membership
from hubportal.notices.models import Notice, NoticeState

# What a list row needs, loaded with it (one query, whatever the page's size).
ROW_RELATED = ("hub", "school", "meeting__work_group", "retried_by")


def notices_visible_to(user) -> QuerySet[Notice]:
    """Hub lead: their hub's notices; national admin: all; anyone else: none."""
    membership = active_membership(user)
    if membership is None:
        return Notice.objects.none()
    if membership.role == Role.NATIONAL_ADMIN:
        return Notice.objects.all()
    if membership.role == Role.HUB_LEAD:
        return Notice.objects.filter(hub=membership.hub)
    return Notice.objects.none()


@dataclass(frozen=True)
class NoticeFilters:
    state: str = ""
    kind: str = ""
    school: str = ""  # a URN, or part of a name
    meeting_id: int | None = None
    email: str = ""  # part of the recipient's address
    hub_code: str = ""  # national admins only


def hub_notices(user, filters: NoticeFilters) -> QuerySet[Notice]:
    """The notices a person may see that match the filters, newest first."""
    notices = notices_visible_to(user)
    if filters.hub_code:
        notices = notices.filter(hub__code=filters.hub_code)
    if filters.state:
        notices = notices.filter(state=filters.state)
    if filters.kind:
        notices = notices.filter(kind=filters.kind)
    school = filters.school.strip()
    if school:
        by_name = Q(school__name__icontains=school)
        notices = notices.filter(
            by_name | Q(school__urn=int(school))
            if school.isascii() and school.isdigit()
            else by_name
        )
    if filters.meeting_id is not None:
        notices = notices.filter(meeting_id=filters.meeting_id)
    if filters.email.strip():
        notices = notices.filter(email__icontains=filters.email.strip())
    return notices.select_related(*ROW_RELATED).order_by("-created_at", "-pk")


def failed_count(user, hub_code: str = "") -> int:
    """Failed notices the person may see (and send again): one query."""
    notices = notices_visible_to(user).filter(state=NoticeState.FAILED)
    if hub_code:
        notices = notices.filter(hub__code=hub_code)
    return notices.count()


def for_meeting(user, meeting, limit: int = 10) -> list[Notice]:
    """The latest notices about one meeting that the person may see: one query."""
    return list(
        notices_visible_to(user)
        .filter(meeting=meeting)
        .select_related(*ROW_RELATED)
        .order_by("-created_at", "-pk")[:limit]
    )


def for_school(user, school, limit: int = 10) -> list[Notice]:
    """The latest notices to or about one school that the person may see: one query."""
    return list(
        notices_visible_to(user)
        .filter(school=school)
        .select_related(*ROW_RELATED)
        .order_by("-created_at", "-pk")[:limit]
    )


def meeting_notices_url(meeting) -> str:
    """The hub's notices list narrowed to one meeting (the include's ``more_url``)."""
    return f"{reverse('notices:hub')}?{urlencode({'meeting': meeting.pk})}"


def school_notices_url(school) -> str:
    """The hub's notices list narrowed to one school, by URN (``more_url``)."""
    return f"{reverse('notices:hub')}?{urlencode({'school': school.urn})}"
