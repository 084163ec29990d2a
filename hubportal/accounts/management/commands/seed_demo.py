from django.core.management.base import BaseCommand

from hubportal import demo


class Command(BaseCommand):
    help = "Loads the demo hubs, schools, people and programme (idempotent) and prints the logins."

    def handle(self, *args, **options):
        logins = demo.seed()
        width = max(len(login.email) for login in logins)
        self.stdout.write(
            self.style.SUCCESS("Demo data is ready. Sign in at http://127.0.0.1:8000/")
        )
        self.stdout.write(f"Every demo login's password: {demo.DEMO_PASSWORD}\n")
        for login in logins:
            self.stdout.write(f"  {login.email.ljust(width)}  {login.role} — {login.where}")
        self.stdout.write(
            "\nMail (invitations, sign-in codes, decisions) is written to var/mail/; a national "
            "admin reads it under Mail outbox."
        )
