"""Journeys through the school directory and school page in headless Chromium,
with axe (WCAG 2.2 AA) run on every page visited."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import (
    DEMO_PASSWORD,
    HeadteacherFactory,
    HubAreaFactory,
    HubFactory,
    HubLeadFactory,
    SchoolFactory,
    SecondarySchoolFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hub_with_schools():
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    schools = {
        "oak_primary": SchoolFactory(
            hub=hub, urn=105001, name="Oakwood Primary School", la_name="Manchester"
        ),
        "oak_secondary": SecondarySchoolFactory(
            hub=hub,
            urn=105002,
            name="Oakwood High School",
            la_name="Manchester",
            postcode="M20 4RT",
            pupils=1150,
            website="www.oakwoodhigh.example.org",
            head_title="Dr",
            head_first_name="Mary",
            head_last_name="Somerville",
        ),
        "elm": SchoolFactory(
            hub=hub, urn=105003, name="Elm Tree Primary School", la_name="Manchester"
        ),
    }
    other = HubFactory(name="Boolean Maths Hub", code="BOO")
    HubAreaFactory(hub=other, la_code="800", la_name="Bath and North East Somerset")
    schools["elsewhere"] = SchoolFactory(hub=other, urn=105900, name="Oakwood Bath Primary")
    return hub, schools


def results_rows(page):
    return page.locator("#results tbody tr")


def test_hub_lead_searches_filters_and_opens_a_school(
    page, live_server, sign_in, axe, hub_with_schools
):
    hub, schools = hub_with_schools
    lead = HubLeadFactory(hub=hub, user=UserFactory(email="lead@abacus.example")).user

    sign_in(lead.email, DEMO_PASSWORD, axe_check=axe)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your hub today")
    axe(page)

    page.get_by_role("link", name="Schools", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schools")
    # Only this hub's schools: the other hub's "Oakwood Bath Primary" is not listed.
    expect(results_rows(page)).to_have_count(3)
    expect(page.locator("#results-count")).to_have_text("3 schools")
    axe(page)

    # Typing searches as the person types (htmx), without a page load.
    search = page.get_by_label("Search by school name, URN or postcode")
    search.press_sequentially("oakwood")
    expect(page.locator("#results-count")).to_have_text("2 schools match your search")
    expect(search).to_be_focused()  # only the results were swapped, not the page
    expect(results_rows(page)).to_have_count(2)
    expect(page.locator("#results")).not_to_contain_text("Oakwood Bath Primary")
    expect(page).to_have_url(re.compile(r"q=oakwood"))
    axe(page)

    page.get_by_label("Phase").select_option("Secondary")
    expect(page.locator("#results-count")).to_have_text("1 school matches your search")
    expect(results_rows(page)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"phase=Secondary"))
    axe(page)

    page.get_by_role("link", name="Oakwood High School").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Oakwood High School")
    details = page.locator(".govuk-summary-list")
    expect(details).to_contain_text("105002")
    expect(details).to_contain_text("Secondary")
    expect(details).to_contain_text("1150")
    expect(details).to_contain_text("M20 4RT")
    expect(details).to_contain_text("Dr Mary Somerville")
    expect(details).to_contain_text("Abacus North West Maths Hub")
    expect(details.get_by_role("link", name="www.oakwoodhigh.example.org")).to_have_attribute(
        "href", "https://www.oakwoodhigh.example.org"
    )
    axe(page)

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Schools").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schools")

    # A value not on the list (a stale bookmark, say) is an error beside the field.
    page.goto(f"{live_server.url}/schools/?phase=Nursery&sort=-pupils")
    expect(page.locator("#id_phase-error")).to_contain_text("Select a phase from the list")
    expect(results_rows(page)).to_have_count(3)
    axe(page)


def test_directory_filters_work_without_javascript(browser, live_server, hub_with_schools):
    """With scripts off, "Apply filters" does the work. axe cannot run here (it
    is a script); the same pages are checked with scripts on in the journey above."""
    hub, _ = hub_with_schools
    lead = HubLeadFactory(hub=hub, user=UserFactory(email="nojs@abacus.example")).user
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(lead.email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server.url}/schools/")
        page.get_by_label("Phase").select_option("Secondary")
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"phase=Secondary"))
        expect(page.locator("#results-count")).to_have_text("1 school matches your search")
        expect(results_rows(page)).to_have_count(1)

        # A value not on the list is an error beside the field, not a crash.
        page.goto(f"{live_server.url}/schools/?phase=Nursery")
        expect(page.locator("#id_phase-error")).to_contain_text("Select a phase from the list")
        expect(page.locator(".govuk-error-summary")).to_contain_text("There is a problem")
    finally:
        context.close()


def test_headteacher_sees_only_their_own_school(page, live_server, sign_in, axe, hub_with_schools):
    _, schools = hub_with_schools
    own = schools["elm"]
    head = HeadteacherFactory(school=own, user=UserFactory(email="head@elm.example")).user

    sign_in(head.email, DEMO_PASSWORD)
    axe(page)
    # The service menu offers their school and no directory.
    expect(page.get_by_role("link", name="Schools", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Your school", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(own.name)
    expect(page.locator(".govuk-summary-list")).to_contain_text(str(own.urn))
    expect(page.locator("main")).to_contain_text("head@elm.example")
    axe(page)

    forbidden = page.goto(f"{live_server.url}/schools/")
    assert forbidden.status == 403
    axe(page)

    neighbour = schools["oak_primary"]  # same hub, not theirs
    not_found = page.goto(f"{live_server.url}/schools/{neighbour.urn}/")
    assert not_found.status == 404
    axe(page)
    elsewhere = page.goto(f"{live_server.url}/schools/{schools['elsewhere'].urn}/")
    assert elsewhere.status == 404
