from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from hubportal.accounts.admin import NationalAdminAccess
from schools.models import Hub, HubArea, School


class HubAreaInline(NationalAdminAccess, admin.TabularInline):
    editable = True
    model = HubArea
    extra = 0


@admin.register(Hub)
class HubAdmin(NationalAdminAccess, SimpleHistoryAdmin):
    # A hub's name, lead school and local authorities are kept here by national admins.
    editable = True
    list_display = ["name", "code", "lead_school"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["lead_school"]
    inlines = [HubAreaInline]


@admin.register(School)
class SchoolAdmin(NationalAdminAccess, admin.ModelAdmin):
    # Schools come from the GIAS import; the admin reads them.
    list_display = ["urn", "name", "la_name", "phase", "status", "hub"]
    list_filter = ["status", "phase", "hub"]
    search_fields = ["name", "=urn", "postcode"]
    list_select_related = ["hub"]
    show_full_result_count = False
