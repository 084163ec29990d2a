"""Invitations: the list, inviting someone, taking up an invitation; and the mail outbox."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path

from allauth.account.utils import perform_login
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from hubportal.accounts import services
from hubportal.accounts.forms import InvitationAcceptForm, InvitationForm
from hubportal.accounts.models import Invitation, Role
from hubportal.accounts.roles import HUB_STAFF, SESSION_KEY, active_membership, role_required
from hubportal.forms import page_of

# Status filter: the value in the query string (also the InvitationQuerySet method) and its label.
STATUS_FILTERS = {"waiting": "Waiting", "accepted": "Accepted", "expired": "Expired"}


@role_required(*HUB_STAFF)
def invitation_list(request):
    """The invitations the person may see, newest first, 50 a page, filtered by status."""
    invitations = Invitation.objects.visible_to(request.user).select_related(
        "hub", "school", "invited_by", "accepted_by"
    )
    status = request.GET.get("status", "")
    if status in STATUS_FILTERS:
        invitations = getattr(invitations, status)()
    else:
        status = ""
    page = page_of(invitations.order_by("-created_at", "-pk"), request)
    return render(
        request,
        "accounts/invitation_list.html",
        {
            "page": page,
            "status": status,
            "status_choices": list(STATUS_FILTERS.items()),
            "page_items": page.paginator.get_elided_page_range(page.number, on_each_side=2)
            if page.paginator.num_pages > 1
            else [],
            "ellipsis": Paginator.ELLIPSIS,
            "acting_as": active_membership(request.user),
        },
    )


# Where the service's field names appear on the form.
_FORM_FIELDS = {"school": "school_urn", "hub": "hub", "email": "email", "full_name": "full_name"}


@role_required(*HUB_STAFF)
def invitation_create(request):
    form = InvitationForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation, _token = services.invitation_create(
                actor=request.user,
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                hub=data.get("hub"),
                school=data.get("school_urn"),
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.full_name} ({invitation.email}). "
                f"The link works for {settings.INVITATION_VALID_DAYS} days.",
            )
            return redirect("invitations:list")
    return render(
        request,
        "accounts/invitation_form.html",
        {
            "form": form,
            "acting_as": active_membership(request.user),
            "valid_days": settings.INVITATION_VALID_DAYS,
        },
    )


def _add_service_errors(form, error: ValidationError) -> None:
    """The service's errors beside the fields they are about (or at the top)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            name = _FORM_FIELDS.get(field, field)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@never_cache
@sensitive_post_parameters("password1", "password2")
def invitation_accept(request, token):
    """Take up an invitation: GET shows the form, POST creates the account and signs in."""
    try:
        invitation = services.invitation_for_token(token)
    except services.InvitationError as error:
        return _invitation_unusable(request, error)

    has_account = services.user_for_email(invitation.email) is not None
    form = InvitationAcceptForm(
        request.POST or None, invitation=invitation, needs_password=not has_account
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                password=form.cleaned_data.get("password1"),
                full_name=form.cleaned_data["full_name"],
            )
        except services.InvitationError as error:
            return _invitation_unusable(request, error)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                _add_service_errors(form, error)
            else:
                form.add_error("password1", error)
        else:
            if request.user.is_authenticated and request.user.pk != user.pk:
                logout(request)
            response = perform_login(
                request,
                user,
                email_verification=settings.ACCOUNT_EMAIL_VERIFICATION,
                redirect_url="/",
                email=user.email,
            )
            membership = services.invitation_membership(user, invitation)
            if membership is not None:
                # They arrive acting in the role they were invited to.
                request.session[SESSION_KEY] = membership.pk
            return response
    return render(
        request,
        "accounts/invitation_accept.html",
        {"form": form, "invitation": invitation, "has_account": has_account},
    )


def _invitation_unusable(request, error: services.InvitationError):
    return render(
        request,
        "accounts/invitation_unusable.html",
        {"title": error.title, "message": str(error)},
        status=error.status,
    )


# The mail outbox: what the file mail backend wrote to MAIL_DIR, for reading the demo's
# invitations and sign-in codes without a mail server.

_MAIL_FILE = re.compile(r"^[\w.-]+\.log$")
_SEPARATOR = b"\n" + b"-" * 79 + b"\n"
_LINK = re.compile(r"https?://[^\s<>\"')]+")


@dataclass
class OutboxMessage:
    filename: str
    index: int
    date: datetime | None
    to: str
    subject: str


def _mail_dir() -> Path:
    return Path(settings.MAIL_DIR)


def _mail_files() -> list[str]:
    """The outbox's file names: only these may be opened."""
    directory = _mail_dir()
    if not directory.is_dir():
        return []
    return [
        path.name for path in directory.iterdir() if path.is_file() and _MAIL_FILE.match(path.name)
    ]


def _raw_messages(filename: str) -> list[bytes]:
    data = (_mail_dir() / filename).read_bytes()
    return [chunk.strip(b"\n") for chunk in data.split(_SEPARATOR) if chunk.strip()]


def _message_date(value) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError):
        return None


def _outbox_messages() -> list[OutboxMessage]:
    parser = BytesHeaderParser(policy=email.policy.default)
    found = []
    for filename in _mail_files():
        for index, raw in enumerate(_raw_messages(filename)):
            headers = parser.parsebytes(raw)
            found.append(
                OutboxMessage(
                    filename=filename,
                    index=index,
                    date=_message_date(headers.get("Date")),
                    to=str(headers.get("To", "")),
                    subject=str(headers.get("Subject", "")),
                )
            )
    # Newest first; messages from the same second keep the order they were written in.
    found.sort(
        key=lambda m: (m.date.timestamp() if m.date else 0, m.filename, m.index), reverse=True
    )
    return found


def _is_file_backend() -> bool:
    backend = settings.MAILERS.get("default", {}).get("BACKEND", "")
    return backend.endswith("filebased.EmailBackend")


@role_required(Role.NATIONAL_ADMIN)
def outbox(request):
    """Mail the portal has written to its outbox folder, newest first."""
    page = page_of(_outbox_messages(), request)
    return render(
        request,
        "accounts/outbox.html",
        {
            "page": page,
            "page_items": page.paginator.get_elided_page_range(page.number, on_each_side=2)
            if page.paginator.num_pages > 1
            else [],
            "ellipsis": Paginator.ELLIPSIS,
            "file_backend": _is_file_backend(),
            "mail_dir": settings.MAIL_DIR,
        },
    )


@role_required(Role.NATIONAL_ADMIN)
def outbox_message(request, filename: str, index: int):
    """One message from the outbox: its headers, plain text and links."""
    # Only a name from the folder's own listing is opened, so no path can escape it.
    if filename not in _mail_files():
        raise Http404("No such mail")
    raws = _raw_messages(filename)
    if not 0 <= index < len(raws):
        raise Http404("No such mail")
    message: EmailMessage = email.message_from_bytes(raws[index], policy=email.policy.default)
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = body_part.get_content() if body_part is not None else ""
    links = list(dict.fromkeys(_LINK.findall(body)))
    return render(
        request,
        "accounts/outbox_message.html",
        {
            "message": message,
            "date": _message_date(message.get("Date")),
            "to": str(message.get("To", "")),
            "sender": str(message.get("From", "")),
            "subject": str(message.get("Subject", "")),
            "body": body,
            "body_is_html": body_part is not None and body_part.get_content_type() == "text/html",
            "links": links,
        },
    )
