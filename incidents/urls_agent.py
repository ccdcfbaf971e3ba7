"""Agent workspace routes for incidents: the triage queue, its bulk actions, the incident page
(the kernel's ticket routes)."""

from django.urls import path

from core.web.ticket_urls import agent_ticket_urls
from incidents.views import bulk, classify, queue
from incidents.views.agent import IncidentPage

agent_patterns = [
    path("agent/incidents/", queue.agent_list, name="agent_list"),
    # Before the incident routes: "bulk" would otherwise be read as an incident number.
    path("agent/incidents/bulk/", bulk.agent_bulk, name="agent_bulk"),
    path(
        "agent/incidents/priority-preview/",
        classify.agent_priority_preview,
        name="agent_priority_preview",
    ),
    *agent_ticket_urls("agent/incidents/", IncidentPage),
]
