"""The completion screen: the hub lead records each school's outcome from a
suggestion made from attendance, overriding it only with a reason, all schools
at once or none; the outcome is the participation history eligibility reads."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    HeadteacherFactory,
    MeetingFactory,
    SpecialistFactory,
    group_with_schools,
    stage,
    year,
)
from workgroups import services
from workgroups.eligibility import Code, check_eligibility
from workgroups.models import (
    ApplicationState,
    AttendanceStatus,
    GroupMember,
    MeetingState,
    Outcome,
    Participation,
)

pytestmark = pytest.mark.django_db

MEETING_DAYS = [date(2026, 9, 10) + timedelta(weeks=n) for n in range(6)]  # to 15 Oct 2026
LOGGED_ON = timezone.make_aware(datetime(2026, 11, 23, 17, 0))


@pytest.fixture
def lead(hub):
    return SpecialistFactory(hub=hub).user


def members_of(group) -> list[GroupMember]:
    return list(
        group.members.select_related("school", "application").order_by("school__name", "pk")
    )


def hold_meetings(group, lead, attended: dict[int, int], *, logged: int = 6, planned: int = 6):
    """Schedule ``planned`` meetings and log the first ``logged``. ``attended`` maps a
    member's index (in school-name order) to how many of the logged meetings its
    teachers came to (every one, if not given). A school's second teacher comes only to
    every other meeting: one teacher present is enough for the meeting to count."""
    members = members_of(group)
    meetings = [MeetingFactory(work_group=group, date=day) for day in MEETING_DAYS[:planned]]
    for number, meeting in enumerate(meetings[:logged]):
        statuses = {}
        for index, member in enumerate(members):
            came = number < attended.get(index, logged)
            for position, participant in enumerate(
                member.application.participants.order_by("position")
            ):
                present = came and (position == 0 or number % 2 == 0)
                statuses[participant.pk] = (
                    AttendanceStatus.PRESENT if present else AttendanceStatus.APOLOGIES
                )
        services.meeting_log_attendance(
            actor=lead, meeting=meeting, statuses=statuses, now=LOGGED_ON
        )
    return members


def url(group):
    return reverse("groups:completion", args=[group.pk])


def post_data(members, outcomes: dict[int, str] | None = None, reasons=None, suggested=None):
    """Every school's choice: the given outcome or else its suggestion."""
    outcomes, reasons = outcomes or {}, reasons or {}
    data = {}
    for index, member in enumerate(members):
        data[f"outcome-{member.pk}"] = outcomes.get(index, suggested[index])
        data[f"reason-{member.pk}"] = reasons.get(index, "")
    return data


@pytest.fixture
def group(hub, lead):
    return group_with_schools(hub, schools=4, lead=lead)


@pytest.fixture
def members(group, lead):
    # School 0 attended 4 of 6, school 1 attended 2 of 6, schools 2 and 3 all six.
    return hold_meetings(group, lead, {0: 4, 1: 2})


SUGGESTED = [Outcome.COMPLETED, Outcome.DID_NOT_COMPLETE, Outcome.COMPLETED, Outcome.COMPLETED]


def test_only_the_hub_lead_of_the_groups_hub_may_record(
    client, group, members, lead, hub_lead, other_hub_lead, national_admin
):
    for person in (
        lead,  # the group's own specialist
        HeadteacherFactory(school=members[0].school).user,
        national_admin,
    ):
        client.force_login(person)
        assert client.get(url(group)).status_code == 403
        data = post_data(members, suggested=SUGGESTED)
        assert client.post(url(group), data).status_code == 403
    client.force_login(other_hub_lead)
    assert client.get(url(group)).status_code == 404
    assert client.post(url(group), post_data(members, suggested=SUGGESTED)).status_code == 404
    client.force_login(hub_lead)
    assert client.get(reverse("groups:completion", args=[group.pk + 100])).status_code == 404
    assert client.get(url(group)).status_code == 200
    assert not Participation.objects.exists()


def test_suggests_outcomes_from_attendance_and_preselects_them(client, group, members, hub_lead):
    client.force_login(hub_lead)
    response = client.get(url(group))
    rows = {row.member.pk: row for row in response.context["completion"].rows}
    assert [rows[m.pk].meetings_attended for m in members] == [4, 2, 6, 6]
    assert [rows[m.pk].suggested for m in members] == SUGGESTED
    assert response.context["completion"].meetings_held == 6
    page = response.content.decode()
    assert "4 of 6 logged" in page and "2 of 6 logged" in page
    form = response.context["form"]
    assert [form[f"outcome-{m.pk}"].value() for m in members] == SUGGESTED
    assert f'id="id_outcome-{members[1].pk}-2" name="outcome-{members[1].pk}" ' in page
    assert "meetings are logged; outcomes are usually recorded" not in page


def test_a_school_that_withdrew_after_acceptance_is_suggested_as_withdrawn(
    client, group, members, hub_lead
):
    application = members[2].application
    application.state = ApplicationState.WITHDRAWN
    application.save(update_fields=["state"])
    client.force_login(hub_lead)
    rows = client.get(url(group)).context["completion"].rows
    assert [row.suggested for row in rows] == [
        Outcome.COMPLETED,
        Outcome.DID_NOT_COMPLETE,
        Outcome.WITHDRAWN,
        Outcome.COMPLETED,
    ]


def test_warns_when_fewer_meetings_are_logged_than_planned(client, hub, lead, hub_lead):
    group = group_with_schools(hub, schools=2, lead=lead)
    members = hold_meetings(group, lead, {}, logged=3, planned=6)
    MeetingFactory(work_group=group, date=date(2026, 11, 1), state=MeetingState.CANCELLED)
    client.force_login(hub_lead)
    page = client.get(url(group)).content.decode()
    assert "3 of 6 meetings are logged; outcomes are usually recorded at the year's end" in page
    # The three scheduled on 1, 8 and 15 October have passed without a log.
    assert "3 meetings that have taken place are not logged yet" in page
    assert "3 of 6 (1 cancelled)" in page
    # Three of three logged meetings is not enough for a rule of four.
    assert "3 of 3 logged" in page
    rows = client.get(url(group)).context["completion"].rows
    assert [row.suggested for row in rows] == [Outcome.DID_NOT_COMPLETE] * len(members)


def test_an_override_without_a_reason_saves_nothing_for_any_school(
    client, group, members, hub_lead
):
    client.force_login(hub_lead)
    data = post_data(
        members,
        outcomes={1: Outcome.COMPLETED, 3: Outcome.DID_NOT_COMPLETE},
        reasons={3: "Their teachers left at Easter"},
        suggested=SUGGESTED,
    )
    response = client.post(url(group), data)
    assert response.status_code == 200
    page = response.content.decode()
    message = f"Enter why the outcome for {members[1].school.name} differs from the attendance"
    # Beside the school's reason, and in the summary linking to it.
    assert f'id="id_reason-{members[1].pk}-error"' in page
    assert page.count(message) == 2
    assert f'href="#id_reason-{members[1].pk}"' in page
    assert "There is a problem" in page
    assert not Participation.objects.exists()
    # What was typed and chosen is kept.
    form = response.context["form"]
    assert form[f"outcome-{members[1].pk}"].value() == Outcome.COMPLETED
    assert form[f"reason-{members[3].pk}"].value() == "Their teachers left at Easter"
    assert "Their teachers left at Easter</textarea>" in page


def test_a_bad_outcome_is_an_error_beside_the_school_not_a_crash(client, group, members, hub_lead):
    client.force_login(hub_lead)
    data = post_data(members, suggested=SUGGESTED)
    data[f"outcome-{members[0].pk}"] = "graduated"
    del data[f"outcome-{members[2].pk}"]
    response = client.post(url(group), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Select completed, did not complete or withdrawn for {members[0].school.name}" in page
    assert f"Select the outcome for {members[2].school.name}" in page
    assert not Participation.objects.exists()


def test_an_override_with_a_reason_records_every_school_and_keeps_the_reason(
    client, group, members, hub_lead
):
    client.force_login(hub_lead)
    reason = "Attended two meetings and observed lessons at the specialist's school"
    data = post_data(
        members, outcomes={1: Outcome.COMPLETED}, reasons={1: reason}, suggested=SUGGESTED
    )
    response = client.post(url(group), data, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "applications:cohort", args=[group.stage.code, group.year.slug]
    )
    page = response.content.decode()
    assert f"Recorded the outcomes for {group.code}: 4 completed" in page
    recorded = {
        p.school_id: p for p in Participation.objects.filter(stage=group.stage, year=group.year)
    }
    assert {m.school_id: recorded[m.school_id].outcome for m in members} == {
        m.school_id: Outcome.COMPLETED for m in members
    }
    overridden = recorded[members[1].school_id]
    assert overridden.note == reason
    assert overridden.source == Participation.Source.COMPLETION
    assert overridden.recorded_by == hub_lead
    entry = overridden.history.first()
    assert entry.history_user == hub_lead and entry.note == reason
    assert recorded[members[0].school_id].note == ""
    # The cohort page shows the outcomes.
    assert page.count('<td class="govuk-table__cell">Completed</td>') == 4


def test_recording_again_updates_the_outcome_and_its_history(client, group, members, hub_lead):
    client.force_login(hub_lead)
    client.post(url(group), post_data(members, suggested=SUGGESTED))
    school = members[2].school
    first = Participation.objects.get(school=school)
    assert first.outcome == Outcome.COMPLETED

    # The form now starts from what was recorded.
    form = client.get(url(group)).context["form"]
    assert form[f"outcome-{members[2].pk}"].value() == Outcome.COMPLETED
    data = post_data(
        members,
        outcomes={2: Outcome.WITHDRAWN},
        reasons={2: "The school closed its Year 4 class"},
        suggested=SUGGESTED,
    )
    assert client.post(url(group), data).status_code == 302
    again = Participation.objects.get(school=school)
    assert again.pk == first.pk
    assert (again.outcome, again.note) == (Outcome.WITHDRAWN, "The school closed its Year 4 class")
    assert [h.outcome for h in again.history.order_by("history_date")] == [
        Outcome.COMPLETED,
        Outcome.WITHDRAWN,
    ]
    # The override and its reason are what the form offers next time, and saving
    # the same choices again adds no history.
    form = client.get(url(group)).context["form"]
    assert form[f"reason-{members[2].pk}"].value() == "The school closed its Year 4 class"
    assert client.post(url(group), data).status_code == 302
    assert again.history.count() == 2
    assert Participation.objects.filter(stage=group.stage, year=group.year).count() == 4


def test_a_completed_development_group_makes_the_school_eligible_for_embedding(
    client, group, members, hub_lead
):
    embedding, next_year = stage("emb"), year(2027)

    def codes(member):
        return check_eligibility(
            school=member.school, stage=embedding, year=next_year, today=date(2027, 3, 1)
        ).codes

    assert Code.PREREQUISITE_NOT_MET in codes(members[0])
    client.force_login(hub_lead)
    client.post(url(group), post_data(members, suggested=SUGGESTED))
    assert Code.PREREQUISITE_NOT_MET not in codes(members[0])
    # The school that did not complete still may not.
    assert Code.PREREQUISITE_NOT_MET in codes(members[1])


def test_the_page_costs_the_same_queries_for_three_schools_as_for_seven(
    client, hub, lead, hub_lead
):
    small = group_with_schools(hub, schools=3, lead=lead)
    hold_meetings(small, lead, {0: 1})
    large = group_with_schools(hub, schools=7, lead=lead)
    large_members = hold_meetings(large, lead, {0: 1, 5: 3})
    client.force_login(hub_lead)
    # One outcome already recorded in the large group.
    client.post(
        url(large),
        post_data(
            large_members,
            suggested=[row.suggested for row in client.get(url(large)).context["completion"].rows],
        ),
    )
    client.get(url(small))
    with CaptureQueriesContext(connection) as three:
        response = client.get(url(small))
    assert len(response.context["completion"].rows) == 3
    with CaptureQueriesContext(connection) as seven:
        response = client.get(url(large))
    assert len(response.context["completion"].rows) == 7
    assert len(seven.captured_queries) == len(three.captured_queries)


def test_the_cohort_page_links_each_group_to_its_page_and_to_its_outcomes(
    client, group, members, hub_lead, national_admin
):
    cohort = reverse("applications:cohort", args=["dwg", "2026-27"])
    client.force_login(hub_lead)
    page = client.get(cohort).content.decode()
    assert f'href="{reverse("groups:detail", args=[group.pk])}"' in page
    assert f'href="{url(group)}"' in page
    # National admins look at the cohort but do not record outcomes.
    client.force_login(national_admin)
    page = client.get(cohort).content.decode()
    assert f'href="{url(group)}"' not in page


def test_a_refusal_for_one_school_undoes_the_schools_saved_before_it(
    client, group, members, hub_lead, monkeypatch
):
    """The form checks what it can; a service may still refuse (e.g. the rows changed
    meanwhile). Then nothing is saved, not even the schools recorded before."""
    record = services.completion_record

    def refuse_the_third(*, member, **kwargs):
        if member.pk == members[2].pk:
            raise ValidationError("The school's hub has changed.")
        return record(member=member, **kwargs)

    monkeypatch.setattr(services, "completion_record", refuse_the_third)
    client.force_login(hub_lead)
    response = client.post(url(group), post_data(members, suggested=SUGGESTED))
    assert response.status_code == 200
    assert f"{members[2].school.name}: The school&#x27;s hub has changed." in (
        response.content.decode()
    )
    assert not Participation.objects.exists()
