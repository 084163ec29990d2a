import os

import pytest

from tests.celery_worker import celery_eager_by_default, celery_worker_process  # noqa: F401
from tests.factories import (
    HeadteacherFactory,
    HubAreaFactory,
    HubFactory,
    HubLeadFactory,
    NationalAdminFactory,
    SchoolFactory,
    SpecialistFactory,
)

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
HAS_REDIS = bool(os.environ.get("REDIS_URL"))


def pytest_collection_modifyitems(config, items):
    no_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI always does)")
    no_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL (CI always does)")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(no_pg)
        if "redis" in item.keywords and not HAS_REDIS:
            item.add_marker(no_redis)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Tests see staff MFA off unless they turn it on, and mail stays in memory."""
    settings.REQUIRE_STAFF_MFA = False
    # Real hashing costs half a second a user; tests need many users, not strong hashes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.MEDIA_ROOT = str(tmp_path / "private")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the cache; each test starts from none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def hub(db):
    hub = HubFactory(name="Abacus North West Maths Hub", code="ABN")
    HubAreaFactory(hub=hub, la_code="352", la_name="Manchester")
    return hub


@pytest.fixture
def other_hub(db):
    hub = HubFactory(name="Boolean Maths Hub", code="BOO")
    HubAreaFactory(hub=hub, la_code="800", la_name="Bath and North East Somerset")
    return hub


@pytest.fixture
def school(hub):
    return SchoolFactory(hub=hub, la_code="352", la_name="Manchester")


@pytest.fixture
def other_school(other_hub):
    return SchoolFactory(hub=other_hub, la_code="800", la_name="Bath and North East Somerset")


@pytest.fixture
def hub_lead(hub):
    return HubLeadFactory(hub=hub).user


@pytest.fixture
def other_hub_lead(other_hub):
    return HubLeadFactory(hub=other_hub).user


@pytest.fixture
def headteacher(school):
    return HeadteacherFactory(school=school).user


@pytest.fixture
def specialist(hub):
    return SpecialistFactory(hub=hub).user


@pytest.fixture
def national_admin(db):
    return NationalAdminFactory().user
