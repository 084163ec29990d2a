from django.contrib import admin
from django.urls import include, path

from hubportal.accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("role/", account_views.switch_role, name="switch_role"),
    path("invitations/", include("hubportal.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("schools/", include("schools.urls")),
    path("", include("workgroups.urls")),
    path("", include("workgroups.urls_groups")),
    path("admin/", admin.site.urls),
]
