"""What the hub lead's formation screens read: a cohort's groups, the accepted
schools not yet in one, the formation assistant's input, and the specialists'
load. Every query is scoped to the person asking through ``visible_to``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from hubportal.accounts.models import Membership, Role
from schools.models import Hub, School
from workgroups.formation import SchoolPoint, SpecialistLoad
from workgroups.models import (
    AcademicYear,
    Application,
    ApplicationState,
    GroupMember,
    MeetingState,
    ProgrammeStage,
    WorkGroup,
)

# Stages whose schools move on together from last year's groups of another stage:
# an Embedding cohort keeps its schools' Development groups whole.
CONTINUITY_FROM = {"emb": "dwg"}


def cohort_groups(user, stage: ProgrammeStage, year: AcademicYear) -> QuerySet[WorkGroup]:
    """The cohort's groups the person may see, with their size and meeting counts."""
    members = (
        GroupMember.objects.filter(work_group=OuterRef("pk"))
        .order_by()
        .values("work_group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        WorkGroup.objects.visible_to(user)
        .filter(stage=stage, year=year)
        .select_related("hub", "lead")
        .annotate(
            school_count=Coalesce(Subquery(members, output_field=IntegerField()), Value(0)),
            meetings_scheduled=Count(
                "meetings", filter=Q(meetings__state=MeetingState.SCHEDULED), distinct=True
            ),
            meetings_logged=Count(
                "meetings",
                filter=Q(meetings__state=MeetingState.SCHEDULED, meetings__logged_at__isnull=False),
                distinct=True,
            ),
        )
        .order_by("hub__code", "number")
    )


def unplaced_applications(user, stage: ProgrammeStage, year: AcademicYear) -> QuerySet[Application]:
    """The cohort's accepted applications whose school is in no group yet."""
    return Application.objects.visible_to(user).filter(
        stage=stage, year=year, state=ApplicationState.ACCEPTED, group_member__isnull=True
    )


def size_warning(stage: ProgrammeStage, size: int) -> str:
    """A short warning when a group is outside the stage's typical size, else ""."""
    if size > stage.hard_max_schools:
        return f"More than the maximum of {stage.hard_max_schools}"
    if size > stage.typical_max_schools:
        return f"More than {stage.typical_max_schools} schools"
    if size < stage.typical_min_schools:
        return f"Fewer than {stage.typical_min_schools} schools"
    return ""


@dataclass(frozen=True)
class Specialist:
    """A Mastery Specialist of the hub, and how many of its groups they lead this year."""

    user_id: int
    name: str
    groups_led: int

    @property
    def label(self) -> str:
        groups = "group" if self.groups_led == 1 else "groups"
        return f"{self.name} (leads {self.groups_led} {groups} this year)"


def hub_specialists(hub: Hub, year: AcademicYear) -> list[Specialist]:
    """The hub's specialists by name, each with the groups of the hub they lead this year."""
    led = (
        WorkGroup.objects.filter(hub=hub, year=year, lead=OuterRef("user"))
        .order_by()
        .values("lead")
        .annotate(n=Count("pk"))
        .values("n")
    )
    memberships = (
        Membership.objects.filter(role=Role.SPECIALIST, hub=hub)
        .select_related("user")
        .annotate(groups_led=Coalesce(Subquery(led, output_field=IntegerField()), Value(0)))
    )
    specialists = [
        Specialist(user_id=m.user_id, name=str(m.user), groups_led=m.groups_led)
        for m in memberships
    ]
    return sorted(specialists, key=lambda s: (s.name.lower(), s.user_id))


@dataclass
class FormationInput:
    schools: dict[int, School]
    """The schools to place, by id, in name order."""
    points: list[SchoolPoint]
    blocks: dict[int, str]
    """Last year's group code of each school that moves on with its group."""


def formation_input(user, stage: ProgrammeStage, year: AcademicYear) -> FormationInput:
    """The accepted schools of the cohort in no group yet, as the assistant's input."""
    applications = unplaced_applications(user, stage, year).select_related("school")
    schools = {
        a.school_id: a.school
        for a in sorted(applications, key=lambda a: (a.school.name.lower(), a.school_id))
    }
    blocks: dict[int, str] = {}
    previous_stage = CONTINUITY_FROM.get(stage.code)
    if previous_stage and schools:
        blocks = dict(
            GroupMember.objects.filter(
                school_id__in=schools,
                stage__code=previous_stage,
                year__start_year=year.start_year - 1,
            ).values_list("school_id", "work_group__code")
        )
    points = [
        SchoolPoint(
            id=school.pk,
            name=school.name,
            easting=school.easting,
            northing=school.northing,
            block=blocks.get(school.pk),
        )
        for school in sorted(schools.values(), key=lambda s: s.pk)
    ]
    return FormationInput(schools=schools, points=points, blocks=blocks)


def specialist_loads(specialists: list[Specialist]) -> list[SpecialistLoad]:
    return [SpecialistLoad(id=s.user_id, name=s.name, groups_led=s.groups_led) for s in specialists]
