"""Hub.objects.visible_to and School.objects.visible_to: one scoping rule per role."""

import pytest

from schools.models import Hub, School
from tests.factories import HeadteacherFactory, SpecialistFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_hub_lead_sees_only_their_hubs_schools(hub_lead, school, other_school):
    assert list(School.objects.visible_to(hub_lead)) == [school]
    assert list(Hub.objects.visible_to(hub_lead)) == [school.hub]


def test_headteacher_sees_only_their_own_school(headteacher, school, hub):
    from tests.factories import SchoolFactory

    SchoolFactory(hub=hub)  # a neighbour in the same hub stays hidden
    assert list(School.objects.visible_to(headteacher)) == [school]


def test_specialist_sees_their_hub(specialist, school, other_school):
    visible = set(School.objects.visible_to(specialist))
    assert school in visible
    assert other_school not in visible


def test_national_admin_sees_every_hub(national_admin, school, other_school):
    assert set(School.objects.visible_to(national_admin)) == {school, other_school}


def test_person_without_a_role_sees_nothing(school):
    assert not School.objects.visible_to(UserFactory()).exists()


def test_scoping_follows_the_role_being_acted_in(school, other_school):
    """A specialist in one hub who is headteacher of a school in another sees
    the hub as specialist and only the school as headteacher."""
    specialist = SpecialistFactory(hub=other_school.hub)
    HeadteacherFactory(user=specialist.user, school=school)
    user = specialist.user
    user.active_membership = specialist
    assert other_school in School.objects.visible_to(user)
    assert school not in School.objects.visible_to(user)
    user.active_membership = user.memberships.get(role="headteacher")
    assert list(School.objects.visible_to(user)) == [school]
