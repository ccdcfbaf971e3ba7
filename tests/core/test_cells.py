"""core.web.cells writes the same text as the templates' `date` filters and badge tags it
replaces in the agent lists, in the viewer's time zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format

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
