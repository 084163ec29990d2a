"""Work groups, their meetings and attendance, completions and calendar feeds."""

from django.urls import path

from workgroups.views import calendar, completion, formation, meetings, school_groups

app_name = "groups"

urlpatterns = [
    # The hub lead forms a cohort's groups and looks after them
    path("cohorts/<slug:stage_code>/<slug:year_slug>/groups/", formation.group_list, name="list"),
    path(
        "cohorts/<slug:stage_code>/<slug:year_slug>/groups/propose/",
        formation.propose,
        name="propose",
    ),
    path("groups/<int:pk>/manage/", formation.manage, name="manage"),
    # The group's page; the specialist schedules and logs its meetings
    path("groups/mine/", meetings.my_groups, name="mine"),
    path("hub/meetings/", meetings.hub_meeting_list, name="hub_meetings"),
    path("groups/<int:pk>/", meetings.group_detail, name="detail"),
    path("groups/<int:pk>/schedule/", meetings.schedule, name="schedule"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/change/", meetings.reschedule, name="reschedule"),
    path("meetings/<int:pk>/cancel/", meetings.cancel, name="cancel"),
    path("meetings/<int:pk>/attendance/", meetings.log_attendance, name="log"),
    # The hub lead records each school's outcome for the year
    path("groups/<int:pk>/completion/", completion.record, name="completion"),
    # The headteacher's view of their school's groups
    path("school/groups/", school_groups.school_groups, name="school"),
    path(
        "school/participants/<int:pk>/replace/",
        school_groups.replace_participant,
        name="replace_participant",
    ),
    # Private calendar feeds
    path("calendar/", calendar.settings_page, name="calendar"),
    path("calendar/<str:token>.ics", calendar.feed, name="feed"),
]
