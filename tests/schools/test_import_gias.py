"""manage.py import_gias: the GIAS all-establishments extract into School, by URN."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schools import gias
from schools.gias import REQUIRED
from schools.gias_sample import HEADINGS, sample_rows, write_rows
from schools.models import HubArea, School
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

Row = dict[str, str]
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|COPY|CREATE|DROP|TRUNCATE)\b", re.IGNORECASE)


def extract(
    tmp_path: Path,
    rows: int = 40,
    *,
    seed: int = 1,
    la: Sequence[str | tuple[str, str]] | None = None,
    headings: Sequence[str] = HEADINGS,
    edit: Callable[[list[Row]], object] | None = None,
    name: str = "extract.csv",
) -> tuple[Path, list[Row]]:
    """A generated extract (and its rows, after `edit` has changed them in place)."""
    data = list(sample_rows(rows, seed=seed, la=la))
    if edit:
        edit(data)
    return write_rows(tmp_path / name, iter(data), headings), data


def run_import(path: Path, *options: str) -> tuple[str, CommandError | None]:
    """The command's printed summary, and the error it exited with, if any."""
    out = StringIO()
    try:
        call_command("import_gias", str(path), *options, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def count(summary: str, label: str) -> int:
    match = re.search(rf"^{label}:\s+(\d+)$", summary, re.MULTILINE)
    assert match, f"no {label!r} count in:\n{summary}"
    return int(match.group(1))


def line_of(index: int) -> int:
    """The file line of data row `index` (0-based): the header is line 1."""
    return index + 2


def test_generated_extract_imports_every_row_onto_the_school_fields(tmp_path):
    path, rows = extract(tmp_path, 120)

    summary, error = run_import(path)

    assert error is None
    assert count(summary, "created") == 120
    assert count(summary, "rejected") == 0
    assert School.objects.count() == 120
    row = next(r for r in rows if r["NumberOfPupils"] and r["PercentageFSM"] and r["OpenDate"])
    school = School.objects.get(urn=int(row["URN"]))
    assert school.name == row["EstablishmentName"]
    assert (school.la_code, school.la_name) == (row["LA (code)"], row["LA (name)"])
    assert school.status == row["EstablishmentStatus (name)"]
    assert school.phase == row["PhaseOfEducation (name)"]
    assert school.type_name == row["TypeOfEstablishment (name)"]
    assert school.type_group == row["EstablishmentTypeGroup (name)"]
    assert school.pupils == int(row["NumberOfPupils"])
    assert school.fsm_percent == Decimal(row["PercentageFSM"])
    assert school.statutory_low_age == int(row["StatutoryLowAge"])
    assert school.statutory_high_age == int(row["StatutoryHighAge"])
    day, month, year = map(int, row["OpenDate"].split("-"))
    assert school.open_date == date(year, month, day)
    assert school.postcode == row["Postcode"]
    assert school.head_last_name == row["HeadLastName"]
    assert school.region == row["GOR (name)"]
    assert len(school.gias_digest) == 32


def test_curly_apostrophe_in_windows_1252_survives_into_the_name(tmp_path):
    path, rows = extract(tmp_path, 10)
    curly = [r["EstablishmentName"] for r in rows if "\u2019" in r["EstablishmentName"]]
    assert curly, "the sample gives row 3 a curly apostrophe"
    assert b"\x92" in path.read_bytes()  # Windows-1252's byte for U+2019

    run_import(path)

    assert School.objects.get(name=curly[0]).name == curly[0]


def test_a_utf8_file_with_a_byte_order_mark_also_imports(tmp_path):
    """What Excel writes when someone re-saves the extract as "CSV UTF-8"."""
    path, rows = extract(tmp_path, 10)
    path.write_text(path.read_bytes().decode("cp1252"), encoding="utf-8-sig")

    summary, error = run_import(path)

    assert error is None
    assert count(summary, "created") == 10
    assert School.objects.filter(name__contains="\u2019").exists()


def test_reordered_and_unknown_columns_still_import(tmp_path):
    shuffled = [*reversed(HEADINGS[:70]), "SomethingNew (name)", *HEADINGS[70:]]
    shuffled.remove("UPRN")  # and one that the portal does not read is gone

    def edit(rows):
        for row in rows:
            row["SomethingNew (name)"] = "Not applicable"

    path, rows = extract(tmp_path, 30, headings=shuffled, edit=edit)

    summary, error = run_import(path)

    assert error is None
    assert count(summary, "created") == 30
    for row in rows:
        school = School.objects.get(urn=int(row["URN"]))
        assert (school.name, school.la_code, school.town) == (
            row["EstablishmentName"],
            row["LA (code)"],
            row["Town"],
        )


@pytest.mark.parametrize("required", REQUIRED)
def test_a_file_missing_a_required_column_is_refused_naming_it(tmp_path, required):
    path, _ = extract(tmp_path, 20, headings=[h for h in HEADINGS if h != required])

    summary, error = run_import(path)

    assert error is not None
    assert required in str(error)
    assert "Nothing was written" in str(error)
    assert not School.objects.exists()


def test_a_missing_optional_column_leaves_that_field_as_it_was(tmp_path):
    path, rows = extract(tmp_path, 15)
    run_import(path)
    websites = dict(School.objects.values_list("urn", "website"))
    without, _ = extract(
        tmp_path,
        15,
        headings=[h for h in HEADINGS if h != "SchoolWebsite"],
        edit=lambda rows: rows[0].update({"EstablishmentName": "Renamed Primary School"}),
        name="without-website.csv",
    )

    summary, error = run_import(without)

    assert error is None
    assert "SchoolWebsite" in summary  # said to be missing
    assert dict(School.objects.values_list("urn", "website")) == websites
    assert School.objects.get(urn=int(rows[0]["URN"])).name == "Renamed Primary School"


def _bad_rows(rows: list[Row]) -> None:
    rows[2]["URN"] = "12345"
    rows[4]["URN"] = rows[3]["URN"]
    rows[6]["CloseDate"] = "31-02-2020"
    rows[8]["EstablishmentName"] = "  "
    rows[10]["OpenDate"] = "2020-09-01"
    rows[12]["NumberOfPupils"] = "two hundred"


def test_bad_rows_are_reported_by_line_and_reason_and_the_rest_imported(tmp_path):
    path, rows = extract(tmp_path, 30, edit=_bad_rows)
    # A short row, as a truncated download leaves: fewer fields than the header.
    with path.open("a", encoding="cp1252", newline="") as out:
        out.write('"654321","352","Manchester"\r\n')

    summary, error = run_import(path)

    assert error is not None
    assert error.returncode == 1  # the exit status of manage.py
    assert "7 rows were rejected" in str(error)
    assert count(summary, "rejected") == 7
    expected = [
        (line_of(2), "12345", "bad URN '12345': not a 6-digit number"),
        (line_of(4), rows[3]["URN"], f"duplicate URN: already on line {line_of(3)}"),
        (line_of(6), rows[6]["URN"], "impossible date in CloseDate: '31-02-2020'"),
        (line_of(8), rows[8]["URN"], "blank name"),
        (line_of(10), rows[10]["URN"], "bad date in OpenDate: '2020-09-01' (expected dd-mm-yyyy)"),
        (line_of(12), rows[12]["URN"], "bad number in NumberOfPupils: 'two hundred'"),
        (line_of(30), "654321", "short row: 3 fields, the header has 139"),
    ]
    for line, urn, reason in expected:
        assert f"line {line}, URN {urn}: {reason}" in summary
    assert count(summary, "created") == 30 - 6
    assert School.objects.count() == 30 - 6
    assert School.objects.filter(urn=int(rows[3]["URN"])).get().name == rows[3]["EstablishmentName"]


def test_line_numbers_count_line_breaks_inside_quoted_fields(tmp_path):
    def edit(rows):
        rows[0]["Street"] = "Oak Lane\nWest Wing"
        rows[3]["URN"] = "1"

    path, _ = extract(tmp_path, 6, edit=edit)

    summary, _ = run_import(path)

    assert "line 6, URN 1: bad URN" in summary  # row 3 starts on line 6, not 5
    assert School.objects.get(street="Oak Lane\nWest Wing")


def test_strict_writes_nothing_when_any_row_is_bad(tmp_path):
    path, _ = extract(tmp_path, 30, edit=_bad_rows)

    summary, error = run_import(path, "--strict")

    assert error is not None
    assert "nothing was written" in str(error)
    assert "nothing was written" in summary
    assert not School.objects.exists()


def test_strict_imports_a_clean_file(tmp_path):
    path, _ = extract(tmp_path, 12)

    _, error = run_import(path, "--strict")

    assert error is None
    assert School.objects.count() == 12


def test_dry_run_reports_what_would_be_created_and_writes_nothing(tmp_path):
    path, _ = extract(tmp_path, 20)

    summary, error = run_import(path, "--dry-run")

    assert error is None
    assert "Dry run" in summary
    assert count(summary, "created") == 20
    assert not School.objects.exists()


def test_dry_run_reports_what_would_be_updated_and_changes_nothing(tmp_path):
    path, _ = extract(tmp_path, 20)
    run_import(path)
    before = list(School.objects.order_by("urn").values())
    changed, _ = extract(
        tmp_path,
        20,
        edit=lambda rows: rows[0].update({"EstablishmentName": "New Name Academy"}),
        name="changed.csv",
    )

    summary, error = run_import(changed, "--dry-run")

    assert error is None
    assert (count(summary, "updated"), count(summary, "unchanged")) == (1, 19)
    assert list(School.objects.order_by("urn").values()) == before


def test_reimporting_the_same_file_changes_nothing_and_issues_no_write(tmp_path):
    path, _ = extract(tmp_path, 150)
    run_import(path)
    digests = dict(School.objects.values_list("urn", "gias_digest"))

    with CaptureQueriesContext(connection) as queries:
        summary, error = run_import(path)

    assert error is None
    assert (count(summary, "created"), count(summary, "updated")) == (0, 0)
    assert count(summary, "unchanged") == 150
    assert "Unchanged" in summary
    writes = [q["sql"] for q in queries.captured_queries if WRITES.match(q["sql"])]
    assert writes == []
    assert dict(School.objects.values_list("urn", "gias_digest")) == digests


def test_reimport_queries_do_not_grow_with_rows_in_a_batch(tmp_path):
    def reimport_queries(rows: int) -> int:
        path, _ = extract(tmp_path, rows, name=f"{rows}.csv")
        run_import(path)
        with CaptureQueriesContext(connection) as queries:
            run_import(path)
        return len(queries)

    # Hub areas, one digest lookup per batch of 2,000, the hub check, and savepoints.
    assert reimport_queries(20) == reimport_queries(400) <= 8


def test_a_changed_row_is_updated_and_the_others_left_alone(tmp_path):
    path, rows = extract(tmp_path, 40)
    run_import(path)

    def edit(rows):
        rows[5]["EstablishmentName"] = "Brand New Name Primary School"
        rows[5]["NumberOfPupils"] = "321"
        rows[5]["PercentageFSM"] = "23.5"

    changed, _ = extract(tmp_path, 40, edit=edit, name="changed.csv")
    summary, error = run_import(changed)

    assert error is None
    assert (count(summary, "updated"), count(summary, "unchanged")) == (1, 39)
    school = School.objects.get(urn=int(rows[5]["URN"]))
    assert (school.name, school.pupils, school.fsm_percent) == (
        "Brand New Name Primary School",
        321,
        Decimal("23.50"),
    )


def test_a_school_created_outside_the_import_is_updated_by_it(tmp_path):
    path, rows = extract(tmp_path, 5)
    SchoolFactory(urn=int(rows[0]["URN"]), name="Typed In By Hand", hub=None)

    summary, _ = run_import(path)

    assert (count(summary, "created"), count(summary, "updated")) == (4, 1)
    assert School.objects.get(urn=int(rows[0]["URN"])).name == rows[0]["EstablishmentName"]


def test_closed_schools_are_kept_with_their_status_and_closing_date(tmp_path):
    path, rows = extract(tmp_path, 60)
    closed = [r for r in rows if r["EstablishmentStatus (name)"] == "Closed"]
    assert closed

    run_import(path)

    assert School.objects.filter(status="Closed").count() == len(closed)
    school = School.objects.get(urn=int(closed[0]["URN"]))
    day, month, year = map(int, closed[0]["CloseDate"].split("-"))
    assert school.close_date == date(year, month, day)
    assert not school.is_open


def test_empty_numbers_are_stored_as_null(tmp_path):
    def edit(rows):
        for heading in ("NumberOfPupils", "PercentageFSM", "Easting", "Northing", "OpenDate"):
            rows[0][heading] = ""

    path, rows = extract(tmp_path, 3, edit=edit)

    run_import(path)

    school = School.objects.get(urn=int(rows[0]["URN"]))
    assert (school.pupils, school.fsm_percent, school.easting, school.northing) == (
        None,
        None,
        None,
        None,
    )
    assert school.open_date is None


def test_a_value_longer_than_its_field_is_rejected_not_cut(tmp_path):
    path, rows = extract(tmp_path, 3, edit=lambda rows: rows[1].update({"Postcode": "X" * 11}))

    summary, _ = run_import(path)

    assert f"URN {rows[1]['URN']}: Postcode is longer than 10 characters" in summary
    assert School.objects.count() == 2


def test_surrounding_spaces_are_trimmed(tmp_path):
    path, rows = extract(tmp_path, 2, edit=lambda rows: rows[0].update({"Town": "  Oldham "}))

    run_import(path)

    assert School.objects.get(urn=int(rows[0]["URN"])).town == "Oldham"


def test_school_hub_comes_from_the_hub_area_of_its_la(tmp_path, hub, other_hub):
    la = [("352", "Manchester"), ("800", "Bath and North East Somerset"), ("353", "Oldham")]
    path, rows = extract(tmp_path, 60, la=la)

    run_import(path)

    by_la = {code: set() for code, _ in la}
    for school in School.objects.all():
        by_la[school.la_code].add(school.hub_id)
    assert by_la == {"352": {hub.pk}, "800": {other_hub.pk}, "353": {None}}


def test_reimport_moves_schools_whose_la_has_moved_hub(tmp_path, hub, other_hub):
    path, _ = extract(tmp_path, 40, la=["352", "353"])
    run_import(path)
    oldham = School.objects.filter(la_code="353")
    assert not oldham.filter(hub__isnull=False).exists()
    HubArea.objects.create(hub=other_hub, la_code="353", la_name="Oldham")

    summary, error = run_import(path)

    assert error is None
    assert count(summary, "unchanged") == 40
    assert f"moved to the hub that covers their LA: {oldham.count()}" in summary
    assert set(oldham.values_list("hub_id", flat=True)) == {other_hub.pk}
    assert set(School.objects.filter(la_code="352").values_list("hub_id", flat=True)) == {hub.pk}


def test_a_byte_undefined_in_windows_1252_rejects_the_row(tmp_path):
    path, rows = extract(tmp_path, 3, edit=lambda rows: rows[1].update({"Town": "Zedtown"}))
    # 0x81 has no character in Windows-1252; only a corrupt file holds it.
    path.write_bytes(path.read_bytes().replace(b'"Zedtown"', b'"Zed\x81town"'))

    summary, _ = run_import(path)

    assert f"URN {rows[1]['URN']}: Town is not Windows-1252 text" in summary
    assert School.objects.count() == 2


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    _, error = run_import(path)

    assert error is not None
    assert "empty" in str(error)


def test_a_missing_file_is_refused(tmp_path):
    _, error = run_import(tmp_path / "nowhere.csv")

    assert error is not None
    assert "No such file" in str(error)


def test_import_writes_with_query_logging_on(tmp_path):
    """Django's debug cursor (DEBUG, or captured queries) wraps COPY differently."""
    path, _ = extract(tmp_path, 30)

    with CaptureQueriesContext(connection):
        summary, error = run_import(path)

    assert error is None
    assert count(summary, "created") == 30
    assert School.objects.count() == 30


def test_a_database_failure_mid_import_writes_nothing_and_frees_the_connection(
    tmp_path, monkeypatch
):
    path, _ = extract(tmp_path, 30)
    lookups = []

    def failing_lookup(db, urns):
        lookups.append(urns)
        if len(lookups) == 2:
            raise RuntimeError("the database went away")
        return stored_digests(db, urns)

    stored_digests = gias._stored_digests
    monkeypatch.setattr(gias, "_stored_digests", failing_lookup)

    with pytest.raises(RuntimeError, match="went away"):
        gias.gias_import(path, batch_size=10)

    assert len(lookups) == 2  # the third batch was not looked up after the failure
    assert not School.objects.exists()
    assert not connection.allow_thread_sharing  # the background thread is gone


def test_quotes_inside_a_field_and_a_last_line_without_a_line_break(tmp_path):
    path, rows = extract(
        tmp_path, 4, edit=lambda rows: rows[1].update({"EstablishmentName": 'The "Old" School'})
    )
    path.write_bytes(path.read_bytes().removesuffix(b"\r\n"))

    summary, error = run_import(path)

    assert error is None
    assert count(summary, "created") == 4
    assert School.objects.get(urn=int(rows[1]["URN"])).name == 'The "Old" School'
    assert School.objects.get(urn=int(rows[3]["URN"])).name == rows[3]["EstablishmentName"]
