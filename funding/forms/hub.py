"""Forms for the hub lead's funding screens: the claims filters, the three decisions,
marking a batch paid, the budget and the claim window. Money is typed in pounds and
parsed to whole pence by ``funding.money.parse_pounds``; each error says what to do
and is shown beside its field; a bad value in the address is an error, never a crash."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from funding import services
from funding.models import ClaimKind, ClaimState
from funding.money import format_pence, parse_pounds
from funding.selectors.hub import COMMITTED, DEFAULT_CLAIM_SORT, HUB_STATES, ClaimFilters
from workgroups.forms.hub import DATE_PARTS, ErrorLinksMixin, GovukDateField
from workgroups.models import AcademicYear

S = ClaimState
MAX_ALLOCATION_PENCE = 1_000_000_000  # £10 million: far above any hub's year, below typos


def year_slug(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def _invalid_choice(form: forms.Form, messages: dict[str, str]) -> None:
    for name, message in messages.items():
        if name in form.fields:
            form.fields[name].error_messages["invalid_choice"] = message


class YearHubForm(ErrorLinksMixin, forms.Form):
    """Which year to show and, for national admins, which hub. A wrong value is shown
    as an error and the current year (or every hub) is used meanwhile."""

    year = forms.ChoiceField(label="Academic year", required=False)
    hub = forms.ChoiceField(label="Maths Hub", required=False)

    def __init__(
        self, data=None, *, years: list[int], hubs: list[tuple[str, str]], current: AcademicYear
    ):
        super().__init__(data)
        self.current = current
        self.fields["year"].choices = [(year_slug(y), year_label(y)) for y in years]
        self.fields["year"].initial = current.slug
        if hubs:
            self.fields["hub"].choices = [("", "All hubs"), *hubs]
        else:
            # Only national admins look across hubs; for anyone else a hub in the
            # address is ignored rather than refused.
            del self.fields["hub"]
        _invalid_choice(
            self,
            {
                "year": "Select an academic year from the list",
                "hub": "Select a Maths Hub from the list",
            },
        )

    def _cleaned(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()  # on first use, after subclasses have set their choices
        return self.cleaned_data

    def _value(self, name: str) -> str:
        return self._cleaned().get(name) or ""

    def academic_year(self) -> AcademicYear:
        slug = self._value("year")
        if not slug:
            return self.current
        year, _ = AcademicYear.objects.get_or_create(start_year=int(slug[:4]))
        return year

    def hub_code(self) -> str:
        return self._value("hub")

    def query_params(self) -> dict[str, str]:
        """The valid, non-empty choices, for links and forms that keep them."""
        return {name: str(value) for name, value in self._cleaned().items() if value}


CLAIM_SORT_CHOICES = [
    ("-submitted", "Submitted (newest first)"),
    ("submitted", "Submitted (oldest first)"),
    ("reference", "Reference (oldest claim first)"),
    ("-reference", "Reference (newest claim first)"),
    ("school", "School name (A to Z)"),
    ("-school", "School name (Z to A)"),
    ("-amount", "Amount claimed (largest first)"),
    ("amount", "Amount claimed (smallest first)"),
]


class ClaimFilterForm(YearHubForm):
    """The claims list's filters: a GET form."""

    kind = forms.ChoiceField(
        label="Kind of claim", required=False, choices=[("", "Any kind"), *ClaimKind.choices]
    )
    state = forms.ChoiceField(label="State", required=False)
    school = forms.CharField(
        label="School name or URN",
        required=False,
        max_length=100,
        error_messages={"max_length": "School name or URN must be 100 characters or fewer"},
    )
    sort = forms.ChoiceField(label="Sort by", required=False, choices=CLAIM_SORT_CHOICES)

    field_order = ["kind", "state", "school", "year", "hub", "sort"]

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["state"].choices = (
            [("", "Any state")]
            + [(state, S(state).label) for state in HUB_STATES]
            + [(COMMITTED, "Committed (approved or in a payment batch)")]
        )
        _invalid_choice(
            self,
            {
                "kind": "Select a kind of claim from the list",
                "state": "Select a state from the list",
                "sort": "Select an order from the list",
            },
        )

    def filters(self) -> ClaimFilters:
        """The valid part of what was asked: a field with a bad value is left out (and
        shown with its error), so the list still shows the year's claims."""
        return ClaimFilters(
            year=self.academic_year(),
            kind=self._value("kind"),
            state=self._value("state"),
            school=self._value("school"),
            hub_code=self.hub_code(),
            sort=self._value("sort") or DEFAULT_CLAIM_SORT,
        )


# ---------------------------------------------------------------------------
# The decisions


class ApproveForm(ErrorLinksMixin, forms.Form):
    """Approve the proposed award, or less with a reason; never more."""

    amount = forms.CharField(
        label="Award, if less than proposed (optional)",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
        error_messages={"max_length": "Enter an amount in pounds and pence, like 750.00"},
    )
    reason = forms.CharField(
        label="Reason for awarding less",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "The reason must be 2,000 characters or fewer"},
    )
    allow_over_budget = forms.BooleanField(
        label="Approve even though it takes the hub over its budget", required=False
    )

    def __init__(self, data=None, *, proposed: int):
        super().__init__(data, prefix="approve")
        self.proposed = proposed
        shown = format_pence(proposed)
        self.fields["amount"].help_text = (
            f"Leave blank to award the proposed {shown}. To award less, enter the amount "
            "in pounds, like 750.00"
        )
        self.fields[
            "reason"
        ].help_text = f"Needed if you award less than {shown}. The headteacher sees it."
        # Set by the view when the service refuses the approval for the budget.
        self.over_budget = False

    @property
    def show_over_budget(self) -> bool:
        return self.over_budget or bool(self.is_bound and self["allow_over_budget"].value())

    def clean_amount(self) -> int | None:
        text = self.cleaned_data["amount"].strip()
        if not text:
            return None
        try:
            pence = parse_pounds(text)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        if pence <= 0:
            raise ValidationError("Enter an award more than £0.00")
        if pence > self.proposed:
            raise ValidationError(
                f"The award cannot be more than the proposed {format_pence(self.proposed)}"
            )
        return pence

    def clean(self):
        cleaned = super().clean()
        amount = cleaned.get("amount")
        if amount is not None and amount < self.proposed and not cleaned.get("reason", "").strip():
            self.add_error(
                "reason",
                f"Enter why the award is less than the proposed {format_pence(self.proposed)}",
            )
        return cleaned

    def award_pence(self) -> int | None:
        """What to pass the service: None for the proposed award (the service then
        explains any cut by the school's remaining £2,000 itself)."""
        amount = self.cleaned_data.get("amount")
        return amount if amount is not None and amount < self.proposed else None


FIELD_LABELS = {
    "conditions_accepted": "The grant's conditions",
    "scheme": "Textbook scheme",
    "supplier": "Supplier",
    "invoice_number": "Invoice number",
    "invoice_date": "Invoice date",
    "spend_pence": "Amount spent",
    "evidence": "Proof of purchase (evidence files)",
    "payee_name": "Account name",
    "sort_code": "Sort code",
    "account_number": "Account number",
    "finance_email": "Finance contact email",
}


def returnable_fields(kind: str) -> list[tuple[str, str]]:
    """The answers a school may change on a returned claim, as checkbox choices."""
    names = list(services.EDITABLE_FIELDS[kind])
    if kind == ClaimKind.MATCH:
        names.insert(len(services.MATCH_FIELDS), "evidence")
    return [(name, FIELD_LABELS.get(name, name)) for name in names]


class ReturnForm(ErrorLinksMixin, forms.Form):
    reason = forms.CharField(
        label="What the school needs to change",
        help_text="The headteacher sees this.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter what the school needs to change",
            "max_length": "The reason must be 2,000 characters or fewer",
        },
    )
    to_change = forms.MultipleChoiceField(
        label="Answers to change (optional)",
        help_text="Select all that apply.",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Select answers from the list"},
    )

    def __init__(self, data=None, *, kind: str):
        super().__init__(data, prefix="return")
        self.fields["to_change"].choices = returnable_fields(kind)


class RejectForm(ErrorLinksMixin, forms.Form):
    reason = forms.CharField(
        label="Why the claim is rejected",
        help_text="The headteacher sees this.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter why the claim is rejected",
            "max_length": "The reason must be 2,000 characters or fewer",
        },
    )

    def __init__(self, data=None):
        super().__init__(data, prefix="reject")


# ---------------------------------------------------------------------------
# Payments


class MarkPaidForm(ErrorLinksMixin, forms.Form):
    confirm = forms.BooleanField(
        label="The lead school's finance team has paid every claim in this batch",
        error_messages={"required": "Confirm that the finance team has paid the batch"},
    )


# ---------------------------------------------------------------------------
# The budget and the claim window


class BudgetForm(ErrorLinksMixin, forms.Form):
    allocation = forms.CharField(
        label="Allocation",
        help_text="In pounds, for grants and match funding together, like 45000.00",
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the allocation in pounds, like 45000.00",
            "max_length": "Enter the allocation in pounds, like 45000.00",
        },
    )

    def __init__(self, data=None, *, year: AcademicYear, allocation: int | None = None):
        initial = {}
        if allocation is not None:
            initial["allocation"] = format_pence(allocation).removeprefix("£")
        super().__init__(data, initial=initial, prefix="budget")
        self.fields["allocation"].label = f"Allocation for {year.label}"

    def clean_allocation(self) -> int:
        text = self.cleaned_data["allocation"].strip()
        if text.startswith("-"):
            raise ValidationError("Enter an allocation of £0.00 or more")
        try:
            pence = parse_pounds(text)
        except ValueError:
            raise ValidationError(
                "Enter the allocation in pounds and pence, like 45000.00"
            ) from None
        if pence > MAX_ALLOCATION_PENCE:
            raise ValidationError(
                f"Enter an allocation of {format_pence(MAX_ALLOCATION_PENCE)} or less"
            )
        return pence


class ClaimWindowForm(ErrorLinksMixin, forms.Form):
    opens = GovukDateField(
        noun="Opening date", label="Claims open on", help_text="For example, 1 9 2026"
    )
    closes = GovukDateField(
        noun="Deadline",
        label="Deadline for claims",
        help_text="The last day a school can submit a claim. For example, 30 6 2027",
    )

    def __init__(self, data=None, *, window=None):
        initial = {"opens": window.opens, "closes": window.closes} if window else {}
        super().__init__(data, initial=initial, prefix="window")

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens"), cleaned.get("closes")
        if opens and closes and closes < opens:
            self.add_error(
                "closes",
                ValidationError(
                    "The deadline must be on or after the opening date",
                    params={"parts": list(DATE_PARTS)},
                ),
            )
        return cleaned
