"""How the SLA engine reaches ticket kinds without importing them (DESIGN.md §3).

Each domain app registers an adapter in its AppConfig.ready(): its model, its kind name, and the
service that escalates one of its tickets. The sweeper looks adapters up by content type.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType

from core.models import TicketBase


@dataclass(frozen=True)
class EscalationOutcome:
    escalated: bool
    from_tier: int
    to_tier: int
    message: str


@dataclass(frozen=True)
class TicketAdapter:
    model: type[TicketBase]
    kind: str
    # escalate_many([(ticket_id, reason), ...]) -> outcomes in the same order; runs the domain's
    # escalation service as the system, inside the sweeper's transaction.
    escalate_many: Callable[[list[tuple[int, str]]], list[EscalationOutcome]]
    agent_url: Callable[[TicketBase], str]


_ADAPTERS: dict[type[TicketBase], TicketAdapter] = {}


def register(adapter: TicketAdapter) -> None:
    _ADAPTERS[adapter.model] = adapter


def adapter_for_content_type(content_type_id: int) -> TicketAdapter:
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None or model not in _ADAPTERS:
        raise LookupError(f"no SLA adapter registered for content type {content_type_id}")
    return _ADAPTERS[model]
