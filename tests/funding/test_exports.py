"""A payment batch as CSV and XLSX for the lead school's finance team: the columns,
amounts exact to the penny, text that a spreadsheet would run as a formula made
harmless, and the batch of another hub not found."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from funding import exports, services
from tests.factories import ClaimWindowFactory, ready_claim, year

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HEADER = [
    "Batch",
    "Claim reference",
    "School",
    "URN",
    "Kind",
    "Payee name",
    "Sort code",
    "Account number",
    "Finance email",
    "Amount (£)",
]


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(NOW)


def approved(school, head, lead, **kwargs):
    claim = services.claim_submit(actor=head, claim=ready_claim(school, head, **kwargs))
    return services.claim_approve(actor=lead, claim=claim)


@pytest.fixture
def batch(dwg_school, head, lead):
    """Three claims of one school: the grant, £1,999.99 and a single penny of match funding,
    one payee name that would be a formula."""
    claims = [
        approved(dwg_school, head, lead, kind="grant", payee_name='=HYPERLINK("http://x")'),
        approved(dwg_school, head, lead, spend_pence=399_998),  # half: £1,999.99
        approved(dwg_school, head, lead, spend_pence=3),  # half of 3p, rounded down: 1p
    ]
    return services.batch_create(actor=lead, hub=dwg_school.hub, year=year(2026), claims=claims)


def export(client, batch, fmt):
    return client.get(reverse("funding:batch_export", args=[batch.pk, fmt]))


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_csv_has_the_batch_with_exact_amounts(client, lead, batch, dwg_school):
    client.force_login(lead)
    response = export(client, batch, "csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ABN-PAY-2627-001.csv"'
    header, *rows = csv_rows(response)
    assert header == HEADER
    claims = list(batch.claims.order_by("pk"))
    assert rows == [
        [
            "ABN-PAY-2627-001",
            claim.reference,
            dwg_school.name,
            str(dwg_school.urn),
            kind,
            payee,
            "309430",
            "12345678",
            "finance@school.example",
            amount,
        ]
        for claim, kind, payee, amount in zip(
            claims,
            ["Development grant", "Textbook match funding", "Textbook match funding"],
            ['\'=HYPERLINK("http://x")', *[f"{dwg_school.name} main account"] * 2],
            ["1000.00", "1999.99", "0.01"],
            strict=True,
        )
    ]


def test_xlsx_has_the_same_rows_with_amounts_as_numbers(client, lead, batch, dwg_school):
    client.force_login(lead)
    response = export(client, batch, "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="ABN-PAY-2627-001.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook["ABN-PAY-2627-001"]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == HEADER
    assert [row[1] for row in rows] == [c.reference for c in batch.claims.order_by("pk")]
    assert all(row[3] == dwg_school.urn for row in rows)
    assert [Decimal(str(row[9])).quantize(Decimal("0.01")) for row in rows] == [
        Decimal("1000.00"),
        Decimal("1999.99"),
        Decimal("0.01"),
    ]
    assert rows[0][5] == '\'=HYPERLINK("http://x")'
    amount = next(sheet.iter_rows(min_row=2, max_row=2, min_col=10, max_col=10))[0]
    assert amount.data_type == "n" and amount.number_format == exports.POUNDS_FORMAT
    payee = next(sheet.iter_rows(min_row=2, max_row=2, min_col=6, max_col=6))[0]
    assert payee.data_type == "s"  # text, never a formula


@pytest.mark.parametrize(
    "dangerous", ["=1+2", "+44 161 000", "-2+3", "@SUM(A1)", "\tcmd", "\r=cmd"]
)
def test_every_formula_start_is_neutralised_in_both_formats(
    client, lead, dwg_school, head, dangerous
):
    dwg_school.name = f"{dangerous} Primary"
    dwg_school.save()
    claim = approved(dwg_school, head, lead, kind="grant", payee_name=dangerous)
    batch = services.batch_create(actor=lead, hub=dwg_school.hub, year=year(2026), claims=[claim])
    client.force_login(lead)
    _, row = csv_rows(export(client, batch, "csv"))
    assert row[2] == f"'{dangerous} Primary"
    assert row[5] == f"'{dangerous}"
    sheet = load_workbook(io.BytesIO(export(client, batch, "xlsx").content)).active
    cells = list(sheet.iter_rows(min_row=2, values_only=True))[0]
    # XML reads a carriage return back as a line feed; the apostrophe is what matters.
    kept = dangerous.replace("\r", "\n")
    assert cells[2] == f"'{kept} Primary"
    assert cells[5] == f"'{kept}"


def test_neutralise_leaves_safe_values_alone():
    assert exports.neutralise("Oak Primary") == "Oak Primary"
    assert exports.neutralise("O'Neill = treasurer") == "O'Neill = treasurer"
    assert exports.neutralise(-5) == -5
    assert exports.neutralise(Decimal("-1.00")) == Decimal("-1.00")
    assert exports.neutralise(None) is None
    assert exports.neutralise("") == ""


def test_another_hubs_batch_is_not_found(client, batch, other_hub, other_hub_lead):
    ClaimWindowFactory(hub=other_hub)
    client.force_login(other_hub_lead)
    assert export(client, batch, "csv").status_code == 404
    assert export(client, batch, "xlsx").status_code == 404


@pytest.mark.parametrize("fmt", ["pdf", "xls", "CSV", "json"])
def test_an_unknown_format_is_not_found(client, lead, batch, fmt):
    client.force_login(lead)
    assert export(client, batch, fmt).status_code == 404


def test_the_export_costs_the_same_queries_for_one_claim_or_many(
    client, lead, dwg_school, head, django_assert_num_queries
):
    client.force_login(lead)
    small = services.batch_create(
        actor=lead,
        hub=dwg_school.hub,
        year=year(2026),
        claims=[approved(dwg_school, head, lead, kind="grant")],
    )
    large = services.batch_create(
        actor=lead,
        hub=dwg_school.hub,
        year=year(2026),
        claims=[approved(dwg_school, head, lead, spend_pence=2_000) for _ in range(6)],
    )
    export(client, small, "csv")  # the academic year and session are made once
    with CaptureQueriesContext(connection) as one:
        b"".join(export(client, small, "csv").streaming_content)
    with django_assert_num_queries(len(one)):
        rows = csv_rows(export(client, large, "csv"))
    assert len(rows) == 7
