"""National admins keep each year's approved textbook list here; claims and
batches are read-only in the admin (they change only through the services)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from funding.models import (
    AssuranceSample,
    Claim,
    Clawback,
    PaymentBatch,
    SampleCheck,
    Scheme,
)
from hubportal.accounts.admin import NationalAdminAccess


@admin.register(Scheme)
class SchemeAdmin(NationalAdminAccess, SimpleHistoryAdmin):
    editable = True
    list_display = ["name", "year"]
    list_filter = ["year"]
    search_fields = ["name"]


class ReadOnlyAdmin(NationalAdminAccess, SimpleHistoryAdmin):
    """National admins read; claims and what follows them change only through the
    funding services."""


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    # The columns and filters of the hub's claim list (funding:claims).
    list_display = [
        "pk", "school", "hub", "kind", "state", "claimed_pence", "award_pence", "submitted_at"
    ]  # fmt: skip
    list_filter = ["kind", "state", "year", "hub"]
    list_select_related = ["school", "hub"]
    search_fields = ["school__name", "=school__urn", "invoice_number"]
    show_full_result_count = False


@admin.register(PaymentBatch)
class PaymentBatchAdmin(ReadOnlyAdmin):
    list_display = ["reference", "hub", "year", "created_at", "paid_at"]
    list_filter = ["hub", "year"]


# Assurance: samples, checks and clawbacks change only through funding.assurance.


@admin.register(AssuranceSample)
class AssuranceSampleAdmin(ReadOnlyAdmin):
    list_display = ["reference", "hub", "year", "percent", "seed", "paid_claims", "drawn_at"]
    list_filter = ["hub", "year"]
    list_select_related = ["hub", "year"]


@admin.register(SampleCheck)
class SampleCheckAdmin(ReadOnlyAdmin):
    list_display = ["sample", "claim", "outcome", "checked_at"]
    list_filter = ["outcome", "sample__hub"]
    list_select_related = ["sample", "claim", "claim__school"]
    search_fields = ["claim__school__name", "=claim__school__urn"]


@admin.register(Clawback)
class ClawbackAdmin(ReadOnlyAdmin):
    list_display = ["claim", "amount_pence", "state", "opened_at", "closed_at"]
    list_filter = ["state", "claim__hub"]
    list_select_related = ["claim", "claim__school"]
    search_fields = ["claim__school__name", "=claim__school__urn"]
