"""Proof of purchase is served privately: to the school's headteacher, its hub's
leads and national admins, inline, with headers that stop the browser guessing
its type or keeping a copy; to anyone else it does not exist."""

import pytest
from django.urls import reverse

from funding import services
from funding.views.evidence import safe_filename
from tests.factories import (
    PDF_BYTES,
    HeadteacherFactory,
    NationalAdminFactory,
    SchoolFactory,
    SpecialistFactory,
    pdf_upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def evidence(dwg_school, head):
    claim = services.claim_start(actor=head, school=dwg_school, kind="match")
    return services.evidence_add(actor=head, claim=claim, upload=pdf_upload("Invoice 42.pdf"))


def url(evidence):
    return reverse("funding:evidence", args=[evidence.pk])


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_schools_headteacher_gets_the_file_inline_with_private_headers(client, head, evidence):
    client.force_login(head)

    response = client.get(url(evidence))

    assert response.status_code == 200
    assert content(response) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="Invoice 42.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Length"] == str(len(PDF_BYTES))


def test_the_hubs_lead_and_a_national_admin_get_the_file(client, lead, evidence):
    client.force_login(lead)
    response = client.get(url(evidence))
    assert response.status_code == 200
    assert content(response) == PDF_BYTES

    client.force_login(NationalAdminFactory().user)
    assert client.get(url(evidence)).status_code == 200


def test_another_schools_headteacher_is_told_it_does_not_exist(client, hub, evidence):
    client.force_login(HeadteacherFactory(school=SchoolFactory(hub=hub)).user)

    assert client.get(url(evidence)).status_code == 404


def test_another_hubs_lead_is_told_it_does_not_exist(client, other_hub_lead, evidence):
    client.force_login(other_hub_lead)

    assert client.get(url(evidence)).status_code == 404


def test_a_specialist_of_the_same_hub_is_told_it_does_not_exist(client, hub, evidence):
    client.force_login(SpecialistFactory(hub=hub).user)

    assert client.get(url(evidence)).status_code == 404


def test_anonymous_people_are_sent_to_sign_in(client, evidence):
    response = client.get(url(evidence))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_the_file_is_only_read_never_changed_through_this_address(client, head, evidence):
    client.force_login(head)

    assert client.post(url(evidence)).status_code == 405
    assert client.head(url(evidence)).status_code == 200


def test_a_file_missing_from_storage_is_not_found_rather_than_an_error(client, head, evidence):
    evidence.file.storage.delete(evidence.file.name)
    client.force_login(head)

    assert client.get(url(evidence)).status_code == 404


def test_a_name_with_quotes_or_a_misleading_extension_is_made_safe(client, head, dwg_school):
    claim = services.claim_start(actor=head, school=dwg_school, kind="match")
    evidence = services.evidence_add(
        actor=head, claim=claim, upload=pdf_upload('a "quoted"; name.exe')
    )
    client.force_login(head)

    response = client.get(url(evidence))

    assert response["Content-Disposition"] == 'inline; filename="a _quoted__ name.exe.pdf"'


@pytest.mark.parametrize(
    ("original", "content_type", "served"),
    [
        ("invoice.PDF", "application/pdf", "invoice.PDF"),
        ("scan.jpeg", "image/jpeg", "scan.jpeg"),
        ("photo", "image/png", "photo.png"),
        ("..\\..\\boot.ini", "application/pdf", "boot.ini.pdf"),
        ("line\r\nbreak.pdf", "application/pdf", "line__break.pdf"),
        ("", "application/pdf", "evidence.pdf"),
        ("Rechnung für Bücher.pdf", "application/pdf", "Rechnung für Bücher.pdf"),
    ],
)
def test_safe_filenames(original, content_type, served):
    assert safe_filename(original, content_type) == served


def test_a_name_that_is_not_ascii_is_sent_encoded(client, head, dwg_school):
    claim = services.claim_start(actor=head, school=dwg_school, kind="match")
    evidence = services.evidence_add(
        actor=head, claim=claim, upload=pdf_upload("Rechnung für Bücher.pdf")
    )
    client.force_login(head)

    response = client.get(url(evidence))

    assert response["Content-Disposition"] == (
        "inline; filename*=utf-8''Rechnung%20f%C3%BCr%20B%C3%BCcher.pdf"
    )
