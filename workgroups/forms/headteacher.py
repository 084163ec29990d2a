"""The forms of the headteacher's application: one per task-list section, the
declaration and the withdrawal.

Each section form checks what the person typed and says what to do in GOV.UK
style; saving is the services' job. Field names match the application's answer
fields, so a section form's cleaned data is the answers it saves."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from workgroups.models import Application, ProgrammeStage, trn_validator

ACTION_PLAN_MAX_LENGTH = 2000
WITHDRAW_REASON_MAX_LENGTH = 2000


def _normalise_newlines(text: str) -> str:
    # Browsers send line breaks as CRLF; the character count on the page counts each
    # as one character, so the length limit must too.
    return text.replace("\r\n", "\n")


class SchoolDetailsForm(forms.Form):
    school_details_confirmed = forms.BooleanField(
        label="These details are correct",
        error_messages={"required": "Confirm that your school's details are correct"},
    )
    contact_name = forms.CharField(
        label="Your name",
        max_length=150,
        error_messages={
            "required": "Enter your name",
            "max_length": "Your name must be 150 characters or fewer",
        },
    )
    contact_role = forms.CharField(
        label="Your role in the school",
        help_text="For example, headteacher or deputy headteacher",
        max_length=100,
        error_messages={
            "required": "Enter your role in the school",
            "max_length": "Your role must be 100 characters or fewer",
        },
    )

    def __init__(self, data=None, *, application: Application, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "school_details_confirmed": application.school_details_confirmed,
                "contact_name": application.contact_name,
                "contact_role": application.contact_role,
            },
        )
        super().__init__(data, **kwargs)

    def answers(self) -> dict:
        return dict(self.cleaned_data)


def commitment_labels(stage: ProgrammeStage) -> dict[str, str]:
    """What the school commits to, by answer field, as the form and the answers show it."""
    return {
        "commit_release_teachers": (
            f"The school will release its {_count(stage.participants_per_school)} "
            "participating teachers for every meeting and visit"
        ),
        "commit_headteacher_attends": stage.headteacher_commitment,
        "commit_reports": "The school will provide the reports the hub asks for",
    }


class CommitmentsForm(forms.Form):
    """Each commitment is required: a school that cannot make one cannot take part."""

    commit_release_teachers = forms.BooleanField(
        error_messages={
            "required": "Confirm the school will release its teachers for every meeting and visit"
        },
    )
    commit_headteacher_attends = forms.BooleanField()
    commit_reports = forms.BooleanField(
        error_messages={"required": "Confirm the school will provide the reports the hub asks for"},
    )

    def __init__(self, data=None, *, application: Application, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "commit_release_teachers": application.commit_release_teachers,
                "commit_headteacher_attends": application.commit_headteacher_attends,
                "commit_reports": application.commit_reports,
            },
        )
        super().__init__(data, **kwargs)
        for name, label in commitment_labels(application.stage).items():
            self.fields[name].label = label
        # The stage says what its headteacher attends, so the message is built from it.
        attends = application.stage.headteacher_commitment
        self.fields["commit_headteacher_attends"].error_messages = {
            **self.fields["commit_headteacher_attends"].error_messages,
            "required": f"Confirm that {attends[:1].lower()}{attends[1:]}",
        }

    def answers(self) -> dict:
        return dict(self.cleaned_data)


class ActionPlanForm(forms.Form):
    action_plan_priorities = forms.CharField(
        label="What are your school's priorities for its action plan?",
        help_text=(
            "Say what the school most wants to improve in maths teaching this year, for "
            "example fluency in number facts or pupils explaining their reasoning. You will "
            "draw up the full plan with your Mastery Readiness Lead."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=ACTION_PLAN_MAX_LENGTH,
        error_messages={
            "required": "Enter your action-plan priorities",
            "max_length": "Your action-plan priorities must be 2,000 characters or fewer",
        },
    )

    def __init__(self, data=None, *, application: Application, **kwargs):
        kwargs.setdefault("initial", {"action_plan_priorities": application.action_plan_priorities})
        if data is not None:
            data = data.copy()
            data["action_plan_priorities"] = _normalise_newlines(
                data.get("action_plan_priorities", "")
            )
        super().__init__(data, **kwargs)

    def answers(self) -> dict:
        return dict(self.cleaned_data)


class TRNField(forms.CharField):
    """A TRN, with the spaces people type when copying one taken out."""

    def to_python(self, value):
        return "".join(super().to_python(value).split())


PARTICIPANT_FIELDS = ("name", "email", "job_role", "is_maths_lead", "trn")


class ParticipantsForm(forms.Form):
    """The teachers the school names, as many as the stage asks for.

    Fields are named ``participant_<position>_<field>`` so each participant's
    answers stay in their own fieldset and each error sits beside its field."""

    def __init__(self, data=None, *, application: Application, **kwargs):
        self.stage: ProgrammeStage = application.stage
        self.count = self.stage.participants_per_school
        existing = {p.position: p for p in application.participants.all()}
        initial = {}
        for position, participant in existing.items():
            for name in PARTICIPANT_FIELDS:
                initial[self.field_name(position, name)] = getattr(participant, name)
        kwargs.setdefault("initial", initial)
        super().__init__(data, **kwargs)
        for position in self.positions:
            self._add_fields(position)

    @property
    def count_words(self) -> str:
        return _count(self.count)

    @property
    def positions(self) -> range:
        return range(1, self.count + 1)

    @staticmethod
    def field_name(position: int, name: str) -> str:
        return f"participant_{position}_{name}"

    def _add_fields(self, position: int) -> None:
        who = f"participant {position}"
        self.fields[self.field_name(position, "name")] = forms.CharField(
            label="Full name",
            max_length=150,
            error_messages={
                "required": f"Enter {who}'s full name",
                "max_length": f"The full name of {who} must be 150 characters or fewer",
            },
        )
        self.fields[self.field_name(position, "email")] = forms.EmailField(
            label="Email address",
            help_text="Meeting reminders are sent to this address",
            max_length=254,
            error_messages={
                "required": f"Enter {who}'s email address",
                "invalid": (
                    f"Enter {who}'s email address in the correct format, like name@example.com"
                ),
                "max_length": f"The email address of {who} must be 254 characters or fewer",
            },
        )
        self.fields[self.field_name(position, "job_role")] = forms.CharField(
            label="Role in school",
            help_text="For example, Year 3 class teacher",
            max_length=100,
            error_messages={
                "required": f"Enter {who}'s role in school",
                "max_length": f"The role of {who} must be 100 characters or fewer",
            },
        )
        self.fields[self.field_name(position, "is_maths_lead")] = forms.BooleanField(
            label="This teacher is the school's maths lead", required=False
        )
        self.fields[self.field_name(position, "trn")] = TRNField(
            label="Teacher reference number (TRN) (optional)",
            help_text="7 digits, for example 1234567",
            required=False,
            validators=[RegexValidator(trn_validator.regex, _trn_message(position))],
        )

    def clean(self):
        cleaned = super().clean()
        seen: dict[str, int] = {}
        for position in self.positions:
            key = self.field_name(position, "email")
            email = (cleaned.get(key) or "").strip().lower()
            if not email:
                continue
            if email in seen:
                self.add_error(
                    key,
                    f"Participant {position}'s email address must be different from "
                    f"participant {seen[email]}'s",
                )
            else:
                seen[email] = position

        if self.stage.requires_maths_lead and not any(
            cleaned.get(self.field_name(p, "is_maths_lead")) for p in self.positions
        ):
            self.add_error(
                self.field_name(1, "is_maths_lead"),
                f"One of the participants must be the school's maths lead for "
                f"{self.stage.name}: tick the box for the maths lead",
            )
        return cleaned

    def fieldsets(self) -> list[dict]:
        """Each participant's bound fields, for the template."""
        return [
            {
                "position": position,
                **{name: self[self.field_name(position, name)] for name in PARTICIPANT_FIELDS},
            }
            for position in self.positions
        ]

    def participants(self) -> list[dict]:
        """The cleaned answers, in the shape ``application_set_participants`` takes."""
        return [
            {
                name: self.cleaned_data[self.field_name(position, name)]
                for name in PARTICIPANT_FIELDS
            }
            for position in self.positions
        ]


def _trn_message(position: int) -> str:
    return (
        f"Enter participant {position}'s TRN as exactly 7 digits, like 1234567, or leave it empty"
    )


def _count(number: int) -> str:
    words = {1: "one", 2: "two", 3: "three", 4: "four"}
    return words.get(number, str(number))


SECTION_FORMS: dict[str, type[forms.Form]] = {
    "school": SchoolDetailsForm,
    "commitments": CommitmentsForm,
    "participants": ParticipantsForm,
    "action_plan": ActionPlanForm,
}


class DeclarationForm(forms.Form):
    # Not required here: the submit service refuses a missing declaration, and its
    # message is the one shown, beside the box.
    declaration = forms.BooleanField(
        label="I confirm the school will meet these commitments and the information is correct",
        required=False,
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is the school withdrawing?",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=WITHDRAW_REASON_MAX_LENGTH,
        required=False,
        error_messages={
            "max_length": "The reason must be 2,000 characters or fewer",
        },
    )

    def __init__(self, data=None, *, reason_required: bool, **kwargs):
        if data is not None:
            data = data.copy()
            data["reason"] = _normalise_newlines(data.get("reason", ""))
        super().__init__(data, **kwargs)
        self.reason_required = reason_required
        field = self.fields["reason"]
        if reason_required:
            field.required = True
            field.error_messages["required"] = (
                "Enter why the school is withdrawing after acceptance"
            )
            field.help_text = "The hub has accepted the application, so it needs to know why."
        else:
            field.label = "Why is the school withdrawing? (optional)"
