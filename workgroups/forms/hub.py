"""Forms for the hub lead's journey: the cohort filters, the decision, windows and
participation history. Each error message says what to do, as GOV.UK asks, and is
shown beside its field; a bad value in the address is an error, never a crash."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField

from schools.models import School
from workgroups.models import (
    AcademicYear,
    ApplicationState,
    ApplicationWindow,
    Outcome,
    ProgrammeStage,
)
from workgroups.selectors.hub import (
    COHORT_STATES,
    DEFAULT_APPLICATION_SORT,
    ApplicationFilters,
    ParticipationFilters,
)

S = ApplicationState
YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]
_YES_NO_VALUES = {"yes": True, "no": False}


class ErrorLinksMixin:
    """The error summary's links: each error points at the control to fix (the first
    radio, or the first wrong part of a date)."""

    def error_links(self) -> list[tuple[str, str]]:
        links = []
        fields = [bf for bf in self if not bf.is_hidden]
        first_id = fields[0].auto_id if fields else ""
        for error in self.non_field_errors():
            links.append((first_id, error))
        for bound in fields:
            anchor = getattr(bound, "anchor", bound.auto_id)
            for error in bound.errors:
                links.append((anchor, error))
        return links


def _with_messages(form: forms.Form, messages: dict[str, str]) -> None:
    for name, message in messages.items():
        if name in form.fields:
            form.fields[name].error_messages["invalid_choice"] = message


# ---------------------------------------------------------------------------
# Cohorts


class CohortYearForm(ErrorLinksMixin, forms.Form):
    """Which year's cohorts to show (and, for national admins, which hub)."""

    year = forms.ChoiceField(label="Academic year", required=False)
    hub = forms.ChoiceField(label="Maths Hub", required=False)

    def __init__(
        self,
        data=None,
        *,
        years: list[AcademicYear],
        hubs: list[tuple[str, str]],
        current: AcademicYear,
    ):
        super().__init__(data, initial={"year": current.slug})
        self.current = current
        self.years = {y.slug: y for y in years}
        self.fields["year"].choices = [(y.slug, y.label) for y in years]
        if hubs:
            self.fields["hub"].choices = [("", "All hubs"), *hubs]
        else:
            del self.fields["hub"]
        _with_messages(
            self,
            {
                "year": "Select an academic year from the list",
                "hub": "Select a Maths Hub from the list",
            },
        )

    def chosen_year(self) -> AcademicYear:
        """The year asked for, or the current one when none (or a wrong one) is."""
        if self.is_bound:
            self.is_valid()
        slug = (self.cleaned_data.get("year") if self.is_bound else "") or ""
        return self.years.get(slug, self.current)

    def hub_code(self) -> str:
        return (self.cleaned_data.get("hub") if self.is_bound else "") or ""


APPLICATION_SORT_CHOICES = [
    ("state", "State (waiting for a decision first)"),
    ("-state", "State (withdrawn first)"),
    ("school", "School name (A to Z)"),
    ("-school", "School name (Z to A)"),
    ("submitted", "Submitted (oldest first)"),
    ("-submitted", "Submitted (newest first)"),
    ("la", "Local authority (A to Z)"),
    ("-la", "Local authority (Z to A)"),
]


class ApplicationFilterForm(ErrorLinksMixin, forms.Form):
    """The cohort list's filters: a GET form whose choices are what the cohort holds."""

    state = forms.ChoiceField(label="State", required=False)
    priority = forms.ChoiceField(label="Priority", required=False, choices=YES_NO)
    outside_area = forms.ChoiceField(label="Outside the hub's area", required=False, choices=YES_NO)
    la = forms.ChoiceField(label="Local authority", required=False)
    hub = forms.ChoiceField(label="Maths Hub", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=APPLICATION_SORT_CHOICES)

    def __init__(self, data=None, *, las: list[tuple[str, str]], hubs: list[tuple[str, str]]):
        super().__init__(data)
        self.fields["state"].choices = [("", "Any state")] + [
            (state, S(state).label) for state in COHORT_STATES
        ]
        self.fields["la"].choices = [("", "Any local authority")] + [
            (code, f"{name} ({code})" if name else code) for code, name in las
        ]
        if hubs:
            self.fields["hub"].choices = [("", "All hubs"), *hubs]
        else:
            # Only national admins look across hubs; for anyone else a hub in the address
            # is ignored rather than refused.
            del self.fields["hub"]
        _with_messages(
            self,
            {
                "state": "Select a state from the list",
                "priority": "Select yes, no or any for priority",
                "outside_area": "Select yes, no or any for outside the hub's area",
                "la": "Select a local authority from the list",
                "hub": "Select a Maths Hub from the list",
                "sort": "Select an order from the list",
            },
        )

    def filters(self) -> ApplicationFilters:
        """The valid part of what was asked: a field with a bad value is left out (and
        shown with its error), so the list still shows the cohort."""
        data = self.cleaned_data if self.is_bound else {}
        return ApplicationFilters(
            state=data.get("state", ""),
            priority=_YES_NO_VALUES.get(data.get("priority", "")),
            outside_area=_YES_NO_VALUES.get(data.get("outside_area", "")),
            la_code=data.get("la", ""),
            hub_code=data.get("hub", ""),
            sort=data.get("sort") or DEFAULT_APPLICATION_SORT,
        )

    def query_params(self) -> dict[str, str]:
        """The valid, non-empty filters, for links and forms that keep them."""
        data = self.cleaned_data if self.is_bound else {}
        return {name: str(value) for name, value in data.items() if value}


# ---------------------------------------------------------------------------
# The decision

DECISION_LABELS = {
    "accept": "Accept",
    "waitlist": "Put on the waiting list",
    "decline": "Decline",
}
PROMOTE_LABEL = "Promote from the waiting list (accept)"
REASON_REQUIRED = {"waitlist", "decline"}


class DecisionForm(ErrorLinksMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select accept, waitlist or decline",
            "invalid_choice": "Select one of the decisions listed",
        },
    )
    reason = forms.CharField(
        label="Reason",
        help_text="Needed to waitlist or decline. The headteacher sees it in the email we send.",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=2000,
        error_messages={"max_length": "The reason must be 2,000 characters or fewer"},
    )

    def __init__(self, data=None, *, state: str):
        super().__init__(data)
        if state == S.WAITLISTED:
            choices = [("accept", PROMOTE_LABEL), ("decline", DECISION_LABELS["decline"])]
        else:
            choices = list(DECISION_LABELS.items())
        self.fields["decision"].choices = choices

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if decision in REASON_REQUIRED and not cleaned.get("reason", "").strip():
            verb = "waitlist" if decision == "waitlist" else "decline"
            self.add_error("reason", f"Enter the reason to {verb} the application")
        return cleaned


# ---------------------------------------------------------------------------
# GOV.UK date input: three boxes, day, month and year, with errors that say which

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
DATE_PARTS = ("day", "month", "year")


class DateInputWidget(forms.MultiWidget):
    def __init__(self, attrs=None):
        super().__init__(
            widgets={part: forms.TextInput(attrs={"inputmode": "numeric"}) for part in DATE_PARTS},
            attrs=attrs,
        )

    def decompress(self, value):
        if isinstance(value, date):
            return [str(value.day), str(value.month), str(value.year)]
        return [None, None, None]


class DateBoundField(BoundField):
    """A date field's three boxes, each with its value and whether it is the one in error."""

    def _error_parts(self) -> set[str]:
        parts: set[str] = set()
        for error in self.form.errors.as_data().get(self.name, []):
            parts.update((error.params or {}).get("parts", DATE_PARTS))
        return parts

    @property
    def parts(self) -> list[dict]:
        values = self.value()
        if not isinstance(values, list | tuple):
            values = self.field.widget.decompress(values)
        in_error = self._error_parts()
        return [
            {
                "name": f"{self.html_name}_{part}",
                "id": f"{self.auto_id}-{part}",
                "label": part.capitalize(),
                "value": value or "",
                "width": 4 if part == "year" else 2,
                "error": part in in_error,
            }
            for part, value in zip(DATE_PARTS, values, strict=True)
        ]

    @property
    def anchor(self) -> str:
        in_error = self._error_parts()
        first = next((p for p in DATE_PARTS if p in in_error), "day")
        return f"{self.auto_id}-{first}"


class GovukDateField(forms.MultiValueField):
    """A date typed as day, month and year, with GOV.UK's messages for what is wrong."""

    widget = DateInputWidget
    bound_field_class = DateBoundField

    def __init__(self, *, noun: str, **kwargs):
        self.noun = noun
        super().__init__(
            fields=(forms.CharField(), forms.CharField(), forms.CharField()),
            require_all_fields=False,
            error_messages={"required": f"Enter the {noun.lower()}"},
            **kwargs,
        )

    def clean(self, value):
        # The parts are checked together, not one by one as MultiValueField would, so
        # that the message can name every missing part and the box to correct.
        parts = [str(v or "").strip() for v in (value or ["", "", ""])]
        if not any(parts):
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        result = self.compress(parts)
        self.validate(result)
        self.run_validators(result)
        return result

    def compress(self, data_list) -> date:
        day, month, year = data_list
        missing = [part for part, text in zip(DATE_PARTS, data_list, strict=True) if not text]
        if missing:
            raise ValidationError(
                f"{self.noun} must include a {' and '.join(missing)}",
                code="incomplete_date",
                params={"parts": missing},
            )
        month = str(_MONTHS.get(month.lower(), month))
        wrong = [
            part
            for part, text in zip(DATE_PARTS, (day, month, year), strict=True)
            if not (text.isascii() and text.isdigit())
        ]
        if wrong:
            raise ValidationError(
                f"{self.noun} must be a real date", code="invalid_date", params={"parts": wrong}
            )
        if len(year) != 4:
            raise ValidationError(
                f"{self.noun} year must include 4 numbers",
                code="invalid_year",
                params={"parts": ["year"]},
            )
        if not 1 <= int(month) <= 12:
            raise ValidationError(
                f"{self.noun} must be a real date", code="invalid_date", params={"parts": ["month"]}
            )
        try:
            result = date(int(year), int(month), int(day))
        except ValueError:
            raise ValidationError(
                f"{self.noun} must be a real date", code="invalid_date", params={"parts": ["day"]}
            ) from None
        if not 2000 <= result.year <= 2100:
            raise ValidationError(
                f"{self.noun} must be between 2000 and 2100",
                code="out_of_range",
                params={"parts": ["year"]},
            )
        return result


# ---------------------------------------------------------------------------
# Windows


class WindowForm(ErrorLinksMixin, forms.Form):
    """A hub's window for a stage and year. The stage and year are the window's identity:
    they are chosen once, when the window is made, and fixed after."""

    stage = forms.ModelChoiceField(
        label="Stage",
        queryset=ProgrammeStage.objects.order_by("order"),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select the stage",
            "invalid_choice": "Select one of the stages listed",
        },
    )
    year = forms.TypedChoiceField(
        label="Academic year",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select the academic year",
            "invalid_choice": "Select one of the academic years listed",
        },
    )
    opens = GovukDateField(
        noun="Opening date",
        label="Applications open on",
        help_text="For example, 1 3 2026",
    )
    closes = GovukDateField(
        noun="Closing date",
        label="Applications close on",
        help_text="The last day a school can submit. For example, 31 5 2026",
    )
    target_places = forms.IntegerField(
        label="Target number of school places",
        help_text="Between 1 and 500",
        min_value=1,
        max_value=500,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": "Enter the target number of school places",
            "invalid": "Target number of school places must be a whole number, like 14",
            "min_value": "Target number of school places must be 1 or more",
            "max_value": "Target number of school places must be 500 or fewer",
        },
    )

    def __init__(self, data=None, *, hub, instance: ApplicationWindow | None = None):
        self.hub = hub
        self.instance = instance
        initial = {}
        if instance is not None:
            initial = {
                "stage": instance.stage,
                "year": instance.year.start_year,
                "opens": instance.opens,
                "closes": instance.closes,
                "target_places": instance.target_places,
            }
        super().__init__(data, initial=initial)
        current = AcademicYear.objects.current().start_year
        starts = [current, current + 1, current + 2]
        if instance is not None:
            # Its stage and year say which window it is: they are shown, not changed.
            self.fields["stage"].disabled = True
            self.fields["year"].disabled = True
            starts = sorted({*starts, instance.year.start_year})
        self.fields["year"].choices = [
            (start, f"{start}/{(start + 1) % 100:02d}") for start in starts
        ]

    def clean(self):
        cleaned = super().clean()
        opens, closes = cleaned.get("opens"), cleaned.get("closes")
        if opens and closes and closes < opens:
            self.add_error(
                "closes",
                ValidationError(
                    "The closing date must be on or after the opening date",
                    params={"parts": list(DATE_PARTS)},
                ),
            )
        stage, start_year = cleaned.get("stage"), cleaned.get("year")
        if self.instance is None and stage and start_year:
            existing = ApplicationWindow.objects.filter(
                hub=self.hub, stage=stage, year__start_year=start_year
            ).first()
            if existing is not None:
                self.existing_window = existing
                self.add_error(
                    "stage",
                    f"Your hub already has a window for {stage.name} in "
                    f"{existing.year.label}: change that window instead",
                )
        return cleaned

    def academic_year(self) -> AcademicYear:
        year, _ = AcademicYear.objects.get_or_create(start_year=self.cleaned_data["year"])
        return year


# ---------------------------------------------------------------------------
# Participation history

PARTICIPATION_FIRST_YEAR = 2014  # The Maths Hubs programme began in 2014/15.


def _year_label(start: int) -> str:
    return f"{start}/{(start + 1) % 100:02d}"


class ParticipationFilterForm(ErrorLinksMixin, forms.Form):
    q = forms.CharField(
        label="Search by school name or URN",
        max_length=100,
        required=False,
        error_messages={"max_length": "Search must be 100 characters or fewer"},
    )
    stage = forms.ChoiceField(label="Stage", required=False)
    year = forms.TypedChoiceField(label="Academic year", required=False, coerce=int)
    outcome = forms.ChoiceField(label="Outcome", required=False)
    hub = forms.ChoiceField(label="Maths Hub", required=False)

    def __init__(
        self,
        data=None,
        *,
        stages: list[ProgrammeStage],
        years: list[int],
        hubs: list[tuple[str, str]],
    ):
        super().__init__(data)
        self.fields["stage"].choices = [("", "Any stage")] + [(s.code, s.name) for s in stages]
        self.fields["year"].choices = [("", "Any year")] + [(y, _year_label(y)) for y in years]
        self.fields["outcome"].choices = [("", "Any outcome"), *Outcome.choices]
        if hubs:
            self.fields["hub"].choices = [("", "All hubs"), *hubs]
        else:
            del self.fields["hub"]
        _with_messages(
            self,
            {
                "stage": "Select a stage from the list",
                "year": "Select an academic year from the list",
                "outcome": "Select an outcome from the list",
                "hub": "Select a Maths Hub from the list",
            },
        )

    def filters(self) -> ParticipationFilters:
        data = self.cleaned_data if self.is_bound else {}
        return ParticipationFilters(
            search=data.get("q", ""),
            stage_code=data.get("stage", ""),
            start_year=data.get("year") if data.get("year") not in ("", None) else None,
            outcome=data.get("outcome", ""),
            hub_code=data.get("hub", ""),
        )

    def query_params(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_bound else {}
        return {name: str(value) for name, value in data.items() if value not in ("", None)}


class ParticipationRecordForm(ErrorLinksMixin, forms.Form):
    """Record what one school did in a stage and year."""

    urn = forms.CharField(
        label="School URN",
        help_text="6 digits, for example 123456",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={"required": "Enter the school's URN"},
    )
    stage = forms.ModelChoiceField(
        label="Stage",
        queryset=ProgrammeStage.objects.order_by("order"),
        to_field_name="code",
        empty_label="Choose a stage",
        error_messages={
            "required": "Select the stage",
            "invalid_choice": "Select one of the stages listed",
        },
    )
    year = forms.TypedChoiceField(
        label="Academic year",
        coerce=int,
        error_messages={
            "required": "Select the academic year",
            "invalid_choice": "Select one of the academic years listed",
        },
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select completed, did not complete or withdrawn",
            "invalid_choice": "Select completed, did not complete or withdrawn",
        },
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "The note must be 1,000 characters or fewer"},
    )

    def __init__(self, data=None, *, user, prefix: str | None = None):
        super().__init__(data, prefix=prefix)
        self.user = user
        current = AcademicYear.objects.current().start_year
        self.fields["year"].choices = [("", "Choose a year")] + [
            (start, _year_label(start))
            for start in range(current, PARTICIPATION_FIRST_YEAR - 1, -1)
        ]

    def clean_urn(self) -> School:
        text = re.sub(r"\s", "", self.cleaned_data["urn"])
        if not (text.isascii() and text.isdigit() and len(text) == 6):
            raise ValidationError("Enter a URN of 6 digits, like 123456")
        school = School.objects.visible_to(self.user).select_related("hub").filter(urn=text).first()
        if school is None:
            raise ValidationError(f"No school with URN {text} is in your hub's area")
        return school

    def academic_year(self) -> AcademicYear:
        year, _ = AcademicYear.objects.get_or_create(start_year=self.cleaned_data["year"])
        return year


MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# How files that are not text start: zip (xlsx, docx, ods), old Office, PDF, images.
_BINARY_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG", b"\xff\xd8\xff")
NOT_A_CSV = (
    "The selected file must be a CSV. If it is a spreadsheet, save it as "
    "CSV (comma delimited) and upload that"
)


class ParticipationUploadForm(ErrorLinksMixin, forms.Form):
    file = forms.FileField(
        label="Upload a CSV file",
        help_text="A CSV file smaller than 2 MB with the columns URN, stage, year and outcome.",
        error_messages={
            "required": "Select a CSV file",
            "empty": "The selected file is empty",
            "invalid": "Select a CSV file",
        },
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError("The selected file must be smaller than 2 MB")
        data = upload.read()
        if not data.strip():
            raise ValidationError("The selected file is empty")
        head = data[:8192]
        if data.startswith(_BINARY_SIGNATURES) or b"\x00" in head:
            raise ValidationError(NOT_A_CSV)
        return data


class CohortFilterForm(ErrorLinksMixin, forms.Form):
    """Filters of the cohort page: placed in a group or not, and the order."""

    placed = forms.ChoiceField(
        label="Work group",
        required=False,
        choices=[("", "All schools"), ("yes", "In a group"), ("no", "Not in a group yet")],
        error_messages={"invalid_choice": "Select a work group option from the list"},
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[
            ("school", "School (A to Z)"),
            ("-school", "School (Z to A)"),
            ("group", "Work group"),
            ("-group", "Work group (last first)"),
        ],
        error_messages={"invalid_choice": "Select an order from the list"},
    )
