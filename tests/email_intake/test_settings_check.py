"""A bad email-intake setting stops start-up with the setting named."""

import pytest
from django.core import checks

from core.checks import SETTINGS_TAG


def test_the_defaults_pass() -> None:
    assert not [m for m in checks.run_checks(tags=[SETTINGS_TAG]) if m.id == "email_intake.E001"]


@pytest.mark.parametrize(
    ("name", "value"),
    [("EMAIL_INTAKE_SENDER_PER_MINUTE", 0), ("EMAIL_INTAKE_POLL_SECONDS", -1)],
)
def test_a_value_below_its_minimum_is_an_error(settings, name: str, value: int) -> None:
    setattr(settings, name, value)

    errors = [m for m in checks.run_checks(tags=[SETTINGS_TAG]) if m.id == "email_intake.E001"]

    assert len(errors) == 1
    assert errors[0].msg.startswith(f"{name} must be at least ")
    assert errors[0].msg.endswith(f", not {value}.")
