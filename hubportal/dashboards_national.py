"""The national admin's year at a glance: every hub's figures side by side, their
totals, and how many schools each programme stage has taken year on year.

Each read goes through the model's ``visible_to`` (or the funding app's scoped
selectors), so anyone but a national admin sees only what their own role allows.
Every function costs the same number of queries however many hubs, schools,
groups and claims there are: each figure is one grouped query over all hubs."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from django.db.models import Count, Q, Sum

from funding.models import COMMITTED_STATES, ClaimState, ClawbackState
from funding.money import format_pence
from funding.selectors.hub import hub_claims, visible_budgets
from schools.models import Hub
from workgroups.models import (
    AcademicYear,
    Application,
    ApplicationState,
    GroupMember,
    Outcome,
    Participation,
    ProgrammeStage,
    WorkGroup,
)


@dataclass
class HubFigures:
    """One hub's year (or, with ``hub`` None, the sum over every hub)."""

    hub: Hub | None
    applied: int = 0  # submitted or later, as on the hub lead's home
    accepted: int = 0
    in_groups: int = 0
    completed: int = 0
    groups: int = 0
    groups_without_specialist: int = 0
    claims_waiting: int = 0
    committed: int = 0  # pence: approved or in a payment batch
    paid: int = 0
    recovered: int = 0
    allocation: int | None = None  # None: no budget entered for the year

    @property
    def remaining(self) -> int | None:
        if self.allocation is None:
            return None
        return self.allocation - self.committed - self.paid + self.recovered

    @property
    def money_shown(self) -> dict[str, str]:
        """Pounds for the template, "Not set" for a missing allocation."""
        values = {
            "allocation": self.allocation,
            "committed": self.committed,
            "paid": self.paid,
            "remaining": self.remaining,
        }
        return {k: "Not set" if v is None else format_pence(v) for k, v in values.items()}


# ?sort= values: the column, and the key a row sorts on. A leading "-" reverses.
# A missing allocation (or remaining) sorts below every amount.
SORTS: dict[str, tuple[str, object]] = {
    "hub": ("Hub", lambda row: row.hub.name.casefold()),
    "applied": ("Applied", lambda row: row.applied),
    "accepted": ("Accepted", lambda row: row.accepted),
    "in_groups": ("In groups", lambda row: row.in_groups),
    "completed": ("Completed", lambda row: row.completed),
    "groups": ("Groups", lambda row: row.groups),
    "without_specialist": ("Without a specialist", lambda row: row.groups_without_specialist),
    "claims_waiting": ("Claims waiting", lambda row: row.claims_waiting),
    "committed": ("Committed", lambda row: row.committed),
    "paid": ("Paid", lambda row: row.paid),
    "allocation": (
        "Allocation",
        lambda row: (row.allocation is not None, row.allocation or 0),
    ),
    "remaining": (
        "Remaining",
        lambda row: (row.remaining is not None, row.remaining or 0),
    ),
}
DEFAULT_SORT = "hub"


@dataclass
class HubTable:
    rows: list[HubFigures]
    sort: str  # the sort in force, "-" first when descending

    @property
    def columns(self) -> list[dict]:
        """Each column's heading, the ?sort= a click asks for and aria-sort now."""
        key, descending = self.sort.removeprefix("-"), self.sort.startswith("-")
        columns = []
        for name, (heading, _) in SORTS.items():
            current = name == key
            columns.append(
                {
                    "name": name,
                    "heading": heading,
                    "numeric": name != "hub",
                    "next": f"-{name}" if current and not descending else name,
                    "aria_sort": ("descending" if descending else "ascending")
                    if current
                    else "none",
                }
            )
        return columns


def _hub_rows(user, year: AcademicYear) -> list[HubFigures]:
    """Seven queries: hubs, applications, group members, completions, groups,
    claims and budgets, each grouped by hub."""
    rows = {hub.pk: HubFigures(hub) for hub in Hub.objects.visible_to(user).order_by("name")}

    def each(queryset, hub_path: str, **counts):
        grouped = queryset.order_by().values(hub_path).annotate(**counts)
        for values in grouped:
            row = rows.get(values.pop(hub_path))
            if row is not None:
                for name, value in values.items():
                    setattr(row, name, value or 0)

    S = ApplicationState
    each(
        Application.objects.visible_to(user).filter(year=year).exclude(state=S.DRAFT),
        "hub_id",
        applied=Count("pk"),
        accepted=Count("pk", filter=Q(state=S.ACCEPTED)),
    )
    groups = WorkGroup.objects.visible_to(user).filter(year=year)
    each(
        GroupMember.objects.filter(work_group__in=groups),
        "work_group__hub_id",
        in_groups=Count("pk"),
    )
    each(
        Participation.objects.visible_to(user).filter(year=year, outcome=Outcome.COMPLETED),
        "school__hub_id",
        completed=Count("pk"),
    )
    each(
        groups,
        "hub_id",
        groups=Count("pk"),
        groups_without_specialist=Count("pk", filter=Q(lead__isnull=True)),
    )
    # The same sums as funding.services.budget_position, for every hub at once.
    each(
        hub_claims(user).filter(year=year),
        "hub_id",
        claims_waiting=Count("pk", filter=Q(state=ClaimState.SUBMITTED)),
        committed=Sum("award_pence", filter=Q(state__in=COMMITTED_STATES)),
        paid=Sum("award_pence", filter=Q(state=ClaimState.PAID)),
        recovered=Sum("clawback__amount_pence", filter=Q(clawback__state=ClawbackState.RECOVERED)),
    )
    for hub_id, allocation in (
        visible_budgets(user).filter(year=year).values_list("hub_id", "allocation_pence")
    ):
        if hub_id in rows:
            rows[hub_id].allocation = allocation
    return list(rows.values())


def national_figures(user, year: AcademicYear) -> HubFigures:
    """The year's figures summed over every hub the person may see (seven queries).
    The allocation is the sum of the allocations entered, None if none is."""
    totals = HubFigures(hub=None)
    for row in _hub_rows(user, year):
        for f in fields(HubFigures):
            if f.name in ("hub", "allocation"):
                continue
            setattr(totals, f.name, getattr(totals, f.name) + getattr(row, f.name))
        if row.allocation is not None:
            totals.allocation = (totals.allocation or 0) + row.allocation
    return totals


def hub_table(user, year: AcademicYear, sort: str = "") -> HubTable:
    """A row per hub, sorted on ``sort`` (a SORTS key, "-" first for descending);
    an unknown sort falls back to the hub's name. Seven queries."""
    key = (sort or "").removeprefix("-")
    if key not in SORTS:
        sort, key = DEFAULT_SORT, DEFAULT_SORT
    descending = sort.startswith("-")
    rows = sorted(_hub_rows(user, year), key=lambda row: row.hub.name.casefold())
    rows.sort(key=SORTS[key][1], reverse=descending)  # stable: ties stay by name
    return HubTable(rows=rows, sort=sort)


# Line colours: GOV.UK palette, each at least 3:1 on white; every line also has its
# own marker shape and a label at its end, so colour is never the only cue.
LINE_STYLES = (
    ("#1d70b8", "circle"),
    ("#d4351c", "square"),
    ("#00703c", "diamond"),
    ("#4c2c92", "triangle"),
    ("#505a5f", "circle"),
    ("#912b88", "square"),
)


@dataclass
class TrendChart:
    """What ``includes/trend_chart.html`` draws: a line per stage over the years,
    laid out here because a template cannot do arithmetic."""

    title: str
    description: str
    years: list[AcademicYear]
    stages: list[ProgrammeStage]
    counts: dict[int, list[int]]  # stage pk: a count per year, in ``years`` order
    id: str = "trend-chart"
    lines: list[dict] = field(init=False)

    WIDTH = 640
    HEIGHT = 300
    LEFT = 48  # room for the scale's numbers
    RIGHT = 150  # room for the stage names at the lines' ends
    TOP = 16
    BOTTOM = 40  # room for the year labels

    def __post_init__(self) -> None:
        self.lines = []
        for index, stage in enumerate(self.stages):
            colour, marker = LINE_STYLES[index % len(LINE_STYLES)]
            points = [
                {"x": self._x(i), "y": self._y(n), "n": n, "year": year}
                for i, (year, n) in enumerate(zip(self.years, self.counts[stage.pk], strict=True))
            ]
            self.lines.append(
                {
                    "stage": stage,
                    "colour": colour,
                    "marker": marker,
                    "points": points,
                    "path": " ".join(f"{p['x']},{p['y']}" for p in points),
                    "label_y": points[-1]["y"] if points else 0,
                }
            )
        # Stage names at the right edge must not overlap: push them 16px apart.
        previous = None
        for line in sorted(self.lines, key=lambda line: line["label_y"]):
            if previous is not None and line["label_y"] < previous + 16:
                line["label_y"] = previous + 16
            previous = line["label_y"]

    @property
    def maximum(self) -> int:
        """The top of the scale: the largest count rounded up to a whole step."""
        largest = max((n for counts in self.counts.values() for n in counts), default=0)
        step = self.step
        return max(step, -(-largest // step) * step)

    @property
    def step(self) -> int:
        largest = max((n for counts in self.counts.values() for n in counts), default=0)
        for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
            if largest <= step * 5:
                return step
        return -(-largest // 5000) * 1000

    @property
    def plot_right(self) -> int:
        return self.WIDTH - self.RIGHT

    @property
    def plot_bottom(self) -> int:
        return self.HEIGHT - self.BOTTOM

    @property
    def label_x(self) -> int:
        return self.plot_right + 12

    def _x(self, i: int) -> int:
        span = self.plot_right - self.LEFT - 20
        if len(self.years) < 2:
            return self.LEFT + 10 + span // 2
        return self.LEFT + 10 + round(span * i / (len(self.years) - 1))

    def _y(self, n: int) -> int:
        height = self.plot_bottom - self.TOP
        return self.plot_bottom - round(height * n / self.maximum)

    @property
    def ticks(self) -> list[dict]:
        return [{"n": n, "y": self._y(n)} for n in range(0, self.maximum + 1, self.step)]

    @property
    def year_ticks(self) -> list[dict]:
        return [{"year": year, "x": self._x(i)} for i, year in enumerate(self.years)]

    @property
    def table(self) -> list[dict]:
        """The data table: a row per year, a count per stage."""
        return [
            {"year": year, "counts": [self.counts[stage.pk][i] for stage in self.stages]}
            for i, year in enumerate(self.years)
        ]


def stage_trend(user, years: int = 5) -> TrendChart:
    """Schools accepted to each programme stage in each of the last ``years``
    academic years, to the current one (three queries: years, stages, counts)."""
    current = AcademicYear.objects.current()
    first = current.start_year - years + 1
    shown = list(
        AcademicYear.objects.filter(start_year__range=(first, current.start_year)).order_by(
            "start_year"
        )
    )
    # A year with no row yet still gets its place on the axis, at zero.
    by_start = {year.start_year: year for year in shown}
    shown = [
        by_start.get(start) or AcademicYear(start_year=start)
        for start in range(first, current.start_year + 1)
    ]
    stages = list(ProgrammeStage.objects.order_by("order"))
    counts = {stage.pk: [0] * len(shown) for stage in stages}
    index = {year.start_year: i for i, year in enumerate(shown)}
    for stage_id, start_year, n in (
        Application.objects.visible_to(user)
        .filter(state=ApplicationState.ACCEPTED, year__start_year__gte=first)
        .filter(year__start_year__lte=current.start_year)
        .order_by()
        .values("stage_id", "year__start_year")
        # A school has one live application a year (application_one_live_per_school_year),
        # so counting rows counts schools without DISTINCT's sort.
        .annotate(n=Count("pk"))
        .values_list("stage_id", "year__start_year", "n")
    ):
        if stage_id in counts:
            counts[stage_id][index[start_year]] = n
    return TrendChart(
        title=f"Schools accepted to each programme stage, {shown[0].label} to {shown[-1].label}",
        description=(
            "A line per programme stage: how many schools each stage accepted in each "
            "academic year, across every hub."
        ),
        years=shown,
        stages=stages,
        counts=counts,
    )


def national_home(user, sort: str = "", year: AcademicYear | None = None) -> dict:
    """What the national admin's home page shows for ``year`` (the current one unless
    given)."""
    year = year or AcademicYear.objects.current()
    return {
        "year": year,
        "totals": national_figures(user, year),
        "hub_table": hub_table(user, year, sort),
        "trend": stage_trend(user),
    }
