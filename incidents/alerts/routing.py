"""Which service and configuration item an alert's incident is about, from its labels.

Per integration, `service_label` names the label holding the service (default `service`) and
`ci_label` the one holding the configuration item (default `instance`). Values are matched with
active services' and CIs' names, ignoring case:

1. the service label matches a service: that service; a CI label matching one of that service's
   CIs adds the CI;
2. otherwise the CI label matches exactly one active CI: that CI and its service;
3. otherwise the integration's own service (and no CI).

The rule that chose is returned as a sentence for the incident's timeline.
"""

from dataclasses import dataclass

from core.models import ConfigurationItem, Service
from incidents.alerts.models import Integration
from incidents.alerts.parsers import ParsedAlert


@dataclass(frozen=True)
class Route:
    """The service and CI chosen for an alert, and why (`rule`, one sentence)."""

    service: Service | None
    configuration_item: ConfigurationItem | None
    rule: str
    from_label: bool = False


def _quote(value: str) -> str:
    return " ".join(value.split())[:120].replace("`", "'")


def route_for(integration: Integration, alert: ParsedAlert) -> Route:
    """The route of a new alert's incident (at most two queries, only when labels are set)."""
    service_value = alert.labels.get(integration.service_label, "").strip()
    ci_value = alert.labels.get(integration.ci_label, "").strip()
    if integration.service_label and service_value:
        service = Service.objects.filter(name__iexact=service_value, is_active=True).first()
        if service is not None:
            ci = None
            if integration.ci_label and ci_value:
                ci = ConfigurationItem.objects.filter(
                    service=service, name__iexact=ci_value, is_active=True
                ).first()
            rule = f"Service {service.name} from the label `{integration.service_label}`"
            if ci is not None:
                rule += f", configuration item {ci.name} from the label `{integration.ci_label}`"
            return Route(service, ci, f"{rule}.", from_label=True)
    if integration.ci_label and ci_value:
        cis = list(
            ConfigurationItem.objects.select_related("service").filter(
                name__iexact=ci_value, is_active=True, service__is_active=True
            )[:2]
        )
        if len(cis) == 1:
            return Route(
                cis[0].service,
                cis[0],
                f"Configuration item {cis[0].name} (service {cis[0].service.name}) from the "
                f"label `{integration.ci_label}`.",
                from_label=True,
            )
    fallback = integration.service.name if integration.service else "none"
    tried = [
        f"`{label}`=“{_quote(value)}”"
        for label, value in (
            (integration.service_label, service_value),
            (integration.ci_label, ci_value),
        )
        if label and value
    ]
    why = f"no service or CI matched {', '.join(tried)}" if tried else "no routing label"
    return Route(integration.service, None, f"Service {fallback} from the integration ({why}).")
