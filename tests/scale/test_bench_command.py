"""manage.py bench on tiny data: every page is measured with its query count, and the
pages the admin also lists get a ratio. Timings are not asserted: they vary by machine."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hubportal.scale.bench import percentile

PAGES = [
    "home (hub lead)",
    "cohort",
    "applications list",
    "claims",
    "school directory",
    "home (national admin)",
    "work group",
    "meeting log",
]


def test_bench_reports_every_page_with_queries_and_the_admin_ratios(seeded, tmp_path):
    out = StringIO()
    path = tmp_path / "bench.json"
    call_command("bench", "--requests", "2", "--warmup", "1", "--json", str(path), stdout=out)
    table = out.getvalue()
    for name in [*PAGES, "floor (bare view)"]:
        assert f"\n{name} " in table
    figures = json.loads(path.read_text())
    pages = {row["page"]["name"]: row for row in figures["pages"]}
    assert list(pages) == PAGES
    for row in pages.values():
        assert row["page"]["queries"] > 0
        assert row["page"]["status"] == 200
    for name in ("cohort", "claims", "school directory"):
        assert pages[name]["admin"]["queries"] > 0
        assert pages[name]["ratio"] > 0
    assert pages["cohort"]["target"] == pages["claims"]["target"] == 1.0
    assert pages["home (hub lead)"]["admin"] is None
    assert figures["floor"]["queries"] < min(row["page"]["queries"] for row in pages.values())


def test_bench_on_an_empty_database_says_to_seed_first(db):
    with pytest.raises(CommandError, match="seed_scale"):
        call_command("bench", "--requests", "1", stdout=StringIO())


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [([5, 1, 3, 2, 4], 0.5, 3), (list(range(1, 21)), 0.95, 19), ([7], 0.95, 7)],
)
def test_percentile_is_the_nearest_rank(values, fraction, expected):
    assert percentile(values, fraction) == expected
