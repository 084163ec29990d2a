"""The hub lead's journey: who is in which cohort this year, who still needs a
decision, the decisions themselves, application windows and participation history.

Hub leads act; national admins look (the lists and application pages, read-only);
specialists and headteachers have no business here (403). Every row is fetched
through ``visible_to``, so another hub's application or window is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from hubportal.accounts.models import Role
from hubportal.accounts.roles import active_membership, has_role, role_required
from hubportal.forms import add_service_errors, page_of
from hubportal.pagination import page_items
from workgroups import services
from workgroups.eligibility import check_eligibility
from workgroups.forms.hub import (
    APPLICATION_SORT_CHOICES,
    ApplicationFilterForm,
    CohortYearForm,
    DecisionForm,
    ParticipationFilterForm,
    ParticipationRecordForm,
    ParticipationUploadForm,
    WindowForm,
)
from workgroups.models import (
    UNDECIDED_STATES,
    AcademicYear,
    Application,
    ApplicationState,
    ApplicationWindow,
    ProgrammeStage,
)
from workgroups.permissions import can_decide
from workgroups.selectors.hub import (
    COHORT_STATES,
    application_history,
    can_see_every_hub,
    cohort_applications,
    cohort_la_options,
    cohort_rows,
    cohort_summary,
    cohort_years,
    hub_options,
    hub_windows,
    participation_history,
    participation_years,
    reviewable_applications,
    window_status,
)

LEADS = (Role.HUB_LEAD,)
LEADS_AND_ADMINS = (Role.HUB_LEAD, Role.NATIONAL_ADMIN)
S = ApplicationState

EXAMPLE_CSV = (
    "URN,stage,year,outcome\r\n"
    "100001,Mastery Readiness,2023/24,completed\r\n"
    "100001,Development Work Group,2024/25,completed\r\n"
    "100002,dwg,2024/25,did not complete\r\n"
    "100003,Sustaining,2025/26,withdrawn\r\n"
)


def _year_from_slug(year_slug: str) -> AcademicYear:
    """ "2026-27" → the academic year 2026/27; anything else, or a year with no rows, is a 404."""
    head, _, tail = year_slug.partition("-")
    if not (head.isdigit() and len(head) == 4 and tail.isdigit() and len(tail) == 2):
        raise Http404("Not an academic year")
    if int(tail) != (int(head) + 1) % 100:
        raise Http404("Not an academic year")
    return get_object_or_404(AcademicYear, start_year=int(head))


def _hub_name(request) -> str:
    membership = active_membership(request.user)
    return membership.hub.name if membership and membership.hub_id else "All hubs"


# ---------------------------------------------------------------------------
# Cohorts


@role_required(*LEADS_AND_ADMINS)
def cohorts(request):
    """The year's cohorts: a row per stage with its counts and places."""
    current = AcademicYear.objects.current()
    years = cohort_years(request.user, current)
    form = CohortYearForm(
        request.GET or None, years=years, hubs=hub_options(request.user), current=current
    )
    year = form.chosen_year()
    hub_code = form.hub_code()
    rows = cohort_rows(request.user, year, hub_code)
    list_query = {"hub": hub_code} if hub_code else {}
    return render(
        request,
        "workgroups/hub/cohorts.html",
        {
            "form": form,
            "year": year,
            "is_current": year.pk == current.pk,
            "rows": rows,
            "states": [(state, S(state).label) for state in COHORT_STATES],
            "waiting": sum(row.waiting for row in rows),
            "hub_name": _hub_name(request),
            "list_query": list_query,
        },
    )


# ---------------------------------------------------------------------------
# A cohort's applications


def _columns(query: dict[str, str], sort: str) -> dict[str, dict]:
    """Each sortable heading links to its own order; the current one to its reverse."""
    current_key = sort.removeprefix("-")
    descending = sort.startswith("-")
    columns = {}
    for key in ("school", "la", "state", "submitted"):
        is_current = key == current_key
        next_sort = f"-{key}" if is_current and not descending else key
        columns[key] = {
            "params": {**query, "sort": next_sort},
            "aria_sort": ("descending" if descending else "ascending") if is_current else "",
            "next_is_descending": next_sort.startswith("-"),
        }
    return columns


def _cohort(stage_code: str, year_slug: str) -> tuple[ProgrammeStage, AcademicYear]:
    return get_object_or_404(ProgrammeStage, code=stage_code), _year_from_slug(year_slug)


def _render_list(
    request,
    stage: ProgrammeStage,
    year: AcademicYear,
    *,
    bulk_errors: list[str] | None = None,
    selected: set[int] | None = None,
):
    hubs = hub_options(request.user)
    hub_code = request.GET.get("hub", "") if hubs else ""
    if hub_code and hub_code not in dict(hubs):
        hub_code = ""
    form = ApplicationFilterForm(
        request.GET or None,
        las=cohort_la_options(request.user, stage, year, hub_code),
        hubs=hubs,
    )
    if form.is_bound:
        form.is_valid()
    filters = form.filters()
    page = page_of(cohort_applications(request.user, stage, year, filters), request)
    query = form.query_params()
    can_act = has_role(request.user, Role.HUB_LEAD)
    return render(
        request,
        "workgroups/hub/application_list.html",
        {
            "form": form,
            "stage": stage,
            "year": year,
            "summary": cohort_summary(request.user, stage, year, filters.hub_code),
            "page": page,
            "page_items": page_items(page),
            "query": query,
            "query_string": urlencode(query),
            "columns": _columns(query, filters.sort),
            "sort_label": dict(APPLICATION_SORT_CHOICES).get(filters.sort, ""),
            "is_filtered": any(v for k, v in query.items() if k != "sort"),
            "can_act": can_act,
            "decidable": {S.SUBMITTED, S.WAITLISTED},
            "selected": selected or set(),
            "bulk_errors": bulk_errors or [],
            "show_hub": can_see_every_hub(request.user),
            "hub_name": _hub_name(request),
        },
    )


@role_required(*LEADS_AND_ADMINS)
def application_list(request, stage_code: str, year_slug: str):
    """The cohort's applications: filtered, sorted and paged on the server."""
    stage, year = _cohort(stage_code, year_slug)
    return _render_list(request, stage, year)


@role_required(*LEADS)
@require_POST
def accept_many(request, stage_code: str, year_slug: str):
    """Accept the ticked applications: all of them, or none and the reason why."""
    stage, year = _cohort(stage_code, year_slug)
    ids = {
        int(value)
        for value in request.POST.getlist("application")
        # A primary key, not a number too big for the database's integer column.
        if value.isascii() and value.isdigit() and len(value) <= 18
    }
    back = reverse("applications:list", args=[stage.code, year.slug])
    if request.GET:
        back = f"{back}?{request.GET.urlencode()}"
    if not ids:
        return _render_list(
            request, stage, year, bulk_errors=["Select at least one application to accept"]
        )
    applications = list(
        Application.objects.visible_to(request.user)
        .filter(stage=stage, year=year, pk__in=ids)
        .select_related("school")
    )
    if len(applications) != len(ids):
        # A tampered or stale form: do nothing rather than part of what was asked.
        return _render_list(
            request,
            stage,
            year,
            selected=ids,
            bulk_errors=[
                "Some of the selected applications are not in this cohort. Nothing was accepted."
            ],
        )
    try:
        accepted = services.application_accept_many(actor=request.user, applications=applications)
    except ValidationError as error:
        return _render_list(
            request,
            stage,
            year,
            selected=ids,
            bulk_errors=[f"{message} Nothing was accepted." for message in error.messages],
        )
    count = len(accepted)
    messages.success(request, f"Accepted {count} application{'s' if count != 1 else ''}")
    return redirect(back)


# ---------------------------------------------------------------------------
# One application


def _review_context(request, application: Application, form: DecisionForm | None) -> dict:
    eligibility = check_eligibility(
        school=application.school,
        stage=application.stage,
        year=application.year,
        hub=application.hub,
        ignore_application_id=application.pk,
    )
    may_decide = can_decide(request.user, application) and application.state in UNDECIDED_STATES
    if may_decide and form is None:
        form = DecisionForm(state=application.state)
    return {
        "application": application,
        "eligibility": eligibility,
        "participants": list(application.participants.all()),
        "history": application_history(application),
        "form": form if may_decide else None,
        "may_decide": may_decide,
        "cohort_url": reverse(
            "applications:list", args=[application.stage.code, application.year.slug]
        ),
    }


@role_required(*LEADS_AND_ADMINS)
def review(request, pk: int):
    """The application as the hub sees it: eligibility now, the answers, the
    decision, the history of every change, and (for a hub lead) the decision form."""
    application = get_object_or_404(reviewable_applications(request.user), pk=pk)
    return render(
        request, "workgroups/hub/review.html", _review_context(request, application, None)
    )


DECISION_SERVICES = {
    "accept": services.application_accept,
    "waitlist": services.application_waitlist,
    "decline": services.application_decline,
}
DECISION_MESSAGES = {
    "accept": "Accepted",
    "waitlist": "Put on the waiting list",
    "decline": "Declined",
}


@role_required(*LEADS)
@require_POST
def decide(request, pk: int):
    """Accept, waitlist or decline; promoting from the waiting list is accepting."""
    application = get_object_or_404(reviewable_applications(request.user), pk=pk)
    if not can_decide(request.user, application):
        raise PermissionDenied("Only a lead of the hub applied to can decide.")
    if application.state not in UNDECIDED_STATES:
        messages.error(
            request,
            f"This application is already {application.get_state_display().lower()}: "
            "no decision was made",
        )
        return redirect("applications:review", pk=application.pk)
    form = DecisionForm(request.POST, state=application.state)
    if form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            decided = DECISION_SERVICES[decision](
                actor=request.user, application=application, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
            application.refresh_from_db()
            if application.state not in UNDECIDED_STATES:
                # Someone decided first (InvalidTransition): show the page as it now stands.
                for message in error.messages:
                    messages.error(request, message)
                return redirect("applications:review", pk=application.pk)
        else:
            promoted = decision == "accept" and application.state == S.WAITLISTED
            verb = "Promoted from the waiting list" if promoted else DECISION_MESSAGES[decision]
            messages.success(request, f"{verb}: {decided.school.name}")
            return redirect("applications:review", pk=application.pk)
    return render(
        request, "workgroups/hub/review.html", _review_context(request, application, form)
    )


# ---------------------------------------------------------------------------
# Application windows


@role_required(*LEADS_AND_ADMINS)
def windows(request):
    """The hub's windows, latest year first, with their state and accepted count."""
    rows = list(hub_windows(request.user))
    for window in rows:
        window.status = window_status(window)
    return render(
        request,
        "workgroups/hub/windows.html",
        {
            "windows": rows,
            "can_act": has_role(request.user, Role.HUB_LEAD),
            "show_hub": can_see_every_hub(request.user),
            "hub_name": _hub_name(request),
        },
    )


@role_required(*LEADS)
@require_http_methods(["GET", "POST"])
def window_edit(request, pk: int | None = None):
    """Make a window, or change an existing one's dates and target places."""
    hub = active_membership(request.user).hub
    window = None
    if pk is not None:
        window = get_object_or_404(
            ApplicationWindow.objects.visible_to(request.user).select_related("stage", "year"),
            pk=pk,
        )
    data = request.POST if request.method == "POST" else None
    form = WindowForm(data, hub=hub, instance=window)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.window_save(
                actor=request.user,
                hub=hub,
                stage=data["stage"],
                year=form.academic_year(),
                opens=data["opens"],
                closes=data["closes"],
                target_places=data["target_places"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Saved the window for {saved.stage.name} in {saved.year.label}: "
                f"open {_day(saved.opens)} to {_day(saved.closes)}, "
                f"{saved.target_places} places",
            )
            return redirect("applications:windows")
    return render(
        request,
        "workgroups/hub/window_form.html",
        {"form": form, "window": window, "hub": hub},
    )


def _day(day) -> str:
    return date_format(day, "j F Y")


@role_required(*LEADS)
@require_POST
def window_toggle(request, pk: int, action: str):
    """Open a window from today, or close it as of yesterday."""
    if action not in ("open", "close"):
        raise Http404("Unknown action")
    window = get_object_or_404(
        ApplicationWindow.objects.visible_to(request.user).select_related("hub", "stage", "year"),
        pk=pk,
    )
    change = services.window_open_now if action == "open" else services.window_close_now
    try:
        saved = change(actor=request.user, window=window)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if action == "open":
            text = f"Applications for {saved.stage.name} in {saved.year.label} are open until"
            messages.success(request, f"{text} {_day(saved.closes)}")
        else:
            messages.success(
                request,
                f"Applications for {saved.stage.name} in {saved.year.label} closed on "
                f"{_day(saved.closes)}",
            )
    return redirect("applications:windows")


# ---------------------------------------------------------------------------
# Participation history


@role_required(*LEADS_AND_ADMINS)
@require_http_methods(["GET", "POST"])
def participation(request):
    """The hub's participation history, filtered and paged, and a form to record one."""
    can_act = has_role(request.user, Role.HUB_LEAD)
    record_form = None
    if can_act:
        record_form = ParticipationRecordForm(
            request.POST if request.method == "POST" else None, user=request.user, prefix="record"
        )
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied("Only the hub's leads record its participation.")
        if record_form.is_valid():
            data = record_form.cleaned_data
            try:
                saved = services.participation_record(
                    actor=request.user,
                    school=data["urn"],
                    stage=data["stage"],
                    year=record_form.academic_year(),
                    outcome=data["outcome"],
                    note=data["note"],
                )
            except ValidationError as error:
                add_service_errors(record_form, error)
            else:
                messages.success(
                    request,
                    f"Recorded {saved.school.name} ({saved.school.urn}): {saved.stage.name} "
                    f"{saved.year.label}, {saved.get_outcome_display().lower()}",
                )
                return redirect("applications:participation")

    hubs = hub_options(request.user)
    filter_form = ParticipationFilterForm(
        request.GET or None,
        stages=list(ProgrammeStage.objects.order_by("order")),
        years=participation_years(request.user),
        hubs=hubs,
    )
    if filter_form.is_bound:
        filter_form.is_valid()
    query = filter_form.query_params()
    page = page_of(participation_history(request.user, filter_form.filters()), request)
    return render(
        request,
        "workgroups/hub/participation.html",
        {
            "filter_form": filter_form,
            "form": record_form,
            "page": page,
            "page_items": page_items(page),
            "query": query,
            "is_filtered": bool(query),
            "can_act": can_act,
            "show_hub": bool(hubs),
            "hub_name": _hub_name(request),
        },
    )


@role_required(*LEADS)
@require_http_methods(["GET", "POST"])
def participation_upload(request):
    """Upload participation history as CSV and see what happened to each row."""
    if request.GET.get("download") == "example":
        response = HttpResponse(EXAMPLE_CSV, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="participation-example.csv"'
        return response
    hub = active_membership(request.user).hub
    if request.method == "POST":
        form = ParticipationUploadForm(request.POST, request.FILES)
    else:
        form = ParticipationUploadForm()
    report = None
    if request.method == "POST" and form.is_valid():
        result = services.participation_import_csv(
            actor=request.user, hub=hub, data=form.cleaned_data["file"]
        )
        if result.error:
            form.add_error("file", result.error)
        else:
            report = result
    return render(
        request,
        "workgroups/hub/participation_upload.html",
        {
            "form": form,
            "report": report,
            "rejected": [row for row in report.rows if not row.ok] if report else [],
            "imported": [row for row in report.rows if row.ok] if report else [],
            "hub": hub,
        },
    )


# ---------------------------------------------------------------------------
# The cohort page


@role_required(*LEADS_AND_ADMINS)
def cohort(request, stage_code: str, year_slug: str):
    """Every accepted school of the cohort: its group, teachers, attendance and outcome."""
    from workgroups.forms.hub import CohortFilterForm
    from workgroups.selectors.cohort import cohort_applications, cohort_rows

    stage, year = _cohort(stage_code, year_slug)
    form = CohortFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    applications = cohort_applications(
        request.user,
        stage,
        year,
        placed=filters.get("placed", ""),
        sort=filters.get("sort") or "school",
    )
    page = page_of(applications, request)
    rows = cohort_rows(list(page.object_list), stage, year)
    return render(
        request,
        "workgroups/hub/cohort.html",
        {
            "form": form,
            "stage": stage,
            "year": year,
            "page": page,
            "page_items": page_items(page),
            "rows": rows,
            "query": {k: v for k, v in filters.items() if v},
        },
    )
