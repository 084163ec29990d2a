"""Every change to applications, windows and participation history.

One function per state change: it checks the person may act and that the row is
in a state that allows it, runs in one transaction with the contested rows
locked, records who did it and why in the history, and sends notices only
once the transaction has committed."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from hubportal.audit import audited_save
from schools.models import Hub, School
from workgroups import permissions
from workgroups.eligibility import check_eligibility
from workgroups.models import (
    AcademicYear,
    Application,
    ApplicationState,
    ApplicationWindow,
    Outcome,
    Participant,
    Participation,
    ProgrammeStage,
)

S = ApplicationState


class InvalidTransition(ValidationError):
    """The row is not in a state that allows this change."""


def _notify(application: Application, event: str) -> None:
    """Tell the school's headteachers (and whoever submitted) through the notice ledger:
    planned in this transaction, sent once after it commits."""
    from hubportal.notices.services import Plan, notice_plan_on_commit, school_and

    submitter = application.submitted_by if application.submitted_by_id else None
    notice_plan_on_commit(
        [
            Plan(
                kind="application",
                subject_type="application",
                subject_id=application.pk,
                occasion=event,
                recipients=school_and(application.school_id, submitter),
                hub_id=application.hub_id,
                school_id=application.school_id,
            )
        ]
    )


def _lock(application: Application) -> Application:
    return (
        Application.objects.select_for_update()
        .select_related("stage", "year", "school", "hub")
        .get(pk=application.pk)
    )


# ---------------------------------------------------------------------------
# The headteacher's application


def application_start(
    *,
    actor,
    school: School,
    stage: ProgrammeStage,
    year: AcademicYear,
    hub: Hub | None = None,
    today: date | None = None,
) -> Application:
    """Start a draft application, or return the school's draft for this stage and year."""
    if not permissions.can_apply_for(actor, school):
        raise PermissionDenied("Only the school's headteacher can apply for it.")
    hub = hub or school.hub
    with transaction.atomic():
        # Locking the school serialises every start and submission for it.
        school = School.objects.select_for_update().get(pk=school.pk)
        existing = Application.objects.filter(
            school=school, stage=stage, year=year, state=S.DRAFT
        ).first()
        if existing:
            return existing
        eligibility = check_eligibility(school=school, stage=stage, year=year, hub=hub, today=today)
        if not eligibility.eligible:
            raise ValidationError([r.message for r in eligibility.blocking])
        application = Application(
            school=school,
            hub=hub,
            stage=stage,
            year=year,
            once_only=stage.once_only,
            created_by=actor,
            contact_name=actor.full_name,
        )
        try:
            with transaction.atomic():
                audited_save(application, actor=actor, reason="Started the application")
        except IntegrityError as error:
            raise ValidationError(
                f"{school.name} already has an application in {year.label}."
            ) from error
    return application


ANSWER_FIELDS = {
    "school_details_confirmed",
    "contact_name",
    "contact_role",
    "commit_release_teachers",
    "commit_headteacher_attends",
    "commit_reports",
    "action_plan_priorities",
}


def application_save_answers(
    *, actor, application: Application, section: str, answers: dict
) -> Application:
    """Save one task's answers to a draft; a half-finished application is kept as it is."""
    unknown = set(answers) - ANSWER_FIELDS
    if unknown:
        raise ValueError(f"Not an answer field: {', '.join(sorted(unknown))}")
    if not permissions.can_apply_for(actor, application.school):
        raise PermissionDenied("Only the school's headteacher can change its application.")
    with transaction.atomic():
        application = _lock(application)
        if application.state != S.DRAFT:
            raise InvalidTransition(
                "This application has been submitted and can no longer be changed."
            )
        for name, value in answers.items():
            setattr(application, name, value)
        audited_save(
            application, actor=actor, reason=f"Saved {section}", update_fields=list(answers)
        )
    return application


def application_set_participants(
    *, actor, application: Application, participants: list[dict]
) -> list[Participant]:
    """Replace the named participants of a draft (name, email, job_role, is_maths_lead, trn)."""
    if not permissions.can_apply_for(actor, application.school):
        raise PermissionDenied("Only the school's headteacher can name its participants.")
    with transaction.atomic():
        application = _lock(application)
        if application.state != S.DRAFT:
            raise InvalidTransition(
                "This application has been submitted and can no longer be changed."
            )
        existing = {p.position: p for p in application.participants.all()}
        saved = []
        for position, data in enumerate(participants, start=1):
            participant = existing.pop(position, None) or Participant(
                application=application, position=position
            )
            for name in ("name", "email", "job_role", "is_maths_lead", "trn"):
                setattr(participant, name, data.get(name, getattr(participant, name)))
            participant.full_clean(exclude=["application"])
            audited_save(participant, actor=actor, reason="Named the participants")
            saved.append(participant)
        for leftover in existing.values():
            leftover._history_user = actor
            leftover.delete()
    return saved


@dataclass(frozen=True)
class Task:
    key: str
    title: str
    done: bool


def application_tasks(application: Application) -> list[Task]:
    """The task list the headteacher works through, with what is done."""
    stage = application.stage
    participants = list(application.participants.all())
    named = len(participants) == stage.participants_per_school and (
        not stage.requires_maths_lead or any(p.is_maths_lead for p in participants)
    )
    tasks = [
        Task("school", "Confirm your school's details", application.school_details_confirmed),
        Task(
            "commitments",
            "Make the commitments",
            application.commit_release_teachers
            and application.commit_headteacher_attends
            and application.commit_reports,
        ),
        Task("participants", "Name the participating teachers", named),
    ]
    if stage.requires_action_plan:
        tasks.append(
            Task(
                "action_plan",
                "Set your action-plan priorities",
                bool(application.action_plan_priorities.strip()),
            )
        )
    return tasks


def application_submit(
    *, actor, application: Application, declaration: bool, today: date | None = None
) -> Application:
    """Submit a complete draft with the declaration; eligibility is checked again now."""
    if not permissions.can_apply_for(actor, application.school):
        raise PermissionDenied("Only the school's headteacher can submit its application.")
    with transaction.atomic():
        School.objects.select_for_update().get(pk=application.school_id)
        application = _lock(application)
        if application.state != S.DRAFT:
            raise InvalidTransition(
                f"This application is already {application.get_state_display().lower()}."
            )
        missing = [t.title for t in application_tasks(application) if not t.done]
        if missing:
            raise ValidationError([f"Complete this section first: {t}" for t in missing])
        if not declaration:
            raise ValidationError(
                {"declaration": "Confirm the declaration to submit the application"}
            )
        eligibility = check_eligibility(
            school=application.school,
            stage=application.stage,
            year=application.year,
            hub=application.hub,
            today=today,
            ignore_application_id=application.pk,
        )
        if not eligibility.eligible:
            raise ValidationError([r.message for r in eligibility.blocking])
        application.declaration = True
        application.priority = eligibility.priority
        application.outside_area = eligibility.outside_area
        application.state = S.SUBMITTED
        application.submitted_by = actor
        application.submitted_at = timezone.now()
        audited_save(application, actor=actor, reason="Submitted the application")
        _notify(application, "submitted")
    return application


def application_withdraw(*, actor, application: Application, reason: str = "") -> Application:
    """Withdraw before a decision, or after acceptance with a reason."""
    if not permissions.can_apply_for(actor, application.school):
        raise PermissionDenied("Only the school's headteacher can withdraw its application.")
    reason = reason.strip()
    with transaction.atomic():
        application = _lock(application)
        if application.state not in (S.DRAFT, S.SUBMITTED, S.WAITLISTED, S.ACCEPTED):
            raise InvalidTransition(
                f"This application is {application.get_state_display().lower()} "
                "and cannot be withdrawn."
            )
        if application.state == S.ACCEPTED and not reason:
            raise ValidationError(
                {"reason": "Enter why the school is withdrawing after acceptance"}
            )
        if application.state == S.ACCEPTED and _group_has_met(application, timezone.localdate()):
            raise InvalidTransition(
                "The school's work group has already met; ask the hub to record the school "
                "as withdrawn at the year's end."
            )
        application.state = S.WITHDRAWN
        application.withdrawn_reason = reason
        audited_save(application, actor=actor, reason=reason or "Withdrew the application")
    return application


def _group_has_met(application: Application, today: date) -> bool:
    """Whether the group the school was placed in has held a meeting by today."""
    from workgroups.models import Meeting, MeetingState

    return Meeting.objects.filter(
        work_group__members__application=application,
        state=MeetingState.SCHEDULED,
        date__lte=today,
    ).exists()


# ---------------------------------------------------------------------------
# The hub lead's decisions

DECISIONS = {
    # decision: (new state, states it may come from, reason required)
    "accept": (S.ACCEPTED, (S.SUBMITTED, S.WAITLISTED), False),
    "waitlist": (S.WAITLISTED, (S.SUBMITTED,), True),
    "decline": (S.DECLINED, (S.SUBMITTED, S.WAITLISTED), True),
}


def _decide(*, actor, application: Application, decision: str, reason: str) -> Application:
    new_state, from_states, reason_required = DECISIONS[decision]
    if not permissions.can_decide(actor, application):
        raise PermissionDenied("Only a lead of the hub applied to can decide.")
    reason = reason.strip()
    if reason_required and not reason:
        raise ValidationError({"reason": f"Enter the reason to {decision} the application"})
    application = _lock(application)
    if application.state not in from_states:
        raise InvalidTransition(
            f"{application.school.name}'s application is {application.get_state_display().lower()}"
            f" and cannot be {new_state.label.lower()} now."
        )
    application.state = new_state
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.decision_reason = reason
    try:
        with transaction.atomic():
            audited_save(application, actor=actor, reason=reason or f"Decision: {new_state.label}")
    except IntegrityError as error:
        raise ValidationError(
            f"{application.school.name} has already been accepted into {application.stage.name} "
            "once; a school may take it once."
        ) from error
    _notify(application, decision)
    return application


def application_accept(*, actor, application: Application, reason: str = "") -> Application:
    """Accept a submitted application, or promote one from the waiting list."""
    with transaction.atomic():
        return _decide(actor=actor, application=application, decision="accept", reason=reason)


def application_waitlist(*, actor, application: Application, reason: str) -> Application:
    with transaction.atomic():
        return _decide(actor=actor, application=application, decision="waitlist", reason=reason)


def application_decline(*, actor, application: Application, reason: str) -> Application:
    with transaction.atomic():
        return _decide(actor=actor, application=application, decision="decline", reason=reason)


def application_accept_many(*, actor, applications: list[Application]) -> list[Application]:
    """Accept several at once: all of them, or none if any cannot be accepted."""
    with transaction.atomic():
        return [
            _decide(actor=actor, application=a, decision="accept", reason="")
            for a in sorted(applications, key=lambda a: a.pk)
        ]


# ---------------------------------------------------------------------------
# Windows


def window_save(
    *,
    actor,
    hub: Hub,
    stage: ProgrammeStage,
    year: AcademicYear,
    opens: date,
    closes: date,
    target_places: int,
) -> ApplicationWindow:
    """Create or change the hub's window for a stage and year."""
    if not permissions.can_manage_hub(actor, hub):
        raise PermissionDenied("Only the hub's leads manage its application windows.")
    if closes < opens:
        raise ValidationError({"closes": "The closing date must be on or after the opening date"})
    with transaction.atomic():
        window = ApplicationWindow.objects.select_for_update().filter(
            hub=hub, stage=stage, year=year
        ).first() or ApplicationWindow(hub=hub, stage=stage, year=year)
        window.opens, window.closes, window.target_places = opens, closes, target_places
        audited_save(window, actor=actor, reason="Saved the window")
    return window


def window_open_now(
    *, actor, window: ApplicationWindow, today: date | None = None
) -> ApplicationWindow:
    today = today or timezone.localdate()
    closes = max(window.closes, today)
    return window_save(
        actor=actor,
        hub=window.hub,
        stage=window.stage,
        year=window.year,
        opens=min(window.opens, today),
        closes=closes,
        target_places=window.target_places,
    )


def window_close_now(
    *, actor, window: ApplicationWindow, today: date | None = None
) -> ApplicationWindow:
    yesterday = (today or timezone.localdate()) - timedelta(days=1)
    return window_save(
        actor=actor,
        hub=window.hub,
        stage=window.stage,
        year=window.year,
        opens=min(window.opens, yesterday),
        closes=yesterday,
        target_places=window.target_places,
    )


# ---------------------------------------------------------------------------
# Participation history


def participation_record(
    *,
    actor,
    school: School,
    stage: ProgrammeStage,
    year: AcademicYear,
    outcome: str,
    note: str = "",
    source: str = Participation.Source.FORM,
    hub: Hub | None = None,
) -> Participation:
    """Record (or correct) what a school did in a stage and year.

    ``hub`` is the hub it took part with: its own by default, or the one that
    accepted it from outside its area."""
    hub = hub or school.hub
    if hub is None or not permissions.can_manage_hub(actor, hub):
        raise PermissionDenied("Only the school's hub leads record its participation.")
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Choose completed, did not complete or withdrawn"})
    with transaction.atomic():
        participation = Participation.objects.select_for_update().filter(
            school=school, stage=stage, year=year
        ).first() or Participation(school=school, stage=stage, year=year)
        participation.outcome = outcome
        participation.note = note
        participation.source = source
        participation.recorded_by = actor
        participation.recorded_at = timezone.now()
        audited_save(participation, actor=actor, reason=f"Recorded {outcome} ({source})")
    return participation


@dataclass
class RowReport:
    line: int
    urn: str
    ok: bool
    message: str


@dataclass
class ImportReport:
    rows: list[RowReport] = field(default_factory=list)
    error: str = ""

    @property
    def imported(self) -> int:
        return sum(1 for r in self.rows if r.ok)

    @property
    def rejected(self) -> int:
        return sum(1 for r in self.rows if not r.ok)


PARTICIPATION_COLUMNS = ("URN", "stage", "year", "outcome")
MAX_UPLOAD_ROWS = 20_000


def _parse_stage(value: str, stages: list[ProgrammeStage]) -> ProgrammeStage | None:
    wanted = value.strip().lower()
    for stage in stages:
        if wanted in (stage.code, stage.short_code.lower(), stage.name.lower()):
            return stage
    return None


def _parse_year(value: str) -> int | None:
    text = value.strip()
    head = text.split("/")[0].split("-")[0]
    if not (head.isascii() and head.isdigit() and len(head) == 4):
        return None
    start = int(head)
    if "/" in text or "-" in text:
        tail = text.replace("-", "/").split("/")[1]
        if not (tail.isascii() and tail.isdigit()) or int(tail) % 100 != (start + 1) % 100:
            return None
    return start if 2000 <= start <= 2100 else None


def _parse_outcome(value: str) -> str | None:
    wanted = value.strip().lower().replace("_", " ")
    for choice in Outcome:
        if wanted in (choice.value.replace("_", " "), choice.label.lower()):
            return choice.value
    return None


def participation_import_csv(*, actor, hub: Hub, data: bytes) -> ImportReport:
    """Import participation history (URN, stage, year, outcome) row by row.

    Valid rows are recorded; each rejected row is reported with its line and why.
    The file as a whole is refused when it is not a CSV with those columns."""
    if not permissions.can_manage_hub(actor, hub):
        raise PermissionDenied("Only the hub's leads upload its participation history.")
    report = ImportReport()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            report.error = "The file is not a text CSV file. Save it as CSV (UTF-8) and try again."
            return report
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = {(h or "").strip().lower(): h for h in (reader.fieldnames or [])}
    missing = [c for c in PARTICIPATION_COLUMNS if c.lower() not in headers]
    if missing:
        report.error = (
            f"The file needs the columns {', '.join(PARTICIPATION_COLUMNS)}; "
            f"missing: {', '.join(missing)}. Nothing was imported."
        )
        return report

    stages = list(ProgrammeStage.objects.all())
    schools = {s.urn: s for s in School.objects.filter(hub=hub).select_related("hub")}
    years: dict[int, AcademicYear] = {}
    seen: set[tuple[int, int, int]] = set()
    valid: list[tuple[int, str, School, ProgrammeStage, int, str]] = []

    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_UPLOAD_ROWS:
            report.error = (
                f"The file has more than {MAX_UPLOAD_ROWS:,} rows; split it and upload each part."
            )
            return report

        def get(name: str, row=row) -> str:
            return (row.get(headers[name.lower()]) or "").strip()

        urn_text = get("URN")
        problems = []
        urn_digits = urn_text.isascii() and urn_text.isdigit()
        school = schools.get(int(urn_text)) if urn_digits else None
        if not urn_digits or len(urn_text) != 6:
            problems.append("the URN must be 6 digits")
        elif school is None:
            problems.append(f"no school with URN {urn_text} is in {hub.name}'s area")
        stage = _parse_stage(get("stage"), stages)
        if stage is None:
            problems.append(f"'{get('stage')}' is not a programme stage")
        start_year = _parse_year(get("year"))
        if start_year is None:
            problems.append(f"'{get('year')}' is not an academic year like 2019/20")
        outcome = _parse_outcome(get("outcome"))
        if outcome is None:
            problems.append("the outcome must be completed, did not complete or withdrawn")
        if not problems:
            key = (school.pk, stage.pk, start_year)
            if key in seen:
                problems.append("the same school, stage and year appear earlier in the file")
            seen.add(key)
        if problems:
            message = "; ".join(problems)
            report.rows.append(
                RowReport(line, urn_text, False, message[:1].upper() + message[1:] + ".")
            )
        else:
            valid.append((line, urn_text, school, stage, start_year, outcome))

    with transaction.atomic():
        for line, urn_text, school, stage, start_year, outcome in valid:
            if start_year not in years:
                years[start_year], _ = AcademicYear.objects.get_or_create(start_year=start_year)
            participation_record(
                actor=actor,
                school=school,
                stage=stage,
                year=years[start_year],
                outcome=outcome,
                source=Participation.Source.CSV,
            )
            report.rows.append(
                RowReport(
                    line,
                    urn_text,
                    True,
                    f"{stage.name} {years[start_year].label}: {outcome.replace('_', ' ')}",
                )
            )
    report.rows.sort(key=lambda r: r.line)
    return report
