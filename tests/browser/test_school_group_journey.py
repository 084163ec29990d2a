"""A headteacher follows their school's work group in headless Chromium: finds it in
the service navigation, reads the meetings and their teachers' attendance, replaces
a teacher who has left (first mistyping the email), then creates a private calendar
address and makes a new one. axe (WCAG 2.2 AA) runs on every page visited."""

import re
from datetime import date, time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import (
    DEMO_PASSWORD,
    AcceptedApplicationFactory,
    HeadteacherFactory,
    HubAreaFactory,
    HubFactory,
    MeetingFactory,
    SchoolFactory,
    SpecialistFactory,
    UserFactory,
    group_with_schools,
    stage,
    year,
)
from workgroups.models import Attendance, CalendarFeed, GroupMember, Participant

# Transactional: the live server's thread must see the rows.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def heading(page):
    return page.get_by_role("heading", level=1)


def build_group():
    """Ash Grove in a Development group of four, with two meetings logged and one to come.

    Dates are fixed in 2026/27; the journey checks only what the logs say, which does
    not depend on the day it runs."""
    development = stage("dwg")  # seeds the stages again if an earlier test emptied them
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    lead = SpecialistFactory(
        hub=hub, user=UserFactory(email="sam@specialist.example", full_name="Sam Specialist")
    ).user
    group = group_with_schools(hub, schools=3, lead=lead)
    school = SchoolFactory(hub=hub, urn=105201, name="Ash Grove Primary School", la_code="352")
    application = AcceptedApplicationFactory(
        school=school, stage=development, year=year(2026), participants=0
    )
    alex = Participant.objects.create(
        application=application,
        position=1,
        name="Alex Ash",
        email="alex@ashgrove.example",
        job_role="Maths lead",
        is_maths_lead=True,
    )
    bo = Participant.objects.create(
        application=application,
        position=2,
        name="Bo Birch",
        email="bo@ashgrove.example",
        job_role="Year 4 teacher",
    )
    GroupMember.objects.create(
        work_group=group, school=school, application=application, stage=development, year=year(2026)
    )
    everyone = Participant.objects.filter(application__group_member__work_group=group)
    for day, absent in ((date(2026, 10, 7), bo), (date(2026, 11, 4), None)):
        meeting = MeetingFactory(
            work_group=group, date=day, logged_at=timezone.now(), logged_by=lead
        )
        for participant in everyone:
            status = "absent" if participant == absent else "present"
            Attendance.objects.create(meeting=meeting, participant=participant, status=status)
    MeetingFactory(work_group=group, date=date(2027, 1, 13), starts_at=time(9), ends_at=time(12))
    head = HeadteacherFactory(
        school=school, user=UserFactory(email="head@ashgrove.example", full_name="Pat Head")
    ).user
    return group, head, alex, bo


def test_headteacher_follows_the_group_replaces_a_teacher_and_subscribes(
    page, live_server, sign_in, axe
):
    group, head, alex, bo = build_group()

    sign_in(head.email, DEMO_PASSWORD, axe_check=axe)
    axe(page)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Work groups").click()
    expect(heading(page)).to_have_text("Your school's work groups")
    section = page.locator("section", has=page.get_by_role("heading", name=re.compile(group.code)))
    expect(section).to_contain_text("Sam Specialist")
    expect(section).to_contain_text("Your teachers attended 2 of 2 meetings held")
    expect(section).to_contain_text("To complete, your teachers attend at least 4 of the 6")
    table = section.get_by_role("table")
    expect(table.get_by_role("columnheader")).to_contain_text(
        ["Date", "Time", "Meeting", "Where", "Alex Ash", "Bo Birch"]
    )
    october = table.get_by_role("row").filter(has_text="7 Oct 2026")
    expect(october.locator(".govuk-tag")).to_have_text(["Present", "Absent"])
    november = table.get_by_role("row").filter(has_text="4 Nov 2026")
    expect(november.locator(".govuk-tag")).to_have_text(["Present", "Present"])
    expect(table.get_by_role("row").filter(has_text="13 Jan 2027")).to_contain_text("9am to midday")
    axe(page)

    # Bo has left: replace them, mistyping the new teacher's email first.
    section.get_by_role("link", name="Replace Bo Birch").click()
    expect(heading(page)).to_have_text("Replace Bo Birch")
    expect(page.get_by_label("Email address")).to_have_value("bo@ashgrove.example")
    axe(page)
    page.get_by_label("Full name").fill("Robin Rowan")
    page.get_by_label("Email address").fill("robin at ashgrove")
    page.get_by_label("Role in school").fill("Year 5 teacher")
    page.get_by_role("button", name="Save the new teacher").click()
    message = "Enter an email address in the correct format, like name@example.com"
    expect(page.locator(".govuk-error-summary")).to_contain_text(message)
    expect(page.locator("#id_email-error")).to_contain_text(message)
    expect(page.get_by_label("Full name")).to_have_value("Robin Rowan")
    axe(page)
    page.locator(".govuk-error-summary").get_by_role("link", name=message).click()
    expect(page.get_by_label("Email address")).to_be_focused()
    page.get_by_label("Email address").fill("robin@ashgrove.example")
    page.get_by_role("button", name="Save the new teacher").click()
    expect(heading(page)).to_have_text("Your school's work groups")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Robin Rowan now takes part in place of Bo Birch"
    )
    expect(section.get_by_role("table").get_by_role("columnheader")).to_contain_text(
        ["Alex Ash", "Robin Rowan"]
    )
    axe(page)
    bo.refresh_from_db()
    assert (bo.name, bo.email) == ("Robin Rowan", "robin@ashgrove.example")

    # The calendar: create the private address, then replace it.
    page.get_by_role("link", name="add the meetings to your calendar").click()
    expect(heading(page)).to_have_text("Your meetings in your calendar")
    axe(page)
    page.get_by_role("button", name="Create my calendar address").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Your calendar address is ready"
    )
    address = page.get_by_label("Private calendar address")
    first = address.input_value()
    assert first.startswith(live_server.url) and first.endswith(".ics")
    expect(
        page.get_by_role("link", name="open the address in your calendar app")
    ).to_have_attribute("href", re.compile(r"^webcal://"))
    axe(page)
    feed = page.request.get(first)
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert feed.text().count("BEGIN:VEVENT") == 3

    page.get_by_role("button", name="Make a new address").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "The old address no longer works"
    )
    second = page.get_by_label("Private calendar address").input_value()
    assert second != first
    assert second.endswith(f"{CalendarFeed.objects.get(user=head).token}.ics")
    axe(page)
    assert page.request.get(first).status == 404
    assert page.request.get(second).status == 200
