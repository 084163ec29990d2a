"""Grants, match-funding claims, their evidence, payment batches and budgets.

Money is held as whole pence in integer columns; nothing here is a float.
The database itself keeps the rules that protect money:
- a school has at most one Development grant claim that is not rejected, ever;
- a school's approved, batched and paid match funding never passes £2,000
  (``MatchAllowance.awarded_pence`` has a check constraint, and every approval
  adds to it under a row lock);
- a claim is in at most one batch (one foreign key) and paid once (``Payment``
  is one-to-one with the claim)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from hubportal.accounts.models import Role

GRANT_PENCE = 100_000
"""The Development grant: £1,000 per school, once."""

MATCH_CAP_PENCE = 200_000
"""Textbook match funding: at most £2,000 per school, ever."""

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


class ClaimKind(models.TextChoices):
    GRANT = "grant", "Development grant"
    MATCH = "match", "Textbook match funding"


class ClaimState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned for changes"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    BATCHED = "batched", "In a payment batch"
    PAID = "paid", "Paid"


COMMITTED_STATES = (ClaimState.APPROVED, ClaimState.BATCHED)
AWARDED_STATES = (ClaimState.APPROVED, ClaimState.BATCHED, ClaimState.PAID)
EDITABLE_STATES = (ClaimState.DRAFT, ClaimState.RETURNED)


def _scoped(queryset, user, *, hub_path: str, school_path: str):
    """Hub leads and specialists see their hub's rows, headteachers their school's,
    national admins every row."""
    from hubportal.accounts.roles import active_membership

    membership = active_membership(user)
    if membership is None:
        return queryset.none()
    if membership.role == Role.NATIONAL_ADMIN:
        return queryset.all()
    if membership.role == Role.HUB_LEAD:
        return queryset.filter(**{hub_path: membership.hub_id})
    if membership.role == Role.HEADTEACHER:
        return queryset.filter(**{school_path: membership.school_id})
    return queryset.none()


class Scheme(models.Model):
    """A textbook scheme on the year's approved list (national admins keep it)."""

    year = models.ForeignKey(
        "workgroups.AcademicYear", on_delete=models.PROTECT, related_name="schemes"
    )
    name = models.CharField(max_length=120)
    history = HistoricalRecords()

    class Meta:
        ordering = ["year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["year", "name"], name="scheme_once_per_year"),
        ]

    def __str__(self) -> str:
        return self.name


class ClaimWindowQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, hub_path="hub_id", school_path="hub__schools__id")


class ClaimWindow(models.Model):
    """When a hub's schools may claim in a year; after ``closes`` no new claims."""

    hub = models.ForeignKey("schools.Hub", on_delete=models.CASCADE, related_name="claim_windows")
    year = models.ForeignKey("workgroups.AcademicYear", on_delete=models.PROTECT, related_name="+")
    opens = models.DateField()
    closes = models.DateField("deadline")
    history = HistoricalRecords()

    objects = ClaimWindowQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "hub"]
        constraints = [
            models.UniqueConstraint(fields=["hub", "year"], name="claimwindow_one_per_hub_year"),
            models.CheckConstraint(
                name="claimwindow_closes_after_it_opens", condition=Q(closes__gte=F("opens"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hub} claims {self.year}"

    def is_open(self, day=None) -> bool:
        day = day or timezone.localdate()
        return self.opens <= day <= self.closes


class Budget(models.Model):
    """A hub's allocation for grants and match funding in a year."""

    hub = models.ForeignKey("schools.Hub", on_delete=models.CASCADE, related_name="budgets")
    year = models.ForeignKey("workgroups.AcademicYear", on_delete=models.PROTECT, related_name="+")
    allocation_pence = models.PositiveBigIntegerField()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hub", "year"], name="budget_one_per_hub_year"),
        ]

    def __str__(self) -> str:
        return f"{self.hub} budget {self.year}"


class MatchAllowance(models.Model):
    """How much match funding a school has been awarded (approved, batched or paid).

    Every approval adds its award here while holding this row's lock, and the
    check constraint refuses any total above £2,000, so no race can pass the cap."""

    school = models.OneToOneField(
        "schools.School", on_delete=models.CASCADE, related_name="match_allowance"
    )
    awarded_pence = models.PositiveIntegerField(default=0)
    # Clawed back from the school after an assurance check (funding.assurance): money
    # recovered is the school's to claim again, so the cap is on awarded - recovered.
    recovered_pence = models.PositiveIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="matchallowance_within_cap",
                condition=Q(awarded_pence__gte=0)
                & Q(awarded_pence__lte=F("recovered_pence") + MATCH_CAP_PENCE),
            ),
            models.CheckConstraint(
                name="matchallowance_recovers_only_what_was_awarded",
                condition=Q(recovered_pence__lte=F("awarded_pence")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school}: {self.awarded_pence}p of match funding"

    @property
    def remaining_pence(self) -> int:
        return MATCH_CAP_PENCE - self.awarded_pence + self.recovered_pence


class PaymentBatchQuerySet(models.QuerySet):
    def visible_to(self, user):
        from hubportal.accounts.roles import active_membership

        membership = active_membership(user)
        if membership is None:
            return self.none()
        if membership.role == Role.NATIONAL_ADMIN:
            return self.all()
        if membership.role == Role.HUB_LEAD:
            return self.filter(hub_id=membership.hub_id)
        return self.none()


class PaymentBatch(models.Model):
    """Approved claims sent together to the lead school's finance team."""

    hub = models.ForeignKey("schools.Hub", on_delete=models.PROTECT, related_name="payment_batches")
    year = models.ForeignKey("workgroups.AcademicYear", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    reference = models.CharField(max_length=32, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = PaymentBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["hub", "year", "number"], name="batch_number_per_hub"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None


class ClaimQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, hub_path="hub_id", school_path="school_id")


class Claim(models.Model):
    """A school's claim for the Development grant or for textbook match funding."""

    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="claims")
    hub = models.ForeignKey("schools.Hub", on_delete=models.PROTECT, related_name="claims")
    year = models.ForeignKey("workgroups.AcademicYear", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=ClaimKind.choices)
    state = models.CharField(
        max_length=10, choices=ClaimState.choices, default=ClaimState.DRAFT, db_index=True
    )

    # The grant's conditions (supply cover for the two participating teachers).
    conditions_accepted = models.BooleanField(default=False)

    # Match funding: what was bought.
    scheme = models.ForeignKey(
        Scheme, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    supplier = models.CharField(max_length=120, blank=True)
    invoice_number = models.CharField("supplier's invoice number", max_length=60, blank=True)
    # The invoice number without case or spaces, set by claim_save (funding.assurance
    # .invoice_key): one school cannot put one invoice on two live claims.
    invoice_key = models.CharField(max_length=60, blank=True, default="", editable=False)
    invoice_date = models.DateField(null=True, blank=True)
    spend_pence = models.PositiveIntegerField(null=True, blank=True)

    # Who the lead school's finance team pays.
    payee_name = models.CharField("account name", max_length=120, blank=True)
    sort_code = models.CharField(max_length=6, blank=True)
    account_number = models.CharField(max_length=8, blank=True)
    finance_email = models.EmailField("finance contact email", blank=True)

    # Set at submission (what the school may receive) and at approval (what it gets).
    claimed_pence = models.PositiveIntegerField(null=True, blank=True)
    award_pence = models.PositiveIntegerField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    return_reason = models.TextField(blank=True)
    return_fields = models.JSONField(default=list, blank=True)

    batch = models.ForeignKey(
        PaymentBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["school"],
                condition=Q(kind="grant") & ~Q(state="rejected"),
                name="claim_one_grant_per_school_ever",
            ),
            models.UniqueConstraint(
                fields=["school", "invoice_key"],
                condition=~Q(invoice_key="") & ~Q(state="rejected"),
                name="claim_invoice_once_per_school",
            ),
            models.CheckConstraint(
                name="claim_award_at_most_claimed",
                condition=Q(award_pence__isnull=True) | Q(award_pence__lte=F("claimed_pence")),
            ),
            models.CheckConstraint(
                name="claim_batched_only_when_approved",
                condition=Q(batch__isnull=True) | Q(state__in=["batched", "paid"]),
            ),
            models.CheckConstraint(
                name="claim_paid_has_a_date",
                condition=Q(state="paid", paid_at__isnull=False)
                | (~Q(state="paid") & Q(paid_at__isnull=True)),
            ),
        ]
        indexes = [
            models.Index(fields=["hub", "year", "state"], name="claim_hub_year_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} claim {self.reference} ({self.school.name})"

    @property
    def reference(self) -> str:
        return f"C{self.pk:06d}" if self.pk else "new"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES


class Payment(models.Model):
    """A claim paid: one row per claim, so nothing is paid twice."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="payment")
    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="payments")
    amount_pence = models.PositiveIntegerField()
    paid_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.amount_pence}p for {self.claim.reference}"


def _evidence_path(instance, filename: str) -> str:
    # The stored name carries nothing the school typed; the original is kept apart.
    return f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class EvidenceQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, hub_path="claim__hub_id", school_path="claim__school_id")


class Evidence(models.Model):
    """Proof of purchase: a PDF, PNG or JPEG, stored privately and served only
    to the school and its hub."""

    class Kind(models.TextChoices):
        PDF = "application/pdf", "PDF"
        PNG = "image/png", "PNG"
        JPEG = "image/jpeg", "JPEG"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=_evidence_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=20, choices=Kind.choices)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


# ---------------------------------------------------------------------------
# Assurance: random samples of paid claims, the checks of their evidence, and
# clawback of money paid on evidence that did not hold up (funding.assurance).


def _hub_staff_scoped(queryset, user, *, hub_path: str):
    """Hub leads see their hub's rows, national admins every row, anyone else none."""
    from hubportal.accounts.roles import active_membership

    membership = active_membership(user)
    if membership is None:
        return queryset.none()
    if membership.role == Role.NATIONAL_ADMIN:
        return queryset.all()
    if membership.role == Role.HUB_LEAD:
        return queryset.filter(**{hub_path: membership.hub_id})
    return queryset.none()


class AssuranceSampleQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _hub_staff_scoped(self, user, hub_path="hub_id")


class AssuranceSample(models.Model):
    """A random, reproducible sample of a hub's paid claims in a year: the same paid
    claims, percentage and seed always draw the same claims."""

    hub = models.ForeignKey(
        "schools.Hub", on_delete=models.PROTECT, related_name="assurance_samples"
    )
    year = models.ForeignKey("workgroups.AcademicYear", on_delete=models.PROTECT, related_name="+")
    percent = models.PositiveSmallIntegerField("percentage of paid claims")
    seed = models.PositiveIntegerField()
    paid_claims = models.PositiveIntegerField("paid claims drawn from")
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = AssuranceSampleQuerySet.as_manager()

    class Meta:
        ordering = ["-drawn_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="sample_percent_1_to_100", condition=Q(percent__gte=1, percent__lte=100)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.percent}% of {self.hub} {self.year}"

    @property
    def reference(self) -> str:
        return f"S{self.pk:05d}" if self.pk else "new"


class CheckOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Evidence confirmed"
    INSUFFICIENT = "insufficient", "Evidence insufficient"


class SampleCheckQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _hub_staff_scoped(self, user, hub_path="sample__hub_id")


class SampleCheck(models.Model):
    """One sampled claim and what the hub found when it checked the evidence."""

    sample = models.ForeignKey(AssuranceSample, on_delete=models.CASCADE, related_name="checks")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="sample_checks")
    outcome = models.CharField(
        max_length=12, choices=CheckOutcome.choices, default=CheckOutcome.PENDING
    )
    notes = models.TextField(blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = SampleCheckQuerySet.as_manager()

    class Meta:
        ordering = ["sample", "claim"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "claim"], name="samplecheck_claim_once"),
            models.CheckConstraint(
                name="samplecheck_insufficient_has_notes",
                condition=~Q(outcome="insufficient") | ~Q(notes=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sample.reference} {self.claim.reference}: {self.get_outcome_display()}"


class ClawbackState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    RECOVERED = "recovered", "Recovered"
    WAIVED = "waived", "Waived"


class ClawbackQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, hub_path="claim__hub_id", school_path="claim__school_id")


class Clawback(models.Model):
    """Money asked back from a school after a check found its evidence insufficient.
    At most one per claim, and never more than the claim was paid."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="clawback")
    sample_check = models.ForeignKey(
        SampleCheck, on_delete=models.PROTECT, related_name="clawbacks"
    )
    amount_pence = models.PositiveIntegerField()
    state = models.CharField(
        max_length=10, choices=ClawbackState.choices, default=ClawbackState.REQUESTED
    )
    reason = models.TextField()
    waive_reason = models.TextField(blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set when the headteacher's notice has gone, so a retried job sends none twice.
    notice_sent_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = ClawbackQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="clawback_amount_positive", condition=Q(amount_pence__gt=0)
            ),
            models.CheckConstraint(
                name="clawback_closed_when_settled",
                condition=Q(state="requested", closed_at__isnull=True)
                | (~Q(state="requested") & Q(closed_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="clawback_waived_with_reason",
                condition=~Q(state="waived") | ~Q(waive_reason=""),
            ),
        ]
        indexes = [models.Index(fields=["state"], name="clawback_state_idx")]

    def __str__(self) -> str:
        return f"Clawback of {self.amount_pence}p on {self.claim.reference}"
