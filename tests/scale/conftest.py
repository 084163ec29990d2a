from dataclasses import replace

import pytest

from hubportal.scale.seed import PRESETS, flush, seed

TINY = PRESETS["tiny"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "private")


@pytest.fixture
def seeded(db):
    """The tiny preset, seeded into the test database."""
    return seed(TINY)


@pytest.fixture
def reseed(db):
    """Empty the portal's tables and seed the tiny preset with some sizes changed."""

    def again(**changes):
        flush()
        return seed(replace(TINY, **changes))

    return again
