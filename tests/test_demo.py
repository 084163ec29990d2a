"""The demo data: every role can sign in and finds something to do."""

from collections import Counter
from datetime import date

import pytest
from django.core.management import call_command

from funding import services as funding
from funding.evidence import sniff
from funding.models import Claim, ClaimKind, ClaimState, Evidence, PaymentBatch
from hubportal import demo
from hubportal.accounts.models import Membership, Role, User
from schools.models import Hub, School
from workgroups.eligibility import Code, check_eligibility
from workgroups.models import (
    AcademicYear,
    Application,
    ApplicationState,
    ApplicationWindow,
    Attendance,
    AttendanceStatus,
    GroupMember,
    Meeting,
    MeetingState,
    Outcome,
    Participant,
    Participation,
    ProgrammeStage,
    WorkGroup,
)
from workgroups.selectors.completion import group_completion

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date(2026, 11, 23)


def _school_of(email):
    return Membership.objects.get(user__email=email, role=Role.HEADTEACHER).school


AUDITED = (
    Application,
    Participant,
    Participation,
    WorkGroup,
    GroupMember,
    Meeting,
    Attendance,
    Claim,
    Evidence,
    PaymentBatch,
)


def _counts() -> dict[str, int]:
    """How many rows, and audit-history rows, the demo has."""
    counts = {
        model.__name__: model.objects.count()
        for model in (User, Membership, School, ApplicationWindow, *AUDITED)
    }
    return counts | {f"{model.__name__} history": model.history.count() for model in AUDITED}


def test_seed_demo_builds_every_role_and_state_and_is_idempotent(capsys):
    from tests.factories import stage

    stage("mr")  # stages are seeded by a migration that transactional tests flush
    demo.seed(today=TODAY)
    counts = _counts()
    assert counts["WorkGroup"] and counts["Attendance history"]
    call_command("seed_demo")
    assert _counts() == counts

    out = capsys.readouterr().out
    assert demo.DEMO_PASSWORD in out
    for email in ("admin@ncetm.example", "lead@abacus.example", "head1@school.example"):
        assert email in out

    for hub in Hub.objects.annotate_school_counts():
        assert 50 <= hub.school_count <= 80
        assert hub.open_primary_count >= 10
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    assert Membership.objects.filter(role=Role.HEADTEACHER).values("user").distinct().count() >= 6
    assert Membership.objects.filter(role=Role.SPECIALIST).count() == 3
    # A specialist who is also a headteacher, to show the role switcher.
    assert Membership.objects.filter(user__email="specialist2@abacus.example").count() == 2

    assert set(Application.objects.values_list("state", flat=True)) == set(ApplicationState.values)
    assert Application.objects.filter(priority=True).exists()
    assert School.objects.filter(status="Closed").exists()
    assert School.objects.filter(phase="Secondary").exists()
    assert School.objects.filter(hub__isnull=True).exists()

    year = AcademicYear.objects.for_date(TODAY)
    dwg = ProgrammeStage.objects.get(code="dwg")
    head1 = check_eligibility(
        school=_school_of("head1@school.example"), stage=dwg, year=year, today=TODAY
    )
    assert head1.eligible and head1.priority
    head2 = check_eligibility(
        school=_school_of("head2@school.example"), stage=dwg, year=year, today=TODAY
    )
    assert Code.STAGE_ALREADY_TAKEN in head2.codes

    _work_group_schools_and_meetings(TODAY)
    _funding_in_every_state(TODAY)
    _notices_sent_and_one_failed()


def _work_group_schools_and_meetings(today):
    """What the seeded work groups must offer each role (see test below)."""
    year = AcademicYear.objects.for_date(today)
    last_year = AcademicYear.objects.get(start_year=year.start_year - 1)
    dwg, emb = ProgrammeStage.objects.get(code="dwg"), ProgrammeStage.objects.get(code="emb")
    lead = User.objects.get(email="lead@abacus.example")
    specialist = User.objects.get(email="specialist1@abacus.example")
    head4 = User.objects.get(email="head4@school.example")

    # Last year: one Development group led by the demo specialist, six meetings logged
    # and every school's outcome recorded: most completed, one did not.
    [last] = WorkGroup.objects.filter(hub__code="ABN", stage=dwg, year=last_year)
    assert last.lead == specialist
    assert last.members.count() == 7
    assert last.meetings.filter(logged_at__isnull=False, state=MeetingState.SCHEDULED).count() == 6
    completion = group_completion(last, today=today)
    outcomes = Counter(row.recorded.outcome for row in completion.rows)
    assert outcomes == {Outcome.COMPLETED: 6, Outcome.DID_NOT_COMPLETE: 1}
    assert {row.recorded.source for row in completion.rows} == {Participation.Source.COMPLETION}
    # One completed against the suggestion, with the hub lead's reason kept.
    [overridden] = [row for row in completion.rows if row.recorded.outcome != row.suggested]
    assert overridden.suggested == Outcome.DID_NOT_COMPLETE and overridden.recorded.note
    assert overridden.recorded.history.first().history_user == lead
    [dropped] = [r for r in completion.rows if r.recorded.outcome == Outcome.DID_NOT_COMPLETE]

    # Those who completed are eligible for Embedding and accepted into it, not yet in a
    # group: with two more schools, a cohort of eight to try "Propose groups" on, the six
    # from last year's group kept together by the formation assistant.
    unplaced = Application.objects.filter(
        hub__code="ABN",
        stage=emb,
        year=year,
        state=ApplicationState.ACCEPTED,
        group_member__isnull=True,
        school__easting__isnull=False,
        school__northing__isnull=False,
    )
    assert unplaced.count() >= 8
    continuing = unplaced.filter(school__group_memberships__work_group=last)
    assert continuing.count() == 6
    for application in continuing:
        eligibility = check_eligibility(
            school=application.school,
            stage=emb,
            year=year,
            today=today,
            ignore_application_id=application.pk,
        )
        assert eligibility.eligible, eligibility.reasons
    assert Code.PREREQUISITE_NOT_MET in (
        check_eligibility(school=dropped.school, stage=emb, year=year, today=today).codes
    )

    # This year: every accepted Development school is placed, in one group led by the
    # demo specialist (head4's school among them) and one without a specialist.
    assert not Application.objects.filter(
        hub__code="ABN",
        stage=dwg,
        year=year,
        state=ApplicationState.ACCEPTED,
        group_member__isnull=True,
    ).exists()
    mine, waiting = WorkGroup.objects.filter(hub__code="ABN", stage=dwg, year=year)
    assert mine.lead == specialist and waiting.lead is None
    assert mine.members.filter(school=_school_of("head4@school.example")).exists()
    assert 6 <= mine.members.count() <= 7 and 6 <= waiting.members.count() <= 7
    assert mine.meetings.count() == waiting.meetings.count() == 6

    meetings = mine.meetings.all()
    held = meetings.filter(state=MeetingState.SCHEDULED, date__lt=today)
    logged = held.filter(logged_at__isnull=False)
    assert logged.count() >= 2
    assert held.filter(logged_at__isnull=True).exists()  # "log due"
    cancelled = meetings.get(state=MeetingState.CANCELLED)
    assert cancelled.change_reason and cancelled.history.first().history_user == specialist
    assert meetings.filter(state=MeetingState.SCHEDULED, date__gt=today).exists()
    assert meetings.filter(online_link__gt="").exists()
    # A couple of absences and apologies, logged by the specialist.
    missing = Attendance.objects.filter(meeting__in=logged).exclude(status=AttendanceStatus.PRESENT)
    assert {a.status for a in missing} == {AttendanceStatus.ABSENT, AttendanceStatus.APOLOGIES}
    assert {m.logged_by for m in logged} == {specialist}
    assert Attendance.objects.filter(
        meeting__in=logged, participant__application__school=_school_of("head4@school.example")
    ).exists()

    # Each role sees its share.
    assert set(WorkGroup.objects.visible_to(specialist)) == {last, mine}
    assert mine in WorkGroup.objects.visible_to(head4)
    assert set(WorkGroup.objects.visible_to(lead)) == {last, mine, waiting}
    assert not WorkGroup.objects.visible_to(User.objects.get(email="lead@boolean.example"))


def _funding_in_every_state(today):
    """Abacus's claims show every state; head4 has an entitlement to try; head7 a
    claim returned with what to change."""
    year = AcademicYear.objects.for_date(today)
    abn = Hub.objects.get(code="ABN")
    claims = Claim.objects.filter(hub=abn, year=year)
    assert set(claims.values_list("state", flat=True)) == set(ClaimState.values)
    assert set(claims.values_list("kind", flat=True)) == set(ClaimKind.values)
    for hub in Hub.objects.all():
        assert funding.open_window(hub, year, today) is not None
        assert funding.budget_position(hub, year)["allocation"] > 0

    paid, unpaid = PaymentBatch.objects.filter(hub=abn).order_by("number")
    assert paid.is_paid and not unpaid.is_paid
    assert all(claim.payment.amount_pence == claim.award_pence for claim in paid.claims.all())
    less = claims.get(state=ClaimState.APPROVED)
    assert less.award_pence < less.claimed_pence and less.decision_reason

    head4_school = _school_of("head4@school.example")
    assert funding.grant_application(head4_school) is not None
    assert not Claim.objects.filter(school=head4_school).exists()

    returned = claims.get(state=ClaimState.RETURNED)
    assert returned.school == _school_of("head7@school.example")
    assert set(returned.return_fields) == {"invoice_date", "evidence"}
    assert returned.return_reason

    # The hub lead sampled the paid claims and confirmed one.
    from funding.models import AssuranceSample, CheckOutcome

    [sample] = AssuranceSample.objects.filter(hub=abn)
    assert sample.checks.count() == claims.filter(state=ClaimState.PAID).count()
    assert sample.checks.filter(outcome=CheckOutcome.CONFIRMED).count() == 1

    # Every proof of purchase is a PDF by its content, each a different file.
    evidence = Evidence.objects.filter(claim__hub=abn)
    assert evidence.count() == claims.filter(kind=ClaimKind.MATCH).count()
    for item in evidence:
        with item.file.open("rb") as stored:
            assert sniff(stored.read(8)) == Evidence.Kind.PDF
    assert len(set(evidence.values_list("sha256", flat=True))) == evidence.count()


def _notices_sent_and_one_failed():
    """The sweeps ran on the demo's day: reminders for the meeting six days on, the log
    nudge, decisions; all sent but one reminder the mail server refused."""
    from hubportal.notices.models import Notice, NoticeKind, NoticeState

    kinds = set(Notice.objects.values_list("kind", flat=True))
    assert {NoticeKind.MEETING_REMINDER, NoticeKind.LOG_DUE, NoticeKind.APPLICATION} <= kinds
    [failed] = Notice.objects.filter(state=NoticeState.FAILED)
    assert failed.kind == NoticeKind.MEETING_REMINDER and "550" in failed.last_error
    assert set(Notice.objects.exclude(pk=failed.pk).values_list("state", flat=True)) == {
        NoticeState.SENT
    }
