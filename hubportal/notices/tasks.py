"""The notice jobs. Sweeps (run by beat) plan what is due; ``dispatch_notices`` queues
one ``send_notice`` per due row; ``send_notice`` claims, sends and marks one notice.
Every task takes ids, is safe to run twice, and holds no transaction while mailing."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from hubportal.notices import services, sweeps
from hubportal.notices.delivery import NoLongerTrue, SubjectGone, send

log = logging.getLogger(__name__)
MAIL_ERRORS = (SMTPException, OSError)
MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def send_notice(self, notice_id: int) -> str:
    notice = services.notice_claim(notice_id)
    if notice is None:
        return "not pending"  # sent, being sent, turned off or gone: nothing to do
    try:
        send(notice)
    except SubjectGone as error:
        services.notice_failed(notice, str(error), final=True)
        return "subject gone"
    except NoLongerTrue as error:
        services.notice_dropped(notice, str(error))
        return "no longer true"
    except MAIL_ERRORS as error:
        final = self.request.retries >= MAX_RETRIES
        services.notice_failed(notice, f"{type(error).__name__}: {error}", final=final)
        if final:
            log.warning("notice %s failed for good: %s", notice_id, error)
            return "failed"
        raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error
    services.notice_sent(notice)
    return "sent"


@shared_task(acks_late=True)
def dispatch_notices() -> int:
    """Queue every notice that is due (and put back any a dead worker left)."""
    services.notice_recover()
    ids = services.due_ids()
    for notice_id in ids:
        send_notice.delay(notice_id)
    return len(ids)


def _sweep(plans) -> int:
    offered = services.notice_plan(plans)
    dispatch_notices.delay()
    return offered


@shared_task(acks_late=True)
def sweep_meetings() -> int:
    """Reminders before meetings and nudges for attendance logs not written."""
    now = timezone.now()
    return _sweep([*sweeps.meeting_reminders(now), *sweeps.log_nudges(now)])


@shared_task(acks_late=True)
def sweep_opportunities() -> int:
    """Application windows opening today, and claim deadlines coming."""
    today = timezone.localdate()
    return _sweep([*sweeps.windows_opening(today), *sweeps.claim_deadlines(today)])
