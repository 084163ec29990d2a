"""Sampling paid claims: a hub lead (own hub) or national admin (any hub) draws a
random sample of a year's paid claims that anyone can draw again (same paid claims,
percentage and seed give the same claims), and the hub records what each check found."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from funding import assurance, services
from funding.models import AssuranceSample, CheckOutcome, Claim, ClaimState, SampleCheck
from tests.factories import (
    AcceptedApplicationFactory,
    HeadteacherFactory,
    HubLeadFactory,
    NationalAdminFactory,
    SchoolFactory,
    SpecialistFactory,
    ready_claim,
    school_with_paid_claims,
    year,
)
from workgroups.services.applications import InvalidTransition

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(hub, lead, claim_window):
    """Seven paid claims from five schools, and one approved (not paid) claim."""
    claims = []
    for number in range(5):
        _, _, made = school_with_paid_claims(hub, lead, match=1, grant=number < 2)
        claims += made
    school = SchoolFactory(hub=hub)
    AcceptedApplicationFactory(school=school)
    head = HeadteacherFactory(school=school).user
    services.claim_approve(
        actor=lead,
        claim=services.claim_submit(actor=head, claim=ready_claim(school, head)),
    )
    return claims


# ---------------------------------------------------------------------------
# The draw itself


@pytest.mark.parametrize(
    ("population", "percent", "size"),
    [(7, 10, 1), (10, 10, 1), (11, 10, 2), (5, 100, 5), (3, 1, 1), (200, 15, 30), (0, 50, 0)],
)
def test_the_sample_size_is_the_percentage_rounded_up(population, percent, size):
    assert assurance.sample_size(population, percent) == size


def test_the_same_claims_percentage_and_seed_always_draw_the_same_sample():
    ids = list(range(100, 160))
    first = assurance.draw(ids, 20, seed=4242)
    assert len(first) == 12
    # The order the ids come in does not matter: they are sorted before drawing.
    assert assurance.draw(list(reversed(ids)), 20, seed=4242) == first
    assert assurance.draw(ids, 20, seed=4243) != first
    assert set(first) <= set(ids)


def test_a_draw_takes_only_the_years_paid_claims_of_the_hub(paid, hub, lead, other_hub):
    other_lead = HubLeadFactory(hub=other_hub).user
    sample = assurance.sample_draw(actor=lead, hub=hub, year=year(2026), percent=100, seed=7)

    sampled = set(sample.checks.values_list("claim_id", flat=True))
    assert sampled == {c.pk for c in paid}
    assert sample.paid_claims == 7
    assert set(Claim.objects.filter(pk__in=sampled).values_list("state", flat=True)) == {
        ClaimState.PAID
    }
    assert set(sample.checks.values_list("outcome", flat=True)) == {CheckOutcome.PENDING}
    with pytest.raises(PermissionDenied):
        assurance.sample_draw(actor=other_lead, hub=hub, year=year(2026), percent=10)


def test_drawing_twice_with_the_same_seed_gives_the_same_claims(paid, hub, lead):
    first = assurance.sample_draw(actor=lead, hub=hub, year=year(2026), percent=30, seed=99)
    again = assurance.sample_draw(actor=lead, hub=hub, year=year(2026), percent=30, seed=99)

    ids = list(first.checks.order_by("claim_id").values_list("claim_id", flat=True))
    assert len(ids) == 3  # 30% of 7, rounded up
    assert ids == list(again.checks.order_by("claim_id").values_list("claim_id", flat=True))
    assert ids == assurance.draw([c.pk for c in paid], 30, 99)


def test_the_seed_is_made_up_when_not_given_and_recorded(paid, hub, lead):
    sample = assurance.sample_draw(actor=lead, hub=hub, year=year(2026), percent=50)

    assert 0 <= sample.seed < 1_000_000
    assert list(sample.checks.order_by("claim_id").values_list("claim_id", flat=True)) == (
        assurance.draw([c.pk for c in paid], 50, sample.seed)
    )


def test_the_draw_is_audited_with_who_drew_it(paid, hub, lead):
    sample = assurance.sample_draw(actor=lead, hub=hub, year=year(2026), percent=10, seed=5)

    record = sample.history.get()
    assert record.history_user == lead
    assert record.history_change_reason == "Drew 1 of 7 paid claims (10%, seed 5)"
    check = sample.checks.get()
    assert check.history.get().history_user == lead


def test_a_national_admin_may_draw_for_any_hub(paid, hub):
    admin = NationalAdminFactory().user
    sample = assurance.sample_draw(actor=admin, hub=hub, year=year(2026), percent=10, seed=1)
    assert sample.drawn_by == admin


@pytest.mark.parametrize("factory", [SpecialistFactory, HeadteacherFactory])
def test_specialists_and_headteachers_may_not_draw(paid, hub, factory):
    kwargs = {"hub": hub} if factory is SpecialistFactory else {"school": paid[0].school}
    with pytest.raises(PermissionDenied):
        assurance.sample_draw(
            actor=factory(**kwargs).user, hub=hub, year=year(2026), percent=10, seed=1
        )


@pytest.mark.parametrize(
    ("percent", "seed", "field"),
    [(0, 1, "percent"), (101, 1, "percent"), (10, -1, "seed"), (10, 2**31, "seed")],
)
def test_a_percentage_or_seed_out_of_range_is_refused(paid, hub, lead, percent, seed, field):
    with pytest.raises(ValidationError) as error:
        assurance.sample_draw(actor=lead, hub=hub, year=year(2026), percent=percent, seed=seed)
    assert field in error.value.message_dict
    assert not AssuranceSample.objects.exists()


def test_a_year_without_paid_claims_cannot_be_sampled(hub, lead):
    with pytest.raises(ValidationError) as error:
        assurance.sample_draw(actor=lead, hub=hub, year=year(2025), percent=10, seed=1)
    assert error.value.message_dict["year"] == [
        "Abacus North West Maths Hub has no paid claims in 2025/26 to sample"
    ]


def test_the_database_keeps_percentages_from_1_to_100(hub, lead):
    with pytest.raises(IntegrityError), transaction.atomic():
        AssuranceSample.objects.create(
            hub=hub, year=year(2026), percent=0, seed=1, paid_claims=1, drawn_by=lead
        )


# ---------------------------------------------------------------------------
# Recording a check


@pytest.fixture
def check(paid, hub, lead):
    sample = assurance.sample_draw(actor=lead, hub=hub, year=year(2026), percent=10, seed=3)
    return sample.checks.get()


def test_insufficient_evidence_needs_notes(check, lead):
    with pytest.raises(ValidationError) as error:
        assurance.sample_check_record(
            actor=lead, check=check, outcome=CheckOutcome.INSUFFICIENT, notes="  "
        )
    assert error.value.message_dict["notes"] == ["Enter why the evidence is insufficient"]
    assert SampleCheck.objects.get(pk=check.pk).outcome == CheckOutcome.PENDING


def test_a_check_is_recorded_with_who_checked_it(check, lead):
    saved = assurance.sample_check_record(
        actor=lead, check=check, outcome=CheckOutcome.INSUFFICIENT, notes=" A quotation "
    )

    assert (saved.outcome, saved.notes, saved.checked_by) == ("insufficient", "A quotation", lead)
    assert saved.checked_at is not None
    latest = saved.history.order_by("-history_date").first()
    assert latest.history_change_reason == "Outcome: Evidence insufficient"
    assert latest.history_user == lead


def test_an_outcome_can_change_until_a_clawback_is_opened(check, lead):
    assurance.sample_check_record(actor=lead, check=check, outcome=CheckOutcome.CONFIRMED)
    assurance.sample_check_record(
        actor=lead, check=check, outcome=CheckOutcome.INSUFFICIENT, notes="Quotation"
    )
    assurance.clawback_open(actor=lead, check=check, amount_pence=100, reason="Quotation")

    with pytest.raises(InvalidTransition, match="cannot change"):
        assurance.sample_check_record(actor=lead, check=check, outcome=CheckOutcome.CONFIRMED)


def test_only_the_hubs_leads_record_checks(check, other_hub):
    for actor in (HubLeadFactory(hub=other_hub).user, NationalAdminFactory().user):
        with pytest.raises(PermissionDenied):
            assurance.sample_check_record(actor=actor, check=check, outcome="confirmed")


def test_an_unknown_outcome_is_refused(check, lead):
    with pytest.raises(ValidationError) as error:
        assurance.sample_check_record(actor=lead, check=check, outcome="maybe")
    assert "outcome" in error.value.message_dict


def test_the_database_refuses_insufficient_without_notes_and_a_claim_twice(check):
    with pytest.raises(IntegrityError), transaction.atomic():
        SampleCheck.objects.filter(pk=check.pk).update(outcome="insufficient", notes="")
    with pytest.raises(IntegrityError), transaction.atomic():
        SampleCheck.objects.create(sample=check.sample, claim=check.claim)
