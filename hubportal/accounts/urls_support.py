"""Support: viewing the portal as another person sees it, read-only and audited."""

from django.urls import path

from hubportal.accounts import support_views as views

app_name = "support"

urlpatterns = [
    path("", views.start, name="start"),
    path("view-as/", views.view_as, name="view_as"),
    path("stop/", views.stop, name="stop"),
]
