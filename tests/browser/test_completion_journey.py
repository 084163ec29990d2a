"""A hub lead records a Development group's outcomes in headless Chromium: from
Applications to the cohort's schools, then "Record outcomes" for the group; sees
the outcomes suggested from attendance, overrides one (first forgetting the
reason), saves, and finds the outcomes on the cohort page. axe (WCAG 2.2 AA) runs
on every page visited."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
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
from workgroups import services
from workgroups.models import AcademicYear, AttendanceStatus, Outcome, Participation
from workgroups.services import MeetingPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCHOOLS = [
    "Alder Primary School",
    "Birch Primary School",
    "Cedar Primary School",
    "Elm Primary School",  # its teachers came to two meetings only
    "Hazel Primary School",
    "Maple Primary School",
    "Rowan Primary School",
]
SHORT = "Elm Primary School"


def heading(page):
    return page.get_by_role("heading", level=1)


def build_group():
    development = stage("dwg")
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    this_year = AcademicYear.objects.current()
    lead = HubLeadFactory(
        hub=hub, user=UserFactory(email="lead@abacus.example", full_name="Lee Lead")
    ).user
    specialist = SpecialistFactory(
        hub=hub, user=UserFactory(email="sam@abacus.example", full_name="Sam Singh")
    ).user
    applications = [
        AcceptedApplicationFactory(
            school=SchoolFactory(hub=hub, name=name, la_code="352", la_name="Manchester"),
            stage=development,
            year=this_year,
        )
        for name in SCHOOLS
    ]
    [group] = services.workgroup_confirm_formation(
        actor=lead,
        hub=hub,
        stage=development,
        year=this_year,
        groups=[([a.school_id for a in applications], specialist)],
    )
    # Six weekly meetings from mid-September, logged in November: all in the past
    # whatever day the journey runs in the year, since logging is given its own "now".
    first = this_year.starts + timedelta(days=9)
    meetings = services.meeting_schedule_series(
        actor=specialist,
        work_group=group,
        plans=[
            MeetingPlan(
                first + timedelta(weeks=n),
                time(13),
                time(16),
                venue_school=applications[n].school,
            )
            for n in range(6)
        ],
    )
    logged_on = timezone.make_aware(datetime(this_year.start_year, 11, 23, 17))
    for number, meeting in enumerate(meetings):
        statuses = {}
        for participant in services.meeting_participants(meeting):
            short = participant.application.school.name == SHORT
            statuses[participant.pk] = (
                AttendanceStatus.ABSENT if short and number >= 2 else AttendanceStatus.PRESENT
            )
        services.meeting_log_attendance(
            actor=specialist, meeting=meeting, statuses=statuses, now=logged_on
        )
    return lead, group, this_year


def test_hub_lead_records_outcomes_overriding_one_with_a_reason(page, live_server, sign_in, axe):
    lead, group, this_year = build_group()

    sign_in(lead.email, DEMO_PASSWORD, axe_check=axe)
    axe(page)
    page.get_by_role("link", name="Applications", exact=True).click()
    expect(heading(page)).to_have_text(f"Applications and cohorts {this_year.label}")
    axe(page)
    page.get_by_role(
        "link", name=f"Schools and groups of Development Work Group in {this_year.label}"
    ).click()
    expect(heading(page)).to_have_text("The cohort's schools")
    expect(page.locator("main table tbody tr")).to_have_count(7)
    axe(page)
    page.get_by_role("link", name=f"Record outcomes for {group.code}").first.click()
    expect(heading(page)).to_have_text("Record outcomes")
    expect(page.locator("#meetings-held")).to_have_text("6 of 6")
    expect(page.locator("#meetings-warning")).to_have_count(0)
    axe(page)

    # The suggestions: six schools came to every meeting, Elm to two.
    short = page.locator(".govuk-summary-card", has_text=SHORT)
    expect(short.locator("[data-attended]")).to_have_text("2 of 6 logged")
    expect(short.locator("[data-suggested]")).to_have_text("Did not complete")
    expect(short.locator("[data-recorded]")).to_have_text("Not recorded")
    outcome = page.get_by_role("group", name=f"Outcome for {SHORT}")
    expect(outcome.get_by_label("Did not complete")).to_be_checked()
    alder = page.get_by_role("group", name="Outcome for Alder Primary School")
    expect(alder.get_by_label("Completed")).to_be_checked()

    # Override Elm without a reason: the error is beside Elm, nothing is saved.
    outcome.get_by_label("Completed").check()
    page.get_by_label("Reason for a different outcome for Alder Primary School").fill(
        "A note the hub lead typed"
    )
    page.get_by_role("button", name="Save outcomes").click()
    message = f"Enter why the outcome for {SHORT} differs from the attendance"
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(message)
    expect(short.locator(".govuk-error-message")).to_contain_text(message)
    expect(page.locator(".govuk-error-message")).to_have_count(1)
    # What was chosen and typed is kept.
    expect(
        page.get_by_role("group", name=f"Outcome for {SHORT}").get_by_label("Completed")
    ).to_be_checked()
    expect(
        page.get_by_label("Reason for a different outcome for Alder Primary School")
    ).to_have_value("A note the hub lead typed")
    assert not Participation.objects.exists()
    axe(page)

    summary.get_by_role("link", name=message).click()
    reason = page.get_by_label(f"Reason for a different outcome for {SHORT}")
    expect(reason).to_be_focused()
    reason.fill("Both teachers observed lessons at the specialist's school instead")
    page.get_by_role("button", name="Save outcomes").click()

    # Back on the cohort page, with every outcome.
    expect(heading(page)).to_have_text("The cohort's schools")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"Recorded the outcomes for {group.code}: 7 completed"
    )
    for name in SCHOOLS:
        row = page.locator("main table tbody tr", has_text=name)
        expect(row.locator("td").last).to_have_text("Completed")
    axe(page)

    elm = Participation.objects.get(school__name=SHORT)
    assert elm.outcome == Outcome.COMPLETED
    assert elm.note == "Both teachers observed lessons at the specialist's school instead"
    assert Participation.objects.filter(outcome=Outcome.COMPLETED).count() == 7
    assert len(axe.pages_checked) == 7
