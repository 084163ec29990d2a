"""A hub lead decides a cohort's applications in headless Chromium: finds the cohort,
filters it, waitlists one (first forgetting the reason), accepts two at once; then
the headteacher of an accepted school sees the decision. axe (WCAG 2.2 AA) runs on
every page visited."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import (
    DEMO_PASSWORD,
    ApplicationWindowFactory,
    HeadteacherFactory,
    HubAreaFactory,
    HubFactory,
    HubLeadFactory,
    SchoolFactory,
    SubmittedApplicationFactory,
    UserFactory,
    stage,
)
from workgroups.models import AcademicYear, Application, ApplicationState

# Transactional: the live server's thread must see the rows. The programme stages an
# earlier test may have emptied are seeded again by factories.stage().
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def heading(page):
    return page.get_by_role("heading", level=1)


def rows(page):
    return page.locator("#applications tbody tr")


def test_hub_lead_waitlists_one_and_accepts_two_and_the_headteacher_sees_it(
    page, browser, live_server, sign_in, axe
):
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    this_year = AcademicYear.objects.current()
    today = timezone.localdate()
    ApplicationWindowFactory(
        hub=hub,
        stage=stage("dwg"),
        year=this_year,
        opens=today - timedelta(days=14),
        closes=today + timedelta(days=30),
        target_places=7,
    )
    lead = HubLeadFactory(
        hub=hub, user=UserFactory(email="lead@abacus.example", full_name="Lee Lead")
    ).user
    applications = {}
    for urn, name, priority in (
        (105201, "Ash Grove Primary School", False),
        (105202, "Beech Hill Primary School", True),
        (105203, "Cherry Tree Primary School", False),
        (105204, "Damson Lane Primary School", False),
    ):
        school = SchoolFactory(hub=hub, urn=urn, name=name, la_code="352", la_name="Manchester")
        applications[name] = SubmittedApplicationFactory(
            school=school, stage=stage("dwg"), year=this_year, priority=priority
        )
    head = HeadteacherFactory(
        school=applications["Ash Grove Primary School"].school,
        user=UserFactory(email="head@ashgrove.example", full_name="Pat Head"),
    ).user

    # The hub lead signs in and finds the cohort.
    sign_in(lead.email, DEMO_PASSWORD, axe_check=axe)
    expect(heading(page)).to_have_text("Your hub today")
    axe(page)
    page.get_by_role("link", name="Applications", exact=True).click()
    expect(heading(page)).to_have_text(f"Applications and cohorts {this_year.label}")
    expect(page.get_by_text("4 applications are waiting for a decision")).to_be_visible()
    axe(page)
    page.get_by_role(
        "link", name=f"Development Work Group applications in {this_year.label}"
    ).click()
    expect(heading(page)).to_have_text(f"Development Work Group {this_year.label}")
    expect(page.locator("#places")).to_have_text("Accepted 0 of 7 target places")
    expect(rows(page)).to_have_count(4)
    axe(page)

    # Filter by priority: only Beech Hill.
    page.get_by_label("Priority").select_option("yes")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Beech Hill Primary School")
    expect(page.locator("#results-count")).to_have_text("1 application matches the filters")
    axe(page)
    page.get_by_role("link", name="Clear filters").click()
    expect(rows(page)).to_have_count(4)

    # Waitlist Cherry Tree: forgetting the reason first.
    page.get_by_role("link", name="Cherry Tree Primary School").click()
    expect(heading(page)).to_have_text("Cherry Tree Primary School")
    expect(page.locator("#history")).to_contain_text("Application: created")
    axe(page)
    page.get_by_label("Put on the waiting list").check()
    page.get_by_role("button", name="Save decision").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the reason to waitlist the application")
    expect(page.locator("#id_reason-error")).to_contain_text(
        "Enter the reason to waitlist the application"
    )
    # The choice made is kept.
    expect(page.get_by_label("Put on the waiting list")).to_be_checked()
    axe(page)
    summary.get_by_role("link", name="Enter the reason to waitlist the application").click()
    expect(page.get_by_label("Reason")).to_be_focused()
    page.get_by_label("Reason").fill("The group is full; first in line for a place.")
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Put on the waiting list: Cherry Tree Primary School"
    )
    expect(page.locator("#history")).to_contain_text("Submitted → Waitlisted")
    expect(page.locator("#history")).to_contain_text("Lee Lead")
    expect(page.locator("#history")).to_contain_text("The group is full")
    axe(page)

    # Back to the cohort: accept Ash Grove and Damson Lane at once.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Development Work Group"
    ).click()
    expect(heading(page)).to_have_text(f"Development Work Group {this_year.label}")
    page.get_by_label("Select Ash Grove Primary School").check()
    page.get_by_label("Select Damson Lane Primary School").check()
    axe(page)
    page.get_by_role("button", name="Accept selected").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Accepted 2 applications")
    expect(page.locator("#places")).to_have_text("Accepted 2 of 7 target places")
    for name in ("Ash Grove Primary School", "Damson Lane Primary School"):
        row = rows(page).filter(has_text=name)
        expect(row.locator(".govuk-tag").first).to_have_text("Accepted")
        # Accepted rows offer no checkbox.
        expect(row.get_by_role("checkbox")).to_have_count(0)
    expect(rows(page).filter(has_text="Cherry Tree").locator(".govuk-tag").first).to_have_text(
        "Waitlisted"
    )
    axe(page)

    states = dict(Application.objects.values_list("school__name", "state"))
    assert states == {
        "Ash Grove Primary School": ApplicationState.ACCEPTED,
        "Beech Hill Primary School": ApplicationState.SUBMITTED,
        "Cherry Tree Primary School": ApplicationState.WAITLISTED,
        "Damson Lane Primary School": ApplicationState.ACCEPTED,
    }

    # The headteacher of Ash Grove, in a browser of their own, sees the decision.
    context = browser.new_context()
    head_page = context.new_page()
    try:
        head_page.goto(f"{live_server.url}/accounts/login/")
        head_page.get_by_label("Email").fill(head.email)
        head_page.get_by_label("Password").fill(DEMO_PASSWORD)
        head_page.get_by_role("button", name="Sign in").click()
        head_page.wait_for_load_state()
        head_page.get_by_role("link", name="Your programme", exact=True).click()
        expect(heading(head_page)).to_have_text("Your school's programme")
        card = head_page.locator(f"#stage-dwg-{this_year.slug}")
        expect(card).to_contain_text("Accepted")
        axe(head_page)
        card.get_by_role("link", name="View application").click()
        expect(head_page.locator("main")).to_contain_text("Accepted")
        axe(head_page)
    finally:
        context.close()


def test_hub_lead_manages_windows_and_participation_history(page, live_server, sign_in, axe):
    embedding = stage("emb")  # seeds the stages again if an earlier test emptied them
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    this_year = AcademicYear.objects.current()
    next_year = this_year.start_year + 1
    school = SchoolFactory(hub=hub, urn=105301, name="Elder Primary School", la_code="352")
    other = HubFactory(name="Boolean Maths Hub", code="BOO")
    HubAreaFactory(hub=other, la_code="800", la_name="Bath and North East Somerset")
    elsewhere = SchoolFactory(hub=other, urn=105901, name="Bath Primary", la_code="800")
    lead = HubLeadFactory(hub=hub, user=UserFactory(email="lead@abacus.example")).user

    sign_in(lead.email, DEMO_PASSWORD)
    page.get_by_role("link", name="Windows", exact=True).click()
    expect(heading(page)).to_have_text("Application windows")
    axe(page)

    # A new window, with an impossible date first.
    page.get_by_role("button", name="Add a window").click()
    expect(heading(page)).to_have_text("Add an application window")
    axe(page)
    page.get_by_label(embedding.name).check()
    page.get_by_label(f"{next_year}/{(next_year + 1) % 100:02d}").check()
    opens = page.get_by_role("group", name="Applications open on")
    opens.get_by_label("Day").fill("30")
    opens.get_by_label("Month").fill("2")
    opens.get_by_label("Year").fill(str(next_year))
    closes = page.get_by_role("group", name="Applications close on")
    closes.get_by_label("Day").fill("31")
    closes.get_by_label("Month").fill("5")
    closes.get_by_label("Year").fill(str(next_year))
    page.get_by_label("Target number of school places").fill("21")
    page.get_by_role("button", name="Save window").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Opening date must be a real date")
    expect(opens.get_by_label("Day")).to_have_class(
        "govuk-input govuk-date-input__input govuk-input--width-2 govuk-input--error"
    )
    expect(closes.get_by_label("Day")).to_have_value("31")
    axe(page)
    opens.get_by_label("Day").fill("1")
    opens.get_by_label("Month").fill("3")
    page.get_by_role("button", name="Save window").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Saved the window for Embedding"
    )
    expect(page.get_by_role("table")).to_contain_text("Upcoming")
    axe(page)

    # Open it now, then change its places.
    page.get_by_role("button", name="Open now").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("are open until")
    expect(page.get_by_role("table")).to_contain_text("Open")
    page.get_by_role("link", name="Change").click()
    expect(heading(page)).to_contain_text("Change the window for Embedding")
    axe(page)
    page.get_by_label("Target number of school places").fill("600")
    page.get_by_role("button", name="Save window").click()
    expect(page.locator("#id_target_places-error")).to_contain_text("500 or fewer")
    axe(page)
    page.get_by_label("Target number of school places").fill("24")
    page.get_by_role("button", name="Save window").click()
    expect(page.get_by_role("table")).to_contain_text("0 of 24")

    # Participation history: a school of another hub is refused beside the URN.
    page.get_by_role("link", name="Participation history", exact=True).click()
    expect(heading(page)).to_have_text("Participation history")
    axe(page)
    record = page.get_by_role("form", name="Record what a school did")
    record.get_by_label("School URN").fill(str(elsewhere.urn))
    record.get_by_label("Stage").select_option(label="Mastery Readiness")
    record.get_by_label("Academic year").select_option(label="2024/25")
    record.get_by_label("Completed", exact=True).check()
    record.get_by_role("button", name="Record").click()
    expect(page.locator("#id_record-urn-error")).to_contain_text(
        f"No school with URN {elsewhere.urn} is in your hub's area"
    )
    # What was chosen is kept.
    expect(record.get_by_label("Stage")).to_have_value("mr")
    axe(page)
    record.get_by_label("School URN").fill(str(school.urn))
    record.get_by_role("button", name="Record").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Recorded Elder Primary School (105301)"
    )
    expect(page.locator("main table")).to_contain_text("Elder Primary School")
    axe(page)

    # Upload a file with one good row and one bad.
    page.get_by_role("link", name="Upload participation history as a CSV file").click()
    expect(heading(page)).to_have_text("Upload participation history")
    axe(page)
    page.get_by_label("Upload a CSV file").set_input_files(
        files=[
            {
                "name": "history.csv",
                "mimeType": "text/csv",
                "buffer": (
                    f"URN,stage,year,outcome\n{school.urn},dwg,2025/26,completed\n"
                    f"{elsewhere.urn},dwg,2025/26,completed\n"
                ).encode(),
            }
        ]
    )
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("#rejected-rows")).to_contain_text("3")
    expect(page.locator("#imported-rows")).to_contain_text("Development Work Group 2025/26")
    axe(page)
