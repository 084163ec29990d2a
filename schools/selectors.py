"""Reads of schools that views show, always scoped to the person asking."""

import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, OrderBy, Q, QuerySet, Value
from django.db.models.functions import Replace

from hubportal.accounts.models import Membership, Role, User
from hubportal.accounts.roles import has_role
from schools.models import Hub, School

Person = User | AnonymousUser

# Sort keys a request may ask for, each with the columns it orders by. A leading
# "-" reverses the first column; URN last makes every order total, so a school
# never appears on two pages or on none.
SORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "urn": ("urn",),
    "la": ("la_name", "name"),
    "phase": ("phase", "name"),
    "status": ("status", "name"),
    "pupils": ("pupils", "name"),
}
DEFAULT_SORT = "name"

_URN = re.compile(r"\d{6}")


@dataclass(frozen=True, slots=True)
class DirectoryFilters:
    """What the directory was asked for, already validated by the filter form."""

    search: str = ""
    la_code: str = ""
    phase: str = ""
    status: str = ""
    type_name: str = ""
    hub_code: str = ""
    sort: str = DEFAULT_SORT


@dataclass(frozen=True, slots=True)
class DirectoryOptions:
    """The values each filter offers: only those found among the schools the person may see."""

    las: list[tuple[str, str]] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    # (code, name); empty unless the person may filter by hub (national admins).
    hubs: list[tuple[str, str]] = field(default_factory=list)


def can_filter_by_hub(user: Person) -> bool:
    return has_role(user, Role.NATIONAL_ADMIN)


def _distinct(schools: QuerySet[School], column: str) -> list[str]:
    # order_by() replaces Meta.ordering, which would otherwise join the DISTINCT.
    return list(
        schools.exclude(**{column: ""}).values_list(column, flat=True).distinct().order_by(column)
    )


def directory_options(user: Person) -> DirectoryOptions:
    """The filter choices for the person's directory: one small query per filter."""
    schools = School.objects.visible_to(user)
    las: dict[str, str] = {}
    for code, name in (
        schools.values_list("la_code", "la_name").distinct().order_by("la_name", "la_code")
    ):
        # One entry per code even if GIAS spelt an LA's name two ways.
        las.setdefault(code, name)
    hubs: list[tuple[str, str]] = []
    if can_filter_by_hub(user):
        hubs = list(Hub.objects.visible_to(user).values_list("code", "name").order_by("name"))
    return DirectoryOptions(
        las=list(las.items()),
        phases=_distinct(schools, "phase"),
        statuses=_distinct(schools, "status"),
        types=_distinct(schools, "type_name"),
        hubs=hubs,
    )


def _search(schools: QuerySet[School], search: str) -> QuerySet[School]:
    term = " ".join(search.split())
    if not term:
        return schools
    if _URN.fullmatch(term):
        return schools.filter(urn=int(term))
    # Postcodes match however the spaces were typed: "M11AA", "m1 1aa", "M1  1AA".
    compact = term.replace(" ", "")
    return schools.alias(
        postcode_compact=Replace("postcode", Value(" "), Value("")),
    ).filter(Q(name__icontains=term) | Q(postcode_compact__istartswith=compact))


def _ordering(sort: str) -> list[OrderBy]:
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    columns = SORT_COLUMNS.get(key, SORT_COLUMNS[DEFAULT_SORT])
    first, *rest = columns
    # Schools with no pupil count (or other blanks) go last whichever way the list runs.
    primary = F(first).desc(nulls_last=True) if descending else F(first).asc(nulls_last=True)
    return [primary, *(F(column).asc() for column in rest), F("urn").asc()]


def school_directory(user: Person, filters: DirectoryFilters) -> QuerySet[School]:
    """The schools the person may see that match the filters, in the asked-for order."""
    schools = School.objects.visible_to(user).select_related("hub")
    schools = _search(schools, filters.search)
    if filters.la_code:
        schools = schools.filter(la_code=filters.la_code)
    if filters.phase:
        schools = schools.filter(phase=filters.phase)
    if filters.status:
        schools = schools.filter(status=filters.status)
    if filters.type_name:
        schools = schools.filter(type_name=filters.type_name)
    if filters.hub_code and can_filter_by_hub(user):
        schools = schools.filter(hub__code=filters.hub_code)
    return schools.order_by(*_ordering(filters.sort))


def school_people(school: School) -> QuerySet[Membership]:
    """The portal's people for a school: its headteachers, and the Mastery
    Specialists whose own school it is. The caller has already found the school
    through ``School.objects.visible_to``, so its people are visible too."""
    return (
        Membership.objects.filter(school=school, role__in=(Role.HEADTEACHER, Role.SPECIALIST))
        .select_related("user")
        .order_by("role", "user__full_name", "user__email")
    )
