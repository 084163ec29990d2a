"""The headteacher's pages: the school's programme, starting an application, the
task-list sections, checking and submitting, withdrawing, and who may see what."""

import html as html_lib
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hubportal.accounts.roles import active_membership
from tests.factories import (
    AcceptedApplicationFactory,
    ApplicationWindowFactory,
    DeclinedApplicationFactory,
    DraftApplicationFactory,
    ParticipationFactory,
    SubmittedApplicationFactory,
    WithdrawnApplicationFactory,
    stage,
    year,
)
from workgroups.models import Application, ApplicationState, Participant
from workgroups.selectors.school import school_programme

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 23)
THIS_YEAR = "2026-27"


@pytest.fixture(autouse=True)
def _today():
    """The pages read today's date for the year and the windows: fix it."""
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def windows(hub):
    """The hub takes applications for Readiness and Development this year."""
    return [
        ApplicationWindowFactory(hub=hub, stage=stage("mr"), year=year(2026)),
        ApplicationWindowFactory(hub=hub, stage=stage("dwg"), year=year(2026)),
    ]


@pytest.fixture
def head_client(client, headteacher):
    client.force_login(headteacher)
    return client


@pytest.fixture
def empty_draft(school, headteacher, windows):
    """A Development draft just started: nothing answered yet."""
    return DraftApplicationFactory(
        school=school,
        created_by=headteacher,
        school_details_confirmed=False,
        contact_name="",
        contact_role="",
        commit_release_teachers=False,
        commit_headteacher_attends=False,
        commit_reports=False,
        participants=0,
    )


@pytest.fixture
def readiness_draft(school, headteacher, windows):
    return DraftApplicationFactory(
        school=school, created_by=headteacher, stage=stage("mr"), participants=0
    )


def text(response) -> str:
    """The page's HTML with entities decoded, so messages read as written."""
    return html_lib.unescape(response.content.decode())


def section_url(application, name):
    return reverse("applications:section", args=[application.pk, name])


def card(html: str, code: str, year_slug: str = THIS_YEAR) -> str:
    """The programme page's card for one stage and year."""
    start = html.index(f'id="stage-{code}-{year_slug}"')
    end = html.find('class="govuk-summary-card"', start + 1)
    return html[start : end if end != -1 else len(html)]


def field_error(html: str, field_id: str) -> str:
    """The error message shown beside a field (empty when there is none)."""
    match = re.search(
        rf'<p id="{field_id}-error" class="govuk-error-message">(.*?)</p>', html, re.S
    )
    return " ".join(match.group(1).split()) if match else ""


def assert_error_beside(response, field_id: str, message: str) -> None:
    html = text(response)
    assert message in field_error(html, field_id), f"no '{message}' beside {field_id}"
    # The summary at the top links to the field.
    assert f'<a href="#{field_id}">{message}</a>' in html
    assert "(error)" in html.split("</title>")[0]


# ---------------------------------------------------------------------------
# Your school's programme


def test_programme_shows_each_stage_with_where_the_school_stands(head_client, school, windows):
    ParticipationFactory(school=school, stage=stage("mr"), year=year(2025), outcome="completed")

    response = head_client.get(reverse("applications:programme"))

    assert response.status_code == 200
    html = text(response)
    assert "<h1" in html and html.count("<h1") == 1
    assert "Your school's programme" in html
    assert school.name in html
    assert "2026/27 (this academic year)" in html

    dwg = card(html, "dwg")
    assert "Eligible" in dwg and "Priority" in dwg
    assert "Applications close on 31 July 2027." in dwg
    assert "Priority: the school completed Mastery Readiness in 2025/26." in dwg
    assert "Start application" in dwg

    emb = card(html, "emb")
    assert "Not eligible" in emb
    assert "Embedding needs a completed Development Work Group." in emb
    assert "Start application" not in emb

    sus = card(html, "sus")
    assert "Not eligible" in sus
    assert "has not opened applications for Sustaining in 2026/27" in sus

    # Past participation table.
    assert "Past participation" in html
    assert re.search(r"2025/26</td>\s*<th[^>]*>Mastery Readiness</th>\s*<td[^>]*>Completed", html)


def test_programme_shows_the_application_and_its_state(head_client, school, headteacher, windows):
    submitted = SubmittedApplicationFactory(school=school, created_by=headteacher)

    html = text(head_client.get(reverse("applications:programme")))

    dwg = card(html, "dwg")
    assert "Submitted" in dwg
    assert reverse("applications:detail", args=[submitted.pk]) in dwg
    assert "View application" in dwg
    assert "Start application" not in dwg
    # One stage a year: the others say why not.
    mr = card(html, "mr")
    assert "The school already has an application for Development Work Group in 2026/27" in mr


def test_programme_offers_to_continue_a_draft(head_client, empty_draft):
    html = text(head_client.get(reverse("applications:programme")))
    dwg = card(html, "dwg")
    assert "Draft" in dwg
    assert "Continue application" in dwg


def test_a_withdrawn_application_is_shown_and_the_school_may_apply_again(
    head_client, school, headteacher, windows
):
    WithdrawnApplicationFactory(school=school, created_by=headteacher)
    html = text(head_client.get(reverse("applications:programme")))
    dwg = card(html, "dwg")
    assert "Withdrawn" in dwg
    assert "View application" in dwg
    assert "Can the school apply again?" in dwg
    assert "Start application" in dwg


def test_a_new_draft_is_shown_rather_than_the_withdrawn_one_before_it(
    head_client, school, headteacher, windows
):
    WithdrawnApplicationFactory(school=school, created_by=headteacher)
    draft = DraftApplicationFactory(school=school, created_by=headteacher)
    dwg = card(text(head_client.get(reverse("applications:programme"))), "dwg")
    assert reverse("applications:detail", args=[draft.pk]) in dwg
    assert "Continue application" in dwg
    assert "Withdrawn" not in dwg


def test_programme_shows_next_year_when_the_hub_has_windows_for_it(head_client, hub, windows):
    ApplicationWindowFactory(hub=hub, stage=stage("dwg"), year=year(2027))
    html = text(head_client.get(reverse("applications:programme")))
    assert "2027/28 (next academic year)" in html
    assert "Applications for Development Work Group in 2027/28 open on 1 September 2027." in card(
        html, "dwg", "2027-28"
    )


def test_programme_without_next_years_windows_shows_this_year_only(head_client, windows):
    html = text(head_client.get(reverse("applications:programme")))
    assert "next academic year" not in html


def _history(school, headteacher, hub, size: int) -> None:
    """Years of participation and applications, plus other hubs' windows."""
    for offset in range(size):
        start = 2025 - offset
        ParticipationFactory(
            school=school, stage=stage("sus"), year=year(start), outcome="completed"
        )
        SubmittedApplicationFactory(
            school=school,
            created_by=headteacher,
            stage=stage("sus"),
            year=year(start),
            state="accepted",
        )
        ApplicationWindowFactory(hub=hub, stage=stage("sus"), year=year(start))
    WithdrawnApplicationFactory(school=school, created_by=headteacher, year=year(2026))


@pytest.mark.parametrize("size", [1, 12])
def test_school_programme_costs_six_queries_however_long_the_history(
    school, headteacher, hub, windows, size, django_assert_num_queries
):
    _history(school, headteacher, hub, size)
    active_membership(headteacher)  # the person's roles are loaded once per request
    this_year = year(2026)

    with django_assert_num_queries(6):
        statuses = school_programme(headteacher, school, this_year, TODAY)

    assert [s.stage.code for s in statuses] == ["mr", "dwg", "emb", "sus"]
    by_code = {s.stage.code: s for s in statuses}
    assert by_code["dwg"].application.state == ApplicationState.WITHDRAWN
    assert by_code["sus"].application is None
    assert by_code["emb"].eligibility.eligible is False


def test_programme_page_query_count_does_not_grow_with_history(
    client, school, headteacher, hub, windows
):
    def count_queries() -> int:
        client.force_login(headteacher)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("applications:programme"))
        assert response.status_code == 200
        return len(queries)

    _history(school, headteacher, hub, 1)
    small = count_queries()
    _history(school, headteacher, hub, 0)  # the withdrawn one again
    for offset in range(2, 14):
        ParticipationFactory(
            school=school, stage=stage("emb"), year=year(2025 - offset), outcome="completed"
        )
    large = count_queries()
    assert small == large


# ---------------------------------------------------------------------------
# Starting an application


def test_start_creates_a_draft_and_a_second_start_returns_it(head_client, school, windows):
    url = reverse("applications:start", args=["dwg"])

    first = head_client.post(url, {"year": THIS_YEAR})
    application = Application.objects.get(school=school)
    assert first.status_code == 302
    assert first["Location"] == reverse("applications:detail", args=[application.pk])
    assert application.state == ApplicationState.DRAFT

    second = head_client.post(url, {"year": THIS_YEAR})
    assert second["Location"] == first["Location"]
    assert Application.objects.filter(school=school).count() == 1


def test_start_for_an_ineligible_stage_shows_why_on_the_programme_page(
    head_client, school, windows
):
    response = head_client.post(
        reverse("applications:start", args=["emb"]), {"year": THIS_YEAR}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("applications:programme")
    assert "Embedding needs a completed Development Work Group." in text(response)
    assert not Application.objects.filter(school=school).exists()


@pytest.mark.parametrize("year_slug", ["", "2026", "1999-00", "2026-28"])
def test_start_with_an_unknown_year_is_refused(head_client, school, windows, year_slug):
    response = head_client.post(
        reverse("applications:start", args=["dwg"]), {"year": year_slug}, follow=True
    )
    assert "Choose an academic year" in text(response)
    assert not Application.objects.filter(school=school).exists()


def test_start_needs_a_post(head_client, windows):
    assert head_client.get(reverse("applications:start", args=["dwg"])).status_code == 405


def test_start_for_an_unknown_stage_is_not_found(head_client, windows):
    response = head_client.post(reverse("applications:start", args=["xyz"]), {"year": THIS_YEAR})
    assert response.status_code == 404


# ---------------------------------------------------------------------------
# The task list


def test_a_draft_shows_the_task_list_and_cannot_be_submitted_yet(head_client, empty_draft):
    html = text(head_client.get(reverse("applications:detail", args=[empty_draft.pk])))
    assert "govuk-task-list" in html
    for key in ("school", "commitments", "participants"):
        assert section_url(empty_draft, key) in html
    assert section_url(empty_draft, "action_plan") not in html
    assert html.count("Incomplete</strong>") == 3
    assert "Cannot start yet" in html
    assert reverse("applications:check", args=[empty_draft.pk]) not in html


def test_a_complete_draft_links_to_check_your_answers(head_client, school, headteacher, windows):
    draft = DraftApplicationFactory(school=school, created_by=headteacher)
    html = text(head_client.get(reverse("applications:detail", args=[draft.pk])))
    for key in ("school", "commitments", "participants"):
        assert re.search(rf'id="task-{key}-status">\s*Completed\s*</div>', html), key
    assert "Incomplete</strong>" not in html
    assert reverse("applications:check", args=[draft.pk]) in html
    assert "Cannot start yet" not in html


def test_readiness_has_an_action_plan_section(head_client, readiness_draft):
    html = text(head_client.get(reverse("applications:detail", args=[readiness_draft.pk])))
    assert section_url(readiness_draft, "action_plan") in html
    assert "Set your action-plan priorities" in html


# ---------------------------------------------------------------------------
# Sections


def test_school_section_saves_and_returns_to_the_task_list(head_client, empty_draft):
    response = head_client.post(
        section_url(empty_draft, "school"),
        {
            "school_details_confirmed": "on",
            "contact_name": "Pat Head",
            "contact_role": "Headteacher",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("applications:detail", args=[empty_draft.pk])
    assert "Saved: confirm your school's details" in text(response)
    empty_draft.refresh_from_db()
    assert empty_draft.school_details_confirmed is True
    assert empty_draft.contact_name == "Pat Head"
    assert empty_draft.contact_role == "Headteacher"


def test_school_section_shows_the_gias_details(head_client, empty_draft):
    html = text(head_client.get(section_url(empty_draft, "school")))
    assert empty_draft.school.name in html
    assert str(empty_draft.school.urn) in html
    assert "These details are correct" in html


def test_school_section_needs_the_confirmation_and_keeps_what_was_typed(head_client, empty_draft):
    response = head_client.post(
        section_url(empty_draft, "school"),
        {"contact_name": "Pat Head", "contact_role": ""},
    )
    assert response.status_code == 200
    assert_error_beside(
        response, "id_school_details_confirmed", "Confirm that your school's details are correct"
    )
    assert_error_beside(response, "id_contact_role", "Enter your role in the school")
    assert 'value="Pat Head"' in text(response)
    empty_draft.refresh_from_db()
    assert empty_draft.contact_name == ""


def test_every_commitment_is_required_and_nothing_is_saved_without_all(head_client, empty_draft):
    response = head_client.post(
        section_url(empty_draft, "commitments"), {"commit_release_teachers": "on"}
    )

    assert response.status_code == 200
    html = text(response)
    error = field_error(html, "commitments")
    assert "Confirm that the headteacher attends the launch and the final meeting" in error
    assert "Confirm the school will provide the reports the hub asks for" in error
    assert '<a href="#id_commit_reports">' in html
    # The box that was ticked is still ticked.
    assert re.search(r'id="id_commit_release_teachers"[^>]*checked', html)
    assert not re.search(r'id="id_commit_reports"[^>]*checked', html)
    empty_draft.refresh_from_db()
    assert empty_draft.commit_release_teachers is False


def test_commitments_name_the_stages_headteacher_commitment(head_client, empty_draft):
    html = text(head_client.get(section_url(empty_draft, "commitments")))
    assert "The headteacher attends the launch and the final meeting" in html
    assert "release its two participating teachers for every meeting and visit" in html
    assert "<legend" in html


def test_commitments_save(head_client, empty_draft):
    head_client.post(
        section_url(empty_draft, "commitments"),
        {
            "commit_release_teachers": "on",
            "commit_headteacher_attends": "on",
            "commit_reports": "on",
        },
    )
    empty_draft.refresh_from_db()
    assert empty_draft.commit_release_teachers
    assert empty_draft.commit_headteacher_attends
    assert empty_draft.commit_reports


def participants_data(**overrides) -> dict:
    data = {
        "participant_1_name": "Ada Lovelace",
        "participant_1_email": "ada@school.example",
        "participant_1_job_role": "Maths lead",
        "participant_1_is_maths_lead": "on",
        "participant_1_trn": "",
        "participant_2_name": "Alan Turing",
        "participant_2_email": "alan@school.example",
        "participant_2_job_role": "Year 4 teacher",
        "participant_2_trn": "1234567",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_a_bad_trn_is_shown_beside_the_field_and_nothing_is_saved(head_client, empty_draft):
    response = head_client.post(
        section_url(empty_draft, "participants"), participants_data(participant_1_trn="12345")
    )

    assert response.status_code == 200
    assert_error_beside(
        response,
        "id_participant_1_trn",
        "Enter participant 1's TRN as exactly 7 digits, like 1234567, or leave it empty",
    )
    html = text(response)
    assert 'value="12345"' in html
    assert 'value="Ada Lovelace"' in html
    assert 'value="alan@school.example"' in html
    assert not Participant.objects.filter(application=empty_draft).exists()


def test_the_two_participants_need_different_email_addresses(head_client, empty_draft):
    response = head_client.post(
        section_url(empty_draft, "participants"),
        participants_data(participant_2_email="ADA@school.example"),
    )
    assert response.status_code == 200
    assert_error_beside(
        response,
        "id_participant_2_email",
        "Participant 2's email address must be different from participant 1's",
    )
    assert not Participant.objects.filter(application=empty_draft).exists()


def test_readiness_needs_one_participant_to_be_the_maths_lead(head_client, readiness_draft):
    response = head_client.post(
        section_url(readiness_draft, "participants"),
        participants_data(participant_1_is_maths_lead=None),
    )
    assert response.status_code == 200
    assert_error_beside(
        response,
        "id_participant_1_is_maths_lead",
        "One of the participants must be the school's maths lead for Mastery Readiness: "
        "tick the box for the maths lead",
    )
    assert not Participant.objects.filter(application=readiness_draft).exists()


def test_development_does_not_need_a_maths_lead(head_client, empty_draft):
    response = head_client.post(
        section_url(empty_draft, "participants"),
        participants_data(participant_1_is_maths_lead=None),
    )
    assert response.status_code == 302
    assert not Participant.objects.filter(application=empty_draft, is_maths_lead=True).exists()


def test_missing_participant_fields_say_which_participant(head_client, empty_draft):
    response = head_client.post(
        section_url(empty_draft, "participants"),
        participants_data(participant_2_name="", participant_2_email="not-an-email"),
    )
    assert_error_beside(response, "id_participant_2_name", "Enter participant 2's full name")
    assert_error_beside(
        response,
        "id_participant_2_email",
        "Enter participant 2's email address in the correct format, like name@example.com",
    )


def test_participants_are_saved_and_shown_again_when_the_draft_is_resumed(head_client, empty_draft):
    response = head_client.post(
        section_url(empty_draft, "participants"), participants_data(participant_1_trn="765 4321")
    )
    assert response.status_code == 302

    saved = list(empty_draft.participants.order_by("position"))
    assert [(p.name, p.email, p.is_maths_lead, p.trn) for p in saved] == [
        ("Ada Lovelace", "ada@school.example", True, "7654321"),
        ("Alan Turing", "alan@school.example", False, "1234567"),
    ]

    # Coming back later: the section shows what was saved, the task list that it is done.
    html = text(head_client.get(section_url(empty_draft, "participants")))
    assert 'value="Ada Lovelace"' in html
    assert 'value="7654321"' in html
    assert re.search(r'id="id_participant_1_is_maths_lead"[^>]*checked', html)
    task_list = text(head_client.get(reverse("applications:detail", args=[empty_draft.pk])))
    assert re.search(r'id="task-participants-status">\s*Completed', task_list)
    assert re.search(r'id="task-school-status">\s*<strong class="govuk-tag">Incomplete', task_list)


def test_action_plan_has_a_character_count_and_a_limit(head_client, readiness_draft):
    url = section_url(readiness_draft, "action_plan")
    html = text(head_client.get(url))
    assert 'data-module="govuk-character-count"' in html
    assert 'data-maxlength="2000"' in html
    assert "You can enter up to 2,000 characters" in html

    too_long = "x" * 2001
    response = head_client.post(url, {"action_plan_priorities": too_long})
    assert_error_beside(
        response,
        "id_action_plan_priorities",
        "Your action-plan priorities must be 2,000 characters or fewer",
    )
    assert too_long in text(response)
    readiness_draft.refresh_from_db()
    assert readiness_draft.action_plan_priorities == "Fluency in number facts"


def test_action_plan_counts_a_line_break_as_one_character(head_client, readiness_draft):
    text = "a" * 999 + "\r\n" + "a" * 1000  # 2,000 characters as the page counts them
    response = head_client.post(
        section_url(readiness_draft, "action_plan"), {"action_plan_priorities": text}
    )
    assert response.status_code == 302
    readiness_draft.refresh_from_db()
    assert readiness_draft.action_plan_priorities == "a" * 999 + "\n" + "a" * 1000


@pytest.mark.parametrize("name", ["action_plan", "payment", "declaration"])
def test_a_section_the_stage_does_not_have_is_not_found(head_client, empty_draft, name):
    assert head_client.get(section_url(empty_draft, name)).status_code == 404


def test_a_submitted_application_cannot_be_changed(head_client, school, headteacher, windows):
    submitted = SubmittedApplicationFactory(school=school, created_by=headteacher)
    response = head_client.post(
        section_url(submitted, "school"),
        {"school_details_confirmed": "on", "contact_name": "Someone Else", "contact_role": "x"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("applications:detail", args=[submitted.pk])
    assert "can no longer be changed" in text(response)
    submitted.refresh_from_db()
    assert submitted.contact_name == "Pat Head"


# ---------------------------------------------------------------------------
# Check your answers and submit


def test_check_answers_lists_every_answer_with_change_links(
    head_client, school, headteacher, windows
):
    draft = DraftApplicationFactory(school=school, created_by=headteacher)
    html = text(head_client.get(reverse("applications:check", args=[draft.pk])))
    assert "Check your answers before submitting your application" in html
    for key in ("school", "commitments", "participants"):
        assert section_url(draft, key) in html
    for participant in draft.participants.all():
        assert participant.email in html
    assert "I confirm the school will meet these commitments and the information is correct" in html


def test_submitting_an_incomplete_application_lists_what_is_missing(head_client, empty_draft):
    response = head_client.post(
        reverse("applications:check", args=[empty_draft.pk]), {"declaration": "on"}
    )
    assert response.status_code == 200
    html = text(response)
    summary = html.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    assert "Complete this section first: Confirm your school's details" in summary
    assert "Complete this section first: Name the participating teachers" in summary
    assert f'href="{section_url(empty_draft, "commitments")}"' in summary
    empty_draft.refresh_from_db()
    assert empty_draft.state == ApplicationState.DRAFT


def test_submitting_without_the_declaration_shows_the_error_beside_it(
    head_client, school, headteacher, windows
):
    draft = DraftApplicationFactory(school=school, created_by=headteacher)
    response = head_client.post(reverse("applications:check", args=[draft.pk]), {})
    assert response.status_code == 200
    assert_error_beside(
        response, "id_declaration", "Confirm the declaration to submit the application"
    )
    draft.refresh_from_db()
    assert draft.state == ApplicationState.DRAFT


def test_submitting_with_the_declaration_submits_and_mails_the_headteacher(
    head_client,
    school,
    headteacher,
    windows,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    draft = DraftApplicationFactory(school=school, created_by=headteacher)

    with django_capture_on_commit_callbacks(execute=True):
        response = head_client.post(
            reverse("applications:check", args=[draft.pk]), {"declaration": "on"}
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("applications:detail", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.state == ApplicationState.SUBMITTED
    assert draft.declaration is True
    assert draft.submitted_by == headteacher
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [headteacher.email]
    assert "is submitted" in mailoutbox[0].subject

    confirmation = text(head_client.get(response["Location"]))
    assert "govuk-panel--confirmation" in confirmation
    assert "Application submitted" in confirmation
    assert draft.participants.first().email in confirmation
    # The confirmation is shown once; the page after is the application as it stands.
    again = text(head_client.get(response["Location"]))
    assert "govuk-panel" not in again
    assert "Submitted</strong>" in again
    assert reverse("applications:withdraw", args=[draft.pk]) in again


def test_submitting_after_the_window_closed_shows_why(head_client, school, headteacher, hub):
    ApplicationWindowFactory(hub=hub, stage=stage("dwg"), year=year(2026), closes=date(2026, 11, 1))
    draft = DraftApplicationFactory(school=school, created_by=headteacher)
    response = head_client.post(
        reverse("applications:check", args=[draft.pk]), {"declaration": "on"}
    )
    assert response.status_code == 200
    assert "closed on 1 November 2026" in text(response)
    draft.refresh_from_db()
    assert draft.state == ApplicationState.DRAFT


def test_check_answers_of_a_submitted_application_goes_to_the_application(
    head_client, school, headteacher, windows
):
    submitted = SubmittedApplicationFactory(school=school, created_by=headteacher)
    response = head_client.post(
        reverse("applications:check", args=[submitted.pk]), {"declaration": "on"}
    )
    assert response["Location"] == reverse("applications:detail", args=[submitted.pk])


def test_a_decided_application_shows_the_decision_and_the_hubs_reason(
    head_client, school, headteacher, windows
):
    declined = DeclinedApplicationFactory(school=school, created_by=headteacher)
    html = text(head_client.get(reverse("applications:detail", args=[declined.pk])))
    assert "Declined</strong>" in html
    assert "The school is outside the hub's area." in html
    assert reverse("applications:withdraw", args=[declined.pk]) not in html
    assert "govuk-task-list" not in html


# ---------------------------------------------------------------------------
# Withdrawing


@pytest.mark.parametrize(
    "factory", [DraftApplicationFactory, SubmittedApplicationFactory], ids=["draft", "submitted"]
)
def test_withdraw_before_a_decision_needs_no_reason(
    head_client, school, headteacher, windows, factory
):
    application = factory(school=school, created_by=headteacher)
    url = reverse("applications:withdraw", args=[application.pk])
    assert head_client.get(url).status_code == 200

    response = head_client.post(url, {"reason": ""}, follow=True)

    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    assert response.redirect_chain[-1][0] == reverse("applications:programme")
    assert "is withdrawn" in text(response)


def test_withdraw_after_acceptance_needs_a_reason(head_client, school, headteacher, windows):
    accepted = AcceptedApplicationFactory(school=school, created_by=headteacher)
    url = reverse("applications:withdraw", args=[accepted.pk])

    response = head_client.post(url, {"reason": "  "})

    assert response.status_code == 200
    assert_error_beside(
        response, "id_reason", "Enter why the school is withdrawing after acceptance"
    )
    accepted.refresh_from_db()
    assert accepted.state == ApplicationState.ACCEPTED

    head_client.post(url, {"reason": "Our maths lead has left."})
    accepted.refresh_from_db()
    assert accepted.state == ApplicationState.WITHDRAWN
    assert accepted.withdrawn_reason == "Our maths lead has left."


def test_a_declined_application_cannot_be_withdrawn(head_client, school, headteacher, windows):
    declined = DeclinedApplicationFactory(school=school, created_by=headteacher)
    response = head_client.post(
        reverse("applications:withdraw", args=[declined.pk]), {"reason": "x"}, follow=True
    )
    assert "is declined and cannot be withdrawn" in text(response)
    declined.refresh_from_db()
    assert declined.state == ApplicationState.DECLINED


# ---------------------------------------------------------------------------
# Who may see what


def application_urls(application) -> list[str]:
    return [
        reverse("applications:detail", args=[application.pk]),
        section_url(application, "school"),
        reverse("applications:check", args=[application.pk]),
        reverse("applications:withdraw", args=[application.pk]),
    ]


def test_another_schools_application_is_not_found(head_client, other_school):
    theirs = DraftApplicationFactory(school=other_school)
    for url in application_urls(theirs):
        assert head_client.get(url).status_code == 404, url
        assert head_client.post(url, {"declaration": "on"}).status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.state == ApplicationState.DRAFT


@pytest.mark.parametrize("person", ["hub_lead", "specialist", "national_admin"])
def test_other_roles_may_not_use_the_headteacher_pages(client, request, school, windows, person):
    submitted = SubmittedApplicationFactory(school=school)
    client.force_login(request.getfixturevalue(person))
    urls = [reverse("applications:programme"), *application_urls(submitted)]
    for url in urls:
        assert client.get(url).status_code == 403, url
    start = reverse("applications:start", args=["dwg"])
    assert client.post(start, {"year": THIS_YEAR}).status_code == 403
    assert client.post(application_urls(submitted)[-1], {"reason": "x"}).status_code == 403
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.SUBMITTED


def test_signed_out_people_are_sent_to_sign_in(client, empty_draft):
    for url in [reverse("applications:programme"), *application_urls(empty_draft)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
