"""The notice ledger: planned once, claimed by one sender, sent once, failures kept."""

from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from hubportal.notices import services, tasks
from hubportal.notices.models import Notice, NoticeKind, NoticePreference, NoticeState
from hubportal.notices.services import Plan, Recipient
from tests.concurrency import race
from tests.factories import AcceptedApplicationFactory, HeadteacherFactory

pytestmark = pytest.mark.django_db
S = NoticeState


@pytest.fixture
def application(school):
    return AcceptedApplicationFactory(school=school)


def plan_for(application, *recipients, kind="application", occasion="accept"):
    return Plan(
        kind=kind,
        subject_type="application",
        subject_id=application.pk,
        occasion=occasion,
        recipients=list(recipients),
        hub_id=application.hub_id,
        school_id=application.school_id,
    )


def test_planning_the_same_notice_twice_keeps_one_row_per_recipient(application):
    people = [Recipient("Head@School.example", "Ann Head"), Recipient("bursar@school.example")]
    services.notice_plan([plan_for(application, *people)])
    services.notice_plan([plan_for(application, *people, people[0])])
    assert sorted(Notice.objects.values_list("email", flat=True)) == [
        "bursar@school.example",
        "head@school.example",
    ]
    # Another occasion of the same subject is another notice.
    services.notice_plan([plan_for(application, people[0], occasion="decline")])
    assert Notice.objects.count() == 3


def test_send_task_sends_once_and_a_second_run_does_nothing(application, mailoutbox):
    head = HeadteacherFactory(school=application.school).user
    services.notice_plan([plan_for(application, Recipient(head.email, "Ann", head.pk))])
    notice = Notice.objects.get()

    assert tasks.send_notice(notice.pk) == "sent"
    assert tasks.send_notice(notice.pk) == "not pending"

    notice.refresh_from_db()
    assert notice.state == S.SENT and notice.sent_at and notice.attempts == 1
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [head.email]
    assert mailoutbox[0].extra_headers["Message-ID"] == notice.message_id


def test_a_claim_is_taken_by_one_caller_only(application):
    services.notice_plan([plan_for(application, Recipient("a@school.example"))])
    notice = Notice.objects.get()
    assert services.notice_claim(notice.pk) is not None
    assert services.notice_claim(notice.pk) is None


def test_a_notice_due_later_is_not_claimed_early(application):
    plan = plan_for(application, Recipient("a@school.example"))
    plan.due_at = timezone.now() + timedelta(hours=2)
    services.notice_plan([plan])
    assert services.due_ids() == []
    assert services.notice_claim(Notice.objects.get().pk) is None


class RefusingBackend(BaseEmailBackend):
    """A mail server that hangs up on every message."""

    def send_messages(self, messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")


def test_mail_errors_are_retried_then_shown_as_failed(application, settings):
    services.notice_plan([plan_for(application, Recipient("a@school.example"))])
    notice = Notice.objects.get()
    working = settings.MAILERS
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}

    # In-process, Celery runs each retry at once, nested: the innermost attempt gives up.
    from hubportal.celery import app

    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    try:
        tasks.send_notice.apply(args=[notice.pk])
    finally:
        app.conf.task_eager_propagates = propagates

    notice.refresh_from_db()
    assert notice.state == S.FAILED
    assert notice.attempts == tasks.MAX_RETRIES + 1
    assert "Connection unexpectedly closed" in notice.last_error
    # A hub lead sends it again once the problem is fixed.
    settings.MAILERS = working
    assert services.notice_retry(actor=None, notice=notice)
    assert tasks.send_notice(notice.pk) == "sent"


def test_a_notice_left_sending_is_checked_before_it_is_sent_again(application, mailoutbox):
    services.notice_plan(
        [plan_for(application, Recipient("a@school.example"), Recipient("b@school.example"))]
    )
    delivered, lost = Notice.objects.order_by("email")
    # Both were claimed by a worker that died: the first after the mail went, the second before.
    for notice in (delivered, lost):
        services.notice_claim(notice.pk)
    from hubportal.notices.delivery import send

    send(Notice.objects.get(pk=delivered.pk))
    assert len(mailoutbox) == 1
    later = timezone.now() + timedelta(hours=1)

    assert services.notice_recover(now=later) == {"delivered": 1, "requeued": 1}
    tasks.dispatch_notices()

    assert [m.to for m in mailoutbox] == [["a@school.example"], ["b@school.example"]]
    assert set(Notice.objects.values_list("state", flat=True)) == {S.SENT}


def test_a_notice_still_sending_within_the_timeout_is_left_alone(application):
    services.notice_plan([plan_for(application, Recipient("a@school.example"))])
    services.notice_claim(Notice.objects.get().pk)
    assert services.notice_recover() == {"delivered": 0, "requeued": 0}
    assert Notice.objects.get().state == S.SENDING


def test_optional_notices_turned_off_are_recorded_not_sent(application):
    NoticePreference.objects.create(email="a@school.example", reminders=False)
    reminder = plan_for(application, Recipient("A@school.example"), kind=NoticeKind.LOG_DUE)
    decision = plan_for(application, Recipient("a@school.example"))
    services.notice_plan([reminder, decision])
    states = dict(Notice.objects.values_list("kind", "state"))
    assert states == {NoticeKind.LOG_DUE: S.OFF, "application": S.PENDING}


def test_preferences_are_saved_per_person(headteacher):
    services.preference_save(
        actor=headteacher, reminders=False, opportunities=True, deadlines=False
    )
    preference = services.preference_for(headteacher.email.upper())
    assert (preference.reminders, preference.opportunities, preference.deadlines) == (
        False,
        True,
        False,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_senders_racing_for_one_notice_send_it_once(application):
    services.notice_plan([plan_for(application, Recipient("a@school.example"))])
    notice = Notice.objects.get()

    outcomes = race(*[lambda: services.notice_claim(notice.pk) is not None] * 20)

    assert outcomes.count(True) == 1
    assert Notice.objects.get().attempts == 1
