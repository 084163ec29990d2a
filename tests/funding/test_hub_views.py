"""The hub lead's funding screens: the claims list with its filters and totals, the
review and its three decisions, payment batches and the budget; who may use them,
what another hub's rows look like (404), and their query counts as rows grow."""

import html as htmllib
import re
from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funding import services
from funding.models import Budget, Claim, ClaimState, ClaimWindow, PaymentBatch
from funding.selectors.hub import hub_positions
from funding.views import hub as hub_views
from tests.factories import (
    AcceptedApplicationFactory,
    ClaimWindowFactory,
    HeadteacherFactory,
    HubLeadFactory,
    SchoolFactory,
    ready_claim,
    year,
)

pytestmark = pytest.mark.django_db

S = ClaimState
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CLAIMS_URL = reverse("funding:claims")
BATCHES_URL = reverse("funding:batches")
BUDGET_URL = reverse("funding:budget")


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(NOW)


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client


def dwg(hub, **school):
    """A school of ``hub`` in a Development Work Group this year, and its headteacher."""
    found = SchoolFactory(hub=hub, **school)
    AcceptedApplicationFactory(school=found)
    return found, HeadteacherFactory(school=found).user


def submitted(school, head, **kwargs) -> Claim:
    return services.claim_submit(actor=head, claim=ready_claim(school, head, **kwargs))


def approved(school, head, lead, **kwargs) -> Claim:
    return services.claim_approve(actor=lead, claim=submitted(school, head, **kwargs))


def review_url(claim) -> str:
    return reverse("funding:review", args=[claim.pk])


def batch_url(batch) -> str:
    return reverse("funding:batch", args=[batch.pk])


def listed(response) -> list[int]:
    return [claim.pk for claim in response.context["claims"]]


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's text with tags and runs of white space removed."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html(response))).split())


def error_beside(response, field_id: str) -> str:
    """The GOV.UK error message shown beside the field with this id."""
    found = re.search(
        rf'<p id="{re.escape(field_id)}-error" class="govuk-error-message">(.*?)</p>',
        html(response),
        re.S,
    )
    assert found, f"no error beside {field_id}"
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def banner(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


# ---------------------------------------------------------------------------
# Who may use the pages


def hub_pages(claim, batch) -> list[str]:
    return [
        CLAIMS_URL,
        review_url(claim),
        BATCHES_URL,
        batch_url(batch),
        reverse("funding:batch_export", args=[batch.pk, "csv"]),
        reverse("funding:batch_export", args=[batch.pk, "xlsx"]),
        BUDGET_URL,
    ]


@pytest.fixture
def claim_and_batch(dwg_school, head, lead):
    claim = approved(dwg_school, head, lead, kind="grant")
    batch = services.batch_create(actor=lead, hub=dwg_school.hub, year=year(2026), claims=[claim])
    return submitted(dwg_school, head), batch


@pytest.mark.parametrize("person", ["specialist", "head"])
def test_specialists_and_headteachers_may_not_use_the_hub_funding_pages(
    client, request, person, claim_and_batch
):
    claim, batch = claim_and_batch
    client.force_login(request.getfixturevalue(person))
    for url in hub_pages(claim, batch):
        assert client.get(url).status_code == 403, url
    posts = {
        review_url(claim): {"decision": "reject", "reject-reason": "No"},
        BATCHES_URL: {"claim": [claim.pk]},
        batch_url(batch): {"confirm": "on"},
        BUDGET_URL: {"form": "budget", "budget-allocation": "1"},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    claim.refresh_from_db()
    batch.refresh_from_db()
    assert claim.state == S.SUBMITTED and not batch.is_paid
    assert not Budget.objects.exists()


def test_anonymous_person_is_sent_to_sign_in(client, claim_and_batch):
    claim, batch = claim_and_batch
    for url in hub_pages(claim, batch):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login"))


def test_another_hubs_claims_and_batches_are_not_found(
    client, claim_and_batch, other_hub, other_hub_lead
):
    claim, batch = claim_and_batch
    client.force_login(other_hub_lead)
    for url in hub_pages(claim, batch):
        if url not in (CLAIMS_URL, BATCHES_URL, BUDGET_URL):
            assert client.get(url).status_code == 404, url
    assert client.post(review_url(claim), {"decision": "approve"}).status_code == 404
    assert client.post(batch_url(batch), {"confirm": "on"}).status_code == 404
    # Their own lists show nothing of this hub.
    assert listed(client.get(CLAIMS_URL)) == []
    assert list(client.get(BATCHES_URL).context["batches"]) == []
    # A claim of this hub slipped into their batch form is refused, nothing made.
    response = client.post(BATCHES_URL, {"claim": [claim.pk]})
    assert "not your hub's claims" in text(response)
    assert PaymentBatch.objects.count() == 1


def test_national_admin_sees_every_hub_read_only(
    client, national_admin, claim_and_batch, other_hub
):
    claim, batch = claim_and_batch
    ClaimWindowFactory(hub=other_hub)
    elsewhere, elsewhere_head = dwg(other_hub)
    theirs = submitted(elsewhere, elsewhere_head, kind="grant")
    client.force_login(national_admin)

    listing = client.get(CLAIMS_URL)
    assert set(listed(listing)) == {claim.pk, theirs.pk, *batch.claims.values_list("pk", flat=True)}
    assert "Maths Hub" in text(listing)
    narrowed = client.get(CLAIMS_URL, {"hub": other_hub.code})
    assert listed(narrowed) == [theirs.pk]

    review = client.get(review_url(claim))
    assert review.status_code == 200
    assert 'name="decision"' not in html(review)
    assert "You are seeing it read-only" in text(review)
    assert client.post(review_url(claim), {"decision": "reject"}).status_code == 403

    payments = client.get(BATCHES_URL)
    assert [b.pk for b in payments.context["batches"]] == [batch.pk]
    assert "Create payment batch" not in html(payments)
    assert client.post(BATCHES_URL, {"claim": [claim.pk]}).status_code == 403

    detail = client.get(batch_url(batch))
    assert detail.status_code == 200 and "Mark as paid" not in html(detail)
    assert client.post(batch_url(batch), {"confirm": "on"}).status_code == 403
    export = client.get(reverse("funding:batch_export", args=[batch.pk, "csv"]))
    assert export.status_code == 200

    budget = client.get(BUDGET_URL)
    assert 'name="form"' not in html(budget)
    assert "Every hub's position in 2026/27" in text(budget)
    assert client.post(BUDGET_URL, {"form": "budget"}).status_code == 403
    claim.refresh_from_db()
    batch.refresh_from_db()
    assert claim.state == S.SUBMITTED and not batch.is_paid


# ---------------------------------------------------------------------------
# The claims list


def test_drafts_are_the_schools_own_and_not_listed(lead_client, dwg_school, head):
    draft = ready_claim(dwg_school, head)
    sent = submitted(dwg_school, head)
    response = lead_client.get(CLAIMS_URL)
    assert listed(response) == [sent.pk]
    assert response.context["totals"]["count"] == 1
    assert lead_client.get(review_url(draft)).status_code == 404


@pytest.fixture
def mixed_claims(hub, claim_window, lead):
    """Five claims of the hub in several kinds, states and schools (and a window last
    year, so that year may be chosen)."""
    ClaimWindowFactory(hub=hub, year=year(2025))
    ash, ash_head = dwg(hub, name="Ash Grove Primary School", urn=105201)
    beech, beech_head = dwg(hub, name="Beech Hill Primary School", urn=105202)
    claims = {
        "ash_grant": approved(ash, ash_head, lead, kind="grant"),
        "ash_match": submitted(ash, ash_head, spend_pence=100_000),
        "beech_match": approved(beech, beech_head, lead, spend_pence=50_001),
        "beech_grant": submitted(beech, beech_head, kind="grant"),
        "beech_rejected": submitted(beech, beech_head, spend_pence=20_000),
    }
    services.claim_reject(actor=lead, claim=claims["beech_rejected"], reason="Not on the list")
    batch = services.batch_create(
        actor=lead, hub=hub, year=year(2026), claims=[claims["ash_grant"]]
    )
    services.batch_mark_paid(actor=lead, batch=batch)
    return {name: Claim.objects.get(pk=claim.pk) for name, claim in claims.items()}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "grant"}, {"ash_grant", "beech_grant"}),
        ({"state": "submitted"}, {"ash_match", "beech_grant"}),
        ({"state": "paid"}, {"ash_grant"}),
        ({"school": "beech"}, {"beech_match", "beech_grant", "beech_rejected"}),
        ({"school": "05201"}, {"ash_grant", "ash_match"}),
        ({"kind": "match", "school": "Hill"}, {"beech_match", "beech_rejected"}),
        ({"year": "2025-26"}, set()),
        ({"year": "2026-27", "state": "rejected"}, {"beech_rejected"}),
    ],
)
def test_the_filters_narrow_the_list(lead_client, mixed_claims, params, expected):
    response = lead_client.get(CLAIMS_URL, params)
    assert response.status_code == 200
    assert set(listed(response)) == {mixed_claims[name].pk for name in expected}


def test_a_bad_filter_value_is_an_error_not_a_crash(lead_client, mixed_claims):
    response = lead_client.get(CLAIMS_URL, {"state": "draft", "year": "1999-00", "sort": "x"})
    assert response.status_code == 200
    assert error_beside(response, "id_state") == "Error: Select a state from the list"
    assert error_beside(response, "id_year") == "Error: Select an academic year from the list"
    # Meanwhile the year's claims are listed unfiltered.
    assert len(listed(response)) == 5


def test_totals_cover_the_whole_filtered_set_not_just_the_page(
    lead_client, mixed_claims, monkeypatch
):
    monkeypatch.setattr("hubportal.forms.PAGE_SIZE", 2)
    response = lead_client.get(CLAIMS_URL, {"sort": "reference"})
    assert len(listed(response)) == 2
    claims = list(Claim.objects.exclude(state=S.DRAFT))
    awarded = sum(c.award_pence for c in claims if c.state in ("approved", "batched", "paid"))
    paid = sum(c.award_pence for c in claims if c.state == "paid")
    assert response.context["totals"] == {
        "count": 5,
        "claimed": hub_views.format_pence(sum(c.claimed_pence for c in claims)),
        "awarded": hub_views.format_pence(awarded),
        "paid": hub_views.format_pence(paid),
    }
    # By hand: £1,000 + £500 + £250.00 (half of £500.01, rounded down) + £1,000 + £100.
    assert response.context["totals"]["claimed"] == "£2,850.00"
    assert response.context["totals"]["awarded"] == "£1,250.00"
    assert response.context["totals"]["paid"] == "£1,000.00"
    filtered = lead_client.get(CLAIMS_URL, {"kind": "match"})
    assert filtered.context["totals"]["count"] == 3
    assert filtered.context["totals"]["claimed"] == "£850.00"
    assert "Claims matching the filters 3" in text(filtered)


def test_columns_sort_both_ways(lead_client, mixed_claims):
    by_amount = listed(lead_client.get(CLAIMS_URL, {"sort": "amount"}))
    amounts = [Claim.objects.get(pk=pk).claimed_pence for pk in by_amount]
    assert amounts == sorted(amounts)
    by_reference = listed(lead_client.get(CLAIMS_URL, {"sort": "-reference"}))
    assert by_reference == sorted(by_reference, reverse=True)
    by_school = listed(lead_client.get(CLAIMS_URL, {"sort": "school"}))
    names = [Claim.objects.get(pk=pk).school.name for pk in by_school]
    assert names == sorted(names)
    page = lead_client.get(CLAIMS_URL, {"sort": "amount"})
    assert 'aria-sort="ascending"' in html(page)
    assert "sort=-amount" in html(page)


def _queries(client, url, params=None) -> int:
    # A first request makes one-off rows (the academic year): not counted.
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def _grow(hub, lead, count):
    school, head = dwg(hub)
    for index in range(count):
        claim = submitted(school, head, spend_pence=1_000 + index)
        if index % 2:
            services.claim_approve(actor=lead, claim=claim)


@pytest.mark.parametrize("params", [{}, {"kind": "match", "school": "Oak", "sort": "-amount"}])
def test_claims_list_query_count_is_the_same_for_3_and_12_claims(
    lead_client, hub, claim_window, lead, django_assert_num_queries, params
):
    _grow(hub, lead, 3)
    small = _queries(lead_client, CLAIMS_URL, params)
    _grow(hub, lead, 9)
    with django_assert_num_queries(small):
        response = lead_client.get(CLAIMS_URL, params)
    assert len(listed(response)) == 12


def test_batch_list_query_count_is_the_same_for_3_and_12_rows(
    lead_client, hub, claim_window, lead, django_assert_num_queries
):
    def grow(count):
        school, head = dwg(hub)
        for _ in range(count):
            claim = approved(school, head, lead, spend_pence=2_000)
            services.batch_create(actor=lead, hub=hub, year=year(2026), claims=[claim])
            approved(school, head, lead, spend_pence=2_000)  # left waiting for a batch

    grow(3)
    small = _queries(lead_client, BATCHES_URL)
    grow(9)
    with django_assert_num_queries(small):
        response = lead_client.get(BATCHES_URL)
    assert len(response.context["batches"]) == 12
    assert len(response.context["waiting"]) == 12


# ---------------------------------------------------------------------------
# The review


def test_review_shows_the_answers_award_budget_evidence_and_history(
    lead_client, dwg_school, head, lead
):
    services.budget_set(actor=lead, hub=dwg_school.hub, year=year(2026), allocation_pence=500_000)
    services.claim_approve(
        actor=lead, claim=submitted(dwg_school, head, spend_pence=200_000)
    )  # £1,000 of the school's £2,000 awarded
    claim = submitted(dwg_school, head, spend_pence=300_000, account_number="87654321")
    response = lead_client.get(review_url(claim))
    assert response.status_code == 200
    page = text(response)
    # Half of £3,000 is £1,500, but only £1,000 of the £2,000 is left.
    assert "Spent on textbooks £3,000.00" in page
    assert "Half of the spend £1,500.00" in page
    assert "Left of the school's £2,000 £1,000.00" in page
    assert "Proposed award £1,000.00" in page
    assert "Allocation £5,000.00" in page
    assert "Committed (approved or in a batch) £1,000.00" in page
    assert "Remaining £4,000.00" in page
    assert "Remaining after approving this claim £3,000.00" in page
    assert "Mastery Books Ltd" in page and f"INV-{claim.pk:05d}" in page
    assert "Ending in 4321" in page and "87654321" not in html(response)
    assert "30-94-30" in page
    evidence = claim.evidence.get()
    assert reverse("funding:evidence", args=[evidence.pk]) in html(response)
    assert 'target="_blank"' in html(response)
    assert "invoice.pdf (opens in new tab)" in page and "PDF" in page
    history = [record.history_change_reason for record in response.context["history"]]
    assert history[0] == "Submitted" and history[-1] == "Started the claim"
    assert "Added evidence" not in history  # evidence changes are the evidence's own
    assert str(head) in text(response)


def test_an_image_of_the_invoice_is_also_shown_as_a_thumbnail(lead_client, dwg_school, head):
    claim = ready_claim(dwg_school, head)
    png = SimpleUploadedFile("receipt.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    image = services.evidence_add(actor=head, claim=claim, upload=png)
    services.claim_submit(actor=head, claim=claim)
    page = html(lead_client.get(review_url(claim)))
    src = reverse("funding:evidence", args=[image.pk])
    assert f'<img src="{src}" alt="Preview of receipt.png"' in page
    assert page.count("<img ") == 1  # the PDF is a link only


def test_a_grant_claim_shows_the_fixed_grant(lead_client, dwg_school, head):
    claim = submitted(dwg_school, head, kind="grant")
    page = text(lead_client.get(review_url(claim)))
    assert "Development grant £1,000.00, once per school" in page
    assert "Proposed award £1,000.00" in page
    assert "Allocation Not set" in page


# ---------------------------------------------------------------------------
# The decisions


def approve(client, claim, **data):
    payload = {"decision": "approve"}
    payload.update({f"approve-{name}": value for name, value in data.items()})
    return client.post(review_url(claim), payload)


def test_approving_the_proposed_award(lead_client, dwg_school, head, lead):
    claim = submitted(dwg_school, head, spend_pence=300_000)
    response = approve(lead_client, claim, amount="")
    assert response.status_code == 302 and response["Location"] == review_url(claim)
    claim.refresh_from_db()
    assert claim.state == S.APPROVED and claim.award_pence == 150_000
    assert claim.decided_by == lead
    page = lead_client.get(review_url(claim))
    assert banner(page) == f"Approved £1,500.00 for {dwg_school.name}"
    assert 'name="decision"' not in html(page)
    assert "Approved £1,500.00" in text(page)


def test_approving_less_with_a_reason(lead_client, dwg_school, head):
    claim = submitted(dwg_school, head, spend_pence=300_000)
    response = approve(lead_client, claim, amount="£1,250.50", reason="Two books were extras")
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.award_pence == 125_050
    assert claim.decision_reason == "Two books were extras"


def test_approving_less_without_a_reason_is_an_error_beside_the_reason(
    lead_client, dwg_school, head
):
    claim = submitted(dwg_school, head, spend_pence=300_000)
    response = approve(lead_client, claim, amount="1000")
    assert response.status_code == 200
    assert error_beside(response, "id_approve-reason") == (
        "Error: Enter why the award is less than the proposed £1,500.00"
    )
    assert 'value="1000"' in html(response)  # what was typed is kept
    assert "There is a problem" in text(response)
    claim.refresh_from_db()
    assert claim.state == S.SUBMITTED


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1500.01", "The award cannot be more than the proposed £1,500.00"),
        ("lots", "Enter an amount in pounds and pence, like 1250.00"),
        ("0", "Enter an award more than £0.00"),
        ("-5", "Enter an amount greater than zero"),
    ],
)
def test_an_award_above_the_proposed_or_not_money_is_refused(
    lead_client, dwg_school, head, typed, message
):
    claim = submitted(dwg_school, head, spend_pence=300_000)
    response = approve(lead_client, claim, amount=typed, reason="Because")
    assert error_beside(response, "id_approve-amount") == f"Error: {message}"
    claim.refresh_from_db()
    assert claim.state == S.SUBMITTED


def test_returning_for_changes_with_the_fields_to_change(lead_client, dwg_school, head):
    claim = submitted(dwg_school, head)
    response = lead_client.post(
        review_url(claim),
        {
            "decision": "return",
            "return-reason": "The invoice is for another school",
            "return-to_change": ["invoice_number", "evidence"],
        },
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == S.RETURNED
    assert claim.return_reason == "The invoice is for another school"
    assert claim.return_fields == ["invoice_number", "evidence"]
    page = text(lead_client.get(review_url(claim)))
    assert "What to change The invoice is for another school Invoice number" in page


def test_returning_needs_a_reason_and_known_fields(lead_client, dwg_school, head):
    claim = submitted(dwg_school, head)
    response = lead_client.post(
        review_url(claim),
        {"decision": "return", "return-reason": " ", "return-to_change": ["supplier", "urn"]},
    )
    assert error_beside(response, "id_return-reason") == (
        "Error: Enter what the school needs to change"
    )
    assert error_beside(response, "id_return-to_change") == "Error: Select answers from the list"
    claim.refresh_from_db()
    assert claim.state == S.SUBMITTED


def test_a_grant_claim_offers_only_its_own_fields_to_change(lead_client, dwg_school, head):
    claim = submitted(dwg_school, head, kind="grant")
    form = lead_client.get(review_url(claim)).context["forms"]["return"]
    names = [value for value, _ in form.fields["to_change"].choices]
    assert names == list(services.EDITABLE_FIELDS["grant"])


def test_rejecting_with_a_reason(lead_client, dwg_school, head):
    claim = submitted(dwg_school, head)
    missing = lead_client.post(review_url(claim), {"decision": "reject", "reject-reason": ""})
    assert error_beside(missing, "id_reject-reason") == "Error: Enter why the claim is rejected"
    response = lead_client.post(
        review_url(claim), {"decision": "reject", "reject-reason": "Not an approved scheme"}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == S.REJECTED and claim.decision_reason == "Not an approved scheme"
    history = text(lead_client.get(review_url(claim)))
    assert "Rejected: Not an approved scheme" in history


def test_an_approval_over_the_budget_asks_for_confirmation(lead_client, dwg_school, head, lead):
    hub = dwg_school.hub
    services.budget_set(actor=lead, hub=hub, year=year(2026), allocation_pence=120_000)
    services.claim_approve(actor=lead, claim=submitted(dwg_school, head, kind="grant"))
    claim = submitted(dwg_school, head, spend_pence=100_000)

    page = text(lead_client.get(review_url(claim)))
    assert "Remaining after approving this claim -£300.00 Over budget" in page
    assert "approve even though" not in page.lower()

    refused = approve(lead_client, claim)
    assert refused.status_code == 200
    assert "Warning Approving this claim takes" in text(refused)
    assert error_beside(refused, "id_approve-allow_over_budget").startswith(
        "Error: Approving £500.00 would pass the hub's 2026/27 budget: £200.00 remains"
    )
    assert "Approve even though it takes the hub over its budget" in text(refused)
    claim.refresh_from_db()
    assert claim.state == S.SUBMITTED

    confirmed = approve(lead_client, claim, allow_over_budget="on")
    assert confirmed.status_code == 302
    claim.refresh_from_db()
    assert claim.state == S.APPROVED and claim.award_pence == 50_000
    assert services.budget_position(hub, year(2026))["remaining"] == -30_000


def test_a_decision_on_a_claim_already_decided_is_refused_with_a_message(
    lead_client, dwg_school, head, lead
):
    claim = approved(dwg_school, head, lead, kind="grant")
    response = lead_client.post(
        review_url(claim), {"decision": "reject", "reject-reason": "Changed my mind"}, follow=True
    )
    assert response.status_code == 200
    assert banner(response) == "No decision was made: this claim is approved"
    claim.refresh_from_db()
    assert claim.state == S.APPROVED


def test_a_claim_decided_meanwhile_is_a_message_not_an_error(
    lead_client, dwg_school, head, lead, monkeypatch
):
    claim = submitted(dwg_school, head)
    other_lead = HubLeadFactory(hub=dwg_school.hub).user
    real_approve = services.claim_approve

    def someone_else_first(**kwargs):
        services.claim_reject(actor=other_lead, claim=claim, reason="Duplicate")
        return real_approve(**kwargs)

    monkeypatch.setattr(services, "claim_approve", someone_else_first)
    response = approve(lead_client, claim)
    assert response.status_code == 302
    follow = lead_client.get(review_url(claim))
    assert banner(follow) == "No decision was made. This claim is rejected."
    claim.refresh_from_db()
    assert claim.state == S.REJECTED


def test_a_school_with_its_2000_used_up_cannot_be_awarded_more(lead_client, dwg_school, head, lead):
    first, second, third = (submitted(dwg_school, head, spend_pence=300_000) for _ in range(3))
    services.claim_approve(actor=lead, claim=first)  # £1,500
    services.claim_approve(actor=lead, claim=second)  # the last £500
    page = text(lead_client.get(review_url(third)))
    assert "Left of the school's £2,000 £0.00" in page
    response = approve(lead_client, third)
    assert response.status_code == 302
    follow = lead_client.get(review_url(third))
    assert "already been awarded the full £2,000" in banner(follow)
    third.refresh_from_db()
    assert third.state == S.SUBMITTED


def test_an_unknown_decision_is_a_message(lead_client, dwg_school, head):
    claim = submitted(dwg_school, head)
    response = lead_client.post(review_url(claim), {"decision": "pay"}, follow=True)
    assert banner(response) == "Choose to approve, return or reject the claim"


# ---------------------------------------------------------------------------
# Payment batches


def test_creating_a_batch_of_the_ticked_approved_claims(
    lead_client, hub, claim_window, dwg_school, head, lead
):
    grant = approved(dwg_school, head, lead, kind="grant")
    match = approved(dwg_school, head, lead, spend_pence=100_001)
    left = approved(dwg_school, head, lead, spend_pence=10_000)
    listing = lead_client.get(BATCHES_URL)
    assert [c.pk for c in listing.context["waiting"]] == [grant.pk, match.pk, left.pk]

    response = lead_client.post(BATCHES_URL, {"claim": [grant.pk, match.pk]})
    batch = PaymentBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch_url(batch)
    assert batch.reference == "ABN-PAY-2627-001"
    assert set(batch.claims.values_list("pk", flat=True)) == {grant.pk, match.pk}
    page = lead_client.get(batch_url(batch))
    assert banner(page) == "Created ABN-PAY-2627-001: 2 claims, £1,500.00"
    assert "Total £1,500.00" in text(page)
    after = lead_client.get(BATCHES_URL)
    assert [c.pk for c in after.context["waiting"]] == [left.pk]
    row = after.context["batches"][0]
    assert (row.claim_count, row.total) == (2, 150_000)


def test_a_batch_is_refused_for_nothing_or_a_claim_not_approved(
    lead_client, dwg_school, head, lead
):
    ready = approved(dwg_school, head, lead, kind="grant")
    waiting = submitted(dwg_school, head)
    nothing = lead_client.post(BATCHES_URL, {})
    assert "Select at least one approved claim" in text(nothing)
    mixed = lead_client.post(BATCHES_URL, {"claim": [ready.pk, waiting.pk]})
    assert f"Not approved, or already in a batch: {waiting.reference}" in text(mixed)
    assert "No batch was made" in text(mixed)
    # What was ticked stays ticked, with its total.
    assert f'value="{ready.pk}" checked' in html(mixed)
    assert "You selected 1 claim totalling £1,000.00" in text(mixed)
    assert not PaymentBatch.objects.exists()


def test_marking_a_batch_paid(lead_client, dwg_school, head, lead):
    claim = approved(dwg_school, head, lead, kind="grant")
    batch = services.batch_create(actor=lead, hub=dwg_school.hub, year=year(2026), claims=[claim])
    unconfirmed = lead_client.post(batch_url(batch), {})
    assert error_beside(unconfirmed, "id_confirm") == (
        "Error: Confirm that the finance team has paid the batch"
    )
    batch.refresh_from_db()
    assert not batch.is_paid

    response = lead_client.post(batch_url(batch), {"confirm": "on"}, follow=True)
    assert banner(response) == "Marked ABN-PAY-2627-001 as paid"
    batch.refresh_from_db()
    claim.refresh_from_db()
    assert batch.paid_by == lead and claim.state == S.PAID
    assert f"{str(lead)}" in text(response) and "Mark as paid" not in html(response)

    again = lead_client.post(batch_url(batch), {"confirm": "on"}, follow=True)
    assert banner(again) == "ABN-PAY-2627-001 was marked paid already"


def test_batch_page_shows_the_bank_details_in_full(lead_client, dwg_school, head, lead):
    claim = approved(dwg_school, head, lead, kind="grant", account_number="00012345")
    batch = services.batch_create(actor=lead, hub=dwg_school.hub, year=year(2026), claims=[claim])
    page = text(lead_client.get(batch_url(batch)))
    assert f"{dwg_school.name} {dwg_school.urn} {claim.reference}" in page
    assert "30-94-30 00012345 £1,000.00" in page
    assert "Download CSV" in page and "Download XLSX" in page


# ---------------------------------------------------------------------------
# The budget and the claim window


def test_setting_the_allocation(lead_client, hub, lead):
    response = lead_client.post(
        f"{BUDGET_URL}?year=2026-27", {"form": "budget", "budget-allocation": "£45,000.50"}
    )
    assert response.status_code == 302
    assert Budget.objects.get(hub=hub, year=year(2026)).allocation_pence == 4_500_050
    page = lead_client.get(response["Location"])
    assert banner(page) == "Saved the 2026/27 allocation: £45,000.50"
    assert "Remaining £45,000.50" in text(page)
    assert 'value="45,000.50"' in html(page)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("lots", "Enter the allocation in pounds and pence, like 45000.00"),
        ("", "Enter the allocation in pounds, like 45000.00"),
        ("-100", "Enter an allocation of £0.00 or more"),
        ("12.345", "Enter the allocation in pounds and pence, like 45000.00"),
        ("99999999999", "Enter an allocation of £10,000,000.00 or less"),
    ],
)
def test_a_nonsense_allocation_is_an_error_beside_the_field(lead_client, hub, typed, message):
    services.budget_set(
        actor=HubLeadFactory(hub=hub).user, hub=hub, year=year(2026), allocation_pence=100
    )
    response = lead_client.post(BUDGET_URL, {"form": "budget", "budget-allocation": typed})
    assert response.status_code == 200
    assert error_beside(response, "id_budget-allocation") == f"Error: {message}"
    assert Budget.objects.get().allocation_pence == 100


def test_a_post_of_neither_form_is_a_bad_request(lead_client, hub):
    assert lead_client.post(BUDGET_URL, {"form": "other"}).status_code == 400
    assert not Budget.objects.exists()


def test_next_years_budget_can_be_set_ahead(lead_client, hub):
    page = lead_client.get(BUDGET_URL)
    assert "2027/28" in html(page)
    lead_client.post(f"{BUDGET_URL}?year=2027-28", {"form": "budget", "budget-allocation": "30000"})
    assert Budget.objects.get(year__start_year=2027).allocation_pence == 3_000_000


def window_data(opens: date, closes: date) -> dict:
    return {
        "form": "window",
        "window-opens_day": opens.day,
        "window-opens_month": opens.month,
        "window-opens_year": opens.year,
        "window-closes_day": closes.day,
        "window-closes_month": closes.month,
        "window-closes_year": closes.year,
    }


def test_setting_the_claim_window(lead_client, hub, claim_window):
    response = lead_client.post(BUDGET_URL, window_data(date(2026, 10, 1), date(2027, 7, 15)))
    assert response.status_code == 302
    claim_window.refresh_from_db()
    assert (claim_window.opens, claim_window.closes) == (date(2026, 10, 1), date(2027, 7, 15))
    page = lead_client.get(response["Location"])
    assert banner(page) == (
        "Saved the 2026/27 claim window: open 1 October 2026, deadline 15 July 2027"
    )


def test_a_deadline_before_the_opening_date_is_an_error_beside_the_deadline(lead_client, hub):
    response = lead_client.post(BUDGET_URL, window_data(date(2026, 10, 1), date(2026, 9, 1)))
    assert response.status_code == 200
    assert error_beside(response, "id_window-closes") == (
        "Error: The deadline must be on or after the opening date"
    )
    assert not ClaimWindow.objects.exists()
    bad = window_data(date(2026, 10, 1), date(2027, 1, 1))
    bad["window-opens_day"] = "31"
    bad["window-opens_month"] = "2"
    response = lead_client.post(BUDGET_URL, bad)
    assert error_beside(response, "id_window-opens") == "Error: Opening date must be a real date"
    assert 'value="31"' in html(response)


def test_national_admins_see_each_hubs_position_as_the_service_counts_it(
    client, national_admin, dwg_school, head, lead, other_hub
):
    services.budget_set(actor=lead, hub=dwg_school.hub, year=year(2026), allocation_pence=300_000)
    approved(dwg_school, head, lead, kind="grant")
    paid = approved(dwg_school, head, lead, spend_pence=60_000)
    batch = services.batch_create(actor=lead, hub=dwg_school.hub, year=year(2026), claims=[paid])
    services.batch_mark_paid(actor=lead, batch=batch)
    client.force_login(national_admin)

    positions = {row.hub: row for row in hub_positions(national_admin, year(2026))}
    for hub in (dwg_school.hub, other_hub):
        expected = services.budget_position(hub, year(2026))
        row = positions[hub]
        assert (row.allocation, row.committed, row.paid, row.remaining) == (
            expected["allocation"],
            expected["committed"],
            expected["paid"],
            expected["remaining"],
        )
    page = text(client.get(BUDGET_URL))
    assert "Abacus North West Maths Hub £3,000.00 £1,000.00 £300.00 £1,700.00" in page
    one = text(client.get(BUDGET_URL, {"hub": dwg_school.hub.code}))
    assert "Committed (approved or in a batch, not yet paid) £1,000.00" in one
    assert "Claim window Open 1 September 2026, deadline 30 June 2027" in one
