"""Clawback: opened only from a check that found the evidence insufficient, for at
most what was paid, once per claim, with a notice to the headteacher sent once;
recovered match funding is the school's to claim again and counts back into the
hub's budget; a waiver needs its reason. Also the export columns and what a
headteacher sees of their school's clawbacks."""

import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from funding import assurance, services
from funding.models import (
    CheckOutcome,
    Claim,
    ClaimState,
    Clawback,
    ClawbackState,
    MatchAllowance,
)
from funding.tasks import send_clawback_notice
from tests.factories import (
    ClaimWindowFactory,
    HeadteacherFactory,
    HubLeadFactory,
    NationalAdminFactory,
    ready_claim,
    school_with_paid_claims,
    year,
)
from workgroups.services.applications import InvalidTransition

pytestmark = pytest.mark.django_db


@pytest.fixture
def school_paid(hub, lead, claim_window):
    """A school paid the full £2,000 of match funding (£1,500 then £500) and the grant."""
    school, head, claims = school_with_paid_claims(
        hub, lead, match=2, grant=True, name="Birch Primary School"
    )
    return school, head, claims


def insufficient_check(lead, hub, claim, notes="The file is a quotation, not an invoice"):
    """A sample of every paid claim, with ``claim``'s check found insufficient."""
    sample = assurance.sample_draw(actor=lead, hub=hub, year=year(2026), percent=100, seed=1)
    check = sample.checks.get(claim=claim)
    return assurance.sample_check_record(
        actor=lead, check=check, outcome=CheckOutcome.INSUFFICIENT, notes=notes
    )


@pytest.fixture
def first_match(school_paid):
    return school_paid[2][0]


@pytest.fixture
def check(lead, hub, first_match):
    return insufficient_check(lead, hub, first_match)


def open_clawback(lead, check, amount=50_000, reason="The invoice was a quotation"):
    return assurance.clawback_open(actor=lead, check=check, amount_pence=amount, reason=reason)


# ---------------------------------------------------------------------------
# Opening


def test_a_clawback_is_opened_from_an_insufficient_check(check, lead, first_match):
    clawback = open_clawback(lead, check, amount=150_000)

    assert clawback.claim == first_match
    assert (clawback.amount_pence, clawback.state) == (150_000, ClawbackState.REQUESTED)
    assert (clawback.opened_by, clawback.sample_check) == (lead, check)
    record = clawback.history.get()
    assert (record.history_user, record.history_change_reason) == (lead, "Requested £1,500.00 back")


@pytest.mark.parametrize("outcome", [CheckOutcome.PENDING, CheckOutcome.CONFIRMED])
def test_no_clawback_from_a_check_that_did_not_find_the_evidence_insufficient(
    lead, hub, first_match, outcome
):
    sample = assurance.sample_draw(actor=lead, hub=hub, year=year(2026), percent=100, seed=1)
    check = sample.checks.get(claim=first_match)
    assurance.sample_check_record(actor=lead, check=check, outcome=outcome)

    with pytest.raises(InvalidTransition, match="found the evidence insufficient"):
        open_clawback(lead, check)
    assert not Clawback.objects.exists()


@pytest.mark.parametrize("amount", [0, -1, 150_001])
def test_the_amount_is_more_than_nothing_and_at_most_what_was_paid(check, lead, amount):
    with pytest.raises(ValidationError) as error:
        open_clawback(lead, check, amount=amount)
    assert error.value.message_dict["amount"] == [
        "Enter an amount more than £0.00 and at most £1,500.00, the amount paid"
    ]


def test_a_reason_is_needed(check, lead):
    with pytest.raises(ValidationError) as error:
        open_clawback(lead, check, reason="  ")
    assert error.value.message_dict["reason"] == ["Enter why the money is being asked back"]


def test_a_claim_has_one_clawback(check, lead):
    open_clawback(lead, check)
    with pytest.raises(InvalidTransition, match="already requested"):
        open_clawback(lead, check)
    assert Clawback.objects.count() == 1


def test_only_the_hubs_leads_open_clawbacks(check, other_hub):
    for actor in (HubLeadFactory(hub=other_hub).user, NationalAdminFactory().user):
        with pytest.raises(PermissionDenied):
            open_clawback(actor, check)


def test_the_database_refuses_a_clawback_of_nothing(check, lead, first_match):
    with pytest.raises(IntegrityError), transaction.atomic():
        Clawback.objects.create(
            claim=first_match, sample_check=check, amount_pence=0, reason="x", opened_by=lead
        )


# ---------------------------------------------------------------------------
# The headteacher's notice


def test_opening_tells_the_headteacher_once(
    check, lead, school_paid, django_capture_on_commit_callbacks, mailoutbox
):
    school, head, _ = school_paid
    second_head = HeadteacherFactory(school=school).user

    with django_capture_on_commit_callbacks(execute=True):
        clawback = open_clawback(lead, check, amount=75_000)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert sorted(message.to) == sorted([head.email, second_head.email])
    assert f"asks for £750.00 of claim {clawback.claim.reference} back" in message.subject
    body = message.body
    assert "Birch Primary School to repay £750.00" in body
    assert "The hub's reason: The invoice was a quotation" in body
    clawback.refresh_from_db()
    assert clawback.notice_sent_at is not None

    # A retried or repeated job sends nothing more.
    assert send_clawback_notice.delay(clawback.pk).get() is False
    assert assurance.clawback_notice_send(clawback_id=clawback.pk) is False
    assert assurance.clawback_notice_send(clawback_id=999_999) is False
    assert len(mailoutbox) == 1


def test_nothing_is_sent_before_the_clawback_is_committed(check, lead, mailoutbox):
    open_clawback(lead, check)
    assert mailoutbox == []


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_notice_goes_through_a_real_worker(celery_worker_process, hub):
    ClaimWindowFactory(hub=hub)
    lead = HubLeadFactory(hub=hub).user
    school, head, claims = school_with_paid_claims(hub, lead, match=1)
    check = insufficient_check(lead, hub, claims[0])

    clawback = open_clawback(lead, check, amount=10_000)

    def clawback_mail():
        # The claim's decision and payment notices may come through the worker too.
        return [
            m
            for m in celery_worker_process.messages()
            if f"of claim {clawback.claim.reference} back" in m["Subject"]
        ]

    deadline = time.monotonic() + 30
    while not clawback_mail() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # long enough for a duplicate to show up
    (message,) = clawback_mail()
    assert message["To"] == head.email
    assert "repay £100.00" in message.get_body(("plain",)).get_content()
    clawback.refresh_from_db()
    assert clawback.notice_sent_at is not None


# ---------------------------------------------------------------------------
# Recovering and waiving


def test_recovered_match_funding_can_be_claimed_again(check, lead, school_paid, hub):
    school, head, _ = school_paid
    assert services.match_remaining(school) == 0
    with pytest.raises(InvalidTransition, match="full £2,000"):
        services.claim_start(actor=head, school=school, kind="match")

    clawback = open_clawback(lead, check, amount=50_000)
    assert services.match_remaining(school) == 0  # asked back is not yet recovered
    recovered = assurance.clawback_recover(actor=lead, clawback=clawback)

    assert recovered.state == ClawbackState.RECOVERED
    assert (recovered.closed_by, recovered.closed_at is not None) == (lead, True)
    allowance = MatchAllowance.objects.get(school=school)
    assert (allowance.awarded_pence, allowance.recovered_pence) == (200_000, 50_000)
    assert services.match_remaining(school) == 50_000

    # The school claims again; the approval is capped at what came back.
    again = services.claim_submit(actor=head, claim=ready_claim(school, head, spend_pence=300_000))
    assert again.claimed_pence == 50_000
    approved = services.claim_approve(actor=lead, claim=again)
    assert approved.award_pence == 50_000
    assert services.match_remaining(school) == 0
    assert MatchAllowance.objects.get(school=school).awarded_pence == 250_000


def test_the_cap_still_holds_after_a_recovery(check, lead, school_paid):
    school, _, _ = school_paid
    assurance.clawback_recover(actor=lead, clawback=open_clawback(lead, check, amount=10_000))
    with pytest.raises(IntegrityError), transaction.atomic():
        MatchAllowance.objects.filter(school=school).update(awarded_pence=210_001)


def test_the_budget_reports_recovered_money_and_counts_it_back(check, lead, hub):
    services.budget_set(actor=lead, hub=hub, year=year(2026), allocation_pence=1_000_000)
    before = services.budget_position(hub, year(2026))
    assert before == {
        "allocation": 1_000_000,
        "committed": 0,
        "paid": 300_000,
        "recovered": 0,
        "remaining": 700_000,
    }

    clawback = open_clawback(lead, check, amount=40_000)
    assert services.budget_position(hub, year(2026))["recovered"] == 0
    assurance.clawback_recover(actor=lead, clawback=clawback)

    after = services.budget_position(hub, year(2026))
    assert (after["paid"], after["recovered"], after["remaining"]) == (300_000, 40_000, 740_000)


def test_a_recovered_grant_comes_back_to_the_budget_not_to_the_allowance(lead, hub, school_paid):
    school, _, claims = school_paid
    grant = next(c for c in claims if c.kind == "grant")
    clawback = open_clawback(lead, insufficient_check(lead, hub, grant), amount=100_000)

    assurance.clawback_recover(actor=lead, clawback=clawback)

    assert MatchAllowance.objects.get(school=school).recovered_pence == 0
    assert services.budget_position(hub, year(2026))["recovered"] == 100_000


def test_a_waiver_needs_its_reason_and_changes_no_money(check, lead, school_paid, hub):
    school, _, _ = school_paid
    clawback = open_clawback(lead, check)
    with pytest.raises(ValidationError) as error:
        assurance.clawback_waive(actor=lead, clawback=clawback, reason=" ")
    assert error.value.message_dict["waive_reason"] == ["Enter why the clawback is waived"]

    waived = assurance.clawback_waive(
        actor=lead, clawback=clawback, reason="The school sent the invoice after all"
    )

    assert (waived.state, waived.waive_reason) == (
        ClawbackState.WAIVED,
        "The school sent the invoice after all",
    )
    assert waived.history.order_by("-history_date").first().history_change_reason == (
        "Waived: The school sent the invoice after all"
    )
    assert services.match_remaining(school) == 0
    assert services.budget_position(hub, year(2026))["recovered"] == 0


def test_a_settled_clawback_cannot_be_settled_again(check, lead):
    clawback = open_clawback(lead, check)
    assurance.clawback_recover(actor=lead, clawback=clawback)
    with pytest.raises(InvalidTransition, match="recovered already"):
        assurance.clawback_recover(actor=lead, clawback=clawback)
    with pytest.raises(InvalidTransition, match="recovered already"):
        assurance.clawback_waive(actor=lead, clawback=clawback, reason="Changed our mind")
    assert MatchAllowance.objects.get(school=clawback.claim.school).recovered_pence == 50_000


def test_only_the_hubs_leads_settle_clawbacks(check, lead, other_hub):
    clawback = open_clawback(lead, check)
    for actor in (HubLeadFactory(hub=other_hub).user, NationalAdminFactory().user):
        with pytest.raises(PermissionDenied):
            assurance.clawback_recover(actor=actor, clawback=clawback)
        with pytest.raises(PermissionDenied):
            assurance.clawback_waive(actor=actor, clawback=clawback, reason="No")
    assert Clawback.objects.get(pk=clawback.pk).state == ClawbackState.REQUESTED


def test_the_database_refuses_a_waiver_without_a_reason(check, lead):
    clawback = open_clawback(lead, check)
    with pytest.raises(IntegrityError), transaction.atomic():
        Clawback.objects.filter(pk=clawback.pk).update(state="waived", closed_at=clawback.opened_at)


# ---------------------------------------------------------------------------
# What the headteacher sees, and the export columns


def test_a_headteacher_sees_their_schools_clawbacks_only(check, lead, school_paid, hub):
    _, head, _ = school_paid
    open_clawback(lead, check, amount=12_345)
    other_head = HeadteacherFactory(school__hub=hub).user

    (shown,) = assurance.school_clawbacks(head)
    assert (shown.amount_shown, shown.paid_shown) == ("£123.45", "£1,500.00")
    assert assurance.school_clawbacks(other_head) == []
    assert assurance.school_clawbacks(lead) == []


def test_assurance_columns_say_sampled_outcome_and_clawback(
    check, lead, school_paid, django_assert_num_queries
):
    _, _, claims = school_paid
    open_clawback(lead, check, amount=20_000)
    checked, other = claims[0], claims[1]

    assert tuple(assurance.assurance_columns(Claim.objects.get(pk=checked.pk))) == (
        True,
        "Evidence insufficient",
        20_000,
        "Requested",
    )
    assert tuple(assurance.assurance_columns(Claim.objects.get(pk=other.pk))) == (
        True,
        "Pending",
        None,
        "",
    )

    rows = list(assurance.with_assurance(Claim.objects.filter(pk__in=[checked.pk, other.pk])))
    with django_assert_num_queries(0):
        columns = {c.pk: tuple(assurance.assurance_columns(c)) for c in rows}
    assert columns[checked.pk] == (True, "Evidence insufficient", 20_000, "Requested")


def test_a_claim_never_sampled_has_empty_assurance_columns(dwg_school, head):
    claim = ready_claim(dwg_school, head)
    assert claim.state == ClaimState.DRAFT
    assert tuple(assurance.assurance_columns(claim)) == (False, "", None, "")
