"""Fuzzing the application forms: the headteacher's sections, check and submit and
withdrawal; the hub lead's decision, application window and participation record."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from tests.security import fuzz_strategies
from tests.security.fuzz_strategies import (
    FEW,
    FUZZ,
    assert_judged,
    date_fields,
    date_parts,
    mostly,
    nasty_number,
    nasty_text,
    send,
)
from workgroups.models import Application, ApplicationWindow

# The portal the properties post to, shared by the fuzzing modules.
world = fuzz_strategies.world
portal = fuzz_strategies.portal
as_role = fuzz_strategies.as_role

flag = st.one_of(st.sampled_from(["on", "true", "1", "", "0", "false", "off"]), nasty_text)


def _section(portal, name: str) -> str:
    return reverse("applications:section", args=[portal.own.draft_application.pk, name])


@FUZZ
@given(confirmed=flag, name=nasty_text, role=nasty_text)
def test_school_details_section_refuses_or_saves_what_was_typed(
    as_role, portal, confirmed, name, role
):
    client = as_role("headteacher")
    application = portal.own.draft_application
    answer = send(
        client,
        "POST",
        _section(portal, "school"),
        {"school_details_confirmed": confirmed, "contact_name": name, "contact_role": role},
        probe=lambda: Application.objects.values("contact_name", "contact_role").get(
            pk=application.pk
        ),
    )
    if assert_judged(answer):
        assert "workgroups.application" in answer.changed
        assert answer.probe["contact_name"] == name.strip()
        assert answer.probe["contact_role"] == role.strip()


@FUZZ
@given(release=flag, attends=flag, reports=flag)
def test_commitments_section_takes_only_ticked_boxes(as_role, portal, release, attends, reports):
    client = as_role("headteacher")
    answer = send(
        client,
        "POST",
        _section(portal, "commitments"),
        {
            "commit_release_teachers": release,
            "commit_headteacher_attends": attends,
            "commit_reports": reports,
        },
    )
    assert_judged(answer)


@FUZZ
@given(priorities=nasty_text)
def test_action_plan_section_refuses_or_saves_what_was_typed(as_role, portal, priorities):
    client = as_role("headteacher")
    path = _section(portal, "action_plan")
    if client.get(path).status_code == 404:
        return  # the stage asks for no action plan
    answer = send(client, "POST", path, {"action_plan_priorities": priorities})
    assert_judged(answer)


@FUZZ
@given(
    people=st.lists(
        st.tuples(
            mostly("Sam Teacher", nasty_text),
            nasty_text,
            mostly("Year 3 teacher", nasty_text),
            mostly("on", flag),
            mostly("", nasty_number),
        ),
        min_size=4,
        max_size=4,
    ),
    plausible=st.booleans(),
)
def test_participants_section_refuses_or_saves_every_participant(
    as_role, portal, people, plausible
):
    client = as_role("headteacher")
    data = {}
    for position, (name, email, job, lead, trn) in enumerate(people, start=1):
        if plausible:
            # A valid address beside a nasty name, so the saving path is reached too.
            email = f"teacher{position}@school.example"
        data.update(
            {
                f"participant_{position}_name": name,
                f"participant_{position}_email": email,
                f"participant_{position}_job_role": job,
                f"participant_{position}_is_maths_lead": lead,
                f"participant_{position}_trn": trn,
            }
        )
    answer = send(client, "POST", _section(portal, "participants"), data)
    if assert_judged(answer):
        # All the participants are saved, or none.
        assert "workgroups.participant" in answer.changed


@FUZZ
@given(declaration=flag)
def test_check_and_submit_refuses_with_the_reason_shown(as_role, portal, declaration):
    client = as_role("headteacher")
    path = reverse("applications:check", args=[portal.own.draft_application.pk])
    answer = send(client, "POST", path, {"declaration": declaration})
    if assert_judged(answer):
        assert "workgroups.application" in answer.changed


@FEW
@given(reason=nasty_text, which=st.sampled_from(["draft", "accepted"]))
def test_withdrawal_refuses_or_withdraws_whole(as_role, portal, reason, which):
    client = as_role("headteacher")
    application = (
        portal.own.draft_application
        if which == "draft"
        else Application.objects.get(school=portal.own.school, state="accepted")
    )
    path = reverse("applications:withdraw", args=[application.pk])
    answer = send(client, "POST", path, {"reason": reason})
    if assert_judged(answer):
        assert "workgroups.application" in answer.changed
        assert "workgroups.historicalapplication" in answer.changed


# ---------------------------------------------------------------------------
# The hub lead's side


@FUZZ
@given(
    decision=st.one_of(st.sampled_from(["accept", "waitlist", "decline", ""]), nasty_text),
    reason=nasty_text,
)
def test_decision_refuses_or_decides_whole(as_role, portal, decision, reason):
    client = as_role("hub_lead")
    path = reverse("applications:decide", args=[portal.own.submitted_application.pk])
    answer = send(client, "POST", path, {"decision": decision, "reason": reason})
    if assert_judged(answer):
        assert "workgroups.historicalapplication" in answer.changed


@FUZZ
@example(
    stage="1",
    start="2026",
    opens=("1", "²", "2027"),
    closes=("1", "1", "2027"),
    places="10",
)
@given(
    stage=st.one_of(st.sampled_from(["1", "2", "3", "4", "5", "0", "-1"]), nasty_number),
    start=mostly("2027", st.sampled_from(["2026", "2028", "2025", "²⁰²⁷"])),
    opens=mostly(("1", "3", "2027"), date_parts),
    closes=mostly(("31", "5", "2027"), date_parts),
    places=mostly("14", nasty_number),
)
def test_new_window_refuses_or_saves_whole(as_role, portal, stage, start, opens, closes, places):
    client = as_role("hub_lead")
    data = {
        "stage": stage,
        "year": start,
        "target_places": places,
        **date_fields("opens", opens),
        **date_fields("closes", closes),
    }
    answer = send(client, "POST", reverse("applications:window_new"), data)
    if assert_judged(answer):
        assert len(answer.added("workgroups.applicationwindow")) == 1


@FUZZ
@given(
    opens=mostly(("1", "9", "2026"), date_parts),
    closes=mostly(("31", "5", "2027"), date_parts),
    places=mostly("20", nasty_number),
)
def test_window_change_refuses_or_saves_whole(as_role, portal, opens, closes, places):
    client = as_role("hub_lead")
    window = portal.own.window
    data = {
        "stage": window.stage_id,
        "year": window.year.start_year,
        "target_places": places,
        **date_fields("opens", opens),
        **date_fields("closes", closes),
    }
    answer = send(client, "POST", reverse("applications:window_edit", args=[window.pk]), data)
    if assert_judged(answer):
        rows = ApplicationWindow.objects.filter(pk=window.pk)
        assert rows.count() == 1  # the change is rolled back; the window is still there


@FUZZ
@example(urn="²²²²²²", stage="dwg", start="2024", outcome="completed", note="")
@given(
    urn=mostly("ours", st.one_of(st.sampled_from(["", "123456", "1234567"]), nasty_number)),
    stage=mostly("mr", st.one_of(st.sampled_from(["dwg", "emb", "sus"]), nasty_text)),
    start=mostly("2019", st.one_of(st.sampled_from(["2014", "2013", "2030"]), nasty_number)),
    outcome=mostly(
        "completed", st.one_of(st.sampled_from(["did_not_complete", "withdrawn"]), nasty_text)
    ),
    note=mostly("", nasty_text),
)
def test_participation_record_refuses_or_records_whole(
    as_role, portal, urn, stage, start, outcome, note
):
    client = as_role("hub_lead")
    if urn == "ours":
        urn = str(portal.own.school.urn)
    data = {
        "record-urn": urn,
        "record-stage": stage,
        "record-year": start,
        "record-outcome": outcome,
        "record-note": note,
    }
    answer = send(client, "POST", reverse("applications:participation"), data)
    if assert_judged(answer):
        assert "workgroups.participation" in answer.changed


@FEW
@example(stage="emb", year="²⁰²⁷-28")
@given(
    stage=st.sampled_from(["dwg", "emb", "mr", "sus"]),
    year=st.one_of(st.sampled_from(["2026-27", "2027-28", "2027-29", "9999-00", ""]), nasty_text),
)
def test_starting_an_application_refuses_with_a_message_or_starts_one(as_role, portal, stage, year):
    client = as_role("headteacher")
    answer = send(client, "POST", reverse("applications:start", args=[stage]), {"year": year})
    assert answer.status == 302, f"status {answer.status}"
    if answer.changed:
        assert len(answer.added("workgroups.application")) == 1
        assert "workgroups.historicalapplication" in answer.changed
    else:
        assert answer.messages, "nothing started and nothing said"
