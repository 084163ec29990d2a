"""The retention job: each rule removes what is older than its age and nothing younger
(boundaries tested with an explicit ``now``), writes history naming the rule, deletes
files from storage, leaves other kinds of rows alone, changes nothing in a dry run and
finds nothing more to do when run again."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from funding import services as funding_services
from funding.models import AssuranceSample, Claim, Evidence, SampleCheck
from hubportal.accounts.models import Invitation
from hubportal.privacy import retention
from hubportal.privacy.retention import retention_apply
from hubportal.privacy.tasks import apply_retention
from tests.factories import (
    PDF_BYTES,
    DraftApplicationFactory,
    SubmittedApplicationFactory,
    pdf_upload,
    year,
)
from workgroups.models import Application, Participant

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _ages(settings):
    settings.RETENTION_INVITATION_DAYS = 90
    settings.RETENTION_DRAFT_DAYS = 365
    settings.RETENTION_EVIDENCE_YEARS = 7
    settings.RETENTION_BATCH_SIZE = 2


@pytest.fixture
def apply(django_capture_on_commit_callbacks):
    """retention_apply, with the file deletions it leaves for after the commit run
    (each test runs inside one transaction that is never committed)."""

    def _apply(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return retention_apply(**kwargs)

    return _apply


def at(moment):
    return time_machine.travel(moment, tick=False)


_tokens = iter(range(10**6))


def invitation(hub_lead, school, **times) -> Invitation:
    created = times.pop("created_at", NOW - timedelta(days=400))
    return Invitation.objects.create(
        email=f"invitee{next(_tokens)}@school.example",
        full_name="Invited Person",
        role="headteacher",
        school=school,
        hub=school.hub,
        token_hash=Invitation.hash_token(f"token-{next(_tokens)}"),
        invited_by=hub_lead,
        created_at=created,
        **{"expires_at": created + timedelta(days=14), **times},
    )


def claim(school, head, **fields) -> Claim:
    return Claim.objects.create(
        school=school, hub=school.hub, year=year(2026), kind="match", created_by=head, **fields
    )


def stored_evidence(claim_, head, name="Invoice.pdf") -> Evidence:
    evidence = Evidence(
        claim=claim_,
        original_name=name,
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256="a" * 64,
        uploaded_by=head,
    )
    evidence.file.save(name, ContentFile(PDF_BYTES), save=False)
    evidence.save()
    return evidence


def last_history(instance_or_model, pk):
    return instance_or_model.history.filter(id=pk).order_by("-history_id").first()


def nothing_left(apply):
    assert apply(now=NOW) == dict.fromkeys(retention.KINDS, 0)


# ---------------------------------------------------------------------------
# Invitation links


def test_invitation_links_are_retired_only_past_their_age(apply, hub_lead, school):
    cutoff = NOW - timedelta(days=90)
    accepted_old = invitation(hub_lead, school, accepted_at=cutoff - SECOND)
    accepted_at_age = invitation(hub_lead, school, accepted_at=cutoff)
    expired_old = invitation(hub_lead, school, expires_at=cutoff - SECOND)
    expired_at_age = invitation(hub_lead, school, expires_at=cutoff)
    waiting = invitation(hub_lead, school, created_at=NOW, expires_at=NOW + timedelta(days=14))
    hashes = {i.pk: i.token_hash for i in Invitation.objects.all()}

    counts = apply(now=NOW)

    assert counts["invitation_tokens"] == 2
    for retired in (accepted_old, expired_old):
        retired.refresh_from_db()
        assert retired.token_hash == f"retired:{retired.pk}"
        record = last_history(Invitation, retired.pk)
        assert record.history_user is None
        assert record.history_change_reason.startswith("Retention rule RETENTION_INVITATION_DAYS")
        # The record of who invited whom stays.
        assert retired.invited_by == hub_lead and retired.email.endswith("@school.example")
    for kept in (accepted_at_age, expired_at_age, waiting):
        kept.refresh_from_db()
        assert kept.token_hash == hashes[kept.pk]
    nothing_left(apply)


# ---------------------------------------------------------------------------
# Sessions (and the sign-in codes they hold)


def test_expired_sessions_go_and_live_ones_stay(apply):
    Session.objects.create(session_key="a" * 32, session_data="x", expire_date=NOW - SECOND)
    Session.objects.create(session_key="b" * 32, session_data="x", expire_date=NOW)
    Session.objects.create(session_key="c" * 32, session_data="x", expire_date=NOW + SECOND)

    assert apply(now=NOW)["expired_sessions"] == 1

    assert set(Session.objects.values_list("session_key", flat=True)) == {"b" * 32, "c" * 32}
    nothing_left(apply)


# ---------------------------------------------------------------------------
# Drafts


def test_draft_applications_go_with_their_teachers_only_past_their_age(apply, school, headteacher):
    cutoff = NOW - timedelta(days=365)
    with at(cutoff - SECOND):
        old = DraftApplicationFactory(school=school, created_by=headteacher)
        submitted = SubmittedApplicationFactory(school=school, year=year(2025), participants=1)
    with at(cutoff):
        at_age = DraftApplicationFactory(school=school, year=year(2027), participants=1)
    with at(cutoff - timedelta(days=30)):
        still_worked_on = DraftApplicationFactory(school=school, year=year(2028), participants=1)
    with at(cutoff + SECOND):
        # Naming a teacher is a change to the draft, even though the row itself is older.
        participant = still_worked_on.participants.get()
        participant.name = "Changed Name"
        participant.save()
    old_teachers = list(old.participants.values_list("pk", flat=True))
    assert len(old_teachers) == 2

    counts = apply(now=NOW)

    assert counts["draft_applications"] == 1
    assert not Application.objects.filter(pk=old.pk).exists()
    assert not Participant.objects.filter(pk__in=old_teachers).exists()
    record = last_history(Application, old.pk)
    assert record.history_type == "-" and record.history_user is None
    assert record.history_change_reason.startswith("Retention rule RETENTION_DRAFT_DAYS")
    teacher_record = Participant.history.filter(id=old_teachers[0]).order_by("-history_id")[0]
    assert teacher_record.history_type == "-"
    assert teacher_record.history_change_reason.startswith("Retention rule RETENTION_DRAFT_DAYS")
    assert set(Application.objects.values_list("pk", flat=True)) == {
        submitted.pk,
        at_age.pk,
        still_worked_on.pk,
    }
    assert Participant.objects.filter(application=submitted).count() == 1
    nothing_left(apply)


def test_draft_claims_go_with_their_evidence_files_only_past_their_age(apply, school, headteacher):
    cutoff = NOW - timedelta(days=365)
    with at(cutoff - timedelta(days=10)):
        old = claim(school, headteacher)
        old_evidence = funding_services.evidence_add(
            actor=headteacher, claim=old, upload=pdf_upload("Old invoice.pdf")
        )
        submitted = claim(school, headteacher, state="submitted", invoice_key="SUB1")
        submitted_evidence = stored_evidence(submitted, headteacher, "Submitted.pdf")
    with at(cutoff):
        at_age = claim(school, headteacher)
    with at(cutoff - timedelta(days=40)):
        with_new_evidence = claim(school, headteacher)
    with at(cutoff + SECOND):
        # Uploading evidence is working on the claim.
        funding_services.evidence_add(
            actor=headteacher,
            claim=with_new_evidence,
            upload=pdf_upload("New invoice.pdf", PDF_BYTES + b"%new\n"),
        )
    old_file = old_evidence.file.name
    assert default_storage.exists(old_file)

    counts = apply(now=NOW)

    assert counts["draft_claims"] == 1
    assert counts["draft_claim_evidence_files"] == 1
    assert not Claim.objects.filter(pk=old.pk).exists()
    assert not Evidence.objects.filter(pk=old_evidence.pk).exists()
    assert not default_storage.exists(old_file)
    record = last_history(Claim, old.pk)
    assert record.history_type == "-"
    assert record.history_change_reason.startswith("Retention rule RETENTION_DRAFT_DAYS")
    assert last_history(Evidence, old_evidence.pk).history_change_reason.startswith(
        "Retention rule RETENTION_DRAFT_DAYS"
    )
    assert set(Claim.objects.values_list("pk", flat=True)) == {
        submitted.pk,
        at_age.pk,
        with_new_evidence.pk,
    }
    assert default_storage.exists(submitted_evidence.file.name)
    assert with_new_evidence.evidence.count() == 1
    nothing_left(apply)


def test_many_drafts_go_in_batches(apply, school, headteacher, settings):
    settings.RETENTION_BATCH_SIZE = 2
    with at(NOW - timedelta(days=400)):
        drafts = [claim(school, headteacher) for _ in range(5)]

    assert apply(now=NOW)["draft_claims"] == 5

    assert not Claim.objects.filter(pk__in=[d.pk for d in drafts]).exists()


# ---------------------------------------------------------------------------
# Evidence of paid claims


def paid(school, head, paid_at, **fields) -> Claim:
    return claim(
        school,
        head,
        state="paid",
        paid_at=paid_at,
        claimed_pence=100_000,
        award_pence=100_000,
        invoice_key=f"K{next(_tokens)}",
        **fields,
    )


def test_evidence_files_of_claims_paid_past_the_age_leave_storage_and_the_row_stays(
    apply, school, headteacher
):
    cutoff = datetime(2019, 11, 23, 12, 0, tzinfo=UTC)  # seven years before NOW
    old = stored_evidence(paid(school, headteacher, cutoff - SECOND), headteacher, "Old.pdf")
    at_age = stored_evidence(paid(school, headteacher, cutoff), headteacher, "AtAge.pdf")
    unpaid = stored_evidence(
        claim(school, headteacher, state="approved", invoice_key="AP1"), headteacher, "Ap.pdf"
    )
    old_file = old.file.name

    counts = apply(now=NOW)

    assert counts["paid_claim_evidence_files"] == 1
    assert not default_storage.exists(old_file)
    old.refresh_from_db()
    # What the audit needs stays: the claim, its amounts, the file's name and SHA-256.
    assert old.original_name == "Old.pdf" and old.sha256 == "a" * 64
    assert old.claim.award_pence == 100_000
    record = last_history(Evidence, old.pk)
    assert record.history_user is None
    assert record.history_change_reason.startswith("Retention rule RETENTION_EVIDENCE_YEARS")
    assert default_storage.exists(at_age.file.name)
    assert default_storage.exists(unpaid.file.name)
    nothing_left(apply)
    # Run again: no second history row.
    assert (
        Evidence.history.filter(
            id=old.pk, history_change_reason__startswith="Retention rule"
        ).count()
        == 1
    )


def test_evidence_under_a_pending_assurance_check_is_kept(apply, school, headteacher, hub_lead):
    old_claim = paid(school, headteacher, datetime(2018, 1, 1, tzinfo=UTC))
    evidence = stored_evidence(old_claim, headteacher)
    sample = AssuranceSample.objects.create(
        hub=school.hub, year=year(2026), percent=10, seed=1, paid_claims=1, drawn_by=hub_lead
    )
    check = SampleCheck.objects.create(sample=sample, claim=old_claim)

    assert apply(now=NOW)["paid_claim_evidence_files"] == 0
    assert default_storage.exists(evidence.file.name)

    check.outcome, check.checked_by, check.checked_at = "confirmed", hub_lead, NOW
    check.save()
    assert apply(now=NOW)["paid_claim_evidence_files"] == 1
    assert not default_storage.exists(evidence.file.name)


def test_a_file_removed_from_storage_gives_a_not_found_download(apply, client, school, headteacher):
    old = stored_evidence(paid(school, headteacher, datetime(2018, 1, 1, tzinfo=UTC)), headteacher)
    assert apply(now=NOW)["paid_claim_evidence_files"] == 1
    client.force_login(headteacher)

    from django.urls import reverse

    assert client.get(reverse("funding:evidence", args=[old.pk])).status_code == 404


# ---------------------------------------------------------------------------
# Dry run, the command and the task


@pytest.fixture
def one_of_each(hub_lead, school, headteacher):
    old = NOW - timedelta(days=3000)
    invitation(hub_lead, school, accepted_at=old)
    Session.objects.create(session_key="d" * 32, session_data="x", expire_date=old)
    with at(old):
        DraftApplicationFactory(school=school, created_by=headteacher)
        draft = claim(school, headteacher)
        stored_evidence(draft, headteacher, "Draft.pdf")
    stored_evidence(paid(school, headteacher, old), headteacher, "Paid.pdf")


def _state():
    return {
        "tokens": sorted(Invitation.objects.values_list("token_hash", flat=True)),
        "sessions": Session.objects.count(),
        "applications": Application.objects.count(),
        "participants": Participant.objects.count(),
        "claims": Claim.objects.count(),
        "evidence": Evidence.objects.count(),
        "files": sorted(
            name
            for name in Evidence.objects.values_list("file", flat=True)
            if default_storage.exists(name)
        ),
        "history": (
            Invitation.history.count(),
            Application.history.count(),
            Participant.history.count(),
            Claim.history.count(),
            Evidence.history.count(),
        ),
    }


EXPECTED = {
    "invitation_tokens": 1,
    "expired_sessions": 1,
    "draft_applications": 1,
    "draft_claims": 1,
    "draft_claim_evidence_files": 1,
    "paid_claim_evidence_files": 1,
}


def test_a_dry_run_counts_what_would_go_and_changes_nothing(apply, one_of_each):
    before = _state()
    assert len(before["files"]) == 2

    assert apply(now=NOW, dry_run=True) == EXPECTED

    assert _state() == before
    assert apply(now=NOW) == EXPECTED
    assert _state()["files"] == []


def test_the_command_applies_the_rules_and_says_what_went(
    django_capture_on_commit_callbacks, one_of_each
):
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "Would remove 1 draft claims" in out.getvalue()
    assert Claim.objects.filter(state="draft").count() == 1

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("apply_retention", stdout=out)
    assert "Removed 1 draft claims" in out.getvalue()
    assert "Removed 1 paid claim evidence files" in out.getvalue()
    assert Claim.objects.filter(state="draft").count() == 0


def test_the_daily_task_applies_the_rules_and_is_scheduled(
    django_capture_on_commit_callbacks, one_of_each
):
    from hubportal.celery import app

    with django_capture_on_commit_callbacks(execute=True):
        assert apply_retention.delay().get() == EXPECTED
    assert not any(
        default_storage.exists(n) for n in Evidence.objects.values_list("file", flat=True)
    )
    assert apply_retention.delay().get() == dict.fromkeys(retention.KINDS, 0)
    tasks = [entry["task"] for entry in app.conf.beat_schedule.values()]
    assert "hubportal.privacy.tasks.apply_retention" in tasks
