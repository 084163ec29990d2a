"""Support's "view as": who may view as whom, that the viewer sees exactly the
target's portal and can change nothing, that every start and end is recorded, and
that a view-as ends on stop, sign-out and after 30 minutes."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from hubportal.accounts import support
from hubportal.accounts.models import Membership, Role, SupportSession, SupportSessionEnd, User
from tests.concurrency import race
from tests.factories import (
    DEMO_PASSWORD,
    AcceptedApplicationFactory,
    ApplicationWindowFactory,
    ClaimWindowFactory,
    DraftApplicationFactory,
    HeadteacherFactory,
    HubLeadFactory,
    MeetingFactory,
    NationalAdminFactory,
    SchoolFactory,
    SpecialistFactory,
    UserFactory,
    group_with_schools,
    ready_claim,
    stage,
    year,
)
from workgroups.models import Application, GroupMember

pytestmark = pytest.mark.django_db

BANNER = "You are viewing the portal as"


def membership_of(user, role=None) -> Membership:
    memberships = Membership.objects.filter(user=user)
    if role:
        memberships = memberships.filter(role=role)
    return memberships.get()


def start(client, viewer, target, role=None):
    """Signs the viewer in and asks to view as the target's membership."""
    client.force_login(viewer)
    return client.post(reverse("support:view_as"), {"membership": membership_of(target, role).pk})


# No page writes anything on GET; a table named here would be let through.
GET_WRITES_ALLOWED: tuple[str, ...] = ()


def writes(queries, allowed=()) -> list[str]:
    """The statements that changed something other than the session row."""
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
        and "django_session" not in q["sql"]
        and not any(table in q["sql"] for table in allowed)
    ]


# ---------------------------------------------------------------------------
# Who may view as whom


@pytest.fixture
def people(hub, other_hub, school, other_school):
    """Everyone the matrix needs, by name."""
    lead = HubLeadFactory(hub=hub, user=UserFactory(full_name="Lee Lead")).user
    return {
        "national_admin": NationalAdminFactory(user=UserFactory(is_staff=True)).user,
        "other_national_admin": NationalAdminFactory(user=UserFactory(is_staff=True)).user,
        "hub_lead": lead,
        "co_lead": HubLeadFactory(hub=hub).user,
        "other_hub_lead": HubLeadFactory(hub=other_hub).user,
        "headteacher": HeadteacherFactory(school=school).user,
        "specialist": SpecialistFactory(hub=hub).user,
        "other_headteacher": HeadteacherFactory(school=other_school).user,
        "other_specialist": SpecialistFactory(hub=other_hub).user,
    }


ALLOWED = [
    ("national_admin", "headteacher"),
    ("national_admin", "specialist"),
    ("national_admin", "other_headteacher"),
    ("national_admin", "other_specialist"),
    ("hub_lead", "headteacher"),
    ("hub_lead", "specialist"),
]
REFUSED = [
    ("national_admin", "hub_lead"),
    ("national_admin", "other_national_admin"),
    ("hub_lead", "other_headteacher"),
    ("hub_lead", "other_specialist"),
    ("hub_lead", "co_lead"),
    ("hub_lead", "other_hub_lead"),
    ("hub_lead", "national_admin"),
    ("headteacher", "specialist"),
    ("headteacher", "other_headteacher"),
    ("specialist", "headteacher"),
    ("specialist", "other_specialist"),
]


@pytest.mark.parametrize(("viewer", "target"), ALLOWED)
def test_allowed_viewers_start_viewing_as_and_it_is_recorded(client, people, viewer, target):
    response = start(client, people[viewer], people[target])
    assert response.status_code == 302
    assert response.url == reverse("home")
    row = SupportSession.objects.get()
    assert (row.viewer, row.target) == (people[viewer], people[target])
    assert row.membership == membership_of(people[target])
    assert row.ended_at is None and row.ended_how == ""
    assert client.session[support.SESSION_KEY]["id"] == row.pk
    assert client.session[support.SESSION_KEY]["target"] == people[target].pk
    assert "started_at" in client.session[support.SESSION_KEY]
    # The real person is still the one signed in.
    assert client.session[AUTH_SESSION_KEY] == str(people[viewer].pk)


@pytest.mark.parametrize(("viewer", "target"), REFUSED)
def test_everyone_else_is_refused_and_nothing_is_recorded(client, people, viewer, target):
    response = start(client, people[viewer], people[target])
    assert response.status_code == 403
    assert not SupportSession.objects.exists()
    assert support.SESSION_KEY not in client.session


def test_a_headteacher_who_is_also_a_hub_lead_elsewhere_cannot_be_viewed_as(
    client, people, school, other_hub
):
    both = HeadteacherFactory(school=SchoolFactory(hub=school.hub)).user
    HubLeadFactory(hub=other_hub, user=both)
    response = start(client, people["national_admin"], both, role=Role.HEADTEACHER)
    assert response.status_code == 403


def test_nobody_views_as_a_closed_account(client, people):
    people["headteacher"].is_active = False
    people["headteacher"].save()
    assert start(client, people["hub_lead"], people["headteacher"]).status_code == 403


@pytest.mark.parametrize("value", ["", "abc", "999999", "-1", "1.5"])
def test_a_missing_or_unknown_membership_is_refused_without_an_error(client, people, value):
    client.force_login(people["national_admin"])
    response = client.post(reverse("support:view_as"), {"membership": value})
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["headteacher", "specialist"])
def test_headteachers_and_specialists_cannot_open_support(client, people, role):
    client.force_login(people[role])
    assert client.get(reverse("support:start")).status_code == 403


def test_starting_needs_a_post(client, people):
    client.force_login(people["national_admin"])
    assert client.get(reverse("support:view_as")).status_code == 405


# ---------------------------------------------------------------------------
# The start page


def test_the_hub_lead_sees_only_their_hubs_headteachers_and_specialists(client, people):
    client.force_login(people["hub_lead"])
    response = client.get(reverse("support:start"))
    assert response.status_code == 200
    listed = {person.pk for person in response.context["page"]}
    assert listed == {people["headteacher"].pk, people["specialist"].pk}
    page = response.content.decode()
    for name in ("co_lead", "other_hub_lead", "other_headteacher", "national_admin"):
        assert people[name].email not in page


def test_the_national_admin_sees_every_headteacher_and_specialist(client, people):
    client.force_login(people["national_admin"])
    response = client.get(reverse("support:start"))
    listed = {person.pk for person in response.context["page"]}
    assert listed == {
        people[name].pk
        for name in ("headteacher", "specialist", "other_headteacher", "other_specialist")
    }


def test_someone_with_two_roles_is_offered_each(client, people, school, hub):
    person = people["headteacher"]
    SpecialistFactory(hub=hub, user=person)
    client.force_login(people["hub_lead"])
    response = client.get(reverse("support:start"), {"q": person.email})
    [listed] = response.context["page"]
    assert [m.role for m in listed.viewable] == [Role.HEADTEACHER, Role.SPECIALIST]
    page = response.content.decode()
    for membership in listed.viewable:
        assert f'name="membership" value="{membership.pk}"' in page
    response = client.post(
        reverse("support:view_as"), {"membership": membership_of(person, Role.SPECIALIST).pk}
    )
    assert response.status_code == 302
    assert SupportSession.objects.get().role == Role.SPECIALIST


def test_search_by_name_email_school_and_urn(client, people, school):
    head = people["headteacher"]
    head.full_name = "Priya Quartermaine"
    head.save()
    client.force_login(people["national_admin"])
    for query in ("quarterm", head.email.upper(), school.name, str(school.urn)):
        response = client.get(reverse("support:start"), {"q": query})
        assert [p.pk for p in response.context["page"]] == [head.pk], query
    response = client.get(reverse("support:start"), {"q": "nobody-by-this-name"})
    assert response.context["page"].paginator.count == 0
    assert "Nobody you may view as matches" in response.content.decode()


def test_the_start_page_is_paged_and_its_queries_do_not_grow(
    client, people, hub, django_assert_num_queries
):
    client.force_login(people["hub_lead"])
    url = reverse("support:start")
    client.get(url)  # session and caches warm

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count_queries()
    for _ in range(30):
        HeadteacherFactory(school=SchoolFactory(hub=hub))
        SpecialistFactory(hub=hub)
    with django_assert_num_queries(few):
        response = client.get(url)
    assert len(response.context["page"]) == 25
    assert response.context["page"].paginator.count == 62
    second = client.get(url, {"page": 3})
    assert len(second.context["page"]) == 12
    assert 'aria-label="Pages of people"' in response.content.decode()


# ---------------------------------------------------------------------------
# Viewing as: exactly the target's portal


@pytest.fixture
def viewing(client, people):
    """The national admin viewing as the headteacher."""
    response = start(client, people["national_admin"], people["headteacher"])
    assert response.status_code == 302
    return client


def test_the_viewer_sees_the_headteachers_home_programme_and_school(
    viewing, people, school, other_school
):
    head = people["headteacher"]
    home = viewing.get(reverse("home"))
    assert home.status_code == 200
    assert home.context["user"] == head
    assert home.context["request"].support_viewer == people["national_admin"]
    page = home.content.decode()
    assert school.name in page
    assert (
        f"You are viewing the portal as {head.get_full_name()} "
        f"(Headteacher, {school.name}). Nothing can be changed." in page
    )
    assert f"Stop viewing as {head.get_full_name()}" in page

    programme = viewing.get(reverse("applications:programme"))
    assert programme.status_code == 200
    assert programme.context["school"] == school
    assert BANNER in programme.content.decode()
    assert viewing.get(reverse("schools:detail", args=[school.urn])).status_code == 200
    # Another school is as invisible as it is to the headteacher.
    assert viewing.get(reverse("schools:detail", args=[other_school.urn])).status_code == 404
    # The national admin's own pages are not the headteacher's.
    assert viewing.get(reverse("schools:directory")).status_code == 403
    assert viewing.get(reverse("applications:cohorts")).status_code == 403


def test_another_schools_application_is_not_found_while_viewing_as(viewing, school, other_school):
    own = DraftApplicationFactory(school=school)
    theirs = DraftApplicationFactory(school=other_school)
    assert viewing.get(reverse("applications:detail", args=[own.pk])).status_code == 200
    assert viewing.get(reverse("applications:detail", args=[theirs.pk])).status_code == 404


def test_the_specialist_is_seen_as_the_specialist(client, people, hub):
    start(client, people["hub_lead"], people["specialist"])
    home = client.get(reverse("home"))
    assert home.context["user"] == people["specialist"]
    assert home.context["membership"].role == Role.SPECIALIST
    assert f"(Mastery Specialist, {hub.name})" in home.content.decode()
    assert client.get(reverse("groups:mine")).status_code == 200
    # The hub lead's own pages are out of reach while viewing as the specialist.
    assert client.get(reverse("applications:windows")).status_code == 403


def test_the_real_user_is_restored_after_each_request(viewing, people):
    response = viewing.get(reverse("home"))
    assert response.wsgi_request.user == people["national_admin"]
    assert response.wsgi_request.support_viewer == people["national_admin"]


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/accounts/supportsession/",
        "/support/",
        "/support/?q=x",
        "/accounts/2fa/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/calendar/",
    ],
)
def test_admin_support_and_private_settings_are_not_reachable(viewing, path):
    response = viewing.get(path)
    assert response.status_code == 403
    page = response.content.decode()
    assert "This page is not available while viewing as someone else" in page
    assert BANNER in page


# ---------------------------------------------------------------------------
# Nothing can be changed


@pytest.fixture
def world(people, hub, school):
    """Rows for every kind of page, so each URL names something real: the
    headteacher's school's applications, work group, meeting, participant and claim."""
    head = people["headteacher"]
    this_year = year(2026)
    window = ApplicationWindowFactory(hub=hub, stage=stage("dwg"), year=this_year)
    accepted = AcceptedApplicationFactory(school=school, stage=stage("dwg"), year=this_year)
    draft = DraftApplicationFactory(school=school, stage=stage("emb"), year=year(2027))
    group = group_with_schools(hub, schools=1, lead=people["specialist"])
    GroupMember.objects.create(
        work_group=group, school=school, application=accepted, stage=group.stage, year=group.year
    )
    meeting = MeetingFactory(work_group=group)
    ClaimWindowFactory(hub=hub, year=this_year)
    claim = ready_claim(school, head, kind="grant")
    return {
        "head_membership": membership_of(head),
        "window": window,
        "accepted": accepted,
        "draft": draft,
        "group": group,
        "meeting": meeting,
        "participant": accepted.participants.first(),
        "claim": claim,
        "year": this_year,
    }


def _sample(world, namespace, name, key):
    by_key = {
        "urn": world["draft"].school.urn,
        "stage_code": "dwg",
        "year_slug": world["year"].slug,
        "kind": "grant",
        "action": "open",
        "fmt": "csv",
        "token": "not-a-token",
        "filename": "messages.log",
        "index": 0,
        "evidence_pk": 1,
    }
    if key in by_key:
        return by_key[key]
    if key == "section":
        return "conditions" if namespace == "funding" else "participants"
    if key == "pk":
        if namespace == "applications":
            return world["window"].pk if name.startswith("window") else world["draft"].pk
        if namespace == "groups":
            if name in ("meeting", "reschedule", "cancel", "log"):
                return world["meeting"].pk
            if name == "replace_participant":
                return world["participant"].pk
            return world["group"].pk
        if namespace == "funding":
            return world["claim"].pk
        return 1
    return "x"


def portal_urls(world) -> dict[str, str]:
    """Every named URL of the portal's own apps, filled with real rows."""
    urls = {}

    def walk(patterns, namespace=None, converters=None):
        for pattern in patterns:
            found = {**(converters or {}), **pattern.pattern.converters}
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace, found)
            elif isinstance(pattern, URLPattern) and pattern.name:
                if namespace == "admin" or pattern.name.startswith(("account_", "mfa_")):
                    continue
                full = f"{namespace}:{pattern.name}" if namespace else pattern.name
                kwargs = {key: _sample(world, namespace, pattern.name, key) for key in found}
                urls[full] = reverse(full, kwargs=kwargs)

    walk(get_resolver().url_patterns)
    return urls


def test_every_post_to_every_url_is_refused_and_changes_nothing(viewing, world):
    urls = portal_urls(world)
    # Every app's pages are covered, not only a few.
    for expected in (
        "applications:start",
        "applications:section",
        "applications:withdraw",
        "applications:decide",
        "groups:schedule",
        "groups:log",
        "groups:replace_participant",
        "groups:calendar",
        "funding:start",
        "funding:section",
        "funding:check",
        "funding:batches",
        "invitations:create",
        "invitations:accept",
        "switch_role",
        "support:view_as",
    ):
        assert expected in urls
    # Also allauth's own forms, which would change the target's sign-in details.
    urls.update(
        {
            name: reverse(name)
            for name in ("account_email", "account_change_password", "mfa_activate_totp")
        }
    )
    urls.pop("support:stop")
    counts = {model: model.objects.count() for model in (Application, SupportSession, User)}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            response = viewing.post(url, {"year": world["year"].slug, "membership": 1})
        assert response.status_code == 403, (name, url, response.status_code)
        assert writes(queries) == [], (name, url)
    refused = viewing.post(reverse("applications:start", args=["dwg"]))
    assert "Nothing can be changed while viewing as someone else" in refused.content.decode()
    assert BANNER in refused.content.decode()
    assert {model: model.objects.count() for model in counts} == counts
    assert SupportSession.objects.get().ended_at is None


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_unsafe_methods_are_refused(viewing, world, method):
    url = reverse("applications:detail", args=[world["draft"].pk])
    response = getattr(viewing, method)(url)
    assert response.status_code == 403
    assert Application.objects.filter(pk=world["draft"].pk).exists()


def test_the_headteachers_main_forms_are_refused_with_real_answers(viewing, world, people):
    draft = world["draft"]
    history_before = draft.history.count()
    applications_before = Application.objects.filter(school=draft.school).count()
    attempts = [
        (reverse("applications:start", args=["dwg"]), {"year": world["year"].slug}),
        (
            reverse("applications:section", args=[draft.pk, "school"]),
            {"confirmed": "on", "contact_name": "Someone Else", "contact_role": "Head"},
        ),
        (reverse("applications:withdraw", args=[draft.pk]), {"reason": "Changed our minds"}),
        (
            reverse("funding:section", args=[world["claim"].pk, "payee"]),
            {"payee_name": "Elsewhere", "sort_code": "000000", "account_number": "00000000"},
        ),
        (reverse("funding:check", args=[world["claim"].pk]), {"confirm": "on"}),
        (reverse("funding:start", args=["match"]), {}),
        (reverse("switch_role"), {"membership": world["head_membership"].pk}),
    ]
    for url, data in attempts:
        assert viewing.post(url, data).status_code == 403, url
    after = Application.objects.get(pk=draft.pk)
    assert (after.state, after.contact_name) == ("draft", "Pat Head")
    assert after.history.count() == history_before
    assert Application.objects.filter(school=draft.school).count() == applications_before
    world["claim"].refresh_from_db()
    assert world["claim"].state == "draft"
    assert world["claim"].payee_name != "Elsewhere"


@pytest.mark.parametrize("target", ["headteacher", "specialist"])
def test_no_page_changes_anything_on_get(client, people, world, target):
    """Every page is safe to look at as the target: a GET writes nothing but the
    session (and none gives a server error)."""
    start(client, people["national_admin"], people[target])
    urls = portal_urls(world)
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code < 500, (name, url)
        found = writes(queries, allowed=GET_WRITES_ALLOWED)
        assert found == [], (name, url, found)
    assert SupportSession.objects.get().ended_at is None


# ---------------------------------------------------------------------------
# Stopping, signing out, expiry


def test_stop_returns_to_the_viewers_own_account_and_is_recorded(viewing, people):
    head = people["headteacher"]
    response = viewing.post(reverse("support:stop"))
    assert response.status_code == 302
    assert response.url == reverse("support:start")
    row = SupportSession.objects.get()
    assert row.ended_how == SupportSessionEnd.STOPPED
    assert row.ended_at is not None
    assert support.SESSION_KEY not in viewing.session
    history = list(row.history.order_by("history_id"))
    assert [h.history_type for h in history] == ["+", "~"]
    assert {h.history_user for h in history} == {people["national_admin"]}
    assert "Started viewing as" in history[0].history_change_reason
    assert "stopped by the viewer" in history[1].history_change_reason

    page = viewing.get(response.url)
    assert page.status_code == 200
    assert f"You have stopped viewing the portal as {head.get_full_name()}" in (
        page.content.decode()
    )
    assert BANNER not in page.content.decode()
    # Support's own pages show nothing of the record.
    assert "Stopped by the viewer" not in page.content.decode()
    home = viewing.get(reverse("home"))
    assert home.context["user"] == people["national_admin"]
    assert home.context["membership"].role == Role.NATIONAL_ADMIN


def test_stop_needs_a_post_and_a_second_stop_changes_nothing(viewing):
    assert viewing.get(reverse("support:stop")).status_code == 405
    viewing.post(reverse("support:stop"))
    again = viewing.post(reverse("support:stop"))
    assert again.status_code == 302
    assert SupportSession.objects.get().history.count() == 2


def test_a_form_left_open_from_the_view_as_cannot_be_sent_after_stopping(people):
    client = Client(enforce_csrf_checks=True)
    start_page_token = None
    client.force_login(people["national_admin"])
    page = client.get(reverse("support:start"))
    start_page_token = page.context["csrf_token"]
    client.post(
        reverse("support:view_as"),
        {
            "membership": membership_of(people["headteacher"]).pk,
            "csrfmiddlewaretoken": str(start_page_token),
        },
    )
    home = client.get(reverse("home"))
    stale = str(home.context["csrf_token"])
    client.post(reverse("support:stop"), {"csrfmiddlewaretoken": stale})
    assert SupportSession.objects.get().ended_how == SupportSessionEnd.STOPPED
    # The token of a page shown during the view-as no longer works...
    response = client.post(reverse("switch_role"), {"csrfmiddlewaretoken": stale})
    assert response.status_code == 403
    # ...while a page shown now carries one that does.
    fresh = str(client.get(reverse("home")).context["csrf_token"])
    assert client.post(reverse("switch_role"), {"csrfmiddlewaretoken": fresh}).status_code == 302


def test_signing_out_ends_the_view_as_and_signs_out_the_viewer_only(client, people):
    head = people["headteacher"]
    head_client = Client()
    head_client.post("/accounts/login/", {"login": head.email, "password": DEMO_PASSWORD})
    head.refresh_from_db()
    last_login = head.last_login
    head_sessions = set(Session.objects.values_list("session_key", flat=True))

    start(client, people["national_admin"], head)
    client.get(reverse("home"))
    assert client.get(reverse("account_logout")).status_code == 200
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    row = SupportSession.objects.get()
    assert row.ended_how == SupportSessionEnd.SIGNED_OUT
    assert AUTH_SESSION_KEY not in client.session
    # The headteacher was never signed in by it, nor signed out.
    head.refresh_from_db()
    assert head.last_login == last_login
    assert head_sessions <= set(Session.objects.values_list("session_key", flat=True))
    assert head_client.get(reverse("home")).context["user"] == head


def test_the_viewers_own_two_factor_rule_still_applies(client, people, settings):
    start(client, people["national_admin"], people["headteacher"])
    settings.REQUIRE_STAFF_MFA = True
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


def test_a_view_as_ends_after_30_minutes(viewing, people, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    row = SupportSession.objects.get()
    time_machine.move_to(row.started_at + timedelta(minutes=29), tick=False)
    assert BANNER in viewing.get(reverse("home")).content.decode()

    time_machine.move_to(row.started_at + timedelta(minutes=31), tick=False)
    response = viewing.get(reverse("applications:programme"))
    assert response.status_code == 302
    assert response.url == reverse("support:start")
    row.refresh_from_db()
    assert row.ended_how == SupportSessionEnd.EXPIRED
    assert row.ended_at == row.started_at + support.VIEW_AS_LIMIT
    page = viewing.get(response.url).content.decode()
    assert "viewing as someone ends after 30 minutes" in page
    assert viewing.get(reverse("home")).context["user"] == people["national_admin"]


def test_an_expired_view_as_does_not_let_a_late_form_through(viewing, world, time_machine):
    row = SupportSession.objects.get()
    # Active all along (the sign-in would end after 30 idle minutes anyway).
    time_machine.move_to(row.started_at + timedelta(minutes=20), tick=False)
    assert viewing.get(reverse("home")).status_code == 200
    time_machine.move_to(row.started_at + timedelta(minutes=35), tick=False)
    response = viewing.post(reverse("switch_role"), {"membership": 1})
    assert response.status_code == 302
    assert response.url == reverse("support:start")


def test_a_view_as_ends_when_it_stops_being_allowed(client, people, school, other_hub):
    start(client, people["hub_lead"], people["headteacher"])
    school.hub = other_hub
    school.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert SupportSession.objects.get().ended_how == SupportSessionEnd.REVOKED


def test_a_view_as_ended_elsewhere_is_forgotten_here(client, people):
    start(client, people["national_admin"], people["headteacher"])
    row = SupportSession.objects.get()
    support.support_stop(
        actor=people["national_admin"], support_session=row, how=SupportSessionEnd.STOPPED
    )
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert support.SESSION_KEY not in client.session
    assert client.get(reverse("home")).context["user"] == people["national_admin"]


# ---------------------------------------------------------------------------
# The services and the audit


def test_support_start_refuses_roles_that_may_not_view(people):
    with pytest.raises(PermissionDenied):
        support.support_start(
            actor=people["headteacher"], membership=membership_of(people["specialist"])
        )
    with pytest.raises(PermissionDenied):
        support.support_start(
            actor=people["hub_lead"], membership=membership_of(people["other_headteacher"])
        )
    assert not SupportSession.objects.exists()


def test_a_new_start_ends_the_one_left_open(people, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    admin = people["national_admin"]
    first = support.support_start(actor=admin, membership=membership_of(people["headteacher"]))
    time_machine.shift(timedelta(minutes=5))
    second = support.support_start(actor=admin, membership=membership_of(people["specialist"]))
    first.refresh_from_db()
    assert first.ended_how == SupportSessionEnd.REPLACED
    assert first.ended_at == second.started_at
    time_machine.shift(timedelta(hours=3))
    support.support_start(actor=admin, membership=membership_of(people["headteacher"]))
    second.refresh_from_db()
    assert second.ended_how == SupportSessionEnd.EXPIRED
    assert second.ended_at == second.started_at + support.VIEW_AS_LIMIT
    assert SupportSession.objects.filter(ended_at__isnull=True).count() == 1


def test_only_the_viewer_ends_their_view_as(people):
    row = support.support_start(
        actor=people["national_admin"], membership=membership_of(people["headteacher"])
    )
    with pytest.raises(PermissionDenied):
        support.support_stop(
            actor=people["hub_lead"], support_session=row, how=SupportSessionEnd.STOPPED
        )
    with pytest.raises(ValueError, match="Unknown way"):
        support.support_stop(actor=people["national_admin"], support_session=row, how="vanished")
    row.refresh_from_db()
    assert row.ended_at is None


def test_the_database_keeps_one_open_view_as_per_viewer(people):
    admin = people["national_admin"]
    support.support_start(actor=admin, membership=membership_of(people["headteacher"]))
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportSession.objects.create(
            viewer=admin, target=people["specialist"], role=Role.SPECIALIST, place="x"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportSession.objects.create(
            viewer=people["hub_lead"], target=people["hub_lead"], role=Role.HUB_LEAD, place="x"
        )


def test_national_admins_read_the_record_in_the_django_admin(client, people):
    support.support_start(actor=people["hub_lead"], membership=membership_of(people["headteacher"]))
    client.force_login(people["national_admin"])
    listing = client.get("/admin/accounts/supportsession/")
    assert listing.status_code == 200
    assert people["headteacher"].get_full_name() in listing.content.decode()
    assert people["hub_lead"].get_full_name() in listing.content.decode()
    row = SupportSession.objects.get()
    assert client.get(f"/admin/accounts/supportsession/{row.pk}/change/").status_code == 200
    # Read-only: nobody adds or deletes a record there.
    assert client.get("/admin/accounts/supportsession/add/").status_code == 403
    assert client.post(f"/admin/accounts/supportsession/{row.pk}/delete/").status_code == 403
    assert SupportSession.objects.count() == 1
    # Hub leads have no Django admin at all.
    client.force_login(people["hub_lead"])
    assert client.get("/admin/accounts/supportsession/").status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_starts_leave_exactly_one_open(hub, school):
    admin = NationalAdminFactory().user
    targets = [HeadteacherFactory(school=SchoolFactory(hub=hub)) for _ in range(6)]

    def begin(membership):
        return lambda: support.support_start(actor=admin, membership=membership)

    outcomes = race(*(begin(m) for m in targets))
    assert all(isinstance(o, SupportSession) for o in outcomes), [repr(o) for o in outcomes]
    assert SupportSession.objects.count() == 6
    assert SupportSession.objects.filter(ended_at__isnull=True).count() == 1
    assert SupportSession.objects.filter(ended_how=SupportSessionEnd.REPLACED).count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_stops_end_it_once(hub, school):
    admin = NationalAdminFactory().user
    target = HeadteacherFactory(school=school)
    row = support.support_start(actor=admin, membership=target)

    def stop():
        return support.support_stop(
            actor=admin,
            support_session=SupportSession.objects.get(pk=row.pk),
            how=SupportSessionEnd.STOPPED,
        )

    outcomes = race(*([stop] * 8))
    assert all(isinstance(o, SupportSession) for o in outcomes), outcomes
    assert {o.ended_at for o in outcomes} == {SupportSession.objects.get().ended_at}
    assert row.history.filter(history_type="~").count() == 1
