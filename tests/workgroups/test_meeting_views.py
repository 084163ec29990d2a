"""The group page, the specialist's groups, scheduling a series of meetings, changing
and cancelling one, the meeting page and logging attendance: who may use each page
(wrong role 403, another hub's or another specialist's row 404), what bad input shows,
that nothing is half saved, and query counts that do not grow with the rows."""

import html as htmllib
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    HeadteacherFactory,
    MeetingFactory,
    SchoolFactory,
    SpecialistFactory,
    group_with_schools,
)
from workgroups import services
from workgroups.models import Attendance, AttendanceStatus, Meeting, MeetingKind, MeetingState

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
# 2026/27: three of these have taken place by 23 November 2026, three have not.
SIX_DATES = [
    date(2026, 9, 28),
    date(2026, 10, 19),
    date(2026, 11, 9),
    date(2026, 11, 30),
    date(2026, 12, 14),
    date(2027, 1, 11),
]


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(NOW)


@pytest.fixture
def group(hub, specialist):
    """Seven schools, fourteen teachers, led by the ``specialist`` fixture."""
    return group_with_schools(hub, schools=7, lead=specialist)


@pytest.fixture
def other_specialist(hub):
    return SpecialistFactory(hub=hub).user


@pytest.fixture
def other_group(hub, other_specialist):
    return group_with_schools(hub, schools=3, lead=other_specialist)


@pytest.fixture
def held(group):
    """A workshop held a fortnight ago, not logged yet."""
    return MeetingFactory(work_group=group, date=date(2026, 11, 9))


@pytest.fixture
def future(group):
    return MeetingFactory(work_group=group, date=date(2026, 12, 14))


@pytest.fixture
def member_headteacher(group):
    """The headteacher of one of the group's own schools."""
    return HeadteacherFactory(school=group.members.first().school).user


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's text with tags and runs of white space removed."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html(response))).split())


def status_of(client, user, url, method="get", data=None) -> int:
    client.force_login(user)
    response = client.post(url, data or {}) if method == "post" else client.get(url)
    return response.status_code


def series_data(group, rows: list[dict], first: int = 1) -> dict:
    """The schedule form's POST data: one dict of overrides per row, from meeting ``first``."""
    venue = str(group.members.order_by("school__name").first().school_id)
    data = {}
    for number, row in enumerate(rows, start=first):
        values = {
            "date": "",
            "starts_at": "13:00",
            "ends_at": "16:00",
            "kind": MeetingKind.WORKSHOP,
            # A row left for later has no date and no venue chosen.
            "venue": venue if row.get("date") else "",
            "online_link": "",
        }
        values.update(row)
        for name, value in values.items():
            data[f"meeting-{number}-{name}"] = value
    return data


def six_rows(group) -> dict:
    return series_data(group, [{"date": day.isoformat()} for day in SIX_DATES])


def participants_of(meeting):
    return services.meeting_participants(meeting)


def attendance_data(meeting, statuses: dict[int, str] | None = None, notes="") -> dict:
    data = {f"participant-{p.pk}": AttendanceStatus.PRESENT for p in participants_of(meeting)}
    for pk, status in (statuses or {}).items():
        data[f"participant-{pk}"] = status
    data["notes"] = notes
    return data


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


# ---------------------------------------------------------------------------
# Who may use the pages


def test_only_specialists_have_a_your_groups_page(
    client, group, specialist, hub_lead, headteacher, national_admin
):
    url = reverse("groups:mine")
    assert status_of(client, specialist, url) == 200
    for person in (hub_lead, headteacher, national_admin):
        assert status_of(client, person, url) == 403


def test_your_groups_lists_only_the_groups_the_specialist_leads(
    client, group, other_group, specialist
):
    client.force_login(specialist)
    response = client.get(reverse("groups:mine"))
    assert [g.pk for g in response.context["groups"]] == [group.pk]
    assert group.code in text(response)
    assert other_group.code not in text(response)


def test_the_group_and_meeting_pages_are_for_the_hub_its_admins_and_the_groups_lead(
    client, group, held, specialist, hub_lead, national_admin
):
    for url in (
        reverse("groups:detail", args=[group.pk]),
        reverse("groups:meeting", args=[held.pk]),
    ):
        for person in (specialist, hub_lead, national_admin):
            assert status_of(client, person, url) == 200, (url, person)


def test_a_headteacher_uses_their_own_page_not_the_group_page(
    client, group, held, member_headteacher
):
    urls = [
        reverse("groups:detail", args=[group.pk]),
        reverse("groups:meeting", args=[held.pk]),
        reverse("groups:schedule", args=[group.pk]),
        reverse("groups:reschedule", args=[held.pk]),
        reverse("groups:cancel", args=[held.pk]),
        reverse("groups:log", args=[held.pk]),
    ]
    for url in urls:
        assert status_of(client, member_headteacher, url) == 403, url
    client.force_login(member_headteacher)
    response = client.post(reverse("groups:log", args=[held.pk]), attendance_data(held))
    assert response.status_code == 403
    assert not Attendance.objects.exists()


def test_another_specialists_group_its_meetings_and_its_log_are_not_found(
    client, group, held, other_specialist
):
    urls = [
        reverse("groups:detail", args=[group.pk]),
        reverse("groups:schedule", args=[group.pk]),
        reverse("groups:meeting", args=[held.pk]),
        reverse("groups:reschedule", args=[held.pk]),
        reverse("groups:cancel", args=[held.pk]),
        reverse("groups:log", args=[held.pk]),
    ]
    for url in urls:
        assert status_of(client, other_specialist, url) == 404, url
    assert (
        status_of(
            client,
            other_specialist,
            reverse("groups:log", args=[held.pk]),
            "post",
            attendance_data(held),
        )
        == 404
    )
    assert not Attendance.objects.exists()


def test_another_hubs_lead_finds_none_of_the_groups_pages(client, group, held, other_hub_lead):
    urls = [
        reverse("groups:detail", args=[group.pk]),
        reverse("groups:schedule", args=[group.pk]),
        reverse("groups:meeting", args=[held.pk]),
        reverse("groups:reschedule", args=[held.pk]),
        reverse("groups:cancel", args=[held.pk]),
    ]
    for url in urls:
        assert status_of(client, other_hub_lead, url) == 404, url
    cancel = reverse("groups:cancel", args=[held.pk])
    assert status_of(client, other_hub_lead, cancel, "post", {"reason": "Mine now"}) == 404
    held.refresh_from_db()
    assert held.state == MeetingState.SCHEDULED


def test_hub_leads_and_national_admins_cannot_log_attendance(
    client, held, hub_lead, national_admin, other_hub_lead
):
    url = reverse("groups:log", args=[held.pk])
    for person in (hub_lead, national_admin, other_hub_lead):
        assert status_of(client, person, url) == 403
        assert status_of(client, person, url, "post", attendance_data(held)) == 403
    assert not Attendance.objects.exists()


def test_the_hub_lead_may_schedule_and_change_but_a_national_admin_only_looks(
    client, group, held, hub_lead, national_admin
):
    for url in (
        reverse("groups:schedule", args=[group.pk]),
        reverse("groups:reschedule", args=[held.pk]),
        reverse("groups:cancel", args=[held.pk]),
    ):
        assert status_of(client, hub_lead, url) == 200, url
        assert status_of(client, national_admin, url) == 403, url


def test_the_group_page_offers_each_person_only_what_they_may_do(
    client, group, held, future, specialist, hub_lead, national_admin
):
    log_url = reverse("groups:log", args=[held.pk])
    future_log = reverse("groups:log", args=[future.pk])
    manage = reverse("groups:manage", args=[group.pk])
    completion = reverse("groups:completion", args=[group.pk])
    change = reverse("groups:reschedule", args=[future.pk])
    schedule = reverse("groups:schedule", args=[group.pk])

    client.force_login(specialist)
    page = html(client.get(reverse("groups:detail", args=[group.pk])))
    assert log_url in page and future_log not in page
    assert change in page and schedule in page
    assert manage not in page and completion not in page

    client.force_login(hub_lead)
    page = html(client.get(reverse("groups:detail", args=[group.pk])))
    assert log_url not in page
    assert change in page and schedule in page
    assert manage in page and completion in page

    client.force_login(national_admin)
    page = html(client.get(reverse("groups:detail", args=[group.pk])))
    for url in (log_url, change, schedule, manage, completion):
        assert url not in page


def test_the_group_page_shows_schools_teachers_and_meetings(client, group, held, specialist):
    cancelled = MeetingFactory(
        work_group=group, date=date(2026, 10, 5), state=MeetingState.CANCELLED
    )
    cancelled.change_reason = "Snow closed the roads"
    cancelled.save()
    client.force_login(specialist)
    response = client.get(reverse("groups:detail", args=[group.pk]))
    page = text(response)
    assert group.code in page and specialist.email in page
    for member in group.members.select_related("school"):
        assert member.school.name in page
        for participant in member.application.participants.all():
            assert f"{participant.name}, {participant.job_role}" in page
    assert "Cancelled" in page and "Snow closed the roads" in page
    assert "Monday 9 November 2026" in page and "Log due" in page


# ---------------------------------------------------------------------------
# Scheduling a series


def test_the_schedule_form_has_a_row_for_each_meeting_still_to_plan(client, group, specialist):
    client.force_login(specialist)
    response = client.get(reverse("groups:schedule", args=[group.pk]))
    assert [row.number for row in response.context["rows"]] == [1, 2, 3, 4, 5, 6]
    page = html(response)
    assert '<span class="govuk-visually-hidden">Meeting 3 </span>Date' in page
    assert 'name="meeting-3-starts_at" type="time" value="13:00"' in page
    MeetingFactory(work_group=group)
    MeetingFactory(work_group=group, state=MeetingState.CANCELLED)
    response = client.get(reverse("groups:schedule", args=[group.pk]))
    assert [row.number for row in response.context["rows"]] == [2, 3, 4, 5, 6]


def test_scheduling_six_meetings_creates_six(client, group, specialist):
    client.force_login(specialist)
    online = series_data(
        group,
        [{"venue": "online", "online_link": "https://meet.example.org/trg", "kind": "trg"}],
    )
    data = {**six_rows(group), **{k: v for k, v in online.items() if not k.endswith("-date")}}
    response = client.post(reverse("groups:schedule", args=[group.pk]), data)
    assert response.status_code == 302
    assert response.url == reverse("groups:detail", args=[group.pk])
    meetings = list(group.meetings.order_by("date"))
    assert [m.date for m in meetings] == SIX_DATES
    assert meetings[0].kind == MeetingKind.TRG
    assert meetings[0].online_link == "https://meet.example.org/trg"
    assert meetings[0].venue_school is None
    assert meetings[1].venue_school is not None and meetings[1].online_link == ""
    assert meetings[0].history.first().history_user == specialist
    page = text(client.get(response.url))
    assert f"Scheduled 6 meetings for {group.code}" in page
    assert "6 of 6 meetings scheduled" in page


def test_a_bad_row_saves_none_and_shows_the_message_beside_that_row(client, group, specialist):
    outsider = SchoolFactory(hub=group.hub)
    data = six_rows(group)
    data["meeting-3-starts_at"], data["meeting-3-ends_at"] = "15:00", "14:00"
    data["meeting-4-venue"] = str(outsider.pk)
    data["meeting-5-date"] = "2027-09-06"
    client.force_login(specialist)
    response = client.post(reverse("groups:schedule", args=[group.pk]), data)
    assert response.status_code == 200
    assert not Meeting.objects.exists()
    page = html(response)
    expected = {
        "meeting-3-ends_at": "The end time of meeting 3 must be after its start time",
        "meeting-4-venue": "The venue of meeting 4 must be one of the group&#x27;s schools",
        "meeting-5-date": "The date of meeting 5 must fall in the 2026/27 school year",
    }
    for field_id, message in expected.items():
        beside = re.search(
            rf'<p id="id_{field_id}-error" class="govuk-error-message">(.*?)</p>', page
        )
        assert beside and message in beside.group(1), field_id
        assert f'<a href="#id_{field_id}">{message}' in page, field_id
    # Rows without a problem have no error, and everything typed is kept.
    assert 'id="id_meeting-1-date-error"' not in page
    assert 'value="2026-09-28"' in page and 'value="2027-09-06"' in page
    assert 'name="meeting-3-starts_at" type="time" value="15:00"' in page
    assert response.context["has_errors"]


def test_blank_rows_are_left_for_later_and_dates_may_be_typed_day_first(client, group, specialist):
    data = series_data(group, [{"date": "28/09/2026"}, {"date": "19/10/2026"}, {}, {}, {}, {}])
    client.force_login(specialist)
    response = client.post(reverse("groups:schedule", args=[group.pk]), data)
    assert response.status_code == 302
    assert [m.date for m in group.meetings.all()] == SIX_DATES[:2]
    response = client.get(reverse("groups:schedule", args=[group.pk]))
    assert [row.number for row in response.context["rows"]] == [3, 4, 5, 6]


def test_an_empty_series_and_a_missing_link_are_errors_not_crashes(client, group, specialist):
    client.force_login(specialist)
    url = reverse("groups:schedule", args=[group.pk])
    response = client.post(url, series_data(group, [{}] * 6))
    assert "Enter the date and venue of at least one meeting" in text(response)
    response = client.post(
        url, series_data(group, [{"date": "2026-09-28", "venue": "online"}, {"date": "31/02/2027"}])
    )
    page = text(response)
    assert "Enter the online link for meeting 1" in page
    assert "The date of meeting 2 must be a real date" in page
    assert not Meeting.objects.exists()


def test_a_problem_the_service_finds_is_shown_beside_the_row_it_names(
    client, group, specialist, monkeypatch
):
    def refuse(**kwargs):
        raise ValidationError(
            {"venue_school": ["Meeting 2: the venue must be one of the group's schools"]}
        )

    monkeypatch.setattr(services, "meeting_schedule_series", refuse)
    data = series_data(group, [{}, {}, {"date": "2026-09-28"}, {"date": "2026-10-19"}], first=1)
    client.force_login(specialist)
    response = client.post(reverse("groups:schedule", args=[group.pk]), data)
    # The second row filled in is meeting 4 on the form.
    assert response.context["rows"][3].errors["venue"] == [
        "Meeting 4: the venue must be one of the group's schools"
    ]
    assert not Meeting.objects.exists()


def test_a_fully_scheduled_group_has_nothing_more_to_schedule(client, group, specialist):
    for day in SIX_DATES:
        MeetingFactory(work_group=group, date=day)
    client.force_login(specialist)
    response = client.get(reverse("groups:schedule", args=[group.pk]), follow=True)
    assert "All 6 meetings of" in text(response)
    response = client.post(reverse("groups:schedule", args=[group.pk]), six_rows(group))
    assert response.status_code == 302
    assert group.meetings.count() == 6


# ---------------------------------------------------------------------------
# Changing and cancelling a meeting


def change_data(group, **overrides) -> dict:
    data = {
        "date": "2026-12-16",
        "starts_at": "09:00",
        "ends_at": "12:00",
        "kind": MeetingKind.VISIT,
        "venue": str(group.members.first().school_id),
        "online_link": "",
        "reason": "The school hall is booked for the nativity",
    }
    data.update(overrides)
    return data


def test_changing_a_meeting_needs_a_reason(client, group, future, specialist):
    client.force_login(specialist)
    url = reverse("groups:reschedule", args=[future.pk])
    response = client.post(url, change_data(group, reason="  "))
    assert response.status_code == 200
    assert "Enter why the meeting is changing" in text(response)
    assert 'value="2026-12-16"' in html(response)
    future.refresh_from_db()
    assert future.date == date(2026, 12, 14)

    response = client.post(url, change_data(group))
    assert response.status_code == 302
    future.refresh_from_db()
    assert (future.date, future.kind) == (date(2026, 12, 16), MeetingKind.VISIT)
    assert future.change_reason == "The school hall is booked for the nativity"
    page = text(client.get(response.url))
    assert "Why it changed The school hall is booked for the nativity" in page


def test_a_change_shows_the_bad_field_beside_it(client, group, future, specialist):
    client.force_login(specialist)
    url = reverse("groups:reschedule", args=[future.pk])
    response = client.post(url, change_data(group, ends_at="08:00", date="2025-12-16"))
    page = text(response)
    assert "The end time of the meeting must be after its start time" in page
    assert "The date of the meeting must fall in the 2026/27 school year" in page
    future.refresh_from_db()
    assert future.date == date(2026, 12, 14)


def test_a_cancelled_or_logged_meeting_cannot_be_changed(client, group, held, future, specialist):
    services.meeting_cancel(actor=specialist, meeting=future, reason="Strike day")
    client.force_login(specialist)
    response = client.post(
        reverse("groups:reschedule", args=[future.pk]), change_data(group), follow=True
    )
    assert "This meeting was cancelled; schedule a new one instead." in text(response)
    future.refresh_from_db()
    assert future.date == date(2026, 12, 14)

    client.post(reverse("groups:log", args=[held.pk]), attendance_data(held))
    response = client.get(reverse("groups:reschedule", args=[held.pk]), follow=True)
    assert "attendance is logged; it cannot be changed" in text(response)
    response = client.post(
        reverse("groups:cancel", args=[held.pk]), {"reason": "Oops"}, follow=True
    )
    assert "attendance is logged; it cannot be cancelled" in text(response)
    held.refresh_from_db()
    assert held.state == MeetingState.SCHEDULED


def test_cancelling_needs_a_reason_and_then_shows_it(client, group, future, hub_lead):
    client.force_login(hub_lead)
    url = reverse("groups:cancel", args=[future.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert "Enter why the meeting is cancelled" in text(response)
    future.refresh_from_db()
    assert future.state == MeetingState.SCHEDULED

    response = client.post(url, {"reason": "Snow closed the roads"}, follow=True)
    future.refresh_from_db()
    assert future.state == MeetingState.CANCELLED
    assert future.change_reason == "Snow closed the roads"
    page = text(response)
    assert f"Cancelled {future}" in page and "Reason: Snow closed the roads" in page


def test_only_get_and_post_are_allowed(client, group, held, specialist):
    client.force_login(specialist)
    for url in (
        reverse("groups:schedule", args=[group.pk]),
        reverse("groups:reschedule", args=[held.pk]),
        reverse("groups:cancel", args=[held.pk]),
        reverse("groups:log", args=[held.pk]),
    ):
        assert client.delete(url).status_code == 405


# ---------------------------------------------------------------------------
# Logging attendance


def checked_values(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(participant-\d+)" type="radio" value="(\w+)" checked', page))


def test_the_log_page_lists_every_participant_set_to_present(client, group, held, specialist):
    client.force_login(specialist)
    response = client.get(reverse("groups:log", args=[held.pk]))
    page = html(response)
    checked = checked_values(page)
    assert len(checked) == 14
    assert set(checked.values()) == {AttendanceStatus.PRESENT}
    assert "govuk-radios--small" in page
    for member in group.members.select_related("school"):
        assert member.school.name in text(response)
    assert "Save attendance" in page


def test_logging_two_absences_writes_the_right_attendance(client, held, specialist):
    participants = participants_of(held)
    away = {participants[2].pk: AttendanceStatus.ABSENT, participants[9].pk: "absent"}
    client.force_login(specialist)
    response = client.post(
        reverse("groups:log", args=[held.pk]),
        attendance_data(held, away, notes="Bar models for fractions"),
    )
    assert response.status_code == 302
    assert response.url == reverse("groups:meeting", args=[held.pk])
    rows = dict(Attendance.objects.filter(meeting=held).values_list("participant_id", "status"))
    assert len(rows) == 14
    assert {pk for pk, status in rows.items() if status == "absent"} == set(away)
    assert sum(1 for status in rows.values() if status == "present") == 12
    held.refresh_from_db()
    assert held.logged_by == specialist and held.notes == "Bar models for fractions"
    page = text(client.get(response.url))
    assert f"Attendance saved for {held}" in page
    assert "Attendance 12 present, 2 absent" in page
    assert f"by {specialist.get_full_name()}" in page


def test_logging_a_future_meeting_is_refused_with_a_message(client, future, specialist):
    client.force_login(specialist)
    url = reverse("groups:log", args=[future.pk])
    response = client.get(url)
    assert "A meeting can be logged once it has taken place." in text(response)
    assert "Save attendance" not in html(response)
    response = client.post(url, attendance_data(future))
    assert response.status_code == 200
    assert "A meeting can be logged once it has taken place." in text(response)
    assert not Attendance.objects.exists()
    future.refresh_from_db()
    assert future.logged_at is None


def test_a_cancelled_meeting_cannot_be_logged(client, held, specialist):
    services.meeting_cancel(actor=specialist, meeting=held, reason="Illness")
    client.force_login(specialist)
    response = client.post(reverse("groups:log", args=[held.pk]), attendance_data(held))
    assert "This meeting was cancelled." in text(response)
    assert not Attendance.objects.exists()


def test_a_missing_answer_is_shown_beside_the_teacher_and_nothing_is_saved(
    client, held, specialist
):
    first = participants_of(held)[0]
    data = attendance_data(held)
    del data[f"participant-{first.pk}"]
    data[f"participant-{participants_of(held)[1].pk}"] = "asleep"
    client.force_login(specialist)
    response = client.post(reverse("groups:log", args=[held.pk]), data)
    assert response.status_code == 200
    assert f"Choose present, absent or sent apologies for {first.name}" in text(response)
    assert f'id="id_participant-{first.pk}-error"' in html(response)
    assert not Attendance.objects.exists()


def test_a_log_is_corrected_within_14_days_and_the_change_audited(
    client, held, specialist, time_machine
):
    participants = participants_of(held)
    client.force_login(specialist)
    url = reverse("groups:log", args=[held.pk])
    client.post(url, attendance_data(held, {participants[0].pk: AttendanceStatus.ABSENT}))

    time_machine.move_to(NOW + timedelta(days=10))
    client.force_login(specialist)  # the session timed out meanwhile
    response = client.get(url)
    assert "Correct attendance" in text(response)
    checked = checked_values(html(response))
    assert checked[f"participant-{participants[0].pk}"] == AttendanceStatus.ABSENT
    assert checked[f"participant-{participants[1].pk}"] == AttendanceStatus.PRESENT
    client.post(url, attendance_data(held, {participants[0].pk: AttendanceStatus.APOLOGIES}))
    row = Attendance.objects.get(meeting=held, participant=participants[0])
    assert row.status == AttendanceStatus.APOLOGIES
    assert row.history.first().history_change_reason == "Corrected"

    time_machine.move_to(NOW + timedelta(days=15))
    client.force_login(specialist)
    response = client.post(url, attendance_data(held))
    assert "The log can be corrected for 14 days" in text(response)
    row.refresh_from_db()
    assert row.status == AttendanceStatus.APOLOGIES


# ---------------------------------------------------------------------------
# The meeting page and the specialist's home


def test_the_meeting_page_shows_who_came(client, held, specialist, hub_lead):
    participants = participants_of(held)
    services.meeting_log_attendance(
        actor=specialist,
        meeting=held,
        statuses={
            p.pk: AttendanceStatus.APOLOGIES if p == participants[0] else AttendanceStatus.PRESENT
            for p in participants
        },
        notes="Reasoning with the part-whole model",
    )
    client.force_login(hub_lead)
    page = text(client.get(reverse("groups:meeting", args=[held.pk])))
    assert "13 present, 1 sent apologies" in page
    assert f"{participants[0].name} {participants[0].job_role} Sent apologies" in page
    assert "Reasoning with the part-whole model" in page
    assert "Correct attendance" not in page


def test_the_specialists_home_shows_groups_next_meetings_and_logs_due(
    client, group, held, future, specialist
):
    client.force_login(specialist)
    response = client.get(reverse("home"))
    page = html(response)
    assert reverse("groups:detail", args=[group.pk]) in page
    assert reverse("groups:log", args=[held.pk]) in page
    assert reverse("groups:meeting", args=[future.pk]) in page
    assert "Monday 14 December 2026" in text(response)


def test_your_groups_shows_the_next_meeting_and_the_log_due(
    client, group, held, future, specialist
):
    client.force_login(specialist)
    response = client.get(reverse("groups:mine"))
    [shown] = response.context["groups"]
    assert shown.schools_count == 7 and shown.logs_due == 1
    assert shown.next_meeting == future and shown.first_due == held
    page = html(response)
    assert reverse("groups:log", args=[held.pk]) in page
    assert reverse("groups:calendar") in page
    assert "Log due" in page


# ---------------------------------------------------------------------------
# Query counts do not grow with the rows


def test_your_groups_costs_the_same_queries_for_one_group_or_four(client, hub, specialist):
    client.force_login(specialist)
    url = reverse("groups:mine")
    first = group_with_schools(hub, schools=3, lead=specialist)
    MeetingFactory(work_group=first, date=date(2026, 11, 9))
    MeetingFactory(work_group=first, date=date(2026, 12, 14))
    few = count_queries(client, url)
    for code in ("emb", "sus", "mr"):
        more = group_with_schools(hub, schools=7, lead=specialist, code=code)
        MeetingFactory(work_group=more, date=date(2026, 10, 12))
        MeetingFactory(work_group=more, date=date(2027, 1, 11))
    response = client.get(url)
    assert len(response.context["groups"]) == 4
    assert count_queries(client, url) == few


def test_the_log_page_costs_the_same_queries_for_3_or_7_schools(client, hub, specialist):
    client.force_login(specialist)
    small = group_with_schools(hub, schools=3, lead=specialist)
    large = group_with_schools(hub, schools=7, lead=specialist, code="emb")
    small_meeting = MeetingFactory(work_group=small, date=date(2026, 11, 9))
    large_meeting = MeetingFactory(work_group=large, date=date(2026, 11, 9))
    assert count_queries(client, reverse("groups:log", args=[small_meeting.pk])) == count_queries(
        client, reverse("groups:log", args=[large_meeting.pk])
    )


def test_the_group_and_meeting_pages_cost_the_same_queries_for_3_or_7_schools(
    client, hub, specialist
):
    client.force_login(specialist)
    counts = []
    for schools, code in ((3, "dwg"), (7, "emb")):
        group = group_with_schools(hub, schools=schools, lead=specialist, code=code)
        meetings = [MeetingFactory(work_group=group, date=day) for day in SIX_DATES[: schools - 1]]
        services.meeting_log_attendance(
            actor=specialist,
            meeting=meetings[0],
            statuses={p.pk: AttendanceStatus.PRESENT for p in participants_of(meetings[0])},
        )
        counts.append(
            (
                count_queries(client, reverse("groups:detail", args=[group.pk])),
                count_queries(client, reverse("groups:meeting", args=[meetings[0].pk])),
            )
        )
    assert counts[0] == counts[1]
