"""Who may open every page of the portal: every URL pattern the resolver knows, for
each role (signed out, headteacher, Mastery Specialist, hub lead, national admin),
against the first hub's rows ("own") and the second hub's ("other"); for rows that
belong to a school or a work group, also against another school and group of the
first hub ("neighbour"). Each (URL name, method, role, scope) is one case.

The expectations are one table, ``PORTAL``, keyed by URL name, plus one rule for each
namespace that belongs to a package (allauth's sign-in pages, the Django admin). A
pattern the resolver finds that neither the table nor a rule covers fails
``test_every_url_pattern_has_an_expectation`` by name, so a new page cannot be left
out. The rules of the portal:

- signed out: sent to sign in (302 to ``/accounts/login/?next=<the page>``);
- signed in without the role for the page: 403;
- a row outside the person's scope (another hub's, school's or group's): 404;
- a view that only takes POST answers GET with 405; its POST is exercised too;
- national admins look at every hub's pages but do not act on them (403 on POST);
- the calendar feed and an invitation link need no sign-in: the token is the key,
  and a token never issued is a 404.

For a POST that is refused (403, 404, 405, sent to sign in, or a refusal shown on the
page), nothing in the portal's tables may change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.access_world import NOW, OUTBOX_FILE, World, build_world

ROLES = ("anonymous", "headteacher", "specialist", "hub_lead", "national_admin")
SIGNED_IN = ROLES[1:]

# What a request may answer.
OK = 200
FORBIDDEN = 403
NOT_FOUND = 404
NOT_ALLOWED = 405
LOGIN = "sent to sign in"  # 302 to settings.LOGIN_URL with ?next=<the page>
ADMIN_LOGIN = "sent to the admin sign-in"  # 302 to admin:login with ?next=<the page>
REDIRECT = "redirected"  # 302 anywhere else
DONE = "done"  # a permitted POST: 200 (the form again) or 302 (on to the next page)
SHOWN_REFUSAL = "refusal shown"  # 200, the refusal on the page, nothing changed

REFUSED = {FORBIDDEN, NOT_FOUND, NOT_ALLOWED, LOGIN, ADMIN_LOGIN, SHOWN_REFUSAL}

SCOPED = ("own", "other")
UNSCOPED = ("-",)

# An expectation for one role: the same in every scope, (own, other), or for rows of a
# school or work group (own, neighbour, other): "neighbour" is another school and
# work group of the same hub.
Outcome = int | str | tuple
NEIGHBOURED = ("own", "neighbour", "other")

HEAD_ONLY = (OK, NOT_FOUND, NOT_FOUND)  # the headteacher's own school only
LEADER = (OK, NOT_FOUND, NOT_FOUND)  # the group's own specialist only
HUB = (OK, OK, NOT_FOUND)  # every school and group of the hub


def roles(
    *,
    anonymous: Outcome = LOGIN,
    head: Outcome = FORBIDDEN,
    spec: Outcome = FORBIDDEN,
    lead: Outcome = FORBIDDEN,
    admin: Outcome = FORBIDDEN,
) -> dict[str, Outcome]:
    """Expectations per role; by default signed out is sent to sign in, anyone else 403."""
    return {
        "anonymous": anonymous,
        "headteacher": head,
        "specialist": spec,
        "hub_lead": lead,
        "national_admin": admin,
    }


def post_only(
    *, anonymous: Outcome = LOGIN, passes: tuple[str, ...] = (), refused: Outcome = FORBIDDEN
) -> dict[str, Outcome]:
    """GET on a POST-only view: 405 for the roles whose role check lets them through
    (``passes``), ``refused`` for the others."""
    return {
        "anonymous": anonymous,
        **{role: NOT_ALLOWED if role in passes else refused for role in SIGNED_IN},
    }


Args = Callable[[World, str], list[Any]]


@dataclass(frozen=True)
class Rule:
    """What each role gets from a GET (and, when ``post`` is given, a POST of ``data``);
    ``args`` builds the address's arguments from the world for a scope."""

    get: dict[str, Outcome]
    args: Args | None = None
    query: dict[str, str] = field(default_factory=dict)
    post: dict[str, Outcome] | None = None
    data: Callable[[World, str], dict] | dict = field(default_factory=dict)


def pk(attribute: str) -> Args:
    return lambda world, scope: [getattr(world.rows(scope), attribute).pk]


def urn(world: World, scope: str) -> list[Any]:
    return [world.rows(scope).school.urn]


COHORT = ["dwg", "2026-27"]
EXPORT = {"format": "csv", "year": "2026-27"}


# ---------------------------------------------------------------------------
# The portal's own pages

PORTAL: dict[str, Rule] = {
    # Home and the role switcher: anyone signed in.
    "home": Rule(roles(head=OK, spec=OK, lead=OK, admin=OK)),
    "switch_role": Rule(
        post_only(passes=SIGNED_IN),
        post=roles(head=DONE, spec=DONE, lead=DONE, admin=DONE),
        data=lambda world, scope: {"membership": world.own.head_membership.pk},
    ),
    # Invitations: hub staff invite; the outbox is the national admin's.
    "invitations:list": Rule(roles(lead=OK, admin=OK)),
    "invitations:create": Rule(roles(lead=OK, admin=OK)),
    # No sign-in: the token is the key. "own" is a waiting invitation's token,
    # "other" one that was never issued.
    "invitations:accept": Rule(
        dict.fromkeys(ROLES, (OK, NOT_FOUND)),
        args=lambda world, scope: [
            world.own.invitation_token if scope == "own" else "never-issued-token"
        ],
    ),
    "invitations:outbox": Rule(roles(admin=OK)),
    # "own" is a message in the outbox, "other" a file name that is not there.
    "invitations:outbox_message": Rule(
        roles(admin=(OK, NOT_FOUND)),
        args=lambda world, scope: [
            OUTBOX_FILE if scope == "own" else "20261123-100000-9.log",
            0,
        ],
    ),
    # A school's journey: its headteacher, its hub's leads, national admins.
    "journey:journey": Rule(roles(head=HEAD_ONLY, lead=HUB, admin=OK), args=urn),
    "journey:map": Rule(roles(lead=OK, admin=OK)),
    # The school directory and a school's page.
    "schools:directory": Rule(roles(spec=OK, lead=OK, admin=OK)),
    "schools:detail": Rule(
        roles(head=HEAD_ONLY, spec=(OK, OK, NOT_FOUND), lead=HUB, admin=OK),
        args=urn,
    ),
    # The headteacher's applications.
    "applications:programme": Rule(roles(head=OK)),
    "applications:start": Rule(
        post_only(passes=("headteacher",)),
        args=None,
        post=roles(head=DONE),
        data={"year": "2027-28"},
    ),
    "applications:detail": Rule(roles(head=HEAD_ONLY), args=pk("draft_application")),
    "applications:section": Rule(
        roles(head=HEAD_ONLY),
        args=lambda world, scope: [world.rows(scope).draft_application.pk, "commitments"],
    ),
    "applications:check": Rule(roles(head=HEAD_ONLY), args=pk("draft_application")),
    "applications:withdraw": Rule(
        roles(head=HEAD_ONLY),
        args=pk("draft_application"),
        post=roles(head=(DONE, NOT_FOUND, NOT_FOUND)),
        data={"reason": "The school cannot release its teachers"},
    ),
    # The hub's cohorts and decisions: hub leads act, national admins look.
    "applications:cohorts": Rule(roles(lead=OK, admin=OK)),
    "applications:list": Rule(roles(lead=OK, admin=OK)),
    "applications:accept_many": Rule(
        post_only(passes=("hub_lead",)),
        post=roles(lead=(DONE, SHOWN_REFUSAL)),
        data=lambda world, scope: {"application": [world.rows(scope).submitted_application.pk]},
    ),
    "applications:cohort": Rule(roles(lead=OK, admin=OK)),
    "applications:review": Rule(
        roles(lead=(OK, NOT_FOUND), admin=OK), args=pk("submitted_application")
    ),
    "applications:decide": Rule(
        post_only(passes=("hub_lead",)),
        args=pk("submitted_application"),
        post=roles(lead=(DONE, NOT_FOUND)),
        data={"decision": "decline", "reason": "The school is outside the hub's area"},
    ),
    "applications:windows": Rule(roles(lead=OK, admin=OK)),
    "applications:window_new": Rule(roles(lead=OK)),
    "applications:window_edit": Rule(
        roles(lead=(OK, NOT_FOUND)),
        args=pk("window"),
        post=roles(lead=(DONE, NOT_FOUND)),
        data={"target_places": "3"},
    ),
    "applications:window_toggle": Rule(
        post_only(passes=("hub_lead",)),
        args=lambda world, scope: [world.rows(scope).window.pk, "close"],
        post=roles(lead=(DONE, NOT_FOUND)),
    ),
    "applications:participation": Rule(
        roles(lead=OK, admin=OK),
        post=roles(lead=DONE),
        data={"record-outcome": "completed"},
    ),
    "applications:participation_upload": Rule(roles(lead=OK)),
    # Work groups: hub leads form and manage them; their specialist leads each one.
    "groups:list": Rule(roles(lead=OK, admin=OK)),
    "groups:propose": Rule(roles(lead=OK)),
    "groups:manage": Rule(roles(lead=HUB), args=pk("group")),
    "groups:mine": Rule(roles(spec=OK)),
    "groups:hub_meetings": Rule(roles(lead=OK, admin=OK)),
    "groups:detail": Rule(roles(spec=LEADER, lead=HUB, admin=OK), args=pk("group")),
    # National admins may look at a group, not plan its meetings.
    "groups:schedule": Rule(roles(spec=LEADER, lead=HUB), args=pk("group")),
    "groups:meeting": Rule(roles(spec=LEADER, lead=HUB, admin=OK), args=pk("meeting")),
    "groups:reschedule": Rule(roles(spec=LEADER, lead=HUB), args=pk("meeting")),
    "groups:cancel": Rule(
        roles(spec=LEADER, lead=HUB),
        args=pk("meeting"),
        post=roles(spec=(DONE, NOT_FOUND, NOT_FOUND), lead=(DONE, DONE, NOT_FOUND)),
        data={"reason": "The venue is closed for snow"},
    ),
    # Only the group's own lead logs who came.
    "groups:log": Rule(
        roles(spec=LEADER),
        args=pk("meeting"),
        post=roles(spec=(DONE, NOT_FOUND, NOT_FOUND)),
    ),
    "groups:completion": Rule(roles(lead=HUB), args=pk("group")),
    "groups:school": Rule(roles(head=OK)),
    "groups:replace_participant": Rule(
        roles(head=HEAD_ONLY),
        args=pk("participant"),
        post=roles(head=(DONE, NOT_FOUND, NOT_FOUND)),
        data={"name": "Robin New", "email": "robin.new@school.example"},
    ),
    "groups:calendar": Rule(roles(head=OK, spec=OK)),
    # No sign-in: calendar programs cannot sign in, the token is the key. "own" is the
    # specialist's address, "other" one that was never issued.
    "groups:feed": Rule(
        dict.fromkeys(ROLES, (OK, NOT_FOUND)),
        args=lambda world, scope: [world.own.feed.token if scope == "own" else "x" * 43],
    ),
    # The headteacher's funding.
    "funding:school": Rule(roles(head=OK)),
    "funding:start": Rule(
        post_only(passes=("headteacher",)),
        args=None,
        post=roles(head=DONE),
    ),
    "funding:claim": Rule(roles(head=HEAD_ONLY), args=pk("draft_claim")),
    "funding:check": Rule(roles(head=HEAD_ONLY), args=pk("draft_claim")),
    "funding:section": Rule(
        roles(head=HEAD_ONLY),
        args=lambda world, scope: [world.rows(scope).draft_claim.pk, "payee"],
    ),
    "funding:evidence_remove": Rule(
        post_only(passes=("headteacher",)),
        args=lambda world, scope: [
            world.rows(scope).draft_claim.pk,
            world.rows(scope).evidence.pk,
        ],
        post=roles(head=(DONE, NOT_FOUND, NOT_FOUND)),
    ),
    # Proof of purchase: the school, its hub's leads and national admins; to anyone
    # else the file does not exist, whatever their role (see funding.views.evidence).
    "funding:evidence": Rule(
        roles(head=HEAD_ONLY, spec=NOT_FOUND, lead=HUB, admin=OK),
        args=pk("evidence"),
    ),
    # The hub's claims, payments and budget: hub leads act, national admins look.
    "funding:claims": Rule(roles(lead=OK, admin=OK)),
    "funding:review": Rule(
        roles(lead=(OK, NOT_FOUND), admin=OK),
        args=pk("submitted_claim"),
        post=roles(lead=(DONE, NOT_FOUND)),
        data={"decision": "reject", "reject-reason": "The invoice is for another school"},
    ),
    "funding:batches": Rule(roles(lead=OK, admin=OK), post=roles(lead=DONE)),
    "funding:batch": Rule(
        roles(lead=(OK, NOT_FOUND), admin=OK),
        args=pk("batch"),
        post=roles(lead=(DONE, NOT_FOUND)),
    ),
    "funding:batch_export": Rule(
        roles(lead=(OK, NOT_FOUND), admin=OK),
        args=lambda world, scope: [world.rows(scope).batch.pk, "csv"],
    ),
    "funding:budget": Rule(
        roles(lead=OK, admin=OK),
        post=roles(lead=DONE),
        data={"form": "budget", "budget-allocation": "5000.00"},
    ),
    # Assurance: hub leads check and claw back, national admins look.
    "assurance:samples": Rule(
        roles(lead=OK, admin=OK),
        # National admins draw samples of any hub too (funding.assurance.can_draw).
        post=roles(lead=DONE, admin=DONE),
        data={"draw-hub": "BOO", "draw-year": "2026-27", "draw-percent": "100", "draw-seed": "7"},
    ),
    "assurance:sample": Rule(roles(lead=(OK, NOT_FOUND), admin=OK), args=pk("sample")),
    "assurance:check": Rule(
        roles(lead=(OK, NOT_FOUND), admin=OK),
        args=pk("check"),
        post=roles(lead=(DONE, NOT_FOUND)),
        data={"outcome": "sufficient", "notes": "The invoice is in order"},
    ),
    "assurance:clawback_open": Rule(
        post_only(passes=("hub_lead", "national_admin")),
        args=pk("check"),
        post=roles(lead=(DONE, NOT_FOUND)),
        data={"clawback-amount": "50.00", "clawback-reason": "The invoice was a quotation"},
    ),
    "assurance:clawbacks": Rule(roles(lead=OK, admin=OK)),
    "assurance:clawback": Rule(roles(lead=(OK, NOT_FOUND), admin=OK), args=pk("clawback")),
    "assurance:recover": Rule(
        post_only(passes=("hub_lead", "national_admin")),
        args=pk("clawback"),
        post=roles(lead=(DONE, NOT_FOUND)),
    ),
    "assurance:waive": Rule(
        post_only(passes=("hub_lead", "national_admin")),
        args=pk("clawback"),
        post=roles(lead=(DONE, NOT_FOUND)),
        data={"waive-waive_reason": "The school has closed"},
    ),
    "assurance:similar": Rule(roles(lead=(OK, NOT_FOUND), admin=OK), args=pk("paid_claim")),
    # Support "view as": hub leads view as their hub's people, national admins as anyone's;
    # another hub's person is refused like a person who does not exist (403).
    "support:start": Rule(roles(lead=OK, admin=OK)),
    "support:view_as": Rule(
        post_only(passes=("hub_lead", "national_admin")),
        args=None,
        post=roles(lead=(DONE, FORBIDDEN), admin=DONE),
        data=lambda world, scope: {"membership": world.rows(scope).head_membership.pk},
    ),
    # Stopping needs no role (it ends a view-as if there is one), so no sign-in either.
    "support:stop": Rule(
        post_only(anonymous=NOT_ALLOWED, passes=SIGNED_IN),
        post=roles(anonymous=REDIRECT, head=DONE, spec=DONE, lead=DONE, admin=DONE),
    ),
    # Notices: everyone their own preferences; hub leads their hub's ledger.
    "notices:preferences": Rule(roles(head=OK, spec=OK, lead=OK, admin=OK)),
    "notices:hub": Rule(roles(lead=OK, admin=OK)),
    "notices:retry": Rule(
        post_only(anonymous=NOT_ALLOWED, passes=SIGNED_IN),
        args=pk("notice"),
        post=roles(lead=(DONE, NOT_FOUND)),
    ),
    # A person's own data: anyone signed in, about themselves only.
    "privacy:your_data": Rule(roles(head=OK, spec=OK, lead=OK, admin=OK)),
    "privacy:download_json": Rule(roles(head=OK, spec=OK, lead=OK, admin=OK)),
    "privacy:download_zip": Rule(roles(head=OK, spec=OK, lead=OK, admin=OK)),
    # Reports: hub staff export.
    "reports:index": Rule(roles(lead=OK, admin=OK)),
    "reports:cohort": Rule(roles(lead=OK, admin=OK), query={**EXPORT, "stage": "dwg"}),
    "reports:attendance": Rule(roles(lead=OK, admin=OK), query=EXPORT),
    "reports:claims": Rule(roles(lead=OK, admin=OK), query=EXPORT),
    "reports:annual_return": Rule(roles(lead=OK, admin=OK), query=EXPORT),
}

# Fixed arguments of patterns whose parameters name no hub's row.
FIXED_ARGS: dict[str, list[Any]] = {
    "applications:start": ["mr"],
    "applications:list": COHORT,
    "applications:accept_many": COHORT,
    "applications:cohort": COHORT,
    "groups:list": COHORT,
    "groups:propose": COHORT,
    "funding:start": ["match"],
}

# Scoped by what is posted rather than by the address.
POST_SCOPED = {"applications:accept_many", "support:view_as"}


# ---------------------------------------------------------------------------
# allauth's pages (``accounts/``): the same for every signed-in role. Two-factor
# sign-in is off in the tests; StaffMFAMiddleware has tests of its own.
# Each: (signed out, signed in).

ALLAUTH: dict[str, tuple[Outcome, Outcome]] = {
    "account_login": (OK, REDIRECT),
    "account_logout": (REDIRECT, OK),
    "account_inactive": (OK, OK),
    # Sign-up is closed (people come in by invitation): the page says so.
    "account_signup": (OK, REDIRECT),
    "account_reauthenticate": (LOGIN, OK),
    "account_email": (LOGIN, OK),
    "account_email_verification_sent": (OK, OK),
    "account_change_password": (LOGIN, OK),
    "account_set_password": (LOGIN, REDIRECT),
    "account_reset_password": (OK, OK),
    # No sign-in code was asked for: back to sign in.
    "account_confirm_login_code": (REDIRECT, REDIRECT),
    # A key never issued: the page says the link is not valid.
    "account_confirm_email": (OK, OK),
    "account_reset_password_from_key_done": (OK, OK),
    "account_reset_password_from_key": (OK, OK),
    "account_reset_password_done": (OK, OK),
    "account_request_login_code": (OK, REDIRECT),
    "mfa_index": (LOGIN, OK),
    # Without a sign-in waiting for its second step: back to sign in.
    "mfa_authenticate": (REDIRECT, REDIRECT),
    # A person without two-factor sign-in confirms their password instead.
    "mfa_reauthenticate": (LOGIN, REDIRECT),
    # Setting up two-factor sign-in first asks for the password again.
    "mfa_activate_totp": (LOGIN, REDIRECT),
    # None of the people asking has an authenticator app or recovery codes.
    "mfa_deactivate_totp": (LOGIN, NOT_FOUND),
    "mfa_view_recovery_codes": (LOGIN, NOT_FOUND),
    "mfa_generate_recovery_codes": (LOGIN, REDIRECT),
    "mfa_download_recovery_codes": (LOGIN, NOT_FOUND),
}


# ---------------------------------------------------------------------------
# The Django admin (``admin/``): only national admins may use it (is_staff and a national
# admin membership, hubportal.accounts.admin); everyone else, signed in or not, is sent
# to the admin's sign-in. National admins hold no Django model permissions; the role
# decides (hubportal.accounts.admin.NationalAdminAccess): they read every model of the
# portal's own apps, add, change and delete the reference data (approved textbook
# schemes, hubs), change people's accounts (never add one or set a password), and are
# refused (403) allauth's models, which hold sign-in secrets. A superuser (made with
# createsuperuser, no portal role) is not a role of the portal and not in this matrix.

ADMIN_READABLE_APPS = {"accounts", "schools", "workgroups", "funding", "notices", "privacy"}
ADMIN_EDITABLE = {"funding.scheme", "schools.hub"}


# ---------------------------------------------------------------------------
# Walking the resolver


@dataclass(frozen=True)
class Pattern:
    key: str  # "namespace:name", or "namespace:<route>" for an unnamed pattern
    name: str | None  # for reverse()
    route: str
    callback: Callable


def url_patterns() -> list[Pattern]:
    found: list[Pattern] = []

    def walk(resolver: URLResolver, prefix: str, namespaces: tuple[str, ...]):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespaces + ((entry.namespace,) if entry.namespace else ())
                walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                name = ":".join(namespaces + (entry.name,)) if entry.name else None
                key = name or ":".join(namespaces + (f"<{route}>",))
                found.append(Pattern(key, name, route, entry.callback))

    walk(get_resolver(), "", ())
    return found


# ---------------------------------------------------------------------------
# What each pattern expects, and the address to ask


def _admin_model(route: str):
    """The model behind an admin route ``admin/<app_label>/<model_name>/...``, if any."""
    parts = route.split("/")
    if len(parts) < 3 or parts[0] != "admin":
        return None
    try:
        return apps.get_model(parts[1], parts[2])
    except (LookupError, ValueError):
        return None


def _admin_staff_outcome(pattern: Pattern) -> Outcome:
    """What a national admin gets from an admin pattern (GET)."""
    site_pages = {
        "admin:index": OK,
        "admin:login": REDIRECT,  # already signed in: on to the index
        "admin:logout": NOT_ALLOWED,  # signing out is a POST
        "admin:password_change": OK,
        "admin:password_change_done": OK,
        "admin:autocomplete": FORBIDDEN,  # asked without a field to complete
        "admin:jsi18n": OK,
        "admin:view_on_site": NOT_FOUND,  # no model of the portal has get_absolute_url()
        "admin:app_list": OK,  # the notices app: the ledger is readable
        "admin:auth_user_password_change": FORBIDDEN,  # people set their own password
    }
    if pattern.key in site_pages:
        return site_pages[pattern.key]
    model = _admin_model(pattern.route)
    if model is None:
        return NOT_FOUND  # the catch-all: an admin address that is nothing
    readable = model._meta.app_label in ADMIN_READABLE_APPS
    if pattern.name is None:
        return REDIRECT  # <object_id>/ is on to <object_id>/change/
    suffix = pattern.name.rsplit("_", 1)[-1]
    if suffix in ("changelist", "change", "history") and readable:
        return OK
    if suffix in ("add", "delete") and model._meta.label_lower in ADMIN_EDITABLE:
        return OK
    return FORBIDDEN


def expectations(pattern: Pattern) -> dict[str, dict[str, Outcome]] | None:
    """{method: {role: outcome}} for a pattern, or None when nothing covers it."""
    if pattern.key in PORTAL:
        rule = PORTAL[pattern.key]
        found = {"GET": rule.get}
        if rule.post is not None:
            found["POST"] = rule.post
        return found
    if pattern.key.startswith("admin:"):
        outsiders = ADMIN_LOGIN
        if pattern.key == "admin:login":
            outsiders = OK
        elif pattern.key == "admin:logout":
            outsiders = REDIRECT  # nobody signed in to the admin: on to its index
        staff = _admin_staff_outcome(pattern)
        return {"GET": {**dict.fromkeys(ROLES[:-1], outsiders), "national_admin": staff}}
    if pattern.name in ALLAUTH:
        signed_out, signed_in = ALLAUTH[pattern.name]
        return {"GET": {"anonymous": signed_out, **dict.fromkeys(SIGNED_IN, signed_in)}}
    return None


def scopes_of(pattern: Pattern) -> tuple[str, ...]:
    rule = PORTAL.get(pattern.key)
    if rule is None:
        return UNSCOPED
    if rule.args is None and pattern.key not in POST_SCOPED:
        return UNSCOPED
    outcomes = [*rule.get.values(), *(rule.post or {}).values()]
    if any(isinstance(value, tuple) and len(value) == 3 for value in outcomes):
        return NEIGHBOURED
    return SCOPED


def _admin_path(pattern: Pattern, world: World) -> str:
    if pattern.key == "admin:view_on_site":
        school = world.own.school
        return reverse(pattern.name, args=[world.extra["school_content_type"].pk, school.pk])
    if pattern.key == "admin:app_list":
        return reverse(pattern.name, kwargs={"app_label": "notices"})
    model = _admin_model(pattern.route)
    if model is None:
        return reverse(pattern.name) if pattern.name else "/admin/no-such-page/"
    row = model._default_manager.order_by("pk").first()
    assert row is not None, f"the world has no {model._meta.label} for {pattern.key}"
    object_id = str(row.pk)
    if pattern.name is None:
        return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{object_id}/"
    if pattern.name.endswith("_simple_history"):
        history = model.history.order_by("history_id").first()
        assert history is not None, f"the world has no history of {model._meta.label}"
        return reverse(pattern.name, args=[history.instance.pk, history.history_id])
    if "<path:object_id>" in pattern.route or "<id>" in pattern.route:
        return reverse(pattern.name, args=[object_id])
    return reverse(pattern.name)


ALLAUTH_ARGS = {
    "account_confirm_email": ["no-such-key"],
    "account_reset_password_from_key": ["1", "no-such-key"],
}


def path_for(pattern: Pattern, world: World, scope: str) -> str:
    if pattern.key.startswith("admin:"):
        return _admin_path(pattern, world)
    if pattern.key in PORTAL:
        rule = PORTAL[pattern.key]
        args = rule.args(world, scope) if rule.args is not None else FIXED_ARGS.get(pattern.key, [])
        path = reverse(pattern.name, args=args)
        if rule.query:
            path += "?" + "&".join(f"{k}={v}" for k, v in rule.query.items())
        return path
    return reverse(pattern.name, args=ALLAUTH_ARGS.get(pattern.name, []))


def post_data(pattern: Pattern, world: World, scope: str) -> dict:
    data = PORTAL[pattern.key].data
    return data(world, scope) if callable(data) else dict(data)


def outcome_for(value: Outcome, scope: str) -> Outcome:
    if not isinstance(value, tuple):
        return value
    if len(value) == 3:
        return value[NEIGHBOURED.index(scope)]
    assert scope in SCOPED, f"give (own, neighbour, other) for {value}"
    return value[SCOPED.index(scope)]


# ---------------------------------------------------------------------------
# The cases: one per (pattern, method, role, scope)

PATTERNS = url_patterns()


def _cases() -> list:
    cases = []
    for pattern in PATTERNS:
        found = expectations(pattern)
        if found is None:
            continue
        for method, _by_role in found.items():
            for role in ROLES:
                for scope in scopes_of(pattern):
                    cases.append(
                        pytest.param(
                            pattern,
                            method,
                            role,
                            scope,
                            id=f"{pattern.key}-{method}-{role}-{scope}",
                        )
                    )
    return cases


CASES = _cases()
# Every pattern, role and scope of today's portal makes about 1,675 cases; far fewer
# means patterns went missing from the walk or from the table.
CASE_FLOOR = 1600


# ---------------------------------------------------------------------------
# The world, built once for the module


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Both hubs' rows, built once in a transaction that is rolled back at the end;
    each test runs in a savepoint inside it."""
    base = tmp_path_factory.mktemp("access-matrix")
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            # The clock stays at NOW (ticking) for every case of the module.
            with time_machine.travel(NOW):
                with override_settings(
                    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                    MEDIA_ROOT=str(base / "private"),
                    MAIL_DIR=str(base / "mail"),
                ):
                    built = build_world(base / "mail", base / "private")
                    built.extra["sessions"] = {
                        role: _signed_in_session(user)
                        for role, user in built.users().items()
                        if user is not None
                    }
                yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _signed_in_session(user) -> str:
    """A session of ``user`` signed in, as Client.force_login makes one; made once per
    role, each case's changes to it are rolled back with the case."""
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


@pytest.fixture
def portal(world, db, settings, _test_settings):
    """The world, with the private files and the outbox it was built with."""
    settings.MEDIA_ROOT = str(world.media_root)
    settings.MAIL_DIR = str(world.mail_dir)
    settings.SITE_URL = "https://portal.example"
    return world


# The tables a refused POST must leave as they were.
WATCHED_APPS = ("accounts", "schools", "workgroups", "funding", "notices")


def snapshot() -> dict[str, list]:
    """Every row of the portal's tables; of the audit history, how many rows."""
    state = {}
    for app_label in WATCHED_APPS:
        for model in apps.get_app_config(app_label).get_models():
            label = model._meta.label_lower
            if label == "accounts.user":
                continue  # signing in touches last_login
            if label.split(".")[1].startswith("historical"):
                state[label] = [model._default_manager.count()]
            else:
                state[label] = list(model._default_manager.order_by("pk").values_list())
    return state


def _changed(before: dict[str, list], after: dict[str, list]) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def assert_answer(response, expected: Outcome, path: str) -> None:
    status = response.status_code
    where = response.get("Location", "")
    said = f"{status} {where}".strip()
    if expected == LOGIN:
        login = resolve_url(settings.LOGIN_URL)
        assert status == 302, f"expected 302 to {login}, got {said}"
        parts = urlsplit(where)
        assert parts.path == login, f"expected 302 to {login}, got {said}"
        assert parse_qs(parts.query).get("next") == [path], f"next is not {path}: {said}"
    elif expected == ADMIN_LOGIN:
        login = reverse("admin:login")
        assert status == 302, f"expected 302 to {login}, got {said}"
        parts = urlsplit(where)
        assert parts.path == login, f"expected 302 to {login}, got {said}"
    elif expected == REDIRECT:
        assert status == 302, f"expected a redirect, got {said}"
    elif expected == DONE:
        assert status in (200, 302), f"expected 200 or 302, got {said}"
        assert urlsplit(where).path != resolve_url(settings.LOGIN_URL), said
    elif expected == SHOWN_REFUSAL:
        assert status == 200, f"expected the refusal on the page (200), got {said}"
    else:
        assert status == expected, f"expected {expected}, got {said}"


@pytest.fixture(scope="module")
def visitor():
    """One test client for the module: its handler loads the middleware once (WhiteNoise
    reads every static file when it starts), not once per case."""
    return Client()


@pytest.mark.parametrize(("pattern", "method", "role", "scope"), CASES)
def test_access(visitor, portal, pattern, method, role, scope):
    expected = outcome_for(expectations(pattern)[method][role], scope)
    client = visitor
    client.cookies = SimpleCookie()
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = portal.extra["sessions"][role]
    path = path_for(pattern, portal, scope)
    if method == "GET":
        response = client.get(path)
        assert_answer(response, expected, path)
        return
    before = snapshot()
    response = client.post(path, post_data(pattern, portal, scope))
    assert_answer(response, expected, path)
    if expected in REFUSED:
        changed = _changed(before, snapshot())
        assert not changed, f"a refused POST changed {', '.join(changed)}"


# ---------------------------------------------------------------------------
# The table itself


def test_every_url_pattern_has_an_expectation():
    missing = [f"{p.key} ({p.route})" for p in PATTERNS if expectations(p) is None]
    assert not missing, "URL patterns with no expected access in the matrix: " + ", ".join(missing)


def test_every_entry_of_the_table_is_a_url_pattern():
    keys = {p.key for p in PATTERNS}
    names = {p.name for p in PATTERNS}
    stale = sorted(set(PORTAL) - keys) + sorted(set(ALLAUTH) - names)
    assert not stale, "Expectations for URL names the portal no longer has: " + ", ".join(stale)


def test_every_allauth_and_admin_pattern_is_covered_by_its_rule():
    for pattern in PATTERNS:
        if pattern.route.startswith("accounts/"):
            assert pattern.name in ALLAUTH, pattern.key
        if pattern.route.startswith("admin/"):
            assert pattern.key.startswith("admin:"), pattern.key


def test_the_matrix_has_enough_cases():
    print(f"access matrix: {len(CASES)} cases over {len(PATTERNS)} URL patterns")
    assert len(CASES) >= CASE_FLOOR
