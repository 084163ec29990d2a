"""Changes to schools and hubs that are not the GIAS import itself (see schools.gias)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery

from schools.models import HubArea, School


def school_hubs_refresh() -> int:
    """Point every school at the hub whose area holds its LA, or at no hub when no hub
    covers the LA; return how many schools changed hub.

    School.hub is derived from HubArea by la_code and stored on the row so that scoping is
    a plain filter. Run this after changing hub areas; the GIAS import runs it after every
    import. Only the schools that disagree are written, so a run that finds nothing to do
    issues no UPDATE at all (an idempotent re-import stays write-free).
    """
    area = HubArea.objects.filter(la_code=OuterRef("la_code"))
    covered = Exists(area)
    in_its_hub = Exists(area.filter(hub_id=OuterRef("hub_id")))
    stale = School.objects.filter(
        (covered & ~in_its_hub) | (~covered & Q(hub__isnull=False))
    ).order_by()
    with transaction.atomic():
        if not stale.exists():
            return 0
        return stale.update(hub_id=Subquery(area.values("hub_id")[:1]))
