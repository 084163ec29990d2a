"""The headteacher's funding pages: the school's entitlements and claims, starting a
claim, the task-list sections, proof of purchase, checking and submitting, a
returned claim, the read-only summary, and who may see what."""

import html as html_lib
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funding import services
from funding.models import EVIDENCE_MAX_BYTES, Claim, ClaimState, Evidence, MatchAllowance, Scheme
from funding.selectors.school import claim_tasks, fields_changed_since_return
from tests.factories import (
    PDF_BYTES,
    ClaimWindowFactory,
    HeadteacherFactory,
    HubLeadFactory,
    NationalAdminFactory,
    SchoolFactory,
    SpecialistFactory,
    pdf_upload,
    ready_claim,
    year,
)

pytestmark = pytest.mark.django_db

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _today():
    """The pages read today's date for the year and the claim window: fix it. The clock
    still ticks, so the audit history (which a returned claim's task list reads) keeps
    its order."""
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def head_client(client, head):
    client.force_login(head)
    return client


@pytest.fixture
def grant_claim(dwg_school, head):
    return services.claim_start(actor=head, school=dwg_school, kind="grant")


@pytest.fixture
def match_claim(dwg_school, head):
    return services.claim_start(actor=head, school=dwg_school, kind="match")


def text(response) -> str:
    """The page's HTML with entities decoded, so messages read as written."""
    return html_lib.unescape(response.content.decode())


def plain(fragment: str) -> str:
    """An HTML fragment's words, without tags or extra spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def by_id(html: str, element_id: str) -> str:
    """The words of the element with this id (up to the end of its closing tag)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no element with id {element_id}"
    return plain(match.group(2))


def field_error(html: str, field_id: str) -> str:
    """The error message shown beside a field (empty when there is none)."""
    match = re.search(
        rf'<p id="{field_id}-error" class="govuk-error-message">(.*?)</p>', html, re.S
    )
    return plain(match.group(1)) if match else ""


def assert_error_beside(response, field_id: str, message: str, anchor: str | None = None):
    html = text(response)
    assert response.status_code == 200
    assert message in field_error(html, field_id), f"no '{message}' beside {field_id}"
    # The summary at the top links to the control to correct.
    assert f'<a href="#{anchor or field_id}">{message}</a>' in html
    assert "(error)" in html.split("</title>")[0]


def section_url(claim, name):
    return reverse("funding:section", args=[claim.pk, name])


def claim_url(claim):
    return reverse("funding:claim", args=[claim.pk])


def task_status(html: str, key: str) -> str:
    return by_id(html, f"task-{key}-status")


PAYEE = {
    "payee_name": "Alder Primary School",
    "sort_code": "30-94-30",
    "account_number": "12345678",
    "finance_email": "finance@alder.example",
}


def purchase(claim, **changes) -> dict:
    scheme = services.schemes_ensure(year=claim.year)[0]
    data = {
        "scheme": str(scheme.pk),
        "supplier": "Mastery Books Ltd",
        "invoice_number": "INV-0042",
        "invoice_date_day": "14",
        "invoice_date_month": "10",
        "invoice_date_year": "2026",
        "spend_pence": "£3,000.00",
    }
    data.update(changes)
    return data


def paid(claim, lead):
    services.claim_approve(actor=lead, claim=claim)
    batch = services.batch_create(
        actor=lead, hub=claim.hub, year=claim.year, claims=[Claim.objects.get(pk=claim.pk)]
    )
    services.batch_mark_paid(actor=lead, batch=batch)
    return Claim.objects.get(pk=claim.pk)


# ---------------------------------------------------------------------------
# Your school's funding


def test_overview_shows_what_the_school_may_claim_and_the_deadline(head_client, dwg_school):
    response = head_client.get(reverse("funding:school"))

    assert response.status_code == 200
    html = text(response)
    assert html.count("<h1") == 1 and "Your school's funding" in html
    assert "The deadline for 2026/27 claims is 30 June 2027" in by_id(html, "window-status")
    assert "Available" in by_id(html, "grant-status")
    assert "accepted into a Development Work Group in 2026/27" in by_id(html, "grant-status")
    assert f'action="{reverse("funding:start", args=["grant"])}"' in html
    assert "Claim the £1,000 grant" in html
    assert "Available" in by_id(html, "match-status")
    assert by_id(html, "match-remaining") == "£2,000.00 of £2,000.00"
    assert by_id(html, "approved-schemes") == "Maths — No Problem! Power Maths KS1 Power Maths KS2"
    assert "Start a match funding claim" in html
    assert "Your school has not made any claims yet." in html


def test_a_school_not_in_a_development_group_is_told_why_it_cannot_claim(client, hub, claim_window):
    school = SchoolFactory(hub=hub, name="Beech Primary")
    client.force_login(HeadteacherFactory(school=school).user)

    html = text(client.get(reverse("funding:school")))

    grant = by_id(html, "grant-status")
    assert "Not available now" in grant
    assert "comes with a place in a Development Work Group" in grant
    assert "Beech Primary has not been accepted into one" in grant
    assert "Match funding is for schools that have been in a Development Work Group" in by_id(
        html, "match-status"
    )
    assert "Claim the £1,000 grant" not in html
    assert "Start a match funding claim" not in html


def test_a_closed_window_says_plainly_that_no_claim_can_start(head_client, claim_window):
    claim_window.closes = date(2026, 10, 31)
    claim_window.save()

    html = text(head_client.get(reverse("funding:school")))

    window = by_id(html, "window-status")
    assert "No new claims can be started now." in window
    assert "The deadline for 2026/27 claims was 31 October 2026." in window
    assert "Claim the £1,000 grant" not in html
    assert "Start a match funding claim" not in html


def test_a_window_not_yet_open_says_when_it_opens(head_client, claim_window):
    claim_window.opens = date(2027, 1, 4)
    claim_window.save()

    window = by_id(text(head_client.get(reverse("funding:school"))), "window-status")

    assert "Claims for 2026/27 open on 4 January 2027." in window


def test_no_window_at_all_says_the_hub_has_not_set_one(client, hub):
    school = SchoolFactory(hub=hub)
    client.force_login(HeadteacherFactory(school=school).user)

    window = by_id(text(client.get(reverse("funding:school"))), "window-status")

    assert "No new claims can be started now." in window
    assert "has not set its 2026/27 claim window yet" in window


def test_overview_lists_every_claim_with_its_state_amounts_and_paid_date(
    head_client, dwg_school, head, lead
):
    grant = paid(
        services.claim_submit(actor=head, claim=ready_claim(dwg_school, head, kind="grant")), lead
    )
    match = services.claim_submit(
        actor=head, claim=ready_claim(dwg_school, head, spend_pence=150_000)
    )
    draft = services.claim_start(actor=head, school=dwg_school, kind="match")

    html = text(head_client.get(reverse("funding:school")))

    row = by_id(html, f"claim-{grant.pk}")
    assert grant.reference in row and "Development grant" in row and "Paid" in row
    assert row.count("£1,000.00") == 2
    assert "23 November 2026" in row
    assert f'href="{claim_url(grant)}"' in html
    row = by_id(html, f"claim-{match.pk}")
    assert "Submitted" in row and "£750.00" in row and "Not decided" in row and "Not paid" in row
    row = by_id(html, f"claim-{draft.pk}")
    assert "Draft" in row and "Not yet submitted" in row
    # The grant is claimed; match funding shows what is waiting and the draft to continue.
    assert "Claimed" in by_id(html, "grant-status")
    assert "Claims for £750.00 are waiting for the hub's decision." in by_id(
        html, "match-remaining"
    )
    assert f"Continue claim {draft.reference}" in plain(html)


def test_overview_costs_the_same_queries_for_3_and_12_claims(head_client, dwg_school, head):
    def queries_with(count):
        while Claim.objects.filter(school=dwg_school).count() < count:
            services.claim_start(actor=head, school=dwg_school, kind="match")
        head_client.get(reverse("funding:school"))  # the year's scheme list is made once
        with CaptureQueriesContext(connection) as captured:
            response = head_client.get(reverse("funding:school"))
        assert response.status_code == 200
        assert len(re.findall(r'id="claim-\d+"', text(response))) == count
        return len(captured.captured_queries)

    assert queries_with(3) == queries_with(12)


def test_overview_pages_its_claims_fifty_at_a_time(head_client, dwg_school, head):
    for _ in range(51):
        services.claim_start(actor=head, school=dwg_school, kind="match")

    first = text(head_client.get(reverse("funding:school")))
    second = text(head_client.get(reverse("funding:school"), {"page": 2}))

    assert len(re.findall(r'id="claim-\d+"', first)) == 50
    assert len(re.findall(r'id="claim-\d+"', second)) == 1
    assert 'aria-label="Pages of claims"' in first


# ---------------------------------------------------------------------------
# Starting a claim


def test_claiming_the_grant_opens_its_task_list(head_client, dwg_school):
    response = head_client.post(reverse("funding:start", args=["grant"]))

    claim = Claim.objects.get(school=dwg_school)
    assert response.status_code == 302
    assert response.url == claim_url(claim)
    assert claim.kind == "grant" and claim.state == ClaimState.DRAFT

    html = text(head_client.get(response.url))
    assert "Claim the Development grant" in html
    assert task_status(html, "conditions") == "Not started"
    assert task_status(html, "payee") == "Not started"


def test_start_is_post_only_and_an_unknown_kind_is_not_found(head_client):
    assert head_client.get(reverse("funding:start", args=["grant"])).status_code == 405
    assert head_client.post(reverse("funding:start", args=["bursary"])).status_code == 404
    assert not Claim.objects.exists()


def test_a_closed_window_refuses_a_new_claim_with_a_message(head_client, claim_window):
    claim_window.closes = date(2026, 10, 31)
    claim_window.save()

    response = head_client.post(reverse("funding:start", args=["match"]), follow=True)

    assert response.redirect_chain == [(reverse("funding:school"), 302)]
    assert "Abacus North West Maths Hub is not taking claims for 2026/27 now." in text(response)
    assert not Claim.objects.exists()


def test_a_second_grant_claim_is_refused_with_a_message(head_client, grant_claim):
    response = head_client.post(reverse("funding:start", args=["grant"]), follow=True)

    assert "Your school has already claimed the Development grant." in text(response)
    assert Claim.objects.filter(kind="grant").count() == 1


# ---------------------------------------------------------------------------
# The grant's sections


def test_the_conditions_section_shows_the_conditions_and_needs_the_box(head_client, grant_claim):
    url = section_url(grant_claim, "conditions")
    html = text(head_client.get(url))
    conditions = by_id(html, "grant-conditions")
    assert "supply cover" in conditions and "two participating teachers" in conditions
    assert "repay the grant" in conditions

    response = head_client.post(url, {})
    assert_error_beside(
        response,
        "id_conditions_accepted",
        "Confirm that the school accepts the grant's conditions",
    )

    response = head_client.post(url, {"conditions_accepted": "on"})
    assert response.status_code == 302 and response.url == claim_url(grant_claim)
    grant_claim.refresh_from_db()
    assert grant_claim.conditions_accepted is True
    html = text(head_client.get(claim_url(grant_claim)))
    assert "The school has accepted the grant conditions" in html
    assert task_status(html, "conditions") == "Completed"


@pytest.mark.parametrize(
    "field, typed, message",
    [
        ("sort_code", "٣٠٩٤٣٠", "Enter a valid sort code like 309430"),
        ("account_number", "１２３４５６７８", "Enter a valid account number like 00733445"),
    ],
)
def test_bank_details_take_only_plain_digits(head_client, grant_claim, field, typed, message):
    response = head_client.post(section_url(grant_claim, "payee"), {**PAYEE, field: typed})

    assert_error_beside(response, f"id_{field}", message)
    grant_claim.refresh_from_db()
    assert getattr(grant_claim, field) != typed


def test_a_bad_sort_code_is_shown_beside_it_and_nothing_typed_is_lost(head_client, grant_claim):
    url = section_url(grant_claim, "payee")

    response = head_client.post(url, {**PAYEE, "sort_code": "30-94-3X"})

    assert_error_beside(response, "id_sort_code", "Enter a valid sort code like 309430")
    html = text(response)
    assert 'value="30-94-3X"' in html
    assert 'value="Alder Primary School"' in html
    assert 'value="finance@alder.example"' in html
    grant_claim.refresh_from_db()
    assert grant_claim.payee_name == ""

    response = head_client.post(url, {**PAYEE, "account_number": "1234"})
    assert_error_beside(response, "id_account_number", "Account number must be 8 digits long")

    response = head_client.post(url, PAYEE)
    assert response.status_code == 302
    grant_claim.refresh_from_db()
    assert grant_claim.sort_code == "309430"
    assert grant_claim.account_number == "12345678"


def test_the_payee_section_may_be_saved_half_answered(head_client, grant_claim):
    response = head_client.post(section_url(grant_claim, "payee"), {"payee_name": "Alder"})

    assert response.status_code == 302
    html = text(head_client.get(claim_url(grant_claim)))
    assert task_status(html, "payee") == "In progress"
    # Coming back shows what was saved.
    html = text(head_client.get(section_url(grant_claim, "payee")))
    assert 'value="Alder"' in html


def test_an_email_address_in_the_wrong_format_is_refused(head_client, grant_claim):
    response = head_client.post(
        section_url(grant_claim, "payee"), {**PAYEE, "finance_email": "finance at alder"}
    )

    assert_error_beside(
        response,
        "id_finance_email",
        "Enter an email address in the correct format, like name@example.com",
    )


def test_a_section_the_claim_does_not_have_is_not_found(head_client, grant_claim, match_claim):
    assert head_client.get(section_url(grant_claim, "purchase")).status_code == 404
    assert head_client.get(section_url(grant_claim, "evidence")).status_code == 404
    assert head_client.get(section_url(match_claim, "conditions")).status_code == 404
    assert head_client.get(section_url(match_claim, "nonsense")).status_code == 404


# ---------------------------------------------------------------------------
# Match funding: what was bought, and the proof


def test_the_purchase_is_saved_with_the_amount_in_exact_pence(head_client, match_claim):
    url = section_url(match_claim, "purchase")
    html = text(head_client.get(url))
    assert "Maths — No Problem!" in by_id(html, "id_scheme")

    response = head_client.post(url, purchase(match_claim, spend_pence="£1,250.50"))

    assert response.status_code == 302
    match_claim.refresh_from_db()
    assert match_claim.spend_pence == 125_050
    assert match_claim.invoice_date == date(2026, 10, 14)
    assert match_claim.supplier == "Mastery Books Ltd"
    assert match_claim.scheme == services.schemes_ensure(year=match_claim.year)[0]
    # Coming back, the amount is shown as pounds and pence.
    assert 'value="1250.50"' in text(head_client.get(url))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.345", "Enter an amount in pounds and pence, like 1250.00"),
        ("lots", "Enter an amount in pounds and pence, like 1250.00"),
        ("-40", "Enter an amount greater than zero"),
        ("0.00", "Enter the amount spent greater than £0.00"),
        ("2000000", "Enter the amount spent of £1,000,000.00 or less"),
    ],
)
def test_an_amount_that_is_not_money_is_refused_beside_it(head_client, match_claim, typed, message):
    response = head_client.post(
        section_url(match_claim, "purchase"), purchase(match_claim, spend_pence=typed)
    )

    assert_error_beside(response, "id_spend_pence", message)
    html = text(response)
    assert f'value="{typed}"' in html
    assert 'value="Mastery Books Ltd"' in html
    match_claim.refresh_from_db()
    assert match_claim.supplier == "" and match_claim.spend_pence is None


def test_an_invoice_date_in_the_future_or_unreal_is_refused(head_client, match_claim):
    url = section_url(match_claim, "purchase")

    response = head_client.post(url, purchase(match_claim, invoice_date_year="2027"))
    assert_error_beside(
        response,
        "id_invoice_date",
        "The invoice date must be today or in the past",
        anchor="id_invoice_date-day",
    )

    response = head_client.post(
        url, purchase(match_claim, invoice_date_day="31", invoice_date_month="2")
    )
    assert_error_beside(
        response,
        "id_invoice_date",
        "Invoice date must be a real date",
        anchor="id_invoice_date-day",
    )
    assert 'value="31"' in text(response)


def test_a_scheme_from_another_year_is_refused(head_client, match_claim):
    old = Scheme.objects.create(year=year(2019), name="Maths — No Problem!")

    response = head_client.post(
        section_url(match_claim, "purchase"), purchase(match_claim, scheme=str(old.pk))
    )

    assert_error_beside(response, "id_scheme", "Choose a scheme on the 2026/27 approved list")


def test_the_purchase_may_be_saved_half_answered(head_client, match_claim):
    response = head_client.post(
        section_url(match_claim, "purchase"), {"supplier": "Mastery Books Ltd"}
    )

    assert response.status_code == 302
    html = text(head_client.get(claim_url(match_claim)))
    assert task_status(html, "purchase") == "In progress"
    assert task_status(html, "evidence") == "Not started"


def test_proof_of_purchase_is_uploaded_listed_and_opened_in_a_new_tab(head_client, match_claim):
    url = section_url(match_claim, "evidence")
    assert "No files uploaded yet." in text(head_client.get(url))

    response = head_client.post(url, {"file": pdf_upload("Invoice 42.pdf")})

    assert response.status_code == 302 and response.url == url
    evidence = Evidence.objects.get(claim=match_claim)
    assert evidence.original_name == "Invoice 42.pdf"
    assert evidence.content_type == "application/pdf"
    html = text(head_client.get(url))
    assert "Uploaded Invoice 42.pdf" in html
    files = by_id(html, "evidence-files")
    assert "Invoice 42.pdf (opens in new tab)" in files and "Remove Invoice 42.pdf" in files
    assert f'href="{reverse("funding:evidence", args=[evidence.pk])}" target="_blank"' in html
    assert 'enctype="multipart/form-data"' in html
    assert task_status(text(head_client.get(claim_url(match_claim))), "evidence") == "Completed"


def test_several_files_may_be_chosen_at_once(head_client, match_claim):
    response = head_client.post(
        section_url(match_claim, "evidence"),
        {"file": [pdf_upload("invoice.pdf"), SimpleUploadedFile("receipt.png", PNG_BYTES)]},
    )

    assert response.status_code == 302
    assert sorted(Evidence.objects.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/png",
    ]


def test_a_file_of_the_wrong_type_is_refused_beside_the_input_and_loses_nothing(
    head_client, match_claim
):
    url = section_url(match_claim, "evidence")
    head_client.post(url, {"file": pdf_upload("invoice.pdf")})

    # A text file named like a PDF: its content is checked, not its name.
    fake = SimpleUploadedFile("notes.pdf", b"just some notes", content_type="application/pdf")
    response = head_client.post(url, {"file": fake})

    assert_error_beside(response, "id_file", "notes.pdf is not a PDF, PNG or JPEG file")
    assert "invoice.pdf" in by_id(text(response), "evidence-files")
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["invoice.pdf"]


def test_a_file_over_10_mb_is_refused_and_a_good_one_beside_it_is_kept(head_client, match_claim):
    big = SimpleUploadedFile("scan.pdf", PDF_BYTES + b"0" * EVIDENCE_MAX_BYTES)

    response = head_client.post(
        section_url(match_claim, "evidence"), {"file": [big, pdf_upload("invoice.pdf")]}
    )

    assert_error_beside(
        response, "id_file", "scan.pdf is 10.0 MB; each file must be 10 MB or smaller"
    )
    html = text(response)
    assert "Uploaded invoice.pdf" in html
    assert "invoice.pdf" in by_id(html, "evidence-files")
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["invoice.pdf"]


def test_an_invoice_or_file_already_on_another_claim_is_refused_beside_it(
    head_client, match_claim, dwg_school, head
):
    first = ready_claim(dwg_school, head, invoice_number="INV-0042")
    on_first = first.evidence.get()

    response = head_client.post(section_url(match_claim, "purchase"), purchase(match_claim))
    assert response.status_code == 200
    assert f"already on claim {first.reference}" in field_error(text(response), "id_invoice_number")
    assert 'value="INV-0042"' in text(response)

    with on_first.file.open("rb") as stored:
        same_file = stored.read()
    response = head_client.post(
        section_url(match_claim, "evidence"), {"file": pdf_upload("copy.pdf", content=same_file)}
    )
    assert f"already on claim {first.reference}" in field_error(text(response), "id_file")
    match_claim.refresh_from_db()
    assert match_claim.invoice_number == "" and not match_claim.evidence.exists()


def test_uploading_without_choosing_a_file_says_so(head_client, match_claim):
    response = head_client.post(section_url(match_claim, "evidence"), {})

    assert_error_beside(response, "id_file", "Select a file to upload")


def test_a_file_is_removed_with_a_post_and_only_from_its_own_claim(
    head_client, match_claim, dwg_school, head
):
    evidence = services.evidence_add(actor=head, claim=match_claim, upload=pdf_upload())
    other_claim = services.claim_start(actor=head, school=dwg_school, kind="match")
    remove = reverse("funding:evidence_remove", args=[match_claim.pk, evidence.pk])

    assert head_client.get(remove).status_code == 405
    wrong_claim = reverse("funding:evidence_remove", args=[other_claim.pk, evidence.pk])
    assert head_client.post(wrong_claim).status_code == 404
    assert Evidence.objects.filter(pk=evidence.pk).exists()

    response = head_client.post(remove, follow=True)

    assert response.redirect_chain == [(section_url(match_claim, "evidence"), 302)]
    assert "Removed invoice.pdf" in text(response)
    assert not Evidence.objects.filter(pk=evidence.pk).exists()


# ---------------------------------------------------------------------------
# Checking and submitting


def test_check_answers_lists_what_is_missing_each_linked_to_its_section(head_client, match_claim):
    head_client.post(section_url(match_claim, "purchase"), {"supplier": "Mastery Books Ltd"})

    response = head_client.get(reverse("funding:check", args=[match_claim.pk]))

    html = text(response)
    assert response.status_code == 200
    problems = by_id(html, "problems")
    assert "Choose the textbook scheme the school bought" in problems
    assert "Upload the invoice or another proof of purchase" in problems
    assert "Enter a sort code of 6 digits, like 309430" in problems
    purchase_url = section_url(match_claim, "purchase")
    assert f'href="{purchase_url}#id_scheme"' in html
    assert f'href="{purchase_url}#id_invoice_date-day"' in html
    assert f'href="{section_url(match_claim, "evidence")}#id_file"' in html
    assert f'href="{section_url(match_claim, "payee")}#id_sort_code"' in html
    assert "Give the amount spent to see what the school may receive." in html

    # Submitting anyway: nothing is sent, and the summary says what to do.
    response = head_client.post(
        reverse("funding:check", args=[match_claim.pk]), {"declaration": "on"}
    )
    html = text(response)
    assert (
        f'<a href="{purchase_url}#id_scheme">Choose the textbook scheme the school bought</a>'
        in html
    )
    match_claim.refresh_from_db()
    assert match_claim.state == ClaimState.DRAFT


def test_the_match_claim_is_checked_and_submitted_with_the_expected_award(head_client, match_claim):
    head_client.post(section_url(match_claim, "purchase"), purchase(match_claim))
    head_client.post(section_url(match_claim, "evidence"), {"file": pdf_upload()})
    head_client.post(section_url(match_claim, "payee"), PAYEE)
    check = reverse("funding:check", args=[match_claim.pk])

    html = text(head_client.get(check))
    expected = by_id(html, "expected-award")
    assert "£1,500.00" in expected and "Half of the £3,000.00 the school spent." in expected
    assert "decides the award" in expected
    assert "Amount spent £3,000.00" in by_id(html, "answer-spend_pence")
    assert "Sort code 30-94-30" in by_id(html, "answer-sort_code")
    assert f'href="{section_url(match_claim, "payee")}#id_sort_code"' in html
    assert 'id="problems"' not in html

    response = head_client.post(check, {})
    assert_error_beside(response, "id_declaration", "Confirm that the information is correct")

    response = head_client.post(check, {"declaration": "on"})
    assert response.status_code == 302 and response.url == claim_url(match_claim)
    match_claim.refresh_from_db()
    assert match_claim.state == ClaimState.SUBMITTED
    assert match_claim.claimed_pence == 150_000

    html = text(head_client.get(claim_url(match_claim)))
    assert "Claim submitted" in by_id(html, "main-content")
    assert 'class="govuk-panel govuk-panel--confirmation"' in html
    assert by_id(html, "claim-reference") == match_claim.reference
    # The confirmation is shown once; after that the page is the claim's summary.
    html = text(head_client.get(claim_url(match_claim)))
    assert "govuk-panel" not in html
    assert "Submitted" in by_id(html, "claim-status")


def test_the_expected_award_is_capped_by_what_remains_of_2000_pounds(
    head_client, match_claim, dwg_school
):
    MatchAllowance.objects.create(school=dwg_school, awarded_pence=190_000)
    head_client.post(section_url(match_claim, "purchase"), purchase(match_claim))

    html = text(head_client.get(reverse("funding:check", args=[match_claim.pk])))

    expected = by_id(html, "expected-award")
    assert expected.startswith("Expected award £100.00")
    assert "Half of the £3,000.00 the school spent would be £1,500.00" in expected
    assert "the school has £100.00 of its £2,000.00 left" in expected


def test_the_grant_is_claimed_from_start_to_submission(head_client, dwg_school):
    claim = Claim.objects.get(
        pk=head_client.post(reverse("funding:start", args=["grant"])).url.split("/")[-2]
    )
    head_client.post(section_url(claim, "conditions"), {"conditions_accepted": "on"})
    head_client.post(section_url(claim, "payee"), PAYEE)
    html = text(head_client.get(claim_url(claim)))
    assert task_status(html, "check") == "Ready to submit"

    html = text(head_client.get(reverse("funding:check", args=[claim.pk])))
    assert "£1,000.00, the Development grant" in by_id(html, "expected-award")
    head_client.post(reverse("funding:check", args=[claim.pk]), {"declaration": "on"})

    claim.refresh_from_db()
    assert claim.state == ClaimState.SUBMITTED and claim.claimed_pence == 100_000


def test_a_draft_cannot_be_submitted_after_the_deadline(head_client, match_claim, dwg_school, head):
    claim = ready_claim(dwg_school, head)
    ClaimWindowFactory._meta.model.objects.update(closes=date(2026, 11, 1))

    html = text(head_client.get(reverse("funding:check", args=[claim.pk])))
    assert "The deadline for 2026/27 claims was 1 November 2026" in by_id(html, "deadline-passed")
    assert "Submit claim" not in html

    response = head_client.post(reverse("funding:check", args=[claim.pk]), {"declaration": "on"})
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.state == ClaimState.DRAFT


# ---------------------------------------------------------------------------
# A claim the hub returned


@pytest.fixture
def returned_claim(dwg_school, head, lead):
    claim = services.claim_submit(actor=head, claim=ready_claim(dwg_school, head))
    return services.claim_return(
        actor=lead,
        claim=claim,
        reason="The sort code is not the one on the school's bank letter",
        fields=["sort_code", "evidence"],
    )


def test_a_returned_claim_shows_the_hubs_reason_at_the_top_and_beside_the_field(
    head_client, returned_claim
):
    html = text(head_client.get(claim_url(returned_claim)))
    assert "returned this claim for changes" in by_id(html, "return-reason")
    assert "The sort code is not the one on the school's bank letter" in html
    assert task_status(html, "payee") == "Changes needed"
    assert task_status(html, "evidence") == "Changes needed"
    assert task_status(html, "purchase") == "Completed"

    html = text(head_client.get(section_url(returned_claim, "payee")))
    beside = by_id(html, "id_sort_code-returned")
    assert "The sort code is not the one on the school's bank letter" in beside
    assert 'aria-describedby="id_sort_code-hint id_sort_code-returned"' in html
    assert 'id="id_account_number-returned"' not in html
    html = text(head_client.get(section_url(returned_claim, "evidence")))
    assert "bank letter" in by_id(html, "id_file-returned")


def test_a_returned_claim_is_corrected_and_submitted_again(head_client, returned_claim, head):
    head_client.post(section_url(returned_claim, "payee"), {**PAYEE, "sort_code": "401234"})
    head_client.post(section_url(returned_claim, "evidence"), {"file": pdf_upload("letter.pdf")})

    returned_claim.refresh_from_db()
    assert fields_changed_since_return(returned_claim) >= {"sort_code", "evidence"}
    html = text(head_client.get(claim_url(returned_claim)))
    assert task_status(html, "payee") == "Completed"
    assert task_status(html, "evidence") == "Completed"

    response = head_client.post(
        reverse("funding:check", args=[returned_claim.pk]), {"declaration": "on"}
    )
    assert response.status_code == 302
    returned_claim.refresh_from_db()
    assert returned_claim.state == ClaimState.SUBMITTED
    assert returned_claim.sort_code == "401234"


def test_the_returned_status_only_clears_for_the_fields_changed(returned_claim, head):
    services.claim_save(actor=head, claim=returned_claim, supplier="Mastery Books (UK) Ltd")
    returned_claim.refresh_from_db()

    assert fields_changed_since_return(returned_claim) == {"supplier"}
    statuses = {t.key: t.status for t in claim_tasks(returned_claim)}
    assert statuses == {
        "purchase": "Completed",
        "evidence": "Changes needed",
        "payee": "Changes needed",
    }


# ---------------------------------------------------------------------------
# A claim that has gone to the hub


def test_a_submitted_claim_is_a_read_only_summary(head_client, dwg_school, head):
    claim = services.claim_submit(actor=head, claim=ready_claim(dwg_school, head))

    html = text(head_client.get(claim_url(claim)))

    assert "Submitted" in by_id(html, "claim-status")
    assert "£1,500.00" in by_id(html, "claim-status")
    assert "Amount spent £3,000.00" in by_id(html, "answer-spend_pence")
    assert "invoice.pdf (opens in new tab)" in by_id(html, "evidence-files")
    assert 'id="tasks"' not in html
    assert "Change" not in plain(by_id(html, "answers"))
    assert "Remove" not in html


def test_a_submitted_claim_cannot_be_changed_through_its_sections(head_client, dwg_school, head):
    claim = services.claim_submit(actor=head, claim=ready_claim(dwg_school, head))
    evidence = claim.evidence.get()

    response = head_client.post(
        section_url(claim, "payee"), {**PAYEE, "payee_name": "Someone else"}, follow=True
    )
    assert response.redirect_chain == [(claim_url(claim), 302)]
    assert "is submitted and can no longer be changed" in text(response)
    response = head_client.get(reverse("funding:check", args=[claim.pk]))
    assert response.status_code == 302 and response.url == claim_url(claim)
    response = head_client.post(
        reverse("funding:evidence_remove", args=[claim.pk, evidence.pk]), follow=True
    )
    assert "its evidence is fixed" in text(response)
    claim.refresh_from_db()
    assert claim.payee_name != "Someone else" and claim.evidence.exists()


def test_a_paid_claim_shows_its_award_and_paid_date(head_client, dwg_school, head, lead):
    claim = services.claim_submit(actor=head, claim=ready_claim(dwg_school, head))
    services.claim_approve(
        actor=lead, claim=claim, award_pence=100_000, reason="One line was for exercise books"
    )
    batch = services.batch_create(
        actor=lead, hub=claim.hub, year=claim.year, claims=[Claim.objects.get(pk=claim.pk)]
    )
    services.batch_mark_paid(actor=lead, batch=batch)

    status = by_id(text(head_client.get(claim_url(claim))), "claim-status")

    assert "Paid" in status
    assert "Award £1,000.00" in status
    assert "One line was for exercise books" in status
    assert "Paid 23 November 2026" in status


def test_a_rejected_claim_shows_the_reason(head_client, dwg_school, head, lead):
    claim = services.claim_submit(actor=head, claim=ready_claim(dwg_school, head, kind="grant"))
    services.claim_reject(actor=lead, claim=claim, reason="The account is the trust's")

    html = text(head_client.get(claim_url(claim)))

    status = by_id(html, "claim-status")
    assert "Rejected" in status and "The account is the trust's" in status
    # The school may claim the grant again after a rejection.
    overview = text(head_client.get(reverse("funding:school")))
    assert "The hub rejected an earlier grant claim" in by_id(overview, "grant-status")
    assert "Claim the £1,000 grant" in overview


# ---------------------------------------------------------------------------
# Who may see what


def test_another_schools_claim_is_not_found(client, dwg_school, head, grant_claim, hub):
    other = SchoolFactory(hub=hub)
    client.force_login(HeadteacherFactory(school=other).user)
    evidence_claim = services.claim_start(actor=head, school=dwg_school, kind="match")
    evidence = services.evidence_add(actor=head, claim=evidence_claim, upload=pdf_upload())

    assert client.get(claim_url(grant_claim)).status_code == 404
    assert client.get(section_url(grant_claim, "payee")).status_code == 404
    assert client.post(section_url(grant_claim, "payee"), PAYEE).status_code == 404
    assert client.get(reverse("funding:check", args=[grant_claim.pk])).status_code == 404
    remove = reverse("funding:evidence_remove", args=[evidence_claim.pk, evidence.pk])
    assert client.post(remove).status_code == 404
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    grant_claim.refresh_from_db()
    assert grant_claim.payee_name == ""


@pytest.mark.parametrize("role", ["hub_lead", "specialist", "national_admin"])
def test_other_roles_may_not_use_the_headteachers_pages(client, hub, grant_claim, role):
    membership = {
        "hub_lead": lambda: HubLeadFactory(hub=hub),
        "specialist": lambda: SpecialistFactory(hub=hub),
        "national_admin": NationalAdminFactory,
    }[role]()
    client.force_login(membership.user)

    assert client.get(reverse("funding:school")).status_code == 403
    assert client.post(reverse("funding:start", args=["grant"])).status_code == 403
    assert client.get(claim_url(grant_claim)).status_code == 403
    assert client.get(section_url(grant_claim, "payee")).status_code == 403
    assert client.get(reverse("funding:check", args=[grant_claim.pk])).status_code == 403


def test_anonymous_people_are_sent_to_sign_in(client, grant_claim):
    for url in (
        reverse("funding:school"),
        claim_url(grant_claim),
        section_url(grant_claim, "payee"),
        reverse("funding:check", args=[grant_claim.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
