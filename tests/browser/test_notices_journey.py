"""Notices in headless Chromium: a hub lead opens the hub's notices, filters to the
failed ones and sends one again (it goes, and leaves the failed list); a headteacher
turns meeting reminders off in their email preferences. axe (WCAG 2.2 AA) runs on
every page visited."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from hubportal.notices.models import Notice, NoticeKind, NoticePreference, NoticeState
from tests.factories import (
    DEMO_PASSWORD,
    HeadteacherFactory,
    HubAreaFactory,
    HubFactory,
    HubLeadFactory,
    MeetingFactory,
    SchoolFactory,
    UserFactory,
    group_with_schools,
)
from workgroups.models import AcademicYear

# Transactional: the live server's thread must see the rows. The programme stages an
# earlier test may have emptied are seeded again by factories.stage().
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

K = NoticeKind
S = NoticeState


def heading(page):
    return page.get_by_role("heading", level=1)


def rows(page):
    return page.locator("#notices tbody tr")


def ledger_row(meeting, school, email, **fields) -> Notice:
    defaults = {
        "kind": K.MEETING_REMINDER,
        "subject_type": "meeting",
        "subject_id": meeting.pk,
        # A reminder's occasion names the meeting's date and time (as the sweep writes it).
        "occasion": f"7d-{meeting.date:%Y%m%d}-{meeting.starts_at:%H%M}",
        "email": email,
        "recipient_name": email.split("@")[0].title(),
        "hub": meeting.work_group.hub,
        "school": school,
        "meeting": meeting,
        "state": S.SENT,
        "attempts": 1,
        "sent_at": timezone.now(),
    }
    defaults.update(fields)
    return Notice.objects.create(**defaults)


def test_hub_lead_filters_to_failed_notices_and_sends_one_again(page, live_server, sign_in, axe):
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    this_year = AcademicYear.objects.current()
    lead = HubLeadFactory(
        hub=hub, user=UserFactory(email="lead@abacus.example", full_name="Lee Lead")
    ).user
    group = group_with_schools(hub, schools=2, start_year=this_year.start_year)
    school = group.members.order_by("pk").first().school
    meeting = MeetingFactory(work_group=group, date=timezone.localdate() + timedelta(days=7))
    ledger_row(meeting, school, "ann@school.example")
    ledger_row(meeting, school, "ben@school.example", state=S.OFF, sent_at=None, attempts=0)
    for email in ("cat@school.example", "dan@school.example"):
        refused = f"SMTPRecipientsRefused: {{'{email}': (550, 'No such user')}}"
        ledger_row(
            meeting, school, email, state=S.FAILED, sent_at=None, attempts=5, last_error=refused
        )
    # Another hub's failure is never shown here.
    other = HubFactory(name="Boolean Maths Hub", code="BOO")
    elsewhere = group_with_schools(other, schools=1, start_year=this_year.start_year)
    ledger_row(
        MeetingFactory(work_group=elsewhere),
        elsewhere.members.get().school,
        "eve@elsewhere.example",
        state=S.FAILED,
        sent_at=None,
        attempts=5,
        last_error="Refused",
    )

    sign_in(lead.email, DEMO_PASSWORD, axe_check=axe)
    page.goto(f"{live_server.url}/notices/hub/")
    expect(heading(page)).to_have_text("Notices sent")
    expect(page.locator("#failed-count")).to_contain_text("2 notices failed to send.")
    expect(rows(page)).to_have_count(4)
    expect(page.locator("main")).not_to_contain_text("eve@elsewhere.example")
    axe(page)

    # Filter to the failed ones.
    page.get_by_label("State").select_option("failed")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows(page)).to_have_count(2)
    expect(page.locator("#results-count")).to_have_text("2 notices match the filters")
    expect(rows(page).first).to_contain_text("No such user")
    axe(page)

    # Send Cat's again: it goes, and the failed list is down to Dan's.
    page.get_by_role("button", name="Send again to cat@school.example").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "The notice to cat@school.example (Meeting reminder) will be sent again."
    )
    expect(page.get_by_label("State")).to_have_value("failed")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("dan@school.example")
    expect(page.locator("#failed-count")).to_contain_text("1 notice failed to send.")
    axe(page)

    cat = Notice.objects.get(email="cat@school.example")
    assert cat.state == S.SENT and cat.attempts == 1
    assert [m.to for m in mail.outbox] == [["cat@school.example"]]
    assert Notice.objects.get(email="dan@school.example").state == S.FAILED

    # Back to every notice: Cat's shows as sent.
    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator(f"#notice-{cat.pk} .govuk-tag")).to_have_text("Sent")
    axe(page)


def test_headteacher_turns_meeting_reminders_off(page, live_server, sign_in, axe):
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    school = SchoolFactory(hub=hub, name="Ash Grove Primary School", la_code="352")
    head = HeadteacherFactory(
        school=school, user=UserFactory(email="head4@school.example", full_name="Pat Head")
    ).user

    sign_in(head.email, DEMO_PASSWORD, axe_check=axe)
    page.goto(f"{live_server.url}/notices/preferences/")
    expect(heading(page)).to_have_text("Email preferences")
    expect(page.locator("#always-sent")).to_contain_text(
        "changes to or cancellations of meetings, are always sent"
    )
    reminders = page.get_by_label("Meeting reminders and attendance-log nudges")
    expect(reminders).to_be_checked()
    axe(page)

    reminders.uncheck()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Your email preferences are saved."
    )
    expect(page.get_by_label("Meeting reminders and attendance-log nudges")).not_to_be_checked()
    expect(
        page.get_by_label("When a programme stage or funding opens to your school")
    ).to_be_checked()
    expect(page.get_by_label("Claim deadline nudges")).to_be_checked()
    axe(page)

    preference = NoticePreference.objects.get(email="head4@school.example")
    assert not preference.reminders
    assert preference.opportunities and preference.deadlines
