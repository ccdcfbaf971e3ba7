from datetime import time, timedelta

import pytest

from core.choices import Tier
from sla.choices import ThresholdAction, TicketKind
from sla.models import Calendar, SlaPolicy, SlaThreshold, WorkingHours
from tests.factories import SupportGroupFactory


@pytest.fixture
def always_open_calendar(db):
    return Calendar.objects.create(name="24x7", timezone="UTC", is_24x7=True)


@pytest.fixture
def office_calendar(db):
    calendar = Calendar.objects.create(name="Berlin office", timezone="Europe/Berlin")
    for day in range(5):
        WorkingHours.objects.create(calendar=calendar, weekday=day, start=time(8), end=time(18))
    return calendar


@pytest.fixture
def incident_policies(always_open_calendar):
    """Every incident priority: respond in 1h, resolve in 8h, warn at 75 %, 24x7."""
    policies = {}
    for priority in range(1, 6):
        policy = SlaPolicy.objects.create(
            name=f"Incidents P{priority}",
            ticket_kind=TicketKind.INCIDENT,
            priority=priority,
            response_target=timedelta(hours=priority),
            resolution_target=timedelta(hours=8 * priority),
            calendar=always_open_calendar,
        )
        SlaThreshold.objects.create(policy=policy, percent=75, action=ThresholdAction.NOTIFY)
        policies[priority] = policy
    return policies


@pytest.fixture
def tiers(l1_group, l2_group, l3_group, manager):
    for group in (l1_group, l2_group, l3_group):
        group.manager = manager
        group.email = f"{group.name.split()[0].lower()}@example.com"
        group.save()
    return {Tier.L1: l1_group, Tier.L2: l2_group, Tier.L3: l3_group}


@pytest.fixture
def extra_l2_group(db):
    return SupportGroupFactory(name="Zeta L2", tier=Tier.L2)
