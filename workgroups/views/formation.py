"""The hub lead forms a cohort's work groups and looks after them.

The list of a cohort's groups is for hub leads (who act) and national admins (who
look). Proposing groups and managing one group are for the hub's leads only
(anyone else: 403). The formation assistant's proposal lives in the session until
the hub lead confirms it: moving schools and choosing specialists change only the
session; confirming writes every group at once through the service, or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from hubportal.accounts.models import Role
from hubportal.accounts.roles import active_membership, has_role, role_required
from hubportal.forms import page_of
from hubportal.pagination import page_items
from schools.models import School
from workgroups import permissions, services
from workgroups.formation import propose_groups
from workgroups.forms.formation import NEW_GROUP, LeadForm, MoveSchoolForm, ProposalLeadsForm
from workgroups.models import AcademicYear, GroupMember, ProgrammeStage, WorkGroup
from workgroups.selectors.formation import (
    FormationInput,
    cohort_groups,
    formation_input,
    hub_specialists,
    size_warning,
    specialist_loads,
    unplaced_applications,
)
from workgroups.views.hub import _cohort

LEADS = (Role.HUB_LEAD,)
LEADS_AND_ADMINS = (Role.HUB_LEAD, Role.NATIONAL_ADMIN)

# Colours for the groups on the plot (GOV.UK palette); each group also carries its number.
COLOURS = [
    "#1d70b8",
    "#d4351c",
    "#00703c",
    "#912b88",
    "#f47738",
    "#28a197",
    "#5694ca",
    "#b58840",
    "#d53880",
    "#85994b",
    "#6f72af",
    "#505a5f",
]


# ---------------------------------------------------------------------------
# The cohort's groups


@role_required(*LEADS_AND_ADMINS)
def group_list(request, stage_code: str, year_slug: str):
    """The cohort's groups with their specialist, size and meetings."""
    stage, year = _cohort(stage_code, year_slug)
    groups = cohort_groups(request.user, stage, year)
    # "?specialist=none": the groups still waiting for a specialist (a home page figure).
    without_specialist = request.GET.get("specialist") == "none"
    if without_specialist:
        groups = groups.filter(lead__isnull=True)
    page = page_of(groups, request)
    groups = list(page.object_list)
    for group in groups:
        group.size_warning = size_warning(stage, group.school_count)
    can_act = has_role(request.user, Role.HUB_LEAD)
    return render(
        request,
        "workgroups/formation/group_list.html",
        {
            "stage": stage,
            "year": year,
            "page": page,
            "page_items": page_items(page),
            "query": {"specialist": "none"} if without_specialist else {},
            "without_specialist": without_specialist,
            "groups": groups,
            "unplaced": unplaced_applications(request.user, stage, year).count(),
            "can_act": can_act,
            "show_hub": has_role(request.user, Role.NATIONAL_ADMIN),
        },
    )


# ---------------------------------------------------------------------------
# The proposal, kept in the session until it is confirmed


@dataclass
class Draft:
    """The hub lead's working copy of the proposal: school ids per group, the
    specialist (user id) of each group, and the schools not yet in a group."""

    groups: list[list[int]] = field(default_factory=list)
    leads: list[int | None] = field(default_factory=list)
    unplaced: list[int] = field(default_factory=list)

    def as_session(self) -> dict:
        return {"groups": self.groups, "leads": self.leads, "unplaced": self.unplaced}

    @classmethod
    def from_session(cls, stored) -> Draft:
        """Raises ValueError (or TypeError) when the stored data is not a draft."""
        groups = [[int(i) for i in ids] for ids in stored["groups"]]
        leads = [int(i) if i is not None else None for i in stored["leads"]]
        if len(leads) != len(groups):
            raise ValueError("A lead for each group")
        return cls(groups=groups, leads=leads, unplaced=[int(i) for i in stored["unplaced"]])

    def school_ids(self) -> list[int]:
        return [sid for ids in self.groups for sid in ids] + self.unplaced

    def without_empty_groups(self) -> Draft:
        kept = [(ids, lead) for ids, lead in zip(self.groups, self.leads, strict=True) if ids]
        return Draft(
            groups=[ids for ids, _ in kept],
            leads=[lead for _, lead in kept],
            unplaced=self.unplaced,
        )

    def group_of(self, school_id: int) -> int | None:
        """The 1-based number of the school's group, or None when unplaced."""
        for number, ids in enumerate(self.groups, start=1):
            if school_id in ids:
                return number
        return None

    def move(self, school_id: int, to_group: str) -> Draft:
        """A new draft with the school in the chosen group (a number, or a new group)."""
        groups = [[sid for sid in ids if sid != school_id] for ids in self.groups]
        unplaced = [sid for sid in self.unplaced if sid != school_id]
        leads = list(self.leads)
        if to_group == NEW_GROUP:
            groups.append([school_id])
            leads.append(None)
        else:
            groups[int(to_group) - 1].append(school_id)
        return Draft(groups=groups, leads=leads, unplaced=unplaced).without_empty_groups()


def _session_key(hub, stage: ProgrammeStage, year: AcademicYear) -> str:
    return f"formation:{hub.pk}:{stage.pk}:{year.pk}"


def _fresh_draft(data: FormationInput, specialists, stage: ProgrammeStage) -> Draft:
    proposal = propose_groups(
        data.points,
        specialist_loads(specialists),
        min_size=stage.typical_min_schools,
        max_size=stage.typical_max_schools,
        hard_max=stage.hard_max_schools,
    )
    return Draft(
        groups=[g.school_ids for g in proposal.groups],
        leads=[g.lead_id for g in proposal.groups],
        unplaced=list(proposal.unplaced),
    )


def _reconcile(draft: Draft, data: FormationInput, specialists) -> Draft:
    """The stored draft as it stands now: schools no longer waiting for a group
    (declined, withdrawn, placed elsewhere) drop out; schools accepted since are
    listed for placing by hand; a specialist no longer of the hub is unset."""
    waiting = data.schools
    specialist_ids = {s.user_id for s in specialists}
    groups = [[sid for sid in ids if sid in waiting] for ids in draft.groups]
    leads = [lead if lead in specialist_ids else None for lead in draft.leads]
    seen = {sid for ids in groups for sid in ids}
    unplaced = [sid for sid in draft.unplaced if sid in waiting and sid not in seen]
    seen.update(unplaced)
    unplaced += [sid for sid in waiting if sid not in seen]
    return Draft(groups=groups, leads=leads, unplaced=unplaced).without_empty_groups()


def _load_draft(request, key: str, data: FormationInput, specialists, stage) -> Draft:
    stored = request.session.get(key)
    draft = None
    if stored is not None:
        try:
            draft = _reconcile(Draft.from_session(stored), data, specialists)
        except (KeyError, TypeError, ValueError):
            draft = None
    if draft is None:
        draft = _fresh_draft(data, specialists, stage)
    if stored != draft.as_session():
        request.session[key] = draft.as_session()
    return draft


def _school_label(school: School) -> str:
    return f"{school.name} (URN {school.urn})"


def _move_form(data, draft: Draft, schools: dict[int, School]) -> MoveSchoolForm:
    school_choices = [
        (
            f"Group {number}",
            [
                (str(sid), _school_label(schools[sid]))
                for sid in sorted(ids, key=lambda i: schools[i].name.lower())
            ],
        )
        for number, ids in enumerate(draft.groups, start=1)
    ]
    if draft.unplaced:
        school_choices.append(
            (
                "Not in a group",
                [(str(sid), _school_label(schools[sid])) for sid in draft.unplaced],
            )
        )
    group_choices = [
        (str(number), f"Group {number}") for number in range(1, len(draft.groups) + 1)
    ] + [(NEW_GROUP, "A new group")]
    return MoveSchoolForm(data, schools=school_choices, groups=group_choices)


def _plot(draft: Draft, schools: dict[int, School]) -> dict | None:
    """Positions on a simple map (north up, one scale both ways) for the proposed groups."""
    width, height, pad = 640, 420, 24
    points = [
        (number, schools[sid])
        for number, ids in enumerate(draft.groups, start=1)
        for sid in ids
        if schools[sid].easting is not None and schools[sid].northing is not None
    ]
    if not points:
        return None
    xs = [s.easting for _, s in points]
    ys = [s.northing for _, s in points]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    scale = min(
        (width - 2 * pad) / span_x if span_x else float("inf"),
        (height - 2 * pad) / span_y if span_y else float("inf"),
    )
    if scale == float("inf"):
        scale = 1.0
    # Centre the cloud of schools in the frame.
    offset_x = (width - span_x * scale) / 2
    offset_y = (height - span_y * scale) / 2
    marks = [
        {
            "x": round(offset_x + (school.easting - min(xs)) * scale, 1),
            "y": round(height - offset_y - (school.northing - min(ys)) * scale, 1),
            "number": number,
            "colour": COLOURS[(number - 1) % len(COLOURS)],
            "name": school.name,
        }
        for number, school in points
    ]
    return {"width": width, "height": height, "marks": marks}


def _propose_context(
    stage,
    year,
    draft: Draft,
    data: FormationInput,
    specialists,
    *,
    leads_form: ProposalLeadsForm | None = None,
    move_form: MoveSchoolForm | None = None,
    errors: list[str] | None = None,
) -> dict:
    schools = data.schools
    if leads_form is None:
        leads_form = ProposalLeadsForm(
            group_count=len(draft.groups),
            specialists=specialists,
            initial={
                f"group_{number}": str(lead) if lead else ""
                for number, lead in enumerate(draft.leads, start=1)
            },
        )
    groups = [
        {
            "number": number,
            "schools": [
                {"school": school, "block": data.blocks.get(school.pk)}
                for school in sorted((schools[sid] for sid in ids), key=lambda s: s.name.lower())
            ],
            "warning": size_warning(stage, len(ids)),
            "over_hard_max": len(ids) > stage.hard_max_schools,
            "colour": COLOURS[(number - 1) % len(COLOURS)],
            "lead_field": leads_form[f"group_{number}"],
        }
        for number, ids in enumerate(draft.groups, start=1)
    ]
    bound = next((f for f in (move_form, leads_form) if f is not None and f.errors), None)
    return {
        "stage": stage,
        "year": year,
        "groups": groups,
        "unplaced": [schools[sid] for sid in draft.unplaced],
        "placed_count": sum(len(ids) for ids in draft.groups),
        "plot": _plot(draft, schools),
        "leads_form": leads_form,
        "move_form": move_form or _move_form(None, draft, schools),
        "form": bound,
        "errors": errors or [],
        "specialists": specialists,
        "continuity": bool(data.blocks),
    }


@role_required(*LEADS)
@require_http_methods(["GET", "POST"])
def propose(request, stage_code: str, year_slug: str):
    """The formation assistant's proposal for the cohort's schools not yet in a group."""
    stage, year = _cohort(stage_code, year_slug)
    hub = active_membership(request.user).hub
    here = reverse("groups:propose", args=[stage.code, year.slug])
    key = _session_key(hub, stage, year)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "restart":
        request.session.pop(key, None)
        messages.success(request, "The assistant proposed the groups again")
        return redirect(here)

    specialists = hub_specialists(hub, year)
    data = formation_input(request.user, stage, year)
    draft = _load_draft(request, key, data, specialists, stage)
    context = {}
    if action == "move":
        form = _move_form(request.POST, draft, data.schools)
        if form.is_valid():
            school_id = form.cleaned_data["school"]
            draft = draft.move(school_id, form.cleaned_data["to_group"])
            request.session[key] = draft.as_session()
            messages.success(
                request,
                f"Moved {data.schools[school_id].name} to group {draft.group_of(school_id)}",
            )
            return redirect(here)
        context["move_form"] = form
    elif action in ("leads", "confirm"):
        form = ProposalLeadsForm(
            request.POST, group_count=len(draft.groups), specialists=specialists
        )
        if form.is_valid():
            draft.leads = form.lead_ids()
            request.session[key] = draft.as_session()
            if action == "leads":
                messages.success(request, "Saved the specialists of the proposed groups")
                return redirect(here)
            errors = _confirm(request, hub, stage, year, draft)
            if not errors:
                request.session.pop(key, None)
                return redirect("groups:list", stage.code, year.slug)
            context["errors"] = errors
        context["leads_form"] = form
    elif request.method == "POST":
        context["errors"] = ["Choose what to do: move a school, save the specialists or confirm"]
    return render(
        request,
        "workgroups/formation/propose.html",
        _propose_context(stage, year, draft, data, specialists, **context),
    )


def _confirm(request, hub, stage, year, draft: Draft) -> list[str]:
    """Create every proposed group through the service; or none, and the reasons why."""
    if not draft.groups:
        return ["There are no proposed groups to confirm"]
    users = get_user_model().objects.in_bulk([lead for lead in draft.leads if lead])
    try:
        created = services.workgroup_confirm_formation(
            actor=request.user,
            hub=hub,
            stage=stage,
            year=year,
            groups=[
                (ids, users.get(lead) if lead else None)
                for ids, lead in zip(draft.groups, draft.leads, strict=True)
            ],
        )
    except ValidationError as error:
        return [f"{message} No groups were created." for message in error.messages]
    codes = ", ".join(group.code for group in created)
    count = len(created)
    messages.success(request, f"Confirmed {count} work group{'s' if count != 1 else ''}: {codes}")
    return []


# ---------------------------------------------------------------------------
# One group: its specialist and its schools


def _other_groups(user, group: WorkGroup) -> list[WorkGroup]:
    """The cohort's other groups, each with its number of schools."""
    others = list(
        cohort_groups(user, group.stage, group.year)
        .filter(hub=group.hub)
        .exclude(pk=group.pk)
        .order_by("number")
    )
    return others


def _manage_move_form(data, members: list[GroupMember], others: list[WorkGroup]):
    def describe(g: WorkGroup) -> str:
        schools = f"{g.school_count} school{'s' if g.school_count != 1 else ''}"
        return f"{g.code} ({schools}, {g.lead or 'no specialist yet'})"

    return MoveSchoolForm(
        data,
        schools=[(str(m.pk), _school_label(m.school)) for m in members],
        groups=[(str(g.pk), describe(g)) for g in others],
        group_label="Move it to the group",
    )


@role_required(*LEADS)
@require_http_methods(["GET", "POST"])
def manage(request, pk: int):
    """Assign or change the group's specialist; move one of its schools to another group."""
    group = get_object_or_404(
        WorkGroup.objects.visible_to(request.user).select_related("hub", "stage", "year", "lead"),
        pk=pk,
    )
    if not permissions.can_manage_hub(request.user, group.hub):
        raise PermissionDenied("Only the hub's leads manage its groups.")
    specialists = hub_specialists(group.hub, group.year)
    here = reverse("groups:manage", args=[group.pk])
    members = list(group.members.select_related("school").order_by("school__name", "pk"))
    others = _other_groups(request.user, group)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    lead_form = move_form = None
    errors = []
    if action == "lead":
        lead_form = LeadForm(request.POST, specialists=specialists)
        if lead_form.is_valid():
            lead_id = lead_form.lead_id()
            lead = get_user_model().objects.filter(pk=lead_id).first() if lead_id else None
            try:
                services.workgroup_assign_lead(actor=request.user, work_group=group, lead=lead)
            except ValidationError as error:
                lead_form.add_error("lead", error.messages)
            else:
                messages.success(
                    request,
                    f"{lead} now leads {group.code}" if lead else f"{group.code} has no specialist",
                )
                return redirect(here)
    elif action == "move":
        move_form = _manage_move_form(request.POST, members, others)
        if move_form.is_valid():
            member = next(m for m in members if m.pk == move_form.cleaned_data["school"])
            target = next(g for g in others if str(g.pk) == move_form.cleaned_data["to_group"])
            try:
                services.workgroup_move_school(actor=request.user, member=member, to_group=target)
            except ValidationError as error:
                move_form.add_error("to_group", error.messages)
            else:
                messages.success(request, f"Moved {member.school.name} to {target.code}")
                return redirect(here)
    elif request.method == "POST":
        errors = ["Choose what to do: change the specialist or move a school"]
    lead_form = lead_form or LeadForm(
        specialists=specialists, initial={"lead": str(group.lead_id) if group.lead_id else ""}
    )
    move_form = move_form or _manage_move_form(None, members, others)
    return render(
        request,
        "workgroups/formation/manage.html",
        {
            "group": group,
            "members": members,
            "warning": size_warning(group.stage, len(members)),
            "lead_form": lead_form,
            "move_form": move_form,
            "others": others,
            "form": next((f for f in (lead_form, move_form) if f.errors), None),
            "errors": errors,
        },
    )
