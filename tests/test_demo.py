"""The demo data: every role can sign in and finds something to do."""

from datetime import date

import pytest
from django.core.management import call_command

from hubportal import demo
from hubportal.accounts.models import Membership, Role, User
from schools.models import Hub, School
from workgroups.eligibility import Code, check_eligibility
from workgroups.models import AcademicYear, Application, ApplicationState, ProgrammeStage

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date(2026, 11, 23)


def _school_of(email):
    return Membership.objects.get(user__email=email, role=Role.HEADTEACHER).school


def test_seed_demo_builds_every_role_and_state_and_is_idempotent(capsys):
    from tests.factories import stage

    stage("mr")  # stages are seeded by a migration that transactional tests flush
    demo.seed(today=TODAY)
    counts = (User.objects.count(), School.objects.count(), Application.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), School.objects.count(), Application.objects.count()) == counts

    out = capsys.readouterr().out
    assert demo.DEMO_PASSWORD in out
    for email in ("admin@ncetm.example", "lead@abacus.example", "head1@school.example"):
        assert email in out

    for hub in Hub.objects.annotate_school_counts():
        assert 50 <= hub.school_count <= 80
        assert hub.open_primary_count >= 10
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    assert Membership.objects.filter(role=Role.HEADTEACHER).values("user").distinct().count() >= 6
    assert Membership.objects.filter(role=Role.SPECIALIST).count() == 3
    # A specialist who is also a headteacher, to show the role switcher.
    assert Membership.objects.filter(user__email="specialist2@abacus.example").count() == 2

    assert set(Application.objects.values_list("state", flat=True)) == set(ApplicationState.values)
    assert Application.objects.filter(priority=True).exists()
    assert School.objects.filter(status="Closed").exists()
    assert School.objects.filter(phase="Secondary").exists()
    assert School.objects.filter(hub__isnull=True).exists()

    year = AcademicYear.objects.for_date(TODAY)
    dwg = ProgrammeStage.objects.get(code="dwg")
    head1 = check_eligibility(
        school=_school_of("head1@school.example"), stage=dwg, year=year, today=TODAY
    )
    assert head1.eligible and head1.priority
    head2 = check_eligibility(
        school=_school_of("head2@school.example"), stage=dwg, year=year, today=TODAY
    )
    assert Code.STAGE_ALREADY_TAKEN in head2.codes
