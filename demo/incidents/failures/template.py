"""The shape of a demo incident template (see demo.incidents.failures)."""

from dataclasses import dataclass
from typing import Any, Self

from incidents.choices import Category, Impact, ResolutionCode, Urgency


@dataclass(frozen=True)
class IncidentTemplate:
    """One kind of failure of a service, with what the agents write at each step."""

    service: str
    title: str  # may contain {site} and {ci}
    description: str  # may contain {site} and {ci} too
    category: Category
    impact: Impact
    urgency: Urgency
    ci: str  # the configuration item at fault
    containment: str
    diagnosis: str
    resolution: str
    resolution_code: ResolutionCode
    can_be_major: bool = False

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> Self:
        """One `[[failure]]` of demo/data/failures.toml (choices by value; a bad one or an
        unknown key raises)."""
        return cls(
            category=Category(entry.pop("category")),
            impact=Impact(entry.pop("impact")),
            urgency=Urgency(entry.pop("urgency")),
            resolution_code=ResolutionCode(entry.pop("resolution_code")),
            **entry,
        )
