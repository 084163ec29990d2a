from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from hubportal.accounts.roles import SESSION_KEY, active_membership, choose_membership

SESSION_STARTED_KEY = "session_started_at"


def _redirect(request, url: str):
    # An htmx request would swap the page it is redirected to into a fragment; make
    # the browser load it as a whole page instead.
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class ActiveRoleMiddleware:
    """Pins the chosen role on the user, and ends sessions past their absolute lifetime.

    The inactivity timeout is the session cookie's age (SESSION_COOKIE_AGE), renewed
    on each request (SESSION_SAVE_EVERY_REQUEST); the absolute lifetime stops a session
    kept alive forever by activity."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            now = timezone.now().timestamp()
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_LIFETIME.total_seconds():
                logout(request)
                hours = settings.SESSION_ABSOLUTE_LIFETIME.total_seconds() / 3600
                messages.info(
                    request,
                    f"You were signed out because you had been signed in for {hours:g} hours. "
                    "Sign in again to carry on.",
                )
                query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
                return _redirect(request, f"{reverse('account_login')}?{query}")
            chosen = request.session.get(SESSION_KEY)
            user.active_membership = choose_membership(user, chosen) if chosen else None
            if user.active_membership is None:
                user.active_membership = active_membership(user)
        response = self.get_response(request)
        # The request that signs someone in starts the clock, not their next one.
        if (
            getattr(request, "user", None) is not None
            and request.user.is_authenticated
            and SESSION_STARTED_KEY not in request.session
        ):
            request.session[SESSION_STARTED_KEY] = timezone.now().timestamp()
        return response


class StaffMFAMiddleware:
    """Sends hub leads and national admins to set up two-factor sign-in first.

    allauth offers MFA but does not require it; the portal does for anyone holding a
    staff role when REQUIRE_STAFF_MFA is on. allauth's own pages (under /accounts/:
    two-factor set-up, recovery codes, re-authentication, sign-out) stay reachable, so
    the person can set it up or leave. Activating TOTP leads to the recovery codes page
    and from there back into the portal."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/favicon")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.REQUIRE_STAFF_MFA
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and self._needs_mfa(request.user)
        ):
            return _redirect(request, reverse("mfa_activate_totp"))
        return self.get_response(request)

    @staticmethod
    def _needs_mfa(user) -> bool:
        if not user.is_authenticated:
            return False
        from hubportal.accounts.roles import memberships_of

        if not any(m.is_staff_role for m in memberships_of(user)):
            return False
        from allauth.mfa.models import Authenticator

        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
