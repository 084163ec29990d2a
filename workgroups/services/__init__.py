"""Every change to the programme's rows, one function per state change.

applications: applications, windows and participation history.
groups: work groups, meetings, attendance and completions.
calendar: a person's private calendar address."""

from workgroups.services.applications import *  # noqa: F403
from workgroups.services.applications import (  # noqa: F401 - shared with groups
    InvalidTransition,
)
from workgroups.services.calendar import *  # noqa: F403
from workgroups.services.groups import *  # noqa: F403
