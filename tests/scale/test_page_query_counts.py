"""The main pages run the same number of queries for a small hub and a big one.

Each test seeds the tiny national data set twice, at two sizes (more schools a year,
bigger groups, more meetings), and counts each page's queries for the same people."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hubportal.accounts.models import Membership, Role
from workgroups.models import AcademicYear, Application, Meeting

SMALL = {"per_year": 24, "group_size": 3, "meetings": 3, "schools": 300}
LARGE = {"per_year": 80, "group_size": 7, "meetings": 7, "schools": 600}


def _subjects():
    """A hub lead, a national admin, and this year's first Development group of the
    hub with a logged meeting: its specialist and one of its schools' headteacher."""
    year = AcademicYear.objects.current()
    meeting = (
        Meeting.objects.filter(
            work_group__year=year, work_group__stage__code="dwg", logged_at__isnull=False
        )
        .select_related("work_group")
        .order_by("work_group__hub_id", "work_group__number", "date")
        .first()
    )
    group = meeting.work_group
    school = group.members.order_by("school__name").first().school
    return {
        "lead": Membership.objects.filter(role=Role.HUB_LEAD, hub=group.hub_id).first().user,
        "admin": Membership.objects.get(role=Role.NATIONAL_ADMIN).user,
        "specialist": group.lead,
        "head": Membership.objects.get(role=Role.HEADTEACHER, school=school).user,
        "group": group,
        "meeting": meeting,
        "cohort": {"stage_code": "dwg", "year_slug": year.slug},
    }


def _pages(s, role: str) -> list[tuple[str, str]]:
    cohort = s["cohort"]
    return {
        "lead": [
            ("home", reverse("home")),
            ("cohort", reverse("applications:cohort", kwargs=cohort)),
            ("applications list", reverse("applications:list", kwargs=cohort)),
            ("work groups of the cohort", reverse("groups:list", kwargs=cohort)),
            ("claims", reverse("funding:claims")),
            ("school directory", reverse("schools:directory")),
            ("work group", reverse("groups:detail", args=[s["group"].pk])),
        ],
        "admin": [
            ("home", reverse("home")),
            ("claims", reverse("funding:claims")),
        ],
        "specialist": [
            ("home", reverse("home")),
            ("my groups", reverse("groups:mine")),
            ("work group", reverse("groups:detail", args=[s["group"].pk])),
            ("meeting log", reverse("groups:log", args=[s["meeting"].pk])),
        ],
        "head": [
            ("home", reverse("home")),
            ("programme", reverse("applications:programme")),
            ("funding", reverse("funding:school")),
            ("school groups", reverse("groups:school")),
        ],
    }[role]


def _query_counts(role: str) -> dict[str, int]:
    s = _subjects()
    client = Client()
    client.force_login(s[role])
    counts = {}
    for name, url in _pages(s, role):
        client.get(url)  # the session's first request writes what later ones only read
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        counts[name] = len(queries)
    return counts


def _sizes() -> tuple[int, int, int]:
    s = _subjects()
    return (
        Application.objects.count(),
        s["group"].members.count(),
        s["group"].meetings.count(),
    )


def _grows(reseed, role: str) -> tuple[dict[str, int], dict[str, int]]:
    reseed(**SMALL)
    small, small_sizes = _query_counts(role), _sizes()
    reseed(**LARGE)
    large, large_sizes = _query_counts(role), _sizes()
    # More applications, a bigger group and more meetings the second time.
    assert all(b > a for a, b in zip(small_sizes, large_sizes, strict=True))
    return small, large


@pytest.mark.parametrize("role", ["lead", "admin", "specialist", "head"])
def test_main_pages_run_the_same_queries_for_a_small_and_a_large_programme(reseed, role):
    small, large = _grows(reseed, role)
    assert small == large
    assert all(count > 0 for count in small.values())
