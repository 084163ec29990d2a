"""Reads for two reports: a school's journey through the programme across years, and
the map of a hub's schools. Both take a school or hub already fetched through its
``visible_to`` scope, and cost a fixed number of queries however many rows there are."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from funding.models import Claim, ClaimState
from schools.models import Hub, School
from workgroups.models import (
    AcademicYear,
    Application,
    ApplicationState,
    Attendance,
    AttendanceStatus,
    GroupMember,
    Meeting,
    MeetingState,
    Outcome,
    Participation,
    ProgrammeStage,
)

# ---------------------------------------------------------------------------
# A school's journey


@dataclass
class JourneyStage:
    """One stage a school applied for or took part in, in one year."""

    stage: ProgrammeStage
    application_state: str = ""
    group_code: str = ""
    meetings_held: int | None = None
    meetings_attended: int | None = None
    outcome: str = ""


@dataclass
class JourneyYear:
    year: AcademicYear
    stages: list[JourneyStage] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)


def school_journey(user, school: School) -> list[JourneyYear]:
    """The school's stages (from its applications and participation history) and its
    claims, a year at a time, latest first: five queries.

    Drafts are left out: an application not sent, or a claim not sent, is not yet part
    of the journey (and hub staff may not see them)."""
    applications = list(
        Application.objects.visible_to(user)
        .filter(school=school)
        .exclude(state=ApplicationState.DRAFT)
        .select_related("stage", "year", "group_member__work_group")
    )
    participations = list(
        Participation.objects.visible_to(user).filter(school=school).select_related("stage", "year")
    )
    group_ids = {a.group_member.work_group_id for a in applications if hasattr(a, "group_member")}
    # Held and attended are counted as the cohort page counts them
    # (workgroups.selectors.cohort.cohort_rows): a logged meeting that was not
    # cancelled is held; a school attended when any of its teachers was present.
    held = dict(
        Meeting.objects.filter(
            work_group_id__in=group_ids, state=MeetingState.SCHEDULED, logged_at__isnull=False
        )
        .values_list("work_group_id")
        .annotate(n=Count("id"))
    )
    attended = dict(
        Attendance.objects.filter(
            participant__application__in=[a.pk for a in applications],
            status=AttendanceStatus.PRESENT,
        )
        .values_list("participant__application_id")
        .annotate(n=Count("meeting", distinct=True))
    )
    claims = list(
        Claim.objects.visible_to(user)
        .filter(school=school)
        .exclude(state=ClaimState.DRAFT)
        .select_related("year")
        .order_by("created_at", "pk")
    )

    years: dict[int, JourneyYear] = {}
    entries: dict[tuple[int, int], JourneyStage] = {}

    def entry(stage: ProgrammeStage, year: AcademicYear) -> JourneyStage:
        journey_year = years.setdefault(year.pk, JourneyYear(year=year))
        key = (year.pk, stage.pk)
        if key not in entries:
            entries[key] = JourneyStage(stage=stage)
            journey_year.stages.append(entries[key])
        return entries[key]

    for application in applications:
        found = entry(application.stage, application.year)
        found.application_state = application.get_state_display()
        member = getattr(application, "group_member", None)
        if member is not None:
            found.group_code = member.work_group.code
            found.meetings_held = held.get(member.work_group_id, 0)
            found.meetings_attended = attended.get(application.pk, 0)
    for participation in participations:
        entry(participation.stage, participation.year).outcome = Outcome(
            participation.outcome
        ).label
    for claim in claims:
        years.setdefault(claim.year.pk, JourneyYear(year=claim.year)).claims.append(claim)

    ordered = sorted(years.values(), key=lambda y: y.year.start_year, reverse=True)
    for journey_year in ordered:
        journey_year.stages.sort(key=lambda s: s.stage.order)
    return ordered


# ---------------------------------------------------------------------------
# The hub's map

# One colour per stage, each at least 4.5:1 against white (WCAG 1.4.11 asks 3:1 of
# graphics); schools without an accepted application are hollow grey rings, so that
# shape as well as colour tells them apart.
STAGE_COLOURS = {
    "mr": "#1d70b8",
    "dwg": "#00703c",
    "emb": "#912b88",
    "sus": "#d4351c",
}
OTHER_COLOUR = "#505a5f"
FALLBACK_COLOUR = "#0b0c0c"

WIDTH, HEIGHT, PAD = 640, 480, 32


@dataclass
class MapSchool:
    school: School
    stage: ProgrammeStage | None = None
    group_code: str = ""
    x: float | None = None
    y: float | None = None

    @property
    def colour(self) -> str:
        if self.stage is None:
            return OTHER_COLOUR
        return STAGE_COLOURS.get(self.stage.code, FALLBACK_COLOUR)

    @property
    def located(self) -> bool:
        return self.x is not None


@dataclass
class MapGroup:
    code: str
    points: list[tuple[float, float]]

    @property
    def svg_points(self) -> str:
        return " ".join(f"{x},{y}" for x, y in self.points)

    @property
    def label_at(self) -> tuple[float, float]:
        """Just above the group's northernmost school."""
        x, y = min(self.points, key=lambda p: (p[1], p[0]))
        return x, max(y - 16, 12)


@dataclass
class HubMap:
    hub: Hub
    year: AcademicYear
    schools: list[MapSchool]
    groups: list[MapGroup]
    legend: list[tuple[str, str, int]]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def located_count(self) -> int:
        return sum(1 for s in self.schools if s.located)


def convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Andrew's monotone chain: the hull's corners, anticlockwise, no repeats."""
    unique = sorted(set(points))
    if len(unique) <= 2:
        return unique

    def cross(o, a, b) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in unique:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(unique):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _project(rows: list[MapSchool]) -> None:
    """North up, one scale both ways, the cloud centred (as the formation plot does)."""
    located = [r for r in rows if r.school.easting is not None and r.school.northing is not None]
    if not located:
        return
    xs = [r.school.easting for r in located]
    ys = [r.school.northing for r in located]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    scale = min(
        (WIDTH - 2 * PAD) / span_x if span_x else float("inf"),
        (HEIGHT - 2 * PAD) / span_y if span_y else float("inf"),
    )
    if scale == float("inf"):
        scale = 1.0
    offset_x = (WIDTH - span_x * scale) / 2
    offset_y = (HEIGHT - span_y * scale) / 2
    for row in located:
        row.x = round(offset_x + (row.school.easting - min(xs)) * scale, 1)
        row.y = round(HEIGHT - offset_y - (row.school.northing - min(ys)) * scale, 1)


def hub_map(hub: Hub, year: AcademicYear) -> HubMap:
    """The hub's open schools (and any school accepted this year), each with the stage
    it was accepted for this year and its work group: four queries."""
    accepted = list(
        Application.objects.filter(hub=hub, year=year, state=ApplicationState.ACCEPTED)
        .select_related("stage")
        .order_by("stage__order", "pk")
    )
    members = dict(
        GroupMember.objects.filter(work_group__hub=hub, year=year).values_list(
            "application_id", "work_group__code"
        )
    )
    stages = list(ProgrammeStage.objects.order_by("order"))
    schools = list(
        School.objects.filter(hub=hub)
        .filter(~Q(status=School.CLOSED) | Q(pk__in=[a.school_id for a in accepted]))
        .order_by("name", "pk")
    )
    # A school accepted for two stages in one year is shown at the later one.
    by_school: dict[int, Application] = {a.school_id: a for a in accepted}
    rows = []
    for school in schools:
        application = by_school.get(school.pk)
        rows.append(
            MapSchool(
                school=school,
                stage=application.stage if application else None,
                group_code=members.get(application.pk, "") if application else "",
            )
        )
    _project(rows)

    corners: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        if row.group_code and row.located:
            corners.setdefault(row.group_code, []).append((row.x, row.y))
    groups = [MapGroup(code, convex_hull(points)) for code, points in sorted(corners.items())]

    counts: dict[int | None, int] = {}
    for row in rows:
        key = row.stage.pk if row.stage else None
        counts[key] = counts.get(key, 0) + 1
    legend = [
        (s.name, STAGE_COLOURS.get(s.code, FALLBACK_COLOUR), counts.get(s.pk, 0)) for s in stages
    ]
    legend.append(("Not accepted this year", OTHER_COLOUR, counts.get(None, 0)))
    return HubMap(hub=hub, year=year, schools=rows, groups=groups, legend=legend)
