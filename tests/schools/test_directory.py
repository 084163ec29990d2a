"""The school directory: who may use it, search, filters, sorting, pages, htmx, queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    ClosedSchoolFactory,
    HubAreaFactory,
    HubFactory,
    SchoolFactory,
    SecondarySchoolFactory,
)

pytestmark = pytest.mark.django_db

URL = reverse("schools:directory")


def listed_urns(response) -> list[int]:
    """The URNs in the results table, in the order shown."""
    return [school.urn for school in response.context["page"].object_list]


@pytest.fixture
def lead_client(client, hub_lead):
    client.force_login(hub_lead)
    return client


# Who may use it


def test_anonymous_person_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_headteacher_may_not_use_the_directory(client, headteacher):
    client.force_login(headteacher)
    assert client.get(URL).status_code == 403


def test_person_without_a_role_may_not_use_the_directory(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(URL).status_code == 403


def test_specialist_sees_their_hubs_schools(client, specialist, school, other_school):
    client.force_login(specialist)
    response = client.get(URL)
    assert response.status_code == 200
    urns = listed_urns(response)
    assert school.urn in urns
    assert other_school.urn not in urns


def test_hub_lead_sees_only_their_hubs_schools(lead_client, school, other_school):
    response = lead_client.get(URL)
    assert response.status_code == 200
    assert listed_urns(response) == [school.urn]
    assert other_school.name not in response.content.decode()


def test_hub_lead_cannot_reach_another_hub_through_the_hub_filter(
    lead_client, school, other_school, other_hub
):
    response = lead_client.get(URL, {"hub": other_hub.code})
    assert response.status_code == 200
    assert listed_urns(response) == [school.urn]
    assert 'name="hub"' not in response.content.decode()


def test_national_admin_sees_every_hub_and_filters_by_hub(
    client, national_admin, school, other_school, other_hub
):
    client.force_login(national_admin)
    everything = client.get(URL)
    assert set(listed_urns(everything)) == {school.urn, other_school.urn}
    assert 'name="hub"' in everything.content.decode()

    one_hub = client.get(URL, {"hub": other_hub.code})
    assert listed_urns(one_hub) == [other_school.urn]
    assert "Boolean Maths Hub" in one_hub.content.decode()


def test_unknown_hub_code_is_an_error_not_a_crash(client, national_admin, school):
    client.force_login(national_admin)
    response = client.get(URL, {"hub": "NOPE"})
    assert response.status_code == 200
    assert "Select a Maths Hub from the list" in response.content.decode()


# Search


def test_search_by_part_of_the_name_ignores_case(lead_client, hub):
    oak = SchoolFactory(hub=hub, name="Oakfield Primary School")
    SchoolFactory(hub=hub, name="Ridgeway Academy")
    response = lead_client.get(URL, {"q": "  OAKfield  "})
    assert listed_urns(response) == [oak.urn]


def test_six_digit_search_matches_the_urn_exactly(lead_client, hub):
    wanted = SchoolFactory(hub=hub, urn=123456, name="Alpha School")
    SchoolFactory(hub=hub, urn=123457, name="Beta School 123456")
    response = lead_client.get(URL, {"q": "123456"})
    assert listed_urns(response) == [wanted.urn]


def test_search_by_postcode_however_it_is_spaced(lead_client, hub):
    target = SchoolFactory(hub=hub, postcode="M1 1AA", name="Alpha School")
    SchoolFactory(hub=hub, postcode="M11 2BB", name="Beta School")
    for typed in ("M1 1AA", "m11aa", "M1  1aa"):
        response = lead_client.get(URL, {"q": typed})
        assert listed_urns(response) == [target.urn], typed


def test_postcode_search_matches_the_start_of_the_postcode(lead_client, hub):
    m1 = SchoolFactory(hub=hub, postcode="M1 1AA", name="Alpha School")
    m11 = SchoolFactory(hub=hub, postcode="M11 2BB", name="Beta School")
    SchoolFactory(hub=hub, postcode="SM1 1AA", name="Gamma School")
    response = lead_client.get(URL, {"q": "M1"})
    assert set(listed_urns(response)) == {m1.urn, m11.urn}


def test_search_with_no_match_says_so(lead_client, school):
    response = lead_client.get(URL, {"q": "Nowhere at all"})
    body = response.content.decode()
    assert listed_urns(response) == []
    assert "0 schools match your search" in body
    assert "No schools match" in body


def test_search_longer_than_allowed_is_an_error_beside_the_field(lead_client, school):
    response = lead_client.get(URL, {"q": "x" * 101})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Search must be 100 characters or fewer" in body
    assert 'id="id_q-error"' in body


# Filters


def test_filter_by_local_authority(lead_client, hub, school):
    HubAreaFactory(hub=hub, la_code="353", la_name="Oldham")
    oldham = SchoolFactory(hub=hub, la_code="353", la_name="Oldham")
    response = lead_client.get(URL, {"la": "353"})
    assert listed_urns(response) == [oldham.urn]


def test_filter_by_phase(lead_client, hub, school):
    secondary = SecondarySchoolFactory(hub=hub)
    response = lead_client.get(URL, {"phase": "Secondary"})
    assert listed_urns(response) == [secondary.urn]


def test_filter_by_status(lead_client, hub, school):
    closed = ClosedSchoolFactory(hub=hub)
    response = lead_client.get(URL, {"status": "Closed"})
    assert listed_urns(response) == [closed.urn]


def test_filter_by_type(lead_client, hub, school):
    academy = SchoolFactory(hub=hub, type_name="Academy converter")
    response = lead_client.get(URL, {"type": "Academy converter"})
    assert listed_urns(response) == [academy.urn]


def test_filters_combine_with_search(lead_client, hub):
    wanted = SecondarySchoolFactory(hub=hub, name="Oak Academy")
    SchoolFactory(hub=hub, name="Oak Primary")
    SecondarySchoolFactory(hub=hub, name="Elm Academy")
    response = lead_client.get(URL, {"q": "oak", "phase": "Secondary"})
    assert listed_urns(response) == [wanted.urn]
    assert "1 school matches your search" in response.content.decode()


def test_filter_options_come_only_from_schools_the_person_may_see(
    lead_client, hub, other_hub, school
):
    SecondarySchoolFactory(hub=other_hub, type_name="Free schools", status="Proposed to open")
    response = lead_client.get(URL)
    form = response.context["form"]
    assert [value for value, _ in form.fields["phase"].choices] == ["", "Primary"]
    assert [value for value, _ in form.fields["status"].choices] == ["", "Open"]
    assert [value for value, _ in form.fields["type"].choices] == ["", "Community school"]
    assert [value for value, _ in form.fields["la"].choices] == ["", "352"]
    assert "Bath and North East Somerset" not in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phase", "Nursery", "Select a phase from the list"),
        ("la", "999", "Select a local authority from the list"),
        ("status", "<script>", "Select a status from the list"),
        ("type", "Made up", "Select a type from the list"),
        ("sort", "password", "Select an order from the list"),
    ],
)
def test_bad_filter_value_shows_an_error_beside_the_field(
    lead_client, school, field, value, message
):
    response = lead_client.get(URL, {field: value})
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert f'id="id_{field}-error"' in body
    assert f'href="#id_{field}"' in body  # the error summary links to the field
    assert "<script>" not in body.split("<main", 1)[1].split("</main>")[0]
    # The rest of the page still works: the bad filter is left out.
    assert listed_urns(response) == [school.urn]


def test_another_hubs_la_is_not_a_valid_choice_for_a_hub_lead(lead_client, school, other_school):
    response = lead_client.get(URL, {"la": other_school.la_code})
    assert "Select a local authority from the list" in response.content.decode()
    assert listed_urns(response) == [school.urn]


# Sorting


@pytest.fixture
def three_schools(hub):
    HubAreaFactory(hub=hub, la_code="353", la_name="Oldham")
    HubAreaFactory(hub=hub, la_code="354", la_name="Bury")
    return {
        "b": SchoolFactory(
            hub=hub,
            urn=300002,
            name="Beech Primary",
            la_code="353",
            la_name="Oldham",
            phase="Primary",
            status="Open",
            pupils=400,
        ),
        "a": SchoolFactory(
            hub=hub,
            urn=300003,
            name="Ash Academy",
            la_code="354",
            la_name="Bury",
            phase="Secondary",
            status="Closed",
            pupils=None,
        ),
        "c": SchoolFactory(
            hub=hub,
            urn=300001,
            name="Cedar Infants",
            la_code="352",
            la_name="Manchester",
            phase="All-through",
            status="Open, but proposed to close",
            pupils=90,
        ),
    }


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", "abc"),
        ("name", "abc"),
        ("-name", "cba"),
        ("urn", "cba"),
        ("-urn", "abc"),
        ("la", "acb"),
        ("-la", "bca"),
        ("phase", "cba"),
        ("-phase", "abc"),
        ("status", "abc"),
        ("-status", "cba"),
        ("pupils", "cba"),  # no pupil count goes last either way
        ("-pupils", "bca"),
    ],
)
def test_sort_orders(lead_client, three_schools, sort, expected):
    response = lead_client.get(URL, {"sort": sort})
    assert listed_urns(response) == [three_schools[key].urn for key in expected]


def test_column_heading_links_reverse_the_current_order_and_keep_filters(
    lead_client, three_schools
):
    response = lead_client.get(URL, {"sort": "name", "phase": "Primary"})
    body = response.content.decode()
    assert 'aria-sort="ascending"' in body
    assert 'href="?phase=Primary&amp;sort=-name"' in body
    assert 'href="?phase=Primary&amp;sort=urn"' in body


# Pages


def test_fifty_one_schools_make_two_pages(lead_client, hub):
    SchoolFactory.create_batch(51, hub=hub)
    first = lead_client.get(URL)
    assert len(listed_urns(first)) == 50
    assert "51 schools" in first.content.decode()
    second = lead_client.get(URL, {"page": 2})
    assert len(listed_urns(second)) == 1
    assert set(listed_urns(first)).isdisjoint(listed_urns(second))
    body = first.content.decode()
    assert 'class="govuk-pagination"' in body
    assert 'aria-current="page"' in body
    assert 'rel="next"' in body


def test_page_links_keep_the_filters(lead_client, hub):
    SchoolFactory.create_batch(51, hub=hub, phase="Primary")
    response = lead_client.get(URL, {"phase": "Primary", "q": "Oakfield", "sort": "-urn"})
    body = response.content.decode()
    assert 'href="?q=Oakfield&amp;phase=Primary&amp;sort=-urn&amp;page=2"' in body


def test_page_number_out_of_range_or_nonsense_is_not_an_error(lead_client, school):
    for page in ("999", "abc", "-1"):
        response = lead_client.get(URL, {"page": page})
        assert response.status_code == 200
        assert listed_urns(response) == [school.urn]


def test_one_page_of_results_has_no_pagination(lead_client, school):
    assert "govuk-pagination" not in lead_client.get(URL).content.decode()


# htmx


def test_htmx_request_gets_only_the_results_fragment(lead_client, hub, school):
    SecondarySchoolFactory(hub=hub)
    response = lead_client.get(URL, {"phase": "Primary"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "<form" not in body
    assert school.name in body
    assert listed_urns(response) == [school.urn]
    # The count is swapped into the page's live region, outside the results.
    assert re.search(r'<p id="results-count" hx-swap-oob="innerHTML">\s*1 school', body)
    assert "HX-Request" in response["Vary"]


def test_full_page_has_the_htmx_form_and_a_submit_button(lead_client, school):
    body = lead_client.get(URL).content.decode()
    assert body.count("<h1") == 1
    assert 'hx-get="/schools/"' in body
    assert 'hx-trigger="change, keyup changed delay:400ms from:input[type=search]"' in body
    assert 'hx-target="#results"' in body
    assert 'hx-push-url="true"' in body
    assert '<div id="results">' in body
    assert 'aria-live="polite"' in body
    assert "Apply filters" in body
    assert '<caption class="govuk-table__caption' in body
    assert 'scope="col"' in body


def test_htmx_request_with_a_bad_value_loads_the_whole_page(lead_client, school):
    response = lead_client.get(URL, {"phase": "Nursery"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{URL}?phase=Nursery"


def test_htmx_history_restore_gets_the_whole_page(lead_client, school):
    response = lead_client.get(
        URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


# Queries


def _make_schools(hub, count: int, start: int) -> None:
    for n in range(count):
        la_code = f"{400 + n % 7:03d}"
        SchoolFactory(
            hub=hub,
            urn=400000 + start + n,
            la_code=la_code,
            la_name=f"Borough {la_code}",
            phase=("Primary", "Secondary", "All-through")[n % 3],
            status=("Open", "Closed")[n % 2],
            type_name=("Community school", "Academy converter")[n % 2],
        )


@pytest.mark.parametrize("role_fixture", ["hub_lead", "national_admin"])
def test_query_count_does_not_grow_with_schools(
    client, request, hub, django_assert_num_queries, role_fixture
):
    client.force_login(request.getfixturevalue(role_fixture))
    _make_schools(hub, 5, start=0)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL).status_code == 200

    _make_schools(hub, 55, start=5)
    other = HubFactory(code="OTH")
    _make_schools(other, 5, start=100)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(URL, {"sort": "-pupils"})
    assert response.status_code == 200
    assert len(listed_urns(response)) == 50
