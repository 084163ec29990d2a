"""Every change to invitations: create one, send its mail, accept it.

People join the portal only by invitation (sign-up is closed). A hub lead invites
headteachers and Mastery Specialists of their own hub; a national admin invites hub
leads, and headteachers and specialists of any hub. The link carries a random token;
the database keeps only its hash, and the link works once, for INVITATION_VALID_DAYS.
"""

from __future__ import annotations

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hubportal.accounts import tasks
from hubportal.accounts.models import Invitation, Membership, Role, User
from hubportal.accounts.roles import active_membership
from hubportal.mail import send_templated_mail
from schools.models import Hub, School

# Which roles each acting role may invite. National admins are made in the Django
# admin, never by invitation.
INVITABLE_ROLES: dict[str, tuple[str, ...]] = {
    Role.HUB_LEAD: (Role.HEADTEACHER, Role.SPECIALIST),
    Role.NATIONAL_ADMIN: (Role.HUB_LEAD, Role.HEADTEACHER, Role.SPECIALIST),
}


class InvitationError(Exception):
    """An invitation link that cannot be used. The message is for the person holding it."""

    status = 404
    title = "This invitation link does not work"


class InvitationNotFound(InvitationError):
    pass


class InvitationExpired(InvitationError):
    status = 410
    title = "This invitation has expired"


class InvitationUsed(InvitationError):
    status = 410
    title = "This invitation has already been used"


class InvitationAccountClosed(InvitationError):
    status = 403
    title = "Your account is closed"


def roles_invitable_by(actor: User) -> tuple[str, ...]:
    """The roles the person may invite, acting in their current role."""
    membership = active_membership(actor)
    if membership is None:
        return ()
    return INVITABLE_ROLES.get(membership.role, ())


def invitation_create(
    *,
    actor: User,
    email: str,
    full_name: str,
    role: str,
    hub: Hub | None = None,
    school: School | None = None,
) -> tuple[Invitation, str]:
    """Invite a person to take a role, and mail them the link once the invitation is saved.

    Returns the invitation and the token of its link (shown nowhere else: only its
    hash is stored). Raises PermissionDenied when the actor may not invite that role
    to that place, and ValidationError for missing or inconsistent details."""
    membership = active_membership(actor)
    if role not in roles_invitable_by(actor):
        raise PermissionDenied("Your role cannot invite people to that role.")
    email = (email or "").strip().lower()
    full_name = (full_name or "").strip()
    errors = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter an email address in the correct format, like name@example.org"]
    if not full_name:
        errors["full_name"] = ["Enter the person's full name"]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        hub, school = _place_for(
            actor=actor, role=role, acting_as=membership, hub=hub, school=school
        )
        existing = user_for_email(email)
        if existing is not None and _find_membership(existing, role, hub, school) is not None:
            raise ValidationError({"email": [f"{email} already holds this role."]})

        # A fresh invitation replaces any still waiting for the same person and place,
        # so only the newest link works.
        now = timezone.now()
        superseded = Invitation.objects.select_for_update().filter(
            email__iexact=email, role=role, hub=hub, school=school, accepted_at__isnull=True
        )
        for earlier in superseded.filter(expires_at__gt=now):
            earlier.expires_at = now
            earlier._history_user = actor
            earlier.save(update_fields=["expires_at"])

        token, token_hash = Invitation.new_token()
        invitation = Invitation(
            email=email,
            full_name=full_name,
            role=role,
            hub=hub,
            school=school,
            token_hash=token_hash,
            invited_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        invitation._history_user = actor
        invitation.save()
        invitation_id = invitation.pk
        # robust: a broker or mail server that is down must not turn a saved invitation
        # into an error page; the list shows it as not sent yet.
        transaction.on_commit(
            lambda: tasks.send_invitation_email.delay(invitation_id, token), robust=True
        )
    return invitation, token


def _place_for(
    *, actor: User, role: str, acting_as: Membership, hub: Hub | None, school: School | None
) -> tuple[Hub | None, School | None]:
    """The hub and school an invitation is for, checked against what the actor may see.

    A headteacher invitation also records the school's hub, so that the hub's leads
    see it in their list."""
    if school is not None:
        if not School.objects.visible_to(actor).filter(pk=school.pk).exists():
            raise PermissionDenied("You cannot invite people to that school.")
        if not school.is_open:
            raise ValidationError({"school": ["That school is closed."]})
    if hub is not None and not Hub.objects.visible_to(actor).filter(pk=hub.pk).exists():
        raise PermissionDenied("You cannot invite people to that hub.")

    if role == Role.HEADTEACHER:
        if school is None:
            raise ValidationError({"school": ["Enter the URN of the headteacher's school"]})
        if hub is not None and hub.pk != school.hub_id:
            raise ValidationError({"school": ["That school is not in the hub chosen."]})
        return school.hub, school

    if role == Role.SPECIALIST:
        if hub is None:
            if acting_as.role == Role.HUB_LEAD:
                hub = acting_as.hub
            elif school is not None and school.hub is not None:
                hub = school.hub
            else:
                raise ValidationError({"hub": ["Select the Mastery Specialist's hub"]})
        if school is not None and school.hub_id != hub.pk:
            raise ValidationError({"school": ["The specialist's own school must be in their hub."]})
        return hub, school

    if role == Role.HUB_LEAD:
        if hub is None:
            raise ValidationError({"hub": ["Select the hub the hub lead will run"]})
        if school is not None:
            raise ValidationError({"school": ["A hub lead is invited to a hub, not to a school."]})
        return hub, None

    raise PermissionDenied("That role cannot be given by invitation.")


def invitation_send(*, invitation_id: int, token: str) -> bool:
    """Mail an invitation its link. Returns False, sending nothing, when there is nothing
    to do: the invitation is gone, used, expired, already mailed, or the token is not its own.

    The row stays locked while the mail goes out, so two runs of the task cannot both
    send it; a run that dies after sending and before committing sends it again (at
    least once, never lost)."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
        if (
            invitation is None
            or invitation.is_used
            or invitation.is_expired
            or invitation.sent_at is not None
            or invitation.token_hash != Invitation.hash_token(token)
        ):
            return False
        send_templated_mail(
            to=[invitation.email],
            template="invitation",
            context={
                "invitation": invitation,
                "accept_url": settings.SITE_URL.rstrip("/")
                + reverse("invitations:accept", args=[token]),
                "place": _place_name(invitation),
                "invited_by": invitation.invited_by,
                "valid_days": settings.INVITATION_VALID_DAYS,
            },
        )
        invitation.sent_at = timezone.now()
        # The mail job acts for nobody: the history names the job, not a person (nor the
        # person whose request happened to run the job in-process).
        invitation._history_user = None
        invitation._change_reason = "Invitation mail sent"
        invitation.save(update_fields=["sent_at"])
    return True


def _place_name(invitation: Invitation) -> str:
    if invitation.role == Role.HEADTEACHER:
        return invitation.school.name
    if invitation.hub is not None:
        return invitation.hub.name
    return "all hubs"


def invitation_for_token(token: str) -> Invitation:
    """The invitation a link is for, if it can still be accepted; else InvitationError."""
    invitation = Invitation.objects.filter(token_hash=Invitation.hash_token(token)).first()
    _check_usable(invitation)
    return invitation


def _check_usable(invitation: Invitation | None) -> None:
    if invitation is None:
        raise InvitationNotFound(
            "The link may have been copied wrongly, or replaced by a newer invitation. "
            "Check the link in your email, or ask the person who invited you to send a new one."
        )
    if invitation.is_used:
        raise InvitationUsed(
            "Each invitation link works once, and this one has been used. "
            "If you set a password with it, sign in with your email address and that password."
        )
    if invitation.is_expired:
        raise InvitationExpired(
            "Invitation links work for a limited time, and this one has run out. "
            "Ask the person who invited you to send a new invitation."
        )


def invitation_accept(*, token: str, password: str | None, full_name: str = "") -> User:
    """Take up an invitation: the person gets an account (or keeps theirs), a verified
    email address, and the invited role. The link then stops working.

    ``password`` is required for a new account; for someone who already has one it may
    be None, which keeps their password. Raises InvitationError for a link that cannot be
    used, and ValidationError for a password the validators refuse."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(token_hash=Invitation.hash_token(token))
            .first()
        )
        _check_usable(invitation)
        full_name = (full_name or "").strip()
        email = invitation.email.strip().lower()
        user = user_for_email(email)
        if user is None:
            if not password:
                raise ValidationError({"password1": ["Enter a password"]})
            user = User(email=email, full_name=full_name or invitation.full_name)
            validate_password(password, user)
            user.set_password(password)
            user.save()
        else:
            if not user.is_active:
                raise InvitationAccountClosed(
                    "The portal account for this email address has been closed. "
                    "Contact the NCETM to have it reopened."
                )
            if full_name:
                user.full_name = full_name
            if password:
                validate_password(password, user)
                user.set_password(password)
            user.save()
        _mark_email_verified(user, email)
        membership = invitation_membership(user, invitation)
        if membership is None:
            membership = Membership(user=user, role=invitation.role, **_place_of(invitation))
            membership._history_user = user
            membership.save()
        elif (
            invitation.role == Role.SPECIALIST
            and membership.school_id is None
            and invitation.school_id is not None
        ):
            membership.school = invitation.school
            membership._history_user = user
            membership.save(update_fields=["school"])
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation._history_user = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return user


def invitation_membership(user: User, invitation: Invitation) -> Membership | None:
    """The membership of ``user`` that ``invitation`` gives (or gave)."""
    lookup = {"role": invitation.role}
    if invitation.role == Role.HEADTEACHER:
        lookup["school"] = invitation.school
    else:
        lookup["hub"] = invitation.hub
    return Membership.objects.filter(user=user, **lookup).first()


def _place_of(invitation: Invitation) -> dict:
    if invitation.role == Role.HEADTEACHER:
        return {"school": invitation.school}
    if invitation.role == Role.SPECIALIST:
        return {"hub": invitation.hub, "school": invitation.school}
    return {"hub": invitation.hub}


def _find_membership(
    user: User, role: str, hub: Hub | None, school: School | None
) -> Membership | None:
    if role == Role.HEADTEACHER:
        return Membership.objects.filter(user=user, role=role, school=school).first()
    return Membership.objects.filter(user=user, role=role, hub=hub).first()


def user_for_email(email: str) -> User | None:
    """The person who owns an email address, by their login or a verified address."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        address = (
            EmailAddress.objects.filter(email__iexact=email, verified=True)
            .select_related("user")
            .first()
        )
        user = address.user if address else None
    return user


def _mark_email_verified(user: User, email: str) -> None:
    """The invitation reached this address, which proves the person owns it: allauth
    may treat it as verified and primary, so they can sign in without confirming it."""
    address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    if address is None:
        address = EmailAddress(user=user, email=email)
    address.verified = True
    # The login address is the primary one; someone found by a secondary address keeps
    # their primary.
    if user.email.lower() == email.lower():
        EmailAddress.objects.filter(user=user, primary=True).exclude(pk=address.pk).update(
            primary=False
        )
        address.primary = True
    address.save()
