"""A hand-computed month of changes and incidents for the DORA figures.

Period: 2026-03-01 to 2026-03-29 (28 days), failure window 24 h, production only.

Service A (team "Team A"):
- d1 Mar 2 10:00 (commit 2 h before); i1 starts Mar 2 12:00 (blamed on d1), restored 13:00: 1 h
- d2 Mar 3 10:00 (commit 4 h before); i2 Mar 3 11:00 resolved 14:00 (no restore time): 3 h;
  i5 Mar 3 12:00 restored 12:30: 0.5 h. Both blamed on d2, which fails once.
- staging deployment Mar 4 10:00: not counted, blames nothing
- d3 Mar 5 10:00 (commit 6 h before); a cancelled duplicate Mar 5 11:00 does not count;
  i3 Mar 7 10:00 is 48 h later: outside the window, d3 did not fail
- d4 Mar 10 10:00 (no commit time); i4 Mar 20 10:00, recorded as caused by d4, restored 12:00: 2 h
- c1, a normal change implemented Mar 15 10:00; i6 Mar 15 20:00 still open (blamed, no restore)
- d5 Mar 28 20:00; i7 Mar 29 08:00 (after the period, within the window) restored 09:00: 1 h

A: 6 changes, 5 deployments, 5 failed (d1 d2 d4 c1 d5), lead times 2 h 4 h 6 h (median 4 h),
restores 0.5 1 1 2 3 h (median 1 h), 5/28 deployments a day = 1.25 a week: high.

Service B (team "Team B"): one deployment a day at 09:00, Mar 1 to Mar 28, commit 1 h before;
no incident but a cancelled "not an incident". B: 28 changes and deployments, none failed,
lead 1 h, one a day: elite.

All: 34 changes, 33 deployments, 5 failed, lead median 1 h (28 of 31 are 1 h), restore 1 h.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from changes.choices import ChangeStatus, ChangeType
from changes.models import Change, ChangeIncident
from core.choices import Role
from core.models import Service, SupportGroup, User
from incidents.choices import CancelReason, IncidentStatus
from tests.changes.deployments.factories import deploy
from tests.factories import IncidentFactory, ServiceFactory, SupportGroupFactory, UserFactory

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 3, 29, tzinfo=UTC)
H = timedelta(hours=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@dataclass
class Month:
    a: Service
    b: Service
    team_a: SupportGroup
    team_b: SupportGroup
    ci: User


def incident(service, start, *, restored=None, resolved=None, **fields):
    status = IncidentStatus.RESOLVED if resolved else IncidentStatus.IDENTIFIED
    return IncidentFactory(
        service=service,
        identified_at=start,
        service_restored_at=restored,
        resolved_at=resolved,
        status=fields.pop("status", status),
        **fields,
    )


@pytest.fixture
def month(db: None, settings) -> Month:
    settings.DORA_ENVIRONMENTS = ["production"]
    settings.DORA_FAILURE_WINDOW_HOURS = 24
    ci = UserFactory(username="ci", role=Role.AGENT)
    team_a, team_b = SupportGroupFactory(name="Team A"), SupportGroupFactory(name="Team B")
    a = ServiceFactory(name="Alpha", owner_group=team_a)
    b = ServiceFactory(name="Beta", owner_group=team_b)

    deploy(ci, a, at(2, 10), lead=2 * H, version="1")
    incident(a, at(2, 12), restored=at(2, 13), resolved=at(2, 15))
    deploy(ci, a, at(3, 10), lead=4 * H, version="2")
    incident(a, at(3, 11), resolved=at(3, 14))
    incident(a, at(3, 12), restored=at(3, 12, 30), resolved=at(3, 13))
    deploy(ci, a, at(4, 10), lead=H, version="2", environment="staging")
    deploy(ci, a, at(5, 10), lead=6 * H, version="3")
    incident(
        a,
        at(5, 11),
        status=IncidentStatus.CANCELLED,
        cancel_reason=CancelReason.DUPLICATE,
    )
    incident(a, at(7, 10), restored=at(7, 11), resolved=at(7, 11))
    d4 = deploy(ci, a, at(10, 10), version="4")
    caused = incident(a, at(20, 10), restored=at(20, 12), resolved=at(20, 12))
    ChangeIncident.objects.create(change=d4.change, incident=caused, linked_at=timezone.now())
    Change.objects.create(
        number="CHG-900001",
        title="Resize the database",
        requester=ci,
        service=a,
        change_type=ChangeType.NORMAL,
        status=ChangeStatus.IMPLEMENTED,
        implementing_at=at(15, 9),
        implemented_at=at(15, 10),
        created_at=at(14, 10),
        updated_at=at(15, 10),
    )
    incident(a, at(15, 20))
    deploy(ci, a, at(28, 20), version="5")
    incident(a, at(29, 8), restored=at(29, 9), resolved=at(29, 9))

    for day in range(1, 29):
        deploy(ci, b, at(day, 9), lead=H, version=f"b{day}")
    incident(
        b, at(1, 10), status=IncidentStatus.CANCELLED, cancel_reason=CancelReason.NOT_AN_INCIDENT
    )
    return Month(a=a, b=b, team_a=team_a, team_b=team_b, ci=ci)
