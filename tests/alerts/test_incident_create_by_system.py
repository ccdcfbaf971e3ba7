"""The small extension of incidents.services.incident_create used by alert intake."""

from core.choices import EventKind, Source, Tier
from incidents import services
from tests.alerts.conftest import timeline
from tests.factories import SupportGroupFactory


def test_by_system_leaves_the_creation_event_without_an_actor(end_user, agent_l1) -> None:
    incident = services.incident_create(
        requester=end_user, title="Disk full", source=Source.ALERT, actor=agent_l1, by_system=True
    )
    [event] = timeline(incident)
    assert (event.kind, event.actor, event.source) == (EventKind.CREATED, None, Source.ALERT)
    assert incident.requester == end_user


def test_default_still_credits_the_actor_or_the_requester(end_user, agent_l1) -> None:
    mine = services.incident_create(requester=end_user, title="Mine")
    theirs = services.incident_create(requester=end_user, title="Logged for me", actor=agent_l1)
    assert timeline(mine)[0].actor == end_user
    assert timeline(theirs)[0].actor == agent_l1


def test_support_group_overrides_the_default_group(end_user, service) -> None:
    l3 = SupportGroupFactory(name="Database L3", tier=Tier.L3)
    default = services.incident_create(requester=end_user, title="Default", service=service)
    chosen = services.incident_create(
        requester=end_user, title="Chosen", service=service, support_group=l3
    )
    assert default.support_group == service.owner_group
    assert (chosen.support_group, chosen.tier) == (l3, Tier.L3)
