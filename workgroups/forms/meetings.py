"""Forms for a group's meetings: a series of meetings at once, changing or cancelling
one (with a reason), and logging who came.

Each error says what to do and which meeting it is about, so the error summary of a
six-row form still reads clearly; what was typed comes back as typed."""

from __future__ import annotations

from django import forms

from workgroups.forms.hub import ErrorLinksMixin
from workgroups.models import (
    AttendanceStatus,
    GroupMember,
    Meeting,
    MeetingKind,
    Participant,
    WorkGroup,
)
from workgroups.services import MeetingPlan

ONLINE = "online"
# <input type="date"> sends 2026-09-28; a browser without a date picker shows a text
# box, where people type 28/09/2026.
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S", "%H.%M", "%H%M"]


class MeetingForm(ErrorLinksMixin, forms.Form):
    """One meeting's date, times, kind and venue.

    ``number`` names the meeting in a series ("Meeting 3"); without it the form is
    about a single meeting (changing one). ``venues`` are the group's member schools."""

    date = forms.DateField(input_formats=DATE_FORMATS)
    starts_at = forms.TimeField(input_formats=TIME_FORMATS)
    ends_at = forms.TimeField(input_formats=TIME_FORMATS)
    kind = forms.ChoiceField(choices=MeetingKind.choices)
    venue = forms.ChoiceField()
    online_link = forms.URLField(required=False, max_length=200, assume_scheme="https")

    def __init__(
        self,
        data=None,
        *,
        work_group: WorkGroup,
        members: list[GroupMember],
        number: int | None = None,
        **kwargs,
    ):
        kwargs.setdefault(
            "initial",
            {"starts_at": "13:00", "ends_at": "16:00", "kind": MeetingKind.WORKSHOP},
        )
        super().__init__(data, **kwargs)
        self.work_group = work_group
        self.number = number
        self.schools = {str(member.school_id): member.school for member in members}
        noun = f"meeting {number}" if number else "the meeting"
        # Visually hidden before each short label, so a screen reader hears "Meeting 3 date".
        self.label_prefix_text = f"Meeting {number} " if number else ""
        year = work_group.year
        self.fields["venue"].choices = [
            ("", "Choose a venue"),
            *((key, school.name) for key, school in self.schools.items()),
            (ONLINE, "Online"),
        ]
        labels = {
            "date": "Date",
            "starts_at": "Start time",
            "ends_at": "End time",
            "kind": "Kind of meeting",
            "venue": "Venue",
            "online_link": "Online meeting link",
        }
        errors = {
            "date": {
                "required": f"Enter the date of {noun}",
                "invalid": f"The date of {noun} must be a real date, like 28/09/{year.start_year}",
            },
            "starts_at": {
                "required": f"Enter the start time of {noun}",
                "invalid": f"The start time of {noun} must be a time, like 13:00",
            },
            "ends_at": {
                "required": f"Enter the end time of {noun}",
                "invalid": f"The end time of {noun} must be a time, like 16:00",
            },
            "kind": {
                "required": f"Choose the kind of {noun}",
                "invalid_choice": f"Choose the kind of {noun} from the list",
            },
            "venue": {
                "required": f"Choose where {noun} takes place: a member school or online",
                "invalid_choice": f"The venue of {noun} must be one of the group's schools",
            },
            "online_link": {
                "invalid": f"The online link for {noun} must be a web address, "
                "like https://meet.example.org/abc",
                "max_length": f"The online link for {noun} must be 200 characters or fewer",
            },
        }
        for name, field in self.fields.items():
            field.label = labels.get(name, field.label)
            field.error_messages.update(errors.get(name, {}))
        self.noun = noun

    def clean(self):
        cleaned = super().clean()
        year = self.work_group.year
        day = cleaned.get("date")
        if day and not (year.starts <= day <= year.ends):
            self.add_error(
                "date",
                f"The date of {self.noun} must fall in the {year.label} school year, "
                f"between 1 September {year.start_year} and 31 August {year.start_year + 1}",
            )
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", f"The end time of {self.noun} must be after its start time")
        if cleaned.get("venue") == ONLINE and not cleaned.get("online_link"):
            self.add_error("online_link", f"Enter the online link for {self.noun}")
        return cleaned

    def plan(self) -> MeetingPlan:
        data = self.cleaned_data
        online = data["venue"] == ONLINE
        return MeetingPlan(
            date=data["date"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            kind=data["kind"],
            venue_school=None if online else self.schools[data["venue"]],
            online_link=data["online_link"] if online else "",
        )

    def is_blank(self) -> bool:
        """No date, venue or link typed: a meeting to schedule later, not an error."""
        return self.is_bound and not any(
            self.data.get(self.add_prefix(name), "").strip()
            for name in ("date", "venue", "online_link")
        )

    @staticmethod
    def initial_for(meeting: Meeting) -> dict:
        return {
            "date": meeting.date.isoformat(),
            "starts_at": meeting.starts_at.strftime("%H:%M"),
            "ends_at": meeting.ends_at.strftime("%H:%M"),
            "kind": meeting.kind,
            "venue": str(meeting.venue_school_id) if meeting.venue_school_id else ONLINE,
            "online_link": meeting.online_link,
        }


class RescheduleForm(MeetingForm):
    reason = forms.CharField(
        label="Why is the meeting changing?",
        help_text="The group's schools see this with the new date.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        error_messages={
            "required": "Enter why the meeting is changing",
            "max_length": "The reason must be 500 characters or fewer",
        },
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Enter why the meeting is changing")
        return reason


class CancelForm(ErrorLinksMixin, forms.Form):
    reason = forms.CharField(
        label="Why is the meeting cancelled?",
        help_text="The group's schools see this reason.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        error_messages={
            "required": "Enter why the meeting is cancelled",
            "max_length": "The reason must be 500 characters or fewer",
        },
    )


class AttendanceForm(ErrorLinksMixin, forms.Form):
    """Present, absent or sent apologies for every participant, set to present unless a
    log already says otherwise, so the specialist changes only the exceptions."""

    notes = forms.CharField(
        label="Notes (optional)",
        help_text="For example, what the group worked on, or who to follow up.",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
        error_messages={"max_length": "The notes must be 5,000 characters or fewer"},
    )

    def __init__(
        self, data=None, *, participants: list[Participant], logged: dict[int, str], notes: str
    ):
        super().__init__(data, initial={"notes": notes})
        self.participant_fields: dict[int, str] = {}
        for participant in participants:
            name = f"participant-{participant.pk}"
            self.fields[name] = forms.ChoiceField(
                label=participant.name,
                choices=AttendanceStatus.choices,
                widget=forms.RadioSelect,
                initial=logged.get(participant.pk, AttendanceStatus.PRESENT),
                error_messages={
                    "required": f"Choose present, absent or sent apologies for {participant.name}",
                    "invalid_choice": (
                        f"Choose present, absent or sent apologies for {participant.name}"
                    ),
                },
            )
            self.participant_fields[participant.pk] = name
        # The notes come last, after every participant.
        self.order_fields([*self.participant_fields.values(), "notes"])
        self.participants = participants

    def schools(self) -> list[tuple[str, list]]:
        """(school name, [(participant, bound field)]) in the participants' order."""
        grouped: list[tuple[str, list]] = []
        for participant in self.participants:
            school = participant.application.school.name
            if not grouped or grouped[-1][0] != school:
                grouped.append((school, []))
            grouped[-1][1].append((participant, self[self.participant_fields[participant.pk]]))
        return grouped

    def statuses(self) -> dict[int, str]:
        return {pk: self.cleaned_data[name] for pk, name in self.participant_fields.items()}


class HubMeetingFilterForm(ErrorLinksMixin, forms.Form):
    """The hub's meeting list filters, a GET form: year, stage, and which meetings.
    A wrong value is shown as an error and left out meanwhile."""

    year = forms.ChoiceField(label="Academic year", required=False)
    stage = forms.ChoiceField(label="Programme stage", required=False)
    when = forms.ChoiceField(
        label="Meetings",
        required=False,
        choices=[
            ("", "Every meeting in the year"),
            ("this-week", "Scheduled this week"),
            ("overdue", "Attendance log overdue"),
        ],
    )

    def __init__(self, data=None, *, years, stages, current):
        super().__init__(data, initial={"year": current.slug})
        self.current = current
        self.years = {year.slug: year for year in years}
        self.stages = {stage.code: stage for stage in stages}
        self.fields["year"].choices = [(year.slug, year.label) for year in years]
        self.fields["stage"].choices = [("", "Every stage")] + [
            (stage.code, stage.name) for stage in stages
        ]
        for name, message in {
            "year": "Select an academic year from the list",
            "stage": "Select a programme stage from the list",
            "when": "Select which meetings to show from the list",
        }.items():
            self.fields[name].error_messages["invalid_choice"] = message
        if self.is_bound:
            self.is_valid()

    def _value(self, name: str) -> str:
        return (self.cleaned_data.get(name) if self.is_bound else "") or ""

    def chosen(self) -> dict:
        """The valid choices: the year (the current one unless chosen), the stage or
        None, and which meetings."""
        return {
            "year": self.years.get(self._value("year"), self.current),
            "stage": self.stages.get(self._value("stage")),
            "when": self._value("when"),
        }
