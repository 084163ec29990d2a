"""The headteacher replaces a teacher who takes part in a work group.

The form checks what was typed and says what to do in GOV.UK style; the change
itself is ``services.participant_replace``."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from workgroups.forms.headteacher import TRNField
from workgroups.forms.hub import ErrorLinksMixin
from workgroups.models import Participant, trn_validator

REPLACE_FIELDS = ("name", "email", "job_role", "is_maths_lead", "trn")


class ParticipantReplaceForm(ErrorLinksMixin, forms.Form):
    name = forms.CharField(
        label="Full name",
        max_length=150,
        error_messages={
            "required": "Enter the teacher's full name",
            "max_length": "The full name must be 150 characters or fewer",
        },
    )
    email = forms.EmailField(
        label="Email address",
        help_text="Meeting reminders are sent to this address",
        max_length=254,
        error_messages={
            "required": "Enter the teacher's email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "The email address must be 254 characters or fewer",
        },
    )
    job_role = forms.CharField(
        label="Role in school",
        help_text="For example, Year 3 class teacher",
        max_length=100,
        error_messages={
            "required": "Enter the teacher's role in school",
            "max_length": "The role must be 100 characters or fewer",
        },
    )
    is_maths_lead = forms.BooleanField(
        label="This teacher is the school's maths lead", required=False
    )
    trn = TRNField(
        label="Teacher reference number (TRN) (optional)",
        help_text="7 digits, for example 1234567",
        required=False,
        validators=[
            RegexValidator(
                trn_validator.regex,
                "Enter the TRN as exactly 7 digits, like 1234567, or leave it empty",
            )
        ],
    )

    def __init__(self, data=None, *, participant: Participant, others: list[Participant], **kwargs):
        self.participant = participant
        self.others = others
        kwargs.setdefault("initial", {name: getattr(participant, name) for name in REPLACE_FIELDS})
        super().__init__(data, **kwargs)

    def clean(self):
        cleaned = super().clean()
        email = (cleaned.get("email") or "").strip().lower()
        if email and any(other.email.strip().lower() == email for other in self.others):
            self.add_error(
                "email",
                "This email address belongs to your school's other teacher in the group: "
                "enter the new teacher's own address",
            )
        stage = self.participant.application.stage
        if (
            stage.requires_maths_lead
            and not cleaned.get("is_maths_lead")
            and not any(other.is_maths_lead for other in self.others)
        ):
            self.add_error(
                "is_maths_lead",
                f"One of your teachers must be the school's maths lead for {stage.name}: "
                "tick the box if this teacher is the maths lead",
            )
        return cleaned

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in REPLACE_FIELDS}
