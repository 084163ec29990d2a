"""Participation history by CSV upload: the row-by-row report, the file-level refusals,
re-uploads that update, and the audit trail the services leave (who and why).

CI runs this module on PostgreSQL as well as SQLite (DATABASE_URL)."""

import html as htmllib
import re
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import SchoolFactory, SubmittedApplicationFactory, stage, year
from workgroups import services
from workgroups.models import ApplicationState, Participation

pytestmark = pytest.mark.django_db

URL = reverse("applications:participation_upload")


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))


@pytest.fixture
def lead_client(client, hub_lead):
    client.force_login(hub_lead)
    return client


def upload(client, content: bytes | str, name: str = "history.csv"):
    if isinstance(content, str):
        content = content.encode("utf-8")
    return client.post(URL, {"file": SimpleUploadedFile(name, content, "text/csv")})


def text(response) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def report_rows(response) -> dict[int, tuple[bool, str]]:
    return {row.line: (row.ok, row.message) for row in response.context["report"].rows}


def test_a_good_file_imports_and_reports_each_row(lead_client, hub, hub_lead):
    a = SchoolFactory(hub=hub)
    b = SchoolFactory(hub=hub)
    response = upload(
        lead_client,
        "URN,stage,year,outcome\r\n"
        f"{a.urn},Mastery Readiness,2023/24,completed\r\n"
        f"{b.urn},DWG,2024-25,did not complete\r\n",
    )
    assert response.status_code == 200
    assert report_rows(response) == {
        2: (True, "Mastery Readiness 2023/24: completed"),
        3: (True, "Development Work Group 2024/25: did not complete"),
    }
    page = text(response)
    assert "Rows imported 2" in page
    assert "Rows rejected 0" in page
    assert "Rows imported (2)" in page  # the table's caption
    rows = Participation.objects.order_by("school__urn")
    assert [(r.school, r.stage.code, r.year.start_year, r.outcome) for r in rows] == [
        (a, "mr", 2023, "completed"),
        (b, "dwg", 2024, "did_not_complete"),
    ]
    assert {r.source for r in rows} == {Participation.Source.CSV}
    assert {r.recorded_by for r in rows} == {hub_lead}


def test_bad_rows_are_reported_by_line_while_the_good_ones_import(lead_client, hub, other_school):
    good = SchoolFactory(hub=hub)
    other = SchoolFactory(hub=hub)
    response = upload(
        lead_client,
        "urn,Stage,Year,Outcome,Notes\n"  # any case, and extra columns are ignored
        f"{good.urn},dwg,2022/23,completed,first\n"  # line 2: imported
        "12ab,dwg,2022/23,completed,\n"  # line 3: not a URN
        f"{other_school.urn},dwg,2022/23,completed,\n"  # line 4: another hub's school
        f"{other.urn},Advanced,2022/23,completed,\n"  # line 5: unknown stage
        f"{other.urn},mr,2019/21,completed,\n"  # line 6: not an academic year
        f"{other.urn},mr,2021/22,passed,\n"  # line 7: unknown outcome
        f"{good.urn},dwg,2022/23,withdrawn,\n",  # line 8: the same as line 2
    )
    rows = report_rows(response)
    assert rows[2][0] is True
    # Compared without case: see test_row_messages_keep_the_case_of_urns_and_names.
    messages = {line: (ok, message.lower()) for line, (ok, message) in rows.items()}
    assert messages[3] == (False, "the urn must be 6 digits.")
    assert messages[4] == (
        False,
        f"no school with urn {other_school.urn} is in {hub.name.lower()}'s area.",
    )
    assert messages[5] == (False, "'advanced' is not a programme stage.")
    assert messages[6] == (False, "'2019/21' is not an academic year like 2019/20.")
    assert messages[7] == (
        False,
        "the outcome must be completed, did not complete or withdrawn.",
    )
    assert messages[8] == (False, "the same school, stage and year appear earlier in the file.")
    page = text(response)
    assert "Rows imported 1" in page
    assert "Rows rejected 6" in page
    assert "Rows not imported (6)" in page
    assert "'2019/21' is not an academic year like 2019/20." in page
    assert re.search(r"3 12ab Rejected", page)
    assert list(Participation.objects.values_list("school_id", "outcome")) == [
        (good.pk, "completed")
    ]


def test_row_messages_keep_the_case_of_urns_and_names(lead_client, hub, other_school):
    response = upload(lead_client, f"URN,stage,year,outcome\n{other_school.urn},DWG,2022/23,done\n")
    assert report_rows(response)[2] == (
        False,
        f"No school with URN {other_school.urn} is in {hub.name}'s area; "
        "the outcome must be completed, did not complete or withdrawn.",
    )


def test_a_missing_column_imports_nothing_and_says_so_beside_the_file_field(lead_client, hub):
    school = SchoolFactory(hub=hub)
    response = upload(lead_client, f"URN,stage,outcome\n{school.urn},dwg,completed\n")
    assert response.status_code == 200
    assert response.context["report"] is None
    page = response.content.decode()
    assert 'id="id_file-error"' in page
    assert "missing: year. Nothing was imported." in text(response)
    assert '<a href="#id_file">' in page
    assert not Participation.objects.exists()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200, "history.xlsx"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "history.csv"),
        ("URN,stage,year,outcome\n".encode("utf-16"), "history.csv"),
    ],
)
def test_a_binary_file_is_refused_with_a_clear_message(lead_client, content, name):
    response = upload(lead_client, content, name)
    assert response.status_code == 200
    assert "The selected file must be a CSV" in text(response)
    assert 'id="id_file-error"' in response.content.decode()
    assert not Participation.objects.exists()


def test_an_empty_or_oversized_file_or_none_at_all_is_refused(lead_client):
    assert "The selected file is empty" in text(upload(lead_client, b""))
    assert "The selected file is empty" in text(upload(lead_client, b"  \n"))
    big = b"URN,stage,year,outcome\n" + b"123456,dwg,2020/21,completed\n" * 80_000
    assert "The selected file must be smaller than 2 MB" in text(upload(lead_client, big))
    assert "Select a CSV file" in text(lead_client.post(URL, {}))


def test_uploading_the_same_file_again_updates_rather_than_duplicates(lead_client, hub):
    school = SchoolFactory(hub=hub)
    first = f"URN,stage,year,outcome\n{school.urn},sus,2024/25,did not complete\n"
    upload(lead_client, first)
    upload(lead_client, first)
    assert Participation.objects.count() == 1
    corrected = f"URN,stage,year,outcome\n{school.urn},Sustaining,2024,completed\n"
    response = upload(lead_client, corrected)
    assert report_rows(response) == {2: (True, "Sustaining 2024/25: completed")}
    row = Participation.objects.get()
    assert row.outcome == "completed"
    assert row.history.count() == 3


def test_a_windows_1252_file_is_read(lead_client, hub):
    school = SchoolFactory(hub=hub)
    content = f"URN,stage,year,outcome,note\n{school.urn},dwg,2021/22,completed,Café\n"
    response = upload(lead_client, content.encode("cp1252"))
    assert report_rows(response) == {2: (True, "Development Work Group 2021/22: completed")}


def test_the_example_file_downloads_with_the_columns(lead_client):
    response = lead_client.get(URL, {"download": "example"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode().splitlines()[0] == "URN,stage,year,outcome"


def test_only_hub_leads_upload(client, national_admin, specialist, headteacher):
    for person in (national_admin, specialist, headteacher):
        client.force_login(person)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {}).status_code == 403


def test_uploaded_rows_count_for_eligibility(lead_client, hub):
    """A Development completion uploaded makes the school's next Development refused."""
    from workgroups.eligibility import Code, check_eligibility

    school = SchoolFactory(hub=hub)
    upload(lead_client, f"URN,stage,year,outcome\n{school.urn},dwg,2019/20,completed\n")
    result = check_eligibility(school=school, stage=stage("dwg"), year=year(2026), hub=hub)
    assert Code.STAGE_ALREADY_TAKEN in result.codes


# ---------------------------------------------------------------------------
# The audit trail: each service writes a history row naming the actor and the reason


def test_services_write_history_with_the_actor_and_the_reason(hub, hub_lead, school):
    recorded = services.participation_record(
        actor=hub_lead,
        school=school,
        stage=stage("mr"),
        year=year(2024),
        outcome="completed",
        note="From the register",
    )
    record = recorded.history.get()
    assert record.history_user == hub_lead
    assert record.history_change_reason == "Recorded completed (form)"

    accepted = SubmittedApplicationFactory(school=SchoolFactory(hub=hub))
    services.application_accept(actor=hub_lead, application=accepted, reason="Strong plan")
    latest = accepted.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == hub_lead
    assert latest.history_change_reason == "Strong plan"
    assert latest.state == ApplicationState.ACCEPTED

    declined = SubmittedApplicationFactory(school=SchoolFactory(hub=hub))
    services.application_decline(actor=hub_lead, application=declined, reason="Not this year")
    latest = declined.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == hub_lead
    assert latest.history_change_reason == "Not this year"
    assert latest.state == ApplicationState.DECLINED
    assert latest.decided_by_id == hub_lead.pk
