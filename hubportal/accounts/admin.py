from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from hubportal.accounts.models import Invitation, Membership, Role, SupportSession, User
from hubportal.accounts.roles import memberships_of


def _national_admin_only(request) -> bool:
    """The Django admin is for national admins only, whatever is_staff says."""
    user = request.user
    # memberships_of keeps the answer on the user, so an admin page asking this for
    # every model and permission costs one query.
    return (
        user.is_active
        and user.is_staff
        and any(m.role == Role.NATIONAL_ADMIN for m in memberships_of(user))
    )


admin.site.has_permission = _national_admin_only
admin.site.site_header = "Maths Hubs Programme Portal administration"
admin.site.site_title = "Maths Hubs Programme Portal"


class NationalAdminAccess:
    """What a national admin may do with a model in the admin. They hold no Django model
    permissions: the role decides. Every model is readable; ``editable`` models may
    also be added, changed and deleted here (the rest change only through the portal's
    services, which check state and write the audit)."""

    editable = False

    def has_module_permission(self, request):
        return _national_admin_only(request)

    def has_view_permission(self, request, obj=None):
        return _national_admin_only(request)

    def has_add_permission(self, request, *args):
        return self.editable and _national_admin_only(request)

    def has_change_permission(self, request, obj=None):
        return self.editable and _national_admin_only(request)

    def has_delete_permission(self, request, obj=None):
        return self.editable and _national_admin_only(request)


class MembershipInline(NationalAdminAccess, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["hub", "school"]


@admin.register(User)
class UserAdmin(NationalAdminAccess, BaseUserAdmin):
    # A national admin may change a person (their name, or switch the account off);
    # roles come and go through invitations, so memberships are shown, not edited.
    # People arrive by invitation and set their own passwords, and an account is
    # switched off rather than deleted (its history stays attached to it).
    editable = True

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def user_change_password(self, request, id, form_url=""):
        raise PermissionDenied("People set their own password from the sign-in page.")

    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_active", "is_staff", "memberships__role"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email",)}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ()


@admin.register(Membership)
class MembershipAdmin(NationalAdminAccess, SimpleHistoryAdmin):
    list_display = ["user", "role", "hub", "school"]
    list_filter = ["role", "hub"]
    search_fields = ["user__email", "school__name"]
    autocomplete_fields = ["user", "hub", "school"]


@admin.register(Invitation)
class InvitationAdmin(NationalAdminAccess, SimpleHistoryAdmin):
    list_display = ["email", "role", "hub", "school", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role", "hub"]
    search_fields = ["email", "full_name"]
    exclude = ["token_hash"]
    readonly_fields = ["accepted_at", "accepted_by"]


@admin.register(SupportSession)
class SupportSessionAdmin(NationalAdminAccess, SimpleHistoryAdmin):
    """Every support "view as": national admins read them here; nobody edits them
    (they are written only by hubportal.accounts.support)."""

    list_display = ["viewer", "target", "role", "place", "started_at", "ended_at", "ended_how"]
    list_filter = ["ended_how", "role"]
    list_select_related = ["viewer", "target"]
    search_fields = ["viewer__email", "viewer__full_name", "target__email", "target__full_name"]
    date_hierarchy = "started_at"
