"""A headteacher applies for a Development Work Group in headless Chromium: starts,
leaves half way, comes back, corrects a mistake, checks and submits; axe
(WCAG 2.2 AA) runs on every page visited."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import (
    DEMO_PASSWORD,
    AcceptedApplicationFactory,
    ApplicationWindowFactory,
    DraftApplicationFactory,
    HeadteacherFactory,
    HubAreaFactory,
    HubFactory,
    SchoolFactory,
    UserFactory,
    stage,
)
from workgroups.models import AcademicYear, Application, ApplicationState

# The programme stages are seeded by a data migration; a transactional test before
# this one may have flushed them, so the serialized copy is restored first.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def heading(page):
    return page.get_by_role("heading", level=1)


def test_headteacher_applies_for_development_and_resumes_a_draft(page, live_server, sign_in, axe):
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    school = SchoolFactory(hub=hub, urn=105101, name="Birchfield Primary School", la_code="352")
    this_year = AcademicYear.objects.current()
    today = timezone.localdate()
    ApplicationWindowFactory(
        hub=hub,
        stage=stage("dwg"),
        year=this_year,
        opens=today - timedelta(days=7),
        closes=today + timedelta(days=30),
    )
    head = HeadteacherFactory(
        school=school, user=UserFactory(email="head@birchfield.example", full_name="Pat Head")
    ).user
    dwg_card = f"#stage-dwg-{this_year.slug}"

    # Sign in and open the programme page.
    sign_in(head.email, DEMO_PASSWORD, axe_check=axe)
    expect(heading(page)).to_have_text("Birchfield Primary School")
    axe(page)
    page.get_by_role("link", name="Your programme", exact=True).click()
    expect(heading(page)).to_have_text("Your school's programme")
    expect(page.locator(dwg_card)).to_contain_text("Eligible")
    expect(page.locator("#stage-emb-" + this_year.slug)).to_contain_text(
        "Embedding needs a completed Development Work Group."
    )
    axe(page)

    # Start a Development Work Group application: the task list.
    page.locator(dwg_card).get_by_role("button", name="Start application").click()
    expect(heading(page)).to_have_text("Apply for Development Work Group")
    expect(page.locator("#task-check-status")).to_have_text("Cannot start yet")
    axe(page)

    # Confirm the school's details.
    page.get_by_role("link", name="Confirm your school's details").click()
    expect(heading(page)).to_have_text("Confirm your school's details")
    expect(page.get_by_label("Your name")).to_have_value("Pat Head")
    axe(page)
    page.get_by_label("These details are correct").check()
    page.get_by_label("Your role in the school").fill("Headteacher")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Saved")
    expect(page.locator("#task-school-status")).to_have_text("Completed")
    axe(page)

    # Leave: go home, sign out, and come back later.
    page.get_by_role("link", name="Home", exact=True).first.click()
    expect(heading(page)).to_have_text("Birchfield Primary School")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    sign_in(head.email, DEMO_PASSWORD)
    page.get_by_role("link", name="Your programme", exact=True).click()
    expect(page.locator(dwg_card)).to_contain_text("Draft")
    axe(page)
    page.locator(dwg_card).get_by_role("link", name="Continue application").click()
    expect(heading(page)).to_have_text("Apply for Development Work Group")
    expect(page.locator("#task-school-status")).to_have_text("Completed")
    expect(page.locator("#task-participants-status")).to_have_text("Incomplete")

    # Name the teachers, with a TRN that is too short.
    page.get_by_role("link", name="Name the participating teachers").click()
    expect(heading(page)).to_have_text("Name the participating teachers")
    axe(page)
    page.locator("#id_participant_1_name").fill("Ada Lovelace")
    page.locator("#id_participant_1_email").fill("ada@birchfield.example")
    page.locator("#id_participant_1_job_role").fill("Maths lead")
    page.locator("#id_participant_1_is_maths_lead").check()
    page.locator("#id_participant_1_trn").fill("12345")
    page.locator("#id_participant_2_name").fill("Alan Turing")
    page.locator("#id_participant_2_email").fill("alan@birchfield.example")
    page.locator("#id_participant_2_job_role").fill("Year 4 teacher")
    page.get_by_role("button", name="Save and continue").click()

    expect(page).to_have_title(re.compile(r"\(error\)"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#id_participant_1_trn")
    expect(page.locator("#id_participant_1_trn-error")).to_contain_text(
        "Enter participant 1's TRN as exactly 7 digits"
    )
    # What was typed is still there.
    expect(page.locator("#id_participant_1_trn")).to_have_value("12345")
    expect(page.locator("#id_participant_2_name")).to_have_value("Alan Turing")
    expect(page.locator("#id_participant_1_is_maths_lead")).to_be_checked()
    axe(page)
    # The summary link takes the person to the field.
    summary.get_by_role("link").click()
    expect(page.locator("#id_participant_1_trn")).to_be_focused()

    page.locator("#id_participant_1_trn").fill("1234567")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#task-participants-status")).to_have_text("Completed")
    axe(page)

    # The commitments.
    page.get_by_role("link", name="Make the commitments").click()
    expect(heading(page)).to_have_text("Make the commitments")
    axe(page)
    page.get_by_label("participating teachers for every meeting and visit").check()
    page.get_by_label("The headteacher attends the launch and the final meeting").check()
    page.get_by_label("The school will provide the reports the hub asks for").check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#task-commitments-status")).to_have_text("Completed")
    axe(page)

    # Check the answers, make the declaration and submit.
    page.get_by_role("link", name="Check your answers and submit").click()
    expect(heading(page)).to_have_text("Check your answers before submitting your application")
    expect(page.locator("main")).to_contain_text("ada@birchfield.example")
    expect(page.locator("main")).to_contain_text("1234567")
    axe(page)
    page.get_by_label(
        "I confirm the school will meet these commitments and the information is correct"
    ).check()
    page.get_by_role("button", name="Submit application").click()

    expect(heading(page)).to_have_text("Application submitted")
    expect(page.locator(".govuk-panel--confirmation")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Submitted")
    axe(page)

    application = Application.objects.get(school=school)
    assert application.state == ApplicationState.SUBMITTED
    assert [p.trn for p in application.participants.order_by("position")] == ["1234567", ""]
    assert len(axe.pages_checked) >= 14


def test_headteacher_writes_an_action_plan_and_withdraws_after_acceptance(
    page, live_server, sign_in, axe
):
    hub = HubFactory(name="Cambridge Maths Hub", code="CAM")
    HubAreaFactory(hub=hub, la_code="873", la_name="Cambridgeshire")
    school = SchoolFactory(hub=hub, urn=105201, name="Hazel Grove Primary", la_code="873")
    this_year = AcademicYear.objects.current()
    next_year, _ = AcademicYear.objects.get_or_create(start_year=this_year.start_year + 1)
    ApplicationWindowFactory(hub=hub, stage=stage("dwg"), year=this_year)
    ApplicationWindowFactory(hub=hub, stage=stage("mr"), year=next_year)
    head = HeadteacherFactory(school=school, user=UserFactory(email="head@hazel.example")).user
    accepted = AcceptedApplicationFactory(school=school, created_by=head, year=this_year)
    readiness = DraftApplicationFactory(
        school=school, created_by=head, stage=stage("mr"), year=next_year, action_plan_priorities=""
    )

    sign_in(head.email, DEMO_PASSWORD)
    page.get_by_role("link", name="Your programme", exact=True).click()
    expect(page.locator(f"#stage-dwg-{this_year.slug}")).to_contain_text("Accepted")
    expect(
        page.get_by_role("heading", name=f"{next_year.label} (next academic year)")
    ).to_be_visible()
    axe(page)

    # Next year's Readiness draft: the action plan, with its character count.
    page.locator(f"#stage-mr-{next_year.slug}").get_by_role(
        "link", name="Continue application"
    ).click()
    expect(heading(page)).to_have_text("Apply for Mastery Readiness")
    page.get_by_role("link", name="Set your action-plan priorities").click()
    # GOV.UK Frontend replaces the static message with a live count.
    count_message = page.locator(".govuk-character-count__status")
    axe(page)
    page.get_by_label("What are your school's priorities").fill("Fluency in number facts.")
    expect(count_message).to_contain_text("1,976 characters remaining")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#task-action_plan-status")).to_have_text("Completed")
    readiness.refresh_from_db()
    assert readiness.action_plan_priorities == "Fluency in number facts."

    # This year's accepted application: withdrawing needs a reason.
    page.get_by_role("link", name="Your programme", exact=True).click()
    page.locator(f"#stage-dwg-{this_year.slug}").get_by_role(
        "link", name="View application"
    ).click()
    expect(heading(page)).to_have_text("Your Development Work Group application")
    axe(page)
    page.get_by_role("link", name="Withdraw this application").click()
    expect(heading(page)).to_have_text("Withdraw your Development Work Group application")
    axe(page)
    page.get_by_role("button", name="Withdraw application").click()
    expect(page.locator("#id_reason-error")).to_contain_text(
        "Enter why the school is withdrawing after acceptance"
    )
    expect(page).to_have_title(re.compile(r"\(error\)"))
    axe(page)
    page.get_by_label("Why is the school withdrawing?").fill("Our maths lead has left the school.")
    page.get_by_role("button", name="Withdraw application").click()

    expect(heading(page)).to_have_text("Your school's programme")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("is withdrawn")
    expect(page.locator(f"#stage-dwg-{this_year.slug}")).to_contain_text("Withdrawn")
    axe(page)
    accepted.refresh_from_db()
    assert accepted.state == ApplicationState.WITHDRAWN
    assert accepted.withdrawn_reason == "Our maths lead has left the school."
