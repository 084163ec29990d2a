"""Who may do what with applications, beyond what scoping lets them see.

Scoping (``visible_to``) decides which rows a person can find at all; these
checks decide whether their role may act on a row they can see."""

from hubportal.accounts.models import Role
from hubportal.accounts.roles import active_membership


def _membership(user, *roles):
    membership = active_membership(user)
    if membership is None or membership.role not in roles:
        return None
    return membership


def can_apply_for(user, school) -> bool:
    """Only the school's headteacher applies for it."""
    membership = _membership(user, Role.HEADTEACHER)
    return membership is not None and membership.school_id == school.pk


def can_decide(user, application) -> bool:
    """Only a hub lead of the hub applied to decides. National admins look, they do not decide."""
    membership = _membership(user, Role.HUB_LEAD)
    return membership is not None and membership.hub_id == application.hub_id


def can_manage_hub(user, hub) -> bool:
    """Windows and participation history belong to the hub's leads."""
    membership = _membership(user, Role.HUB_LEAD)
    return membership is not None and membership.hub_id == hub.pk


def can_lead(user, work_group) -> bool:
    """The group's own lead schedules its meetings and logs attendance."""
    membership = _membership(user, Role.SPECIALIST)
    return (
        membership is not None
        and work_group.lead_id == user.pk
        and membership.hub_id == work_group.hub_id
    )


def can_schedule(user, work_group) -> bool:
    """The lead plans the meetings; the hub's leads may step in."""
    return can_lead(user, work_group) or can_manage_hub(user, work_group.hub)


def can_change_participants(user, application) -> bool:
    """The school's headteacher or the hub's leads replace a teacher who leaves."""
    return can_apply_for(user, application.school) or can_manage_hub(user, application.hub)
