"""Duplicate claims are refused: one invoice number (whatever its case and spacing)
or one evidence file cannot back two live claims of a school. A draft counts once the
invoice number or file is on it; a rejected claim frees them. Refusals name the claim
that already has them and sit beside the field; races leave exactly one claim."""

import html as html_lib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from funding import assurance, services
from funding.models import Claim, ClaimState, Evidence
from tests.concurrency import race
from tests.factories import (
    AcceptedApplicationFactory,
    ClaimWindowFactory,
    HeadteacherFactory,
    HubLeadFactory,
    ParticipationFactory,
    SchoolFactory,
    distinct_pdf_bytes,
    pdf_upload,
    ready_claim,
)
from workgroups.services.applications import InvalidTransition

pytestmark = pytest.mark.django_db


def messages_of(error: ValidationError, field: str) -> list[str]:
    return error.value.message_dict[field]


@pytest.fixture
def first(dwg_school, head):
    """A submitted match claim with invoice 'INV 0042' and its own PDF."""
    claim = ready_claim(dwg_school, head, invoice_number="INV 0042")
    return services.claim_submit(actor=head, claim=claim)


@pytest.fixture
def draft(dwg_school, head):
    return services.claim_start(actor=head, school=dwg_school, kind="match")


# ---------------------------------------------------------------------------
# The invoice number


@pytest.mark.parametrize(
    ("typed", "key"),
    [("INV 0042", "inv0042"), (" inv0042 ", "inv0042"), ("Inv\t00 42", "inv0042"), ("", "")],
)
def test_invoice_numbers_are_compared_without_case_or_spaces(typed, key):
    assert assurance.invoice_key(typed) == key


@pytest.mark.parametrize("typed", ["INV 0042", "inv0042", "  Inv 00 42 "])
def test_an_invoice_already_on_a_live_claim_is_refused_on_save_beside_the_field(
    first, draft, head, typed
):
    with pytest.raises(ValidationError) as error:
        services.claim_save(actor=head, claim=draft, invoice_number=typed)

    assert messages_of(error, "invoice_number") == [
        f"This invoice is already on claim {first.reference} (submitted)"
    ]
    draft.refresh_from_db()
    assert draft.invoice_number == "" and draft.invoice_key == ""


def test_a_draft_counts_once_the_invoice_number_is_on_it(dwg_school, head, draft):
    services.claim_save(actor=head, claim=draft, invoice_number="A-1")
    second = services.claim_start(actor=head, school=dwg_school, kind="match")

    with pytest.raises(ValidationError) as error:
        services.claim_save(actor=head, claim=second, invoice_number="a-1")

    assert messages_of(error, "invoice_number") == [
        f"This invoice is already on claim {draft.reference} (draft)"
    ]


def test_saving_other_answers_keeps_the_claims_own_invoice(draft, head):
    services.claim_save(actor=head, claim=draft, invoice_number="A-1")
    saved = services.claim_save(actor=head, claim=draft, supplier="Mastery Books Ltd")
    assert saved.invoice_key == "a-1"


def test_a_rejected_claim_frees_its_invoice(first, draft, head, lead):
    services.claim_reject(actor=lead, claim=first, reason="Not an approved scheme")

    saved = services.claim_save(actor=head, claim=draft, invoice_number="inv0042")

    assert saved.invoice_key == "inv0042"


def test_another_school_may_have_an_invoice_with_the_same_number(first, hub):
    school = SchoolFactory(hub=hub)
    AcceptedApplicationFactory(school=school)
    other_head = HeadteacherFactory(school=school).user

    claim = ready_claim(school, other_head, invoice_number="INV 0042")

    assert services.claim_submit(actor=other_head, claim=claim).state == ClaimState.SUBMITTED


def test_the_database_refuses_a_second_live_claim_with_the_invoice(first, draft):
    draft.invoice_number, draft.invoice_key = "INV0042", "inv0042"
    with pytest.raises(IntegrityError), transaction.atomic():
        draft.save()


def test_when_a_racing_save_won_the_index_refusal_names_the_winner(first, draft, head, monkeypatch):
    """The friendly check can be passed by two requests at once; the unique index
    is what refuses the second, and the refusal reads the same."""

    def key_only(claim):
        claim.invoice_key = assurance.invoice_key(claim.invoice_number)

    monkeypatch.setattr(assurance, "duplicate_invoice_check", key_only)

    with pytest.raises(ValidationError) as error:
        services.claim_save(actor=head, claim=draft, invoice_number="inv 0042")

    assert messages_of(error, "invoice_number") == [
        f"This invoice is already on claim {first.reference} (submitted)"
    ]


def test_the_headteacher_sees_the_refusal_beside_the_invoice_number(client, first, draft, head):
    client.force_login(head)
    scheme = services.schemes_ensure(year=draft.year)[0]

    response = client.post(
        reverse("funding:section", args=[draft.pk, "purchase"]),
        {
            "scheme": str(scheme.pk),
            "supplier": "Mastery Books Ltd",
            "invoice_number": "inv 0042",
            "invoice_date_day": "14",
            "invoice_date_month": "10",
            "invoice_date_year": "2026",
            "spend_pence": "3000.00",
        },
    )

    html = html_lib.unescape(response.content.decode())
    assert response.status_code == 200
    message = f"This invoice is already on claim {first.reference} (submitted)"
    beside = html.split('id="id_invoice_number-error"', 1)[1].split("</p>", 1)[0]
    assert message in beside
    assert 'value="inv 0042"' in html


# ---------------------------------------------------------------------------
# The evidence file


def test_a_file_already_on_a_live_claim_is_refused_and_nothing_is_stored(first, draft, head):
    same = first.evidence.get()
    content = same.file.open("rb").read()

    with pytest.raises(ValidationError) as error:
        services.evidence_add(
            actor=head, claim=draft, upload=pdf_upload("scan.pdf", content=content)
        )

    assert messages_of(error, "evidence") == [
        f"scan.pdf is already on claim {first.reference} (submitted)"
    ]
    assert not Evidence.objects.filter(claim=draft).exists()


def test_the_same_file_may_go_on_after_the_claim_with_it_is_rejected(first, draft, head, lead):
    content = first.evidence.get().file.open("rb").read()
    services.claim_reject(actor=lead, claim=first, reason="Wrong scheme")

    evidence = services.evidence_add(
        actor=head, claim=draft, upload=pdf_upload("scan.pdf", content=content)
    )

    assert evidence.claim_id == draft.pk


def test_another_school_may_upload_the_same_file(first, hub):
    school = SchoolFactory(hub=hub)
    AcceptedApplicationFactory(school=school)
    other_head = HeadteacherFactory(school=school).user
    claim = services.claim_start(actor=other_head, school=school, kind="match")
    content = first.evidence.get().file.open("rb").read()

    evidence = services.evidence_add(
        actor=other_head, claim=claim, upload=pdf_upload(content=content)
    )

    assert evidence.claim.school == school


def test_submitting_a_claim_whose_file_is_on_another_live_claim_is_refused(dwg_school, head, first):
    """A file added before the rule existed is caught when the claim is sent."""
    claim = ready_claim(dwg_school, head)
    Evidence.objects.filter(claim=claim).update(sha256=first.evidence.get().sha256)

    with pytest.raises(ValidationError) as error:
        services.claim_submit(actor=head, claim=claim)

    assert messages_of(error, "evidence") == [
        f"invoice.pdf is already on claim {first.reference} (submitted)"
    ]
    assert Claim.objects.get(pk=claim.pk).state == ClaimState.DRAFT


def test_grant_claims_have_no_invoice_and_are_not_refused(dwg_school, head):
    claim = ready_claim(dwg_school, head, kind="grant")
    assert claim.invoice_key == ""
    assert services.claim_submit(actor=head, claim=claim).state == ClaimState.SUBMITTED


def test_a_submitted_claim_still_cannot_change(first, head):
    with pytest.raises(InvalidTransition):
        services.claim_save(actor=head, claim=first, invoice_number="NEW-1")


# ---------------------------------------------------------------------------
# Under races, on PostgreSQL


def _school_with_head(hub):
    ClaimWindowFactory(hub=hub)
    school = SchoolFactory(hub=hub)
    ParticipationFactory(school=school)
    HubLeadFactory(hub=hub)
    return school, HeadteacherFactory(school=school).user


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_claims_racing_to_take_one_invoice_leave_exactly_one_with_it(hub):
    school, head = _school_with_head(hub)
    drafts = [services.claim_start(actor=head, school=school, kind="match") for _ in range(6)]

    def save(claim, typed):
        return lambda: services.claim_save(
            actor=head, claim=Claim.objects.get(pk=claim.pk), invoice_number=typed
        )

    outcomes = race(
        *(save(c, t) for c, t in zip(drafts, ["INV 9", "inv9", " Inv 9 "] * 2, strict=True))
    )

    winners = [o for o in outcomes if isinstance(o, Claim)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(winners) == 1, outcomes
    assert all(
        e.message_dict["invoice_number"]
        == [f"This invoice is already on claim {winners[0].reference} (draft)"]
        for e in refused
    ), refused
    assert Claim.objects.filter(school=school, invoice_key="inv9").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_index_alone_refuses_the_second_of_two_racing_saves(hub, monkeypatch):
    """With the friendly check switched off, the database still keeps one."""
    school, head = _school_with_head(hub)
    drafts = [services.claim_start(actor=head, school=school, kind="match") for _ in range(4)]

    def key_only(claim):
        claim.invoice_key = assurance.invoice_key(claim.invoice_number)

    monkeypatch.setattr(assurance, "duplicate_invoice_check", key_only)

    def save(claim):
        return lambda: services.claim_save(
            actor=head, claim=Claim.objects.get(pk=claim.pk), invoice_number="INV-7"
        )

    outcomes = race(*(save(c) for c in drafts))

    assert sum(isinstance(o, Claim) for o in outcomes) == 1, outcomes
    assert all(isinstance(o, Claim) or "invoice_number" in o.message_dict for o in outcomes), (
        outcomes
    )
    assert Claim.objects.filter(school=school, invoice_key="inv-7").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_file_racing_onto_two_claims_lands_on_exactly_one(hub):
    school, head = _school_with_head(hub)
    drafts = [services.claim_start(actor=head, school=school, kind="match") for _ in range(5)]
    content = distinct_pdf_bytes()

    def add(claim):
        return lambda: services.evidence_add(
            actor=head,
            claim=Claim.objects.get(pk=claim.pk),
            upload=pdf_upload("invoice.pdf", content=content),
        )

    outcomes = race(*(add(c) for c in drafts))

    assert sum(isinstance(o, Evidence) for o in outcomes) == 1, outcomes
    assert all(isinstance(o, Evidence) or "evidence" in o.message_dict for o in outcomes)
    assert Evidence.objects.filter(claim__school=school).count() == 1
