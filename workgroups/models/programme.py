"""Programme stages, academic years, application windows, applications and the
participation history that eligibility reads."""

from datetime import date

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from hubportal.accounts.models import Role


class ProgrammeStage(models.Model):
    """A stage of the primary Teaching for Mastery journey, as data.

    Rules differ by stage (group size, the maths-lead participant, once-only
    Development, prerequisites); they are fields here, not code branches."""

    code = models.SlugField(max_length=10, unique=True)
    short_code = models.CharField(max_length=4, unique=True, help_text="Used in group codes")
    name = models.CharField(max_length=60, unique=True)
    order = models.PositiveSmallIntegerField(unique=True)
    summary = models.TextField(blank=True)
    typical_min_schools = models.PositiveSmallIntegerField()
    typical_max_schools = models.PositiveSmallIntegerField()
    hard_max_schools = models.PositiveSmallIntegerField(default=8)
    participants_per_school = models.PositiveSmallIntegerField(default=2)
    requires_maths_lead = models.BooleanField(
        default=False, help_text="One of the participants must be the school's maths lead"
    )
    requires_action_plan = models.BooleanField(default=False)
    once_only = models.BooleanField(default=False, help_text="A school may take it once, ever")
    # Completing any one of these stages (in an earlier year) is required.
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="unlocks"
    )
    # Completing this stage in the year before gives priority.
    priority_after = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    headteacher_commitment = models.CharField(
        max_length=200,
        default="The headteacher attends the events the stage requires",
    )
    meetings_per_year = models.PositiveSmallIntegerField(default=6)
    # The completion rule: a school completes when its participants attended at
    # least this many of the group's held meetings.
    completion_min_meetings = models.PositiveSmallIntegerField(default=4)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


def _academic_start_year(day: date) -> int:
    return day.year if day.month >= 9 else day.year - 1


class AcademicYearQuerySet(models.QuerySet):
    def for_date(self, day: date | None = None) -> "AcademicYear":
        day = day or timezone.localdate()
        year, _ = self.get_or_create(start_year=_academic_start_year(day))
        return year

    def current(self) -> "AcademicYear":
        return self.for_date(timezone.localdate())


class AcademicYear(models.Model):
    """A school year, 1 September to 31 August, written "2026/27"."""

    start_year = models.PositiveSmallIntegerField(unique=True)

    objects = AcademicYearQuerySet.as_manager()

    class Meta:
        ordering = ["start_year"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    @property
    def slug(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def starts(self) -> date:
        return date(self.start_year, 9, 1)

    @property
    def ends(self) -> date:
        return date(self.start_year + 1, 8, 31)


class ApplicationWindowQuerySet(models.QuerySet):
    def visible_to(self, user):
        from hubportal.accounts.roles import active_membership

        membership = active_membership(user)
        if membership is None:
            return self.none()
        if membership.role == Role.NATIONAL_ADMIN:
            return self.all()
        if membership.role in (Role.HUB_LEAD, Role.SPECIALIST):
            return self.filter(hub_id=membership.hub_id)
        if membership.role == Role.HEADTEACHER:
            return self.filter(hub_id=membership.school.hub_id)
        return self.none()

    def open_on(self, day: date):
        return self.filter(opens__lte=day, closes__gte=day)


class ApplicationWindow(models.Model):
    """When a hub takes applications for a stage in a year, and how many places it has."""

    hub = models.ForeignKey("schools.Hub", on_delete=models.CASCADE, related_name="windows")
    stage = models.ForeignKey(ProgrammeStage, on_delete=models.PROTECT, related_name="windows")
    year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="windows")
    opens = models.DateField()
    closes = models.DateField()
    target_places = models.PositiveSmallIntegerField("target number of school places")
    history = HistoricalRecords()

    objects = ApplicationWindowQuerySet.as_manager()

    class Meta:
        ordering = ["year", "stage__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["hub", "stage", "year"], name="window_one_per_hub_stage_year"
            ),
            models.CheckConstraint(
                name="window_closes_after_opening", condition=Q(closes__gte=models.F("opens"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hub.code} {self.stage} {self.year}"

    def is_open_on(self, day: date) -> bool:
        return self.opens <= day <= self.closes


class ApplicationState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    WAITLISTED = "waitlisted", "Waitlisted"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


# States that no longer hold the school's place in the year.
ENDED_STATES = (ApplicationState.DECLINED, ApplicationState.WITHDRAWN)
# States waiting for the hub's decision.
UNDECIDED_STATES = (ApplicationState.SUBMITTED, ApplicationState.WAITLISTED)


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Hub staff see applications to their hub; a headteacher their school's;
        a national admin all. Specialists see their hub's (read-only)."""
        from hubportal.accounts.roles import active_membership

        membership = active_membership(user)
        if membership is None:
            return self.none()
        if membership.role == Role.NATIONAL_ADMIN:
            return self.all()
        if membership.role in (Role.HUB_LEAD, Role.SPECIALIST):
            return self.filter(hub_id=membership.hub_id).exclude(state=ApplicationState.DRAFT)
        if membership.role == Role.HEADTEACHER:
            return self.filter(school_id=membership.school_id)
        return self.none()

    def live(self):
        return self.exclude(state__in=ENDED_STATES)


class Application(models.Model):
    """A school's application for one stage in one academic year."""

    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, related_name="applications"
    )
    hub = models.ForeignKey("schools.Hub", on_delete=models.PROTECT, related_name="applications")
    stage = models.ForeignKey(ProgrammeStage, on_delete=models.PROTECT, related_name="applications")
    year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="applications")
    state = models.CharField(
        max_length=12,
        choices=ApplicationState.choices,
        default=ApplicationState.DRAFT,
        db_index=True,
    )
    # Copied from the stage so that the database can keep "Development once, ever".
    once_only = models.BooleanField(default=False, editable=False)

    # Task list answers, saved as the headteacher goes.
    school_details_confirmed = models.BooleanField(default=False)
    contact_name = models.CharField("your name", max_length=150, blank=True)
    contact_role = models.CharField("your role", max_length=100, blank=True)
    commit_release_teachers = models.BooleanField(default=False)
    commit_headteacher_attends = models.BooleanField(default=False)
    commit_reports = models.BooleanField(default=False)
    action_plan_priorities = models.TextField(blank=True)
    declaration = models.BooleanField(default=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    withdrawn_reason = models.TextField(blank=True)
    # Set from eligibility at submission: priority for Development after Readiness,
    # and the flag for a school outside the hub's area.
    priority = models.BooleanField(default=False, db_index=True)
    outside_area = models.BooleanField(default=False)

    history = HistoricalRecords()
    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year"],
                condition=~Q(state__in=["declined", "withdrawn"]),
                name="application_one_live_per_school_year",
            ),
            models.UniqueConstraint(
                fields=["school", "stage"],
                condition=Q(state="accepted", once_only=True),
                name="application_once_only_stage_accepted_once",
            ),
        ]
        indexes = [
            models.Index(fields=["hub", "stage", "year", "state"], name="application_cohort_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.school.name}: {self.stage} {self.year}"

    @property
    def is_editable(self) -> bool:
        return self.state == ApplicationState.DRAFT


trn_validator = RegexValidator(r"^\d{7}$", "Enter a TRN of exactly 7 digits, like 1234567")


class Participant(models.Model):
    """A teacher a school names to take part. They may never sign in."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="participants"
    )
    position = models.PositiveSmallIntegerField()
    name = models.CharField("full name", max_length=150)
    email = models.EmailField("email address")
    job_role = models.CharField("role in school", max_length=100)
    is_maths_lead = models.BooleanField("maths lead", default=False)
    trn = models.CharField(
        "teacher reference number (TRN)", max_length=7, blank=True, validators=[trn_validator]
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["application", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "position"], name="participant_one_per_position"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    COMPLETED = "completed", "Completed"
    DID_NOT_COMPLETE = "did_not_complete", "Did not complete"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ParticipationQuerySet(models.QuerySet):
    def visible_to(self, user):
        from hubportal.accounts.roles import active_membership

        membership = active_membership(user)
        if membership is None:
            return self.none()
        if membership.role == Role.NATIONAL_ADMIN:
            return self.all()
        if membership.role in (Role.HUB_LEAD, Role.SPECIALIST):
            return self.filter(school__hub_id=membership.hub_id)
        if membership.role == Role.HEADTEACHER:
            return self.filter(school_id=membership.school_id)
        return self.none()


class Participation(models.Model):
    """What a school did in a stage and year. Eligibility reads only this."""

    class Source(models.TextChoices):
        FORM = "form", "Entered by form"
        CSV = "csv", "Uploaded by CSV"
        COMPLETION = "completion", "Recorded at completion"

    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, related_name="participations"
    )
    stage = models.ForeignKey(
        ProgrammeStage, on_delete=models.PROTECT, related_name="participations"
    )
    year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="participations")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.FORM)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["school", "year", "stage__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "stage", "year"], name="participation_one_per_school_stage_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.stage} {self.year}: {self.get_outcome_display()}"
