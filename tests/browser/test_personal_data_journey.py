"""Your data in headless Chromium: a headteacher signs in, opens "Your data" from the
menu, reads what the portal holds about them and downloads it as one JSON file, which
names them and holds their school's claim with the bank account masked. axe (WCAG 2.2
AA) runs on every page visited."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from funding.models import Claim
from hubportal.notices.models import Notice
from tests.factories import (
    DEMO_PASSWORD,
    HeadteacherFactory,
    HubAreaFactory,
    HubFactory,
    SchoolFactory,
    UserFactory,
    year,
)

# Transactional: the live server's thread must see the rows.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_headteacher_downloads_their_data_as_json(page, live_server, sign_in, axe):
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    school = SchoolFactory(hub=hub, name="Alder Primary School", la_code="352")
    head = HeadteacherFactory(
        school=school,
        user=UserFactory(email="hana.head@alder.example", full_name="Hana Headteacher"),
    ).user
    claim = Claim.objects.create(
        school=school,
        hub=hub,
        year=year(2026),
        kind="grant",
        created_by=head,
        payee_name="Alder Primary main account",
        sort_code="309430",
        account_number="12345678",
    )
    Notice.objects.create(
        kind="claim_deadline",
        subject_type="window",
        subject_id=1,
        occasion="14d",
        email=head.email,
        recipient=head,
        school=school,
        hub=hub,
    )

    sign_in(head.email, DEMO_PASSWORD)
    page.get_by_role("link", name="Your data").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")
    expect(page.locator("main")).to_contain_text("hana.head@alder.example")
    expect(page.locator("#section-claims td")).to_have_text("1")
    expect(page.locator("#section-notices td")).to_have_text("1")
    axe(page)

    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download your data (JSON)").click()
    download = downloading.value

    assert download.suggested_filename.startswith("your-data-")
    assert download.suggested_filename.endswith(".json")
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["account"][0]["full_name"] == "Hana Headteacher"
    assert data["account"][0]["email"] == "hana.head@alder.example"
    assert data["memberships"][0]["place"] == "Alder Primary School"
    assert [c["reference"] for c in data["claims"]] == [claim.reference]
    assert data["claims"][0]["account_number"] == "****5678"
    assert "12345678" not in json.dumps(data)
