"""Reads for the hub lead's journey: cohorts, their applications, windows and the
participation history, always scoped to the person asking, so another hub's rows
are simply not found. Every list costs a fixed number of queries, however long."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from hubportal.accounts.models import Role
from hubportal.accounts.roles import has_role
from schools.models import Hub
from workgroups.models import (
    UNDECIDED_STATES,
    AcademicYear,
    Application,
    ApplicationState,
    ApplicationWindow,
    Participant,
    Participation,
    ProgrammeStage,
)

S = ApplicationState

# The states a hub sees, in the order the work flows (drafts are the school's own).
COHORT_STATES: tuple[str, ...] = (
    S.SUBMITTED,
    S.WAITLISTED,
    S.ACCEPTED,
    S.DECLINED,
    S.WITHDRAWN,
)


def can_see_every_hub(user) -> bool:
    """National admins look across hubs and may narrow to one; hub staff see their own."""
    return has_role(user, Role.NATIONAL_ADMIN)


def hub_options(user) -> list[tuple[str, str]]:
    """(code, name) of the hubs a person may narrow to: only national admins choose."""
    if not can_see_every_hub(user):
        return []
    return list(Hub.objects.visible_to(user).values_list("code", "name").order_by("name"))


def _applications(user, hub_code: str = "") -> QuerySet[Application]:
    # visible_to hides drafts from hub staff; national admins see them, so leave them out here.
    applications = Application.objects.visible_to(user).exclude(state=S.DRAFT)
    if hub_code:
        applications = applications.filter(hub__code=hub_code)
    return applications


def _windows(user, hub_code: str = "") -> QuerySet[ApplicationWindow]:
    windows = ApplicationWindow.objects.visible_to(user)
    if hub_code:
        windows = windows.filter(hub__code=hub_code)
    return windows


# ---------------------------------------------------------------------------
# Cohorts


def cohort_years(user, current: AcademicYear) -> list[AcademicYear]:
    """The current academic year and every year with a window or an application
    the person may see, latest first."""
    return list(
        AcademicYear.objects.filter(
            Q(pk=current.pk)
            | Q(pk__in=_windows(user).values("year_id"))
            | Q(pk__in=_applications(user).values("year_id"))
        ).order_by("-start_year")
    )


@dataclass
class CohortRow:
    """One stage in one year: how many applications are in each state, against the places."""

    stage: ProgrammeStage
    counts: dict[str, int]
    target_places: int | None

    @property
    def accepted(self) -> int:
        return self.counts[S.ACCEPTED]

    @property
    def waiting(self) -> int:
        return self.counts[S.SUBMITTED] + self.counts[S.WAITLISTED]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def state_counts(self) -> list[tuple[str, int]]:
        return [(state, self.counts[state]) for state in COHORT_STATES]


def _state_counts() -> dict[str, Count]:
    return {state: Count("pk", filter=Q(state=state)) for state in COHORT_STATES}


def cohort_rows(user, year: AcademicYear, hub_code: str = "") -> list[CohortRow]:
    """A row per stage for the year: the counts in one aggregate query, the target
    places (summed over the hubs shown) in another."""
    counts = {
        row.pop("stage_id"): row
        for row in _applications(user, hub_code)
        .filter(year=year)
        .order_by()
        .values("stage_id")
        .annotate(**_state_counts())
    }
    targets = dict(
        _windows(user, hub_code)
        .filter(year=year)
        .order_by()
        .values("stage_id")
        .annotate(target=Sum("target_places"))
        .values_list("stage_id", "target")
    )
    empty = dict.fromkeys(COHORT_STATES, 0)
    return [
        CohortRow(
            stage=stage,
            counts={**empty, **counts.get(stage.pk, {})},
            target_places=targets.get(stage.pk),
        )
        for stage in ProgrammeStage.objects.order_by("order")
    ]


def cohort_summary(
    user, stage: ProgrammeStage, year: AcademicYear, hub_code: str = ""
) -> CohortRow:
    """The same figures for one cohort."""
    counts = (
        _applications(user, hub_code).filter(stage=stage, year=year).aggregate(**_state_counts())
    )
    target = (
        _windows(user, hub_code)
        .filter(stage=stage, year=year)
        .aggregate(target=Sum("target_places"))["target"]
    )
    return CohortRow(stage=stage, counts=counts, target_places=target)


@dataclass(frozen=True)
class WaitingCohort:
    stage: ProgrammeStage
    year: AcademicYear
    count: int


def decisions_waiting(user) -> list[WaitingCohort]:
    """Cohorts with applications still waiting for the hub's decision, for the home page."""
    rows = list(
        _applications(user)
        .filter(state__in=UNDECIDED_STATES)
        .order_by()
        .values("stage_id", "year_id")
        .annotate(count=Count("pk"))
    )
    if not rows:
        return []
    stages = ProgrammeStage.objects.in_bulk({r["stage_id"] for r in rows})
    years = AcademicYear.objects.in_bulk({r["year_id"] for r in rows})
    waiting = [WaitingCohort(stages[r["stage_id"]], years[r["year_id"]], r["count"]) for r in rows]
    return sorted(waiting, key=lambda w: (w.year.start_year, w.stage.order))


# ---------------------------------------------------------------------------
# A cohort's applications

# Sort keys a request may ask for, each with the columns it orders by; a leading "-"
# reverses the first. The primary key last makes every order total, so that a row is
# never on two pages or on none.
STATE_RANK = Case(
    *(When(state=state, then=Value(rank)) for rank, state in enumerate(COHORT_STATES)),
    default=Value(len(COHORT_STATES)),
    output_field=IntegerField(),
)
APPLICATION_SORTS: dict[str, tuple] = {
    "school": (F("school__name"),),
    "submitted": (F("submitted_at"), F("school__name")),
    "state": (STATE_RANK, F("submitted_at"), F("school__name")),
    "la": (F("school__la_name"), F("school__name")),
}
DEFAULT_APPLICATION_SORT = "state"


@dataclass(frozen=True)
class ApplicationFilters:
    """What the cohort list was asked for, already validated by its filter form."""

    state: str = ""
    priority: bool | None = None
    outside_area: bool | None = None
    la_code: str = ""
    hub_code: str = ""
    sort: str = DEFAULT_APPLICATION_SORT


def _order(sorts: dict[str, tuple], sort: str, default: str) -> list[OrderBy]:
    descending = sort.startswith("-")
    first, *rest = sorts.get(sort.removeprefix("-"), sorts[default])
    primary = first.desc(nulls_last=True) if descending else first.asc(nulls_last=True)
    return [primary, *(column.asc() for column in rest), F("pk").asc()]


def cohort_applications(
    user, stage: ProgrammeStage, year: AcademicYear, filters: ApplicationFilters
) -> QuerySet[Application]:
    """The cohort's applications the person may see, filtered and in the asked-for order."""
    applications = (
        _applications(user, filters.hub_code)
        .filter(stage=stage, year=year)
        .select_related("school", "hub")
    )
    if filters.state:
        applications = applications.filter(state=filters.state)
    if filters.priority is not None:
        applications = applications.filter(priority=filters.priority)
    if filters.outside_area is not None:
        applications = applications.filter(outside_area=filters.outside_area)
    if filters.la_code:
        applications = applications.filter(school__la_code=filters.la_code)
    return applications.order_by(*_order(APPLICATION_SORTS, filters.sort, DEFAULT_APPLICATION_SORT))


def cohort_la_options(
    user, stage: ProgrammeStage, year: AcademicYear, hub_code: str = ""
) -> list[tuple[str, str]]:
    """(code, name) of the local authorities of the cohort's schools: one query."""
    las: dict[str, str] = {}
    for code, name in (
        _applications(user, hub_code)
        .filter(stage=stage, year=year)
        .values_list("school__la_code", "school__la_name")
        .distinct()
        .order_by("school__la_name", "school__la_code")
    ):
        las.setdefault(code, name)
    return list(las.items())


# ---------------------------------------------------------------------------
# One application: its history


def reviewable_applications(user) -> QuerySet[Application]:
    """Applications a hub lead or national admin may open, with what the page shows."""
    return _applications(user).select_related(
        "school", "hub", "stage", "year", "submitted_by", "decided_by", "created_by"
    )


@dataclass
class Change:
    label: str
    old: str = ""
    new: str = ""


@dataclass
class HistoryEntry:
    """One change to the application or to a named teacher: who, when, what, why."""

    when: datetime
    who: object
    why: str
    subject: str
    action: str
    changes: list[Change] = field(default_factory=list)


# Fields whose old and new values are worth showing; others are named only.
_SHOWN_VALUES = {
    "state",
    "priority",
    "outside_area",
    "school_details_confirmed",
    "commit_release_teachers",
    "commit_headteacher_attends",
    "commit_reports",
    "declaration",
    "contact_name",
    "contact_role",
    "name",
    "email",
    "job_role",
    "is_maths_lead",
    "trn",
}
_ACTIONS = {"+": "Created", "~": "Changed", "-": "Removed"}


def _display(model, name: str, value) -> str:
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return "" if value in (None, "") else str(value)


def _changes(model, record, previous) -> list[Change]:
    if previous is None:
        return []
    delta = record.diff_against(previous)
    changes = []
    for change in delta.changes:
        label = str(model._meta.get_field(change.field).verbose_name).capitalize()
        if change.field in _SHOWN_VALUES:
            changes.append(
                Change(
                    label,
                    _display(model, change.field, change.old),
                    _display(model, change.field, change.new),
                )
            )
        else:
            changes.append(Change(label))
    return changes


def _entries(model, records, subject) -> list[HistoryEntry]:
    """Entries for one object's records, oldest first; each compared in memory with
    the one before it (``prev_record`` would cost a query per row)."""
    entries = []
    previous = None
    for record in records:
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=record.history_user,
                why=record.history_change_reason or "",
                subject=subject(record),
                action=_ACTIONS.get(record.history_type, ""),
                changes=_changes(model, record, previous),
            )
        )
        previous = record
    return entries


def application_history(application: Application) -> list[HistoryEntry]:
    """Every change to the application and its named teachers, newest first: two queries."""
    records = application.history.select_related("history_user").order_by(
        "history_date", "history_id"
    )
    entries = _entries(Application, records, lambda record: "Application")
    by_participant: dict[int, list] = {}
    for record in (
        Participant.history.filter(application_id=application.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    ):
        by_participant.setdefault(record.id, []).append(record)
    for records in by_participant.values():
        entries += _entries(
            Participant, records, lambda record: f"Teacher {record.position}: {record.name}"
        )
    # Newest first; changes made in the same instant keep their order, reversed.
    entries.reverse()
    return sorted(entries, key=lambda e: e.when, reverse=True)


# ---------------------------------------------------------------------------
# Windows


def _accepted_count() -> Coalesce:
    accepted = (
        Application.objects.filter(
            hub=OuterRef("hub"), stage=OuterRef("stage"), year=OuterRef("year"), state=S.ACCEPTED
        )
        .order_by()
        .values("hub")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(accepted, output_field=IntegerField()), 0)


def hub_windows(user) -> QuerySet[ApplicationWindow]:
    """The windows the person may see, latest year first, each with its accepted count."""
    return (
        ApplicationWindow.objects.visible_to(user)
        .select_related("hub", "stage", "year")
        .annotate(accepted=_accepted_count())
        .order_by("-year__start_year", "stage__order", "hub__name")
    )


def window_status(window: ApplicationWindow, today: date | None = None) -> str:
    today = today or timezone.localdate()
    if today < window.opens:
        return "upcoming"
    if today > window.closes:
        return "closed"
    return "open"


# ---------------------------------------------------------------------------
# Participation history

PARTICIPATION_SORT = ("-year__start_year", "school__name", "stage__order", "pk")


@dataclass(frozen=True)
class ParticipationFilters:
    search: str = ""
    stage_code: str = ""
    start_year: int | None = None
    outcome: str = ""
    hub_code: str = ""


def participation_history(user, filters: ParticipationFilters) -> QuerySet[Participation]:
    """The participation rows the person may see that match the filters."""
    rows = Participation.objects.visible_to(user).select_related(
        "school", "school__hub", "stage", "year", "recorded_by"
    )
    term = " ".join(filters.search.split())
    if term.isascii() and term.isdigit() and len(term) == 6:
        rows = rows.filter(school__urn=int(term))
    elif term:
        rows = rows.filter(school__name__icontains=term)
    if filters.stage_code:
        rows = rows.filter(stage__code=filters.stage_code)
    if filters.start_year is not None:
        rows = rows.filter(year__start_year=filters.start_year)
    if filters.outcome:
        rows = rows.filter(outcome=filters.outcome)
    if filters.hub_code:
        rows = rows.filter(school__hub__code=filters.hub_code)
    return rows.order_by(*PARTICIPATION_SORT)


def participation_years(user) -> list[int]:
    """Start years found in the history the person may see, latest first: one query."""
    return list(
        Participation.objects.visible_to(user)
        .values_list("year__start_year", flat=True)
        .distinct()
        .order_by("-year__start_year")
    )
