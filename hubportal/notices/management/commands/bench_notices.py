"""manage.py bench_notices: what the notice ledger costs over sending the same mail directly.

Inside one transaction that it rolls back, so it leaves no rows, it creates (with
bulk_create) the work groups, schools, participants and meetings three days ahead
that make ``--count`` meeting reminders due, then measures:
  (a) the sweep and the plan (what ``sweep_meetings`` runs, without queueing the
      dispatch): wall time and SQL queries;
  (b) sending every one through the ledger: the ``send_notice`` task's own code run
      in this process (claim, render, send, mark sent), to the in-memory mail backend;
  (c) rendering and sending the same mails directly with ``delivery.build_message``,
      the notices loaded in one query and no claim or mark;
and compares (b) with (c): target (b) <= 2 x (c).
"""

import json
import math
import secrets
import time
from datetime import time as clock
from datetime import timedelta

from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from hubportal.accounts.models import User
from hubportal.notices import services, sweeps, tasks
from hubportal.notices.delivery import build_message
from hubportal.notices.models import Notice, NoticeState
from schools.models import Hub, School
from workgroups.models import (
    AcademicYear,
    Application,
    ApplicationState,
    GroupMember,
    Meeting,
    Participant,
    ProgrammeStage,
    WorkGroup,
)

TARGET = 2.0
SCHOOLS_PER_GROUP = 7
PARTICIPANTS_PER_SCHOOL = 2
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


class _Rollback(Exception):
    """Raised to leave the benchmark's transaction without keeping anything."""


class _QueryCounter:
    """Counts the queries run through a connection (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class Command(BaseCommand):
    help = (
        "Benchmark the notice ledger (sweep, plan, claim, send, mark) against sending the "
        "same mails directly. Everything it writes is rolled back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=10000, help="notices to send (10000)")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the figures as JSON"
        )

    def handle(self, *args, count: int, as_json: bool, **options):
        if count < 1:
            raise CommandError("--count must be at least 1")
        result = {}
        try:
            with transaction.atomic():
                result = self._run(count)
                raise _Rollback
        except _Rollback:
            pass
        result["rolled_back"] = True
        if as_json:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self.stdout.write(_report(result))

    def _run(self, count: int) -> dict:
        created = _create_due_meetings(count)
        meetings = created.pop("meeting_ids")
        now = timezone.now()

        # (a) the sweep and the plan, as sweep_meetings runs them.
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            plans = [*sweeps.meeting_reminders(now), *sweeps.log_nudges(now)]
            planned = services.notice_plan(plans, now=now)
            sweep_seconds = time.perf_counter() - started
        ours = Notice.objects.filter(meeting_id__in=meetings, state=NoticeState.PENDING)
        due = ours.count()
        if due != count:
            raise CommandError(f"the sweep planned {due} notices for {count} recipients")
        sweep = {
            "seconds": sweep_seconds,
            "queries": len(captured),
            "inserts": sum(1 for q in captured if q["sql"].lstrip().upper().startswith("INSERT")),
            "plans": len(plans),
            "planned": planned,
        }

        saved_outbox = getattr(mail, "outbox", None)
        try:
            # DEBUG off, as in production: no query log kept for every query sent.
            with override_settings(MAILERS=LOCMEM, DEBUG=False):
                mail.outbox = []
                build_message(ours.first())  # compile the templates before timing either
                direct = _measure(lambda: _send_directly(ours))
                direct["sent"] = len(mail.outbox)
                mail.outbox = []
                ledger = _measure(lambda: _send_through_ledger(ours))
                ledger["sent"] = len(mail.outbox)
        finally:
            if saved_outbox is None:
                del mail.outbox
            else:
                mail.outbox = saved_outbox
        sent = Notice.objects.filter(meeting_id__in=meetings, state=NoticeState.SENT).count()
        if direct["sent"] != count or ledger["sent"] != count or sent != count:
            raise CommandError(
                f"sent {direct['sent']} directly, {ledger['sent']} through the ledger "
                f"({sent} marked sent) of {count}"
            )
        for figures in (direct, ledger):
            figures["ms_per_notice"] = figures["seconds"] * 1000 / count
            figures["queries_per_notice"] = figures["queries"] / count
        ratio = ledger["seconds"] / direct["seconds"]
        return {
            "count": count,
            "database": connection.vendor,
            "created": created,
            "sweep": sweep,
            "ledger": ledger,
            "direct": direct,
            "ratio": ratio,
            "target": TARGET,
            "verdict": "PASS" if ratio <= TARGET else "FAIL",
        }


def _measure(work) -> dict:
    counter = _QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        work()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "queries": counter.count}


def _send_through_ledger(notices) -> None:
    """What the worker does for each notice dispatch_notices queues: the send_notice
    task's code, called in this process rather than through the broker."""
    ids = list(notices.order_by("due_at", "pk").values_list("pk", flat=True))
    for notice_id in ids:
        outcome = tasks.send_notice(notice_id)
        if outcome != "sent":
            raise CommandError(f"notice {notice_id}: {outcome}")


def _send_directly(notices) -> None:
    """The same mails with no ledger: rendered from the rows and sent, nothing recorded."""
    for notice in notices.select_related("recipient").order_by("due_at", "pk"):
        build_message(notice).send()


def _create_due_meetings(count: int) -> dict:
    """Work groups of seven schools with two participants each, led by one specialist,
    each with a meeting in three days: ``count`` reminders in all (the specialist's one
    per meeting included; the last group has fewer participants)."""
    tag = secrets.token_hex(3)
    stage = _stage()
    year = AcademicYear.objects.current()
    per_group = 1 + SCHOOLS_PER_GROUP * PARTICIPANTS_PER_SCHOOL
    groups = math.ceil(count / per_group)
    participants = count - groups
    schools = math.ceil(participants / PARTICIPANTS_PER_SCHOOL)

    hub = Hub.objects.bulk_create(
        [Hub(name=f"Benchmark {tag} Maths Hub", code=f"B{tag[:5].upper()}")]
    )[0]
    lead = User.objects.bulk_create(
        [User(email=f"bench-{tag}@bench.invalid", full_name="Benchmark Specialist")]
    )[0]
    taken = set(School.objects.values_list("urn", flat=True))
    urns = (urn for urn in range(999999, 99999, -1) if urn not in taken)
    school_rows = School.objects.bulk_create(
        [
            School(
                urn=next(urns),
                name=f"Benchmark Primary School {n}",
                hub=hub,
                la_code="999",
                status="Open",
                phase="Primary",
            )
            for n in range(schools)
        ],
        batch_size=1000,
    )
    applications = Application.objects.bulk_create(
        [
            Application(
                school=school,
                hub=hub,
                stage=stage,
                year=year,
                state=ApplicationState.ACCEPTED,
                once_only=stage.once_only,
                created_by=lead,
            )
            for school in school_rows
        ],
        batch_size=1000,
    )
    group_rows = WorkGroup.objects.bulk_create(
        [
            WorkGroup(
                hub=hub,
                stage=stage,
                year=year,
                number=number,
                code=WorkGroup.make_code(hub, stage, year, number),
                lead=lead,
            )
            for number in range(1, groups + 1)
        ],
        batch_size=1000,
    )
    GroupMember.objects.bulk_create(
        [
            GroupMember(
                work_group=group_rows[n // SCHOOLS_PER_GROUP],
                school=application.school,
                application=application,
                stage=stage,
                year=year,
            )
            for n, application in enumerate(applications)
        ],
        batch_size=1000,
    )
    Participant.objects.bulk_create(
        [
            Participant(
                application=applications[n // PARTICIPANTS_PER_SCHOOL],
                position=n % PARTICIPANTS_PER_SCHOOL + 1,
                name=f"Teacher {n}",
                email=f"teacher{n}-{tag}@bench.invalid",
                job_role="Class teacher",
            )
            for n in range(participants)
        ],
        batch_size=1000,
    )
    in_three_days = timezone.localdate() + timedelta(days=3)
    meetings = Meeting.objects.bulk_create(
        [
            Meeting(
                work_group=group,
                date=in_three_days,
                starts_at=clock(13, 0),
                ends_at=clock(16, 0),
                online_link="https://meet.example.org/bench",
            )
            for group in group_rows
        ],
        batch_size=1000,
    )
    return {
        "groups": groups,
        "schools": schools,
        "participants": participants,
        "meeting_ids": [m.pk for m in meetings],
    }


def _stage() -> ProgrammeStage:
    """The Development stage the migrations seed, or (in a database emptied since) one
    made for the benchmark, rolled back with everything else."""
    stage = ProgrammeStage.objects.filter(code="dwg").first()
    if stage is None:
        stage = ProgrammeStage.objects.create(
            code="bench",
            short_code="BNCH",
            name="Benchmark stage",
            order=999,
            typical_min_schools=6,
            typical_max_schools=7,
        )
    return stage


def _report(result: dict) -> str:
    count, sweep, ledger, direct = (result[k] for k in ("count", "sweep", "ledger", "direct"))
    created = result["created"]
    return "\n".join(
        [
            f"{count} meeting reminders due on {result['database']}: {created['groups']} work "
            f"groups, {created['schools']} schools, {created['participants']} participants "
            "(bulk-created, rolled back at the end)",
            f"(a) sweep + plan: {sweep['seconds']:.2f} s, {sweep['queries']} queries "
            f"({sweep['inserts']} of them INSERTs of up to 500 rows), "
            f"{sweep['planned']} notices offered in {sweep['plans']} plans",
            f"(b) through the ledger (claim, render, send, mark): {ledger['seconds']:.2f} s, "
            f"{ledger['ms_per_notice']:.2f} ms and {ledger['queries_per_notice']:.1f} queries "
            "a notice",
            f"(c) rendered and sent directly:                     {direct['seconds']:.2f} s, "
            f"{direct['ms_per_notice']:.2f} ms and {direct['queries_per_notice']:.1f} queries "
            "a notice",
            f"ledger / direct = {result['ratio']:.2f} x (target <= {result['target']:.0f} x) "
            f"{result['verdict']}",
            "Mail went to the in-memory backend, with DEBUG off while sending. "
            "Everything written was rolled back.",
        ]
    )
