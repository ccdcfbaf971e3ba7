"""What breaks in the demo: incident templates per service, with what agents write at each step.
Plain data, in three modules by who owns the services; TEMPLATES lists them in the order of
demo.organisation.SERVICES (the generator draws from it by position, so a seed gives the same
incidents however the modules are cut)."""

from demo.incidents.failures.applications import APPLICATIONS
from demo.incidents.failures.infrastructure import INFRASTRUCTURE
from demo.incidents.failures.template import IncidentTemplate
from demo.incidents.failures.workplace import WORKPLACE
from demo.organisation import SERVICES

_POSITION = {spec.name: position for position, spec in enumerate(SERVICES)}

TEMPLATES: tuple[IncidentTemplate, ...] = tuple(
    sorted(
        (*INFRASTRUCTURE, *APPLICATIONS, *WORKPLACE),
        key=lambda template: _POSITION[template.service],
    )
)

__all__ = ["TEMPLATES", "IncidentTemplate"]
