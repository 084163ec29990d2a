"""Participating teachers have no account: their headteacher turns their reminders off."""

import pytest
from django.urls import reverse

from hubportal.notices import services
from hubportal.notices.models import Notice, NoticeKind, NoticePreference, NoticeState
from hubportal.notices.services import Plan, Recipient
from tests.factories import AcceptedApplicationFactory, SpecialistFactory
from workgroups.models import Participant

pytestmark = pytest.mark.django_db
URL = reverse("notices:preferences")


def headteacher_school(user):
    return user.memberships.get().school


@pytest.fixture
def teachers(school):
    application = AcceptedApplicationFactory(school=school)
    return list(Participant.objects.filter(application=application).order_by("position"))


def test_headteacher_turns_one_teachers_reminders_off(client, headteacher, teachers, other_school):
    stranger = AcceptedApplicationFactory(school=other_school).participants.first()
    client.force_login(headteacher)
    page = client.get(URL).content.decode()
    assert all(t.email.lower() in page for t in teachers)
    assert stranger.email.lower() not in page

    keep, stop = teachers[0], teachers[1]
    response = client.post(
        URL, {"which": "teachers", "reminders_on": [keep.email, stranger.email]}, follow=True
    )
    assert "Saved: 1 of your teachers get meeting reminders." in response.content.decode()

    services.notice_plan(
        [
            Plan(
                kind=NoticeKind.MEETING_REMINDER,
                subject_type="meeting",
                subject_id=1,
                occasion="7d",
                recipients=[Recipient(t.email) for t in (keep, stop, stranger)],
            )
        ]
    )
    states = dict(Notice.objects.values_list("email", "state"))
    assert states == {
        keep.email.lower(): NoticeState.PENDING,
        stop.email.lower(): NoticeState.OFF,
        stranger.email.lower(): NoticeState.PENDING,  # another school's teacher: untouched
    }
    # The history says which headteacher turned whose reminders off.
    turned_off = NoticePreference.history.get(email=stop.email.lower())
    assert turned_off.history_user == headteacher
    assert turned_off.history_change_reason == (
        f"Turned meeting reminders off for a teacher of {headteacher_school(headteacher).name}"
    )


def test_only_a_headteacher_sets_teachers_reminders(client, hub, teachers):
    client.force_login(SpecialistFactory(hub=hub).user)
    assert "Your teachers" not in client.get(URL).content.decode()
    assert client.post(URL, {"which": "teachers", "reminders_on": []}).status_code == 403
