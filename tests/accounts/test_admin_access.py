"""Who may do what in the Django admin: national admins only; every model readable,
the reference data (approved schemes, hubs) and people's accounts editable, the rest
read-only because it changes only through the portal's services."""

import pytest
from django.contrib import admin
from django.urls import reverse

from funding.models import Scheme
from hubportal.accounts.admin import NationalAdminAccess
from tests.factories import (
    HeadteacherFactory,
    HubLeadFactory,
    NationalAdminFactory,
    SchoolFactory,
    UserFactory,
)
from workgroups.models import AcademicYear

pytestmark = pytest.mark.django_db

EDITABLE = {"funding.scheme", "schools.hub", "accounts.user"}


@pytest.fixture
def national_admin(client):
    user = NationalAdminFactory(user=UserFactory(is_staff=True)).user
    client.force_login(user)
    return user


PORTAL_APPS = {"accounts", "schools", "workgroups", "funding", "notices", "privacy"}


def registered():
    """The portal's own models in the admin. allauth's (email addresses, two-factor
    authenticators holding secrets) stay closed: 403 even to national admins."""
    return sorted(
        (model for model in admin.site._registry if model._meta.app_label in PORTAL_APPS),
        key=lambda model: model._meta.label_lower,
    )


def test_every_portal_model_in_the_admin_says_what_national_admins_may_do():
    for model in registered():
        assert isinstance(admin.site._registry[model], NationalAdminAccess), model._meta.label


def test_a_national_admin_reads_every_model(client, national_admin, hub, school):
    for model in registered():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, model._meta.label


def test_only_reference_data_and_accounts_can_be_changed(client, national_admin, hub):
    for model in registered():
        label = model._meta.label_lower
        change_allowed = label in EDITABLE
        model_admin = admin.site._registry[model]
        request = client.get(reverse("admin:index")).wsgi_request
        assert model_admin.has_change_permission(request) is change_allowed, label


def test_a_national_admin_adds_a_scheme_to_the_years_list(client, national_admin):
    year = AcademicYear.objects.current()

    response = client.post(
        reverse("admin:funding_scheme_add"), {"name": "Maths Mastery Primary", "year": year.pk}
    )

    assert response.status_code == 302
    scheme = Scheme.objects.get(name="Maths Mastery Primary")
    assert scheme.history.get().history_user == national_admin


def test_a_national_admin_switches_an_account_off_but_cannot_add_or_set_passwords(
    client, national_admin, school
):
    head = HeadteacherFactory(school=school).user
    change = reverse("admin:accounts_user_change", args=[head.pk])
    form = client.get(change)
    assert form.status_code == 200
    password = reverse("admin:auth_user_password_change", args=[head.pk])
    assert password not in form.content.decode()

    response = client.post(
        change,
        {
            "email": head.email,
            "full_name": head.full_name,
            "is_staff": "",
            "is_active": "",
            "date_joined_0": "2026-09-01",
            "date_joined_1": "09:00:00",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": head.memberships.get().pk,
            "memberships-0-user": head.pk,
        },
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    head.refresh_from_db()
    assert not head.is_active
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    assert client.get(password).status_code == 403


def test_claims_cannot_be_changed_in_the_admin(client, national_admin):
    assert client.get(reverse("admin:funding_claim_add")).status_code == 403


@pytest.mark.parametrize("factory", [HubLeadFactory, HeadteacherFactory])
def test_staff_without_the_national_role_are_sent_to_the_admin_sign_in(client, hub, factory):
    place = {"hub": hub} if factory is HubLeadFactory else {"school": SchoolFactory(hub=hub)}
    user = factory(user=UserFactory(is_staff=True), **place).user
    client.force_login(user)

    response = client.get(reverse("admin:funding_scheme_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
