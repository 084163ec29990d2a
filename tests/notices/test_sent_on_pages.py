"""The meeting's and the school's pages show their hub's leads what mail went out."""

from datetime import date

import pytest
from django.urls import reverse

from hubportal.notices import services
from hubportal.notices.models import NoticeKind
from hubportal.notices.services import Plan, Recipient
from tests.factories import MeetingFactory, SpecialistFactory, group_with_schools

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(hub):
    specialist = SpecialistFactory(hub=hub).user
    group = group_with_schools(hub, schools=6, lead=specialist)
    meeting = MeetingFactory(work_group=group, date=date(2026, 12, 8))
    school = group.members.first().school
    services.notice_plan(
        [
            Plan(
                kind=NoticeKind.MEETING_REMINDER,
                subject_type="meeting",
                subject_id=meeting.pk,
                occasion="7d-20261208-1300",
                recipients=[Recipient("teacher.one@school.example", "Tess One")],
                hub_id=hub.pk,
                school_id=school.pk,
                meeting_id=meeting.pk,
            )
        ]
    )
    return meeting


def test_hub_lead_sees_the_notices_of_a_meeting_and_of_a_school(client, hub_lead, meeting):
    client.force_login(hub_lead)
    page = client.get(reverse("groups:meeting", args=[meeting.pk])).content.decode()
    assert "Notices sent" in page and "teacher.one@school.example" in page
    school = meeting.work_group.members.first().school
    page = client.get(reverse("schools:detail", args=[school.urn])).content.decode()
    assert "Notices sent" in page and "teacher.one@school.example" in page


def test_the_specialist_sees_the_meeting_without_the_mail_log(client, meeting):
    client.force_login(meeting.work_group.lead)
    page = client.get(reverse("groups:meeting", args=[meeting.pk])).content.decode()
    assert "Notices sent" not in page
    assert "teacher.one@school.example" not in page
