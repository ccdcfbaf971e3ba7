"""Telling "the alert recovered" from "the alert vanished because its whole target died".

When Prometheus cannot scrape a target, the series its other alerts watch go stale and those
alerts resolve: Alertmanager then reports them `resolved` although nothing recovered. The
payload itself cannot tell the two apart; what can is the target-down alert of the same target
(`up == 0`, conventionally named as in TARGET_DOWN_ALERTS) still firing: in this delivery, or as
an open alert of the same integration. A recovered alert whose `instance` (and `job`, when both
carry one) matches such an alert is "vanished", and auto-resolve leaves its incident open.
Without a target-down rule in Prometheus, a dead target still looks like a recovery.
"""

from collections.abc import Iterable

from incidents.alerts.choices import AlertStatus
from incidents.alerts.models import AlertLink, Integration
from incidents.alerts.parsers import ParsedAlert

TARGET_DOWN_ALERTS = ("TargetDown", "InstanceDown", "TargetMissing", "PrometheusTargetMissing")
Target = tuple[str, str]  # (job, instance)


def _target(labels: dict[str, str]) -> Target | None:
    instance = labels.get("instance", "")
    return (labels.get("job", ""), instance) if instance else None


def down_targets(integration: Integration, delivery: Iterable[ParsedAlert]) -> set[Target]:
    """The targets a target-down alert says are dead: firing in this delivery or still firing
    among the integration's open alerts (one query)."""
    targets = {
        _target(alert.labels)
        for alert in delivery
        if alert.is_firing and alert.labels.get("alertname") in TARGET_DOWN_ALERTS
    }
    stored = AlertLink.objects.filter(
        integration=integration,
        is_open=True,
        alert_status=AlertStatus.FIRING,
        labels__alertname__in=TARGET_DOWN_ALERTS,
    ).values_list("labels", flat=True)
    targets |= {_target(labels) for labels in stored}
    return {target for target in targets if target is not None}


def dead_target(labels: dict[str, str], down: set[Target]) -> Target | None:
    """The dead target this alert was about, if any (a target-down alert is not its own)."""
    target = _target(labels)
    if target is None or labels.get("alertname") in TARGET_DOWN_ALERTS:
        return None
    job, instance = target
    for down_job, down_instance in down:
        if down_instance == instance and (not job or not down_job or job == down_job):
            return down_job or job, instance
    return None


def vanished_incidents(
    integration: Integration,
    delivery: Iterable[ParsedAlert],
    recovered_labels: dict[int, list[dict[str, str]]],
) -> dict[int, Target]:
    """The incidents (by id) one of whose recovered alerts was about a dead target, with it."""
    down = down_targets(integration, delivery)
    vanished: dict[int, Target] = {}
    if not down:
        return vanished
    for incident_id, label_sets in recovered_labels.items():
        for labels in label_sets:
            target = dead_target(labels, down)
            if target is not None:
                vanished[incident_id] = target
                break
    return vanished
