"""One portal with two Maths Hubs, built once for the access matrix.

Each hub has a hub lead, a headteacher whose school is in a Development Work Group
led by the hub's Mastery Specialist, a meeting of that group, applications, claims
(paid, submitted and draft, with evidence), a paid payment batch, an assurance
sample with a check found insufficient and the clawback it opened, a failed notice,
an application window, a waiting invitation and the specialist's calendar feed.
Besides, one row of each model the Django admin lists that the hubs lack (a group,
an authenticator, a notice preference, a textbook scheme, a finished "view as").
The people who make the requests all act in the first hub ("own"); the second
hub's rows are "other", and another school and work group of the first hub, with
their own headteacher and specialist, are "neighbour"."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType

from funding import assurance, services
from funding.models import (
    AssuranceSample,
    CheckOutcome,
    Claim,
    Clawback,
    Evidence,
    PaymentBatch,
    Scheme,
)
from hubportal.accounts import services as account_services
from hubportal.accounts import support
from hubportal.accounts.models import Invitation, Membership, Role, SupportSessionEnd, User
from hubportal.notices.models import Notice, NoticeKind, NoticePreference, NoticeState
from schools.models import Hub, School
from tests.factories import (
    ApplicationWindowFactory,
    ClaimWindowFactory,
    DraftApplicationFactory,
    HeadteacherFactory,
    HubAreaFactory,
    HubFactory,
    HubLeadFactory,
    MeetingFactory,
    NationalAdminFactory,
    SchoolFactory,
    SpecialistFactory,
    SubmittedApplicationFactory,
    group_with_schools,
    ready_claim,
    school_with_paid_claims,
    stage,
    year,
)
from workgroups.models import (
    Application,
    ApplicationWindow,
    CalendarFeed,
    GroupMember,
    Meeting,
    Participant,
    WorkGroup,
)

# The portal's "today" for the whole matrix: claim and application windows of 2026/27
# are open, and the meeting of 7 October 2026 has taken place and may be logged.
NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)

# One message in the mail outbox (the file mail backend's format).
OUTBOX_FILE = "20261123-100000-1.log"
OUTBOX_MESSAGE = (
    b"Content-Type: text/plain; charset=utf-8\n"
    b"MIME-Version: 1.0\n"
    b"Subject: Your invitation\n"
    b"From: portal@example.org\n"
    b"To: someone@school.example\n"
    b"Date: Mon, 23 Nov 2026 10:00:00 -0000\n"
    b"\n"
    b"Take up your invitation at https://portal.example/invitations/accept/abc/\n"
)


@dataclass
class HubRows:
    """The rows of one hub that the matrix addresses."""

    hub: Hub
    lead: User
    head: User
    head_membership: Membership
    specialist: User
    school: School
    group: WorkGroup
    meeting: Meeting
    participant: Participant
    draft_application: Application
    submitted_application: Application
    window: ApplicationWindow
    paid_claim: Claim
    submitted_claim: Claim
    draft_claim: Claim
    evidence: Evidence
    batch: PaymentBatch
    sample: AssuranceSample
    check: object
    clawback: Clawback
    notice: Notice
    invitation: Invitation
    invitation_token: str
    feed: CalendarFeed


@dataclass
class NeighbourRows:
    """Another school and another work group of the first hub: in its hub lead's
    scope, not in its headteacher's or its specialist's."""

    school: School
    head: User
    specialist: User
    group: WorkGroup
    meeting: Meeting
    participant: Participant
    draft_application: Application
    draft_claim: Claim
    evidence: Evidence


@dataclass
class World:
    own: HubRows
    other: HubRows
    neighbour: NeighbourRows
    national_admin: User
    mail_dir: Path
    media_root: Path
    extra: dict = field(default_factory=dict)

    def users(self) -> dict[str, User | None]:
        return {
            "anonymous": None,
            "headteacher": self.own.head,
            "specialist": self.own.specialist,
            "hub_lead": self.own.lead,
            "national_admin": self.national_admin,
        }

    def rows(self, scope: str) -> HubRows | NeighbourRows:
        if scope == "neighbour":
            return self.neighbour
        return self.other if scope == "other" else self.own


def _hub_rows(code: str, name: str, la_code: str, national_admin: User) -> HubRows:
    hub = HubFactory(code=code, name=name)
    HubAreaFactory(hub=hub, la_code=la_code, la_name=f"Borough {la_code}")
    lead = HubLeadFactory(hub=hub).user
    specialist = SpecialistFactory(hub=hub).user
    ClaimWindowFactory(hub=hub)
    window = ApplicationWindowFactory(hub=hub)

    # The headteacher's school: accepted into this year's DWG, one match claim paid.
    school, head, (paid_claim,) = school_with_paid_claims(hub, lead, match=1, la_code=la_code)
    head_membership = Membership.objects.get(user=head, role=Role.HEADTEACHER)
    accepted = Application.objects.get(school=school, year=year(2026))

    group = group_with_schools(hub, schools=2, lead=specialist)
    GroupMember.objects.create(
        work_group=group,
        school=school,
        application=accepted,
        stage=accepted.stage,
        year=accepted.year,
    )
    meeting = MeetingFactory(work_group=group)
    participant = accepted.participants.order_by("position").first()

    # Next year's application, still a draft: the headteacher's task list.
    draft_application = DraftApplicationFactory(
        school=school, stage=stage("emb"), year=year(2027), created_by=head
    )
    # Another school's application waiting for the hub's decision.
    submitted_application = SubmittedApplicationFactory(school=SchoolFactory(hub=hub))

    # A submitted claim waiting for the hub, and a draft with its evidence.
    submitted_claim = services.claim_submit(
        actor=head, claim=ready_claim(school, head, spend_pence=20_000)
    )
    draft_claim = ready_claim(school, head, spend_pence=10_000)
    evidence = draft_claim.evidence.first()

    sample = assurance.sample_draw(actor=lead, hub=hub, year=year(2026), percent=100, seed=1)
    check = sample.checks.get(claim=paid_claim)
    check = assurance.sample_check_record(
        actor=lead, check=check, outcome=CheckOutcome.INSUFFICIENT, notes="A quotation"
    )
    clawback = assurance.clawback_open(
        actor=lead, check=check, amount_pence=10_000, reason="The invoice was a quotation"
    )

    notice = Notice.objects.create(
        kind=NoticeKind.MEETING_REMINDER,
        subject_type="meeting",
        subject_id=meeting.pk,
        occasion="7d",
        email=head.email,
        recipient_name="Pat Head",
        hub=hub,
        school=school,
        meeting=meeting,
        state=NoticeState.FAILED,
        attempts=5,
        last_error="SMTPRecipientsRefused: mailbox unavailable",
    )
    invitation, token = account_services.invitation_create(
        actor=national_admin,
        email=f"new.head.{code.lower()}@school.example",
        full_name="Sam Newhead",
        role=Role.HEADTEACHER,
        school=SchoolFactory(hub=hub),
    )
    return HubRows(
        hub=hub,
        lead=lead,
        head=head,
        head_membership=head_membership,
        specialist=specialist,
        school=school,
        group=group,
        meeting=meeting,
        participant=participant,
        draft_application=draft_application,
        submitted_application=submitted_application,
        window=window,
        paid_claim=paid_claim,
        submitted_claim=submitted_claim,
        draft_claim=draft_claim,
        evidence=evidence,
        batch=paid_claim.batch,
        sample=sample,
        check=check,
        clawback=clawback,
        notice=notice,
        invitation=invitation,
        invitation_token=token,
        feed=CalendarFeed.objects.create(user=specialist),
    )


def _neighbour_rows(hub: Hub) -> NeighbourRows:
    specialist = SpecialistFactory(hub=hub).user
    group = group_with_schools(hub, schools=1, lead=specialist)
    member = group.members.select_related("school", "application").get()
    school = member.school
    head = HeadteacherFactory(school=school).user
    draft_claim = ready_claim(school, head, spend_pence=10_000)
    return NeighbourRows(
        school=school,
        head=head,
        specialist=specialist,
        group=group,
        meeting=MeetingFactory(work_group=group),
        participant=member.application.participants.order_by("position").first(),
        draft_application=DraftApplicationFactory(
            school=school, stage=stage("emb"), year=year(2027), created_by=head
        ),
        draft_claim=draft_claim,
        evidence=draft_claim.evidence.first(),
    )


def _admin_rows(own: HubRows, other: HubRows) -> None:
    """A row of each model the Django admin lists that the hubs have none of yet."""
    Group.objects.create(name="Finance team")
    Scheme.objects.create(year=year(2027), name="Power Maths (second edition)")
    Authenticator.objects.create(
        user=other.lead, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00", "used_mask": 0}
    )
    NoticePreference.objects.create(email=own.head.email, reminders=False)
    # A finished "view as": the hub lead looked at the portal as their headteacher.
    viewed = support.support_start(actor=own.lead, membership=own.head_membership)
    support.support_stop(actor=own.lead, support_session=viewed, how=SupportSessionEnd.STOPPED)


def build_world(mail_dir: Path, media_root: Path) -> World:
    national_admin = NationalAdminFactory().user
    own = _hub_rows("ABN", "Abacus North West Maths Hub", "352", national_admin)
    other = _hub_rows("BOO", "Boolean Maths Hub", "800", national_admin)
    neighbour = _neighbour_rows(own.hub)
    _admin_rows(own, other)
    mail_dir.mkdir(parents=True, exist_ok=True)
    (mail_dir / OUTBOX_FILE).write_bytes(OUTBOX_MESSAGE)
    return World(
        own=own,
        other=other,
        neighbour=neighbour,
        national_admin=national_admin,
        mail_dir=mail_dir,
        media_root=media_root,
        extra={"school_content_type": ContentType.objects.get_for_model(School)},
    )
