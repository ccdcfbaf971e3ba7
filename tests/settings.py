"""The test run's settings: the project's, plus the test-only ticket kind (tests/kindtest)."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.kindtest"]
