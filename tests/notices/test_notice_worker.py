"""Notices through the real Redis broker and a real Celery worker: each is sent once,
whether a dispatch runs twice or a worker died holding a notice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hubportal.notices import services, tasks
from hubportal.notices.models import Notice, NoticeState
from hubportal.notices.services import Plan, Recipient
from tests.factories import AcceptedApplicationFactory

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]
PEOPLE = [Recipient(f"head{n}@school.example", f"Head {n}") for n in range(3)]


def plan(school, occasion="accept"):
    application = AcceptedApplicationFactory(school=school)
    services.notice_plan(
        [
            Plan(
                kind="application",
                subject_type="application",
                subject_id=application.pk,
                occasion=occasion,
                recipients=PEOPLE,
                hub_id=application.hub_id,
                school_id=application.school_id,
            )
        ]
    )
    return Notice.objects.filter(subject_id=application.pk).order_by("email")


def wait_until_sent(notices, worker, timeout=20.0):
    import time

    deadline = time.monotonic() + timeout
    while set(notices.values_list("state", flat=True)) != {NoticeState.SENT}:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"not all sent: {list(notices.values('email', 'state'))}\n{worker.log_tail()}"
            )
        time.sleep(0.2)


def test_two_dispatches_send_each_notice_once(celery_worker_process, school):
    notices = plan(school)

    tasks.dispatch_notices.delay()
    tasks.dispatch_notices.delay()
    messages = celery_worker_process.wait_for_mail(3, settle=2.0)
    wait_until_sent(notices, celery_worker_process)

    assert sorted(m["To"] for m in messages) == [p.email for p in PEOPLE]
    assert {m["Message-ID"] for m in messages} == {n.message_id for n in notices}


def test_a_notice_left_sending_by_a_dead_worker_is_sent_once(celery_worker_process, school):
    delivered, lost, untouched = plan(school)
    # The first went out before its worker died; the second was taken but never sent.
    tasks.send_notice.delay(delivered.pk)
    celery_worker_process.wait_for_mail(1)
    wait_until_sent(Notice.objects.filter(pk=delivered.pk), celery_worker_process)
    services.notice_claim(lost.pk)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Notice.objects.filter(pk__in=[delivered.pk, lost.pk]).update(
        state=NoticeState.SENDING, claimed_at=an_hour_ago, sent_at=None
    )
    celery_worker_process.kill()  # and restarted: the new worker finds them

    tasks.dispatch_notices.delay()
    messages = celery_worker_process.wait_for_mail(3, settle=2.0)
    wait_until_sent(
        Notice.objects.filter(pk__in=[delivered.pk, lost.pk, untouched.pk]), celery_worker_process
    )

    assert sorted(m["To"] for m in messages) == [p.email for p in PEOPLE]
    assert Notice.objects.get(pk=delivered.pk).attempts == 1  # checked, not sent again
