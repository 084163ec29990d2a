"""The notice ledger in the Django admin: national admins read it; nobody edits it here.

Rows are written only by ``hubportal.notices.services`` (planning, sending, a hub
lead's retry, a person's own preferences), so the admin offers no add, change or
delete: a changed row would no longer say what was sent."""

from django.contrib import admin

from hubportal.accounts.admin import NationalAdminAccess
from hubportal.notices.models import Notice, NoticePreference


class ReadOnlyAdmin(NationalAdminAccess, admin.ModelAdmin):
    """National admins read; nobody edits here."""


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
