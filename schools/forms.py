"""The school directory's filter form: a GET form whose choices are the values
the person can actually find."""

from django import forms

from schools.selectors import DEFAULT_SORT, DirectoryFilters, DirectoryOptions

SORT_CHOICES = [
    ("name", "Name (A to Z)"),
    ("-name", "Name (Z to A)"),
    ("urn", "URN (lowest first)"),
    ("-urn", "URN (highest first)"),
    ("la", "Local authority (A to Z)"),
    ("-la", "Local authority (Z to A)"),
    ("phase", "Phase (A to Z)"),
    ("-phase", "Phase (Z to A)"),
    ("status", "Status (A to Z)"),
    ("-status", "Status (Z to A)"),
    ("pupils", "Pupils (fewest first)"),
    ("-pupils", "Pupils (most first)"),
]


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(
        label="Search by school name, URN or postcode",
        help_text="For example, Oakfield, 100000 or M1 1AA",
        max_length=100,
        required=False,
        strip=True,
    )
    la = forms.ChoiceField(label="Local authority", required=False)
    phase = forms.ChoiceField(label="Phase", required=False)
    status = forms.ChoiceField(label="Status", required=False)
    type = forms.ChoiceField(label="Type", required=False)
    hub = forms.ChoiceField(label="Maths Hub", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=SORT_CHOICES)

    # Messages that say what to do, as the GOV.UK design system asks.
    error_messages_by_field = {
        "la": "Select a local authority from the list",
        "phase": "Select a phase from the list",
        "status": "Select a status from the list",
        "type": "Select a type from the list",
        "hub": "Select a Maths Hub from the list",
        "sort": "Select an order from the list",
    }

    def __init__(self, data=None, *, options: DirectoryOptions, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["q"].error_messages["max_length"] = (
            "Search must be %(limit_value)d characters or fewer"
        )
        self.fields["la"].choices = [("", "Any local authority")] + [
            (code, f"{name} ({code})" if name else code) for code, name in options.las
        ]
        self.fields["phase"].choices = [("", "Any phase")] + [(v, v) for v in options.phases]
        self.fields["status"].choices = [("", "Any status")] + [(v, v) for v in options.statuses]
        self.fields["type"].choices = [("", "Any type")] + [(v, v) for v in options.types]
        if options.hubs:
            self.fields["hub"].choices = [("", "Any hub")] + [
                (code, name) for code, name in options.hubs
            ]
        else:
            # Only national admins look across hubs; for anyone else a hub in the
            # address is ignored rather than refused.
            del self.fields["hub"]
        for name, message in self.error_messages_by_field.items():
            if name in self.fields:
                self.fields[name].error_messages["invalid_choice"] = message

    def filters(self) -> DirectoryFilters:
        """The valid part of what was asked: a field with a bad value is left out
        (and shown with its error), so the page still lists schools."""
        data = self.cleaned_data if self.is_bound else {}
        return DirectoryFilters(
            search=data.get("q", ""),
            la_code=data.get("la", ""),
            phase=data.get("phase", ""),
            status=data.get("status", ""),
            type_name=data.get("type", ""),
            hub_code=data.get("hub", ""),
            sort=data.get("sort") or DEFAULT_SORT,
        )

    def query_params(self) -> dict[str, str]:
        """The valid, non-empty filters, for links that keep them (pages, sorting)."""
        data = self.cleaned_data if self.is_bound else {}
        return {name: str(value) for name, value in data.items() if value}
