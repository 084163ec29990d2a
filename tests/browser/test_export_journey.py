"""A hub lead opens the reports page in headless Chromium, chooses a year, and
downloads the Development cohort as CSV: the file holds the hub's schools with
their group, teachers and attendance, and nothing of another hub. axe (WCAG 2.2
AA) runs on every page visited."""

import csv
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import (
    DEMO_PASSWORD,
    HubAreaFactory,
    HubFactory,
    HubLeadFactory,
    MeetingFactory,
    UserFactory,
    group_with_schools,
    stage,
    year,
)
from workgroups.models import AcademicYear, Attendance

# Transactional: the live server's thread must see the rows.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_hub_lead_chooses_a_year_and_downloads_the_cohort_csv(page, live_server, sign_in, axe):
    stage("dwg")  # seeds the stages again if an earlier test emptied them
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    other = HubFactory(name="Boolean Maths Hub", code="BOO")
    AcademicYear.objects.current()
    last_year = year(AcademicYear.objects.current().start_year - 1)
    lead = HubLeadFactory(
        hub=hub, user=UserFactory(email="lead@abacus.example", full_name="Lee Lead")
    ).user
    group = group_with_schools(hub, schools=2, start_year=last_year.start_year)
    group_with_schools(other, schools=1, start_year=last_year.start_year)
    meeting = MeetingFactory(work_group=group, logged_at=timezone.now())
    for member in group.members.all():
        for teacher in member.application.participants.all():
            Attendance.objects.create(meeting=meeting, participant=teacher, status="present")
    schools = sorted(m.school.name for m in group.members.select_related("school"))

    sign_in(lead.email, DEMO_PASSWORD, axe_check=axe)
    page.goto(f"{live_server.url}/reports/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Reports and exports {AcademicYear.objects.current().label}"
    )
    axe(page)

    page.get_by_label("Academic year").select_option(label=last_year.label)
    page.get_by_label("Programme stage").select_option(label="Development Work Group")
    page.get_by_role("button", name="Show reports").click()
    title = f"Development Work Group cohort {last_year.label}"
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Reports and exports {last_year.label}"
    )
    expect(page.locator("#report-cohort")).to_contain_text(title)
    axe(page)

    with page.expect_download() as downloading:
        page.get_by_role("link", name=f"CSV of {title}").click()
    download = downloading.value
    assert download.suggested_filename == f"cohort-dwg-{last_year.slug}.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        header, *rows = list(csv.reader(io.StringIO(handle.read())))
    assert header[:5] == ["School", "URN", "LA", "Stage", "Group code"]
    assert [row[0] for row in rows] == schools
    assert {row[4] for row in rows} == {group.code}
    assert {(row[6], row[7]) for row in rows} == {("1", "1")}
    assert all(";" in row[5] for row in rows)  # both teachers named
