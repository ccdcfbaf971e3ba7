"""Fixtures for the agent workspace tests: incidents made through the services (so they carry
SLA clocks and timelines), on a 24x7 calendar with a policy for every priority."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import time_machine

from core.models import Service, User
from incidents import services
from incidents.choices import Category, Impact, Urgency
from incidents.models import Incident

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def make_incident(
    end_user: User, service: Service, incident_policies: object
) -> Callable[..., Incident]:
    """make_incident(title=..., impact=..., urgency=..., at=...) -> an identified incident."""

    def make(
        title: str = "VPN drops",
        *,
        impact: str = Impact.LOW,
        urgency: str = Urgency.MEDIUM,
        at: datetime | None = T0,
    ) -> Incident:
        """`at=None`: now."""
        if at is None:
            return services.incident_create(
                requester=end_user, title=title, impact=impact, urgency=urgency, service=service
            )
        with time_machine.travel(at, tick=False):
            return make(title, impact=impact, urgency=urgency, at=None)

    return make


@pytest.fixture
def classify(service: Service) -> Callable[[Incident, User], Incident]:
    """Accept and classify an incident (P3 by default) as `agent`."""

    def run(incident: Incident, agent: User) -> Incident:
        logged = services.incident_accept(incident, actor=agent)
        return services.incident_classify(
            logged,
            actor=agent,
            category=Category.NETWORK,
            impact=Impact.MEDIUM,
            urgency=Urgency.MEDIUM,
            service=service,
        )

    return run
