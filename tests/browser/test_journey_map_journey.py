"""A hub lead opens a school's programme journey in headless Chromium and reads its
years, group, attendance and claims, then the map of the hub's schools and its data
table. axe (WCAG 2.2 AA) runs on every page visited."""

import pytest
from playwright.sync_api import expect

from tests.factories import (
    DEMO_PASSWORD,
    HubAreaFactory,
    HubFactory,
    HubLeadFactory,
    ParticipationFactory,
    UserFactory,
    group_with_schools,
    stage,
    year,
)
from workgroups.models import AcademicYear

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_hub_lead_opens_a_schools_journey_and_the_map(page, live_server, sign_in, axe):
    stage("dwg")  # seeds the stages again if an earlier test emptied them
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    HubLeadFactory(hub=hub, user=UserFactory(email="lead@abacus.example", full_name="Lee Lead"))
    this_year = AcademicYear.objects.current()
    group = group_with_schools(hub, schools=2, start_year=this_year.start_year)
    school = group.members.order_by("pk").first().school
    ParticipationFactory(school=school, stage=stage("mr"), year=year(this_year.start_year - 2))

    sign_in("lead@abacus.example", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/schools/{school.urn}/journey/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme journey")
    expect(page.get_by_role("heading", level=2, name=this_year.label)).to_be_visible()
    stages = page.locator(f"#stages-{this_year.slug} tbody tr")
    expect(stages).to_have_count(1)
    expect(stages.first).to_contain_text("Development Work Group")
    expect(stages.first).to_contain_text(group.code)
    expect(stages.first).to_contain_text("0 of 0")
    expect(page.locator("#journey > li")).to_have_count(2)
    expect(page.locator("#journey > li").nth(1)).to_contain_text("Completed")
    axe(page)

    # Then the map of the hub's schools, with its data table behind "Show the data".
    for offset, member in enumerate(group.members.order_by("pk")):
        member.school.easting, member.school.northing = 380000 + offset * 900, 390000
        member.school.save()
    page.goto(f"{live_server.url}/hub/map/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Map of schools")
    expect(page.get_by_role("img", name=f"Map of {hub.name} schools")).to_be_visible()
    expect(page.locator("#school-map .app-map-group")).to_have_count(1)
    axe(page)
    page.get_by_text("Show the data", exact=True).click()
    expect(page.locator("#map-data tbody tr")).to_have_count(2)
    expect(page.locator("#map-data tbody")).to_contain_text(group.code)
    axe(page)
