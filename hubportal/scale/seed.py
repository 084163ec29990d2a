"""National-scale data: 40 hubs, every school in England from a GIAS-like extract, and
several academic years of the primary Teaching for Mastery programme.

The rows are what the services would have written (accepted applications with their
participants, groups of six local schools, six meetings each with attendance logged,
completions recorded, grant and match-funding claims through to payment), but they are
inserted in batches with ``bulk_create`` rather than one service call at a time, so the
national data set takes minutes, not hours. The audit history that the services write
(django-simple-history) is not written for these rows.

The same ``seed`` always gives the same rows for a given day."""

from __future__ import annotations

import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from itertools import islice
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.utils import timezone

from funding.assurance import invoice_key
from funding.models import (
    GRANT_PENCE,
    MATCH_CAP_PENCE,
    Budget,
    Claim,
    ClaimKind,
    ClaimState,
    ClaimWindow,
    Evidence,
    MatchAllowance,
    Payment,
    PaymentBatch,
    Scheme,
)
from hubportal.accounts.models import Membership, Role, User
from hubportal.notices.models import Notice, NoticeKind, NoticeState
from schools.gias import gias_import
from schools.gias_sample import local_authorities, sample_rows, write_rows
from schools.models import PRIMARY_PHASES, Hub, HubArea, School
from workgroups.models import (
    AcademicYear,
    Application,
    ApplicationState,
    ApplicationWindow,
    Attendance,
    AttendanceStatus,
    GroupMember,
    Meeting,
    MeetingKind,
    Outcome,
    Participant,
    Participation,
    ProgrammeStage,
    WorkGroup,
)

BATCH = 5000
SCALE_PASSWORD = "mathshub-scale-2026"  # noqa: S105 - a throwaway password for seeded people
SCHEMES = ("Maths — No Problem!", "Power Maths KS1", "Power Maths KS2")
HUB_PLACES = (
    "Abacus", "Boolean", "Cambridge", "Jurassic", "Venn Essex", "Archimedes", "Bobbin",
    "Central", "Colleton", "Cornwall", "Enigma", "Equals", "Five Counties", "GLOW",
    "Great North", "Hampshire and Isle of Wight", "Herts", "Inspiration", "Kent and Medway",
    "Salop and Herefordshire", "London Central and NW", "London Thames", "London South East",
    "London North East", "Matrix", "Mobius", "NW One", "NW Two", "NW Three", "North East",
    "Origin", "Peterborough", "Solent", "Surrey Plus", "Sussex", "Yorkshire Ridings",
    "West Yorkshire", "White Rose", "Wessex", "Angles",
)  # fmt: skip
FIRST_NAMES = (
    "Amira", "Ben", "Chloe", "Dev", "Ella", "Femi", "Grace", "Harry", "Isla", "Jack",
    "Kiran", "Leah", "Mo", "Nina", "Owen", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
)  # fmt: skip
LAST_NAMES = (
    "Ahmed", "Brown", "Clarke", "Davies", "Evans", "Fisher", "Green", "Hughes", "Iqbal",
    "Jones", "Khan", "Lewis", "Morgan", "Nolan", "Owusu", "Patel", "Quinn", "Roberts",
    "Singh", "Taylor", "Walsh", "Young",
)  # fmt: skip
# Meeting days through the year (month, day), moved to a weekday per group.
# Schools join the journey up to this many years before the first seeded year; of
# those years only their participation history is seeded (as a hub's CSV upload would).
HISTORY_YEARS = 9
MEETING_DAYS = ((10, 6), (11, 17), (1, 19), (2, 23), (4, 20), (6, 8), (7, 6), (3, 16))


@dataclass(frozen=True)
class Size:
    hubs: int = 40
    schools: int = 51_000
    years: int = 5
    per_year: int = 8_500
    group_size: int = 6
    meetings: int = 6
    specialists: int = 1_000
    hub_leads: int = 3
    seed: int = 2026

    def scaled(self, factor: float) -> Size:
        """The same shape with ``factor`` times the schools, people and programme."""
        return Size(
            hubs=self.hubs,
            schools=max(60 * self.hubs, round(self.schools * factor)),
            years=self.years,
            per_year=max(12, round(self.per_year * factor)),
            group_size=self.group_size,
            meetings=self.meetings,
            specialists=max(self.hubs, round(self.specialists * factor)),
            hub_leads=self.hub_leads,
            seed=self.seed,
        )


PRESETS = {
    "national": Size(),
    # A few hundred rows: every state and page still has something to show.
    "tiny": Size(hubs=2, schools=300, years=2, per_year=36, specialists=4, hub_leads=1, meetings=6),
}


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    logins: dict[str, list[str]] = field(default_factory=dict)


class DatabaseNotEmpty(Exception):
    pass


def _chunks(items: Iterable, size: int = BATCH) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _insert(model: type[models.Model], rows: Iterable[models.Model]) -> list[models.Model]:
    """Insert in batches; returns the saved objects with their primary keys."""
    saved: list[models.Model] = []
    for chunk in _chunks(rows):
        saved.extend(model.objects.bulk_create(chunk, batch_size=BATCH))
    return saved


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock(hour)))


# Tables that migrations fill (the programme stages) or that Django keeps for itself.
_KEPT_TABLES = {
    "workgroups_programmestage",
    "workgroups_programmestage_prerequisites",
    "django_content_type",
    "auth_permission",
    "django_migrations",
}


def holds_data() -> bool:
    return Hub.objects.exists() or School.objects.exists() or User.objects.exists()


def flush() -> None:
    """Empty every table the portal writes, keeping the stages and Django's own."""
    tables = [
        t
        for t in connection.introspection.django_table_names(only_existing=True)
        if t not in _KEPT_TABLES
    ]
    statements = connection.ops.sql_flush(
        _NoStyle(), tables, reset_sequences=True, allow_cascade=True
    )
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        # PostgreSQL refuses to TRUNCATE a table with deferred foreign-key checks still
        # pending in the transaction (rows written earlier in it): run them first.
        if postgres:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in statements:
            cursor.execute(sql)
        if postgres:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class _NoStyle:
    def __getattr__(self, name):
        return lambda text: text


def seed(size: Size, *, today: date | None = None, stdout=None) -> Report:
    """Seed ``size`` worth of data into an empty database; raises DatabaseNotEmpty."""
    if holds_data():
        raise DatabaseNotEmpty("The database already holds hubs, schools or people.")
    started = time.monotonic()
    seeder = _Seeder(size, today or timezone.localdate(), stdout)
    # One transaction: a run that fails half way leaves nothing behind.
    with transaction.atomic():
        seeder.run()
    report = Report(counts=seeder.counts(), seconds=time.monotonic() - started)
    report.logins = seeder.logins
    return report


class _Seeder:
    def __init__(self, size: Size, today: date, stdout) -> None:
        self.size = size
        self.today = today
        self.rng = random.Random(size.seed)
        self.stdout = stdout
        self.password = make_password(SCALE_PASSWORD)  # hashed once for everyone
        self.logins: dict[str, list[str]] = {}
        self.clock = time.monotonic()

    def say(self, text: str) -> None:
        if self.stdout is not None:
            elapsed = time.monotonic() - self.clock
            self.stdout.write(f"[{elapsed:6.1f}s] {text}")

    # ------------------------------------------------------------------ the run

    def run(self) -> None:
        self.stages = {s.code: s for s in ProgrammeStage.objects.all()}
        current = self.today.year if self.today.month >= 9 else self.today.year - 1
        self.first_year = current - self.size.years + 1
        # Earlier years hold the history of schools already on the journey.
        self.years = {
            start: AcademicYear.objects.get_or_create(start_year=start)[0]
            for start in range(self.first_year - HISTORY_YEARS, current + 1)
        }
        self.current = self.years[current]
        self._hubs_and_schools()
        self._people()
        self._journeys()
        self._programme()
        self._funding()
        self._notices()

    def counts(self) -> dict[str, int]:
        tracked = [
            Hub, School, User, Membership, Application, Participant, WorkGroup, GroupMember,
            Meeting, Attendance, Participation, Claim, Payment, PaymentBatch, Evidence, Notice,
        ]  # fmt: skip
        return {model._meta.label: model.objects.count() for model in tracked}

    # ------------------------------------------------------------------ hubs, schools

    def _hubs_and_schools(self) -> None:
        size = self.size
        authorities = local_authorities()
        if size.hubs < 20:
            authorities = authorities[: size.hubs * 2]
        hubs = Hub.objects.bulk_create(
            Hub(name=f"{HUB_PLACES[i % len(HUB_PLACES)]} Maths Hub{_suffix(i)}", code=_code(i))
            for i in range(size.hubs)
        )
        # Neighbouring LAs (GIAS lists them region by region) go to the same hub.
        HubArea.objects.bulk_create(
            HubArea(hub=hubs[i * size.hubs // len(authorities)], la_code=la.code, la_name=la.name)
            for i, la in enumerate(authorities)
        )
        self.say(f"{len(hubs)} hubs over {len(authorities)} local authorities")
        with tempfile.TemporaryDirectory() as folder:
            rows = sample_rows(size.schools, seed=size.seed, la=[a.code for a in authorities])
            report = gias_import(write_rows(Path(folder) / "gias.csv", rows))
        self.say(f"{report.created} schools imported from a GIAS-like extract")
        self.hubs = {h.pk: h for h in Hub.objects.all()}
        self.pool = list(
            School.objects.exclude(status=School.CLOSED)
            .filter(phase__in=PRIMARY_PHASES, hub__isnull=False)
            .order_by("urn")
            .values_list("pk", "urn", "name", "hub_id", "easting")
        )
        by_hub = defaultdict(list)
        for pk, *_rest, hub_id, _easting in self.pool:
            by_hub[hub_id].append(pk)
        for hub in self.hubs.values():
            hub.lead_school_id = by_hub[hub.pk][0] if by_hub[hub.pk] else None
        Hub.objects.bulk_update(self.hubs.values(), ["lead_school"])
        self.school_by_pk = {row[0]: row for row in self.pool}
        self.primaries_by_hub = by_hub

    # ------------------------------------------------------------------ people

    def _user(self, email: str, name: str, **extra) -> User:
        return User(email=email, full_name=name, password=self.password, **extra)

    def _name(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def _people(self) -> None:
        size = self.size
        users: list[User] = []
        memberships: list[tuple[int, dict]] = []
        admin = self._user("admin@ncetm.example", "Nadia Adams", is_staff=True, is_superuser=True)
        users.append(admin)
        memberships.append((0, {"role": Role.NATIONAL_ADMIN}))
        for hub in self.hubs.values():
            for n in range(1, size.hub_leads + 1):
                users.append(self._user(f"lead{n}.{hub.code.lower()}@hubs.example", self._name()))
                memberships.append((len(users) - 1, {"role": Role.HUB_LEAD, "hub": hub}))
        hubs = list(self.hubs.values())
        for n in range(size.specialists):
            hub = hubs[n % len(hubs)]
            schools = self.primaries_by_hub[hub.pk]
            users.append(self._user(f"specialist{n + 1}@schools.example", self._name()))
            school = schools[n // len(hubs) % len(schools)] if schools else None
            place = {"hub": hub, "school_id": school}
            memberships.append((len(users) - 1, {"role": Role.SPECIALIST, **place}))
        saved = _insert(User, users)
        Membership.objects.bulk_create(
            Membership(user=saved[i], **place) for i, place in memberships
        )
        self._verified(saved)
        self._authenticators([u for u, (_i, m) in zip(saved, memberships, strict=True)
                              if m["role"] in (Role.HUB_LEAD, Role.NATIONAL_ADMIN)])  # fmt: skip
        self.admin = saved[0]
        self.leads_by_hub: dict[int, list[User]] = defaultdict(list)
        self.specialists_by_hub: dict[int, list[User]] = defaultdict(list)
        for user, (_i, place) in zip(saved, memberships, strict=True):
            if place["role"] == Role.HUB_LEAD:
                self.leads_by_hub[place["hub"].pk].append(user)
            elif place["role"] == Role.SPECIALIST:
                self.specialists_by_hub[place["hub"].pk].append(user)
        self.logins = {
            Role.NATIONAL_ADMIN: [admin.email],
            Role.HUB_LEAD: [u.email for us in self.leads_by_hub.values() for u in us],
            Role.SPECIALIST: [u.email for us in self.specialists_by_hub.values() for u in us],
        }
        self.say(f"{len(saved)} hub staff, specialists and a national admin")

    def _verified(self, users: list[User]) -> None:
        _insert(
            EmailAddress,
            (EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users),
        )

    def _authenticators(self, users: list[User]) -> None:
        """Staff have two-factor sign-in set up, as the portal requires of them."""
        adapter = get_mfa_adapter()
        secret = adapter.encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        Authenticator.objects.bulk_create(
            Authenticator(user=u, type=Authenticator.Type.TOTP, data={"secret": secret})
            for u in users
        )

    # ------------------------------------------------------------------ journeys

    def _journeys(self) -> None:
        """Which stage each school is in, year by year.

        A school joins in some year (Readiness first for some), then Development,
        Embedding and Sustaining for as long as it stays; schools are added to the
        journey until the seeded years hold ``per_year`` schools a year on average."""
        size, rng = self.size, self.rng
        order = list(self.pool)
        rng.shuffle(order)
        self.stage_of: dict[int, dict[int, str]] = {}  # school pk -> {start_year: stage}
        self.ended: dict[int, tuple[int, str]] = {}  # school pk -> (year, outcome) at its end
        active = 0
        wanted = size.per_year * size.years
        seeded = range(self.first_year, self.first_year + size.years)
        for row in order:
            if active >= wanted:
                break
            start = rng.randint(self.first_year - HISTORY_YEARS, self.first_year + size.years - 1)
            length = rng.randint(6, 14)
            path = (["mr"] if rng.random() < 0.3 else []) + ["dwg", "emb"] + ["sus"] * 14
            years = {start + k: path[k] for k in range(length)}
            years = {y: s for y, s in years.items() if y <= self.current.start_year}
            if not years:
                continue
            self.stage_of[row[0]] = years
            active += sum(1 for y in years if y in seeded)
        # The schools not in the programme this year, for this year's open applications.
        self.outside_now = [
            row[0] for row in order if self.current.start_year not in self.stage_of.get(row[0], {})
        ]
        self.say(f"{len(self.stage_of)} schools on the journey, {active} school-years seeded")

    # ------------------------------------------------------------------ programme

    def _programme(self) -> None:
        size = self.size
        seeded = [self.years[y] for y in range(self.first_year, self.first_year + size.years)]
        current = self.current.start_year
        heads = self._headteachers()
        # Schools' stages before the seeded years: the participation history only.
        history: list[Participation] = []
        for school_pk, years in self.stage_of.items():
            for start, code in years.items():
                if start < self.first_year:
                    history.append(
                        Participation(
                            school_id=school_pk,
                            stage=self.stages[code],
                            year=self.years[start],
                            outcome=Outcome.COMPLETED,
                            source=Participation.Source.CSV,
                            recorded_at=_at(date(start + 1, 7, 20)),
                        )
                    )
        _insert(Participation, history)
        self.accepted: dict[tuple[int, int], Application] = {}  # (school, year) -> application
        for year in seeded:
            self._year(year, heads, is_current=year.start_year == current)
        self._open_applications(heads)
        self.say(f"{Application.objects.count()} applications, {Meeting.objects.count()} meetings")

    def _headteachers(self) -> dict[int, User]:
        schools = list(dict.fromkeys([*self.stage_of, *self.outside_now[: self._open_count()]]))
        users = _insert(
            User,
            (
                self._user(f"head.{self.school_by_pk[pk][1]}@schools.example", self._name())
                for pk in schools
            ),
        )
        _insert(
            Membership,
            (
                Membership(user=u, role=Role.HEADTEACHER, school_id=pk)
                for u, pk in zip(users, schools, strict=True)
            ),
        )
        self._verified(users)
        heads = dict(zip(schools, users, strict=True))
        self.logins[Role.HEADTEACHER] = [
            heads[pk].email
            for pk, years in self.stage_of.items()
            if self.current.start_year in years
        ]
        self.say(f"{len(users)} headteachers")
        return heads

    def _open_count(self) -> int:
        return max(6, self.size.per_year // 15)

    def _application(self, school_pk, stage, year, head, lead, state, decided=True) -> Application:
        submitted = _at(year.starts - timedelta(days=150 + self.rng.randint(0, 40)))
        return Application(
            school_id=school_pk,
            hub_id=self.school_by_pk[school_pk][3],
            stage=stage,
            year=year,
            state=state,
            once_only=stage.once_only,
            school_details_confirmed=True,
            contact_name=head.full_name,
            contact_role="Headteacher",
            commit_release_teachers=True,
            commit_headteacher_attends=True,
            commit_reports=True,
            action_plan_priorities="Fluency in number facts; whole-class teaching"
            if stage.requires_action_plan
            else "",
            declaration=True,
            created_by=head,
            created_at=submitted - timedelta(days=3),
            submitted_by=head,
            submitted_at=submitted,
            decided_by=lead if decided else None,
            decided_at=submitted + timedelta(days=20) if decided else None,
        )

    def _participants(self, applications: list[Application]) -> list[Participant]:
        people = []
        for application in applications:
            urn = self.school_by_pk[application.school_id][1]
            for position in (1, 2):
                people.append(
                    Participant(
                        application=application,
                        position=position,
                        name=self._name(),
                        email=f"t{position}.{urn}.{application.year.start_year}@schools.example",
                        job_role="Maths lead" if position == 1 else "Class teacher",
                        is_maths_lead=position == 1,
                    )
                )
        return _insert(Participant, people)

    def _year(self, year: AcademicYear, heads: dict[int, User], *, is_current: bool) -> None:
        rng, size = self.rng, self.size
        start = year.start_year
        cohorts: dict[tuple[int, str], list[int]] = defaultdict(list)
        for school_pk, years in self.stage_of.items():
            if start in years:
                cohorts[(self.school_by_pk[school_pk][3], years[start])].append(school_pk)
        ApplicationWindow.objects.bulk_create(
            ApplicationWindow(
                hub=hub,
                stage=stage,
                year=year,
                opens=date(start, 3, 1),
                closes=date(start, 6, 30),
                target_places=min(32000, max(12, len(cohorts.get((hub.pk, stage.code), [])) + 6)),
            )
            for hub in self.hubs.values()
            for stage in self.stages.values()
        )
        applications = []
        for (hub_pk, code), schools in cohorts.items():
            lead = self.leads_by_hub[hub_pk][0]
            for school_pk in schools:
                application = self._application(
                    school_pk, self.stages[code], year, heads[school_pk], lead,
                    ApplicationState.ACCEPTED,
                )  # fmt: skip
                previous = self.stage_of[school_pk].get(start - 1)
                application.priority = code == "dwg" and previous == "mr"
                applications.append(application)
        applications = _insert(Application, applications)
        for application in applications:
            self.accepted[(application.school_id, start)] = application
        participants = self._participants(applications)
        people_of: dict[int, list[Participant]] = defaultdict(list)
        for person in participants:
            people_of[person.application_id].append(person)

        groups, members_of = [], []
        for (hub_pk, code), schools in sorted(cohorts.items()):
            hub, stage = self.hubs[hub_pk], self.stages[code]
            schools.sort(key=lambda pk: self.school_by_pk[pk][4] or 0)  # local: by easting
            count = max(1, round(len(schools) / size.group_size))
            specialists = self.specialists_by_hub[hub_pk]
            for n in range(count):
                chunk = schools[n * len(schools) // count : (n + 1) * len(schools) // count]
                lead = specialists[(n + start) % len(specialists)]
                groups.append(
                    WorkGroup(
                        hub=hub,
                        stage=stage,
                        year=year,
                        number=n + 1,
                        code=WorkGroup.make_code(hub, stage, year, n + 1),
                        lead=lead,
                        created_at=_at(year.starts - timedelta(days=30)),
                    )
                )
                members_of.append(chunk)
        groups = _insert(WorkGroup, groups)
        _insert(
            GroupMember,
            (
                GroupMember(
                    work_group=group,
                    school_id=pk,
                    application=self.accepted[(pk, start)],
                    stage_id=group.stage_id,
                    year=year,
                    added_at=group.created_at,
                )
                for group, chunk in zip(groups, members_of, strict=True)
                for pk in chunk
            ),
        )

        meetings, meeting_schools = [], []
        for group, chunk in zip(groups, members_of, strict=True):
            shift = rng.randint(0, 3)
            for month, day in MEETING_DAYS[: size.meetings]:
                when = date(start + (month < 9), month, day) + timedelta(days=shift)
                when += timedelta(days=(7 - when.weekday()) % 7 if when.weekday() > 4 else 0)
                logged = when < self.today - timedelta(days=3)
                meetings.append(
                    Meeting(
                        work_group=group,
                        kind=MeetingKind.TRG
                        if group.stage_id == self.stages["dwg"].pk
                        else MeetingKind.WORKSHOP,
                        date=when,
                        starts_at=clock(13, 15),
                        ends_at=clock(16, 0),
                        venue_school_id=chunk[0],
                        notes="Lesson study and discussion" if logged else "",
                        logged_at=_at(when + timedelta(days=1), 17) if logged else None,
                        logged_by=group.lead if logged else None,
                    )
                )
                meeting_schools.append(chunk)
        meetings = _insert(Meeting, meetings)

        statuses = [AttendanceStatus.PRESENT] * 18 + [
            AttendanceStatus.APOLOGIES,
            AttendanceStatus.ABSENT,
        ]

        def attendance():
            for meeting, chunk in zip(meetings, meeting_schools, strict=True):
                if meeting.logged_at is None:
                    continue
                for pk in chunk:
                    for person in people_of[self.accepted[(pk, start)].pk]:
                        yield Attendance(
                            meeting=meeting, participant=person, status=rng.choice(statuses)
                        )

        _insert(Attendance, attendance())
        if not is_current:
            outcomes = []
            for (_hub, code), schools in cohorts.items():
                for pk in schools:
                    last = max(self.stage_of[pk]) == start
                    outcome = (
                        Outcome.DID_NOT_COMPLETE
                        if last and rng.random() < 0.3
                        else Outcome.COMPLETED
                    )
                    outcomes.append(
                        Participation(
                            school_id=pk,
                            stage=self.stages[code],
                            year=year,
                            outcome=outcome,
                            source=Participation.Source.COMPLETION,
                            recorded_by=self.leads_by_hub[self.school_by_pk[pk][3]][0],
                            recorded_at=_at(date(start + 1, 7, 20)),
                        )
                    )
            _insert(Participation, outcomes)
        self.say(f"{year}: {len(applications)} schools in {len(groups)} groups")

    def _open_applications(self, heads: dict[int, User]) -> None:
        """This year's applications still waiting for the hub, and a few declined."""
        states = [ApplicationState.SUBMITTED] * 3 + [
            ApplicationState.WAITLISTED,
            ApplicationState.DECLINED,
        ]
        rows = []
        year = self.current
        for n, pk in enumerate(self.outside_now[: self._open_count()]):
            did = self.stage_of.get(pk, {})
            code = "sus" if "dwg" in did.values() else ("dwg" if n % 2 else "mr")
            hub_pk = self.school_by_pk[pk][3]
            state = states[n % len(states)]
            application = self._application(
                pk, self.stages[code], year, heads[pk], self.leads_by_hub[hub_pk][0], state,
                decided=state == ApplicationState.DECLINED,
            )  # fmt: skip
            application.submitted_at = _at(self.today - timedelta(days=1 + n % 20))
            application.created_at = application.submitted_at - timedelta(days=2)
            if state == ApplicationState.DECLINED:
                application.decided_at = application.submitted_at + timedelta(hours=4)
                application.decision_reason = "The cohort is full this year."
            rows.append(application)
        self._participants(_insert(Application, rows))

    # ------------------------------------------------------------------ funding

    def _funding(self) -> None:
        rng = self.rng
        current = self.current.start_year
        seeded = range(self.first_year, current + 1)
        schemes = {}
        for start in seeded:
            year = self.years[start]
            for name in SCHEMES:
                schemes[(start, name)] = Scheme.objects.create(year=year, name=name)
            ClaimWindow.objects.bulk_create(
                ClaimWindow(hub=hub, year=year, opens=year.starts, closes=date(start + 1, 7, 31))
                for hub in self.hubs.values()
            )
        stored = default_storage.save("evidence/scale/invoice.pdf", ContentFile(_INVOICE_PDF))

        claims: list[Claim] = []
        for (school_pk, start), application in self.accepted.items():
            code = self.stage_of[school_pk][start]
            if code == "dwg":
                claims.append(self._claim(application, ClaimKind.GRANT, start, None))
            elif code == "emb" and rng.random() < 0.6:
                scheme = schemes[(start, rng.choice(SCHEMES))]
                claims.append(self._claim(application, ClaimKind.MATCH, start, scheme))
        # States: paid in earlier years; this year, every state a claim can be in.
        this_year = [
            ClaimState.DRAFT,
            ClaimState.SUBMITTED,
            ClaimState.SUBMITTED,
            ClaimState.RETURNED,
            ClaimState.APPROVED,
            ClaimState.BATCHED,
            ClaimState.PAID,
            ClaimState.PAID,
        ]
        for n, claim in enumerate(claims):
            state = ClaimState.PAID if claim.year_id != self.current.pk else this_year[n % 8]
            self._claim_state(claim, state)
        batches = self._batches(claims)
        claims = _insert(Claim, claims)
        _insert(
            Payment,
            (
                Payment(
                    claim=c,
                    batch_id=c.batch_id,
                    amount_pence=c.award_pence,
                    paid_at=c.paid_at,
                )
                for c in claims
                if c.state == ClaimState.PAID
            ),
        )
        awarded: dict[int, int] = defaultdict(int)
        for claim in claims:
            if claim.kind == ClaimKind.MATCH and claim.state in (
                ClaimState.APPROVED,
                ClaimState.BATCHED,
                ClaimState.PAID,
            ):
                awarded[claim.school_id] += claim.award_pence
        _insert(
            MatchAllowance,
            (MatchAllowance(school_id=pk, awarded_pence=p) for pk, p in awarded.items()),
        )
        _insert(
            Evidence,
            (
                Evidence(
                    claim=c,
                    file=stored,
                    original_name=f"invoice-{c.invoice_number}.pdf",
                    content_type=Evidence.Kind.PDF,
                    size=len(_INVOICE_PDF),
                    sha256=f"{c.pk:064d}",
                    uploaded_by=c.created_by,
                    uploaded_at=c.created_at,
                )
                for c in claims
                if c.kind == ClaimKind.MATCH
            ),
        )
        spent: dict[tuple[int, int], int] = defaultdict(int)
        for claim in claims:
            spent[(claim.hub_id, claim.year_id)] += claim.claimed_pence or 0
        Budget.objects.bulk_create(
            Budget(
                hub=hub,
                year=self.years[start],
                allocation_pence=max(
                    5_000_000, (spent[(hub.pk, self.years[start].pk)] * 6 // 5) // 100_000 * 100_000
                ),
            )
            for hub in self.hubs.values()
            for start in seeded
        )
        self.say(f"{len(claims)} claims in {len(batches)} payment batches")

    def _claim(self, application: Application, kind: str, start: int, scheme) -> Claim:
        school = self.school_by_pk[application.school_id]
        head = application.created_by
        created = _at(date(start, 10, 1) + timedelta(days=self.rng.randint(0, 60)))
        claim = Claim(
            school_id=school[0],
            hub_id=school[3],
            year=self.years[start],
            kind=kind,
            conditions_accepted=kind == ClaimKind.GRANT,
            payee_name=f"{school[2]}"[:120],
            sort_code="200000",
            account_number=f"{school[1] % 10**8:08d}",
            finance_email=f"finance.{school[1]}@schools.example",
            created_by=head,
            created_at=min(created, _at(self.today - timedelta(days=5))),
        )
        if kind == ClaimKind.MATCH:
            spend = self.rng.randint(1_500, 5_000) * 100
            claim.scheme = scheme
            claim.supplier = "Maths Books Ltd"
            claim.invoice_number = f"INV-{school[1]}-{start}"
            claim.invoice_key = invoice_key(claim.invoice_number)
            claim.invoice_date = claim.created_at.date() - timedelta(days=10)
            claim.spend_pence = spend
        return claim

    def _claim_state(self, claim: Claim, state: str) -> None:
        claim.state = state
        if state == ClaimState.DRAFT:
            return
        claim.submitted_at = claim.created_at + timedelta(days=1)
        if claim.kind == ClaimKind.GRANT:
            claim.claimed_pence = GRANT_PENCE
        else:
            claim.claimed_pence = min(claim.spend_pence // 2, MATCH_CAP_PENCE)
        if state == ClaimState.RETURNED:
            claim.return_reason = "The invoice does not show the school's name."
            claim.return_fields = ["evidence"]
        if state in (ClaimState.APPROVED, ClaimState.BATCHED, ClaimState.PAID):
            claim.award_pence = claim.claimed_pence
            claim.decided_by = self.leads_by_hub[claim.hub_id][0]
            claim.decided_at = claim.submitted_at + timedelta(days=1)
        if state == ClaimState.PAID:
            claim.paid_at = claim.decided_at + timedelta(days=1)

    def _batches(self, claims: list[Claim]) -> list[PaymentBatch]:
        """One batch per hub and year for the paid claims, one unpaid for the batched."""
        wanted: dict[tuple[int, int, bool], list[Claim]] = defaultdict(list)
        for claim in claims:
            if claim.state in (ClaimState.BATCHED, ClaimState.PAID):
                wanted[(claim.hub_id, claim.year_id, claim.state == ClaimState.PAID)].append(claim)
        by_pk = {y.pk: y for y in self.years.values()}
        batches = []
        numbers: dict[tuple[int, int], int] = defaultdict(int)
        for hub_pk, year_pk, paid in sorted(wanted):
            year = by_pk[year_pk]
            numbers[(hub_pk, year_pk)] += 1
            number = numbers[(hub_pk, year_pk)]
            group = wanted[(hub_pk, year_pk, paid)]
            short = f"{year.start_year % 100:02d}{(year.start_year + 1) % 100:02d}"
            last_paid = max((c.paid_at for c in group if c.paid_at), default=None)
            batches.append(
                PaymentBatch(
                    hub_id=hub_pk,
                    year=year,
                    number=number,
                    reference=f"{self.hubs[hub_pk].code}-PAY-{short}-{number:03d}",
                    created_by=self.leads_by_hub[hub_pk][0],
                    created_at=min(c.decided_at for c in group),
                    paid_by=self.leads_by_hub[hub_pk][0] if paid else None,
                    paid_at=last_paid if paid else None,
                )
            )
        batches = _insert(PaymentBatch, batches)
        for batch in batches:
            for claim in wanted[(batch.hub_id, batch.year_id, batch.paid_at is not None)]:
                claim.batch = batch
        return batches

    # ------------------------------------------------------------------ notices

    def _notices(self) -> None:
        """Decision notices sent for this year's applications; reminders due for the
        next meetings."""
        now = timezone.now()
        year = self.current
        rows = []
        for application in Application.objects.filter(year=year).select_related("created_by"):
            sent = application.decided_at or application.submitted_at
            rows.append(
                Notice(
                    kind=NoticeKind.APPLICATION,
                    subject_type="application",
                    subject_id=application.pk,
                    occasion=application.state if application.decided_at else "submitted",
                    email=application.created_by.email,
                    recipient=application.created_by,
                    recipient_name=application.created_by.full_name,
                    hub_id=application.hub_id,
                    school_id=application.school_id,
                    state=NoticeState.SENT,
                    due_at=sent,
                    created_at=sent,
                    claimed_at=sent,
                    sent_at=sent,
                    attempts=1,
                )
            )
        upcoming = Meeting.objects.filter(
            work_group__year=year, date__gt=self.today, date__lte=self.today + timedelta(days=30)
        ).select_related("work_group__lead")
        for meeting in upcoming:
            lead = meeting.work_group.lead
            due = _at(meeting.date - timedelta(days=7), 8)
            rows.append(
                Notice(
                    kind=NoticeKind.MEETING_REMINDER,
                    subject_type="meeting",
                    subject_id=meeting.pk,
                    occasion="7d",
                    email=lead.email,
                    recipient=lead,
                    recipient_name=lead.full_name,
                    hub_id=meeting.work_group.hub_id,
                    meeting=meeting,
                    state=NoticeState.SENT if due <= now else NoticeState.PENDING,
                    due_at=due,
                    created_at=min(due, now),
                    sent_at=due if due <= now else None,
                    attempts=1 if due <= now else 0,
                )
            )
        _insert(Notice, rows)
        self.say(f"{len(rows)} notices")


def _code(n: int) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return f"H{letters[n // len(letters) % len(letters)]}{letters[n % len(letters)]}"


def _suffix(n: int) -> str:
    return "" if n < len(HUB_PLACES) else f" {n // len(HUB_PLACES) + 1}"


# A one-page PDF that every seeded match-funding claim carries as its proof of purchase.
_INVOICE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
