"""What the group page, the specialist's groups and the meeting pages show.

Every read starts from ``visible_to`` so another hub's or another specialist's
group is not found, and costs a fixed number of queries however many schools,
participants or meetings there are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from workgroups.models import (
    Attendance,
    AttendanceStatus,
    GroupMember,
    Meeting,
    MeetingState,
    Participant,
    WorkGroup,
)
from workgroups.services import meeting_participants

# A meeting's attendance log is overdue once the meeting ended more than this long ago.
LOG_GRACE = timedelta(days=2)


def week_of(today: date) -> tuple[date, date]:
    """Monday and Sunday of the week holding ``today``."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def log_overdue(now: datetime, prefix: str = "") -> Q:
    """Scheduled, not logged, and ended before ``now - LOG_GRACE``."""
    cutoff = timezone.localtime(now) - LOG_GRACE
    ended = Q(**{f"{prefix}date__lt": cutoff.date()}) | Q(
        **{f"{prefix}date": cutoff.date(), f"{prefix}ends_at__lte": cutoff.time()}
    )
    return ended & Q(
        **{f"{prefix}state": MeetingState.SCHEDULED, f"{prefix}logged_at__isnull": True}
    )


# What the hub's meeting list can narrow to: the figures on the hub lead's home.
MEETINGS_THIS_WEEK = "this-week"
LOGS_OVERDUE = "overdue"


def hub_meetings(
    user, *, year, stage=None, when: str = "", now: datetime | None = None
) -> QuerySet[Meeting]:
    """The year's meetings of every group the person may see, soonest first: all of
    them, this week's scheduled ones, or those whose attendance log is overdue."""
    now = now or timezone.now()
    meetings = Meeting.objects.visible_to(user).filter(work_group__year=year)
    if stage is not None:
        meetings = meetings.filter(work_group__stage=stage)
    if when == MEETINGS_THIS_WEEK:
        meetings = meetings.filter(
            state=MeetingState.SCHEDULED, date__range=week_of(timezone.localdate(now))
        )
    elif when == LOGS_OVERDUE:
        meetings = meetings.filter(log_overdue(now))
    return meetings.select_related(
        "work_group__stage", "work_group__hub", "work_group__lead", "venue_school"
    ).order_by("date", "starts_at", "pk")


def _held_unlogged(today: date, prefix: str = "") -> Q:
    """Meetings that have taken place (before today) and still have no attendance log."""
    return Q(
        **{
            f"{prefix}state": MeetingState.SCHEDULED,
            f"{prefix}date__lt": today,
            f"{prefix}logged_at__isnull": True,
        }
    )


def led_groups(user, today: date) -> QuerySet[WorkGroup]:
    """The specialist's groups, each with its school count, scheduled meetings, logs
    due, and the ids of its next meeting and of the oldest meeting waiting for a log."""
    meetings = Meeting.objects.filter(work_group=OuterRef("pk")).order_by("date", "starts_at")
    return (
        WorkGroup.objects.visible_to(user)
        .select_related("stage", "year", "hub")
        .annotate(
            schools_count=Count("members", distinct=True),
            scheduled_count=Count(
                "meetings", filter=Q(meetings__state=MeetingState.SCHEDULED), distinct=True
            ),
            logs_due=Count("meetings", filter=_held_unlogged(today, "meetings__"), distinct=True),
            next_meeting_id=Subquery(
                meetings.filter(state=MeetingState.SCHEDULED, date__gte=today).values("pk")[:1]
            ),
            first_due_id=Subquery(meetings.filter(_held_unlogged(today)).values("pk")[:1]),
        )
        .order_by("-year__start_year", "stage__order", "number")
    )


def attach_meetings(groups: list[WorkGroup]) -> list[WorkGroup]:
    """Put each group's next meeting and first meeting due a log on it: one query."""
    ids = {g.next_meeting_id for g in groups} | {g.first_due_id for g in groups}
    ids.discard(None)
    found = {m.pk: m for m in Meeting.objects.filter(pk__in=ids).select_related("venue_school")}
    for group in groups:
        group.next_meeting = found.get(group.next_meeting_id)
        group.first_due = found.get(group.first_due_id)
    return groups


def visible_group(user, pk: int) -> WorkGroup:
    """The group if the person may see it; raises WorkGroup.DoesNotExist otherwise."""
    return (
        WorkGroup.objects.visible_to(user).select_related("stage", "year", "hub", "lead").get(pk=pk)
    )


def group_members(group: WorkGroup) -> list[GroupMember]:
    """The member schools with their participants, by school name: two queries."""
    return list(
        GroupMember.objects.filter(work_group=group)
        .select_related("school", "application")
        .prefetch_related(
            Prefetch("application__participants", queryset=Participant.objects.order_by("position"))
        )
        .order_by("school__name")
    )


def group_meetings(group: WorkGroup) -> list[Meeting]:
    """The group's meetings with their venue and attendance counts: one query."""
    return list(
        group.meetings.select_related("venue_school")
        .annotate(
            present_count=Count(
                "attendance", filter=Q(attendance__status=AttendanceStatus.PRESENT)
            ),
            logged_count=Count("attendance"),
        )
        .order_by("date", "starts_at", "pk")
    )


def visible_meeting(user, pk: int) -> Meeting:
    """The meeting if the person may see its group; raises Meeting.DoesNotExist otherwise."""
    return (
        Meeting.objects.visible_to(user)
        .select_related(
            "work_group__stage",
            "work_group__year",
            "work_group__hub",
            "work_group__lead",
            "venue_school",
            "logged_by",
        )
        .get(pk=pk)
    )


@dataclass
class SchoolAttendance:
    """One member school's participants at a meeting and what was logged for each."""

    school_name: str
    rows: list[tuple[Participant, str]] = field(default_factory=list)


def attendance_by_school(meeting: Meeting) -> list[SchoolAttendance]:
    """Every participant expected at the meeting, grouped by school, with the logged
    status ("" before the meeting is logged): two queries."""
    logged = dict(
        Attendance.objects.filter(meeting=meeting).values_list("participant_id", "status")
    )
    schools: list[SchoolAttendance] = []
    for participant in meeting_participants(meeting):
        name = participant.application.school.name
        if not schools or schools[-1].school_name != name:
            schools.append(SchoolAttendance(name))
        schools[-1].rows.append((participant, logged.get(participant.pk, "")))
    return schools


def attendance_summary(counts: dict[str, int]) -> str:
    """ "12 present, 2 absent" — each status that anyone has, in a fixed order."""
    parts = []
    for status, word in (
        (AttendanceStatus.PRESENT, "present"),
        (AttendanceStatus.ABSENT, "absent"),
        (AttendanceStatus.APOLOGIES, "sent apologies"),
    ):
        if counts.get(status):
            parts.append(f"{counts[status]} {word}")
    return ", ".join(parts) or "nobody recorded"


def meetings_due_a_log(user, today: date) -> list[Meeting]:
    """The specialist's meetings that have taken place and have no log yet, oldest first."""
    return list(
        Meeting.objects.visible_to(user)
        .filter(_held_unlogged(today))
        .select_related("work_group")
        .order_by("date", "starts_at")[:20]
    )


def upcoming_meetings(user, today: date, limit: int = 5) -> list[Meeting]:
    """The person's next scheduled meetings across their groups."""
    return list(
        Meeting.objects.visible_to(user)
        .filter(state=MeetingState.SCHEDULED, date__gte=today)
        .select_related("work_group", "venue_school")
        .order_by("date", "starts_at")[:limit]
    )
