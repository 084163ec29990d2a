"""Settings come from the environment: safe laptop defaults with nothing set, and a
production configuration that passes Django's deploy checks and has no secret default.

Each case runs in a fresh interpreter with a clean environment, since settings are
read once at import."""

import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
DOTENV = BASE_DIR / ".env"

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "portal.example.org",
    "EMAIL_URL": "smtp://mailer:secret@smtp.example.org:587/?tls=True",
}

REPORT_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings
from hubportal.celery import app
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "DATABASE_ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DATABASE_NAME": str(settings.DATABASES["default"]["NAME"]),
    "CACHE_BACKEND": settings.CACHES["default"]["BACKEND"],
    "CELERY_TASK_ALWAYS_EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "app_task_always_eager": app.conf.task_always_eager,
    "app_broker_url": app.conf.broker_url,
    "MAILER": settings.MAILERS["default"]["BACKEND"],
    "MAIL_FILE_PATH": settings.MAILERS["default"]["OPTIONS"].get("file_path"),
    "SESSION_COOKIE_SECURE": getattr(settings, "SESSION_COOKIE_SECURE", False),
}))
"""


def run(args: list[str], **environment: str) -> subprocess.CompletedProcess:
    """Run the project's Python with only the given variables (and DJANGO_SETTINGS_MODULE)."""
    env = {"DJANGO_SETTINGS_MODULE": "hubportal.settings", "PYTHONDONTWRITEBYTECODE": "1"}
    env.update(environment)
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def report(**environment: str) -> dict:
    result = run(["-c", REPORT_SETTINGS], **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


needs_no_dotenv = pytest.mark.skipif(
    DOTENV.exists(), reason=f"{DOTENV} overrides the built-in defaults on this machine"
)


def test_production_settings_pass_the_deploy_checks():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_without_a_secret_key_refuses_to_start():
    environment = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}

    result = run(["manage.py", "check"], **environment)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_writing_mail_to_files_fails_the_deploy_checks():
    environment = {**PRODUCTION, "EMAIL_URL": "filemail://"}

    result = run(["manage.py", "check", "--deploy"], **environment)

    assert result.returncode != 0
    assert "mail.E001" in result.stdout + result.stderr


@needs_no_dotenv
def test_with_no_environment_the_portal_runs_as_a_laptop_demo():
    found = report()

    assert found["DEBUG"] is True
    assert found["DATABASE_ENGINE"] == "django.db.backends.sqlite3"
    assert found["DATABASE_NAME"] == str(BASE_DIR / "db.sqlite3")
    assert found["CACHE_BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert found["CELERY_TASK_ALWAYS_EAGER"] is True
    assert found["app_task_always_eager"] is True
    assert found["app_broker_url"].startswith("memory://")
    assert found["MAILER"] == "django.core.mail.backends.filebased.EmailBackend"
    assert found["MAIL_FILE_PATH"] == str(BASE_DIR / "var" / "mail")
    assert found["SESSION_COOKIE_SECURE"] is False


@needs_no_dotenv
def test_redis_url_turns_on_the_shared_cache_and_the_broker():
    found = report(REDIS_URL="redis://redis.example.org:6379/2")

    assert found["CACHE_BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert found["CELERY_TASK_ALWAYS_EAGER"] is False
    assert found["app_task_always_eager"] is False
    assert found["app_broker_url"] == "redis://redis.example.org:6379/2"


def test_env_example_lists_every_variable_settings_reads():
    source = (BASE_DIR / "hubportal" / "settings.py").read_text()
    read = set(re.findall(r"""env\.\w+\(\s*["']([A-Z][A-Z0-9_]*)["']""", source))
    example = (BASE_DIR / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))

    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL"} <= read
    assert read - listed == set()


@needs_no_dotenv
def test_env_example_as_it_stands_gives_a_working_laptop_setup():
    example = (BASE_DIR / ".env.example").read_text().splitlines()
    environment = dict(
        line.split("=", 1) for line in example if line.strip() and not line.startswith("#")
    )

    result = run(["manage.py", "check"], **environment)

    assert result.returncode == 0, result.stdout + result.stderr
