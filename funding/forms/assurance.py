"""Forms for the assurance pages: the samples filter and the draw, a check's
outcome, opening a clawback, waiving one, and the clawbacks filter. Every error says
what to do and is shown beside its field; a bad value in the address is an error
shown on the page, never a crash."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from funding.assurance import MAX_SEED
from funding.models import CheckOutcome, ClawbackState
from funding.money import format_pence, parse_pounds
from workgroups.forms.hub import ErrorLinksMixin
from workgroups.models import AcademicYear


def _hub_field(form: forms.Form, hubs: list[tuple[str, str]], *, first: str) -> None:
    """National admins choose a hub; for anyone else the field is not there."""
    if hubs:
        form.fields["hub"].choices = [("", first), *hubs]
        form.fields["hub"].error_messages["invalid_choice"] = "Select a Maths Hub from the list"
    else:
        del form.fields["hub"]


class SampleFilterForm(ErrorLinksMixin, forms.Form):
    """Which year's samples to list (and, for national admins, which hub's)."""

    year = forms.ChoiceField(label="Academic year", required=False)
    hub = forms.ChoiceField(label="Maths Hub", required=False)

    def __init__(self, data=None, *, years: list[AcademicYear], hubs: list[tuple[str, str]]):
        super().__init__(data)
        self.years = {year.slug: year for year in years}
        self.fields["year"].choices = [("", "All years")] + [(y.slug, y.label) for y in years]
        self.fields["year"].error_messages["invalid_choice"] = (
            "Select an academic year from the list"
        )
        _hub_field(self, hubs, first="All hubs")

    def _value(self, name: str) -> str:
        if not self.is_bound or not self.is_valid() or name not in self.fields:
            return ""
        return self.cleaned_data[name]

    def chosen_year(self) -> AcademicYear | None:
        return self.years.get(self._value("year"))

    def hub_code(self) -> str:
        return self._value("hub")

    def query_params(self) -> dict[str, str]:
        return {k: v for k in ("year", "hub") if (v := self._value(k))}


class DrawForm(ErrorLinksMixin, forms.Form):
    """Draw a sample: the hub (national admins only), the year, a percentage and the
    seed, which is filled in with a new one and may be changed."""

    hub = forms.ChoiceField(
        label="Maths Hub to sample",
        required=False,
        error_messages={"required": "Select the Maths Hub to sample"},
    )
    year = forms.ChoiceField(
        label="Academic year of the paid claims",
        error_messages={
            "required": "Select the academic year to sample",
            "invalid_choice": "Select an academic year from the list",
        },
    )
    percent = forms.CharField(
        label="Percentage of paid claims to check",
        help_text="From 1 to 100. The number of claims is rounded up: 10% of 7 claims is 1.",
        error_messages={"required": "Enter the percentage of paid claims to check"},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )
    seed = forms.CharField(
        label="Seed",
        required=False,
        help_text="A number that fixes which claims are drawn: the same seed, percentage and "
        "paid claims always draw the same sample. Keep the one given or type your own.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )

    def __init__(
        self,
        data=None,
        *,
        years: list[AcademicYear],
        hubs: list[tuple[str, str]],
        current: AcademicYear,
        seed: int,
    ):
        super().__init__(
            data, prefix="draw", initial={"year": current.slug, "seed": seed, "percent": 10}
        )
        self.years = {year.slug: year for year in years}
        self.fields["year"].choices = [(y.slug, y.label) for y in years]
        _hub_field(self, hubs, first="Select a Maths Hub")
        if "hub" in self.fields:
            self.fields["hub"].required = True

    def clean_percent(self) -> int:
        text = self.cleaned_data["percent"].strip().removesuffix("%").strip()
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 100:
            raise ValidationError("Enter a whole number from 1 to 100, like 10")
        return int(text)

    def clean_seed(self) -> int | None:
        text = self.cleaned_data["seed"].strip().replace(",", "")
        if not text:
            return None
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_SEED:
            raise ValidationError(f"Enter a seed as a whole number from 0 to {MAX_SEED:,}")
        return int(text)

    def chosen_year(self) -> AcademicYear:
        return self.years[self.cleaned_data["year"]]


class CheckForm(ErrorLinksMixin, forms.Form):
    """What the check of a sampled claim's evidence found."""

    outcome = forms.ChoiceField(
        label="What did the check find?",
        choices=CheckOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select what the check found",
            "invalid_choice": "Select what the check found",
        },
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        help_text="What was checked and what was found. Needed when the evidence is "
        "insufficient: the school is told this if money is asked back.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == CheckOutcome.INSUFFICIENT and not data.get("notes", "").strip():
            self.add_error("notes", "Enter why the evidence is insufficient")
        return data


class ClawbackOpenForm(ErrorLinksMixin, forms.Form):
    """Ask the school for money back: how much (at most what was paid) and why."""

    amount = forms.CharField(
        label="Amount to recover",
        error_messages={"required": "Enter the amount to recover, like 750.00"},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
    )
    reason = forms.CharField(
        label="Reason given to the school",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter why the money is being asked back"},
        max_length=5000,
    )

    def __init__(self, data=None, *, paid_pence: int, notes: str = ""):
        super().__init__(
            data,
            prefix="clawback",
            initial={"amount": format_pence(paid_pence).lstrip("£"), "reason": notes},
        )
        self.paid_pence = paid_pence
        self.fields[
            "amount"
        ].help_text = f"In pounds and pence, at most {format_pence(paid_pence)}, the amount paid"

    def clean_amount(self) -> int:
        try:
            pence = parse_pounds(self.cleaned_data["amount"])
        except ValueError as error:
            raise ValidationError(str(error)) from None
        if pence <= 0 or pence > self.paid_pence:
            raise ValidationError(
                f"Enter an amount more than £0.00 and at most {format_pence(self.paid_pence)}"
            )
        return pence

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Enter why the money is being asked back")
        return reason


class WaiveForm(ErrorLinksMixin, forms.Form):
    waive_reason = forms.CharField(
        label="Why is the clawback waived?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the clawback is waived"},
        max_length=5000,
    )

    def __init__(self, data=None):
        super().__init__(data, prefix="waive")

    def clean_waive_reason(self) -> str:
        reason = self.cleaned_data["waive_reason"].strip()
        if not reason:
            raise ValidationError("Enter why the clawback is waived")
        return reason


class ClawbackFilterForm(ErrorLinksMixin, forms.Form):
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "Any state"), *ClawbackState.choices],
        error_messages={"invalid_choice": "Select a state from the list"},
    )
    hub = forms.ChoiceField(label="Maths Hub", required=False)

    def __init__(self, data=None, *, hubs: list[tuple[str, str]]):
        super().__init__(data)
        _hub_field(self, hubs, first="All hubs")

    def _value(self, name: str) -> str:
        if not self.is_bound or not self.is_valid() or name not in self.fields:
            return ""
        return self.cleaned_data[name]

    def chosen_state(self) -> str:
        return self._value("state")

    def hub_code(self) -> str:
        return self._value("hub")

    def query_params(self) -> dict[str, str]:
        return {k: v for k in ("state", "hub") if (v := self._value(k))}
