"""Invitations in their states, and signing in the way a person does."""

import secrets
from datetime import timedelta

import factory
import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.utils import timezone
from factory.django import DjangoModelFactory

from hubportal.accounts.models import Invitation, Role
from tests.factories import DEMO_PASSWORD, HubLeadFactory, SchoolFactory


class WaitingInvitationFactory(DjangoModelFactory):
    """An invitation for a headteacher, sent by the hub's lead, not yet taken up.

    The link's token is on ``invitation.token`` (the database keeps only its hash)."""

    class Meta:
        model = Invitation
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"invitee{n}@school.example.org")
    full_name = factory.Sequence(lambda n: f"Invitee {n}")
    role = Role.HEADTEACHER
    school = factory.SubFactory(SchoolFactory)
    hub = factory.LazyAttribute(lambda o: o.school.hub if o.school else None)
    invited_by = factory.LazyAttribute(lambda o: HubLeadFactory(hub=o.hub).user)
    token_hash = factory.Sequence(lambda n: f"unset-{n}")
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(Invitation.default_expiry)

    @factory.post_generation
    def token(obj, create, extracted, **kwargs):
        obj.token = extracted or secrets.token_urlsafe(32)
        obj.token_hash = Invitation.hash_token(obj.token)
        if create:
            obj.save(update_fields=["token_hash"])


class ExpiredInvitationFactory(WaitingInvitationFactory):
    created_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=15))
    expires_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class AcceptedInvitationFactory(WaitingInvitationFactory):
    accepted_at = factory.LazyFunction(timezone.now)


@pytest.fixture
def sign_in_with_password(client):
    """Signs in through allauth's sign-in form, as a person does: unlike force_login,
    this records the authentication that allauth's sensitive pages look for."""

    def _sign_in(user, password=DEMO_PASSWORD):
        response = client.post("/accounts/login/", {"login": user.email, "password": password})
        assert response.status_code == 302, response.content.decode()[:2000]
        return response

    return _sign_in


@pytest.fixture
def confirm_password(client):
    """allauth asks for the password again before two-factor settings change, however
    recently the person signed in; this answers it."""

    def _confirm(next_path: str, password=DEMO_PASSWORD):
        page = client.get(f"/accounts/reauthenticate/?next={next_path}")
        assert page.status_code == 200
        response = client.post(
            "/accounts/reauthenticate/", {"password": password, "next": next_path}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response.url == next_path
        return page

    return _confirm


def current_totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


@pytest.fixture
def give_totp():
    """Turns on an authenticator app for a person; returns its secret."""

    def _give(user) -> str:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        return secret

    return _give
