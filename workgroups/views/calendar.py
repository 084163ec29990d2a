"""Private calendar feeds: a specialist's or headteacher's meetings as an iCalendar
address that Outlook or Google Calendar subscribes to.

The settings page is for specialists and headteachers (anyone else: 403); it makes
the person's address and replaces it (the old one stops working). The feed itself
needs no sign-in, because calendar programs cannot sign in: the long random token
in its address is the key, so an unknown or replaced token is a 404. What the feed
lists is what the portal lets its owner see: for each of their specialist and
headteacher roles, the meetings of the groups ``WorkGroup.objects.visible_to`` finds
for that role."""

from __future__ import annotations

import copy
from datetime import date
from functools import reduce
from operator import or_

from django.contrib import messages
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from hubportal.accounts.models import Role
from hubportal.accounts.roles import memberships_of, role_required
from workgroups.calendar import calendar_document, default_host, meeting_event
from workgroups.models import CalendarFeed, Meeting, WorkGroup
from workgroups.services.calendar import calendar_feed_create, calendar_feed_renew

FEED_ROLES = (Role.SPECIALIST, Role.HEADTEACHER)
CALENDAR_NAME = "Maths Hub work group meetings"


# ---------------------------------------------------------------------------
# What a feed holds


def _acting_as(user, membership):
    """The person as if acting in ``membership``: ``visible_to`` scopes by the active role."""
    acting = copy.copy(user)
    acting.active_membership = membership
    return acting


def feed_start(today: date | None = None) -> date:
    """Meetings from the start of the previous academic year onwards."""
    today = today or timezone.localdate()
    this_year = today.year if today.month >= 9 else today.year - 1
    return date(this_year - 1, 9, 1)


def feed_meetings(user, *, today: date | None = None) -> list[Meeting]:
    """The meetings of every group the person leads as a specialist or their school is
    in as a headteacher, once each, in three queries whatever their number."""
    scopes = [
        Q(work_group__in=WorkGroup.objects.visible_to(_acting_as(user, membership)).values("pk"))
        for membership in memberships_of(user)
        if membership.role in FEED_ROLES
    ]
    if not scopes:
        return []
    history = (
        Meeting.history.model.objects.filter(id=OuterRef("pk"))
        .order_by()
        .values("id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return list(
        Meeting.objects.filter(reduce(or_, scopes), date__gte=feed_start(today))
        .select_related("work_group__stage", "work_group__year", "venue_school")
        .annotate(history_count=Subquery(history))
        .order_by("date", "starts_at", "pk")
    )


def feed_roles(user) -> set[str]:
    return {m.role for m in memberships_of(user) if m.role in FEED_ROLES}


# ---------------------------------------------------------------------------
# Views


@role_required(*FEED_ROLES)
@require_http_methods(["GET", "POST"])
def settings_page(request):
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "renew":
            calendar_feed_renew(actor=request.user)
            messages.success(
                request,
                "Your calendar has a new address. The old address no longer works: "
                "subscribe to the new one in your calendar program.",
            )
        elif action == "create":
            calendar_feed_create(actor=request.user)
            messages.success(
                request,
                "Your calendar address is ready. Add it to your calendar program.",
            )
        else:
            messages.error(request, "Choose to create your calendar address or make a new one.")
        return redirect("groups:calendar")

    feed = CalendarFeed.objects.filter(user=request.user).first()
    address = webcal = ""
    if feed is not None:
        address = request.build_absolute_uri(reverse("groups:feed", args=[feed.token]))
        webcal = "webcal://" + address.split("://", 1)[1]
    roles = feed_roles(request.user)
    return render(
        request,
        "workgroups/calendar/settings.html",
        {
            "feed": feed,
            "address": address,
            "webcal": webcal,
            "leads_groups": Role.SPECIALIST in roles,
            "school_groups": Role.HEADTEACHER in roles,
            "since": feed_start(),
        },
    )


@require_safe
def feed(request, token: str):
    found = (
        CalendarFeed.objects.select_related("user")
        .filter(token=token, user__is_active=True)
        .first()
    )
    if found is None:
        raise Http404("No calendar at this address")
    host = default_host()
    stamp = timezone.now()
    document = calendar_document(
        CALENDAR_NAME,
        (meeting_event(meeting, host=host, stamp=stamp) for meeting in feed_meetings(found.user)),
    )
    response = HttpResponse(document, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Content-Disposition"] = 'inline; filename="meetings.ics"'
    return response
