"""A hub lead checks a sample of paid claims in headless Chromium: draws a sample of
the year's paid claims with a given seed, records that one claim's evidence is
insufficient (first forgetting the notes), asks the school to repay and marks the
money recovered. axe (WCAG 2.2 AA) runs on every page visited."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from funding import assurance, services
from funding.models import Claim, ClawbackState, MatchAllowance
from tests.factories import (
    DEMO_PASSWORD,
    ClaimWindowFactory,
    HubAreaFactory,
    HubFactory,
    HubLeadFactory,
    NationalAdminFactory,
    UserFactory,
    school_with_paid_claims,
)
from workgroups.models import AcademicYear

# Transactional: the live server's thread must see the rows.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED = 2026


def heading(page):
    return page.get_by_role("heading", level=1)


def test_hub_lead_samples_paid_claims_and_claws_back_one(page, live_server, sign_in, axe):
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    this_year = AcademicYear.objects.current()
    today = timezone.localdate()
    ClaimWindowFactory(
        hub=hub, year=this_year, opens=today - timedelta(days=60), closes=today + timedelta(days=30)
    )
    lead = HubLeadFactory(
        hub=hub, user=UserFactory(email="lead@abacus.example", full_name="Lee Lead")
    ).user
    paid = []
    for name in ("Ash Grove Primary School", "Beech Hill Primary School", "Cedar Primary School"):
        paid += school_with_paid_claims(hub, lead, match=1, name=name, la_code="352")[2]
    # 34% of 3 claims, rounded up, is 2: which two the seed decides, the same every time.
    expected = Claim.objects.filter(
        pk__in=assurance.draw([c.pk for c in paid], 34, SEED)
    ).select_related("school")
    first, second = sorted(expected, key=lambda c: c.school.name)

    # The hub lead signs in and opens the assurance samples (by address: see the report).
    sign_in(lead.email, DEMO_PASSWORD, axe_check=axe)
    expect(heading(page)).to_have_text("Your hub today")
    axe(page)
    page.goto(f"{live_server.url}/hub/assurance/")
    expect(heading(page)).to_have_text("Assurance samples")
    expect(page.locator("#results-count")).to_have_text("0 samples")
    axe(page)

    # Draw 34% with the seed the hub agreed with the NCETM.
    page.get_by_label("Percentage of paid claims to check").fill("34")
    page.get_by_label("Seed").fill(str(SEED))
    page.get_by_role("button", name="Draw sample").click()
    expect(heading(page)).to_have_text(
        re.compile(rf"Sample S\d{{5}}: paid claims {re.escape(this_year.label)}")
    )
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Drew 2 of 3 paid claims (34%) with seed {SEED}"
    )
    rows = page.locator("#checks tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(first.school.name)
    expect(rows.nth(1)).to_contain_text(second.school.name)
    expect(
        rows.nth(0).get_by_role("link", name=re.compile(r"\(opens in new tab\)"))
    ).to_be_visible()
    axe(page)

    # The first claim's evidence turns out to be a quotation; the notes are forgotten.
    rows.nth(0).get_by_role("link", name=re.compile(f"Check {first.reference}")).click()
    expect(heading(page)).to_have_text(f"Check of claim {first.reference}: {first.school.name}")
    axe(page)
    page.get_by_label("Evidence insufficient").check()
    page.get_by_role("button", name="Save outcome").click()
    expect(page).to_have_title(re.compile(r"\(error\)"))
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter why the evidence is insufficient"
    )
    expect(page.locator("#id_notes-error")).to_contain_text(
        "Enter why the evidence is insufficient"
    )
    expect(page.get_by_label("Evidence insufficient")).to_be_checked()
    axe(page)
    page.locator(".govuk-error-summary").get_by_role("link").click()
    expect(page.get_by_label("Notes")).to_be_focused()
    page.get_by_label("Notes").fill("The file is the supplier's quotation, not an invoice.")
    page.get_by_role("button", name="Save outcome").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Recorded for {first.reference}: evidence insufficient"
    )
    expect(page.locator("#outcome")).to_contain_text("Evidence insufficient")
    expect(page.get_by_role("heading", name="Ask the school to repay")).to_be_visible()
    expect(page.get_by_label("Amount to recover")).to_have_value("1,500.00")
    axe(page)

    # Ask for £500 back.
    page.get_by_label("Amount to recover").fill("500.00")
    page.get_by_role("button", name="Open clawback").click()
    expect(heading(page)).to_have_text(f"Clawback on claim {first.reference}: {first.school.name}")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "repay £500.00; the headteacher is told by email"
    )
    expect(page.locator("#clawback-state")).to_have_text("Requested")
    expect(page.locator("#clawback")).to_contain_text("quotation, not an invoice")
    axe(page)

    # The school repays: the money is recovered.
    page.get_by_role("button", name="Mark as recovered").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Recorded £500.00 recovered from {first.school.name}"
    )
    expect(page.locator("#clawback-state")).to_have_text("Recovered")
    expect(page.get_by_role("button", name="Mark as recovered")).to_have_count(0)
    axe(page)

    # The clawbacks list shows it, with the totals.
    page.locator(".govuk-breadcrumbs").get_by_role("link", name="Clawbacks").click()
    expect(heading(page)).to_have_text("Clawbacks")
    expect(page.locator("#clawbacks tbody tr")).to_have_count(1)
    expect(page.locator("#totals")).to_contain_text("£500.00")
    axe(page)

    clawback = Claim.objects.get(pk=first.pk).clawback
    assert clawback.state == ClawbackState.RECOVERED
    assert MatchAllowance.objects.get(school=first.school).recovered_pence == 50_000
    assert services.match_remaining(first.school) == 200_000 - 150_000 + 50_000


def test_national_admin_draws_for_a_hub_and_compares_similar_claims(
    page, live_server, sign_in, axe
):
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    this_year = AcademicYear.objects.current()
    today = timezone.localdate()
    ClaimWindowFactory(
        hub=hub, year=this_year, opens=today - timedelta(days=60), closes=today + timedelta(days=30)
    )
    lead = HubLeadFactory(hub=hub).user
    # Two schools paid for the same spend on invoices of the same date: similar claims.
    ash = school_with_paid_claims(hub, lead, match=1, name="Ash Grove Primary School")[2][0]
    beech = school_with_paid_claims(hub, lead, match=1, name="Beech Hill Primary School")[2][0]
    admin = NationalAdminFactory(user=UserFactory(email="admin@ncetm.example")).user

    sign_in(admin.email, DEMO_PASSWORD, axe_check=axe)
    axe(page)
    page.goto(f"{live_server.url}/hub/assurance/")
    expect(heading(page)).to_have_text("Assurance samples")
    axe(page)
    # Without a hub the draw is refused beside the hub.
    page.get_by_role("button", name="Draw sample").click()
    expect(page.locator("#id_draw-hub-error")).to_contain_text("Select the Maths Hub to sample")
    axe(page)
    page.get_by_label("Maths Hub to sample").select_option(label=hub.name)
    page.get_by_label("Percentage of paid claims to check").fill("100")
    page.get_by_role("button", name="Draw sample").click()
    expect(heading(page)).to_have_text(
        re.compile(rf"Sample S\d{{5}}: paid claims {re.escape(this_year.label)}")
    )
    # National admins look; the hub's leads record the checks.
    expect(page.locator("#checks")).to_contain_text(ash.reference)
    expect(page.locator("#checks")).to_contain_text(beech.reference)
    expect(page.get_by_role("link", name=re.compile("^Check "))).to_have_count(0)
    axe(page)

    page.goto(f"{live_server.url}/hub/claims/{ash.pk}/similar/")
    expect(heading(page)).to_have_text(f"Claims like {ash.reference}: {ash.school.name}")
    table = page.locator(f"#compare-{beech.pk}")
    expect(table).to_contain_text("Beech Hill Primary School")
    expect(table).to_contain_text(beech.invoice_number)
    axe(page)
