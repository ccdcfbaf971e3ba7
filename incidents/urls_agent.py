"""Agent workspace routes for incidents."""

from django.urls import path

from incidents.views import agent

agent_patterns = [
    path("agent/incidents/", agent.agent_list, name="agent_list"),
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
