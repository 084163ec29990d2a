"""The school page: GIAS details and the portal's people, found only through scoping."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    ClosedSchoolFactory,
    HeadteacherFactory,
    SchoolFactory,
    SpecialistFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def url(school) -> str:
    return reverse("schools:detail", args=[school.urn])


@pytest.fixture
def full_school(hub):
    return SchoolFactory(
        hub=hub,
        urn=105432,
        name="St Mary's C of E Primary School",
        la_code="352",
        la_name="Manchester",
        type_name="Voluntary aided school",
        type_group="Local authority maintained schools",
        status="Open",
        phase="Primary",
        statutory_low_age=3,
        statutory_high_age=11,
        pupils=412,
        fsm_percent=Decimal("23.40"),
        trust="Manchester Diocesan Trust",
        street="1 Church Lane",
        town="Manchester",
        postcode="M14 5RQ",
        website="www.stmarys.manchester.sch.uk",
        telephone="01612345678",
        head_title="Mrs",
        head_first_name="Ada",
        head_last_name="Lovelace",
        region="North West",
        easting=384500,
        northing=395200,
        open_date=datetime.date(1974, 4, 1),
    )


def test_anonymous_person_is_sent_to_sign_in(client, school):
    response = client.get(url(school))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_hub_lead_sees_every_gias_detail(client, hub_lead, full_school):
    client.force_login(hub_lead)
    response = client.get(url(full_school))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<h1") == 1
    assert 'class="govuk-summary-list' in body
    for shown in (
        "St Mary&#x27;s C of E Primary School",
        "105432",
        "Voluntary aided school",
        "Local authority maintained schools",
        "Primary",
        "3 to 11",
        "412",
        "23.4%",
        "Manchester Diocesan Trust",
        "1 Church Lane",
        "M14 5RQ",
        "01612345678",
        "Mrs Ada Lovelace",
        "Manchester (352)",
        "North West",
        "384500",
        "395200",
        "1 April 1974",
        "Not closed",
        "Abacus North West Maths Hub",
    ):
        assert shown in body, shown
    assert 'href="https://www.stmarys.manchester.sch.uk"' in body


def test_closed_school_shows_its_close_date(client, hub_lead, hub):
    closed = ClosedSchoolFactory(hub=hub, close_date=datetime.date(2024, 8, 31))
    client.force_login(hub_lead)
    body = client.get(url(closed)).content.decode()
    assert "31 August 2024" in body
    assert "GIAS records this school as closed" in body


def test_missing_details_say_not_recorded(client, hub_lead, hub):
    sparse = SchoolFactory(
        hub=hub, pupils=None, website="", telephone="", easting=None, northing=None
    )
    client.force_login(hub_lead)
    body = client.get(url(sparse)).content.decode()
    assert "Not recorded" in body
    assert 'href="https://' not in body


@pytest.mark.parametrize(
    ("website", "href"),
    [
        ("http://oakfield.example.org", 'href="http://oakfield.example.org"'),
        ("oakfield.example.org/about", 'href="https://oakfield.example.org/about"'),
    ],
)
def test_website_is_a_link(client, hub_lead, hub, website, href):
    school = SchoolFactory(hub=hub, website=website)
    client.force_login(hub_lead)
    assert href in client.get(url(school)).content.decode()


def test_website_that_is_not_a_web_address_is_not_linked(client, hub_lead, hub):
    school = SchoolFactory(hub=hub, website="javascript:alert(1)")
    client.force_login(hub_lead)
    body = client.get(url(school)).content.decode()
    assert "javascript:alert(1)" in body
    assert 'href="javascript' not in body
    assert 'href="https://javascript' not in body


def test_another_hubs_school_is_not_found_for_a_hub_lead(client, hub_lead, other_school):
    client.force_login(hub_lead)
    assert client.get(url(other_school)).status_code == 404


def test_unknown_urn_is_not_found(client, hub_lead):
    client.force_login(hub_lead)
    assert client.get(reverse("schools:detail", args=[999999])).status_code == 404


def test_headteacher_sees_their_own_school(client, headteacher, school):
    client.force_login(headteacher)
    response = client.get(url(school))
    assert response.status_code == 200
    assert school.name in response.content.decode()


def test_headteacher_cannot_see_another_school_even_in_their_hub(
    client, headteacher, hub, other_school
):
    neighbour = SchoolFactory(hub=hub)
    client.force_login(headteacher)
    assert client.get(url(neighbour)).status_code == 404
    assert client.get(url(other_school)).status_code == 404


def test_specialist_sees_their_hubs_schools_only(client, specialist, school, other_school):
    client.force_login(specialist)
    assert client.get(url(school)).status_code == 200
    assert client.get(url(other_school)).status_code == 404


def test_national_admin_sees_any_school(client, national_admin, school, other_school):
    client.force_login(national_admin)
    assert client.get(url(school)).status_code == 200
    assert client.get(url(other_school)).status_code == 200


def test_person_without_a_role_is_refused(client, school):
    client.force_login(UserFactory())
    assert client.get(url(school)).status_code == 403


def test_people_are_the_schools_headteachers_and_its_own_specialists(client, hub_lead, hub, school):
    head = HeadteacherFactory(
        school=school, user=UserFactory(full_name="Grace Hopper", email="head@oak.example")
    )
    own_specialist = SpecialistFactory(
        hub=hub, school=school, user=UserFactory(full_name="Alan Turing", email="at@oak.example")
    )
    elsewhere = SpecialistFactory(hub=hub, user=UserFactory(full_name="Someone Elsewhere"))
    client.force_login(hub_lead)
    response = client.get(url(school))
    body = response.content.decode()
    assert list(response.context["people"]) == [head, own_specialist]
    assert "Grace Hopper" in body
    assert "head@oak.example" in body
    assert "Headteacher" in body
    assert "Alan Turing" in body
    assert "Mastery Specialist" in body
    assert elsewhere.user.full_name not in body
    assert hub_lead.email not in body.split('id="people"', 1)[1]


def test_school_with_no_people_says_so(client, hub_lead, school):
    client.force_login(hub_lead)
    body = client.get(url(school)).content.decode()
    assert "No one holds a role for this school in the portal yet." in body


def test_directory_users_get_a_breadcrumb_back_to_the_directory(client, hub_lead, school):
    client.force_login(hub_lead)
    body = client.get(url(school)).content.decode()
    assert 'class="govuk-breadcrumbs"' in body
    assert f'href="{reverse("schools:directory")}">Schools</a>' in body


def test_headteacher_gets_no_link_to_the_directory_they_cannot_use(client, headteacher, school):
    client.force_login(headteacher)
    body = client.get(url(school)).content.decode()
    assert 'class="govuk-breadcrumbs"' in body
    assert f'href="{reverse("schools:directory")}"' not in body


def test_query_count_does_not_grow_with_people(
    client, hub_lead, hub, school, django_assert_num_queries
):
    client.force_login(hub_lead)
    HeadteacherFactory(school=school)
    with CaptureQueriesContext(connection) as one:
        client.get(url(school))
    for _ in range(5):
        SpecialistFactory(hub=hub, school=school)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url(school))
    assert len(response.context["people"]) == 6
