"""Maths Hubs, the local authorities each covers, and schools from GIAS."""

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from hubportal.accounts.models import Role

# Phases that count as primary for the Teaching for Mastery primary programme.
PRIMARY_PHASES = ("Primary", "Middle deemed primary", "All-through")


class HubQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The hubs a person may see, by the role they are acting in."""
        from hubportal.accounts.roles import active_membership

        membership = active_membership(user)
        if membership is None:
            return self.none()
        if membership.role == Role.NATIONAL_ADMIN:
            return self.all()
        if membership.role in (Role.HUB_LEAD, Role.SPECIALIST):
            return self.filter(pk=membership.hub_id)
        if membership.role == Role.HEADTEACHER:
            return self.filter(pk=membership.school.hub_id)
        return self.none()

    def annotate_school_counts(self):
        # One join, so no row is counted twice: DISTINCT would only make PostgreSQL
        # sort every school (51,000 of them nationally) to find none.
        return self.annotate(
            school_count=models.Count("schools"),
            open_primary_count=models.Count(
                "schools",
                filter=Q(schools__phase__in=PRIMARY_PHASES) & ~Q(schools__status="Closed"),
            ),
        )


class Hub(models.Model):
    name = models.CharField(max_length=120, unique=True)
    code = models.CharField(
        "short code", max_length=6, unique=True, help_text="Three or four capital letters, e.g. ABN"
    )
    lead_school = models.ForeignKey(
        "School", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    objects = HubQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HubArea(models.Model):
    """A local authority a hub covers. Each LA belongs to exactly one hub."""

    hub = models.ForeignKey(Hub, on_delete=models.CASCADE, related_name="areas")
    la_code = models.CharField("LA code", max_length=3, unique=True)
    la_name = models.CharField("LA name", max_length=100, blank=True)

    class Meta:
        ordering = ["la_code"]

    def __str__(self) -> str:
        return f"{self.la_code} {self.la_name}".strip()


class SchoolQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The schools a person may see: hub lead and specialist, their hub's;
        headteacher, their own school; national admin, all."""
        from hubportal.accounts.roles import active_membership

        membership = active_membership(user)
        if membership is None:
            return self.none()
        if membership.role == Role.NATIONAL_ADMIN:
            return self.all()
        if membership.role in (Role.HUB_LEAD, Role.SPECIALIST):
            return self.filter(hub_id=membership.hub_id)
        if membership.role == Role.HEADTEACHER:
            return self.filter(pk=membership.school_id)
        return self.none()

    def open(self):
        return self.exclude(status=School.CLOSED)

    def primary(self):
        return self.filter(phase__in=PRIMARY_PHASES)


class School(models.Model):
    """An establishment as GIAS records it, kept whatever its status."""

    CLOSED = "Closed"

    urn = models.PositiveIntegerField("URN", unique=True)
    name = models.CharField(max_length=200)
    la_code = models.CharField("LA code", max_length=3)
    la_name = models.CharField("LA name", max_length=100, blank=True)
    type_name = models.CharField("type", max_length=100, blank=True)
    type_group = models.CharField("type group", max_length=100, blank=True)
    status = models.CharField(max_length=60, blank=True)
    phase = models.CharField(max_length=40, blank=True)
    statutory_low_age = models.PositiveSmallIntegerField(null=True, blank=True)
    statutory_high_age = models.PositiveSmallIntegerField(null=True, blank=True)
    pupils = models.PositiveIntegerField("number of pupils", null=True, blank=True)
    fsm_percent = models.DecimalField(
        "free school meals %", max_digits=5, decimal_places=2, null=True, blank=True
    )
    trust = models.CharField(max_length=200, blank=True)
    street = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    website = models.CharField(max_length=300, blank=True)
    telephone = models.CharField(max_length=30, blank=True)
    head_title = models.CharField(max_length=30, blank=True)
    head_first_name = models.CharField(max_length=100, blank=True)
    head_last_name = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=60, blank=True)
    easting = models.PositiveIntegerField(null=True, blank=True)
    northing = models.PositiveIntegerField(null=True, blank=True)
    open_date = models.DateField(null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)
    # Derived from la_code through HubArea; kept on the row so that scoping is one join-free filter.
    hub = models.ForeignKey(
        Hub, null=True, blank=True, on_delete=models.SET_NULL, related_name="schools"
    )
    # A digest of the GIAS fields as last imported: an unchanged row is skipped without a write.
    gias_digest = models.CharField(max_length=32, blank=True, editable=False)

    objects = SchoolQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        # Plain indexes rather than db_index=True, which on PostgreSQL adds a second
        # varchar_pattern_ops index per column for LIKE 'x%' queries that nothing runs;
        # those four cost a third of the time the GIAS import spends inserting schools.
        indexes = [
            models.Index(fields=["hub", "name"], name="school_hub_name_idx"),
            models.Index(fields=["la_code"], name="school_la_code_idx"),
            models.Index(fields=["status"], name="school_status_idx"),
            models.Index(fields=["phase"], name="school_phase_idx"),
            models.Index(fields=["postcode"], name="school_postcode_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="school_urn_six_digits",
                condition=Q(urn__gte=100000) & Q(urn__lte=999999),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"

    @property
    def head_name(self) -> str:
        return " ".join(
            p for p in (self.head_title, self.head_first_name, self.head_last_name) if p
        )

    @property
    def address(self) -> str:
        return ", ".join(p for p in (self.street, self.town, self.postcode) if p)

    @property
    def is_open(self) -> bool:
        return self.status != self.CLOSED

    @property
    def is_primary(self) -> bool:
        return self.phase in PRIMARY_PHASES
