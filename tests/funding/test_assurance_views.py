"""The assurance pages: who may see and do what (another hub's rows are not found,
specialists and headteachers are refused), the draw, a check's outcome and the
clawback it may open, settling clawbacks, similar claims side by side, the include
templates, errors beside their fields, and list pages whose query count does not
grow with their rows."""

import html as html_lib
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funding import assurance, services
from funding.models import AssuranceSample, CheckOutcome, Claim, ClawbackState
from tests.factories import (
    AcceptedApplicationFactory,
    ClaimWindowFactory,
    HeadteacherFactory,
    HubLeadFactory,
    NationalAdminFactory,
    SchoolFactory,
    SpecialistFactory,
    ready_claim,
    school_with_paid_claims,
    year,
)

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def error_beside(response, field_id: str) -> str:
    """The error message shown beside a field (empty when there is none)."""
    found = re.search(
        rf'<p id="{re.escape(field_id)}-error" class="govuk-error-message">(.*?)</p>',
        text(response),
        re.S,
    )
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""


def assert_error_beside(response, field_id: str, message: str):
    assert response.status_code == 200
    assert message in error_beside(response, field_id), text(response)
    assert f'<a href="#{field_id}">{message}</a>' in text(response)
    assert "(error)" in text(response).split("</title>")[0]


def paid_schools(hub, lead, count: int) -> list[Claim]:
    claims = []
    for _ in range(count):
        claims += school_with_paid_claims(hub, lead, match=1)[2]
    return claims


def draw_all(lead, hub, seed=1) -> AssuranceSample:
    return assurance.sample_draw(actor=lead, hub=hub, year=year(2026), percent=100, seed=seed)


def clawbacks_for(lead, sample, amount=10_000):
    made = []
    for check in sample.checks.all():
        assurance.sample_check_record(
            actor=lead, check=check, outcome=CheckOutcome.INSUFFICIENT, notes="A quotation"
        )
        made.append(
            assurance.clawback_open(
                actor=lead, check=check, amount_pence=amount, reason="The file is a quotation"
            )
        )
    return made


@pytest.fixture
def paid(hub, lead, claim_window):
    return paid_schools(hub, lead, 2)


@pytest.fixture
def sample(paid, hub, lead):
    return draw_all(lead, hub)


@pytest.fixture
def clawback(sample, lead):
    check = sample.checks.order_by("claim_id").first()
    assurance.sample_check_record(
        actor=lead, check=check, outcome=CheckOutcome.INSUFFICIENT, notes="A quotation"
    )
    return assurance.clawback_open(
        actor=lead, check=check, amount_pence=50_000, reason="The file is a quotation"
    )


def urls(sample, clawback) -> dict[str, str]:
    check = clawback.sample_check
    return {
        "samples": reverse("assurance:samples"),
        "sample": reverse("assurance:sample", args=[sample.pk]),
        "check": reverse("assurance:check", args=[check.pk]),
        "clawbacks": reverse("assurance:clawbacks"),
        "clawback": reverse("assurance:clawback", args=[clawback.pk]),
        "similar": reverse("assurance:similar", args=[clawback.claim_id]),
    }


# ---------------------------------------------------------------------------
# Who may see what


def test_the_hub_lead_sees_every_page(client, lead, sample, clawback):
    client.force_login(lead)
    for name, url in urls(sample, clawback).items():
        assert client.get(url).status_code == 200, name


def test_a_national_admin_reads_every_hubs_pages_without_the_forms(client, sample, clawback):
    client.force_login(NationalAdminFactory().user)
    pages = urls(sample, clawback)
    for name, url in pages.items():
        assert client.get(url).status_code == 200, name
    check_page = text(client.get(pages["check"]))
    assert "Record the outcome" not in check_page and "Open clawback" not in check_page
    assert "Mark as recovered" not in text(client.get(pages["clawback"]))
    listing = text(client.get(pages["samples"]))
    assert "Abacus North West Maths Hub" in listing and 'name="draw-hub"' in listing


def test_another_hubs_lead_finds_none_of_the_rows(client, other_hub, sample, clawback):
    client.force_login(HubLeadFactory(hub=other_hub).user)
    pages = urls(sample, clawback)
    for name in ("sample", "check", "clawback", "similar"):
        assert client.get(pages[name]).status_code == 404, name
    for name in ("recover", "waive"):
        assert client.post(reverse(f"assurance:{name}", args=[clawback.pk])).status_code == 404
    listing = text(client.get(pages["samples"]))
    assert sample.reference not in listing
    assert clawback.claim.reference not in text(client.get(pages["clawbacks"]))


@pytest.mark.parametrize("role", ["specialist", "headteacher"])
def test_specialists_and_headteachers_are_refused_every_page(client, hub, sample, clawback, role):
    if role == "specialist":
        user = SpecialistFactory(hub=hub).user
    else:
        user = HeadteacherFactory(school=clawback.claim.school).user
    client.force_login(user)
    for name, url in urls(sample, clawback).items():
        assert client.get(url).status_code == 403, name
    assert client.post(reverse("assurance:samples"), {"draw-percent": "10"}).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client, sample, clawback):
    response = client.get(urls(sample, clawback)["samples"])
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_national_admin_cannot_record_checks_or_settle_clawbacks(client, sample, clawback):
    client.force_login(NationalAdminFactory().user)
    check = clawback.sample_check
    assert (
        client.post(
            reverse("assurance:check", args=[check.pk]), {"outcome": "confirmed"}
        ).status_code
        == 403
    )
    assert client.post(reverse("assurance:clawback_open", args=[check.pk]), {}).status_code == 403
    assert client.post(reverse("assurance:recover", args=[clawback.pk])).status_code == 403
    assert (
        client.post(
            reverse("assurance:waive", args=[clawback.pk]), {"waive-waive_reason": "No"}
        ).status_code
        == 403
    )
    clawback.refresh_from_db()
    assert clawback.state == ClawbackState.REQUESTED


# ---------------------------------------------------------------------------
# Drawing


def test_the_hub_lead_draws_a_sample_with_a_seed(client, lead, paid):
    client.force_login(lead)
    page = text(client.get(reverse("assurance:samples")))
    assert re.search(r'name="draw-seed" type="text" value="\d+"', page), "a seed is offered"

    response = client.post(
        reverse("assurance:samples"),
        {"draw-year": "2026-27", "draw-percent": "50%", "draw-seed": "2024"},
        follow=True,
    )

    sample = AssuranceSample.objects.get()
    assert (sample.percent, sample.seed, sample.paid_claims) == (50, 2024, 2)
    assert response.redirect_chain[-1][0] == reverse("assurance:sample", args=[sample.pk])
    assert "Drew 1 of 2 paid claims (50%) with seed 2024" in text(response)
    (check,) = sample.checks.all()
    assert check.claim.reference in text(response)
    evidence = check.claim.evidence.get()
    assert reverse("funding:evidence", args=[evidence.pk]) in text(response)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"draw-percent": "0"}, "id_draw-percent", "Enter a whole number from 1 to 100, like 10"),
        ({"draw-percent": "ten"}, "id_draw-percent", "Enter a whole number from 1 to 100, like 10"),
        ({"draw-percent": ""}, "id_draw-percent", "Enter the percentage of paid claims to check"),
        (
            {"draw-seed": "-4"},
            "id_draw-seed",
            "Enter a seed as a whole number from 0 to 2,147,483,647",
        ),
        ({"draw-year": "1999-00"}, "id_draw-year", "Select an academic year from the list"),
    ],
)
def test_a_wrong_draw_is_shown_beside_its_field(client, lead, paid, data, field, message):
    client.force_login(lead)
    posted = {"draw-year": "2026-27", "draw-percent": "10", "draw-seed": "1", **data}
    response = client.post(reverse("assurance:samples"), posted)
    assert_error_beside(response, field, message)
    assert not AssuranceSample.objects.exists()


def test_a_year_without_paid_claims_is_refused_beside_the_year(client, lead, hub):
    client.force_login(lead)
    year(2025)
    response = client.post(
        reverse("assurance:samples"),
        {"draw-year": "2025-26", "draw-percent": "10", "draw-seed": "1"},
    )
    # 2025/26 is offered only if it has paid claims or samples; it has neither.
    assert_error_beside(response, "id_draw-year", "Select an academic year from the list")


def test_a_national_admin_chooses_the_hub(client, paid, hub):
    client.force_login(NationalAdminFactory().user)
    url = reverse("assurance:samples")
    missing = client.post(url, {"draw-year": "2026-27", "draw-percent": "10", "draw-seed": "3"})
    assert_error_beside(missing, "id_draw-hub", "Select the Maths Hub to sample")

    client.post(
        url, {"draw-hub": hub.code, "draw-year": "2026-27", "draw-percent": "10", "draw-seed": "3"}
    )

    assert AssuranceSample.objects.get().hub == hub


def test_the_samples_list_is_filtered_by_year_and_survives_nonsense(client, lead, sample):
    client.force_login(lead)
    url = reverse("assurance:samples")
    assert sample.reference in text(client.get(url, {"year": "2026-27"}))
    year(2030)
    response = client.get(url, {"year": "nonsense", "page": "x"})
    assert response.status_code == 200
    assert "Select an academic year from the list" in text(response)


# ---------------------------------------------------------------------------
# A check and its clawback


def test_insufficient_without_notes_is_shown_beside_the_notes(client, lead, sample):
    client.force_login(lead)
    check = sample.checks.first()
    url = reverse("assurance:check", args=[check.pk])

    response = client.post(url, {"outcome": "insufficient", "notes": ""})

    assert_error_beside(response, "id_notes", "Enter why the evidence is insufficient")
    assert 'value="insufficient" checked' in text(response)
    check.refresh_from_db()
    assert check.outcome == CheckOutcome.PENDING


def test_recording_insufficient_offers_the_clawback_for_the_amount_paid(client, lead, sample):
    client.force_login(lead)
    check = sample.checks.first()
    url = reverse("assurance:check", args=[check.pk])

    response = client.post(url, {"outcome": "insufficient", "notes": "A quotation"}, follow=True)

    page = text(response)
    assert "Recorded for" in page and "evidence insufficient" in page
    assert "Ask the school to repay" in page
    assert 'name="clawback-amount" type="text" value="1,500.00"' in page

    bad = client.post(
        reverse("assurance:clawback_open", args=[check.pk]),
        {"clawback-amount": "1,500.01", "clawback-reason": "A quotation"},
    )
    assert_error_beside(
        bad, "id_clawback-amount", "Enter an amount more than £0.00 and at most £1,500.00"
    )
    no_reason = client.post(
        reverse("assurance:clawback_open", args=[check.pk]),
        {"clawback-amount": "100", "clawback-reason": " "},
    )
    assert_error_beside(no_reason, "id_clawback-reason", "Enter why the money is being asked back")

    opened = client.post(
        reverse("assurance:clawback_open", args=[check.pk]),
        {"clawback-amount": "£750", "clawback-reason": "A quotation"},
        follow=True,
    )
    clawback = check.claim.clawback
    assert clawback.amount_pence == 75_000
    assert opened.redirect_chain[-1][0] == reverse("assurance:clawback", args=[clawback.pk])
    assert "repay £750.00; the headteacher is told by email" in text(opened)


def test_a_confirmed_check_offers_no_clawback(client, lead, sample):
    client.force_login(lead)
    check = sample.checks.first()
    response = client.post(
        reverse("assurance:check", args=[check.pk]), {"outcome": "confirmed"}, follow=True
    )
    assert "Evidence confirmed" in text(response)
    assert "Ask the school to repay" not in text(response)
    opened = client.post(
        reverse("assurance:clawback_open", args=[check.pk]),
        {"clawback-amount": "10", "clawback-reason": "x"},
        follow=True,
    )
    assert "only when the check found the evidence insufficient" in text(opened)


def test_the_outcome_stands_once_a_clawback_is_open(client, lead, clawback):
    client.force_login(lead)
    url = reverse("assurance:check", args=[clawback.sample_check_id])
    page = text(client.get(url))
    assert "The outcome stands" in page and "Record the outcome" not in page
    response = client.post(url, {"outcome": "confirmed"}, follow=True)
    assert "cannot change" in text(response)


# ---------------------------------------------------------------------------
# Settling a clawback


def test_marking_a_clawback_recovered(client, lead, clawback):
    client.force_login(lead)
    response = client.post(reverse("assurance:recover", args=[clawback.pk]), follow=True)
    assert "Recorded £500.00 recovered from" in text(response)
    clawback.refresh_from_db()
    assert clawback.state == ClawbackState.RECOVERED
    again = client.post(reverse("assurance:recover", args=[clawback.pk]), follow=True)
    assert "recovered already" in text(again)
    assert client.get(reverse("assurance:recover", args=[clawback.pk])).status_code == 405


def test_waiving_needs_a_reason_beside_the_field(client, lead, clawback):
    client.force_login(lead)
    url = reverse("assurance:waive", args=[clawback.pk])
    response = client.post(url, {"waive-waive_reason": ""})
    assert_error_beside(response, "id_waive-waive_reason", "Enter why the clawback is waived")

    client.post(url, {"waive-waive_reason": "The invoice arrived"})

    clawback.refresh_from_db()
    assert (clawback.state, clawback.waive_reason) == ("waived", "The invoice arrived")


def test_the_clawbacks_list_filters_by_state_with_totals(client, lead, hub, clawback):
    client.force_login(lead)
    url = reverse("assurance:clawbacks")
    assert clawback.claim.reference in text(client.get(url, {"state": "requested"}))
    empty = text(client.get(url, {"state": "recovered"}))
    assert "No clawbacks match the filters" in empty
    page = text(client.get(url))
    assert "£500.00" in page.split('id="totals"')[1]
    wrong = client.get(url, {"state": "lost", "page": "999"})
    assert wrong.status_code == 200
    assert "Select a state from the list" in text(wrong)


# ---------------------------------------------------------------------------
# Similar claims


def submitted_match(hub, spend_pence: int, day: date, **school) -> Claim:
    found = SchoolFactory(hub=hub, **school)
    AcceptedApplicationFactory(school=found)
    head = HeadteacherFactory(school=found).user
    claim = ready_claim(found, head, spend_pence=spend_pence, invoice_date=day)
    return services.claim_submit(actor=head, claim=claim)


DAY = date(2026, 10, 10)


@pytest.mark.parametrize(
    ("spend", "shift", "similar"),
    [
        (100_000, 0, True),
        (101_010, 7, True),
        (99_000, -7, True),
        (101_011, 0, False),
        (98_999, 0, False),
        (100_000, 8, False),
        (100_000, -8, False),
    ],
)
def test_similar_means_spend_within_1_percent_and_invoice_within_7_days(
    hub, claim_window, spend, shift, similar
):
    claim = submitted_match(hub, 100_000, DAY)
    other = submitted_match(hub, spend, DAY + timedelta(days=shift))
    assert (other in assurance.similar_claims(claim)) is similar
    assert (claim in assurance.similar_claims(other)) is similar


def test_drafts_rejected_claims_the_same_school_and_other_hubs_are_not_similar(
    hub, other_hub, lead, claim_window
):
    claim = submitted_match(hub, 100_000, DAY)
    # The same school's other claim.
    head = claim.school.memberships.get().user
    services.claim_submit(
        actor=head, claim=ready_claim(claim.school, head, spend_pence=100_000, invoice_date=DAY)
    )
    rejected = submitted_match(hub, 100_000, DAY)
    services.claim_reject(actor=lead, claim=rejected, reason="Wrong scheme")
    draft_school = SchoolFactory(hub=hub)
    AcceptedApplicationFactory(school=draft_school)
    draft_head = HeadteacherFactory(school=draft_school).user
    ready_claim(draft_school, draft_head, spend_pence=100_000, invoice_date=DAY)
    ClaimWindowFactory(hub=other_hub)
    elsewhere = submitted_match(other_hub, 100_000, DAY)

    assert assurance.similar_claims(claim) == []
    # A national admin looks across hubs.
    admin = NationalAdminFactory().user
    assert assurance.similar_claims(claim, user=admin) == [elsewhere]
    assert assurance.similar_claims(claim, user=lead) == []


def test_the_similar_page_shows_the_claims_side_by_side(client, lead, hub, claim_window):
    claim = submitted_match(hub, 100_000, DAY, name="Ash Primary School")
    other = submitted_match(hub, 100_500, DAY + timedelta(days=3), name="Elm Primary School")
    client.force_login(lead)

    page = text(client.get(reverse("assurance:similar", args=[claim.pk])))

    table = page.split(f'id="compare-{other.pk}"')[1].split("</table>")[0]
    for shown in (
        "Ash Primary School",
        "Elm Primary School",
        "£1,000.00",
        "£1,005.00",
        claim.invoice_number,
        other.invoice_number,
        "10 October 2026",
        "13 October 2026",
        reverse("funding:evidence", args=[other.evidence.get().pk]),
        "Submitted",
    ):
        assert shown in table, shown
    draft = services.claim_start(
        actor=HeadteacherFactory(school=claim.school).user, school=claim.school, kind="match"
    )
    assert client.get(reverse("assurance:similar", args=[draft.pk])).status_code == 404


def test_the_flag_include_links_to_the_comparison(hub, claim_window):
    claim = submitted_match(hub, 100_000, DAY)
    other = submitted_match(hub, 100_000, DAY)
    html = render_to_string(
        "funding/assurance/_similar_flag.html",
        {"claim": claim, "similar": assurance.similar_claims(claim)},
    )
    assert "1 claim from another school looks like this one" in html_lib.unescape(html)
    assert reverse("assurance:similar", args=[claim.pk]) in html
    assert other.reference in html
    assert (
        render_to_string(
            "funding/assurance/_similar_flag.html", {"claim": claim, "similar": []}
        ).strip()
        == ""
    )


def test_the_school_clawbacks_include_shows_the_headteacher_their_clawbacks(clawback):
    head = clawback.claim.school.memberships.get(role="headteacher").user
    html = html_lib.unescape(
        render_to_string(
            "funding/assurance/_school_clawbacks.html",
            {"clawbacks": assurance.school_clawbacks(head)},
        )
    )
    assert "Money asked back" in html
    assert "£500.00 of £1,500.00" in html
    assert "The file is a quotation" in html
    assert clawback.claim.reference in html


# ---------------------------------------------------------------------------
# Query counts stay the same as the lists grow


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_list_pages_cost_the_same_queries_at_two_sizes(client, hub, lead, claim_window):
    client.force_login(lead)
    first_claims = paid_schools(hub, lead, 1)
    small = draw_all(lead, hub, seed=1)
    clawbacks_for(lead, small)
    similar_to = submitted_match(hub, 100_000, DAY)
    submitted_match(hub, 100_000, DAY)

    def measure(sample) -> list[int]:
        return [
            queries(client, reverse("assurance:samples")),
            queries(client, reverse("assurance:sample", args=[sample.pk])),
            queries(client, reverse("assurance:clawbacks")),
            queries(client, reverse("assurance:similar", args=[similar_to.pk])),
        ]

    before = measure(small)

    paid_schools(hub, lead, 3)
    large = draw_all(lead, hub, seed=2)
    for check in large.checks.exclude(claim_id__in=[c.pk for c in first_claims]):
        assurance.sample_check_record(
            actor=lead, check=check, outcome=CheckOutcome.INSUFFICIENT, notes="A quotation"
        )
        assurance.clawback_open(actor=lead, check=check, amount_pence=100, reason="A quotation")
    draw_all(lead, hub, seed=3)
    submitted_match(hub, 100_100, DAY)
    submitted_match(hub, 99_900, DAY)

    after = measure(large)

    assert (large.checks.count(), AssuranceSample.objects.count()) == (4, 3)
    assert len(assurance.similar_claims(similar_to)) == 3
    assert before == after
