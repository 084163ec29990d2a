import pytest

from tests.factories import (
    AcceptedApplicationFactory,
    ClaimWindowFactory,
    HeadteacherFactory,
    HubLeadFactory,
    SchoolFactory,
)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Evidence files go to a temporary folder per test."""
    settings.MEDIA_ROOT = str(tmp_path / "private")


@pytest.fixture
def claim_window(hub):
    return ClaimWindowFactory(hub=hub)


@pytest.fixture
def dwg_school(hub, claim_window):
    """A school of the hub accepted into a Development Work Group this year."""
    school = SchoolFactory(hub=hub, name="Alder Primary School")
    AcceptedApplicationFactory(school=school)
    return school


@pytest.fixture
def head(dwg_school):
    return HeadteacherFactory(school=dwg_school).user


@pytest.fixture
def lead(hub):
    return HubLeadFactory(hub=hub).user
