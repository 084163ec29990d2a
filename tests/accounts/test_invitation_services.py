"""The invitation services: who may invite whom, the mail with its link, and taking
an invitation up once, before it expires."""

import threading
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from hubportal.accounts import services, tasks
from hubportal.accounts.models import Invitation, Membership, Role, User
from tests.accounts.conftest import (
    AcceptedInvitationFactory,
    ExpiredInvitationFactory,
    WaitingInvitationFactory,
)
from tests.factories import (
    ClosedSchoolFactory,
    HeadteacherFactory,
    SchoolFactory,
    SpecialistFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Long enough pass phrase 42"


def invite(actor, **kwargs):
    details = {"email": "new.head@school.example.org", "full_name": "Ada Lovelace"}
    return services.invitation_create(actor=actor, **(details | kwargs))


# Who may invite whom


def test_hub_lead_invites_a_headteacher_of_a_school_in_their_hub(hub_lead, school):
    invitation, token = invite(hub_lead, role=Role.HEADTEACHER, school=school)
    assert invitation.role == Role.HEADTEACHER
    assert invitation.school == school
    # The hub is recorded too, so that the hub's leads see it in their list.
    assert invitation.hub == school.hub
    assert invitation.invited_by == hub_lead
    assert invitation.expires_at - invitation.created_at == timedelta(days=14)
    assert invitation.history.first().history_user == hub_lead


def test_only_a_hash_of_the_token_is_stored(hub_lead, school):
    invitation, token = invite(hub_lead, role=Role.HEADTEACHER, school=school)
    assert len(token) >= 40
    assert invitation.token_hash == Invitation.hash_token(token)
    assert token not in invitation.token_hash


def test_hub_lead_cannot_invite_into_another_hub(hub_lead, other_school):
    with pytest.raises(PermissionDenied):
        invite(hub_lead, role=Role.HEADTEACHER, school=other_school)
    assert not Invitation.objects.exists()


def test_hub_lead_cannot_invite_a_specialist_to_another_hub(hub_lead, other_hub):
    with pytest.raises(PermissionDenied):
        invite(hub_lead, role=Role.SPECIALIST, hub=other_hub)


@pytest.mark.parametrize("role", [Role.HUB_LEAD, Role.NATIONAL_ADMIN])
def test_hub_lead_cannot_invite_staff_roles(hub_lead, hub, role):
    with pytest.raises(PermissionDenied):
        invite(hub_lead, role=role, hub=hub)


@pytest.mark.parametrize("actor", ["headteacher", "specialist"])
def test_headteachers_and_specialists_cannot_invite(request, actor, school):
    with pytest.raises(PermissionDenied):
        invite(request.getfixturevalue(actor), role=Role.HEADTEACHER, school=school)


def test_national_admin_invites_a_hub_lead(national_admin, hub):
    invitation, _ = invite(national_admin, role=Role.HUB_LEAD, hub=hub)
    assert (invitation.role, invitation.hub, invitation.school) == (Role.HUB_LEAD, hub, None)


def test_national_admin_invites_headteachers_and_specialists_of_any_hub(
    national_admin, other_school, other_hub
):
    head, _ = invite(national_admin, role=Role.HEADTEACHER, school=other_school)
    specialist, _ = invite(
        national_admin, email="spec@example.org", role=Role.SPECIALIST, hub=other_hub
    )
    assert head.hub == other_hub
    assert specialist.hub == other_hub


def test_nobody_invites_a_national_admin(national_admin):
    with pytest.raises(PermissionDenied):
        invite(national_admin, role=Role.NATIONAL_ADMIN)


def test_hub_lead_invitation_needs_a_hub(national_admin):
    with pytest.raises(ValidationError) as error:
        invite(national_admin, role=Role.HUB_LEAD)
    assert "hub" in error.value.message_dict


def test_headteacher_invitation_needs_a_school(hub_lead):
    with pytest.raises(ValidationError) as error:
        invite(hub_lead, role=Role.HEADTEACHER)
    assert "school" in error.value.message_dict


def test_a_closed_school_cannot_get_a_headteacher(hub_lead, hub):
    closed = ClosedSchoolFactory(hub=hub)
    with pytest.raises(ValidationError):
        invite(hub_lead, role=Role.HEADTEACHER, school=closed)


def test_hub_lead_invites_a_specialist_to_their_own_hub_with_their_school(hub_lead, hub, school):
    invitation, _ = invite(hub_lead, role=Role.SPECIALIST, school=school)
    assert (invitation.hub, invitation.school) == (hub, school)
    no_school, _ = invite(hub_lead, email="other@example.org", role=Role.SPECIALIST)
    assert (no_school.hub, no_school.school) == (hub, None)


def test_specialists_school_must_be_in_their_hub(national_admin, hub, other_school):
    with pytest.raises(ValidationError) as error:
        invite(national_admin, role=Role.SPECIALIST, hub=hub, school=other_school)
    assert "school" in error.value.message_dict


def test_someone_who_already_holds_the_role_is_not_invited_again(hub_lead, school):
    existing = HeadteacherFactory(school=school).user
    with pytest.raises(ValidationError) as error:
        invite(hub_lead, email=existing.email.upper(), role=Role.HEADTEACHER, school=school)
    assert "email" in error.value.message_dict


def test_a_new_invitation_replaces_the_one_still_waiting(hub_lead, school):
    first, first_token = invite(hub_lead, role=Role.HEADTEACHER, school=school)
    second, second_token = invite(hub_lead, role=Role.HEADTEACHER, school=school)
    first.refresh_from_db()
    assert first.is_expired
    assert not second.is_expired
    with pytest.raises(services.InvitationExpired):
        services.invitation_accept(token=first_token, password=GOOD_PASSWORD)


# The invitation mail


def test_invitation_mail_is_sent_on_commit_with_the_link(
    hub_lead, school, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://portal.example.org"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invitation, token = invite(hub_lead, role=Role.HEADTEACHER, school=school)
        assert mail.outbox == []  # nothing goes out before the invitation is committed
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.head@school.example.org"]
    assert school.name in message.subject
    link = f"https://portal.example.org/invitations/accept/{token}/"
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{link}"' in html
    assert "14 days" in message.body
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_send_task_sends_once_however_often_it_runs(hub_lead, school):
    invitation = WaitingInvitationFactory(school=school, invited_by=hub_lead)
    assert tasks.send_invitation_email(invitation.pk, invitation.token) is True
    assert tasks.send_invitation_email(invitation.pk, invitation.token) is False
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda: AcceptedInvitationFactory(),
        lambda: ExpiredInvitationFactory(),
    ],
    ids=["accepted", "expired"],
)
def test_send_task_does_nothing_for_an_invitation_no_longer_waiting(make):
    invitation = make()
    assert tasks.send_invitation_email(invitation.pk, invitation.token) is False
    assert mail.outbox == []


def test_send_task_does_nothing_for_a_deleted_invitation_or_a_foreign_token():
    invitation = WaitingInvitationFactory()
    assert tasks.send_invitation_email(invitation.pk, "not-its-token") is False
    pk, token = invitation.pk, invitation.token
    invitation.delete()
    assert tasks.send_invitation_email(pk, token) is False
    assert mail.outbox == []


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_invitation_mail_goes_through_a_real_worker(celery_worker_process, hub_lead, school):
    invitation, token = invite(hub_lead, role=Role.HEADTEACHER, school=school)
    (message,) = celery_worker_process.wait_for_mail(1)
    assert message["To"] == "new.head@school.example.org"
    assert f"/invitations/accept/{token}/" in message.get_body(("plain",)).get_content()
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


# Taking an invitation up


def test_accept_creates_the_person_with_a_verified_address_and_the_role(school):
    invitation = WaitingInvitationFactory(school=school, email="Head@School.example.org")
    user = services.invitation_accept(
        token=invitation.token, password=GOOD_PASSWORD, full_name="  Grace Hopper "
    )
    assert user.email == "head@school.example.org"
    assert user.full_name == "Grace Hopper"
    assert user.check_password(GOOD_PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert (address.verified, address.primary) == (True, True)
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.school, membership.hub) == (Role.HEADTEACHER, school, None)
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None


def test_accept_gives_a_specialist_their_hub_and_school(hub, school):
    invitation = WaitingInvitationFactory(role=Role.SPECIALIST, hub=hub, school=school)
    user = services.invitation_accept(token=invitation.token, password=GOOD_PASSWORD)
    membership = user.memberships.get()
    assert (membership.role, membership.hub, membership.school) == (Role.SPECIALIST, hub, school)


def test_accept_adds_the_role_to_someone_who_already_has_an_account(hub, school):
    specialist = SpecialistFactory(hub=hub).user
    old_password_hash = specialist.password
    invitation = WaitingInvitationFactory(school=school, email=specialist.email.upper())
    user = services.invitation_accept(token=invitation.token, password=None)
    assert user == specialist
    assert {m.role for m in user.memberships.all()} == {Role.SPECIALIST, Role.HEADTEACHER}
    user.refresh_from_db()
    assert user.password == old_password_hash
    assert User.objects.count() == 2  # the specialist and the hub lead who invited them


def test_a_link_works_once(school):
    invitation = WaitingInvitationFactory(school=school)
    services.invitation_accept(token=invitation.token, password=GOOD_PASSWORD)
    with pytest.raises(services.InvitationUsed):
        services.invitation_accept(token=invitation.token, password=GOOD_PASSWORD)
    assert Membership.objects.filter(role=Role.HEADTEACHER).count() == 1


def test_an_expired_link_is_refused():
    invitation = ExpiredInvitationFactory()
    with pytest.raises(services.InvitationExpired):
        services.invitation_accept(token=invitation.token, password=GOOD_PASSWORD)
    assert not User.objects.filter(email=invitation.email).exists()


def test_a_link_expires_after_fourteen_days(time_machine, hub_lead, school):
    _, token = invite(hub_lead, role=Role.HEADTEACHER, school=school)
    time_machine.move_to(timezone.now() + timedelta(days=14, seconds=1))
    with pytest.raises(services.InvitationExpired):
        services.invitation_accept(token=token, password=GOOD_PASSWORD)


def test_an_unknown_link_is_refused():
    with pytest.raises(services.InvitationNotFound):
        services.invitation_accept(token="made-up", password=GOOD_PASSWORD)


def test_accept_applies_the_password_validators(school):
    invitation = WaitingInvitationFactory(school=school)
    with pytest.raises(ValidationError):
        services.invitation_accept(token=invitation.token, password="12345678901")
    invitation.refresh_from_db()
    assert not invitation.is_used
    assert not User.objects.filter(email=invitation.email).exists()


def test_a_closed_account_cannot_take_up_an_invitation(school):
    closed = UserFactory(is_active=False)
    invitation = WaitingInvitationFactory(school=school, email=closed.email)
    with pytest.raises(services.InvitationAccountClosed):
        services.invitation_accept(token=invitation.token, password=None)
    assert not closed.memberships.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_racing_on_one_link_make_one_account(hub):
    """The row lock makes the second acceptance wait, then see the link used."""
    invitation = WaitingInvitationFactory(school=SchoolFactory(hub=hub))
    results: list[object] = []
    barrier = threading.Barrier(2)

    def accept():
        try:
            barrier.wait()
            results.append(
                services.invitation_accept(token=invitation.token, password=GOOD_PASSWORD)
            )
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(isinstance(r, User) for r in results) == 1
    assert sum(isinstance(r, services.InvitationUsed) for r in results) == 1
    assert User.objects.filter(email=invitation.email).count() == 1
