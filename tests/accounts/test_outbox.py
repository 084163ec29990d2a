"""The mail outbox: national admins read what the file mail backend wrote."""

import os
import time

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from hubportal.accounts import services
from hubportal.accounts.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_dir(settings, tmp_path):
    """Mail written as files, as the laptop demo does."""
    directory = tmp_path / "mail"
    settings.MAIL_DIR = str(directory)
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(directory)},
        }
    }
    return directory


def write_mail(subject: str, to: str, body: str = "Hello") -> None:
    message = EmailMultiAlternatives(subject=subject, body=body, to=[to])
    message.attach_alternative(f"<p>{body}</p>", "text/html")
    message.send()


@pytest.mark.parametrize("who", ["hub_lead", "headteacher", "specialist"])
def test_only_national_admins_may_read_the_outbox(client, request, who, mail_dir):
    write_mail("Secret", "x@example.org")
    (name,) = os.listdir(mail_dir)
    client.force_login(request.getfixturevalue(who))
    assert client.get("/invitations/outbox/").status_code == 403
    assert client.get(f"/invitations/outbox/{name}/0/").status_code == 403


def test_the_outbox_lists_messages_newest_first(client, national_admin, mail_dir):
    write_mail("First message", "one@example.org")
    time.sleep(1.1)  # Date headers have one-second resolution
    # Two messages written through one connection share a file.
    mail.mailers.default.send_messages(
        [
            EmailMultiAlternatives(subject="Second message", body="b", to=["two@example.org"]),
            EmailMultiAlternatives(subject="Third message", body="c", to=["three@example.org"]),
        ]
    )
    client.force_login(national_admin)
    response = client.get("/invitations/outbox/")
    assert response.status_code == 200
    subjects = [m.subject for m in response.context["page"]]
    assert subjects == ["Third message", "Second message", "First message"]
    html = response.content.decode()
    assert "three@example.org" in html
    assert "Messages 1 to 3 of 3, newest first" in html


def test_the_outbox_is_paginated(client, national_admin, mail_dir):
    mail.mailers.default.send_messages(
        [
            EmailMultiAlternatives(subject=f"Message {n}", body="b", to=["a@example.org"])
            for n in range(51)
        ]
    )
    client.force_login(national_admin)
    assert len(client.get("/invitations/outbox/").context["page"]) == 50
    assert len(client.get("/invitations/outbox/?page=2").context["page"]) == 1


def test_a_message_shows_its_text_and_links(
    client, national_admin, hub_lead, school, mail_dir, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    with django_capture_on_commit_callbacks(execute=True):
        _, token = services.invitation_create(
            actor=hub_lead,
            email="head@school.example.org",
            full_name="Grace Hopper",
            role=Role.HEADTEACHER,
            school=school,
        )
    client.force_login(national_admin)
    listing = client.get("/invitations/outbox/")
    (entry,) = listing.context["page"]
    assert entry.to == "head@school.example.org"
    html = listing.content.decode()
    url = f"/invitations/outbox/{entry.filename}/0/"
    assert f'href="{url}"' in html

    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    link = f"http://127.0.0.1:8000/invitations/accept/{token}/"
    assert f'<a class="govuk-link" href="{link}">{link}</a>' in body
    assert "Dear Grace Hopper," in body
    assert "head@school.example.org" in body


@pytest.mark.parametrize(
    "path",
    [
        "/invitations/outbox/..%2F..%2Fsettings.py/0/",
        "/invitations/outbox/../0/",
        "/invitations/outbox/nothere.log/0/",
        "/invitations/outbox/%2Fetc%2Fpasswd/0/",
    ],
)
def test_only_files_of_the_outbox_can_be_opened(client, national_admin, mail_dir, path):
    write_mail("Real", "x@example.org")
    (mail_dir.parent / "outside.log").write_text("Subject: not in the outbox\n\nsecret")
    client.force_login(national_admin)
    assert client.get(path).status_code == 404
    assert client.get("/invitations/outbox/..%2Foutside.log/0/").status_code == 404


def test_a_message_number_past_the_end_is_404(client, national_admin, mail_dir):
    write_mail("Only one", "x@example.org")
    (name,) = os.listdir(mail_dir)
    client.force_login(national_admin)
    assert client.get(f"/invitations/outbox/{name}/0/").status_code == 200
    assert client.get(f"/invitations/outbox/{name}/1/").status_code == 404


def test_a_missing_folder_is_an_empty_outbox(client, national_admin, settings, tmp_path):
    settings.MAIL_DIR = str(tmp_path / "never-created")
    client.force_login(national_admin)
    response = client.get("/invitations/outbox/")
    assert response.status_code == 200
    assert "The outbox is empty" in response.content.decode()
