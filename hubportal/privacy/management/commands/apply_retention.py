"""manage.py apply_retention [--dry-run]: the retention job, by hand."""

from django.core.management.base import BaseCommand

from hubportal.privacy.retention import retention_apply


class Command(BaseCommand):
    help = "Remove what the portal keeps no longer (see hubportal/privacy/retention.py)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be removed, and change nothing.",
        )

    def handle(self, *args, dry_run: bool = False, **options):
        counts = retention_apply(dry_run=dry_run)
        verb = "Would remove" if dry_run else "Removed"
        for kind, count in counts.items():
            self.stdout.write(f"{verb} {count} {kind.replace('_', ' ')}")
