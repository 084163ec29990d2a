"""Who may act on claims, beyond what scoping lets them see."""

from hubportal.accounts.models import Role
from hubportal.accounts.roles import active_membership


def can_claim_for(user, school) -> bool:
    """Only the school's headteacher starts, edits and submits its claims."""
    membership = active_membership(user)
    return (
        membership is not None
        and membership.role == Role.HEADTEACHER
        and membership.school_id == school.pk
    )


def can_manage_funding(user, hub) -> bool:
    """A hub's leads decide its claims, batch payments and set its budget."""
    membership = active_membership(user)
    return (
        membership is not None and membership.role == Role.HUB_LEAD and membership.hub_id == hub.pk
    )


def can_decide(user, claim) -> bool:
    return can_manage_funding(user, claim.hub)
