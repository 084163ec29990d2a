from django.urls import path

from hubportal.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("cohort/", views.cohort, name="cohort"),
    path("attendance/", views.attendance, name="attendance"),
    path("claims/", views.claims, name="claims"),
    path("annual-return/", views.annual_return, name="annual_return"),
]
