"""A national admin signs in and reads the year across every hub in headless
Chromium: the totals, the hubs table (sorted on the server by a column heading)
and the year-on-year trend's data behind "Show the data". axe (WCAG 2.2 AA) runs
on every page visited."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import (
    DEMO_PASSWORD,
    AcceptedApplicationFactory,
    HubFactory,
    NationalAdminFactory,
    SchoolFactory,
    SubmittedApplicationFactory,
    UserFactory,
    group_with_schools,
    stage,
)
from workgroups.models import AcademicYear

# Transactional: the live server's thread must see the rows.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_national_admin_reads_every_hubs_year_and_sorts_it(page, live_server, sign_in, axe):
    dwg = stage("dwg")  # seeds the stages again if an earlier test emptied them
    this_year = AcademicYear.objects.current()
    abacus = HubFactory(name="Abacus Maths Hub", code="ABA")
    bridge = HubFactory(name="Bridge Maths Hub", code="BRI")
    # Abacus: one group of two schools (2 applied). Bridge: a group of three and one
    # more submitted application (4 applied), so sorting by "Applied" puts it last.
    group_with_schools(abacus, schools=2, start_year=this_year.start_year)
    group_with_schools(bridge, schools=3, start_year=this_year.start_year)
    SubmittedApplicationFactory(school=SchoolFactory(hub=bridge), stage=dwg, year=this_year)
    AcceptedApplicationFactory(
        school=SchoolFactory(hub=bridge),
        stage=dwg,
        year=AcademicYear.objects.get_or_create(start_year=this_year.start_year - 1)[0],
    )
    admin = NationalAdminFactory(
        user=UserFactory(email="admin@hubs.example", full_name="Nat Admin", is_staff=True)
    ).user

    sign_in(admin.email, DEMO_PASSWORD, axe_check=axe)
    expect(page.get_by_role("heading", level=1)).to_have_text("All hubs")
    expect(
        page.get_by_role("heading", name=f"The year across all hubs: {this_year.label}")
    ).to_be_visible()
    expect(page.locator("#total-applied")).to_have_text("6")
    expect(page.locator("#total-in-groups")).to_have_text("5")
    rows = page.locator("#hub-figures tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-hub", "ABA")
    expect(page.get_by_role("link", name="Cohorts of Bridge Maths Hub")).to_have_attribute(
        "href", re.compile(r"hub=BRI")
    )
    axe(page)

    # Sort by applied, then reverse it: the server reorders the rows.
    page.locator("#hub-figures thead").get_by_role("link", name="Applied").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=applied$"))
    expect(page.locator("th[data-column=applied]")).to_have_attribute("aria-sort", "ascending")
    expect(rows.first).to_have_attribute("data-hub", "ABA")
    page.locator("#hub-figures thead").get_by_role("link", name="Applied").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=-applied$"))
    expect(page.locator("th[data-column=applied]")).to_have_attribute("aria-sort", "descending")
    expect(rows.first).to_have_attribute("data-hub", "BRI")
    axe(page)

    # The trend: a line per stage, its numbers in a closed table.
    chart = page.get_by_role("img", name=re.compile("Schools accepted to each programme stage"))
    expect(chart).to_be_visible()
    expect(page.locator(".app-trend-line[data-stage=dwg]")).to_have_attribute(
        "data-values", "0,0,0,1,5"
    )
    data = page.locator("#trend-chart-data")
    expect(data).to_be_hidden()
    page.get_by_text("Show the data").click()
    expect(data).to_be_visible()
    expect(data.locator("tbody tr")).to_have_count(5)
    expect(data.locator("tbody tr").last).to_contain_text(this_year.label)
    axe(page)

    # A hub's claims link opens the claims list narrowed to that hub.
    page.get_by_role("link", name="claims of Bridge Maths Hub").click()
    expect(page).to_have_url(re.compile(r"hub=BRI"))
    axe(page)

    # Last year, chosen on the home page: Bridge's one accepted school is all there is.
    last_year = AcademicYear.objects.get(start_year=this_year.start_year - 1)
    page.get_by_role("link", name="Home", exact=True).first.click()
    page.get_by_label("Academic year", exact=True).select_option(label=last_year.label)
    page.get_by_role("button", name="Show the year").click()
    expect(
        page.get_by_role("heading", name=f"The year across all hubs: {last_year.label}")
    ).to_be_visible()
    expect(page.locator("#total-accepted")).to_have_text("1")
    expect(page.locator('#hub-figures tr[data-hub="BRI"] td').nth(1)).to_have_text("1")
    axe(page)
