"""Claim decisions and payments reach the school through the notice ledger; an approval
that would pass the budget is refused with a code the screen can tell apart; the budget
page splits the money by kind of claim."""

import pytest
from django.core.exceptions import ValidationError

from funding import services as funding
from hubportal.notices.models import Notice, NoticeState
from tests.factories import ready_claim

pytestmark = pytest.mark.django_db


def test_each_claim_decision_and_the_payment_is_mailed_once(
    hub, lead, dwg_school, head, mailoutbox, django_capture_on_commit_callbacks
):
    claim = funding.claim_submit(actor=head, claim=ready_claim(dwg_school, head))
    with django_capture_on_commit_callbacks(execute=True):
        funding.claim_return(actor=lead, claim=claim, reason="Upload the invoice itself")
    claim = funding.claim_submit(actor=head, claim=claim)
    with django_capture_on_commit_callbacks(execute=True):
        funding.claim_approve(actor=lead, claim=claim)
    with django_capture_on_commit_callbacks(execute=True):
        batch = funding.batch_create(actor=lead, hub=hub, year=claim.year, claims=[claim])
        funding.batch_mark_paid(actor=lead, batch=batch)

    notices = Notice.objects.filter(subject_type="claim", subject_id=claim.pk)
    assert sorted(notices.values_list("occasion", flat=True)) == ["approved", "paid", "returned"]
    assert set(notices.values_list("state", flat=True)) == {NoticeState.SENT}
    assert [m.to for m in mailoutbox] == [[head.email]] * 3
    assert "Upload the invoice itself" in mailoutbox[0].body


def test_an_approval_over_the_budget_says_so_by_its_code(hub, lead, dwg_school, head):
    claim = funding.claim_submit(actor=head, claim=ready_claim(dwg_school, head))
    funding.budget_set(actor=lead, hub=hub, year=claim.year, allocation_pence=10_000)
    with pytest.raises(ValidationError) as refused:
        funding.claim_approve(actor=lead, claim=claim)
    assert refused.value.error_dict["award"][0].code == "over_budget"


def test_the_budget_page_splits_committed_and_paid_money_by_kind(
    client, hub, lead, dwg_school, head
):
    grant = funding.claim_submit(actor=head, claim=ready_claim(dwg_school, head, kind="grant"))
    match = funding.claim_submit(actor=head, claim=ready_claim(dwg_school, head))
    funding.claim_approve(actor=lead, claim=grant)
    funding.claim_approve(actor=lead, claim=match)
    batch = funding.batch_create(actor=lead, hub=hub, year=grant.year, claims=[grant])
    funding.batch_mark_paid(actor=lead, batch=batch)

    client.force_login(lead)
    page = client.get("/hub/funding/").content.decode()
    table = page[page.index('id="by-kind"') :]
    grant_row = table[table.index("Development grant") :]
    assert grant_row.index("£0.00") < grant_row.index("£1,000.00")  # committed, then paid
    match_row = table[table.index("match funding") :]
    assert "£1,500.00" in match_row[: match_row.index("</tr>")]
