"""Which role a person is acting in, and the checks that go beyond scoping.

A person may hold several memberships (a specialist who is also a headteacher).
They act in one at a time, chosen in the header; the choice lives in the session
and the middleware pins it on ``request.user.active_membership``. Querysets
scope by that active membership, so switching role changes what is visible.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied

from hubportal.accounts.models import Membership, Role

SESSION_KEY = "active_membership_id"


def memberships_of(user) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_memberships_cache", None)
    if cached is None:
        cached = list(Membership.objects.for_user(user).order_by("id"))
        user._memberships_cache = cached
    return cached


def active_membership(user) -> Membership | None:
    """The membership the person is acting in now (their first, unless chosen)."""
    if not getattr(user, "is_authenticated", False):
        return None
    chosen = getattr(user, "active_membership", None)
    if chosen is not None:
        return chosen
    memberships = memberships_of(user)
    return memberships[0] if memberships else None


def choose_membership(user, membership_id) -> Membership | None:
    for membership in memberships_of(user):
        if membership.pk == membership_id:
            return membership
    return None


def has_role(user, *roles: str) -> bool:
    membership = active_membership(user)
    return membership is not None and membership.role in roles


def role_required(*roles: str):
    """403 unless the person's active role is one of ``roles``.

    Scoping decides *which* rows a person sees (another hub's row is a 404);
    this decides whether their role may use the page at all."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your role cannot use this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


HUB_STAFF = (Role.HUB_LEAD, Role.NATIONAL_ADMIN)
