"""Security incidents are restricted (core.tickets.visibility): only the security team, the
assignee, the requester and managers see them. The selectors apply it, the kind declares it."""

from typing import Any

from django.db.models import Q

from core.tickets.kinds import Restriction
from incidents.choices import Category


def _is_security(incident: Any) -> bool:
    return bool(incident.category == Category.SECURITY)


SECURITY_INCIDENTS = Restriction(
    rows=Q(category=Category.SECURITY),
    applies=_is_security,
    noun="security incident",
)
