"""Running `manage.py seed_demo` from tests."""

import io

from django.core.management import call_command


def seed(**options: object) -> str:
    """Run seed_demo without a progress bar; return what it printed."""
    out = io.StringIO()
    call_command("seed_demo", quiet=True, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def number_value(number: str) -> int:
    return int(number.split("-", 1)[1])
