"""Whether a school may apply for a stage in a year, and why.

One function, ``check_eligibility``, answers it from the school's participation
history, its applications and the hub's windows. Each reason has a stable code
(for tests, filters and exports) and a sentence shown to people. Reasons that
``blocks`` make the school ineligible; the rest are flags (outside the hub's
area) or good news (priority).

The loaders fetch everything for one school, or for many schools, in a fixed
number of queries, so a list of 1,000 applications costs the same as one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.formats import date_format

from schools.models import Hub, School
from workgroups.models import (
    ENDED_STATES,
    AcademicYear,
    Application,
    ApplicationState,
    ApplicationWindow,
    Outcome,
    Participation,
    ProgrammeStage,
)


class Code:
    SCHOOL_CLOSED = "school_closed"
    NOT_PRIMARY = "not_primary"
    NO_HUB = "no_hub"
    OUTSIDE_HUB_AREA = "outside_hub_area"
    ALREADY_IN_A_STAGE_THIS_YEAR = "already_in_a_stage_this_year"
    STAGE_ALREADY_TAKEN = "stage_already_taken"
    PREREQUISITE_NOT_MET = "prerequisite_not_met"
    WINDOW_NOT_OPEN = "window_not_open"
    PRIORITY = "priority_after_stage"


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    blocks: bool = True


@dataclass(frozen=True)
class Eligibility:
    stage: ProgrammeStage
    reasons: tuple[Reason, ...]

    @property
    def eligible(self) -> bool:
        return not any(r.blocks for r in self.reasons)

    @property
    def priority(self) -> bool:
        return self.eligible and any(r.code == Code.PRIORITY for r in self.reasons)

    @property
    def outside_area(self) -> bool:
        return any(r.code == Code.OUTSIDE_HUB_AREA for r in self.reasons)

    @property
    def blocking(self) -> list[Reason]:
        return [r for r in self.reasons if r.blocks]

    @property
    def codes(self) -> set[str]:
        return {r.code for r in self.reasons}


@dataclass
class SchoolRecord:
    """What eligibility needs to know about one school, loaded in bulk."""

    participations: list[tuple[int, int, str]] = field(default_factory=list)
    """(stage id, academic start year, outcome)"""
    applications: list[tuple[int, int, int, str]] = field(default_factory=list)
    """(application id, stage id, academic start year, state)"""


def load_records(school_ids: Iterable[int]) -> dict[int, SchoolRecord]:
    """Participation history and applications for many schools: two queries."""
    ids = list(school_ids)
    records: dict[int, SchoolRecord] = defaultdict(SchoolRecord)
    for school_id, stage_id, start_year, outcome in Participation.objects.filter(
        school_id__in=ids
    ).values_list("school_id", "stage_id", "year__start_year", "outcome"):
        records[school_id].participations.append((stage_id, start_year, outcome))
    for app_id, school_id, stage_id, start_year, state in Application.objects.filter(
        school_id__in=ids
    ).values_list("id", "school_id", "stage_id", "year__start_year", "state"):
        records[school_id].applications.append((app_id, stage_id, start_year, state))
    return records


def load_windows(
    hub_ids: Iterable[int], year: AcademicYear
) -> dict[tuple[int, int], ApplicationWindow]:
    """The year's windows by (hub id, stage id): one query."""
    return {
        (w.hub_id, w.stage_id): w
        for w in ApplicationWindow.objects.filter(hub_id__in=set(hub_ids), year=year)
    }


def stages() -> list[ProgrammeStage]:
    """All stages with their prerequisites: two queries."""
    return list(
        ProgrammeStage.objects.prefetch_related("prerequisites").select_related("priority_after")
    )


def check_eligibility(
    *,
    school: School,
    stage: ProgrammeStage,
    year: AcademicYear,
    hub: Hub | None = None,
    record: SchoolRecord | None = None,
    windows: dict[tuple[int, int], ApplicationWindow] | None = None,
    stage_names: dict[int, str] | None = None,
    today: date | None = None,
    ignore_application_id: int | None = None,
) -> Eligibility:
    """May ``school`` apply to ``hub`` (its own hub by default) for ``stage`` in ``year``?

    Pass ``record``/``windows``/``stage_names`` from the loaders when checking
    many schools; without them this loads what it needs for one school.
    ``ignore_application_id`` leaves out the application being submitted."""
    today = today or timezone.localdate()
    hub = hub or school.hub
    if record is None:
        record = load_records([school.pk]).get(school.pk, SchoolRecord())
    if windows is None:
        windows = load_windows([hub.pk], year) if hub else {}
    if stage_names is None:
        stage_names = dict(ProgrammeStage.objects.values_list("id", "name"))

    reasons: list[Reason] = []

    if not school.is_open:
        reasons.append(Reason(Code.SCHOOL_CLOSED, "GIAS records the school as closed."))
    if not school.is_primary:
        phase = school.phase or "not recorded"
        reasons.append(
            Reason(
                Code.NOT_PRIMARY,
                "The programme is for primary schools; GIAS records the school's phase "
                f"as {phase}.",
            )
        )

    if hub is None:
        reasons.append(
            Reason(
                Code.NO_HUB, "No Maths Hub covers the school's local authority in the portal yet."
            )
        )
    elif school.hub_id != hub.pk:
        reasons.append(
            Reason(
                Code.OUTSIDE_HUB_AREA,
                f"The school's local authority ({school.la_name or school.la_code}) is outside "
                f"{hub.name}'s area: the hub may still accept it.",
                blocks=False,
            )
        )

    # One stage a year: a live application or a recorded participation this year.
    for app_id, stage_id, start_year, state in record.applications:
        if (
            start_year == year.start_year
            and state not in ENDED_STATES
            and app_id != ignore_application_id
        ):
            reasons.append(
                Reason(
                    Code.ALREADY_IN_A_STAGE_THIS_YEAR,
                    f"The school already has an application for {stage_names[stage_id]} in "
                    f"{year.label}; a school takes part in one stage a year.",
                )
            )
            break
    else:
        for stage_id, start_year, _outcome in record.participations:
            if start_year == year.start_year:
                reasons.append(
                    Reason(
                        Code.ALREADY_IN_A_STAGE_THIS_YEAR,
                        f"The school took part in {stage_names[stage_id]} in {year.label}; "
                        "a school takes part in one stage a year.",
                    )
                )
                break

    if stage.once_only:
        taken = [
            start_year
            for stage_id, start_year, outcome in record.participations
            if stage_id == stage.pk and outcome != Outcome.WITHDRAWN
        ] + [
            start_year
            for app_id, stage_id, start_year, state in record.applications
            if stage_id == stage.pk
            and state == ApplicationState.ACCEPTED
            and start_year != year.start_year
        ]
        if taken:
            first = min(taken)
            reasons.append(
                Reason(
                    Code.STAGE_ALREADY_TAKEN,
                    f"The school took part in {stage.name} in {_label(first)}; a school may take "
                    f"{stage.name} once.",
                )
            )

    prerequisite_ids = [p.pk for p in stage.prerequisites.all()]
    if prerequisite_ids:
        completed = any(
            stage_id in prerequisite_ids
            and outcome == Outcome.COMPLETED
            and start_year < year.start_year
            for stage_id, start_year, outcome in record.participations
        )
        if not completed:
            needed = " or ".join(stage_names[pid] for pid in prerequisite_ids)
            reasons.append(
                Reason(Code.PREREQUISITE_NOT_MET, f"{stage.name} needs a completed {needed}.")
            )

    if hub is not None:
        window = windows.get((hub.pk, stage.pk))
        if window is None:
            reasons.append(
                Reason(
                    Code.WINDOW_NOT_OPEN,
                    f"{hub.name} has not opened applications for {stage.name} in {year.label}.",
                )
            )
        elif today < window.opens:
            reasons.append(
                Reason(
                    Code.WINDOW_NOT_OPEN,
                    f"Applications for {stage.name} in {year.label} open on {_day(window.opens)}.",
                )
            )
        elif today > window.closes:
            reasons.append(
                Reason(
                    Code.WINDOW_NOT_OPEN,
                    f"Applications for {stage.name} in {year.label} closed on "
                    f"{_day(window.closes)}.",
                )
            )

    if stage.priority_after_id and any(
        stage_id == stage.priority_after_id
        and outcome == Outcome.COMPLETED
        and start_year == year.start_year - 1
        for stage_id, start_year, outcome in record.participations
    ):
        reasons.append(
            Reason(
                Code.PRIORITY,
                f"Priority: the school completed {stage_names[stage.priority_after_id]} in "
                f"{_label(year.start_year - 1)}.",
                blocks=False,
            )
        )

    return Eligibility(stage=stage, reasons=tuple(reasons))


def _label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def _day(day: date) -> str:
    return date_format(day, "j F Y")
