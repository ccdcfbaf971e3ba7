"""When a fast burn ends, the incident it opened gets the SLO's timeline event and is resolved
if nobody worked on it (the alert intake's recovery rule), through the kernel's registry; once
per episode, and only when the last page rule sharing the incident stopped holding."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from core.choices import EventKind, Role, Source
from core.models import TimelineEvent
from core.services import comment_add
from core.tickets.describe import describe
from incidents.choices import IncidentStatus, ResolutionCode
from incidents.models import Incident
from slo.alerts import slo_evaluate
from slo.choices import AlertRule
from slo.events import BurnEnded
from tests.factories import UserFactory
from tests.slo.conftest import NOW, ago, availability, outage

pytestmark = pytest.mark.django_db


def _slo_incident() -> Incident:
    return Incident.objects.get(title__startswith="SLO fast burn")


def _slo_events(incident: Incident) -> list[TimelineEvent]:
    return list(
        TimelineEvent.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Incident),
            ticket_id=incident.pk,
            kind=EventKind.SLO,
        )
    )


def _restore(down: Incident) -> None:
    Incident.objects.filter(pk=down.pk).update(
        status=IncidentStatus.RESOLVED, service_restored_at=NOW, resolved_at=NOW
    )


def _fast_burn(service, author, minutes: float = 1, target: str = "99.9"):
    """Down for the last `minutes` (still down): the 1-hour page rule holds at NOW."""
    with time_machine.travel(NOW, tick=False):
        down = outage(service, ago(minutes=minutes), None)
        objective = availability(service, author, target=target)
        assert (objective.pk, AlertRule.PAGE_1H) in slo_evaluate().fired
    return down, objective


def test_an_untouched_incident_is_resolved_once_when_the_burn_ends(mail_service, slo_manager):
    down, objective = _fast_burn(mail_service, slo_manager)
    _restore(down)
    # 10 minutes later the 5-minute window holds no outage: burn 0, the 1h rule clears.
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        assert slo_evaluate().cleared == [(objective.pk, AlertRule.PAGE_1H)]
        assert slo_evaluate().cleared == []
    opened = _slo_incident()
    assert opened.status == IncidentStatus.RESOLVED
    assert opened.resolution_code == ResolutionCode.NO_FAULT_FOUND
    assert "nobody worked on this incident" in opened.resolution_notes
    (event,) = _slo_events(opened)
    assert BurnEnded.read(event) == BurnEnded(objective_id=objective.pk, outcome="resolved")
    assert event.actor is None and event.source == Source.SYSTEM and not event.is_public
    # 1h burn: 60 s down over 3600 s at 0.1 % = 16.7; 5-minute window: nothing.
    assert "16.7 over 1h and 0.0 over 5m (pages at 14.4)" in event.message
    assert "2026-03-10T12:10:00+00:00" in event.message
    view = describe(event, opened)
    assert view.verb == "recorded that the SLO fast burn ended"
    # Accepted, classified (category Other) and resolved by the system, each on the timeline.
    steps = TimelineEvent.objects.filter(
        ticket_id=opened.pk, kind=EventKind.STATUS_CHANGED
    ).values_list("to_status", "actor")
    assert list(steps) == [("logged", None), ("classified", None), ("resolved", None)]
    assert opened.category == "other"


def test_an_incident_agents_worked_on_stays_open_with_a_note(mail_service, slo_manager):
    down, _objective = _fast_burn(mail_service, slo_manager)
    opened = _slo_incident()
    agent = UserFactory(username="platform-agent", role=Role.AGENT)
    comment_add(ticket=opened, author=agent, body="Looking at it.", is_internal=True)
    _restore(down)
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        slo_evaluate()
        slo_evaluate()
    opened.refresh_from_db()
    assert opened.status == IncidentStatus.IDENTIFIED
    (event,) = _slo_events(opened)
    assert BurnEnded.read(event).outcome == "touched"
    assert "Agents worked on this incident" in event.message


def test_a_refusal_leaves_the_incident_as_it_was(mail_service, slo_manager):
    down, objective = _fast_burn(mail_service, slo_manager)
    opened = _slo_incident()
    # A major incident must be contained before it is resolved: the lifecycle refuses, and the
    # accept and classify steps before the refusal are rolled back with it.
    Incident.objects.filter(pk=opened.pk).update(is_major=True)
    _restore(down)
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        assert slo_evaluate().cleared == [(objective.pk, AlertRule.PAGE_1H)]
    opened.refresh_from_db()
    assert opened.status == IncidentStatus.IDENTIFIED
    assert not TimelineEvent.objects.filter(
        ticket_id=opened.pk, kind=EventKind.STATUS_CHANGED
    ).exists()
    (event,) = _slo_events(opened)
    assert BurnEnded.read(event).outcome == "refused"
    assert "was not resolved automatically" in event.message


def test_an_incident_already_closed_is_left_alone(mail_service, slo_manager):
    down, _objective = _fast_burn(mail_service, slo_manager)
    opened = _slo_incident()
    Incident.objects.filter(pk=opened.pk).update(status=IncidentStatus.CANCELLED)
    _restore(down)
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        slo_evaluate()
    opened.refresh_from_db()
    assert opened.status == IncidentStatus.CANCELLED
    (event,) = _slo_events(opened)
    assert BurnEnded.read(event).outcome == "done"


def test_the_burn_ends_with_the_last_page_rule_on_the_incident(mail_service, slo_manager):
    # Down for the 40 minutes before NOW at 99 %: 1h burn 2400/3600/0.01 = 66.7, 5m 100, 6h
    # 2400/21600/0.01 = 11.1, 30m 100: both page rules hold and share one incident.
    down, objective = _fast_burn(mail_service, slo_manager, minutes=40, target="99")
    _restore(down)
    # +10 min: the 5-minute window is clear (the 1h rule ends) but the 30-minute window still
    # holds 20 minutes down (1200/1800/0.01 = 66.7) and the 6h burn is 11.1: the 6h rule holds.
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        assert slo_evaluate().cleared == [(objective.pk, AlertRule.PAGE_1H)]
    opened = _slo_incident()
    assert opened.status == IncidentStatus.IDENTIFIED and _slo_events(opened) == []
    # +31 min: the 30-minute window is clear too: the burn has ended.
    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        assert slo_evaluate().cleared == [(objective.pk, AlertRule.PAGE_6H)]
        slo_evaluate()
    opened.refresh_from_db()
    assert opened.status == IncidentStatus.RESOLVED
    (event,) = _slo_events(opened)
    assert "0.0 over 6h" not in event.message and "11.1 over 6h and 0.0 over 30m" in event.message


def test_slow_burns_open_no_incident_and_end_quietly(mail_service, slo_manager):
    with time_machine.travel(NOW, tick=False):
        outage(mail_service, ago(days=2), ago(days=2) + timedelta(seconds=270))
        outage(mail_service, ago(hours=3), ago(hours=3) + timedelta(seconds=30))
        objective = availability(mail_service, slo_manager)
        assert slo_evaluate().fired == [(objective.pk, AlertRule.NOTIFY_3D)]
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        assert (objective.pk, AlertRule.NOTIFY_3D) in slo_evaluate().cleared
    assert not TimelineEvent.objects.filter(kind=EventKind.SLO).exists()
