"""core.web.cells writes the same text as the templates' `date` filters and badge tags it
replaces in the agent lists, in the viewer's time zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from core.markdown import _render, _render_remembered, render_markdown
from core.templatetags.servicedesk import priority_badge, status_badge
from core.web.cells import day_month_time, day_time, iso, weekday_time_zone
from incidents.models import Incident

MOMENTS = [
    datetime(2026, 3, 2, 9, 5, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 123456, tzinfo=UTC),
    datetime(2026, 7, 4, 0, 0, tzinfo=UTC),
]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("moment", MOMENTS)
def test_instants_read_as_the_date_filter_writes_them(zone, moment):
    with timezone.override(ZoneInfo(zone)):
        local = timezone.localtime(moment)
        assert iso(moment) == date_format(local, "c")
        assert day_time(moment) == date_format(local, "j M Y, H:i")
        assert day_month_time(moment) == date_format(local, "j M, H:i")
        assert weekday_time_zone(moment) == date_format(local, "D j M Y, H:i T")


def test_badges_say_the_choice_label():
    incident = Incident(status="on_hold", priority=2)
    assert str(status_badge(incident)) == (
        '<span class="badge badge-status status-on_hold">On hold</span>'
    )
    assert str(priority_badge(incident)) == (
        '<span class="badge badge-priority prio-2">P2 High</span>'
    )


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Asia/Kolkata"])
@pytest.mark.parametrize("moment", MOMENTS)
def test_the_time_element_writes_what_the_timeline_template_wrote(zone, moment):
    old = Template(
        '<time class="event-time" datetime="{{ at|date:\'c\' }}" '
        'title="{{ at|date:\'j M Y, H:i\' }}">{{ at|date:"j M Y, H:i" }}</time>'
        '<time datetime="{{ at|date:\'c\' }}">{{ at|date:"j M Y, H:i" }}</time>'
    )
    new = Template(
        '{% load servicedesk %}{% time_element at "event-time" titled=True %}{% time_element at %}'
    )
    with timezone.override(ZoneInfo(zone)):
        context = Context({"at": moment})
        assert new.render(context) == old.render(context)


def test_markdown_remembers_short_texts_only():
    short, long = "Some **bold** <script>x</script> text", "word " * 400
    assert render_markdown(short) == render_markdown(short) == _render(short)
    assert "<script>" not in render_markdown(short)
    hits = _render_remembered.cache_info().hits
    render_markdown(short)
    assert _render_remembered.cache_info().hits == hits + 1
    size = _render_remembered.cache_info().currsize
    assert render_markdown(long) == _render(long)
    assert _render_remembered.cache_info().currsize == size
