"""The hub lead's year at a glance: hubportal.dashboards.hub_year_figures and the
home page that shows it."""

import itertools
import re
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funding import services
from funding.models import GRANT_PENCE, Budget
from hubportal.dashboards import hub_year_figures
from hubportal.notices.models import Notice, NoticeKind, NoticeState
from tests.factories import (
    AcceptedApplicationFactory,
    ClaimWindowFactory,
    DeclinedApplicationFactory,
    DraftApplicationFactory,
    HeadteacherFactory,
    HubFactory,
    HubLeadFactory,
    MeetingFactory,
    ParticipationFactory,
    SchoolFactory,
    SpecialistFactory,
    SubmittedApplicationFactory,
    WaitlistedApplicationFactory,
    group_with_schools,
    ready_claim,
    stage,
)
from workgroups.models import AcademicYear, Attendance, Participant
from workgroups.selectors.meetings import LOG_GRACE

pytestmark = pytest.mark.django_db


_occasions = itertools.count(1)


def notice(hub, state=NoticeState.FAILED, **fields) -> Notice:
    return Notice.objects.create(
        kind=NoticeKind.MEETING_REMINDER,
        subject_type="meeting",
        subject_id=1,
        occasion=f"occasion-{next(_occasions)}",
        email="teacher@school.example",
        hub=hub,
        state=state,
        **fields,
    )


def logged(meeting, lead, present: int):
    """Log the meeting: the first ``present`` participants present, the rest absent."""
    participants = Participant.objects.filter(
        application__group_member__work_group=meeting.work_group
    ).order_by("pk")
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, participant=p, status="present" if i < present else "absent")
        for i, p in enumerate(participants)
    )
    meeting.logged_at = timezone.now()
    meeting.logged_by = lead
    meeting.save()
    return meeting


def hub_with_a_year(hub, year, today):
    """The hand-counted fixture: every figure below is counted from these rows.

    Development Work Groups (dwg): group 1 (3 schools, 6 participants, led) and
    group 2 (2 schools, unled), so 5 accepted and in groups; one more submitted,
    one waitlisted, one declined and one draft: applied 8, waiting 2.
    Mastery Readiness (mr): one accepted school, not in a group.
    Completions: one dwg school completed, one did not.
    Group 1's meetings: two logged (5 and 4 of 6 present), one held and not
    logged (overdue), one cancelled and not logged (not overdue), one today
    (this week). Group 2: one meeting today, none logged.
    Funding: one grant claim submitted (waiting), one approved (committed £1,000),
    an allocation of £10,000. Two failed notices and one sent."""
    lead = HubLeadFactory(hub=hub).user
    specialist = SpecialistFactory(hub=hub).user
    dwg, mr = stage("dwg"), stage("mr")
    g1 = group_with_schools(hub, schools=3, lead=specialist, start_year=year.start_year)
    g2 = group_with_schools(hub, schools=2, start_year=year.start_year)
    SubmittedApplicationFactory(school=SchoolFactory(hub=hub), stage=dwg, year=year)
    WaitlistedApplicationFactory(school=SchoolFactory(hub=hub), stage=dwg, year=year)
    DeclinedApplicationFactory(school=SchoolFactory(hub=hub), stage=dwg, year=year)
    DraftApplicationFactory(school=SchoolFactory(hub=hub), stage=dwg, year=year)
    AcceptedApplicationFactory(school=SchoolFactory(hub=hub), stage=mr, year=year)
    # Last year's rows belong to another year's figures.
    SubmittedApplicationFactory(
        school=SchoolFactory(hub=hub),
        stage=dwg,
        year=AcademicYear.objects.for_date(year.starts - timedelta(days=1)),
    )
    members = list(g1.members.select_related("school"))
    ParticipationFactory(school=members[0].school, stage=dwg, year=year, outcome="completed")
    ParticipationFactory(school=members[1].school, stage=dwg, year=year, outcome="did_not_complete")

    logged(MeetingFactory(work_group=g1, date=today - timedelta(days=20)), specialist, 5)
    logged(MeetingFactory(work_group=g1, date=today - timedelta(days=10)), specialist, 4)
    MeetingFactory(work_group=g1, date=today - timedelta(days=5))
    MeetingFactory(work_group=g1, date=today - timedelta(days=5), state="cancelled")
    MeetingFactory(work_group=g1, date=today)
    MeetingFactory(work_group=g2, date=today)

    ClaimWindowFactory(
        hub=hub, year=year, opens=today - timedelta(days=30), closes=today + timedelta(days=60)
    )
    claimants = [members[0].school, members[1].school]
    submitted = []
    for school in claimants:
        head = HeadteacherFactory(school=school).user
        claim = ready_claim(school, head, kind="grant")
        submitted.append(services.claim_submit(actor=head, claim=claim))
    services.claim_approve(actor=lead, claim=submitted[1])
    Budget.objects.create(hub=hub, year=year, allocation_pence=1_000_000)

    notice(hub)
    notice(hub)
    notice(hub, NoticeState.SENT, sent_at=timezone.now(), attempts=1)
    return lead, g1, g2


@pytest.fixture
def year():
    stage("dwg")
    return AcademicYear.objects.current()


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def other_hub(year, today):
    """Another hub with one of everything, none of which may count."""
    hub_with_a_year(HubFactory(name="Other Maths Hub"), year, today)


def test_figures_match_the_hand_counted_fixture(year, today, other_hub):
    lead, g1, g2 = hub_with_a_year(HubFactory(), year, today)

    figures = hub_year_figures(lead, year)

    dwg = next(row for row in figures.stages if row.stage.code == "dwg")
    mr = next(row for row in figures.stages if row.stage.code == "mr")
    assert (dwg.applied, dwg.accepted, dwg.in_groups, dwg.completed) == (8, 5, 5, 1)
    assert (mr.applied, mr.accepted, mr.in_groups, mr.completed) == (1, 1, 0, 0)
    assert figures.totals.waiting == 2
    assert figures.totals.groups == 2
    assert figures.totals.groups_without_specialist == 1
    assert figures.totals.meetings_this_week == 2
    assert figures.totals.logs_overdue == 1
    assert [s.stage.code for s in figures.active_stages] == ["mr", "dwg"]

    by_group = {row.group.pk: row for row in figures.attendance}
    assert (by_group[g1.pk].participants, by_group[g1.pk].logged_meetings) == (6, 2)
    assert by_group[g1.pk].present == 9
    assert by_group[g1.pk].rate == 75  # 9 of 12
    assert by_group[g2.pk].rate is None

    assert figures.claims_waiting == 1
    assert figures.money["allocation"] == 1_000_000
    assert figures.money["committed"] == GRANT_PENCE
    assert figures.money["paid"] == 0
    assert figures.money["remaining"] == 1_000_000 - GRANT_PENCE
    assert figures.money_shown["remaining"] == "£9,000.00"
    money = {bar.label: (bar.value, bar.shown) for bar in figures.money_chart.bars}
    assert money == {
        "Committed": (GRANT_PENCE, "£1,000.00 (10%)"),
        "Paid": (0, "£0.00 (0%)"),
        "Remaining": (1_000_000 - GRANT_PENCE, "£9,000.00 (90%)"),
    }
    assert figures.money_chart.maximum == 1_000_000
    assert figures.notices_failed == 2


def test_another_hubs_rows_never_count(year, today, other_hub):
    lead = HubLeadFactory(hub=HubFactory()).user

    figures = hub_year_figures(lead, year)

    assert figures.totals.applied == figures.totals.groups == figures.totals.waiting == 0
    assert figures.attendance == []
    assert figures.claims_waiting == figures.notices_failed == 0
    assert figures.money["allocation"] is None
    assert figures.money_shown["allocation"] == "Not set"
    assert figures.money_chart is None  # nothing to measure against


def test_a_log_is_overdue_only_once_the_meeting_ended_more_than_two_days_ago(year, today):
    hub = HubFactory()
    lead = HubLeadFactory(hub=hub).user
    group = group_with_schools(hub, schools=1, start_year=year.start_year)
    meeting = MeetingFactory(work_group=group, date=today, ends_at=time(16, 0))
    ended = timezone.make_aware(datetime.combine(today, time(16, 0)))

    just_before = hub_year_figures(lead, year, now=ended + LOG_GRACE - timedelta(minutes=1))
    just_after = hub_year_figures(lead, year, now=ended + LOG_GRACE + timedelta(minutes=1))

    assert just_before.totals.logs_overdue == 0
    assert just_after.totals.logs_overdue == 1
    meeting.state = "cancelled"
    meeting.save()
    assert hub_year_figures(lead, year, now=ended + LOG_GRACE * 2).totals.logs_overdue == 0


def test_the_selector_costs_the_same_queries_whatever_the_hubs_size(
    year, today, django_assert_num_queries
):
    small = HubFactory()
    small_lead = HubLeadFactory(hub=small).user
    group_with_schools(small, schools=1, start_year=year.start_year)
    big = HubFactory()
    big_lead = HubLeadFactory(hub=big).user
    for code in ("dwg", "dwg", "mr"):
        group = group_with_schools(big, schools=4, code=code, start_year=year.start_year)
        MeetingFactory(work_group=group, date=today)
        MeetingFactory(work_group=group, date=today - timedelta(days=9))

    hub_year_figures(small_lead, year)  # warms the membership lookups
    hub_year_figures(big_lead, year)
    with CaptureQueriesContext(connection) as small_queries:
        hub_year_figures(small_lead, year)
    with django_assert_num_queries(len(small_queries.captured_queries)):
        hub_year_figures(big_lead, year)
    # stages, applications, members, completions, groups, budget, claim sums,
    # claims waiting, failed notices (the membership was looked up by the warm-up)
    assert len(small_queries.captured_queries) == 9


def home_page(client, user):
    client.force_login(user)
    return client.get(reverse("home"))


def test_home_page_query_count_is_the_same_for_one_group_and_for_three(
    client, year, today, django_assert_num_queries
):
    hub = HubFactory()
    lead = HubLeadFactory(hub=hub).user
    group = group_with_schools(hub, schools=2, start_year=year.start_year)
    MeetingFactory(work_group=group, date=today)
    home_page(client, lead)
    with CaptureQueriesContext(connection) as one_group:
        assert client.get(reverse("home")).status_code == 200

    for _ in range(2):
        group = group_with_schools(hub, schools=3, start_year=year.start_year)
        MeetingFactory(work_group=group, date=today - timedelta(days=8))
    with django_assert_num_queries(len(one_group.captured_queries)):
        response = client.get(reverse("home"))
    assert len(response.context["figures"].attendance) == 3


def test_home_page_shows_each_figure_linked_to_its_list(client, year, today, other_hub):
    lead, g1, g2 = hub_with_a_year(HubFactory(), year, today)

    response = home_page(client, lead)

    assert "accounts/home_hub_lead.html" in [t.name for t in response.templates]
    page = response.content.decode()
    slug = year.slug

    def link(element_id: str) -> tuple[str, str]:
        found = re.search(rf'id="{element_id}"[^>]*>(?:<a [^>]*href="([^"]+)">)?([^<]+)<', page)
        assert found, element_id
        return found.group(1), found.group(2)

    assert re.search(r'id="figure-waiting" href="([^"]+)">2<', page).group(1) == (
        f"{reverse('applications:cohorts')}?year={slug}"
    )
    assert re.search(r'id="figure-claims" href="([^"]+)">1<', page).group(1) == (
        f"{reverse('funding:claims')}?year={slug}&amp;state=submitted"
    )
    assert re.search(r'id="figure-notices" href="([^"]+)">2<', page).group(1) == (
        f"{reverse('notices:hub')}?state=failed"
    )
    assert link("figure-allocation") == (f"{reverse('funding:budget')}?year={slug}", "£10,000.00")
    assert link("figure-remaining")[1] == "£9,000.00"
    assert link("figure-committed") == (
        f"{reverse('funding:claims')}?year={slug}&amp;state=committed",
        "£1,000.00",
    )
    groups_url = reverse("groups:list", args=["dwg", slug])
    name = stage("dwg").name
    assert f'href="{groups_url}" aria-label="2 {name} groups"' in page
    assert f'href="{groups_url}?specialist=none" aria-label="1 {name} groups without a' in page
    meetings_url = f"{reverse('groups:hub_meetings')}?year={slug}&amp;stage=dwg"
    for when, figure in (
        ("this-week", f"2 {name} meetings this week"),
        ("overdue", f"1 {name} attendance logs overdue"),
    ):
        assert f'href="{meetings_url}&amp;when={when}" aria-label="{figure}"' in page, figure
    assert f'href="{reverse("applications:list", args=["dwg", slug])}?state=accepted"' in page
    # What the page kept from before.
    assert reverse("applications:windows") in page
    assert reverse("invitations:create") in page


def test_every_figures_link_opens_for_the_hub_lead(client, year, today):
    lead, g1, g2 = hub_with_a_year(HubFactory(), year, today)
    page = home_page(client, lead).content.decode()
    hrefs = set(re.findall(r'<a class="govuk-link[^"]*"[^>]*href="([^"]+)"', page))
    assert len(hrefs) > 10
    for href in sorted(hrefs):
        response = client.get(href.replace("&amp;", "&"))
        assert response.status_code == 200, href


def test_the_charts_table_matches_its_bars(client, year, today):
    lead, g1, g2 = hub_with_a_year(HubFactory(), year, today)
    page = home_page(client, lead).content.decode()

    # The attendance chart's own drawing (the money chart follows it on the page).
    svg = page[page.index('id="attendance-chart"') :]
    svg = svg[: svg.index("</svg>")]
    bars = re.findall(r'<g class="app-bar" data-label="([^"]+)" data-value="([^"]*)">', svg)
    table = page[page.index('id="attendance-chart-data"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(
        r'<tr class="govuk-table__row" data-value="([^"]*)">\s*<th[^>]*>(?:<a [^>]*>)?([^<]+)<',
        table,
    )
    assert bars == [(g1.code, "75"), (g2.code, "")]
    assert [(label, value) for value, label in rows] == bars
    assert 'role="img"' in page
    assert '<title id="attendance-chart-title">Attendance rate by work group' in page
    assert "Show the data" in page
    widths = re.findall(r'<rect x="180" y="\d+" width="(\d+)"', svg)
    assert widths == ["240", "0"]  # 75% of 320 pixels; no bar before a log


def test_each_figures_list_holds_as_many_rows_as_the_figure_says(client, year, today, other_hub):
    lead, g1, g2 = hub_with_a_year(HubFactory(), year, today)
    client.force_login(lead)
    base = {"year": year.slug, "stage": "dwg"}

    this_week = client.get(reverse("groups:hub_meetings"), {**base, "when": "this-week"})
    overdue = client.get(reverse("groups:hub_meetings"), {**base, "when": "overdue"})
    committed = client.get(reverse("funding:claims"), {"year": year.slug, "state": "committed"})

    assert this_week.context["page"].paginator.count == 2
    assert overdue.context["page"].paginator.count == 1
    assert committed.context["page"].paginator.count == 1
    assert {m.work_group_id for m in this_week.context["page"].object_list} == {g1.pk, g2.pk}
    unled = client.get(reverse("groups:list", args=["dwg", year.slug]), {"specialist": "none"})
    assert [group.pk for group in unled.context["groups"]] == [g2.pk]
    assert "Showing only the groups without a specialist" in unled.content.decode()


def test_the_home_page_shows_the_year_asked_for(client, year, today):
    hub = HubFactory()
    lead, g1, g2 = hub_with_a_year(hub, year, today)
    last = AcademicYear.objects.for_date(year.starts - timedelta(days=1))

    this_year = home_page(client, lead)
    last_year = client.get(reverse("home"), {"year": last.slug})

    assert this_year.context["figures"].year == year
    assert this_year.context["figures"].totals.applied == 9
    assert last_year.context["figures"].year == last
    # Last year holds the one submitted application the fixture gave it.
    assert last_year.context["figures"].totals.applied == 1
    assert last_year.context["figures"].totals.groups == 0
    page = last_year.content.decode()
    assert f"Your year: {last.label}" in page
    assert f'<option value="{last.slug}" selected>' in page


@pytest.mark.parametrize("bad", ["1999-00", "next", "2026-27<script>"])
def test_a_wrong_year_is_an_error_and_the_current_year_is_shown(client, year, today, bad):
    lead, g1, g2 = hub_with_a_year(HubFactory(), year, today)
    client.force_login(lead)

    response = client.get(reverse("home"), {"year": bad})

    assert response.status_code == 200
    assert response.context["figures"].year == year
    page = response.content.decode()
    assert "Select an academic year from the list" in page
    assert "<script>" not in page.split('id="main-content"')[-1].split("</main>")[0]
