"""The headteacher's work-group page and replacing a teacher: who may see what, only
their own teachers' attendance, the completion rule and outcome, the replacement
form's errors, and a query count that does not grow with the meetings or groups."""

import html
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    AcceptedApplicationFactory,
    HeadteacherFactory,
    MeetingFactory,
    ParticipationFactory,
    SchoolFactory,
    SpecialistFactory,
    SubmittedApplicationFactory,
    group_with_schools,
    stage,
    year,
)
from workgroups import services
from workgroups.models import GroupMember, Participant
from workgroups.services import MeetingPlan

pytestmark = pytest.mark.django_db
URL = reverse("groups:school")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), tick=False):
        yield


def join(school, group):
    application = AcceptedApplicationFactory(school=school, stage=group.stage, year=group.year)
    GroupMember.objects.create(
        work_group=group,
        school=school,
        application=application,
        stage=group.stage,
        year=group.year,
    )
    return application


def log(lead, meeting, exceptions: dict[int, str]):
    """Log a meeting: everyone present except ``exceptions`` (participant id → status)."""
    statuses = {p.pk: "present" for p in services.meeting_participants(meeting)}
    statuses.update(exceptions)
    services.meeting_log_attendance(actor=lead, meeting=meeting, statuses=statuses)


def schedule(lead, group, *days):
    return services.meeting_schedule_series(
        actor=lead,
        work_group=group,
        plans=[
            MeetingPlan(day, time(13), time(16), online_link="https://meet.example/x")
            for day in days
        ],
    )


@pytest.fixture
def our_group(hub, school, specialist):
    """The headteacher's school in a Development group of four with the specialist."""
    group = group_with_schools(hub, schools=3, lead=specialist)
    application = join(school, group)
    return group, application


def page_of(client, user) -> str:
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


# ---------------------------------------------------------------------------
# Access


@pytest.mark.parametrize("who", ["hub_lead", "specialist", "national_admin"])
def test_other_roles_are_refused(client, our_group, who, request):
    client.force_login(request.getfixturevalue(who))
    _, application = our_group
    teacher = application.participants.first()
    assert client.get(URL).status_code == 403
    replace = reverse("groups:replace_participant", args=[teacher.pk])
    assert client.get(replace).status_code == 403
    assert client.post(replace, {"name": "X"}).status_code == 403


def test_a_headteacher_of_a_school_not_in_the_group_sees_nothing_of_it(client, hub, our_group):
    group, application = our_group
    other_head = HeadteacherFactory(school=SchoolFactory(hub=hub)).user
    page = page_of(client, other_head)
    assert "Your school is not in a work group yet" in page
    assert group.code not in page
    assert application.participants.first().name not in page
    replace = reverse("groups:replace_participant", args=[application.participants.first().pk])
    assert client.get(replace).status_code == 404


def test_another_schools_teacher_in_the_same_group_is_not_found(client, headteacher, our_group):
    group, _ = our_group
    theirs = Participant.objects.filter(application__group_member__work_group=group).exclude(
        application__school=headteacher.memberships.get().school
    )[0]
    client.force_login(headteacher)
    url = reverse("groups:replace_participant", args=[theirs.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Taken Over"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name != "Taken Over"


def test_a_teacher_of_an_application_not_accepted_is_not_found(client, school, headteacher):
    draft = SubmittedApplicationFactory(school=school, stage=stage("sus"), year=year(2027))
    client.force_login(headteacher)
    url = reverse("groups:replace_participant", args=[draft.participants.first().pk])
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------------------
# What the page shows


def test_the_page_shows_the_group_meetings_and_only_our_teachers_attendance(
    client, hub, school, headteacher, specialist, our_group
):
    group, application = our_group
    first, second = application.participants.order_by("position")
    first.name, second.name = "Alex Ours", "Bo Ours"
    first.save()
    second.save()
    theirs = Participant.objects.filter(application__group_member__work_group=group).exclude(
        application=application
    )
    theirs.filter(position=1).update(name="Theirs Teacher")
    specialist.full_name = "Sam Specialist"
    specialist.save()
    held, apologies, missed, cancelled, upcoming = schedule(
        specialist,
        group,
        date(2026, 10, 7),
        date(2026, 11, 4),
        date(2026, 11, 18),
        date(2026, 12, 2),
        date(2027, 1, 13),
    )
    any_theirs = theirs.first()
    log(specialist, held, {second.pk: "absent", any_theirs.pk: "apologies"})
    log(specialist, apologies, {first.pk: "apologies", second.pk: "apologies"})
    services.meeting_cancel(actor=specialist, meeting=cancelled, reason="Snow closure")

    page = html.unescape(page_of(client, headteacher))
    assert group.code in page and "Development Work Group" in page and "2026/27" in page
    assert "Sam Specialist" in page and specialist.email in page
    for member in group.members.exclude(school=school):
        assert member.school.name in page
    assert "Alex Ours" in page and "Bo Ours" in page
    # Another school's teachers, and their attendance, never appear.
    assert "Theirs Teacher" not in page
    for other in theirs:
        assert other.name not in page
    assert page.count(">Present<") == 1
    assert page.count(">Absent<") == 1
    assert page.count(">Sent apologies<") == 2
    assert page.count(">Not logged yet<") == 2
    assert page.count(">Upcoming<") == 2
    assert "Snow closure" in page and page.count(">Not held<") == 2
    assert "Your teachers attended 1 of 2 meetings held" in page
    assert page.count("1pm to 4pm") == 5
    assert "To complete, your teachers attend at least 4 of the 6 meetings" in page
    assert "Not recorded yet" in page
    assert reverse("groups:calendar") in page
    assert reverse("groups:replace_participant", args=[first.pk]) in page


def test_the_outcome_is_shown_once_recorded(client, school, headteacher, our_group):
    ParticipationFactory(school=school, stage=stage("dwg"), year=year(2026), outcome="completed")
    page = page_of(client, headteacher)
    assert ">Completed<" in page
    assert "Not recorded yet" not in page


def test_this_years_group_comes_first_then_earlier_years(client, hub, school, headteacher):
    earlier = group_with_schools(hub, schools=1, code="mr", start_year=2025)
    join(school, earlier)
    current = group_with_schools(hub, schools=1, code="dwg", start_year=2026)
    join(school, current)
    page = page_of(client, headteacher)
    assert page.index(current.code) < page.index(earlier.code)
    # Teachers of an earlier year's group cannot be replaced any more.
    old_teacher = Participant.objects.filter(application__group_member__work_group=earlier)
    old_teacher = old_teacher.get(application__school=school, position=1)
    assert reverse("groups:replace_participant", args=[old_teacher.pk]) not in page


def test_a_school_in_no_group_is_told_what_happens_next(client, headteacher):
    page = page_of(client, headteacher)
    assert "Your school is not in a work group yet" in page
    assert "place your school in a work group" in page


def test_the_query_count_does_not_grow_with_meetings_or_groups(
    client, hub, school, headteacher, specialist, our_group
):
    group, _ = our_group
    schedule(specialist, group, date(2026, 10, 7), date(2026, 11, 4))
    client.force_login(headteacher)
    client.get(URL)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200
    more = schedule(
        specialist,
        group,
        date(2026, 11, 11),
        date(2026, 11, 18),
        date(2027, 1, 6),
        date(2027, 2, 3),
    )
    log(specialist, more[0], {})
    services.meeting_cancel(actor=specialist, meeting=more[2], reason="Closed")
    for start_year, code in ((2024, "mr"), (2025, "sus")):
        other = group_with_schools(hub, schools=2, code=code, start_year=start_year)
        join(school, other)
        MeetingFactory(work_group=other)
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL)
    assert response.content.decode().count('class="govuk-table__row"') > 6 + 3
    assert len(large.captured_queries) == len(small.captured_queries)


# ---------------------------------------------------------------------------
# Replacing a teacher


def test_the_form_is_filled_with_the_current_teacher(client, headteacher, our_group):
    _, application = our_group
    teacher = application.participants.get(position=1)
    client.force_login(headteacher)
    page = client.get(reverse("groups:replace_participant", args=[teacher.pk])).content.decode()
    assert f'value="{teacher.email}"' in page
    assert f'value="{teacher.name}"' in page
    assert 'name="trn"' in page


def test_replacing_a_teacher_saves_the_new_one_and_says_so(client, headteacher, our_group):
    _, application = our_group
    teacher = application.participants.get(position=2)
    old_name = teacher.name
    client.force_login(headteacher)
    response = client.post(
        reverse("groups:replace_participant", args=[teacher.pk]),
        {
            "name": "Robin New",
            "email": "robin.new@school.example",
            "job_role": "Year 5 teacher",
            "trn": "123 4567",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == URL
    page = html.unescape(response.content.decode())
    assert f"Robin New now takes part in place of {old_name}" in page
    teacher.refresh_from_db()
    assert (teacher.name, teacher.email, teacher.job_role, teacher.trn) == (
        "Robin New",
        "robin.new@school.example",
        "Year 5 teacher",
        "1234567",
    )
    assert not teacher.is_maths_lead
    assert teacher.history.first().history_change_reason == "Replaced the participant"


def test_a_bad_email_is_shown_beside_the_field_and_nothing_is_saved(client, headteacher, our_group):
    _, application = our_group
    teacher = application.participants.get(position=2)
    before = (teacher.name, teacher.email)
    client.force_login(headteacher)
    response = client.post(
        reverse("groups:replace_participant", args=[teacher.pk]),
        {"name": "Robin New", "email": "robin at school", "job_role": "Year 5 teacher"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    message = "Enter an email address in the correct format, like name@example.com"
    assert "There is a problem" in page
    assert f'<a href="#id_email">{message}</a>' in page
    assert 'id="id_email-error"' in page and message in page.split('id="id_email-error"')[1]
    assert 'value="robin at school"' in page and 'value="Robin New"' in page
    teacher.refresh_from_db()
    assert (teacher.name, teacher.email) == before


def test_the_other_teachers_email_is_refused(client, headteacher, our_group):
    _, application = our_group
    first, second = application.participants.order_by("position")
    client.force_login(headteacher)
    response = client.post(
        reverse("groups:replace_participant", args=[second.pk]),
        {"name": "Robin New", "email": first.email.upper(), "job_role": "Year 5 teacher"},
    )
    assert "belongs to your school&#x27;s other teacher" in response.content.decode()
    second.refresh_from_db()
    assert second.name != "Robin New"


def test_readiness_keeps_a_maths_lead(client, hub, school, headteacher):
    lead = SpecialistFactory(hub=hub).user
    group = group_with_schools(hub, schools=2, code="mr", lead=lead)
    application = join(school, group)
    maths_lead = application.participants.get(is_maths_lead=True)
    client.force_login(headteacher)
    response = client.post(
        reverse("groups:replace_participant", args=[maths_lead.pk]),
        {"name": "Robin New", "email": "robin@school.example", "job_role": "Year 2 teacher"},
    )
    page = response.content.decode()
    assert 'id="id_is_maths_lead-error"' in page
    assert "must be the school&#x27;s maths lead for Mastery Readiness" in page
    maths_lead.refresh_from_db()
    assert maths_lead.name != "Robin New"
