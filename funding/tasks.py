"""Background jobs for funding: each takes ids, reloads its rows, calls a service,
and returns quietly when the work is already done."""

from smtplib import SMTPException

from celery import shared_task


@shared_task(
    acks_late=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def send_clawback_notice(clawback_id: int) -> bool:
    """Tell the school's headteachers that money is asked back; sends nothing when
    the notice went already (see funding.assurance.clawback_notice_send)."""
    from funding import assurance

    return assurance.clawback_notice_send(clawback_id=clawback_id)
