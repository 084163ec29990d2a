"""What a headteacher sees of their school's funding: what it may claim and why,
the claim window, its claims, and where each claim's task list stands.

Every row is read through ``visible_to`` the person asking, and the overview costs
the same number of queries however many claims the school has made."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet

from funding import services
from funding.models import (
    MATCH_CAP_PENCE,
    Claim,
    ClaimKind,
    ClaimState,
    ClaimWindow,
    Evidence,
)
from funding.money import format_pence, half_of
from schools.models import School
from workgroups.models import AcademicYear, Application

S = ClaimState

# ---------------------------------------------------------------------------
# The claim's task list


@dataclass(frozen=True)
class Section:
    """One task of a claim: the answers it holds, by the claim's field names."""

    key: str
    title: str
    fields: tuple[str, ...]


EVIDENCE = "evidence"
"""The name ``return_fields`` and ``claim_problems`` give the proof of purchase."""

CONDITIONS = Section("conditions", "Accept the grant conditions", services.GRANT_FIELDS)
PURCHASE = Section("purchase", "Tell us what the school bought", services.MATCH_FIELDS)
PROOF = Section("evidence", "Upload proof of purchase", (EVIDENCE,))
PAYEE = Section("payee", "Give the school's bank details", services.PAYEE_FIELDS)

SECTIONS: dict[str, tuple[Section, ...]] = {
    ClaimKind.GRANT: (CONDITIONS, PAYEE),
    ClaimKind.MATCH: (PURCHASE, PROOF, PAYEE),
}


def sections_for(kind: str) -> tuple[Section, ...]:
    return SECTIONS[kind]


def section_for(kind: str, key: str) -> Section | None:
    return next((s for s in SECTIONS[kind] if s.key == key), None)


def section_of_field(kind: str, name: str) -> Section | None:
    return next((s for s in SECTIONS[kind] if name in s.fields), None)


class TaskStatus:
    NOT_STARTED = "Not started"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"
    CHANGES_NEEDED = "Changes needed"


@dataclass(frozen=True)
class Task:
    section: Section
    status: str
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.section.key

    @property
    def title(self) -> str:
        return self.section.title

    @property
    def done(self) -> bool:
        return self.status == TaskStatus.COMPLETED


def _answered(claim: Claim, name: str, has_evidence: bool) -> bool:
    if name == EVIDENCE:
        return has_evidence
    if name == "scheme":
        return claim.scheme_id is not None
    value = getattr(claim, name)
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def fields_changed_since_return(claim: Claim) -> set[str]:
    """The answers changed since the hub last returned the claim (``"evidence"``
    when a file was added or removed since), read from the audit history.

    Empty unless the claim is returned now. Two queries."""
    if claim.state != S.RETURNED or claim.decided_at is None:
        return set()
    returned = (
        claim.history.filter(state=S.RETURNED, history_date__gte=claim.decided_at)
        .order_by("history_date", "history_id")
        .first()
    )
    if returned is None:
        return set()
    changed = {
        name
        for name in services.EDITABLE_FIELDS[claim.kind]
        if _value(returned, name) != _value(claim, name)
    }
    if Evidence.history.filter(claim_id=claim.pk, history_date__gt=returned.history_date).exists():
        changed.add(EVIDENCE)
    return changed


def _value(row, name: str):
    # The history row holds the scheme as scheme_id too; compare ids, not objects.
    return row.scheme_id if name == "scheme" else getattr(row, name)


def fields_to_change(claim: Claim) -> set[str]:
    """The fields the hub asked the school to change that have not changed yet."""
    if claim.state != S.RETURNED or not claim.return_fields:
        return set()
    return set(claim.return_fields) - fields_changed_since_return(claim)


def claim_tasks(claim: Claim, *, today: date | None = None) -> list[Task]:
    """Each section of the claim with its status: Changes needed (the hub returned
    one of its answers and it has not changed yet), Completed (nothing missing),
    In progress (something answered) or Not started."""
    problems = services.claim_problems(claim, today)
    has_evidence = EVIDENCE not in problems if claim.kind == ClaimKind.MATCH else False
    to_change = fields_to_change(claim)
    tasks = []
    for section in sections_for(claim.kind):
        section_problems = {k: v for k, v in problems.items() if k in section.fields}
        if to_change & set(section.fields):
            status = TaskStatus.CHANGES_NEEDED
        elif not section_problems:
            status = TaskStatus.COMPLETED
        elif any(_answered(claim, name, has_evidence) for name in section.fields):
            status = TaskStatus.IN_PROGRESS
        else:
            status = TaskStatus.NOT_STARTED
        tasks.append(Task(section=section, status=status, problems=section_problems))
    return tasks


def expected_award(claim: Claim) -> int | None:
    """What the claim would ask for if submitted now: the grant's £1,000, or half
    the spend up to what remains of the school's £2,000 (None without a spend)."""
    if claim.kind == ClaimKind.GRANT:
        return services.GRANT_PENCE
    if not claim.spend_pence:
        return None
    return min(half_of(claim.spend_pence), services.match_remaining(claim.school))


# ---------------------------------------------------------------------------
# Your school's funding


@dataclass(frozen=True)
class WindowStatus:
    """The hub's claim window for the year, and whether new claims may start today."""

    year: AcademicYear
    window: ClaimWindow | None
    today: date

    @property
    def is_open(self) -> bool:
        return self.window is not None and self.window.is_open(self.today)

    @property
    def not_yet_open(self) -> bool:
        return self.window is not None and self.today < self.window.opens

    @property
    def has_closed(self) -> bool:
        return self.window is not None and self.today > self.window.closes


@dataclass(frozen=True)
class GrantStatus:
    """The £1,000 Development grant: once per school, ever."""

    application: Application | None
    claim: Claim | None
    rejected: Claim | None
    reason: str
    can_start: bool

    @property
    def amount(self) -> str:
        return format_pence(services.GRANT_PENCE)


@dataclass(frozen=True)
class MatchStatus:
    """Textbook match funding: half the spend, up to £2,000 per school in all."""

    eligible: bool
    remaining_pence: int
    awaiting_pence: int
    schemes: list[str]  # the names on the year's approved list
    in_progress: list[Claim]
    reason: str
    can_start: bool

    @property
    def cap(self) -> str:
        return format_pence(MATCH_CAP_PENCE)

    @property
    def remaining(self) -> str:
        return format_pence(self.remaining_pence)

    @property
    def awaiting(self) -> str:
        return format_pence(self.awaiting_pence)


@dataclass(frozen=True)
class SchoolFunding:
    school: School
    window: WindowStatus
    grant: GrantStatus
    match: MatchStatus


def school_claims(user, school: School) -> QuerySet[Claim]:
    """The school's claims, newest first, as the person asking may see them."""
    return (
        Claim.objects.visible_to(user)
        .filter(school=school)
        .select_related("year")
        .order_by("-created_at", "-pk")
    )


def school_window(user, school: School, year: AcademicYear, today: date) -> WindowStatus:
    window = None
    if school.hub_id is not None:
        window = (
            ClaimWindow.objects.visible_to(user).filter(hub_id=school.hub_id, year=year).first()
        )
    return WindowStatus(year=year, window=window, today=today)


def school_funding(user, school: School, today: date) -> SchoolFunding:
    """What the school may claim now, and why not when it may not."""
    year = AcademicYear.objects.current()
    window = school_window(user, school, year, today)
    closed_reason = "" if window.is_open else "No new claims can be started now."
    no_hub = (
        "" if school.hub_id else "Your school is not in a Maths Hub's area, so it cannot claim."
    )

    # The grant: the school's claims for it (at most one that is not rejected).
    grant_claims = list(school_claims(user, school).filter(kind=ClaimKind.GRANT))
    live = next((c for c in grant_claims if c.state != S.REJECTED), None)
    rejected = next((c for c in grant_claims if c.state == S.REJECTED), None)
    application = services.grant_application(school)
    if no_hub:
        grant_reason = no_hub
    elif live is not None:
        grant_reason = ""
    elif application is None:
        grant_reason = (
            "The £1,000 grant comes with a place in a Development Work Group, and "
            f"{school.name} has not been accepted into one."
        )
    else:
        grant_reason = closed_reason
    grant = GrantStatus(
        application=application,
        claim=live,
        rejected=rejected,
        reason=grant_reason,
        can_start=live is None and application is not None and not no_hub and window.is_open,
    )

    # Match funding: what remains of the £2,000, and the claims not yet decided.
    eligible = application is not None or services.match_eligible(school)
    remaining = services.match_remaining(school)
    open_claims = list(
        school_claims(user, school).filter(
            kind=ClaimKind.MATCH, state__in=(S.DRAFT, S.RETURNED, S.SUBMITTED)
        )
    )
    if no_hub:
        match_reason = no_hub
    elif not eligible:
        match_reason = (
            "Match funding is for schools that have been in a Development Work Group, "
            f"and {school.name} has not been in one."
        )
    elif remaining <= 0:
        match_reason = "Your school has already been awarded the full £2,000."
    else:
        match_reason = closed_reason
    match = MatchStatus(
        eligible=eligible,
        remaining_pence=remaining,
        awaiting_pence=sum(c.claimed_pence or 0 for c in open_claims if c.state == S.SUBMITTED),
        schemes=services.scheme_names_for(year),
        in_progress=[c for c in open_claims if c.is_editable],
        reason=match_reason,
        can_start=eligible and remaining > 0 and not no_hub and window.is_open,
    )
    return SchoolFunding(school=school, window=window, grant=grant, match=match)


# ---------------------------------------------------------------------------
# The claim's answers, as check-your-answers and the read-only summary show them


@dataclass(frozen=True)
class Answer:
    name: str
    label: str
    value: str
    section: str
    anchor: str
    to_change: bool = False


LABELS = {
    "conditions_accepted": "Grant conditions accepted",
    "scheme": "Textbook scheme",
    "supplier": "Supplier",
    "invoice_number": "Supplier's invoice number",
    "invoice_date": "Invoice date",
    "spend_pence": "Amount spent",
    "payee_name": "Name on the account",
    "sort_code": "Sort code",
    "account_number": "Account number",
    "finance_email": "Finance contact's email address",
}


def _shown(claim: Claim, name: str) -> str:
    value = getattr(claim, name)
    if name == "conditions_accepted":
        return "Yes" if value else "No"
    if name == "scheme":
        return value.name if value else ""
    if name == "invoice_date":
        return f"{value.day} {value:%B %Y}" if value else ""
    if name == "spend_pence":
        return format_pence(value)
    if name == "sort_code" and len(value) == 6:
        return f"{value[:2]}-{value[2:4]}-{value[4:]}"
    return value


def anchor_for(name: str) -> str:
    """The id of the control a field's link lands on (a date's day box)."""
    if name == EVIDENCE:
        return "id_file"
    if name == "invoice_date":
        return "id_invoice_date-day"
    return f"id_{name}"


def claim_answers(claim: Claim, to_change: set[str] | None = None) -> list[Answer]:
    """Each answer of the claim, in task-list order, shown as a person reads it."""
    to_change = to_change or set()
    return [
        Answer(
            name=name,
            label=LABELS[name],
            value=_shown(claim, name),
            section=section.key,
            anchor=anchor_for(name),
            to_change=name in to_change,
        )
        for section in sections_for(claim.kind)
        for name in section.fields
        if name != EVIDENCE
    ]
