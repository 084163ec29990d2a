"""The hub lead's formation screens: a cohort's groups, the assistant's proposal
(kept in the session until confirmed) and managing one group. Access, bad input,
continuity on the page, and a flat query count."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AcceptedApplicationFactory,
    HeadteacherFactory,
    MeetingFactory,
    SchoolFactory,
    SpecialistFactory,
    UserFactory,
    WithdrawnApplicationFactory,
    group_with_schools,
    stage,
    year,
)
from workgroups.models import Application, ApplicationState, GroupMember, WorkGroup

pytestmark = pytest.mark.django_db

LIST = reverse("groups:list", args=["dwg", "2026-27"])
PROPOSE = reverse("groups:propose", args=["dwg", "2026-27"])


def accepted(hub, count, *, code="dwg", start_year=2026, east=390000, north=400000, **school):
    """``count`` accepted schools in a row 1 km apart, from (east, north)."""
    return [
        AcceptedApplicationFactory(
            school=SchoolFactory(
                hub=hub, easting=east + i * 1000, northing=north, town="Salford", **school
            ),
            stage=stage(code),
            year=year(start_year),
        ).school
        for i in range(count)
    ]


def specialist_named(hub, name):
    return SpecialistFactory(hub=hub, user=UserFactory(full_name=name)).user


def session_key(client, hub, code="dwg", start_year=2026):
    return f"formation:{hub.pk}:{stage(code).pk}:{year(start_year).pk}"


def draft(client, hub, code="dwg"):
    return client.session[session_key(client, hub, code)]


def nothing_written():
    return (
        WorkGroup.objects.count() == 0
        and GroupMember.objects.count() == 0
        and WorkGroup.history.count() == 0
    )


def sections(html):
    """Each proposed group's section of the page, by number."""
    found = re.findall(r'<section[^>]*id="group-(\d+)"(.*?)</section>', html, re.S)
    return {int(number): body for number, body in found}


# ---------------------------------------------------------------------------
# Access


@pytest.mark.parametrize("who", ["specialist", "headteacher"])
def test_only_hub_leads_and_national_admins_see_the_group_list(client, request, hub, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(LIST).status_code == 403


@pytest.mark.parametrize("who", ["specialist", "headteacher", "national_admin"])
def test_only_hub_leads_propose_and_manage(client, request, hub, who):
    group = group_with_schools(hub, schools=6)
    client.force_login(request.getfixturevalue(who))
    assert client.get(PROPOSE).status_code == 403
    assert client.post(PROPOSE, {"action": "confirm"}).status_code == 403
    assert client.get(reverse("groups:manage", args=[group.pk])).status_code == 403
    assert (
        client.post(reverse("groups:manage", args=[group.pk]), {"action": "lead"}).status_code
        == 403
    )
    assert WorkGroup.objects.count() == 1 and WorkGroup.history.count() == 1


@pytest.mark.parametrize(
    ("stage_code", "year_slug"), [("xyz", "2026-27"), ("dwg", "2026-28"), ("dwg", "1999-00")]
)
def test_an_unknown_stage_or_year_is_not_found(client, hub_lead, stage_code, year_slug):
    year(2026)
    client.force_login(hub_lead)
    assert client.get(reverse("groups:list", args=[stage_code, year_slug])).status_code == 404
    assert client.get(reverse("groups:propose", args=[stage_code, year_slug])).status_code == 404


def test_another_hubs_group_cannot_be_managed(client, hub, other_hub, other_hub_lead):
    group = group_with_schools(hub, schools=6)
    client.force_login(other_hub_lead)
    url = reverse("groups:manage", args=[group.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "lead", "lead-lead": ""}).status_code == 404


def test_a_hub_lead_sees_only_their_hubs_groups_and_schools(
    client, hub, other_hub, hub_lead, specialist
):
    ours = group_with_schools(hub, schools=7, lead=specialist)
    theirs = group_with_schools(other_hub, schools=6)
    [their_waiting] = accepted(other_hub, 1)
    [our_waiting] = accepted(hub, 1)
    client.force_login(hub_lead)
    page = client.get(LIST).content.decode()
    assert ours.code in page and theirs.code not in page
    assert "1 accepted school is not in a group yet" in page
    proposal = client.get(PROPOSE).content.decode()
    assert our_waiting.name in proposal and their_waiting.name not in proposal
    assert all(m.school.name not in proposal for m in theirs.members.select_related("school"))


# ---------------------------------------------------------------------------
# The list of groups


def test_the_list_shows_specialist_size_warnings_and_meetings(client, hub, hub_lead, specialist):
    full = group_with_schools(hub, schools=7, lead=specialist)
    small = group_with_schools(hub, schools=5)
    MeetingFactory(work_group=full)
    MeetingFactory(work_group=full, logged_at=timezone.now())
    MeetingFactory(work_group=full, state="cancelled", change_reason="Snow")
    accepted(hub, 3)
    client.force_login(hub_lead)
    page = client.get(LIST).content.decode()
    rows = dict(re.findall(r'href="/groups/\d+/">([A-Z0-9-]+)</a>(.*?)</tr>', page, re.S))
    assert str(specialist) in rows[full.code]
    assert re.findall(r"numeric\">(\d+)", rows[full.code]) == ["7", "2", "1"]
    assert "Fewer than 6 schools" in rows[small.code]
    assert "No specialist yet" in rows[small.code]
    assert "Fewer than" not in rows[full.code]
    assert "3 accepted schools are not in a group yet" in page
    assert PROPOSE in page and reverse("groups:manage", args=[full.pk]) in page


def test_a_national_admin_sees_every_hubs_groups_without_actions(
    client, hub, other_hub, national_admin
):
    ours = group_with_schools(hub, schools=6)
    theirs = group_with_schools(other_hub, schools=6)
    accepted(hub, 2)
    client.force_login(national_admin)
    page = client.get(LIST).content.decode()
    assert ours.code in page and theirs.code in page
    assert "Boolean Maths Hub" in page
    assert PROPOSE not in page
    assert reverse("groups:manage", args=[ours.pk]) not in page


def test_group_list_query_count_does_not_grow(client, hub, hub_lead):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    client.force_login(hub_lead)
    for _ in range(2):
        group = group_with_schools(hub, schools=6, lead=specialist_named(hub, "Sam Few"))
        MeetingFactory(work_group=group)
    small = queries()
    for _ in range(5):
        group = group_with_schools(hub, schools=7, lead=specialist_named(hub, "Sam More"))
        MeetingFactory(work_group=group, logged_at=timezone.now())
        MeetingFactory(work_group=group)
    accepted(hub, 4)
    assert queries() == small


def test_the_list_pages_at_fifty(client, hub, hub_lead):
    for _ in range(51):
        group_with_schools(hub, schools=1)
    client.force_login(hub_lead)
    first = client.get(LIST).content.decode()
    second = client.get(LIST, {"page": 2}).content.decode()
    assert first.count('href="/groups/') - first.count("/manage/") == 50
    assert "ABN-DWG-2627-51" in second and "ABN-DWG-2627-51" not in first


# ---------------------------------------------------------------------------
# The proposal


def test_showing_the_proposal_writes_nothing(client, hub, hub_lead):
    schools = accepted(hub, 13)
    specialist_named(hub, "Ada Specialist")
    client.force_login(hub_lead)
    response = client.get(PROPOSE)
    assert response.status_code == 200
    assert nothing_written()
    stored = draft(client, hub)
    assert sorted(len(ids) for ids in stored["groups"]) == [6, 7]
    assert sorted(sid for ids in stored["groups"] for sid in ids) == sorted(s.pk for s in schools)
    page = response.content.decode()
    assert set(sections(page)) == {1, 2}
    assert 'role="img"' in page and 'aria-labelledby="plot-title plot-desc"' in page
    assert "The list of groups below is the text alternative to this map" in page
    plot = page[page.index("<figure") : page.index("</figure>")]
    assert plot.count("<circle ") == 13 and plot.count(">1</text>") + plot.count(">2</text>") == 13


def test_the_proposal_is_the_same_for_the_same_cohort(client, hub, hub_lead):
    accepted(hub, 20)
    specialist_named(hub, "Ada Specialist")
    specialist_named(hub, "Ben Specialist")
    client.force_login(hub_lead)
    client.get(PROPOSE)
    first = draft(client, hub)
    client.post(PROPOSE, {"action": "restart"})
    client.get(PROPOSE)
    assert draft(client, hub) == first
    # Three groups shared between two specialists: two and one.
    assert sorted(first["leads"].count(lead) for lead in set(first["leads"])) == [1, 2]


def test_moving_a_school_changes_only_the_session(client, hub, hub_lead):
    accepted(hub, 13)
    client.force_login(hub_lead)
    client.get(PROPOSE)
    before = draft(client, hub)
    moving = before["groups"][0][0]
    response = client.post(
        PROPOSE, {"action": "move", "move-school": moving, "move-to_group": "2"}, follow=True
    )
    after = draft(client, hub)
    assert moving not in after["groups"][0] and moving in after["groups"][1]
    assert len(after["groups"][1]) == len(before["groups"][1]) + 1
    assert "Moved" in response.content.decode() and "to group 2" in response.content.decode()
    assert nothing_written()

    client.post(PROPOSE, {"action": "move", "move-school": moving, "move-to_group": "new"})
    assert draft(client, hub)["groups"][2] == [moving]
    assert nothing_written()


def test_starting_again_discards_the_changes(client, hub, hub_lead):
    accepted(hub, 13)
    client.force_login(hub_lead)
    client.get(PROPOSE)
    original = draft(client, hub)
    client.post(
        PROPOSE,
        {"action": "move", "move-school": original["groups"][0][0], "move-to_group": "new"},
    )
    assert draft(client, hub) != original
    response = client.post(PROPOSE, {"action": "restart"}, follow=True)
    assert "proposed the groups again" in response.content.decode()
    assert draft(client, hub) == original


def test_confirming_creates_the_groups_with_the_chosen_specialists(client, hub, hub_lead):
    accepted(hub, 13)
    ada = specialist_named(hub, "Ada Specialist")
    ben = specialist_named(hub, "Ben Specialist")
    client.force_login(hub_lead)
    client.get(PROPOSE)
    proposal = draft(client, hub)
    assert sorted(proposal["leads"]) == sorted([ada.pk, ben.pk])
    response = client.post(
        PROPOSE, {"action": "confirm", "leads-group_1": ben.pk, "leads-group_2": ""}
    )
    assert response.status_code == 302 and response["Location"] == LIST
    groups = list(WorkGroup.objects.order_by("number"))
    assert [g.code for g in groups] == ["ABN-DWG-2627-01", "ABN-DWG-2627-02"]
    assert [g.lead for g in groups] == [ben, None]
    for group, ids in zip(groups, proposal["groups"], strict=True):
        assert sorted(group.members.values_list("school_id", flat=True)) == sorted(ids)
    assert session_key(client, hub) not in client.session
    page = client.get(LIST).content.decode()
    assert "Confirmed 2 work groups: ABN-DWG-2627-01, ABN-DWG-2627-02" in page
    assert "Every accepted school is in a group" in page


def test_more_than_the_hard_maximum_is_refused_and_nothing_created(client, hub, hub_lead):
    accepted(hub, 10)
    client.force_login(hub_lead)
    client.get(PROPOSE)
    proposal = draft(client, hub)
    assert [len(ids) for ids in proposal["groups"]] == [5, 5]
    for school_id in proposal["groups"][1][:4]:
        client.post(PROPOSE, {"action": "move", "move-school": school_id, "move-to_group": "1"})
    assert [len(ids) for ids in draft(client, hub)["groups"]] == [9, 1]
    page = client.get(PROPOSE).content.decode()
    assert "More than the maximum of 8" in sections(page)[1]
    response = client.post(PROPOSE, {"action": "confirm", "leads-group_1": "", "leads-group_2": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "Group 1 would have 9 schools; a group may have at most 8. No groups were created." in (
        page
    )
    assert nothing_written()
    assert [len(ids) for ids in draft(client, hub)["groups"]] == [9, 1]


def test_schools_without_coordinates_are_listed_and_stay_unplaced(client, hub, hub_lead):
    accepted(hub, 7)
    [lost] = accepted(hub, 1)
    lost.easting = lost.northing = None
    lost.name = "No Map Primary School"
    lost.save()
    client.force_login(hub_lead)
    page = client.get(PROPOSE).content.decode()
    assert "Schools to place by hand" in page
    assert "No Map Primary School" not in "".join(sections(page).values())
    assert draft(client, hub)["unplaced"] == [lost.pk]
    client.post(PROPOSE, {"action": "confirm", "leads-group_1": ""})
    assert WorkGroup.objects.count() == 1
    assert not GroupMember.objects.filter(school=lost).exists()
    assert Application.objects.get(school=lost).state == ApplicationState.ACCEPTED


def test_an_unplaced_school_can_be_moved_into_a_group(client, hub, hub_lead):
    accepted(hub, 7)
    lost = AcceptedApplicationFactory(
        school=SchoolFactory(hub=hub, easting=None, northing=None)
    ).school
    client.force_login(hub_lead)
    client.get(PROPOSE)
    client.post(PROPOSE, {"action": "move", "move-school": lost.pk, "move-to_group": "1"})
    assert lost.pk in draft(client, hub)["groups"][0] and draft(client, hub)["unplaced"] == []
    client.post(PROPOSE, {"action": "confirm", "leads-group_1": ""})
    assert GroupMember.objects.filter(school=lost).exists()


def test_a_stale_proposal_drops_schools_no_longer_waiting(client, hub, hub_lead):
    schools = accepted(hub, 14)
    client.force_login(hub_lead)
    client.get(PROPOSE)
    gone, placed_elsewhere = schools[0], schools[1]
    Application.objects.filter(school=gone).update(state=ApplicationState.WITHDRAWN)
    application = Application.objects.get(school=placed_elsewhere)
    other = WorkGroup.objects.create(
        hub=hub, stage=stage("dwg"), year=year(2026), number=9, code="ABN-DWG-2627-09"
    )
    GroupMember.objects.create(
        work_group=other,
        school=placed_elsewhere,
        application=application,
        stage=stage("dwg"),
        year=year(2026),
    )
    [late] = accepted(hub, 1)
    response = client.get(PROPOSE)
    assert response.status_code == 200
    stored = draft(client, hub)
    every = [sid for ids in stored["groups"] for sid in ids] + stored["unplaced"]
    assert gone.pk not in every and placed_elsewhere.pk not in every
    assert late.pk in stored["unplaced"]
    client.post(PROPOSE, {"action": "confirm", "leads-group_1": "", "leads-group_2": ""})
    assert GroupMember.objects.exclude(work_group=other).count() == 12


def test_a_damaged_session_proposal_is_rebuilt(client, hub, hub_lead):
    accepted(hub, 7)
    client.force_login(hub_lead)
    session = client.session
    session[session_key(client, hub)] = {"groups": [["x"]], "leads": "nobody"}
    session.save()
    assert client.get(PROPOSE).status_code == 200
    assert [len(ids) for ids in draft(client, hub)["groups"]] == [7]


def test_embedding_keeps_last_years_development_group_together(client, hub, hub_lead):
    """Four schools of last year's Development group are spread across the map, each
    beside two other Embedding schools; they still come out in one group."""
    last_year = group_with_schools(hub, schools=4, code="dwg", start_year=2025)
    block = [m.school for m in last_year.members.select_related("school")]
    for i, school in enumerate(block):
        school.easting, school.northing = 390000 + i * 20000, 400000
        school.save()
        AcceptedApplicationFactory(school=school, stage=stage("emb"), year=year(2026))
        accepted(hub, 2, code="emb", east=390500 + i * 20000)
    client.force_login(hub_lead)
    page = client.get(reverse("groups:propose", args=["emb", "2026-27"])).content.decode()
    holding = [n for n, body in sections(page).items() if any(s.name in body for s in block)]
    assert len(holding) == 1
    assert sections(page)[holding[0]].count(f"Last year in {last_year.code}") == 4
    assert "kept together" in page


def test_bad_move_input_is_an_error_beside_the_field(client, hub, hub_lead):
    accepted(hub, 13)
    client.force_login(hub_lead)
    client.get(PROPOSE)
    before = draft(client, hub)
    page = client.post(
        PROPOSE, {"action": "move", "move-school": "999999", "move-to_group": "7"}
    ).content.decode()
    assert 'id="id_move-school-error"' in page and "Select a school from the list" in page
    assert "Select a group from the list" in page
    page = client.post(PROPOSE, {"action": "move"}).content.decode()
    assert "Select the school to move" in page
    assert "Select the group to move the school to" in page
    assert "govuk-error-summary" in page
    page = client.post(PROPOSE, {"action": "dance"}).content.decode()
    assert "Choose what to do" in page
    page = client.post(
        PROPOSE, {"action": "confirm", "leads-group_1": "abc", "leads-group_2": ""}
    ).content.decode()
    assert "Group 1: select one of the hub&#x27;s specialists" in page
    assert draft(client, hub) == before
    assert nothing_written()


def test_a_specialist_of_another_hub_cannot_be_chosen(client, hub, other_hub, hub_lead):
    accepted(hub, 7)
    outsider = specialist_named(other_hub, "Olly Outsider")
    client.force_login(hub_lead)
    client.get(PROPOSE)
    page = client.post(PROPOSE, {"action": "confirm", "leads-group_1": outsider.pk})
    assert "Group 1: select one of the hub" in page.content.decode()
    assert nothing_written()


# ---------------------------------------------------------------------------
# Managing one group


def test_manage_assigns_and_removes_the_specialist(client, hub, hub_lead):
    ada = specialist_named(hub, "Ada Specialist")
    ben = specialist_named(hub, "Ben Specialist")
    group = group_with_schools(hub, schools=7, lead=ada)
    group_with_schools(hub, schools=6, lead=ben)
    url = reverse("groups:manage", args=[group.pk])
    client.force_login(hub_lead)
    page = client.get(url).content.decode()
    assert "Ada Specialist (leads 1 group this year)" in page
    assert "Ben Specialist (leads 1 group this year)" in page
    response = client.post(url, {"action": "lead", "lead-lead": ben.pk}, follow=True)
    group.refresh_from_db()
    assert group.lead == ben
    assert f"Ben Specialist now leads {group.code}" in response.content.decode()
    assert "Ben Specialist (leads 2 groups this year)" in response.content.decode()
    client.post(url, {"action": "lead", "lead-lead": ""})
    group.refresh_from_db()
    assert group.lead is None


def test_manage_moves_a_school_and_refuses_the_hard_maximum(client, hub, hub_lead):
    source = group_with_schools(hub, schools=7)
    target = group_with_schools(hub, schools=6)
    member = source.members.select_related("school").first()
    url = reverse("groups:manage", args=[source.pk])
    client.force_login(hub_lead)
    response = client.post(
        url, {"action": "move", "move-school": member.pk, "move-to_group": target.pk}, follow=True
    )
    assert f"Moved {member.school.name} to {target.code}" in response.content.decode()
    assert target.members.count() == 7 and source.members.count() == 6

    full = group_with_schools(hub, schools=8)
    other = source.members.first()
    page = client.post(
        url, {"action": "move", "move-school": other.pk, "move-to_group": full.pk}
    ).content.decode()
    assert 'id="id_move-to_group-error"' in page
    assert f"{full.code} would have 9 schools; a group may have at most 8." in page
    assert full.members.count() == 8 and source.members.count() == 6


def test_manage_rejects_bad_input_without_changes(client, hub, other_hub, hub_lead):
    ada = specialist_named(hub, "Ada Specialist")
    group = group_with_schools(hub, schools=7, lead=ada)
    group_with_schools(hub, schools=6)
    theirs = group_with_schools(other_hub, schools=6)
    outsider = specialist_named(other_hub, "Olly Outsider")
    stranger = theirs.members.first()
    url = reverse("groups:manage", args=[group.pk])
    client.force_login(hub_lead)
    page = client.post(url, {"action": "lead", "lead-lead": outsider.pk}).content.decode()
    assert "Select a specialist from the list" in page and "govuk-error-summary" in page
    page = client.post(
        url, {"action": "move", "move-school": stranger.pk, "move-to_group": theirs.pk}
    ).content.decode()
    assert "Select a school from the list" in page and "Select a group from the list" in page
    page = client.post(url, {"action": "move"}).content.decode()
    assert "Select the school to move" in page
    page = client.post(url, {"action": "fly"}).content.decode()
    assert "Choose what to do" in page
    group.refresh_from_db()
    assert group.lead == ada and group.members.count() == 7
    assert theirs.members.count() == 6


def test_manage_warns_about_an_unusual_size(client, hub, hub_lead):
    group = group_with_schools(hub, schools=4)
    client.force_login(hub_lead)
    page = client.get(reverse("groups:manage", args=[group.pk])).content.decode()
    assert "Fewer than 6 schools" in page
    assert "cohort's only group" in page


def test_a_headteacher_of_a_member_school_cannot_manage(client, hub):
    group = group_with_schools(hub, schools=6)
    head = HeadteacherFactory(school=group.members.first().school).user
    client.force_login(head)
    assert client.get(reverse("groups:manage", args=[group.pk])).status_code == 403


def test_a_withdrawn_school_is_never_proposed(client, hub, hub_lead):
    accepted(hub, 7)
    WithdrawnApplicationFactory(school=SchoolFactory(hub=hub, name="Gone Away Primary"))
    client.force_login(hub_lead)
    assert "Gone Away Primary" not in client.get(PROPOSE).content.decode()
