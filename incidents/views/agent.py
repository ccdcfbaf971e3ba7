"""The agent workspace's incident page: the kernel's ticket page (core.web.ticket_page) with
the incident's template. Its actions, replies and notes, files, assignment, claiming and tier
moves are the kernel's generic views (core.web.ticket_urls); the incident adds one panel of its
own, "service restored at" (the `service_restored` row of incidents.actions, posted to the
kernel's action route).

The triage queue lives in incidents.views.queue, its bulk actions in incidents.views.bulk.
"""

from typing import Any

from django.forms import Form

from core.web.ticket_page import TicketPage
from incidents.choices import IncidentStatus
from incidents.models import Incident

RESTORED = "service_restored"


class IncidentPage(TicketPage):
    kind_name = "incident"
    template = "incidents/agent/detail.html"

    def extra_context(self, ticket: Incident, bound: dict[str, Form]) -> dict[str, Any]:
        action = self.table.get(RESTORED)
        if action is None or ticket.status == IncidentStatus.CANCELLED:
            return {}
        if action.refusal(self.kind, self.user, ticket) is not None:
            return {}
        return {
            "restored_form": self.action_form(action, ticket, bound.get(RESTORED)),
            "restored_url": self.url("agent_transition", ticket.number, RESTORED),
        }
