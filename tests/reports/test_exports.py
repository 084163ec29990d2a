"""The hub's exports: a cohort, attendance, claims and the annual return, as CSV
and XLSX; scoped like the pages (another hub's rows never appear), refused to the
wrong roles, and costing the same queries for 5 rows or 50."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from funding import exports as files
from funding import services
from funding.assurance import ASSURANCE_HEADERS
from tests.factories import (
    AcceptedApplicationFactory,
    ClaimWindowFactory,
    DeclinedApplicationFactory,
    MeetingFactory,
    ParticipationFactory,
    SchoolFactory,
    SubmittedApplicationFactory,
    group_with_schools,
    school_with_paid_claims,
    stage,
    year,
)
from workgroups.models import Attendance, Participant

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
EXPORTS = ["cohort", "attendance", "claims", "annual_return"]


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(NOW)


def url(name: str, fmt: str = "csv", **query) -> str:
    query = {"year": "2026-27", "stage": "dwg", "format": fmt, **query}
    return reverse(f"reports:{name}") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def csv_rows(response) -> list[list[str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def xlsx_rows(response) -> list[list]:
    assert response.streaming  # a FileResponse, read from its temporary file in chunks
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def log(meeting, statuses: dict[Participant, str]):
    meeting.logged_at = timezone.now()
    meeting.save()
    for participant, status in statuses.items():
        Attendance.objects.create(meeting=meeting, participant=participant, status=status)


@pytest.fixture
def cohort(hub, specialist):
    """Two schools in one group with three logged meetings and one to come, and a
    school accepted but not yet placed. The first school completed."""
    group = group_with_schools(hub, schools=2, lead=specialist)
    first, second = (m.application for m in group.members.order_by("pk"))
    first.school.name, second.school.name = "Ash Primary", "=Birch Primary"
    first.school.save()
    second.school.save()
    one, two = first.participants.order_by("position")
    three = second.participants.first()
    meetings = [MeetingFactory(work_group=group) for _ in range(4)]
    # A school attended when any of its teachers was present: once at meeting 1.
    log(meetings[0], {one: "present", two: "present", three: "present"})
    log(meetings[1], {one: "absent", two: "present", three: "absent"})
    log(meetings[2], {one: "apologies", two: "absent", three: "absent"})
    ParticipationFactory(school=first.school, stage=stage("dwg"), year=year(2026))
    unplaced = AcceptedApplicationFactory(school=SchoolFactory(hub=hub, name="Cedar Primary"))
    SubmittedApplicationFactory(school=SchoolFactory(hub=hub))  # not accepted: not in it
    return group, first, second, unplaced


@pytest.fixture
def elsewhere(other_hub):
    """Another hub's cohort, attendance and paid claim: never in this hub's exports."""
    group = group_with_schools(other_hub, schools=1)
    application = group.members.get().application
    application.school.name = "Elsewhere Primary"
    application.school.save()
    log(MeetingFactory(work_group=group), {application.participants.first(): "present"})
    return group


# ---------------------------------------------------------------------------
# 1. The cohort


COHORT_HEADER = [
    "School",
    "URN",
    "LA",
    "Stage",
    "Group code",
    "Participants",
    "Meetings attended",
    "Meetings held",
    "Outcome",
]


def test_cohort_csv_has_each_accepted_school_with_its_attendance(client, hub_lead, cohort):
    group, first, second, unplaced = cohort
    client.force_login(hub_lead)
    response = client.get(url("cohort"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cohort-dwg-2026-27.csv"'
    header, *rows = csv_rows(response)
    assert header == COHORT_HEADER

    def names(application):
        return "; ".join(
            application.participants.order_by("position").values_list("name", flat=True)
        )

    # In school name order: "=" sorts before letters.
    assert rows == [
        [
            "'=Birch Primary",  # made harmless: text, never a formula
            str(second.school.urn),
            second.school.la_name,
            "Development Work Group",
            group.code,
            names(second),
            "1",
            "3",
            "",
        ],
        [
            "Ash Primary",
            str(first.school.urn),
            first.school.la_name,
            "Development Work Group",
            group.code,
            names(first),
            "2",
            "3",
            "Completed",
        ],
        [
            "Cedar Primary",
            str(unplaced.school.urn),
            unplaced.school.la_name,
            "Development Work Group",
            "",
            names(unplaced),
            "0",
            "0",
            "",
        ],
    ]


def test_cohort_xlsx_has_the_same_rows(client, hub_lead, cohort):
    client.force_login(hub_lead)
    response = client.get(url("cohort", "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == files.XLSX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="cohort-dwg-2026-27.xlsx"'
    header, *rows = xlsx_rows(response)
    assert header == COHORT_HEADER
    assert [row[0] for row in rows] == ["'=Birch Primary", "Ash Primary", "Cedar Primary"]
    assert [row[6:8] for row in rows] == [[1, 3], [2, 3], [0, 0]]


# ---------------------------------------------------------------------------
# 2. Attendance


def test_attendance_has_a_row_per_teacher_per_logged_meeting(client, hub_lead, cohort):
    group, first, second, _ = cohort
    client.force_login(hub_lead)
    header, *rows = csv_rows(client.get(url("attendance")))
    assert header == [
        "Group code",
        "Meeting date",
        "Kind",
        "School",
        "URN",
        "Participant",
        "Status",
    ]
    assert len(rows) == 9
    one = first.participants.get(position=1)
    assert [
        group.code,
        "2026-10-07",
        "Workshop",
        "Ash Primary",
        str(first.school.urn),
        one.name,
        "Sent apologies",
    ] in rows
    assert {row[6] for row in rows} == {"Present", "Absent", "Sent apologies"}
    assert sum(row[3] == "'=Birch Primary" for row in rows) == 3


# ---------------------------------------------------------------------------
# 3. Claims and payments


@pytest.fixture
def claims(hub, hub_lead):
    """A school whose grant and one match claim were paid; the match claim sampled,
    found insufficient and £100 of it recovered."""
    from funding import assurance

    ClaimWindowFactory(hub=hub)
    school, _, paid = school_with_paid_claims(
        hub, hub_lead, match=1, grant=True, name="Ash Primary"
    )
    match = next(c for c in paid if c.kind == "match")
    sample = assurance.sample_draw(actor=hub_lead, hub=hub, year=year(2026), percent=100, seed=1)
    check = sample.checks.get(claim=match)
    assurance.sample_check_record(
        actor=hub_lead, check=check, outcome="insufficient", notes="The invoice is a quote"
    )
    clawback = assurance.clawback_open(
        actor=hub_lead, check=check, amount_pence=10_000, reason="Quote, not invoice"
    )
    assurance.clawback_recover(actor=hub_lead, clawback=clawback)
    return school, paid


CLAIM_HEADER = [
    "Claim reference",
    "School",
    "URN",
    "Kind",
    "State",
    "Claimed (£)",
    "Award (£)",
    "Paid date",
    "Batch reference",
    ASSURANCE_HEADERS[0],
    ASSURANCE_HEADERS[1],
    f"{ASSURANCE_HEADERS[2]} (£)",
    ASSURANCE_HEADERS[3],
]


def test_claims_csv_has_amounts_payment_and_assurance(client, hub_lead, claims):
    school, paid = claims
    client.force_login(hub_lead)
    response = client.get(url("claims"))
    assert response["Content-Disposition"] == 'attachment; filename="claims-2026-27.csv"'
    header, *rows = csv_rows(response)
    assert header == CLAIM_HEADER
    by_reference = {row[0]: row for row in rows}
    grant = next(c for c in paid if c.kind == "grant")
    match = next(c for c in paid if c.kind == "match")
    batch = match.batch.reference
    assert by_reference[grant.reference][1:9] == [
        "Ash Primary",
        str(school.urn),
        "Development grant",
        "Paid",
        "1000.00",
        "1000.00",
        "2026-11-23",
        batch,
    ]
    assert by_reference[grant.reference][9] == "Yes"
    assert by_reference[match.reference][3:] == [
        "Textbook match funding",
        "Paid",
        "1500.00",
        "1500.00",
        "2026-11-23",
        batch,
        "Yes",
        "Evidence insufficient",
        "100.00",
        "Recovered",
    ]


def test_claims_xlsx_has_money_as_numbers(client, hub_lead, claims):
    client.force_login(hub_lead)
    header, *rows = xlsx_rows(client.get(url("claims", "xlsx")))
    assert header == CLAIM_HEADER
    assert sorted(Decimal(str(row[6])) for row in rows) == [Decimal("1000"), Decimal("1500")]


# ---------------------------------------------------------------------------
# 4. The annual return


RETURN_HEADER = [
    "Stage",
    "Schools applied",
    "Schools accepted",
    "Schools in groups",
    "Schools completed",
    "Work groups",
    "Specialists leading groups",
    "Development grants paid (£)",
    "Match funding paid (£)",
    "Recovered by clawback (£)",
]


def test_the_annual_return_counts_per_stage_and_totals_the_money(
    client, hub, hub_lead, cohort, claims, elsewhere
):
    DeclinedApplicationFactory(school=SchoolFactory(hub=hub), stage=stage("mr"))
    client.force_login(hub_lead)
    response = client.get(url("annual_return"))
    assert response["Content-Disposition"] == 'attachment; filename="annual-return-2026-27.csv"'
    header, *rows = csv_rows(response)
    assert header == RETURN_HEADER
    by_stage = {row[0]: row[1:] for row in rows}
    assert list(by_stage) == [
        "Mastery Readiness",
        "Development Work Group",
        "Embedding",
        "Sustaining",
        "Total",
    ][: len(by_stage) - 1] + ["Total"]
    # Development: the group's two, the unplaced school, the submitted one and the
    # claims' school applied; three schools plus the claims' school accepted.
    assert by_stage["Development Work Group"] == ["5", "4", "2", "1", "1", "1", "", "", ""]
    assert by_stage["Mastery Readiness"] == ["1", "0", "0", "0", "0", "0", "", "", ""]
    position = services.budget_position(hub, year(2026))
    assert by_stage["Total"] == ["6", "4", "2", "1", "1", "1", "1000.00", "1500.00", "100.00"]
    assert position["paid"] == 250_000 and position["recovered"] == 10_000


def test_annual_return_xlsx_is_the_same_table(client, hub_lead, cohort):
    client.force_login(hub_lead)
    header, *rows = xlsx_rows(client.get(url("annual_return", "xlsx")))
    assert header == RETURN_HEADER
    assert rows[-1][:7] == ["Total", 4, 3, 2, 1, 1, 1]


# ---------------------------------------------------------------------------
# Scoping, roles and formats


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("name", EXPORTS)
def test_another_hubs_rows_never_appear(client, hub_lead, cohort, claims, elsewhere, name, fmt):
    client.force_login(hub_lead)
    response = client.get(url(name, fmt, hub=elsewhere.hub.code))  # ?hub= cannot widen it
    assert response.status_code == 200
    body = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
    text = repr(body)
    assert "Elsewhere Primary" not in text
    assert elsewhere.code not in text
    if name == "annual_return":
        assert body[-1][1] in ("5", 5)  # this hub's five schools only


def test_the_other_hubs_lead_sees_only_their_own(client, other_hub_lead, cohort, claims, elsewhere):
    client.force_login(other_hub_lead)
    _, *rows = csv_rows(client.get(url("cohort")))
    assert [row[0] for row in rows] == ["Elsewhere Primary"]
    _, *rows = csv_rows(client.get(url("attendance")))
    assert {row[3] for row in rows} == {"Elsewhere Primary"}
    _, *rows = csv_rows(client.get(url("claims")))
    assert rows == []


def test_a_national_admin_sees_every_hub_or_one(client, national_admin, cohort, elsewhere):
    client.force_login(national_admin)
    _, *rows = csv_rows(client.get(url("cohort")))
    assert len(rows) == 4
    _, *rows = csv_rows(client.get(url("cohort", hub=elsewhere.hub.code)))
    assert [row[0] for row in rows] == ["Elsewhere Primary"]
    response = client.get(url("cohort", hub=elsewhere.hub.code))
    assert response["Content-Disposition"] == 'attachment; filename="cohort-dwg-2026-27-BOO.csv"'
    assert client.get(url("cohort", hub="NOPE")).status_code == 404


@pytest.mark.parametrize("who", ["specialist", "headteacher"])
@pytest.mark.parametrize("name", [*EXPORTS, "index"])
def test_specialists_and_headteachers_are_refused(client, request, who, name):
    client.force_login(request.getfixturevalue(who))
    address = reverse("reports:index") if name == "index" else url(name)
    assert client.get(address).status_code == 403


@pytest.mark.parametrize("name", [*EXPORTS, "index"])
def test_a_visitor_signed_out_is_sent_to_sign_in(client, db, name):
    address = reverse("reports:index") if name == "index" else url(name)
    response = client.get(address)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", EXPORTS)
@pytest.mark.parametrize(
    "query",
    [
        {"format": "pdf"},
        {"format": "CSV"},
        {"format": ""},
        {"year": "2026"},
        {"year": "2026-28"},
        {"year": "1999-00"},
    ],
)
def test_an_unknown_format_or_year_is_not_found(client, hub_lead, name, query):
    client.force_login(hub_lead)
    assert client.get(url(name, **query)).status_code == 404


def test_an_unknown_stage_is_not_found(client, hub_lead):
    client.force_login(hub_lead)
    assert client.get(url("cohort", stage="nope")).status_code == 404


# ---------------------------------------------------------------------------
# The same queries for 5 rows or 50


def rows_of(client, name: str) -> int:
    return len(csv_rows(client.get(url(name)))) - 1


def counted(client, name: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        found = rows_of(client, name)
    return len(queries), found


def attended_groups(hub, groups: int):
    for _ in range(groups):
        group = group_with_schools(hub, schools=5)
        meeting = MeetingFactory(work_group=group)
        log(
            meeting,
            dict.fromkeys(
                Participant.objects.filter(application__group_member__work_group=group), "present"
            ),
        )


def test_the_cohort_and_attendance_exports_cost_the_same_queries_for_5_or_50_rows(
    client, hub, hub_lead
):
    client.force_login(hub_lead)
    attended_groups(hub, 1)  # 5 schools, 10 teachers at one meeting
    rows_of(client, "cohort")  # the session and the year are made once
    small = {name: counted(client, name) for name in ("cohort", "attendance", "annual_return")}
    attended_groups(hub, 9)  # 50 schools, 100 teachers
    large = {name: counted(client, name) for name in ("cohort", "attendance", "annual_return")}
    assert small["cohort"][1] == 5 and large["cohort"][1] == 50
    assert small["attendance"][1] == 10 and large["attendance"][1] == 100
    assert {name: q for name, (q, _) in small.items()} == {
        name: q for name, (q, _) in large.items()
    }


def test_the_claims_export_costs_the_same_queries_for_5_or_50_rows(client, hub, hub_lead):
    ClaimWindowFactory(hub=hub)
    client.force_login(hub_lead)
    for _ in range(5):
        school_with_paid_claims(hub, hub_lead)
    rows_of(client, "claims")
    small = counted(client, "claims")
    for _ in range(45):
        school_with_paid_claims(hub, hub_lead)
    large = counted(client, "claims")
    assert (small[1], large[1]) == (5, 50)
    assert small[0] == large[0]


# ---------------------------------------------------------------------------
# The page that lists them


def test_the_reports_page_links_each_export_for_the_chosen_year_and_stage(client, hub_lead, cohort):
    year(2025)
    client.force_login(hub_lead)
    response = client.get(reverse("reports:index"), {"year": "2025-26", "stage": "sus"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Reports and exports 2025/26" in page
    assert reverse("reports:cohort") + "?year=2025-26&amp;stage=sus&amp;format=csv" in page
    assert reverse("reports:claims") + "?year=2025-26&amp;format=xlsx" in page
    assert 'name="hub"' not in page  # a hub lead has no hub to choose


def test_the_reports_page_shows_an_error_for_a_year_not_offered(client, hub_lead):
    client.force_login(hub_lead)
    response = client.get(reverse("reports:index"), {"year": "1900-01", "stage": "dwg"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Reports and exports 2026/27" in page
