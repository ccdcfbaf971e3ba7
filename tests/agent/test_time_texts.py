"""The server's texts that move with time, against the vectors the browser test checks
static/js/queue.js with (tests/e2e/test_queue_clocks.py): both write the same words."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from core.templatetags.servicedesk import age
from sla.selectors import format_span

VECTORS = json.loads((Path(__file__).parent / "time_texts.json").read_text())
SINCE = datetime(2026, 3, 2, 9, 0, 0, 250000, tzinfo=UTC)


@pytest.mark.parametrize(("seconds", "text"), VECTORS["age"])
def test_age_reads_as_the_vectors(seconds, text):
    with time_machine.travel(SINCE + timedelta(seconds=seconds), tick=False):
        assert age(SINCE) == text


@pytest.mark.parametrize(("seconds", "text"), VECTORS["span"])
def test_time_left_or_over_reads_as_the_vectors(seconds, text):
    assert format_span(timedelta(seconds=seconds)) == text
