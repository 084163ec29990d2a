"""The headteacher's funding: what the school may claim and why, and each claim's
task list from the first answer to submission (and back again when the hub
returns it).

Every claim and file is fetched through ``visible_to``, so another school's is not
found (404); the services decide who may change what (PermissionDenied is a 403)
and in which state (a refusal is shown on the page, never a 500)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from funding import assurance, services
from funding.forms.school import SECTION_FORMS, DeclarationForm, EvidenceForm
from funding.models import Claim, ClaimKind, ClaimState, Evidence
from funding.money import format_pence, half_of
from funding.selectors.school import (
    EVIDENCE,
    anchor_for,
    claim_answers,
    claim_tasks,
    expected_award,
    school_claims,
    school_funding,
    school_window,
    section_for,
    section_of_field,
)
from hubportal.accounts.models import Role
from hubportal.accounts.roles import active_membership, role_required
from hubportal.forms import page_of
from hubportal.pagination import page_items
from workgroups.services.applications import InvalidTransition

S = ClaimState
# Set when a claim is submitted, so the claim page shows the confirmation once.
SUBMITTED_SESSION_KEY = "funding_submitted_claim"

HEADINGS = {
    ClaimKind.GRANT: "Claim the Development grant",
    ClaimKind.MATCH: "Claim textbook match funding",
}
SAVED = {
    "conditions": "The school has accepted the grant conditions",
    "purchase": "Saved what the school bought",
    "payee": "Saved the school's bank details",
}

headteacher_required = role_required(Role.HEADTEACHER)


def _school(request):
    return active_membership(request.user).school


def _claim(request, pk: int) -> Claim:
    return get_object_or_404(
        Claim.objects.visible_to(request.user).select_related("school", "hub", "year", "scheme"),
        pk=pk,
    )


def _refused(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _add_service_error(form, error: ValidationError) -> None:
    """Put a service's refusal on the form: beside the field it names, or at the top."""
    if hasattr(error, "error_dict"):
        for name, field_messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, field_messages)
    else:
        form.add_error(None, error.messages)


def _error_items(form, links: dict[str, str] | None = None) -> list[dict]:
    """The error summary's entries: a field's errors link to its control (a date's
    first wrong box); errors about the whole form link where ``links`` says."""
    links = links or {}
    items = [
        {"text": message, "href": links.get(message, "")} for message in form.non_field_errors()
    ]
    for field in form:
        for message in field.errors:
            items.append({"text": message, "href": f"#{getattr(field, 'anchor', field.auto_id)}"})
    return items


def _returned_fields(claim: Claim) -> set[str]:
    """The answers the hub asked the school to change, while the claim is back with it."""
    return set(claim.return_fields) if claim.state == S.RETURNED else set()


def _problem_links(claim: Claim, problems: dict[str, str]) -> list[dict]:
    """Each thing missing before submission, linked to the control that answers it."""
    items = []
    for name, message in problems.items():
        section = section_of_field(claim.kind, name)
        href = reverse("funding:section", args=[claim.pk, section.key]) if section else ""
        items.append({"text": message, "href": f"{href}#{anchor_for(name)}" if href else ""})
    return items


def _evidence_rows(claim: Claim) -> list[Evidence]:
    return list(Evidence.objects.filter(claim=claim).order_by("uploaded_at", "pk"))


# ---------------------------------------------------------------------------
# Your school's funding


@headteacher_required
@require_GET
def overview(request):
    school = _school(request)
    funding = school_funding(request.user, school, timezone.localdate())
    page = page_of(school_claims(request.user, school), request)
    rows = [
        {
            "claim": claim,
            "claimed": format_pence(claim.claimed_pence),
            "award": format_pence(claim.award_pence),
        }
        for claim in page
    ]
    return render(
        request,
        "funding/school/overview.html",
        {
            "school": school,
            "funding": funding,
            "clawbacks": assurance.school_clawbacks(request.user),
            "window": funding.window,
            "grant": funding.grant,
            "match": funding.match,
            "page": page,
            "page_items": page_items(page),
            "query": request.GET,
            "rows": rows,
        },
    )


@headteacher_required
@require_POST
def start(request, kind: str):
    if kind not in ClaimKind.values:
        raise Http404("There is no such kind of claim.")
    try:
        claim = services.claim_start(actor=request.user, school=_school(request), kind=kind)
    except ValidationError as error:
        # Also an InvalidTransition: the window is closed, or the grant is claimed already.
        _refused(request, error)
        return redirect("funding:school")
    return redirect("funding:claim", pk=claim.pk)


# ---------------------------------------------------------------------------
# The claim


@headteacher_required
@require_GET
def claim(request, pk: int):
    claim = _claim(request, pk)
    just_submitted = request.session.get(SUBMITTED_SESSION_KEY) == claim.pk
    if just_submitted:
        del request.session[SUBMITTED_SESSION_KEY]
    context = {
        "claim": claim,
        "heading": HEADINGS[claim.kind],
        "evidence": _evidence_rows(claim) if claim.kind == ClaimKind.MATCH else [],
    }
    if claim.is_editable:
        today = timezone.localdate()
        tasks = claim_tasks(claim, today=today)
        window = school_window(request.user, claim.school, claim.year, today)
        context.update(
            tasks=tasks,
            done_count=sum(1 for t in tasks if t.done),
            all_done=all(t.done for t in tasks),
            window=window,
            # A draft is refused after the deadline; a returned claim may still go back.
            deadline_passed=claim.state == S.DRAFT and not window.is_open,
        )
        return render(request, "funding/school/claim_tasks.html", context)

    context.update(
        answers=claim_answers(claim),
        claimed=format_pence(claim.claimed_pence),
        award=format_pence(claim.award_pence),
        just_submitted=just_submitted,
    )
    return render(request, "funding/school/claim_detail.html", context)


@headteacher_required
@require_http_methods(["GET", "POST"])
def section(request, pk: int, section: str):
    claim = _claim(request, pk)
    current = section_for(claim.kind, section)
    if current is None:
        raise Http404("This claim has no such section.")
    if not claim.is_editable:
        messages.error(
            request,
            f"Claim {claim.reference} is {claim.get_state_display().lower()} "
            "and can no longer be changed.",
        )
        return redirect("funding:claim", pk=claim.pk)
    if current.key == EVIDENCE:
        return _evidence_section(request, claim, current)

    form_class = SECTION_FORMS[current.key]
    if request.method == "POST":
        form = form_class(request.POST, claim=claim)
        if form.is_valid():
            try:
                services.claim_save(actor=request.user, claim=claim, **form.answers())
            except InvalidTransition as error:
                _refused(request, error)
                return redirect("funding:claim", pk=claim.pk)
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                messages.success(request, SAVED[current.key])
                return redirect("funding:claim", pk=claim.pk)
    else:
        form = form_class(claim=claim)

    context = {
        "claim": claim,
        "section": current,
        "form": form,
        "error_items": _error_items(form) if form.errors else [],
        "returned_fields": _returned_fields(claim),
    }
    if current.key == "conditions":
        context["application"] = services.grant_application(claim.school)
    return render(request, f"funding/school/section_{current.key}.html", context)


def _evidence_section(request, claim: Claim, current):
    """Proof of purchase: files are added one upload at a time and listed with a way
    to view and remove each; a refused file leaves every other file as it was."""
    if request.method == "POST":
        form = EvidenceForm(request.POST, request.FILES)
        if form.is_valid():
            added = []
            for upload in form.cleaned_data["file"]:
                try:
                    added.append(
                        services.evidence_add(actor=request.user, claim=claim, upload=upload)
                    )
                except InvalidTransition as error:
                    _refused(request, error)
                    return redirect("funding:claim", pk=claim.pk)
                except ValidationError as error:
                    form.add_error("file", error.messages)
            if added:
                names = ", ".join(e.original_name for e in added)
                messages.success(request, f"Uploaded {names}")
            if not form.errors:
                return redirect("funding:section", pk=claim.pk, section=EVIDENCE)
    else:
        form = EvidenceForm()

    return render(
        request,
        "funding/school/section_evidence.html",
        {
            "claim": claim,
            "section": current,
            "form": form,
            "error_items": _error_items(form) if form.errors else [],
            "returned_fields": _returned_fields(claim),
            "evidence": _evidence_rows(claim),
        },
    )


@headteacher_required
@require_POST
def evidence_remove(request, pk: int, evidence_pk: int):
    claim = _claim(request, pk)
    evidence = get_object_or_404(
        Evidence.objects.visible_to(request.user).filter(claim=claim), pk=evidence_pk
    )
    try:
        services.evidence_remove(actor=request.user, evidence=evidence)
    except InvalidTransition as error:
        _refused(request, error)
        return redirect("funding:claim", pk=claim.pk)
    messages.success(request, f"Removed {evidence.original_name}")
    return redirect("funding:section", pk=claim.pk, section=EVIDENCE)


@headteacher_required
@require_http_methods(["GET", "POST"])
def check(request, pk: int):
    claim = _claim(request, pk)
    if not claim.is_editable:
        return redirect("funding:claim", pk=claim.pk)
    today = timezone.localdate()

    if request.method == "POST":
        form = DeclarationForm(request.POST)
        if form.is_valid():
            try:
                services.claim_submit(actor=request.user, claim=claim, today=today)
            except InvalidTransition as error:
                # The deadline passed, or a second tab submitted it first.
                form.add_error(None, error.messages)
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                request.session[SUBMITTED_SESSION_KEY] = claim.pk
                return redirect("funding:claim", pk=claim.pk)
        # The refusal may come from a newer state (another tab): show the claim as it is.
        claim = _claim(request, pk)
    else:
        form = DeclarationForm()

    problems = services.claim_problems(claim, today) if claim.is_editable else {}
    problem_items = _problem_links(claim, problems)
    links = {item["text"]: item["href"] for item in problem_items}
    window = school_window(request.user, claim.school, claim.year, today)
    remaining = services.match_remaining(claim.school) if claim.kind == ClaimKind.MATCH else None
    returned = _returned_fields(claim)
    return render(
        request,
        "funding/school/check.html",
        {
            "claim": claim,
            "heading": HEADINGS[claim.kind],
            "form": form,
            "error_items": _error_items(form, links) if form.errors else [],
            "problems": problem_items,
            "answers": claim_answers(claim, returned),
            "evidence_to_change": EVIDENCE in returned,
            "evidence": _evidence_rows(claim) if claim.kind == ClaimKind.MATCH else [],
            "expected": format_pence(expected_award(claim)),
            "spend": format_pence(claim.spend_pence),
            "half": format_pence(half_of(claim.spend_pence)) if claim.spend_pence else "",
            "remaining": format_pence(remaining),
            "capped": (
                claim.kind == ClaimKind.MATCH
                and bool(claim.spend_pence)
                and remaining < half_of(claim.spend_pence)
            ),
            "editable": claim.is_editable,
            "deadline_passed": claim.state == S.DRAFT and not window.is_open,
            "window": window,
        },
    )
