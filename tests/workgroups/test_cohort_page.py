"""The hub lead's cohort page: every accepted school with its group,
teachers, attendance and outcome; scoped, filtered, and flat in queries."""

from datetime import date, time

import pytest
from django.urls import reverse

from tests.factories import (
    AcceptedApplicationFactory,
    HeadteacherFactory,
    ParticipationFactory,
    SchoolFactory,
    SpecialistFactory,
    SubmittedApplicationFactory,
    stage,
    year,
)
from workgroups import services
from workgroups.services import MeetingPlan

pytestmark = pytest.mark.django_db
URL = reverse("applications:cohort", args=["dwg", "2026-27"])


def accepted(hub, count):
    return [AcceptedApplicationFactory(school=SchoolFactory(hub=hub)) for _ in range(count)]


def form_group(hub, hub_lead, apps):
    lead = SpecialistFactory(hub=hub).user
    [group] = services.workgroup_confirm_formation(
        actor=hub_lead,
        hub=hub,
        stage=stage("dwg"),
        year=year(2026),
        groups=[([a.school_id for a in apps], lead)],
    )
    [meeting] = services.meeting_schedule_series(
        actor=lead,
        work_group=group,
        plans=[MeetingPlan(date(2026, 10, 1), time(13), time(16), venue_school=apps[0].school)],
    )
    participants = services.meeting_participants(meeting)
    statuses = {p.pk: "present" for p in participants}
    for p in participants:
        if p.application_id == apps[0].pk:
            statuses[p.pk] = "absent"
    services.meeting_log_attendance(actor=lead, meeting=meeting, statuses=statuses)
    return group


def test_shows_each_accepted_school_with_group_attendance_and_outcome(client, hub, hub_lead):
    apps = accepted(hub, 7)
    unplaced = accepted(hub, 1)[0]
    SubmittedApplicationFactory(school=SchoolFactory(hub=hub, name="Still Waiting Primary"))
    group = form_group(hub, hub_lead, apps)
    ParticipationFactory(
        school=apps[1].school, stage=stage("dwg"), year=year(2026), outcome="did_not_complete"
    )
    client.force_login(hub_lead)
    page = client.get(URL).content.decode()
    assert "8 schools" in page
    assert group.code in page
    assert "Not in a group yet" in page and unplaced.school.name in page
    assert "Still Waiting Primary" not in page
    assert "0 of 1" in page and "1 of 1" in page
    assert "Did not complete" in page
    assert client.get(URL, {"placed": "no"}).content.decode().count("URN ") == 1


def test_a_bad_filter_gets_a_message_not_an_error(client, hub, hub_lead):
    accepted(hub, 2)
    client.force_login(hub_lead)
    response = client.get(URL, {"placed": "maybe", "sort": "drop table"})
    assert response.status_code == 200
    assert "Select a work group option from the list" in response.content.decode()


def test_query_count_does_not_grow_with_the_cohort(
    client, hub, hub_lead, django_assert_num_queries
):
    client.force_login(hub_lead)
    form_group(hub, hub_lead, accepted(hub, 6))
    client.get(URL)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    form_group(hub, hub_lead, accepted(hub, 7))
    accepted(hub, 20)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(URL)
    assert "33 schools" in response.content.decode()


def test_another_hubs_schools_never_appear_and_other_roles_are_refused(
    client, hub, other_hub, hub_lead, specialist
):
    theirs = AcceptedApplicationFactory(
        school=SchoolFactory(hub=other_hub, name="Elsewhere Primary")
    )
    client.force_login(hub_lead)
    assert "Elsewhere Primary" not in client.get(URL).content.decode()
    client.force_login(specialist)
    assert client.get(URL).status_code == 403
    client.force_login(HeadteacherFactory(school=theirs.school).user)
    assert client.get(URL).status_code == 403
    client.force_login(hub_lead)
    assert client.get(reverse("applications:cohort", args=["dwg", "2026-28"])).status_code == 404
