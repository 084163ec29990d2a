"""A hub lead signs in and reads how the hub's year is going in headless Chromium:
the figures, the attendance chart and its data behind "Show the data", then follows
the claims-waiting figure to the filtered claims list. axe (WCAG 2.2 AA) runs on
every page visited."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from funding import services
from tests.factories import (
    DEMO_PASSWORD,
    ClaimWindowFactory,
    HeadteacherFactory,
    HubFactory,
    HubLeadFactory,
    MeetingFactory,
    SchoolFactory,
    SpecialistFactory,
    SubmittedApplicationFactory,
    UserFactory,
    group_with_schools,
    ready_claim,
    stage,
)
from workgroups.models import AcademicYear, Attendance, Participant

# Transactional: the live server's thread must see the rows.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hub_lead_reads_the_years_figures_and_follows_one(page, live_server, sign_in, axe):
    stage("dwg")  # seeds the stages again if an earlier test emptied them
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    this_year = AcademicYear.objects.current()
    today = timezone.localdate()
    lead = HubLeadFactory(
        hub=hub, user=UserFactory(email="lead@abacus.example", full_name="Lee Lead")
    ).user
    specialist = SpecialistFactory(hub=hub).user
    group = group_with_schools(hub, schools=2, lead=specialist, start_year=this_year.start_year)
    meeting = MeetingFactory(work_group=group, date=today - timedelta(days=7))
    participants = Participant.objects.filter(application__group_member__work_group=group).order_by(
        "pk"
    )
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, participant=p, status="present" if i else "absent")
        for i, p in enumerate(participants)
    )
    meeting.logged_at, meeting.logged_by = timezone.now(), specialist
    meeting.save()
    overdue = MeetingFactory(work_group=group, date=today - timedelta(days=5))
    last_year = AcademicYear.objects.for_date(this_year.starts - timedelta(days=1))
    SubmittedApplicationFactory(
        school=SchoolFactory(hub=hub, name="Last Year Primary"), stage=stage("dwg"), year=last_year
    )
    ClaimWindowFactory(
        hub=hub, year=this_year, opens=today - timedelta(days=30), closes=today + timedelta(days=60)
    )
    school = group.members.first().school
    head = HeadteacherFactory(school=school).user
    services.claim_submit(actor=head, claim=ready_claim(school, head, kind="grant"))

    sign_in(lead.email, DEMO_PASSWORD, axe_check=axe)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your hub today")
    expect(page.get_by_role("heading", name=f"Your year: {this_year.label}")).to_be_visible()
    expect(page.locator("#stage-figures")).to_contain_text("Development Work Group")
    expect(page.locator("#group-figures tbody tr")).to_have_count(1)

    # The chart: one bar, 3 of 4 present, with its data in a closed table.
    chart = page.get_by_role("img", name=re.compile("Attendance rate by work group"))
    expect(chart).to_be_visible()
    expect(page.locator(".app-bar")).to_have_count(1)
    expect(page.locator(".app-bar")).to_contain_text("75% (3 of 4)")
    data = page.locator("#attendance-chart-data")
    expect(data).to_be_hidden()
    axe(page)
    page.get_by_text("Show the data").click()
    expect(data).to_be_visible()
    expect(data.locator("tbody tr")).to_have_count(1)
    expect(data.locator("tbody tr").first).to_contain_text(group.code)
    expect(data.locator("tbody tr").first).to_contain_text("75% (3 of 4)")
    axe(page)

    # One claim waits: its figure opens the claims list filtered to submitted claims.
    page.get_by_role("link", name="1 funding claim waiting for a decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Funding claims {this_year.label}")
    expect(page.get_by_label("State")).to_have_value("submitted")
    expect(page.locator("#claims tbody tr")).to_have_count(1)
    expect(page.locator("#claims tbody tr").first).to_contain_text(school.name)
    axe(page)

    # Back home, the overdue-log figure opens exactly the meeting whose log is overdue.
    page.get_by_role("link", name="Home", exact=True).first.click()
    page.get_by_role("link", name="1 Development Work Group attendance logs overdue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attendance logs overdue")
    expect(page.locator("#meetings tbody tr")).to_have_count(1)
    expect(page.locator(f'#meetings tr[data-meeting="{overdue.pk}"]')).to_contain_text("Log due")
    axe(page)

    # Last year's figures, chosen on the home page.
    page.get_by_role("link", name="Home", exact=True).first.click()
    page.get_by_label("Academic year", exact=True).select_option(label=last_year.label)
    page.get_by_role("button", name="Show the year").click()
    expect(page.get_by_role("heading", name=f"Your year: {last_year.label}")).to_be_visible()
    expect(page.locator('#stage-figures tr[data-stage="dwg"] td').first).to_have_text("1")
    expect(
        page.get_by_text(f"Your hub has no work groups for {last_year.label} yet.")
    ).to_be_visible()
    axe(page)
