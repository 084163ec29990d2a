"""The forms of the headteacher's claim: one per task-list section, the proof of
purchase upload and the declaration.

A section may be saved half answered (the claim is a draft until submitted), so
empty answers pass here and the submission says what is still missing; what is
typed must be right, though, and each message says how to put it right. Field
names are the claim's own, so a form's ``answers()`` is what ``claim_save`` takes."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from funding.models import Claim, Scheme
from funding.money import parse_pounds, pence_as_decimal
from workgroups.forms.hub import GovukDateField

MAX_SPEND_PENCE = 100_000_000
"""£1,000,000: far beyond any school's textbook order, and well inside the column."""

MAX_FILES_AT_ONCE = 10


class ClaimSectionForm(forms.Form):
    """A section of a claim, prefilled from the claim's saved answers."""

    def __init__(self, data=None, files=None, *, claim: Claim, **kwargs):
        self.claim = claim
        kwargs.setdefault("initial", self.initial_from(claim))
        super().__init__(data, files, **kwargs)

    def initial_from(self, claim: Claim) -> dict:
        return {name: getattr(claim, name) for name in self.base_fields}

    def answers(self) -> dict:
        return dict(self.cleaned_data)


class ConditionsForm(ClaimSectionForm):
    conditions_accepted = forms.BooleanField(
        label="The school accepts the grant's conditions",
        error_messages={"required": "Confirm that the school accepts the grant's conditions"},
    )


class PoundsField(forms.CharField):
    """An amount typed in pounds and pence, cleaned to whole pence (never a float)."""

    def __init__(self, *, noun: str, **kwargs):
        self.noun = noun
        super().__init__(**kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        try:
            pence = parse_pounds(text)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None
        if pence <= 0:
            raise ValidationError(f"Enter {self.noun} greater than £0.00", code="min_value")
        if pence > MAX_SPEND_PENCE:
            raise ValidationError(f"Enter {self.noun} of £1,000,000.00 or less", code="max_value")
        return pence


class PurchaseForm(ClaimSectionForm):
    scheme = forms.ModelChoiceField(
        label="Which approved textbook scheme did the school buy?",
        queryset=Scheme.objects.none(),
        required=False,
        empty_label="Choose a scheme",
    )
    supplier = forms.CharField(
        label="Supplier",
        help_text="The company the school bought the textbooks from",
        max_length=120,
        required=False,
        error_messages={"max_length": "The supplier's name must be 120 characters or fewer"},
    )
    invoice_number = forms.CharField(
        label="Supplier's invoice number",
        help_text="As it is printed on the invoice",
        max_length=60,
        required=False,
        error_messages={"max_length": "The invoice number must be 60 characters or fewer"},
    )
    invoice_date = GovukDateField(
        noun="Invoice date",
        label="Invoice date",
        help_text="For example, 27 9 2026",
        required=False,
    )
    spend_pence = PoundsField(
        noun="the amount spent",
        label="Amount spent",
        help_text="The invoice's total in pounds and pence, for example 1250.00",
        required=False,
    )

    def __init__(self, data=None, files=None, *, claim: Claim, **kwargs):
        super().__init__(data, files, claim=claim, **kwargs)
        # The year's approved list, given to the year when its claim window was set or
        # the claim started.
        scheme = self.fields["scheme"]
        scheme.queryset = Scheme.objects.filter(year=claim.year).order_by("name")
        scheme.error_messages["invalid_choice"] = (
            f"Choose a scheme on the {claim.year.label} approved list"
        )

    def initial_from(self, claim: Claim) -> dict:
        initial = super().initial_from(claim)
        initial["scheme"] = claim.scheme_id
        # Shown as typed, without the £ the box already has in front of it.
        spend = claim.spend_pence
        initial["spend_pence"] = "" if spend is None else str(pence_as_decimal(spend))
        return initial

    def clean_invoice_date(self):
        day = self.cleaned_data.get("invoice_date")
        if day is not None and day > timezone.localdate():
            raise ValidationError(
                "The invoice date must be today or in the past",
                code="future",
                params={"parts": ["day", "month", "year"]},
            )
        return day

    def clean_supplier(self):
        return self.cleaned_data["supplier"].strip()

    def clean_invoice_number(self):
        return self.cleaned_data["invoice_number"].strip()


class DigitsField(forms.CharField):
    """Bank digits as people type them: spaces and dashes are taken out."""

    def __init__(self, *, length: int, noun: str, example: str, **kwargs):
        self.length, self.noun, self.example = length, noun, example
        super().__init__(**kwargs)

    def to_python(self, value):
        return "".join(ch for ch in super().to_python(value) if ch not in " -")

    def validate(self, value):
        super().validate(value)
        if not value:
            return
        # ASCII digits only: "١٢٣٤٥٦" is digits to Python, not to a bank's payment file.
        if not (value.isascii() and value.isdigit()):
            raise ValidationError(f"Enter a valid {self.noun} like {self.example}", code="invalid")
        if len(value) != self.length:
            raise ValidationError(
                f"{self.noun.capitalize()} must be {self.length} digits long", code="length"
            )


class PayeeForm(ClaimSectionForm):
    payee_name = forms.CharField(
        label="Name on the account",
        help_text="The school's bank account the hub pays the money into",
        max_length=120,
        required=False,
        error_messages={"max_length": "The name on the account must be 120 characters or fewer"},
    )
    sort_code = DigitsField(
        length=6,
        noun="sort code",
        example="309430",
        label="Sort code",
        help_text="Must be 6 digits long",
        required=False,
    )
    account_number = DigitsField(
        length=8,
        noun="account number",
        example="00733445",
        label="Account number",
        help_text="Must be 8 digits long",
        required=False,
    )
    finance_email = forms.EmailField(
        label="Finance contact's email address",
        help_text="The lead school's finance team writes here when the money is paid",
        max_length=254,
        required=False,
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "The email address must be 254 characters or fewer",
        },
    )

    def clean_payee_name(self):
        return self.cleaned_data["payee_name"].strip()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """The files chosen in one box. Only whether there are any is checked here: each
    file's type and size are checked by ``evidence_add``, which names the file."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        uploads = [u for u in (data if isinstance(data, list | tuple) else [data]) if u]
        if not uploads and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        return uploads


class EvidenceForm(forms.Form):
    file = MultipleFileField(
        label="Upload a file",
        help_text=(
            "A PDF, PNG or JPEG of the invoice or receipt, 10 MB or smaller. "
            "You can choose more than one file."
        ),
        error_messages={"required": "Select a file to upload"},
    )

    def clean_file(self):
        uploads = self.cleaned_data["file"]
        if len(uploads) > MAX_FILES_AT_ONCE:
            raise ValidationError(
                f"Select {MAX_FILES_AT_ONCE} files or fewer at a time", code="too_many"
            )
        return uploads


class DeclarationForm(forms.Form):
    declaration = forms.BooleanField(
        label="I confirm the information is correct and the money will be used as described",
        error_messages={"required": "Confirm that the information is correct"},
    )


SECTION_FORMS: dict[str, type[ClaimSectionForm]] = {
    "conditions": ConditionsForm,
    "purchase": PurchaseForm,
    "payee": PayeeForm,
}
