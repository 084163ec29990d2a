from django.urls import path

from schools import views

app_name = "schools"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("<int:urn>/", views.detail, name="detail"),
]
