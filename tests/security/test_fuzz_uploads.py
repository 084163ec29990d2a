"""Fuzzing the portal's uploads: the hub's participation history CSV and the school's
proof of purchase. A file is refused whole with the reason shown, or reported row by
row; proof of purchase is kept file by file, each refusal named on the page."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from tests.factories import PDF_BYTES
from tests.security import fuzz_strategies
from tests.security.fuzz_strategies import (
    FEW,
    FUZZ,
    nasty_number,
    nasty_text,
    send,
    short_text,
)

# The portal the properties post to, shared by the fuzzing modules.
world = fuzz_strategies.world
portal = fuzz_strategies.portal
as_role = fuzz_strategies.as_role
HEADER = ["URN", "stage", "year", "outcome"]
FORMULAS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", '=HYPERLINK("x")', "\t=1"]
cells = st.one_of(
    st.sampled_from(
        [
            "dwg",
            "Development Work Group",
            "mrl",
            "2024/25",
            "2024-25",
            "²⁰²⁴/25",
            "completed",
            "did not complete",
            "withdrawn",
            *FORMULAS,
        ]
    ),
    nasty_number,
    nasty_text,
)


def _csv(rows: list[list[str]], header=HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


encodings = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1", "utf-32"])


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


def _upload(client, portal, content: bytes, name: str = "history.csv", content_type="text/csv"):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return send(client, "POST", reverse("applications:participation_upload"), {"file": upload})


def _judge_csv(answer) -> None:
    """Refused whole (error beside the file, nothing written), or a row-by-row report in
    which the rows imported are exactly the participation rows written."""
    assert answer.status == 200, f"status {answer.status}"
    html = answer.html
    if "govuk-error-summary" in html or "govuk-error-message" in html:
        assert not answer.changed, f"a refused file changed {', '.join(answer.changed)}"
        return
    # A report: every row is listed as imported or rejected with its reason.
    assert "Row" in html or "row" in html, "no row-by-row report"
    added = answer.added("workgroups.participation")
    if added:
        assert "workgroups.historicalparticipation" in answer.changed


@FUZZ
@example(rows=[["²²²²²²", "dwg", "²⁰²⁴/25", "completed"]], encoding="utf-8", real_urn=False)
@given(
    rows=st.lists(st.lists(cells, min_size=0, max_size=6), min_size=1, max_size=6),
    encoding=encodings,
    real_urn=st.booleans(),
)
def test_participation_csv_is_refused_whole_or_reported_row_by_row(
    as_role, portal, rows, encoding, real_urn
):
    client = as_role("hub_lead")
    if real_urn:
        rows = [[str(portal.own.school.urn), *row[1:]] if row else row for row in rows]
    answer = _upload(client, portal, _encode(_csv(rows), encoding))
    _judge_csv(answer)


@FUZZ
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.sampled_from(
            [
                b"",
                b"   \r\n",
                b"\x00\x00\x00",
                PDF_BYTES,
                b"PK\x03\x04rest-of-a-spreadsheet",
                b"\xff\xfe" + "URN,stage\n".encode("utf-16-le"),
                b"URN;stage;year;outcome\n100001;dwg;2024/25;completed\n",
                b'"unterminated,quote\n',
                b"URN,URN,URN\n1,2,3\n",
            ]
        ),
    ),
    name=st.one_of(st.sampled_from(["history.csv", "history.xlsx", "", "a" * 300]), short_text),
    content_type=st.sampled_from(["text/csv", "application/pdf", "application/octet-stream"]),
)
def test_random_bytes_as_a_csv_are_refused_or_reported(
    as_role, portal, content, name, content_type
):
    client = as_role("hub_lead")
    answer = _upload(client, portal, content, name=name or "x", content_type=content_type)
    _judge_csv(answer)


@FEW
@given(
    width=st.integers(1, 400),
    cell=st.sampled_from(["x" * 5000, "=1+1", "é" * 2000, '"quoted, comma"']),
    count=st.integers(1, 40),
)
def test_huge_rows_are_refused_or_reported(as_role, portal, width, cell, count):
    client = as_role("hub_lead")
    rows = [[cell] * width for _ in range(count)]
    answer = _upload(client, portal, _csv(rows).encode())
    _judge_csv(answer)


# ---------------------------------------------------------------------------
# Proof of purchase

_uploads = iter(range(1, 10**9))


def _distinct_pdf() -> bytes:
    # A PDF of its own each time: one file cannot back two claims.
    return PDF_BYTES + f"%% fuzz {next(_uploads)}\n".encode()


files = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"", b"%PDF", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"<html>"]),
    st.just(None),  # a real PDF, made fresh
)
names = st.one_of(
    st.sampled_from(
        [
            "invoice.pdf",
            "../../../etc/passwd.pdf",
            "invoice.pdf.exe",
            ".pdf",
            "in\u202evoice.pdf",
            "<script>.pdf",
            "a" * 250 + ".pdf",
            "𝔘𝔫𝔦.pdf",
        ]
    ),
    short_text.map(lambda text: f"{text}.pdf"),
)
types = st.sampled_from(["application/pdf", "image/png", "text/html", "application/x-msdownload"])


@FUZZ
@given(
    chosen=st.lists(st.tuples(files, names, types), min_size=0, max_size=3),
    extra=st.one_of(st.just({}), st.fixed_dictionaries({"file": nasty_text})),
)
def test_evidence_upload_keeps_each_file_whole_or_names_its_refusal(as_role, portal, chosen, extra):
    client = as_role("headteacher")
    claim = portal.own.draft_claim
    uploads = [
        SimpleUploadedFile(name, _distinct_pdf() if content is None else content, content_type=kind)
        for content, name, kind in chosen
    ]
    data = {**extra}
    if uploads:
        data["file"] = uploads
    path = reverse("funding:section", args=[claim.pk, "evidence"])
    answer = send(client, "POST", path, data)
    assert answer.status in (200, 302), f"status {answer.status}"
    added = answer.added("funding.evidence")
    if added:
        # Each file kept has its history, and every one was a real PDF, PNG or JPEG.
        assert "funding.historicalevidence" in answer.changed
        assert len(added) <= sum(1 for content, _, _ in chosen if content is None or content)
    if answer.status == 200:
        # Something was refused: the page names it.
        assert answer.shows_error, "a refused file without an error shown"
        refused = len(chosen) - len(added)
        assert refused > 0 or not chosen
    else:
        # Every file chosen was kept.
        assert len(added) == len(chosen)
        assert set(answer.changed) <= {"funding.evidence", "funding.historicalevidence"}
