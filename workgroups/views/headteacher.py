"""The headteacher's journey: where the school stands in the programme, and the
application task list from the first answer to submission or withdrawal.

Every application is fetched through ``Application.objects.visible_to``, so
another school's is not found (404); the services decide who may change what
(PermissionDenied is a 403) and in which state (shown on the page, never a 500)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from hubportal.accounts.models import Role
from hubportal.accounts.roles import active_membership, role_required
from workgroups import services
from workgroups.forms.headteacher import (
    SECTION_FORMS,
    DeclarationForm,
    ParticipantsForm,
    WithdrawForm,
    commitment_labels,
)
from workgroups.models import (
    AcademicYear,
    Application,
    ApplicationState,
    ProgrammeStage,
)
from workgroups.selectors.school import (
    school_next_year,
    school_participations,
    school_programme,
)

S = ApplicationState
WITHDRAWABLE_STATES = (S.DRAFT, S.SUBMITTED, S.WAITLISTED, S.ACCEPTED)
# Set when an application is submitted, so the next page shows the confirmation once.
SUBMITTED_SESSION_KEY = "headteacher_submitted_application"

headteacher_required = role_required(Role.HEADTEACHER)


def _school(request):
    return active_membership(request.user).school


def _application(request, pk: int) -> Application:
    return get_object_or_404(
        Application.objects.visible_to(request.user).select_related(
            "stage", "year", "school", "hub"
        ),
        pk=pk,
    )


def _add_service_error(form, error: ValidationError) -> None:
    """Put a service's refusal on the form: beside the field it names, or at the top."""
    if hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_messages)
    else:
        form.add_error(None, error.messages)


def _answers(application: Application) -> dict:
    """What the answers summary shows: the participants and each commitment."""
    return {
        "participants": list(application.participants.all()),
        "commitments": [
            {"name": name, "label": label, "value": getattr(application, name)}
            for name, label in commitment_labels(application.stage).items()
        ],
    }


def _error_items(form, links: dict[str, str] | None = None) -> list[dict]:
    """The error summary's entries: each field's errors link to the field; errors
    about the whole form link where ``links`` says (by message), or nowhere."""
    links = links or {}
    items = [
        {"text": message, "href": links.get(message, "")} for message in form.non_field_errors()
    ]
    for field in form:
        for message in field.errors:
            items.append({"text": message, "href": f"#{field.auto_id}"})
    return items


# ---------------------------------------------------------------------------
# Your school's programme


@headteacher_required
def programme(request):
    school = _school(request)
    today = timezone.localdate()
    current = AcademicYear.objects.current()
    years = [current]
    next_year = school_next_year(school, current)
    if next_year is not None:
        years.append(next_year)
    return render(
        request,
        "workgroups/headteacher/programme.html",
        {
            "school": school,
            "sections": [
                {"year": year, "stages": school_programme(request.user, school, year, today)}
                for year in years
            ],
            "participations": school_participations(request.user, school),
        },
    )


@headteacher_required
@require_POST
def start(request, stage_code: str):
    stage = get_object_or_404(ProgrammeStage, code=stage_code)
    year = _year_from_slug(request.POST.get("year", ""))
    if year is None:
        messages.error(request, "Choose an academic year from your school's programme page.")
        return redirect("applications:programme")
    try:
        application = services.application_start(
            actor=request.user, school=_school(request), stage=stage, year=year
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("applications:programme")
    return redirect("applications:detail", pk=application.pk)


def _year_from_slug(slug: str) -> AcademicYear | None:
    head = slug.split("-")[0]
    if not (head.isascii() and head.isdigit() and len(head) == 4):
        return None
    # Only a year already in the portal: the address must not create years.
    year = AcademicYear.objects.filter(start_year=int(head)).first()
    if year is None or slug != year.slug:
        return None
    return year


# ---------------------------------------------------------------------------
# The application


@headteacher_required
def detail(request, pk: int):
    application = _application(request, pk)
    just_submitted = request.session.get(SUBMITTED_SESSION_KEY) == application.pk
    if just_submitted:
        del request.session[SUBMITTED_SESSION_KEY]
    context = {
        "application": application,
        **_answers(application),
        "can_withdraw": application.state in WITHDRAWABLE_STATES,
        "just_submitted": just_submitted and application.state != S.DRAFT,
    }
    if application.state == S.DRAFT:
        tasks = services.application_tasks(application)
        context["tasks"] = tasks
        context["all_done"] = all(t.done for t in tasks)
        context["done_count"] = sum(1 for t in tasks if t.done)
    return render(request, "workgroups/headteacher/detail.html", context)


SECTION_TEMPLATES = {
    "school": "workgroups/headteacher/section_school.html",
    "commitments": "workgroups/headteacher/section_commitments.html",
    "participants": "workgroups/headteacher/section_participants.html",
    "action_plan": "workgroups/headteacher/section_action_plan.html",
}


@headteacher_required
@require_http_methods(["GET", "POST"])
def section(request, pk: int, section: str):
    application = _application(request, pk)
    tasks = {t.key: t for t in services.application_tasks(application)}
    if section not in tasks or section not in SECTION_FORMS:
        raise Http404("This application has no such section.")
    if not application.is_editable:
        messages.error(request, "This application has been submitted and can no longer be changed.")
        return redirect("applications:detail", pk=application.pk)

    form_class = SECTION_FORMS[section]
    if request.method == "POST":
        form = form_class(request.POST, application=application)
        if form.is_valid():
            try:
                if isinstance(form, ParticipantsForm):
                    services.application_set_participants(
                        actor=request.user,
                        application=application,
                        participants=form.participants(),
                    )
                else:
                    services.application_save_answers(
                        actor=request.user,
                        application=application,
                        section=section,
                        answers=form.answers(),
                    )
            except services.InvalidTransition as error:
                for message in error.messages:
                    messages.error(request, message)
                return redirect("applications:detail", pk=application.pk)
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                messages.success(request, f"Saved: {tasks[section].title.lower()}")
                return redirect("applications:detail", pk=application.pk)
    else:
        form = form_class(application=application)

    return render(
        request,
        SECTION_TEMPLATES[section],
        {
            "application": application,
            "task": tasks[section],
            "form": form,
            "error_items": _error_items(form) if form.errors else [],
        },
    )


@headteacher_required
@require_http_methods(["GET", "POST"])
def check_answers(request, pk: int):
    application = _application(request, pk)
    if not application.is_editable:
        return redirect("applications:detail", pk=application.pk)
    tasks = services.application_tasks(application)
    section_links = {
        f"Complete this section first: {t.title}": reverse(
            "applications:section", args=[application.pk, t.key]
        )
        for t in tasks
    }

    if request.method == "POST":
        form = DeclarationForm(request.POST)
        if form.is_valid():
            try:
                services.application_submit(
                    actor=request.user,
                    application=application,
                    declaration=form.cleaned_data["declaration"],
                )
            except ValidationError as error:
                # Also an InvalidTransition: a second tab submitted it first.
                _add_service_error(form, error)
            else:
                request.session[SUBMITTED_SESSION_KEY] = application.pk
                return redirect("applications:detail", pk=application.pk)
        # The refusal may have come from a newer state (another tab): show it as it is now.
        application = _application(request, pk)
        tasks = services.application_tasks(application)
    else:
        form = DeclarationForm()

    return render(
        request,
        "workgroups/headteacher/check.html",
        {
            "application": application,
            **_answers(application),
            "tasks": tasks,
            "incomplete": [t for t in tasks if not t.done],
            "form": form,
            "error_items": _error_items(form, section_links) if form.errors else [],
            "editable": application.is_editable,
        },
    )


@headteacher_required
@require_http_methods(["GET", "POST"])
def withdraw(request, pk: int):
    application = _application(request, pk)
    if application.state not in WITHDRAWABLE_STATES:
        messages.error(
            request,
            f"This application is {application.get_state_display().lower()} "
            "and cannot be withdrawn.",
        )
        return redirect("applications:detail", pk=application.pk)

    reason_required = application.state == S.ACCEPTED
    if request.method == "POST":
        form = WithdrawForm(request.POST, reason_required=reason_required)
        if form.is_valid():
            try:
                services.application_withdraw(
                    actor=request.user,
                    application=application,
                    reason=form.cleaned_data["reason"],
                )
            except services.InvalidTransition as error:
                for message in error.messages:
                    messages.error(request, message)
                return redirect("applications:detail", pk=application.pk)
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                messages.success(
                    request,
                    f"Your {application.stage.name} application for {application.year.label} "
                    "is withdrawn",
                )
                return redirect("applications:programme")
    else:
        form = WithdrawForm(reason_required=reason_required)

    return render(
        request,
        "workgroups/headteacher/withdraw.html",
        {
            "application": application,
            "form": form,
            "reason_required": reason_required,
            "error_items": _error_items(form) if form.errors else [],
        },
    )
