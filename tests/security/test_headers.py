"""The security headers and cookies of real responses, under the production settings
(read by starting the settings module with DEBUG off, as a deployment does), and the
HTTP Observatory grade they earn."""

import json
import os
import re
import subprocess
import sys

import pytest
from django.urls import reverse

from tests.factories import DEMO_PASSWORD, HeadteacherFactory, SchoolFactory, UserFactory
from tests.security.observatory import parse_csp, score_response

pytestmark = pytest.mark.django_db

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "production-like-key-for-the-header-tests-" + "x" * 20,
    "ALLOWED_HOSTS": "testserver",
    "EMAIL_URL": "smtp+tls://portal:secret@smtp.example.org:587",
}
SECURITY_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_AGE",
    "SESSION_SAVE_EVERY_REQUEST",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
]
YEAR = 365 * 24 * 3600


@pytest.fixture(scope="module")
def production():
    """The security settings as a deployment with DEBUG off gets them."""
    code = (
        "import json, os\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'hubportal.settings'\n"
        "from django.conf import settings\n"
        f"names = {SECURITY_SETTINGS!r}\n"
        "values = {n: getattr(settings, n) for n in names}\n"
        "lifetime = settings.SESSION_ABSOLUTE_LIFETIME.total_seconds()\n"
        "values['SESSION_ABSOLUTE_HOURS'] = lifetime / 3600\n"
        "print(json.dumps(values))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECURE_SSL_REDIRECT")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def deployed(settings, production):
    """This test process switched to the production security settings."""
    for name in SECURITY_SETTINGS:
        setattr(settings, name, production[name])
    settings.SECURE_PROXY_SSL_HEADER = None
    return production


def test_production_turns_on_every_transport_and_cookie_protection(production):
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= YEAR
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and production["SECURE_HSTS_PRELOAD"]
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    assert production["SESSION_COOKIE_HTTPONLY"]
    assert production["SESSION_COOKIE_SAMESITE"] == production["CSRF_COOKIE_SAMESITE"] == "Lax"
    # Thirty minutes without a request signs a person out; twelve hours whatever happens.
    assert production["SESSION_COOKIE_AGE"] == 30 * 60
    assert production["SESSION_SAVE_EVERY_REQUEST"] is True
    assert production["SESSION_ABSOLUTE_HOURS"] == 12


def test_every_page_carries_a_strict_content_security_policy(client):
    response = client.get(reverse("account_login"), secure=True)

    policy = parse_csp(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert "'self'" in policy[directive]
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(policy[directive])


def test_the_scripts_carry_the_responses_own_nonce_and_it_changes(client):
    nonces = []
    for _ in range(2):
        response = client.get(reverse("account_login"), secure=True)
        policy = parse_csp(response["Content-Security-Policy"])
        (nonce,) = [v[len("'nonce-") : -1] for v in policy["script-src"] if v.startswith("'nonce-")]
        html = response.content.decode()
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_no_page_uses_inline_style_attributes_or_inline_scripts():
    """The policy refuses them, so the templates must not need them."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        if "emails" in path.parts:  # mail is read in a mail client, not under the policy
            continue
        text = path.read_text()
        if re.search(r"\sstyle=\"|<style\b|\son[a-z]+=\"|javascript:", text):
            offenders.append(str(path.relative_to(root)))
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "application/json" not in tag:
                offenders.append(f"{path.relative_to(root)}: {tag}")
    assert offenders == []


def test_https_responses_carry_hsts_and_the_other_headers(client, deployed):
    response = client.get(reverse("account_login"), secure=True)

    assert response.status_code == 200
    hsts = response["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= YEAR
    assert "includeSubDomains" in hsts and "preload" in hsts
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_plain_http_is_sent_to_https(client, deployed):
    response = client.get(reverse("account_login"))

    assert response.status_code == 301
    assert response["Location"] == "https://testserver" + reverse("account_login")


def sign_in(client):
    user = UserFactory(email="head@school.example")
    HeadteacherFactory(user=user, school=SchoolFactory())
    client.get(reverse("account_login"), secure=True)
    return client.post(
        reverse("account_login"),
        {"login": user.email, "password": DEMO_PASSWORD},
        secure=True,
    )


def test_signing_in_sets_secure_http_only_same_site_cookies(client, deployed):
    response = sign_in(client)

    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"
    # The cookie ends with the browser; the server ends the session after 30 idle
    # minutes or 12 hours (tests/accounts/test_sessions_and_roles.py).
    assert session["max-age"] == "" and session["expires"] == ""
    csrf = client.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"


def test_the_observatory_grade_is_a_plus(client, deployed):
    page = client.get(reverse("account_login"), secure=True)
    signed_in = sign_in(client)
    http_answer = client.get(reverse("account_login"))
    headers = {name.lower(): value for name, value in page.headers.items()}
    cookies = [morsel.OutputString() for morsel in signed_in.cookies.values()]
    cookies += [client.cookies["csrftoken"].OutputString()]

    score = score_response(
        headers,
        cookies,
        http_redirects_to_https=http_answer.status_code == 301
        and http_answer["Location"].startswith("https://"),
    )

    assert score.results["content-security-policy"][1] == 10
    assert score.results["cookies"][1] == 5
    assert score.results["referrer-policy"][1] == 5
    assert score.results["x-frame-options"][1] == 5
    assert all(modifier >= 0 for _, modifier in score.results.values()), score.results
    assert score.total == 125
    assert score.grade == "A+"


def test_the_scoring_marks_down_a_weak_policy():
    """The scorer itself: an unsafe policy and missing headers lose points."""
    score = score_response(
        {"content-security-policy": "default-src 'self'; script-src 'self' 'unsafe-inline'"},
        ["sessionid=abc; Path=/"],
        http_redirects_to_https=False,
    )

    assert score.results["content-security-policy"] == ("csp-implemented-with-unsafe-inline", -20)
    assert score.results["cookies"] == ("cookies-session-without-secure-flag", -40)
    assert score.grade == "F"
