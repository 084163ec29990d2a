"""Signed-in sessions for seeded people, and the pages each one's journey visits.

The load test measures pages, not sign-ins: signing 150 people in through the login
form would hit the login rate limit (settings.ACCOUNT_RATE_LIMITS) and staff two-factor
sign-in. Each session is created as ``Client.force_login`` creates it, in the session
store the server reads, so the server must run with the same SECRET_KEY."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.test import Client
from django.urls import reverse

from funding.models import Claim, ClaimState
from hubportal.accounts.models import Membership, Role
from workgroups.models import AcademicYear, ApplicationState, GroupMember, Meeting


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _spread(queryset, count: int) -> list:
    """``count`` rows spread over the whole queryset rather than its first few."""
    total = queryset.count()
    step = max(1, total // max(count, 1))
    return list(queryset[: step * count : step]) if total else []


def hub_leads(count: int, year: AcademicYear) -> list[dict]:
    people = []
    leads = Membership.objects.filter(role=Role.HUB_LEAD).select_related("user", "hub")
    for membership in _spread(leads.order_by("hub_id", "pk"), count):
        claim = (
            Claim.objects.filter(hub=membership.hub, year=year, state=ClaimState.SUBMITTED)
            .order_by("pk")
            .first()
        )
        cohort = {"stage_code": "dwg", "year_slug": year.slug}
        urls = {
            "home": reverse("home"),
            "cohort": reverse("applications:cohort", kwargs=cohort),
            "applications": reverse("applications:list", kwargs=cohort),
            "claims": reverse("funding:claims"),
        }
        if claim is not None:
            urls["claim review"] = reverse("funding:review", args=[claim.pk])
        people.append({"email": membership.user.email, "urls": urls, "user": membership.user})
    return people


def headteachers(count: int, year: AcademicYear) -> list[dict]:
    in_a_group = GroupMember.objects.filter(
        school=OuterRef("school"),
        year=year,
        application__state=ApplicationState.ACCEPTED,
    )
    heads = (
        Membership.objects.filter(role=Role.HEADTEACHER)
        .filter(Exists(in_a_group))
        .select_related("user")
        .order_by("school_id")
    )
    urls = {
        "home": reverse("home"),
        "programme": reverse("applications:programme"),
        "funding": reverse("funding:school"),
        "school groups": reverse("groups:school"),
    }
    return [{"email": m.user.email, "urls": urls, "user": m.user} for m in _spread(heads, count)]


def specialists(count: int, year: AcademicYear) -> list[dict]:
    meetings = (
        Meeting.objects.filter(
            work_group__year=year, logged_at__isnull=False, work_group__lead__isnull=False
        )
        .select_related("work_group__lead")
        .order_by("work_group__lead_id", "-date", "pk")
    )
    latest = {}  # each specialist's most recent logged meeting
    for meeting in meetings:
        latest.setdefault(meeting.work_group.lead_id, meeting)
    chosen = list(latest.values())
    people = []
    for meeting in chosen[:: max(1, len(chosen) // max(count, 1))][:count]:
        people.append(
            {
                "email": meeting.work_group.lead.email,
                "user": meeting.work_group.lead,
                "urls": {
                    "my groups": reverse("groups:mine"),
                    "group": reverse("groups:detail", args=[meeting.work_group_id]),
                    "meeting log": reverse("groups:log", args=[meeting.pk]),
                },
            }
        )
    return people


def signed_in(count: int) -> dict:
    """``count`` people of each role with a session and their journey's addresses."""
    year = AcademicYear.objects.current()
    roles = {
        Role.HUB_LEAD: hub_leads(count, year),
        Role.HEADTEACHER: headteachers(count, year),
        Role.SPECIALIST: specialists(count, year),
    }
    for people in roles.values():
        for person in people:
            person["session"] = _session(person.pop("user"))
    return {
        "cookie": settings.SESSION_COOKIE_NAME,
        "roles": {str(role): people for role, people in roles.items()},
    }
