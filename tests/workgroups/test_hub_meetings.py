"""The hub's meeting list (groups:hub_meetings): every meeting of a year, this
week's, or those whose attendance log is overdue, scoped to the person's hub."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    HeadteacherFactory,
    HubFactory,
    HubLeadFactory,
    MeetingFactory,
    NationalAdminFactory,
    SchoolFactory,
    SpecialistFactory,
    group_with_schools,
    stage,
)
from workgroups.models import AcademicYear

pytestmark = pytest.mark.django_db

URL = reverse("groups:hub_meetings")


@pytest.fixture
def year():
    stage("dwg")
    return AcademicYear.objects.current()


@pytest.fixture
def today():
    return timezone.localdate()


def meetings_of(hub, year, today):
    """A dwg group with a meeting today, one 10 days ago unlogged (overdue), one
    cancelled 10 days ago, and one in 30 days; an mr group with a meeting today."""
    dwg = group_with_schools(hub, schools=2, start_year=year.start_year)
    mr = group_with_schools(hub, schools=2, code="mr", start_year=year.start_year)
    return {
        "today": MeetingFactory(work_group=dwg, date=today),
        "overdue": MeetingFactory(work_group=dwg, date=today - timedelta(days=10)),
        "cancelled": MeetingFactory(
            work_group=dwg, date=today - timedelta(days=10), state="cancelled"
        ),
        "later": MeetingFactory(work_group=dwg, date=today + timedelta(days=30)),
        "mr_today": MeetingFactory(work_group=mr, date=today),
    }


def listed(client, **params) -> set[int]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return {meeting.pk for meeting in response.context["page"].object_list}


def test_each_filter_lists_exactly_its_meetings(client, year, today):
    hub = HubFactory()
    mine = meetings_of(hub, year, today)
    meetings_of(HubFactory(name="Other Maths Hub"), year, today)
    client.force_login(HubLeadFactory(hub=hub).user)
    this_year = {"year": year.slug}

    assert listed(client, **this_year) == {m.pk for m in mine.values()}
    assert listed(client, **this_year, when="overdue") == {mine["overdue"].pk}
    this_week = listed(client, **this_year, when="this-week")
    assert mine["today"].pk in this_week and mine["mr_today"].pk in this_week
    assert mine["overdue"].pk not in this_week and mine["later"].pk not in this_week
    assert listed(client, **this_year, stage="mr") == {mine["mr_today"].pk}


def test_a_national_admin_sees_every_hubs_meetings(client, year, today):
    a = meetings_of(HubFactory(), year, today)
    b = meetings_of(HubFactory(name="Other Maths Hub"), year, today)
    client.force_login(NationalAdminFactory().user)

    response = client.get(URL, {"when": "overdue"})

    assert {m.pk for m in response.context["page"].object_list} == {
        a["overdue"].pk,
        b["overdue"].pk,
    }
    assert "Other Maths Hub" in response.content.decode()


@pytest.mark.parametrize("factory", [HeadteacherFactory, SpecialistFactory])
def test_schools_and_specialists_are_refused(client, year, factory):
    hub = HubFactory()
    kwargs = {"school": SchoolFactory(hub=hub)} if factory is HeadteacherFactory else {"hub": hub}
    client.force_login(factory(**kwargs).user)

    assert client.get(URL).status_code == 403


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"when": "yesterday"}, "when", "Select which meetings to show from the list"),
        ({"stage": "<b>x</b>"}, "stage", "Select a programme stage from the list"),
        ({"year": "1900-01"}, "year", "Select an academic year from the list"),
    ],
)
def test_a_wrong_filter_is_shown_beside_its_field_and_left_out(
    client, year, today, params, field, message
):
    hub = HubFactory()
    mine = meetings_of(hub, year, today)
    client.force_login(HubLeadFactory(hub=hub).user)

    response = client.get(URL, params)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert response.context["year"] == year
    assert response.context["page"].paginator.count == len(mine)


def test_the_list_pages_and_keeps_its_filters(client, year, today, monkeypatch):
    monkeypatch.setattr("hubportal.forms.PAGE_SIZE", 2)
    hub = HubFactory()
    meetings_of(hub, year, today)
    client.force_login(HubLeadFactory(hub=hub).user)

    first = client.get(URL, {"year": year.slug, "stage": "dwg"})

    assert first.context["page"].paginator.num_pages == 2
    assert "stage=dwg" in first.content.decode().split('aria-label="Pages of meetings"')[1]


def test_the_query_count_does_not_grow_with_the_meetings(
    client, year, today, django_assert_num_queries
):
    hub = HubFactory()
    client.force_login(HubLeadFactory(hub=hub, user__email="lead@hub.example").user)
    meetings_of(hub, year, today)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(3):
        meetings_of(hub, year, today)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert response.context["page"].paginator.count == 20
