"""The hub lead's funding screens: the hub's claims, the review and its three
decisions, payment batches and their exports, and the year's budget and claim window.

Hub leads act; national admins look at every hub (read-only, with a hub filter);
specialists and headteachers have no business here (403). Every row is fetched through
``visible_to``, so another hub's claim or batch is a 404. Every change is a call to
``funding.services``; a refusal there becomes a message beside the field or at the top."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from funding import assurance, exports, services
from funding.forms.hub import (
    CLAIM_SORT_CHOICES,
    ApproveForm,
    BudgetForm,
    ClaimFilterForm,
    ClaimWindowForm,
    MarkPaidForm,
    RejectForm,
    ReturnForm,
    YearHubForm,
    returnable_fields,
)
from funding.models import Claim, ClaimKind, ClaimState, PaymentBatch
from funding.money import account_last4, format_pence, half_of, sort_code_shown
from funding.permissions import can_decide, can_manage_funding
from funding.selectors import hub as selectors
from hubportal.accounts.models import Role
from hubportal.accounts.roles import active_membership, has_role, role_required
from hubportal.forms import add_service_errors, page_of
from hubportal.pagination import page_items
from schools.models import Hub
from workgroups.models import AcademicYear
from workgroups.selectors.hub import can_see_every_hub, hub_options
from workgroups.services.applications import InvalidTransition

LEADS = (Role.HUB_LEAD,)
LEADS_AND_ADMINS = (Role.HUB_LEAD, Role.NATIONAL_ADMIN)
S = ClaimState
EXPORT_FORMATS = ("csv", "xlsx")


def _hub_name(request) -> str:
    membership = active_membership(request.user)
    return membership.hub.name if membership and membership.hub_id else "All hubs"


def _day(day) -> str:
    return date_format(day, "j F Y")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _year_form(request, form_class=YearHubForm, *, include_next: bool = False):
    current = AcademicYear.objects.current()
    return form_class(
        request.GET or None,
        years=selectors.funding_years(request.user, current, include_next=include_next),
        hubs=hub_options(request.user),
        current=current,
    )


def _show_money(claims) -> list[Claim]:
    """Pounds for the template, which has no money filter: formatted once, here."""
    claims = list(claims)
    for claim in claims:
        claim.claimed_shown = format_pence(claim.claimed_pence)
        claim.award_shown = format_pence(claim.award_pence)
    return claims


# ---------------------------------------------------------------------------
# The hub's claims


def _columns(query: dict[str, str], sort: str) -> dict[str, dict]:
    """Each sortable heading links to its own order; the current one to its reverse."""
    current_key = sort.removeprefix("-")
    descending = sort.startswith("-")
    columns = {}
    for key in selectors.CLAIM_SORTS:
        is_current = key == current_key
        next_sort = f"-{key}" if is_current and not descending else key
        columns[key] = {
            "params": {**query, "sort": next_sort},
            "aria_sort": ("descending" if descending else "ascending") if is_current else "",
            "next_is_descending": next_sort.startswith("-"),
        }
    return columns


@role_required(*LEADS_AND_ADMINS)
def claim_list(request):
    """The year's claims, filtered, sorted and paged on the server, with totals over
    everything the filters match."""
    form = _year_form(request, ClaimFilterForm)
    filters = form.filters()
    claims = selectors.claim_list(request.user, filters)
    totals = selectors.claim_totals(claims)
    page = page_of(claims, request, count=totals["count"])
    query = form.query_params()
    return render(
        request,
        "funding/hub/claim_list.html",
        {
            "form": form,
            "year": filters.year,
            "page": page,
            "claims": _show_money(page.object_list),
            "page_items": page_items(page),
            "query": query,
            "columns": _columns(query, filters.sort),
            "sort_label": dict(CLAIM_SORT_CHOICES).get(filters.sort, ""),
            "is_filtered": any(v for k, v in query.items() if k not in ("sort", "year")),
            "totals": {
                "count": totals["count"],
                "claimed": format_pence(totals["claimed"]),
                "awarded": format_pence(totals["awarded"]),
                "paid": format_pence(totals["paid"]),
            },
            "show_hub": can_see_every_hub(request.user),
            "hub_name": _hub_name(request),
        },
    )


# ---------------------------------------------------------------------------
# One claim: the review and the decisions


def _calculation(claim: Claim) -> dict | None:
    """What an approval now would award, and why, for a claim waiting for a decision."""
    if claim.state != S.SUBMITTED or claim.claimed_pence is None:
        return None
    proposed, remaining = services.award_for(claim)
    calculation = {
        "proposed_pence": proposed,
        "proposed": format_pence(proposed),
        "claimed": format_pence(claim.claimed_pence),
        "is_match": claim.kind == ClaimKind.MATCH,
    }
    if claim.kind == ClaimKind.MATCH:
        calculation.update(
            spend=format_pence(claim.spend_pence),
            half=format_pence(half_of(claim.spend_pence or 0)),
            remaining=format_pence(remaining),
        )
    return calculation


def _position(claim: Claim, calculation: dict | None) -> dict:
    position = services.budget_position(claim.hub, claim.year)
    shown = {
        key: (None if value is None else format_pence(value)) for key, value in position.items()
    }
    shown["is_over"] = position["remaining"] is not None and position["remaining"] < 0
    if calculation and position["remaining"] is not None:
        after = position["remaining"] - calculation["proposed_pence"]
        shown["after"] = format_pence(after)
        shown["after_is_over"] = after < 0
    return shown


def _review(request, claim: Claim, bound: dict | None = None):
    """The review page; ``bound`` holds the one decision form that was just posted."""
    bound = bound or {}
    calculation = _calculation(claim)
    may_decide = can_decide(request.user, claim) and claim.state == S.SUBMITTED
    forms = {}
    if may_decide:
        forms = {
            "approve": bound.get("approve")
            or ApproveForm(proposed=calculation["proposed_pence"] if calculation else 0),
            "return": bound.get("return") or ReturnForm(kind=claim.kind),
            "reject": bound.get("reject") or RejectForm(),
        }
    evidence = list(claim.evidence.all())
    for item in evidence:
        item.is_image = item.content_type.startswith("image/")
    labels = dict(returnable_fields(claim.kind))
    return render(
        request,
        "funding/hub/review.html",
        {
            "claim": claim,
            "claimed": format_pence(claim.claimed_pence),
            "award": format_pence(claim.award_pence),
            "spend": format_pence(claim.spend_pence),
            "account_last4": account_last4(claim.account_number),
            "sort_code": sort_code_shown(claim.sort_code),
            "evidence": evidence,
            "calculation": calculation,
            "position": _position(claim, calculation),
            "history": selectors.claim_history(claim),
            "return_fields": [labels.get(name, name) for name in claim.return_fields],
            "may_decide": may_decide,
            "forms": forms,
            "form": next(iter(bound.values()), None),
            "is_match": claim.kind == ClaimKind.MATCH,
            "similar": (
                assurance.similar_claims(claim, user=request.user)
                if claim.kind == ClaimKind.MATCH
                else []
            ),
        },
    )


def _is_over_budget(error: ValidationError, claim: Claim, form: ApproveForm) -> bool:
    """Whether claim_approve refused the approval for the hub's budget."""
    codes = {getattr(error, "code", None)}
    for errors in getattr(error, "error_dict", {}).values():
        codes.update(item.code for item in errors)
    if "over_budget" in codes:
        return True
    # Django keeps no code on a ValidationError made from a dict, as claim_approve
    # raises it, so the award error is told apart by the position it was checked against.
    if "award" not in getattr(error, "error_dict", {}):
        return False
    remaining = services.budget_position(claim.hub, claim.year)["remaining"]
    award, _ = services.award_for(claim, form.award_pence())
    return remaining is not None and award > remaining


def _approve(request, claim: Claim, form: ApproveForm) -> str:
    approved = services.claim_approve(
        actor=request.user,
        claim=claim,
        award_pence=form.award_pence(),
        reason=form.cleaned_data["reason"],
        allow_over_budget=form.cleaned_data["allow_over_budget"],
    )
    return f"Approved {format_pence(approved.award_pence)} for {claim.school.name}"


def _return(request, claim: Claim, form: ReturnForm) -> str:
    services.claim_return(
        actor=request.user,
        claim=claim,
        reason=form.cleaned_data["reason"],
        fields=form.cleaned_data["to_change"],
    )
    return f"Returned the claim to {claim.school.name} for changes"


def _reject(request, claim: Claim, form: RejectForm) -> str:
    services.claim_reject(actor=request.user, claim=claim, reason=form.cleaned_data["reason"])
    return f"Rejected the claim from {claim.school.name}"


DECISIONS = {"approve": _approve, "return": _return, "reject": _reject}


def _decide(request, claim: Claim):
    back = redirect("funding:review", pk=claim.pk)
    decision = request.POST.get("decision", "")
    if decision not in DECISIONS:
        messages.error(request, "Choose to approve, return or reject the claim")
        return back
    if claim.state != S.SUBMITTED:
        messages.error(
            request,
            f"No decision was made: this claim is {claim.get_state_display().lower()}",
        )
        return back
    if decision == "approve":
        form = ApproveForm(request.POST, proposed=services.award_for(claim)[0])
    elif decision == "return":
        form = ReturnForm(request.POST, kind=claim.kind)
    else:
        form = RejectForm(request.POST)
    if form.is_valid():
        try:
            done = DECISIONS[decision](request, claim, form)
        except InvalidTransition as error:
            # Decided by someone else meanwhile, or the school's £2,000 is used up.
            for message in error.messages:
                messages.error(request, f"No decision was made. {message}")
            return back
        except ValidationError as error:
            if decision == "approve" and _is_over_budget(error, claim, form):
                form.over_budget = True
                label = form["allow_over_budget"].label
                for message in error.messages:
                    form.add_error(
                        "allow_over_budget", f"{message}. To approve it anyway, select ‘{label}’"
                    )
            else:
                add_service_errors(form, error, rename={"award": "amount"})
        else:
            messages.success(request, done)
            return back
    return _review(request, claim, {decision: form})


@role_required(*LEADS_AND_ADMINS)
@require_http_methods(["GET", "POST"])
def review(request, pk: int):
    """The claim as the hub sees it: the answers, the evidence, the award and the
    budget, the history, and (for the hub's lead) the three decisions."""
    claim = get_object_or_404(selectors.reviewable_claims(request.user), pk=pk)
    if request.method == "POST":
        if not can_decide(request.user, claim):
            raise PermissionDenied("Only a lead of the claim's hub decides it.")
        return _decide(request, claim)
    return _review(request, claim)


# ---------------------------------------------------------------------------
# Payment batches


def _create_batch(request, year: AcademicYear, ids: set[int]) -> HttpResponse | list[str]:
    """Make a batch of the ticked claims, or say why none was made."""
    if not ids:
        return ["Select at least one approved claim"]
    claims = list(
        Claim.objects.visible_to(request.user)
        .filter(pk__in=ids, year=year)
        .select_related("school")
        .order_by("pk")
    )
    if len(claims) != len(ids):
        # A tampered or stale form: do nothing rather than part of what was asked.
        return [
            f"Some of the selected claims are not your hub's claims for {year.label}. "
            "No batch was made."
        ]
    not_ready = [c.reference for c in claims if c.state != S.APPROVED or c.batch_id]
    if not_ready:
        return [f"Not approved, or already in a batch: {', '.join(not_ready)}. No batch was made."]
    hub = active_membership(request.user).hub
    try:
        batch = services.batch_create(actor=request.user, hub=hub, year=year, claims=claims)
    except ValidationError as error:
        return [f"{message} No batch was made." for message in error.messages]
    total = sum(claim.award_pence for claim in claims)
    messages.success(
        request,
        f"Created {batch.reference}: {_plural(len(claims), 'claim')}, {format_pence(total)}",
    )
    return redirect("funding:batch", pk=batch.pk)


@role_required(*LEADS_AND_ADMINS)
@require_http_methods(["GET", "POST"])
def batch_list(request):
    """Approved claims waiting for payment, to put in a batch; and the year's batches."""
    form = _year_form(request)
    year, hub_code = form.academic_year(), form.hub_code()
    can_act = has_role(request.user, Role.HUB_LEAD)
    errors: list[str] = []
    selected: set[int] = set()
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied("Only the hub's leads make payment batches.")
        selected = {
            int(value)
            for value in request.POST.getlist("claim")
            # A primary key, not a number too big for the database's integer column.
            if value.isascii() and value.isdigit() and len(value) <= 18
        }
        made = _create_batch(request, year, selected)
        if isinstance(made, HttpResponse):
            return made
        errors = made
    waiting = _show_money(selectors.claims_to_batch(request.user, year, hub_code))
    chosen = [claim for claim in waiting if claim.pk in selected]
    page = page_of(selectors.batch_list(request.user, year, hub_code), request)
    batches = list(page.object_list)
    for batch in batches:
        batch.total_shown = format_pence(batch.total)
    query = form.query_params()
    return render(
        request,
        "funding/hub/batch_list.html",
        {
            "form": form,
            "year": year,
            "waiting": waiting,
            "waiting_total": format_pence(sum(c.award_pence or 0 for c in waiting)),
            "selected": selected,
            "selected_count": len(chosen),
            "selected_total": format_pence(sum(c.award_pence or 0 for c in chosen)),
            "errors": errors,
            "page": page,
            "batches": batches,
            "page_items": page_items(page),
            "query": query,
            "query_string": urlencode(query),
            "can_act": can_act,
            "show_hub": can_see_every_hub(request.user),
            "hub_name": _hub_name(request),
        },
    )


def _batch(request, pk: int) -> PaymentBatch:
    return get_object_or_404(
        PaymentBatch.objects.visible_to(request.user).select_related(
            "hub", "year", "created_by", "paid_by"
        ),
        pk=pk,
    )


@role_required(*LEADS_AND_ADMINS)
@require_http_methods(["GET", "POST"])
def batch_detail(request, pk: int):
    """A batch's claims with the bank details to pay them, its exports, and (for the
    hub's lead, until it is paid) the form to mark it paid."""
    batch = _batch(request, pk)
    can_act = can_manage_funding(request.user, batch.hub)
    data = request.POST if request.method == "POST" else None
    form = MarkPaidForm(data) if can_act and not batch.is_paid else None
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied("Only the hub's leads mark batches paid.")
        if form is None:
            messages.error(request, f"{batch.reference} was marked paid already")
            return redirect("funding:batch", pk=batch.pk)
        if form.is_valid():
            try:
                services.batch_mark_paid(actor=request.user, batch=batch)
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, f"The batch was not marked paid. {message}")
            else:
                messages.success(request, f"Marked {batch.reference} as paid")
            return redirect("funding:batch", pk=batch.pk)
    claims = _show_money(selectors.batch_claims(batch))
    for claim in claims:
        claim.sort_code_shown = sort_code_shown(claim.sort_code)
    return render(
        request,
        "funding/hub/batch_detail.html",
        {
            "batch": batch,
            "claims": claims,
            "total": format_pence(selectors.batch_total(batch)),
            "form": form,
            "can_act": can_act,
        },
    )


@role_required(*LEADS_AND_ADMINS)
def batch_export(request, pk: int, fmt: str):
    """The batch as a spreadsheet for the finance team: CSV (streamed) or XLSX."""
    if fmt not in EXPORT_FORMATS:
        raise Http404("Download the batch as CSV or XLSX")
    batch = _batch(request, pk)
    claims = selectors.batch_claims(batch).iterator()
    filename = f"{batch.reference}.{fmt}"
    if fmt == "csv":
        return exports.csv_response(filename, exports.BATCH_COLUMNS, claims)
    return exports.xlsx_response(filename, exports.BATCH_COLUMNS, claims, title=batch.reference)


# ---------------------------------------------------------------------------
# The budget and the claim window


def _budget_saved(request, hub, year, form: BudgetForm) -> str:
    budget = services.budget_set(
        actor=request.user, hub=hub, year=year, allocation_pence=form.cleaned_data["allocation"]
    )
    return f"Saved the {year.label} allocation: {format_pence(budget.allocation_pence)}"


def _window_saved(request, hub, year, form: ClaimWindowForm) -> str:
    window = services.claim_window_set(
        actor=request.user,
        hub=hub,
        year=year,
        opens=form.cleaned_data["opens"],
        closes=form.cleaned_data["closes"],
    )
    return (
        f"Saved the {year.label} claim window: open {_day(window.opens)}, "
        f"deadline {_day(window.closes)}"
    )


@role_required(*LEADS_AND_ADMINS)
@require_http_methods(["GET", "POST"])
def budget(request):
    """The year's allocation, claim window and position; national admins see every
    hub's position, or one hub's."""
    year_form = _year_form(request, include_next=True)
    year = year_form.academic_year()
    can_act = has_role(request.user, Role.HUB_LEAD)
    if can_act:
        hub = active_membership(request.user).hub
    else:
        code = year_form.hub_code()
        hub = Hub.objects.visible_to(request.user).filter(code=code).first() if code else None
    window = selectors.claim_window(request.user, hub, year) if hub else None
    position = services.budget_position(hub, year) if hub else None
    budget_form = window_form = None
    bound = None
    if can_act:
        which = request.POST.get("form") if request.method == "POST" else None
        budget_form = BudgetForm(
            request.POST if which == "budget" else None,
            year=year,
            allocation=position["allocation"],
        )
        window_form = ClaimWindowForm(request.POST if which == "window" else None, window=window)
        bound = {"budget": budget_form, "window": window_form}.get(which)
    if request.method == "POST":
        if not can_act:
            raise PermissionDenied("Only the hub's leads set its budget and claim window.")
        if bound is None:
            raise BadRequest("Post the allocation form or the claim window form")
        if bound.is_valid():
            save = _budget_saved if bound is budget_form else _window_saved
            try:
                text = save(request, hub, year, bound)
            except ValidationError as error:
                add_service_errors(bound, error)
            else:
                messages.success(request, text)
                url = reverse("funding:budget")
                return redirect(f"{url}?{urlencode({'year': year.slug})}")
    shown = None
    if position is not None:
        shown = {
            key: (None if value is None else format_pence(value)) for key, value in position.items()
        }
        shown["is_over"] = position["remaining"] is not None and position["remaining"] < 0
    positions = None
    if hub is None:
        positions = [
            {
                "hub": row.hub,
                "allocation": format_pence(row.allocation),
                "committed": format_pence(row.committed),
                "paid": format_pence(row.paid),
                "remaining": format_pence(row.remaining),
                "is_over": row.remaining is not None and row.remaining < 0,
            }
            for row in selectors.hub_positions(request.user, year)
        ]
    return render(
        request,
        "funding/hub/budget.html",
        {
            "year_form": year_form,
            "year": year,
            "hub": hub,
            "window": window,
            "position": shown,
            "by_kind": [
                {
                    **row,
                    "committed": format_pence(row["committed"]),
                    "paid": format_pence(row["paid"]),
                }
                for row in (selectors.position_by_kind(hub, year) if hub else [])
            ],
            "positions": positions,
            "budget_form": budget_form,
            "window_form": window_form,
            "form": bound,
            "can_act": can_act,
            "query_string": urlencode({"year": year.slug}),
            "hub_name": hub.name if hub else "All hubs",
        },
    )
