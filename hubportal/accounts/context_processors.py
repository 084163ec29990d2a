from hubportal.accounts.roles import active_membership, memberships_of


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "active_membership": active_membership(user),
        "memberships": memberships_of(user),
    }
