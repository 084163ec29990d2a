from django.urls import path

from workgroups.views import headteacher, hub

app_name = "applications"

urlpatterns = [
    # The headteacher's journey
    path("programme/", headteacher.programme, name="programme"),
    path("applications/start/<slug:stage_code>/", headteacher.start, name="start"),
    path("applications/<int:pk>/", headteacher.detail, name="detail"),
    path("applications/<int:pk>/section/<slug:section>/", headteacher.section, name="section"),
    path("applications/<int:pk>/check/", headteacher.check_answers, name="check"),
    path("applications/<int:pk>/withdraw/", headteacher.withdraw, name="withdraw"),
    # The hub lead's journey
    path("cohorts/", hub.cohorts, name="cohorts"),
    path("cohorts/<slug:stage_code>/<slug:year_slug>/", hub.application_list, name="list"),
    path("cohorts/<slug:stage_code>/<slug:year_slug>/accept/", hub.accept_many, name="accept_many"),
    path("cohorts/<slug:stage_code>/<slug:year_slug>/schools/", hub.cohort, name="cohort"),
    path("applications/<int:pk>/review/", hub.review, name="review"),
    path("applications/<int:pk>/decide/", hub.decide, name="decide"),
    path("windows/", hub.windows, name="windows"),
    path("windows/new/", hub.window_edit, name="window_new"),
    path("windows/<int:pk>/", hub.window_edit, name="window_edit"),
    path("windows/<int:pk>/<slug:action>/", hub.window_toggle, name="window_toggle"),
    path("participation/", hub.participation, name="participation"),
    path("participation/upload/", hub.participation_upload, name="participation_upload"),
]
