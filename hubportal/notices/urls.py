"""Notices: a person's preferences, and what was sent for the hub's leads."""

from django.urls import path

from hubportal.notices import views

app_name = "notices"

urlpatterns = [
    path("preferences/", views.preferences, name="preferences"),
    path("hub/", views.hub_notices, name="hub"),
    path("<int:pk>/retry/", views.retry, name="retry"),
]
