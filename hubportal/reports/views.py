"""Reports: the page that lists the exports, and the exports themselves.

Hub leads export their hub's rows; national admins every hub's, or one with
``?hub=CODE``; anyone else is refused (403) and a visitor signed out is sent to sign
in. Each export is ``?format=csv`` (streamed a line at a time) or ``?format=xlsx``
(written to a temporary file, streamed in chunks); any other format, year, stage or
hub is not found."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from funding import exports as files
from hubportal.accounts.roles import HUB_STAFF, active_membership, role_required
from hubportal.reports import exports
from schools.models import Hub
from workgroups.forms.hub import ErrorLinksMixin
from workgroups.models import AcademicYear, ProgrammeStage
from workgroups.selectors.hub import can_see_every_hub, hub_options

FORMATS = ("csv", "xlsx")


class ReportChoiceForm(ErrorLinksMixin, forms.Form):
    """Which year (and, for the cohort, stage; for national admins, hub) to export."""

    year = forms.ChoiceField(label="Academic year")
    stage = forms.ChoiceField(label="Programme stage")
    hub = forms.ChoiceField(label="Maths Hub", required=False)

    def __init__(self, data, *, years, stages, hubs, current: AcademicYear):
        super().__init__(data, initial={"year": current.slug, "stage": stages[0].code})
        self.fields["year"].choices = [(y.slug, y.label) for y in years]
        self.fields["stage"].choices = [(s.code, s.name) for s in stages]
        self.fields["year"].error_messages["invalid_choice"] = "Select an academic year"
        self.fields["stage"].error_messages["invalid_choice"] = "Select a programme stage"
        if hubs:
            self.fields["hub"].choices = [("", "All hubs"), *hubs]
            self.fields["hub"].error_messages["invalid_choice"] = "Select a Maths Hub"
        else:
            del self.fields["hub"]


def _years(current: AcademicYear) -> list[AcademicYear]:
    """The current year and every earlier one the portal knows, latest first."""
    return list(
        AcademicYear.objects.filter(start_year__lte=current.start_year).order_by("-start_year")
    )


@role_required(*HUB_STAFF)
def index(request):
    current = AcademicYear.objects.current()
    years = _years(current)
    stages = list(ProgrammeStage.objects.order_by("order"))
    form = ReportChoiceForm(
        request.GET or None,
        years=years,
        stages=stages,
        hubs=hub_options(request.user),
        current=current,
    )
    chosen = {"year": current.slug, "stage": stages[0].code, "hub": ""}
    if form.is_bound and form.is_valid():
        chosen.update({k: v for k, v in form.cleaned_data.items() if v})
    year = next(y for y in years if y.slug == chosen["year"])
    stage = next(s for s in stages if s.code == chosen["stage"])
    query = {"year": year.slug}
    if chosen["hub"]:
        query["hub"] = chosen["hub"]
    membership = active_membership(request.user)
    reports = [
        {
            "key": "cohort",
            "title": f"{stage.name} cohort {year.label}",
            "description": "Each accepted school: its URN, local authority, work group, "
            "teachers, meetings attended of those held, and outcome.",
            "url": reverse("reports:cohort"),
            "query": {**query, "stage": stage.code},
        },
        {
            "key": "attendance",
            "title": f"Attendance {year.label}",
            "description": "A row for each teacher at each meeting of the year's work groups.",
            "url": reverse("reports:attendance"),
            "query": query,
        },
        {
            "key": "claims",
            "title": f"Claims and payments {year.label}",
            "description": "Every claim sent to the hub: amounts claimed and awarded, "
            "payment, batch, and what assurance checks found.",
            "url": reverse("reports:claims"),
            "query": query,
        },
        {
            "key": "annual-return",
            "title": f"Annual return {year.label}",
            "description": "The figures for the NCETM: schools and groups per stage, "
            "and the money paid and recovered.",
            "url": reverse("reports:annual_return"),
            "query": query,
        },
    ]
    return render(
        request,
        "reports/index.html",
        {
            "form": form,
            "year": year,
            "stage": stage,
            "reports": reports,
            "hub_name": membership.hub.name if membership.hub_id else "All hubs",
        },
    )


# ---------------------------------------------------------------------------
# The exports


def _format(request) -> str:
    fmt = request.GET.get("format", "")
    if fmt not in FORMATS:
        raise Http404("Download as CSV or XLSX")
    return fmt


def _year(request) -> AcademicYear:
    head, _, tail = request.GET.get("year", "").partition("-")
    if not (
        head.isascii()
        and head.isdigit()
        and len(head) == 4
        and tail == f"{(int(head) + 1) % 100:02d}"
    ):
        raise Http404("Not an academic year")
    return get_object_or_404(AcademicYear, start_year=int(head))


def _hub_code(request) -> str:
    """National admins may narrow to one hub; a hub lead's scope is their hub already."""
    code = request.GET.get("hub", "")
    if not code or not can_see_every_hub(request.user):
        return ""
    return get_object_or_404(Hub.objects.visible_to(request.user), code=code).code


def _name(year: AcademicYear, hub_code: str, *parts: str) -> str:
    return "-".join([*parts, year.slug, *([hub_code] if hub_code else [])])


def _send(fmt: str, name: str, columns, rows, *, title: str):
    if fmt == "csv":
        return files.csv_response(f"{name}.csv", columns, rows)
    return files.xlsx_file_response(f"{name}.xlsx", columns, rows, title=title)


@role_required(*HUB_STAFF)
def cohort(request):
    fmt, year, hub_code = _format(request), _year(request), _hub_code(request)
    stage = get_object_or_404(ProgrammeStage, code=request.GET.get("stage", ""))
    rows = exports.stream(exports.cohort_rows(request.user, stage, year, hub_code))
    name = _name(year, hub_code, "cohort", stage.code)
    return _send(
        fmt,
        name,
        exports.COHORT_COLUMNS,
        rows,
        title=f"{stage.short_code} {year.slug}",
    )


@role_required(*HUB_STAFF)
def attendance(request):
    fmt, year, hub_code = _format(request), _year(request), _hub_code(request)
    rows = exports.stream(exports.attendance_rows(request.user, year, hub_code=hub_code))
    name = _name(year, hub_code, "attendance")
    return _send(fmt, name, exports.ATTENDANCE_COLUMNS, rows, title=f"Attendance {year.slug}")


@role_required(*HUB_STAFF)
def claims(request):
    fmt, year, hub_code = _format(request), _year(request), _hub_code(request)
    rows = exports.stream(exports.claim_rows(request.user, year, hub_code))
    name = _name(year, hub_code, "claims")
    return _send(fmt, name, exports.CLAIM_COLUMNS, rows, title=f"Claims {year.slug}")


@role_required(*HUB_STAFF)
def annual_return(request):
    fmt, year, hub_code = _format(request), _year(request), _hub_code(request)
    rows = exports.annual_return(request.user, year, hub_code)
    name = _name(year, hub_code, "annual-return")
    return _send(fmt, name, exports.RETURN_COLUMNS, rows, title=f"Annual return {year.slug}")
