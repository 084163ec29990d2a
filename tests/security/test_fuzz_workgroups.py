"""Fuzzing the work group forms: scheduling, changing and cancelling meetings, logging
attendance, recording completion, replacing a participant, and accepting many
applications at once."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from tests.security import fuzz_strategies
from tests.security.fuzz_strategies import (
    FEW,
    FUZZ,
    assert_judged,
    iso_date,
    mostly,
    nasty_number,
    nasty_text,
    send,
    short_text,
    times,
)
from workgroups.models import Attendance, GroupMember, Meeting, Participant

# The portal the properties post to, shared by the fuzzing modules.
world = fuzz_strategies.world
portal = fuzz_strategies.portal
as_role = fuzz_strategies.as_role

kinds = st.one_of(st.sampled_from(["workshop", "visit", "", "WORKSHOP"]), nasty_text)
links = st.one_of(
    st.sampled_from(
        [
            "https://meet.example.org/abc",
            "javascript:alert(1)",
            "http://",
            "meet.example.org/" + "a" * 300,
            "",
        ]
    ),
    nasty_text,
)
days = st.one_of(
    st.sampled_from(["2026-10-20", "20/10/2026", "2027-02-31", "2027-09-01", "0000-01-01"]),
    iso_date,
)


def _venue(portal, online: bool, junk: str) -> str:
    if online:
        return "online"
    return junk or str(portal.own.school.pk)


@FUZZ
@given(
    day=mostly("2026-11-30", days),
    starts=mostly("13:00", times),
    ends=mostly("16:00", times),
    kind=mostly("workshop", kinds),
    online=st.booleans(),
    venue=mostly("", nasty_number),
    link=mostly("https://meet.example.org/abc", links),
)
def test_schedule_refuses_or_schedules_every_meeting(
    as_role, portal, day, starts, ends, kind, online, venue, link
):
    client = as_role("specialist")
    data = {
        "meeting-2-date": day,
        "meeting-2-starts_at": starts,
        "meeting-2-ends_at": ends,
        "meeting-2-kind": kind,
        "meeting-2-venue": _venue(portal, online, venue),
        "meeting-2-online_link": link,
    }
    answer = send(client, "POST", reverse("groups:schedule", args=[portal.own.group.pk]), data)
    if assert_judged(answer):
        assert len(answer.added("workgroups.meeting")) >= 1
        assert "workgroups.historicalmeeting" in answer.changed


@FUZZ
@given(
    day=mostly("2027-03-10", days),
    starts=mostly("13:00", times),
    ends=mostly("16:00", times),
    kind=mostly("workshop", kinds),
    online=st.booleans(),
    link=mostly("https://meet.example.org/abc", links),
    reason=nasty_text,
)
def test_reschedule_refuses_or_changes_the_meeting_whole(
    as_role, portal, day, starts, ends, kind, online, link, reason
):
    client = as_role("specialist")
    meeting = portal.own.meeting

    def future_meeting():
        # A meeting still to come, so it may be changed.
        return Meeting.objects.create(
            work_group=meeting.work_group,
            kind="workshop",
            date=meeting.date.replace(year=2027, month=3),
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            online_link="https://meet.example.org/abc",
        )

    data = {
        "date": day,
        "starts_at": starts,
        "ends_at": ends,
        "kind": kind,
        "venue": _venue(portal, online, ""),
        "online_link": link,
        "reason": reason,
    }
    answer = send(
        client,
        "POST",
        lambda made: reverse("groups:reschedule", args=[made.pk]),
        data,
        setup=future_meeting,
    )
    if answer.status == 302 and not answer.changed:
        assert answer.messages, "nothing was changed and nothing was said"
        return
    assert_judged(answer)


@FUZZ
@given(reason=nasty_text)
def test_cancel_refuses_or_cancels_whole(as_role, portal, reason):
    client = as_role("specialist")
    meeting = portal.own.meeting

    def future_meeting():
        return Meeting.objects.create(
            work_group=meeting.work_group,
            kind="workshop",
            date=meeting.date.replace(year=2027, month=3),
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            online_link="https://meet.example.org/abc",
        )

    answer = send(
        client,
        "POST",
        lambda made: reverse("groups:cancel", args=[made.pk]),
        {"reason": reason},
        setup=future_meeting,
    )
    if assert_judged(answer):
        assert "workgroups.historicalmeeting" in answer.changed


@FUZZ
@given(
    statuses=st.lists(
        st.one_of(st.sampled_from(["present", "absent", "apologies", ""]), nasty_text),
        min_size=1,
        max_size=12,
    ),
    notes=nasty_text,
    extra=st.dictionaries(
        st.one_of(st.sampled_from(["participant-0", "participant--1"]), short_text),
        nasty_text,
        max_size=2,
    ),
)
def test_attendance_log_refuses_or_logs_everyone(as_role, portal, statuses, notes, extra):
    client = as_role("specialist")
    meeting = portal.own.meeting
    participants = list(
        Participant.objects.filter(
            application__in=GroupMember.objects.filter(work_group=meeting.work_group).values(
                "application"
            )
        ).order_by("pk")
    )
    data = {**extra, "notes": notes}
    for participant, status in zip(participants, statuses * 20, strict=False):
        data[f"participant-{participant.pk}"] = status
    answer = send(
        client,
        "POST",
        reverse("groups:log", args=[meeting.pk]),
        data,
        probe=lambda: Attendance.objects.filter(meeting=meeting).count(),
    )
    if assert_judged(answer):
        # Everyone's attendance, not some of it.
        assert answer.probe == len(participants)


@FEW
@given(
    outcomes=st.lists(
        st.tuples(mostly("completed", nasty_text), mostly("Came to every meeting", nasty_text)),
        min_size=3,
        max_size=3,
    )
)
def test_completion_refuses_or_records_every_school(as_role, portal, outcomes):
    client = as_role("hub_lead")
    group = portal.own.group
    members = list(GroupMember.objects.filter(work_group=group).order_by("pk"))
    choices = ["completed", "did_not_complete", "withdrawn"]
    data = {}
    for index, (member, (outcome, reason)) in enumerate(zip(members, outcomes * 3, strict=False)):
        data[f"outcome-{member.pk}"] = choices[index % 3] if index == 2 else outcome
        data[f"reason-{member.pk}"] = reason
    answer = send(client, "POST", reverse("groups:completion", args=[group.pk]), data)
    assert_judged(answer)


@FUZZ
@given(
    name=nasty_text,
    email=mostly("new.teacher@school.example", nasty_text),
    job=mostly("Year 4 teacher", nasty_text),
    lead=mostly("on", nasty_text),
    trn=mostly("", nasty_number),
)
def test_participant_replacement_refuses_or_replaces_whole(
    as_role, portal, name, email, job, lead, trn
):
    client = as_role("headteacher")
    participant = portal.own.participant
    data = {"name": name, "email": email, "job_role": job, "is_maths_lead": lead, "trn": trn}
    answer = send(
        client, "POST", reverse("groups:replace_participant", args=[participant.pk]), data
    )
    if assert_judged(answer):
        assert "workgroups.historicalparticipant" in answer.changed


@FEW
@example(ids=["²"], with_real=False)
@given(
    ids=st.lists(
        st.one_of(st.sampled_from(["0", "-1", "²", "99999999999999999999999"]), nasty_number),
        max_size=4,
    ),
    with_real=st.booleans(),
)
def test_accept_many_accepts_all_or_none(as_role, portal, ids, with_real):
    client = as_role("hub_lead")
    application = portal.own.submitted_application
    if with_real:
        ids = [*ids, str(application.pk)]
    path = reverse("applications:accept_many", args=[application.stage.code, application.year.slug])
    answer = send(client, "POST", path, {"application": ids})
    if answer.status == 200:
        assert not answer.changed, answer.changed
        assert "govuk-error-summary" in answer.html or "govuk-error-message" in answer.html
    else:
        assert answer.status == 302
        assert "workgroups.historicalapplication" in answer.changed
