"""What is due: each function turns the state of the programme into notice plans.

Each loads its rows in a fixed number of queries however many meetings, schools or
people are involved (the tests assert it), and plans every notice it finds due; the
ledger's unique constraint makes a plan already made a no-op, so a sweep can run as
often as beat likes and a missed run is caught up by the next."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from hubportal.accounts.models import Membership, Role
from hubportal.notices.models import NoticeKind
from hubportal.notices.services import Plan, Recipient, headteachers_of, person

K = NoticeKind
# Log nudges and reminders look no further back than this.
LOOK_BACK_DAYS = 60


def _at(day: date, clock: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock))


def _participants_by_group(group_ids) -> dict[int, dict[int, list[Recipient]]]:
    """work group id → school id → its participants: one query."""
    from workgroups.models import Participant

    found: dict[int, dict[int, list[Recipient]]] = defaultdict(lambda: defaultdict(list))
    rows = Participant.objects.filter(
        application__group_member__work_group_id__in=list(group_ids)
    ).values_list(
        "application__group_member__work_group_id", "application__school_id", "name", "email"
    )
    for group_id, school_id, name, email in rows.order_by("pk"):
        found[group_id][school_id].append(Recipient(email=email, name=name))
    return found


def meeting_reminders(now: datetime) -> list[Plan]:
    """Before each meeting, the reminder of the nearest offset that has come (7 days,
    then 1 day): to every participant, by school, and to the specialist. The occasion
    names the meeting's date and time, so a rescheduled meeting is reminded afresh."""
    from workgroups.models import Meeting, MeetingState

    offsets = sorted(settings.NOTICE_REMINDER_DAYS)
    today = timezone.localdate(now)
    meetings = [
        m
        for m in Meeting.objects.filter(
            state=MeetingState.SCHEDULED,
            date__gte=today,
            date__lte=today + timedelta(days=max(offsets)),
        ).select_related("work_group__lead")
        if _at(m.date, m.starts_at) > now
    ]
    people = _participants_by_group({m.work_group_id for m in meetings})
    plans = []
    for meeting in meetings:
        days_left = (meeting.date - today).days
        offset = min(d for d in offsets if days_left <= d)
        common = {
            "kind": K.MEETING_REMINDER,
            "subject_type": "meeting",
            "subject_id": meeting.pk,
            "occasion": f"{offset}d-{meeting.date:%Y%m%d}-{meeting.starts_at:%H%M}",
            "hub_id": meeting.work_group.hub_id,
            "meeting_id": meeting.pk,
            "context": {"days": offset},
        }
        for school_id, recipients in people[meeting.work_group_id].items():
            plans.append(Plan(recipients=recipients, school_id=school_id, **common))
        if meeting.work_group.lead is not None:
            plans.append(Plan(recipients=[person(meeting.work_group.lead)], **common))
    return plans


def log_nudges(now: datetime) -> list[Plan]:
    """A meeting that ended more than 2 days ago without a log: nudge its specialist;
    after 7 days, tell the hub's leads too."""
    from workgroups.models import Meeting, MeetingState

    today = timezone.localdate(now)
    meetings = [
        m
        for m in Meeting.objects.filter(
            state=MeetingState.SCHEDULED,
            logged_at__isnull=True,
            date__gte=today - timedelta(days=LOOK_BACK_DAYS),
            date__lte=today - timedelta(days=settings.NOTICE_LOG_DUE_DAYS),
        ).select_related("work_group__lead")
        if _at(m.date, m.ends_at) < now - timedelta(days=settings.NOTICE_LOG_DUE_DAYS)
    ]
    overdue = [
        m
        for m in meetings
        if _at(m.date, m.ends_at) < now - timedelta(days=settings.NOTICE_LOG_OVERDUE_DAYS)
    ]
    leads = _hub_leads({m.work_group.hub_id for m in overdue})
    plans = []
    for meeting in meetings:
        if meeting.work_group.lead is not None:
            plans.append(
                Plan(
                    kind=K.LOG_DUE,
                    subject_type="meeting",
                    subject_id=meeting.pk,
                    occasion="log",
                    recipients=[person(meeting.work_group.lead)],
                    hub_id=meeting.work_group.hub_id,
                    meeting_id=meeting.pk,
                )
            )
    for meeting in overdue:
        plans.append(
            Plan(
                kind=K.LOG_OVERDUE,
                subject_type="meeting",
                subject_id=meeting.pk,
                occasion="log",
                recipients=leads[meeting.work_group.hub_id],
                hub_id=meeting.work_group.hub_id,
                meeting_id=meeting.pk,
                context={"specialist": str(meeting.work_group.lead or "")},
            )
        )
    return plans


def _hub_leads(hub_ids) -> dict[int, list[Recipient]]:
    found: dict[int, list[Recipient]] = defaultdict(list)
    for membership in Membership.objects.filter(
        role=Role.HUB_LEAD, hub_id__in=list(hub_ids), user__is_active=True
    ).select_related("user"):
        found[membership.hub_id].append(person(membership.user))
    return found


def windows_opening(today: date) -> list[Plan]:
    """On the day a hub's application window opens (or the next two, should a sweep be
    missed): the headteachers of the hub's schools that may apply. Priority schools'
    notices are due at once, the others a few hours later."""
    from schools.models import School
    from workgroups.eligibility import check_eligibility, load_records, load_windows, stages
    from workgroups.models import ApplicationWindow

    windows = list(
        ApplicationWindow.objects.filter(
            opens__gte=today - timedelta(days=2), opens__lte=today, closes__gte=today
        ).select_related("hub", "stage", "year")
    )
    if not windows:
        return []
    hub_ids = {w.hub_id for w in windows}
    heads = headteachers_of(
        School.objects.filter(hub_id__in=hub_ids).open().values_list("pk", flat=True)
    )
    schools = {s.pk: s for s in School.objects.filter(pk__in=list(heads)).select_related("hub")}
    records = load_records(schools)
    all_stages = stages()
    names = {s.pk: s.name for s in all_stages}
    by_year: dict[int, dict] = {}
    now = timezone.now()
    later = now + timedelta(hours=settings.NOTICE_PRIORITY_HEAD_START_HOURS)
    plans = []
    for window in windows:
        if window.year_id not in by_year:
            by_year[window.year_id] = load_windows(hub_ids, window.year)
        for school in (s for s in schools.values() if s.hub_id == window.hub_id):
            eligibility = check_eligibility(
                school=school,
                stage=window.stage,
                year=window.year,
                record=records[school.pk],
                windows=by_year[window.year_id],
                stage_names=names,
                today=today,
            )
            if not eligibility.eligible:
                continue
            plans.append(
                Plan(
                    kind=K.WINDOW_OPEN,
                    subject_type="window",
                    subject_id=window.pk,
                    occasion=f"{window.opens:%Y%m%d}",
                    recipients=heads[school.pk],
                    hub_id=window.hub_id,
                    school_id=school.pk,
                    context={"priority": eligibility.priority, "school": school.name},
                    due_at=now if eligibility.priority else later,
                )
            )
    return plans


def claim_deadlines(today: date) -> list[Plan]:
    """14 and 3 days before a hub's claim deadline: the headteachers of schools that
    still have an entitlement not claimed (the grant, or match funding left and no
    claim this year)."""
    from funding.models import Claim, ClaimKind, ClaimState, ClaimWindow, MatchAllowance
    from schools.models import School
    from workgroups.models import Application, ApplicationState, Participation

    offsets = sorted(settings.NOTICE_CLAIM_DEADLINE_DAYS)
    windows = list(
        ClaimWindow.objects.filter(
            closes__gte=today, closes__lte=today + timedelta(days=max(offsets)), opens__lte=today
        ).select_related("hub", "year")
    )
    if not windows:
        return []
    hub_ids = {w.hub_id for w in windows}
    granted = set(
        Application.objects.filter(
            hub_id__in=hub_ids, stage__code="dwg", state=ApplicationState.ACCEPTED
        ).values_list("school_id", flat=True)
    )
    history = set(
        Participation.objects.filter(school__hub_id__in=hub_ids, stage__code="dwg").values_list(
            "school_id", flat=True
        )
    )
    submitted = Q(state__in=[s for s in ClaimState.values if s != ClaimState.DRAFT])
    grant_claimed = set(
        Claim.objects.filter(submitted, kind=ClaimKind.GRANT, hub_id__in=hub_ids).values_list(
            "school_id", flat=True
        )
    )
    match_claims = set(
        Claim.objects.filter(
            submitted, kind=ClaimKind.MATCH, year_id__in={w.year_id for w in windows}
        ).values_list("school_id", "year_id")
    )
    spent = {
        allowance.school_id: allowance.remaining_pence <= 0
        for allowance in MatchAllowance.objects.filter(school_id__in=granted | history)
    }
    heads = headteachers_of(granted | history)
    hub_of = dict(School.objects.filter(pk__in=list(heads)).values_list("pk", "hub_id"))
    plans = []
    for window in windows:
        days_left = (window.closes - today).days
        offset = min(d for d in offsets if days_left <= d)
        for school_id, recipients in heads.items():
            if hub_of.get(school_id) != window.hub_id:
                continue
            owed = []
            if school_id in granted and school_id not in grant_claimed:
                owed.append("the £1,000 Development grant")
            if not spent.get(school_id) and (school_id, window.year_id) not in match_claims:
                owed.append("textbook match funding")
            if not owed:
                continue
            plans.append(
                Plan(
                    kind=K.CLAIM_DEADLINE,
                    subject_type="claimwindow",
                    subject_id=window.pk,
                    occasion=f"{offset}d",
                    recipients=recipients,
                    hub_id=window.hub_id,
                    school_id=school_id,
                    context={"owed": owed, "days": days_left},
                )
            )
    return plans


def next_stage_plans(participation) -> list[Plan]:
    """A completion recorded: tell the headteachers what it opens to the school (the
    next stage, and match funding after Development)."""
    from workgroups.models import Outcome, ProgrammeStage

    if participation.outcome != Outcome.COMPLETED:
        return []
    opened = [
        stage.name for stage in ProgrammeStage.objects.filter(prerequisites=participation.stage_id)
    ]
    if participation.stage.code == "dwg":
        opened.append("textbook match funding (half of what you spend, up to £2,000)")
    if not opened:
        return []
    return [
        Plan(
            kind=K.NEXT_STAGE,
            subject_type="school",
            subject_id=participation.school_id,
            occasion=f"{participation.stage.code}-{participation.year.start_year}",
            recipients=headteachers_of([participation.school_id])[participation.school_id],
            hub_id=participation.school.hub_id,
            school_id=participation.school_id,
            context={
                "opened": opened,
                "completed": f"{participation.stage.name} in {participation.year.label}",
            },
        )
    ]


def meeting_change_plans(meeting, kind: str, *, was: str = "") -> list[Plan]:
    """A meeting changed or cancelled: everyone it concerns hears at once (these always
    go, whatever a person has turned off). The occasion counts the meeting's changes,
    so a second change is a second notice."""
    from workgroups.calendar import meeting_sequence

    cancelled = kind == K.MEETING_CANCELLED
    occasion = "cancelled" if cancelled else f"changed-{meeting_sequence(meeting)}"
    common = {
        "kind": kind,
        "subject_type": "meeting",
        "subject_id": meeting.pk,
        "occasion": occasion,
        "hub_id": meeting.work_group.hub_id,
        "meeting_id": meeting.pk,
        "context": {"was": was, "reason": meeting.change_reason},
    }
    people = _participants_by_group([meeting.work_group_id])[meeting.work_group_id]
    plans = [Plan(recipients=r, school_id=s, **common) for s, r in people.items()]
    lead = meeting.work_group.lead
    if lead is not None:
        plans.append(Plan(recipients=[person(lead)], **common))
    return plans


def describe_meeting(meeting) -> str:
    """A meeting's when and where, as a mail says it: "Tuesday 8 December 2026,
    13:00 to 16:00, at Alder Primary School" (or "online")."""
    place = f"at {meeting.venue_school.name}" if meeting.venue_school_id else "online"
    return (
        f"{meeting.date:%A} {meeting.date.day} {meeting.date:%B %Y}, "
        f"{meeting.starts_at:%H:%M} to {meeting.ends_at:%H:%M}, {place}"
    )
