from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from hubportal.accounts.models import Role
from hubportal.accounts.roles import SESSION_KEY, active_membership, choose_membership
from hubportal.dashboards import hub_year_figures
from hubportal.dashboards_national import national_home
from schools.models import Hub, School
from workgroups.forms.hub import CohortYearForm
from workgroups.models import AcademicYear
from workgroups.selectors.hub import cohort_years, decisions_waiting
from workgroups.selectors.meetings import (
    attach_meetings,
    led_groups,
    meetings_due_a_log,
    upcoming_meetings,
)

HOME_TEMPLATES = {
    Role.HUB_LEAD: "accounts/home_hub_lead.html",
    Role.HEADTEACHER: "accounts/home_headteacher.html",
    Role.SPECIALIST: "accounts/home_specialist.html",
    Role.NATIONAL_ADMIN: "accounts/home_national_admin.html",
}


@login_required
def home(request):
    """Each role's home page: what this person can do today."""
    membership = active_membership(request.user)
    if membership is None:
        return render(request, "accounts/home_no_role.html")
    context = {"membership": membership}
    if membership.role == Role.NATIONAL_ADMIN:
        year_form, year = _year_choice(request)
        context["year_form"] = year_form
        context["sort"] = request.GET.get("sort", "")
        context["hubs"] = Hub.objects.visible_to(request.user).annotate_school_counts()
        context.update(national_home(request.user, request.GET.get("sort", ""), year))
    elif membership.role in (Role.HUB_LEAD, Role.SPECIALIST):
        schools = School.objects.visible_to(request.user)
        context["hub"] = membership.hub
        context["school_count"] = schools.count()
        context["open_primary_count"] = schools.open().primary().count()
        if membership.role == Role.HUB_LEAD:
            context["decisions_waiting"] = decisions_waiting(request.user)
            context["year_form"], year = _year_choice(request)
            context["figures"] = hub_year_figures(request.user, year)
        else:
            context.update(_specialist_work(request.user))
    elif membership.role == Role.HEADTEACHER:
        context["school"] = membership.school
    return render(request, HOME_TEMPLATES[membership.role], context)


def _year_choice(request) -> tuple[CohortYearForm, AcademicYear]:
    """The year the home page's figures are for: the current one unless ``?year=``
    names another the person's hub has (a wrong one is shown as an error)."""
    current = AcademicYear.objects.current()
    years = cohort_years(request.user, current)
    form = CohortYearForm(request.GET or None, years=years, hubs=[], current=current)
    return form, form.chosen_year()


def _specialist_work(user) -> dict:
    """The groups a specialist leads, their next meetings and the logs due."""
    today = timezone.localdate()
    return {
        "groups": attach_meetings(list(led_groups(user, today)[:10])),
        "upcoming": upcoming_meetings(user, today),
        "due": meetings_due_a_log(user, today),
    }


@login_required
@require_POST
def switch_role(request):
    """Switch the role the person acts in; only their own memberships are offered."""
    try:
        membership_id = int(request.POST.get("membership", ""))
    except ValueError:
        membership_id = None
    membership = choose_membership(request.user, membership_id)
    if membership is not None:
        request.session[SESSION_KEY] = membership.pk
    next_url = request.POST.get("next") or "home"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "home"
    return redirect(next_url)
