"""Sessions end after inactivity and after an absolute lifetime; people with two
roles switch between them, and only between their own."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from hubportal.accounts.middleware import SESSION_STARTED_KEY
from hubportal.accounts.models import Role
from hubportal.accounts.roles import SESSION_KEY
from tests.factories import DEMO_PASSWORD, HeadteacherFactory, SpecialistFactory

pytestmark = pytest.mark.django_db


# Sessions


def test_inactivity_expiry_is_configured():
    # 30 minutes, renewed by every request: a session idle for longer is gone.
    assert django_settings.SESSION_COOKIE_AGE == 30 * 60
    assert django_settings.SESSION_SAVE_EVERY_REQUEST is True
    lifetime = django_settings.SESSION_ABSOLUTE_LIFETIME
    assert lifetime == timedelta(hours=12)


def test_each_request_pushes_the_inactivity_expiry_on(client, headteacher, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client.post("/accounts/login/", {"login": headteacher.email, "password": DEMO_PASSWORD})
    session = Session.objects.get(session_key=client.session.session_key)
    first_expiry = session.expire_date
    assert first_expiry - timezone.now() == timedelta(minutes=30)

    time_machine.shift(timedelta(minutes=20))
    assert client.get("/").status_code == 200
    session.refresh_from_db()
    assert session.expire_date - first_expiry == timedelta(minutes=20)


def test_a_session_idle_past_its_age_is_signed_out(client, headteacher, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client.post("/accounts/login/", {"login": headteacher.email, "password": DEMO_PASSWORD})
    time_machine.shift(timedelta(minutes=31))
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_a_session_older_than_its_absolute_lifetime_is_signed_out(
    client, headteacher, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    client.post("/accounts/login/", {"login": headteacher.email, "password": DEMO_PASSWORD})
    # Active all day: each request comes within the 30 minutes of inactivity allowed.
    for _ in range(24):
        time_machine.shift(timedelta(minutes=29))
        response = client.get("/")
        assert response.status_code == 200
    time_machine.shift(timedelta(minutes=29))  # now 12h05m after signing in
    response = client.get("/invitations/?status=waiting")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=%2Finvitations%2F%3Fstatus%3Dwaiting"
    page = client.get(response.url)
    assert "signed in for 12 hours" in page.content.decode()
    assert not page.wsgi_request.user.is_authenticated


def test_htmx_requests_past_the_lifetime_reload_the_whole_page(client, headteacher, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client.force_login(headteacher)
    client.get("/")
    session = client.session
    session[SESSION_STARTED_KEY] = (timezone.now() - timedelta(hours=13)).timestamp()
    session.save()
    response = client.get("/schools/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith("/accounts/login/?next=")


# Switching role


@pytest.fixture
def two_roles(school, other_hub):
    """A Mastery Specialist in one hub who is also headteacher of a school in another."""
    specialist = SpecialistFactory(hub=other_hub)
    headteacher = HeadteacherFactory(user=specialist.user, school=school)
    return specialist.user, specialist, headteacher


def test_a_person_with_two_roles_switches_between_them(client, two_roles, school):
    user, specialist, headteacher = two_roles
    client.force_login(user)
    first = client.get("/")
    assert first.wsgi_request.user.active_membership == specialist

    response = client.post("/role/", {"membership": headteacher.pk, "next": "/"})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == headteacher.pk
    home = client.get("/")
    assert home.wsgi_request.user.active_membership == headteacher
    assert "accounts/home_headteacher.html" in [t.name for t in home.templates]

    client.post("/role/", {"membership": specialist.pk})
    assert client.get("/").wsgi_request.user.active_membership.role == Role.SPECIALIST


def test_someone_elses_membership_is_ignored(client, two_roles, hub_lead):
    user, specialist, _ = two_roles
    client.force_login(user)
    others = hub_lead.memberships.get()
    response = client.post("/role/", {"membership": others.pk})
    assert response.status_code == 302
    assert SESSION_KEY not in client.session
    assert client.get("/").wsgi_request.user.active_membership == specialist


@pytest.mark.parametrize("value", ["", "abc", "99999999"])
def test_nonsense_memberships_are_ignored(client, two_roles, value):
    user, specialist, _ = two_roles
    client.force_login(user)
    assert client.post("/role/", {"membership": value}).status_code == 302
    assert client.get("/").wsgi_request.user.active_membership == specialist


def test_switching_role_only_redirects_within_the_portal(client, two_roles):
    user, _, headteacher = two_roles
    client.force_login(user)
    response = client.post(
        "/role/", {"membership": headteacher.pk, "next": "https://evil.example.org/"}
    )
    assert response.url == "/"
    response = client.post("/role/", {"membership": headteacher.pk, "next": "/schools/"})
    assert response.url == "/schools/"


def test_switching_role_needs_a_post(client, two_roles):
    client.force_login(two_roles[0])
    assert client.get("/role/").status_code == 405
