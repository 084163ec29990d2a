"""The application workflow's services: states, permissions, audit and the
database rules, including two submissions racing on PostgreSQL."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from tests.concurrency import race
from tests.factories import (
    AcceptedApplicationFactory,
    ApplicationWindowFactory,
    DraftApplicationFactory,
    HeadteacherFactory,
    HubLeadFactory,
    SchoolFactory,
    SubmittedApplicationFactory,
    WaitlistedApplicationFactory,
    stage,
    year,
)
from workgroups import services
from workgroups.models import Application, ApplicationState

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 23)


@pytest.fixture
def window(hub):
    return ApplicationWindowFactory(hub=hub, stage=stage("dwg"), year=year(2026))


@pytest.fixture
def draft(school, headteacher, window):
    return DraftApplicationFactory(school=school, created_by=headteacher)


def test_start_creates_a_draft_and_returns_it_again(school, headteacher, window):
    first = services.application_start(
        actor=headteacher, school=school, stage=stage("dwg"), year=year(2026), today=TODAY
    )
    again = services.application_start(
        actor=headteacher, school=school, stage=stage("dwg"), year=year(2026), today=TODAY
    )
    assert first.pk == again.pk
    assert first.state == ApplicationState.DRAFT
    assert first.once_only is True
    assert first.history.first().history_user == headteacher


def test_start_refuses_an_ineligible_school_with_the_reason(school, headteacher):
    with pytest.raises(ValidationError) as error:
        services.application_start(
            actor=headteacher, school=school, stage=stage("emb"), year=year(2026), today=TODAY
        )
    assert "Embedding needs a completed Development Work Group." in error.value.messages


def test_only_the_schools_headteacher_may_apply(school, hub_lead, window):
    other_head = HeadteacherFactory(school=SchoolFactory(hub=school.hub)).user
    for actor in (hub_lead, other_head):
        with pytest.raises(PermissionDenied):
            services.application_start(
                actor=actor, school=school, stage=stage("dwg"), year=year(2026), today=TODAY
            )


def test_answers_are_saved_to_the_draft_with_history(draft, headteacher):
    services.application_save_answers(
        actor=headteacher,
        application=draft,
        section="commitments",
        answers={"commit_reports": False},
    )
    draft.refresh_from_db()
    assert draft.commit_reports is False
    latest = draft.history.first()
    assert latest.history_user == headteacher
    assert latest.history_change_reason == "Saved commitments"


def test_submit_needs_every_task_and_the_declaration(draft, headteacher):
    draft.commit_reports = False
    draft.save()
    with pytest.raises(ValidationError) as error:
        services.application_submit(
            actor=headteacher, application=draft, declaration=True, today=TODAY
        )
    assert error.value.messages == ["Complete this section first: Make the commitments"]
    draft.commit_reports = True
    draft.save()
    with pytest.raises(ValidationError) as error:
        services.application_submit(
            actor=headteacher, application=draft, declaration=False, today=TODAY
        )
    assert "declaration" in error.value.message_dict
    draft.refresh_from_db()
    assert draft.state == ApplicationState.DRAFT


def test_readiness_needs_the_maths_lead_among_the_participants(school, headteacher, hub):
    ApplicationWindowFactory(hub=hub, stage=stage("mr"))
    application = DraftApplicationFactory(school=school, stage=stage("mr"), created_by=headteacher)
    application.participants.update(is_maths_lead=False)
    tasks = {t.key: t.done for t in services.application_tasks(application)}
    assert tasks == {
        "school": True,
        "commitments": True,
        "participants": False,
        "action_plan": True,
    }


def test_submit_records_priority_and_sends_a_confirmation(
    draft, headteacher, django_capture_on_commit_callbacks, mailoutbox
):
    from tests.factories import ParticipationFactory

    ParticipationFactory(school=draft.school, stage=stage("mr"), year=year(2025))
    with django_capture_on_commit_callbacks(execute=True):
        submitted = services.application_submit(
            actor=headteacher, application=draft, declaration=True, today=TODAY
        )
    assert submitted.state == ApplicationState.SUBMITTED
    assert submitted.priority is True
    assert submitted.submitted_by == headteacher
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [headteacher.email]
    assert "submitted" in mailoutbox[0].subject
    assert f"/applications/{draft.pk}/" in mailoutbox[0].body


def test_submitting_twice_is_refused(draft, headteacher):
    services.application_submit(actor=headteacher, application=draft, declaration=True, today=TODAY)
    with pytest.raises(services.InvalidTransition):
        services.application_submit(
            actor=headteacher, application=draft, declaration=True, today=TODAY
        )


@pytest.mark.parametrize(
    ("decision", "reason", "state"),
    [
        ("accept", "", ApplicationState.ACCEPTED),
        ("waitlist", "Full for now", ApplicationState.WAITLISTED),
        ("decline", "Not ready this year", ApplicationState.DECLINED),
    ],
)
def test_decisions_record_the_actor_and_email_the_reason(
    school,
    hub_lead,
    headteacher,
    decision,
    reason,
    state,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    application = SubmittedApplicationFactory(school=school, submitted_by=headteacher)
    with django_capture_on_commit_callbacks(execute=True):
        getattr(services, f"application_{decision}")(
            actor=hub_lead, application=application, reason=reason
        )
    application.refresh_from_db()
    assert application.state == state
    assert application.decided_by == hub_lead
    record = application.history.first()
    assert record.history_user == hub_lead
    assert record.history_change_reason == (reason or "Decision: Accepted")
    assert len(mailoutbox) == 1
    assert headteacher.email in mailoutbox[0].to
    if reason:
        assert reason in mailoutbox[0].body


@pytest.mark.parametrize("decision", ["waitlist", "decline"])
def test_waitlist_and_decline_need_a_reason(school, hub_lead, decision):
    application = SubmittedApplicationFactory(school=school)
    with pytest.raises(ValidationError) as error:
        getattr(services, f"application_{decision}")(
            actor=hub_lead, application=application, reason=" "
        )
    assert "reason" in error.value.message_dict
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED


def test_decisions_are_refused_from_the_wrong_state(school, hub_lead):
    draft = DraftApplicationFactory(school=school)
    with pytest.raises(services.InvalidTransition):
        services.application_accept(actor=hub_lead, application=draft)
    waitlisted = WaitlistedApplicationFactory(school=SchoolFactory(hub=school.hub))
    with pytest.raises(services.InvalidTransition):
        services.application_waitlist(actor=hub_lead, application=waitlisted, reason="again")


def test_promote_from_the_waiting_list(school, hub_lead):
    application = WaitlistedApplicationFactory(school=school)
    services.application_accept(actor=hub_lead, application=application)
    application.refresh_from_db()
    assert application.state == ApplicationState.ACCEPTED


def test_only_a_lead_of_the_hub_applied_to_decides(
    school, other_hub_lead, specialist, national_admin
):
    application = SubmittedApplicationFactory(school=school)
    for actor in (other_hub_lead, specialist, national_admin):
        with pytest.raises(PermissionDenied):
            services.application_accept(actor=actor, application=application)


def test_accept_many_is_all_or_nothing(hub, hub_lead):
    good = [SubmittedApplicationFactory(school=SchoolFactory(hub=hub)) for _ in range(2)]
    declined = SubmittedApplicationFactory(school=SchoolFactory(hub=hub), state="declined")
    with pytest.raises(services.InvalidTransition):
        services.application_accept_many(actor=hub_lead, applications=[*good, declined])
    assert not Application.objects.filter(state=ApplicationState.ACCEPTED).exists()
    accepted = services.application_accept_many(actor=hub_lead, applications=good)
    assert {a.state for a in accepted} == {ApplicationState.ACCEPTED}


def test_withdraw_before_a_decision_and_after_acceptance_with_a_reason(school, headteacher):
    submitted = SubmittedApplicationFactory(school=school)
    services.application_withdraw(actor=headteacher, application=submitted)
    submitted.refresh_from_db()
    assert submitted.state == ApplicationState.WITHDRAWN

    accepted = AcceptedApplicationFactory(school=school, year=year(2027))
    with pytest.raises(ValidationError):
        services.application_withdraw(actor=headteacher, application=accepted, reason="")
    services.application_withdraw(
        actor=headteacher, application=accepted, reason="Our maths lead has left"
    )
    accepted.refresh_from_db()
    assert accepted.state == ApplicationState.WITHDRAWN
    assert accepted.history.first().history_change_reason == "Our maths lead has left"


def test_one_live_application_per_school_and_year(school):
    DraftApplicationFactory(school=school, stage=stage("mr"))
    with pytest.raises(IntegrityError), transaction.atomic():
        DraftApplicationFactory(school=school, stage=stage("dwg"))
    # Ended applications free the year.
    Application.objects.update(state=ApplicationState.WITHDRAWN)
    DraftApplicationFactory(school=school, stage=stage("dwg"))


def test_accepted_into_development_once_ever(school, hub_lead):
    AcceptedApplicationFactory(school=school, year=year(2024))
    later = SubmittedApplicationFactory(school=school, year=year(2026))
    with pytest.raises(ValidationError, match="may take it once"):
        services.application_accept(actor=hub_lead, application=later)
    later.refresh_from_db()
    assert later.state == ApplicationState.SUBMITTED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_submissions_cannot_both_succeed(hub):
    ApplicationWindowFactory(hub=hub, stage=stage("dwg"), year=year(2026))
    school = SchoolFactory(hub=hub)
    head = HeadteacherFactory(school=school).user
    draft = DraftApplicationFactory(school=school, created_by=head)

    def submit():
        return services.application_submit(
            actor=head,
            application=Application.objects.get(pk=draft.pk),
            declaration=True,
            today=TODAY,
        )

    outcomes = race(submit, submit)
    successes = [o for o in outcomes if isinstance(o, Application)]
    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert len(successes) == 1, outcomes
    assert len(failures) == 1 and isinstance(failures[0], services.InvalidTransition)
    assert (
        Application.objects.get(pk=draft.pk)
        .history.filter(history_change_reason="Submitted the application")
        .count()
        == 1
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_starts_for_different_stages_leave_one_application(hub):
    ApplicationWindowFactory(hub=hub, stage=stage("dwg"), year=year(2026))
    ApplicationWindowFactory(hub=hub, stage=stage("mr"), year=year(2026))
    school = SchoolFactory(hub=hub)
    head = HeadteacherFactory(school=school).user

    def start(code):
        return lambda: services.application_start(
            actor=head, school=school, stage=stage(code), year=year(2026), today=TODAY
        )

    outcomes = race(start("dwg"), start("mr"))
    assert sum(isinstance(o, Application) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1, outcomes
    assert Application.objects.filter(school=school).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_inserts_hit_the_database_constraint(hub):
    """Even code that skips the services cannot give a school two live applications."""
    school = SchoolFactory(hub=hub)
    stages = [stage("mr"), stage("dwg")]
    the_year = year(2026)

    def insert(index):
        return lambda: DraftApplicationFactory(school=school, stage=stages[index], year=the_year)

    outcomes = race(insert(0), insert(1))
    assert sum(isinstance(o, IntegrityError) for o in outcomes) == 1, outcomes
    assert Application.objects.filter(school=school).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_acceptances_into_development_accept_once(hub):
    school = SchoolFactory(hub=hub)
    lead = HubLeadFactory(hub=hub).user
    first = SubmittedApplicationFactory(school=school, year=year(2025))
    second = SubmittedApplicationFactory(school=school, year=year(2026))

    def accept(app):
        return lambda: services.application_accept(
            actor=lead, application=Application.objects.get(pk=app.pk)
        )

    outcomes = race(accept(first), accept(second))
    assert sum(isinstance(o, Application) for o in outcomes) == 1, outcomes
    assert Application.objects.filter(school=school, state=ApplicationState.ACCEPTED).count() == 1
