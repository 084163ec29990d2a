"""A person's own data: everything the portal holds about them, for "Your data".

``personal_data`` reads and writes nothing. Every query is scoped to the one person
asking, through the person's own foreign keys (created, submitted, decided, logged,
sent to them) or their email address, never through the role they are acting in:
the download is about them, not about what their role may see. The few rows that
carry another person's details (a teacher they named, a school's finance contact)
appear only where the person entered them; another person's payee details never
appear, and bank details are masked as the hub's claim review masks them. Secrets
(password hash, two-factor keys and recovery codes, invitation tokens, the private
calendar address) are never read.

The number of queries is fixed: one per section, and one per audited model for the
history, however many rows the person has.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Max, Min, Q
from simple_history.models import HistoricalChanges

from funding.models import Claim, Evidence
from funding.money import account_last4, format_pence, sort_code_shown
from hubportal.accounts.models import Invitation, Membership, Role, SupportSession, User
from hubportal.notices.models import Notice, NoticePreference
from workgroups.models import Application, Attendance, CalendarFeed, Meeting, Participant, WorkGroup

# The sections of the download, in order, with what each holds: the "Your data" page
# lists these, and each becomes one CSV in the zip.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("account", "Your account: name, email addresses, sign-in dates and two-factor sign-in"),
    ("memberships", "Your roles: hub lead, headteacher, Mastery Specialist or national admin"),
    ("invitations_received", "Invitations sent to you"),
    ("invitations_sent", "Invitations you sent"),
    ("applications", "Applications you started, submitted or decided"),
    ("participants", "Teachers you named, and your school's teachers if you are a headteacher"),
    ("named_as_participant", "Applications that name you as a taking-part teacher"),
    ("claims", "Funding claims you made or decided (bank details masked)"),
    ("evidence", "Proof-of-purchase files you uploaded (names and fingerprints, not the files)"),
    ("work_groups_led", "Work groups you lead"),
    ("meetings_logged", "Meetings whose attendance you logged"),
    ("attendance_logged", "The attendance you logged"),
    ("notices", "Emails the portal sent or planned to send you"),
    ("notice_preferences", "Your email preferences"),
    ("calendar_feed", "Your private calendar address (whether you have one, not the address)"),
    ("support_sessions_about_you", "Times hub staff viewed the portal as you"),
    ("support_sessions_you_ran", "Times you viewed the portal as someone else"),
    ("history", "Changes you made, counted by kind of record and reason"),
)

TWO_FACTOR_LABELS = {
    Authenticator.Type.TOTP: "Authenticator app",
    Authenticator.Type.RECOVERY_CODES: "Recovery codes",
}


def _place(hub, school) -> str:
    if school is not None:
        return f"{school.name} (URN {school.urn})"
    if hub is not None:
        return hub.name
    return ""


def _account(person: User) -> list[dict[str, Any]]:
    addresses = list(
        EmailAddress.objects.filter(user=person)
        .order_by("-primary", "email")
        .values("email", "verified", "primary")
    )
    # Only the kind and dates of each two-factor method: never its secret or codes.
    methods = list(
        Authenticator.objects.filter(user=person)
        .order_by("-type")  # the authenticator app before its recovery codes
        .values_list("type", "created_at", "last_used_at")
    )
    return [
        {
            "full_name": person.full_name,
            "email": person.email,
            "other_email_addresses": ", ".join(
                a["email"] for a in addresses if a["email"] != person.email
            ),
            "email_verified": any(a["verified"] for a in addresses if a["email"] == person.email),
            "account_open": person.is_active,
            "joined_at": person.date_joined,
            # The portal keeps the last sign-in only; it keeps no log of earlier ones.
            "last_signed_in_at": person.last_login,
            "two_factor_set_up": any(kind == Authenticator.Type.TOTP for kind, _, _ in methods),
            "two_factor_methods": ", ".join(
                TWO_FACTOR_LABELS.get(kind, kind) for kind, _, _ in methods
            ),
            "two_factor_last_used_at": max(
                (used for _, _, used in methods if used is not None), default=None
            ),
        }
    ]


def _memberships(person: User) -> list[dict[str, Any]]:
    return [
        {
            "role": m.get_role_display(),
            "place": m.place_name,
            "school_urn": m.school.urn if m.school_id else None,
            "since": m.created_at,
        }
        for m in Membership.objects.filter(user=person)
        .select_related("hub", "school")
        .order_by("created_at", "pk")
    ]


def _invitations_received(person: User) -> list[dict[str, Any]]:
    invitations = (
        Invitation.objects.filter(Q(email__iexact=person.email) | Q(accepted_by=person))
        .select_related("hub", "school", "invited_by")
        .order_by("created_at", "pk")
    )
    return [
        {
            "role": i.get_role_display(),
            "place": _place(i.hub, i.school),
            "name_given": i.full_name,
            "email": i.email,
            "invited_by": i.invited_by.get_full_name(),
            "sent_at": i.sent_at or i.created_at,
            "expires_at": i.expires_at,
            "accepted_at": i.accepted_at,
            "status": i.status,
        }
        for i in invitations
    ]


def _invitations_sent(person: User) -> list[dict[str, Any]]:
    invitations = (
        Invitation.objects.filter(invited_by=person)
        .select_related("hub", "school")
        .order_by("created_at", "pk")
    )
    return [
        {
            "to_name": i.full_name,
            "to_email": i.email,
            "role": i.get_role_display(),
            "place": _place(i.hub, i.school),
            "created_at": i.created_at,
            "accepted_at": i.accepted_at,
            "status": i.status,
        }
        for i in invitations
    ]


def _parts(row, person: User, **fields: str) -> str:
    return ", ".join(label for field, label in fields.items() if getattr(row, field) == person.pk)


def _applications(person: User) -> list[dict[str, Any]]:
    applications = (
        Application.objects.filter(
            Q(created_by=person) | Q(submitted_by=person) | Q(decided_by=person)
        )
        .select_related("school", "stage", "year")
        .order_by("created_at", "pk")
    )
    rows = []
    for a in applications:
        made_it = person.pk in (a.created_by_id, a.submitted_by_id)
        rows.append(
            {
                "id": a.pk,
                "school": _place(None, a.school),
                "stage": a.stage.name,
                "year": a.year.label,
                "state": a.get_state_display(),
                "your_part": _parts(
                    a,
                    person,
                    created_by_id="started",
                    submitted_by_id="submitted",
                    decided_by_id="decided",
                ),
                # The answers are the applicant's; a hub lead who decided sees only the decision.
                "contact_name": a.contact_name if made_it else "",
                "contact_role": a.contact_role if made_it else "",
                "action_plan_priorities": a.action_plan_priorities if made_it else "",
                "withdrawn_reason": a.withdrawn_reason if made_it else "",
                "created_at": a.created_at,
                "submitted_at": a.submitted_at,
                "decided_at": a.decided_at,
                "decision_reason": a.decision_reason,
            }
        )
    return rows


def _headteacher_school_ids(person: User) -> list[int]:
    return list(
        Membership.objects.filter(user=person, role=Role.HEADTEACHER).values_list(
            "school_id", flat=True
        )
    )


def _participant_row(p: Participant) -> dict[str, Any]:
    application = p.application
    return {
        "application_id": application.pk,
        "school": _place(None, application.school),
        "stage": application.stage.name,
        "year": application.year.label,
        "position": p.position,
        "name": p.name,
        "email": p.email,
        "role_in_school": p.job_role,
        "maths_lead": p.is_maths_lead,
        "trn": p.trn,
    }


def _participants(person: User, school_ids: list[int]) -> list[dict[str, Any]]:
    participants = (
        Participant.objects.filter(
            Q(application__created_by=person)
            | Q(application__submitted_by=person)
            | Q(application__school_id__in=school_ids)
        )
        .select_related("application__school", "application__stage", "application__year")
        .order_by("application_id", "position")
    )
    return [_participant_row(p) for p in participants]


def _named_as_participant(person: User) -> list[dict[str, Any]]:
    participants = (
        Participant.objects.filter(email__iexact=person.email)
        .select_related("application__school", "application__stage", "application__year")
        .order_by("application_id", "position")
    )
    return [_participant_row(p) for p in participants]


def _claims(person: User) -> list[dict[str, Any]]:
    claims = (
        Claim.objects.filter(Q(created_by=person) | Q(decided_by=person))
        .select_related("school", "year", "scheme")
        .order_by("created_at", "pk")
    )
    rows = []
    for c in claims:
        made_it = c.created_by_id == person.pk
        rows.append(
            {
                "reference": c.reference,
                "school": _place(None, c.school),
                "kind": c.get_kind_display(),
                "year": c.year.label,
                "state": c.get_state_display(),
                "your_part": _parts(c, person, created_by_id="made", decided_by_id="decided"),
                "scheme": c.scheme.name if c.scheme_id else "",
                "supplier": c.supplier,
                "invoice_number": c.invoice_number,
                "invoice_date": c.invoice_date,
                "spend": format_pence(c.spend_pence),
                "claimed": format_pence(c.claimed_pence),
                "award": format_pence(c.award_pence),
                # Payee details only on the claims the person made themselves, and the
                # account number only by its last four digits.
                "payee_name": c.payee_name if made_it else "",
                "sort_code": sort_code_shown(c.sort_code) if made_it else "",
                "account_number": f"****{account_last4(c.account_number)}"
                if made_it and c.account_number
                else "",
                "finance_email": c.finance_email if made_it else "",
                "created_at": c.created_at,
                "submitted_at": c.submitted_at,
                "decided_at": c.decided_at,
                "paid_at": c.paid_at,
                "decision_reason": c.decision_reason,
                "return_reason": c.return_reason,
            }
        )
    return rows


def _evidence(person: User) -> list[dict[str, Any]]:
    evidence = Evidence.objects.filter(uploaded_by=person).select_related("claim")
    return [
        {
            "claim": e.claim.reference,
            "file_name": e.original_name,
            "type": e.get_content_type_display(),
            "size_bytes": e.size,
            "sha256": e.sha256,
            "uploaded_at": e.uploaded_at,
        }
        for e in evidence.order_by("uploaded_at", "pk")
    ]


def _work_groups_led(person: User) -> list[dict[str, Any]]:
    groups = WorkGroup.objects.filter(lead=person).select_related("hub", "stage", "year")
    return [
        {"code": g.code, "hub": g.hub.name, "stage": g.stage.name, "year": g.year.label}
        for g in groups.order_by("year__start_year", "code")
    ]


def _meetings_logged(person: User) -> list[dict[str, Any]]:
    meetings = Meeting.objects.filter(logged_by=person).select_related("work_group")
    return [
        {
            "work_group": m.work_group.code,
            "kind": m.get_kind_display(),
            "date": m.date,
            "logged_at": m.logged_at,
            "notes": m.notes,
        }
        for m in meetings.order_by("date", "pk")
    ]


def _attendance_logged(person: User) -> list[dict[str, Any]]:
    attendance = Attendance.objects.filter(meeting__logged_by=person).select_related(
        "meeting__work_group", "participant"
    )
    return [
        {
            "work_group": a.meeting.work_group.code,
            "meeting_date": a.meeting.date,
            "teacher": a.participant.name,
            "status": a.get_status_display(),
        }
        for a in attendance.order_by("meeting__date", "meeting_id", "participant__name", "pk")
    ]


def _notices(person: User) -> list[dict[str, Any]]:
    notices = Notice.objects.filter(Q(recipient=person) | Q(email__iexact=person.email))
    return [
        {
            "kind": n.get_kind_display(),
            "about": f"{n.subject_type} {n.subject_id}",
            "occasion": n.occasion,
            "to": n.email,
            "state": n.get_state_display(),
            "due_at": n.due_at,
            "sent_at": n.sent_at,
        }
        for n in notices.order_by("created_at", "pk")
    ]


def _notice_preferences(person: User) -> list[dict[str, Any]]:
    return [
        {
            "email": p.email,
            "meeting_reminders": p.reminders,
            "opportunities": p.opportunities,
            "claim_deadlines": p.deadlines,
            "updated_at": p.updated_at,
        }
        for p in NoticePreference.objects.filter(email__iexact=person.email)
    ]


def _calendar_feed(person: User) -> list[dict[str, Any]]:
    # The address's token is a secret: only whether there is one, and since when.
    return [
        {"has_private_calendar_address": True, "created_at": created_at}
        for created_at in CalendarFeed.objects.filter(user=person).values_list(
            "created_at", flat=True
        )
    ]


def _support_sessions(person: User, *, about_them: bool) -> list[dict[str, Any]]:
    if about_them:
        sessions = SupportSession.objects.filter(target=person).select_related("viewer")
    else:
        sessions = SupportSession.objects.filter(viewer=person).select_related("target")
    return [
        {
            ("viewed_by" if about_them else "viewed_as"): (
                s.viewer if about_them else s.target
            ).get_full_name(),
            "role": s.get_role_display(),
            "place": s.place,
            "started_at": s.started_at,
            "ended_at": s.ended_at,
            "how_it_ended": s.get_ended_how_display(),
        }
        for s in sessions.order_by("started_at", "pk")
    ]


HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


def _audited_models() -> list:
    return sorted(
        (m for m in apps.get_models() if issubclass(m, HistoricalChanges)),
        key=lambda m: m._meta.label,
    )


def _history(person: User) -> list[dict[str, Any]]:
    """What the person changed, by kind of record, kind of change and reason given:
    counts and dates, not the rows' contents (which may hold other people's details)."""
    rows = []
    for model in _audited_models():
        tracked = model.instance_type._meta.verbose_name
        grouped = (
            model.objects.filter(history_user=person)
            .values("history_type", "history_change_reason")
            .annotate(count=Count("pk"), first=Min("history_date"), last=Max("history_date"))
            .order_by("history_type", "history_change_reason")
        )
        for group in grouped:
            rows.append(
                {
                    "record": tracked,
                    "change": HISTORY_TYPES.get(group["history_type"], group["history_type"]),
                    "reason": group["history_change_reason"] or "",
                    "count": group["count"],
                    "first_at": group["first"],
                    "last_at": group["last"],
                }
            )
    return rows


def personal_data(*, person: User) -> dict[str, Any]:
    """Everything the portal holds about ``person``, by section (see SECTIONS)."""
    school_ids = _headteacher_school_ids(person)
    data = {
        "account": _account(person),
        "memberships": _memberships(person),
        "invitations_received": _invitations_received(person),
        "invitations_sent": _invitations_sent(person),
        "applications": _applications(person),
        "participants": _participants(person, school_ids),
        "named_as_participant": _named_as_participant(person),
        "claims": _claims(person),
        "evidence": _evidence(person),
        "work_groups_led": _work_groups_led(person),
        "meetings_logged": _meetings_logged(person),
        "attendance_logged": _attendance_logged(person),
        "notices": _notices(person),
        "notice_preferences": _notice_preferences(person),
        "calendar_feed": _calendar_feed(person),
        "support_sessions_about_you": _support_sessions(person, about_them=True),
        "support_sessions_you_ran": _support_sessions(person, about_them=False),
        "history": _history(person),
    }
    return data


# ---------------------------------------------------------------------------
# The files


def as_json(data: dict[str, Any], *, generated_at: datetime) -> bytes:
    document = {
        "about": "Personal data held by the Maths Hubs Programme Portal",
        "generated_at": generated_at,
        "sections": dict(SECTIONS),
        **data,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False).encode()


def _csv(rows: Iterable[dict[str, Any]]) -> bytes:
    rows = list(rows)
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    k: v.isoformat() if hasattr(v, "isoformat") else ("" if v is None else v)
                    for k, v in row.items()
                }
            )
    # A byte-order mark, so a spreadsheet opens names with accents correctly.
    return ("\ufeff" + buffer.getvalue()).encode()


def as_zip(data: dict[str, Any], *, generated_at: datetime) -> bytes:
    """The JSON file and one CSV per section (an empty section is an empty file)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("your-data.json", as_json(data, generated_at=generated_at))
        for key, _ in SECTIONS:
            archive.writestr(f"{key}.csv", _csv(data[key]))
    return buffer.getvalue()
