"""Support: looking at the portal as another person sees it, read-only and audited.

A national admin may view as any headteacher or Mastery Specialist; a hub lead as a
headteacher of a school in their hub or a specialist of their hub. Nobody may view as
a person who holds a hub lead or national admin role anywhere, as an inactive person,
or as themselves. The rule is one queryset, ``viewable_memberships``: the start page
lists through it, ``support_start`` checks through it, and the middleware checks it
again on every request, so a view-as ends as soon as it stops being allowed.

While a view-as runs, ``SupportViewAsMiddleware`` hands each request to the views as
the target person acting in the chosen membership, refuses every change, and keeps
the real person on ``request.support_viewer``. The target is never signed in: their
sessions, last sign-in and two-factor settings are never touched.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from hubportal.accounts.models import (
    STAFF_ROLES,
    Membership,
    Role,
    SupportSession,
    SupportSessionEnd,
    User,
)
from hubportal.accounts.roles import active_membership, has_role
from hubportal.audit import audited_save

# How long a view-as lasts at most, from its start.
VIEW_AS_LIMIT = timedelta(minutes=30)

# The session key holding the view-as: its id, the target, the membership and the start.
SESSION_KEY = "support_view_as"

# Who may start a view-as, and whom they may view as.
VIEWER_ROLES = (Role.HUB_LEAD, Role.NATIONAL_ADMIN)
TARGET_ROLES = (Role.HEADTEACHER, Role.SPECIALIST)


# ---------------------------------------------------------------------------
# Selectors


def viewable_memberships(viewer: User) -> QuerySet[Membership]:
    """The memberships the person may view the portal through, acting in their role now."""
    membership = active_membership(viewer)
    if membership is None or membership.role not in VIEWER_ROLES:
        return Membership.objects.none()
    holds_staff_role = Membership.objects.filter(user=OuterRef("user"), role__in=STAFF_ROLES)
    memberships = (
        Membership.objects.filter(role__in=TARGET_ROLES, user__is_active=True)
        .exclude(user=viewer)
        .exclude(Exists(holds_staff_role))
    )
    if membership.role == Role.NATIONAL_ADMIN:
        return memberships
    return memberships.filter(
        Q(role=Role.HEADTEACHER, school__hub_id=membership.hub_id)
        | Q(role=Role.SPECIALIST, hub_id=membership.hub_id)
    )


def may_view_as(viewer: User, membership: Membership | None) -> bool:
    if membership is None:
        return False
    return viewable_memberships(viewer).filter(pk=membership.pk).exists()


def viewable_people(viewer: User, query: str = "") -> QuerySet[User]:
    """The people the viewer may view as, by name, each with ``viewable``: the
    memberships they may be viewed in. Searches name, email, school name and URN."""
    memberships = viewable_memberships(viewer)
    query = query.strip()
    if query:
        matching = Q(user__full_name__icontains=query) | Q(user__email__icontains=query)
        matching |= Q(school__name__icontains=query) | Q(hub__name__icontains=query)
        if query.isascii() and query.isdigit():
            matching |= Q(school__urn=int(query))
        people = memberships.filter(matching).values("user")
    else:
        people = memberships.values("user")
    return (
        User.objects.filter(pk__in=people)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=memberships.select_related("school", "hub").order_by("role", "pk"),
                to_attr="viewable",
            )
        )
        .order_by("full_name", "email", "pk")
    )


def open_session(viewer: User, session_id) -> SupportSession | None:
    """The viewer's view-as with this id, if it is still running."""
    if not isinstance(session_id, int):
        return None
    return (
        SupportSession.objects.select_related(
            "target", "membership__hub", "membership__school__hub"
        )
        .filter(pk=session_id, viewer=viewer, ended_at__isnull=True)
        .first()
    )


def ends_at(support_session: SupportSession) -> datetime:
    return support_session.started_at + VIEW_AS_LIMIT


def has_expired(support_session: SupportSession, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= ends_at(support_session)


# ---------------------------------------------------------------------------
# Services


def _close(support_session: SupportSession, *, actor: User, how: str, now: datetime) -> None:
    # A view-as never outlasts its limit: one noticed late ended when the limit came.
    support_session.ended_at = min(now, ends_at(support_session))
    support_session.ended_how = how
    audited_save(
        support_session,
        actor=actor,
        reason=f"Ended viewing as {support_session.target}: {SupportSessionEnd(how).label.lower()}",
    )


def support_start(*, actor: User, membership: Membership) -> SupportSession:
    """Start viewing the portal as the membership's person. Any view-as the actor left
    running (a closed browser, an expired sign-in) is ended first."""
    if not has_role(actor, *VIEWER_ROLES):
        raise PermissionDenied("Only hub leads and national admins may view as someone else.")
    if not may_view_as(actor, membership):
        raise PermissionDenied("You may not view the portal as this person.")
    with transaction.atomic():
        # Starts by the same person queue here, so exactly one view-as stays open.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        # The clock is read once the lock is held: a start that waited must not end
        # the one before it earlier than that one began.
        now = timezone.now()
        for left_open in SupportSession.objects.select_for_update().filter(
            viewer=actor, ended_at__isnull=True
        ):
            expired = has_expired(left_open, now)
            how = SupportSessionEnd.EXPIRED if expired else SupportSessionEnd.REPLACED
            _close(left_open, actor=actor, how=how, now=now)
        support_session = SupportSession(
            viewer=actor,
            target=membership.user,
            membership=membership,
            role=membership.role,
            place=membership.place_name,
            started_at=now,
        )
        audited_save(
            support_session,
            actor=actor,
            reason=f"Started viewing as {membership.user} ({membership})",
        )
    return support_session


def support_stop(*, actor: User, support_session: SupportSession, how: str) -> SupportSession:
    """End a view-as: the viewer stopped, signed out, or its time ran out. Ending one
    already ended changes nothing (a second click, two tabs)."""
    if how not in SupportSessionEnd.values:
        raise ValueError(f"Unknown way for a view-as to end: {how!r}")
    if support_session.viewer_id != actor.pk:
        raise PermissionDenied("Only the person viewing may end their view-as.")
    with transaction.atomic():
        locked = (
            SupportSession.objects.select_for_update()
            .select_related("target")
            .get(pk=support_session.pk)
        )
        if locked.ended_at is None:
            _close(locked, actor=actor, how=how, now=timezone.now())
    return locked


# ---------------------------------------------------------------------------
# The session's record of the view-as


def remember(session, support_session: SupportSession) -> None:
    session[SESSION_KEY] = {
        "id": support_session.pk,
        "target": support_session.target_id,
        "membership": support_session.membership_id,
        "started_at": support_session.started_at.isoformat(),
    }


def remembered_id(session) -> int | None:
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None
    value = state.get("id")
    return value if isinstance(value, int) else None


def forget(session) -> None:
    session.pop(SESSION_KEY, None)
