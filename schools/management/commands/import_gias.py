"""manage.py import_gias PATH [--dry-run] [--strict]: load the GIAS all-establishments CSV."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schools.gias import GiasFileError, ImportReport, gias_import


class Command(BaseCommand):
    help = (
        "Import the GIAS all-establishments extract (Windows-1252 CSV) into schools, by URN. "
        "Exits with status 1 when the file is refused or any row is rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the extract, e.g. edubasealldata20260101.csv")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the file and report what would change, writing nothing",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="write nothing at all if any row is rejected",
        )

    def handle(self, *args, path: Path, dry_run: bool, strict: bool, **options) -> None:
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            report = gias_import(path, dry_run=dry_run, strict=strict)
        except GiasFileError as exc:
            raise CommandError(f"Refused {path.name}: {exc}. Nothing was written.") from exc
        self.stdout.write(summary(report, path.name))
        if report.rejected:
            count = len(report.rejected)
            rows = "row was" if count == 1 else "rows were"
            written = "nothing was written" if strict else "the other rows were imported"
            if dry_run:
                written = "dry run, nothing was written"
            raise CommandError(f"{count} {rows} rejected ({written}).")


def summary(report: ImportReport, name: str) -> str:
    """The report as people read it: counts first, then one line per rejected row."""
    if report.dry_run:
        heading = f"Dry run of {name}: nothing was written; this is what would change."
    elif report.strict and report.rejected:
        heading = f"Strict import of {name}: rows were rejected, so nothing was written."
    else:
        heading = f"Imported {name}."
    lines = [
        heading,
        f"rows read: {report.rows}",
        f"created:   {report.created}",
        f"updated:   {report.updated}",
        f"unchanged: {report.unchanged}",
        f"rejected:  {len(report.rejected)}",
    ]
    lines += [f"  line {r.line}, URN {r.urn or '(none)'}: {r.reason}" for r in report.rejected]
    if report.hubs_changed:
        lines.append(f"schools moved to the hub that covers their LA: {report.hubs_changed}")
    if report.missing_optional:
        missing = ", ".join(report.missing_optional)
        lines.append(f"columns not in this file, left as they were: {missing}")
    if not (report.created or report.updated or report.rejected):
        lines.append("Unchanged: every school already matched the file.")
    return "\n".join(lines)
