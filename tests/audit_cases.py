"""What each state-change service needs, and which history rows it must write.

tests/test_audit.py finds every public function of the service modules and looks it
up in the tables at the end of this module. A case builds the rows its service needs
with the factories (and the other services, as people would), calls the service once
through ``audit.call`` with a known person, and returns an ``Expect`` naming that
person and the rows whose newest history must carry them."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import models
from django.utils import timezone

from funding import assurance
from funding import services as funding
from funding.models import CheckOutcome, Claim, Evidence, MatchAllowance
from hubportal.accounts import services as accounts
from hubportal.accounts import support
from hubportal.accounts.models import Membership, Role, SupportSessionEnd
from hubportal.notices import services as notices
from hubportal.notices.models import Notice, NoticeKind, NoticePreference, NoticeState
from hubportal.privacy import retention
from schools import gias
from schools import services as schools
from schools.gias_sample import write_sample_file
from tests.factories import (
    DEMO_PASSWORD,
    AcceptedApplicationFactory,
    ApplicationWindowFactory,
    ClaimWindowFactory,
    DraftApplicationFactory,
    HeadteacherFactory,
    HubAreaFactory,
    HubFactory,
    HubLeadFactory,
    MeetingFactory,
    SchoolFactory,
    SpecialistFactory,
    SubmittedApplicationFactory,
    distinct_pdf_bytes,
    group_with_schools,
    pdf_upload,
    ready_claim,
    school_with_paid_claims,
    stage,
    year,
)
from workgroups.models import (
    Application,
    AttendanceStatus,
    CalendarFeed,
    Participant,
    Participation,
)
from workgroups.services import applications as programme
from workgroups.services import calendar, groups

TODAY = date(2026, 11, 23)


# ---------------------------------------------------------------------------
# Watching the history tables


def tracked_models() -> list[type[models.Model]]:
    """Every model with ``history = HistoricalRecords()``."""
    return [m for m in apps.get_models() if hasattr(m._meta, "simple_history_manager_attribute")]


def history_of(model: type[models.Model]):
    return getattr(model, model._meta.simple_history_manager_attribute).model


def history_marks() -> dict[type[models.Model], int]:
    """The newest history id of each tracked model: one query a model."""
    return {
        model: history_of(model).objects.aggregate(top=models.Max("history_id"))["top"] or 0
        for model in tracked_models()
    }


@dataclass
class Expect:
    """What a call must have written.

    ``actor``: who every history row written by the call names (None for a job).
    ``rows``: rows whose newest history the call wrote (a model instance, or
    (model, pk) for a row it deleted). ``reason``: the change reason on the first of
    them, where the service writes one; for a job, on every row it wrote."""

    actor: Any
    rows: list = field(default_factory=list)
    reason: str | None = None


class Audit:
    """Calls one service and keeps the history rows written while it ran."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.service: Callable | None = None
        self.marks: dict[type[models.Model], int] = {}
        self.written: list = []

    def call(self, service: Callable, /, **kwargs):
        if self.service is not None:
            raise AssertionError("A case calls its service once.")
        self.marks = history_marks()
        result = service(**kwargs)
        self.service = service
        self.written = [
            record
            for model, mark in self.marks.items()
            for record in history_of(model).objects.filter(history_id__gt=mark)
        ]
        return result

    def newest(self, row):
        """The newest history record the call wrote for ``row``, or None."""
        model, pk = row if isinstance(row, tuple) else (type(row), row.pk)
        return (
            history_of(model)
            .objects.filter(**{model._meta.pk.attname: pk}, history_id__gt=self.marks[model])
            .order_by("-history_id")
            .first()
        )


# ---------------------------------------------------------------------------
# The places and people most cases start from


def a_hub():
    hub = HubFactory()
    HubAreaFactory(hub=hub)
    return hub


@dataclass
class Place:
    hub: Any
    school: Any
    head: Any
    lead: Any


def a_school() -> Place:
    hub = a_hub()
    school = SchoolFactory(hub=hub)
    return Place(hub, school, HeadteacherFactory(school=school).user, HubLeadFactory(hub=hub).user)


def a_claiming_school() -> Place:
    """A school once accepted into a Development Work Group, with claims open."""
    place = a_school()
    ClaimWindowFactory(hub=place.hub)
    AcceptedApplicationFactory(school=place.school)
    return place


def a_submitted_claim(place: Place) -> Claim:
    return funding.claim_submit(
        actor=place.head, claim=ready_claim(place.school, place.head), today=TODAY
    )


def a_batch(place: Place):
    claim = funding.claim_approve(actor=place.lead, claim=a_submitted_claim(place))
    return funding.batch_create(actor=place.lead, hub=place.hub, year=claim.year, claims=[claim])


def a_group(schools: int = 2):
    """A hub, its lead, a specialist and a group of ``schools`` that the specialist leads."""
    hub = a_hub()
    specialist = SpecialistFactory(hub=hub).user
    return (
        hub,
        HubLeadFactory(hub=hub).user,
        specialist,
        group_with_schools(hub, schools=schools, lead=specialist),
    )


def a_plan(day: date = date(2026, 12, 2)) -> groups.MeetingPlan:
    return groups.MeetingPlan(
        date=day,
        starts_at=time(13, 0),
        ends_at=time(16, 0),
        online_link="https://meet.example.org/abc-defg-hij",
    )


def a_paid_claim():
    place = a_claiming_school()
    _school, _head, [claim] = school_with_paid_claims(place.hub, place.lead, match=1)
    return place, claim


def an_insufficient_check():
    place, claim = a_paid_claim()
    sample = assurance.sample_draw(actor=place.lead, hub=place.hub, year=claim.year, percent=100)
    check = assurance.sample_check_record(
        actor=place.lead,
        check=sample.checks.get(),
        outcome=CheckOutcome.INSUFFICIENT,
        notes="The file is a quotation, not an invoice",
    )
    return place, check


def a_clawback():
    place, check = an_insufficient_check()
    clawback = assurance.clawback_open(
        actor=place.lead, check=check, amount_pence=50_000, reason="The invoice was a quotation"
    )
    return place, clawback


def an_invitation(place: Place):
    return accounts.invitation_create(
        actor=place.lead,
        email="new.head@school.example.org",
        full_name="Ada Lovelace",
        role=Role.HEADTEACHER,
        school=place.school,
    )


def a_plan_of_notice(subject_id: int = 1) -> notices.Plan:
    return notices.Plan(
        kind=NoticeKind.APPLICATION,
        subject_type="application",
        subject_id=subject_id,
        occasion="submitted",
        recipients=[notices.Recipient(email="head@school.example.org", name="Pat Head")],
    )


_notice_subjects = itertools.count(1)


def a_notice_being_sent() -> Notice:
    subject = next(_notice_subjects)
    notices.notice_plan([a_plan_of_notice(subject)])
    notice = Notice.objects.get(subject_id=subject)
    return notices.notice_claim(notice.pk)


# ---------------------------------------------------------------------------
# Applications, windows and participation history


def application_start(audit):
    place = a_school()
    ApplicationWindowFactory(hub=place.hub)
    application = audit.call(
        programme.application_start,
        actor=place.head,
        school=place.school,
        stage=stage("dwg"),
        year=year(2026),
        today=TODAY,
    )
    return Expect(place.head, [application], "Started the application")


def application_save_answers(audit):
    place = a_school()
    draft = DraftApplicationFactory(school=place.school, created_by=place.head)
    audit.call(
        programme.application_save_answers,
        actor=place.head,
        application=draft,
        section="commitments",
        answers={"commit_reports": True},
    )
    return Expect(place.head, [draft], "Saved commitments")


def application_set_participants(audit):
    place = a_school()
    draft = DraftApplicationFactory(school=place.school, created_by=place.head)
    leaving = draft.participants.get(position=2).pk
    [kept] = audit.call(
        programme.application_set_participants,
        actor=place.head,
        application=draft,
        participants=[
            {"name": "Ada Byron", "email": "ada@school.example", "job_role": "Class teacher"}
        ],
    )
    return Expect(place.head, [kept, (Participant, leaving)], "Named the participants")


def application_submit(audit):
    place = a_school()
    ApplicationWindowFactory(hub=place.hub)
    draft = DraftApplicationFactory(school=place.school, created_by=place.head)
    audit.call(
        programme.application_submit,
        actor=place.head,
        application=draft,
        declaration=True,
        today=TODAY,
    )
    return Expect(place.head, [draft], "Submitted the application")


def application_withdraw(audit):
    place = a_school()
    submitted = SubmittedApplicationFactory(school=place.school, created_by=place.head)
    audit.call(
        programme.application_withdraw,
        actor=place.head,
        application=submitted,
        reason="Our maths lead has left",
    )
    return Expect(place.head, [submitted], "Our maths lead has left")


def application_accept(audit):
    place = a_school()
    submitted = SubmittedApplicationFactory(school=place.school)
    audit.call(programme.application_accept, actor=place.lead, application=submitted)
    return Expect(place.lead, [submitted], "Decision: Accepted")


def application_waitlist(audit):
    place = a_school()
    submitted = SubmittedApplicationFactory(school=place.school)
    audit.call(
        programme.application_waitlist,
        actor=place.lead,
        application=submitted,
        reason="Places are full",
    )
    return Expect(place.lead, [submitted], "Places are full")


def application_decline(audit):
    place = a_school()
    submitted = SubmittedApplicationFactory(school=place.school)
    audit.call(
        programme.application_decline,
        actor=place.lead,
        application=submitted,
        reason="Outside the hub's area",
    )
    return Expect(place.lead, [submitted], "Outside the hub's area")


def application_accept_many(audit):
    place = a_school()
    both = [
        SubmittedApplicationFactory(school=place.school),
        SubmittedApplicationFactory(school=SchoolFactory(hub=place.hub)),
    ]
    audit.call(programme.application_accept_many, actor=place.lead, applications=both)
    return Expect(place.lead, both, "Decision: Accepted")


def window_save(audit):
    place = a_school()
    window = audit.call(
        programme.window_save,
        actor=place.lead,
        hub=place.hub,
        stage=stage("dwg"),
        year=year(2026),
        opens=date(2026, 9, 1),
        closes=date(2027, 7, 31),
        target_places=14,
    )
    return Expect(place.lead, [window], "Saved the window")


def window_open_now(audit):
    place = a_school()
    window = ApplicationWindowFactory(
        hub=place.hub, opens=date(2027, 1, 4), closes=date(2027, 2, 1)
    )
    audit.call(programme.window_open_now, actor=place.lead, window=window, today=TODAY)
    return Expect(place.lead, [window], "Saved the window")


def window_close_now(audit):
    place = a_school()
    window = ApplicationWindowFactory(hub=place.hub)
    audit.call(programme.window_close_now, actor=place.lead, window=window, today=TODAY)
    return Expect(place.lead, [window], "Saved the window")


def participation_record(audit):
    place = a_school()
    participation = audit.call(
        programme.participation_record,
        actor=place.lead,
        school=place.school,
        stage=stage("dwg"),
        year=year(2019),
        outcome="completed",
    )
    return Expect(place.lead, [participation], "Recorded completed (form)")


def participation_import_csv(audit):
    place = a_school()
    data = f"URN,stage,year,outcome\r\n{place.school.urn},DWG,2019/20,completed\r\n"
    audit.call(
        programme.participation_import_csv, actor=place.lead, hub=place.hub, data=data.encode()
    )
    participation = Participation.objects.get(school=place.school)
    return Expect(place.lead, [participation], "Recorded completed (csv)")


# ---------------------------------------------------------------------------
# Work groups, meetings, attendance and completions


def workgroup_confirm_formation(audit):
    place = a_school()
    specialist = SpecialistFactory(hub=place.hub).user
    accepted = [AcceptedApplicationFactory(school=SchoolFactory(hub=place.hub)) for _ in range(2)]
    [group] = audit.call(
        groups.workgroup_confirm_formation,
        actor=place.lead,
        hub=place.hub,
        stage=stage("dwg"),
        year=year(2026),
        groups=[([a.school_id for a in accepted], specialist)],
    )
    return Expect(place.lead, [group, *group.members.all()], "Formed the group")


def workgroup_move_school(audit):
    hub, lead, specialist, first = a_group()
    second = group_with_schools(hub, schools=2, lead=specialist)
    member = first.members.first()
    audit.call(groups.workgroup_move_school, actor=lead, member=member, to_group=second)
    return Expect(lead, [member], f"Moved from {first.code} to {second.code}")


def workgroup_assign_lead(audit):
    hub, lead, _specialist, group = a_group()
    other = SpecialistFactory(hub=hub).user
    audit.call(groups.workgroup_assign_lead, actor=lead, work_group=group, lead=other)
    return Expect(lead, [group], f"Lead: {other}")


def participant_replace(audit):
    _hub, _lead, _specialist, group = a_group()
    application = group.members.first().application
    head = HeadteacherFactory(school=application.school).user
    participant = application.participants.first()
    audit.call(
        groups.participant_replace,
        actor=head,
        participant=participant,
        name="Grace Hopper",
        email="grace@school.example",
    )
    return Expect(head, [participant], "Replaced the participant")


def meeting_schedule_series(audit):
    _hub, _lead, specialist, group = a_group()
    meetings = audit.call(
        groups.meeting_schedule_series,
        actor=specialist,
        work_group=group,
        plans=[a_plan(date(2026, 12, 2)), a_plan(date(2027, 1, 13))],
    )
    return Expect(specialist, meetings, "Scheduled")


def meeting_reschedule(audit):
    _hub, lead, _specialist, group = a_group()
    meeting = MeetingFactory(work_group=group, date=date(2026, 12, 2))
    audit.call(
        groups.meeting_reschedule,
        actor=lead,
        meeting=meeting,
        plan=a_plan(date(2026, 12, 9)),
        reason="The hall is booked",
    )
    return Expect(lead, [meeting], "Rescheduled: The hall is booked")


def meeting_cancel(audit):
    _hub, _lead, specialist, group = a_group()
    meeting = MeetingFactory(work_group=group, date=date(2026, 12, 2))
    audit.call(groups.meeting_cancel, actor=specialist, meeting=meeting, reason="Snow")
    return Expect(specialist, [meeting], "Cancelled: Snow")


def meeting_log_attendance(audit):
    _hub, _lead, specialist, group = a_group()
    meeting = MeetingFactory(work_group=group, date=date(2026, 10, 7))
    statuses = {p.pk: AttendanceStatus.PRESENT for p in groups.meeting_participants(meeting)}
    audit.call(
        groups.meeting_log_attendance,
        actor=specialist,
        meeting=meeting,
        statuses=statuses,
        now=timezone.now(),
    )
    return Expect(specialist, [meeting, *meeting.attendance.all()], "Logged attendance")


def completion_record(audit):
    _hub, lead, _specialist, group = a_group()
    participation = audit.call(
        groups.completion_record,
        actor=lead,
        member=group.members.first(),
        outcome="did_not_complete",
        suggested="completed",
        reason="Missed four of six meetings",
    )
    return Expect(lead, [participation], "Recorded did_not_complete (completion)")


# ---------------------------------------------------------------------------
# Claims, evidence, batches, budgets and claim windows


def claim_start(audit):
    place = a_claiming_school()
    claim = audit.call(
        funding.claim_start, actor=place.head, school=place.school, kind="grant", today=TODAY
    )
    return Expect(place.head, [claim], "Started the claim")


def claim_save(audit):
    place = a_claiming_school()
    claim = funding.claim_start(actor=place.head, school=place.school, kind="grant", today=TODAY)
    audit.call(funding.claim_save, actor=place.head, claim=claim, conditions_accepted=True)
    return Expect(place.head, [claim], "Saved answers")


def evidence_add(audit):
    place = a_claiming_school()
    claim = funding.claim_start(actor=place.head, school=place.school, kind="match", today=TODAY)
    evidence = audit.call(
        funding.evidence_add,
        actor=place.head,
        claim=claim,
        upload=pdf_upload(content=distinct_pdf_bytes()),
    )
    return Expect(place.head, [evidence], "Added evidence")


def evidence_remove(audit):
    place = a_claiming_school()
    evidence = ready_claim(place.school, place.head).evidence.get()
    removed = evidence.pk
    audit.call(funding.evidence_remove, actor=place.head, evidence=evidence)
    return Expect(place.head, [(Evidence, removed)])


def claim_submit(audit):
    place = a_claiming_school()
    claim = ready_claim(place.school, place.head)
    audit.call(funding.claim_submit, actor=place.head, claim=claim, today=TODAY)
    return Expect(place.head, [claim], "Submitted")


def claim_approve(audit):
    place = a_claiming_school()
    claim = a_submitted_claim(place)
    audit.call(funding.claim_approve, actor=place.lead, claim=claim)
    allowance = MatchAllowance.objects.get(school=place.school)
    return Expect(place.lead, [claim, allowance], "Approved £1,500.00")


def claim_return(audit):
    place = a_claiming_school()
    claim = a_submitted_claim(place)
    audit.call(
        funding.claim_return,
        actor=place.lead,
        claim=claim,
        reason="The invoice is not legible",
        fields=["evidence"],
    )
    return Expect(place.lead, [claim], "Returned: The invoice is not legible")


def claim_reject(audit):
    place = a_claiming_school()
    claim = a_submitted_claim(place)
    audit.call(funding.claim_reject, actor=place.lead, claim=claim, reason="Not an approved scheme")
    return Expect(place.lead, [claim], "Rejected: Not an approved scheme")


def batch_create(audit):
    place = a_claiming_school()
    claim = funding.claim_approve(actor=place.lead, claim=a_submitted_claim(place))
    batch = audit.call(
        funding.batch_create, actor=place.lead, hub=place.hub, year=claim.year, claims=[claim]
    )
    return Expect(place.lead, [batch, claim], "Created with 1 claims")


def batch_mark_paid(audit):
    place = a_claiming_school()
    batch = a_batch(place)
    audit.call(funding.batch_mark_paid, actor=place.lead, batch=batch)
    return Expect(place.lead, [batch, *batch.claims.all()], "Marked paid")


def budget_set(audit):
    place = a_school()
    budget = audit.call(
        funding.budget_set,
        actor=place.lead,
        hub=place.hub,
        year=year(2026),
        allocation_pence=2_500_000,
    )
    return Expect(place.lead, [budget], "Set the allocation")


def claim_window_set(audit):
    place = a_claiming_school()
    window = audit.call(
        funding.claim_window_set,
        actor=place.lead,
        hub=place.hub,
        year=year(2026),
        opens=date(2026, 10, 1),
        closes=date(2027, 5, 31),
    )
    return Expect(place.lead, [window], "Set the claim window")


# ---------------------------------------------------------------------------
# Assurance: samples, checks and clawbacks


def sample_draw(audit):
    place, claim = a_paid_claim()
    sample = audit.call(
        assurance.sample_draw, actor=place.lead, hub=place.hub, year=claim.year, percent=100, seed=5
    )
    return Expect(
        place.lead, [sample, sample.checks.get()], "Drew 1 of 1 paid claims (100%, seed 5)"
    )


def sample_check_record(audit):
    place, claim = a_paid_claim()
    sample = assurance.sample_draw(actor=place.lead, hub=place.hub, year=claim.year, percent=100)
    check = audit.call(
        assurance.sample_check_record,
        actor=place.lead,
        check=sample.checks.get(),
        outcome=CheckOutcome.CONFIRMED,
    )
    return Expect(place.lead, [check], "Outcome: Evidence confirmed")


def clawback_open(audit):
    place, check = an_insufficient_check()
    clawback = audit.call(
        assurance.clawback_open,
        actor=place.lead,
        check=check,
        amount_pence=50_000,
        reason="The invoice was a quotation",
    )
    return Expect(place.lead, [clawback], "Requested £500.00 back")


def clawback_recover(audit):
    place, clawback = a_clawback()
    audit.call(assurance.clawback_recover, actor=place.lead, clawback=clawback)
    allowance = MatchAllowance.objects.get(school=clawback.claim.school)
    return Expect(place.lead, [clawback, allowance], "Recovered £500.00")


def clawback_waive(audit):
    place, clawback = a_clawback()
    audit.call(
        assurance.clawback_waive,
        actor=place.lead,
        clawback=clawback,
        reason="The school sent the real invoice",
    )
    return Expect(place.lead, [clawback], "Waived: The school sent the real invoice")


# ---------------------------------------------------------------------------
# Calendar addresses


def calendar_feed_create(audit):
    place = a_school()
    audit.call(calendar.calendar_feed_create, actor=place.head)
    feed = CalendarFeed.objects.get(user=place.head)
    return Expect(place.head, [feed], "Made a calendar address")


def calendar_feed_renew(audit):
    place = a_school()
    CalendarFeed.objects.create(user=place.head)
    audit.call(calendar.calendar_feed_renew, actor=place.head)
    feed = CalendarFeed.objects.get(user=place.head)
    return Expect(place.head, [feed], "Replaced the calendar address")


# ---------------------------------------------------------------------------
# Email preferences


def preference_save(audit):
    place = a_school()
    audit.call(
        notices.preference_save,
        actor=place.head,
        reminders=False,
        opportunities=True,
        deadlines=True,
    )
    preference = NoticePreference.objects.get(email=place.head.email.lower())
    return Expect(place.head, [preference], "Chose which optional emails to get")


def teacher_reminders_save(audit):
    place = a_school()
    application = AcceptedApplicationFactory(school=place.school)
    teacher = application.participants.order_by("position").first()
    audit.call(notices.teacher_reminders_save, actor=place.head, school=place.school, on=[])
    preference = NoticePreference.objects.get(email=teacher.email.lower())
    return Expect(
        place.head,
        [preference],
        f"Turned meeting reminders off for a teacher of {place.school.name}",
    )


# ---------------------------------------------------------------------------
# Invitations and viewing as someone else


def invitation_create(audit):
    place = a_school()
    earlier, _token = an_invitation(place)
    invitation, _token = audit.call(
        accounts.invitation_create,
        actor=place.lead,
        email="new.head@school.example.org",
        full_name="Ada Lovelace",
        role=Role.HEADTEACHER,
        school=place.school,
    )
    # The earlier link stops working, and the history says who replaced it.
    return Expect(place.lead, [invitation, earlier])


def invitation_accept(audit):
    place = a_school()
    invitation, token = an_invitation(place)
    person = audit.call(accounts.invitation_accept, token=token, password=DEMO_PASSWORD)
    membership = Membership.objects.get(user=person, role=Role.HEADTEACHER)
    # Nobody is signed in yet: the person taking up the invitation is the actor.
    return Expect(person, [invitation, membership])


def support_start(audit):
    place = a_school()
    membership = Membership.objects.get(user=place.head)
    session = audit.call(support.support_start, actor=place.lead, membership=membership)
    return Expect(place.lead, [session], f"Started viewing as {membership.user} ({membership})")


def support_stop(audit):
    place = a_school()
    membership = Membership.objects.get(user=place.head)
    session = support.support_start(actor=place.lead, membership=membership)
    audit.call(
        support.support_stop,
        actor=place.lead,
        support_session=session,
        how=SupportSessionEnd.STOPPED,
    )
    return Expect(
        place.lead, [session], f"Ended viewing as {membership.user}: stopped by the viewer"
    )


# ---------------------------------------------------------------------------
# Jobs with no person behind them


def school_hubs_refresh(audit):
    hub = a_hub()
    SchoolFactory(hub=None, la_code=hub.areas.get().la_code)
    assert audit.call(schools.school_hubs_refresh) == 1
    return Expect(None)


def gias_import(audit):
    path = write_sample_file(audit.tmp_path / "extract.csv", rows=5)
    assert audit.call(gias.gias_import, path=path).created == 5
    return Expect(None)


def schemes_ensure(audit):
    assert audit.call(funding.schemes_ensure, year=year(2031))
    return Expect(None)


def clawback_notice_send(audit):
    _place, clawback = a_clawback()
    audit.call(assurance.clawback_notice_send, clawback_id=clawback.pk)
    return Expect(None, [clawback], "Notice sent to the headteacher")


def invitation_send(audit):
    invitation, token = an_invitation(a_school())
    audit.call(accounts.invitation_send, invitation_id=invitation.pk, token=token)
    return Expect(None, [invitation], "Invitation mail sent")


def notice_plan(audit):
    assert audit.call(notices.notice_plan, plans=[a_plan_of_notice()]) == 1
    return Expect(None)


def notice_plan_on_commit(audit):
    audit.call(notices.notice_plan_on_commit, plans=[a_plan_of_notice()])
    return Expect(None)


def notice_claim(audit):
    notices.notice_plan([a_plan_of_notice()])
    assert audit.call(notices.notice_claim, notice_id=Notice.objects.get().pk) is not None
    return Expect(None)


def notice_sent(audit):
    audit.call(notices.notice_sent, notice=a_notice_being_sent())
    return Expect(None)


def notice_failed(audit):
    audit.call(notices.notice_failed, notice=a_notice_being_sent(), error="Refused", final=True)
    return Expect(None)


def notice_dropped(audit):
    audit.call(notices.notice_dropped, notice=a_notice_being_sent(), why="The meeting moved")
    return Expect(None)


def notice_recover(audit):
    notice = a_notice_being_sent()
    Notice.objects.filter(pk=notice.pk).update(claimed_at=timezone.now() - timedelta(days=1))
    audit.call(notices.notice_recover, was_delivered=lambda _notice: False)
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.PENDING
    return Expect(None)


def _retired_links_reason() -> str:
    return (
        f"Retention rule RETENTION_INVITATION_DAYS: link retired "
        f"{settings.RETENTION_INVITATION_DAYS} days after the invitation was used or expired"
    )


def _stale_drafts_reason() -> str:
    return (
        f"Retention rule RETENTION_DRAFT_DAYS: draft not changed for "
        f"{settings.RETENTION_DRAFT_DAYS} days, deleted"
    )


def _after_invitations_retire():
    return timezone.now() + timedelta(days=settings.RETENTION_INVITATION_DAYS + 30)


def _after_drafts_go():
    return timezone.now() + timedelta(days=settings.RETENTION_DRAFT_DAYS + 1)


def invitation_tokens(audit):
    invitation, _token = an_invitation(a_school())
    assert audit.call(retention.invitation_tokens, now=_after_invitations_retire(), dry_run=False)
    return Expect(None, [invitation], _retired_links_reason())


def expired_sessions(audit):
    SessionStore().create()
    assert audit.call(
        retention.expired_sessions,
        now=timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 60),
        dry_run=False,
    )
    return Expect(None)


def draft_applications(audit):
    draft = DraftApplicationFactory(school=a_school().school)
    teachers = [(Participant, pk) for pk in draft.participants.values_list("pk", flat=True)]
    assert audit.call(retention.draft_applications, now=_after_drafts_go(), dry_run=False)
    return Expect(None, [(Application, draft.pk), *teachers], _stale_drafts_reason())


def draft_claims(audit):
    place = a_claiming_school()
    claim = funding.claim_start(actor=place.head, school=place.school, kind="match", today=TODAY)
    evidence = funding.evidence_add(
        actor=place.head, claim=claim, upload=pdf_upload(content=distinct_pdf_bytes())
    )
    assert audit.call(retention.draft_claims, now=_after_drafts_go(), dry_run=False) == (1, 1)
    return Expect(None, [(Claim, claim.pk), (Evidence, evidence.pk)], _stale_drafts_reason())


def paid_claim_evidence_files(audit):
    _place, claim = a_paid_claim()
    years = settings.RETENTION_EVIDENCE_YEARS
    later = timezone.now().replace(year=timezone.now().year + years + 1, month=1, day=1)
    assert audit.call(retention.paid_claim_evidence_files, now=later, dry_run=False) == 1
    return Expect(
        None,
        [claim.evidence.get()],
        f"{retention.EVIDENCE_REASON_PREFIX}: file deleted from storage {years} years after "
        "the claim was paid; its name, size and SHA-256 are kept",
    )


def retention_apply(audit):
    invitation, _token = an_invitation(a_school())
    counts = audit.call(retention.retention_apply, now=_after_invitations_retire())
    assert counts["invitation_tokens"] == 1
    return Expect(None, [invitation], _retired_links_reason())


# ---------------------------------------------------------------------------
# The tables


def _name(case: Callable, module) -> str:
    return f"{module.__name__}.{case.__name__}"


def _table(module, *cases: Callable) -> dict[str, Callable]:
    return {_name(case, module): case for case in cases}


# Services a person uses: the history must name them.
CASES: dict[str, Callable[[Audit], Expect]] = {
    **_table(
        programme,
        application_start,
        application_save_answers,
        application_set_participants,
        application_submit,
        application_withdraw,
        application_accept,
        application_waitlist,
        application_decline,
        application_accept_many,
        window_save,
        window_open_now,
        window_close_now,
        participation_record,
        participation_import_csv,
    ),
    **_table(
        groups,
        workgroup_confirm_formation,
        workgroup_move_school,
        workgroup_assign_lead,
        participant_replace,
        meeting_schedule_series,
        meeting_reschedule,
        meeting_cancel,
        meeting_log_attendance,
        completion_record,
    ),
    **_table(
        funding,
        claim_start,
        claim_save,
        evidence_add,
        evidence_remove,
        claim_submit,
        claim_approve,
        claim_return,
        claim_reject,
        batch_create,
        batch_mark_paid,
        budget_set,
        claim_window_set,
    ),
    **_table(
        assurance,
        sample_draw,
        sample_check_record,
        clawback_open,
        clawback_recover,
        clawback_waive,
    ),
    **_table(accounts, invitation_create, invitation_accept),
    **_table(notices, preference_save, teacher_reminders_save),
    **_table(calendar, calendar_feed_create, calendar_feed_renew),
    **_table(support, support_start, support_stop),
}

# Jobs no person starts: any history they write names nobody and says which job wrote
# it (Expect.reason); a job whose Expect has no reason must write no history at all.
SYSTEM: dict[str, tuple[str, Callable[[Audit], Expect]]] = {
    _name(school_hubs_refresh, schools): (
        "Run by the GIAS import after every import; derives each school's hub from the areas.",
        school_hubs_refresh,
    ),
    _name(gias_import, gias): (
        "The GIAS extract import (manage.py import_gias), run on a schedule.",
        gias_import,
    ),
    _name(schemes_ensure, funding): (
        "Gives a year its approved schemes (shared reference data) when a window is set.",
        schemes_ensure,
    ),
    _name(clawback_notice_send, assurance): (
        "The send_clawback_notice job mails the headteachers once a clawback is opened.",
        clawback_notice_send,
    ),
    _name(invitation_send, accounts): (
        "The send_invitation_email job mails the link once the invitation is saved.",
        invitation_send,
    ),
    _name(notice_plan, notices): (
        "Notice sending: the sweeps and the services plan notices in the ledger.",
        notice_plan,
    ),
    _name(notice_plan_on_commit, notices): (
        "Notice sending: plans inside a service's transaction and queues the dispatch.",
        notice_plan_on_commit,
    ),
    _name(notice_claim, notices): ("Notice sending: a worker takes a due notice.", notice_claim),
    _name(notice_sent, notices): ("Notice sending: a worker closes a sent notice.", notice_sent),
    _name(notice_failed, notices): (
        "Notice sending: a worker records a failed attempt.",
        notice_failed,
    ),
    _name(notice_dropped, notices): (
        "Notice sending: a worker drops a notice that is no longer true.",
        notice_dropped,
    ),
    _name(notice_recover, notices): (
        "Notice sending: dispatch_notices puts back notices a dead worker left.",
        notice_recover,
    ),
    _name(retention_apply, retention): (
        "The daily retention job (apply_retention); runs every rule below.",
        retention_apply,
    ),
    _name(invitation_tokens, retention): (
        "A rule of the retention job: retires old invitation links.",
        invitation_tokens,
    ),
    _name(expired_sessions, retention): (
        "A rule of the retention job: deletes expired sessions.",
        expired_sessions,
    ),
    _name(draft_applications, retention): (
        "A rule of the retention job: deletes stale draft applications.",
        draft_applications,
    ),
    _name(draft_claims, retention): (
        "A rule of the retention job: deletes stale draft claims.",
        draft_claims,
    ),
    _name(paid_claim_evidence_files, retention): (
        "A rule of the retention job: deletes old evidence files.",
        paid_claim_evidence_files,
    ),
}

# A person makes these changes, but the rows they change keep no history, so there is
# no history row to name them; each entry names the model, which the test checks is
# still untracked (once it gets a history, the service needs a case above).
NO_HISTORY_KEPT: dict[str, tuple[type[models.Model], str]] = {
    "hubportal.notices.services.notice_retry": (
        Notice,
        "The ledger row is the record: a retry stores who asked on it (retried_by).",
    ),
}

# Public functions of the service modules that change nothing.
NOT_STATE_CHANGES: dict[str, str] = {
    "workgroups.services.applications.application_tasks": "Reads the task list of a draft.",
    "workgroups.services.groups.meeting_participants": "Reads who is expected at a meeting.",
    "funding.services.grant_application": "Reads the acceptance that brings the grant.",
    "funding.services.match_eligible": "Reads whether a school may claim match funding.",
    "funding.services.match_remaining": "Reads what remains of a school's £2,000.",
    "funding.services.open_window": "Reads the hub's open claim window.",
    "funding.services.scheme_names_for": "Reads the names on a year's approved list.",
    "hubportal.audit.audited_save": (
        "The save every service audits with, not a change of its own: each service's "
        "case above proves it names the actor."
    ),
    "funding.services.claim_problems": "Reads what a claim lacks before it can be submitted.",
    "funding.services.budget_position": "Sums a hub's budget in SQL.",
    "funding.services.award_for": "Computes what an approval would pay.",
    "funding.assurance.invoice_key": "Normalises an invoice number.",
    "funding.assurance.duplicate_invoice_check": "Raises if an invoice is on another claim.",
    "funding.assurance.duplicate_invoice_guard": "Turns the database's refusal into a message.",
    "funding.assurance.school_lock": "Locks the school's row inside the caller's transaction.",
    "funding.assurance.duplicate_evidence_check": "Raises if a file is on another claim.",
    "funding.assurance.duplicate_problems": "Reads duplicate invoices and files of a claim.",
    "funding.assurance.similar_claims": "Reads claims of other schools that look alike.",
    "funding.assurance.can_draw": "A permission check.",
    "funding.assurance.can_check": "A permission check.",
    "funding.assurance.new_seed": "Makes up a random seed.",
    "funding.assurance.sample_size": "Arithmetic.",
    "funding.assurance.draw": "Chooses ids from a seed; writes nothing.",
    "funding.assurance.hub_for": "Reads the hub a hub lead acts for.",
    "funding.assurance.sample_years": "Selector for the samples page.",
    "funding.assurance.sample_list": "Selector for the samples page.",
    "funding.assurance.sample_checks": "Selector for a sample's checks.",
    "funding.assurance.clawback_list": "Selector for the clawbacks page.",
    "funding.assurance.clawback_totals": "Sums clawbacks in SQL.",
    "funding.assurance.school_clawbacks": "Selector for a headteacher's clawbacks.",
    "funding.assurance.history": "Reads a row's history.",
    "funding.assurance.with_assurance": "Annotates a claims queryset for the export.",
    "funding.assurance.assurance_columns": "Formats the export's assurance columns.",
    "hubportal.accounts.services.roles_invitable_by": "Reads which roles a person may invite.",
    "hubportal.accounts.services.invitation_for_token": "Reads the invitation of a link.",
    "hubportal.accounts.services.invitation_membership": "Reads the membership given.",
    "hubportal.accounts.services.user_for_email": "Reads the person owning an address.",
    "hubportal.accounts.support.viewable_memberships": "Selector: whom a person may view as.",
    "hubportal.accounts.support.may_view_as": "A permission check.",
    "hubportal.accounts.support.viewable_people": "Selector for the start page.",
    "hubportal.accounts.support.open_session": "Reads a running view-as.",
    "hubportal.accounts.support.ends_at": "Arithmetic on a view-as.",
    "hubportal.accounts.support.has_expired": "Arithmetic on a view-as.",
    "hubportal.accounts.support.remember": (
        "Writes the browser session only; the view-as row is support_start's."
    ),
    "hubportal.accounts.support.remembered_id": "Reads the browser session.",
    "hubportal.accounts.support.forget": (
        "Clears the browser session only; the view-as row is support_stop's."
    ),
    "hubportal.notices.services.person": "Builds a recipient from a user.",
    "hubportal.notices.services.headteachers_of": "Reads schools' headteachers.",
    "hubportal.notices.services.school_and": "Reads a school's recipients.",
    "hubportal.notices.services.turned_off": "Reads notice preferences.",
    "hubportal.notices.services.due_ids": "Reads the notices due.",
    "hubportal.notices.services.preference_for": "Reads (or makes, unsaved) a preference.",
    "hubportal.notices.services.school_teachers": "Reads a school's teachers.",
    "hubportal.privacy.services.personal_data": "Reads what the portal holds about a person.",
    "hubportal.privacy.services.as_json": "Formats a person's data as JSON.",
    "hubportal.privacy.services.as_zip": "Formats a person's data as a ZIP of CSV files.",
}
