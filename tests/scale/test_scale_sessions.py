"""manage.py scale_sessions: signed-in sessions whose journeys' pages all open."""

import json
from io import StringIO

from django.core.management import call_command
from django.test import Client


def test_each_role_gets_sessions_whose_every_journey_page_opens(seeded, tmp_path):
    path = tmp_path / "sessions.json"
    call_command("scale_sessions", "--per-role", "2", "--out", str(path), stdout=StringIO())
    sessions = json.loads(path.read_text())
    assert set(sessions["roles"]) == {"hub_lead", "headteacher", "specialist"}
    for role, people in sessions["roles"].items():
        assert 1 <= len(people) <= 2, role
        for person in people:
            client = Client()
            client.cookies[sessions["cookie"]] = person["session"]
            for page, url in person["urls"].items():
                response = client.get(url)
                assert response.status_code == 200, (role, page, url)


def test_a_session_is_not_a_sign_in_for_anyone_else(seeded, tmp_path):
    path = tmp_path / "sessions.json"
    call_command("scale_sessions", "--per-role", "1", "--out", str(path), stdout=StringIO())
    sessions = json.loads(path.read_text())
    client = Client()
    client.cookies[sessions["cookie"]] = "not-a-session"
    url = sessions["roles"]["hub_lead"][0]["urls"]["claims"]
    assert client.get(url).status_code == 302
