"""The invitation pages: the list and the form for hub staff, and the accept page
for the person invited."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hubportal.accounts.models import Invitation, Role, User
from tests.accounts.conftest import (
    AcceptedInvitationFactory,
    ExpiredInvitationFactory,
    WaitingInvitationFactory,
)
from tests.factories import (
    ClosedSchoolFactory,
    HeadteacherFactory,
    HubLeadFactory,
    SchoolFactory,
    SpecialistFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Long enough pass phrase 42"


# Who may use the staff pages


@pytest.mark.parametrize("path", ["/invitations/", "/invitations/new/"])
@pytest.mark.parametrize("who", ["headteacher", "specialist"])
def test_headteachers_and_specialists_get_403(client, request, who, path):
    client.force_login(request.getfixturevalue(who))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/invitations/", "/invitations/new/"])
def test_signed_out_people_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


# The list


def test_hub_lead_sees_their_hubs_invitations_with_status(client, hub_lead, school, other_school):
    WaitingInvitationFactory(school=school, full_name="Waiting Wendy", invited_by=hub_lead)
    AcceptedInvitationFactory(school=school, full_name="Accepted Alan", invited_by=hub_lead)
    ExpiredInvitationFactory(school=school, full_name="Expired Eve", invited_by=hub_lead)
    WaitingInvitationFactory(school=other_school, full_name="Other Hub Olive")
    client.force_login(hub_lead)
    html = client.get("/invitations/").content.decode()
    assert "Waiting Wendy" in html
    assert "Accepted Alan" in html
    assert "Expired Eve" in html
    assert "Other Hub Olive" not in html
    assert re.search(r'govuk-tag--green">Accepted<', html)
    assert re.search(r'govuk-tag--grey">Expired<', html)
    assert re.search(r'govuk-tag--blue">Waiting<', html)


def test_the_list_filters_by_status(client, hub_lead, school):
    WaitingInvitationFactory(school=school, full_name="Waiting Wendy", invited_by=hub_lead)
    ExpiredInvitationFactory(school=school, full_name="Expired Eve", invited_by=hub_lead)
    client.force_login(hub_lead)
    html = client.get("/invitations/?status=expired").content.decode()
    assert "Expired Eve" in html
    assert "Waiting Wendy" not in html


def test_national_admin_sees_every_hubs_invitations(client, national_admin, school, other_school):
    WaitingInvitationFactory(school=school, full_name="Waiting Wendy")
    WaitingInvitationFactory(school=other_school, full_name="Other Hub Olive")
    client.force_login(national_admin)
    html = client.get("/invitations/").content.decode()
    assert "Waiting Wendy" in html
    assert "Other Hub Olive" in html


def test_the_list_is_paginated_fifty_a_page(client, hub_lead, school):
    for _ in range(51):
        WaitingInvitationFactory(school=school, invited_by=hub_lead)
    client.force_login(hub_lead)
    first = client.get("/invitations/")
    assert len(first.context["page"]) == 50
    assert "Invitations 1 to 50 of 51" in first.content.decode()
    second = client.get("/invitations/?page=2")
    assert len(second.context["page"]) == 1


def test_the_list_runs_the_same_queries_for_more_rows(
    client, hub_lead, school, django_assert_num_queries
):
    client.force_login(hub_lead)
    for _ in range(2):
        WaitingInvitationFactory(school=school, invited_by=hub_lead)
    client.get("/invitations/")  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get("/invitations/")
    for _ in range(20):
        WaitingInvitationFactory(school=SchoolFactory(hub=school.hub), invited_by=hub_lead)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get("/invitations/")


# The form


def test_hub_lead_is_offered_only_headteacher_and_specialist(client, hub_lead):
    client.force_login(hub_lead)
    response = client.get("/invitations/new/")
    html = response.content.decode()
    assert re.findall(r'name="role" type="radio" value="(\w+)"', html) == [
        Role.HEADTEACHER,
        Role.SPECIALIST,
    ]
    assert 'name="hub"' not in html  # their own hub, nothing to choose
    assert [h.strip() for h in re.findall(r"<h1[^>]*>(.*?)</h1>", html)] == ["Invite someone"]


def test_national_admin_is_offered_hub_lead_and_a_hub(client, national_admin, hub):
    client.force_login(national_admin)
    html = client.get("/invitations/new/").content.decode()
    assert 'value="hub_lead"' in html
    assert f'<option value="{hub.pk}">{hub.name}</option>' in html


def test_hub_lead_invites_a_headteacher_by_urn_and_the_mail_goes_out(
    client, hub_lead, school, django_capture_on_commit_callbacks
):
    client.force_login(hub_lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/invitations/new/",
            {
                "full_name": "Grace Hopper",
                "email": "Grace@School.example.org",
                "role": Role.HEADTEACHER,
                "school_urn": str(school.urn),
            },
        )
    assert response.status_code == 302
    assert response.url == "/invitations/"
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.school) == ("grace@school.example.org", school)
    (message,) = mail.outbox
    assert message.to == ["grace@school.example.org"]
    assert re.search(r"/invitations/accept/[\w-]+/", message.body)
    assert "Invitation sent to Grace Hopper" in client.get(response.url).content.decode()


def test_hub_lead_posting_a_hub_lead_role_gets_a_form_error(client, hub_lead):
    client.force_login(hub_lead)
    response = client.post(
        "/invitations/new/",
        {"full_name": "A Lead", "email": "lead@example.org", "role": Role.HUB_LEAD},
    )
    assert response.status_code == 200
    assert "Select one of the roles you can invite people to" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_school_of_another_hub_is_refused_beside_the_urn(client, hub_lead, hub, other_school):
    client.force_login(hub_lead)
    response = client.post(
        "/invitations/new/",
        {
            "full_name": "Grace Hopper",
            "email": "grace@example.org",
            "role": Role.HEADTEACHER,
            "school_urn": str(other_school.urn),
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f"No school in {hub.name} has URN {other_school.urn}" in html
    assert '<p id="id_school_urn-error" class="govuk-error-message">' in html
    assert 'href="#id_school_urn"' in html  # in the error summary
    # What was typed stays.
    assert 'value="Grace Hopper"' in html
    assert 'value="grace@example.org"' in html
    assert f'value="{other_school.urn}"' in html
    assert re.search(r'value="headteacher" checked', html)
    assert not Invitation.objects.exists()


def test_a_closed_school_and_a_missing_urn_are_refused(client, hub_lead, hub):
    closed = ClosedSchoolFactory(hub=hub)
    client.force_login(hub_lead)
    data = {"full_name": "G H", "email": "g@example.org", "role": Role.HEADTEACHER}
    missing = client.post("/invitations/new/", data).content.decode()
    assert "Enter the URN of the headteacher&#x27;s school" in missing
    closed_page = client.post(
        "/invitations/new/", data | {"school_urn": str(closed.urn)}
    ).content.decode()
    assert "is closed" in closed_page
    assert not Invitation.objects.exists()


def test_national_admin_invites_a_hub_lead(client, national_admin, hub):
    client.force_login(national_admin)
    response = client.post(
        "/invitations/new/",
        {"full_name": "Lead", "email": "lead@example.org", "role": Role.HUB_LEAD, "hub": hub.pk},
    )
    assert response.status_code == 302
    assert Invitation.objects.get().hub == hub


def test_hub_lead_invitation_without_a_hub_is_refused(client, national_admin):
    client.force_login(national_admin)
    response = client.post(
        "/invitations/new/",
        {"full_name": "Lead", "email": "lead@example.org", "role": Role.HUB_LEAD},
    )
    assert '<p id="id_hub-error" class="govuk-error-message">' in response.content.decode()


def test_someone_holding_the_role_already_is_refused_beside_the_email(client, hub_lead, school):
    existing = HeadteacherFactory(school=school).user
    client.force_login(hub_lead)
    response = client.post(
        "/invitations/new/",
        {
            "full_name": "Again",
            "email": existing.email,
            "role": Role.HEADTEACHER,
            "school_urn": str(school.urn),
        },
    )
    assert '<p id="id_email-error" class="govuk-error-message">' in response.content.decode()


# Accepting


def accept_url(invitation) -> str:
    return f"/invitations/accept/{invitation.token}/"


def test_accept_page_shows_the_form_with_the_invited_name(client, school):
    invitation = WaitingInvitationFactory(school=school, full_name="Grace Hopper")
    response = client.get(accept_url(invitation))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Grace Hopper"' in html
    assert invitation.email in html
    assert school.name in html
    for label in ("Full name", "Create a password", "Confirm your password"):
        assert f">{label}</label>" in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_accepting_signs_the_person_in_and_lands_on_their_home_page(client, school):
    invitation = WaitingInvitationFactory(school=school)
    response = client.post(
        accept_url(invitation),
        {"full_name": "Grace Hopper", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == "/"
    home = client.get("/")
    user = User.objects.get(email=invitation.email)
    assert home.wsgi_request.user == user
    assert home.status_code == 200
    assert "accounts/home_headteacher.html" in [t.name for t in home.templates]
    assert "You are signed in as Grace Hopper." in home.content.decode()


def test_accept_form_keeps_what_was_typed_and_shows_errors_beside_fields(client, school):
    invitation = WaitingInvitationFactory(school=school)
    response = client.post(
        accept_url(invitation),
        {"full_name": "Grace Hopper", "password1": GOOD_PASSWORD, "password2": "different"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Grace Hopper"' in html
    assert '<p id="id_password2-error" class="govuk-error-message">' in html
    assert "The passwords do not match" in html
    assert 'href="#id_password2"' in html
    assert GOOD_PASSWORD not in html  # passwords are never sent back
    invitation.refresh_from_db()
    assert not invitation.is_used


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "This password is too short. It must contain at least 10 characters."),
        ("1234567890123", "This password is entirely numeric."),
        ("password123", "This password is too common."),
    ],
)
def test_accept_applies_the_password_validators(client, school, password, message):
    invitation = WaitingInvitationFactory(school=school)
    response = client.post(
        accept_url(invitation),
        {"full_name": "Grace Hopper", "password1": password, "password2": password},
    )
    html = response.content.decode()
    assert '<p id="id_password1-error" class="govuk-error-message">' in html
    assert message in html
    assert not User.objects.filter(email=invitation.email).exists()


def test_a_password_like_the_persons_email_is_refused(client, school):
    invitation = WaitingInvitationFactory(school=school, email="gracehopper@example.org")
    response = client.post(
        accept_url(invitation),
        {"full_name": "Grace Hopper", "password1": "gracehopper1", "password2": "gracehopper1"},
    )
    assert "too similar" in response.content.decode()


def test_a_missing_name_is_refused(client, school):
    invitation = WaitingInvitationFactory(school=school)
    response = client.post(
        accept_url(invitation),
        {"full_name": "", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert '<p id="id_full_name-error" class="govuk-error-message">' in response.content.decode()


def test_an_expired_link_says_so_with_410(client):
    invitation = ExpiredInvitationFactory()
    for response in (
        client.get(accept_url(invitation)),
        client.post(
            accept_url(invitation),
            {"full_name": "X", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
        ),
    ):
        assert response.status_code == 410
        assert "This invitation has expired" in response.content.decode()
    assert not User.objects.filter(email=invitation.email).exists()


def test_a_used_link_says_so_with_410(client, school):
    invitation = WaitingInvitationFactory(school=school)
    data = {"full_name": "Grace", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    assert client.post(accept_url(invitation), data).status_code == 302
    client.logout()
    again = client.post(accept_url(invitation), data)
    assert again.status_code == 410
    assert "This invitation has already been used" in again.content.decode()
    assert client.get(accept_url(invitation)).status_code == 410


def test_an_unknown_link_is_a_404_page_with_a_message(client):
    response = client.get("/invitations/accept/not-a-real-token/")
    assert response.status_code == 404
    assert "This invitation link does not work" in response.content.decode()


def test_someone_with_an_account_accepts_without_a_new_password(client, hub, school):
    specialist = SpecialistFactory(hub=hub).user
    invitation = WaitingInvitationFactory(school=school, email=specialist.email)
    page = client.get(accept_url(invitation)).content.decode()
    assert "You already have an account" in page
    assert 'name="password1"' not in page
    response = client.post(accept_url(invitation), {"full_name": specialist.full_name})
    assert response.status_code == 302
    home = client.get("/")
    assert home.wsgi_request.user == specialist
    # They arrive acting in the role they were just given.
    assert home.wsgi_request.user.active_membership.role == Role.HEADTEACHER


def test_accepting_while_signed_in_as_someone_else_signs_them_out_first(client, school):
    other = UserFactory()
    HubLeadFactory(hub=school.hub, user=other)
    client.force_login(other)
    invitation = WaitingInvitationFactory(school=school)
    client.post(
        accept_url(invitation),
        {"full_name": "New Head", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
    )
    assert client.get("/").wsgi_request.user.email == invitation.email
