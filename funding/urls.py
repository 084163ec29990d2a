"""Funding: the school's entitlements and claims; the hub's decisions, payments and budget."""

from django.urls import path

from funding.views import evidence, hub, school

app_name = "funding"

urlpatterns = [
    # The headteacher claims what the school is entitled to
    path("funding/", school.overview, name="school"),
    path("funding/claims/start/<slug:kind>/", school.start, name="start"),
    path("funding/claims/<int:pk>/", school.claim, name="claim"),
    path("funding/claims/<int:pk>/check/", school.check, name="check"),
    path("funding/claims/<int:pk>/<slug:section>/", school.section, name="section"),
    path(
        "funding/claims/<int:pk>/evidence/<int:evidence_pk>/remove/",
        school.evidence_remove,
        name="evidence_remove",
    ),
    # Proof of purchase, served only to the school and its hub
    path("funding/evidence/<int:pk>/", evidence.download, name="evidence"),
    # The hub lead decides claims, pays them in batches and keeps the budget
    path("hub/claims/", hub.claim_list, name="claims"),
    path("hub/claims/<int:pk>/", hub.review, name="review"),
    path("hub/payments/", hub.batch_list, name="batches"),
    path("hub/payments/<int:pk>/", hub.batch_detail, name="batch"),
    path("hub/payments/<int:pk>/export.<slug:fmt>", hub.batch_export, name="batch_export"),
    path("hub/funding/", hub.budget, name="budget"),
]
