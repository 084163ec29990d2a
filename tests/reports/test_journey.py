"""A school's journey: its stages across years with group, attendance and outcome, and
its claims; seen by its headteacher, its hub's leads and national admins, not found by
another hub, refused to specialists, and costing the same queries for 1 year or 3."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funding import services
from tests.factories import (
    AcceptedApplicationFactory,
    ClaimWindowFactory,
    DraftApplicationFactory,
    HeadteacherFactory,
    MeetingFactory,
    ParticipationFactory,
    group_with_schools,
    paid_claims,
    ready_claim,
    stage,
    year,
)
from workgroups.models import Attendance, GroupMember

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(NOW)


def url(school) -> str:
    return reverse("journey:journey", args=[school.urn])


def log(meeting, statuses):
    meeting.logged_at = timezone.now()
    meeting.save()
    for participant, status in statuses.items():
        Attendance.objects.create(meeting=meeting, participant=participant, status=status)


@pytest.fixture
def journey(hub, hub_lead):
    """A school that did Mastery Readiness in 2024, and is in a Development group this
    year: two of three logged meetings attended, one still to come; a grant claim paid."""
    group = group_with_schools(hub, schools=2)
    application = group.members.order_by("pk").first().application
    school = application.school
    one, two = application.participants.order_by("position")
    meetings = [MeetingFactory(work_group=group) for _ in range(4)]
    log(meetings[0], {one: "present", two: "present"})
    log(meetings[1], {one: "absent", two: "present"})
    log(meetings[2], {one: "absent", two: "absent"})
    ParticipationFactory(school=school, stage=stage("mr"), year=year(2024))
    ClaimWindowFactory(hub=hub, year=year(2026))
    head = HeadteacherFactory(school=school).user
    claim = services.claim_submit(actor=head, claim=ready_claim(school, head, kind="grant"))
    paid = paid_claims(hub_lead, [claim])[0]
    return school, group, head, paid


def test_hub_lead_sees_each_year_stage_group_attendance_outcome_and_claims(
    client, hub_lead, journey
):
    school, group, head, claim = journey
    client.force_login(hub_lead)
    response = client.get(url(school))
    assert response.status_code == 200
    years = response.context["years"]
    assert [y.year.start_year for y in years] == [2026, 2024]
    this_year, earlier = years
    [dwg] = this_year.stages
    assert dwg.stage.code == "dwg"
    assert dwg.application_state == "Accepted"
    assert dwg.group_code == group.code
    assert (dwg.meetings_attended, dwg.meetings_held) == (2, 3)
    assert dwg.outcome == ""
    assert this_year.claims == [claim]
    [mr] = earlier.stages
    assert (mr.stage.code, mr.outcome, mr.group_code) == ("mr", "Completed", "")
    assert mr.meetings_held is None
    body = response.content.decode()
    assert group.code in body
    assert "2 of 3" in body
    assert claim.reference in body
    assert "£1,000.00" in body
    assert "Paid" in body


def test_headteacher_sees_their_own_schools_journey(client, journey):
    school, group, head, claim = journey
    client.force_login(head)
    response = client.get(url(school))
    assert response.status_code == 200
    assert group.code in response.content.decode()


def test_headteacher_of_another_school_gets_not_found(client, journey, hub):
    school, *_ = journey
    other = group_with_schools(hub, schools=1).members.get().school
    client.force_login(HeadteacherFactory(school=other).user)
    assert client.get(url(school)).status_code == 404


def test_another_hubs_lead_gets_not_found(client, journey, other_hub_lead):
    school, *_ = journey
    client.force_login(other_hub_lead)
    assert client.get(url(school)).status_code == 404


def test_national_admin_sees_any_schools_journey(client, journey, national_admin):
    school, group, *_ = journey
    client.force_login(national_admin)
    response = client.get(url(school))
    assert response.status_code == 200
    assert group.code in response.content.decode()


def test_specialist_is_refused(client, journey, specialist):
    school, *_ = journey
    client.force_login(specialist)
    assert client.get(url(school)).status_code == 403


def test_signed_out_visitor_is_sent_to_sign_in(client, journey):
    school, *_ = journey
    response = client.get(url(school))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_unknown_school_is_not_found(client, hub_lead):
    client.force_login(hub_lead)
    assert client.get(reverse("journey:journey", args=[999999])).status_code == 404


def test_draft_applications_are_not_part_of_the_journey(client, school, headteacher):
    DraftApplicationFactory(school=school)
    client.force_login(headteacher)
    response = client.get(url(school))
    assert response.context["years"] == []
    assert "has not yet applied" in response.content.decode()


def test_queries_stay_the_same_as_years_grow(client, hub, hub_lead, journey):
    school, *_ = journey
    client.force_login(hub_lead)
    client.get(url(school))  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get(url(school))
    # Two more years, each a stage in a group with a logged meeting attended, and an outcome.
    for start in (2025, 2023):
        extra = group_with_schools(hub, schools=0, code="emb", start_year=start)
        application = AcceptedApplicationFactory(
            school=school, stage=stage("emb"), year=year(start)
        )
        GroupMember.objects.create(
            work_group=extra,
            school=school,
            application=application,
            stage=extra.stage,
            year=extra.year,
        )
        log(MeetingFactory(work_group=extra), {application.participants.first(): "present"})
        ParticipationFactory(school=school, stage=stage("emb"), year=year(start))
    with CaptureQueriesContext(connection) as large:
        response = client.get(url(school))
    years = response.context["years"]
    assert [y.year.start_year for y in years] == [2026, 2025, 2024, 2023]
    assert (years[1].stages[0].meetings_attended, years[1].stages[0].meetings_held) == (1, 1)
    assert len(large.captured_queries) == len(small.captured_queries)
