"""MTTA leaves out incidents cancelled as a duplicate or as not an incident (docs/reporting.md).

24x7 policies; T = Mon 2026-04-06 00:00 UTC, every incident reported at T, the cancelled ones
cancelled an hour after they were logged:

  kept      logged at 00:20                                       1200 s
  dup       logged at 00:40, cancelled as a duplicate             left out
  noise     logged at 01:00, cancelled as not an incident         left out
  moved     logged at 00:10, cancelled as converted to a request  600 s (real work, redirected)

MTTA over [T, T + 1 day): 2 incidents, mean (1200 + 600) / 2 = 900 s.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents import services
from incidents.choices import CancelReason
from reporting.filters import ReportFilter
from reporting.metrics.durations import mtta

pytestmark = pytest.mark.django_db

T = datetime(2026, 4, 6, tzinfo=UTC)


def test_cancelled_duplicates_and_non_incidents_are_left_out(end_user, agent_l1, incident_policies):
    plan = {
        "kept": (20, None),
        "dup": (40, CancelReason.DUPLICATE),
        "noise": (60, CancelReason.NOT_AN_INCIDENT),
        "moved": (10, CancelReason.CONVERTED_TO_REQUEST),
    }
    for name, (logged_after, reason) in plan.items():
        with time_machine.travel(T, tick=False):
            incident = services.incident_create(requester=end_user, title=name)
        with time_machine.travel(T + timedelta(minutes=logged_after), tick=False):
            incident = services.incident_accept(incident, actor=agent_l1)
        if reason is not None:
            with time_machine.travel(T + timedelta(minutes=logged_after + 60), tick=False):
                services.incident_cancel(incident, actor=agent_l1, cancel_reason=reason)
    report = ReportFilter.from_params(
        {"start": T.isoformat(), "end": (T + timedelta(days=1)).isoformat()},
        now=T + timedelta(days=2),
    )
    wall = mtta(report).wall
    assert (wall.count, wall.mean) == (2, pytest.approx(900))
