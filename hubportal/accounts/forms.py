"""Forms for inviting people and for taking up an invitation."""

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from hubportal.accounts.models import Invitation, Role, User
from hubportal.accounts.roles import active_membership
from hubportal.accounts.services import roles_invitable_by
from schools.models import Hub, School

ROLE_HINTS = {
    Role.HUB_LEAD: "Runs a Maths Hub: its schools, programme, money and people.",
    Role.HEADTEACHER: "Applies for the programme for their school and makes funding claims.",
    Role.SPECIALIST: "Leads work groups and logs their meetings' attendance.",
}


class InvitationForm(forms.Form):
    """Who to invite, and to which role and place.

    The choices are those the person inviting may give: a hub lead invites
    headteachers and specialists of their own hub; a national admin also invites hub
    leads, and picks the hub. Schools are entered by URN, checked against the schools
    the inviter can see, rather than picked from a list of thousands."""

    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        error_messages={"required": "Enter the person's full name"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    email = forms.EmailField(
        label="Email address",
        help_text="The invitation link is sent here, and the person signs in with it.",
        error_messages={
            "required": "Enter the person's email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(
        label="Role",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select the role to invite the person to",
            "invalid_choice": "Select one of the roles you can invite people to",
        },
    )
    hub = forms.ModelChoiceField(
        label="Maths Hub",
        queryset=Hub.objects.none(),
        required=False,
        empty_label="Choose a hub",
        help_text="Needed for a hub lead or a Mastery Specialist.",
        error_messages={"invalid_choice": "Select one of the hubs listed"},
    )
    school_urn = forms.CharField(
        label="School URN",
        required=False,
        max_length=6,
        help_text=(
            "The school's 6-digit unique reference number. Needed for a headteacher; "
            "optional for a Mastery Specialist (their own school)."
        ),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.acting_as = active_membership(actor)
        self.school: School | None = None
        self.fields["role"].choices = [
            (role, Role(role).label) for role in roles_invitable_by(actor)
        ]
        if self.acting_as is not None and self.acting_as.role == Role.NATIONAL_ADMIN:
            self.fields["hub"].queryset = Hub.objects.visible_to(actor)
        else:
            # A hub lead invites to their own hub only: nothing to choose.
            del self.fields["hub"]
            self.fields["school_urn"].help_text = (
                f"The school's 6-digit unique reference number; it must be a school in "
                f"{self.acting_as.hub.name if self.acting_as else 'your hub'}. Needed for a "
                "headteacher; optional for a Mastery Specialist (their own school)."
            )

    def role_options(self):
        """The role radios with their hints, for the template."""
        current = self["role"].value()
        return [
            {"value": value, "label": label, "hint": ROLE_HINTS.get(value, "")}
            | {"checked": value == current}
            for value, label in self.fields["role"].choices
        ]

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_school_urn(self) -> School | None:
        urn = self.cleaned_data["school_urn"].strip()
        if not urn:
            return None
        if not (urn.isascii() and urn.isdigit() and len(urn) == 6):
            raise ValidationError("Enter a URN of 6 digits, like 100000")
        school = School.objects.visible_to(self.actor).filter(urn=int(urn)).first()
        if school is None:
            if self.acting_as is not None and self.acting_as.role == Role.HUB_LEAD:
                raise ValidationError(f"No school in {self.acting_as.hub.name} has URN {urn}")
            raise ValidationError(f"No school has URN {urn}")
        if not school.is_open:
            raise ValidationError(f"{school.name} ({urn}) is closed")
        self.school = school
        return school

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        school = cleaned.get("school_urn")
        hub = cleaned.get("hub")
        urn_ok = "school_urn" not in self.errors
        hub_ok = "hub" not in self.errors
        if role == Role.HEADTEACHER:
            if school is None and urn_ok:
                self.add_error("school_urn", "Enter the URN of the headteacher's school")
            elif school is not None and hub is not None and school.hub_id != hub.pk:
                self.add_error("hub", f"{school.name} is not in {hub.name}: leave the hub empty")
        elif role == Role.HUB_LEAD:
            if hub is None and hub_ok:
                self.add_error("hub", "Select the hub the hub lead will run")
            if school is not None:
                self.add_error("school_urn", "Leave the URN empty: a hub lead runs a hub")
        elif role == Role.SPECIALIST and "hub" in self.fields:
            if hub is None and hub_ok and (school is None or school.hub is None):
                self.add_error("hub", "Select the Mastery Specialist's hub")
            elif hub is not None and school is not None and school.hub_id != hub.pk:
                self.add_error("school_urn", f"{school.name} is not in {hub.name}")
        return cleaned


class InvitationAcceptForm(forms.Form):
    """The person invited gives their name and, for a new account, a password."""

    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        help_text="As colleagues and the hub know you.",
        error_messages={"required": "Enter your full name"},
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    password1 = forms.CharField(
        label="Create a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter a password"},
    )
    password2 = forms.CharField(
        label="Confirm your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter the password again to confirm it"},
    )

    def __init__(self, *args, invitation: Invitation, needs_password: bool = True, **kwargs):
        kwargs.setdefault("initial", {"full_name": invitation.full_name})
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        if needs_password:
            self.fields[
                "password1"
            ].help_text = password_validation.password_validators_help_text_html()
        else:
            del self.fields["password1"]
            del self.fields["password2"]

    def clean(self):
        cleaned = super().clean()
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The passwords do not match")
        if password1:
            # The validators compare the password with the person's name and email.
            person = User(email=self.invitation.email, full_name=cleaned.get("full_name") or "")
            try:
                password_validation.validate_password(password1, person)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned
