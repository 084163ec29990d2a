"""The national admin's year across every hub: hubportal.dashboards_national and
the home page that shows it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funding.models import GRANT_PENCE, Budget
from hubportal.dashboards_national import hub_table, national_figures, stage_trend
from tests.factories import (
    AcceptedApplicationFactory,
    HubFactory,
    HubLeadFactory,
    NationalAdminFactory,
    SchoolFactory,
    SubmittedApplicationFactory,
    group_with_schools,
    stage,
)
from tests.test_dashboards import hub_with_a_year
from workgroups.models import AcademicYear

pytestmark = pytest.mark.django_db


@pytest.fixture
def year():
    stage("dwg")
    return AcademicYear.objects.current()


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def admin():
    return NationalAdminFactory().user


@pytest.fixture
def two_hubs(year, today):
    """Hub A has the hand-counted year of tests/test_dashboards.py (per stage: dwg
    applied 8, accepted 5, in groups 5, completed 1; mr applied 1, accepted 1; two
    groups, one without a specialist; one claim waiting, £1,000 committed, £10,000
    allocated). Hub B: one unled group of two schools, one submitted application,
    no claims and no budget."""
    a = HubFactory(name="Abacus Maths Hub", code="ABA")
    hub_with_a_year(a, year, today)
    b = HubFactory(name="Bridge Maths Hub", code="BRI")
    group_with_schools(b, schools=2, start_year=year.start_year)
    SubmittedApplicationFactory(school=SchoolFactory(hub=b), stage=stage("dwg"), year=year)
    return a, b


def test_each_hubs_figures_match_the_hand_counted_fixture(admin, year, two_hubs):
    a, b = two_hubs

    rows = {row.hub.code: row for row in hub_table(admin, year).rows}

    ra, rb = rows["ABA"], rows["BRI"]
    assert (ra.applied, ra.accepted, ra.in_groups, ra.completed) == (9, 6, 5, 1)
    assert (ra.groups, ra.groups_without_specialist, ra.claims_waiting) == (2, 1, 1)
    assert (ra.committed, ra.paid, ra.allocation) == (GRANT_PENCE, 0, 1_000_000)
    assert ra.remaining == 1_000_000 - GRANT_PENCE
    assert (rb.applied, rb.accepted, rb.in_groups, rb.completed) == (3, 2, 2, 0)
    assert (rb.groups, rb.groups_without_specialist, rb.claims_waiting) == (1, 1, 0)
    assert (rb.committed, rb.paid, rb.allocation, rb.remaining) == (0, 0, None, None)
    assert rb.money_shown["allocation"] == "Not set"


def test_national_totals_add_up_every_hub(admin, year, two_hubs):
    totals = national_figures(admin, year)

    assert (totals.applied, totals.accepted, totals.in_groups, totals.completed) == (12, 8, 7, 1)
    assert (totals.groups, totals.groups_without_specialist) == (3, 2)
    assert totals.claims_waiting == 1
    assert (totals.committed, totals.paid, totals.allocation) == (GRANT_PENCE, 0, 1_000_000)
    assert totals.money_shown["committed"] == "£1,000.00"


def test_the_table_sorts_on_the_column_asked_for(admin, year, two_hubs):
    def codes(sort):
        return [row.hub.code for row in hub_table(admin, year, sort).rows]

    assert codes("hub") == ["ABA", "BRI"]
    assert codes("-hub") == ["BRI", "ABA"]
    assert codes("-applied") == ["ABA", "BRI"]
    assert codes("applied") == ["BRI", "ABA"]
    # No allocation sorts below any amount.
    assert codes("allocation") == ["BRI", "ABA"]
    assert codes("-allocation") == ["ABA", "BRI"]


@pytest.mark.parametrize("bad", ["", "nonsense", "-", "hub__name", "--applied"])
def test_an_unknown_sort_falls_back_to_the_hubs_name(admin, year, two_hubs, bad):
    table = hub_table(admin, year, bad)

    assert [row.hub.code for row in table.rows] == ["ABA", "BRI"]
    assert table.sort == "hub"
    assert table.columns[0]["aria_sort"] == "ascending"
    assert table.columns[0]["next"] == "-hub"


def test_sorted_columns_say_so_and_offer_the_reverse(admin, year, two_hubs):
    columns = {c["name"]: c for c in hub_table(admin, year, "-paid").columns}

    assert columns["paid"]["aria_sort"] == "descending"
    assert columns["paid"]["next"] == "paid"
    assert columns["hub"]["aria_sort"] == "none"
    assert columns["hub"]["next"] == "hub"


def test_the_trend_counts_schools_accepted_per_stage_and_year(admin, year):
    dwg, mr = stage("dwg"), stage("mr")
    last_year = AcademicYear.objects.for_date(year.starts - timedelta(days=1))
    long_ago = AcademicYear.objects.for_date(year.starts - timedelta(days=6 * 366))
    for y, n in ((year, 3), (last_year, 1), (long_ago, 4)):
        for _ in range(n):
            AcceptedApplicationFactory(school=SchoolFactory(), stage=dwg, year=y)
    AcceptedApplicationFactory(school=SchoolFactory(), stage=mr, year=year)
    SubmittedApplicationFactory(school=SchoolFactory(), stage=mr, year=year)

    trend = stage_trend(admin)

    assert [y.start_year for y in trend.years] == list(
        range(year.start_year - 4, year.start_year + 1)
    )
    assert trend.counts[dwg.pk] == [0, 0, 0, 1, 3]
    assert trend.counts[mr.pk] == [0, 0, 0, 0, 1]
    assert trend.table[-1]["counts"][[s.pk for s in trend.stages].index(dwg.pk)] == 3
    assert all(len(line["points"]) == 5 for line in trend.lines)


def _hubs(n: int, year, today):
    for i in range(n):
        hub = HubFactory()
        lead = HubLeadFactory(hub=hub).user
        group_with_schools(hub, schools=2, lead=lead if i % 2 else None, start_year=year.start_year)
        Budget.objects.create(hub=hub, year=year, allocation_pence=100_000)


def _queries(admin, year) -> int:
    with CaptureQueriesContext(connection) as ctx:
        national_figures(admin, year)
        hub_table(admin, year, "-paid")
        stage_trend(admin)
    return len(ctx.captured_queries)


def test_the_query_count_does_not_grow_with_the_hubs(admin, year, today):
    _queries(admin, year)  # the first read of the admin's memberships is cached
    _hubs(2, year, today)
    two = _queries(admin, year)
    _hubs(3, year, today)
    five = _queries(admin, year)

    assert two == five
    # 7 each for the figures and the table; the trend: current year, years, stages, counts.
    assert two == 7 + 7 + 3 + 1


def test_the_home_page_shows_the_totals_and_the_hubs_for_a_national_admin(
    client, admin, year, two_hubs
):
    client.force_login(admin)

    response = client.get(reverse("home") + "?sort=-applied")

    assert response.status_code == 200
    assert response.templates[0].name == "accounts/home_national_admin.html"
    html = response.content.decode()
    assert 'id="total-applied">12<' in html
    assert "Schools per hub" in html  # what the page showed before stays
    assert [row.hub.code for row in response.context["hub_table"].rows] == ["ABA", "BRI"]
    assert f"?year={year.slug}&amp;hub=BRI" in html
    assert 'id="trend-chart-data"' in html


def test_a_bad_sort_on_the_home_page_falls_back(client, admin, year, two_hubs):
    client.force_login(admin)

    response = client.get(reverse("home") + "?sort=%3Cscript%3E")

    assert response.status_code == 200
    assert response.context["hub_table"].sort == "hub"


def test_a_hub_leads_home_stays_their_own(client, year, two_hubs):
    lead = HubLeadFactory(hub=two_hubs[0]).user
    client.force_login(lead)

    response = client.get(reverse("home"))

    assert response.templates[0].name == "accounts/home_hub_lead.html"
    assert "hub_table" not in response.context
    assert "Each hub's year" not in response.content.decode()


def test_only_a_national_admin_sees_every_hub(year, two_hubs):
    lead = HubLeadFactory(hub=two_hubs[1]).user

    rows = hub_table(lead, year).rows

    assert [row.hub.code for row in rows] == ["BRI"]
    assert national_figures(lead, year).applied == 3


def test_the_national_home_shows_the_year_asked_for_and_keeps_it_when_sorting(
    client, admin, year, two_hubs
):
    last = AcademicYear.objects.for_date(year.starts - timedelta(days=1))
    client.force_login(admin)

    response = client.get(reverse("home"), {"year": last.slug, "sort": "-applied"})

    assert response.context["year"] == last
    # Hub A's fixture gave last year one submitted application; hub B none.
    assert response.context["totals"].applied == 1
    assert response.context["hub_table"].sort == "-applied"
    html = response.content.decode()
    assert f"The year across all hubs: {last.label}" in html
    assert f'href="?year={last.slug}&amp;sort=applied"' in html
    assert '<input type="hidden" name="sort" value="-applied">' in html


def test_a_wrong_year_on_the_national_home_is_an_error(client, admin, year, two_hubs):
    client.force_login(admin)

    response = client.get(reverse("home"), {"year": "2099-00"})

    assert response.status_code == 200
    assert response.context["year"] == year
    assert "Select an academic year from the list" in response.content.decode()
