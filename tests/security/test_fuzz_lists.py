"""Fuzzing the list pages' filters, sorts and pages with junk query strings, and the
forms about people: invitations, notice preferences and support's view-as."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from hubportal.accounts.models import Invitation, Membership
from tests.security import fuzz_strategies
from tests.security.fuzz_strategies import (
    FEW,
    FUZZ,
    assert_judged,
    assert_list_page,
    mostly,
    nasty_number,
    nasty_text,
    send,
    short_text,
)

# The portal the properties post to, shared by the fuzzing modules.
world = fuzz_strategies.world
portal = fuzz_strategies.portal
as_role = fuzz_strategies.as_role
# Every list page a hub lead or national admin filters, with the parameters it reads.
LISTS = {
    "funding:claims": ["kind", "state", "school", "year", "hub", "sort", "page"],
    "funding:batches": ["year", "hub", "page"],
    "funding:budget": ["year", "hub"],
    "schools:directory": ["q", "la", "phase", "status", "type", "hub", "sort", "page"],
    "applications:cohorts": ["year", "hub"],
    "applications:participation": ["q", "stage", "year", "outcome", "hub", "page"],
    "applications:windows": ["page"],
    "groups:hub_meetings": ["year", "stage", "when", "page"],
    "notices:hub": ["state", "kind", "school", "page"],
    "assurance:samples": ["year", "hub", "page"],
    "assurance:clawbacks": ["state", "hub", "page"],
    "support:start": ["q", "page"],
    "invitations:list": ["page"],
}
COHORT = ["state", "priority", "outside_area", "la", "hub", "sort", "page"]

values = st.one_of(
    st.sampled_from(
        [
            "",
            "-",
            "--school",
            "-amount",
            "reference",
            "2026-27",
            "2026-28",
            "9999-00",
            "ABN",
            "BOO",
            "submitted",
            "committed",
            "0",
            "-1",
            "last",
            "99999999999999999999",
            "²²²²²²",
            "200001",
            "1e309",
        ]
    ),
    nasty_number,
    nasty_text,
)


def _query(draw_params: dict[str, list[str]]) -> dict[str, list[str]]:
    return {key: value for key, value in draw_params.items() if value}


@FUZZ
@example(name="notices:hub", params={"school": ["99999999999999999999"]}, role="hub_lead")
@example(name="support:start", params={"q": ["99999999999999999999"]}, role="national_admin")
@example(name="applications:participation", params={"q": ["²²²²²²"]}, role="hub_lead")
@example(name="notices:hub", params={"school": ["²²"]}, role="hub_lead")
@example(name="support:start", params={"q": ["²²"]}, role="national_admin")
@given(
    name=st.sampled_from(sorted(LISTS)),
    params=st.dictionaries(
        st.one_of(st.sampled_from(sorted({p for ps in LISTS.values() for p in ps})), short_text),
        st.lists(values, min_size=1, max_size=2),
        max_size=5,
    ),
    role=st.sampled_from(["hub_lead", "national_admin"]),
)
def test_list_pages_take_any_query_string(as_role, portal, name, params, role):
    client = as_role(role)
    answer = send(client, "GET", reverse(name), _query(params))
    assert_list_page(answer)


@FUZZ
@given(
    stage=st.sampled_from(["dwg", "emb"]),
    params=st.dictionaries(
        st.one_of(st.sampled_from(COHORT), short_text),
        st.lists(values, min_size=1, max_size=2),
        max_size=5,
    ),
    page=st.sampled_from(["applications:list", "applications:cohort"]),
    role=st.sampled_from(["hub_lead", "national_admin"]),
)
def test_cohort_lists_take_any_query_string(as_role, portal, stage, params, page, role):
    client = as_role(role)
    answer = send(client, "GET", reverse(page, args=[stage, "2026-27"]), _query(params))
    assert_list_page(answer)


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["page", "sort", "q"]), values, max_size=3))
def test_school_funding_and_programme_pages_take_any_query_string(as_role, portal, params):
    client = as_role("headteacher")
    for name in ("funding:school", "applications:programme", "groups:school"):
        assert_list_page(send(client, "GET", reverse(name), params))


@FUZZ
@given(sort=values, state=values, kind=values)
def test_a_junk_filter_is_shown_as_an_error_not_applied(as_role, portal, sort, state, kind):
    client = as_role("hub_lead")
    answer = send(
        client, "GET", reverse("funding:claims"), {"sort": sort, "state": state, "kind": kind}
    )
    assert_list_page(answer)
    valid_sorts = {
        "-submitted",
        "submitted",
        "reference",
        "-reference",
        "school",
        "-school",
        "-amount",
        "amount",
        "",
    }
    if sort.strip() not in valid_sorts:
        assert "Select an order from the list" in answer.html


@FEW
@example(report="reports:claims", year="²⁰²⁶-27", fmt="csv")
@given(
    report=st.sampled_from(
        ["reports:cohort", "reports:attendance", "reports:claims", "reports:annual_return"]
    ),
    year=st.one_of(st.sampled_from(["2026-27", "2026-28", "0000-01", ""]), short_text),
    fmt=st.one_of(st.sampled_from(["csv", "xlsx"]), short_text),
)
def test_report_exports_take_any_year_and_format(as_role, portal, report, year, fmt):
    client = as_role("hub_lead")
    answer = send(client, "GET", reverse(report), {"year": year, "format": fmt})
    assert answer.status in (200, 404), f"status {answer.status}"
    assert not answer.changed, answer.changed


# ---------------------------------------------------------------------------
# People


@FUZZ
@example(name="Sam", email="sam@school.example", role="headteacher", urn="²²²²²²", actor="hub_lead")
@given(
    name=nasty_text,
    email=mostly("SAM@School.Example ", nasty_text),
    role=mostly(
        "specialist",
        st.one_of(st.sampled_from(["headteacher", "hub_lead", "national_admin"]), nasty_text),
    ),
    urn=mostly("", st.one_of(st.sampled_from(["200001", "999999"]), nasty_number)),
    actor=st.sampled_from(["hub_lead", "national_admin"]),
)
def test_invitation_refuses_or_invites_whole(as_role, portal, name, email, role, urn, actor):
    client = as_role(actor)
    data = {"full_name": name, "email": email, "role": role, "school_urn": urn}
    if actor == "national_admin":
        data["hub"] = str(portal.own.hub.pk)
    answer = send(client, "POST", reverse("invitations:create"), data)
    if assert_judged(answer):
        added = answer.added("accounts.invitation")
        assert len(added) == 1
        assert Invitation.objects.filter(pk=added[0][0]).count() == 0  # rolled back
        assert "accounts.historicalinvitation" in answer.changed


@FUZZ
@given(
    reminders=st.one_of(st.just("on"), short_text),
    opportunities=st.one_of(st.just(""), short_text),
    deadlines=nasty_text,
    which=st.one_of(st.sampled_from(["", "mine", "teachers"]), short_text),
    on=st.lists(st.one_of(st.sampled_from(["teacher0@school.example"]), short_text), max_size=3),
)
def test_notice_preferences_save_whole(
    as_role, portal, reminders, opportunities, deadlines, which, on
):
    client = as_role("headteacher")
    data = {
        "reminders": reminders,
        "opportunities": opportunities,
        "deadlines": deadlines,
        "which": which,
        "reminders_on": on,
    }
    answer = send(client, "POST", reverse("notices:preferences"), data)
    assert answer.status == 302, f"status {answer.status}"
    assert set(answer.changed) <= {
        "notices.noticepreference",
        "notices.historicalnoticepreference",
    }, answer.changed
    if "notices.noticepreference" in answer.changed:
        assert "notices.historicalnoticepreference" in answer.changed
    assert answer.messages, "saved without saying so"


@FEW
@example(membership="99999999999999999999")
@example(membership="-1")
@given(membership=st.one_of(st.sampled_from(["", "0", "1_0", " 7 ", "١٢"]), nasty_number))
def test_view_as_refuses_or_starts_a_recorded_session(as_role, portal, membership):
    client = as_role("national_admin")
    answer = send(client, "POST", reverse("support:view_as"), {"membership": membership})
    assert answer.status in (302, 403), f"status {answer.status}"
    if answer.status == 403:
        assert not answer.changed, answer.changed
    else:
        assert answer.changed == ["accounts.supportsession"] or set(answer.changed) <= {
            "accounts.supportsession",
            "accounts.historicalsupportsession",
        }
        assert answer.changed


def test_view_as_a_real_person_starts_one_session(as_role, portal):
    client = as_role("national_admin")
    head = Membership.objects.get(pk=portal.own.head_membership.pk)
    answer = send(client, "POST", reverse("support:view_as"), {"membership": str(head.pk)})
    assert answer.status == 302
    assert len(answer.added("accounts.supportsession")) == 1
