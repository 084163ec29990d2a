"""Support: choose a person to view the portal as, start viewing, stop.

While a view-as runs, SupportViewAsMiddleware keeps every page here except ``stop``
out of reach, so these views always act as the real, signed-in person."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from hubportal.accounts import support
from hubportal.accounts.models import Membership, Role, SupportSessionEnd
from hubportal.accounts.roles import active_membership, has_role, role_required
from hubportal.accounts.support_middleware import end_view_as
from hubportal.pagination import page_items

PAGE_SIZE = 25
QUERY_MAX_LENGTH = 100

viewer_required = role_required(*support.VIEWER_ROLES)


@viewer_required
@require_safe
def start(request):
    """The people the viewer may view as, searched by name, email, school or URN."""
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    people = support.viewable_people(request.user, query)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    membership = active_membership(request.user)
    return render(
        request,
        "support/start.html",
        {
            "page": page,
            "page_items": page_items(page),
            "query": {"q": query} if query else {},
            "q": query,
            "scope": membership.hub.name if membership.role == Role.HUB_LEAD else "All hubs",
            "limit_minutes": int(support.VIEW_AS_LIMIT.total_seconds() // 60),
        },
    )


@viewer_required
@require_POST
def view_as(request):
    """Start viewing as the chosen membership's person. A person the viewer may not
    view as gets the same refusal whether or not they exist, in whichever hub."""
    try:
        membership_id = int(request.POST.get("membership", ""))
    except ValueError:
        membership_id = None
    membership = (
        Membership.objects.select_related("user", "hub", "school").filter(pk=membership_id).first()
        if membership_id is not None
        else None
    )
    if membership is None:
        raise PermissionDenied("You may not view the portal as this person.")
    support_session = support.support_start(actor=request.user, membership=membership)
    support.remember(request.session, support_session)
    return redirect("home")


@require_POST
def stop(request):
    """Stop viewing as someone: back to the real person's own account and Support."""
    support_session = getattr(request, "support_session", None)
    if support_session is None:
        if has_role(request.user, *support.VIEWER_ROLES):
            return redirect("support:start")
        return redirect("home")
    name = support_session.target.get_full_name()
    end_view_as(request, SupportSessionEnd.STOPPED)
    messages.success(request, f"You have stopped viewing the portal as {name}.")
    return redirect("support:start")
