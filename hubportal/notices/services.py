"""Planning, claiming and closing notices: every change of a notice's state is here.

``notice_plan`` inserts rows (a second plan of the same notice does nothing);
``notice_claim`` moves one row from pending to sending in a single UPDATE, so two
workers handed the same notice cannot both send it; ``notice_sent`` and
``notice_failed`` close the attempt; ``notice_recover`` looks at rows left in
"sending" by a worker that died and asks the mail backend whether it delivered
them before putting them back in the queue. None of these holds a transaction open
while mail is being sent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hubportal.audit import audited_save
from hubportal.notices.models import (
    OPTIONAL_KINDS,
    Notice,
    NoticePreference,
    NoticeState,
)

S = NoticeState


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str = ""
    user_id: int | None = None


@dataclass
class Plan:
    """One notice about one subject on one occasion, to several people."""

    kind: str
    subject_type: str
    subject_id: int
    occasion: str
    recipients: Iterable[Recipient]
    hub_id: int | None = None
    school_id: int | None = None
    meeting_id: int | None = None
    context: dict = field(default_factory=dict)
    due_at: datetime | None = None


def person(user) -> Recipient:
    return Recipient(email=user.email, name=user.full_name, user_id=user.pk)


def headteachers_of(school_ids) -> dict[int, list[Recipient]]:
    """school id → its active headteachers: one query for any number of schools."""
    from hubportal.accounts.models import Membership, Role

    found: dict[int, list[Recipient]] = defaultdict(list)
    for membership in Membership.objects.filter(
        role=Role.HEADTEACHER, school_id__in=list(school_ids), user__is_active=True
    ).select_related("user"):
        found[membership.school_id].append(person(membership.user))
    return found


def school_and(school_id: int, also=None) -> list[Recipient]:
    """A school's headteachers, and ``also`` (who made the application or claim) when
    that person is not one of them."""
    people = headteachers_of([school_id])[school_id]
    if also is not None and all(r.user_id != also.pk for r in people):
        people.append(person(also))
    return people


def turned_off(emails: Iterable[str]) -> dict[str, NoticePreference]:
    """The preferences of these addresses that turn something off: one query."""
    wanted = {e.lower() for e in emails}
    if not wanted:
        return {}
    return {p.email.lower(): p for p in NoticePreference.objects.filter(email__in=wanted)}


def notice_plan(plans: Iterable[Plan], *, now: datetime | None = None) -> int:
    """Insert the notices these plans describe; the ones already planned are left as
    they are. A notice a person has turned off is recorded as such, not sent.
    Returns how many rows were offered. Two queries for any number of plans."""
    now = now or timezone.now()
    plans = list(plans)
    preferences = turned_off(r.email for p in plans for r in p.recipients)
    rows = []
    for plan in plans:
        seen = set()
        for recipient in plan.recipients:
            email = recipient.email.strip().lower()
            if not email or email in seen:
                continue
            seen.add(email)
            preference = preferences.get(email)
            off = (
                plan.kind in OPTIONAL_KINDS
                and preference is not None
                and not preference.wants(plan.kind)
            )
            rows.append(
                Notice(
                    kind=plan.kind,
                    subject_type=plan.subject_type,
                    subject_id=plan.subject_id,
                    occasion=plan.occasion,
                    email=email,
                    recipient_id=recipient.user_id,
                    recipient_name=recipient.name[:150],
                    hub_id=plan.hub_id,
                    school_id=plan.school_id,
                    meeting_id=plan.meeting_id,
                    context=plan.context,
                    state=S.OFF if off else S.PENDING,
                    due_at=plan.due_at or now,
                    created_at=now,
                )
            )
    Notice.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def notice_plan_on_commit(plans: Iterable[Plan]) -> None:
    """Plan inside the caller's transaction; queue the sending once it commits."""
    notice_plan(plans)
    transaction.on_commit(_dispatch_soon)


def _dispatch_soon() -> None:
    from hubportal.notices.tasks import dispatch_notices

    dispatch_notices.delay()


def due_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Notices waiting to be sent whose time has come, oldest first: one query."""
    now = now or timezone.now()
    return list(
        Notice.objects.filter(state=S.PENDING, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def notice_claim(notice_id: int, *, now: datetime | None = None) -> Notice | None:
    """Take a pending notice for sending. ``None`` when another worker has it, or it
    is sent, failed, turned off or gone. One UPDATE decides, so it holds under races."""
    now = now or timezone.now()
    taken = Notice.objects.filter(pk=notice_id, state=S.PENDING, due_at__lte=now).update(
        state=S.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return Notice.objects.select_related("recipient").get(pk=notice_id)


def notice_sent(notice: Notice, *, now: datetime | None = None) -> None:
    Notice.objects.filter(pk=notice.pk, state=S.SENDING).update(
        state=S.SENT, sent_at=now or timezone.now(), last_error=""
    )


def notice_failed(notice: Notice, error: str, *, final: bool) -> None:
    """An attempt failed: back in the queue for the next try, or failed for good
    (shown to the hub lead) when the retries are spent."""
    Notice.objects.filter(pk=notice.pk, state=S.SENDING).update(
        state=S.FAILED if final else S.PENDING, last_error=error[:2000]
    )


def notice_dropped(notice: Notice, why: str) -> None:
    """Not sent, because what it would say is no longer true (kept, with why)."""
    Notice.objects.filter(pk=notice.pk, state=S.SENDING).update(state=S.DROPPED, last_error=why)


def notice_recover(*, now: datetime | None = None, was_delivered=None) -> dict[str, int]:
    """Rows stuck in "sending" past the timeout (their worker died mid-send): a row
    the mail backend shows as delivered is marked sent; any other goes back to
    pending, to be sent again with the same Message-ID (which mail systems use to drop
    a copy they already have). Returns how many of each."""
    from hubportal.notices.delivery import was_delivered as default_check

    check = was_delivered or default_check
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.NOTICE_SENDING_TIMEOUT)
    stuck = list(Notice.objects.filter(state=S.SENDING, claimed_at__lt=cutoff)[:500])
    delivered = [n.pk for n in stuck if check(n)]
    again = [n.pk for n in stuck if n.pk not in set(delivered)]
    marked = Notice.objects.filter(pk__in=delivered, state=S.SENDING).update(
        state=S.SENT, sent_at=now
    )
    requeued = Notice.objects.filter(pk__in=again, state=S.SENDING, claimed_at__lt=cutoff).update(
        state=S.PENDING, last_error="The worker stopped while sending; tried again."
    )
    return {"delivered": marked, "requeued": requeued}


def notice_retry(*, actor, notice: Notice) -> bool:
    """A hub lead sends a failed notice again (after fixing the address, say)."""
    now = timezone.now()
    return bool(
        Notice.objects.filter(pk=notice.pk, state=S.FAILED).update(
            state=S.PENDING, due_at=now, attempts=0, retried_by=actor, retried_at=now
        )
    )


def preference_for(email: str) -> NoticePreference:
    preference = NoticePreference.objects.filter(email__iexact=email).first()
    return preference or NoticePreference(email=email.lower())


def preference_save(*, actor, reminders: bool, opportunities: bool, deadlines: bool):
    """A person turns their optional notices on or off (decisions always go)."""
    with transaction.atomic():
        preference = _locked_preference(actor.email)
        preference.reminders = reminders
        preference.opportunities = opportunities
        preference.deadlines = deadlines
        audited_save(preference, actor=actor, reason="Chose which optional emails to get")
    return preference


def _locked_preference(email: str) -> NoticePreference:
    """The address's preferences, locked, or new unsaved ones: the caller's save writes
    the row and its history together, with who changed it."""
    email = email.lower()
    preference = NoticePreference.objects.select_for_update().filter(email=email).first()
    return preference or NoticePreference(email=email)


def school_teachers(school) -> list[tuple[str, str, bool]]:
    """The school's participating teachers (email, name, reminders on), who have no
    account to set preferences with: their headteacher sets them. Two queries."""
    from workgroups.models import ApplicationState, Participant

    teachers: dict[str, str] = {}
    for email, name in (
        Participant.objects.filter(
            application__school=school, application__state=ApplicationState.ACCEPTED
        )
        .order_by("name", "pk")
        .values_list("email", "name")
    ):
        teachers.setdefault(email.lower(), name)
    off = set(
        NoticePreference.objects.filter(email__in=teachers, reminders=False).values_list(
            "email", flat=True
        )
    )
    return [(email, name, email not in off) for email, name in teachers.items()]


def teacher_reminders_save(*, actor, school, on: Iterable[str]) -> int:
    """A headteacher turns meeting reminders on or off for the school's teachers.
    Addresses that are not the school's teachers are ignored. Returns how many are on."""
    from workgroups.permissions import can_apply_for

    if not can_apply_for(actor, school):
        raise PermissionDenied("Only the school's headteacher sets its teachers' reminders.")
    wanted = {email.lower() for email in on}
    teachers = [email for email, _name, _on in school_teachers(school)]
    with transaction.atomic():
        for email in teachers:
            preference = _locked_preference(email)
            if preference.reminders != (email in wanted) or preference.pk is None:
                preference.reminders = email in wanted
                audited_save(
                    preference,
                    actor=actor,
                    reason=f"Turned meeting reminders {'on' if preference.reminders else 'off'}"
                    f" for a teacher of {school.name}",
                )
    return len(wanted & set(teachers))
