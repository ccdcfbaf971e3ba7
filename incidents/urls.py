from django.urls import path

from incidents.views import agent, portal

app_name = "incidents"

urlpatterns = [
    # End-user portal
    path("portal/", portal.portal_home, name="portal_home"),
    path("portal/incidents/", portal.portal_list, name="portal_list"),
    path("portal/incidents/new/", portal.portal_report, name="portal_report"),
    path("portal/incidents/<str:number>/", portal.portal_detail, name="portal_detail"),
    path("portal/incidents/<str:number>/reply/", portal.portal_reply, name="portal_reply"),
    path("portal/incidents/<str:number>/attach/", portal.portal_attach, name="portal_attach"),
    path(
        "portal/incidents/<str:number>/<slug:action>/",
        portal.portal_action,
        name="portal_action",
    ),
    # Agent workspace
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
