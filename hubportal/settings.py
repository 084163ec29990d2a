"""Settings for the Maths Hubs Programme Portal, read from the environment.

With no environment at all the portal runs as a laptop demo: SQLite, Celery tasks
run in-process, mail written to a local folder. Production sets DEBUG off, which
makes SECRET_KEY compulsory and turns on the secure-transport settings.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    # A fixed key is fine for the demo only; production has no default at all.
    SECRET_KEY = env.str("SECRET_KEY", default="demo-only-insecure-key-do-not-deploy-3f9a1c")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "simple_history",
    "django_htmx",
    "hubportal.accounts",
    "hubportal.notices",
    "schools",
    "workgroups",
    "funding",
    "hubportal.privacy",
    "hubportal.scale",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "hubportal.accounts.middleware.ActiveRoleMiddleware",
    "hubportal.accounts.middleware.StaffMFAMiddleware",
    # Last: the real person is signed in, in their own role, MFA checked, before a
    # support view-as hands the request to the views as someone else (read-only).
    "hubportal.accounts.support_middleware.SupportViewAsMiddleware",
]

ROOT_URLCONF = "hubportal.urls"
WSGI_APPLICATION = "hubportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hubportal.accounts.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Each test run makes its own database, so runs side by side never share one.
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("TEST_DATABASE_NAME", default=f"test_hubportal_{os.getpid()}")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")


def _redis_database(url: str, offset: int) -> str:
    """The same Redis server, another numbered database: the cache's clear() must
    never empty the Celery broker's queues."""
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0) + offset
    return urlunsplit(parts._replace(path=f"/{number}"))


if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("REDIS_CACHE_URL", default=_redis_database(REDIS_URL, 1)),
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="hubportal"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login, verified before use; no open sign-up
# (people arrive by invitation, see hubportal.accounts.adapter).
ACCOUNT_ADAPTER = "hubportal.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Maths Hubs Programme Portal] "
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "request_login_code": "20/m/ip,3/m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Maths Hubs Programme Portal"
REQUIRE_STAFF_MFA = env.bool("REQUIRE_STAFF_MFA", default=True)
INVITATION_VALID_DAYS = 14

# Sessions end after 30 minutes without a request, and after 12 hours whatever happens.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Mail goes where EMAIL_URL says (smtp+tls://user:pass@host:587, smtps://..., consolemail://);
# with none set it is written as files to var/mail/, which a national admin can read
# in the portal's mail outbox.
MAIL_DIR = env.str("MAIL_DIR", default=str(BASE_DIR / "var" / "mail"))
_email = env.email_url("EMAIL_URL", default="filemail://")
_mail_options = {
    "django.core.mail.backends.smtp.EmailBackend": {
        "host": _email.get("EMAIL_HOST"),
        "port": _email.get("EMAIL_PORT"),
        "username": _email.get("EMAIL_HOST_USER"),
        "password": _email.get("EMAIL_HOST_PASSWORD"),
        "use_tls": _email.get("EMAIL_USE_TLS", False),
        "use_ssl": _email.get("EMAIL_USE_SSL", False),
        "timeout": 30,
    },
    "django.core.mail.backends.filebased.EmailBackend": {"file_path": MAIL_DIR},
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": _mail_options.get(_email["EMAIL_BACKEND"], {}),
    }
}
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Maths Hubs Programme Portal <noreply@mathshubs.example>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["hubportal.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "private"))

# Celery: Redis as broker when REDIS_URL is set; otherwise tasks run in-process.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# Tasks queued by tasks (a sweep queues sends) go to this queue.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task taken by a worker that dies is handed to another after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False
# Reasons people type (a cancellation, a rejection) are kept whole in the audit log.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Content-Security-Policy: nothing is allowed unless named. Scripts and styles come
# only from the portal's own static files (a nonce is offered for any that must be
# inline; there are none), no inline style attributes, no framing, forms post only
# to the portal. Images may be data: URIs for the two-factor QR code.
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "manifest-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS is sent only on HTTPS responses, so it is harmless on a laptop over HTTP:
# two years, subdomains included, ready for the preload list.
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Notices (hubportal.notices): when reminders and nudges go, in days.
NOTICE_REMINDER_DAYS = env.list("NOTICE_REMINDER_DAYS", cast=int, default=[7, 1])
NOTICE_LOG_DUE_DAYS = env.int("NOTICE_LOG_DUE_DAYS", default=2)
NOTICE_LOG_OVERDUE_DAYS = env.int("NOTICE_LOG_OVERDUE_DAYS", default=7)
NOTICE_CLAIM_DEADLINE_DAYS = env.list("NOTICE_CLAIM_DEADLINE_DAYS", cast=int, default=[14, 3])
# Priority schools hear of an opening window this many hours before the others.
NOTICE_PRIORITY_HEAD_START_HOURS = env.int("NOTICE_PRIORITY_HEAD_START_HOURS", default=2)
# A notice "sending" for longer than this (seconds) had its worker die; it is checked.
NOTICE_SENDING_TIMEOUT = env.int("NOTICE_SENDING_TIMEOUT", default=600)
NOTICE_MESSAGE_ID_DOMAIN = env.str("NOTICE_MESSAGE_ID_DOMAIN", default="notices.hubportal")

# Retention (hubportal/privacy/retention.py, run daily by beat and by
# `manage.py apply_retention`): how long each kind of record is kept before it goes.
# Days after an invitation was accepted or expired before its link token is retired.
RETENTION_INVITATION_DAYS = env.int("RETENTION_INVITATION_DAYS", default=90)
# Days a draft application or draft claim may go unchanged before it is deleted.
RETENTION_DRAFT_DAYS = env.int("RETENTION_DRAFT_DAYS", default=365)
# Years after a claim is paid before its evidence files are deleted from storage.
RETENTION_EVIDENCE_YEARS = env.int("RETENTION_EVIDENCE_YEARS", default=7)
# Rows handled per transaction.
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=200)
