"""Work-group services: forming groups, moving schools, meetings, attendance,
completions, and the withdrawal rule that the first meeting ends."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import (
    AcceptedApplicationFactory,
    HeadteacherFactory,
    SchoolFactory,
    SpecialistFactory,
    year,
)
from workgroups import services
from workgroups.eligibility import Code, check_eligibility
from workgroups.models import (
    AttendanceStatus,
    GroupMember,
    MeetingState,
    Participation,
    WorkGroup,
)
from workgroups.services import MeetingPlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(hub):
    return [AcceptedApplicationFactory(school=SchoolFactory(hub=hub)) for _ in range(7)]


@pytest.fixture
def lead(hub):
    return SpecialistFactory(hub=hub).user


@pytest.fixture
def group(hub, hub_lead, cohort, lead):
    first = cohort[0]
    [group] = services.workgroup_confirm_formation(
        actor=hub_lead,
        hub=hub,
        stage=first.stage,
        year=first.year,
        groups=[([a.school_id for a in cohort], lead)],
    )
    return group


def test_formation_creates_numbered_groups_with_readable_codes(group, cohort, hub_lead):
    assert group.code == "ABN-DWG-2627-01"
    assert group.members.count() == 7
    assert group.history.first().history_user == hub_lead


def test_a_school_is_in_one_group_per_cohort(group, cohort, hub, hub_lead):
    with pytest.raises(ValidationError, match="already in a group"):
        services.workgroup_confirm_formation(
            actor=hub_lead,
            hub=hub,
            stage=group.stage,
            year=group.year,
            groups=[([cohort[0].school_id], None)],
        )
    assert WorkGroup.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupMember.objects.create(
            work_group=group,
            school=cohort[0].school,
            application=AcceptedApplicationFactory(school=cohort[0].school, year=year(2027)),
            stage=group.stage,
            year=group.year,
        )


def test_formation_refuses_more_than_the_hard_maximum(hub, hub_lead):
    apps = [AcceptedApplicationFactory(school=SchoolFactory(hub=hub)) for _ in range(9)]
    with pytest.raises(ValidationError, match="at most 8"):
        services.workgroup_confirm_formation(
            actor=hub_lead,
            hub=hub,
            stage=apps[0].stage,
            year=apps[0].year,
            groups=[([a.school_id for a in apps], None)],
        )
    assert not WorkGroup.objects.exists()


def test_only_accepted_schools_and_only_the_hubs_leads(hub, hub_lead, other_hub_lead, cohort):
    stranger = SchoolFactory(hub=hub)
    with pytest.raises(ValidationError, match="Not accepted"):
        services.workgroup_confirm_formation(
            actor=hub_lead,
            hub=hub,
            stage=cohort[0].stage,
            year=cohort[0].year,
            groups=[([stranger.pk], None)],
        )
    with pytest.raises(PermissionDenied):
        services.workgroup_confirm_formation(
            actor=other_hub_lead,
            hub=hub,
            stage=cohort[0].stage,
            year=cohort[0].year,
            groups=[([cohort[0].school_id], None)],
        )


def test_the_lead_must_be_a_specialist_of_the_hub(group, hub_lead, other_hub):
    outsider = SpecialistFactory(hub=other_hub).user
    with pytest.raises(ValidationError):
        services.workgroup_assign_lead(actor=hub_lead, work_group=group, lead=outsider)


def six_plans(group):
    venue = group.members.first().school
    return [
        MeetingPlan(
            date(2026, 10, 1) + timedelta(weeks=6 * i), time(13, 0), time(16, 0), venue_school=venue
        )
        for i in range(6)
    ]


def test_the_lead_schedules_six_meetings_and_bad_plans_are_refused(group, lead):
    meetings = services.meeting_schedule_series(
        actor=lead, work_group=group, plans=six_plans(group)
    )
    assert len(meetings) == 6
    bad = MeetingPlan(date(2028, 1, 1), time(16, 0), time(13, 0))
    with pytest.raises(ValidationError) as error:
        services.meeting_schedule_series(actor=lead, work_group=group, plans=[bad])
    assert set(error.value.message_dict) == {"ends_at", "venue_school", "date"}
    assert group.meetings.count() == 6


def test_a_headteacher_cannot_schedule_or_log(group, lead, cohort):
    head = HeadteacherFactory(school=cohort[0].school).user
    with pytest.raises(PermissionDenied):
        services.meeting_schedule_series(actor=head, work_group=group, plans=six_plans(group))
    [meeting] = services.meeting_schedule_series(
        actor=lead, work_group=group, plans=six_plans(group)[:1]
    )
    with pytest.raises(PermissionDenied):
        services.meeting_log_attendance(actor=head, meeting=meeting, statuses={})


def test_logging_with_two_absences_and_correcting_within_fourteen_days(group, lead):
    [meeting] = services.meeting_schedule_series(
        actor=lead, work_group=group, plans=six_plans(group)[:1]
    )
    participants = services.meeting_participants(meeting)
    assert len(participants) == 14
    statuses = {p.pk: AttendanceStatus.PRESENT for p in participants}
    statuses[participants[0].pk] = AttendanceStatus.ABSENT
    statuses[participants[1].pk] = AttendanceStatus.APOLOGIES
    logged_at = timezone.make_aware(datetime(2026, 10, 2, 9))
    services.meeting_log_attendance(actor=lead, meeting=meeting, statuses=statuses, now=logged_at)
    meeting.refresh_from_db()
    assert meeting.logged_by == lead
    assert meeting.attendance.filter(status=AttendanceStatus.PRESENT).count() == 12

    statuses[participants[0].pk] = AttendanceStatus.PRESENT
    services.meeting_log_attendance(
        actor=lead, meeting=meeting, statuses=statuses, now=logged_at + timedelta(days=13)
    )
    corrected = meeting.attendance.get(participant=participants[0])
    assert corrected.status == AttendanceStatus.PRESENT
    assert corrected.history.first().history_change_reason == "Corrected"
    with pytest.raises(services.InvalidTransition):
        services.meeting_log_attendance(
            actor=lead, meeting=meeting, statuses=statuses, now=logged_at + timedelta(days=15)
        )


def test_a_meeting_cannot_be_logged_before_it_happens_or_with_someone_missing(group, lead):
    [meeting] = services.meeting_schedule_series(
        actor=lead, work_group=group, plans=six_plans(group)[:1]
    )
    participants = services.meeting_participants(meeting)
    before = timezone.make_aware(datetime(2026, 9, 30, 9))
    with pytest.raises(services.InvalidTransition):
        services.meeting_log_attendance(
            actor=lead,
            meeting=meeting,
            statuses={p.pk: "present" for p in participants},
            now=before,
        )
    with pytest.raises(ValidationError):
        services.meeting_log_attendance(
            actor=lead,
            meeting=meeting,
            statuses={p.pk: "present" for p in participants[1:]},
            now=before + timedelta(days=5),
        )


def test_reschedule_and_cancel_need_a_reason(group, lead):
    [meeting] = services.meeting_schedule_series(
        actor=lead, work_group=group, plans=six_plans(group)[:1]
    )
    moved = MeetingPlan(
        date(2026, 10, 8), time(9, 0), time(12, 0), online_link="https://meet.example.org/abn"
    )
    with pytest.raises(ValidationError):
        services.meeting_reschedule(actor=lead, meeting=meeting, plan=moved, reason=" ")
    services.meeting_reschedule(
        actor=lead, meeting=meeting, plan=moved, reason="Snow closed the school"
    )
    meeting.refresh_from_db()
    assert meeting.date == date(2026, 10, 8)
    services.meeting_cancel(actor=lead, meeting=meeting, reason="Specialist ill")
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.CANCELLED
    with pytest.raises(services.InvalidTransition):
        services.meeting_cancel(actor=lead, meeting=meeting, reason="again")


def test_completion_writes_history_and_opens_the_next_stage(group, hub_lead, cohort):
    member = group.members.get(school=cohort[0].school)
    with pytest.raises(ValidationError):
        services.completion_record(
            actor=hub_lead, member=member, outcome="did_not_complete", suggested="completed"
        )
    services.completion_record(
        actor=hub_lead, member=member, outcome="completed", suggested="completed"
    )
    participation = Participation.objects.get(school=member.school)
    assert participation.source == Participation.Source.COMPLETION
    from tests.factories import stage

    embedding = check_eligibility(
        school=member.school, stage=stage("emb"), year=year(2027), today=date(2027, 6, 1)
    )
    assert Code.PREREQUISITE_NOT_MET not in embedding.codes


def test_withdrawal_after_acceptance_ends_at_the_groups_first_meeting(group, lead, cohort):
    head = HeadteacherFactory(school=cohort[0].school).user
    [meeting] = services.meeting_schedule_series(
        actor=lead, work_group=group, plans=six_plans(group)[:1]
    )
    meeting.date = timezone.localdate()
    meeting.save()
    with pytest.raises(services.InvalidTransition, match="already met"):
        services.application_withdraw(actor=head, application=cohort[0], reason="Staff left")
    meeting.date = timezone.localdate() + timedelta(days=1)
    meeting.save()
    services.application_withdraw(actor=head, application=cohort[0], reason="Staff left")


def test_a_long_reason_is_kept_whole_in_the_audit_log(group, lead):
    """People may write a paragraph when they cancel; the history keeps all of it."""
    [meeting] = services.meeting_schedule_series(
        actor=lead, work_group=group, plans=six_plans(group)[:1]
    )
    reason = "The venue school closed for a burst water main; " * 10
    services.meeting_cancel(actor=lead, meeting=meeting, reason=reason)
    latest = meeting.history.latest()
    assert latest.history_change_reason == f"Cancelled: {reason.strip()}"
    assert latest.history_user == lead
