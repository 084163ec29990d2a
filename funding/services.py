"""Every change to a claim, a batch, a budget or a claim window: one function each,
atomic, audited with the person who made it, and refused from the wrong state."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, Sum
from django.utils import timezone

from funding import assurance, permissions
from funding.evidence import check_upload
from funding.models import (
    AWARDED_STATES,
    COMMITTED_STATES,
    EDITABLE_STATES,
    GRANT_PENCE,
    MATCH_CAP_PENCE,
    Budget,
    Claim,
    ClaimKind,
    ClaimState,
    ClaimWindow,
    ClawbackState,
    Evidence,
    MatchAllowance,
    Payment,
    PaymentBatch,
    Scheme,
)
from funding.money import format_pence, half_of
from hubportal.audit import audited_save
from workgroups.models import AcademicYear, Application, ApplicationState, Participation
from workgroups.services.applications import InvalidTransition

S = ClaimState

GRANT_FIELDS = ("conditions_accepted",)
MATCH_FIELDS = ("scheme", "supplier", "invoice_number", "invoice_date", "spend_pence")
PAYEE_FIELDS = ("payee_name", "sort_code", "account_number", "finance_email")
EDITABLE_FIELDS = {
    ClaimKind.GRANT: GRANT_FIELDS + PAYEE_FIELDS,
    ClaimKind.MATCH: MATCH_FIELDS + PAYEE_FIELDS,
}


# ---------------------------------------------------------------------------
# What a school may claim


def grant_application(school) -> Application | None:
    """The school's acceptance into a Development Work Group, which brings the grant."""
    return (
        Application.objects.filter(
            school=school, stage__code="dwg", state=ApplicationState.ACCEPTED
        )
        .select_related("year")
        .order_by("year__start_year")
        .first()
    )


def match_eligible(school) -> bool:
    """A school that has been in a Development Work Group may claim match funding."""
    return (
        grant_application(school) is not None
        or Participation.objects.filter(school=school, stage__code="dwg").exists()
    )


def match_remaining(school) -> int:
    """£2,000 less what was awarded, plus what a clawback recovered."""
    allowance = MatchAllowance.objects.filter(school=school).first()
    return allowance.remaining_pence if allowance else MATCH_CAP_PENCE


DEFAULT_SCHEMES = ("Maths — No Problem!", "Power Maths KS1", "Power Maths KS2")


def scheme_names_for(year: AcademicYear) -> list[str]:
    """The names on the year's approved list, read only: the year's own list once it
    exists, else the latest earlier year's (or the DfE's 2019 list)."""
    names = list(Scheme.objects.filter(year=year).order_by("name").values_list("name", flat=True))
    if names:
        return names
    earlier = (
        Scheme.objects.filter(year__start_year__lt=year.start_year)
        .order_by("-year__start_year")
        .values_list("year_id", flat=True)
        .first()
    )
    if earlier:
        return list(
            Scheme.objects.filter(year_id=earlier).order_by("name").values_list("name", flat=True)
        )
    return sorted(DEFAULT_SCHEMES)


def schemes_ensure(*, year: AcademicYear) -> list[Scheme]:
    """Give the year its own approved list, copied from ``scheme_names_for``, if it has
    none yet: done when a hub sets the year's claim window and when a claim starts, so
    that reading a page never writes. Reference data, the same for every hub."""
    if not Scheme.objects.filter(year=year).exists():
        Scheme.objects.bulk_create(
            [Scheme(year=year, name=name) for name in scheme_names_for(year)],
            ignore_conflicts=True,
        )
    return list(Scheme.objects.filter(year=year).order_by("name"))


def open_window(hub, year: AcademicYear, day: date | None = None) -> ClaimWindow | None:
    window = ClaimWindow.objects.filter(hub=hub, year=year).first()
    return window if window and window.is_open(day) else None


# ---------------------------------------------------------------------------
# The headteacher's claim


def claim_start(*, actor, school, kind: str, today: date | None = None) -> Claim:
    """Open a draft claim; a grant claim only once per school, ever."""
    if not permissions.can_claim_for(actor, school):
        raise PermissionDenied("Only the school's headteacher claims for it.")
    if kind not in ClaimKind.values:
        raise ValidationError({"kind": "Choose the Development grant or textbook match funding"})
    year = AcademicYear.objects.for_date(today)
    if school.hub is None:
        raise ValidationError("Your school is not in a Maths Hub's area, so it cannot claim.")
    if open_window(school.hub, year, today) is None:
        raise InvalidTransition(f"{school.hub.name} is not taking claims for {year.label} now.")
    if kind == ClaimKind.GRANT and grant_application(school) is None:
        raise InvalidTransition(
            "The Development grant comes with a place in a Development Work Group."
        )
    if kind == ClaimKind.MATCH:
        if not match_eligible(school):
            raise InvalidTransition(
                "Match funding is for schools that have been in a Development Work Group."
            )
        if match_remaining(school) <= 0:
            raise InvalidTransition("Your school has already received the full £2,000.")
    claim = Claim(school=school, hub=school.hub, year=year, kind=kind, created_by=actor)
    try:
        with transaction.atomic():
            if kind == ClaimKind.MATCH:
                schemes_ensure(year=year)
            audited_save(claim, actor=actor, reason="Started the claim")
    except IntegrityError as error:
        raise InvalidTransition("Your school has already claimed the Development grant.") from error
    return claim


def _lock(claim: Claim) -> Claim:
    return Claim.objects.select_for_update().select_related("school", "hub").get(pk=claim.pk)


def claim_save(*, actor, claim: Claim, **fields) -> Claim:
    """Save answers to a draft (or a returned claim) as the headteacher goes."""
    if not permissions.can_claim_for(actor, claim.school):
        raise PermissionDenied("Only the school's headteacher changes its claims.")
    allowed = EDITABLE_FIELDS[claim.kind]
    with transaction.atomic():
        claim = _lock(claim)
        if claim.state not in EDITABLE_STATES:
            raise InvalidTransition("This claim has been submitted and cannot be changed.")
        for name, value in fields.items():
            if name not in allowed:
                raise ValueError(f"Not a field of a {claim.kind} claim: {name}")
            setattr(claim, name, value)
        # One invoice on one live claim of the school (see funding.assurance).
        assurance.duplicate_invoice_check(claim)
        with assurance.duplicate_invoice_guard(claim):
            audited_save(claim, actor=actor, reason="Saved answers")
    return claim


def evidence_add(*, actor, claim: Claim, upload) -> Evidence:
    """Attach one proof-of-purchase file after checking its content and size."""
    if not permissions.can_claim_for(actor, claim.school):
        raise PermissionDenied("Only the school's headteacher adds evidence.")
    kind, digest = check_upload(upload)
    with transaction.atomic():
        claim = _lock(claim)
        if claim.state not in EDITABLE_STATES:
            raise InvalidTransition("This claim has been submitted; its evidence is fixed.")
        assurance.duplicate_evidence_check(claim, digest, upload.name or "This file")
        evidence = Evidence(
            claim=claim,
            original_name=(upload.name or "evidence")[:200],
            content_type=kind,
            size=upload.size,
            sha256=digest,
            uploaded_by=actor,
        )
        evidence.file.save(evidence.original_name, upload, save=False)
        try:
            audited_save(evidence, actor=actor, reason="Added evidence")
        except Exception:
            evidence.file.delete(save=False)
            raise
    return evidence


def evidence_remove(*, actor, evidence: Evidence) -> None:
    if not permissions.can_claim_for(actor, evidence.claim.school):
        raise PermissionDenied("Only the school's headteacher removes evidence.")
    with transaction.atomic():
        claim = _lock(evidence.claim)
        if claim.state not in EDITABLE_STATES:
            raise InvalidTransition("This claim has been submitted; its evidence is fixed.")
        evidence._history_user = actor
        stored = evidence.file.name
        evidence.delete()
        transaction.on_commit(lambda: evidence.file.storage.delete(stored))


def claim_problems(claim: Claim, today: date | None = None) -> dict[str, str]:
    """What is missing before the claim can be submitted, by field."""
    today = today or timezone.localdate()
    problems: dict[str, str] = {}
    if claim.kind == ClaimKind.GRANT and not claim.conditions_accepted:
        problems["conditions_accepted"] = "Confirm that the school accepts the grant's conditions"
    if claim.kind == ClaimKind.MATCH:
        if claim.scheme_id is None:
            problems["scheme"] = "Choose the textbook scheme the school bought"
        elif not Scheme.objects.filter(pk=claim.scheme_id, year=claim.year).exists():
            problems["scheme"] = f"Choose a scheme on the {claim.year.label} approved list"
        if not claim.supplier.strip():
            problems["supplier"] = "Enter the supplier's name"
        if not claim.invoice_number.strip():
            problems["invoice_number"] = "Enter the supplier's invoice number"
        if claim.invoice_date is None:
            problems["invoice_date"] = "Enter the invoice date"
        elif claim.invoice_date > today:
            problems["invoice_date"] = "The invoice date must be today or in the past"
        if not claim.spend_pence:
            problems["spend_pence"] = "Enter how much the school spent, more than £0.00"
        elif half_of(claim.spend_pence) == 0:
            problems["spend_pence"] = (
                "Half of £0.01 rounds down to £0.00: there is nothing to claim"
            )
        if not claim.evidence.exists():
            problems["evidence"] = "Upload the invoice or another proof of purchase"
    if not claim.payee_name.strip():
        problems["payee_name"] = "Enter the name on the school's bank account"
    if len(claim.sort_code) != 6 or not (claim.sort_code.isascii() and claim.sort_code.isdigit()):
        problems["sort_code"] = "Enter a sort code of 6 digits, like 309430"
    if len(claim.account_number) != 8 or not (
        claim.account_number.isascii() and claim.account_number.isdigit()
    ):
        problems["account_number"] = "Enter an account number of 8 digits"
    if not claim.finance_email:
        problems["finance_email"] = "Enter the email address of the school's finance contact"
    return problems


def claim_submit(*, actor, claim: Claim, today: date | None = None) -> Claim:
    """Send the claim to the hub. What it asks for is fixed here: the grant's
    £1,000, or half the spend up to what remains of the school's £2,000."""
    if not permissions.can_claim_for(actor, claim.school):
        raise PermissionDenied("Only the school's headteacher submits its claims.")
    with transaction.atomic():
        claim = _lock(claim)
        if claim.state not in EDITABLE_STATES:
            raise InvalidTransition("This claim has already been submitted.")
        if claim.state == S.DRAFT and open_window(claim.hub, claim.year, today) is None:
            raise InvalidTransition("The deadline for claims has passed.")
        problems = claim_problems(claim, today)
        assurance.school_lock(claim)
        problems.update(assurance.duplicate_problems(claim))
        if problems:
            raise ValidationError(problems)
        if claim.kind == ClaimKind.GRANT:
            claim.claimed_pence = GRANT_PENCE
        else:
            remaining = match_remaining(claim.school)
            if remaining <= 0:
                raise InvalidTransition("Your school has already received the full £2,000.")
            claim.claimed_pence = min(half_of(claim.spend_pence), remaining)
        was_returned = claim.state == S.RETURNED
        claim.state = S.SUBMITTED
        claim.submitted_at = timezone.now()
        audited_save(claim, actor=actor, reason="Resubmitted" if was_returned else "Submitted")
    return claim


# ---------------------------------------------------------------------------
# The hub lead's decisions


def _lock_for_decision(actor, claim: Claim) -> Claim:
    if not permissions.can_decide(actor, claim):
        raise PermissionDenied("Only a lead of the claim's hub decides it.")
    claim = _lock(claim)
    if claim.state != S.SUBMITTED:
        raise InvalidTransition(f"This claim is {claim.get_state_display().lower()}.")
    return claim


def _tell_the_school(claim: Claim, occasion: str) -> None:
    """The school's headteachers (and whoever made the claim) hear of each decision and
    of the payment, through the notice ledger, once this transaction commits."""
    from hubportal.notices.services import Plan, notice_plan_on_commit, school_and

    notice_plan_on_commit(
        [
            Plan(
                kind="claim",
                subject_type="claim",
                subject_id=claim.pk,
                occasion=occasion,
                recipients=school_and(
                    claim.school_id, claim.created_by if claim.created_by_id else None
                ),
                hub_id=claim.hub_id,
                school_id=claim.school_id,
            )
        ]
    )


def budget_position(hub, year) -> dict[str, int | None]:
    """Allocation, committed (approved or batched), paid, recovered (by clawbacks,
    and so available again) and remaining, in pence."""
    budget = Budget.objects.filter(hub=hub, year=year).first()
    sums = Claim.objects.filter(hub=hub, year=year).aggregate(
        committed=Sum("award_pence", filter=Q(state__in=COMMITTED_STATES)),
        paid=Sum("award_pence", filter=Q(state=S.PAID)),
        recovered=Sum("clawback__amount_pence", filter=Q(clawback__state=ClawbackState.RECOVERED)),
    )
    committed, paid = sums["committed"] or 0, sums["paid"] or 0
    recovered = sums["recovered"] or 0
    allocation = budget.allocation_pence if budget else None
    return {
        "allocation": allocation,
        "committed": committed,
        "paid": paid,
        "recovered": recovered,
        "remaining": None if allocation is None else allocation - committed - paid + recovered,
    }


def award_for(claim: Claim, asked_pence: int | None = None) -> tuple[int, int]:
    """(award, remaining before it): what an approval now would pay."""
    asked = claim.claimed_pence if asked_pence is None else asked_pence
    if claim.kind == ClaimKind.GRANT:
        return min(asked, GRANT_PENCE), GRANT_PENCE
    remaining = match_remaining(claim.school)
    return max(0, min(asked, half_of(claim.spend_pence or 0), remaining)), remaining


def claim_approve(
    *,
    actor,
    claim: Claim,
    award_pence: int | None = None,
    reason: str = "",
    allow_over_budget: bool = False,
) -> Claim:
    """Approve, possibly for less than claimed (with a reason). Match funding's award
    is min(half the spend, what remains of the school's £2,000), computed under the
    lock on the school's allowance, so racing approvals cannot pass the cap."""
    with transaction.atomic():
        claim = _lock_for_decision(actor, claim)
        asked = claim.claimed_pence if award_pence is None else award_pence
        if asked <= 0 or asked > claim.claimed_pence:
            raise ValidationError(
                {
                    "award": "Enter an award more than £0.00 and at most "
                    f"{format_pence(claim.claimed_pence)}"
                }
            )
        if asked < claim.claimed_pence and not reason.strip():
            raise ValidationError({"reason": "Enter why the award is less than the claim"})
        award = asked
        if claim.kind == ClaimKind.MATCH:
            MatchAllowance.objects.bulk_create(
                [MatchAllowance(school=claim.school)], ignore_conflicts=True
            )
            allowance = MatchAllowance.objects.select_for_update().get(school=claim.school)
            award = min(asked, allowance.remaining_pence)
            if award <= 0:
                raise InvalidTransition(
                    f"{claim.school.name} has already been awarded the full £2,000."
                )
            allowance.awarded_pence = F("awarded_pence") + award
            audited_save(allowance, actor=actor, reason=f"Approved {claim.reference}")
        if not allow_over_budget:
            # Serialise approvals of the hub's year while the budget is checked.
            Budget.objects.select_for_update().filter(hub=claim.hub, year=claim.year).first()
            position = budget_position(claim.hub, claim.year)
            if position["remaining"] is not None and award > position["remaining"]:
                # The code sits on the field's error, where a dict of errors keeps it.
                message = (
                    f"Approving {format_pence(award)} would pass the hub's "
                    f"{claim.year.label} budget: {format_pence(position['remaining'])} remains"
                )
                raise ValidationError({"award": ValidationError(message, code="over_budget")})
        claim.award_pence = award
        claim.state = S.APPROVED
        claim.decision_reason = reason.strip()
        if award < claim.claimed_pence and not claim.decision_reason:
            claim.decision_reason = (
                f"The school had {format_pence(award)} of its £2,000 match funding left."
            )
        claim.decided_by, claim.decided_at = actor, timezone.now()
        audited_save(claim, actor=actor, reason=f"Approved {format_pence(award)}")
        _tell_the_school(claim, "approved")
    return claim


def claim_return(*, actor, claim: Claim, reason: str, fields: list[str] | None = None) -> Claim:
    """Send the claim back for changes, saying what to change (and where)."""
    if not reason.strip():
        raise ValidationError({"reason": "Enter what the school needs to change"})
    known = set(MATCH_FIELDS + GRANT_FIELDS + PAYEE_FIELDS + ("evidence",))
    with transaction.atomic():
        claim = _lock_for_decision(actor, claim)
        claim.state = S.RETURNED
        claim.return_reason = reason.strip()
        claim.return_fields = [f for f in (fields or []) if f in known]
        claim.decided_by, claim.decided_at = actor, timezone.now()
        audited_save(claim, actor=actor, reason=f"Returned: {reason.strip()}")
        _tell_the_school(claim, "returned")
    return claim


def claim_reject(*, actor, claim: Claim, reason: str) -> Claim:
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the claim is rejected"})
    with transaction.atomic():
        claim = _lock_for_decision(actor, claim)
        claim.state = S.REJECTED
        claim.decision_reason = reason.strip()
        claim.decided_by, claim.decided_at = actor, timezone.now()
        audited_save(claim, actor=actor, reason=f"Rejected: {reason.strip()}")
        _tell_the_school(claim, "rejected")
    return claim


# ---------------------------------------------------------------------------
# Payment batches


def batch_create(*, actor, hub, year, claims: list[Claim]) -> PaymentBatch:
    """Put approved claims in a new batch for the finance team."""
    if not permissions.can_manage_funding(actor, hub):
        raise PermissionDenied("Only the hub's leads make payment batches.")
    if not claims:
        raise ValidationError({"claims": "Select at least one approved claim"})
    with transaction.atomic():
        locked = list(
            Claim.objects.select_for_update()
            .filter(pk__in=[c.pk for c in claims], hub=hub, year=year)
            .order_by("pk")
        )
        if len(locked) != len({c.pk for c in claims}):
            raise ValidationError({"claims": "A selected claim is not one of this hub's"})
        not_ready = [c.reference for c in locked if c.state != S.APPROVED or c.batch_id]
        if not_ready:
            raise InvalidTransition(
                f"Not approved, or already in a batch: {', '.join(not_ready)}. Refresh the list."
            )
        number = (
            PaymentBatch.objects.select_for_update()
            .filter(hub=hub, year=year)
            .aggregate(n=Max("number"))["n"]
            or 0
        ) + 1
        short = f"{year.start_year % 100:02d}{(year.start_year + 1) % 100:02d}"
        batch = PaymentBatch(
            hub=hub,
            year=year,
            number=number,
            reference=f"{hub.code}-PAY-{short}-{number:03d}",
            created_by=actor,
        )
        audited_save(batch, actor=actor, reason=f"Created with {len(locked)} claims")
        for claim in locked:
            claim.batch = batch
            claim.state = S.BATCHED
            audited_save(claim, actor=actor, reason=f"Added to {batch.reference}")
    return batch


def batch_mark_paid(*, actor, batch: PaymentBatch) -> PaymentBatch:
    """The finance team has paid the batch: each claim is paid exactly once."""
    if not permissions.can_manage_funding(actor, batch.hub):
        raise PermissionDenied("Only the hub's leads mark batches paid.")
    now = timezone.now()
    with transaction.atomic():
        batch = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.is_paid:
            raise InvalidTransition(f"{batch.reference} was marked paid already.")
        for claim in Claim.objects.select_for_update().filter(batch=batch).order_by("pk"):
            if claim.state != S.BATCHED:
                raise InvalidTransition(f"{claim.reference} is {claim.get_state_display()}.")
            try:
                with transaction.atomic():
                    Payment.objects.create(
                        claim=claim, batch=batch, amount_pence=claim.award_pence, paid_at=now
                    )
            except IntegrityError as error:
                raise InvalidTransition(f"{claim.reference} has been paid already.") from error
            claim.state = S.PAID
            claim.paid_at = now
            audited_save(claim, actor=actor, reason=f"Paid in {batch.reference}")
            _tell_the_school(claim, "paid")
        batch.paid_at, batch.paid_by = now, actor
        audited_save(batch, actor=actor, reason="Marked paid")
    return batch


# ---------------------------------------------------------------------------
# Budgets and claim windows


def budget_set(*, actor, hub, year, allocation_pence: int) -> Budget:
    if not permissions.can_manage_funding(actor, hub):
        raise PermissionDenied("Only the hub's leads set its budget.")
    if allocation_pence < 0:
        raise ValidationError({"allocation": "Enter an allocation of £0.00 or more"})
    with transaction.atomic():
        budget = Budget.objects.select_for_update().filter(hub=hub, year=year).first()
        budget = budget or Budget(hub=hub, year=year, allocation_pence=0)
        budget.allocation_pence = allocation_pence
        audited_save(budget, actor=actor, reason="Set the allocation")
    return budget


def claim_window_set(*, actor, hub, year, opens: date, closes: date) -> ClaimWindow:
    if not permissions.can_manage_funding(actor, hub):
        raise PermissionDenied("Only the hub's leads set its claim window.")
    if closes < opens:
        raise ValidationError({"closes": "The deadline must be on or after the opening date"})
    with transaction.atomic():
        window = ClaimWindow.objects.select_for_update().filter(hub=hub, year=year).first()
        window = window or ClaimWindow(hub=hub, year=year, opens=opens, closes=closes)
        window.opens, window.closes = opens, closes
        audited_save(window, actor=actor, reason="Set the claim window")
        schemes_ensure(year=year)
    return window


__all__ = [
    "AWARDED_STATES",
    "award_for",
    "batch_create",
    "batch_mark_paid",
    "budget_position",
    "budget_set",
    "claim_approve",
    "claim_problems",
    "claim_reject",
    "claim_return",
    "claim_save",
    "claim_start",
    "claim_submit",
    "claim_window_set",
    "evidence_add",
    "evidence_remove",
    "grant_application",
    "match_eligible",
    "match_remaining",
    "open_window",
    "scheme_names_for",
    "schemes_ensure",
]
