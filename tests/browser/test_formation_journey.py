"""A hub lead forms the year's Development Work Groups with the formation assistant
in headless Chromium: finds the cohort's groups, sees the proposal as a list and a
plot, moves one school to the other group, confirms, then changes a group's
specialist. axe (WCAG 2.2 AA) runs on every page visited."""

import pytest
from playwright.sync_api import expect

from tests.factories import (
    DEMO_PASSWORD,
    AcceptedApplicationFactory,
    HubAreaFactory,
    HubFactory,
    HubLeadFactory,
    SchoolFactory,
    SpecialistFactory,
    UserFactory,
    stage,
)
from workgroups.models import AcademicYear, GroupMember, WorkGroup

# Transactional: the live server's thread must see the rows.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NORTH = [
    "Ash Grove",
    "Beech Hill",
    "Cherry Tree",
    "Damson Lane",
    "Elm Bank",
    "Fir Close",
    "Gorse Hill",
]
SOUTH = ["Hazel Wood", "Ivy Lane", "Juniper Way", "Kestrel Park", "Larch Road"]


def heading(page):
    return page.get_by_role("heading", level=1)


def banner(page):
    return page.locator(".govuk-notification-banner")


def test_hub_lead_forms_groups_moves_a_school_confirms_and_changes_a_specialist(
    page, live_server, sign_in, axe
):
    development = stage("dwg")
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    this_year = AcademicYear.objects.current()
    lead = HubLeadFactory(
        hub=hub, user=UserFactory(email="lead@abacus.example", full_name="Lee Lead")
    ).user
    ada = SpecialistFactory(hub=hub, user=UserFactory(full_name="Ada Specialist")).user
    ben = SpecialistFactory(hub=hub, user=UserFactory(full_name="Ben Specialist")).user

    def accept(name, urn, easting, northing, town):
        school = SchoolFactory(
            hub=hub,
            urn=urn,
            name=f"{name} Primary School",
            la_code="352",
            la_name="Manchester",
            town=town,
            easting=easting,
            northing=northing,
        )
        AcceptedApplicationFactory(school=school, stage=development, year=this_year)
        return school

    # Seven schools to the north, six 20 km south, and one with no grid reference.
    north = [
        accept(name, 106100 + i, 371000 + i * 600, 409000 + (i % 3) * 500, "Bolton")
        for i, name in enumerate(NORTH)
    ]
    south = [
        accept(name, 106200 + i, 371300 + i * 600, 390000 + (i % 2) * 500, "Stockport")
        for i, name in enumerate([*SOUTH, "Maple Drive"])
    ]
    unmapped = accept("Nowhere Lane", 106300, None, None, "Manchester")

    # The hub lead signs in and finds the cohort's work groups.
    sign_in(lead.email, DEMO_PASSWORD, axe_check=axe)
    expect(heading(page)).to_have_text("Your hub today")
    axe(page)
    page.get_by_role("link", name="Applications", exact=True).click()
    expect(heading(page)).to_have_text(f"Applications and cohorts {this_year.label}")
    axe(page)
    page.get_by_role(
        "link", name=f"Work groups of Development Work Group in {this_year.label}"
    ).click()
    expect(heading(page)).to_have_text("Work groups")
    expect(page.locator("#unplaced")).to_contain_text("14 accepted schools are not in a group yet")
    expect(page.locator("#groups")).to_contain_text("No work groups yet")
    axe(page)

    # The assistant's proposal: a list of two local groups, a plot, and one to place.
    page.get_by_role("button", name="Propose groups").click()
    expect(heading(page)).to_have_text("Proposed work groups")
    expect(page.get_by_text("Nothing is saved until you confirm these groups")).to_be_visible()
    plot = page.get_by_role("img", name="Map of the proposed groups")
    expect(plot).to_be_visible()
    expect(plot.locator("circle")).to_have_count(13)
    group_1, group_2 = page.locator("#group-1"), page.locator("#group-2")
    for school in north:
        expect(group_1).to_contain_text(school.name)
    for school in south:
        expect(group_2).to_contain_text(school.name)
    expect(group_1.locator("tbody tr")).to_have_count(7)
    expect(group_2.locator("tbody tr")).to_have_count(6)
    expect(group_1).to_contain_text("106100")
    expect(group_1).to_contain_text("Bolton")
    expect(page.locator("#unplaced")).to_contain_text(unmapped.name)
    expect(page.get_by_label("Specialist for group 1")).to_have_value(str(ada.pk))
    expect(page.get_by_label("Specialist for group 2")).to_have_value(str(ben.pk))
    axe(page)
    assert WorkGroup.objects.count() == 0

    # Move Gorse Hill (the easternmost of the north) to group 2.
    moving = north[-1]
    page.get_by_label("School to move").select_option(label=f"{moving.name} (URN {moving.urn})")
    page.get_by_label("Move it to").select_option(label="Group 2")
    page.get_by_role("button", name="Move school").click()
    expect(banner(page)).to_contain_text(f"Moved {moving.name} to group 2")
    expect(page.locator("#group-2")).to_contain_text(moving.name)
    expect(page.locator("#group-1")).not_to_contain_text(moving.name)
    expect(page.locator("#group-1 tbody tr")).to_have_count(6)
    expect(page.locator("#group-2 tbody tr")).to_have_count(7)
    axe(page)
    assert WorkGroup.objects.count() == 0

    # Confirm: both groups are created with their specialists; the unmapped school waits.
    page.get_by_role("button", name="Confirm these groups").click()
    expect(heading(page)).to_have_text("Work groups")
    short = f"{this_year.start_year % 100:02d}{(this_year.start_year + 1) % 100:02d}"
    first, second = f"ABN-DWG-{short}-01", f"ABN-DWG-{short}-02"
    expect(banner(page)).to_contain_text(f"Confirmed 2 work groups: {first}, {second}")
    expect(page.locator("#unplaced")).to_contain_text("1 accepted school is not in a group yet")
    rows = page.locator("#groups tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=first)).to_contain_text("Ada Specialist")
    expect(rows.filter(has_text=second)).to_contain_text("Ben Specialist")
    axe(page)
    assert set(
        GroupMember.objects.filter(work_group__code=second).values_list("school_id", flat=True)
    ) == {s.pk for s in [*south, moving]}
    assert not GroupMember.objects.filter(school=unmapped).exists()

    # Manage the first group: Ben takes it over from Ada.
    page.get_by_role("link", name=f"Manage {first}").click()
    expect(heading(page)).to_have_text(f"Manage {first}")
    expect(page.locator("#current-lead")).to_have_text("Ada Specialist")
    expect(page.locator("#members tbody tr")).to_have_count(6)
    axe(page)
    page.get_by_label("Mastery Specialist").select_option(
        label="Ben Specialist (leads 1 group this year)"
    )
    page.get_by_role("button", name="Save the specialist").click()
    expect(banner(page)).to_contain_text(f"Ben Specialist now leads {first}")
    expect(page.locator("#current-lead")).to_have_text("Ben Specialist")
    expect(page.get_by_label("Mastery Specialist")).to_have_value(str(ben.pk))
    axe(page)
    assert WorkGroup.objects.get(code=first).lead == ben
