from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from hubportal.accounts.roles import SESSION_KEY, active_membership, choose_membership

_STARTED_KEY = "session_started_at"


class ActiveRoleMiddleware:
    """Pins the chosen role on the user, and ends sessions past their absolute lifetime.

    The inactivity timeout is the session cookie's age, renewed on each request;
    the absolute lifetime stops a session kept alive forever by activity."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            started = request.session.get(_STARTED_KEY)
            now = timezone.now().timestamp()
            if started is None:
                request.session[_STARTED_KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_LIFETIME.total_seconds():
                logout(request)
                return redirect(f"{reverse('account_login')}?next={request.path}")
            chosen = request.session.get(SESSION_KEY)
            user.active_membership = choose_membership(user, chosen) if chosen else None
            if user.active_membership is None:
                user.active_membership = active_membership(user)
        return self.get_response(request)


class StaffMFAMiddleware:
    """Sends hub leads and national admins to set up two-factor sign-in first.

    allauth offers MFA but does not require it; the portal does for staff roles
    when REQUIRE_STAFF_MFA is on."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/favicon")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.REQUIRE_STAFF_MFA
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and self._needs_mfa(request.user)
        ):
            return redirect(reverse("mfa_activate_totp"))
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
