"""The agent workspace's incident page: the kernel's ticket page (core.web.ticket_page) with
the incident's template. Its actions, replies and notes, files, assignment, claiming and tier
moves are the kernel's generic views (core.web.ticket_urls); the incident adds the category
panel (incidents.services.incident_recategorize), which posts a row of its action table.

The triage queue lives in incidents.views.queue, its bulk actions in incidents.views.bulk.
"""

from typing import Any

from django.forms import Form

from core.web.ticket_page import TicketPage
from incidents.visibility import SECURITY_INCIDENTS


class IncidentPage(TicketPage):
    kind_name = "incident"
    template = "incidents/agent/detail.html"

    def extra_context(self, ticket: Any, bound: dict[str, Form]) -> dict[str, Any]:
        action = self.table.get("recategorize")
        assert action is not None
        return {
            "recategorize_form": self.action_form(action, ticket, bound.get("recategorize")),
            "is_security_incident": SECURITY_INCIDENTS.applies(ticket),
        }
