"""Writing and sending one notice, and asking whether one was delivered.

A notice's mail is rendered from ``templates/emails/notices/<kind>`` (subject, plain
text and HTML) with the row it is about, loaded fresh at sending time, so a reminder
says the meeting's date as it is now. Links point at the portal's page for the
subject and carry no secret: the reader signs in to see it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from hubportal.notices.models import OPTIONAL_KINDS, Notice, NoticeKind

K = NoticeKind
MEETING_KINDS = {
    K.MEETING_REMINDER,
    K.MEETING_CHANGED,
    K.MEETING_CANCELLED,
    K.LOG_DUE,
    K.LOG_OVERDUE,
}


class SubjectGone(Exception):
    """The row the notice is about has been deleted: there is nothing to say."""


class NoLongerTrue(Exception):
    """What the notice would say has stopped being so: a reminder of a meeting since
    cancelled or moved (the move has its own notice, and new reminders)."""


def check_still_true(notice: Notice, subject) -> None:
    if notice.kind != K.MEETING_REMINDER:
        return
    from workgroups.models import MeetingState

    if subject.state != MeetingState.SCHEDULED:
        raise NoLongerTrue("The meeting was cancelled before its reminder went.")
    if not notice.occasion.endswith(f"-{subject.date:%Y%m%d}-{subject.starts_at:%H%M}"):
        raise NoLongerTrue("The meeting moved before its reminder went.")


def _meeting(pk):
    from workgroups.models import Meeting

    return Meeting.objects.select_related(
        "work_group__stage", "work_group__year", "work_group__lead", "venue_school"
    ).get(pk=pk)


def _application(pk):
    from workgroups.models import Application

    return Application.objects.select_related("school", "stage", "year", "hub").get(pk=pk)


def _claim(pk):
    from funding.models import Claim

    return Claim.objects.select_related("school", "hub", "year", "scheme").get(pk=pk)


def _window(pk):
    from workgroups.models import ApplicationWindow

    return ApplicationWindow.objects.select_related("hub", "stage", "year").get(pk=pk)


def _claim_window(pk):
    from funding.models import ClaimWindow

    return ClaimWindow.objects.select_related("hub", "year").get(pk=pk)


def _school(pk):
    from schools.models import School

    return School.objects.select_related("hub").get(pk=pk)


LOADERS = {
    "meeting": _meeting,
    "application": _application,
    "claim": _claim,
    "window": _window,
    "claimwindow": _claim_window,
    "school": _school,
}


def subject_of(notice: Notice):
    try:
        return LOADERS[notice.subject_type](notice.subject_id)
    except LookupError as error:  # DoesNotExist is a LookupError
        raise SubjectGone(f"{notice.subject_type} {notice.subject_id} no longer exists") from error


def link_for(notice: Notice, subject) -> str:
    """The portal page a notice is about, for a reader with an account; "" otherwise."""
    if notice.recipient_id is None:
        return ""
    kind = notice.kind
    if kind == K.LOG_DUE:
        path = reverse("groups:log", args=[subject.pk])
    elif kind in MEETING_KINDS:
        if kind == K.LOG_OVERDUE or subject.work_group.lead_id == notice.recipient_id:
            path = reverse("groups:meeting", args=[subject.pk])
        else:
            path = reverse("groups:school")
    elif kind == K.APPLICATION:
        path = reverse("applications:detail", args=[subject.pk])
    elif kind == K.CLAIM:
        path = reverse("funding:claim", args=[subject.pk])
    elif kind == K.CLAIM_DEADLINE:
        path = reverse("funding:school")
    else:
        path = reverse("applications:programme")
    return settings.SITE_URL.rstrip("/") + path


def build_message(notice: Notice) -> EmailMultiAlternatives:
    subject = subject_of(notice)
    check_still_true(notice, subject)
    context = {
        "notice": notice,
        "subject": subject,
        "name": notice.recipient_name,
        "link": link_for(notice, subject),
        "site_url": settings.SITE_URL.rstrip("/"),
        "preferences_url": settings.SITE_URL.rstrip("/") + reverse("notices:preferences"),
        "optional": notice.kind in OPTIONAL_KINDS,
        **notice.context,
    }
    template = f"emails/notices/{notice.kind}"
    if notice.kind == K.APPLICATION:
        template = f"emails/application_{notice.occasion}"
        context["application"] = subject
    title = render_to_string(f"{template}_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(title.split()),
        body=render_to_string(f"{template}.txt", context),
        to=[notice.email],
        headers={"Message-ID": notice.message_id},
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    if notice.kind in (K.MEETING_REMINDER, K.MEETING_CHANGED, K.MEETING_CANCELLED):
        from workgroups.calendar import calendar_document, meeting_event

        document = calendar_document(subject.work_group.code, [meeting_event(subject)])
        message.attach("meeting.ics", document, "text/calendar; charset=utf-8; method=PUBLISH")
    return message


def send(notice: Notice) -> None:
    """Send the notice's mail (raises whatever the mail backend raises)."""
    build_message(notice).send()


def was_delivered(notice: Notice) -> bool:
    """Did the mail backend take this notice's message? The file backend (the demo and
    the tests' workers) and the in-memory one can say; an SMTP server cannot be asked,
    so the answer there is no, and the resend carries the same Message-ID."""
    backend = settings.MAILERS["default"]["BACKEND"]
    message_id = notice.message_id
    if backend.endswith("locmem.EmailBackend"):
        return any(m.extra_headers.get("Message-ID") == message_id for m in mail.outbox)
    if backend.endswith("filebased.EmailBackend"):
        folder = Path(settings.MAILERS["default"]["OPTIONS"].get("file_path", settings.MAIL_DIR))
        needle = f"Message-ID: {message_id}".encode()
        since = notice.claimed_at.timestamp() - 5 if notice.claimed_at else 0
        for path in folder.glob("*.log"):
            if path.stat().st_mtime >= since and needle in path.read_bytes():
                return True
    return False
