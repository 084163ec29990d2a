"""The hub lead's year at a glance: how many schools are in each stage, the work
waiting, attendance per group and the money, for one hub and one academic year.

Every figure is read through the model's ``visible_to`` (or the app's own scoped
selector), so another hub's rows never count. ``hub_year_figures`` costs the same
number of queries however many schools, groups and meetings the hub has."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from funding.models import ClaimState
from funding.money import format_pence
from funding.selectors.hub import hub_claims
from funding.services import budget_position
from hubportal.accounts.roles import active_membership
from hubportal.notices.selectors import failed_count
from workgroups.models import (
    UNDECIDED_STATES,
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
from workgroups.selectors.meetings import log_overdue, week_of


@dataclass
class StageFigures:
    """One programme stage in the year: schools at each step and the group work."""

    stage: ProgrammeStage
    applied: int = 0  # submitted or later: every application the hub has seen
    accepted: int = 0
    in_groups: int = 0
    completed: int = 0
    waiting: int = 0  # submitted or waitlisted: the hub's decision is due
    groups: int = 0
    groups_without_specialist: int = 0
    meetings_this_week: int = 0
    logs_overdue: int = 0

    @property
    def has_any(self) -> bool:
        return bool(self.applied or self.in_groups or self.completed or self.groups)


@dataclass
class GroupAttendance:
    """Present marks over the places in the group's logged meetings."""

    group: WorkGroup
    participants: int
    logged_meetings: int
    present: int

    @property
    def possible(self) -> int:
        return self.participants * self.logged_meetings

    @property
    def rate(self) -> int | None:
        """Whole per cent, or None before any meeting is logged."""
        if not self.possible:
            return None
        return round(100 * self.present / self.possible)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | None  # None: nothing to measure yet, shown as an empty bar
    shown: str  # the value as words, the same in the bar's label and the table
    href: str = ""


@dataclass
class BarChart:
    """What ``includes/bar_chart.html`` draws: horizontal bars on a 0 to ``maximum``
    scale, laid out here because a template cannot do arithmetic."""

    title: str
    description: str
    label_heading: str
    value_heading: str
    bars: list[Bar]
    maximum: int = 100
    id: str = "chart"

    ROW = 32  # pixels per bar
    LABEL_WIDTH = 180
    BAR_WIDTH = 320
    WIDTH = 600

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * self.ROW + 8

    @property
    def rows(self) -> list[dict]:
        rows = []
        for index, bar in enumerate(self.bars):
            length = round(self.BAR_WIDTH * min(bar.value or 0, self.maximum) / self.maximum)
            top = index * self.ROW + 4
            rows.append(
                {
                    "bar": bar,
                    "top": top,
                    "text_y": top + self.ROW // 2,
                    "length": length,
                    "value_x": self.LABEL_WIDTH + length + 8,
                }
            )
        return rows


@dataclass
class HubYearFigures:
    year: AcademicYear
    stages: list[StageFigures]
    attendance: list[GroupAttendance]
    claims_waiting: int
    money: dict[str, int | None]
    notices_failed: int
    week_starts: date
    week_ends: date
    totals: StageFigures = field(init=False)

    def __post_init__(self) -> None:
        totals = StageFigures(stage=None)  # type: ignore[arg-type]
        for row in self.stages:
            for name in (
                "applied",
                "accepted",
                "in_groups",
                "completed",
                "waiting",
                "groups",
                "groups_without_specialist",
                "meetings_this_week",
                "logs_overdue",
            ):
                setattr(totals, name, getattr(totals, name) + getattr(row, name))
        self.totals = totals

    @property
    def active_stages(self) -> list[StageFigures]:
        return [row for row in self.stages if row.has_any]

    @property
    def attendance_chart(self) -> BarChart:
        return BarChart(
            id="attendance-chart",
            title=f"Attendance rate by work group, {self.year.label}",
            description=(
                "For each work group, the participants marked present as a percentage of "
                "the places in its logged meetings. Groups with no logged meeting have no bar."
            ),
            label_heading="Work group",
            value_heading="Attendance rate",
            bars=[
                Bar(
                    label=row.group.code,
                    value=row.rate,
                    shown="No meetings logged"
                    if row.rate is None
                    else f"{row.rate}% ({row.present} of {row.possible})",
                    href=reverse("groups:detail", args=[row.group.pk]),
                )
                for row in self.attendance
            ],
        )

    @property
    def money_chart(self) -> BarChart | None:
        """Committed, paid and remaining against the allocation (none until it is set)."""
        allocation = self.money.get("allocation")
        if not allocation:
            return None
        parts = [
            ("Committed", self.money["committed"] or 0),
            ("Paid", self.money["paid"] or 0),
            ("Remaining", max(self.money["remaining"] or 0, 0)),
        ]
        return BarChart(
            id="money-chart",
            title=f"Money against the {format_pence(allocation)} allocation, {self.year.label}",
            description="Committed, paid and remaining money, each against the allocation.",
            label_heading="Money",
            value_heading="Amount",
            bars=[
                Bar(
                    label=label,
                    value=value,
                    shown=f"{format_pence(value)} ({round(100 * value / allocation)}%)",
                )
                for label, value in parts
            ],
            maximum=allocation,
        )

    @property
    def money_shown(self) -> dict[str, str]:
        """Pounds for the template: "Not set" for an allocation not yet entered."""
        return {
            key: "Not set" if value is None else format_pence(value)
            for key, value in self.money.items()
        }


def _count(queryset, group_by: str) -> Coalesce:
    """A correlated COUNT as a subquery: no join fan-out between the counts."""
    counted = queryset.order_by().values(group_by).annotate(c=Count("pk")).values("c")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def hub_year_figures(user, year: AcademicYear, now: datetime | None = None) -> HubYearFigures:
    """The person's hub's figures for ``year``: nine queries, whatever the hub's size
    (stages, applications, group members, completions, groups, budget, claim sums,
    claims waiting, failed notices)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    monday, sunday = week_of(today)
    membership = active_membership(user)
    hub = membership.hub if membership else None

    stages = {stage.pk: StageFigures(stage) for stage in ProgrammeStage.objects.order_by("order")}

    S = ApplicationState
    for row in (
        Application.objects.visible_to(user)
        .filter(year=year)
        .exclude(state=S.DRAFT)
        .order_by()
        .values("stage_id")
        .annotate(
            applied=Count("pk"),
            accepted=Count("pk", filter=Q(state=S.ACCEPTED)),
            waiting=Count("pk", filter=Q(state__in=UNDECIDED_STATES)),
        )
    ):
        figures = stages[row["stage_id"]]
        figures.applied, figures.accepted = row["applied"], row["accepted"]
        figures.waiting = row["waiting"]

    groups = WorkGroup.objects.visible_to(user).filter(year=year)
    for stage_id, n in (
        GroupMember.objects.filter(work_group__in=groups)
        .order_by()
        .values("stage_id")
        .annotate(n=Count("pk"))
        .values_list("stage_id", "n")
    ):
        stages[stage_id].in_groups = n

    for stage_id, n in (
        Participation.objects.visible_to(user)
        .filter(year=year, outcome=Outcome.COMPLETED)
        .order_by()
        .values("stage_id")
        .annotate(n=Count("pk"))
        .values_list("stage_id", "n")
    ):
        stages[stage_id].completed = n

    meetings = Meeting.objects.filter(work_group=OuterRef("pk"))
    held = meetings.filter(state=MeetingState.SCHEDULED)
    group_rows = list(
        groups.select_related("stage")
        .annotate(
            participants=_count(
                Participant.objects.filter(application__group_member__work_group=OuterRef("pk")),
                "application__group_member__work_group",
            ),
            logged_meetings=_count(held.filter(logged_at__isnull=False), "work_group"),
            present=_count(
                Attendance.objects.filter(
                    meeting__work_group=OuterRef("pk"),
                    meeting__state=MeetingState.SCHEDULED,
                    meeting__logged_at__isnull=False,
                    status=AttendanceStatus.PRESENT,
                ),
                "meeting__work_group",
            ),
            this_week=_count(held.filter(date__range=(monday, sunday)), "work_group"),
            overdue=_count(meetings.filter(log_overdue(now)), "work_group"),
        )
        .order_by("stage__order", "number")
    )
    attendance = []
    for group in group_rows:
        figures = stages[group.stage_id]
        figures.groups += 1
        figures.groups_without_specialist += group.lead_id is None
        figures.meetings_this_week += group.this_week
        figures.logs_overdue += group.overdue
        attendance.append(
            GroupAttendance(group, group.participants, group.logged_meetings, group.present)
        )

    money = (
        budget_position(hub, year)
        if hub
        else {"allocation": None, "committed": 0, "paid": 0, "recovered": 0, "remaining": None}
    )
    return HubYearFigures(
        year=year,
        stages=list(stages.values()),
        attendance=attendance,
        claims_waiting=hub_claims(user).filter(year=year, state=ClaimState.SUBMITTED).count(),
        money=money,
        notices_failed=failed_count(user),
        week_starts=monday,
        week_ends=sunday,
    )
