"""Alert severity -> incident impact and urgency. Pure: no database, no settings.

The default map covers the names Alertmanager rules, Grafana and paging tools commonly use; an
integration may override or extend it (`Integration.severity_map`). A severity nobody mapped,
or none at all, counts as a warning.
"""

from collections.abc import Mapping
from typing import Any

from incidents.choices import Impact, Urgency

ImpactUrgency = tuple[str, str]

HIGH_HIGH: ImpactUrgency = (Impact.HIGH, Urgency.HIGH)
HIGH_MEDIUM: ImpactUrgency = (Impact.HIGH, Urgency.MEDIUM)
MEDIUM_MEDIUM: ImpactUrgency = (Impact.MEDIUM, Urgency.MEDIUM)
LOW_MEDIUM: ImpactUrgency = (Impact.LOW, Urgency.MEDIUM)
LOW_LOW: ImpactUrgency = (Impact.LOW, Urgency.LOW)

DEFAULT_SEVERITY_MAP: dict[str, ImpactUrgency] = {
    "critical": HIGH_HIGH,
    "crit": HIGH_HIGH,
    "emergency": HIGH_HIGH,
    "fatal": HIGH_HIGH,
    "disaster": HIGH_HIGH,
    "page": HIGH_HIGH,
    "p1": HIGH_HIGH,
    "high": HIGH_MEDIUM,
    "error": HIGH_MEDIUM,
    "major": HIGH_MEDIUM,
    "p2": HIGH_MEDIUM,
    "warning": MEDIUM_MEDIUM,
    "warn": MEDIUM_MEDIUM,
    "medium": MEDIUM_MEDIUM,
    "average": MEDIUM_MEDIUM,
    "minor": MEDIUM_MEDIUM,
    "p3": MEDIUM_MEDIUM,
    "low": LOW_MEDIUM,
    "p4": LOW_MEDIUM,
    "info": LOW_LOW,
    "informational": LOW_LOW,
    "notice": LOW_LOW,
    "none": LOW_LOW,
    "p5": LOW_LOW,
}
FALLBACK: ImpactUrgency = MEDIUM_MEDIUM


def severity_map_errors(value: Any) -> list[str]:
    """What is wrong with an integration's override map; empty when it is valid.

    The shape is {"<severity>": {"impact": "high|medium|low", "urgency": "high|medium|low"}}.
    """
    if not isinstance(value, dict):
        return ['Use a JSON object like {"sev1": {"impact": "high", "urgency": "high"}}.']
    errors = []
    for name, target in value.items():
        if not isinstance(target, dict) or set(target) != {"impact", "urgency"}:
            errors.append(f'"{name}": give exactly "impact" and "urgency".')
            continue
        if target["impact"] not in Impact.values:
            errors.append(f'"{name}": impact must be one of {", ".join(Impact.values)}.')
        if target["urgency"] not in Urgency.values:
            errors.append(f'"{name}": urgency must be one of {", ".join(Urgency.values)}.')
    return errors


def impact_urgency_for(
    severity: str, overrides: Mapping[str, Mapping[str, str]] | None = None
) -> ImpactUrgency:
    """The (impact, urgency) for a severity name, case-insensitive; overrides win."""
    key = (severity or "").strip().lower()
    for name, target in (overrides or {}).items():
        if name.strip().lower() == key:
            return target["impact"], target["urgency"]
    return DEFAULT_SEVERITY_MAP.get(key, FALLBACK)
