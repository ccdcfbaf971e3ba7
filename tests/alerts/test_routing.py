"""Labels choose the incident's service and CI, per integration; the timeline says which rule."""

from core.models import ConfigurationItem, Service
from incidents.alerts.models import AlertLink
from incidents.models import Incident
from tests.alerts.conftest import Poster, timeline
from tests.alerts.payloads import alertmanager, am_alert
from tests.factories import ConfigurationItemFactory, ServiceFactory, SupportGroupFactory


def labelled(fingerprint: str, **labels: str) -> dict:
    alert = am_alert(fingerprint)
    alert["labels"].update(labels)
    return alert


def created_message(incident: Incident) -> str:
    return timeline(incident)[0].message


def test_the_service_label_picks_the_service_ignoring_case_with_its_group(
    make_hook, post: Poster, l1_group
) -> None:
    payments_group = SupportGroupFactory(name="Payments L1")
    payments = ServiceFactory(name="Payments", owner_group=payments_group)
    db = ConfigurationItemFactory(name="pay-db-1", service=payments)
    hook = make_hook(support_group=l1_group)
    post(hook, alertmanager(labelled("a", service="PAYMENTS", instance="Pay-DB-1")))
    incident = Incident.objects.get()
    assert (incident.service, incident.configuration_item) == (payments, db)
    assert incident.support_group == payments_group
    assert (
        "Service Payments from the label `service`, configuration item pay-db-1 from the label "
        "`instance`." in created_message(incident)
    )


def test_a_ci_label_alone_gives_the_ci_and_its_service(make_hook, post: Poster) -> None:
    ci = ConfigurationItemFactory(name="host-b")  # am_alert's instance label is host-<fp>
    post(make_hook(), alertmanager(am_alert("b")))
    incident = Incident.objects.get()
    assert (incident.service, incident.configuration_item) == (ci.service, ci)
    assert "Configuration item host-b (service " in created_message(incident)


def test_no_match_falls_back_to_the_integrations_service_and_says_why(
    make_hook, post: Poster, service: Service
) -> None:
    post(make_hook(), alertmanager(labelled("c", service="nowhere")))
    incident = Incident.objects.get()
    assert (incident.service, incident.configuration_item) == (service, None)
    assert (
        "Service Email from the integration (no service or CI matched `service`=“nowhere”, "
        "`instance`=“host-c”)." in created_message(incident)
    )


def test_mapping_is_per_integration_and_can_be_turned_off(
    make_hook, post: Poster, service: Service
) -> None:
    ServiceFactory(name="Payments")
    ConfigurationItemFactory(name="host-d")
    hook = make_hook(service_label="", ci_label="")
    post(hook, alertmanager(labelled("d", service="payments")))
    incident = Incident.objects.get()
    assert incident.service == service
    assert "(no routing label)" in created_message(incident)
    team = make_hook(service_label="team", ci_label="")
    post(team, alertmanager(labelled("e", team="Payments")))
    assert AlertLink.objects.get(fingerprint="e").incident.service.name == "Payments"


def test_an_ambiguous_or_inactive_ci_is_not_guessed(
    make_hook, post: Poster, service: Service
) -> None:
    ConfigurationItemFactory(name="host-f")
    ConfigurationItemFactory(name="host-f")  # same name in another service
    ConfigurationItem.objects.create(name="host-g", service=service, is_active=False)
    post(make_hook(), alertmanager(am_alert("f"), am_alert("g")))
    assert set(Incident.objects.values_list("configuration_item", flat=True)) == {None}


def test_a_label_name_that_cannot_be_one_is_refused_and_nothing_is_saved(make_hook) -> None:
    import pytest

    from core.exceptions import ValidationFailed
    from incidents.alerts.models import Integration

    with pytest.raises(ValidationFailed) as refused:
        make_hook(service_label="my service")
    assert "service_label" in str(refused.value.__dict__) or "label name" in str(refused.value)
    assert not Integration.objects.exists()
