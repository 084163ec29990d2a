from celery import shared_task

from hubportal.mail import send_templated_mail
from workgroups.models import Application


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_application_notice(application_id: int, event: str) -> None:
    """Tell the headteacher their application was submitted or decided.

    Takes ids and reloads the row; the notices work makes these exactly-once."""
    application = (
        Application.objects.select_related("school", "stage", "year", "hub", "submitted_by")
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        return
    heads = application.school.memberships.filter(role="headteacher").select_related("user")
    recipients = sorted(
        {m.user.email for m in heads}
        | ({application.submitted_by.email} if application.submitted_by else set())
    )
    if not recipients:
        return
    send_templated_mail(
        to=recipients,
        template=f"application_{event}",
        context={"application": application},
    )
