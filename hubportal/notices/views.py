"""Notices: a person's email preferences, and what was sent for the hub's leads.

Anyone signed in sets their own preferences. Hub leads see their hub's notices and
send a failed one again; national admins look at every hub's (read-only, with a hub
filter); specialists and headteachers have no business with the ledger (403). Every
notice is fetched through ``selectors.notices_visible_to``, so another hub's notice is
a 404. Every change is a call to ``hubportal.notices.services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from hubportal.accounts.models import Role
from hubportal.accounts.roles import active_membership, role_required
from hubportal.forms import page_of
from hubportal.notices import selectors, services
from hubportal.notices.forms import NoticeFilterForm, PreferencesForm
from hubportal.notices.models import NoticeState
from hubportal.notices.tasks import dispatch_notices
from hubportal.pagination import page_items
from workgroups.selectors.hub import can_see_every_hub, hub_options


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """A person's own optional mails; a headteacher also sets their teachers' reminders."""
    saved = services.preference_for(request.user.email)
    membership = active_membership(request.user)
    school = membership.school if membership and membership.role == Role.HEADTEACHER else None
    if request.method == "POST" and request.POST.get("which") == "teachers":
        if school is None:
            raise PermissionDenied("Only a headteacher sets their teachers' reminders.")
        count = services.teacher_reminders_save(
            actor=request.user, school=school, on=request.POST.getlist("reminders_on")
        )
        messages.success(request, f"Saved: {count} of your teachers get meeting reminders.")
        return redirect("notices:preferences")
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            services.preference_save(actor=request.user, **form.cleaned_data)
            messages.success(request, "Your email preferences are saved.")
            return redirect("notices:preferences")
    else:
        form = PreferencesForm(
            initial={
                "reminders": saved.reminders,
                "opportunities": saved.opportunities,
                "deadlines": saved.deadlines,
            }
        )
    teachers = services.school_teachers(school) if school else []
    return render(
        request, "notices/preferences.html", {"form": form, "school": school, "teachers": teachers}
    )


def _hub_name(request) -> str:
    membership = active_membership(request.user)
    return membership.hub.name if membership and membership.hub_id else "All hubs"


@role_required(Role.HUB_LEAD, Role.NATIONAL_ADMIN)
def hub_notices(request):
    """The hub's notices, newest first, filtered and paged on the server."""
    form = NoticeFilterForm(request.GET or None, hubs=hub_options(request.user))
    filters = form.filters()
    notices = selectors.hub_notices(request.user, filters)
    page = page_of(notices, request)
    query = form.query_params()
    return render(
        request,
        "notices/hub_list.html",
        {
            "form": form,
            "page": page,
            "notices": page.object_list,
            "page_items": page_items(page),
            "query": query,
            "is_filtered": bool(query),
            "failed": selectors.failed_count(request.user, filters.hub_code),
            "failed_url": f"{reverse('notices:hub')}?state={NoticeState.FAILED}",
            "can_retry": active_membership(request.user).role == Role.HUB_LEAD,
            "show_hub": can_see_every_hub(request.user),
            "hub_name": _hub_name(request),
            "back_to": request.get_full_path(),
        },
    )


def _back(request) -> str:
    """Where the list was (with its filters and page), or the failed notices."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return f"{reverse('notices:hub')}?state={NoticeState.FAILED}"


@require_POST
@role_required(Role.HUB_LEAD)
def retry(request, pk: int):
    """A hub lead sends one failed notice of their hub again."""
    notice = get_object_or_404(selectors.notices_visible_to(request.user), pk=pk)
    with transaction.atomic():
        # The service changes only a failed row (one UPDATE), so a double click is a no-op.
        again = services.notice_retry(actor=request.user, notice=notice)
        if again:
            transaction.on_commit(dispatch_notices.delay)
    if again:
        messages.success(
            request,
            f"The notice to {notice.email} ({notice.get_kind_display()}) will be sent again.",
        )
    else:
        messages.error(request, "Only failed notices can be sent again.")
    return redirect(_back(request))
