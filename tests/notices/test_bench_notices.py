"""manage.py bench_notices: its figures are there and hang together, the sweep's query
count does not grow with the number of notices, and it leaves no rows behind. No
assertion on time: that depends on the machine."""

import json
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from hubportal.accounts.models import User
from hubportal.notices.models import Notice
from schools.models import Hub, School
from workgroups.models import Application, Meeting, Participant, WorkGroup

pytestmark = pytest.mark.django_db

MODELS = [Notice, Meeting, Participant, Application, WorkGroup, School, Hub, User]


def bench(count: int) -> dict:
    out = StringIO()
    call_command("bench_notices", count=count, as_json=True, stdout=out)
    return json.loads(out.getvalue())


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_the_benchmark_reports_every_figure_and_sends_each_notice_once():
    result = bench(50)

    assert result["count"] == 50
    assert result["rolled_back"] is True
    assert result["created"] == {"groups": 4, "schools": 23, "participants": 46}
    sweep, ledger, direct = result["sweep"], result["ledger"], result["direct"]
    # A plan a school and one for the lead, a group: three of 7 schools, the last of 2.
    assert sweep["planned"] == 50 and sweep["plans"] == 3 * 8 + 3
    assert sweep["inserts"] == 1
    assert ledger["sent"] == direct["sent"] == 50
    # Both render the same mail (the same queries for the subject); the ledger adds
    # three a notice: claim it, load the claimed row, mark it sent.
    assert ledger["queries"] - direct["queries"] == 3 * 50
    for figures in (sweep, ledger, direct):
        assert figures["seconds"] > 0
    assert result["ratio"] == pytest.approx(ledger["seconds"] / direct["seconds"])
    assert result["verdict"] == ("PASS" if result["ratio"] <= result["target"] else "FAIL")


def test_the_sweep_runs_as_many_queries_for_60_notices_as_for_20():
    assert bench(20)["sweep"]["queries"] == bench(60)["sweep"]["queries"]


def test_the_benchmark_leaves_no_rows_and_no_mail_behind(school):
    before = row_counts()

    bench(50)

    assert row_counts() == before
    assert mail.outbox == []


def test_the_text_report_gives_the_ratio_and_the_verdict():
    out = StringIO()
    call_command("bench_notices", count=15, stdout=out)

    report = out.getvalue()
    assert "(a) sweep + plan:" in report
    assert "ledger / direct = " in report
    assert "PASS" in report or "FAIL" in report
    assert "rolled back" in report
