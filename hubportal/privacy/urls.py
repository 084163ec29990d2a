"""Your data: a person's own personal data, shown and downloaded."""

from django.urls import path

from hubportal.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.your_data, name="your_data"),
    path("download.json", views.download_json, name="download_json"),
    path("download.zip", views.download_zip, name="download_zip"),
]
