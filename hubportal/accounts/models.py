"""People, the roles they hold, and the invitations that bring them in."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    HUB_LEAD = "hub_lead", "Hub lead"
    HEADTEACHER = "headteacher", "Headteacher"
    SPECIALIST = "specialist", "Mastery Specialist"
    NATIONAL_ADMIN = "national_admin", "National admin"


# Roles whose holders manage money and people: they must use two-factor sign-in.
STAFF_ROLES = frozenset({Role.HUB_LEAD, Role.NATIONAL_ADMIN})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Email is the login; roles come from memberships."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    # is_staff opens the Django admin; only national admins get it.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class MembershipQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user).select_related("hub", "school")


class Membership(models.Model):
    """One role a person holds: hub lead of a hub, headteacher of a school,
    Mastery Specialist with their hub and own school, or national admin."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    hub = models.ForeignKey(
        "schools.Hub", null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    school = models.ForeignKey(
        "schools.School",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["user", "role"]
        constraints = [
            models.CheckConstraint(
                name="membership_role_has_its_place",
                condition=(
                    Q(role=Role.HUB_LEAD, hub__isnull=False, school__isnull=True)
                    | Q(role=Role.HEADTEACHER, school__isnull=False, hub__isnull=True)
                    | Q(role=Role.SPECIALIST, hub__isnull=False)
                    | Q(role=Role.NATIONAL_ADMIN, hub__isnull=True, school__isnull=True)
                ),
            ),
            # One membership per role and place (partial indexes: NULL places never collide).
            models.UniqueConstraint(
                fields=["user", "hub"],
                condition=Q(role=Role.HUB_LEAD),
                name="membership_one_hub_lead_per_hub",
            ),
            models.UniqueConstraint(
                fields=["user", "school"],
                condition=Q(role=Role.HEADTEACHER),
                name="membership_one_headteacher_per_school",
            ),
            models.UniqueConstraint(
                fields=["user", "hub"],
                condition=Q(role=Role.SPECIALIST),
                name="membership_one_specialist_per_hub",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role=Role.NATIONAL_ADMIN),
                name="membership_one_national_admin",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} — {self.place_name}"

    @property
    def place_name(self) -> str:
        if self.role == Role.HEADTEACHER:
            return self.school.name
        if self.role in (Role.HUB_LEAD, Role.SPECIALIST):
            return self.hub.name
        return "All hubs"

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Invitations a person may see: the ones they sent, or, for a national
        admin, all of them."""
        from hubportal.accounts.roles import active_membership

        membership = active_membership(user)
        if membership is None:
            return self.none()
        if membership.role == Role.NATIONAL_ADMIN:
            return self.all()
        if membership.role == Role.HUB_LEAD:
            return self.filter(hub=membership.hub)
        return self.none()

    def waiting(self):
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())

    def accepted(self):
        return self.filter(accepted_at__isnull=False)

    def expired(self):
        return self.filter(accepted_at__isnull=True, expires_at__lte=timezone.now())


class Invitation(models.Model):
    """A single-use link that lets a named person set a password and take a role.

    Only a hash of the token is stored, so a database reader cannot use it."""

    email = models.EmailField()
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices)
    hub = models.ForeignKey("schools.Hub", null=True, blank=True, on_delete=models.CASCADE)
    school = models.ForeignKey("schools.School", null=True, blank=True, on_delete=models.CASCADE)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # When the invitation mail went out: a retried send task finds it set and stops.
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["token_hash"])

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} as {self.get_role_display()}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @staticmethod
    def hash_token(token: str) -> str:
        return _hash_token(token)

    @staticmethod
    def default_expiry():
        return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_used(self) -> bool:
        return self.accepted_at is not None

    @property
    def status(self) -> str:
        if self.is_used:
            return "Accepted"
        if self.is_expired:
            return "Expired"
        return "Waiting"


class SupportSessionEnd(models.TextChoices):
    STOPPED = "stopped", "Stopped by the viewer"
    SIGNED_OUT = "signed_out", "Viewer signed out"
    EXPIRED = "expired", "Ended after 30 minutes"
    REPLACED = "replaced", "Viewer started another"
    REVOKED = "revoked", "No longer allowed"


class SupportSession(models.Model):
    """One "view as": who looked at the portal as whom, in which role, and how it ended.

    Rows are written only by hubportal.accounts.support (support_start and support_stop);
    the role and place are copied at the start so the record still reads true if the
    membership is later removed."""

    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    place = models.CharField(max_length=200)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_how = models.CharField(max_length=20, choices=SupportSessionEnd.choices, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            # A viewer looks through one person's eyes at a time.
            models.UniqueConstraint(
                fields=["viewer"],
                condition=Q(ended_at__isnull=True),
                name="support_session_one_open_per_viewer",
            ),
            models.CheckConstraint(
                name="support_session_ended_says_how",
                condition=Q(ended_at__isnull=True, ended_how="")
                | (Q(ended_at__isnull=False) & ~Q(ended_how="")),
            ),
            models.CheckConstraint(
                name="support_session_ends_after_it_starts",
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
            ),
            models.CheckConstraint(
                name="support_session_not_oneself",
                condition=~Q(viewer=models.F("target")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.viewer} viewing as {self.target} ({self.get_role_display()}, {self.place})"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None
