"""The sample GIAS extract: the real file's format, realistic rows, the same for a seed."""

import csv
import re
from collections import Counter
from io import StringIO

from django.core.management import call_command

from schools.gias_sample import HEADINGS, sample_rows, write_sample_file

DATE = re.compile(r"\d{2}-\d{2}-\d{4}")


def test_the_file_is_windows_1252_with_every_field_quoted(tmp_path):
    path = write_sample_file(tmp_path / "gias.csv", rows=20, seed=3)

    text = path.read_bytes().decode("cp1252")
    header, first = text.split("\r\n")[:2]
    assert header == ",".join(f'"{heading}"' for heading in HEADINGS)
    assert len(HEADINGS) == 139
    assert first.startswith('"') and first.endswith('"')
    assert first.count('","') == len(HEADINGS) - 1  # every field quoted, even empty ones
    rows = list(csv.DictReader(StringIO(text, newline="")))
    assert len(rows) == 20
    dates = [r[h] for r in rows for h in ("OpenDate", "CloseDate", "OfstedLastInsp") if r[h]]
    assert dates and all(DATE.fullmatch(d) for d in dates)


def test_the_same_seed_writes_the_same_file_and_another_seed_another(tmp_path):
    one = write_sample_file(tmp_path / "a.csv", rows=50, seed=7).read_bytes()
    again = write_sample_file(tmp_path / "b.csv", rows=50, seed=7).read_bytes()
    other = write_sample_file(tmp_path / "c.csv", rows=50, seed=8).read_bytes()

    assert one == again
    assert one != other


def test_rows_stay_in_the_given_local_authorities():
    rows = list(sample_rows(60, seed=1, la=[("352", "Manchester"), ("353", "Oldham")]))

    assert {(r["LA (code)"], r["LA (name)"]) for r in rows} == {
        ("352", "Manchester"),
        ("353", "Oldham"),
    }
    assert {r["GOR (name)"] for r in rows} == {"North West"}


def test_proportions_look_like_the_real_extract():
    rows = list(sample_rows(3000, seed=1))

    urns = [int(r["URN"]) for r in rows]
    assert urns == sorted(set(urns)) and all(100000 <= u <= 999999 for u in urns)
    statuses = Counter(r["EstablishmentStatus (name)"] for r in rows)
    open_share = (len(rows) - statuses["Closed"]) / len(rows)
    assert 0.48 < open_share < 0.58  # about 27,000 of 51,000
    phases = Counter(r["PhaseOfEducation (name)"] for r in rows)
    assert phases.most_common(1)[0][0] == "Primary"
    assert {"Secondary", "Not applicable", "All-through", "Nursery", "16 plus"} <= set(phases)
    assert "Middle deemed primary" in phases
    assert len({r["LA (code)"] for r in rows}) > 140
    curly = [r["EstablishmentName"] for r in rows if "\u2019" in r["EstablishmentName"]]
    assert 10 < len(curly) < 100
    eastings = [int(r["Easting"]) for r in rows if r["Easting"]]
    northings = [int(r["Northing"]) for r in rows if r["Northing"]]
    assert all(100000 <= e <= 650000 for e in eastings)
    assert all(10000 <= n <= 1200000 for n in northings)
    assert len(eastings) < len(rows)  # some are blank, as in GIAS
    assert any(r["PercentageFSM"] == "" for r in rows)
    assert any(r["NumberOfPupils"] == "" for r in rows)


def test_generate_gias_command_writes_the_file(tmp_path):
    path = tmp_path / "out.csv"
    out = StringIO()

    call_command(
        "generate_gias", str(path), "--rows", "25", "--seed", "2", "--la-codes", "352", stdout=out
    )

    rows = list(csv.DictReader(StringIO(path.read_bytes().decode("cp1252"), newline="")))
    assert len(rows) == 25
    assert {r["LA (name)"] for r in rows} == {"Manchester"}
    assert "Wrote 25 establishments" in out.getvalue()
