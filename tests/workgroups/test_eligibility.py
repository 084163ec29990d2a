"""Every eligibility code, table-driven: each case builds a school's history and
expects the codes, eligibility and priority the function must answer."""

from datetime import date

import pytest

from tests.factories import (
    AcceptedApplicationFactory,
    ApplicationWindowFactory,
    ClosedSchoolFactory,
    DeclinedApplicationFactory,
    DraftApplicationFactory,
    ParticipationFactory,
    SchoolFactory,
    SecondarySchoolFactory,
    stage,
    year,
)
from workgroups.eligibility import Code, check_eligibility, load_records, load_windows

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)


def history(*entries):
    """Participation rows: (stage code, start year, outcome)."""

    def build(school):
        for code, start, outcome in entries:
            ParticipationFactory(
                school=school, stage=stage(code), year=year(start), outcome=outcome
            )

    return build


def application(code, start, factory=DraftApplicationFactory):
    def build(school):
        factory(school=school, stage=stage(code), year=year(start))

    return build


CASES = [
    # id, school factory, history builder, stage applied for, expected codes, eligible, priority
    ("open primary, window open", SchoolFactory, None, "dwg", set(), True, False),
    ("closed school", ClosedSchoolFactory, None, "mr", {Code.SCHOOL_CLOSED}, False, False),
    ("secondary school", SecondarySchoolFactory, None, "mr", {Code.NOT_PRIMARY}, False, False),
    (
        "already applied for another stage this year",
        SchoolFactory,
        application("mr", 2026),
        "dwg",
        {Code.ALREADY_IN_A_STAGE_THIS_YEAR},
        False,
        False,
    ),
    (
        "a declined application this year does not hold the year",
        SchoolFactory,
        application("mr", 2026, DeclinedApplicationFactory),
        "dwg",
        set(),
        True,
        False,
    ),
    (
        "participation recorded this year",
        SchoolFactory,
        history(("mr", 2026, "withdrawn")),
        "dwg",
        {Code.ALREADY_IN_A_STAGE_THIS_YEAR},
        False,
        False,
    ),
    (
        "Development taken in 2019",
        SchoolFactory,
        history(("dwg", 2019, "completed")),
        "dwg",
        {Code.STAGE_ALREADY_TAKEN},
        False,
        False,
    ),
    (
        "Development not completed still counts as taken",
        SchoolFactory,
        history(("dwg", 2021, "did_not_complete")),
        "dwg",
        {Code.STAGE_ALREADY_TAKEN},
        False,
        False,
    ),
    (
        "withdrawing from Development does not use it up",
        SchoolFactory,
        history(("dwg", 2021, "withdrawn")),
        "dwg",
        set(),
        True,
        False,
    ),
    (
        "accepted into Development in an earlier year",
        SchoolFactory,
        application("dwg", 2025, AcceptedApplicationFactory),
        "dwg",
        {Code.STAGE_ALREADY_TAKEN},
        False,
        False,
    ),
    (
        "Embedding without Development",
        SchoolFactory,
        None,
        "emb",
        {Code.PREREQUISITE_NOT_MET},
        False,
        False,
    ),
    (
        "Embedding after an uncompleted Development",
        SchoolFactory,
        history(("dwg", 2025, "did_not_complete")),
        "emb",
        {Code.PREREQUISITE_NOT_MET},
        False,
        False,
    ),
    (
        "Embedding after a completed Development",
        SchoolFactory,
        history(("dwg", 2025, "completed")),
        "emb",
        set(),
        True,
        False,
    ),
    (
        "Sustaining without either",
        SchoolFactory,
        None,
        "sus",
        {Code.PREREQUISITE_NOT_MET},
        False,
        False,
    ),
    (
        "Sustaining after Embedding",
        SchoolFactory,
        history(("dwg", 2023, "completed"), ("emb", 2024, "completed")),
        "sus",
        set(),
        True,
        False,
    ),
    (
        "Sustaining may repeat every year",
        SchoolFactory,
        history(("dwg", 2022, "completed"), ("sus", 2024, "completed"), ("sus", 2025, "completed")),
        "sus",
        set(),
        True,
        False,
    ),
    (
        "priority after Readiness last year",
        SchoolFactory,
        history(("mr", 2025, "completed")),
        "dwg",
        {Code.PRIORITY},
        True,
        True,
    ),
    (
        "no priority for Readiness two years ago",
        SchoolFactory,
        history(("mr", 2024, "completed")),
        "dwg",
        set(),
        True,
        False,
    ),
    (
        "no priority for an uncompleted Readiness",
        SchoolFactory,
        history(("mr", 2025, "did_not_complete")),
        "dwg",
        set(),
        True,
        False,
    ),
]


@pytest.mark.parametrize(
    ("school_factory", "build", "stage_code", "codes", "eligible", "priority"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_eligibility(hub, school_factory, build, stage_code, codes, eligible, priority):
    school = school_factory(hub=hub, la_code="352")
    ApplicationWindowFactory(hub=hub, stage=stage(stage_code), year=year(2026))
    if build:
        build(school)

    result = check_eligibility(school=school, stage=stage(stage_code), year=year(2026), today=TODAY)

    assert result.codes == codes
    assert result.eligible is eligible
    assert result.priority is priority
    assert all(r.message for r in result.reasons)


@pytest.mark.parametrize(
    ("opens", "closes", "fragment"),
    [
        (None, None, "has not opened applications"),
        (date(2026, 12, 1), date(2027, 3, 1), "open on 1 December 2026"),
        (date(2026, 9, 1), date(2026, 11, 22), "closed on 22 November 2026"),
    ],
    ids=["no window", "not yet open", "closed"],
)
def test_window_not_open(school, opens, closes, fragment):
    if opens:
        ApplicationWindowFactory(hub=school.hub, stage=stage("mr"), opens=opens, closes=closes)
    result = check_eligibility(school=school, stage=stage("mr"), year=year(2026), today=TODAY)
    assert result.codes == {Code.WINDOW_NOT_OPEN}
    assert not result.eligible
    assert fragment in result.reasons[0].message


def test_window_open_on_its_last_day(school):
    ApplicationWindowFactory(hub=school.hub, stage=stage("mr"), closes=TODAY)
    assert check_eligibility(
        school=school, stage=stage("mr"), year=year(2026), today=TODAY
    ).eligible


def test_outside_the_hubs_area_is_allowed_but_flagged(school, other_hub):
    ApplicationWindowFactory(hub=other_hub, stage=stage("mr"))
    result = check_eligibility(
        school=school, stage=stage("mr"), year=year(2026), hub=other_hub, today=TODAY
    )
    assert result.codes == {Code.OUTSIDE_HUB_AREA}
    assert result.eligible
    assert result.outside_area
    assert "Manchester" in result.reasons[0].message


def test_school_in_no_hubs_area_without_a_chosen_hub(db):
    school = SchoolFactory(hub=None, la_code="999")
    result = check_eligibility(school=school, stage=stage("mr"), year=year(2026), today=TODAY)
    assert result.codes == {Code.NO_HUB}
    assert not result.eligible


def test_reasons_accumulate(hub):
    school = SecondarySchoolFactory(hub=hub, status="Closed")
    result = check_eligibility(school=school, stage=stage("emb"), year=year(2026), today=TODAY)
    assert result.codes == {
        Code.SCHOOL_CLOSED,
        Code.NOT_PRIMARY,
        Code.PREREQUISITE_NOT_MET,
        Code.WINDOW_NOT_OPEN,
    }


def test_the_application_being_submitted_does_not_block_itself(school):
    ApplicationWindowFactory(hub=school.hub, stage=stage("dwg"))
    draft = DraftApplicationFactory(school=school)
    blocked = check_eligibility(school=school, stage=stage("dwg"), year=year(2026), today=TODAY)
    assert Code.ALREADY_IN_A_STAGE_THIS_YEAR in blocked.codes
    itself = check_eligibility(
        school=school,
        stage=stage("dwg"),
        year=year(2026),
        today=TODAY,
        ignore_application_id=draft.pk,
    )
    assert itself.eligible


def test_bulk_loaders_cost_the_same_for_one_school_or_many(hub, django_assert_num_queries):
    few = [SchoolFactory(hub=hub) for _ in range(2)]
    many = few + [SchoolFactory(hub=hub) for _ in range(20)]
    for school in many:
        ParticipationFactory(school=school, stage=stage("mr"), year=year(2025))
    with django_assert_num_queries(2):
        load_records(s.pk for s in few)
    with django_assert_num_queries(2):
        records = load_records(s.pk for s in many)
    this_year = year(2026)
    with django_assert_num_queries(1):
        windows = load_windows([hub.pk], this_year)
    assert len(records) == 22
    result = check_eligibility(
        school=many[-1],
        stage=stage("dwg"),
        year=year(2026),
        record=records[many[-1].pk],
        windows=windows,
        stage_names={s.pk: s.name for s in [stage("mr"), stage("dwg")]},
        today=TODAY,
    )
    assert result.priority is False  # no window: not eligible, so no priority either
    assert Code.WINDOW_NOT_OPEN in result.codes
