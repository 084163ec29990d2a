"""Demo data for a laptop: two hubs, their schools from a generated GIAS extract,
people in every role, and the programme in every state it can be in.

Idempotent: running it again changes nothing that is already there."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from hubportal.accounts.models import Membership, Role, User
from schools.gias import gias_import
from schools.gias_sample import write_sample_file
from schools.models import Hub, HubArea, School
from schools.services import school_hubs_refresh

DEMO_PASSWORD = "mathshub-demo-2026"  # noqa: S105 - documented in the README for the demo only

HUBS = [
    {
        "name": "Abacus North West Maths Hub",
        "code": "ABN",
        "areas": [("352", "Manchester"), ("353", "Oldham")],
    },
    {
        "name": "Boolean Maths Hub",
        "code": "BOO",
        "areas": [("800", "Bath and North East Somerset"), ("802", "North Somerset")],
    },
]
# A local authority no demo hub covers: its schools show the "outside the area" flag.
UNCOVERED_LA = ("355", "Salford")


@dataclass
class Login:
    email: str
    role: str
    where: str


def seed(*, today: date | None = None, stdout=None) -> list[Login]:
    today = today or timezone.localdate()
    with transaction.atomic():
        hubs = _hubs_and_schools()
        people = _people(hubs)
        _programme(hubs, people, today)
    return _logins(people)


def _hubs_and_schools() -> dict[str, Hub]:
    hubs = {}
    for data in HUBS:
        hub, _ = Hub.objects.get_or_create(code=data["code"], defaults={"name": data["name"]})
        for code, name in data["areas"]:
            HubArea.objects.get_or_create(la_code=code, defaults={"hub": hub, "la_name": name})
        hubs[hub.code] = hub
    with tempfile.TemporaryDirectory() as folder:
        # ~60 schools per hub, plus a few in an LA that no demo hub covers.
        areas = [a for data in HUBS for a in data["areas"]]
        path = write_sample_file(Path(folder) / "gias.csv", rows=130, seed=2026, la=areas)
        gias_import(path)
        outside = write_sample_file(
            Path(folder) / "outside.csv", rows=6, seed=355, la=[UNCOVERED_LA]
        )
        gias_import(outside)
    school_hubs_refresh()
    for hub in hubs.values():
        if hub.lead_school_id is None:
            hub.lead_school = _open_primaries(hub).first()
            hub.save(update_fields=["lead_school"])
    return hubs


def _open_primaries(hub: Hub):
    return School.objects.filter(hub=hub).open().primary().order_by("urn")


@cache
def _demo_password_hash() -> str:
    # Hashing is slow by design; every demo person shares the one password, so hash it once.
    return make_password(DEMO_PASSWORD)


def _user(email: str, name: str, *, staff: bool = False) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"full_name": name, "is_staff": staff}
    )
    if created:
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _member(user: User, role: str, *, hub=None, school=None) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=user, role=role, hub=hub, school=school)
    return membership


def _people(hubs: dict[str, Hub]) -> dict[str, User]:
    abn, boo = hubs["ABN"], hubs["BOO"]
    abn_schools = list(_open_primaries(abn)[:6])
    boo_schools = list(_open_primaries(boo)[:3])
    people = {}

    admin = _user("admin@ncetm.example", "Nadia Adams", staff=True)
    _member(admin, Role.NATIONAL_ADMIN)
    people["admin"] = admin

    people["lead_abn"] = _user("lead@abacus.example", "Helen Lord")
    _member(people["lead_abn"], Role.HUB_LEAD, hub=abn)
    people["lead_boo"] = _user("lead@boolean.example", "Ben Boole")
    _member(people["lead_boo"], Role.HUB_LEAD, hub=boo)

    people["spec1"] = _user("specialist1@abacus.example", "Sam Singh")
    _member(people["spec1"], Role.SPECIALIST, hub=abn, school=abn_schools[4])
    people["spec2"] = _user("specialist2@abacus.example", "Priya Patel")
    _member(people["spec2"], Role.SPECIALIST, hub=abn, school=abn_schools[5])
    people["spec3"] = _user("specialist@boolean.example", "Tom Turing")
    _member(people["spec3"], Role.SPECIALIST, hub=boo, school=boo_schools[2])
    # A specialist who is also a headteacher: the header lets her switch role.
    _member(people["spec2"], Role.HEADTEACHER, school=abn_schools[5])

    heads = [
        ("head1@school.example", "Alice Ahmed", abn_schools[0]),
        ("head2@school.example", "Brian Baker", abn_schools[1]),
        ("head3@school.example", "Chloe Clarke", abn_schools[2]),
        ("head4@school.example", "Dev Desai", abn_schools[3]),
        ("head5@school.example", "Erin Evans", boo_schools[0]),
        ("head6@school.example", "Femi Fashola", boo_schools[1]),
    ]
    for number, (email, name, school) in enumerate(heads, start=1):
        user = _user(email, name)
        _member(user, Role.HEADTEACHER, school=school)
        people[f"head{number}"] = user
    return people


def _programme(hubs: dict[str, Hub], people: dict[str, User], today: date) -> None:
    """Windows, participation history and applications in every state."""
    from workgroups import services
    from workgroups.models import AcademicYear, Application, Outcome, ProgrammeStage

    if Application.objects.filter(hub__in=hubs.values()).exists():
        return  # the programme was seeded before
    year = AcademicYear.objects.for_date(today)
    last_year, _ = AcademicYear.objects.get_or_create(start_year=year.start_year - 1)
    y2019, _ = AcademicYear.objects.get_or_create(start_year=2019)
    stages = {s.code: s for s in ProgrammeStage.objects.all()}
    leads = {"ABN": people["lead_abn"], "BOO": people["lead_boo"]}

    for code, hub in hubs.items():
        for stage in stages.values():
            services.window_save(
                actor=leads[code],
                hub=hub,
                stage=stage,
                year=year,
                opens=min(year.starts, today),
                closes=max(date(year.start_year + 1, 1, 31), today + timedelta(days=30)),
                target_places=14 if stage.code != "mr" else 8,
            )

    def school_of(key):
        return people[key].memberships.get(role=Role.HEADTEACHER).school

    def history(lead, school, code, start_year_obj, outcome=Outcome.COMPLETED):
        services.participation_record(
            actor=lead, school=school, stage=stages[code], year=start_year_obj, outcome=outcome
        )

    abn_lead, boo_lead = leads["ABN"], leads["BOO"]
    # head1: completed Readiness last year, so Development is open to them with priority.
    history(abn_lead, school_of("head1"), "mr", last_year)
    # head2: took Development in 2019 (never again), so Embedding and Sustaining are open.
    history(abn_lead, school_of("head2"), "dwg", y2019)

    def apply(head_key, code, *, participants=None):
        head = people[head_key]
        school = school_of(head_key)
        application = services.application_start(
            actor=head, school=school, stage=stages[code], year=year, today=today
        )
        services.application_save_answers(
            actor=head,
            application=application,
            section="the demo answers",
            answers={
                "school_details_confirmed": True,
                "contact_name": head.full_name,
                "contact_role": "Headteacher",
                "commit_release_teachers": True,
                "commit_headteacher_attends": True,
                "commit_reports": True,
                "action_plan_priorities": (
                    "Number fluency in Key Stage 1; whole-class teaching in Year 3"
                    if stages[code].requires_action_plan
                    else ""
                ),
            },
        )
        services.application_set_participants(
            actor=head,
            application=application,
            participants=participants
            or [
                {
                    "name": f"{school.name.split()[0]} Maths Lead",
                    "email": f"mathslead.{school.urn}@school.example",
                    "job_role": "Maths lead",
                    "is_maths_lead": True,
                    "trn": "",
                },
                {
                    "name": f"{school.name.split()[0]} Year 4 Teacher",
                    "email": f"year4.{school.urn}@school.example",
                    "job_role": "Year 4 teacher",
                    "is_maths_lead": False,
                    "trn": "1234567",
                },
            ],
        )
        return application

    # head3: submitted, waiting for the hub's decision.
    submitted = apply("head3", "dwg")
    services.application_submit(
        actor=people["head3"], application=submitted, declaration=True, today=today
    )
    # head4: accepted into Development this year.
    accepted = apply("head4", "dwg")
    services.application_submit(
        actor=people["head4"], application=accepted, declaration=True, today=today
    )
    services.application_accept(actor=abn_lead, application=accepted)
    # head5: a half-finished Readiness application, saved as a draft.
    draft = services.application_start(
        actor=people["head5"], school=school_of("head5"), stage=stages["mr"], year=year, today=today
    )
    services.application_save_answers(
        actor=people["head5"],
        application=draft,
        section="school details",
        answers={"school_details_confirmed": True, "contact_name": "Erin Evans"},
    )
    # head6: declined, with the hub's reason.
    declined = apply("head6", "dwg")
    services.application_submit(
        actor=people["head6"], application=declined, declaration=True, today=today
    )
    services.application_decline(
        actor=boo_lead,
        application=declined,
        reason="Our Development groups are full this year; please apply again next spring.",
    )

    # More of Abacus's schools, so that the hub lead's list has something to sort and filter.
    extra = list(_open_primaries(hubs["ABN"])[6:14])
    for index, school in enumerate(extra):
        head = _user(f"head.{school.urn}@school.example", f"Headteacher of {school.name}")
        _member(head, Role.HEADTEACHER, school=school)
        people[f"extra{index}"] = head
        if index % 4 == 0:
            history(abn_lead, school, "mr", last_year)  # priority
        application = apply(f"extra{index}", "dwg")
        services.application_submit(
            actor=head, application=application, declaration=True, today=today
        )
        if index in (1, 2):
            services.application_waitlist(
                actor=abn_lead,
                application=application,
                reason="Our groups are full: first in line if a place frees.",
            )
        elif index == 3:
            services.application_accept(actor=abn_lead, application=application)
        elif index == 5:
            services.application_withdraw(
                actor=head, application=application, reason="Our maths lead is on leave this year."
            )


def _logins(people: dict[str, User]) -> list[Login]:
    """The named demo people, each with every role they hold."""
    named = [user for key, user in people.items() if not key.startswith("extra")]
    memberships = Membership.objects.filter(user__in=named).select_related("user", "hub", "school")
    return [
        Login(m.user.email, m.get_role_display(), m.place_name)
        for m in sorted(memberships, key=lambda m: (m.role, m.user.email))
    ]
