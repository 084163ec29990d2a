"""A Mastery Specialist on a phone (390×844) schedules a group's six meetings and logs
the first one's attendance with two absences, in headless Chromium: signs in, opens
"Your groups" from the navigation, opens the group, schedules the year (first leaving
a venue out, which the form points at), sees the meetings listed, then logs the first
meeting. axe (WCAG 2.2 AA) runs on every page visited."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import (
    DEMO_PASSWORD,
    HubAreaFactory,
    HubFactory,
    SpecialistFactory,
    UserFactory,
    group_with_schools,
)
from workgroups.models import AcademicYear, Attendance, AttendanceStatus, Meeting
from workgroups.services import meeting_participants

# Transactional: the live server's thread must see the rows.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.browser_context_args(viewport={"width": 390, "height": 844}),
]


def heading(page):
    return page.get_by_role("heading", level=1)


def six_dates(year, today):
    """Six dates in the school year, every three weeks, the first ones already past
    (on 23 November 2026: 28 September, 19 October, 9 November, 30 November, ...)."""
    first = max(year.starts, today - timedelta(days=56))
    step = min(21, (year.ends - first).days // 6)
    return [first + timedelta(days=step * n) for n in range(6)]


def long_date(day) -> str:
    return f"{day.day} {day:%B %Y}"


def test_specialist_schedules_six_meetings_and_logs_the_first_on_a_phone(
    page, live_server, sign_in, axe
):
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    this_year = AcademicYear.objects.current()
    today = timezone.localdate()
    specialist = SpecialistFactory(
        hub=hub, user=UserFactory(email="sam@specialist.example", full_name="Sam Specialist")
    ).user
    group = group_with_schools(hub, schools=7, lead=specialist, start_year=this_year.start_year)
    schools = [
        m.school.name for m in group.members.select_related("school").order_by("school__name")
    ]
    dates = six_dates(this_year, today)

    # The specialist signs in on a phone and opens "Your groups" from the menu.
    sign_in(specialist.email, DEMO_PASSWORD, axe_check=axe)
    expect(heading(page)).to_have_text("Your work today")
    axe(page)
    navigation = page.get_by_role("navigation", name="Menu")
    menu = navigation.get_by_role("button", name="Menu")
    if menu.is_visible():  # GOV.UK's service navigation folds away on a phone
        menu.click()
    navigation.get_by_role("link", name="Your groups").click()
    expect(heading(page)).to_have_text("Your groups")
    expect(page.get_by_text("No meetings scheduled yet")).to_be_visible()
    axe(page)

    # The group: seven schools, fourteen teachers, nothing scheduled yet.
    page.get_by_role("link", name=group.code, exact=True).click()
    expect(heading(page)).to_have_text(group.code)
    expect(page.get_by_text("0 of 6 meetings scheduled")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Schedule meetings").click()
    expect(heading(page)).to_have_text("Schedule meetings")
    axe(page)

    # Six meetings: the second a lesson observation, the last online. The last
    # venue is forgotten at first.
    for number, day in enumerate(dates, start=1):
        page.get_by_label(f"Meeting {number} Date").fill(day.isoformat())
        if number < 6:
            page.get_by_label(f"Meeting {number} Venue").select_option(
                label=schools[(number - 1) % len(schools)]
            )
    page.get_by_label("Meeting 2 Kind of meeting").select_option(
        label="Teacher Research Group lesson observation"
    )
    page.get_by_label("Meeting 6 Start time").fill("15:30")
    page.get_by_label("Meeting 6 End time").fill("17:00")
    page.get_by_role("button", name="Schedule meetings").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Choose where meeting 6 takes place")
    expect(page.get_by_label("Meeting 1 Date")).to_have_value(dates[0].isoformat())
    expect(page.get_by_label("Meeting 6 Start time")).to_have_value("15:30")
    assert Meeting.objects.count() == 0
    axe(page)
    summary.get_by_role("link", name="Choose where meeting 6 takes place").click()
    expect(page.get_by_label("Meeting 6 Venue")).to_be_focused()
    page.get_by_label("Meeting 6 Venue").select_option(label="Online")
    page.get_by_label("Meeting 6 Online meeting link").fill("https://meet.example.org/abn-trg")
    page.get_by_role("button", name="Schedule meetings").click()

    # Back on the group page, the six meetings are listed.
    expect(page.get_by_text(f"Scheduled 6 meetings for {group.code}")).to_be_visible()
    expect(page.get_by_text("6 of 6 meetings scheduled")).to_be_visible()
    for day in dates:
        expect(page.get_by_role("link", name=f"{day:%A} {long_date(day)}")).to_be_visible()
    expect(page.get_by_text("Teacher Research Group lesson observation")).to_be_visible()
    expect(page.get_by_role("link", name="https://meet.example.org/abn-trg")).to_be_visible()
    assert Meeting.objects.filter(work_group=group).count() == 6
    axe(page)

    # The first meeting has taken place: log it, two teachers absent.
    page.get_by_role("link", name=f"Log attendance for {long_date(dates[0])}").click()
    expect(heading(page)).to_have_text("Log attendance")
    expect(page.get_by_role("radio", name="Present", checked=True)).to_have_count(14)
    axe(page)
    first = Meeting.objects.get(work_group=group, date=dates[0])
    participants = meeting_participants(first)
    away = [participants[1], participants[6]]
    for participant in away:
        page.get_by_role("group", name=participant.name, exact=True).get_by_label("Absent").check()
    page.get_by_label("Notes (optional)").fill("Bar models for fractions; two off with flu.")
    page.get_by_role("button", name="Save attendance").click()

    # The meeting page confirms it and shows 12 present, 2 absent.
    expect(page.get_by_text(f"Attendance saved for {first}")).to_be_visible()
    expect(page.locator("#attendance-summary")).to_have_text("12 present, 2 absent")
    for participant in away:
        row = f"{participant.name} {participant.job_role} Absent"
        expect(page.get_by_role("row", name=row, exact=True)).to_be_visible()
    axe(page)
    statuses = dict(
        Attendance.objects.filter(meeting=first).values_list("participant_id", "status")
    )
    assert {pk for pk, s in statuses.items() if s == AttendanceStatus.ABSENT} == {
        p.pk for p in away
    }
    assert list(statuses.values()).count(AttendanceStatus.PRESENT) == 12
