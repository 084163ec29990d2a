"""Assurance pages for hub staff: samples of paid claims and their checks, clawbacks,
and the claims from other schools that look like a given claim.

Hub leads act on their own hub; national admins look at every hub and may draw a
sample for any of them (the checks and clawbacks stay the hub's to record);
specialists and headteachers have no business here (403). Every row is fetched
through ``visible_to``, so another hub's sample, check, clawback or claim is a 404.
Every change is a call to ``funding.assurance``; a refusal there is shown beside
the field it names, or at the top."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from funding import assurance
from funding.forms.assurance import (
    CheckForm,
    ClawbackFilterForm,
    ClawbackOpenForm,
    DrawForm,
    SampleFilterForm,
    WaiveForm,
)
from funding.models import (
    AssuranceSample,
    CheckOutcome,
    Claim,
    ClaimState,
    Clawback,
    ClawbackState,
    SampleCheck,
)
from funding.money import format_pence
from hubportal.accounts.models import Role
from hubportal.accounts.roles import role_required
from hubportal.forms import add_service_errors, page_of
from hubportal.pagination import page_items
from schools.models import Hub
from workgroups.models import AcademicYear
from workgroups.selectors.hub import can_see_every_hub, hub_options
from workgroups.services.applications import InvalidTransition

LEADS_AND_ADMINS = (Role.HUB_LEAD, Role.NATIONAL_ADMIN)


def _hub_name(request) -> str:
    hub = assurance.hub_for(request.user)
    return hub.name if hub else "All hubs"


def _evidence_rows(claim: Claim) -> list:
    """The claim's evidence (prefetched), each marked when it is an image."""
    rows = list(claim.evidence.all())
    for item in rows:
        item.is_image = item.content_type.startswith("image/")
    return rows


def _claim_money(claim: Claim) -> Claim:
    claim.spend_shown = format_pence(claim.spend_pence)
    claim.claimed_shown = format_pence(claim.claimed_pence)
    claim.award_shown = format_pence(claim.award_pence)
    return claim


def _clawback_of(claim: Claim) -> Clawback | None:
    try:
        clawback = claim.clawback
    except Clawback.DoesNotExist:
        return None
    clawback.amount_shown = format_pence(clawback.amount_pence)
    return clawback


# ---------------------------------------------------------------------------
# Samples


@role_required(*LEADS_AND_ADMINS)
@require_http_methods(["GET", "POST"])
def samples(request):
    """The samples drawn so far (filtered by year, and hub for national admins), and
    the form to draw a new one."""
    years = assurance.sample_years(request.user)
    hubs = hub_options(request.user)
    current = AcademicYear.objects.current()
    filter_form = SampleFilterForm(request.GET or None, years=years, hubs=hubs)
    if filter_form.is_bound:
        filter_form.is_valid()
    draw_form = DrawForm(
        request.POST if request.method == "POST" else None,
        years=years,
        hubs=hubs,
        current=current,
        seed=assurance.new_seed(),
    )
    if request.method == "POST" and draw_form.is_valid():
        data = draw_form.cleaned_data
        hub = (
            Hub.objects.filter(code=data["hub"]).first()
            if "hub" in draw_form.fields
            else assurance.hub_for(request.user)
        )
        try:
            sample = assurance.sample_draw(
                actor=request.user,
                hub=hub,
                year=draw_form.chosen_year(),
                percent=data["percent"],
                seed=data["seed"],
            )
        except ValidationError as error:
            add_service_errors(draw_form, error)
        else:
            count = sample.checks.count()
            messages.success(
                request,
                f"Drew {count} of {sample.paid_claims} paid claims ({sample.percent}%) "
                f"with seed {sample.seed}",
            )
            return redirect("assurance:sample", pk=sample.pk)

    page = page_of(
        assurance.sample_list(
            request.user, year=filter_form.chosen_year(), hub_code=filter_form.hub_code()
        ),
        request,
    )
    query = filter_form.query_params()
    return render(
        request,
        "funding/assurance/samples.html",
        {
            "filter_form": filter_form,
            "form": draw_form,
            "page": page,
            "samples": page.object_list,
            "page_items": page_items(page),
            "query": query,
            "is_filtered": bool(query),
            "show_hub": can_see_every_hub(request.user),
            "hub_name": _hub_name(request),
        },
    )


@role_required(*LEADS_AND_ADMINS)
def sample(request, pk: int):
    """The sampled claims, their evidence and what each check found."""
    sample = get_object_or_404(
        AssuranceSample.objects.visible_to(request.user).select_related("hub", "year", "drawn_by"),
        pk=pk,
    )
    page = page_of(assurance.sample_checks(sample), request)
    checks = list(page.object_list)
    for check in checks:
        _claim_money(check.claim)
        check.evidence = _evidence_rows(check.claim)
        check.clawback = _clawback_of(check.claim)
    tally = dict.fromkeys(CheckOutcome.values, 0)
    tally.update(sample.checks.order_by().values_list("outcome").annotate(n=Count("pk")))
    return render(
        request,
        "funding/assurance/sample.html",
        {
            "sample": sample,
            "checks": checks,
            "page": page,
            "page_items": page_items(page),
            "query": {},
            "tally": tally,
            "can_check": assurance.can_check(request.user, sample.hub),
        },
    )


# ---------------------------------------------------------------------------
# One check


def _check(request, pk: int) -> SampleCheck:
    return get_object_or_404(
        SampleCheck.objects.visible_to(request.user).select_related(
            "sample",
            "sample__hub",
            "sample__year",
            "claim",
            "claim__school",
            "claim__scheme",
            "claim__clawback",
            "checked_by",
        ),
        pk=pk,
    )


def _render_check(request, check: SampleCheck, *, form=None, clawback_form=None):
    claim = _claim_money(check.claim)
    may_check = assurance.can_check(request.user, check.sample.hub)
    clawback = _clawback_of(claim)
    if may_check and clawback is None and form is None:
        form = CheckForm(initial={"outcome": check.outcome, "notes": check.notes})
    may_open = (
        may_check
        and clawback is None
        and check.outcome == CheckOutcome.INSUFFICIENT
        and claim.state == ClaimState.PAID
    )
    if may_open and clawback_form is None:
        clawback_form = ClawbackOpenForm(paid_pence=claim.award_pence or 0, notes=check.notes)
    return render(
        request,
        "funding/assurance/check.html",
        {
            "check": check,
            "claim": claim,
            "evidence": _evidence_rows(claim),
            "clawback": clawback,
            "check_form": form if may_check and clawback is None else None,
            "clawback_form": clawback_form if may_open else None,
            # The form with errors, for the page title and the error summary.
            "form": next((f for f in (form, clawback_form) if f is not None and f.errors), None),
            "history": assurance.history(check),
        },
    )


@role_required(*LEADS_AND_ADMINS)
@require_http_methods(["GET", "POST"])
def check(request, pk: int):
    """A sampled claim's evidence and the outcome of checking it; when it is
    insufficient, the form to ask for the money back."""
    check = _check(request, pk)
    if request.method == "GET":
        return _render_check(request, check)
    if not assurance.can_check(request.user, check.sample.hub):
        raise PermissionDenied("Only the hub's leads record checks.")
    form = CheckForm(request.POST)
    if form.is_valid():
        try:
            saved = assurance.sample_check_record(
                actor=request.user,
                check=check,
                outcome=form.cleaned_data["outcome"],
                notes=form.cleaned_data["notes"],
            )
        except InvalidTransition as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("assurance:check", pk=check.pk)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            text = f"Recorded for {saved.claim.reference}: {saved.get_outcome_display().lower()}"
            if saved.outcome == CheckOutcome.INSUFFICIENT:
                text += ". You can ask the school to repay below."
            messages.success(request, text)
            return redirect("assurance:check", pk=check.pk)
    return _render_check(request, check, form=form)


@role_required(*LEADS_AND_ADMINS)
@require_POST
def clawback_open(request, pk: int):
    """Open a clawback from a check that found the evidence insufficient."""
    check = _check(request, pk)
    if not assurance.can_check(request.user, check.sample.hub):
        raise PermissionDenied("Only the hub's leads open clawbacks.")
    form = ClawbackOpenForm(request.POST, paid_pence=check.claim.award_pence or 0)
    if form.is_valid():
        try:
            clawback = assurance.clawback_open(
                actor=request.user,
                check=check,
                amount_pence=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        except InvalidTransition as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("assurance:check", pk=check.pk)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Asked {check.claim.school.name} to repay "
                f"{format_pence(clawback.amount_pence)}; the headteacher is told by email",
            )
            return redirect("assurance:clawback", pk=clawback.pk)
    return _render_check(request, check, clawback_form=form)


# ---------------------------------------------------------------------------
# Clawbacks


@role_required(*LEADS_AND_ADMINS)
def clawbacks(request):
    """Every clawback of the hub (every hub for a national admin), filtered by state,
    paged, with totals over everything the filters match."""
    form = ClawbackFilterForm(request.GET or None, hubs=hub_options(request.user))
    if form.is_bound:
        form.is_valid()
    rows = assurance.clawback_list(
        request.user, state=form.chosen_state(), hub_code=form.hub_code()
    )
    page = page_of(rows, request)
    items = list(page.object_list)
    for clawback in items:
        clawback.amount_shown = format_pence(clawback.amount_pence)
    totals = assurance.clawback_totals(rows)
    query = form.query_params()
    return render(
        request,
        "funding/assurance/clawbacks.html",
        {
            "form": form,
            "page": page,
            "clawbacks": items,
            "page_items": page_items(page),
            "query": query,
            "is_filtered": bool(query),
            "totals": {
                "count": totals["count"],
                **{
                    key: format_pence(totals[key])
                    for key in ("total", "requested", "recovered", "waived")
                },
            },
            "show_hub": can_see_every_hub(request.user),
            "hub_name": _hub_name(request),
        },
    )


def _clawback(request, pk: int) -> Clawback:
    return get_object_or_404(
        assurance.clawback_list(request.user).select_related(
            "claim__scheme", "claim__year", "closed_by", "sample_check", "sample_check__sample"
        ),
        pk=pk,
    )


def _render_clawback(request, clawback: Clawback, *, waive_form=None):
    clawback.amount_shown = format_pence(clawback.amount_pence)
    may_settle = (
        assurance.can_check(request.user, clawback.claim.hub)
        and clawback.state == ClawbackState.REQUESTED
    )
    return render(
        request,
        "funding/assurance/clawback.html",
        {
            "clawback": clawback,
            "claim": _claim_money(clawback.claim),
            "may_settle": may_settle,
            "form": waive_form,
            "waive_form": (waive_form or WaiveForm()) if may_settle else None,
            "history": assurance.history(clawback),
        },
    )


@role_required(*LEADS_AND_ADMINS)
def clawback(request, pk: int):
    """A clawback: how much, why, where it stands, who did what; the hub lead marks it
    recovered or waives it."""
    return _render_clawback(request, _clawback(request, pk))


@role_required(*LEADS_AND_ADMINS)
@require_POST
def clawback_recover(request, pk: int):
    clawback = _clawback(request, pk)
    try:
        saved = assurance.clawback_recover(actor=request.user, clawback=clawback)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            f"Recorded {format_pence(saved.amount_pence)} recovered from {saved.claim.school.name}",
        )
    return redirect("assurance:clawback", pk=clawback.pk)


@role_required(*LEADS_AND_ADMINS)
@require_POST
def clawback_waive(request, pk: int):
    clawback = _clawback(request, pk)
    form = WaiveForm(request.POST)
    if form.is_valid():
        try:
            assurance.clawback_waive(
                actor=request.user, clawback=clawback, reason=form.cleaned_data["waive_reason"]
            )
        except InvalidTransition as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("assurance:clawback", pk=clawback.pk)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Waived the clawback on {clawback.claim.reference}")
            return redirect("assurance:clawback", pk=clawback.pk)
    return _render_clawback(request, clawback, waive_form=form)


# ---------------------------------------------------------------------------
# Similar claims across schools


@role_required(*LEADS_AND_ADMINS)
def similar(request, pk: int):
    """The claim beside each other school's live match claim with about the same
    spend and invoice date."""
    claim = get_object_or_404(
        Claim.objects.visible_to(request.user)
        .exclude(state=ClaimState.DRAFT)
        .select_related("school", "scheme", "hub")
        .prefetch_related("evidence"),
        pk=pk,
    )
    matches = assurance.similar_claims(claim, user=request.user)
    _claim_money(claim)
    claim.evidence_rows = _evidence_rows(claim)
    for match in matches:
        _claim_money(match)
        match.evidence_rows = _evidence_rows(match)
    return render(
        request,
        "funding/assurance/similar.html",
        {
            "claim": claim,
            "matches": matches,
            "show_hub": can_see_every_hub(request.user),
            "days": assurance.SIMILAR_DAYS,
        },
    )
