"""The rating card of the agent ticket pages (`{% satisfaction_card %}`,
core.templatetags.servicedesk): nothing before the ticket is resolved or fulfilled, "Not rated
yet" after, and a rating with its stars, words, the requester's name, its time in the viewer's
zone and its comment escaped with its lines kept. (tests/portal/test_rating_views.py renders it
through the pages.)"""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from core.templatetags.servicedesk import satisfaction_card

MOMENT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
REQUESTER = SimpleNamespace(display_name='Ana "<b>" Ortiz')


def _rated(score: int, comment: str) -> SimpleNamespace:
    return SimpleNamespace(
        satisfaction_score=score,
        satisfaction_comment=comment,
        satisfaction_at=MOMENT,
        resolved_at=MOMENT,
        requester=REQUESTER,
    )


def test_an_unresolved_ticket_shows_no_card():
    assert (
        satisfaction_card(SimpleNamespace(satisfaction_score=None, resolved_at=None)).strip() == ""
    )
    unfulfilled = SimpleNamespace(satisfaction_score=None, resolved_at=None, fulfilled_at=None)
    assert satisfaction_card(unfulfilled).strip() == ""


@pytest.mark.parametrize(
    "done", [{"resolved_at": MOMENT}, {"resolved_at": None, "fulfilled_at": MOMENT}]
)
def test_a_resolved_or_fulfilled_ticket_not_rated_says_so(done):
    html = satisfaction_card(SimpleNamespace(satisfaction_score=None, **done))
    assert "Not rated yet" in html and "satisfaction-card" in html


@pytest.mark.parametrize(
    ("zone", "shown"), [("UTC", "1 Mar 2026, 23:30"), ("Asia/Kolkata", "2 Mar 2026, 05:00")]
)
def test_a_rating_shows_its_score_name_time_and_comment(zone, shown):
    with timezone.override(zone):
        html = satisfaction_card(_rated(4, "Quick <fix> & kind.\nThanks"))
    assert "4 of 5" in html and "★★★★☆" in html
    assert "Ana &quot;&lt;b&gt;&quot; Ortiz" in html
    assert f">{shown}</time>" in html
    assert "Quick &lt;fix&gt; &amp; kind.<br>Thanks" in html


def test_a_rating_without_a_comment_shows_no_quote():
    assert "rating-comment" not in satisfaction_card(_rated(2, ""))
