from django.contrib import admin
from django.urls import include, path

from hubportal.accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("role/", account_views.switch_role, name="switch_role"),
    path("invitations/", include("hubportal.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("hubportal.reports.urls_journey")),
    path("schools/", include("schools.urls")),
    path("", include("workgroups.urls")),
    path("", include("workgroups.urls_groups")),
    path("", include("funding.urls")),
    path("", include("funding.urls_assurance")),
    path("support/", include("hubportal.accounts.urls_support")),
    path("notices/", include("hubportal.notices.urls")),
    path("my-data/", include("hubportal.privacy.urls")),
    path("reports/", include("hubportal.reports.urls")),
    path("admin/", admin.site.urls),
]
