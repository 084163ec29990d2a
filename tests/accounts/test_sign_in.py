"""allauth's pages in the portal's GOV.UK layout: sign-in by password and by emailed
code, password reset, email confirmation, sign-out, closed sign-up; and the limit on
failed sign-ins."""

import re

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.core import mail

from tests.factories import DEMO_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def h1s(response) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S)


def assert_portal_page(response, heading: str) -> None:
    """The page is the portal's layout, with exactly one h1, and offers no sign-up."""
    html = response.content.decode()
    assert 'class="govuk-template__body"' in html
    assert [h.strip() for h in h1s(response)] == [heading]
    assert "/accounts/signup/" not in html
    assert "sign up" not in html.lower()


def test_sign_in_page_has_the_labels_and_button_people_rely_on(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert_portal_page(response, "Sign in")
    html = response.content.decode()
    assert re.search(r'<label class="govuk-label" for="id_login">\s*Email\s*</label>', html)
    assert re.search(r'<label class="govuk-label" for="id_password">\s*Password\s*</label>', html)
    assert re.search(
        r'<input class="govuk-input[^"]*" id="id_login" name="login" type="email"', html
    )
    assert re.search(r'<button type="submit" class="govuk-button"[^>]*>Sign in</button>', html)
    assert "<title>Sign in – Maths Hubs Programme Portal</title>" in html


def test_signing_in_with_the_right_password_lands_on_home(client):
    user = UserFactory(email="head@school.example.org")
    response = client.post(
        "/accounts/login/", {"login": "Head@School.example.org", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").wsgi_request.user == user


def test_a_wrong_password_shows_the_error_summary_and_keeps_the_email(client):
    UserFactory(email="head@school.example.org")
    response = client.post(
        "/accounts/login/", {"login": "head@school.example.org", "password": "wrong"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="govuk-error-summary"' in html
    assert "The email address and/or password you specified are not correct." in html
    assert 'href="#id_login"' in html
    assert 'value="head@school.example.org"' in html
    assert "<title>Sign in (error)" in html


def test_a_missing_field_has_its_error_beside_it(client):
    response = client.post("/accounts/login/", {"login": "head@school.example.org"})
    html = response.content.decode()
    assert re.search(
        r'<div class="govuk-form-group govuk-form-group--error">\s*'
        r'<label class="govuk-label" for="id_password">',
        html,
    )
    assert '<p id="id_password-error" class="govuk-error-message">' in html
    assert 'aria-describedby="id_password-error"' in html


def test_five_failed_sign_ins_lock_the_address_even_for_the_right_password(client, settings):
    # login_failed allows 5 failures per address in 5 minutes (and 10 a minute per IP).
    assert "5/5m/key" in settings.ACCOUNT_RATE_LIMITS["login_failed"]
    UserFactory(email="head@school.example.org")
    for _ in range(5):
        response = client.post(
            "/accounts/login/", {"login": "head@school.example.org", "password": "wrong"}
        )
        assert "not correct" in response.content.decode()
    response = client.post(
        "/accounts/login/", {"login": "head@school.example.org", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_failed_sign_ins_for_one_address_do_not_lock_another(client):
    UserFactory(email="head@school.example.org")
    UserFactory(email="other@school.example.org")
    for _ in range(5):
        client.post("/accounts/login/", {"login": "head@school.example.org", "password": "x"})
    response = client.post(
        "/accounts/login/", {"login": "other@school.example.org", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_signing_in_by_emailed_code(client, settings):
    settings.SITE_URL = "http://testserver"
    user = UserFactory(email="head@school.example.org")
    response = client.get("/accounts/login/code/")
    assert_portal_page(response, "Get a sign-in code by email")
    assert re.search(r'for="id_email">\s*Email\s*</label>', response.content.decode())

    response = client.post("/accounts/login/code/", {"email": "head@school.example.org"})
    assert response.status_code == 302
    confirm = client.get(response.url)
    assert_portal_page(confirm, "Enter your sign-in code")
    assert "head@school.example.org" in confirm.content.decode()

    (message,) = mail.outbox
    assert message.subject.endswith("Your sign-in code")
    code = re.search(r"^\s*([A-Z0-9-]{6,})\s*$", message.body, re.M).group(1)
    response = client.post(response.url, {"code": code})
    assert response.status_code == 302
    assert client.get("/").wsgi_request.user == user


def test_a_wrong_code_is_shown_beside_the_field(client):
    UserFactory(email="head@school.example.org")
    response = client.post("/accounts/login/code/", {"email": "head@school.example.org"})
    confirm = client.post(response.url, {"code": "WRONG1"})
    html = confirm.content.decode()
    assert 'class="govuk-error-summary"' in html
    assert '<p id="id_code-error" class="govuk-error-message">' in html


def test_password_reset_journey(client):
    user = UserFactory(email="head@school.example.org")
    response = client.get("/accounts/password/reset/")
    assert_portal_page(response, "Reset your password")

    response = client.post("/accounts/password/reset/", {"email": "head@school.example.org"})
    assert response.status_code == 302
    assert_portal_page(client.get(response.url), "Check your email")

    (message,) = mail.outbox
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+", message.body).group(0)
    path = (
        link.split("testserver", 1)[1]
        if "testserver" in link
        else re.sub(r"^https?://[^/]+", "", link)
    )
    response = client.get(path, follow=True)
    assert_portal_page(response, "Choose a new password")
    form_path = response.redirect_chain[-1][0] if response.redirect_chain else path

    mismatch = client.post(form_path, {"password1": "Brand new pass 2026", "password2": "other"})
    assert '<p id="id_password2-error" class="govuk-error-message">' in mismatch.content.decode()

    response = client.post(
        form_path, {"password1": "Brand new pass 2026", "password2": "Brand new pass 2026"}
    )
    assert response.status_code == 302
    assert_portal_page(client.get(response.url), "Your password has been changed")
    user.refresh_from_db()
    assert user.check_password("Brand new pass 2026")


def test_a_used_reset_link_says_so(client):
    response = client.get("/accounts/password/reset/key/1-set-password/")
    assert_portal_page(response, "This link does not work")


def test_email_confirmation_pages(client):
    user = UserFactory(email="head@school.example.org", verified=False)
    EmailAddress.objects.filter(user=user).delete()
    address = EmailAddress.objects.create(user=user, email=user.email, verified=False)
    key = EmailConfirmationHMAC(address).key
    response = client.get(f"/accounts/confirm-email/{key}/")
    assert_portal_page(response, "Confirm your email address")
    response = client.post(f"/accounts/confirm-email/{key}/")
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified

    bad = client.get("/accounts/confirm-email/nonsense/")
    assert_portal_page(bad, "This link does not work")


def test_verification_sent_page(client):
    response = client.get("/accounts/confirm-email/")
    assert_portal_page(response, "Confirm your email address")


def test_sign_out_page_and_sign_out(client):
    client.force_login(UserFactory())
    response = client.get("/accounts/logout/")
    assert_portal_page(response, "Sign out")
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert not client.get("/accounts/login/").wsgi_request.user.is_authenticated


def test_sign_up_is_closed_and_says_how_to_get_in(client):
    response = client.get("/accounts/signup/")
    assert_portal_page(response, "The portal is by invitation")
    response = client.post(
        "/accounts/signup/",
        {"email": "x@example.org", "password1": DEMO_PASSWORD, "password2": DEMO_PASSWORD},
    )
    assert not EmailAddress.objects.filter(email="x@example.org").exists()


def test_mail_to_an_unknown_address_does_not_invite_sign_up(client):
    client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    (message,) = mail.outbox
    assert "sign up" not in message.body.lower()
    assert "invite" in message.body


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/accounts/password/change/", "Change your password"),
        ("/accounts/email/", "Email Addresses"),  # allauth's page, in GOV.UK elements
        ("/accounts/2fa/", "Sign-in security"),
    ],
)
def test_account_management_pages_are_in_the_portal_layout(client, path, heading):
    client.force_login(UserFactory())
    response = client.get(path)
    assert response.status_code == 200
    assert_portal_page(response, heading)
    assert 'class="govuk-button' in response.content.decode()


def test_changing_the_password_shows_errors_beside_the_fields(client):
    client.force_login(UserFactory())
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "wrong", "password1": "short", "password2": "other"},
    )
    html = response.content.decode()
    assert 'class="govuk-error-summary"' in html
    assert '<p id="id_oldpassword-error" class="govuk-error-message">' in html
