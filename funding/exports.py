"""Spreadsheets for the lead school's finance team: columns named once, rows built
once, written as CSV (streamed) or XLSX (openpyxl's write-only workbook).

A later export (every claim, every payment) defines its own list of ``Column`` and
calls the same ``csv_response`` / ``xlsx_response``. Amounts are exact two-place
``Decimal`` pounds from whole pence, never floats. Any text that a spreadsheet would
read as a formula gets a leading apostrophe (OWASP's advice on CSV injection): a
school's name or a payee's name is typed by a person and must stay text."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from tempfile import SpooledTemporaryFile
from typing import Any

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from funding.money import pence_as_decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POUNDS_FORMAT = "#,##0.00"


def neutralise(value: Any) -> Any:
    """A text cell that starts like a formula, with a leading apostrophe; any other
    value as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]


def header(columns: Iterable[Column]) -> list[str]:
    return [column.header for column in columns]


def rows(columns: list[Column], objects: Iterable[Any]) -> Iterator[list[Any]]:
    """One list of safe cell values per object."""
    for obj in objects:
        yield [neutralise(column.value(obj)) for column in columns]


def _pounds(pence: int | None) -> Decimal | None:
    return None if pence is None else pence_as_decimal(pence)


# ---------------------------------------------------------------------------
# A payment batch, for the finance team

BATCH_COLUMNS: list[Column] = [
    Column("Batch", lambda claim: claim.batch.reference),
    Column("Claim reference", lambda claim: claim.reference),
    Column("School", lambda claim: claim.school.name),
    Column("URN", lambda claim: claim.school.urn),
    Column("Kind", lambda claim: claim.get_kind_display()),
    Column("Payee name", lambda claim: claim.payee_name),
    Column("Sort code", lambda claim: claim.sort_code),
    Column("Account number", lambda claim: claim.account_number),
    Column("Finance email", lambda claim: claim.finance_email),
    Column("Amount (£)", lambda claim: _pounds(claim.award_pence)),
]


# ---------------------------------------------------------------------------
# Writers


class _Echo:
    """A file-like object whose write returns what it is given, so that csv.writer
    produces one line at a time for a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: list[Column], objects: Iterable[Any]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The byte-order mark makes Excel read the file as UTF-8 (school names have accents).
    yield "\ufeff" + writer.writerow(header(columns))
    for row in rows(columns, objects):
        yield writer.writerow(["" if value is None else value for value in row])


def _workbook(columns: list[Column], objects: Iterable[Any], *, title: str) -> Workbook:
    """A write-only workbook of one sheet: each row is written as it comes."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(header(columns))
    for row in rows(columns, objects):
        cells = []
        for value in row:
            if isinstance(value, Decimal):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = POUNDS_FORMAT
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    return workbook


def xlsx_bytes(columns: list[Column], objects: Iterable[Any], *, title: str) -> bytes:
    workbook = _workbook(columns, objects, title=title)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # bank details: never kept by a shared cache
    return response


def csv_response(filename: str, columns: list[Column], objects: Iterable[Any]):
    """Streamed: rows are written as the queryset's iterator yields them."""
    response = StreamingHttpResponse(
        csv_lines(columns, objects), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, filename)


def xlsx_response(filename: str, columns: list[Column], objects: Iterable[Any], *, title: str):
    response = HttpResponse(xlsx_bytes(columns, objects, title=title), content_type=XLSX_TYPE)
    return _attachment(response, filename)


# ---------------------------------------------------------------------------
# Large exports: the workbook never held in memory whole

XLSX_SPOOL_BYTES = 1024 * 1024
"""Up to 1 MB the workbook stays in memory; beyond it, in a temporary file."""

XLSX_CHUNK_BYTES = 64 * 1024


def xlsx_file(columns: list[Column], objects: Iterable[Any], *, title: str):
    """The same workbook as ``xlsx_bytes`` written to a ``SpooledTemporaryFile``,
    rewound: openpyxl's write-only sheet writes each row as it comes, and the saved
    file spills to disk, so neither the rows nor the file are held in memory whole."""
    workbook = _workbook(columns, objects, title=title)
    spooled = SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES)  # noqa: SIM115 (closed by the response)
    workbook.save(spooled)
    spooled.seek(0)
    return spooled


def xlsx_file_response(filename: str, columns: list[Column], objects: Iterable[Any], *, title: str):
    """The workbook streamed from its temporary file in chunks (a ``FileResponse``,
    which closes the file when the download ends)."""
    response = FileResponse(xlsx_file(columns, objects, title=title), content_type=XLSX_TYPE)
    response.block_size = XLSX_CHUNK_BYTES
    return _attachment(response, filename)
