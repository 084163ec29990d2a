"""The notice pages: a person's email preferences (and what they do to planning), the
hub's notices list with its filters and scoping, sending a failed notice again, the
"Notices sent" include's selectors, and the read-only admin. Who may use each page is
tested as a matrix; another hub's notice is never listed and a 404 to retry."""

import html as htmllib
import itertools
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hubportal.notices import selectors, services
from hubportal.notices.models import Notice, NoticeKind, NoticePreference, NoticeState
from hubportal.notices.services import Plan, Recipient
from hubportal.notices.tasks import dispatch_notices
from tests.factories import (
    HeadteacherFactory,
    HubLeadFactory,
    MeetingFactory,
    SchoolFactory,
    group_with_schools,
)

pytestmark = pytest.mark.django_db

K = NoticeKind
S = NoticeState
PREFERENCES_URL = reverse("notices:preferences")
HUB_URL = reverse("notices:hub")
_occasions = itertools.count(1)


def notice(hub, **fields) -> Notice:
    """A row of the ledger as a sweep or service leaves it."""
    defaults = {
        "kind": K.MEETING_REMINDER,
        "subject_type": "meeting",
        "subject_id": 1,
        "occasion": f"occasion-{next(_occasions)}",
        "email": f"teacher{next(_occasions)}@school.example",
        "recipient_name": "Alex Teacher",
        "hub": hub,
        "state": S.SENT,
    }
    defaults.update(fields)
    if defaults["state"] == S.SENT:
        from django.utils import timezone

        defaults.setdefault("sent_at", timezone.now())
        defaults.setdefault("attempts", 1)
    return Notice.objects.create(**defaults)


def failed(hub, **fields) -> Notice:
    return notice(
        hub,
        state=S.FAILED,
        attempts=5,
        last_error="SMTPRecipientsRefused: mailbox unavailable",
        **fields,
    )


def text(response) -> str:
    """The page's text with tags and runs of white space removed."""
    page = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(htmllib.unescape(page).split())


def listed(response) -> list[int]:
    return [n.pk for n in response.context["notices"]]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def meeting(hub):
    return MeetingFactory(work_group=group_with_schools(hub, schools=1))


# ---------------------------------------------------------------------------
# Preferences


def test_preferences_need_signing_in(client):
    response = client.get(PREFERENCES_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("person", ["headteacher", "hub_lead", "specialist", "national_admin"])
def test_everyone_signed_in_may_set_preferences(client, request, person):
    client.force_login(request.getfixturevalue(person))
    response = client.get(PREFERENCES_URL)
    assert response.status_code == 200
    page = text(response)
    assert (
        "Decisions on your school's applications and claims, and changes to or "
        "cancellations of meetings, are always sent" in page
    )
    # Nothing turned off yet: all three boxes are ticked.
    assert response.content.decode().count(" checked") == 3


def test_saving_preferences_turns_reminders_off_for_later_plans(client, headteacher, meeting):
    client.force_login(headteacher)
    response = client.post(PREFERENCES_URL, {"opportunities": "on", "deadlines": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == PREFERENCES_URL
    assert "Your email preferences are saved." in text(response)
    preference = NoticePreference.objects.get(email=headteacher.email)
    assert (preference.reminders, preference.opportunities, preference.deadlines) == (
        False,
        True,
        True,
    )
    # The page shows what was saved.
    assert response.content.decode().count(" checked") == 2

    me = Recipient(headteacher.email.upper(), headteacher.full_name, headteacher.pk)
    common = {
        "subject_type": "meeting",
        "subject_id": meeting.pk,
        "recipients": [me],
        "hub_id": meeting.work_group.hub_id,
        "meeting_id": meeting.pk,
    }
    services.notice_plan(
        [
            Plan(kind=K.MEETING_REMINDER, occasion="7d", **common),
            Plan(kind=K.MEETING_CHANGED, occasion="changed-1", **common),
        ]
    )
    states = dict(Notice.objects.values_list("kind", "state"))
    assert states == {K.MEETING_REMINDER: S.OFF, K.MEETING_CHANGED: S.PENDING}


def test_turning_everything_off_then_on_again(client, headteacher):
    client.force_login(headteacher)
    client.post(PREFERENCES_URL, {})
    assert not NoticePreference.objects.filter(email=headteacher.email, reminders=True).exists()
    client.post(PREFERENCES_URL, {"reminders": "on", "opportunities": "on", "deadlines": "on"})
    preference = NoticePreference.objects.get(email=headteacher.email)
    assert preference.reminders and preference.opportunities and preference.deadlines
    # Each save is in the history, with who made it and what they chose.
    history = list(preference.history.order_by("history_date"))
    assert [(h.history_type, h.reminders) for h in history] == [("+", False), ("~", True)]
    assert {h.history_user for h in history} == {headteacher}
    assert {h.history_change_reason for h in history} == {"Chose which optional emails to get"}


# ---------------------------------------------------------------------------
# The hub's notices: who may look


def test_the_hub_list_needs_signing_in(client):
    response = client.get(HUB_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("person", "status"),
    [("hub_lead", 200), ("national_admin", 200), ("specialist", 403), ("headteacher", 403)],
)
def test_who_may_see_the_hub_list(client, request, person, status):
    client.force_login(request.getfixturevalue(person))
    assert client.get(HUB_URL).status_code == status


def test_a_hub_lead_sees_only_their_hubs_notices(client, hub, other_hub, hub_lead):
    mine = notice(hub)
    theirs = notice(other_hub, email="secret@boolean.example")
    client.force_login(hub_lead)
    response = client.get(HUB_URL)
    assert listed(response) == [mine.pk]
    assert "secret@boolean.example" not in response.content.decode()
    # Not even by asking for the other hub, or filtering to its recipient.
    response = client.get(HUB_URL, {"hub": other_hub.code, "email": "secret"})
    assert listed(response) == []
    assert theirs.pk not in listed(client.get(HUB_URL, {"state": "sent"}))


def test_a_national_admin_sees_every_hub_and_may_narrow_to_one(
    client, hub, other_hub, national_admin
):
    mine, theirs = notice(hub), notice(other_hub)
    failed(other_hub)
    client.force_login(national_admin)
    response = client.get(HUB_URL)
    assert set(listed(response)) >= {mine.pk, theirs.pk}
    assert "Maths Hub" in text(response)  # the hub column
    response = client.get(HUB_URL, {"hub": hub.code})
    assert listed(response) == [mine.pk]
    assert response.context["failed"] == 0
    assert client.get(HUB_URL).context["failed"] == 1
    # National admins look; they do not send again.
    assert "Send again" not in client.get(HUB_URL, {"state": "failed"}).content.decode()


# ---------------------------------------------------------------------------
# The hub's notices: what it shows and the filters


def test_the_list_shows_when_kind_about_recipient_state_and_attempts(
    client, hub, hub_lead, meeting, school
):
    about_meeting = notice(hub, meeting=meeting, school=school, recipient_name="Alex Teacher")
    broken = failed(hub, kind=K.CLAIM, subject_type="claim", school=school)
    client.force_login(hub_lead)
    response = client.get(HUB_URL)
    page = response.content.decode()
    row = page.split(f'id="notice-{about_meeting.pk}"')[1].split("</tr>")[0]
    assert reverse("groups:meeting", args=[meeting.pk]) in row
    assert meeting.work_group.code in row
    assert reverse("schools:detail", args=[school.urn]) in row
    assert "Alex Teacher" in row and about_meeting.email in row
    assert "Sent" in row and "Meeting reminder" in row
    row = page.split(f'id="notice-{broken.pk}"')[1].split("</tr>")[0]
    assert "Failed" in row and "SMTPRecipientsRefused: mailbox unavailable" in row
    assert "Claim decided" in row and ">5<" in row
    assert reverse("notices:retry", args=[broken.pk]) in row


def test_the_failed_count_links_to_the_failed_filter(client, hub, hub_lead):
    notice(hub)
    failed(hub)
    failed(hub)
    client.force_login(hub_lead)
    response = client.get(HUB_URL)
    assert "2 notices failed to send." in text(response)
    assert f'href="{HUB_URL}?state=failed"' in response.content.decode()

    notice_list = client.get(HUB_URL, {"state": "failed"})
    assert len(listed(notice_list)) == 2
    assert "2 notices match the filters" in text(notice_list)


def test_no_failures_says_so(client, hub, hub_lead):
    notice(hub)
    client.force_login(hub_lead)
    assert "No notices have failed to send." in text(client.get(HUB_URL))


def test_filters_by_state_kind_school_meeting_and_email(client, hub, hub_lead, meeting):
    alder = SchoolFactory(hub=hub, name="Alder Primary School", urn=123456)
    birch = SchoolFactory(hub=hub, name="Birch Primary School")
    reminder = notice(hub, school=alder, meeting=meeting, email="ann@alder.example")
    changed = notice(hub, kind=K.MEETING_CHANGED, school=birch, email="bob@birch.example")
    broken = failed(hub, kind=K.CLAIM_DEADLINE, school=alder, email="cat@alder.example")
    client.force_login(hub_lead)

    def found(**params):
        return sorted(listed(client.get(HUB_URL, params)))

    assert found(state="failed") == [broken.pk]
    assert found(kind="meeting_changed") == [changed.pk]
    assert found(school="123456") == sorted([reminder.pk, broken.pk])
    assert found(school="birch") == [changed.pk]
    assert found(meeting=str(meeting.pk)) == [reminder.pk]
    assert found(email="ALDER.example") == sorted([reminder.pk, broken.pk])
    assert found(school="alder", state="sent") == [reminder.pk]


def test_a_bad_filter_is_shown_and_left_out(client, hub, hub_lead):
    notice(hub)
    client.force_login(hub_lead)
    response = client.get(HUB_URL, {"state": "lost", "meeting": "abc"})
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page
    assert "Select a state from the list" in page
    assert "Meeting number must be a whole number, like 42" in page
    assert len(listed(response)) == 1


def test_newest_first_and_50_a_page(client, hub, hub_lead):
    rows = [notice(hub) for _ in range(52)]
    client.force_login(hub_lead)
    first = client.get(HUB_URL)
    assert len(listed(first)) == 50
    assert listed(first)[0] == rows[-1].pk
    second = client.get(HUB_URL, {"page": 2})
    assert listed(second) == [rows[1].pk, rows[0].pk]
    assert 'aria-label="Pages of notices"' in first.content.decode()


def _queries(client, params) -> int:
    client.get(HUB_URL, params)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(HUB_URL, params).status_code == 200
    return len(captured)


def _grow(hub, count, meeting):
    for index in range(count):
        school = SchoolFactory(hub=hub)
        if index % 2:
            failed(hub, school=school, meeting=meeting)
        else:
            notice(hub, school=school, meeting=meeting)


@pytest.mark.parametrize("params", [{}, {"state": "failed", "school": "Oak"}])
@pytest.mark.parametrize("person", ["hub_lead", "national_admin"])
def test_the_list_costs_the_same_queries_for_3_and_12_notices(
    client, request, hub, meeting, params, person, django_assert_num_queries
):
    client.force_login(request.getfixturevalue(person))
    _grow(hub, 3, meeting)
    small = _queries(client, params)
    _grow(hub, 9, meeting)
    with django_assert_num_queries(small):
        response = client.get(HUB_URL, params)
    # 12 rows, of which 5 failed (every other one of each batch), all at Oakfield schools.
    assert len(listed(response)) == (5 if params else 12)


# ---------------------------------------------------------------------------
# Sending a failed notice again


@pytest.fixture
def dispatched(monkeypatch):
    calls = []
    monkeypatch.setattr(dispatch_notices, "delay", lambda *a, **k: calls.append(a))
    return calls


def retry_url(row) -> str:
    return reverse("notices:retry", args=[row.pk])


def test_a_hub_lead_sends_a_failed_notice_again(
    client, hub, hub_lead, dispatched, django_capture_on_commit_callbacks
):
    broken = failed(hub)
    client.force_login(hub_lead)
    back = f"{HUB_URL}?state=failed&page=1"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(retry_url(broken), {"next": back})
    assert response.status_code == 302 and response.url == back
    broken.refresh_from_db()
    assert broken.state == S.PENDING and broken.attempts == 0
    assert broken.retried_by == hub_lead and broken.retried_at is not None
    assert len(callbacks) == 1 and len(dispatched) == 1
    assert messages_of(response) == [
        f"The notice to {broken.email} (Meeting reminder) will be sent again."
    ]


def test_only_failed_notices_can_be_sent_again(client, hub, hub_lead, dispatched):
    sent = notice(hub)
    client.force_login(hub_lead)
    response = client.post(retry_url(sent))
    assert response.status_code == 302
    assert response.url == f"{HUB_URL}?state=failed"
    assert messages_of(response) == ["Only failed notices can be sent again."]
    sent.refresh_from_db()
    assert sent.state == S.SENT and dispatched == []


def test_another_hubs_notice_cannot_be_sent_again(client, other_hub, hub_lead, dispatched):
    theirs = failed(other_hub)
    client.force_login(hub_lead)
    assert client.post(retry_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == S.FAILED and dispatched == []


@pytest.mark.parametrize("person", ["national_admin", "specialist", "headteacher"])
def test_only_hub_leads_send_again(client, request, hub, person, dispatched):
    broken = failed(hub)
    client.force_login(request.getfixturevalue(person))
    assert client.post(retry_url(broken)).status_code == 403
    broken.refresh_from_db()
    assert broken.state == S.FAILED


def test_sending_again_is_a_post_and_needs_signing_in(client, hub, hub_lead):
    broken = failed(hub)
    response = client.post(retry_url(broken))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    client.force_login(hub_lead)
    assert client.get(retry_url(broken)).status_code == 405


def test_a_next_address_elsewhere_is_not_followed(client, hub, hub_lead, dispatched):
    client.force_login(hub_lead)
    response = client.post(retry_url(failed(hub)), {"next": "https://evil.example/"})
    assert response.url == f"{HUB_URL}?state=failed"


# ---------------------------------------------------------------------------
# "Notices sent" on a meeting's or a school's page


def test_for_meeting_and_for_school_are_scoped_and_short(
    hub, other_hub, hub_lead, other_hub_lead, specialist, national_admin, meeting, school
):
    rows = [notice(hub, meeting=meeting, school=school) for _ in range(12)]
    assert [n.pk for n in selectors.for_meeting(hub_lead, meeting)] == [
        n.pk for n in reversed(rows[2:])
    ]
    assert len(selectors.for_school(hub_lead, school, limit=3)) == 3
    assert len(selectors.for_meeting(national_admin, meeting)) == 10
    assert selectors.for_meeting(other_hub_lead, meeting) == []
    assert selectors.for_school(other_hub_lead, school) == []
    assert selectors.for_meeting(specialist, meeting) == []


def test_the_sent_list_include_shows_who_what_when_and_state(hub, hub_lead, meeting):
    failed(hub, meeting=meeting, recipient_name="Ann Teacher", email="ann@alder.example")
    more = selectors.meeting_notices_url(meeting)
    page = render_to_string(
        "notices/_sent_list.html",
        {"notices": selectors.for_meeting(hub_lead, meeting), "more_url": more},
    )
    assert "Notices sent" in page
    assert "Ann Teacher" in page and "ann@alder.example" in page
    assert "Meeting reminder" in page and "Failed" in page
    assert f'href="{more}"' in page and more == f"{HUB_URL}?meeting={meeting.pk}"
    empty = render_to_string("notices/_sent_list.html", {"notices": [], "more_url": ""})
    assert "No notices have been sent yet." in empty and "See all notices" not in empty


def test_school_notices_url_filters_by_urn(client, hub, hub_lead, school):
    mine = notice(hub, school=school)
    notice(hub, school=SchoolFactory(hub=hub))
    client.force_login(hub_lead)
    assert listed(client.get(selectors.school_notices_url(school))) == [mine.pk]


# ---------------------------------------------------------------------------
# The Django admin


def test_national_admins_read_notices_in_the_admin_and_cannot_change_them(
    client, hub, national_admin, headteacher
):
    row = failed(hub)
    NoticePreference.objects.create(email=headteacher.email, reminders=False)
    client.force_login(national_admin)
    changelist = client.get(reverse("admin:notices_notice_changelist"), {"state__exact": "failed"})
    assert changelist.status_code == 200
    assert row.email in changelist.content.decode()
    assert client.get(reverse("admin:notices_notice_change", args=[row.pk])).status_code == 200
    assert client.get(reverse("admin:notices_notice_add")).status_code == 403
    response = client.post(reverse("admin:notices_notice_change", args=[row.pk]), {"state": "sent"})
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.state == S.FAILED
    preferences = client.get(reverse("admin:notices_noticepreference_changelist"))
    assert headteacher.email in preferences.content.decode()


def test_a_hub_lead_cannot_open_the_notices_admin(client, hub_lead):
    HubLeadFactory()  # another lead, so there is something to hide
    HeadteacherFactory()
    client.force_login(hub_lead)
    response = client.get(reverse("admin:notices_notice_changelist"))
    assert response.status_code == 302  # to the admin's own sign-in
