"""Forms for forming and looking after a cohort's work groups. Choices come from
the rows the person may see, so a tampered value is an error beside the field,
never a crash."""

from __future__ import annotations

from django import forms

from workgroups.forms.hub import ErrorLinksMixin
from workgroups.selectors.formation import Specialist

NEW_GROUP = "new"


def _choice(label: str, *, invalid: str, choices, required: str = "", placeholder: str = ""):
    """A select; ``required`` is the message when nothing is chosen (none: optional)."""
    return forms.ChoiceField(
        label=label,
        required=bool(required),
        choices=([("", placeholder)] if placeholder else []) + list(choices),
        error_messages={"required": required, "invalid_choice": invalid},
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )


def specialist_choices(specialists: list[Specialist]) -> list[tuple[str, str]]:
    return [("", "No specialist")] + [(str(s.user_id), s.label) for s in specialists]


class GovukSelectsMixin(ErrorLinksMixin):
    """GOV.UK error styling on each select with an error, pointing at its message
    (the id that templates/workgroups/hub/_field_error.html gives it)."""

    def full_clean(self):
        super().full_clean()
        for name, field in self.fields.items():
            if name in self.errors:
                field.widget.attrs["class"] = "govuk-select govuk-select--error"
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"


class MoveSchoolForm(GovukSelectsMixin, forms.Form):
    """Move one school to another group: of the proposal, or of the cohort."""

    def __init__(
        self,
        data=None,
        *,
        schools: list[tuple[str, str]],
        groups: list[tuple[str, str]],
        group_label: str = "Move it to",
    ):
        super().__init__(data, prefix="move")
        self.fields["school"] = _choice(
            "School to move",
            required="Select the school to move",
            invalid="Select a school from the list",
            choices=schools,
            placeholder="Choose a school",
        )
        self.fields["to_group"] = _choice(
            group_label,
            required="Select the group to move the school to",
            invalid="Select a group from the list",
            choices=groups,
            placeholder="Choose a group",
        )

    def clean_school(self) -> int:
        return int(self.cleaned_data["school"])


class ProposalLeadsForm(GovukSelectsMixin, forms.Form):
    """The specialist proposed for each group of the proposal (changeable)."""

    def __init__(self, data=None, *, group_count: int, specialists: list[Specialist], initial=None):
        super().__init__(data, initial=initial, prefix="leads")
        choices = specialist_choices(specialists)
        for number in range(1, group_count + 1):
            self.fields[f"group_{number}"] = _choice(
                f"Specialist for group {number}",
                invalid=f"Group {number}: select one of the hub's specialists",
                choices=choices,
            )
            # The selects sit beside their groups, away from the confirm buttons' form.
            self.fields[f"group_{number}"].widget.attrs["form"] = "proposal"

    def lead_ids(self) -> list[int | None]:
        """The chosen specialist of each group, in group order."""
        return [
            int(self.cleaned_data[name]) if self.cleaned_data.get(name) else None
            for name in self.fields
        ]


class LeadForm(GovukSelectsMixin, forms.Form):
    """Assign or change a group's specialist."""

    def __init__(self, data=None, *, specialists: list[Specialist], initial=None):
        super().__init__(data, initial=initial, prefix="lead")
        self.fields["lead"] = _choice(
            "Mastery Specialist",
            invalid="Select a specialist from the list",
            choices=specialist_choices(specialists),
        )

    def lead_id(self) -> int | None:
        value = self.cleaned_data.get("lead")
        return int(value) if value else None
