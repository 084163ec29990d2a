"""Private calendar feeds: the iCalendar writer (folding, escaping, line ends), what
each person's feed holds, cancellations and reschedules as calendars see them,
replacing the address, and who may use the settings page."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    AcceptedApplicationFactory,
    HeadteacherFactory,
    MeetingFactory,
    SchoolFactory,
    SpecialistFactory,
    UserFactory,
    group_with_schools,
)
from workgroups import services
from workgroups.calendar import (
    LINE_LIMIT,
    calendar_document,
    escape_text,
    fold,
    meeting_event,
    unfold,
)
from workgroups.models import CalendarFeed, GroupMember, Meeting
from workgroups.services import MeetingPlan

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
SETTINGS_URL = reverse("groups:calendar")


@pytest.fixture(autouse=True)
def _site(settings):
    """UIDs name the portal's own host, from SITE_URL."""
    settings.SITE_URL = "https://portal.example"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), tick=False):
        yield


def join(hub, school, group):
    """Put ``school`` (accepted into the group's cohort) in ``group``."""
    application = AcceptedApplicationFactory(school=school, stage=group.stage, year=group.year)
    GroupMember.objects.create(
        work_group=group,
        school=school,
        application=application,
        stage=group.stage,
        year=group.year,
    )
    return application


def feed_url(user) -> str:
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return reverse("groups:feed", args=[feed.token])


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200
    return icalendar.Calendar.from_ical(response.content)


def events(calendar) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def uid(meeting) -> str:
    return f"meeting-{meeting.pk}@portal.example"


# ---------------------------------------------------------------------------
# The writer


def test_a_long_unicode_line_folds_within_75_octets_and_unfolds_back():
    line = "DESCRIPTION:" + "Café ☕ über 😀 naïve; " * 20
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert len(pieces) > 5
    for number, piece in enumerate(pieces):
        assert len(piece.encode("utf-8")) <= LINE_LIMIT
        if number:
            assert piece.startswith(" ")
    # Every piece is whole UTF-8: no character was cut between two lines.
    for piece in pieces:
        piece.encode("utf-8").decode("utf-8")
    assert unfold(folded) == [line]


def test_a_line_of_exactly_75_octets_is_not_folded_and_76_is():
    assert fold("X" * 75) == "X" * 75
    assert fold("X" * 76) == "X" * 75 + "\r\n X"
    # A four-octet character that would cross the limit moves whole to the next line.
    assert fold("X" * 73 + "😀") == "X" * 73 + "\r\n 😀"


def test_text_escapes_backslash_semicolon_comma_and_line_breaks():
    assert escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"
    assert escape_text("bell\x07here\ttab") == "bellhere\ttab"


def test_the_document_ends_every_line_with_crlf_and_defines_london_time(hub, specialist):
    group = group_with_schools(hub, schools=2, lead=specialist)
    meeting = MeetingFactory(work_group=group)
    document = calendar_document("Meetings, mine", [meeting_event(meeting, host="example.org")])
    assert document.endswith("\r\n")
    assert "\n" not in document.replace("\r\n", "") and "\r" not in document.replace("\r\n", "")
    lines = unfold(document)
    assert lines[:5] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Maths Hubs Programme Portal//hubportal//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    assert "X-WR-CALNAME:Meetings\\, mine" in lines
    assert "TZID:Europe/London" in lines and "TZNAME:BST" in lines and "TZNAME:GMT" in lines
    assert f"UID:meeting-{meeting.pk}@example.org" in lines
    assert "DTSTART;TZID=Europe/London:20261007T130000" in lines
    assert "DTEND;TZID=Europe/London:20261007T160000" in lines
    assert "DTSTAMP:20261123T100000Z" in lines
    assert f"SUMMARY:{group.code} Workshop" in lines
    assert "URL:https://meet.example.org/abc-defg-hij" in lines
    parsed = icalendar.Calendar.from_ical(document)
    [event] = parsed.walk("VEVENT")
    # Summer time: 13:00 in London on 7 October is 12:00 UTC.
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2026, 10, 7, 12, 0, tzinfo=UTC)


def test_a_meeting_at_a_school_names_it_and_its_address(hub, specialist):
    group = group_with_schools(hub, schools=2, lead=specialist)
    venue = group.members.first().school
    venue.street, venue.town, venue.postcode = "1 Long Lane", "Bury", "BL9 0AA"
    venue.save()
    meeting = MeetingFactory(work_group=group, online_link="", venue_school=venue, kind="trg")
    lines = unfold(calendar_document("x", [meeting_event(meeting)]))
    assert f"LOCATION:{escape_text(venue.name)}\\, 1 Long Lane\\, Bury\\, BL9 0AA" in lines
    assert not any(line.startswith("URL:") for line in lines)
    assert any(
        line.startswith("DESCRIPTION:Teacher Research Group lesson observation") for line in lines
    )


# ---------------------------------------------------------------------------
# What each feed holds


def test_the_feed_answers_as_a_private_unindexed_calendar(client, hub, specialist):
    group = group_with_schools(hub, schools=2, lead=specialist)
    MeetingFactory(work_group=group)
    response = client.get(feed_url(specialist))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex"
    assert len(parse(response).walk("VEVENT")) == 1


def test_a_specialists_feed_has_the_meetings_of_the_groups_they_lead(client, hub, specialist):
    mine = group_with_schools(hub, schools=2, lead=specialist)
    other_lead = SpecialistFactory(hub=hub).user
    theirs = group_with_schools(hub, schools=2, lead=other_lead)
    first = MeetingFactory(work_group=mine)
    second = MeetingFactory(work_group=mine, date=date(2027, 1, 13))
    MeetingFactory(work_group=theirs)
    found = events(parse(client.get(feed_url(specialist))))
    assert set(found) == {uid(first), uid(second)}
    winter = found[uid(second)]
    assert winter.decoded("DTSTART") == datetime(2027, 1, 13, 13, 0, tzinfo=LONDON)
    assert winter.decoded("DTEND").astimezone(UTC) == datetime(2027, 1, 13, 16, 0, tzinfo=UTC)
    assert str(winter["SUMMARY"]) == f"{mine.code} Workshop"
    assert str(winter["LOCATION"]) == "Online"
    assert str(winter["STATUS"]) == "CONFIRMED"


def test_a_headteachers_feed_has_their_schools_groups_only(client, hub, school, headteacher):
    ours = group_with_schools(hub, schools=2)
    join(hub, school, ours)
    elsewhere = group_with_schools(hub, schools=2)
    meeting = MeetingFactory(work_group=ours)
    MeetingFactory(work_group=elsewhere)
    assert set(events(parse(client.get(feed_url(headteacher))))) == {uid(meeting)}


def test_a_person_with_both_roles_gets_both_and_each_meeting_once(client, hub, school):
    person = UserFactory(email="both@school.example")
    SpecialistFactory(hub=hub, user=person)
    HeadteacherFactory(school=school, user=person)
    # They lead their own school's group, and one more; another specialist leads a third
    # that their school is in.
    own_and_led = group_with_schools(hub, schools=2, lead=person)
    join(hub, school, own_and_led)
    led = group_with_schools(hub, schools=2, lead=person)
    school_next_year = group_with_schools(hub, schools=2, code="sus", start_year=2027)
    join(hub, school, school_next_year)
    unrelated = group_with_schools(hub, schools=2, lead=SpecialistFactory(hub=hub).user)
    expected = [
        MeetingFactory(work_group=own_and_led),
        MeetingFactory(work_group=led),
        MeetingFactory(work_group=school_next_year),
    ]
    MeetingFactory(work_group=unrelated)
    calendar = parse(client.get(feed_url(person)))
    uids = [str(e["UID"]) for e in calendar.walk("VEVENT")]
    assert sorted(uids) == sorted(uid(m) for m in expected)


def test_the_feed_starts_at_the_previous_academic_year(client, hub, specialist):
    old = MeetingFactory(
        work_group=group_with_schools(hub, schools=1, lead=specialist, start_year=2024)
    )
    last_year = MeetingFactory(
        work_group=group_with_schools(hub, schools=1, lead=specialist, start_year=2025),
        date=date(2025, 9, 1),
    )
    found = events(parse(client.get(feed_url(specialist))))
    assert uid(last_year) in found and uid(old) not in found


def test_a_cancelled_meeting_is_marked_cancelled_and_a_reschedule_raises_its_sequence(
    client, hub, specialist
):
    group = group_with_schools(hub, schools=2, lead=specialist)
    moved, dropped = services.meeting_schedule_series(
        actor=specialist,
        work_group=group,
        plans=[
            MeetingPlan(date(2027, 2, 3), time(13), time(16), online_link="https://meet.example/a"),
            MeetingPlan(date(2027, 3, 3), time(13), time(16), online_link="https://meet.example/b"),
        ],
    )
    url = feed_url(specialist)
    before = events(parse(client.get(url)))
    assert int(before[uid(moved)]["SEQUENCE"]) == 0

    services.meeting_reschedule(
        actor=specialist,
        meeting=moved,
        plan=MeetingPlan(
            date(2027, 2, 10), time(9), time(12), online_link="https://meet.example/a"
        ),
        reason="Snow day",
    )
    services.meeting_cancel(actor=specialist, meeting=dropped, reason="Specialist unwell")
    after = events(parse(client.get(url)))
    assert int(after[uid(moved)]["SEQUENCE"]) > int(before[uid(moved)]["SEQUENCE"])
    assert after[uid(moved)].decoded("DTSTART") == datetime(2027, 2, 10, 9, 0, tzinfo=LONDON)
    assert str(after[uid(moved)]["STATUS"]) == "CONFIRMED"
    assert str(after[uid(dropped)]["STATUS"]) == "CANCELLED"
    assert int(after[uid(dropped)]["SEQUENCE"]) > int(before[uid(dropped)]["SEQUENCE"])
    assert "Specialist unwell" in str(after[uid(dropped)]["DESCRIPTION"])


def test_an_unknown_token_or_an_inactive_person_is_not_found(client, hub, specialist):
    assert client.get(reverse("groups:feed", args=["no-such-token"])).status_code == 404
    url = feed_url(specialist)
    specialist.is_active = False
    specialist.save()
    assert client.get(url).status_code == 404


def test_the_feed_reads_the_same_number_of_queries_for_more_meetings(client, hub, specialist):
    group = group_with_schools(hub, schools=2, lead=specialist)
    for month in (10, 11):
        MeetingFactory(work_group=group, date=date(2026, month, 7))
    url = feed_url(specialist)
    with CaptureQueriesContext(connection) as small:
        assert len(parse(client.get(url)).walk("VEVENT")) == 2
    other = group_with_schools(hub, schools=3, lead=specialist)
    for month in (1, 2, 3, 4):
        MeetingFactory(work_group=other, date=date(2027, month, 7))
    with CaptureQueriesContext(connection) as large:
        assert len(parse(client.get(url)).walk("VEVENT")) == 6
    assert len(large.captured_queries) == len(small.captured_queries)


# ---------------------------------------------------------------------------
# The settings page


def test_the_page_offers_to_create_the_address_then_shows_it(client, hub, specialist):
    client.force_login(specialist)
    page = client.get(SETTINGS_URL).content.decode()
    assert "Create my calendar address" in page
    assert not CalendarFeed.objects.filter(user=specialist).exists()

    response = client.post(SETTINGS_URL, {"action": "create"}, follow=True)
    assert "Your calendar address is ready" in response.content.decode()
    feed = CalendarFeed.objects.get(user=specialist)
    page = client.get(SETTINGS_URL, secure=True).content.decode()
    address = f"https://testserver/calendar/{feed.token}.ics"
    assert f'value="{address}"' in page
    assert f'href="webcal://testserver/calendar/{feed.token}.ics"' in page
    assert "Subscribe from web" in page and "From URL" in page
    assert "Make a new address" in page
    # Creating again keeps the same address.
    client.post(SETTINGS_URL, {"action": "create"})
    assert CalendarFeed.objects.get(user=specialist).token == feed.token


def test_making_a_new_address_stops_the_old_one(client, hub, headteacher):
    client.force_login(headteacher)
    client.post(SETTINGS_URL, {"action": "create"})
    old = CalendarFeed.objects.get(user=headteacher).token
    response = client.post(SETTINGS_URL, {"action": "renew"}, follow=True)
    assert "The old address no longer works" in response.content.decode()
    new = CalendarFeed.objects.get(user=headteacher).token
    assert new != old
    assert client.get(reverse("groups:feed", args=[old])).status_code == 404
    assert client.get(reverse("groups:feed", args=[new])).status_code == 200
    # The history says who made and replaced it, and never holds a token.
    history = CalendarFeed.history.filter(user=headteacher).order_by("history_date")
    assert [(h.history_change_reason, h.history_user) for h in history] == [
        ("Made a calendar address", headteacher),
        ("Replaced the calendar address", headteacher),
    ]
    assert not hasattr(history.first(), "token")


@pytest.mark.parametrize("who", ["hub_lead", "national_admin"])
def test_other_roles_may_not_use_the_page(client, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(SETTINGS_URL).status_code == 403
    assert client.post(SETTINGS_URL, {"action": "create"}).status_code == 403
    assert not CalendarFeed.objects.filter(user=user).exists()


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.post(SETTINGS_URL, {"action": "create"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_posts_need_the_csrf_token(hub, specialist):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(specialist)
    assert csrf_client.post(SETTINGS_URL, {"action": "create"}).status_code == 403
    assert not CalendarFeed.objects.filter(user=specialist).exists()
    page = csrf_client.get(SETTINGS_URL)
    token = page.cookies["csrftoken"].value
    response = csrf_client.post(SETTINGS_URL, {"action": "create", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert CalendarFeed.objects.filter(user=specialist).exists()


def test_an_unknown_action_is_a_message_not_an_error(client, hub, specialist):
    client.force_login(specialist)
    response = client.post(SETTINGS_URL, {"action": "explode"}, follow=True)
    assert response.status_code == 200
    assert "Choose to create your calendar address" in response.content.decode()
    assert not CalendarFeed.objects.filter(user=specialist).exists()


def test_the_feed_needs_no_sign_in_and_ignores_who_is_signed_in(
    client, hub, specialist, headteacher
):
    group = group_with_schools(hub, schools=2, lead=specialist)
    meeting = MeetingFactory(work_group=group)
    url = feed_url(specialist)
    client.force_login(headteacher)
    assert set(events(parse(client.get(url)))) == {uid(meeting)}
    assert Meeting.objects.visible_to(headteacher).count() == 0


def test_a_school_in_no_group_gets_an_empty_but_valid_calendar(client, school, headteacher):
    SchoolFactory(hub=school.hub)
    calendar = parse(client.get(feed_url(headteacher)))
    assert calendar.walk("VEVENT") == []
    assert str(calendar["X-WR-CALNAME"]) == "Maths Hub work group meetings"
