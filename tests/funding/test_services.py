"""Funding services: the award calculation at its edges, the claim lifecycle,
evidence checks, batches and payments, and the invariants under races."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from funding import services
from funding.models import (
    Claim,
    ClaimState,
    Evidence,
    MatchAllowance,
    Payment,
    PaymentBatch,
    Scheme,
)
from funding.money import format_pence, parse_pounds
from tests.concurrency import race
from tests.factories import (
    ClaimWindowFactory,
    HeadteacherFactory,
    HubLeadFactory,
    ParticipationFactory,
    SchoolFactory,
    pdf_upload,
    ready_claim,
    year,
)
from workgroups.services.applications import InvalidTransition

pytestmark = pytest.mark.django_db


def submitted(school, head, **kwargs):
    return services.claim_submit(actor=head, claim=ready_claim(school, head, **kwargs))


# ---------------------------------------------------------------------------
# Money


@pytest.mark.parametrize(
    ("typed", "pence"),
    [("1250", 125000), ("£1,250.5", 125050), ("0.01", 1), (" £3,999.99 ", 399999)],
)
def test_amounts_are_parsed_to_exact_pence(typed, pence):
    assert parse_pounds(typed) == pence


@pytest.mark.parametrize(
    "typed", ["", "abc", "1.234", "-5", "1,25", "12e3", "£", "£١٢٣", "１２３", "²"]
)
def test_amounts_that_are_not_money_are_refused(typed):
    with pytest.raises(ValueError, match="Enter an amount"):
        parse_pounds(typed)


def test_pence_are_shown_as_pounds():
    assert format_pence(200000) == "£2,000.00"
    assert format_pence(1) == "£0.01"


# ---------------------------------------------------------------------------
# The award at its edges


@pytest.mark.parametrize(
    ("spend", "claimed"),
    [(399_999, 199_999), (400_000, 200_000), (1_000_000, 200_000), (3, 1)],
)
def test_match_funding_is_half_the_spend_up_to_2000_pounds(dwg_school, head, spend, claimed):
    claim = submitted(dwg_school, head, spend_pence=spend)
    assert claim.claimed_pence == claimed
    assert claim.state == ClaimState.SUBMITTED


def test_a_penny_of_spend_earns_nothing_and_is_refused(dwg_school, head):
    claim = ready_claim(dwg_school, head, spend_pence=1)
    with pytest.raises(ValidationError) as error:
        services.claim_submit(actor=head, claim=claim)
    assert "spend_pence" in error.value.message_dict
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.DRAFT


def test_a_second_claim_gets_what_remains_after_a_partial_award(dwg_school, head, lead):
    first = submitted(dwg_school, head, spend_pence=300_000)
    services.claim_approve(actor=lead, claim=first)
    assert services.match_remaining(dwg_school) == 50_000

    second = submitted(dwg_school, head, spend_pence=200_000)
    assert second.claimed_pence == 50_000
    approved = services.claim_approve(actor=lead, claim=second)
    assert approved.award_pence == 50_000
    assert services.match_remaining(dwg_school) == 0
    with pytest.raises(InvalidTransition, match="full £2,000"):
        services.claim_start(actor=head, school=dwg_school, kind="match")


def test_an_award_computed_from_what_remains_when_approvals_overlap(dwg_school, head, lead):
    """Both claims were submitted while £2,000 remained; the second approval gets the rest."""
    first = submitted(dwg_school, head, spend_pence=300_000)
    second = submitted(dwg_school, head, spend_pence=300_000)
    services.claim_approve(actor=lead, claim=first)
    second = services.claim_approve(actor=lead, claim=second)
    assert second.award_pence == 50_000
    assert "left" in second.decision_reason
    assert MatchAllowance.objects.get(school=dwg_school).awarded_pence == 200_000


def test_approving_for_less_needs_a_reason(dwg_school, head, lead):
    claim = submitted(dwg_school, head, spend_pence=100_000)
    with pytest.raises(ValidationError) as error:
        services.claim_approve(actor=lead, claim=claim, award_pence=40_000)
    assert "reason" in error.value.message_dict
    approved = services.claim_approve(
        actor=lead, claim=claim, award_pence=40_000, reason="One invoice line was for tracing paper"
    )
    assert approved.award_pence == 40_000
    with pytest.raises(ValidationError):
        services.claim_approve(actor=lead, claim=claim, award_pence=60_000)


def test_match_funding_needs_a_development_group_past_or_present(hub, claim_window):
    school = SchoolFactory(hub=hub)
    head = HeadteacherFactory(school=school).user
    with pytest.raises(InvalidTransition, match="Development Work Group"):
        services.claim_start(actor=head, school=school, kind="match")
    ParticipationFactory(school=school, year=year(2023))
    assert services.claim_start(actor=head, school=school, kind="match").state == "draft"
    with pytest.raises(InvalidTransition, match="grant comes with"):
        services.claim_start(actor=head, school=school, kind="grant")


# ---------------------------------------------------------------------------
# The grant, once per school ever


def test_the_grant_is_1000_pounds_once_per_school(dwg_school, head, lead):
    claim = submitted(dwg_school, head, kind="grant")
    assert claim.claimed_pence == 100_000
    with pytest.raises(InvalidTransition, match="already claimed"):
        services.claim_start(actor=head, school=dwg_school, kind="grant")
    services.claim_reject(actor=lead, claim=claim, reason="Bank details are a trust's, not yours")
    again = services.claim_start(actor=head, school=dwg_school, kind="grant")
    assert again.state == ClaimState.DRAFT


def test_the_database_refuses_a_second_grant_claim(dwg_school, head):
    services.claim_start(actor=head, school=dwg_school, kind="grant")
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(
            school=dwg_school, hub=dwg_school.hub, year=year(2027), kind="grant", created_by=head
        )


def test_the_grant_needs_its_conditions_and_payee(dwg_school, head):
    claim = services.claim_start(actor=head, school=dwg_school, kind="grant")
    with pytest.raises(ValidationError) as error:
        services.claim_submit(actor=head, claim=claim)
    assert {"conditions_accepted", "payee_name", "sort_code", "account_number"} <= set(
        error.value.message_dict
    )


# ---------------------------------------------------------------------------
# Lifecycle, roles and the deadline


def test_a_returned_claim_comes_back_with_the_reason_and_can_be_resubmitted(dwg_school, head, lead):
    claim = submitted(dwg_school, head)
    returned = services.claim_return(
        actor=lead,
        claim=claim,
        reason="The invoice is not addressed to the school",
        fields=["evidence", "not-a-field"],
    )
    assert returned.state == ClaimState.RETURNED
    assert returned.return_fields == ["evidence"]
    services.claim_save(actor=head, claim=returned, supplier="Mastery Books (UK) Ltd")
    again = services.claim_submit(actor=head, claim=returned)
    assert again.state == ClaimState.SUBMITTED
    reasons = list(again.history.values_list("history_change_reason", flat=True))
    assert "Resubmitted" in reasons
    assert again.history.filter(history_user=lead).exists()


def test_transitions_are_refused_from_the_wrong_state(dwg_school, head, lead):
    claim = ready_claim(dwg_school, head)
    with pytest.raises(InvalidTransition, match="draft"):
        services.claim_approve(actor=lead, claim=claim)
    claim = services.claim_submit(actor=head, claim=claim)
    with pytest.raises(InvalidTransition, match="submitted"):
        services.claim_save(actor=head, claim=claim, supplier="Other")
    services.claim_reject(actor=lead, claim=claim, reason="Not on the approved list")
    with pytest.raises(InvalidTransition):
        services.claim_return(actor=lead, claim=claim, reason="Try again")


def test_only_the_right_people_act(dwg_school, head, lead, other_hub):
    claim = submitted(dwg_school, head)
    with pytest.raises(PermissionDenied):
        services.claim_approve(actor=head, claim=claim)
    with pytest.raises(PermissionDenied):
        services.claim_approve(actor=HubLeadFactory(hub=other_hub).user, claim=claim)
    other_head = HeadteacherFactory(school=SchoolFactory(hub=dwg_school.hub)).user
    with pytest.raises(PermissionDenied):
        services.claim_start(actor=other_head, school=dwg_school, kind="match")


def test_after_the_deadline_no_new_claims(dwg_school, head, lead, claim_window):
    draft = ready_claim(dwg_school, head)
    returned = services.claim_return(
        actor=lead, claim=submitted(dwg_school, head), reason="Add the second page"
    )
    after = claim_window.closes + timedelta(days=1)
    with pytest.raises(InvalidTransition, match="not taking claims"):
        services.claim_start(actor=head, school=dwg_school, kind="match", today=after)
    with pytest.raises(InvalidTransition, match="deadline"):
        services.claim_submit(actor=head, claim=draft, today=after)
    assert services.claim_submit(actor=head, claim=returned, today=after).state == "submitted"


def test_the_approved_list_starts_from_the_last_years_list(lead):
    first = {s.name for s in services.schemes_ensure(year=year(2025))}
    assert first == set(services.DEFAULT_SCHEMES)
    Scheme.objects.create(year=year(2025), name="Maths Mastery Primary")
    assert {s.name for s in services.schemes_ensure(year=year(2026))} == first | {
        "Maths Mastery Primary"
    }


def test_reading_the_approved_list_never_writes(lead):
    names = services.scheme_names_for(year(2027))

    assert names == sorted(services.DEFAULT_SCHEMES)
    assert not Scheme.objects.filter(year=year(2027)).exists()


def test_setting_the_claim_window_gives_the_year_its_list(lead, hub):
    services.claim_window_set(
        actor=lead, hub=hub, year=year(2028), opens=date(2028, 9, 1), closes=date(2029, 7, 1)
    )

    assert Scheme.objects.filter(year=year(2028)).count() == len(services.DEFAULT_SCHEMES)


# ---------------------------------------------------------------------------
# Evidence


def test_a_renamed_program_is_refused_by_its_content(dwg_school, head):
    claim = services.claim_start(actor=head, school=dwg_school, kind="match")
    fake = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    with pytest.raises(ValidationError, match="not a PDF, PNG or JPEG"):
        services.evidence_add(actor=head, claim=claim, upload=fake)
    assert not Evidence.objects.exists()


def test_an_11_mb_file_is_refused_and_nothing_is_stored(dwg_school, head, settings):
    claim = services.claim_start(actor=head, school=dwg_school, kind="match")
    big = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024))
    with pytest.raises(ValidationError, match="11.0 MB"):
        services.evidence_add(actor=head, claim=claim, upload=big)
    assert not Evidence.objects.exists()
    assert not default_storage.exists("evidence")


def test_evidence_is_stored_under_a_name_the_school_did_not_choose(dwg_school, head):
    claim = services.claim_start(actor=head, school=dwg_school, kind="match")
    evidence = services.evidence_add(
        actor=head, claim=claim, upload=pdf_upload("../../etc/passwd.pdf")
    )
    assert evidence.content_type == "application/pdf"
    assert "passwd" not in evidence.file.name and evidence.file.name.startswith("evidence/")
    assert len(evidence.sha256) == 64
    services.evidence_remove(actor=head, evidence=evidence)
    assert not Evidence.objects.exists()


# ---------------------------------------------------------------------------
# Batches, payments and the budget


def test_batching_and_paying(dwg_school, head, lead):
    claims = [
        services.claim_approve(actor=lead, claim=submitted(dwg_school, head, spend_pence=100_000)),
        services.claim_approve(actor=lead, claim=submitted(dwg_school, head, kind="grant")),
    ]
    batch = services.batch_create(actor=lead, hub=dwg_school.hub, year=year(2026), claims=claims)
    assert batch.reference == "ABN-PAY-2627-001"
    assert set(batch.claims.values_list("state", flat=True)) == {ClaimState.BATCHED}
    with pytest.raises(InvalidTransition, match="already in a batch"):
        services.batch_create(actor=lead, hub=dwg_school.hub, year=year(2026), claims=claims)
    services.batch_mark_paid(actor=lead, batch=batch)
    assert Payment.objects.filter(batch=batch).count() == 2
    assert set(Claim.objects.values_list("state", flat=True)) == {ClaimState.PAID}
    with pytest.raises(InvalidTransition, match="paid already"):
        services.batch_mark_paid(actor=lead, batch=batch)
    position = services.budget_position(dwg_school.hub, year(2026))
    assert position["paid"] == 150_000 and position["committed"] == 0


def test_an_approval_that_would_pass_the_budget_is_refused_unless_confirmed(dwg_school, head, lead):
    services.budget_set(actor=lead, hub=dwg_school.hub, year=year(2026), allocation_pence=120_000)
    services.claim_approve(actor=lead, claim=submitted(dwg_school, head, kind="grant"))
    claim = submitted(dwg_school, head, spend_pence=100_000)
    with pytest.raises(ValidationError) as error:
        services.claim_approve(actor=lead, claim=claim)
    assert "£200.00 remains" in str(error.value)
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.SUBMITTED
    assert not MatchAllowance.objects.filter(school=dwg_school, awarded_pence__gt=0).exists()
    services.claim_approve(actor=lead, claim=claim, allow_over_budget=True)
    assert services.budget_position(dwg_school.hub, year(2026))["remaining"] == -30_000


def test_claim_windows_and_budgets_are_validated(hub, lead):
    with pytest.raises(ValidationError):
        services.claim_window_set(
            actor=lead, hub=hub, year=year(2027), opens=date(2027, 9, 1), closes=date(2027, 8, 1)
        )
    with pytest.raises(ValidationError):
        services.budget_set(actor=lead, hub=hub, year=year(2027), allocation_pence=-1)


def test_the_database_refuses_an_allowance_above_the_cap(dwg_school):
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchAllowance.objects.create(school=dwg_school, awarded_pence=200_001)


# ---------------------------------------------------------------------------
# Under races, on PostgreSQL


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_racing_approvals_never_pass_the_cap(hub):
    ClaimWindowFactory(hub=hub)
    school = SchoolFactory(hub=hub)
    ParticipationFactory(school=school)
    head = HeadteacherFactory(school=school).user
    lead = HubLeadFactory(hub=hub).user
    # Twenty claims of £150 each, all submitted while the full £2,000 remained.
    claims = [submitted(school, head, spend_pence=30_000) for _ in range(20)]

    def approve(claim):
        return lambda: services.claim_approve(actor=lead, claim=Claim.objects.get(pk=claim.pk))

    outcomes = race(*(approve(c) for c in claims))
    approved = [o for o in outcomes if isinstance(o, Claim)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(o, InvalidTransition) for o in refused), refused
    awards = sorted(c.award_pence for c in approved)
    assert sum(awards) == 200_000
    assert awards == [5_000] + [15_000] * 13
    assert MatchAllowance.objects.get(school=school).awarded_pence == 200_000
    assert Claim.objects.filter(school=school, state="submitted").count() == 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_payments_and_batches_pay_each_claim_once(hub):
    ClaimWindowFactory(hub=hub)
    lead = HubLeadFactory(hub=hub).user
    approved = []
    for _ in range(3):
        school = SchoolFactory(hub=hub)
        ParticipationFactory(school=school)
        head = HeadteacherFactory(school=school).user
        approved.append(services.claim_approve(actor=lead, claim=submitted(school, head)))

    def make_batch():
        return services.batch_create(actor=lead, hub=hub, year=year(2026), claims=approved)

    outcomes = race(*([make_batch] * 5))
    batches = [o for o in outcomes if isinstance(o, PaymentBatch)]
    assert len(batches) == 1, outcomes
    batch = batches[0]

    def pay():
        return services.batch_mark_paid(actor=lead, batch=PaymentBatch.objects.get(pk=batch.pk))

    outcomes = race(*([pay] * 20))
    assert sum(isinstance(o, PaymentBatch) for o in outcomes) == 1, outcomes
    assert Payment.objects.count() == 3
    assert Claim.objects.filter(state="paid").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_grant_claims_start_one(hub):
    ClaimWindowFactory(hub=hub)
    school = SchoolFactory(hub=hub)
    from tests.factories import AcceptedApplicationFactory

    AcceptedApplicationFactory(school=school)
    head = HeadteacherFactory(school=school).user

    def start():
        return services.claim_start(actor=head, school=school, kind="grant")

    outcomes = race(*([start] * 10))
    assert sum(isinstance(o, Claim) for o in outcomes) == 1, outcomes
    assert Claim.objects.filter(school=school, kind="grant").count() == 1
