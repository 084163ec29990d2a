"""A school's journey through the programme, and the map of a hub's schools.

The journey is for the school's headteacher, its hub's leads and national admins: the
school is fetched through ``School.objects.visible_to``, so another hub's school is not
found (404); specialists are refused (403). The map is for hub leads (their hub) and
national admins (``?hub=CODE``, else the first hub by name)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, render

from hubportal.accounts.models import Role
from hubportal.accounts.roles import HUB_STAFF, active_membership, role_required
from hubportal.reports.journey import hub_map, school_journey
from schools.models import Hub, School
from workgroups.models import AcademicYear
from workgroups.selectors.hub import can_see_every_hub, hub_options


@role_required(Role.HEADTEACHER, *HUB_STAFF)
def journey(request, urn: int):
    school = get_object_or_404(
        School.objects.visible_to(request.user).select_related("hub"), urn=urn
    )
    return render(
        request,
        "reports/journey.html",
        {"school": school, "years": school_journey(request.user, school)},
    )


def _map_hub(request) -> Hub:
    hubs = Hub.objects.visible_to(request.user).order_by("name")
    if can_see_every_hub(request.user):
        code = request.GET.get("hub", "")
        if code:
            return get_object_or_404(hubs, code=code)
        first = hubs.first()
        if first is None:
            raise Http404("No Maths Hubs yet")
        return first
    return get_object_or_404(hubs, pk=active_membership(request.user).hub_id)


@role_required(*HUB_STAFF)
def hub_school_map(request):
    hub = _map_hub(request)
    year = AcademicYear.objects.current()
    return render(
        request,
        "reports/map.html",
        {"map": hub_map(hub, year), "hubs": hub_options(request.user)},
    )
