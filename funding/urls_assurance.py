"""Assurance: duplicate claims, sampling of paid claims, and clawback."""

from django.urls import path

from funding.views import assurance

app_name = "assurance"

urlpatterns = [
    # Random samples of a year's paid claims, and the check of each sampled claim
    path("hub/assurance/", assurance.samples, name="samples"),
    path("hub/assurance/<int:pk>/", assurance.sample, name="sample"),
    path("hub/assurance/checks/<int:pk>/", assurance.check, name="check"),
    path("hub/assurance/checks/<int:pk>/clawback/", assurance.clawback_open, name="clawback_open"),
    # Money asked back after a check, and whether it came back
    path("hub/clawbacks/", assurance.clawbacks, name="clawbacks"),
    path("hub/clawbacks/<int:pk>/", assurance.clawback, name="clawback"),
    path("hub/clawbacks/<int:pk>/recover/", assurance.clawback_recover, name="recover"),
    path("hub/clawbacks/<int:pk>/waive/", assurance.clawback_waive, name="waive"),
    # Other schools' claims that look like this one
    path("hub/claims/<int:pk>/similar/", assurance.similar, name="similar"),
]
