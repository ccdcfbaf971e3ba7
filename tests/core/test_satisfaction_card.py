"""The rating card of the agent ticket pages, written in Python (`{% satisfaction_card %}`,
core.templatetags.servicedesk), is the markup includes/satisfaction.html writes: not resolved,
resolved or fulfilled and not rated, every score, with and without a comment to escape (its
lines kept), in two time zones."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from core.templatetags.servicedesk import satisfaction_card

MOMENT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
REQUESTER = SimpleNamespace(display_name='Ana "<b>" Ortiz')


def _cases() -> list[SimpleNamespace]:
    cases = [
        SimpleNamespace(satisfaction_score=None, resolved_at=None),
        SimpleNamespace(satisfaction_score=None, resolved_at=MOMENT),
        SimpleNamespace(satisfaction_score=None, resolved_at=None, fulfilled_at=MOMENT),
        SimpleNamespace(satisfaction_score=None, resolved_at=None, fulfilled_at=None),
    ]
    for score in range(1, 6):
        for comment in ("", "Quick <fix> & kind.\nThanks\r\nagain"):
            cases.append(
                SimpleNamespace(
                    satisfaction_score=score,
                    satisfaction_comment=comment,
                    satisfaction_at=MOMENT,
                    resolved_at=MOMENT,
                    requester=REQUESTER,
                )
            )
    return cases


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
def test_the_card_is_the_templates_markup(zone):
    with timezone.override(zone):
        for ticket in _cases():
            expected = render_to_string("includes/satisfaction.html", {"ticket": ticket})
            assert satisfaction_card(ticket) == expected
