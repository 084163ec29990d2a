"""manage.py bench: server time and queries of the main pages, against the Django admin."""

import json
import platform
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from hubportal.scale import bench


class Command(BaseCommand):
    help = (
        "Time the portal's main pages (median and p95 of --requests requests after warm-up, "
        "DEBUG off) and count their SQL queries; compare the cohort page, the claims list "
        "and the school directory with Django admin changelists of the same rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=30)
        parser.add_argument("--warmup", type=int, default=3)
        parser.add_argument(
            "--json", type=Path, dest="json_path", help="also write the figures to this file"
        )

    def handle(self, *args, requests: int, warmup: int, json_path: Path | None, **options):
        if requests < 1:
            raise CommandError("--requests must be at least 1.")
        try:
            result = bench.run(
                requests=requests,
                warmup=warmup,
                progress=lambda text: self.stderr.write(f"  {text}"),
            )
        except bench.BenchError as error:
            raise CommandError(str(error)) from error
        database = f"{connection.vendor} {connection.settings_dict['NAME']}"
        self.stdout.write(
            f"{requests} requests a page after {warmup} to warm up; database {database}\n"
        )
        self.stdout.write(bench.table(result))
        if json_path is not None:
            figures = bench.as_json(result) | {
                "database": database,
                "python": platform.python_version(),
            }
            json_path.write_text(json.dumps(figures, indent=2))
            self.stdout.write(f"\nWrote {json_path}")
