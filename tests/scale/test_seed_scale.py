"""manage.py seed_scale: bulk-inserted national data that is what the services would
have written, and a refusal to seed over data already there."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from funding.models import (
    AWARDED_STATES,
    MATCH_CAP_PENCE,
    Claim,
    ClaimKind,
    ClaimState,
    MatchAllowance,
    Payment,
)
from hubportal.accounts.models import Membership, Role, User
from schools.models import Hub, School
from workgroups.models import (
    AcademicYear,
    Application,
    ApplicationState,
    Attendance,
    GroupMember,
    Meeting,
    Participant,
    Participation,
    WorkGroup,
)

pytestmark = pytest.mark.django_db


def seed_tiny(*args) -> str:
    out = StringIO()
    call_command("seed_scale", "--preset", "tiny", *args, stdout=out)
    return out.getvalue()


def test_tiny_seed_prints_counts_and_time_and_makes_the_asked_for_sizes():
    output = seed_tiny()
    assert "Seeded in" in output
    assert re.search(rf"\bschools\.School +{School.objects.count()}\n", output)
    assert Hub.objects.count() == 2
    assert School.objects.count() == 300
    assert Membership.objects.filter(role=Role.NATIONAL_ADMIN).count() == 1
    assert Membership.objects.filter(role=Role.HUB_LEAD).count() == 2
    assert Membership.objects.filter(role=Role.SPECIALIST).count() == 4
    current = AcademicYear.objects.current()
    seeded = Application.objects.filter(year__start_year__gt=current.start_year - 2)
    assert set(seeded.values_list("year__start_year", flat=True)) == {
        current.start_year - 1,
        current.start_year,
    }


def test_every_user_shares_one_password_hash_and_every_staff_member_has_mfa():
    seed_tiny()
    assert User.objects.values("password").distinct().count() == 1
    staff = User.objects.filter(memberships__role__in=[Role.HUB_LEAD, Role.NATIONAL_ADMIN])
    assert staff.exclude(authenticator__type="totp").count() == 0


def test_every_accepted_school_is_in_one_group_with_two_teachers():
    seed_tiny()
    accepted = Application.objects.filter(state=ApplicationState.ACCEPTED)
    assert accepted.count() > 0
    assert GroupMember.objects.count() == accepted.count()
    assert Participant.objects.filter(application__in=accepted).count() == 2 * accepted.count()
    largest = WorkGroup.objects.annotate(n=Count("members")).order_by("-n").first()
    assert largest.n <= largest.stage.hard_max_schools
    assert not accepted.filter(group_member__isnull=True).exists()


def test_logged_meetings_have_attendance_for_every_participant():
    seed_tiny()
    logged = Meeting.objects.filter(logged_at__isnull=False)
    assert logged.exists()
    expected = sum(2 * m.work_group.members.count() for m in logged.select_related("work_group"))
    assert Attendance.objects.count() == expected
    assert not Attendance.objects.filter(meeting__logged_at__isnull=True).exists()


def test_past_years_have_outcomes_and_this_year_has_none():
    seed_tiny()
    current = AcademicYear.objects.current()
    last = current.start_year - 1
    accepted_last_year = Application.objects.filter(
        year__start_year=last, state=ApplicationState.ACCEPTED
    )
    recorded = Participation.objects.filter(year__start_year=last)
    assert recorded.count() == accepted_last_year.count()
    assert not Participation.objects.filter(year=current).exists()


def test_development_is_taken_once_and_a_grant_claimed_once_per_school():
    seed_tiny()
    twice = (
        Application.objects.filter(stage__code="dwg", state=ApplicationState.ACCEPTED)
        .values("school")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not twice.exists()
    grants = Claim.objects.filter(kind=ClaimKind.GRANT)
    assert (
        grants.count()
        == Application.objects.filter(stage__code="dwg", state=ApplicationState.ACCEPTED).count()
    )


def test_money_adds_up_paid_claims_have_one_payment_and_allowances_match_awards():
    seed_tiny()
    paid = Claim.objects.filter(state=ClaimState.PAID)
    assert paid.exists()
    assert Payment.objects.count() == paid.count()
    assert not paid.filter(batch__isnull=True).exists()
    for allowance in MatchAllowance.objects.all():
        awarded = Claim.objects.filter(
            school=allowance.school, kind=ClaimKind.MATCH, state__in=AWARDED_STATES
        ).aggregate(total=Sum("award_pence"))["total"]
        assert allowance.awarded_pence == awarded <= MATCH_CAP_PENCE
    this_year = Claim.objects.filter(year=AcademicYear.objects.current())
    assert {ClaimState.SUBMITTED, ClaimState.APPROVED, ClaimState.PAID} <= set(
        this_year.values_list("state", flat=True)
    )


def test_a_second_run_is_refused_and_flush_seeds_again():
    seed_tiny()
    schools = School.objects.count()
    with pytest.raises(CommandError, match="already holds"):
        seed_tiny()
    assert School.objects.count() == schools
    output = seed_tiny("--flush")
    assert "Seeded in" in output
    assert School.objects.count() == schools
    assert Hub.objects.count() == 2
