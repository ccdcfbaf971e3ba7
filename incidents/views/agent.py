"""The agent workspace's incident page: the kernel's ticket page (core.web.ticket_page) with
the incident's template. Its actions, replies and notes, files, assignment, claiming and tier
moves are the kernel's generic views (core.web.ticket_urls); the incident adds two panels of its
own, each posting a row of its action table to the kernel's action route: the category
(incidents.services.incident_recategorize) and "service restored at" (the `service_restored`
row, incidents.restoration).

The triage queue lives in incidents.views.queue, its bulk actions in incidents.views.bulk.
"""

from typing import Any

from django.forms import Form

from core.web.ticket_page import TicketPage
from incidents.choices import IncidentStatus
from incidents.models import Incident
from incidents.visibility import SECURITY_INCIDENTS

RECATEGORIZE = "recategorize"
RESTORED = "service_restored"


class IncidentPage(TicketPage):
    kind_name = "incident"
    template = "incidents/agent/detail.html"

    def extra_context(self, ticket: Incident, bound: dict[str, Form]) -> dict[str, Any]:
        recategorize = self.table.get(RECATEGORIZE)
        assert recategorize is not None
        restored = self.table.get(RESTORED)
        if not (
            restored is not None
            and ticket.status != IncidentStatus.CANCELLED
            and restored.refusal(self.kind, self.user, ticket) is None
        ):
            restored = None
        side_forms = self.parts.forms(
            "incidents/agent/_side_forms.html",
            {"recategorize_form": recategorize, "restored_form": restored},
            {
                "open_form": next(iter(bound), ""),
                "recategorize_url": self.url("agent_transition", ticket.number, RECATEGORIZE),
                "restored_url": self.url("agent_transition", ticket.number, RESTORED),
                "restored_known": ticket.service_restored_at is not None,
            },
        )
        return {
            "side_forms_html": side_forms,
            "is_security_incident": SECURITY_INCIDENTS.applies(ticket),
        }
