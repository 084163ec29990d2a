"""The notice ledger: one row per (kind, subject, occasion, recipient), sent once.

A sweep or a service *plans* notices by inserting rows; the unique constraint makes
planning the same notice twice a no-op. A send task *claims* a row (pending → sending
in one UPDATE), sends with the row's own Message-ID, and marks it sent. A row left in
"sending" by a worker that died is checked against what the mail backend delivered
before it is tried again (see ``services.notice_recover``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class NoticeKind(models.TextChoices):
    MEETING_REMINDER = "meeting_reminder", "Meeting reminder"
    MEETING_CHANGED = "meeting_changed", "Meeting changed"
    MEETING_CANCELLED = "meeting_cancelled", "Meeting cancelled"
    LOG_DUE = "log_due", "Attendance log due"
    LOG_OVERDUE = "log_overdue", "Attendance log overdue"
    WINDOW_OPEN = "window_open", "Applications open"
    NEXT_STAGE = "next_stage", "Next stage open to the school"
    CLAIM_DEADLINE = "claim_deadline", "Claim deadline coming"
    APPLICATION = "application", "Application submitted or decided"
    CLAIM = "claim", "Claim decided"


# A person may turn these off; every other kind always goes.
OPTIONAL_KINDS = {
    NoticeKind.MEETING_REMINDER: "reminders",
    NoticeKind.LOG_DUE: "reminders",
    NoticeKind.LOG_OVERDUE: "reminders",
    NoticeKind.WINDOW_OPEN: "opportunities",
    NoticeKind.NEXT_STAGE: "opportunities",
    NoticeKind.CLAIM_DEADLINE: "deadlines",
}


class NoticeState(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    OFF = "off", "Not sent: turned off"
    DROPPED = "dropped", "Not sent: no longer true"


class Notice(models.Model):
    kind = models.CharField(max_length=24, choices=NoticeKind.choices)
    # What the notice is about: "meeting", "application", "claim", "window", ...
    subject_type = models.CharField(max_length=24)
    subject_id = models.PositiveBigIntegerField()
    # Which time it is about: "7d", "1d", "changed-3", "submitted", "2026-09-01", ...
    occasion = models.CharField(max_length=60)
    email = models.EmailField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices",
    )
    recipient_name = models.CharField(max_length=150, blank=True)
    # Where hub leads look for it.
    hub = models.ForeignKey(
        "schools.Hub", null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    school = models.ForeignKey(
        "schools.School", null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    meeting = models.ForeignKey(
        "workgroups.Meeting",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notices",
    )
    # What the mail says that the subject row no longer knows (e.g. a meeting's old date).
    context = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=NoticeState.choices, default=NoticeState.PENDING)
    due_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # The ledger keeps no history of its own (a row per notice is its record); a hub
    # lead's "Send again" is recorded on the row instead.
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    retried_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id", "occasion", "email"],
                name="notice_once_per_occasion_and_recipient",
            ),
            models.CheckConstraint(
                name="notice_sent_has_time",
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="notice_due"),
            models.Index(fields=["hub", "-created_at"], name="notice_hub"),
            models.Index(fields=["school", "-created_at"], name="notice_school"),
            models.Index(fields=["meeting", "-created_at"], name="notice_meeting"),
        ]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.email} ({self.get_state_display()})"

    @property
    def message_id(self) -> str:
        """The same on every attempt: a mail system that sees it twice keeps one."""
        domain = settings.NOTICE_MESSAGE_ID_DOMAIN
        return f"<notice-{self.pk}-{self.kind}@{domain}>"


class NoticePreference(models.Model):
    """What a person has turned off, by email address (participants have no account)."""

    email = models.EmailField(unique=True)
    reminders = models.BooleanField("meeting reminders and attendance-log nudges", default=True)
    opportunities = models.BooleanField(
        "when a stage or funding opens to your school", default=True
    )
    deadlines = models.BooleanField("claim deadline nudges", default=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who turned what off, and when: a person themselves, or a headteacher for a teacher.
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Notice preferences of {self.email}"

    def wants(self, kind: str) -> bool:
        group = OPTIONAL_KINDS.get(kind)
        return group is None or getattr(self, group)
