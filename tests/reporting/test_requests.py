"""The same reports for service requests (submitted -> in fulfilment -> fulfilled), 24x7 policy:
respond within 4 h, fulfil within 24 h.

R1 submitted 09:00, fulfilment started 11:00 (MTTA 2 h, met), fulfilled 14:00 (MTTR 5 h, met)
R2 submitted 09:00, fulfilment started 14:00 (MTTA 5 h, breached), still open: its fulfilment
   clock was due 03-03 09:00 and counts as breached since, with no sweep
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from reporting.export import csv_lines
from reporting.filters import ReportFilter
from reporting.metrics.compliance import Outcome, compliance
from reporting.metrics.durations import mtta, mttr
from reporting.metrics.flow import backlog, volume
from reporting.metrics.tiers import escalation_rate, first_contact
from service_requests import services
from service_requests.models import CatalogCategory, CatalogItem
from sla.models import SlaPolicy

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def requests_desk(end_user, agent_l1, l1_group, always_open_calendar):
    for priority in range(1, 6):
        SlaPolicy.objects.create(
            name=f"R{priority}",
            ticket_kind="request",
            priority=priority,
            response_target=timedelta(hours=4),
            resolution_target=timedelta(hours=24),
            calendar=always_open_calendar,
        )
    category = CatalogCategory.objects.create(name="Access", slug="access")
    item = CatalogItem.objects.create(
        category=category, slug="mfa", name="MFA token", summary="x", support_group=l1_group
    )
    with time_machine.travel(T0, tick=False):
        first = services.request_create(requester=end_user, item=item, answers={})
        second = services.request_create(requester=end_user, item=item, answers={})
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        first = services.request_start(first, actor=agent_l1)
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        services.request_fulfil(first, actor=agent_l1, fulfilment_notes="Token sent.")
        services.request_start(second, actor=agent_l1)
    return ReportFilter.from_params({"kind": "request", "start": "2026-03-01", "end": "2026-03-07"})


def test_request_metrics(requests_desk):
    report = requests_desk
    assert (mttr(report).wall.mean, mttr(report).business.mean) == (18000, 18000)
    assert mtta(report).wall.mean == pytest.approx((7200 + 18000) / 2)
    assert mtta(report).wall.median == pytest.approx(12600)
    outcome = compliance(report).total
    assert outcome.response == Outcome(met=1, breached=1)
    assert outcome.resolution == Outcome(met=1, breached=1)
    assert backlog(report, now=T0 + timedelta(days=1)).total.buckets["d1_3"] == 1
    assert (volume(report).created, volume(report).resolved) == (2, 1)
    assert first_contact(report).total.rate == 1.0
    tier_1 = escalation_rate(report)[0]
    assert (tier_1.tier, tier_1.handled, tier_1.escalated) == (1, 2, 0)
    lines = list(csv_lines(report))
    assert len(lines) == 3
    assert ",request,fulfilled,P3,L1," in lines[1] + lines[2]
