"""20,000 attendance rows stream as CSV a chunk of 2,000 rows at a time: the peak
memory Python allocates while the response is read stays under 30 MB, and every row
arrives. Built with bulk_create, so it runs in the normal suite (about a minute for
this module)."""

import io
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from django.http import FileResponse
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import group_with_schools
from workgroups.models import Attendance, Meeting, Participant

pytestmark = pytest.mark.django_db

MEETINGS, TEACHERS = 50, 400  # 50 x 400 = 20,000 rows
PEAK_BOUND = 30 * 1024 * 1024


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


@pytest.fixture
def twenty_thousand(hub):
    group = group_with_schools(hub, schools=1)
    application = group.members.get().application
    application.participants.all().delete()
    teachers = Participant.objects.bulk_create(
        Participant(
            application=application,
            position=n,
            name=f"Teacher {n:03d}",
            email=f"t{n}@school.example",
            job_role="Class teacher",
        )
        for n in range(1, TEACHERS + 1)
    )
    first = group.year.starts
    meetings = Meeting.objects.bulk_create(
        Meeting(
            work_group=group,
            date=first + timedelta(days=n),
            starts_at="13:00",
            ends_at="16:00",
            online_link="https://meet.example.org/abc",
        )
        for n in range(MEETINGS)
    )
    Attendance.objects.bulk_create(
        (
            Attendance(meeting=m, participant=t, status="present")
            for m in meetings
            for t in teachers
        ),
        batch_size=5000,
    )
    return group


def test_twenty_thousand_rows_stream_as_csv_within_the_memory_bound(
    client, hub_lead, twenty_thousand
):
    client.force_login(hub_lead)
    url = reverse("reports:attendance") + "?year=2026-27&format=csv"
    tracemalloc.start()
    try:
        response = client.get(url)
        assert response.streaming
        lines = size = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
            size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == 20_001  # the header and every row
    assert size > 1_000_000  # the file itself is larger than a fraction of the bound
    assert peak < PEAK_BOUND, f"peak {peak / 1024 / 1024:.1f} MB"


def test_twenty_thousand_rows_as_xlsx_come_from_a_temporary_file(client, hub_lead, twenty_thousand):
    client.force_login(hub_lead)
    url = reverse("reports:attendance") + "?year=2026-27&format=xlsx"
    response = client.get(url)
    assert isinstance(response, FileResponse)  # its temporary file, a chunk at a time
    assert response.block_size == 64 * 1024
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    assert sum(1 for _ in sheet.iter_rows(values_only=True)) == 20_001
