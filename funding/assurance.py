"""Assurance of funding claims: duplicate claims refused, similar claims across
schools flagged, random samples of paid claims checked, and money clawed back
where the evidence did not hold up.

Every state change here is one service (``<thing>_<verb>``, keyword-only, taking the
acting user, atomic, audited with ``hubportal.audit.audited_save``, rows that two people could race
on locked); every read a page shows is a selector scoped to the person asking.

Duplicates, and how they hold under races
-----------------------------------------
One school cannot put one invoice, or one evidence file, on two *live* claims (any
state but rejected). A draft counts as soon as the invoice number or the file is on
it: the headteacher is told at once, beside the field, which claim already has it
("This invoice is already on claim C000012 (draft)"), and that claim is the one to
finish. Two guarantees keep this true when two requests arrive together:

- The invoice number is normalised into ``Claim.invoice_key`` (no case, no spaces)
  by ``claim_save``, and a partial unique index over (school, invoice_key) of the
  claims that are not rejected (``claim_invoice_once_per_school``) refuses the
  second of two racing saves inside the database, whoever writes the row. A check
  before the save gives the friendly message; the index is the guarantee, and its
  refusal is turned into the same message (``duplicate_invoice_guard``).
- A file's SHA-256 lives on ``Evidence`` while "live" is the claim's state, so no
  single-table constraint can say it. Instead ``evidence_add`` and ``claim_submit``
  lock the school's row (``school_lock``) before they look for the file on the
  school's other live claims: every such check for one school runs one at a time,
  and each sees what the one before committed. The school row is the one all of a
  school's claims share; ``MatchAllowance`` would not do, as it exists only once a
  match claim is approved.
``claim_submit`` checks both again, so a claim that predates the rule cannot be sent.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import NamedTuple

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from funding import permissions
from funding.models import (
    AssuranceSample,
    CheckOutcome,
    Claim,
    ClaimKind,
    ClaimState,
    Clawback,
    ClawbackState,
    Evidence,
    MatchAllowance,
    SampleCheck,
)
from funding.money import format_pence
from hubportal.accounts.models import Role
from hubportal.accounts.roles import active_membership, has_role
from hubportal.audit import audited_save
from schools.models import School
from workgroups.models import AcademicYear
from workgroups.services.applications import InvalidTransition

S = ClaimState

# ---------------------------------------------------------------------------
# Duplicate claims: refused


def invoice_key(number: str) -> str:
    """' inv 0042 ' and 'INV0042' are one invoice: no spaces, no case."""
    return "".join((number or "").split()).casefold()[:60]


def _on_claim(other: Claim) -> str:
    return f"claim {other.reference} ({other.get_state_display().lower()})"


def _invoice_message(other: Claim) -> str:
    return f"This invoice is already on {_on_claim(other)}"


def _first_claim_with_invoice(claim: Claim) -> Claim | None:
    if claim.kind != ClaimKind.MATCH or not claim.invoice_key:
        return None
    return (
        Claim.objects.filter(school_id=claim.school_id, invoice_key=claim.invoice_key)
        .exclude(state=S.REJECTED)
        .exclude(pk=claim.pk)
        .order_by("pk")
        .first()
    )


def duplicate_invoice_check(claim: Claim) -> None:
    """Set the claim's invoice key from its invoice number, and refuse it (beside
    the invoice number) when another live claim of the school has that invoice."""
    claim.invoice_key = invoice_key(claim.invoice_number) if claim.kind == ClaimKind.MATCH else ""
    other = _first_claim_with_invoice(claim)
    if other is not None:
        raise ValidationError({"invoice_number": _invoice_message(other)}, code="duplicate")


@contextmanager
def duplicate_invoice_guard(claim: Claim) -> Iterator[None]:
    """Around the save: when a racing save won, the unique index refuses this one;
    say so with the same message as the check before it."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        if "invoice" not in str(error):
            raise
        other = _first_claim_with_invoice(claim)
        message = (
            _invoice_message(other)
            if other is not None
            else "This invoice is already on another of your school's claims"
        )
        raise ValidationError({"invoice_number": message}, code="duplicate") from error


def school_lock(claim: Claim) -> None:
    """Hold the school's row until the transaction ends, so duplicate checks of one
    school's evidence run one at a time (see the module's docstring)."""
    School.objects.select_for_update().only("pk").get(pk=claim.school_id)


def _live_evidence_elsewhere(claim: Claim, digests: list[str]) -> QuerySet[Evidence]:
    return (
        Evidence.objects.filter(claim__school_id=claim.school_id, sha256__in=digests)
        .exclude(claim_id=claim.pk)
        .exclude(claim__state=S.REJECTED)
        .select_related("claim")
        .order_by("claim_id", "pk")
    )


def duplicate_evidence_check(claim: Claim, sha256: str, name: str) -> None:
    """Refuse a file that is already on another live claim of the school. Locks the
    school's row first; call inside the transaction that adds the file."""
    school_lock(claim)
    found = _live_evidence_elsewhere(claim, [sha256]).first()
    if found is not None:
        raise ValidationError(
            {"evidence": f"{name} is already on {_on_claim(found.claim)}"}, code="duplicate"
        )


def duplicate_problems(claim: Claim) -> dict[str, str]:
    """What duplicates another live claim of the school, by field, for claim_submit
    (which holds ``school_lock``)."""
    problems: dict[str, str] = {}
    other = _first_claim_with_invoice(claim)
    if other is not None:
        problems["invoice_number"] = _invoice_message(other)
    own = {e.sha256: e.original_name for e in claim.evidence.all()}
    messages, seen = [], set()
    for found in _live_evidence_elsewhere(claim, list(own)):
        if found.sha256 not in seen:
            seen.add(found.sha256)
            messages.append(f"{own[found.sha256]} is already on {_on_claim(found.claim)}")
    if messages:
        problems["evidence"] = "; ".join(messages)
    return problems


# ---------------------------------------------------------------------------
# Similar claims across schools: flagged, not refused

SIMILAR_DAYS = 7
SIMILAR_LIMIT = 50


def similar_claims(claim: Claim, user=None) -> list[Claim]:
    """Other schools' live match claims whose spend is within 1% of this claim's and
    whose invoice is dated within 7 days of it, oldest invoice first (at most 50).

    Without ``user`` the claim's own hub is searched (what its hub lead may see);
    with ``user``, every claim that person may see (a national admin: every hub).
    Drafts are the schools' own and rejected claims are not live, so neither counts.
    Two queries, whatever the number found."""
    if claim.kind != ClaimKind.MATCH or not claim.spend_pence or claim.invoice_date is None:
        return []
    spend = claim.spend_pence
    # |a - b| <= 1% of the larger: the same answer whichever claim is looked at first.
    low, high = math.ceil(spend * 99 / 100), spend * 100 // 99
    day = claim.invoice_date
    if user is None:
        claims = Claim.objects.filter(hub_id=claim.hub_id)
    else:
        claims = Claim.objects.visible_to(user)
    return list(
        claims.filter(
            kind=ClaimKind.MATCH,
            spend_pence__gte=low,
            spend_pence__lte=high,
            invoice_date__gte=day - timedelta(days=SIMILAR_DAYS),
            invoice_date__lte=day + timedelta(days=SIMILAR_DAYS),
        )
        .exclude(school_id=claim.school_id)
        .exclude(state__in=[S.DRAFT, S.REJECTED])
        .select_related("school", "scheme", "hub")
        .prefetch_related("evidence")
        .order_by("invoice_date", "pk")[:SIMILAR_LIMIT]
    )


# ---------------------------------------------------------------------------
# Who may do what (beyond what scoping lets them see)


def can_draw(user, hub) -> bool:
    """The hub's leads draw its samples; national admins may draw for any hub."""
    membership = active_membership(user)
    if membership is None:
        return False
    if membership.role == Role.NATIONAL_ADMIN:
        return True
    return membership.role == Role.HUB_LEAD and membership.hub_id == hub.pk


def can_check(user, hub) -> bool:
    """Only the hub's leads record checks and open, recover or waive clawbacks."""
    return permissions.can_manage_funding(user, hub)


# ---------------------------------------------------------------------------
# Sampling paid claims

MAX_SEED = 2_147_483_647


def new_seed() -> int:
    """A seed short enough to write down."""
    return secrets.randbelow(1_000_000)


def sample_size(population: int, percent: int) -> int:
    """The percentage of the paid claims, rounded up: 10% of 7 claims is 1 claim."""
    return math.ceil(population * percent / 100) if population else 0


def draw(claim_ids: list[int], percent: int, seed: int) -> list[int]:
    """The sampled ids: the same ids, percentage and seed always give the same sample.

    Python keeps ``random.Random(seed)`` stable for an integer seed; ``sample`` has
    not changed across the versions this runs on."""
    population = sorted(claim_ids)
    return sorted(random.Random(seed).sample(population, sample_size(len(population), percent)))


def sample_draw(
    *, actor, hub, year: AcademicYear, percent: int, seed: int | None = None
) -> AssuranceSample:
    """Draw a random sample of the hub's paid claims in the year, recording the
    percentage and seed so anyone can draw it again and get the same claims."""
    if not can_draw(actor, hub):
        raise PermissionDenied("Only the hub's leads and national admins draw samples.")
    if not isinstance(percent, int) or not 1 <= percent <= 100:
        raise ValidationError({"percent": "Enter a percentage from 1 to 100"})
    seed = new_seed() if seed is None else seed
    if not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ValidationError({"seed": f"Enter a seed from 0 to {MAX_SEED:,}"})
    with transaction.atomic():
        ids = list(
            Claim.objects.filter(hub=hub, year=year, state=S.PAID).values_list("pk", flat=True)
        )
        if not ids:
            raise ValidationError(
                {"year": f"{hub.name} has no paid claims in {year.label} to sample"}
            )
        chosen = draw(ids, percent, seed)
        sample = AssuranceSample(
            hub=hub, year=year, percent=percent, seed=seed, paid_claims=len(ids), drawn_by=actor
        )
        audited_save(
            sample,
            actor=actor,
            reason=f"Drew {len(chosen)} of {len(ids)} paid claims ({percent}%, seed {seed})",
        )
        bulk_create_with_history(
            [SampleCheck(sample=sample, claim_id=pk) for pk in chosen],
            SampleCheck,
            default_user=actor,
            default_change_reason=f"Sampled in {sample.reference}",
        )
    return sample


def sample_check_record(*, actor, check: SampleCheck, outcome: str, notes: str = "") -> SampleCheck:
    """Record what the hub found in a sampled claim's evidence. Insufficient evidence
    needs notes saying why. Once a clawback is open the outcome stands."""
    if not can_check(actor, check.sample.hub):
        raise PermissionDenied("Only the hub's leads record checks.")
    if outcome not in CheckOutcome.values:
        raise ValidationError({"outcome": "Select what the check found"})
    notes = (notes or "").strip()
    if outcome == CheckOutcome.INSUFFICIENT and not notes:
        raise ValidationError({"notes": "Enter why the evidence is insufficient"})
    with transaction.atomic():
        check = (
            SampleCheck.objects.select_for_update()
            .select_related("sample", "claim")
            .get(pk=check.pk)
        )
        if Clawback.objects.filter(claim_id=check.claim_id).exists():
            raise InvalidTransition(
                f"A clawback has been opened on {check.claim.reference}, so its check "
                "outcome cannot change."
            )
        check.outcome = outcome
        check.notes = notes
        check.checked_by = actor
        check.checked_at = timezone.now()
        audited_save(check, actor=actor, reason=f"Outcome: {check.get_outcome_display()}")
    return check


# ---------------------------------------------------------------------------
# Clawback


def _notify(clawback: Clawback) -> None:
    from funding.tasks import send_clawback_notice

    transaction.on_commit(lambda: send_clawback_notice.delay(clawback.pk))


def clawback_open(*, actor, check: SampleCheck, amount_pence: int, reason: str) -> Clawback:
    """Ask the school to repay some or all of a paid claim whose evidence a check
    found insufficient, and tell its headteacher."""
    if not can_check(actor, check.sample.hub):
        raise PermissionDenied("Only the hub's leads open clawbacks.")
    reason = (reason or "").strip()
    with transaction.atomic():
        check = SampleCheck.objects.select_for_update().get(pk=check.pk)
        claim = Claim.objects.select_for_update().get(pk=check.claim_id)
        if check.outcome != CheckOutcome.INSUFFICIENT:
            raise InvalidTransition(
                "A clawback can be opened only when the check found the evidence insufficient."
            )
        existing = Clawback.objects.filter(claim=claim).first()
        if existing is not None:
            raise InvalidTransition(
                f"A clawback is already {existing.get_state_display().lower()} "
                f"on {claim.reference}."
            )
        if claim.state != S.PAID or not claim.award_pence:
            raise InvalidTransition(f"{claim.reference} has not been paid.")
        problems = {}
        if not isinstance(amount_pence, int) or not 0 < amount_pence <= claim.award_pence:
            problems["amount"] = (
                f"Enter an amount more than £0.00 and at most {format_pence(claim.award_pence)}, "
                "the amount paid"
            )
        if not reason:
            problems["reason"] = "Enter why the money is being asked back"
        if problems:
            raise ValidationError(problems)
        clawback = Clawback(
            claim=claim,
            sample_check=check,
            amount_pence=amount_pence,
            reason=reason,
            opened_by=actor,
        )
        try:
            with transaction.atomic():
                audited_save(
                    clawback, actor=actor, reason=f"Requested {format_pence(amount_pence)} back"
                )
        except IntegrityError as error:
            raise InvalidTransition(f"A clawback is already open on {claim.reference}.") from error
        _notify(clawback)
    return clawback


def _lock_requested(actor, clawback: Clawback) -> Clawback:
    clawback = (
        Clawback.objects.select_for_update(of=("self",))
        .select_related("claim", "claim__school", "claim__hub")
        .get(pk=clawback.pk)
    )
    if not can_check(actor, clawback.claim.hub):
        raise PermissionDenied("Only the hub's leads settle clawbacks.")
    if clawback.state != ClawbackState.REQUESTED:
        raise InvalidTransition(
            f"This clawback was {clawback.get_state_display().lower()} already."
        )
    return clawback


def clawback_recover(*, actor, clawback: Clawback) -> Clawback:
    """The school has repaid. Recovered match funding is the school's to claim again
    (its allowance's ``recovered_pence``), and the hub's budget counts it back."""
    with transaction.atomic():
        clawback = _lock_requested(actor, clawback)
        if clawback.claim.kind == ClaimKind.MATCH:
            allowance = MatchAllowance.objects.select_for_update().get(
                school_id=clawback.claim.school_id
            )
            allowance.recovered_pence = F("recovered_pence") + clawback.amount_pence
            audited_save(
                allowance,
                actor=actor,
                reason=f"Recovered {format_pence(clawback.amount_pence)} of "
                f"{clawback.claim.reference}",
            )
        clawback.state = ClawbackState.RECOVERED
        clawback.closed_by, clawback.closed_at = actor, timezone.now()
        audited_save(
            clawback, actor=actor, reason=f"Recovered {format_pence(clawback.amount_pence)}"
        )
    return clawback


def clawback_waive(*, actor, clawback: Clawback, reason: str) -> Clawback:
    """The hub decides not to ask for the money after all, and says why."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"waive_reason": "Enter why the clawback is waived"})
    with transaction.atomic():
        clawback = _lock_requested(actor, clawback)
        clawback.state = ClawbackState.WAIVED
        clawback.waive_reason = reason
        clawback.closed_by, clawback.closed_at = actor, timezone.now()
        audited_save(clawback, actor=actor, reason=f"Waived: {reason}")
    return clawback


def clawback_notice_send(*, clawback_id: int) -> bool:
    """Tell the school's headteachers that money is asked back. Returns False, sending
    nothing, when the clawback is gone, its notice went already, or the school has no
    headteacher. The row stays locked while the mail goes, so two runs of the job
    cannot both send it (one that dies after sending and before committing sends it
    again: at least once, never lost)."""
    from hubportal.mail import send_templated_mail

    with transaction.atomic():
        clawback = (
            Clawback.objects.select_for_update(of=("self",))
            .select_related("claim", "claim__school", "claim__hub")
            .filter(pk=clawback_id)
            .first()
        )
        if clawback is None or clawback.notice_sent_at is not None:
            return False
        school = clawback.claim.school
        recipients = sorted(
            set(
                school.memberships.filter(role=Role.HEADTEACHER).values_list(
                    "user__email", flat=True
                )
            )
        )
        if not recipients:
            return False
        send_templated_mail(
            to=recipients,
            template="clawback_requested",
            context={
                "clawback": clawback,
                "claim": clawback.claim,
                "school": school,
                "amount": format_pence(clawback.amount_pence),
                "paid": format_pence(clawback.claim.award_pence),
            },
        )
        clawback.notice_sent_at = timezone.now()
        audited_save(
            clawback,
            actor=None,
            reason="Notice sent to the headteacher",
            update_fields=["notice_sent_at"],
        )
    return True


# ---------------------------------------------------------------------------
# Selectors: what the assurance pages show, scoped to the person asking


def hub_for(user):
    """The hub a hub lead acts for; None for a national admin (who chooses)."""
    membership = active_membership(user)
    return membership.hub if membership and membership.role == Role.HUB_LEAD else None


def sample_years(user) -> list[AcademicYear]:
    """Years with paid claims or samples the person may see, and the current year;
    latest first. Two queries."""
    current = AcademicYear.objects.current()
    ids = set(
        Claim.objects.visible_to(user).filter(state=S.PAID).values_list("year_id", flat=True)
    ) | set(AssuranceSample.objects.visible_to(user).values_list("year_id", flat=True))
    ids.add(current.pk)
    return list(AcademicYear.objects.filter(pk__in=ids).order_by("-start_year"))


def sample_list(user, *, year: AcademicYear | None = None, hub_code: str = "") -> QuerySet:
    """The samples the person may see, with how many claims each holds, how many are
    checked and how many found insufficient: one query a page."""
    samples = AssuranceSample.objects.visible_to(user)
    if year is not None:
        samples = samples.filter(year=year)
    if hub_code:
        samples = samples.filter(hub__code=hub_code)
    return (
        samples.select_related("hub", "year", "drawn_by")
        .annotate(
            sampled=Count("checks"),
            checked=Count("checks", filter=~Q(checks__outcome=CheckOutcome.PENDING)),
            insufficient=Count("checks", filter=Q(checks__outcome=CheckOutcome.INSUFFICIENT)),
        )
        # A grouped query ignores Meta.ordering: newest first, said again.
        .order_by("-drawn_at", "-pk")
    )


def sample_checks(sample: AssuranceSample) -> QuerySet[SampleCheck]:
    """A sample's claims with their evidence and any clawback: two queries a page."""
    return (
        sample.checks.select_related(
            "claim", "claim__school", "claim__scheme", "claim__clawback", "checked_by"
        )
        .prefetch_related("claim__evidence")
        .order_by("claim__school__name", "claim_id")
    )


def clawback_list(user, *, state: str = "", hub_code: str = "") -> QuerySet[Clawback]:
    """Clawbacks of the hub (every hub for a national admin), newest first; none for
    anyone else (a headteacher's own are ``school_clawbacks``)."""
    if not has_role(user, Role.HUB_LEAD, Role.NATIONAL_ADMIN):
        return Clawback.objects.none()
    clawbacks = Clawback.objects.visible_to(user)
    if state:
        clawbacks = clawbacks.filter(state=state)
    if hub_code:
        clawbacks = clawbacks.filter(claim__hub__code=hub_code)
    return clawbacks.select_related("claim", "claim__school", "claim__hub", "opened_by")


def clawback_totals(clawbacks: QuerySet[Clawback]) -> dict[str, int]:
    """Counts and sums over every clawback the filters match, in one SQL query."""
    sums = clawbacks.order_by().aggregate(
        count=Count("pk"),
        total=Sum("amount_pence"),
        requested=Sum("amount_pence", filter=Q(state=ClawbackState.REQUESTED)),
        recovered=Sum("amount_pence", filter=Q(state=ClawbackState.RECOVERED)),
        waived=Sum("amount_pence", filter=Q(state=ClawbackState.WAIVED)),
    )
    return {key: value or 0 for key, value in sums.items()}


def school_clawbacks(user) -> list[Clawback]:
    """The clawbacks of the headteacher's school, newest first, each with its amount
    as pounds (``amount_shown``) for templates/funding/assurance/_school_clawbacks.html.
    Anyone not acting as a headteacher gets none."""
    membership = active_membership(user)
    if membership is None or membership.role != Role.HEADTEACHER:
        return []
    clawbacks = list(
        Clawback.objects.filter(claim__school_id=membership.school_id)
        .select_related("claim")
        .order_by("-opened_at", "-pk")
    )
    for clawback in clawbacks:
        clawback.amount_shown = format_pence(clawback.amount_pence)
        clawback.paid_shown = format_pence(clawback.claim.award_pence)
    return clawbacks


def history(instance, limit: int = 50) -> list:
    """Who changed a row, when and why, newest first (one query)."""
    return list(instance.history.select_related("history_user").order_by("-history_date")[:limit])


# ---------------------------------------------------------------------------
# For the claims export


ASSURANCE_HEADERS = ("Sampled", "Check outcome", "Clawback amount", "Clawback state")


def with_assurance(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    """Claims with what ``assurance_columns`` needs, in the same query: the latest
    check's outcome and the clawback."""
    latest = SampleCheck.objects.filter(claim=OuterRef("pk")).order_by("-sample__drawn_at", "-pk")
    return claims.select_related("clawback").annotate(
        assurance_outcome=Subquery(latest.values("outcome")[:1])
    )


class AssuranceColumns(NamedTuple):
    sampled: bool
    outcome: str
    clawback_pence: int | None
    clawback_state: str


def assurance_columns(claim: Claim) -> AssuranceColumns:
    """(sampled?, latest check outcome, clawback amount in pence, clawback state) for
    one claim. Free of queries on claims from ``with_assurance``; two otherwise."""
    if hasattr(claim, "assurance_outcome"):
        outcome = claim.assurance_outcome
    else:
        outcome = (
            SampleCheck.objects.filter(claim=claim)
            .order_by("-sample__drawn_at", "-pk")
            .values_list("outcome", flat=True)
            .first()
        )
    try:
        clawback = claim.clawback
    except ObjectDoesNotExist:
        clawback = None
    return AssuranceColumns(
        sampled=outcome is not None,
        outcome=CheckOutcome(outcome).label if outcome else "",
        clawback_pence=clawback.amount_pence if clawback else None,
        clawback_state=clawback.get_state_display() if clawback else "",
    )
