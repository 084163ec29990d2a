"""Sweeps find what is due, in a fixed number of queries, and plan each notice once."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hubportal.notices import services, sweeps
from hubportal.notices.models import Notice, NoticeKind, NoticeState
from tests.factories import (
    ClaimWindowFactory,
    HeadteacherFactory,
    HubLeadFactory,
    MeetingFactory,
    SchoolFactory,
    SpecialistFactory,
    group_with_schools,
    ready_claim,
    stage,
    year,
)
from workgroups import services as workgroups
from workgroups.models import ApplicationWindow, Outcome, Participant

pytestmark = pytest.mark.django_db
K = NoticeKind


def at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


@pytest.fixture
def lead(hub):
    return SpecialistFactory(hub=hub).user


@pytest.fixture
def group(hub, lead):
    return group_with_schools(hub, lead=lead)


def plan_and_count(plans) -> dict[str, int]:
    services.notice_plan(plans)
    counts: dict[str, int] = {}
    for kind in Notice.objects.values_list("kind", flat=True):
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def test_reminders_go_seven_days_and_one_day_before_to_participants_and_specialist(group):
    meeting = MeetingFactory(work_group=group, date=date(2026, 12, 8))
    participants = Participant.objects.filter(application__group_member__work_group=group)
    expected = participants.count() + 1
    assert expected == 15  # 7 schools × 2 teachers, and the specialist

    assert sweeps.meeting_reminders(at(date(2026, 11, 30))) == []  # 8 days before: nothing
    week = sweeps.meeting_reminders(at(date(2026, 12, 1)))
    assert {p.occasion for p in week} == {"7d-20261208-1300"}
    assert plan_and_count(week) == {K.MEETING_REMINDER: expected}
    # The next sweep the same week plans nothing new; the day before, the 1-day reminder.
    assert plan_and_count(sweeps.meeting_reminders(at(date(2026, 12, 3)))) == {
        K.MEETING_REMINDER: expected
    }
    day = sweeps.meeting_reminders(at(date(2026, 12, 7)))
    assert {p.occasion for p in day} == {"1d-20261208-1300"}
    assert plan_and_count(day) == {K.MEETING_REMINDER: 2 * expected}
    # By school, so that a hub lead sees what each school's teachers were sent.
    assert Notice.objects.filter(school__isnull=False).count() == 2 * (expected - 1)
    assert Notice.objects.filter(meeting=meeting).count() == 2 * expected


def test_a_rescheduled_meeting_is_reminded_afresh_and_a_cancelled_one_not_at_all(group, lead):
    meeting = MeetingFactory(work_group=group, date=date(2026, 12, 8))
    services.notice_plan(sweeps.meeting_reminders(at(date(2026, 12, 1))))
    moved = workgroups.MeetingPlan(
        date(2026, 12, 10), time(9, 0), time(12, 0), online_link="https://meet.example.org/x"
    )
    workgroups.meeting_reschedule(actor=lead, meeting=meeting, plan=moved, reason="Snow")

    plans = sweeps.meeting_reminders(at(date(2026, 12, 3)))
    assert {p.occasion for p in plans} == {"7d-20261210-0900"}

    other = MeetingFactory(work_group=group, date=date(2026, 12, 9))
    workgroups.meeting_cancel(actor=lead, meeting=other, reason="Ofsted visit")
    assert {p.subject_id for p in sweeps.meeting_reminders(at(date(2026, 12, 3)))} == {meeting.pk}


def test_changes_and_cancellations_are_planned_with_the_old_time(
    group, lead, django_capture_on_commit_callbacks
):
    meeting = MeetingFactory(work_group=group, date=date(2026, 12, 8))
    moved = workgroups.MeetingPlan(
        date(2026, 12, 10), time(9, 0), time(12, 0), online_link="https://meet.example.org/x"
    )
    with django_capture_on_commit_callbacks():
        workgroups.meeting_reschedule(actor=lead, meeting=meeting, plan=moved, reason="Snow")
    changed = Notice.objects.filter(kind=K.MEETING_CHANGED)
    assert changed.count() == 15
    assert changed.first().context == {
        "was": "Tuesday 8 December 2026, 13:00 to 16:00, online",
        "reason": "Snow",
    }
    with django_capture_on_commit_callbacks():
        workgroups.meeting_cancel(actor=lead, meeting=meeting, reason="Ofsted visit")
    assert Notice.objects.filter(kind=K.MEETING_CANCELLED).count() == 15


def test_log_nudges_go_to_the_specialist_then_to_the_hub_leads(group, lead, hub):
    leads = [HubLeadFactory(hub=hub).user for _ in range(2)]
    meeting = MeetingFactory(work_group=group, date=date(2026, 11, 2))

    assert sweeps.log_nudges(at(date(2026, 11, 4), 15)) == []  # under 2 days after its end
    due = sweeps.log_nudges(at(date(2026, 11, 5)))
    assert [(p.kind, [r.email for r in p.recipients]) for p in due] == [(K.LOG_DUE, [lead.email])]
    late = sweeps.log_nudges(at(date(2026, 11, 10)))
    assert {r.email for p in late if p.kind == K.LOG_OVERDUE for r in p.recipients} == {
        u.email for u in leads
    }

    workgroups.meeting_log_attendance(
        actor=lead,
        meeting=meeting,
        statuses={p.pk: "present" for p in workgroups.meeting_participants(meeting)},
        now=at(date(2026, 11, 10)),
    )
    assert sweeps.log_nudges(at(date(2026, 11, 11))) == []


def test_sweep_queries_do_not_grow_with_the_number_of_meetings(hub, lead):
    def sweep_queries(groups: int) -> int:
        Notice.objects.all().delete()
        for _ in range(groups):
            group = group_with_schools(hub, lead=lead)
            MeetingFactory(work_group=group, date=date(2026, 12, 8))
            MeetingFactory(work_group=group, date=date(2026, 11, 1))
        with CaptureQueriesContext(connection) as queries:
            plans = [
                *sweeps.meeting_reminders(at(date(2026, 12, 2))),
                *sweeps.log_nudges(at(date(2026, 12, 2))),
            ]
            services.notice_plan(plans)
        return len(queries)

    assert sweep_queries(1) == sweep_queries(3)


def test_window_opening_tells_eligible_schools_priority_first(hub, school, other_school):
    head = HeadteacherFactory(school=school).user
    HeadteacherFactory(school=other_school)  # another hub: its window has not opened
    priority_school = SchoolFactory(hub=hub, name="Birch Primary School")
    priority_head = HeadteacherFactory(school=priority_school).user
    workgroups.participation_record(
        actor=HubLeadFactory(hub=hub).user,
        school=priority_school,
        stage=stage("mr"),
        year=year(2025),
        outcome=Outcome.COMPLETED,
    )
    ApplicationWindow.objects.create(
        hub=hub,
        stage=stage("dwg"),
        year=year(2026),
        opens=date(2026, 11, 23),
        closes=date(2027, 1, 31),
        target_places=14,
    )

    plans = {p.recipients[0].email: p for p in sweeps.windows_opening(date(2026, 11, 23))}

    assert set(plans) == {head.email, priority_head.email}
    assert plans[priority_head.email].context["priority"] is True
    assert plans[priority_head.email].due_at < plans[head.email].due_at
    assert sweeps.windows_opening(date(2026, 11, 27)) == []  # long open: no more notices


def test_claim_deadline_nudges_schools_with_an_entitlement_left(hub, school):
    from tests.factories import AcceptedApplicationFactory

    AcceptedApplicationFactory(school=school)  # a Development place: the grant and match
    head = HeadteacherFactory(school=school).user
    ClaimWindowFactory(hub=hub, closes=date(2027, 6, 30))

    assert sweeps.claim_deadlines(date(2027, 6, 15)) == []  # 15 days before
    [plan] = sweeps.claim_deadlines(date(2027, 6, 16))
    assert plan.occasion == "14d"
    assert plan.context["owed"] == ["the £1,000 Development grant", "textbook match funding"]
    assert [r.email for r in plan.recipients] == [head.email]

    from funding import services as funding

    grant = ready_claim(school, head, kind="grant")
    funding.claim_submit(actor=head, claim=grant, today=date(2027, 6, 20))
    [plan] = sweeps.claim_deadlines(date(2027, 6, 28))
    assert plan.occasion == "3d"
    assert plan.context["owed"] == ["textbook match funding"]


def test_a_completion_tells_the_headteacher_what_it_opens(
    group, hub, django_capture_on_commit_callbacks
):
    member = group.members.select_related("school").first()
    head = HeadteacherFactory(school=member.school).user
    with django_capture_on_commit_callbacks():
        workgroups.completion_record(
            actor=HubLeadFactory(hub=hub).user, member=member, outcome=Outcome.COMPLETED
        )
    notice = Notice.objects.get(kind=K.NEXT_STAGE)
    assert notice.email == head.email
    assert "Embedding" in " ".join(notice.context["opened"])
    assert "match funding" in " ".join(notice.context["opened"])
    assert notice.state == NoticeState.PENDING  # sent once the transaction commits


def test_the_reminder_offsets_are_a_setting(settings, group):
    settings.NOTICE_REMINDER_DAYS = [3]
    MeetingFactory(work_group=group, date=date(2026, 12, 8))
    assert sweeps.meeting_reminders(at(date(2026, 12, 4))) == []
    assert {p.occasion for p in sweeps.meeting_reminders(at(date(2026, 12, 5)))} == {
        "3d-20261208-1300"
    }


def test_the_laptop_loop_plans_and_sends_what_is_due(group, mailoutbox):
    from django.core.management import call_command

    meeting = MeetingFactory(work_group=group, date=timezone.localdate() + timedelta(days=3))

    call_command("send_notices")

    sent = Notice.objects.filter(meeting=meeting, state=NoticeState.SENT)
    assert sent.count() == 15
    assert len(mailoutbox) == 15
    assert all(m.attachments and m.attachments[0][0] == "meeting.ics" for m in mailoutbox)


def test_a_reminder_waiting_when_its_meeting_is_cancelled_or_moved_is_not_sent(
    group, lead, mailoutbox
):
    from hubportal.notices import tasks

    cancelled = MeetingFactory(work_group=group, date=date(2026, 12, 8))
    moved = MeetingFactory(work_group=group, date=date(2026, 12, 9))
    services.notice_plan(sweeps.meeting_reminders(at(date(2026, 12, 3))))
    workgroups.meeting_cancel(actor=lead, meeting=cancelled, reason="Ofsted visit")
    later = workgroups.MeetingPlan(
        date(2026, 12, 16), time(13, 0), time(16, 0), online_link="https://meet.example.org/x"
    )
    workgroups.meeting_reschedule(actor=lead, meeting=moved, plan=later, reason="Snow")

    reminders = Notice.objects.filter(kind=K.MEETING_REMINDER)
    for notice_id in reminders.values_list("pk", flat=True):
        tasks.send_notice(notice_id)

    assert set(reminders.values_list("state", flat=True)) == {NoticeState.DROPPED}
    assert {n.last_error for n in reminders} == {
        "The meeting was cancelled before its reminder went.",
        "The meeting moved before its reminder went.",
    }
    assert not [m for m in mailoutbox if "reminder" in m.subject.lower()]
