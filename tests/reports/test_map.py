"""The map of a hub's schools: placed by grid reference, coloured by this year's
accepted stage, each work group outlined, with the data as a table; hub leads see
their hub, national admins any (?hub=CODE), others are refused; fixed queries."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hubportal.reports.journey import OTHER_COLOUR, STAGE_COLOURS, convex_hull
from tests.factories import SchoolFactory, group_with_schools

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
URL = "/hub/map/"


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(NOW)


def locate(group, start: int):
    for offset, member in enumerate(group.members.order_by("pk")):
        member.school.easting = start + offset * 1000
        member.school.northing = 390000 + (offset % 2) * 1500
        member.school.save()


@pytest.fixture
def placed(hub):
    group = group_with_schools(hub, schools=3)
    locate(group, 380000)
    SchoolFactory(hub=hub, name="Zinc Lane Primary", easting=385000, northing=392000)
    return group


def test_url_is_named():
    assert reverse("journey:map") == URL


def test_hub_lead_sees_their_schools_coloured_and_groups_outlined(client, hub_lead, placed):
    client.force_login(hub_lead)
    response = client.get(URL)
    assert response.status_code == 200
    hub_map = response.context["map"]
    assert len(hub_map.schools) == 4
    assert hub_map.located_count == 4
    [outline] = hub_map.groups
    assert outline.code == placed.code
    assert len(outline.points) == 3
    body = response.content.decode()
    assert 'role="img"' in body
    assert '<title id="map-title">' in body
    assert body.count(f'fill="{STAGE_COLOURS["dwg"]}"') >= 3
    assert f'stroke="{OTHER_COLOUR}"' in body
    assert "Show the data" in body
    assert "Zinc Lane Primary" in body
    assert ("Development Work Group", STAGE_COLOURS["dwg"], 3) in hub_map.legend


def test_another_hubs_schools_are_not_on_the_map(client, hub_lead, placed, other_hub):
    SchoolFactory(hub=other_hub, name="Elsewhere Primary", easting=1, northing=1)
    client.force_login(hub_lead)
    assert "Elsewhere Primary" not in client.get(URL).content.decode()
    # A hub lead cannot narrow to another hub.
    assert "Elsewhere Primary" not in client.get(URL + "?hub=BOO").content.decode()


def test_national_admin_chooses_a_hub_else_the_first(client, national_admin, placed, other_hub):
    SchoolFactory(hub=other_hub, name="Elsewhere Primary", easting=1, northing=1)
    client.force_login(national_admin)
    assert client.get(URL).context["map"].hub.code == "ABN"
    response = client.get(URL + "?hub=BOO")
    assert response.context["map"].hub == other_hub
    assert "Elsewhere Primary" in response.content.decode()
    assert client.get(URL + "?hub=NOPE").status_code == 404


@pytest.mark.parametrize("who", ["specialist", "headteacher"])
def test_others_are_refused(client, who, request, placed):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403


def test_convex_hull_drops_inner_points():
    square = [(0, 0), (10, 0), (10, 10), (0, 10), (5, 5)]
    assert sorted(convex_hull(square)) == [(0, 0), (0, 10), (10, 0), (10, 10)]
    assert convex_hull([(1, 1), (1, 1)]) == [(1, 1)]


def test_queries_stay_the_same_as_schools_grow(client, hub, hub_lead, placed):
    client.force_login(hub_lead)
    client.get(URL)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    locate(group_with_schools(hub, schools=4), 370000)
    for _ in range(5):
        SchoolFactory(hub=hub, easting=371000, northing=391000)
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL)
    assert len(response.context["map"].schools) == 4 + 4 + 5
    assert len(response.context["map"].groups) == 2
    assert len(large.captured_queries) == len(small.captured_queries)
