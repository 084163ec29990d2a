"""Hands each request to the views as the person being viewed as, and refuses changes.

It runs after AuthenticationMiddleware, ActiveRoleMiddleware and StaffMFAMiddleware:
the real person is signed in, acting in their own role, with their own two-factor
sign-in checked. Only for the length of the view does ``request.user`` become the
target, acting in the chosen membership; afterwards it is the real person again, so
the session, the role clock and the audit middleware around it only ever see them.
The real person stays on ``request.support_viewer``, the view-as on
``request.support_session`` (the banner reads it).
"""

from __future__ import annotations

from functools import cache

from django.contrib import messages
from django.middleware.csrf import rotate_token
from django.shortcuts import render
from django.urls import reverse

from hubportal.accounts import support
from hubportal.accounts.middleware import _redirect
from hubportal.accounts.models import SupportSessionEnd

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@cache
def _paths() -> dict[str, str]:
    return {
        "stop": reverse("support:stop"),
        "support": reverse("support:start"),
        "logout": reverse("account_logout"),
        "accounts": reverse("account_login").rsplit("login/", 1)[0],
        "admin": reverse("admin:index"),
        "calendar": reverse("groups:calendar"),
    }


def _unavailable(path: str) -> bool:
    """Pages a view-as never shows: the Django admin and Support itself (they act as
    the real person, who is not the one being shown), the sign-in and two-factor
    settings, and the private calendar address (a secret of the person's own)."""
    paths = _paths()
    return (
        path.startswith((paths["admin"], paths["support"], paths["accounts"]))
        or path == paths["calendar"]
    )


def end_view_as(request, how: str) -> None:
    """End the running view-as and forget it. The CSRF token changes too, so a form
    still open in another tab from the view-as cannot be sent as the real person."""
    support_session = getattr(request, "support_session", None)
    if support_session is not None:
        support.support_stop(actor=request.user, support_session=support_session, how=how)
    support.forget(request.session)
    rotate_token(request)
    request.support_session = None


class SupportViewAsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.support_viewer = None
        request.support_session = None
        session = getattr(request, "session", None)
        if session is None or support.SESSION_KEY not in session:
            return self.get_response(request)
        viewer = request.user
        if not viewer.is_authenticated:
            support.forget(session)
            return self.get_response(request)

        paths = _paths()
        is_sign_out = request.path == paths["logout"]
        support_session = support.open_session(viewer, support.remembered_id(session))
        ended_how = self._ended(viewer, support_session)
        if ended_how is not None:
            name = support_session.target.get_full_name() if support_session else ""
            request.support_session = support_session
            end_view_as(request, ended_how)
            if is_sign_out:
                return self.get_response(request)
            messages.info(request, self._ended_message(name, ended_how))
            return _redirect(request, paths["support"])

        request.support_viewer = viewer
        request.support_session = support_session
        if is_sign_out:
            # Signing out ends the view-as; the real person is the one signed out.
            if request.method == "POST":
                end_view_as(request, SupportSessionEnd.SIGNED_OUT)
            return self.get_response(request)
        if request.path == paths["stop"]:
            return self.get_response(request)

        target = support_session.target
        membership = support_session.membership
        membership.user = target
        target.active_membership = membership
        real_auser = getattr(request, "auser", None)

        async def auser():
            return target

        request.user = target
        request.auser = auser
        try:
            if _unavailable(request.path):
                return render(request, "support/unavailable.html", status=403)
            if request.method not in SAFE_METHODS:
                return render(request, "support/refused.html", status=403)
            return self.get_response(request)
        finally:
            request.user = viewer
            if real_auser is not None:
                request.auser = real_auser

    @staticmethod
    def _ended(viewer, support_session) -> str | None:
        """Why the view-as in the session is over, or None while it runs."""
        if support_session is None:
            # Ended elsewhere (another tab, a newer view-as): nothing left to close.
            return SupportSessionEnd.STOPPED
        if support.has_expired(support_session):
            return SupportSessionEnd.EXPIRED
        if not support.may_view_as(viewer, support_session.membership):
            return SupportSessionEnd.REVOKED
        return None

    @staticmethod
    def _ended_message(name: str, how: str) -> str:
        minutes = int(support.VIEW_AS_LIMIT.total_seconds() // 60)
        if not name:
            return "You are no longer viewing the portal as someone else."
        if how == SupportSessionEnd.EXPIRED:
            return (
                f"You are no longer viewing the portal as {name}: "
                f"viewing as someone ends after {minutes} minutes."
            )
        if how == SupportSessionEnd.REVOKED:
            return (
                f"You are no longer viewing the portal as {name}: you may no longer view as them."
            )
        return f"You are no longer viewing the portal as {name}."
