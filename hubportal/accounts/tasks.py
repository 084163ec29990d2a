"""Background jobs for people and invitations."""

from smtplib import SMTPException

from celery import shared_task


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def send_invitation_email(invitation_id: int, token: str) -> bool:
    """Mail an invitation its link; quietly does nothing when it is already sent,
    accepted, expired or deleted (see services.invitation_send)."""
    from hubportal.accounts import services

    return services.invitation_send(invitation_id=invitation_id, token=token)
