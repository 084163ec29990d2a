"""The formation assistant: sizes, every school placed once, locality,
continuity, specialists' load, and the same answer for the same input."""

import random
from collections import Counter

import pytest

from workgroups.formation import SchoolPoint, SpecialistLoad, propose_groups


def scattered(count, seed=1, start_id=1):
    rng = random.Random(seed)
    return [
        SchoolPoint(
            id=start_id + i,
            name=f"School {i}",
            easting=rng.randint(380000, 400000),
            northing=rng.randint(390000, 410000),
        )
        for i in range(count)
    ]


SPECIALISTS = [SpecialistLoad(1, "Ann"), SpecialistLoad(2, "Bob"), SpecialistLoad(3, "Cat")]


@pytest.mark.parametrize("count", [6, 7, 13, 14, 20, 27, 40, 61, 100])
def test_every_school_placed_once_in_groups_of_six_or_seven(count):
    schools = scattered(count)
    proposal = propose_groups(schools, SPECIALISTS)
    placed = [sid for g in proposal.groups for sid in g.school_ids]
    assert sorted(placed) == sorted(s.id for s in schools)
    sizes = [len(g.school_ids) for g in proposal.groups]
    assert all(6 <= size <= 7 for size in sizes), sizes
    assert [g.number for g in proposal.groups] == list(range(1, len(proposal.groups) + 1))


@pytest.mark.parametrize(("count", "sizes"), [(3, [3]), (8, [8]), (9, [4, 5]), (10, [5, 5])])
def test_small_cohorts_never_pass_the_hard_maximum(count, sizes):
    proposal = propose_groups(scattered(count), SPECIALISTS)
    assert sorted(len(g.school_ids) for g in proposal.groups) == sizes


def test_the_same_input_in_any_order_gives_the_same_proposal():
    schools = scattered(45, seed=7)
    first = propose_groups(schools, SPECIALISTS)
    shuffled = schools[:]
    random.Random(99).shuffle(shuffled)
    second = propose_groups(shuffled, list(reversed(SPECIALISTS)))
    assert [(g.number, g.school_ids, g.lead_id) for g in first.groups] == [
        (g.number, g.school_ids, g.lead_id) for g in second.groups
    ]


def test_groups_are_local():
    """Two towns 50 km apart, seven schools each: each town is one group."""
    north = [SchoolPoint(i, f"N{i}", 390000 + i * 100, 450000 + i * 50) for i in range(1, 8)]
    south = [SchoolPoint(i, f"S{i}", 390000 + i * 100, 400000 + i * 50) for i in range(11, 18)]
    proposal = propose_groups(south + north, SPECIALISTS)
    assert [set(g.school_ids) for g in proposal.groups] == [
        {s.id for s in north},
        {s.id for s in south},
    ]


def test_schools_without_coordinates_are_left_for_manual_placement():
    schools = scattered(13) + [SchoolPoint(500, "No grid reference", None, None)]
    proposal = propose_groups(schools, SPECIALISTS)
    assert proposal.unplaced == [500]
    assert 500 not in {sid for g in proposal.groups for sid in g.school_ids}


def test_development_groups_stay_together_when_they_move_on():
    schools = scattered(20, seed=3)
    # Last year's group A (6 schools, far apart from each other) and group B (3 schools).
    a_ids = {1, 5, 9, 13, 17, 20}
    b_ids = {2, 11, 19}
    schools = [
        SchoolPoint(
            s.id,
            s.name,
            s.easting,
            s.northing,
            "A" if s.id in a_ids else "B" if s.id in b_ids else None,
        )
        for s in schools
    ]
    proposal = propose_groups(schools, SPECIALISTS)
    groups = [set(g.school_ids) for g in proposal.groups]
    assert a_ids in groups  # a whole group of its own
    assert any(b_ids <= g for g in groups)  # kept whole inside a group
    placed = [sid for g in proposal.groups for sid in g.school_ids]
    assert Counter(placed) == Counter(s.id for s in schools)


def test_specialists_load_is_balanced_counting_groups_they_already_lead():
    specialists = [
        SpecialistLoad(1, "Ann", groups_led=2),
        SpecialistLoad(2, "Bob"),
        SpecialistLoad(3, "Cat"),
    ]
    proposal = propose_groups(scattered(40), specialists)  # 6 groups
    given = Counter(g.lead_id for g in proposal.groups)
    totals = {1: given[1] + 2, 2: given[2], 3: given[3]}
    assert max(totals.values()) - min(totals.values()) <= 1
    assert sum(given.values()) == len(proposal.groups)


def test_no_specialists_leaves_groups_without_a_lead():
    proposal = propose_groups(scattered(14), [])
    assert {g.lead_id for g in proposal.groups} == {None}
