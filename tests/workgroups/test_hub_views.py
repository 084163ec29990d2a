"""The hub lead's pages: cohorts, a cohort's applications, the review and the
decision, bulk acceptance, windows and participation history; who may use them,
what another hub's rows look like (404), and their query counts as rows grow."""

import html as htmllib
import re
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    AcceptedApplicationFactory,
    ApplicationWindowFactory,
    DeclinedApplicationFactory,
    HubAreaFactory,
    ParticipationFactory,
    SchoolFactory,
    SubmittedApplicationFactory,
    WaitlistedApplicationFactory,
    WithdrawnApplicationFactory,
    stage,
    year,
)
from workgroups import services
from workgroups.models import (
    Application,
    ApplicationState,
    ApplicationWindow,
    Participation,
)

pytestmark = pytest.mark.django_db

S = ApplicationState
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LIST_URL = reverse("applications:list", args=["dwg", "2026-27"])
ACCEPT_URL = reverse("applications:accept_many", args=["dwg", "2026-27"])
COHORTS_URL = reverse("applications:cohorts")
WINDOWS_URL = reverse("applications:windows")
PARTICIPATION_URL = reverse("applications:participation")


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(NOW)


@pytest.fixture
def window(hub):
    return ApplicationWindowFactory(hub=hub, stage=stage("dwg"), year=year(2026), target_places=14)


@pytest.fixture
def lead_client(client, hub_lead):
    client.force_login(hub_lead)
    return client


def submitted(hub, **kwargs):
    school_kwargs = {
        key.removeprefix("school__"): kwargs.pop(key)
        for key in list(kwargs)
        if key.startswith("school__")
    }
    return SubmittedApplicationFactory(school=SchoolFactory(hub=hub, **school_kwargs), **kwargs)


def listed(response) -> list[int]:
    return [a.pk for a in response.context["page"].object_list]


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's text with tags and runs of white space removed."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html(response))).split())


# ---------------------------------------------------------------------------
# Who may use the pages


def hub_pages(application, window) -> list[str]:
    return [
        COHORTS_URL,
        LIST_URL,
        reverse("applications:review", args=[application.pk]),
        WINDOWS_URL,
        reverse("applications:window_new"),
        reverse("applications:window_edit", args=[window.pk]),
        PARTICIPATION_URL,
        reverse("applications:participation_upload"),
    ]


@pytest.mark.parametrize("person", ["specialist", "headteacher"])
def test_specialists_and_headteachers_may_not_use_the_hub_pages(
    client, request, person, hub, window
):
    application = submitted(hub)
    client.force_login(request.getfixturevalue(person))
    for url in hub_pages(application, window):
        assert client.get(url).status_code == 403, url
    posts = [
        reverse("applications:decide", args=[application.pk]),
        ACCEPT_URL,
        reverse("applications:window_toggle", args=[window.pk, "close"]),
    ]
    for url in posts:
        assert (
            client.post(url, {"decision": "accept", "application": [application.pk]}).status_code
            == 403
        )
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_anonymous_person_is_sent_to_sign_in(client):
    response = client.get(COHORTS_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_national_admin_sees_lists_and_applications_read_only(client, national_admin, hub, window):
    application = submitted(hub)
    client.force_login(national_admin)

    assert client.get(COHORTS_URL).status_code == 200
    listing = client.get(LIST_URL)
    assert listing.status_code == 200
    assert listed(listing) == [application.pk]
    assert "Accept selected" not in html(listing)
    assert 'name="application"' not in html(listing)

    review = client.get(reverse("applications:review", args=[application.pk]))
    assert review.status_code == 200
    assert "Save decision" not in html(review)
    assert "read-only" in text(review)

    decide = client.post(
        reverse("applications:decide", args=[application.pk]), {"decision": "accept"}
    )
    assert decide.status_code == 403
    assert client.post(ACCEPT_URL, {"application": [application.pk]}).status_code == 403
    assert client.get(reverse("applications:window_new")).status_code == 403
    windows = client.get(WINDOWS_URL)
    assert windows.status_code == 200
    assert "Close now" not in html(windows) and "Add a window" not in html(windows)
    history = client.get(PARTICIPATION_URL)
    assert history.status_code == 200
    assert "Record what a school did" not in html(history)
    assert client.get(reverse("applications:participation_upload")).status_code == 403
    assert client.post(PARTICIPATION_URL, {}).status_code == 403
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


def test_another_hubs_application_and_window_are_not_found(lead_client, other_hub, other_school):
    theirs = SubmittedApplicationFactory(school=other_school)
    their_window = ApplicationWindowFactory(hub=other_hub)
    for url in (
        reverse("applications:review", args=[theirs.pk]),
        reverse("applications:window_edit", args=[their_window.pk]),
    ):
        assert lead_client.get(url).status_code == 404, url
    assert (
        lead_client.post(
            reverse("applications:decide", args=[theirs.pk]), {"decision": "accept"}
        ).status_code
        == 404
    )
    assert (
        lead_client.post(
            reverse("applications:window_toggle", args=[their_window.pk, "close"])
        ).status_code
        == 404
    )
    # Ticking another hub's application in the bulk form accepts nothing.
    response = lead_client.post(ACCEPT_URL, {"application": [theirs.pk]})
    assert "Nothing was accepted" in text(response)
    theirs.refresh_from_db()
    their_window.refresh_from_db()
    assert theirs.state == S.SUBMITTED
    assert their_window.closes == date(2027, 7, 31)


def test_a_hub_lead_never_sees_drafts_or_another_hubs_rows_in_the_list(
    lead_client, hub, other_school, window
):
    ours = submitted(hub)
    SubmittedApplicationFactory(school=other_school)
    from tests.factories import DraftApplicationFactory

    DraftApplicationFactory(school=SchoolFactory(hub=hub))
    assert listed(lead_client.get(LIST_URL)) == [ours.pk]


# ---------------------------------------------------------------------------
# Cohorts


def test_cohorts_count_each_state_against_the_target_places(lead_client, hub, window):
    for factory, count in (
        (SubmittedApplicationFactory, 3),
        (WaitlistedApplicationFactory, 1),
        (AcceptedApplicationFactory, 2),
        (DeclinedApplicationFactory, 1),
        (WithdrawnApplicationFactory, 1),
    ):
        for _ in range(count):
            factory(school=SchoolFactory(hub=hub))
    submitted(hub, stage=stage("mr"))
    # Another year and another hub stay out of this year's counts.
    submitted(hub, year=year(2025))

    response = lead_client.get(COHORTS_URL)
    assert response.status_code == 200
    rows = {row.stage.code: row for row in response.context["rows"]}
    assert [row.stage.code for row in response.context["rows"]] == ["mr", "dwg", "emb", "sus"]
    assert rows["dwg"].counts == {
        "submitted": 3,
        "waitlisted": 1,
        "accepted": 2,
        "declined": 1,
        "withdrawn": 1,
    }
    assert rows["dwg"].target_places == 14
    assert rows["mr"].counts["submitted"] == 1
    assert rows["mr"].target_places is None
    page = text(response)
    assert "2 of 14" in page
    assert "(no window)" in page
    assert "5 applications are waiting for a decision in 2026/27" in page
    assert LIST_URL in html(response)


def test_cohorts_year_chooser_offers_years_with_rows_and_refuses_others(lead_client, hub):
    submitted(hub, year=year(2024))
    response = lead_client.get(COHORTS_URL)
    labels = [label for _, label in response.context["form"].fields["year"].choices]
    assert labels == ["2026/27", "2024/25"]

    earlier = lead_client.get(COHORTS_URL, {"year": "2024-25"})
    assert earlier.context["year"].start_year == 2024
    assert {r.stage.code: r.counts["submitted"] for r in earlier.context["rows"]}["dwg"] == 1

    bad = lead_client.get(COHORTS_URL, {"year": "1999-00"})
    assert bad.status_code == 200
    assert bad.context["year"].start_year == 2026
    assert "Select an academic year from the list" in text(bad)


# ---------------------------------------------------------------------------
# A cohort's applications


def test_list_shows_tags_summary_and_a_checkbox_only_for_undecided_rows(lead_client, hub, window):
    waiting = submitted(hub, priority=True, outside_area=True)
    accepted = AcceptedApplicationFactory(school=SchoolFactory(hub=hub))
    response = lead_client.get(LIST_URL)
    page = html(response)
    assert f'value="{waiting.pk}"' in page
    assert f'value="{accepted.pk}"' not in page
    assert "Priority" in page and "Outside area" in page
    assert "Accepted 1 of 14 target places" in text(response)
    assert reverse("applications:review", args=[waiting.pk]) in page
    assert "Accept selected" in page


def test_list_without_a_window_says_so(lead_client, hub):
    submitted(hub)
    assert "Accepted 0: no window" in text(lead_client.get(LIST_URL))


def test_list_filters_by_state_priority_outside_area_and_la(lead_client, hub, window):
    HubAreaFactory(hub=hub, la_code="353", la_name="Oldham")
    plain = submitted(hub)
    priority = submitted(hub, priority=True)
    outside = submitted(hub, outside_area=True)
    oldham = submitted(hub, school__la_code="353", school__la_name="Oldham")
    waitlisted = WaitlistedApplicationFactory(school=SchoolFactory(hub=hub))

    assert listed(lead_client.get(LIST_URL, {"priority": "yes"})) == [priority.pk]
    assert priority.pk not in listed(lead_client.get(LIST_URL, {"priority": "no"}))
    assert listed(lead_client.get(LIST_URL, {"outside_area": "yes"})) == [outside.pk]
    assert listed(lead_client.get(LIST_URL, {"la": "353"})) == [oldham.pk]
    assert listed(lead_client.get(LIST_URL, {"state": "waitlisted"})) == [waitlisted.pk]
    both = lead_client.get(LIST_URL, {"state": "submitted", "la": "352", "priority": "no"})
    assert set(listed(both)) == {plain.pk, outside.pk}
    assert "2 applications match the filters" in text(both)


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("state", "draft", "Select a state from the list"),
        ("priority", "maybe", "Select yes, no or any for priority"),
        ("outside_area", "1", "Select yes, no or any for outside the hub"),
        ("la", "999", "Select a local authority from the list"),
        ("sort", "pk; drop table", "Select an order from the list"),
    ],
)
def test_a_bad_filter_is_an_error_beside_its_field_not_a_crash(
    lead_client, hub, window, param, value, message
):
    application = submitted(hub)
    response = lead_client.get(LIST_URL, {param: value})
    assert response.status_code == 200
    page = html(response)
    assert f'id="id_{param}-error"' in page
    assert message in text(response)
    assert "There is a problem" in page
    # The list still shows the cohort, without the bad filter.
    assert listed(response) == [application.pk]


def test_list_sorts_by_school_submitted_la_and_state_both_ways(lead_client, hub, window):
    HubAreaFactory(hub=hub, la_code="353", la_name="Oldham")
    b = submitted(hub, school__name="Beech Primary", submitted_at=datetime(2026, 10, 2, tzinfo=UTC))
    a = submitted(
        hub,
        school__name="Ash Primary",
        school__la_code="353",
        school__la_name="Oldham",
        submitted_at=datetime(2026, 10, 3, tzinfo=UTC),
    )
    c = AcceptedApplicationFactory(
        school=SchoolFactory(hub=hub, name="Cedar Primary", la_name="Manchester"),
        submitted_at=datetime(2026, 10, 1, tzinfo=UTC),
    )
    b.school.la_name = "Manchester"
    b.school.save()

    assert listed(lead_client.get(LIST_URL, {"sort": "school"})) == [a.pk, b.pk, c.pk]
    assert listed(lead_client.get(LIST_URL, {"sort": "-school"})) == [c.pk, b.pk, a.pk]
    assert listed(lead_client.get(LIST_URL, {"sort": "submitted"})) == [c.pk, b.pk, a.pk]
    assert listed(lead_client.get(LIST_URL, {"sort": "-submitted"})) == [a.pk, b.pk, c.pk]
    assert listed(lead_client.get(LIST_URL, {"sort": "la"})) == [b.pk, c.pk, a.pk]
    # State runs in the order of the work: waiting for a decision first.
    assert listed(lead_client.get(LIST_URL)) == [b.pk, a.pk, c.pk]
    assert listed(lead_client.get(LIST_URL, {"sort": "-state"}))[0] == c.pk
    response = lead_client.get(LIST_URL, {"sort": "school"})
    assert 'aria-sort="ascending"' in html(response)


def test_list_pages_by_fifty_and_its_links_keep_the_filters(lead_client, hub, window):
    for _ in range(51):
        submitted(hub, priority=True)
    submitted(hub)
    first = lead_client.get(LIST_URL, {"priority": "yes", "sort": "school"})
    assert len(listed(first)) == 50
    assert "Applications 1 to 50 of 51" in text(first)
    assert "?priority=yes&amp;sort=school&amp;page=2" in html(first)
    second = lead_client.get(LIST_URL, {"priority": "yes", "sort": "school", "page": 2})
    assert len(listed(second)) == 1
    # The bulk form posts with the filters, so that it comes back to the same list.
    assert f"{ACCEPT_URL}?priority=yes&amp;sort=school" in html(first)


def test_an_unknown_stage_or_a_malformed_year_is_not_found(lead_client):
    assert (
        lead_client.get(reverse("applications:list", args=["nope", "2026-27"])).status_code == 404
    )
    for slug in ("2026-28", "26-27", "2026"):
        url = reverse("applications:list", args=["dwg", slug])
        assert lead_client.get(url).status_code == 404, slug


def _queries(client, url, params=None) -> int:
    # A first request makes one-off rows (the current academic year): not counted.
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def _grow(hub, count):
    for index in range(count):
        factory = [
            SubmittedApplicationFactory,
            WaitlistedApplicationFactory,
            AcceptedApplicationFactory,
        ][index % 3]
        factory(school=SchoolFactory(hub=hub), priority=index % 2 == 0)


@pytest.mark.parametrize("params", [{}, {"priority": "yes", "sort": "-la"}])
def test_list_query_count_is_the_same_for_three_and_forty_applications(
    lead_client, hub, window, django_assert_num_queries, params
):
    _grow(hub, 3)
    small = _queries(lead_client, LIST_URL, params)
    _grow(hub, 37)
    with django_assert_num_queries(small):
        response = lead_client.get(LIST_URL, params)
    assert len(listed(response)) >= 20


def test_cohorts_query_count_is_the_same_for_three_and_forty_applications(
    lead_client, hub, window, django_assert_num_queries
):
    _grow(hub, 3)
    small = _queries(lead_client, COHORTS_URL)
    _grow(hub, 37)
    for code in ("mr", "emb"):
        SubmittedApplicationFactory(school=SchoolFactory(hub=hub), stage=stage(code))
    with django_assert_num_queries(small):
        lead_client.get(COHORTS_URL)


def test_participation_query_count_is_the_same_for_three_and_forty_rows(
    lead_client, hub, hub_lead, django_assert_num_queries
):
    for _ in range(3):
        ParticipationFactory(school=SchoolFactory(hub=hub), recorded_by=hub_lead)
    small = _queries(lead_client, PARTICIPATION_URL)
    for index in range(37):
        ParticipationFactory(
            school=SchoolFactory(hub=hub),
            year=year(2020 + index % 5),
            stage=stage(["mr", "dwg", "sus"][index % 3]),
            recorded_by=hub_lead,
        )
    with django_assert_num_queries(small):
        response = lead_client.get(PARTICIPATION_URL)
    assert len(response.context["page"].object_list) == 40


# ---------------------------------------------------------------------------
# The review page


def test_review_shows_the_eligibility_reasons_answers_and_history_with_the_actor(
    lead_client, hub, hub_lead, window
):
    school = SchoolFactory(hub=hub, name="Larch Primary")
    # A Development place taken before: eligibility now says why a new one would be refused.
    ParticipationFactory(school=school, stage=stage("dwg"), year=year(2019))
    application = SubmittedApplicationFactory(school=school, contact_name="Pat Head")
    services.application_waitlist(
        actor=hub_lead, application=application, reason="Full until January"
    )

    response = lead_client.get(reverse("applications:review", args=[application.pk]))
    assert response.status_code == 200
    page = text(response)
    assert "Eligibility now" in page
    assert "The school took part in Development Work Group in 2019/20" in page
    assert "Pat Head" in page
    assert "Teacher" in page  # the named participants
    history = response.context["history"]
    decision = history[0]
    assert decision.who == hub_lead
    assert decision.why == "Full until January"
    assert any(
        c.label == "State" and (c.old, c.new) == ("Submitted", "Waitlisted")
        for c in decision.changes
    )
    assert "State: Submitted → Waitlisted" in page
    assert str(hub_lead) in page
    assert "Full until January" in page
    # Participants' history appears too.
    assert any(entry.subject.startswith("Teacher 1") for entry in history)


def test_review_history_costs_the_same_however_many_changes(
    lead_client, hub, hub_lead, window, django_assert_num_queries
):
    application = submitted(hub)
    url = reverse("applications:review", args=[application.pk])
    small = _queries(lead_client, url)
    for n in range(5):
        # More history rows, as an import or the admin would leave them.
        application.contact_role = f"Role {n}"
        application._history_user = hub_lead
        application.save()
    with django_assert_num_queries(small):
        lead_client.get(url)


def test_review_of_a_priority_school_says_so(lead_client, hub, window):
    school = SchoolFactory(hub=hub)
    ParticipationFactory(school=school, stage=stage("mr"), year=year(2025))
    application = SubmittedApplicationFactory(school=school, priority=True)
    page = text(lead_client.get(reverse("applications:review", args=[application.pk])))
    assert "Priority: the school completed Mastery Readiness in 2025/26" in page


# ---------------------------------------------------------------------------
# Decisions


def decide(client, application, **data):
    return client.post(reverse("applications:decide", args=[application.pk]), data)


def test_accept(lead_client, hub, hub_lead, window):
    application = submitted(hub)
    response = decide(lead_client, application, decision="accept")
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:review", args=[application.pk])
    application.refresh_from_db()
    assert application.state == S.ACCEPTED
    assert application.decided_by == hub_lead
    page = text(lead_client.get(response["Location"]))
    assert f"Accepted: {application.school.name}" in page


def test_waitlist_needs_a_reason_beside_the_field_and_keeps_what_was_chosen(
    lead_client, hub, window
):
    application = submitted(hub)
    response = decide(lead_client, application, decision="waitlist", reason="   ")
    assert response.status_code == 200
    page = html(response)
    assert 'id="id_reason-error"' in page
    assert "Enter the reason to waitlist the application" in text(response)
    assert '<a href="#id_reason">' in page
    assert re.search(r'value="waitlist" checked', page)
    application.refresh_from_db()
    assert application.state == S.SUBMITTED

    response = decide(lead_client, application, decision="waitlist", reason="Full for now")
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == S.WAITLISTED
    assert application.decision_reason == "Full for now"


def test_decline_needs_a_reason_and_records_it(lead_client, hub, window):
    application = submitted(hub)
    response = decide(lead_client, application, decision="decline")
    assert "Enter the reason to decline the application" in text(response)
    typed = "x" * 2001
    response = decide(lead_client, application, decision="decline", reason=typed)
    assert "The reason must be 2,000 characters or fewer" in text(response)
    assert typed in html(response)
    decide(lead_client, application, decision="decline", reason="Not ready this year")
    application.refresh_from_db()
    assert application.state == S.DECLINED
    assert application.decision_reason == "Not ready this year"


def test_no_decision_chosen_is_an_error(lead_client, hub, window):
    application = submitted(hub)
    response = decide(lead_client, application, reason="Because")
    assert "Select accept, waitlist or decline" in text(response)
    assert "Because" in html(response)


def test_promote_from_the_waiting_list(lead_client, hub, window):
    application = WaitlistedApplicationFactory(school=SchoolFactory(hub=hub))
    review = lead_client.get(reverse("applications:review", args=[application.pk]))
    assert "Promote from the waiting list" in text(review)
    assert 'value="waitlist"' not in html(review)
    response = decide(lead_client, application, decision="accept")
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == S.ACCEPTED
    follow = lead_client.get(response["Location"])
    assert "Promoted from the waiting list" in text(follow)


def test_a_decided_application_has_no_form_and_a_late_decision_is_refused(lead_client, hub, window):
    application = DeclinedApplicationFactory(school=SchoolFactory(hub=hub))
    review = lead_client.get(reverse("applications:review", args=[application.pk]))
    assert "Save decision" not in html(review)
    assert "The school is outside the hub" in text(review)
    response = decide(lead_client, application, decision="accept")
    assert response.status_code == 302
    follow = lead_client.get(response["Location"])
    assert "This application is already declined: no decision was made" in text(follow)
    application.refresh_from_db()
    assert application.state == S.DECLINED


def test_a_database_refusal_is_shown_not_a_crash(lead_client, hub, window):
    """Development is once per school, ever: a second acceptance is refused by the
    database and the hub lead sees why."""
    school = SchoolFactory(hub=hub)
    AcceptedApplicationFactory(school=school, year=year(2024))
    application = SubmittedApplicationFactory(school=school)
    response = decide(lead_client, application, decision="accept")
    assert response.status_code == 200
    assert "a school may take it once" in text(response)
    application.refresh_from_db()
    assert application.state == S.SUBMITTED


# ---------------------------------------------------------------------------
# Accepting several at once


def test_accept_two_at_once(lead_client, hub, window):
    first, second = submitted(hub), WaitlistedApplicationFactory(school=SchoolFactory(hub=hub))
    left = submitted(hub)
    response = lead_client.post(f"{ACCEPT_URL}?priority=no", {"application": [first.pk, second.pk]})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST_URL}?priority=no"
    assert set(Application.objects.filter(state=S.ACCEPTED).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    left.refresh_from_db()
    assert left.state == S.SUBMITTED
    assert "Accepted 2 applications" in text(lead_client.get(response["Location"]))


def test_accepting_one_already_declined_accepts_nothing_and_says_why(lead_client, hub, window):
    good = submitted(hub)
    declined = DeclinedApplicationFactory(school=SchoolFactory(hub=hub, name="Rowan Primary"))
    response = lead_client.post(ACCEPT_URL, {"application": [good.pk, declined.pk]})
    assert response.status_code == 200
    page = text(response)
    assert "There is a problem" in page
    assert "Rowan Primary's application is declined and cannot be accepted now." in page
    assert "Nothing was accepted." in page
    assert f'value="{good.pk}" checked' in html(response)
    assert not Application.objects.filter(state=S.ACCEPTED).exists()


def test_accepting_nothing_ticked_asks_for_a_selection(lead_client, hub, window):
    submitted(hub)
    response = lead_client.post(ACCEPT_URL, {"application": ["x"]})
    assert "Select at least one application to accept" in text(response)


def test_accept_many_only_takes_the_cohorts_applications(lead_client, hub, window):
    mr = submitted(hub, stage=stage("mr"))
    response = lead_client.post(ACCEPT_URL, {"application": [mr.pk]})
    assert "Nothing was accepted" in text(response)
    mr.refresh_from_db()
    assert mr.state == S.SUBMITTED


# ---------------------------------------------------------------------------
# Windows


def window_data(**overrides):
    data = {
        "stage": stage("emb").pk,
        "year": "2027",
        "opens_day": "1",
        "opens_month": "3",
        "opens_year": "2027",
        "closes_day": "31",
        "closes_month": "5",
        "closes_year": "2027",
        "target_places": "21",
    }
    data.update(overrides)
    return data


def test_windows_list_shows_status_accepted_and_actions(lead_client, hub, window):
    ApplicationWindowFactory(
        hub=hub,
        stage=stage("sus"),
        year=year(2027),
        opens=date(2027, 3, 1),
        closes=date(2027, 5, 1),
    )
    AcceptedApplicationFactory(school=SchoolFactory(hub=hub))
    response = lead_client.get(WINDOWS_URL)
    assert response.status_code == 200
    by_stage = {w.stage.code: w for w in response.context["windows"]}
    assert by_stage["dwg"].status == "open"
    assert by_stage["dwg"].accepted == 1
    assert by_stage["sus"].status == "upcoming"
    page = text(response)
    assert "Windows for 2026/27" in page and "Windows for 2027/28" in page
    assert "Close now" in page and "Open now" in page and "Change" in page


def test_create_a_window(lead_client, hub, hub_lead):
    response = lead_client.post(reverse("applications:window_new"), window_data())
    assert response.status_code == 302
    window = ApplicationWindow.objects.get(hub=hub, stage=stage("emb"))
    assert window.year.start_year == 2027
    assert (window.opens, window.closes, window.target_places) == (
        date(2027, 3, 1),
        date(2027, 5, 31),
        21,
    )
    assert window.history.first().history_user == hub_lead
    assert "Saved the window for Embedding in 2027/28" in text(lead_client.get(WINDOWS_URL))


def test_the_new_window_form_offers_this_year_and_the_next_two(lead_client):
    response = lead_client.get(reverse("applications:window_new"))
    choices = [label for _, label in response.context["form"].fields["year"].choices]
    assert choices == ["2026/27", "2027/28", "2028/29"]
    response = lead_client.post(reverse("applications:window_new"), window_data(year="2030"))
    assert "Select one of the academic years listed" in text(response)


def test_a_second_window_for_the_same_stage_and_year_points_to_the_first(lead_client, hub, window):
    response = lead_client.post(
        reverse("applications:window_new"),
        window_data(stage=stage("dwg").pk, year="2026"),
    )
    assert response.status_code == 200
    assert "Your hub already has a window for Development Work Group in 2026/27" in text(response)
    assert reverse("applications:window_edit", args=[window.pk]) in html(response)
    assert ApplicationWindow.objects.count() == 1


def test_change_a_window_keeps_its_stage_and_year(lead_client, hub, window):
    url = reverse("applications:window_edit", args=[window.pk])
    form = lead_client.get(url)
    assert 'value="2026"' in html(form)  # the opening year, typed into its box
    response = lead_client.post(
        url,
        window_data(
            stage=stage("mr").pk,
            year="2028",
            opens_day="1",
            opens_month="9",
            opens_year="2026",
            target_places="20",
        ),
    )
    assert response.status_code == 302
    window.refresh_from_db()
    assert window.stage.code == "dwg" and window.year.start_year == 2026
    assert window.target_places == 20
    assert window.opens == date(2026, 9, 1)
    assert ApplicationWindow.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "part", "message"),
    [
        (
            {"opens_day": "31", "opens_month": "2"},
            "opens",
            "day",
            "Opening date must be a real date",
        ),
        ({"opens_month": "13"}, "opens", "month", "Opening date must be a real date"),
        ({"opens_month": ""}, "opens", "month", "Opening date must include a month"),
        (
            {"closes_day": "", "closes_year": ""},
            "closes",
            "day",
            "Closing date must include a day and year",
        ),
        ({"closes_year": "27"}, "closes", "year", "Closing date year must include 4 numbers"),
        ({"opens_day": "first"}, "opens", "day", "Opening date must be a real date"),
        (
            {"opens_day": "", "opens_month": "", "opens_year": ""},
            "opens",
            "day",
            "Enter the opening date",
        ),
        (
            {"closes_day": "1", "closes_month": "2", "closes_year": "2027"},
            "closes",
            "day",
            "The closing date must be on or after the opening date",
        ),
    ],
)
def test_bad_dates_are_errors_beside_the_field(lead_client, hub, overrides, field, part, message):
    response = lead_client.post(reverse("applications:window_new"), window_data(**overrides))
    assert response.status_code == 200
    page = html(response)
    assert message in text(response)
    assert f'id="id_{field}-error"' in page
    # The summary links to the box to correct, and that box is marked.
    assert f'<a href="#id_{field}-{part}">' in page
    assert re.search(rf'govuk-input--error" id="id_{field}-{part}"', page)
    # What was typed is kept.
    typed_year = window_data(**overrides)["opens_year"]
    assert f'name="opens_year" type="text" inputmode="numeric" value="{typed_year}"' in page
    assert not ApplicationWindow.objects.exists()


def test_month_names_are_understood(lead_client, hub):
    response = lead_client.post(
        reverse("applications:window_new"), window_data(opens_month="March", closes_month="may")
    )
    assert response.status_code == 302
    window = ApplicationWindow.objects.get()
    assert (window.opens, window.closes) == (date(2027, 3, 1), date(2027, 5, 31))


@pytest.mark.parametrize(
    ("places", "message"),
    [
        ("0", "Target number of school places must be 1 or more"),
        ("501", "Target number of school places must be 500 or fewer"),
        ("ten", "Target number of school places must be a whole number, like 14"),
        ("", "Enter the target number of school places"),
    ],
)
def test_target_places_between_one_and_five_hundred(lead_client, hub, places, message):
    response = lead_client.post(
        reverse("applications:window_new"), window_data(target_places=places)
    )
    assert message in text(response)
    assert 'id="id_target_places-error"' in html(response)


def test_close_now_and_open_now(lead_client, hub, hub_lead, window):
    close = lead_client.post(reverse("applications:window_toggle", args=[window.pk, "close"]))
    assert close.status_code == 302
    window.refresh_from_db()
    assert window.closes == date(2026, 11, 22)
    assert "closed on 22 November 2026" in text(lead_client.get(WINDOWS_URL))

    lead_client.post(reverse("applications:window_toggle", args=[window.pk, "open"]))
    window.refresh_from_db()
    assert window.opens <= date(2026, 11, 23) <= window.closes
    assert window.history.first().history_user == hub_lead


def test_an_unknown_window_action_is_not_found(lead_client, window):
    url = reverse("applications:window_toggle", args=[window.pk, "delete"])
    assert lead_client.post(url).status_code == 404
    assert (
        lead_client.get(
            reverse("applications:window_toggle", args=[window.pk, "close"])
        ).status_code
        == 405
    )


# ---------------------------------------------------------------------------
# Participation history by form


def record_data(**overrides):
    data = {
        "record-urn": "",
        "record-stage": "dwg",
        "record-year": "2024",
        "record-outcome": "completed",
        "record-note": "From the hub's 2024 register",
    }
    data.update(overrides)
    return data


def test_record_participation_by_form(lead_client, hub, hub_lead, school):
    response = lead_client.post(PARTICIPATION_URL, record_data(**{"record-urn": str(school.urn)}))
    assert response.status_code == 302
    row = Participation.objects.get()
    assert (row.school, row.stage.code, row.year.start_year, row.outcome) == (
        school,
        "dwg",
        2024,
        "completed",
    )
    assert row.recorded_by == hub_lead
    assert row.source == Participation.Source.FORM
    listing = lead_client.get(PARTICIPATION_URL)
    page = text(listing)
    assert f"Recorded {school.name} ({school.urn})" in page
    assert "Entered by form" in page


def test_recording_a_school_of_another_hub_is_an_error_beside_the_urn(lead_client, other_school):
    response = lead_client.post(
        PARTICIPATION_URL, record_data(**{"record-urn": str(other_school.urn)})
    )
    assert response.status_code == 200
    assert f"No school with URN {other_school.urn} is in your hub's area" in text(response)
    assert 'id="id_record-urn-error"' in html(response)
    # What was typed is kept.
    assert "From the hub&#x27;s 2024 register" in html(response)
    assert not Participation.objects.exists()


def test_record_form_checks_the_urn_and_outcome(lead_client, school):
    response = lead_client.post(
        PARTICIPATION_URL, record_data(**{"record-urn": "12", "record-outcome": "won"})
    )
    page = text(response)
    assert "Enter a URN of 6 digits, like 123456" in page
    assert "Select completed, did not complete or withdrawn" in page


def test_participation_filters_and_search(lead_client, hub, hub_lead):
    alder = SchoolFactory(hub=hub, name="Alder Primary", urn=345678)
    birch = SchoolFactory(hub=hub, name="Birch Primary")
    a = ParticipationFactory(school=alder, stage=stage("mr"), year=year(2023))
    b = ParticipationFactory(school=birch, stage=stage("dwg"), year=year(2024), outcome="withdrawn")
    ParticipationFactory()  # a school of another hub

    def shown(params):
        return [r.pk for r in lead_client.get(PARTICIPATION_URL, params).context["page"]]

    assert set(shown({})) == {a.pk, b.pk}
    assert shown({"q": "345678"}) == [a.pk]
    assert shown({"q": "birch"}) == [b.pk]
    assert shown({"stage": "mr"}) == [a.pk]
    assert shown({"year": "2024"}) == [b.pk]
    assert shown({"outcome": "withdrawn"}) == [b.pk]
    bad = lead_client.get(PARTICIPATION_URL, {"year": "1066"})
    assert bad.status_code == 200
    assert "Select an academic year from the list" in text(bad)


# ---------------------------------------------------------------------------
# The home page's "waiting for a decision"


def test_decisions_waiting_counts_undecided_applications_per_cohort(hub, hub_lead, other_school):
    from workgroups.selectors.hub import decisions_waiting

    for _ in range(2):
        submitted(hub)
    WaitlistedApplicationFactory(school=SchoolFactory(hub=hub))
    AcceptedApplicationFactory(school=SchoolFactory(hub=hub))
    submitted(hub, stage=stage("mr"), year=year(2027))
    SubmittedApplicationFactory(school=other_school)  # another hub's

    waiting = [(w.stage.code, w.year.start_year, w.count) for w in decisions_waiting(hub_lead)]
    assert waiting == [("dwg", 2026, 3), ("mr", 2027, 1)]


def test_home_page_links_each_cohort_waiting_for_a_decision(rf, hub, hub_lead):
    """The hub lead's home template, given the selector's answer, links each cohort."""
    from django.template.loader import render_to_string

    from workgroups.selectors.hub import decisions_waiting

    submitted(hub)
    request = rf.get("/")
    request.user = hub_lead
    page = render_to_string(
        "accounts/home_hub_lead.html",
        {"hub": hub, "decisions_waiting": decisions_waiting(hub_lead)},
        request=request,
    )
    assert f'href="{LIST_URL}">1 for Development Work Group 2026/27</a>' in page
    assert f'href="{COHORTS_URL}"' in page
