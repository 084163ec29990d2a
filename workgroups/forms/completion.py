"""The completion form: an outcome and, when it differs from what attendance
suggests, a reason, for every member school of a work group at once."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from workgroups.forms.hub import ErrorLinksMixin
from workgroups.models import Outcome
from workgroups.selectors.completion import CompletionRow

REASON_MAX_LENGTH = 2000


def outcome_name(row: CompletionRow) -> str:
    return f"outcome-{row.member.pk}"


def reason_name(row: CompletionRow) -> str:
    return f"reason-{row.member.pk}"


class CompletionForm(ErrorLinksMixin, forms.Form):
    """Two fields per school, named after its group membership so that each error
    lands beside the right school."""

    def __init__(self, data=None, *, rows: list[CompletionRow]):
        super().__init__(data)
        self.rows = rows
        for row in rows:
            school = row.school.name
            self.fields[outcome_name(row)] = forms.ChoiceField(
                label=f"Outcome for {school}",
                choices=Outcome.choices,
                widget=forms.RadioSelect,
                initial=row.initial_outcome,
                error_messages={
                    "required": f"Select the outcome for {school}",
                    "invalid_choice": (
                        f"Select completed, did not complete or withdrawn for {school}"
                    ),
                },
            )
            self.fields[reason_name(row)] = forms.CharField(
                label=f"Reason for a different outcome for {school}",
                help_text=(
                    f"Needed only if you choose an outcome other than the suggested one "
                    f"({row.suggested_label.lower()})."
                ),
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
                max_length=REASON_MAX_LENGTH,
                initial=row.initial_reason,
                error_messages={
                    "max_length": f"The reason for {school} must be 2,000 characters or fewer"
                },
            )

    def clean(self):
        cleaned = super().clean()
        for row in self.rows:
            outcome = cleaned.get(outcome_name(row))
            reason = cleaned.get(reason_name(row), "")
            if outcome and outcome != row.suggested and not reason.strip():
                self.add_error(reason_name(row), self.reason_required_message(row))
        return cleaned

    @staticmethod
    def reason_required_message(row: CompletionRow) -> str:
        return f"Enter why the outcome for {row.school.name} differs from the attendance"

    def schools(self) -> list[tuple[CompletionRow, forms.BoundField, forms.BoundField]]:
        """Each school's row with its two bound fields, for the template."""
        return [(row, self[outcome_name(row)], self[reason_name(row)]) for row in self.rows]

    def choices(self) -> list[tuple[CompletionRow, str, str]]:
        """Each school's row, chosen outcome and reason, once the form is valid."""
        return [
            (row, self.cleaned_data[outcome_name(row)], self.cleaned_data[reason_name(row)])
            for row in self.rows
        ]

    def add_service_error(self, row: CompletionRow, error: ValidationError) -> None:
        """A service's refusal for one school, beside that school's fields."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                if name == "reason":
                    self.add_error(reason_name(row), self.reason_required_message(row))
                elif name == "outcome":
                    self.add_error(outcome_name(row), ValidationError(errors).messages)
                else:
                    self.add_error(
                        None, [f"{row.school.name}: {m}" for m in ValidationError(errors).messages]
                    )
        else:
            self.add_error(None, [f"{row.school.name}: {m}" for m in error.messages])
