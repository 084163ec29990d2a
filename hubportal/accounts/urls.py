from django.urls import path

from hubportal.accounts import invitation_views as views

app_name = "invitations"

urlpatterns = [
    path("", views.invitation_list, name="list"),
    path("new/", views.invitation_create, name="create"),
    path("accept/<str:token>/", views.invitation_accept, name="accept"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<str:filename>/<int:index>/", views.outbox_message, name="outbox_message"),
]
