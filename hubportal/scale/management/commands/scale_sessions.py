"""manage.py scale_sessions: signed-in sessions for the load test to use."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hubportal.scale.sessions import signed_in


class Command(BaseCommand):
    help = (
        "Sign in --per-role seeded hub leads, headteachers and specialists (server-side "
        "sessions, no login form) and write their session cookies and journeys' addresses "
        "to --out for loadtest/locustfile.py. The server must use the same SECRET_KEY."
    )

    def add_arguments(self, parser):
        parser.add_argument("--per-role", type=int, default=50)
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args, per_role: int, out: Path, **options):
        sessions = signed_in(per_role)
        empty = [role for role, people in sessions["roles"].items() if not people]
        if empty:
            raise CommandError(f"No seeded people for: {', '.join(empty)}. Run seed_scale.")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(sessions, indent=1))
        counts = ", ".join(f"{len(p)} {r}" for r, p in sessions["roles"].items())
        self.stdout.write(f"Signed in {counts}; wrote {out}")
