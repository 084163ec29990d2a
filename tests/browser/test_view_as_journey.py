"""A national admin views the portal as a headteacher in headless Chromium: opens
Support, finds the headteacher, sees their home and programme page under the banner,
tries a form and is refused, and stops with one click. axe (WCAG 2.2 AA) runs on
every page visited."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hubportal.accounts.models import SupportSession, SupportSessionEnd
from tests.factories import (
    DEMO_PASSWORD,
    ApplicationWindowFactory,
    HeadteacherFactory,
    HubAreaFactory,
    HubFactory,
    NationalAdminFactory,
    SchoolFactory,
    UserFactory,
    stage,
)
from workgroups.models import AcademicYear, Application

# Transactional: the live server's thread must see the rows. The programme stages an
# earlier test may have emptied are seeded again by factories.stage().
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def heading(page):
    return page.get_by_role("heading", level=1)


def test_national_admin_views_as_a_headteacher_and_changes_nothing(page, live_server, sign_in, axe):
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    this_year = AcademicYear.objects.current()
    today = timezone.localdate()
    ApplicationWindowFactory(
        hub=hub,
        stage=stage("dwg"),
        year=this_year,
        opens=today - timedelta(days=7),
        closes=today + timedelta(days=30),
    )
    school = SchoolFactory(hub=hub, urn=105401, name="Ash Grove Primary School", la_code="352")
    HeadteacherFactory(
        school=school, user=UserFactory(email="head4@school.example", full_name="Pat Head")
    )
    HeadteacherFactory(
        school=SchoolFactory(hub=hub, urn=105402, name="Beech Hill Primary School"),
        user=UserFactory(email="head7@school.example", full_name="Sam Head"),
    )
    admin = NationalAdminFactory(
        user=UserFactory(email="admin@ncetm.example", full_name="Nat Admin", is_staff=True)
    ).user
    banner = page.locator("#viewing-as")

    # The national admin signs in and opens Support.
    sign_in(admin.email, DEMO_PASSWORD, axe_check=axe)
    expect(heading(page)).to_have_text("All hubs")
    page.goto(f"{live_server.url}/support/")
    expect(heading(page)).to_have_text("View the portal as someone else")
    expect(page.locator("#people tbody tr")).to_have_count(2)
    axe(page)

    # Finds the headteacher.
    page.get_by_label("Search by name, email, school or URN").fill("head4")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#results-count")).to_have_text("1 person matches “head4”")
    row = page.locator("#people tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Headteacher, Ash Grove Primary School")
    axe(page)

    # Views as them: their home page, under the banner.
    row.get_by_role(
        "button", name="View as Pat Head, Headteacher, Ash Grove Primary School"
    ).click()
    expect(heading(page)).to_have_text("Ash Grove Primary School")
    expect(banner).to_contain_text(
        "You are viewing the portal as Pat Head (Headteacher, Ash Grove Primary School). "
        "Nothing can be changed."
    )
    expect(banner.get_by_role("button", name="Stop viewing as Pat Head")).to_be_visible()
    axe(page)

    # Their programme page, exactly as they see it.
    page.get_by_role("link", name="Your programme", exact=True).click()
    expect(heading(page)).to_have_text("Your school's programme")
    card = page.locator(f"#stage-dwg-{this_year.slug}")
    expect(card).to_contain_text("Eligible")
    expect(banner).to_contain_text("You are viewing the portal as Pat Head")
    axe(page)

    # A form is refused, and nothing is saved.
    card.get_by_role("button", name="Start application").click()
    expect(heading(page)).to_have_text("Nothing can be changed while viewing as someone else")
    expect(banner).to_be_visible()
    axe(page)
    assert not Application.objects.filter(school=school).exists()

    # Support itself is out of reach while viewing as.
    page.goto(f"{live_server.url}/support/")
    expect(heading(page)).to_have_text("This page is not available while viewing as someone else")
    axe(page)

    # One click back to the admin's own account.
    banner.get_by_role("button", name="Stop viewing as Pat Head").click()
    expect(heading(page)).to_have_text("View the portal as someone else")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You have stopped viewing the portal as Pat Head."
    )
    expect(banner).to_have_count(0)
    axe(page)
    page.get_by_role("link", name="Home", exact=True).click()
    expect(heading(page)).to_have_text("All hubs")
    expect(banner).to_have_count(0)

    record = SupportSession.objects.get()
    assert (record.viewer, record.target.email) == (admin, "head4@school.example")
    assert record.ended_how == SupportSessionEnd.STOPPED
    assert record.ended_at is not None
