"""Work groups, their member schools, meetings and attendance."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from hubportal.accounts.models import Role


class WorkGroupQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Hub staff see their hub's groups; a specialist the groups they lead;
        a headteacher the groups their school is in; a national admin all."""
        from hubportal.accounts.roles import active_membership

        membership = active_membership(user)
        if membership is None:
            return self.none()
        if membership.role == Role.NATIONAL_ADMIN:
            return self.all()
        if membership.role == Role.HUB_LEAD:
            return self.filter(hub_id=membership.hub_id)
        if membership.role == Role.SPECIALIST:
            return self.filter(hub_id=membership.hub_id, lead=user)
        if membership.role == Role.HEADTEACHER:
            return self.filter(members__school_id=membership.school_id)
        return self.none()


class WorkGroup(models.Model):
    """Six or seven local schools led by a Mastery Specialist (a Readiness lead for MR)."""

    hub = models.ForeignKey("schools.Hub", on_delete=models.PROTECT, related_name="work_groups")
    stage = models.ForeignKey("workgroups.ProgrammeStage", on_delete=models.PROTECT)
    year = models.ForeignKey("workgroups.AcademicYear", on_delete=models.PROTECT)
    number = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=24, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_groups",
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = WorkGroupQuerySet.as_manager()

    class Meta:
        ordering = ["year", "stage__order", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["hub", "stage", "year", "number"], name="workgroup_number_per_cohort"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @staticmethod
    def make_code(hub, stage, year, number: int) -> str:
        """e.g. ABN-DWG-2627-03"""
        short = f"{year.start_year % 100:02d}{(year.start_year + 1) % 100:02d}"
        return f"{hub.code}-{stage.short_code}-{short}-{number:02d}"


class GroupMember(models.Model):
    """A school in a work group, through its accepted application.

    Stage and year are copied from the group so the database can keep a school
    in at most one group per cohort."""

    work_group = models.ForeignKey(WorkGroup, on_delete=models.CASCADE, related_name="members")
    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, related_name="group_memberships"
    )
    application = models.OneToOneField(
        "workgroups.Application", on_delete=models.PROTECT, related_name="group_member"
    )
    stage = models.ForeignKey(
        "workgroups.ProgrammeStage", on_delete=models.PROTECT, related_name="+"
    )
    year = models.ForeignKey("workgroups.AcademicYear", on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["work_group", "school__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "stage", "year"], name="groupmember_one_group_per_cohort"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school} in {self.work_group}"


class MeetingKind(models.TextChoices):
    WORKSHOP = "workshop", "Workshop"
    TRG = "trg", "Teacher Research Group lesson observation"
    VISIT = "visit", "School visit"


class MeetingState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(work_group__in=WorkGroup.objects.visible_to(user))


class Meeting(models.Model):
    work_group = models.ForeignKey(WorkGroup, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(
        max_length=12, choices=MeetingKind.choices, default=MeetingKind.WORKSHOP
    )
    date = models.DateField()
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    venue_school = models.ForeignKey(
        "schools.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    online_link = models.URLField(blank=True)
    state = models.CharField(
        max_length=10, choices=MeetingState.choices, default=MeetingState.SCHEDULED
    )
    change_reason = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    logged_at = models.DateTimeField(null=True, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["date", "starts_at"]
        constraints = [
            models.CheckConstraint(
                name="meeting_ends_after_it_starts", condition=Q(ends_at__gt=models.F("starts_at"))
            ),
            models.CheckConstraint(
                name="meeting_has_a_venue_or_a_link",
                condition=Q(venue_school__isnull=False) | ~Q(online_link=""),
            ),
        ]
        indexes = [models.Index(fields=["date", "state"], name="meeting_date_state_idx")]

    def __str__(self) -> str:
        return f"{self.work_group.code} {self.get_kind_display()} on {self.date:%d/%m/%Y}"

    @property
    def is_logged(self) -> bool:
        return self.logged_at is not None


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Present"
    ABSENT = "absent", "Absent"
    APOLOGIES = "apologies", "Sent apologies"


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    participant = models.ForeignKey(
        "workgroups.Participant", on_delete=models.PROTECT, related_name="attendance"
    )
    status = models.CharField(max_length=10, choices=AttendanceStatus.choices)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "participant"], name="attendance_once_per_participant"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} {self.status} at {self.meeting}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A private iCalendar address for one person; revoking makes a new token."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)
    # Who made or replaced the address, and when; the token itself stays out of it.
    history = HistoricalRecords(excluded_fields=["token"])

    def __str__(self) -> str:
        return f"Calendar feed for {self.user}"
