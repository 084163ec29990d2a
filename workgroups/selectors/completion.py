"""The completion screen: each member school of a work group with its teachers,
the meetings it attended, the outcome its attendance suggests and the outcome
recorded, in a fixed number of queries however large the group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from workgroups.models import (
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


def suggest_outcome(stage: ProgrammeStage, application_state: str, attended: int) -> str:
    """The stage's completion rule: a school completes when its teachers attended at
    least ``completion_min_meetings`` of the group's meetings. A school that withdrew
    after it was accepted is suggested as withdrawn, whatever it attended."""
    if application_state == ApplicationState.WITHDRAWN:
        return Outcome.WITHDRAWN
    if attended >= stage.completion_min_meetings:
        return Outcome.COMPLETED
    return Outcome.DID_NOT_COMPLETE


@dataclass
class CompletionRow:
    member: GroupMember
    teachers: list[Participant]
    meetings_attended: int
    suggested: str
    recorded: Participation | None

    @property
    def school(self):
        return self.member.school

    @property
    def withdrawn(self) -> bool:
        return self.member.application.state == ApplicationState.WITHDRAWN

    @property
    def suggested_label(self) -> str:
        return Outcome(self.suggested).label

    @property
    def recorded_label(self) -> str:
        return self.recorded.get_outcome_display() if self.recorded else ""

    @property
    def initial_outcome(self) -> str:
        """What the form starts with: the recorded outcome, or else the suggestion."""
        return self.recorded.outcome if self.recorded else self.suggested

    @property
    def initial_reason(self) -> str:
        return self.recorded.note if self.recorded else ""


@dataclass
class GroupCompletion:
    work_group: WorkGroup
    meetings_planned: int
    meetings_held: int
    """Logged and not cancelled: the meetings attendance can count."""
    meetings_unlogged: int
    """Not cancelled, before today, and not logged yet."""
    meetings_cancelled: int
    rows: list[CompletionRow]

    @property
    def fewer_than_planned(self) -> bool:
        return self.meetings_held < self.meetings_planned

    def counts(self) -> dict[str, int]:
        """How many schools have each recorded outcome."""
        counts = dict.fromkeys(Outcome.values, 0)
        for row in self.rows:
            if row.recorded:
                counts[row.recorded.outcome] += 1
        return counts


def group_completion(work_group: WorkGroup, *, today: date | None = None) -> GroupCompletion:
    """Everything the completion screen shows for ``work_group`` (fetched by the view
    through ``visible_to`` with its stage and year): five queries."""
    today = today or timezone.localdate()
    stage, year = work_group.stage, work_group.year
    members = list(
        GroupMember.objects.filter(work_group=work_group)
        .select_related("school", "application")
        .prefetch_related(
            Prefetch(
                "application__participants",
                queryset=Participant.objects.order_by("position"),
                to_attr="teachers",
            )
        )
        .order_by("school__name", "pk")
    )
    scheduled = Q(state=MeetingState.SCHEDULED)
    meetings = Meeting.objects.filter(work_group=work_group).aggregate(
        held=Count("pk", filter=scheduled & Q(logged_at__isnull=False)),
        unlogged=Count("pk", filter=scheduled & Q(logged_at__isnull=True, date__lt=today)),
        cancelled=Count("pk", filter=Q(state=MeetingState.CANCELLED)),
    )
    # A school attended a meeting when at least one of its teachers was present: the
    # same rule as the cohort page (workgroups.selectors.cohort.cohort_rows).
    attended = dict(
        Attendance.objects.filter(
            participant__application_id__in=[m.application_id for m in members],
            status=AttendanceStatus.PRESENT,
        )
        .values_list("participant__application_id")
        .annotate(n=Count("meeting", distinct=True))
    )
    recorded = {
        p.school_id: p
        for p in Participation.objects.filter(
            school_id__in=[m.school_id for m in members], stage=stage, year=year
        ).select_related("recorded_by")
    }
    rows = []
    for member in members:
        count = attended.get(member.application_id, 0)
        rows.append(
            CompletionRow(
                member=member,
                teachers=member.application.teachers,
                meetings_attended=count,
                suggested=suggest_outcome(stage, member.application.state, count),
                recorded=recorded.get(member.school_id),
            )
        )
    return GroupCompletion(
        work_group=work_group,
        meetings_planned=stage.meetings_per_year,
        meetings_held=meetings["held"],
        meetings_unlogged=meetings["unlogged"],
        meetings_cancelled=meetings["cancelled"],
        rows=rows,
    )
