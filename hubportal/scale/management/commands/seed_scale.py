"""manage.py seed_scale: national-scale data for benchmarks and load tests."""

from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from hubportal.scale.seed import PRESETS, SCALE_PASSWORD, DatabaseNotEmpty, seed
from hubportal.scale.seed import flush as flush_tables


class Command(BaseCommand):
    help = (
        "Seed 40 hubs, ~51,000 GIAS-like schools and five years of the primary Teaching for "
        "Mastery programme (applications, groups, meetings, attendance, claims, payments, "
        "notices) with bulk inserts. Refuses a database that holds data unless --flush."
    )

    def add_arguments(self, parser):
        parser.add_argument("--preset", choices=sorted(PRESETS), default="national")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="multiply schools, people, programme"
        )
        parser.add_argument("--hubs", type=int)
        parser.add_argument("--schools", type=int, help="GIAS establishments")
        parser.add_argument("--years", type=int, help="academic years of history")
        parser.add_argument("--per-year", type=int, help="schools in the programme a year")
        parser.add_argument("--specialists", type=int)
        parser.add_argument("--seed", type=int)
        parser.add_argument(
            "--flush", action="store_true", help="empty the portal's tables first (all data!)"
        )

    def handle(self, *args, preset, scale, flush: bool, **options):
        size = PRESETS[preset]
        if scale != 1.0:
            size = size.scaled(scale)
        chosen = {
            name: options[name]
            for name in ("hubs", "schools", "years", "per_year", "specialists", "seed")
            if options.get(name) is not None
        }
        size = replace(size, **chosen)
        if size.hubs < 1 or size.years < 1 or size.schools < size.hubs:
            raise CommandError("Give at least one hub, one year and a school per hub.")
        database = connection.settings_dict["NAME"]
        if flush:
            self.stdout.write(f"Emptying the portal's tables in {database}...")
            flush_tables()
        self.stdout.write(f"Seeding {database} ({connection.vendor}): {size}")
        try:
            report = seed(size, stdout=self.stdout)
        except DatabaseNotEmpty as error:
            raise CommandError(f"{error} Run with --flush to empty it first.") from error
        width = max(len(name) for name in report.counts)
        for name, count in report.counts.items():
            self.stdout.write(f"  {name:<{width}}  {count:>9,}")
        self.stdout.write(
            f"Seeded in {report.seconds:.1f}s. Every seeded person's password: {SCALE_PASSWORD}"
        )
        self.stdout.write(f"National admin: {report.logins['national_admin'][0]}")
        for role in ("hub_lead", "headteacher", "specialist"):
            if report.logins.get(role):
                self.stdout.write(f"A {role.replace('_', ' ')}: {report.logins[role][0]}")
