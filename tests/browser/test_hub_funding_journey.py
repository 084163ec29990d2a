"""A hub lead decides and pays funding claims in headless Chromium: filters the claims,
opens a match-funding claim and its invoice, approves it for less (first forgetting
the reason), puts it in a payment batch with an approved grant, downloads the batch
as CSV, marks it paid, and sets the year's budget (first with a nonsense amount).
axe (WCAG 2.2 AA) runs on every page visited."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from funding import services
from funding.models import Budget, Claim, ClaimState, PaymentBatch
from tests.factories import (
    DEMO_PASSWORD,
    AcceptedApplicationFactory,
    ClaimWindowFactory,
    HeadteacherFactory,
    HubAreaFactory,
    HubFactory,
    HubLeadFactory,
    SchoolFactory,
    UserFactory,
    ready_claim,
    stage,
)
from workgroups.models import AcademicYear

# Transactional: the live server's thread must see the rows. The programme stages an
# earlier test may have emptied are seeded again by factories.stage().
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def heading(page):
    return page.get_by_role("heading", level=1)


def rows(page, table: str):
    return page.locator(f"#{table} tbody tr")


def banner(page):
    return page.locator(".govuk-notification-banner")


def test_hub_lead_approves_for_less_batches_pays_and_sets_the_budget(
    page, live_server, sign_in, axe
):
    stage("dwg")  # seeds the stages again if an earlier test emptied them
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    this_year = AcademicYear.objects.current()
    today = timezone.localdate()
    ClaimWindowFactory(
        hub=hub, year=this_year, opens=today - timedelta(days=30), closes=today + timedelta(days=60)
    )
    lead = HubLeadFactory(
        hub=hub, user=UserFactory(email="lead@abacus.example", full_name="Lee Lead")
    ).user
    claims = {}
    for urn, name, kind in (
        (105201, "Ash Grove Primary School", "match"),
        (105202, "Beech Hill Primary School", "grant"),
        (105203, "Cherry Tree Primary School", "grant"),
    ):
        school = SchoolFactory(hub=hub, urn=urn, name=name, la_code="352")
        AcceptedApplicationFactory(school=school, year=this_year)
        head = HeadteacherFactory(school=school).user
        # A match claim carries a PDF invoice (ready_claim uploads one): £3,000 spent.
        draft = ready_claim(school, head, kind=kind, spend_pence=300_000)
        claims[name] = services.claim_submit(actor=head, claim=draft)
    services.claim_approve(actor=lead, claim=claims["Beech Hill Primary School"])
    match = claims["Ash Grove Primary School"]
    label = this_year.label

    # The hub lead signs in and opens the claims (the navigation link comes later).
    sign_in(lead.email, DEMO_PASSWORD, axe_check=axe)
    page.goto(f"{live_server.url}/hub/claims/")
    expect(heading(page)).to_have_text(f"Funding claims {label}")
    expect(rows(page, "claims")).to_have_count(3)
    expect(page.locator("#totals")).to_contain_text("£3,500.00")
    axe(page)

    # Filter: submitted match funding claims only.
    page.get_by_label("Kind of claim").select_option(label="Textbook match funding")
    page.get_by_label("State").select_option(label="Submitted")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows(page, "claims")).to_have_count(1)
    expect(rows(page, "claims").first).to_contain_text("Ash Grove Primary School")
    expect(page.locator("#results-count")).to_have_text("1 claim matches the filters")
    axe(page)

    # Open the claim: the award is half the spend, within the school's £2,000.
    page.get_by_role("link", name=re.compile(rf"^{match.reference}")).click()
    expect(heading(page)).to_have_text(f"Claim {match.reference}: Ash Grove Primary School")
    award = page.locator("#award")
    expect(award).to_contain_text("Half of the spend")
    expect(award).to_contain_text("£1,500.00")
    expect(award).to_contain_text("£2,000.00")
    expect(page.locator("#payee")).to_contain_text("5678")
    expect(page.locator("#payee")).not_to_contain_text("12345678")
    axe(page)

    # The invoice opens in a new tab, served inline as the PDF it is.
    evidence = page.get_by_role("link", name="invoice.pdf (opens in new tab)")
    expect(evidence).to_have_attribute("target", "_blank")
    with page.context.expect_page() as opened:
        evidence.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert re.search(r"/funding/evidence/\d+/$", tab.url), tab.url
    served = page.request.get(tab.url)
    assert served.status == 200
    assert served.headers["content-type"] == "application/pdf"
    assert served.body().startswith(b"%PDF-")
    tab.close()

    # Approve for less: first without the reason.
    page.get_by_label("Award, if less than proposed (optional)").fill("1200")
    page.get_by_role("button", name=f"Approve claim {match.reference}").click()
    summary = page.locator(".govuk-error-summary")
    message = "Enter why the award is less than the proposed £1,500.00"
    expect(summary).to_contain_text(message)
    expect(page.locator("#id_approve-reason-error")).to_contain_text(message)
    expect(page.get_by_label("Award, if less than proposed (optional)")).to_have_value("1200")
    axe(page)
    summary.get_by_role("link", name=message).click()
    expect(page.get_by_label("Reason for awarding less")).to_be_focused()
    page.get_by_label("Reason for awarding less").fill("The teacher guides were not on the list")
    page.get_by_role("button", name=f"Approve claim {match.reference}").click()
    expect(banner(page)).to_contain_text("Approved £1,200.00 for Ash Grove Primary School")
    expect(page.locator("#decision")).to_contain_text("£1,200.00 of £1,500.00 claimed")
    expect(page.locator("#history")).to_contain_text("Approved £1,200.00")
    expect(page.locator("#history")).to_contain_text("Lee Lead")
    axe(page)

    # Payments: both approved claims go in one batch.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name=f"Funding claims {label}"
    ).click()
    page.get_by_role("link", name="payment batches").click()
    expect(heading(page)).to_have_text(f"Payments {label}")
    expect(rows(page, "to-batch")).to_have_count(2)
    axe(page)
    beech = claims["Beech Hill Primary School"]
    page.get_by_label(f"Select {match.reference}, Ash Grove Primary School").check()
    page.get_by_label(f"Select {beech.reference}, Beech Hill Primary School").check()
    page.get_by_role("button", name="Create payment batch").click()
    reference = (
        f"ABN-PAY-{this_year.start_year % 100:02d}{(this_year.start_year + 1) % 100:02d}-001"
    )
    expect(heading(page)).to_have_text(f"Payment batch {reference}")
    expect(banner(page)).to_contain_text(f"Created {reference}: 2 claims, £2,200.00")
    expect(rows(page, "batch-claims")).to_have_count(2)
    expect(page.locator("#batch-total")).to_have_text("£2,200.00")
    axe(page)

    # The finance team's CSV.
    with page.expect_download() as downloading:
        page.get_by_role("link", name=f"Download CSV of {reference}").click()
    download = downloading.value
    assert download.suggested_filename == f"{reference}.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        header, *lines = list(csv.reader(io.StringIO(handle.read())))
    assert header[0] == "Batch" and header[-1] == "Amount (£)"
    assert sorted((line[2], line[-1]) for line in lines) == [
        ("Ash Grove Primary School", "1200.00"),
        ("Beech Hill Primary School", "1000.00"),
    ]
    assert {line[7] for line in lines} == {"12345678"}

    # Mark the batch paid: the confirmation first forgotten.
    page.get_by_role("button", name="Mark as paid").click()
    expect(page.locator("#id_confirm-error")).to_contain_text(
        "Confirm that the finance team has paid the batch"
    )
    axe(page)
    page.get_by_label("The lead school's finance team has paid every claim in this batch").check()
    page.get_by_role("button", name="Mark as paid").click()
    expect(banner(page)).to_contain_text(f"Marked {reference} as paid")
    expect(page.locator("#batch-paid")).to_contain_text("by Lee Lead")
    expect(page.get_by_role("button", name="Mark as paid")).to_have_count(0)
    axe(page)
    assert set(
        Claim.objects.filter(batch__reference=reference).values_list("state", flat=True)
    ) == {ClaimState.PAID}
    assert PaymentBatch.objects.get(reference=reference).paid_by == lead

    # The budget: a nonsense amount first.
    page.goto(f"{live_server.url}/hub/funding/")
    expect(heading(page)).to_have_text(f"Budget and claim window {label}")
    expect(page.locator("#position")).to_contain_text("£2,200.00")
    axe(page)
    allocation = page.get_by_label(f"Allocation for {label}")
    allocation.fill("forty thousand")
    page.get_by_role("button", name="Save allocation").click()
    expect(page.locator("#id_budget-allocation-error")).to_contain_text(
        "Enter the allocation in pounds and pence, like 45000.00"
    )
    expect(allocation).to_have_value("forty thousand")
    axe(page)
    allocation.fill("£40,000")
    page.get_by_role("button", name="Save allocation").click()
    expect(banner(page)).to_contain_text(f"Saved the {label} allocation: £40,000.00")
    expect(page.locator("#position")).to_contain_text("£37,800.00")
    axe(page)
    assert Budget.objects.get(hub=hub, year=this_year).allocation_pence == 4_000_000
