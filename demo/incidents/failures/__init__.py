"""What breaks in the demo: incident templates per service, with what agents write at each step,
read from demo/data/failures.toml. TEMPLATES lists them in the order of
demo.organisation.SERVICES (the generator draws from it by position, so a seed gives the same
incidents however the file is arranged)."""

from demo.data import load
from demo.incidents.failures.template import IncidentTemplate
from demo.organisation import SERVICES

_POSITION = {spec.name: position for position, spec in enumerate(SERVICES)}

TEMPLATES: tuple[IncidentTemplate, ...] = tuple(
    sorted(
        load("failures.toml", "failure", IncidentTemplate.from_entry),
        key=lambda template: _POSITION[template.service],
    )
)

__all__ = ["TEMPLATES", "IncidentTemplate"]
