"""A headteacher claims the school's funding in headless Chromium: the £1,000
Development grant (conditions, bank details with a mistyped sort code first, check
and submit), then textbook match funding (what was bought, a file of the wrong type
refused, the invoice uploaded, check and submit). axe (WCAG 2.2 AA) runs on every
page visited."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from funding.models import Claim, ClaimState, Evidence
from tests.factories import (
    DEMO_PASSWORD,
    PDF_BYTES,
    AcceptedApplicationFactory,
    ClaimWindowFactory,
    HeadteacherFactory,
    HubAreaFactory,
    HubFactory,
    SchoolFactory,
    UserFactory,
)
from workgroups.models import AcademicYear

# Transactional: the live server's thread must see the rows. The programme stages an
# earlier test may have emptied are seeded again by factories.stage().
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def heading(page):
    return page.get_by_role("heading", level=1)


def save(page):
    page.get_by_role("button", name="Save and continue").click()


def fill_bank_details(page, sort_code: str):
    page.get_by_label("Name on the account").fill("Birchfield Primary School")
    page.get_by_label("Sort code").fill(sort_code)
    page.get_by_label("Account number").fill("12345678")
    page.get_by_label("Finance contact's email address").fill("finance@birchfield.example")


def test_headteacher_claims_the_grant_and_match_funding(page, live_server, sign_in, axe):
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    school = SchoolFactory(hub=hub, urn=105101, name="Birchfield Primary School", la_code="352")
    this_year = AcademicYear.objects.current()
    today = timezone.localdate()
    AcceptedApplicationFactory(school=school, year=this_year)
    ClaimWindowFactory(
        hub=hub, year=this_year, opens=today - timedelta(days=7), closes=today + timedelta(days=30)
    )
    head = HeadteacherFactory(
        school=school, user=UserFactory(email="head@birchfield.example", full_name="Pat Head")
    ).user

    # Sign in and open the school's funding (by its address: the menu link comes later).
    sign_in(head.email, DEMO_PASSWORD, axe_check=axe)
    expect(heading(page)).to_have_text("Birchfield Primary School")
    axe(page)
    page.goto(f"{live_server.url}/funding/")
    expect(heading(page)).to_have_text("Your school's funding")
    expect(page.locator("#grant-status")).to_contain_text("Available")
    expect(page.locator("#match-remaining")).to_contain_text("£2,000.00 of £2,000.00")
    expect(page.locator("#window-status")).to_contain_text("The deadline for")
    axe(page)

    # The grant: its task list.
    page.get_by_role("button", name="Claim the £1,000 grant").click()
    expect(heading(page)).to_have_text("Claim the Development grant")
    expect(page.locator("#task-conditions-status")).to_have_text("Not started")
    axe(page)

    # Accept the conditions.
    page.get_by_role("link", name="Accept the grant conditions").click()
    expect(heading(page)).to_have_text("Accept the grant conditions")
    expect(page.locator("#grant-conditions")).to_contain_text("supply cover")
    axe(page)
    page.get_by_label("The school accepts the grant's conditions").check()
    save(page)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "accepted the grant conditions"
    )
    expect(page.locator("#task-conditions-status")).to_have_text("Completed")
    axe(page)

    # The bank details, with a sort code one digit short.
    page.get_by_role("link", name="Give the school's bank details").click()
    expect(heading(page)).to_have_text("Give the school's bank details")
    axe(page)
    fill_bank_details(page, sort_code="30-94-3")
    save(page)
    expect(page).to_have_title(re.compile(r"\(error\)"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Sort code must be 6 digits long")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#id_sort_code")
    expect(page.locator("#id_sort_code-error")).to_contain_text("Sort code must be 6 digits long")
    # What was typed is still there.
    expect(page.get_by_label("Sort code")).to_have_value("30-94-3")
    expect(page.get_by_label("Account number")).to_have_value("12345678")
    axe(page)
    summary.get_by_role("link").click()
    expect(page.get_by_label("Sort code")).to_be_focused()
    page.get_by_label("Sort code").fill("30-94-30")
    save(page)
    expect(page.locator("#task-payee-status")).to_have_text("Completed")
    axe(page)

    # Check the answers and submit.
    page.get_by_role("link", name="Check your answers and submit").click()
    expect(heading(page)).to_have_text("Check your answers before submitting your claim")
    expect(page.locator("#answer-sort_code")).to_contain_text("30-94-30")
    expect(page.locator("#expected-award")).to_contain_text("£1,000.00")
    axe(page)
    page.get_by_role("button", name="Submit claim").click()
    expect(page.locator("#id_declaration-error")).to_contain_text(
        "Confirm that the information is correct"
    )
    axe(page)
    page.get_by_label("I confirm the information is correct").check()
    page.get_by_role("button", name="Submit claim").click()
    expect(heading(page)).to_have_text("Claim submitted")
    grant = Claim.objects.get(school=school, kind="grant")
    expect(page.locator("#claim-reference")).to_have_text(grant.reference)
    axe(page)

    # Match funding: back to the school's funding, where the grant now shows as claimed.
    page.get_by_role("link", name="Your school's funding").first.click()
    expect(heading(page)).to_have_text("Your school's funding")
    expect(page.locator("#grant-status")).to_contain_text("Claimed")
    expect(page.locator(f"#claim-{grant.pk}")).to_contain_text("Submitted")
    axe(page)
    page.get_by_role("button", name="Start a match funding claim").click()
    expect(heading(page)).to_have_text("Claim textbook match funding")
    axe(page)

    # What the school bought.
    page.get_by_role("link", name="Tell us what the school bought").click()
    expect(heading(page)).to_have_text("Tell us what the school bought")
    axe(page)
    page.get_by_label("Which approved textbook scheme").select_option(label="Power Maths KS2")
    page.get_by_label("Supplier", exact=True).fill("Mastery Books Ltd")
    page.get_by_label("Supplier's invoice number").fill("INV-0042")
    invoice_day = today - timedelta(days=3)
    page.get_by_label("Day").fill(str(invoice_day.day))
    page.get_by_label("Month").fill(str(invoice_day.month))
    page.get_by_label("Year").fill(str(invoice_day.year))
    page.get_by_label("Amount spent").fill("1,250.00")
    save(page)
    expect(page.locator("#task-purchase-status")).to_have_text("Completed")
    expect(page.locator("#task-evidence-status")).to_have_text("Not started")
    axe(page)

    # Proof of purchase: first a file that is not a PDF, PNG or JPEG.
    page.get_by_role("link", name="Upload proof of purchase").click()
    expect(heading(page)).to_have_text("Upload proof of purchase")
    axe(page)
    page.locator("#id_file").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"Paid by card"}]
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#id_file-error")).to_contain_text(
        "notes.txt is not a PDF, PNG or JPEG file"
    )
    expect(page.locator(".govuk-error-summary")).to_contain_text("notes.txt")
    axe(page)
    page.locator("#id_file").set_input_files(
        files=[{"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Uploaded invoice.pdf"
    )
    link = page.get_by_role("link", name="invoice.pdf (opens in new tab)")
    expect(link).to_have_attribute("target", "_blank")
    axe(page)
    # The file itself opens for the school (in a new tab, as the site refuses frames).
    served = page.request.get(live_server.url + link.get_attribute("href"))
    assert served.status == 200
    assert served.headers["content-type"] == "application/pdf"
    assert served.body() == PDF_BYTES
    page.get_by_role("link", name="Continue").click()
    expect(page.locator("#task-evidence-status")).to_have_text("Completed")

    # The bank details again (each claim carries its own), then check and submit.
    page.get_by_role("link", name="Give the school's bank details").click()
    fill_bank_details(page, sort_code="309430")
    save(page)
    expect(page.locator("#task-payee-status")).to_have_text("Completed")
    axe(page)
    page.get_by_role("link", name="Check your answers and submit").click()
    expect(heading(page)).to_have_text("Check your answers before submitting your claim")
    expect(page.locator("#expected-award")).to_contain_text("£625.00")
    expect(page.locator("#answer-scheme")).to_contain_text("Power Maths KS2")
    expect(page.locator("#evidence-files")).to_contain_text("invoice.pdf")
    axe(page)
    page.get_by_label("I confirm the information is correct").check()
    page.get_by_role("button", name="Submit claim").click()
    expect(heading(page)).to_have_text("Claim submitted")
    axe(page)

    claims = {c.kind: c for c in Claim.objects.filter(school=school)}
    assert claims["grant"].state == ClaimState.SUBMITTED
    assert claims["grant"].claimed_pence == 100_000
    assert claims["match"].state == ClaimState.SUBMITTED
    assert claims["match"].claimed_pence == 62_500
    assert claims["match"].spend_pence == 125_000
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["invoice.pdf"]
    assert len(axe.pages_checked) >= 20
