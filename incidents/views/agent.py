"""The agent workspace's incident page: the kernel's ticket page (core.web.ticket_page) with
the incident's template. Its actions, replies and notes, files, assignment, claiming and tier
moves are the kernel's generic views (core.web.ticket_urls).

The triage queue lives in incidents.views.queue, its bulk actions in incidents.views.bulk.
"""

from core.web.ticket_page import TicketPage


class IncidentPage(TicketPage):
    kind_name = "incident"
    template = "incidents/agent/detail.html"
