"""The formation assistant: proposes work groups of 6–7 local schools.

A pure function of its input, so the same cohort always gets the same proposal:
1. Schools that worked together in a Development group last year and move on
   together (Embedding) stay together: a block of at least the stage's minimum
   size becomes a group of its own; a smaller block is kept whole below.
2. The other schools with GIAS coordinates are split by recursive bisection
   along the longer side of their spread, each part sized for its share of the
   groups, so groups are both local and even (sizes differ by at most one,
   blocks permitting).
3. Schools without coordinates are listed for the hub lead to place by hand.
4. Specialists are given groups one at a time, always to the least loaded
   (counting the groups they already lead this year), ties by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SchoolPoint:
    id: int
    name: str
    easting: int | None
    northing: int | None
    block: str | None = None
    """Schools with the same block key stay together (last year's Development group)."""


@dataclass(frozen=True)
class SpecialistLoad:
    id: int
    name: str
    groups_led: int = 0


@dataclass
class ProposedGroup:
    number: int
    school_ids: list[int]
    lead_id: int | None = None
    centre: tuple[float, float] | None = None


@dataclass
class Proposal:
    groups: list[ProposedGroup] = field(default_factory=list)
    unplaced: list[int] = field(default_factory=list)
    """Schools without coordinates, for manual placement."""


@dataclass
class _Unit:
    """One school, or a block of schools that must stay together."""

    school_ids: list[int]
    x: float
    y: float

    @property
    def size(self) -> int:
        return len(self.school_ids)

    @property
    def key(self) -> tuple[float, float, int]:
        return (self.x, self.y, min(self.school_ids))


def propose_groups(
    schools: list[SchoolPoint],
    specialists: list[SpecialistLoad],
    *,
    min_size: int = 6,
    max_size: int = 7,
    hard_max: int = 8,
) -> Proposal:
    proposal = Proposal()
    by_block: dict[str, list[SchoolPoint]] = {}
    units: list[_Unit] = []
    whole_groups: list[list[int]] = []

    for school in sorted(schools, key=lambda s: s.id):
        if school.block:
            by_block.setdefault(school.block, []).append(school)
        elif school.easting is None or school.northing is None:
            proposal.unplaced.append(school.id)
        else:
            units.append(_Unit([school.id], float(school.easting), float(school.northing)))

    for key in sorted(by_block):
        members = by_block[key]
        ids = [m.id for m in members]
        located = [m for m in members if m.easting is not None and m.northing is not None]
        if len(members) >= min_size or not located:
            whole_groups.append(ids)
            continue
        units.append(
            _Unit(
                ids,
                sum(m.easting for m in located) / len(located),
                sum(m.northing for m in located) / len(located),
            )
        )

    total = sum(u.size for u in units)
    if total:
        count = max(1, math.ceil(total / max_size))
        # Fewer, fuller groups when even sizes would fall below the minimum,
        # as long as none would pass the hard maximum.
        while count > 1 and total / count < min_size and math.ceil(total / (count - 1)) <= hard_max:
            count -= 1
        parts = _bisect(sorted(units, key=lambda u: u.key), count)
        whole_groups.extend([sid for unit in part for sid in unit.school_ids] for part in parts)

    positions = {s.id: s for s in schools}
    groups = [
        ProposedGroup(number=0, school_ids=sorted(ids), centre=_centre(ids, positions))
        for ids in whole_groups
    ]
    # Number from north to south, then west to east, as a map is read.
    groups.sort(key=lambda g: (-(g.centre or (0, 0))[1], (g.centre or (0, 0))[0], g.school_ids[0]))
    for number, group in enumerate(groups, start=1):
        group.number = number
    _assign_specialists(groups, specialists)
    proposal.groups = groups
    return proposal


def _bisect(units: list[_Unit], count: int) -> list[list[_Unit]]:
    if count <= 1 or len(units) <= 1:
        return [units]
    first_count = count // 2
    total = sum(u.size for u in units)
    target = round(total * first_count / count)
    xs = [u.x for u in units]
    ys = [u.y for u in units]
    if max(xs) - min(xs) >= max(ys) - min(ys):
        ordered = sorted(units, key=lambda u: (u.x, u.y, min(u.school_ids)))
    else:
        ordered = sorted(units, key=lambda u: (u.y, u.x, min(u.school_ids)))
    taken, size = 0, 0
    # Take units along the axis until the first part has its share (blocks are whole).
    while taken < len(ordered) - 1 and size + ordered[taken].size <= target:
        size += ordered[taken].size
        taken += 1
    if taken == 0:
        taken = 1
    return _bisect(ordered[:taken], first_count) + _bisect(ordered[taken:], count - first_count)


def _centre(ids: list[int], positions: dict[int, SchoolPoint]) -> tuple[float, float] | None:
    located = [
        positions[i]
        for i in ids
        if positions[i].easting is not None and positions[i].northing is not None
    ]
    if not located:
        return None
    return (
        sum(p.easting for p in located) / len(located),
        sum(p.northing for p in located) / len(located),
    )


def _assign_specialists(groups: list[ProposedGroup], specialists: list[SpecialistLoad]) -> None:
    if not specialists:
        return
    load = {s.id: s.groups_led for s in specialists}
    names = {s.id: s.name for s in specialists}
    for group in groups:
        chosen = min(load, key=lambda sid: (load[sid], names[sid], sid))
        group.lead_id = chosen
        load[chosen] += 1
