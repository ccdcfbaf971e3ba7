"""Agent workspace routes for incidents: the triage queue, its bulk actions, the incident page."""

from django.urls import path

from incidents.views import agent, bulk, queue

agent_patterns = [
    path("agent/incidents/", queue.agent_list, name="agent_list"),
    # Before the incident routes: "bulk" would otherwise be read as an incident number.
    path("agent/incidents/bulk/", bulk.agent_bulk, name="agent_bulk"),
    path("agent/incidents/<str:number>/", agent.agent_detail, name="agent_detail"),
    path("agent/incidents/<str:number>/assign/", agent.agent_assign, name="agent_assign"),
    path("agent/incidents/<str:number>/claim/", agent.agent_claim, name="agent_claim"),
    path("agent/incidents/<str:number>/comment/", agent.agent_comment, name="agent_comment"),
    path("agent/incidents/<str:number>/attach/", agent.agent_attach, name="agent_attach"),
    path("agent/incidents/<str:number>/escalate/", agent.agent_escalate, name="agent_escalate"),
    path(
        "agent/incidents/<str:number>/deescalate/",
        agent.agent_deescalate,
        name="agent_deescalate",
    ),
    path(
        "agent/incidents/<str:number>/do/<slug:action>/",
        agent.agent_transition,
        name="agent_transition",
    ),
]
