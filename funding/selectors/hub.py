"""Reads for the hub lead's funding screens: the hub's claims, one claim's history,
the claims waiting for a payment batch, the batches and the budgets. Every read is
scoped through ``visible_to`` (a national admin sees every hub and may narrow to
one), and every list costs a fixed number of queries however long it grows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, OrderBy, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from funding.models import (
    AWARDED_STATES,
    COMMITTED_STATES,
    Budget,
    Claim,
    ClaimKind,
    ClaimState,
    ClaimWindow,
    PaymentBatch,
)
from hubportal.accounts.models import Role
from hubportal.accounts.roles import active_membership
from schools.models import Hub
from workgroups.models import AcademicYear

S = ClaimState

# The states a hub sees, in the order the work flows: drafts are the school's own.
HUB_STATES: tuple[str, ...] = (
    S.SUBMITTED,
    S.RETURNED,
    S.APPROVED,
    S.BATCHED,
    S.PAID,
    S.REJECTED,
)
# Not a state of its own: approved or in a payment batch, the money the budget counts
# as committed.
COMMITTED = "committed"


def hub_claims(user, hub_code: str = "") -> QuerySet[Claim]:
    """The claims a hub lead (or national admin) may see, without drafts."""
    claims = Claim.objects.visible_to(user).exclude(state=S.DRAFT)
    if hub_code:
        claims = claims.filter(hub__code=hub_code)
    return claims


def _hub_batches(user, hub_code: str = "") -> QuerySet[PaymentBatch]:
    batches = PaymentBatch.objects.visible_to(user)
    if hub_code:
        batches = batches.filter(hub__code=hub_code)
    return batches


def visible_budgets(user) -> QuerySet[Budget]:
    """Budgets have no ``visible_to`` of their own: a hub lead sees their hub's, a
    national admin every hub's, anyone else none."""
    membership = active_membership(user)
    if membership is None:
        return Budget.objects.none()
    if membership.role == Role.NATIONAL_ADMIN:
        return Budget.objects.all()
    if membership.role == Role.HUB_LEAD:
        return Budget.objects.filter(hub_id=membership.hub_id)
    return Budget.objects.none()


def funding_years(user, current: AcademicYear, *, include_next: bool = False) -> list[int]:
    """Start years to choose from: the current year, every year with a claim, batch,
    budget or claim window the person may see, and (for planning a budget) next
    year; latest first. One query."""
    seen = set(
        AcademicYear.objects.filter(
            Q(pk__in=hub_claims(user).values("year_id"))
            | Q(pk__in=PaymentBatch.objects.visible_to(user).values("year_id"))
            | Q(pk__in=visible_budgets(user).values("year_id"))
            | Q(pk__in=ClaimWindow.objects.visible_to(user).values("year_id"))
        ).values_list("start_year", flat=True)
    )
    seen.add(current.start_year)
    if include_next:
        seen.add(current.start_year + 1)
    return sorted(seen, reverse=True)


# ---------------------------------------------------------------------------
# The claims list

# Sort keys a request may ask for, each with the columns it orders by; a leading "-"
# reverses the first. The primary key last makes every order total, so no claim is
# on two pages or on none.
CLAIM_SORTS: dict[str, tuple] = {
    "reference": (F("pk"),),
    "school": (F("school__name"), F("submitted_at")),
    "submitted": (F("submitted_at"), F("school__name")),
    "amount": (F("claimed_pence"), F("school__name")),
}
DEFAULT_CLAIM_SORT = "-submitted"


@dataclass(frozen=True)
class ClaimFilters:
    """What the claims list was asked for, already validated by its filter form."""

    year: AcademicYear
    kind: str = ""
    state: str = ""
    school: str = ""
    hub_code: str = ""
    sort: str = DEFAULT_CLAIM_SORT


def _order(sort: str) -> list[OrderBy]:
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    if key not in CLAIM_SORTS:
        descending, key = True, DEFAULT_CLAIM_SORT.removeprefix("-")
    first, *rest = CLAIM_SORTS[key]
    primary = first.desc(nulls_last=True) if descending else first.asc(nulls_last=True)
    return [primary, *(column.asc() for column in rest), F("pk").asc()]


def claim_list(user, filters: ClaimFilters) -> QuerySet[Claim]:
    """The claims the person may see that match the filters, in the asked-for order."""
    claims = hub_claims(user, filters.hub_code).filter(year=filters.year)
    if filters.kind:
        claims = claims.filter(kind=filters.kind)
    if filters.state == COMMITTED:
        claims = claims.filter(state__in=COMMITTED_STATES)
    elif filters.state:
        claims = claims.filter(state=filters.state)
    term = " ".join(filters.school.split())
    if term.isdigit():
        claims = claims.filter(Q(school__urn__contains=term) | Q(school__name__icontains=term))
    elif term:
        claims = claims.filter(school__name__icontains=term)
    return claims.select_related("school", "hub").order_by(*_order(filters.sort))


def claim_totals(claims: QuerySet[Claim]) -> dict[str, int]:
    """Number, claimed, awarded (approved, batched or paid) and paid, in pence, over
    the whole filtered set: one aggregate query, whatever the page shows."""
    totals = claims.order_by().aggregate(
        count=Count("pk"),
        claimed=Coalesce(Sum("claimed_pence"), 0),
        awarded=Coalesce(Sum("award_pence", filter=Q(state__in=AWARDED_STATES)), 0),
        paid=Coalesce(Sum("award_pence", filter=Q(state=S.PAID)), 0),
    )
    return {name: int(value) for name, value in totals.items()}


# ---------------------------------------------------------------------------
# One claim


def reviewable_claims(user) -> QuerySet[Claim]:
    """Claims a hub lead or national admin may open, with what the page shows."""
    return hub_claims(user).select_related(
        "school", "hub", "year", "scheme", "batch", "decided_by", "created_by"
    )


def claim_history(claim: Claim) -> list:
    """Every recorded change to the claim, newest first: one query."""
    return list(
        claim.history.select_related("history_user").order_by("-history_date", "-history_id")
    )


# ---------------------------------------------------------------------------
# Payment batches


def claims_to_batch(user, year: AcademicYear, hub_code: str = "") -> QuerySet[Claim]:
    """Approved claims of the year that are in no batch yet, oldest decision first."""
    return (
        hub_claims(user, hub_code)
        .filter(year=year, state=S.APPROVED, batch__isnull=True)
        .select_related("school", "hub")
        .order_by("decided_at", "pk")
    )


def batch_list(user, year: AcademicYear, hub_code: str = "") -> QuerySet[PaymentBatch]:
    """The year's batches, newest first, each with its number of claims and total."""
    return (
        _hub_batches(user, hub_code)
        .filter(year=year)
        .select_related("hub", "created_by", "paid_by")
        .annotate(claim_count=Count("claims"), total=Coalesce(Sum("claims__award_pence"), 0))
        .order_by("-created_at", "-pk")
    )


def batch_claims(batch: PaymentBatch) -> QuerySet[Claim]:
    """A batch's claims in the order the finance team pays them: by school."""
    return (
        Claim.objects.filter(batch=batch)
        .select_related("school", "batch")
        .order_by("school__name", "pk")
    )


def batch_total(batch: PaymentBatch) -> int:
    return int(
        Claim.objects.filter(batch=batch).aggregate(total=Coalesce(Sum("award_pence"), 0))["total"]
    )


# ---------------------------------------------------------------------------
# Budgets


@dataclass(frozen=True)
class HubPosition:
    """One hub's money in a year, in pence, as ``services.budget_position`` gives it."""

    hub: Hub
    allocation: int | None
    committed: int
    paid: int

    @property
    def remaining(self) -> int | None:
        if self.allocation is None:
            return None
        return self.allocation - self.committed - self.paid


def hub_positions(user, year: AcademicYear) -> list[HubPosition]:
    """Every visible hub's position in the year, for national admins: three queries
    in all, not two a hub. Sums the same claims as ``services.budget_position``."""
    allocations = dict(
        visible_budgets(user).filter(year=year).values_list("hub_id", "allocation_pence")
    )
    sums = {
        row["hub_id"]: row
        for row in Claim.objects.visible_to(user)
        .filter(year=year)
        .order_by()
        .values("hub_id")
        .annotate(
            committed=Sum("award_pence", filter=Q(state__in=COMMITTED_STATES)),
            paid=Sum("award_pence", filter=Q(state=S.PAID)),
        )
    }
    positions = []
    for hub in Hub.objects.visible_to(user).order_by("name"):
        row = sums.get(hub.pk, {})
        positions.append(
            HubPosition(
                hub=hub,
                allocation=allocations.get(hub.pk),
                committed=row.get("committed") or 0,
                paid=row.get("paid") or 0,
            )
        )
    return positions


def claim_window(user, hub, year: AcademicYear) -> ClaimWindow | None:
    return ClaimWindow.objects.visible_to(user).filter(hub=hub, year=year).first()


def position_by_kind(hub, year) -> list[dict]:
    """Committed (approved or batched, not yet paid) and paid money of the hub's year,
    per kind of claim, in pence: one query."""
    sums = Claim.objects.filter(hub=hub, year=year).aggregate(
        **{
            f"{kind}_{what}": Sum("award_pence", filter=Q(kind=kind) & states)
            for kind in ClaimKind.values
            for what, states in (
                ("committed", Q(state__in=COMMITTED_STATES)),
                ("paid", Q(state=ClaimState.PAID)),
            )
        }
    )
    return [
        {
            "kind": ClaimKind(kind).label,
            "committed": sums[f"{kind}_committed"] or 0,
            "paid": sums[f"{kind}_paid"] or 0,
        }
        for kind in ClaimKind.values
    ]
