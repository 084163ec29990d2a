"""The headteacher's view of their school's work groups: the specialist, the other
schools, the meetings and their own teachers' attendance; and replacing a teacher
who leaves.

Only headteachers use these pages (anyone else: 403). Groups come through
``WorkGroup.objects.visible_to`` and teachers through the school's own applications
(``Application.objects.visible_to``), so another school's teacher is a 404 and
another school's attendance is never read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from hubportal.accounts.models import Role
from hubportal.accounts.roles import active_membership, role_required
from hubportal.forms import add_service_errors, page_of
from hubportal.pagination import page_items
from workgroups import services
from workgroups.forms.school_groups import ParticipantReplaceForm
from workgroups.models import (
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
    WorkGroup,
)

headteacher_required = role_required(Role.HEADTEACHER)

# What a teacher's cell says for a meeting, and the colour of its tag.
STATUS_TAGS = {
    AttendanceStatus.PRESENT: "govuk-tag--green",
    AttendanceStatus.ABSENT: "govuk-tag--red",
    AttendanceStatus.APOLOGIES: "govuk-tag--yellow",
    "not_logged": "govuk-tag--grey",
    "not_recorded": "govuk-tag--grey",
    "upcoming": "govuk-tag--blue",
    "cancelled": "govuk-tag--grey",
}
STATUS_LABELS = {
    **{status.value: status.label for status in AttendanceStatus},
    "not_logged": "Not logged yet",
    "not_recorded": "Not recorded",
    "upcoming": "Upcoming",
    "cancelled": "Not held",
}


@dataclass
class TeacherCell:
    participant: Participant
    status: str

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def tag(self) -> str:
        return STATUS_TAGS[self.status]


@dataclass
class MeetingRow:
    meeting: Meeting
    cells: list[TeacherCell]

    @property
    def cancelled(self) -> bool:
        return self.meeting.state == MeetingState.CANCELLED

    @property
    def times(self) -> str:
        return f"{_clock(self.meeting.starts_at)} to {_clock(self.meeting.ends_at)}"


@dataclass
class SchoolGroup:
    group: WorkGroup
    other_schools: list = field(default_factory=list)
    teachers: list[Participant] = field(default_factory=list)
    meetings: list[MeetingRow] = field(default_factory=list)
    held: int = 0
    attended: int = 0
    outcome: str = ""
    is_current: bool = False
    can_replace: bool = False


def _clock(moment: time) -> str:
    """GOV.UK style: 9am, 1:30pm, midday."""
    if moment.hour == 12 and moment.minute == 0:
        return "midday"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


def _start_year(today: date) -> int:
    return today.year if today.month >= 9 else today.year - 1


def _cell_status(meeting: Meeting, status: str | None, today: date) -> str:
    if meeting.state == MeetingState.CANCELLED:
        return "cancelled"
    if meeting.is_logged:
        return status or "not_recorded"
    return "upcoming" if meeting.date > today else "not_logged"


def school_group_rows(user, school, groups: list[WorkGroup], today: date) -> list[SchoolGroup]:
    """One page of the school's groups with their meetings and the school's own
    teachers' attendance: five queries, whatever the number of groups or meetings."""
    ids = [g.pk for g in groups]
    current = _start_year(today)
    rows = {
        g.pk: SchoolGroup(
            group=g,
            is_current=g.year.start_year == current,
            can_replace=g.year.start_year >= current,
        )
        for g in groups
    }
    own_applications = {}
    for member in (
        GroupMember.objects.filter(work_group_id__in=ids)
        .select_related("school", "application")
        .order_by("school__name")
    ):
        if member.school_id == school.pk:
            own_applications[member.work_group_id] = member.application
        else:
            rows[member.work_group_id].other_schools.append(member.school)
    # The school's own teachers only, through the school's own applications.
    teachers = list(
        Participant.objects.filter(
            application__in=Application.objects.visible_to(user),
            application__group_member__work_group_id__in=ids,
        )
        .select_related("application__group_member")
        .order_by("position")
    )
    by_group: dict[int, list[Participant]] = {}
    for teacher in teachers:
        by_group.setdefault(teacher.application.group_member.work_group_id, []).append(teacher)
    statuses = {
        (meeting_id, participant_id): status
        for meeting_id, participant_id, status in Attendance.objects.filter(
            participant__in=[t.pk for t in teachers], meeting__work_group_id__in=ids
        ).values_list("meeting_id", "participant_id", "status")
    }
    outcomes = {
        (p.stage_id, p.year_id): Outcome(p.outcome).label
        for p in Participation.objects.visible_to(user).filter(
            school=school,
            stage_id__in={g.stage_id for g in groups},
            year_id__in={g.year_id for g in groups},
        )
    }
    for row in rows.values():
        row.teachers = by_group.get(row.group.pk, [])
        application = own_applications.get(row.group.pk)
        row.can_replace = row.can_replace and (
            application is not None and application.state == ApplicationState.ACCEPTED
        )
        row.outcome = outcomes.get((row.group.stage_id, row.group.year_id), "")
    for meeting in Meeting.objects.filter(work_group_id__in=ids).select_related("venue_school"):
        row = rows[meeting.work_group_id]
        cells = [
            TeacherCell(t, _cell_status(meeting, statuses.get((meeting.pk, t.pk)), today))
            for t in row.teachers
        ]
        row.meetings.append(MeetingRow(meeting, cells))
        if meeting.state == MeetingState.SCHEDULED and meeting.is_logged:
            row.held += 1
            if any(c.status == AttendanceStatus.PRESENT for c in cells):
                row.attended += 1
    return [rows[pk] for pk in ids]


@headteacher_required
def school_groups(request):
    """The school's work groups, this year's first, then any later, then earlier years."""
    school = active_membership(request.user).school
    today = timezone.localdate()
    current = _start_year(today)
    groups = (
        WorkGroup.objects.visible_to(request.user)
        .select_related("stage", "year", "lead")
        .annotate(
            year_rank=Case(
                When(year__start_year=current, then=Value(0)),
                When(year__start_year__gt=current, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("year_rank", "-year__start_year", "stage__order", "number")
    )
    page = page_of(groups, request)
    return render(
        request,
        "workgroups/school_groups/list.html",
        {
            "school": school,
            "rows": school_group_rows(request.user, school, list(page.object_list), today),
            "page": page,
            "page_items": page_items(page),
            "query": {},
        },
    )


@headteacher_required
@require_http_methods(["GET", "POST"])
def replace_participant(request, pk: int):
    """Replace one of the school's teachers in its work group with the new teacher's details."""
    participant = get_object_or_404(
        Participant.objects.filter(
            application__in=Application.objects.visible_to(request.user).filter(
                state=ApplicationState.ACCEPTED
            )
        ).select_related(
            "application__stage",
            "application__year",
            "application__school",
            "application__group_member__work_group",
        ),
        pk=pk,
    )
    application = participant.application
    others = list(application.participants.exclude(pk=participant.pk))
    member = getattr(application, "group_member", None)
    form = ParticipantReplaceForm(
        request.POST if request.method == "POST" else None,
        participant=participant,
        others=others,
    )
    if request.method == "POST" and form.is_valid():
        previous = participant.name
        try:
            replaced = services.participant_replace(
                actor=request.user, participant=participant, **form.changes()
            )
        except services.InvalidTransition as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if replaced.name == previous:
                messages.success(request, f"{replaced.name}'s details are updated.")
            else:
                messages.success(request, f"{replaced.name} now takes part in place of {previous}.")
            return redirect("groups:school")
    return render(
        request,
        "workgroups/school_groups/replace.html",
        {
            "form": form,
            "participant": participant,
            "application": application,
            "group": member.work_group if member else None,
        },
    )
