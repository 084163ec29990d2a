from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from schools.models import Hub, HubArea, School


class HubAreaInline(admin.TabularInline):
    model = HubArea
    extra = 0


@admin.register(Hub)
class HubAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "lead_school"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["lead_school"]
    inlines = [HubAreaInline]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["urn", "name", "la_name", "phase", "status", "hub"]
    list_filter = ["status", "phase", "hub"]
    search_fields = ["name", "=urn", "postcode"]
    list_select_related = ["hub"]
    show_full_result_count = False
