import pytest

from tests.demo.seeding import seed


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded() -> str:
    """The default demo data set (300 incidents); what seed_demo printed."""
    return seed()
