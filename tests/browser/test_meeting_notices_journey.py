"""A hub lead reads a meeting's notice history in headless Chromium: the specialist
moves the meeting (the change notices go to every participant), the hub lead opens
the meeting's page, sees who was told and when, and follows it to the hub's list of
notices narrowed to that meeting. axe (WCAG 2.2 AA) runs on every page visited."""

from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hubportal.notices.models import Notice, NoticeKind, NoticeState
from tests.factories import (
    DEMO_PASSWORD,
    HubFactory,
    HubLeadFactory,
    MeetingFactory,
    SpecialistFactory,
    UserFactory,
    group_with_schools,
)
from workgroups import services
from workgroups.models import AcademicYear

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_hub_lead_opens_a_meetings_notice_history(page, live_server, sign_in, axe, mailoutbox):
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    lead = HubLeadFactory(
        hub=hub, user=UserFactory(email="lead@abacus.example", full_name="Lee Lead")
    ).user
    specialist = SpecialistFactory(hub=hub).user
    year = AcademicYear.objects.current()
    group = group_with_schools(hub, schools=6, lead=specialist, start_year=year.start_year)
    day = timezone.localdate() + timedelta(days=10)
    meeting = MeetingFactory(work_group=group, date=day)
    moved = services.MeetingPlan(
        day + timedelta(days=1), time(9, 0), time(12, 0), online_link="https://meet.example.org/a"
    )
    services.meeting_reschedule(
        actor=specialist, meeting=meeting, plan=moved, reason="The host school has an inset day"
    )
    changed = Notice.objects.filter(meeting=meeting, kind=NoticeKind.MEETING_CHANGED)
    assert changed.count() == 13  # 6 schools' 12 teachers and the specialist
    assert set(changed.values_list("state", flat=True)) == {NoticeState.SENT}
    assert len(mailoutbox) == 13

    sign_in(lead.email, DEMO_PASSWORD, axe_check=axe)
    page.goto(f"{live_server.url}/groups/{group.pk}/")
    axe(page)
    page.get_by_role("link", name=f"{day + timedelta(days=1):%-d %B %Y}").first.click()
    history = page.get_by_role("region", name="Notices sent")
    expect(history).to_contain_text("Meeting changed")
    expect(history.locator("tbody tr")).to_have_count(10)  # the latest ten
    axe(page)
    history.get_by_role("link", name="See all notices").click()
    expect(page.locator("#notices tbody tr")).to_have_count(13)
    axe(page)
