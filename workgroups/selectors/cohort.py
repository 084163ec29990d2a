"""The cohort page: every accepted school of a hub × stage × year, its group,
participants, attendance so far and outcome, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from workgroups.models import (
    AcademicYear,
    Application,
    ApplicationState,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingState,
    Outcome,
    Participant,
    Participation,
    ProgrammeStage,
)

SORTS = {
    "school": ("school__name",),
    "-school": ("-school__name",),
    "group": ("group_member__work_group__number", "school__name"),
    "-group": ("-group_member__work_group__number", "school__name"),
}


def cohort_applications(
    user, stage: ProgrammeStage, year: AcademicYear, *, placed: str = "", sort: str = "school"
) -> QuerySet[Application]:
    """The accepted applications of the person's cohort, with their schools and groups."""
    queryset = (
        Application.objects.visible_to(user)
        .filter(stage=stage, year=year, state=ApplicationState.ACCEPTED)
        .select_related("school", "hub", "group_member__work_group__lead")
        .prefetch_related(
            Prefetch("participants", queryset=Participant.objects.order_by("position"))
        )
    )
    if placed == "yes":
        queryset = queryset.filter(group_member__isnull=False)
    elif placed == "no":
        queryset = queryset.filter(group_member__isnull=True)
    return queryset.order_by(*SORTS.get(sort, SORTS["school"]), "pk")


@dataclass
class CohortRow:
    application: Application
    meetings_held: int
    meetings_attended: int
    outcome: str


def cohort_rows(applications: list[Application], stage, year) -> list[CohortRow]:
    """Attendance and outcomes for one page of the cohort: three queries."""
    group_ids = {a.group_member.work_group_id for a in applications if hasattr(a, "group_member")}
    held = dict(
        Meeting.objects.filter(
            work_group_id__in=group_ids, state=MeetingState.SCHEDULED, logged_at__isnull=False
        )
        .values_list("work_group_id")
        .annotate(n=Count("id"))
    )
    # A school attended a meeting when any of its participants was present.
    attended = dict(
        Attendance.objects.filter(
            participant__application__in=applications, status=AttendanceStatus.PRESENT
        )
        .values_list("participant__application_id")
        .annotate(n=Count("meeting", distinct=True))
    )
    outcomes = dict(
        Participation.objects.filter(
            Q(school_id__in=[a.school_id for a in applications]), stage=stage, year=year
        ).values_list("school_id", "outcome")
    )
    rows = []
    for application in applications:
        member = getattr(application, "group_member", None)
        rows.append(
            CohortRow(
                application=application,
                meetings_held=held.get(member.work_group_id, 0) if member else 0,
                meetings_attended=attended.get(application.pk, 0),
                outcome=Outcome(outcomes[application.school_id]).label
                if application.school_id in outcomes
                else "",
            )
        )
    return rows
