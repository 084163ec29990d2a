"""Work groups, their meetings, attendance and completions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from hubportal.accounts.models import Membership, Role
from hubportal.audit import audited_save
from hubportal.notices.models import NoticeKind
from hubportal.notices.services import notice_plan_on_commit
from hubportal.notices.sweeps import describe_meeting, meeting_change_plans, next_stage_plans
from schools.models import Hub, School
from workgroups import permissions
from workgroups.models import (
    AcademicYear,
    Application,
    ApplicationState,
    Attendance,
    AttendanceStatus,
    GroupMember,
    Meeting,
    MeetingKind,
    MeetingState,
    Outcome,
    Participant,
    Participation,
    ProgrammeStage,
    WorkGroup,
)
from workgroups.services.applications import InvalidTransition, participation_record

__all__ = [
    "MeetingPlan",
    "participant_replace",
    "workgroup_assign_lead",
    "workgroup_confirm_formation",
    "workgroup_move_school",
    "meeting_schedule_series",
    "meeting_reschedule",
    "meeting_cancel",
    "meeting_log_attendance",
    "meeting_participants",
    "completion_record",
    "ATTENDANCE_CORRECTION_DAYS",
]

ATTENDANCE_CORRECTION_DAYS = 14


def _check_lead(lead, hub: Hub) -> None:
    if lead is None:
        return
    if not Membership.objects.filter(user=lead, role=Role.SPECIALIST, hub=hub).exists():
        raise ValidationError({"lead": f"{lead} is not a Mastery Specialist of {hub.name}."})


def _check_size(stage: ProgrammeStage, size: int, label: str) -> None:
    if size > stage.hard_max_schools:
        raise ValidationError(
            f"{label} would have {size} schools; a group may have at most {stage.hard_max_schools}."
        )


def workgroup_confirm_formation(
    *,
    actor,
    hub: Hub,
    stage: ProgrammeStage,
    year: AcademicYear,
    groups: list[tuple[list[int], object | None]],
) -> list[WorkGroup]:
    """Create the groups the hub lead confirmed: each a list of school ids and a lead.

    Every school must be accepted into this cohort and in no group yet; nothing is
    created unless all of it can be."""
    if not permissions.can_manage_hub(actor, hub):
        raise PermissionDenied("Only the hub's leads form its work groups.")
    with transaction.atomic():
        accepted = {
            a.school_id: a
            for a in Application.objects.select_for_update().filter(
                hub=hub, stage=stage, year=year, state=ApplicationState.ACCEPTED
            )
        }
        next_number = (
            WorkGroup.objects.filter(hub=hub, stage=stage, year=year).aggregate(n=Max("number"))[
                "n"
            ]
            or 0
        ) + 1
        created = []
        for offset, (school_ids, lead) in enumerate(g for g in groups if g[0]):
            number = next_number + offset
            _check_size(stage, len(school_ids), f"Group {number}")
            _check_lead(lead, hub)
            missing = [sid for sid in school_ids if sid not in accepted]
            if missing:
                names = ", ".join(
                    School.objects.filter(pk__in=missing).values_list("name", flat=True)
                )
                raise ValidationError(f"Not accepted into this cohort: {names}.")
            group = WorkGroup(
                hub=hub,
                stage=stage,
                year=year,
                number=number,
                code=WorkGroup.make_code(hub, stage, year, number),
                lead=lead,
            )
            audited_save(group, actor=actor, reason="Formed the group")
            for school_id in school_ids:
                member = GroupMember(
                    work_group=group,
                    school_id=school_id,
                    application=accepted[school_id],
                    stage=stage,
                    year=year,
                )
                try:
                    with transaction.atomic():
                        audited_save(member, actor=actor, reason="Placed in the group")
                except IntegrityError as error:
                    raise ValidationError(
                        f"{accepted[school_id].school.name} is already in a group of this cohort."
                    ) from error
            created.append(group)
    return created


def workgroup_move_school(*, actor, member: GroupMember, to_group: WorkGroup) -> GroupMember:
    """Move a school to another group of the same cohort."""
    if not permissions.can_manage_hub(actor, member.work_group.hub):
        raise PermissionDenied("Only the hub's leads move schools between groups.")
    with transaction.atomic():
        member = (
            GroupMember.objects.select_for_update().select_related("work_group").get(pk=member.pk)
        )
        to_group = WorkGroup.objects.select_for_update().select_related("stage").get(pk=to_group.pk)
        source = member.work_group
        if (to_group.hub_id, to_group.stage_id, to_group.year_id) != (
            source.hub_id,
            source.stage_id,
            source.year_id,
        ):
            raise ValidationError("A school can only move to another group of the same cohort.")
        _check_size(to_group.stage, to_group.members.count() + 1, to_group.code)
        member.work_group = to_group
        audited_save(member, actor=actor, reason=f"Moved from {source.code} to {to_group.code}")
    return member


def workgroup_assign_lead(*, actor, work_group: WorkGroup, lead) -> WorkGroup:
    """Assign or change the group's Mastery Specialist."""
    if not permissions.can_manage_hub(actor, work_group.hub):
        raise PermissionDenied("Only the hub's leads assign a group's specialist.")
    _check_lead(lead, work_group.hub)
    with transaction.atomic():
        work_group = WorkGroup.objects.select_for_update().get(pk=work_group.pk)
        work_group.lead = lead
        audited_save(
            work_group, actor=actor, reason=f"Lead: {lead}" if lead else "Removed the lead"
        )
    return work_group


def participant_replace(*, actor, participant: Participant, **fields) -> Participant:
    """Replace a participating teacher (a school's teacher leaves mid-year)."""
    application = participant.application
    if not permissions.can_change_participants(actor, application):
        raise PermissionDenied(
            "Only the school's headteacher or its hub's leads change participants."
        )
    if application.state != ApplicationState.ACCEPTED:
        raise InvalidTransition("Participants of a draft are changed in the application itself.")
    allowed = {"name", "email", "job_role", "is_maths_lead", "trn"}
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        for name, value in fields.items():
            if name not in allowed:
                raise ValueError(f"Not a participant field: {name}")
            setattr(participant, name, value)
        participant.full_clean(exclude=["application"])
        audited_save(participant, actor=actor, reason="Replaced the participant")
    return participant


@dataclass(frozen=True)
class MeetingPlan:
    date: date
    starts_at: time
    ends_at: time
    kind: str = MeetingKind.WORKSHOP
    venue_school: School | None = None
    online_link: str = ""


def _check_plan(work_group: WorkGroup, plan: MeetingPlan, label: str) -> dict:
    errors = {}
    if plan.ends_at <= plan.starts_at:
        errors["ends_at"] = f"{label}: the end time must be after the start time"
    if plan.kind not in MeetingKind.values:
        errors["kind"] = f"{label}: choose workshop, lesson observation or school visit"
    if plan.venue_school is None and not plan.online_link:
        errors["venue_school"] = (
            f"{label}: choose a member school as the venue, or give an online link"
        )
    if (
        plan.venue_school is not None
        and not work_group.members.filter(school=plan.venue_school).exists()
    ):
        errors["venue_school"] = f"{label}: the venue must be one of the group's schools"
    if not (work_group.year.starts <= plan.date <= work_group.year.ends):
        errors["date"] = f"{label}: the date must fall in {work_group.year.label}"
    return errors


def meeting_schedule_series(
    *, actor, work_group: WorkGroup, plans: list[MeetingPlan]
) -> list[Meeting]:
    """Schedule several meetings at once (usually the year's six)."""
    if not permissions.can_schedule(actor, work_group):
        raise PermissionDenied("Only the group's lead or its hub's leads schedule its meetings.")
    errors: dict[str, list[str]] = {}
    for number, plan in enumerate(plans, start=1):
        for field, message in _check_plan(work_group, plan, f"Meeting {number}").items():
            errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        WorkGroup.objects.select_for_update().get(pk=work_group.pk)
        meetings = []
        for plan in plans:
            meeting = Meeting(
                work_group=work_group,
                kind=plan.kind,
                date=plan.date,
                starts_at=plan.starts_at,
                ends_at=plan.ends_at,
                venue_school=plan.venue_school,
                online_link=plan.online_link,
            )
            audited_save(meeting, actor=actor, reason="Scheduled")
            meetings.append(meeting)
    return meetings


def meeting_reschedule(*, actor, meeting: Meeting, plan: MeetingPlan, reason: str) -> Meeting:
    """Change a meeting's date, time, kind or venue, saying why."""
    if not permissions.can_schedule(actor, meeting.work_group):
        raise PermissionDenied("Only the group's lead or its hub's leads change its meetings.")
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the meeting is changing"})
    errors = _check_plan(meeting.work_group, plan, "The meeting")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.state == MeetingState.CANCELLED:
            raise InvalidTransition("This meeting was cancelled; schedule a new one instead.")
        if meeting.is_logged:
            raise InvalidTransition("This meeting's attendance is logged; it cannot be moved.")
        was = describe_meeting(meeting)
        meeting.date, meeting.starts_at, meeting.ends_at = plan.date, plan.starts_at, plan.ends_at
        meeting.kind, meeting.venue_school, meeting.online_link = (
            plan.kind,
            plan.venue_school,
            plan.online_link,
        )
        meeting.change_reason = reason.strip()
        audited_save(meeting, actor=actor, reason=f"Rescheduled: {reason.strip()}")
        notice_plan_on_commit(meeting_change_plans(meeting, NoticeKind.MEETING_CHANGED, was=was))
    return meeting


def meeting_cancel(*, actor, meeting: Meeting, reason: str) -> Meeting:
    if not permissions.can_schedule(actor, meeting.work_group):
        raise PermissionDenied("Only the group's lead or its hub's leads cancel its meetings.")
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the meeting is cancelled"})
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.state == MeetingState.CANCELLED:
            raise InvalidTransition("This meeting is already cancelled.")
        if meeting.is_logged:
            raise InvalidTransition("This meeting's attendance is logged; it cannot be cancelled.")
        meeting.state = MeetingState.CANCELLED
        meeting.change_reason = reason.strip()
        audited_save(meeting, actor=actor, reason=f"Cancelled: {reason.strip()}")
        notice_plan_on_commit(
            meeting_change_plans(
                meeting, NoticeKind.MEETING_CANCELLED, was=describe_meeting(meeting)
            )
        )
    return meeting


def meeting_participants(meeting: Meeting) -> list[Participant]:
    """Everyone expected at a meeting: the participants of the group's schools."""
    return list(
        Participant.objects.filter(application__group_member__work_group_id=meeting.work_group_id)
        .select_related("application__school")
        .order_by("application__school__name", "position")
    )


def meeting_log_attendance(
    *,
    actor,
    meeting: Meeting,
    statuses: dict[int, str],
    notes: str = "",
    now: datetime | None = None,
) -> Meeting:
    """Log (or, within 14 days, correct) who came to a meeting that has taken place."""
    now = now or timezone.now()
    if not permissions.can_lead(actor, meeting.work_group):
        raise PermissionDenied("Only the group's lead logs its meetings.")
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update().select_related("work_group").get(pk=meeting.pk)
        )
        if meeting.state == MeetingState.CANCELLED:
            raise InvalidTransition("This meeting was cancelled.")
        if meeting.date > timezone.localdate(now):
            raise InvalidTransition("A meeting can be logged once it has taken place.")
        if meeting.is_logged and now - meeting.logged_at > timedelta(
            days=ATTENDANCE_CORRECTION_DAYS
        ):
            raise InvalidTransition(
                f"The log can be corrected for {ATTENDANCE_CORRECTION_DAYS} days; "
                "ask the hub to change it."
            )
        expected = {p.pk for p in meeting_participants(meeting)}
        if set(statuses) != expected or not set(statuses.values()) <= set(AttendanceStatus.values):
            raise ValidationError(
                "Give every participant's attendance: present, absent or apologies."
            )
        existing = {a.participant_id: a for a in meeting.attendance.select_for_update()}
        correcting = meeting.is_logged
        for participant_id, status in statuses.items():
            row = existing.get(participant_id) or Attendance(
                meeting=meeting, participant_id=participant_id
            )
            if row.pk and row.status == status:
                continue
            row.status = status
            audited_save(row, actor=actor, reason="Corrected" if correcting else "Logged")
        meeting.notes = notes
        if not correcting:
            meeting.logged_at = now
            meeting.logged_by = actor
        audited_save(
            meeting, actor=actor, reason="Corrected the log" if correcting else "Logged attendance"
        )
    return meeting


def completion_record(
    *,
    actor,
    member: GroupMember,
    outcome: str,
    suggested: str | None = None,
    reason: str = "",
) -> Participation:
    """Record a school's outcome for the year; overriding the suggestion needs a reason."""
    if suggested and outcome != suggested and not reason.strip():
        raise ValidationError({"reason": "Enter why the outcome differs from the attendance"})
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Choose completed, did not complete or withdrawn"})
    with transaction.atomic():
        participation = participation_record(
            actor=actor,
            school=member.school,
            stage=member.stage,
            year=member.year,
            outcome=outcome,
            note=reason.strip(),
            source=Participation.Source.COMPLETION,
            hub=member.work_group.hub,
        )
        notice_plan_on_commit(next_stage_plans(participation))
    return participation
