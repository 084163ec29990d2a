"""The invitation email goes through the real Redis broker to a real Celery worker,
which loads the invitation from PostgreSQL and sends the mail after the commit."""

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.urls import reverse

from hubportal.accounts.models import Invitation, Role

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

INVITEE = "nadia.okafor@oakfield-primary.example.org"


def invite_headteacher(actor, school):
    from hubportal.accounts.services import invitation_create

    with transaction.atomic():
        invitation, token = invitation_create(
            actor=actor,
            email=INVITEE,
            full_name="Nadia Okafor",
            role=Role.HEADTEACHER,
            school=school,
        )
    return invitation, token


def assert_one_invitation_mail(messages, token):
    assert len(messages) == 1, [m["Subject"] for m in messages]
    message = messages[0]
    assert message["To"] == INVITEE
    accept_url = settings.SITE_URL.rstrip("/") + reverse("invitations:accept", args=[token])
    bodies = [
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    ]
    assert bodies, "the invitation has no text body"
    assert all(accept_url in body for body in bodies), bodies


def test_invitation_email_is_sent_by_the_worker_after_commit(
    celery_worker_process, hub_lead, school
):
    # Were the task queued before the commit, the worker would not find the invitation
    # and would send nothing: the mail arriving shows it was queued on commit.
    invitation, token = invite_headteacher(hub_lead, school)

    messages = celery_worker_process.wait_for_mail(1, timeout=20)

    assert_one_invitation_mail(messages, token)
    # The worker sent it: mail sent in this process would have gone to the test outbox.
    assert getattr(mail, "outbox", []) == []
    # ...and its commit (the invitation marked as mailed) is visible here.
    assert Invitation.objects.get(pk=invitation.pk).sent_at is not None


def test_worker_killed_and_restarted_still_sends_the_invitation(
    celery_worker_process, hub_lead, school
):
    killed_pid = celery_worker_process.pid

    celery_worker_process.kill()

    assert celery_worker_process.pid != killed_pid
    assert celery_worker_process.ping()
    _, token = invite_headteacher(hub_lead, school)
    assert_one_invitation_mail(celery_worker_process.wait_for_mail(1, timeout=20), token)
