"""The three roles' everyday journeys against a portal seeded with seed_scale.

People arrive signed in: ``manage.py scale_sessions`` writes a session cookie and the
journey's addresses for each seeded person to the file named by LOAD_SESSIONS, so the
load test measures pages, not the login form (which is rate limited per IP and asks
staff for a second factor). Only GET requests: nothing is changed.

    LOAD_SESSIONS=var/loadtest/sessions.json locust -f loadtest/locustfile.py \\
        --headless -u 50 -r 10 -t 2m --host http://127.0.0.1:8765
"""

import itertools
import json
import os
from pathlib import Path

from locust import HttpUser, between, task

SESSIONS = json.loads(
    Path(os.environ.get("LOAD_SESSIONS", "var/loadtest/sessions.json")).read_text()
)
COOKIE = SESSIONS["cookie"]
PEOPLE = {role: itertools.cycle(people) for role, people in SESSIONS["roles"].items()}


class SignedInUser(HttpUser):
    abstract = True
    role = ""
    wait_time = between(1, 3)

    def on_start(self):
        person = next(PEOPLE[self.role])
        self.urls = person["urls"]
        # Sent as a header on every request: over plain http the client would not send
        # back the Secure cookie the server sets (SESSION_COOKIE_SECURE with DEBUG off).
        self.headers = {"Cookie": f"{COOKIE}={person['session']}"}

    def visit(self, page: str):
        url = self.urls.get(page)
        if url is None:
            return
        label = f"{self.role.replace('_', ' ')}: {page}"
        with self.client.get(
            url, headers=self.headers, name=label, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                where = response.headers.get("Location", "")
                response.failure(f"{response.status_code} {where}".strip())


class HubLead(SignedInUser):
    role = "hub_lead"
    weight = 1

    @task(3)
    def home(self):
        self.visit("home")

    @task(3)
    def cohort(self):
        self.visit("cohort")

    @task(2)
    def applications(self):
        self.visit("applications")

    @task(2)
    def claims(self):
        self.visit("claims")

    @task(1)
    def claim_review(self):
        self.visit("claim review")


class Headteacher(SignedInUser):
    role = "headteacher"
    weight = 2

    @task(3)
    def home(self):
        self.visit("home")

    @task(2)
    def programme(self):
        self.visit("programme")

    @task(2)
    def funding(self):
        self.visit("funding")

    @task(2)
    def school_groups(self):
        self.visit("school groups")


class Specialist(SignedInUser):
    role = "specialist"
    weight = 2

    @task(3)
    def my_groups(self):
        self.visit("my groups")

    @task(2)
    def group(self):
        self.visit("group")

    @task(2)
    def meeting_log(self):
        self.visit("meeting log")
