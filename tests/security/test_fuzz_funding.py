"""Fuzzing the funding forms: the headteacher's claim sections and submission; the hub
lead's claim decisions, payment batches, budget and claim window; and the assurance
draw, check, clawback and waiver."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from funding import assurance, services
from funding.models import Claim
from tests.security import fuzz_strategies
from tests.security.fuzz_strategies import (
    FEW,
    FUZZ,
    assert_judged,
    date_fields,
    date_parts,
    mostly,
    nasty_number,
    nasty_text,
    send,
)

# The portal the properties post to, shared by the fuzzing modules.
world = fuzz_strategies.world
portal = fuzz_strategies.portal
as_role = fuzz_strategies.as_role
flag = st.one_of(st.sampled_from(["on", "true", "1", "", "0", "false"]), nasty_text)
money = st.one_of(
    st.sampled_from(["£1,000.005", "£1,000.00", "1250", "0.01", "1e309", "NaN", "-5", "١٢٣"]),
    nasty_number,
)


def _claim_section(claim, name: str) -> str:
    return reverse("funding:section", args=[claim.pk, name])


@FUZZ
@given(
    scheme=st.one_of(st.sampled_from(["", "1", "2", "999999"]), nasty_number),
    supplier=nasty_text,
    invoice=mostly("INV-1", nasty_text),
    invoice_date=mostly(("1", "10", "2026"), date_parts),
    spend=mostly("1250.00", money),
)
def test_purchase_section_refuses_or_saves_what_was_typed(
    as_role, portal, scheme, supplier, invoice, invoice_date, spend
):
    client = as_role("headteacher")
    claim = portal.own.draft_claim
    data = {
        "scheme": scheme,
        "supplier": supplier,
        "invoice_number": invoice,
        "spend_pence": spend,
        **date_fields("invoice_date", invoice_date),
    }
    answer = send(
        client,
        "POST",
        _claim_section(claim, "purchase"),
        data,
        probe=lambda: Claim.objects.values("supplier", "invoice_number", "spend_pence").get(
            pk=claim.pk
        ),
    )
    if assert_judged(answer):
        assert answer.probe["supplier"] == supplier.strip()
        assert answer.probe["invoice_number"] == invoice.strip()
        spend_pence = answer.probe["spend_pence"]
        assert spend_pence is None or 0 < spend_pence <= 100_000_000


@FUZZ
@given(
    name=nasty_text,
    sort_code=mostly("30-94-30", nasty_number),
    account=mostly("12 34 56 78", nasty_number),
    email=mostly("finance@school.example", nasty_text),
)
def test_payee_section_refuses_or_saves_what_was_typed(
    as_role, portal, name, sort_code, account, email
):
    client = as_role("headteacher")
    claim = portal.own.draft_claim
    data = {
        "payee_name": name,
        "sort_code": sort_code,
        "account_number": account,
        "finance_email": email,
    }
    answer = send(
        client,
        "POST",
        _claim_section(claim, "payee"),
        data,
        probe=lambda: Claim.objects.values("payee_name", "sort_code", "account_number").get(
            pk=claim.pk
        ),
    )
    if assert_judged(answer):
        saved = answer.probe
        assert saved["payee_name"] == name.strip()
        assert saved["sort_code"] == "" or len(saved["sort_code"]) == 6
        assert saved["account_number"] == "" or len(saved["account_number"]) == 8


@FEW
@given(accepted=flag)
def test_grant_conditions_refuse_or_save(as_role, portal, accepted):
    client = as_role("headteacher")

    def grant_claim():
        found = Claim.objects.filter(school=portal.own.school, kind="grant").first()
        return found or services.claim_start(
            actor=portal.own.head, school=portal.own.school, kind="grant"
        )

    answer = send(
        client,
        "POST",
        lambda grant: _claim_section(grant, "conditions"),
        {"conditions_accepted": accepted},
        setup=grant_claim,
    )
    assert_judged(answer)


@FEW
@given(declaration=flag)
def test_claim_check_and_submit_refuses_with_the_reason_shown(as_role, portal, declaration):
    client = as_role("headteacher")
    path = reverse("funding:check", args=[portal.own.draft_claim.pk])
    answer = send(client, "POST", path, {"declaration": declaration})
    if assert_judged(answer):
        assert "funding.historicalclaim" in answer.changed


# ---------------------------------------------------------------------------
# The hub's decision


@FUZZ
@given(
    decision=st.one_of(st.sampled_from(["approve", "return", "reject", ""]), nasty_text),
    amount=money,
    reason=nasty_text,
    over_budget=flag,
    to_change=st.lists(
        st.one_of(
            st.sampled_from(["supplier", "evidence", "spend_pence", "sort_code"]), nasty_text
        ),
        max_size=3,
    ),
)
def test_claim_decision_refuses_or_decides_whole(
    as_role, portal, decision, amount, reason, over_budget, to_change
):
    client = as_role("hub_lead")
    claim = portal.own.submitted_claim
    data = {
        "decision": decision,
        "approve-amount": amount,
        "approve-reason": reason,
        "approve-allow_over_budget": over_budget,
        "return-reason": reason,
        "return-to_change": to_change,
        "reject-reason": reason,
    }
    answer = send(
        client,
        "POST",
        reverse("funding:review", args=[claim.pk]),
        data,
        probe=lambda: Claim.objects.values("state", "award_pence").get(pk=claim.pk),
    )
    if assert_judged(answer):
        assert "funding.historicalclaim" in answer.changed
        assert answer.probe["state"] in ("approved", "returned", "rejected")
        if answer.probe["state"] == "approved":
            assert answer.probe["award_pence"] is not None
            assert 0 < answer.probe["award_pence"] <= claim.spend_pence


@FEW
@given(
    ids=st.lists(
        st.one_of(st.sampled_from(["1", "0", "-1", "²", "99999999999999999999"]), nasty_number),
        max_size=4,
    ),
    with_approved=st.booleans(),
)
def test_payment_batch_refuses_or_makes_one_whole_batch(as_role, portal, ids, with_approved):
    client = as_role("hub_lead")

    def approve():
        if with_approved:
            return services.claim_approve(actor=portal.own.lead, claim=portal.own.submitted_claim)
        return None

    def data(approved):
        return {"claim": [*ids, str(approved.pk)] if approved else ids}

    answer = send(client, "POST", reverse("funding:batches"), data, setup=approve)
    if answer.status == 200:
        # Refused: the list again, with what to do, and no batch.
        assert answer.status < 500
        assert not answer.changed, answer.changed
        assert "govuk-error-summary" in answer.html
    else:
        assert answer.status == 302
        assert len(answer.added("funding.paymentbatch")) == 1
        assert "funding.historicalclaim" in answer.changed


@FEW
@given(confirm=flag)
def test_mark_batch_paid_refuses_or_pays_whole(as_role, portal, confirm):
    client = as_role("hub_lead")

    def batch():
        approved = services.claim_approve(actor=portal.own.lead, claim=portal.own.submitted_claim)
        return services.batch_create(
            actor=portal.own.lead, hub=portal.own.hub, year=approved.year, claims=[approved]
        )

    answer = send(
        client,
        "POST",
        lambda made: reverse("funding:batch", args=[made.pk]),
        {"confirm": confirm},
        setup=batch,
    )
    assert_judged(answer)


@FUZZ
@given(
    which=st.one_of(st.sampled_from(["budget", "window"]), nasty_text),
    allocation=money,
    opens=date_parts,
    closes=date_parts,
    year=st.one_of(st.sampled_from(["2026-27", "2027-28", "2025-26", "9999-00"]), nasty_text),
)
def test_budget_and_claim_window_refuse_or_save_whole(
    as_role, portal, which, allocation, opens, closes, year
):
    client = as_role("hub_lead")
    data = {
        "form": which,
        "budget-allocation": allocation,
        **date_fields("window-opens", opens),
        **date_fields("window-closes", closes),
    }
    path = reverse("funding:budget") + "?" + f"year={year}"
    answer = send(client, "POST", path, data)
    if which not in ("budget", "window"):
        # Neither form was posted: a bad request, nothing written.
        assert answer.status == 400
        assert not answer.changed
        return
    assert_judged(answer)


# ---------------------------------------------------------------------------
# Assurance


@FUZZ
@given(
    year=st.one_of(st.sampled_from(["2026-27", "2025-26", ""]), nasty_text),
    percent=st.one_of(st.sampled_from(["10", "100", "101", "0", "10%", "²", "٣"]), nasty_number),
    seed=st.one_of(st.sampled_from(["1", "", "1,000", "²", "99999999999999999999"]), nasty_number),
)
def test_sample_draw_refuses_or_draws_whole(as_role, portal, year, percent, seed):
    client = as_role("hub_lead")
    data = {"draw-year": year, "draw-percent": percent, "draw-seed": seed}
    answer = send(client, "POST", reverse("assurance:samples"), data)
    if assert_judged(answer):
        assert len(answer.added("funding.assurancesample")) == 1


@FUZZ
@given(
    outcome=st.one_of(st.sampled_from(["sufficient", "insufficient", ""]), nasty_text),
    notes=nasty_text,
)
def test_sample_check_refuses_or_records_whole(as_role, portal, outcome, notes):
    client = as_role("hub_lead")
    path = reverse("assurance:check", args=[portal.own.check.pk])
    answer = send(client, "POST", path, {"outcome": outcome, "notes": notes})
    assert_judged(answer)


@FUZZ
@given(amount=mostly("50.00", money), reason=nasty_text, waived=mostly(True, st.just(False)))
def test_clawback_open_refuses_or_opens_whole(as_role, portal, amount, reason, waived):
    client = as_role("hub_lead")

    def waive():
        # With the open clawback waived, a new one may be asked for.
        if waived:
            assurance.clawback_waive(
                actor=portal.own.lead, clawback=portal.own.clawback, reason="Sent in error"
            )

    path = reverse("assurance:clawback_open", args=[portal.own.check.pk])
    answer = send(
        client,
        "POST",
        path,
        {"clawback-amount": amount, "clawback-reason": reason},
        setup=waive,
    )
    if answer.status == 302 and not answer.changed:
        assert answer.error_messages, "refused without an error shown"
        return
    assert_judged(answer)


@FUZZ
@given(reason=nasty_text)
def test_clawback_waiver_refuses_or_waives_whole(as_role, portal, reason):
    client = as_role("hub_lead")
    path = reverse("assurance:waive", args=[portal.own.clawback.pk])
    answer = send(client, "POST", path, {"waive-waive_reason": reason})
    if assert_judged(answer):
        assert "funding.historicalclawback" in answer.changed
