"""A work group's page, its meetings, and logging who came.

The specialist who leads a group schedules its meetings (six at once), changes or
cancels one with a reason, and logs attendance on a phone in under a minute. The
hub's leads see every group of their hub and may schedule for it; national admins
look. Headteachers have their own page (``groups:school``), so these answer 403.

Every row comes through ``visible_to``: another hub's group, or a group another
specialist leads, is a 404. What a role may do beyond seeing lives in
``workgroups.permissions``; every change goes through ``workgroups.services``."""

from __future__ import annotations

import re
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from hubportal.accounts.models import Role
from hubportal.accounts.roles import has_role, role_required
from hubportal.forms import page_of
from hubportal.notices import selectors as notice_selectors
from hubportal.pagination import page_items
from workgroups import permissions, services
from workgroups.forms.meetings import (
    AttendanceForm,
    CancelForm,
    HubMeetingFilterForm,
    MeetingForm,
    RescheduleForm,
)
from workgroups.models import AcademicYear, Meeting, MeetingState, ProgrammeStage, WorkGroup
from workgroups.selectors.hub import cohort_years
from workgroups.selectors.meetings import (
    LOG_GRACE,
    attach_meetings,
    attendance_by_school,
    attendance_summary,
    group_meetings,
    group_members,
    hub_meetings,
    led_groups,
    visible_group,
    visible_meeting,
    week_of,
)
from workgroups.services import ATTENDANCE_CORRECTION_DAYS, InvalidTransition

# Who may open a group's page and its meetings. Headteachers see their school's
# groups on their own page.
VIEWERS = (Role.HUB_LEAD, Role.NATIONAL_ADMIN, Role.SPECIALIST)
# The service names the fields of a MeetingPlan; the form calls the venue "venue".
PLAN_FIELDS = {"venue_school": "venue", "online_link": "online_link"}
SERIES_MESSAGE = re.compile(r"^Meeting (\d+): (.+)$")


def _group(request, pk: int) -> WorkGroup:
    try:
        return visible_group(request.user, pk)
    except WorkGroup.DoesNotExist:
        raise Http404("No such work group") from None


def _meeting(request, pk: int) -> Meeting:
    try:
        return visible_meeting(request.user, pk)
    except Meeting.DoesNotExist:
        raise Http404("No such meeting") from None


def _error_links(forms, extra: list[str] | None = None) -> list[tuple[str, str]]:
    """Every error of several forms, each linking to its control, for one summary."""
    links = [("", message) for message in extra or []]
    for form in forms:
        links.extend(form.error_links())
    return links


def _add_service_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            field = PLAN_FIELDS.get(name, name)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _not_loggable(meeting: Meeting, now) -> str:
    """Why the attendance form is not offered, in the service's words ("" if it is)."""
    if meeting.state == MeetingState.CANCELLED:
        return "This meeting was cancelled."
    if meeting.date > timezone.localdate(now):
        return "A meeting can be logged once it has taken place."
    if meeting.is_logged and now - meeting.logged_at > timedelta(days=ATTENDANCE_CORRECTION_DAYS):
        return (
            f"The log can be corrected for {ATTENDANCE_CORRECTION_DAYS} days; "
            "ask the hub to change it."
        )
    return ""


def _loggable(meeting: Meeting, now) -> bool:
    return not _not_loggable(meeting, now)


# ---------------------------------------------------------------------------
# The specialist's groups and the group's page


@role_required(Role.SPECIALIST)
def my_groups(request):
    """The groups the specialist leads: next meeting, logs due, and what to do next."""
    today = timezone.localdate()
    page = page_of(led_groups(request.user, today), request)
    groups = attach_meetings(list(page.object_list))
    return render(
        request,
        "workgroups/meetings/my_groups.html",
        {"groups": groups, "page": page, "page_items": page_items(page), "query": {}},
    )


@role_required(*VIEWERS)
def group_detail(request, pk: int):
    """The group's schools and teachers, its meetings, and what the person may do."""
    group = _group(request, pk)
    now = timezone.now()
    today = timezone.localdate(now)
    meetings = group_meetings(group)
    can_lead = permissions.can_lead(request.user, group)
    can_schedule = permissions.can_schedule(request.user, group)
    for meeting in meetings:
        meeting.has_taken_place = meeting.date <= today
        meeting.is_open = meeting.state == MeetingState.SCHEDULED and not meeting.is_logged
        meeting.may_log = can_lead and _loggable(meeting, now)
    scheduled = sum(1 for m in meetings if m.state == MeetingState.SCHEDULED)
    return render(
        request,
        "workgroups/meetings/group_detail.html",
        {
            "group": group,
            "members": group_members(group),
            "meetings": meetings,
            "scheduled": scheduled,
            "may_schedule_more": can_schedule and scheduled < group.stage.meetings_per_year,
            "can_schedule": can_schedule,
            "can_lead": can_lead,
            "can_manage": permissions.can_manage_hub(request.user, group.hub),
        },
    )


# ---------------------------------------------------------------------------
# Scheduling, changing and cancelling


@role_required(*VIEWERS)
@require_http_methods(["GET", "POST"])
def schedule(request, pk: int):
    """One form for the rest of the year's meetings; all of them are saved, or none."""
    group = _group(request, pk)
    if not permissions.can_schedule(request.user, group):
        raise PermissionDenied("Only the group's lead or its hub's leads schedule its meetings.")
    members = list(group.members.select_related("school").order_by("school__name"))
    scheduled = group.meetings.filter(state=MeetingState.SCHEDULED).count()
    numbers = range(scheduled + 1, group.stage.meetings_per_year + 1)
    if not numbers:
        messages.info(
            request, f"All {group.stage.meetings_per_year} meetings of {group.code} are scheduled"
        )
        return redirect("groups:detail", pk=group.pk)
    data = request.POST if request.method == "POST" else None
    rows = [
        MeetingForm(data, work_group=group, members=members, number=n, prefix=f"meeting-{n}")
        for n in numbers
    ]
    problems: list[str] = []
    if request.method == "POST":
        filled = [row for row in rows if not row.is_blank()]
        valid = [row.is_valid() for row in filled]
        if not filled:
            problems.append("Enter the date and venue of at least one meeting")
        elif all(valid):
            try:
                created = services.meeting_schedule_series(
                    actor=request.user, work_group=group, plans=[row.plan() for row in filled]
                )
            except ValidationError as error:
                problems.extend(_series_errors(filled, error))
            else:
                count = len(created)
                messages.success(
                    request,
                    f"Scheduled {count} meeting{'s' if count != 1 else ''} for {group.code}",
                )
                return redirect("groups:detail", pk=group.pk)
    return render(
        request,
        "workgroups/meetings/schedule.html",
        {
            "group": group,
            "rows": rows,
            "scheduled": scheduled,
            "error_links": _error_links(rows, problems),
            "has_errors": bool(problems) or any(row.errors for row in rows),
        },
    )


def _series_errors(filled: list[MeetingForm], error: ValidationError) -> list[str]:
    """Put the service's "Meeting N: ..." messages beside row N's field; anything it
    cannot place goes to the summary alone."""
    unplaced: list[str] = []
    items = error.error_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]
    for name, errors in items:
        for message in ValidationError(errors).messages:
            match = SERIES_MESSAGE.match(message)
            index = int(match.group(1)) - 1 if match else -1
            field = PLAN_FIELDS.get(name, name)
            if 0 <= index < len(filled) and field in filled[index].fields:
                row = filled[index]
                row.add_error(field, f"Meeting {row.number}: {match.group(2)}")
            else:
                unplaced.append(message)
    return unplaced


@role_required(*VIEWERS)
@require_http_methods(["GET", "POST"])
def reschedule(request, pk: int):
    """Change one meeting's date, time, kind or venue, saying why."""
    meeting = _meeting(request, pk)
    group = meeting.work_group
    if not permissions.can_schedule(request.user, group):
        raise PermissionDenied("Only the group's lead or its hub's leads change its meetings.")
    members = list(group.members.select_related("school").order_by("school__name"))
    if request.method == "POST":
        form = RescheduleForm(request.POST, work_group=group, members=members)
        if form.is_valid():
            try:
                saved = services.meeting_reschedule(
                    actor=request.user,
                    meeting=meeting,
                    plan=form.plan(),
                    reason=form.cleaned_data["reason"],
                )
            except InvalidTransition as error:
                for message in error.messages:
                    messages.error(request, message)
                return redirect("groups:meeting", pk=meeting.pk)
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                messages.success(request, f"Changed the meeting: now {saved}")
                return redirect("groups:meeting", pk=saved.pk)
    else:
        blocked = _change_blocked(meeting)
        if blocked:
            messages.error(request, blocked)
            return redirect("groups:meeting", pk=meeting.pk)
        form = RescheduleForm(
            work_group=group, members=members, initial=MeetingForm.initial_for(meeting)
        )
    return render(
        request, "workgroups/meetings/reschedule.html", {"meeting": meeting, "form": form}
    )


def _change_blocked(meeting: Meeting) -> str:
    if meeting.state == MeetingState.CANCELLED:
        return "This meeting was cancelled; schedule a new one instead."
    if meeting.is_logged:
        return "This meeting's attendance is logged; it cannot be changed."
    return ""


@role_required(*VIEWERS)
@require_http_methods(["GET", "POST"])
def cancel(request, pk: int):
    """Confirm cancelling a meeting, with the reason the schools will see."""
    meeting = _meeting(request, pk)
    group = meeting.work_group
    if not permissions.can_schedule(request.user, group):
        raise PermissionDenied("Only the group's lead or its hub's leads cancel its meetings.")
    if request.method == "POST":
        form = CancelForm(request.POST)
        if form.is_valid():
            try:
                services.meeting_cancel(
                    actor=request.user, meeting=meeting, reason=form.cleaned_data["reason"]
                )
            except InvalidTransition as error:
                for message in error.messages:
                    messages.error(request, message)
                return redirect("groups:meeting", pk=meeting.pk)
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                messages.success(request, f"Cancelled {meeting}")
                return redirect("groups:detail", pk=group.pk)
    else:
        blocked = _change_blocked(meeting)
        if blocked:
            messages.error(request, blocked.replace("changed", "cancelled"))
            return redirect("groups:meeting", pk=meeting.pk)
        form = CancelForm()
    return render(request, "workgroups/meetings/cancel.html", {"meeting": meeting, "form": form})


# ---------------------------------------------------------------------------
# A meeting and its attendance


@role_required(*VIEWERS)
def meeting_detail(request, pk: int):
    """The meeting, why it changed, who came (once logged), who logged it and the notes."""
    meeting = _meeting(request, pk)
    group = meeting.work_group
    schools = attendance_by_school(meeting)
    counts: dict[str, int] = {}
    for school in schools:
        for _participant, status in school.rows:
            if status:
                counts[status] = counts.get(status, 0) + 1
    now = timezone.now()
    can_schedule = permissions.can_schedule(request.user, group)
    return render(
        request,
        "workgroups/meetings/meeting_detail.html",
        {
            "meeting": meeting,
            "group": group,
            "schools": schools,
            "participant_count": sum(len(school.rows) for school in schools),
            "summary": attendance_summary(counts) if meeting.is_logged else "",
            "may_log": permissions.can_lead(request.user, group) and _loggable(meeting, now),
            "may_change": can_schedule and not _change_blocked(meeting),
            **_notices_sent(request.user, meeting),
        },
    )


def _notices_sent(user, meeting) -> dict:
    """For the hub's leads and national admins: the latest mails about the meeting."""
    if not has_role(user, Role.HUB_LEAD, Role.NATIONAL_ADMIN):
        return {}
    return {
        "notices": notice_selectors.for_meeting(user, meeting),
        "notices_url": notice_selectors.meeting_notices_url(meeting),
    }


@role_required(Role.SPECIALIST)
@require_http_methods(["GET", "POST"])
def log_attendance(request, pk: int):
    """Every participant set to present (or to what was logged); the specialist changes
    the exceptions, adds notes and saves. Corrections within 14 days are audited."""
    meeting = _meeting(request, pk)
    if not permissions.can_lead(request.user, meeting.work_group):
        raise PermissionDenied("Only the group's lead logs its meetings.")
    participants = services.meeting_participants(meeting)
    logged = dict(meeting.attendance.values_list("participant_id", "status"))
    data = request.POST if request.method == "POST" else None
    form = AttendanceForm(data, participants=participants, logged=logged, notes=meeting.notes)
    blocked = _not_loggable(meeting, timezone.now())
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_log_attendance(
                actor=request.user,
                meeting=meeting,
                statuses=form.statuses(),
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as error:
            # InvalidTransition too: a future or cancelled meeting, or a log too old.
            problems.extend(error.messages)
        else:
            messages.success(request, f"Attendance saved for {meeting}")
            return redirect("groups:meeting", pk=meeting.pk)
    return render(
        request,
        "workgroups/meetings/log_attendance.html",
        {
            "meeting": meeting,
            "form": form,
            "blocked": blocked,
            "problems": problems,
            "error_links": _error_links([form], problems),
            "correcting": meeting.is_logged,
            "correct_until": meeting.logged_at + timedelta(days=ATTENDANCE_CORRECTION_DAYS)
            if meeting.is_logged
            else None,
        },
    )


@role_required(Role.HUB_LEAD, Role.NATIONAL_ADMIN)
def hub_meeting_list(request):
    """Every meeting of the hub's groups in a year, or just this week's or those whose
    attendance log is overdue: the lists behind the figures on the hub lead's home."""
    current = AcademicYear.objects.current()
    form = HubMeetingFilterForm(
        request.GET or None,
        years=cohort_years(request.user, current),
        stages=list(ProgrammeStage.objects.order_by("order")),
        current=current,
    )
    chosen = form.chosen()
    now = timezone.now()
    page = page_of(hub_meetings(request.user, now=now, **chosen), request)
    today = timezone.localdate(now)
    for meeting in page.object_list:
        meeting.has_taken_place = meeting.date <= today
    monday, sunday = week_of(today)
    query = {
        "year": chosen["year"].slug,
        "stage": chosen["stage"].code if chosen["stage"] else "",
        "when": chosen["when"],
    }
    return render(
        request,
        "workgroups/meetings/hub_list.html",
        {
            "form": form,
            "page": page,
            "page_items": page_items(page),
            "query": {key: value for key, value in query.items() if value},
            "week_starts": monday,
            "week_ends": sunday,
            "grace_days": LOG_GRACE.days,
            "show_hub": has_role(request.user, Role.NATIONAL_ADMIN),
            **chosen,
        },
    )
