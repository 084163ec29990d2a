"""The notice ledger in the Django admin: national admins read it; nobody edits it here.

Rows are written only by ``hubportal.notices.services`` (planning, sending, a hub
lead's retry, a person's own preferences), so the admin offers no add, change or
delete: a changed row would no longer say what was sent."""

from django.contrib import admin

from hubportal.notices.models import Notice, NoticePreference


class ReadOnlyAdmin(admin.ModelAdmin):
    # National admins hold no model permissions: the site's own check (national admins
    # only, set in hubportal.accounts.admin) decides who reads, as for support sessions.
    def has_module_permission(self, request):
        return admin.site.has_permission(request)

    def has_view_permission(self, request, obj=None):
        return admin.site.has_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "email",
        "hub",
        "school",
        "state",
        "attempts",
        "sent_at",
    ]
    list_filter = ["state", "kind", "hub"]
    list_select_related = ["hub", "school"]
    search_fields = ["email", "recipient_name", "school__name", "=school__urn"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    show_full_result_count = False


@admin.register(NoticePreference)
class NoticePreferenceAdmin(ReadOnlyAdmin):
    list_display = ["email", "reminders", "opportunities", "deadlines", "updated_at"]
    list_filter = ["reminders", "opportunities", "deadlines"]
    search_fields = ["email"]
    ordering = ["email"]
