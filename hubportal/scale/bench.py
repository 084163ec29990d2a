"""Server time and SQL queries of the portal's main pages, against the Django admin.

Each page is requested through Django's test Client, signed in as the person who uses
it, with DEBUG off: a few requests to warm up, then ``requests`` timed ones (median and
95th percentile), then one more under CaptureQueriesContext for the query count (timed
requests run without it, so counting costs them nothing). Where the Django admin lists
the same rows (hubportal.scale.bench_admin) it is measured the same way, signed in as
the national admin, and the page's median is divided by the admin's."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hubportal.accounts.models import Membership, Role, User
from workgroups.models import (
    AcademicYear,
    Application,
    ApplicationState,
    Meeting,
    ProgrammeStage,
    WorkGroup,
)

BENCH_URLCONF = "hubportal.scale.urls_bench"

# Targets: page time over the admin's for the same rows.
RATIO_TARGETS = {"cohort": 1.0, "claims": 1.0}


@dataclass
class Timing:
    name: str
    url: str
    who: str
    queries: int
    median_ms: float
    p95_ms: float
    status: int


@dataclass
class Row:
    page: Timing
    admin: Timing | None = None
    target: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.admin is None or not self.admin.median_ms:
            return None
        return self.page.median_ms / self.admin.median_ms

    @property
    def met(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio <= self.target

    def as_dict(self) -> dict:
        return {
            "page": asdict(self.page),
            "admin": asdict(self.admin) if self.admin else None,
            "ratio": self.ratio,
            "target": self.target,
            "met": self.met,
        }


@dataclass
class Result:
    rows: list[Row] = field(default_factory=list)
    floor: Timing | None = None
    requests: int = 0


class BenchError(Exception):
    pass


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the value below which ``fraction`` of them fall."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def measure(client: Client, name: str, url: str, who: str, *, requests: int, warmup: int) -> Timing:
    for _ in range(warmup):
        _get(client, url)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = _get(client, url)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = _get(client, url)
    return Timing(
        name=name,
        url=url,
        who=who,
        queries=len(queries),
        median_ms=statistics.median(times),
        p95_ms=percentile(times, 0.95),
        status=response.status_code,
    )


def _get(client: Client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise BenchError(f"GET {url} answered {response.status_code}, not 200")
    return response


@dataclass
class Subjects:
    """Who and what the benchmark looks at: the hub with the most schools in the
    programme this year, its largest cohort, one of its groups and a logged meeting."""

    hub_lead: User
    national_admin: User
    specialist: User
    hub_id: int
    stage: ProgrammeStage
    year: AcademicYear
    group: WorkGroup
    meeting: Meeting


def subjects() -> Subjects:
    year = AcademicYear.objects.current()
    busiest = (
        Application.objects.filter(year=year, state=ApplicationState.ACCEPTED)
        .values("hub_id", "stage_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "hub_id", "stage_id")
        .first()
    )
    if busiest is None:
        raise BenchError(f"No accepted applications in {year}: run manage.py seed_scale first.")
    hub_id, stage = busiest["hub_id"], ProgrammeStage.objects.get(pk=busiest["stage_id"])
    lead = Membership.objects.filter(role=Role.HUB_LEAD, hub_id=hub_id).order_by("pk").first()
    admin = Membership.objects.filter(role=Role.NATIONAL_ADMIN).order_by("pk").first()
    meeting = (
        Meeting.objects.filter(
            work_group__hub_id=hub_id,
            work_group__year=year,
            work_group__stage=stage,
            logged_at__isnull=False,
            work_group__lead__isnull=False,
        )
        .select_related("work_group__lead")
        .order_by("-date", "pk")
        .first()
    )
    if lead is None or admin is None or meeting is None:
        raise BenchError("The data has no hub lead, national admin or logged meeting.")
    return Subjects(
        hub_lead=lead.user,
        national_admin=admin.user,
        specialist=meeting.work_group.lead,
        hub_id=hub_id,
        stage=stage,
        year=year,
        group=meeting.work_group,
        meeting=meeting,
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def run(*, requests: int = 30, warmup: int = 3, progress: Callable[[str], None] | None = None):
    """Measure every page; the admin comparisons and the floor view too."""
    with override_settings(
        ROOT_URLCONF=BENCH_URLCONF,
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        SECURE_SSL_REDIRECT=False,
    ):
        return _run(subjects(), requests=requests, warmup=warmup, progress=progress)


def _run(s: Subjects, *, requests: int, warmup: int, progress) -> Result:
    lead, admin, specialist = _client(s.hub_lead), _client(s.national_admin), _client(s.specialist)
    cohort = {"stage_code": s.stage.code, "year_slug": s.year.slug}
    admin_url = "/bench/admin/"
    pages = [
        # name, client, who, url, admin changelist of the same rows (or None)
        ("home (hub lead)", lead, "hub lead", reverse("home"), None),
        (
            "cohort",
            lead,
            "hub lead",
            reverse("applications:cohort", kwargs=cohort),
            f"{admin_url}workgroups/application/?stage__id__exact={s.stage.pk}"
            f"&year__id__exact={s.year.pk}&hub__id__exact={s.hub_id}",
        ),
        ("applications list", lead, "hub lead", reverse("applications:list", kwargs=cohort), None),
        (
            "claims",
            lead,
            "hub lead",
            reverse("funding:claims"),
            f"{admin_url}funding/claim/?year__id__exact={s.year.pk}&hub__id__exact={s.hub_id}",
        ),
        (
            "school directory",
            lead,
            "hub lead",
            reverse("schools:directory"),
            f"{admin_url}schools/school/?hub__id__exact={s.hub_id}",
        ),
        ("home (national admin)", admin, "national admin", reverse("home"), None),
        (
            "work group",
            specialist,
            "specialist",
            reverse("groups:detail", kwargs={"pk": s.group.pk}),
            None,
        ),
        (
            "meeting log",
            specialist,
            "specialist",
            reverse("groups:log", kwargs={"pk": s.meeting.pk}),
            None,
        ),
    ]
    result = Result(requests=requests)
    result.floor = measure(
        lead, "floor", reverse("bench_floor"), "hub lead", requests=requests, warmup=warmup
    )
    for name, client, who, url, admin_changelist in pages:
        if progress:
            progress(f"{name}: {url}")
        row = Row(page=measure(client, name, url, who, requests=requests, warmup=warmup))
        if admin_changelist:
            row.admin = measure(
                admin,
                f"admin: {name}",
                admin_changelist,
                "national admin",
                requests=requests,
                warmup=warmup,
            )
            key = name.split(" ")[0]
            row.target = RATIO_TARGETS.get(key)
        result.rows.append(row)
    return result


def table(result: Result) -> str:
    """The figures as a plain-text table."""
    heads = ("page", "who", "queries", "median ms", "p95 ms", "admin q", "admin med", "ratio")
    lines = []
    for row in result.rows:
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else "-"
        if row.target is not None:
            ratio += f" (≤{row.target:.1f} {'met' if row.met else 'MISSED'})"
        lines.append(
            (
                row.page.name,
                row.page.who,
                str(row.page.queries),
                f"{row.page.median_ms:.1f}",
                f"{row.page.p95_ms:.1f}",
                str(row.admin.queries) if row.admin else "-",
                f"{row.admin.median_ms:.1f}" if row.admin else "-",
                ratio,
            )
        )
    if result.floor:
        f = result.floor
        lines.append(
            ("floor (bare view)", f.who, str(f.queries), f"{f.median_ms:.1f}", f"{f.p95_ms:.1f}")
            + ("-",) * 3
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(heads)]
    out = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out.extend("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines)
    return "\n".join(out)


def as_json(result: Result) -> dict:
    return {
        "requests": result.requests,
        "floor": asdict(result.floor) if result.floor else None,
        "pages": [row.as_dict() for row in result.rows],
    }
