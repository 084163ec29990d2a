"""Hub leads and national admins must set up two-factor sign-in before anything else
(StaffMFAMiddleware, when REQUIRE_STAFF_MFA is on); and allauth's two-factor pages in
the portal's layout."""

import re

import pytest
from allauth.mfa.models import Authenticator

from hubportal.accounts.models import Role
from tests.accounts.conftest import WaitingInvitationFactory, current_totp_code
from tests.factories import DEMO_PASSWORD, HeadteacherFactory, HubLeadFactory

pytestmark = pytest.mark.django_db

ACTIVATE = "/accounts/2fa/totp/activate/"


@pytest.fixture
def staff_mfa_on(settings):
    settings.REQUIRE_STAFF_MFA = True


@pytest.mark.usefixtures("staff_mfa_on")
@pytest.mark.parametrize("path", ["/", "/schools/", "/invitations/", "/role/"])
def test_hub_lead_without_totp_is_sent_to_set_it_up(client, hub_lead, path):
    client.force_login(hub_lead)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == ACTIVATE


@pytest.mark.usefixtures("staff_mfa_on")
def test_national_admin_without_totp_cannot_reach_the_admin_or_outbox(client, national_admin):
    client.force_login(national_admin)
    for path in ("/admin/", "/invitations/outbox/"):
        assert client.get(path).url == ACTIVATE


@pytest.mark.usefixtures("staff_mfa_on")
def test_htmx_requests_are_redirected_as_whole_pages(client, hub_lead):
    client.force_login(hub_lead)
    response = client.get("/schools/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == ACTIVATE


@pytest.mark.usefixtures("staff_mfa_on")
def test_hub_lead_with_totp_reaches_home(client, hub_lead, give_totp):
    give_totp(hub_lead)
    client.force_login(hub_lead)
    assert client.get("/").status_code == 200


@pytest.mark.usefixtures("staff_mfa_on")
def test_a_headteacher_is_never_redirected(client, headteacher):
    client.force_login(headteacher)
    assert client.get("/").status_code == 200
    assert client.get("/invitations/").status_code == 403  # their role's answer, not MFA's


@pytest.mark.usefixtures("staff_mfa_on")
def test_a_headteacher_who_is_also_a_hub_lead_must_set_it_up(client, headteacher, hub):
    HubLeadFactory(hub=hub, user=headteacher)
    client.force_login(headteacher)
    assert client.get("/").url == ACTIVATE


def test_with_the_setting_off_nobody_is_redirected(client, hub_lead, national_admin, settings):
    settings.REQUIRE_STAFF_MFA = False
    for user in (hub_lead, national_admin):
        client.force_login(user)
        assert client.get("/").status_code == 200


@pytest.mark.usefixtures("staff_mfa_on")
def test_sign_out_and_the_two_factor_pages_stay_reachable(client, hub_lead, sign_in_with_password):
    sign_in_with_password(hub_lead)
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert not client.get("/accounts/login/").wsgi_request.user.is_authenticated


@pytest.mark.usefixtures("staff_mfa_on")
def test_hub_lead_sets_up_totp_sees_recovery_codes_and_carries_on(
    client, hub_lead, sign_in_with_password, confirm_password
):
    response = sign_in_with_password(hub_lead)
    assert client.get(response.url).url == ACTIVATE

    # allauth asks for the password again before a two-factor change.
    response = client.get(ACTIVATE)
    assert response.url == f"/accounts/reauthenticate/?next={ACTIVATE.replace('/', '%2F')}"
    reauth = confirm_password(ACTIVATE)
    assert [h.strip() for h in re.findall(r"<h1[^>]*>(.*?)</h1>", reauth.content.decode())] == [
        "Confirm it is you"
    ]

    page = client.get(ACTIVATE)
    html = page.content.decode()
    assert page.status_code == 200
    assert [h.strip() for h in re.findall(r"<h1[^>]*>(.*?)</h1>", html)] == [
        "Set up an authenticator app"
    ]
    assert 'src="data:image/svg+xml;base64,' in html  # the QR code
    secret = page.context["form"].secret
    assert secret in html  # for people who cannot scan it
    assert "you must sign in with a code" in html

    wrong = client.post(ACTIVATE, {"code": "000000"})
    assert '<p id="id_code-error" class="govuk-error-message">' in wrong.content.decode()

    response = client.post(ACTIVATE, {"code": current_totp_code(secret)})
    assert response.status_code == 302
    assert response.url == "/accounts/2fa/recovery-codes/"
    assert Authenticator.objects.filter(user=hub_lead, type=Authenticator.Type.TOTP).exists()

    codes = client.get(response.url)
    codes_html = codes.content.decode()
    assert len(codes.context["unused_codes"]) == 10
    for code in codes.context["unused_codes"]:
        assert f"<code>{code}</code>" in codes_html
    assert 'href="/"' in codes_html  # "I have saved my codes: continue"

    assert client.get("/").status_code == 200
    assert client.get("/schools/").status_code == 200


def test_signing_in_with_totp_asks_for_the_code(client, hub_lead, give_totp):
    secret = give_totp(hub_lead)
    response = client.post("/accounts/login/", {"login": hub_lead.email, "password": DEMO_PASSWORD})
    assert response.url == "/accounts/2fa/authenticate/"
    page = client.get(response.url)
    html = page.content.decode()
    assert [h.strip() for h in re.findall(r"<h1[^>]*>(.*?)</h1>", html)] == [
        "Enter your authenticator code"
    ]
    assert re.search(r'for="id_code">\s*Code\s*</label>', html)
    assert not page.wsgi_request.user.is_authenticated

    response = client.post("/accounts/2fa/authenticate/", {"code": current_totp_code(secret)})
    assert response.status_code == 302
    assert client.get("/").wsgi_request.user == hub_lead


def test_mfa_index_shows_status_and_recovery_codes(client, sign_in_with_password, confirm_password):
    user = HeadteacherFactory().user
    sign_in_with_password(user)
    confirm_password(ACTIVATE)
    html = client.get("/accounts/2fa/").content.decode()
    assert "Sign-in security" in html
    assert 'href="/accounts/2fa/totp/activate/"' in html

    secret = client.get(ACTIVATE).context["form"].secret
    client.post(ACTIVATE, {"code": current_totp_code(secret)})
    html = client.get("/accounts/2fa/").content.decode()
    assert "You have 10 of 10 recovery codes left." in html
    assert 'href="/accounts/2fa/recovery-codes/generate/"' in html
    assert 'href="/accounts/2fa/totp/deactivate/"' in html

    generate = client.get("/accounts/2fa/recovery-codes/generate/")
    assert "Make new recovery codes" in generate.content.decode()
    assert client.post("/accounts/2fa/recovery-codes/generate/").status_code == 302


@pytest.mark.usefixtures("staff_mfa_on")
def test_a_new_hub_lead_goes_from_the_invitation_to_totp_set_up(client, hub, national_admin):
    invitation = WaitingInvitationFactory(
        role=Role.HUB_LEAD, hub=hub, school=None, invited_by=national_admin
    )
    password = "Long enough pass phrase 42"
    response = client.post(
        f"/invitations/accept/{invitation.token}/",
        {"full_name": "New Lead", "password1": password, "password2": password},
    )
    assert response.url == "/"
    assert client.get("/").url == ACTIVATE
