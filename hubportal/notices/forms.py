"""Forms for the notice pages: a person's email preferences, and the filters of the
hub's notices list (a GET form: a bad value is shown beside its field and left out,
so the list still shows)."""

from __future__ import annotations

from django import forms

from hubportal.notices.models import NoticeKind, NoticeState
from hubportal.notices.selectors import NoticeFilters
from workgroups.forms.hub import ErrorLinksMixin


class PreferencesForm(forms.Form):
    """The three groups of optional mails; every other mail always goes."""

    reminders = forms.BooleanField(
        label="Meeting reminders and attendance-log nudges",
        required=False,
        help_text=(
            "A week and a day before each work group meeting, and (for the people who "
            "lead groups or hubs) when a meeting's attendance has not been logged."
        ),
    )
    opportunities = forms.BooleanField(
        label="When a programme stage or funding opens to your school",
        required=False,
        help_text=(
            "When your hub opens applications your school can make, and when completing a "
            "stage opens the next one or textbook match funding."
        ),
    )
    deadlines = forms.BooleanField(
        label="Claim deadline nudges",
        required=False,
        help_text=(
            "Before your hub's claim deadline, when your school has funding it has not claimed yet."
        ),
    )


class NoticeFilterForm(ErrorLinksMixin, forms.Form):
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "Any state"), *NoticeState.choices],
        error_messages={"invalid_choice": "Select a state from the list"},
    )
    kind = forms.ChoiceField(
        label="Kind of notice",
        required=False,
        choices=[("", "Any kind"), *NoticeKind.choices],
        error_messages={"invalid_choice": "Select a kind of notice from the list"},
    )
    school = forms.CharField(
        label="School name or URN",
        required=False,
        max_length=100,
        error_messages={"max_length": "School name or URN must be 100 characters or fewer"},
    )
    email = forms.CharField(
        label="Recipient's email contains",
        required=False,
        max_length=254,
        error_messages={"max_length": "Email must be 254 characters or fewer"},
    )
    meeting = forms.IntegerField(
        label="Meeting number",
        required=False,
        min_value=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        help_text="Set when you come from a meeting's page.",
        error_messages={
            "invalid": "Meeting number must be a whole number, like 42",
            "min_value": "Meeting number must be a whole number, like 42",
        },
    )
    hub = forms.ChoiceField(
        label="Maths Hub",
        required=False,
        error_messages={"invalid_choice": "Select a Maths Hub from the list"},
    )

    def __init__(self, data=None, *, hubs: list[tuple[str, str]]):
        super().__init__(data)
        if hubs:
            self.fields["hub"].choices = [("", "All hubs"), *hubs]
        else:
            # Only national admins look across hubs; for a hub lead a hub in the address
            # is ignored rather than refused.
            del self.fields["hub"]

    def _cleaned(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data

    def filters(self) -> NoticeFilters:
        """The valid part of what was asked."""
        data = self._cleaned()
        return NoticeFilters(
            state=data.get("state") or "",
            kind=data.get("kind") or "",
            school=data.get("school") or "",
            meeting_id=data.get("meeting"),
            email=data.get("email") or "",
            hub_code=data.get("hub") or "",
        )

    def query_params(self) -> dict[str, str]:
        """The valid, non-empty choices, for links that keep them."""
        return {name: str(value) for name, value in self._cleaned().items() if value}
