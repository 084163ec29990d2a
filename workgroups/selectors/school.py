"""What a headteacher sees of their school's place in the programme.

Every read is scoped to the person asking, and costs a fixed number of queries
however many stages, applications or years of history the school has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from schools.models import School
from workgroups.eligibility import (
    Eligibility,
    SchoolRecord,
    check_eligibility,
    load_records,
    load_windows,
    stages,
)
from workgroups.models import (
    ENDED_STATES,
    AcademicYear,
    Application,
    ApplicationWindow,
    Participation,
    ProgrammeStage,
)


@dataclass(frozen=True)
class StageStatus:
    """Where a school stands for one stage in one year.

    ``application`` is the school's latest application for the stage that year,
    whatever its state; ``eligibility`` says whether it may start one now (a
    declined or withdrawn application does not stop it applying again)."""

    stage: ProgrammeStage
    year: AcademicYear
    eligibility: Eligibility
    application: Application | None = None
    window: ApplicationWindow | None = None

    @property
    def live_application(self) -> Application | None:
        if self.application is not None and self.application.state not in ENDED_STATES:
            return self.application
        return None

    @property
    def can_start(self) -> bool:
        return self.live_application is None and self.eligibility.eligible


def school_programme(user, school: School, year: AcademicYear, today: date) -> list[StageStatus]:
    """Each programme stage with the school's application or eligibility in ``year``.

    Six queries in all: the stages and their prerequisites (2), the school's
    participation and application history (2), the hub's windows (1) and the
    year's applications (1)."""
    all_stages = stages()
    stage_names = {s.pk: s.name for s in all_stages}
    record = load_records([school.pk]).get(school.pk, SchoolRecord())
    windows = load_windows([school.hub_id], year) if school.hub_id else {}

    # For each stage, the live application if there is one, else the newest ended one.
    latest: dict[int, Application] = {}
    for application in (
        Application.objects.visible_to(user)
        .filter(school=school, year=year)
        .order_by("-created_at", "-pk")
    ):
        shown = latest.get(application.stage_id)
        if shown is None or (shown.state in ENDED_STATES and application.state not in ENDED_STATES):
            latest[application.stage_id] = application

    return [
        StageStatus(
            stage=stage,
            year=year,
            application=latest.get(stage.pk),
            window=windows.get((school.hub_id, stage.pk)),
            eligibility=check_eligibility(
                school=school,
                stage=stage,
                year=year,
                hub=school.hub,
                record=record,
                windows=windows,
                stage_names=stage_names,
                today=today,
            ),
        )
        for stage in all_stages
    ]


def school_participations(user, school: School) -> list[Participation]:
    """The school's recorded participation, most recent year first: one query."""
    return list(
        Participation.objects.visible_to(user)
        .filter(school=school)
        .select_related("stage", "year")
        .order_by("-year__start_year", "stage__order")
    )


def school_next_year(school: School, current: AcademicYear) -> AcademicYear | None:
    """Next academic year, when the school's hub already has windows for it."""
    if school.hub_id is None:
        return None
    window = (
        ApplicationWindow.objects.filter(
            hub_id=school.hub_id, year__start_year=current.start_year + 1
        )
        .select_related("year")
        .first()
    )
    return window.year if window else None
