"""A Django admin site that lists what the portal's list pages list, for the benchmark.

Each changelist shows the rows of the matching portal page with the same columns and
filters, written the way a careful Django admin would be (``list_select_related``, one
annotated queryset, a prefetch for the teachers), so that ``manage.py bench`` compares
the portal's page with the admin on equal terms. It is served only by
``hubportal.scale.urls_bench``, never by the portal itself."""

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce

from funding.admin import ClaimAdmin
from funding.models import Claim
from hubportal.accounts.models import Role
from hubportal.forms import PAGE_SIZE
from schools.admin import SchoolAdmin
from schools.models import School
from workgroups.models import (
    Application,
    ApplicationState,
    AttendanceStatus,
    Meeting,
    MeetingState,
    Outcome,
    Participant,
    Participation,
)


class BenchAdminSite(admin.AdminSite):
    site_header = "Maths Hubs Programme Portal administration (benchmark)"

    def has_permission(self, request):
        user = request.user
        return (
            user.is_active
            and user.is_staff
            and user.memberships.filter(role=Role.NATIONAL_ADMIN).exists()
        )


bench_site = BenchAdminSite(name="bench_admin")


class PlacedFilter(admin.SimpleListFilter):
    title = "work group"
    parameter_name = "placed"

    def lookups(self, request, model_admin):
        return [("yes", "In a group"), ("no", "Not in a group yet")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(group_member__isnull=False)
        if self.value() == "no":
            return queryset.filter(group_member__isnull=True)
        return queryset


@admin.register(Application, site=bench_site)
class CohortAdmin(admin.ModelAdmin):
    """The cohort page as a changelist: accepted schools, group, teachers, attendance
    against meetings held, and the outcome."""

    list_display = ["school_name", "work_group", "teachers", "meetings_attended", "outcome"]
    list_filter = ["stage", "year", "hub", PlacedFilter]
    # stage and year too: each row's checkbox is labelled with str(application).
    list_select_related = ["school", "stage", "year", "group_member__work_group__lead"]
    list_per_page = PAGE_SIZE
    ordering = ["school__name", "pk"]
    show_full_result_count = False

    def get_queryset(self, request):
        held = (
            Meeting.objects.filter(
                work_group__members__application=OuterRef("pk"),
                state=MeetingState.SCHEDULED,
                logged_at__isnull=False,
            )
            .order_by()
            .values("work_group")
            .annotate(n=Count("pk"))
            .values("n")
        )
        outcome = Participation.objects.filter(
            school=OuterRef("school"), stage=OuterRef("stage"), year=OuterRef("year")
        ).values("outcome")[:1]
        return (
            super()
            .get_queryset(request)
            .filter(state=ApplicationState.ACCEPTED)
            .prefetch_related(
                Prefetch("participants", queryset=Participant.objects.order_by("position"))
            )
            .annotate(
                attended=Count(
                    "participants__attendance__meeting",
                    filter=Q(participants__attendance__status=AttendanceStatus.PRESENT),
                    distinct=True,
                ),
                held=Coalesce(Subquery(held, output_field=IntegerField()), 0),
                outcome_value=Subquery(outcome),
            )
        )

    @admin.display(description="School", ordering="school__name")
    def school_name(self, application):
        school = application.school
        return f"{school.name} (URN {school.urn} · {school.la_name})"

    @admin.display(description="Work group")
    def work_group(self, application):
        member = getattr(application, "group_member", None)
        if member is None:
            return "Not in a group yet"
        group = member.work_group
        return f"{group.code} ({group.lead or 'No specialist yet'})"

    @admin.display(description="Teachers")
    def teachers(self, application):
        return ", ".join(
            f"{p.name}{' (maths lead)' if p.is_maths_lead else ''}"
            for p in application.participants.all()
        )

    @admin.display(description="Meetings attended")
    def meetings_attended(self, application):
        return f"{application.attended} of {application.held}"

    @admin.display(description="Outcome")
    def outcome(self, application):
        return Outcome(application.outcome_value).label if application.outcome_value else ""


@admin.register(Claim, site=bench_site)
class ClaimListAdmin(ClaimAdmin):
    """The portal's ClaimAdmin, a page at a time as the hub's claim list pages."""

    list_per_page = PAGE_SIZE


@admin.register(School, site=bench_site)
class DirectoryAdmin(SchoolAdmin):
    """The portal's SchoolAdmin, a page at a time as the school directory pages."""

    list_per_page = PAGE_SIZE
