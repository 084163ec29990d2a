"""Demo data for a laptop: two hubs, their schools from a generated GIAS extract,
people in every role, and the programme in every state it can be in, work groups,
meetings, attendance and completions included.

Idempotent: running it again changes nothing that is already there. Deterministic
for a given day: meeting dates are placed around ``today`` so that there is always
a past, a present and a future to look at."""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from hubportal.accounts.models import Membership, Role, User
from schools.gias import gias_import
from schools.gias_sample import sample_rows, write_rows
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
# Open primary schools added to Abacus for its work groups: last year's Development
# group, this year's Development groups and the Embedding cohort still to be formed.
WORK_GROUP_SCHOOLS = 15


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
        rows = list(sample_rows(130, seed=2026, la=areas))
        gias_import(write_rows(Path(folder) / "gias.csv", iter(rows)))
        outside = list(sample_rows(6, seed=355, la=[UNCOVERED_LA]))
        gias_import(write_rows(Path(folder) / "outside.csv", iter(outside)))
        first_urn = max(int(row["URN"]) for row in rows + outside) + 1
        more = _work_group_schools(first_urn)
        gias_import(write_rows(Path(folder) / "work-groups.csv", more))
    school_hubs_refresh()
    for hub in hubs.values():
        if hub.lead_school_id is None:
            hub.lead_school = _open_primaries(hub).first()
            hub.save(update_fields=["lead_school"])
    return hubs


def _work_group_schools(first_urn: int):
    """Open primary schools with coordinates in Abacus's area, numbered after every other
    demo school so that the people placed in "the first open primaries" stay where they
    were in a demo seeded before these were added."""
    rows = (
        row
        for row in sample_rows(200, seed=2627, la=HUBS[0]["areas"])
        if row["EstablishmentStatus (name)"] == "Open"
        and row["PhaseOfEducation (name)"] == "Primary"
        and row["Easting"]
        and row["Northing"]
    )
    for number, row in enumerate(itertools.islice(rows, WORK_GROUP_SCHOOLS)):
        yield {**row, "URN": str(first_urn + number)}


def _added_schools(hub: Hub) -> list[School]:
    """The schools added for work groups: they have the highest URNs of all."""
    return list(School.objects.filter(hub=hub).order_by("-urn")[:WORK_GROUP_SCHOOLS])[::-1]


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
    # head7: a school of last year's Development group, with a claim returned for changes.
    heads.append(("head7@school.example", "Gwen Griffiths", _added_schools(abn)[3]))
    for number, (email, name, school) in enumerate(heads, start=1):
        user = _user(email, name)
        _member(user, Role.HEADTEACHER, school=school)
        people[f"head{number}"] = user
    return people


FIRST_NAMES = (
    "Aisha", "Ben", "Carys", "Daniel", "Ella", "Farid", "Grace", "Harry", "Imogen", "Jamal",
    "Kate", "Liam", "Maya", "Noah", "Olivia", "Priya", "Rhys", "Sophie", "Tariq", "Zara",
)  # fmt: skip
LAST_NAMES = (
    "Ali", "Brown", "Chen", "Davies", "Evans", "Green", "Hughes", "Iqbal", "Jones", "Khan",
    "Lewis", "Morris", "Nowak", "O'Brien", "Patel", "Roberts", "Shah", "Taylor", "Walsh", "Wood",
)  # fmt: skip


def _teacher_name(urn: int, position: int) -> str:
    """A made-up teacher's name, the same for the same school every time."""
    first = FIRST_NAMES[(urn + 7 * position) % len(FIRST_NAMES)]
    last = LAST_NAMES[(urn // 3 + 11 * position) % len(LAST_NAMES)]
    return f"{first} {last}"


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

    def apply(head_key, code, *, participants=None, in_year=year, on=today):
        head = people[head_key]
        school = school_of(head_key)
        application = services.application_start(
            actor=head, school=school, stage=stages[code], year=in_year, today=on
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
                    "name": _teacher_name(school.urn, 0),
                    "email": f"mathslead.{school.urn}@school.example",
                    "job_role": "Maths lead",
                    "is_maths_lead": True,
                    "trn": "",
                },
                {
                    "name": _teacher_name(school.urn, 1),
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

    _work_groups(
        hubs["ABN"],
        people,
        today=today,
        year=year,
        last_year=last_year,
        stages=stages,
        apply=apply,
        history=history,
    )
    _funding(hubs, people, today=today, year=year)
    _notices(today)


# ---------------------------------------------------------------------------
# Abacus's work groups: last year's, completed; this year's, under way; and an
# Embedding cohort waiting to be formed.

# Last year's six meetings, in days after 1 September: late September to late June.
LAST_YEAR_MEETING_DAYS = (23, 72, 142, 191, 247, 296)
# This year's six meetings, in days around today: three logged, one cancelled, the
# most recent held but not logged yet (the specialist's "log due"), one to come in
# six days (its week-ahead reminder has gone out).
THIS_YEAR_MEETING_OFFSETS = (-42, -28, -21, -14, -3, 6)
CANCELLED_MEETING, UNLOGGED_MEETING = 2, 4
MEETING_KINDS = ("workshop", "trg", "visit", "workshop", "trg", "workshop")
ONLINE_MEETING = 3  # the others are held at a member school, in turn
ONLINE_LINK = "https://meet.example.org/abacus-maths-hub"
MEETING_NOTES = (
    "Planned the autumn fractions sequence together; each school chose a class to trial it.",
    "Observed a Year 4 lesson on equivalent fractions and discussed the pupils' reasoning.",
    "Visited the host school's Year 2 classes to see the number-sense routines.",
    "Shared the trial lessons' outcomes and agreed next term's focus on multiplication.",
    "Lesson study: the group co-planned, one teacher taught, everyone observed.",
    "Looked back at the year and planned how each school carries the work on.",
)


def _meeting_days_this_year(year, today: date) -> list[date]:
    """Meeting dates around today, kept inside the academic year so that on its first
    and last days too there is something held and something to come."""
    anchor = min(max(today, year.starts + timedelta(days=45)), year.ends - timedelta(days=20))
    return [anchor + timedelta(days=offset) for offset in THIS_YEAR_MEETING_OFFSETS]


def _schedule(actor, work_group, days: list[date], schools: list[School]):
    from workgroups import services
    from workgroups.services import MeetingPlan

    plans = []
    for number, day in enumerate(days):
        online = number == ONLINE_MEETING
        plans.append(
            MeetingPlan(
                date=day,
                starts_at=time(13, 0),
                ends_at=time(16, 0),
                kind=MEETING_KINDS[number],
                venue_school=None if online else schools[number % len(schools)],
                online_link=ONLINE_LINK if online else "",
            )
        )
    return services.meeting_schedule_series(actor=actor, work_group=work_group, plans=plans)


def _log(actor, meeting, away: dict[tuple[int, int], str], notes: str) -> None:
    """Everyone present but ``away``: (school id, teacher's position) → status. Logged
    half an hour after the meeting ends, as a specialist on top of things would."""
    from workgroups import services
    from workgroups.models import AttendanceStatus

    statuses = {
        p.pk: away.get((p.application.school_id, p.position), AttendanceStatus.PRESENT)
        for p in services.meeting_participants(meeting)
    }
    logged_at = timezone.make_aware(datetime.combine(meeting.date, time(16, 30)))
    services.meeting_log_attendance(
        actor=actor, meeting=meeting, statuses=statuses, notes=notes, now=logged_at
    )


def _away(*schools_and_positions, status: str) -> dict[tuple[int, int], str]:
    return {(school.pk, position): status for school, position in schools_and_positions}


def _work_groups(hub, people, *, today, year, last_year, stages, apply, history) -> None:
    """Every write goes through the services, so the history pages show who did what.
    Last year's rows are made with last year's dates passed to the services that take
    a date (submission, attendance); their audit times are today's."""
    from workgroups import services
    from workgroups.models import AcademicYear, Application, AttendanceStatus, Outcome
    from workgroups.selectors.completion import group_completion

    lead, specialist = people["lead_abn"], people["spec1"]
    absent, apologies = AttendanceStatus.ABSENT, AttendanceStatus.APOLOGIES
    new = _added_schools(hub)
    spare = _open_primaries(hub)[14]  # the one open primary the rest of the demo leaves

    def school_of(key: str) -> School:
        return people[key].memberships.get(role=Role.HEADTEACHER).school

    def head_of(school: School) -> str:
        if school.pk == school_of("head7").pk:
            return "head7"
        key = f"extra-{school.urn}"
        user = _user(f"head.{school.urn}@school.example", f"Headteacher of {school.name}")
        _member(user, Role.HEADTEACHER, school=school)
        people[key] = user
        return key

    def accepted(school: School, code: str, in_year, on: date) -> Application:
        key = head_of(school)
        application = apply(key, code, in_year=in_year, on=on)
        services.application_submit(
            actor=people[key], application=application, declaration=True, today=on
        )
        return services.application_accept(actor=lead, application=application)

    # Last year: seven schools in one Development group led by the demo specialist, six
    # meetings logged, and the outcomes recorded from the completion rule: six completed
    # (one of them by the hub lead's decision, with a reason) and one did not.
    services.window_save(
        actor=lead,
        hub=hub,
        stage=stages["dwg"],
        year=last_year,
        opens=date(last_year.start_year, 3, 1),
        closes=date(last_year.start_year, 7, 18),
        target_places=7,
    )
    alumni = new[:7]
    for school in alumni:
        accepted(school, "dwg", last_year, date(last_year.start_year, 5, 12))
    [last_group] = services.workgroup_confirm_formation(
        actor=lead,
        hub=hub,
        stage=stages["dwg"],
        year=last_year,
        groups=[([s.pk for s in alumni], specialist)],
    )
    days = [last_year.starts + timedelta(days=n) for n in LAST_YEAR_MEETING_DAYS]
    caught_up, dropped_out = alumni[5], alumni[6]
    for number, meeting in enumerate(_schedule(specialist, last_group, days, alumni)):
        away = {}
        if number in (1, 3, 4):  # attends three of six
            away |= _away((caught_up, 1), (caught_up, 2), status=absent)
        if number >= 2:  # attends two of six
            away |= _away((dropped_out, 1), (dropped_out, 2), status=apologies)
        if number == 2:
            away |= _away((alumni[0], 2), status=apologies)
        if number == 4:
            away |= _away((alumni[3], 1), status=absent)
        _log(specialist, meeting, away, MEETING_NOTES[number])
    for row in group_completion(last_group, today=today).rows:
        outcome, reason = row.suggested, ""
        if row.school.pk == caught_up.pk:
            outcome = Outcome.COMPLETED
            reason = (
                "Missed three meetings during an Ofsted inspection; both teachers caught up "
                "with the specialist in school and taught the lesson-study lessons."
            )
        services.completion_record(
            actor=lead, member=row.member, outcome=outcome, suggested=row.suggested, reason=reason
        )

    # This year: the Embedding cohort, accepted but not in groups yet, for the hub lead to
    # try "Propose groups": last year's six who completed (they move on together) and two
    # schools that completed Development the year before.
    two_years_ago, _ = AcademicYear.objects.get_or_create(start_year=year.start_year - 2)
    earlier = new[7:9]
    for school in earlier:
        history(lead, school, "dwg", two_years_ago)
    for school in [s for s in alumni if s.pk != dropped_out.pk] + earlier:
        accepted(school, "emb", year, today)

    # This year's Development cohort: everyone accepted is placed, in one group led by
    # the demo specialist (with head4's school, so its headteacher sees meetings and
    # attendance) and one still waiting for a specialist.
    dwg_this_year = Application.objects.filter(hub=hub, stage=stages["dwg"], year=year)
    for key in ("extra0", "extra2", "extra4"):  # two submitted, one from the waiting list
        services.application_accept(
            actor=lead, application=dwg_this_year.get(school=school_of(key))
        )
    for school in [spare, *new[9:15]]:
        accepted(school, "dwg", year, today)

    led = [school_of("head4"), school_of("extra3"), school_of("extra0"), *new[9:12]]
    unled = [school_of("extra2"), school_of("extra4"), spare, *new[12:15]]
    mine, waiting = services.workgroup_confirm_formation(
        actor=lead,
        hub=hub,
        stage=stages["dwg"],
        year=year,
        groups=[([s.pk for s in led], specialist), ([s.pk for s in unled], None)],
    )
    meetings = _schedule(specialist, mine, _meeting_days_this_year(year, today), led)
    services.meeting_cancel(
        actor=specialist,
        meeting=meetings[CANCELLED_MEETING],
        reason="The host school closed for the day after a heating failure.",
    )
    away_at = {
        0: _away((led[0], 2), status=apologies),
        1: _away((led[4], 1), (led[4], 2), status=absent),
        3: _away((led[2], 1), status=apologies) | _away((led[5], 2), status=absent),
    }
    for number, meeting in enumerate(meetings):
        if number in (CANCELLED_MEETING, UNLOGGED_MEETING) or meeting.date >= today:
            continue
        _log(specialist, meeting, away_at.get(number, {}), MEETING_NOTES[number])
    # The group without a specialist: the hub lead has planned its year from a fortnight on.
    start = min(today, year.ends - timedelta(days=100))
    later = [start + timedelta(days=n) for n in (14, 28, 49, 70, 84, 98)]
    _schedule(lead, waiting, later, unled)


def _logins(people: dict[str, User]) -> list[Login]:
    """The named demo people, each with every role they hold."""
    named = [user for key, user in people.items() if not key.startswith("extra")]
    memberships = Membership.objects.filter(user__in=named).select_related("user", "hub", "school")
    return [
        Login(m.user.email, m.get_role_display(), m.place_name)
        for m in sorted(memberships, key=lambda m: (m.role, m.user.email))
    ]


# ---------------------------------------------------------------------------
# Funding: claim windows and budgets for both hubs, and Abacus's claims in every
# state, from last year's Development group (entitled to the grant and to match
# funding). head4's school is entitled to both and has claimed nothing: try it.

PAYEE_SORT_CODE, PAYEE_ACCOUNT = "309430", "41{urn:06d}"
BUDGETS_POUNDS = {"ABN": 40_000, "BOO": 25_000}


def invoice_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing ``lines``: proof of purchase that opens in a browser."""
    text = "BT /F1 12 Tf 56 780 Td 16 TL " + " ".join(
        "({}) '".format(line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)"))
        for line in lines
    )
    text += " ET"
    # The standard PDF fonts have "£" (at the same code as Latin-1) but no dashes beyond "-".
    body = text.replace("\u2014", "-").encode("latin-1", errors="replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _funding(hubs: dict[str, Hub], people: dict[str, User], *, today: date, year) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from funding import assurance
    from funding import services as funding
    from funding.models import CheckOutcome, ClaimKind
    from funding.money import format_pence

    for code, hub in hubs.items():
        lead = people[f"lead_{code.lower()}"]
        funding.claim_window_set(
            actor=lead,
            hub=hub,
            year=year,
            opens=min(year.starts, today),
            closes=max(date(year.start_year + 1, 6, 30), today + timedelta(days=30)),
        )
        funding.budget_set(
            actor=lead, hub=hub, year=year, allocation_pence=BUDGETS_POUNDS[code] * 100
        )

    lead = people["lead_abn"]
    alumni = _added_schools(hubs["ABN"])[:7]
    schemes = {scheme.name: scheme for scheme in funding.schemes_ensure(year=year)}

    def head(school: School) -> User:
        return (
            Membership.objects.filter(role=Role.HEADTEACHER, school=school)
            .order_by("pk")
            .first()
            .user
        )

    def payee(school: School) -> dict[str, str]:
        return {
            "payee_name": f"{school.name} main account",
            "sort_code": PAYEE_SORT_CODE,
            "account_number": PAYEE_ACCOUNT.format(urn=school.urn % 1_000_000)[:8],
            "finance_email": f"finance.{school.urn}@school.example",
        }

    def grant(school: School):
        claim = funding.claim_start(
            actor=head(school), school=school, kind=ClaimKind.GRANT, today=today
        )
        funding.claim_save(
            actor=head(school), claim=claim, conditions_accepted=True, **payee(school)
        )
        return funding.claim_submit(actor=head(school), claim=claim, today=today)

    def match(school: School, scheme: str, spend_pounds: int, days_ago: int, *, submit=True):
        claim = funding.claim_start(
            actor=head(school), school=school, kind=ClaimKind.MATCH, today=today
        )
        number = f"MB-{school.urn % 100_000:05d}-{days_ago:03d}"
        bought = today - timedelta(days=days_ago)
        funding.claim_save(
            actor=head(school),
            claim=claim,
            scheme=schemes[scheme],
            supplier="Mastery Books Ltd",
            invoice_number=number,
            invoice_date=bought,
            spend_pence=spend_pounds * 100,
            **payee(school),
        )
        lines = [
            "Mastery Books Ltd - INVOICE",
            f"Invoice number: {number}",
            f"Date: {bought:%d %B %Y}",
            f"To: {school.name}",
            f"{scheme}: pupil textbooks and practice books",
            f"Total: {format_pence(spend_pounds * 100)}",
        ]
        upload = SimpleUploadedFile(
            f"invoice-{number}.pdf", invoice_pdf(lines), content_type="application/pdf"
        )
        funding.evidence_add(actor=head(school), claim=claim, upload=upload)
        if submit:
            claim = funding.claim_submit(actor=head(school), claim=claim, today=today)
        return claim

    # Paid: a grant and a match claim (half of £3,000), in a batch the finance team paid.
    first_paid = [
        funding.claim_approve(actor=lead, claim=grant(alumni[0])),
        funding.claim_approve(
            actor=lead, claim=match(alumni[0], "Power Maths KS1", 3_000, days_ago=60)
        ),
    ]
    paid = funding.batch_create(actor=lead, hub=hubs["ABN"], year=year, claims=first_paid)
    funding.batch_mark_paid(actor=lead, batch=paid)
    # In a batch not paid yet: two grants.
    waiting_payment = [
        funding.claim_approve(actor=lead, claim=grant(alumni[1])),
        funding.claim_approve(actor=lead, claim=grant(alumni[2])),
    ]
    funding.batch_create(actor=lead, hub=hubs["ABN"], year=year, claims=waiting_payment)
    # Approved, for less than claimed with the hub's reason, waiting for a batch.
    funding.claim_approve(
        actor=lead,
        claim=match(alumni[1], "Maths — No Problem!", 2_000, days_ago=40),
        award_pence=80_000,
        reason="The invoice includes £400 of teacher guides and delivery, which are not on "
        "the approved list; the award is half of the £1,600 spent on pupil textbooks.",
    )
    # Waiting for the hub's decision: a match claim capped at £2,000 and a grant.
    match(alumni[2], "Power Maths KS2", 4_600, days_ago=21)
    grant(alumni[4])
    # Returned to head7 to change the invoice date and the evidence.
    funding.claim_return(
        actor=lead,
        claim=match(alumni[3], "Power Maths KS2", 2_400, days_ago=30),
        reason="The file attached is the supplier's quotation, not the invoice, and the "
        "invoice date you gave is the quotation's. Upload the invoice and give its date.",
        fields=["invoice_date", "evidence"],
    )
    # Rejected, with the reason.
    funding.claim_reject(
        actor=lead,
        claim=match(alumni[5], "Power Maths KS1", 900, days_ago=200),
        reason="The invoice is for classroom manipulatives (base-ten blocks and counters), "
        "which are not a textbook scheme on the approved list.",
    )
    # A draft the headteacher has not finished.
    match(alumni[6], "Maths — No Problem!", 1_200, days_ago=5, submit=False)
    # Assurance: the hub lead sampled every paid claim (seed recorded) and confirmed the
    # invoice behind the match claim; the grant's check is still to do.

    sample = assurance.sample_draw(actor=lead, hub=hubs["ABN"], year=year, percent=100, seed=2026)
    for check in sample.checks.select_related("claim"):
        if check.claim.kind == ClaimKind.MATCH:
            assurance.sample_check_record(
                actor=lead,
                check=check,
                outcome=CheckOutcome.CONFIRMED,
                notes="Invoice matches the supplier's statement; the books are in the school.",
            )


# ---------------------------------------------------------------------------
# Notices: what the sweeps find due on the demo's day, sent as beat would send them,
# and one reminder the mail server refused, for the hub lead's list of failures.


def _notices(today: date) -> None:
    from hubportal.notices import services as notices
    from hubportal.notices import sweeps
    from hubportal.notices.models import Notice, NoticeKind, NoticeState
    from hubportal.notices.tasks import dispatch_notices

    now = timezone.make_aware(datetime.combine(today, time(7, 30)))
    notices.notice_plan(
        [
            *sweeps.meeting_reminders(now),
            *sweeps.log_nudges(now),
            *sweeps.windows_opening(today),
            *sweeps.claim_deadlines(today),
        ],
        now=now,
    )
    bounced = (
        Notice.objects.filter(
            kind=NoticeKind.MEETING_REMINDER,
            recipient__isnull=True,
            state=NoticeState.PENDING,
        )
        .order_by("email")
        .first()
    )
    if bounced is not None and notices.notice_claim(bounced.pk, now=now):
        notices.notice_failed(
            bounced,
            f"SMTPRecipientsRefused: 550 5.1.1 <{bounced.email}>: mailbox unavailable",
            final=True,
        )
    transaction.on_commit(dispatch_notices.delay)
