"""The hub's exports: a cohort's schools, attendance per meeting, claims and
payments, and the annual return to the NCETM, each a list of ``Column`` over rows
fetched through the ``visible_to`` of their model (another hub's rows are never
found) and written by ``funding.exports`` as streamed CSV or XLSX.

Each list is one queryset with its related rows joined and its figures annotated
in SQL, read with ``.iterator(chunk_size=2000)``: an export of 20,000 rows costs
the same few queries as one of five, and holds at most a chunk of rows at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce

from funding.assurance import ASSURANCE_HEADERS, assurance_columns, with_assurance
from funding.exports import Column
from funding.models import Claim, ClaimKind, ClaimState, ClawbackState
from funding.money import pence_as_decimal
from workgroups.models import (
    AcademicYear,
    Application,
    ApplicationState,
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

CHUNK = 2000


def _pounds(pence: int | None):
    return None if pence is None else pence_as_decimal(pence)


def _label(choices, value) -> str:
    return choices(value).label if value else ""


# ---------------------------------------------------------------------------
# 1. A cohort: its accepted schools, groups, teachers, attendance and outcome


def cohort_rows(
    user, stage: ProgrammeStage, year: AcademicYear, hub_code: str = ""
) -> QuerySet[Application]:
    """The cohort's accepted applications, as the cohort page counts them: meetings
    held are the group's scheduled meetings with attendance logged; a school attended
    a meeting when any of its participants was present. All in one query."""
    applications = Application.objects.visible_to(user).filter(
        stage=stage, year=year, state=ApplicationState.ACCEPTED
    )
    if hub_code:
        applications = applications.filter(hub__code=hub_code)
    # In position order: said in SQL where the database can (PostgreSQL, SQLite
    # 3.44+); older SQLite concatenates in the order it reads the (application,
    # position) unique index, which is the same order.
    ordered = (
        {"order_by": "position"} if connection.features.supports_aggregate_order_by_clause else {}
    )
    names = (
        Participant.objects.filter(application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(names=StringAgg("name", Value("; "), output_field=TextField(), **ordered))
        .values("names")
    )
    held = (
        Meeting.objects.filter(
            work_group=OuterRef("group_member__work_group"),
            state=MeetingState.SCHEDULED,
            logged_at__isnull=False,
        )
        .order_by()
        .values("work_group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    attended = (
        Attendance.objects.filter(
            participant__application=OuterRef("pk"), status=AttendanceStatus.PRESENT
        )
        .order_by()
        .values("participant__application")
        .annotate(n=Count("meeting", distinct=True))
        .values("n")
    )
    outcome = Participation.objects.filter(
        school=OuterRef("school"), stage=OuterRef("stage"), year=OuterRef("year")
    ).values("outcome")[:1]
    return (
        applications.select_related("school", "stage", "group_member__work_group")
        .annotate(
            participant_names=Coalesce(Subquery(names), Value(""), output_field=TextField()),
            meetings_held=Coalesce(Subquery(held, output_field=IntegerField()), 0),
            meetings_attended=Coalesce(Subquery(attended, output_field=IntegerField()), 0),
            outcome=Subquery(outcome),
        )
        .order_by("school__name", "pk")
    )


def _group_code(application: Application) -> str:
    member = getattr(application, "group_member", None)
    return member.work_group.code if member else ""


COHORT_COLUMNS: list[Column] = [
    Column("School", lambda a: a.school.name),
    Column("URN", lambda a: a.school.urn),
    Column("LA", lambda a: a.school.la_name),
    Column("Stage", lambda a: a.stage.name),
    Column("Group code", _group_code),
    Column("Participants", lambda a: a.participant_names),
    Column("Meetings attended", lambda a: a.meetings_attended),
    Column("Meetings held", lambda a: a.meetings_held),
    Column("Outcome", lambda a: _label(Outcome, a.outcome)),
]


# ---------------------------------------------------------------------------
# 2. Attendance, a row per participant per meeting


def attendance_rows(
    user, year: AcademicYear, stage: ProgrammeStage | None = None, hub_code: str = ""
) -> QuerySet[Attendance]:
    groups = WorkGroup.objects.visible_to(user).filter(year=year)
    if stage is not None:
        groups = groups.filter(stage=stage)
    if hub_code:
        groups = groups.filter(hub__code=hub_code)
    return (
        Attendance.objects.filter(meeting__work_group__in=groups)
        .select_related("meeting__work_group", "participant__application__school")
        .order_by(
            "meeting__date",
            "meeting__work_group__code",
            "meeting__starts_at",
            "participant__application__school__name",
            "participant__position",
            "pk",
        )
    )


ATTENDANCE_COLUMNS: list[Column] = [
    Column("Group code", lambda a: a.meeting.work_group.code),
    Column("Meeting date", lambda a: a.meeting.date),
    Column("Kind", lambda a: a.meeting.get_kind_display()),
    Column("School", lambda a: a.participant.application.school.name),
    Column("URN", lambda a: a.participant.application.school.urn),
    Column("Participant", lambda a: a.participant.name),
    Column("Status", lambda a: a.get_status_display()),
]


# ---------------------------------------------------------------------------
# 3. Claims and payments, with what assurance found


def claim_rows(user, year: AcademicYear, hub_code: str = "") -> QuerySet[Claim]:
    """The year's claims the hub has seen (drafts are the school's own)."""
    claims = Claim.objects.visible_to(user).filter(year=year).exclude(state=ClaimState.DRAFT)
    if hub_code:
        claims = claims.filter(hub__code=hub_code)
    return with_assurance(claims.select_related("school", "batch")).order_by("school__name", "pk")


def _assurance(index: int):
    def value(claim: Claim):
        found = assurance_columns(claim)
        cells = (
            "Yes" if found.sampled else "No",
            found.outcome,
            _pounds(found.clawback_pence),
            found.clawback_state,
        )
        return cells[index]

    return value


CLAIM_COLUMNS: list[Column] = [
    Column("Claim reference", lambda c: c.reference),
    Column("School", lambda c: c.school.name),
    Column("URN", lambda c: c.school.urn),
    Column("Kind", lambda c: c.get_kind_display()),
    Column("State", lambda c: c.get_state_display()),
    Column("Claimed (£)", lambda c: _pounds(c.claimed_pence)),
    Column("Award (£)", lambda c: _pounds(c.award_pence)),
    Column("Paid date", lambda c: c.paid_at.date() if c.paid_at else None),
    Column("Batch reference", lambda c: c.batch.reference if c.batch else ""),
    # ASSURANCE_HEADERS, the clawback's amount in pounds like the others.
    Column(ASSURANCE_HEADERS[0], _assurance(0)),
    Column(ASSURANCE_HEADERS[1], _assurance(1)),
    Column(f"{ASSURANCE_HEADERS[2]} (£)", _assurance(2)),
    Column(ASSURANCE_HEADERS[3], _assurance(3)),
]


# ---------------------------------------------------------------------------
# 4. The annual return to the NCETM: a row per stage and the totals


@dataclass
class ReturnRow:
    stage: str
    applied: int = 0
    accepted: int = 0
    in_groups: int = 0
    completed: int = 0
    groups: int = 0
    specialists: int = 0
    grants_paid: int | None = None
    match_paid: int | None = None
    recovered: int | None = None


def _by_stage(queryset, **aggregates) -> dict[int, dict]:
    return {
        row.pop("stage_id"): row
        for row in queryset.order_by().values("stage_id").annotate(**aggregates)
    }


def annual_return(user, year: AcademicYear, hub_code: str = "") -> list[ReturnRow]:
    """Per stage: schools that applied (submitted, whatever became of it), were
    accepted, were placed in a group and completed; the groups and the distinct
    specialists leading them. Money (paid grants, paid match funding, recovered by
    clawbacks) is the hub's, not a stage's, so it is in the totals row only. Six
    aggregate queries, however many schools."""

    def scoped(manager, hub_path: str):
        queryset = manager.visible_to(user)
        return queryset.filter(**{f"{hub_path}__code": hub_code}) if hub_code else queryset

    applications = scoped(Application.objects, "hub").filter(year=year)
    applications = applications.exclude(state=ApplicationState.DRAFT)
    applied = _by_stage(
        applications,
        applied=Count("school", distinct=True),
        accepted=Count("school", distinct=True, filter=Q(state=ApplicationState.ACCEPTED)),
    )
    in_groups = _by_stage(
        GroupMember.objects.filter(
            year=year, application__in=applications.filter(state=ApplicationState.ACCEPTED)
        ),
        in_groups=Count("school", distinct=True),
    )
    completed = _by_stage(
        scoped(Participation.objects, "school__hub").filter(year=year, outcome=Outcome.COMPLETED),
        completed=Count("school", distinct=True),
    )
    groups = scoped(WorkGroup.objects, "hub").filter(year=year)
    led = _by_stage(groups, groups=Count("pk"), specialists=Count("lead", distinct=True))
    money = (
        scoped(Claim.objects, "hub")
        .filter(year=year)
        .aggregate(
            grants_paid=Sum("award_pence", filter=Q(state=ClaimState.PAID, kind=ClaimKind.GRANT)),
            match_paid=Sum("award_pence", filter=Q(state=ClaimState.PAID, kind=ClaimKind.MATCH)),
            recovered=Sum(
                "clawback__amount_pence", filter=Q(clawback__state=ClawbackState.RECOVERED)
            ),
        )
    )
    rows = [
        ReturnRow(
            stage=stage.name,
            **applied.get(stage.pk, {}),
            **in_groups.get(stage.pk, {}),
            **completed.get(stage.pk, {}),
            **led.get(stage.pk, {}),
        )
        for stage in ProgrammeStage.objects.order_by("order")
    ]
    # Specialists may lead groups of two stages: the total counts each person once.
    specialists = groups.exclude(lead=None).values("lead").distinct().count()
    total = ReturnRow(
        stage="Total",
        applied=sum(r.applied for r in rows),
        accepted=sum(r.accepted for r in rows),
        in_groups=sum(r.in_groups for r in rows),
        completed=sum(r.completed for r in rows),
        groups=sum(r.groups for r in rows),
        specialists=specialists,
        **{key: value or 0 for key, value in money.items()},
    )
    return [*rows, total]


RETURN_COLUMNS: list[Column] = [
    Column("Stage", lambda r: r.stage),
    Column("Schools applied", lambda r: r.applied),
    Column("Schools accepted", lambda r: r.accepted),
    Column("Schools in groups", lambda r: r.in_groups),
    Column("Schools completed", lambda r: r.completed),
    Column("Work groups", lambda r: r.groups),
    Column("Specialists leading groups", lambda r: r.specialists),
    Column("Development grants paid (£)", lambda r: _pounds(r.grants_paid)),
    Column("Match funding paid (£)", lambda r: _pounds(r.match_paid)),
    Column("Recovered by clawback (£)", lambda r: _pounds(r.recovered)),
]


def stream(queryset: QuerySet) -> Iterator:
    """The rows a chunk at a time: never the whole list in memory."""
    return queryset.iterator(chunk_size=CHUNK)
