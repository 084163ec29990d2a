from django.urls import path

from hubportal.reports import journey_views

app_name = "journey"

urlpatterns = [
    path("schools/<int:urn>/journey/", journey_views.journey, name="journey"),
    path("hub/map/", journey_views.hub_school_map, name="map"),
]
