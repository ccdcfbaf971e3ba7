"""Fixtures for the problems tests: an agent who works problems, incidents at given points of
their lifecycle, and problems in given states."""

from collections.abc import Callable
from typing import Any

import pytest

from core.models import Service, User
from incidents.choices import Category, Impact, IncidentStatus, Urgency
from incidents.models import Incident
from problems.models import Problem
from tests.factories import IncidentFactory
from tests.problems.factories import KnownErrorFactory, ProblemFactory


@pytest.fixture
def make_incident(service: Service, end_user: User) -> Callable[..., Incident]:
    """An incident stored directly in `status` on the shared service, requested by end_user."""

    def make(status: str = IncidentStatus.CLASSIFIED, **fields: Any) -> Incident:
        defaults: dict[str, Any] = {
            "status": status,
            "requester": end_user,
            "service": service,
            "category": Category.SOFTWARE,
            "impact": Impact.MEDIUM,
            "urgency": Urgency.MEDIUM,
        }
        defaults.update(fields)
        return IncidentFactory(**defaults)

    return make


@pytest.fixture
def problem(agent_l1: User, service: Service) -> Problem:
    return ProblemFactory(requester=agent_l1, service=service)


@pytest.fixture
def known_error(agent_l1: User, service: Service) -> Problem:
    return KnownErrorFactory(requester=agent_l1, service=service, title="Mail relay certificate")
