"""The hub lead records each member school's outcome for the year.

The screen suggests an outcome from attendance (the stage's completion rule) and
lets the hub lead choose another with a reason. Saving records every school at
once or none of them. Only the hub lead of the group's hub may use it: other
roles get 403, another hub's group is not found (404)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from hubportal.accounts.models import Role
from hubportal.accounts.roles import role_required
from workgroups import services
from workgroups.forms.completion import CompletionForm
from workgroups.models import Outcome, Participation, WorkGroup
from workgroups.permissions import can_manage_hub
from workgroups.selectors.completion import CompletionRow, group_completion


class _Refused(Exception):
    """A service refused one school: undo every school saved before it."""


def _unchanged(row: CompletionRow, outcome: str, reason: str) -> bool:
    recorded = row.recorded
    return (
        recorded is not None
        and recorded.source == Participation.Source.COMPLETION
        and recorded.outcome == outcome
        and recorded.note == reason.strip()
    )


def _save(actor, form: CompletionForm) -> bool:
    """Record every school's outcome in one transaction; on any refusal, none."""
    try:
        with transaction.atomic():
            refused = False
            for row, outcome, reason in form.choices():
                # Saving the same outcome again would only add a history row that says nothing.
                if _unchanged(row, outcome, reason):
                    continue
                try:
                    services.completion_record(
                        actor=actor,
                        member=row.member,
                        outcome=outcome,
                        suggested=row.suggested,
                        reason=reason,
                    )
                except ValidationError as error:
                    form.add_service_error(row, error)
                    refused = True
            if refused:
                raise _Refused
    except _Refused:
        return False
    return True


def _summary(form: CompletionForm) -> str:
    chosen = [outcome for _row, outcome, _reason in form.choices()]
    parts = [
        f"{chosen.count(outcome)} {Outcome(outcome).label.lower()}"
        for outcome in Outcome.values
        if outcome in chosen
    ]
    return ", ".join(parts) or "the group has no schools"


@role_required(Role.HUB_LEAD)
@require_http_methods(["GET", "POST"])
def record(request, pk: int):
    work_group = get_object_or_404(
        WorkGroup.objects.visible_to(request.user).select_related("hub", "stage", "year", "lead"),
        pk=pk,
    )
    if not can_manage_hub(request.user, work_group.hub):
        raise PermissionDenied("Only the hub's leads record its schools' outcomes.")
    completion = group_completion(work_group)
    form = CompletionForm(request.POST if request.method == "POST" else None, rows=completion.rows)
    if request.method == "POST" and form.is_valid() and _save(request.user, form):
        messages.success(request, f"Recorded the outcomes for {work_group.code}: {_summary(form)}")
        return redirect(
            "applications:cohort", stage_code=work_group.stage.code, year_slug=work_group.year.slug
        )
    return render(
        request,
        "workgroups/completion/record.html",
        {
            "work_group": work_group,
            "stage": work_group.stage,
            "year": work_group.year,
            "completion": completion,
            "form": form,
        },
    )
