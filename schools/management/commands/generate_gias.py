"""manage.py generate_gias PATH: write a realistic GIAS extract for demos and benchmarks."""

from pathlib import Path

from django.core.management.base import BaseCommand

from schools.gias_sample import HEADINGS, sample_rows, write_rows


class Command(BaseCommand):
    help = (
        "Write a made-up GIAS all-establishments extract in the real format "
        "(Windows-1252, every field quoted, dd-mm-yyyy dates, ~139 columns)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--rows", type=int, default=51000, help="establishments (51000)")
        parser.add_argument("--seed", type=int, default=1, help="the same seed, the same file")
        parser.add_argument(
            "--la-codes",
            nargs="+",
            metavar="CODE",
            help="only these local authorities, e.g. --la-codes 352 353 (default: ~150 LAs)",
        )

    def handle(self, *args, path: Path, rows: int, seed: int, la_codes, **options) -> None:
        write_rows(path, sample_rows(rows, seed=seed, la=la_codes))
        size = path.stat().st_size / 1_000_000
        self.stdout.write(
            f"Wrote {rows} establishments, {len(HEADINGS)} columns, {size:.1f} MB to {path}."
        )
