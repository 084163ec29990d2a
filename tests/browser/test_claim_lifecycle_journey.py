"""One match-funding claim through its whole life, in headless Chromium, by the two
people who handle it: the hub lead returns it (the invoice date and the file are
wrong); the headteacher sees why beside each answer, corrects them and resubmits;
the hub lead approves it, puts it in a payment batch, downloads the batch as XLSX
for the finance team and marks it paid; the headteacher sees it paid. axe (WCAG 2.2
AA) runs on every page visited."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from funding import services
from funding.models import Claim, ClaimState, Evidence, Payment
from tests.factories import (
    DEMO_PASSWORD,
    PDF_BYTES,
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

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def heading(page):
    return page.get_by_role("heading", level=1)


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def test_claim_returned_resubmitted_approved_batched_exported_and_paid(
    page, live_server, sign_in, axe
):
    stage("dwg")
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
    school = SchoolFactory(hub=hub, urn=105301, name="Damson Primary School", la_code="352")
    AcceptedApplicationFactory(school=school, year=this_year)
    head = HeadteacherFactory(
        school=school, user=UserFactory(email="head@damson.example", full_name="Dee Head")
    ).user
    wrong_day = today - timedelta(days=40)
    claim = ready_claim(school, head, spend_pence=240_000, invoice_date=wrong_day)
    claim = services.claim_submit(actor=head, claim=claim)

    # The hub lead returns it: the file is a quotation and its date is the quotation's.
    sign_in(lead.email, DEMO_PASSWORD, axe_check=axe)
    page.get_by_role("link", name="Funding").first.click()
    expect(heading(page)).to_contain_text("Funding claims")
    axe(page)
    page.get_by_role("link", name=claim.reference).first.click()
    expect(heading(page)).to_have_text(f"Claim {claim.reference}: Damson Primary School")
    axe(page)
    page.get_by_role("button", name="Return for changes").click()
    expect(page.locator("#id_return-reason-error")).to_contain_text(
        "Enter what the school needs to change"
    )
    axe(page)
    reason = "The file is the supplier's quotation. Upload the invoice and give its date."
    page.get_by_label("What the school needs to change").fill(reason)
    page.get_by_label("Invoice date").check()
    page.get_by_label("Proof of purchase (evidence files)").check()
    page.get_by_role("button", name="Return for changes").click()
    expect(page.locator("#claim-state")).to_contain_text("Returned")
    axe(page)
    sign_out(page)

    # The headteacher sees the reason beside the two answers and corrects them.
    sign_in(head.email, DEMO_PASSWORD, axe_check=axe)
    page.get_by_role("link", name="Funding").first.click()
    expect(heading(page)).to_have_text("Your school's funding")
    axe(page)
    page.get_by_role("link", name=claim.reference).first.click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(reason)
    expect(page.locator("#task-purchase-status")).to_contain_text("Changes needed")
    expect(page.locator("#task-evidence-status")).to_contain_text("Changes needed")
    axe(page)
    page.get_by_role("link", name="Tell us what the school bought").click()
    expect(page.locator("#id_invoice_date-returned")).to_contain_text(reason)
    axe(page)
    invoice_day = today - timedelta(days=12)
    page.get_by_label("Day").fill(str(invoice_day.day))
    page.get_by_label("Month").fill(str(invoice_day.month))
    page.get_by_label("Year").fill(str(invoice_day.year))
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#task-purchase-status")).to_have_text("Completed")
    axe(page)
    page.get_by_role("link", name="Upload proof of purchase").click()
    expect(page.locator("#id_file-returned")).to_contain_text(reason)
    axe(page)
    invoice = PDF_BYTES.replace(b"%%EOF", b"% invoice DAM-1187\n%%EOF")
    page.locator("#id_file").set_input_files(
        files=[{"name": "invoice-DAM-1187.pdf", "mimeType": "application/pdf", "buffer": invoice}]
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Uploaded invoice-DAM-1187.pdf"
    )
    page.get_by_role("button", name="Remove invoice.pdf").click()
    expect(page.get_by_role("link", name="invoice.pdf (opens in new tab)")).to_have_count(0)
    axe(page)
    page.get_by_role("link", name="Continue").click()
    page.get_by_role("link", name="Check your answers and submit").click()
    expect(page.locator("#expected-award")).to_contain_text("£1,200.00")
    axe(page)
    page.get_by_label("I confirm the information is correct").check()
    page.get_by_role("button", name="Submit claim").click()
    expect(heading(page)).to_have_text("Claim submitted")
    axe(page)
    sign_out(page)
    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED and claim.invoice_date == invoice_day
    assert list(Evidence.objects.filter(claim=claim).values_list("original_name", flat=True)) == [
        "invoice-DAM-1187.pdf"
    ]

    # The hub lead approves it in full, batches it, exports the batch and marks it paid.
    sign_in(lead.email, DEMO_PASSWORD, axe_check=axe)
    page.goto(f"{live_server.url}/hub/claims/{claim.pk}/")
    expect(page.locator("#history")).to_contain_text("Resubmitted")
    axe(page)
    page.get_by_role("button", name=f"Approve claim {claim.reference}").click()
    expect(page.locator("#claim-state")).to_contain_text("Approved")
    axe(page)
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name=f"Funding claims {this_year.label}"
    ).click()
    page.get_by_role("link", name="payment batches").click()
    axe(page)
    page.get_by_label(f"Select {claim.reference}, Damson Primary School").check()
    page.get_by_role("button", name="Create payment batch").click()
    expect(page.locator("#batch-total")).to_have_text("£1,200.00")
    axe(page)
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download XLSX").click()
    # openpyxl goes by the file's extension; the download is kept without one.
    sheet = load_workbook(io.BytesIO(downloading.value.path().read_bytes())).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["Claim reference"] == claim.reference
    assert row["Account number"] == "12345678"
    assert Decimal(str(row["Amount (£)"])) == Decimal("1200.00")
    page.get_by_label("The lead school's finance team has paid every claim in this batch").check()
    page.get_by_role("button", name="Mark as paid").click()
    expect(page.locator("#batch-paid")).to_contain_text("by Lee Lead")
    axe(page)
    sign_out(page)

    # The headteacher sees it paid.
    sign_in(head.email, DEMO_PASSWORD, axe_check=axe)
    page.get_by_role("link", name="Funding").first.click()
    expect(page.locator(f"#claim-{claim.pk}")).to_contain_text("Paid")
    axe(page)
    assert Payment.objects.get(claim=claim).amount_pence == 120_000
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.PAID
