"""What is kept and for how long: the retention job.

``retention_apply`` removes what the portal no longer needs, rule by rule. Each rule
has its age in settings (RETENTION_*), touches only rows strictly older than that age
measured from ``now``, works in batches of RETENTION_BATCH_SIZE (each batch its own
transaction, the rows locked and checked again inside it), and finds nothing left to
do when run a second time. It acts as the system: the history rows it writes have no
user and a change reason naming the rule. A dry run counts what would go and changes
nothing.

The rules:

- Invitation links (RETENTION_INVITATION_DAYS): once an invitation has been accepted,
  or has expired, for longer than the age, its token hash is replaced by a marker that
  can never match a link. The invitation itself is kept, so the hub still sees who
  invited whom to which role and when; only the means of using the link goes.
- Sign-in codes: allauth's sign-in by email code keeps the code in the person's session,
  not in a table of its own, so it goes with the session. Sessions end after
  SESSION_COOKIE_AGE without a request; this job deletes the expired ones from the
  database, as ``manage.py clearsessions`` does.
- Drafts (RETENTION_DRAFT_DAYS): a draft application or a draft claim that nobody has
  changed for longer than the age is deleted, with its named teachers or its uploaded
  evidence (the files too). "Changed" is the latest history row of the draft or of its
  teachers or evidence, so a headteacher who is still working on one keeps it.
- Evidence of paid claims (RETENTION_EVIDENCE_YEARS): once a claim was paid longer ago
  than the age, its proof-of-purchase files are deleted from storage. The evidence rows
  stay, with the file's original name, type, size and SHA-256, as do the claim and its
  amounts, so the audit can still say what was claimed on what proof. A claim with an
  open clawback or an assurance check still pending keeps its files until that is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from funding.models import CheckOutcome, Claim, ClaimState, ClawbackState, Evidence
from hubportal.accounts.models import Invitation
from workgroups.models import Application, ApplicationState, Participant

log = logging.getLogger(__name__)

# The marker put in place of a retired invitation's token hash: a SHA-256 hex digest
# never contains a colon, so no link can ever match it, and the pk keeps it unique.
RETIRED_LINK_PREFIX = "retired:"

# The start of the change reason written when an evidence file is removed; the job
# looks for it to know the file has gone, so the rule needs no field of its own.
EVIDENCE_REASON_PREFIX = "Retention rule RETENTION_EVIDENCE_YEARS"

KINDS = (
    "invitation_tokens",
    "expired_sessions",
    "draft_applications",
    "draft_claims",
    "draft_claim_evidence_files",
    "paid_claim_evidence_files",
)


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February in a year without one
        return moment.replace(year=moment.year - years, day=28)


def _without_history_user(instance: models.Model, reason: str) -> None:
    # django-simple-history reads these two attributes when it writes the history row;
    # the retention job is the system, so there is no user.
    instance._history_user = None
    instance._change_reason = reason


def _in_batches(
    candidates: QuerySet, *, lock: QuerySet, handle: Callable[[models.Model], int]
) -> int:
    """Run ``handle`` on every candidate, a batch per transaction. Each batch locks its
    rows, then asks again which are still candidates (a headteacher may have saved a
    draft in the meantime), so nothing younger than its age is ever touched."""
    size = settings.RETENTION_BATCH_SIZE
    done = 0
    seen: set[int] = set()
    while True:
        with transaction.atomic():
            ids = list(candidates.values_list("pk", flat=True)[:size])
            # A row still a candidate after its turn (history switched off, say) must
            # not keep the job going round for ever.
            if not ids or seen.issuperset(ids):
                return done
            seen.update(ids)
            list(lock.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
            for instance in candidates.filter(pk__in=ids):
                done += handle(instance)


def _delete_stored_file_on_commit(field_file) -> None:
    storage, name = field_file.storage, field_file.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# ---------------------------------------------------------------------------
# The rules


def invitation_tokens(*, now: datetime, dry_run: bool) -> int:
    days = settings.RETENTION_INVITATION_DAYS
    cutoff = now - timedelta(days=days)
    candidates = Invitation.objects.filter(
        Q(accepted_at__lt=cutoff) | Q(accepted_at__isnull=True, expires_at__lt=cutoff)
    ).exclude(token_hash__startswith=RETIRED_LINK_PREFIX)
    if dry_run:
        return candidates.count()
    reason = (
        f"Retention rule RETENTION_INVITATION_DAYS: link retired {days} days "
        "after the invitation was used or expired"
    )

    def retire(invitation: Invitation) -> int:
        invitation.token_hash = f"{RETIRED_LINK_PREFIX}{invitation.pk}"
        _without_history_user(invitation, reason)
        invitation.save(update_fields=["token_hash"])
        return 1

    return _in_batches(candidates, lock=Invitation.objects.all(), handle=retire)


def expired_sessions(*, now: datetime, dry_run: bool) -> int:
    """Sessions past their expiry, with any sign-in code they held (see the module's
    docstring). The same deletion as ``clearsessions``, measured from ``now``."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        # Cache and cookie sessions expire on their own; nothing is kept to delete.
        return 0
    expired = store.get_model_class().objects.filter(expire_date__lt=now)
    count = expired.count()
    if not dry_run and count:
        expired.delete()
    return count


def _latest_history(history_model, **match) -> Subquery:
    return Subquery(
        history_model.objects.filter(**match).order_by("-history_date").values("history_date")[:1]
    )


def _last_touched(model, child_history, child_field: str) -> Greatest:
    """When the row, or one of its child rows, was last created, saved or deleted."""
    return Greatest(
        "created_at",
        Coalesce(_latest_history(model.history.model, id=OuterRef("pk")), "created_at"),
        Coalesce(_latest_history(child_history, **{child_field: OuterRef("pk")}), "created_at"),
    )


def draft_applications(*, now: datetime, dry_run: bool) -> int:
    days = settings.RETENTION_DRAFT_DAYS
    cutoff = now - timedelta(days=days)
    candidates = (
        Application.objects.filter(state=ApplicationState.DRAFT)
        .annotate(touched=_last_touched(Application, Participant.history.model, "application_id"))
        .filter(touched__lt=cutoff)
        .order_by("pk")
    )
    if dry_run:
        return candidates.count()
    reason = f"Retention rule RETENTION_DRAFT_DAYS: draft not changed for {days} days, deleted"

    def delete(application: Application) -> int:
        # One by one, so each teacher's history row carries the reason too.
        for participant in application.participants.all():
            _without_history_user(participant, reason)
            participant.delete()
        _without_history_user(application, reason)
        application.delete()
        return 1

    return _in_batches(candidates, lock=Application.objects.all(), handle=delete)


def draft_claims(*, now: datetime, dry_run: bool) -> tuple[int, int]:
    """Draft claims and their evidence files: (claims, files)."""
    days = settings.RETENTION_DRAFT_DAYS
    cutoff = now - timedelta(days=days)
    candidates = (
        Claim.objects.filter(state=ClaimState.DRAFT)
        .annotate(touched=_last_touched(Claim, Evidence.history.model, "claim_id"))
        .filter(touched__lt=cutoff)
        .order_by("pk")
    )
    if dry_run:
        return candidates.count(), Evidence.objects.filter(claim__in=candidates).count()
    reason = f"Retention rule RETENTION_DRAFT_DAYS: draft not changed for {days} days, deleted"
    files = 0

    def delete(claim: Claim) -> int:
        nonlocal files
        for evidence in claim.evidence.all():
            _delete_stored_file_on_commit(evidence.file)
            _without_history_user(evidence, reason)
            evidence.delete()
            files += 1
        _without_history_user(claim, reason)
        claim.delete()
        return 1

    claims = _in_batches(candidates, lock=Claim.objects.all(), handle=delete)
    return claims, files


def paid_claim_evidence_files(*, now: datetime, dry_run: bool) -> int:
    years = settings.RETENTION_EVIDENCE_YEARS
    cutoff = _years_before(now, years)
    removed = Evidence.history.model.objects.filter(
        id=OuterRef("pk"), history_change_reason__startswith=EVIDENCE_REASON_PREFIX
    )
    candidates = (
        Evidence.objects.filter(claim__state=ClaimState.PAID, claim__paid_at__lt=cutoff)
        .exclude(file="")
        .exclude(Exists(removed))
        # The files are the proof an open clawback or a pending check is about.
        .exclude(claim__clawback__state=ClawbackState.REQUESTED)
        .exclude(claim__sample_checks__outcome=CheckOutcome.PENDING)
        .order_by("pk")
    )
    if dry_run:
        return candidates.count()
    reason = (
        f"{EVIDENCE_REASON_PREFIX}: file deleted from storage {years} years after the "
        "claim was paid; its name, size and SHA-256 are kept"
    )

    def remove(evidence: Evidence) -> int:
        # The row keeps its stored name: the file is gone from storage, and the
        # download says so (404) rather than failing.
        _delete_stored_file_on_commit(evidence.file)
        _without_history_user(evidence, reason)
        evidence.save()
        return 1

    return _in_batches(candidates, lock=Evidence.objects.all(), handle=remove)


# ---------------------------------------------------------------------------


def retention_apply(*, now: datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Apply every retention rule as the system; return how many of each kind went
    (or, in a dry run, would go)."""
    now = now or timezone.now()
    claims, claim_files = draft_claims(now=now, dry_run=dry_run)
    counts = {
        "invitation_tokens": invitation_tokens(now=now, dry_run=dry_run),
        "expired_sessions": expired_sessions(now=now, dry_run=dry_run),
        "draft_applications": draft_applications(now=now, dry_run=dry_run),
        "draft_claims": claims,
        "draft_claim_evidence_files": claim_files,
        "paid_claim_evidence_files": paid_claim_evidence_files(now=now, dry_run=dry_run),
    }
    log.info("retention%s: %s", " (dry run)" if dry_run else "", counts)
    return counts
