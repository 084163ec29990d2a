"""A hub lead invites a headteacher, who takes the invitation up, in headless Chromium,
with axe (WCAG 2.2 AA) run on every page visited.

The live server runs in a thread of this process, so the invitation mail (locmem
backend, Celery eager) lands in this process's ``django.core.mail.outbox``."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.factories import (
    DEMO_PASSWORD,
    HeadteacherFactory,
    HubAreaFactory,
    HubFactory,
    HubLeadFactory,
    SchoolFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Counting on 7 squares"


@pytest.fixture
def staff_mfa_off(settings):
    # Two-factor sign-in for hub leads has its own tests; this journey is about invitations.
    settings.REQUIRE_STAFF_MFA = False


@pytest.fixture
def abacus():
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    school = SchoolFactory(hub=hub, urn=105001, name="Oakwood Primary School")
    lead = HubLeadFactory(
        hub=hub, user=UserFactory(email="lead@abacus.example", full_name="Hannah Lead")
    ).user
    return hub, school, lead


def invitation_link(live_server) -> str:
    """The accept link from the one mail sent, pointed at the test's server (the mail
    uses SITE_URL)."""
    (message,) = mail.outbox
    match = re.search(r"https?://\S+?(/invitations/accept/[\w-]+/)", message.body)
    assert match, message.body
    return live_server.url + match.group(1)


@pytest.mark.usefixtures("staff_mfa_off")
def test_hub_lead_invites_a_headteacher_who_sets_a_password_and_arrives_home(
    page, browser, live_server, sign_in, axe, abacus
):
    hub, school, lead = abacus

    sign_in(lead.email, DEMO_PASSWORD, axe_check=axe)
    expect(page).to_have_url(f"{live_server.url}/")
    axe(page)

    page.get_by_role("link", name="Invitations", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitations")
    expect(page.get_by_text("No invitations yet.")).to_be_visible()
    axe(page)

    page.get_by_role("button", name="Invite someone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite someone")
    axe(page)

    # Sending it empty shows the errors, at the top and beside each field.
    page.get_by_role("button", name="Send invitation").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter the person's full name")
    expect(summary).to_contain_text("Select the role to invite the person to")
    expect(page.locator("#id_email-error")).to_contain_text("Enter the person's email address")
    expect(page).to_have_title(re.compile(r"\(error\)"))
    axe(page)

    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Email address").fill("grace.hopper@oakwood.example")
    page.get_by_label("Headteacher", exact=True).check()
    page.get_by_label("School URN").fill("105001")
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Invitations")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Invitation sent to Grace Hopper (grace.hopper@oakwood.example)"
    )
    row = page.locator("tbody tr").filter(has_text="Grace Hopper")
    expect(row).to_contain_text("Oakwood Primary School")
    expect(row).to_contain_text("Waiting")
    axe(page)

    link = invitation_link(live_server)

    # The headteacher, in a browser of their own.
    context = browser.new_context()
    try:
        head_page = context.new_page()
        head_page.goto(link)
        expect(head_page.get_by_role("heading", level=1)).to_have_text("Accept your invitation")
        expect(head_page.get_by_text("grace.hopper@oakwood.example")).to_be_visible()
        expect(head_page.get_by_label("Full name")).to_have_value("Grace Hopper")
        axe(head_page)

        # Passwords that differ are caught beside the field, and the name stays.
        head_page.get_by_label("Create a password").fill(NEW_PASSWORD)
        head_page.get_by_label("Confirm your password").fill("something else")
        head_page.get_by_role("button", name="Create your account").click()
        expect(head_page.locator("#id_password2-error")).to_contain_text(
            "The passwords do not match"
        )
        expect(head_page.get_by_label("Full name")).to_have_value("Grace Hopper")
        axe(head_page)

        head_page.get_by_label("Create a password").fill(NEW_PASSWORD)
        head_page.get_by_label("Confirm your password").fill(NEW_PASSWORD)
        head_page.get_by_role("button", name="Create your account").click()

        expect(head_page).to_have_url(f"{live_server.url}/")
        expect(head_page.locator(".govuk-notification-banner")).to_contain_text(
            "You are signed in as Grace Hopper."
        )
        expect(head_page.locator("main")).to_contain_text("Oakwood Primary School")
        expect(head_page.get_by_role("button", name="Sign out")).to_be_visible()
        axe(head_page)

        # The link has done its work.
        head_page.goto(link)
        expect(head_page.get_by_role("heading", level=1)).to_have_text(
            "This invitation has already been used"
        )
        axe(head_page)
    finally:
        context.close()

    # Back with the hub lead: the invitation shows as accepted.
    page.reload()
    expect(page.locator("tbody tr").filter(has_text="Grace Hopper")).to_contain_text("Accepted")
    assert len(axe.pages_checked) >= 10


def test_sign_in_and_two_factor_pages_pass_axe(page, live_server, sign_in, axe, abacus):
    """allauth's pages in the portal's layout: sign-in errors, two-factor set-up and
    sign-in with a recovery code, password reset, sign-in by emailed code, sign-out."""
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    hub, school, _ = abacus
    head = HeadteacherFactory(
        school=school, user=UserFactory(email="head@oakwood.example", full_name="Ada Head")
    ).user

    # A wrong password: the error summary, on an accessible page.
    sign_in(head.email, "not the password", axe_check=axe)
    expect(page.locator(".govuk-error-summary")).to_contain_text("not correct")
    axe(page)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/")

    # Two-factor set-up: confirm the password, scan (here: read) the key, enter a code.
    page.get_by_role("link", name="Sign-in security").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in security")
    axe(page)
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    axe(page)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    axe(page)
    page.get_by_text("I cannot scan the QR code").click()
    secret = page.locator("#authenticator-secret").inner_text().strip()
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    axe(page)
    recovery_code = page.locator(".app-recovery-codes code").first.inner_text().strip()
    page.get_by_role("button", name="I have saved my codes: continue").click()
    expect(page).to_have_url(f"{live_server.url}/")

    # Sign out, and in again: the second step asks for a code; a recovery code works.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    sign_in(head.email, DEMO_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your authenticator code")
    axe(page)
    page.get_by_label("Code").fill(recovery_code)
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/accounts/logout/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out")
    axe(page)
    page.get_by_role("button", name="Sign out").last.click()

    # Password reset.
    mail.outbox.clear()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    axe(page)
    page.get_by_label("Email").fill(head.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    axe(page)
    (message,) = mail.outbox
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", message.body).group(1)
    page.goto(live_server.url + path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    axe(page)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password has been changed")
    axe(page)
    page.goto(live_server.url + path)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    axe(page)

    # Sign-in by emailed code.
    mail.outbox.clear()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Email me a code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get a sign-in code by email")
    axe(page)
    page.get_by_label("Email").fill(head.email)
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your sign-in code")
    axe(page)
    page.get_by_label("Code").fill("WRONG-CODE")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    axe(page)

    # Sign-up is closed, and says how people get in.
    page.goto(f"{live_server.url}/accounts/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("The portal is by invitation")
    axe(page)
